#!/bin/bash
# Stopping a pod: the workload (PID 1 of its pid namespace) gets SIGTERM;
# one with a handler sees it and exits on its own; one without a handler
# ignores it (as PID 1 does) and is SIGKILLed when
# terminationGracePeriodSeconds (2) ends.
. "$(dirname "$0")/lib.sh"

# follow_log POD OUT: copy the container's log file as it grows (the pod's
# log dir goes away with the pod; tail keeps the open file).
follow_log() {
	local uid f
	uid=$(pod_uid "$1")
	f=$T/logs/default_$1_$uid/main/0.log
	wait_for '[ -f "$f" ]' 5 "log file $f" || return 1
	tail -n +1 -f "$f" >"$2" 2>/dev/null &
	BG_PIDS+=($!)
}

case_handler() {
	local pid t0 t1
	pod_yaml term 'trap "echo got TERM; exit 0" TERM
echo ready
while :; do sleep 1 & wait $!; done' Always 10 | put_manifest term.yaml
	wait_for '[ "$(pod_phase term)" = Running ] && pctl logs term | grep -qx ready' 10 \
	    "term Running and ready" || return 1
	pid=$(workload_pid term)
	[ -n "$pid" ] || fail "no workload process" || return 1
	follow_log term "$T/term.log" || return 1
	t0=$(now_ms)
	rm_manifest term.yaml
	wait_for '! alive "$pid"' 10 "workload gone" || return 1
	t1=$(now_ms)
	note "handler: workload gone $((t1 - t0)) ms after the file was removed"
	wait_for 'grep -q "stdout F got TERM" "$T/term.log"' 3 "'got TERM' in its log" ||
	    { sed 's/^/#     /' "$T/term.log"; return 1; }
	# It exited on its own, long before the 10 s grace period.
	assert_between $((t1 - t0)) 0 5000 "time to stop with a handler (ms)" || return 1
	wait_for 'pod_gone term' 5 "term gone" || return 1
}

case_no_handler() {
	local pid t0 t1
	pod_yaml stubborn 'echo ready
while :; do sleep 1; done' Always 2 | put_manifest stubborn.yaml
	wait_for '[ "$(pod_phase stubborn)" = Running ]' 10 "stubborn Running" || return 1
	pid=$(workload_pid stubborn)
	[ -n "$pid" ] || fail "no workload process" || return 1
	assert_eq "$(nspid "$pid")" 1 "workload is PID 1 in its namespace" || return 1
	t0=$(now_ms)
	rm_manifest stubborn.yaml
	wait_for '! alive "$pid"' 10 "workload gone" || return 1
	t1=$(now_ms)
	note "no handler: workload gone $((t1 - t0)) ms after the file was removed"
	# SIGTERM is ignored by a PID 1 without a handler: it must live until
	# the grace period (2 s) ends, and not much longer.
	assert_between $((t1 - t0)) 1900 4500 "time to SIGKILL (ms)" || return 1
	wait_for 'pod_gone stubborn' 5 "stubborn gone" || return 1
}

case_grace_zero_default() {
	# Without terminationGracePeriodSeconds the default is 30 s: a workload
	# with a handler still stops at once.
	local pid
	cat <<'EOF' | put_manifest quick.yaml
apiVersion: v1
kind: Pod
metadata:
  name: quick
spec:
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"]
EOF
	wait_for '[ "$(pod_phase quick)" = Running ]' 10 "quick Running" || return 1
	assert_eq "$(pj quick 'd["spec"]["terminationGracePeriodSeconds"]')" 30 \
	    "spec.terminationGracePeriodSeconds default" || return 1
	pid=$(workload_pid quick)
	rm_manifest quick.yaml
	wait_for '! alive "$pid" && pod_gone quick' 5 "quick gone" || return 1
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "SIGTERM handler: workload logs 'got TERM' and exits" case_handler
run_case "no handler: SIGKILL after terminationGracePeriodSeconds 2" case_no_handler
run_case "default grace period 30, handler exits at once" case_grace_zero_default
done_testing
