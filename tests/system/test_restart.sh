#!/bin/bash
# Restarts as kubelet does them: a container that exits at once under
# restartPolicy Always is restarted at once, then after ~10 s, then after
# ~20 s, showing CrashLoopBackOff while it waits; Never leaves a failed
# container as Error (pod Failed); OnFailure with exit 0 is Completed (pod
# Succeeded); OnFailure with exit 1 restarts.
. "$(dirname "$0")/lib.sh"

# RFC 3339 -> milliseconds since the epoch ("" -> "").
ts_ms() {
	[ -n "$1" ] || return 0
	python3 -c '
import sys, datetime
s = sys.argv[1].replace("Z", "+00:00")
if "." in s:
    head, rest = s.split(".", 1)
    i = 0
    while i < len(rest) and rest[i].isdigit():
        i += 1
    s = head + "." + rest[:i][:6].ljust(6, "0") + rest[i:]
print(int(datetime.datetime.fromisoformat(s).timestamp() * 1000))' "$1"
}

case_backoff() {
	local t_seen=() last=-1 rc t0 saw_clbo=0 st col
	local -A started finished
	t0=$(now_ms)
	pod_yaml crash 'echo crash; exit 1' Always 2 | put_manifest crash.yaml
	# Watch restartCount go 0 -> 1 -> 2 -> 3; note when each value is
	# first seen and what the status says meanwhile.
	while [ $(($(now_ms) - t0)) -lt $((60000 * SCALE)) ]; do
		local j
		j=$(pctl get pods crash -o json 2>/dev/null)
		rc=$(printf '%s' "$j" | jeval 'c0["restartCount"]' 2>/dev/null)
		st=$(printf '%s' "$j" | jeval 'c0["state"].get("waiting", {}).get("reason", "")' 2>/dev/null)
		if [ "$st" = CrashLoopBackOff ]; then
			saw_clbo=1
			col=$(pod_status_col crash)
		fi
		# lastState.terminated of restart N is the run that ended N+1's wait.
		local lt
		lt=$(printf '%s' "$j" | jeval '(c0.get("lastState") or {}).get("terminated", {}).get("startedAt", "") + " " + (c0.get("lastState") or {}).get("terminated", {}).get("finishedAt", "")' 2>/dev/null)
		if [[ $rc =~ ^[0-9]+$ ]]; then
			if [ -n "${lt// /}" ] && [ -z "${started[$rc]:-}" ]; then
				started[$rc]=${lt% *}
				finished[$rc]=${lt#* }
			fi
			while [ "$last" -lt "$rc" ]; do
				last=$((last + 1))
				t_seen[$last]=$(now_ms)
				note "restartCount $last seen at +$((t_seen[last] - t0)) ms (state: $st)"
			done
			[ "$rc" -ge 3 ] && break
		fi
		sleep 0.1
	done
	[ "$last" -ge 3 ] || fail "restartCount reached only $last in 60 s" || return 1
	local d1 d2 d3
	d1=$((t_seen[1] - t_seen[0]))
	d2=$((t_seen[2] - t_seen[1]))
	d3=$((t_seen[3] - t_seen[2]))
	note "intervals between restarts: $d1 ms, $d2 ms, $d3 ms"
	assert_between "$d1" 0 3000 "first restart (immediate)" || return 1
	assert_between "$d2" 8500 12500 "second restart (~10 s back-off)" || return 1
	assert_between "$d3" 18000 23000 "third restart (~20 s back-off)" || return 1
	[ "$saw_clbo" = 1 ] || fail "state.waiting.reason was never CrashLoopBackOff" || return 1
	assert_eq "$col" CrashLoopBackOff "STATUS column during back-off" || return 1
	# Cross-check with the status timestamps where we caught them:
	# finishedAt of run N-1 to startedAt of run N is the back-off.
	local n a b
	for n in 2 3; do
		a=$(ts_ms "${finished[$((n - 1))]:-}")
		b=$(ts_ms "${started[$n]:-}")
		if [ -n "$a" ] && [ -n "$b" ]; then
			note "status timestamps: run $((n - 1)) finished -> run $n started: $((b - a)) ms"
		fi
	done
	local ev
	ev=$(pctl get events 2>&1)
	assert_match "$ev" 'BackOff|Back-off' "a back-off event" || return 1
	rm_manifest crash.yaml
	wait_for 'pod_gone crash' 10 "crash gone" || return 1
}

case_never() {
	pod_yaml never 'echo bye; exit 3' Never 2 | put_manifest never.yaml
	wait_for '[ "$(pod_phase never)" = Failed ]' 10 "never Failed" || return 1
	assert_eq "$(pod_cstate never)" terminated:Error "container state" || return 1
	assert_eq "$(pj never 'c0["state"]["terminated"]["exitCode"]')" 3 "exitCode" || return 1
	assert_eq "$(pod_status_col never)" Error "STATUS column" || return 1
	# Proving a restart does NOT happen needs a wait: 3 s is past the
	# immediate first restart.
	sleep 3
	assert_eq "$(pod_restarts never)" 0 "restartCount with Never" || return 1
	assert_eq "$(pod_phase never)" Failed "phase stays Failed" || return 1
	rm_manifest never.yaml
	wait_for 'pod_gone never' 10 "never gone" || return 1
}

case_onfailure_ok() {
	pod_yaml done 'echo done; exit 0' OnFailure 2 | put_manifest done.yaml
	wait_for '[ "$(pod_phase done)" = Succeeded ]' 10 "done Succeeded" || return 1
	assert_eq "$(pod_cstate done)" terminated:Completed "container state" || return 1
	assert_eq "$(pj done 'c0["state"]["terminated"]["exitCode"]')" 0 "exitCode" || return 1
	assert_eq "$(pod_status_col done)" Completed "STATUS column" || return 1
	assert_eq "$(pj done 'c0["ready"]')" false "ready" || return 1
	# Nothing to restart; 3 s to show that nothing does.
	sleep 3
	assert_eq "$(pod_restarts done)" 0 "restartCount" || return 1
	rm_manifest done.yaml
	wait_for 'pod_gone done' 10 "done gone" || return 1
}

case_onfailure_fail() {
	pod_yaml retry 'echo retry; exit 1' OnFailure 2 | put_manifest retry.yaml
	wait_for '[ "$(pod_restarts retry)" -ge 1 ]' 10 "retry restarted" || return 1
	local ph
	ph=$(pod_phase retry)
	[ "$ph" = Running ] || [ "$ph" = Pending ] ||
	    fail "phase while restarting: $ph (want Running or Pending)" || return 1
	rm_manifest retry.yaml
	wait_for 'pod_gone retry' 10 "retry gone" || return 1
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "restartPolicy Never: Error, pod Failed, no restart" case_never
run_case "restartPolicy OnFailure, exit 0: Completed, pod Succeeded" case_onfailure_ok
run_case "restartPolicy OnFailure, exit 1: restarted" case_onfailure_fail
run_case "back-off: immediate, ~10 s, ~20 s; CrashLoopBackOff" case_backoff
done_testing
