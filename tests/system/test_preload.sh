#!/bin/bash
# [images] preload = DIR, for devices without a registry: the archives
# there are imported when picolet starts (no drop, no picoctl) and left in
# place; a pod of that image runs; a restart does not import them again,
# a changed archive is imported anew; a broken one is reported once.
. "$(dirname "$0")/lib.sh"

preloads() { grep -c "preloaded image archive" "$T/picolet.log"; }

case_preload() {
	mkdir -p "$T/preload" && cp "$FIXTURES/busybox-oci.tar" "$T/preload/" &&
	    printf 'not a tar' >"$T/preload/broken.tar" || { fail "preload dir"; return 1; }
	printf '[images]\npreload = %s\n' "$T/preload" >>"$T/picolet.conf"
	start_picolet || return 1
	pod_yaml pre 'trap "exit 0" TERM; while :; do sleep 1 & wait $!; done' \
	    Always 1 busybox Never | put_manifest pre.yaml
	wait_for '[ "$(pod_phase pre)" = Running ]' 30 "a pod of the preloaded image runs" || return 1
	[ -f "$T/preload/busybox-oci.tar" ] || { fail "the archive was removed"; return 1; }
	wait_for 'pctl get events 2>&1 | grep -q "preload .*broken.tar"' 10 \
	    "the broken archive reported" || return 1
	assert_eq "$(preloads)" 1 "one preload" || return 1

	stop_picolet || return 1
	start_picolet || return 1
	sleep 1	# nothing to wait for: no import must start
	assert_eq "$(preloads)" 1 "not imported again after a restart" || return 1
	assert_eq "$(grep -c 'preload .*broken.tar' "$T/picolet.log")" 1 \
	    "the broken one not retried" || return 1

	stop_picolet || return 1
	touch "$T/preload/busybox-oci.tar"
	start_picolet || return 1
	wait_for '[ "$(preloads)" = 2 ]' 20 "a changed archive is imported again" || return 1
	rm_manifest pre.yaml
	wait_for 'pod_gone pre' 10 "pre gone" || return 1
}

run_case "[images] preload: imported at start, kept, once per version" case_preload
done_testing
