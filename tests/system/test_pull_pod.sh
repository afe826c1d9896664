#!/bin/bash
# Pods whose images come from a registry: Debian's docker-registry in the
# test's network namespace (where picolet runs), the busybox fixture
# pushed with skopeo.  A pod from the registry runs, with Pulling and
# Pulled events; an unreachable registry gives ErrImagePull then
# ImagePullBackOff (STATUS column, describe) and other pods run on; two
# pods of one new image make one pull; Always pulls again at a restart
# and so picks up a moved tag; Never with an absent image is
# ErrImageNeverPull and asks no registry.  Skipped (ok, with a note)
# when docker-registry or skopeo is not installed.
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry.sh"

REG_RUN=(nsenter --net="/run/netns/$NETNS" --)
SLEEPER='trap "exit 0" TERM; while :; do sleep 1 & wait $!; done'

# pull_pod NAME IMAGE [pull policy] [script]: pod_yaml with the policy
# left to its Kubernetes default unless given
pull_pod() {
	local pol=${3:-}
	pod_yaml "$1" "${4:-$SLEEPER}" Always 1 "$2" X |
	    if [ -n "$pol" ]; then
		sed "s/^    imagePullPolicy: X\$/    imagePullPolicy: $pol/"
	    else
		grep -v '^    imagePullPolicy: X$'
	    fi
}

# pulls_started REF: how many pulls of REF picolet began (its log)
pulls_started() {
	grep -c "pull $1: started" "$T/picolet.log"
}

ev_for() {	# POD: the pod's events
	pctl get events 2>&1 | grep -F "pod/$1"
}

case_run() {
	pull_pod web "$REG/busybox:1" | put_manifest web.yaml
	wait_for '[ "$(pod_phase web)" = Running ]' 30 "web Running" || return 1
	local ev
	ev=$(ev_for web)
	note "$ev"
	assert_contains "$ev" "Pulling image \"$REG/busybox:1\"" "Pulling event" || return 1
	assert_match "$ev" "Successfully pulled image \"$REG/busybox:1\" in [0-9.]+m?s\. Image size: [0-9]+ bytes\." \
	    "Pulled event" || return 1
	assert_contains "$(pctl images 2>&1)" "$REG/busybox" "picoctl images" || return 1
	[ -z "$(find "$T/state/images/tmp" -mindepth 1 2>/dev/null)" ] ||
	    fail "leftovers in images/tmp: $(ls "$T/state/images/tmp")" || return 1
}

case_unreachable() {
	local seen_err=0 seen_bo=0 st i
	# port 1 on loopback: nothing listens, the connection is refused
	pull_pod lost "127.0.0.1:1/busybox:1" | put_manifest lost.yaml
	for ((i = 0; i < 300 && seen_bo == 0; i++)); do
		st=$(pod_status_col lost)
		[ "$st" = ErrImagePull ] && seen_err=1
		[ "$st" = ImagePullBackOff ] && seen_bo=1
		sleep 0.1
	done
	[ "$seen_err" = 1 ] || fail "STATUS was never ErrImagePull" || return 1
	[ "$seen_bo" = 1 ] || fail "STATUS was never ImagePullBackOff" || return 1
	assert_eq "$(pod_phase lost)" Pending "phase" || return 1
	local d
	d=$(pctl describe pod lost 2>&1)
	note "$(printf '%s\n' "$d" | grep -E 'Reason|Message|Failed|BackOff')"
	assert_match "$d" 'Reason: +ImagePullBackOff' "describe: reason" || return 1
	assert_contains "$d" 'Back-off pulling image "127.0.0.1:1/busybox:1"' "describe: message" || return 1
	assert_match "$d" 'Failed to pull image "127.0.0.1:1/busybox:1": .+' "describe: the registry's reason" || return 1
	assert_eq "$(pod_phase web)" Running "the other pod" || return 1
}

case_shared() {
	push "$REG/busybox:2" || return 1
	{ pull_pod twin-a "$REG/busybox:2"; echo ---; pull_pod twin-b "$REG/busybox:2"; } |
	    put_manifest twins.yaml
	wait_for '[ "$(pod_phase twin-a)" = Running ] && [ "$(pod_phase twin-b)" = Running ]' 30 \
	    "both twins Running" || return 1
	assert_eq "$(pulls_started "$REG/busybox:2")" 1 "pulls of busybox:2" || return 1
	assert_contains "$(ev_for twin-a)" Pulled "twin-a's Pulled event" || return 1
	assert_contains "$(ev_for twin-b)" Pulled "twin-b's Pulled event" || return 1
}

case_always() {
	local id1 id2
	push "$REG/busybox:latest" || return 1
	# a first restart comes at once, and with Always it pulls again
	pull_pod moving "$REG/busybox" | put_manifest moving.yaml
	wait_for '[ "$(pod_phase moving)" = Running ]' 30 "moving Running" || return 1
	assert_eq "$(pj moving 'd["spec"]["containers"][0]["imagePullPolicy"]')" Always \
	    "default policy of an untagged image" || return 1
	id1=$(pj moving 'c0["imageID"]')
	PUSH_SRC=$FIXTURES/layered-oci.tar push "$REG/busybox:latest" || return 1
	pctl exec moving -- kill 1 || fail "exec kill 1" || return 1
	wait_for '[ "$(pod_restarts moving)" -ge 1 ] && [ "$(pod_cstate moving)" = running ]' 30 \
	    "moving restarted" || return 1
	id2=$(pj moving 'c0["imageID"]')
	note "imageID $id1 -> $id2"
	assert_ne "$id2" "$id1" "imageID after the tag moved" || return 1
	assert_eq "$(pulls_started "$REG/busybox:latest")" 2 "pulls of busybox:latest" || return 1
}

case_never() {
	pull_pod nopull "$REG/busybox:absent" Never | put_manifest nopull.yaml
	wait_for '[ "$(pod_status_col nopull)" = ErrImageNeverPull ]' 15 "ErrImageNeverPull" || return 1
	assert_eq "$(pulls_started "$REG/busybox:absent")" 0 "pulls for Never" || return 1
	# and an image that is there runs without asking
	pull_pod nopull2 "$REG/busybox:1" Never | put_manifest nopull2.yaml
	wait_for '[ "$(pod_phase nopull2)" = Running ]' 15 "nopull2 Running" || return 1
	assert_eq "$(pulls_started "$REG/busybox:1")" 1 "pulls of busybox:1" || return 1
}

if ! have_registry; then
	note "docker-registry or skopeo not installed: skipped"
	ok "skipped"
	done_testing
fi
PORT=$(free_port)
REG=127.0.0.1:$PORT
start_registry reg "$PORT" || { not_ok "registry starts"; done_testing; }
push "$REG/busybox:1" || { not_ok "push busybox:1"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "pod from the registry: Running, Pulling and Pulled events" case_run
run_case "unreachable registry: ErrImagePull, ImagePullBackOff; others run" case_unreachable
run_case "two pods of one new image: one pull" case_shared
run_case "Always: a restart pulls again and gets the moved tag" case_always
run_case "Never: ErrImageNeverPull, no pull; present image runs" case_never
done_testing
