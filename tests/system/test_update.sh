#!/bin/bash
# Changing a manifest: labels or annotations only -> nothing restarts;
# image or command -> the pod is replaced (old stopped, new started);
# a manifest replaced while its pod is starting ends with the last version
# running, once.
. "$(dirname "$0")/lib.sh"

SCRIPT='trap "exit 0" TERM
echo version-1
while :; do sleep 1 & wait $!; done'

case_start() {
	# app.yaml was there before picolet started.
	wait_for '[ "$(pod_phase app)" = Running ] && [ -n "$(workload_pid app)" ]' 10 \
	    "app Running" || return 1
}

app_tier() { pj app 'd["metadata"]["labels"].get("tier", "")'; }

case_labels_only() {
	local pid uid
	pid=$(workload_pid app)
	uid=$(pod_uid app)
	pod_yaml app "$SCRIPT" | sed 's/^    app: app$/    app: app\n    tier: web\n  annotations:\n    note: "changed"/' |
	    put_manifest app.yaml
	wait_for '[ "$(app_tier)" = web ]' 10 \
	    "label tier=web on app" || return 1
	assert_eq "$(pj app 'd["metadata"]["annotations"]["note"]')" changed "annotation" || return 1
	assert_eq "$(pctl get pods -l tier=web -o name 2>/dev/null)" pod/app "get pods -l tier=web -o name" || return 1
	assert_eq "$(pctl get pods -l tier=db -o name 2>/dev/null)" "" "get pods -l tier=db -o name" || return 1
	assert_eq "$(workload_pid app)" "$pid" "workload pid after a labels change" || return 1
	assert_eq "$(pod_restarts app)" 0 "restartCount" || return 1
	assert_eq "$(pod_uid app)" "$uid" "uid" || return 1
}

case_command_change() {
	local pid
	pid=$(workload_pid app)
	pod_yaml app "${SCRIPT/version-1/version-2}" | put_manifest app.yaml
	wait_for '! alive "$pid"' 15 "old workload stopped" || return 1
	wait_for '[ "$(pod_phase app)" = Running ] && pctl logs app | grep -qx version-2' 10 \
	    "app running the new command" || return 1
	assert_ne "$(workload_pid app)" "$pid" "workload pid" || return 1
	pctl logs app | grep -qx version-1 && { fail "new pod's log has the old output"; return 1; }
	n=$(pids_cmdline "$T/run/pods/" | wc -l)
	assert_eq "$n" 1 "shims running" || return 1
}

case_image_change() {
	local pid
	"$PICOLET_BIN/picoctl" image import "$FIXTURES/busybox-docker.tar" --state "$T/state" \
	    >/dev/null 2>&1 || fail "import busybox-docker.tar" || return 1
	pid=$(workload_pid app)
	pod_yaml app "${SCRIPT/version-1/version-2}" Always 5 example.local/busybox:1.0 |
	    put_manifest app.yaml
	wait_for '! alive "$pid"' 15 "old workload stopped" || return 1
	wait_for '[ "$(pod_phase app)" = Running ] && [ -n "$(workload_pid app)" ]' 10 \
	    "app running again" || return 1
	assert_match "$(pj app 'c0["image"]')" 'example.local/busybox:1.0' \
	    "containerStatuses[0].image" || return 1
	assert_match "$(pj app 'd["spec"]["containers"][0]["image"]')" 'example.local/busybox:1.0' \
	    "spec.containers[0].image" || return 1
}

case_replace_while_starting() {
	local i uid n
	for i in 1 2 3 4 5; do
		pod_yaml fast "trap 'exit 0' TERM
echo gen-$i
while :; do sleep 1 & wait \$!; done" Always 2 | put_manifest fast.yaml
		sleep 0.05
	done
	wait_for '[ "$(pod_phase fast)" = Running ] && pctl logs fast | grep -qx gen-5' 20 \
	    "fast running the last version" || return 1
	uid=$(pod_uid fast)
	# Every earlier version is stopped: exactly one shim for fast.
	wait_for '[ "$(pids_cmdline "$T/run/pods/" | wc -l)" = 2 ]' 15 \
	    "only app's and fast's shims left" ||
	    { pids_cmdline "$T/run/pods/" | while read -r i; do tr '\0' ' ' <"/proc/$i/cmdline"; echo; done | sed 's/^/#     /'; return 1; }
	n=$(ls "$T/run/pods" | wc -l)
	assert_eq "$n" 2 "pod run dirs (app, fast)" || return 1
}

case_rename() {
	# A file renamed keeps its pod: the pod is still there and running.
	mv "$T/manifests/fast.yaml" "$T/manifests/fast2.yaml"
	# After the rename settles (debounce 100 ms), the pod must run; give the
	# agent time to see both events before checking.
	sleep 1
	wait_for '[ "$(pod_phase fast)" = Running ]' 10 "fast Running after a rename" || return 1
	rm_manifest fast2.yaml
	wait_for 'pod_gone fast' 10 "fast gone after removing the renamed file" || return 1
}

case_inplace_write() {
	# An editor writing the file in place in several steps: the debounce
	# (100 ms) means picolet only sees the finished file, so no error.
	local f=$T/manifests/slow.yaml
	pod_yaml slow "$SCRIPT" >"$T/slow.full"
	head -n 8 "$T/slow.full" >"$f"
	sleep 0.03
	tail -n +9 "$T/slow.full" >>"$f"
	wait_for '[ "$(pod_phase slow)" = Running ]' 10 "slow Running" || return 1
	local ev
	ev=$(pctl get events 2>&1; pctl status 2>&1)
	assert_not_contains "$ev" "slow.yaml:" "errors for a file written in two steps" || return 1
	rm_manifest slow.yaml
	wait_for 'pod_gone slow' 10 "slow gone" || return 1
}

import_busybox || { not_ok "import busybox"; done_testing; }
pod_yaml app "$SCRIPT" | put_manifest app.yaml
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "pod app from a manifest present at start" case_start
run_case "labels/annotations change: no restart, same PID" case_labels_only
run_case "command change: pod replaced" case_command_change
run_case "image change: pod replaced" case_image_change
run_case "manifest replaced while its pod starts: last version runs once" case_replace_while_starting
run_case "renamed manifest" case_rename
run_case "file written in place in two steps (debounce)" case_inplace_write
done_testing
