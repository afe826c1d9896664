#!/bin/bash
# picolet restarts without any container noticing: SIGKILLed and started
# again it re-adopts running containers (same PIDs, same restartCount),
# learns exits it missed (and restarts those containers), removes pods whose
# manifests went away while it was down, and recovers from being killed in
# the middle of starting a pod.  SIGTERM leaves containers running; --drain
# stops them.
. "$(dirname "$0")/lib.sh"

LONG='trap "exit 0" TERM
echo up
while :; do sleep 1 & wait $!; done'

PIDS_BEFORE=()

case_setup() {
	pod_yaml keep "$LONG" Always 2 | put_manifest keep.yaml
	pod_yaml dies "$LONG" Always 2 | put_manifest dies.yaml
	pod_yaml gone "$LONG" Always 2 | put_manifest gone.yaml
	pod_yaml ticker 'trap "exit 0" TERM
i=0
while :; do i=$((i + 1)); echo tick$i; sleep 0.2 & wait $!; done' Always 2 | put_manifest ticker.yaml
	wait_for '[ "$(pod_phase keep)" = Running ] && [ "$(pod_phase dies)" = Running ] &&
	    [ "$(pod_phase gone)" = Running ] && [ "$(pod_phase ticker)" = Running ]' 15 \
	    "four pods Running" || return 1
	wait_for '[ -n "$(workload_pid keep)" ] && [ -n "$(workload_pid dies)" ] &&
	    [ -n "$(workload_pid gone)" ]' 5 "their workloads" || return 1
}

case_kill9_adopt() {
	local kpid kshim kuid dpid gpid guid
	kpid=$(workload_pid keep)
	kshim=$(shim_pid keep)
	kuid=$(pod_uid keep)
	dpid=$(workload_pid dies)
	gpid=$(workload_pid gone)
	guid=$(pod_uid gone)
	kill9_picolet
	# While picolet is down: one workload dies, one manifest goes away.
	kill -KILL "$dpid"
	wait_for '! alive "$dpid"' 5 "dies' workload killed" || return 1
	rm_manifest gone.yaml
	alive "$kpid" || fail "keep's workload died with picolet" || return 1
	start_picolet || return 1
	# keep: adopted, same processes, same uid, no restart.
	wait_for '[ "$(pod_phase keep)" = Running ]' 10 "keep Running after restart" || return 1
	assert_eq "$(pod_uid keep)" "$kuid" "keep's uid" || return 1
	assert_eq "$(workload_pid keep)" "$kpid" "keep's workload pid" || return 1
	assert_eq "$(shim_pid keep)" "$kshim" "keep's shim pid" || return 1
	assert_eq "$(pod_restarts keep)" 0 "keep's restartCount" || return 1
	assert_eq "$(pj keep 'c0["ready"]')" true "keep ready" || return 1
	# dies: the exit was noticed and the container restarted.
	wait_for '[ "$(pod_restarts dies)" -ge 1 ]' 10 "dies restarted" || return 1
	assert_eq "$(pj dies 'c0["lastState"]["terminated"]["exitCode"]')" 137 \
	    "dies' lastState.terminated.exitCode" || return 1
	wait_for '[ "$(pod_phase dies)" = Running ] && [ -n "$(workload_pid dies)" ]' 10 \
	    "dies running again" || return 1
	assert_ne "$(workload_pid dies)" "$dpid" "dies' new workload" || return 1
	# gone: removed at start, with everything it made.
	wait_for 'pod_gone gone' 10 "gone removed" || return 1
	wait_for '! alive "$gpid"' 10 "gone's workload stopped" || return 1
	wait_for '[ ! -e "$T/run/pods/$guid" ] && [ -z "$(mounts_with "$guid")" ] &&
	    [ -z "$(cgroups_with "$guid")" ]' 10 "gone's run dir, mounts, cgroups removed" || return 1
}

case_logs_survive() {
	# The log pipe of a container adopted after a SIGKILL still works:
	# ticker's lines keep coming, none lost around the restart.
	local n
	wait_for 'pctl logs ticker | grep -q "^tick"' 10 "ticker logging" || return 1
	n=$(pctl logs ticker | tail -n 1)
	n=${n#tick}
	local s c0 c1 k0 k1 kp
	s=$(shim_pid ticker)
	kp=$(shim_pid keep)
	kill9_picolet
	c0=$(cpu_ticks "$s")
	k0=$(cpu_ticks "$kp")
	# Down for 1 s on purpose: the workload writes meanwhile, and the
	# orphaned shims must stay (nearly) idle.
	sleep 1
	c1=$(cpu_ticks "$s")
	k1=$(cpu_ticks "$kp")
	note "shim CPU while picolet was down: ticker $((c1 - c0)), keep $((k1 - k0)) ticks in 1 s"
	assert_between $((k1 - k0)) 0 2 "CPU ticks of keep's idle shim in 1 s" || return 1
	assert_between $((c1 - c0)) 0 10 "CPU ticks of ticker's shim in 1 s" || return 1
	start_picolet || return 1
	wait_for 'pctl logs ticker | grep -qx "tick$((n + 8))"' 10 "ticker's lines after the restart" || return 1
	local seq got all
	all=$(pctl logs ticker | grep '^tick' | tr -d tick)
	got=$(printf '%s\n' "$all" | tr '\n' ' ')
	seq=$(seq 1 "$(printf '%s\n' "$all" | tail -n 1)" | tr '\n' ' ')
	assert_eq "$got" "$seq" "ticks 1..N, none lost or doubled" || return 1
	assert_eq "$(pod_restarts ticker)" 0 "ticker's restartCount" || return 1
}

case_sigterm_keeps() {
	local kpid
	kpid=$(workload_pid keep)
	stop_picolet
	assert_eq "$PICOLET_RC" 0 "picolet exit status on SIGTERM" || return 1
	alive "$kpid" || fail "keep's workload stopped with picolet (no --drain)" || return 1
	start_picolet || return 1
	wait_for '[ "$(pod_phase keep)" = Running ]' 10 "keep Running" || return 1
	assert_eq "$(workload_pid keep)" "$kpid" "keep's workload pid" || return 1
	assert_eq "$(pod_restarts keep)" 0 "keep's restartCount" || return 1
}

case_kill9_while_starting() {
	local i n uid ku du tu
	ku=$(pod_uid keep)
	du=$(pod_uid dies)
	tu=$(pod_uid ticker)
	pod_yaml racy "$LONG" Always 2 | put_manifest racy.yaml
	# Kill picolet as soon as it has begun to make the pod (its run dir
	# appears), or after about 0.3 s at worst.
	for i in $(seq 1 30); do
		[ -n "$(ls "$T/run/pods" 2>/dev/null | grep -v -e "$ku" -e "$du" -e "$tu")" ] && break
		sleep 0.01
	done
	note "killing picolet after $i polls; run dirs: $(ls "$T/run/pods" | tr '\n' ' ')"
	kill9_picolet
	start_picolet || return 1
	wait_for '[ "$(pod_phase racy)" = Running ] && [ -n "$(workload_pid racy)" ]' 15 \
	    "racy Running after the restart" || return 1
	uid=$(pod_uid racy)
	# Exactly one shim for the container; nothing from a half-made pod.
	n=$(pids_cmdline "$T/run/pods/$uid/main" | wc -l)
	assert_eq "$n" 1 "shims of racy" || return 1
	n=$(pids_cmdline "$T/run/pods/" | wc -l)
	assert_eq "$n" 4 "shims in total (keep, dies, ticker, racy)" || return 1
	n=$(ls "$T/run/pods" | wc -l)
	assert_eq "$n" 4 "pod run dirs" || return 1
}

case_kill9_while_stopping() {
	# SIGKILL in the middle of a grace period: after the restart the pod
	# still goes, with everything it made.
	local pid uid t0
	pod_yaml slowstop 'echo up; while :; do sleep 1; done' Always 3 | put_manifest slowstop.yaml
	wait_for '[ "$(pod_phase slowstop)" = Running ] && [ -n "$(workload_pid slowstop)" ]' 10 \
	    "slowstop Running" || return 1
	pid=$(workload_pid slowstop)
	uid=$(pod_uid slowstop)
	rm_manifest slowstop.yaml
	# Let the stop begin (SIGTERM sent, ignored by this PID 1).
	sleep 0.7
	alive "$pid" || fail "slowstop died before its grace period ended" || return 1
	kill9_picolet
	t0=$(now_ms)
	start_picolet || return 1
	wait_for '! alive "$pid" && pod_gone slowstop' 10 "slowstop gone after the restart" || return 1
	note "slowstop gone $(($(now_ms) - t0)) ms after picolet came back"
	wait_for '[ ! -e "$T/run/pods/$uid" ] && [ -z "$(mounts_with "$uid")" ] &&
	    [ -z "$(cgroups_with "$uid")" ]' 10 "slowstop's run dir, mounts, cgroups removed" || return 1
	[ "$(pod_phase keep)" = Running ] || fail "keep is $(pod_phase keep)" || return 1
}

case_drain() {
	local pids p
	pids="$(workload_pid keep) $(workload_pid dies) $(workload_pid racy) $(workload_pid ticker)"
	stop_picolet
	start_picolet --drain || return 1
	wait_for '[ "$(pod_phase keep)" = Running ] && [ "$(pod_phase racy)" = Running ]' 10 \
	    "pods re-adopted" || return 1
	stop_picolet
	for p in $pids; do
		if alive "$p"; then
			fail "workload $p still runs after picolet --drain stopped"
			return 1
		fi
	done
	[ -z "$(pids_cmdline "$T/run/pods/")" ] || fail "shims left after --drain" || return 1
	[ -z "$(mounts_with "$T/run/")" ] || note "mounts left after --drain: $(mounts_with "$T/run/" | tr '\n' ' ')"
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "four pods running" case_setup
run_case "SIGKILL + restart: adopted, missed exit, removed manifest" case_kill9_adopt
run_case "adopted container's log pipe intact" case_logs_survive
run_case "SIGTERM leaves containers running; re-adopted" case_sigterm_keeps
run_case "SIGKILL while a pod starts: one container after restart" case_kill9_while_starting
run_case "SIGKILL during a grace period: the pod still goes" case_kill9_while_stopping
run_case "--drain stops every pod on SIGTERM" case_drain
done_testing
