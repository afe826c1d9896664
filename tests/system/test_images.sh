#!/bin/bash
# Images: a pod whose image is absent waits with ErrImageNeverPull (policy
# Never) or ImagePullBackOff (no registry to pull from) and starts by
# itself once the archive is dropped into <state>/images/import/;
# `picoctl image import` takes OCI and docker-save archives; archives with
# path traversal, a symlink escape, a corrupt gzip or a digest mismatch are
# refused with a clear error and leave nothing in the store.
. "$(dirname "$0")/lib.sh"

ESCAPE=/tmp/picolet-fixture-escape

store_listing() {
	find "$T/state/images" -path "$T/state/images/import" -prune -o -print 2>/dev/null | sort
}

case_absent() {
	local out
	out=$(pctl images 2>&1) || fail "picoctl images: $out" || return 1
	assert_not_contains "$out" busybox "images before any import" || return 1
	pod_yaml waiter 'trap "exit 0" TERM; while :; do sleep 1 & wait $!; done' \
	    Always 5 busybox Never | put_manifest waiter.yaml
	wait_for '[ "$(pod_cstate waiter)" = waiting:ErrImageNeverPull ]' 10 \
	    "waiter waiting with ErrImageNeverPull" || return 1
	assert_eq "$(pod_phase waiter)" Pending "phase" || return 1
	assert_eq "$(pod_status_col waiter)" ErrImageNeverPull "STATUS column" || return 1
	assert_match "$(pj waiter 'c0["state"]["waiting"]["message"]')" 'busybox' \
	    "waiting message names the image" || return 1
}

# IfNotPresent with no registry to reach (the test's netns has none): the
# pull fails, back-off; an import does not wait for the back-off to end.
case_absent_pull() {
	pod_yaml puller 'trap "exit 0" TERM; while :; do sleep 1 & wait $!; done' |
	    put_manifest puller.yaml
	wait_for '[ "$(pod_cstate puller)" = waiting:ImagePullBackOff ]' 15 \
	    "puller in ImagePullBackOff" || return 1
	assert_contains "$(pctl get events 2>&1)" ErrImagePull "events" || return 1
}

case_drop_import() {
	drop_archive "$FIXTURES/busybox-oci.tar"
	wait_for '[ "$(pod_phase waiter)" = Running ]' 30 "waiter Running after the drop" || return 1
	wait_for '[ "$(pod_phase puller)" = Running ]' 5 "puller Running after the drop" || return 1
	local out
	out=$(pctl images 2>&1)
	note "$out"
	assert_contains "$out" busybox "picoctl images" || return 1
	assert_match "$(pj waiter 'c0["imageID"]')" 'sha256:[0-9a-f]{64}' "imageID" || return 1
}

case_docker_archive() {
	local out
	out=$("$PICOLET_BIN/picoctl" image import "$FIXTURES/busybox-docker.tar" --state "$T/state" 2>&1) ||
	    fail "import of busybox-docker.tar: $out" || return 1
	out=$(pctl images 2>&1)
	assert_contains "$out" example.local/busybox "picoctl images" || return 1
	pod_yaml tagged 'echo from-docker-archive; trap "exit 0" TERM; while :; do sleep 1 & wait $!; done' \
	    Always 5 example.local/busybox:1.0 | put_manifest tagged.yaml
	wait_for '[ "$(pod_phase tagged)" = Running ] && pctl logs tagged | grep -qx from-docker-archive' 15 \
	    "tagged Running" || return 1
}

# refuse ARCHIVE REF WHY-ERE
refuse() {
	local a=$1 ref=$2 why=$3 before after out rc
	before=$(store_listing)
	out=$("$PICOLET_BIN/picoctl" image import "$FIXTURES/$a" --state "$T/state" 2>&1)
	rc=$?
	note "import $a: exit $rc: $out"
	[ "$rc" != 0 ] || fail "import of $a succeeded" || return 1
	[[ ${out,,} =~ $why ]] || fail "error for $a does not say why (/$why/): $out" || return 1
	after=$(store_listing)
	if [ "$before" != "$after" ]; then
		diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed 's/^/#     /'
		fail "the store changed after refusing $a"
		return 1
	fi
	assert_not_contains "$(pctl images 2>&1)" "$ref" "images after refusing $a" || return 1
	local evil
	evil=$(find "$T" /abs -name 'evil-picolet-fixture*' 2>/dev/null)
	[ -z "$evil" ] || fail "files written outside the layer: $evil" || return 1
	[ ! -e "$ESCAPE/pwned" ] || fail "wrote through a symlink: $ESCAPE/pwned" || return 1
}

case_traversal() { refuse traversal.tar bad-traversal '\.\.|travers|outside|unsafe|evil'; }
case_traversal_abs() { refuse traversal-abs.tar bad-traversal-abs 'absolute|/abs|unsafe|outside|evil'; }
case_symlink_escape() {
	# The target exists, so following the symlink would succeed.
	mkdir -p "$ESCAPE"
	refuse symlink-escape.tar bad-symlink-escape 'symlink|link|pwned|outside|unsafe'
	local rc=$?
	rm -rf "$ESCAPE"
	return $rc
}
case_corrupt_gzip() { refuse corrupt-gzip.tar bad-corrupt-gzip 'gzip|inflate|corrupt|truncat|unexpected end|eof|short'; }
case_digest_mismatch() { refuse digest-mismatch.tar bad-digest-mismatch 'digest|sha256|mismatch|checksum'; }

case_bad_drop() {
	# A bad archive dropped into import/: picolet says so and runs on.
	drop_archive "$FIXTURES/corrupt-gzip.tar"
	wait_for 'pctl get events 2>&1 | grep -q corrupt-gzip || [ ! -e "$T/state/images/import/corrupt-gzip.tar" ]' 15 \
	    "picolet to deal with corrupt-gzip.tar" || return 1
	note "$(pctl get events 2>&1 | grep -i corrupt | tail -n 1)"
	alive "$PICOLET_PID" || fail "picolet died" || return 1
	assert_not_contains "$(pctl images 2>&1)" bad-corrupt-gzip "images" || return 1
	[ "$(pod_phase waiter)" = Running ] || fail "waiter stopped" || return 1
	[ -z "$(find "$T/state/images/tmp" -mindepth 1 2>/dev/null)" ] ||
	    fail "leftovers in images/tmp: $(ls "$T/state/images/tmp")" || return 1
}

start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "absent image: ErrImageNeverPull" case_absent
run_case "absent image, IfNotPresent, no registry: ImagePullBackOff" case_absent_pull
run_case "archive dropped into import/: pod starts by itself" case_drop_import
run_case "picoctl image import of a docker-save archive" case_docker_archive
run_case "refused: path traversal (..)" case_traversal
run_case "refused: absolute path" case_traversal_abs
run_case "refused: write through a symlink" case_symlink_escape
run_case "refused: corrupt gzip" case_corrupt_gzip
run_case "refused: digest mismatch" case_digest_mismatch
run_case "bad archive dropped into import/" case_bad_drop
done_testing
