#!/bin/bash
# postStart and preStop hooks, as kubelet runs them:
#  - postStart runs right after the start and the container is not
#    Running until it is done; what it writes, the workload sees;
#  - a failing postStart is a FailedPostStartHook event and kills the
#    container, which is restarted; one that never returns is cut;
#  - preStop (exec, httpGet) runs before SIGTERM: the workload logs the
#    hook, then the signal, in that order; a preStop that never returns
#    is cut by the grace period and the pod is gone soon after.
# The hooks write into the container's log through /proc/1/fd/1 (the
# workload's stdout), so the order of events is the order of log lines.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/jq.sh"

SPIN='trap "echo got TERM; exit 0" TERM
while :; do sleep 1 & wait $!; done'

# hpod NAME SCRIPT EXTRA [GRACE]: pod NAME, container "main" running sh -c
# SCRIPT; EXTRA holds more container fields, at the container's level.
hpod() {
	local name=$1 script=$2 extra=$3 grace=${4:-5}
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
spec:
  terminationGracePeriodSeconds: $grace
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command:
    - sh
    - -c
    - |
$(printf '%s\n' "$script" | sed 's/^/      /')
$(printf '%s\n' "$extra" | sed 's/^/    /')
EOF
}

q() {
	pctl get pods "$1" -o json 2>/dev/null |
	    jq -r '.status.containerStatuses[0] as $C | '"$2" 2>/dev/null
}
restarts() { q "$1" '$C.restartCount'; }
cstate() { q "$1" '$C.state | keys[0]'; }
events() {	# POD [REASON]: "count<TAB>reason<TAB>message"
	http_get /api/v1/namespaces/default/events 2>/dev/null |
	    jq -r --arg p "$1" --arg r "${2:-}" '.items[] |
	    select(.involvedObject.name == $p and ($r == "" or .reason == $r)) |
	    "\(.count)\t\(.reason)\t\(.message)"'
}
# follow_log POD OUT: copy the container's log as it grows (the pod's log
# dir goes away with the pod; tail keeps the open file).
follow_log() {
	local uid f
	uid=$(q "$1" .metadata.uid)
	f=$T/logs/default_$1_$uid/main/0.log
	wait_for '[ -f "$f" ]' 10 "log file $f" || return 1
	tail -n +1 -f "$f" >"$2" 2>/dev/null &
	BG_PIDS+=($!)
}
msgs() { sed -n 's/^[^ ]* std[a-z]* [FP] //p' "$1"; }

case_post_start() {
	local t0 t1
	# The hook takes 3 s; the workload waits for its file.
	hpod pstart "while [ ! -f /tmp/hook ]; do sleep 0.1; done
echo \"saw \$(cat /tmp/hook)\"
$SPIN" 'lifecycle:
  postStart:
    exec:
      command: [sh, -c, "sleep 3; echo written-by-hook >/tmp/hook"]' | put_manifest pstart.yaml
	t0=$(now_ms)
	wait_for '[ "$(cstate pstart)" = waiting ] || [ "$(cstate pstart)" = running ]' 10 \
	    "pstart has a state" || return 1
	wait_for '[ "$(cstate pstart)" = running ]' 15 "pstart running" || return 1
	t1=$(now_ms)
	note "pstart: Running $((t1 - t0)) ms after the manifest (postStart takes 3 s)"
	assert_between $((t1 - t0)) 3000 9000 "Running only after the hook (ms)" || return 1
	wait_for 'pctl logs pstart | grep -qx "saw written-by-hook"' 10 \
	    "the workload saw the hook's file" || return 1
	assert_eq "$(restarts pstart)" 0 "restartCount" || return 1
	assert_eq "$(events pstart FailedPostStartHook)" "" "no FailedPostStartHook" || return 1
	gone pstart
}

case_post_start_fails() {
	hpod pfail "echo up
$SPIN" 'lifecycle:
  postStart:
    exec:
      command: [sh, -c, "echo hook says no; exit 3"]' 1 | put_manifest pfail.yaml
	wait_for '[ -n "$(events pfail FailedPostStartHook)" ]' 15 "FailedPostStartHook" || return 1
	local ev
	ev=$(events pfail FailedPostStartHook)
	note "pfail: $ev"
	assert_contains "$ev" "exited with 3" "event has the exit code" || return 1
	assert_contains "$ev" "hook says no" "event has the hook's output" || return 1
	wait_for '[ "$(restarts pfail)" -ge 1 ]' 15 "pfail restarted" || return 1
	assert_ne "$(q pfail '$C.ready')" true "never ready" || return 1
	gone pfail
}

case_post_start_hangs() {
	local t0 t1
	# Bounded by the grace period (2 s): then FailedPostStartHook.
	hpod phang "$SPIN" 'lifecycle:
  postStart:
    exec:
      command: [sleep, "100"]' 2 | put_manifest phang.yaml
	t0=$(now_ms)
	wait_for '[ -n "$(events phang FailedPostStartHook)" ]' 15 "FailedPostStartHook" || return 1
	t1=$(now_ms)
	note "phang: $(events phang FailedPostStartHook) after $((t1 - t0)) ms"
	assert_between $((t1 - t0)) 1500 8000 "hook cut after (ms)" || return 1
	assert_ne "$(cstate phang)" running "never Running" || return 1
	wait_for '[ "$(restarts phang)" -ge 1 ]' 15 "phang restarted" || return 1
	gone phang
}

# prestop_order POD: the log has the hook's line, then "got TERM".
prestop_order() {
	local pod=$1 pid t0 t1 m
	follow_log "$pod" "$T/$pod.log" || return 1
	wait_for 'pctl logs $pod | grep -qx up' 10 "$pod up" || return 1
	t0=$(now_ms)
	rm_manifest "$pod.yaml"
	wait_for 'absent $pod' 15 "$pod gone" || return 1
	t1=$(now_ms)
	note "$pod: gone $((t1 - t0)) ms after the manifest went"
	wait_for 'grep -q "got TERM" "$T/$pod.log"' 5 "got TERM in the log" || return 1
	m=$(msgs "$T/$pod.log")
	note "$pod log: $(echo $m)"
	assert_match "$m" $'up\npreStop [^\n]*\n(.*\n)?got TERM' "preStop, then SIGTERM" || return 1
	# The hook took 1 s, the workload exits at once on SIGTERM.
	assert_between $((t1 - t0)) 900 4500 "time to stop (ms)" || return 1
}

case_pre_stop_exec() {
	hpod prex "echo up
$SPIN" 'lifecycle:
  preStop:
    exec:
      command: [sh, -c, "echo preStop exec >/proc/1/fd/1; sleep 1"]' 10 | put_manifest prex.yaml
	wait_for '[ "$(cstate prex)" = running ]' 10 "prex running" || return 1
	prestop_order prex
}

case_pre_stop_http() {
	# nc answers the hook's GET and writes the path into the log.
	hpod prhttp "cat >/srv.sh <<'SRV'
#!/bin/sh
read -r m p v
echo \"preStop http \$p\" >/proc/1/fd/1
sleep 1
printf 'HTTP/1.0 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n'
SRV
chmod +x /srv.sh
nc -ll -p 8080 -e /srv.sh &
echo up
$SPIN" 'lifecycle:
  preStop:
    httpGet: {path: /shutdown, port: 8080}' 10 | put_manifest prhttp.yaml
	wait_for '[ "$(cstate prhttp)" = running ]' 10 "prhttp running" || return 1
	prestop_order prhttp || return 1
	assert_contains "$(msgs "$T/prhttp.log")" "preStop http /shutdown" "the hook's request" || return 1
}

case_pre_stop_hangs() {
	local t0 t1 pid
	# No SIGTERM handler and a hook that never returns: all of it is
	# bounded by the grace period (3 s).
	hpod prhang 'echo up
while :; do sleep 1; done' 'lifecycle:
  preStop:
    exec:
      command: [sleep, "100"]' 3 | put_manifest prhang.yaml
	wait_for '[ "$(cstate prhang)" = running ]' 10 "prhang running" || return 1
	t0=$(now_ms)
	rm_manifest prhang.yaml
	wait_for 'absent prhang' 20 "prhang gone" || return 1
	t1=$(now_ms)
	note "prhang: gone $((t1 - t0)) ms after the manifest went (grace 3 s)"
	assert_between $((t1 - t0)) 2800 7000 "time to stop (ms)" || return 1
	local ev
	ev=$(events prhang FailedPreStopHook)
	note "prhang: $ev"
	assert_contains "$ev" "PreStopHook failed" "FailedPreStopHook event" || return 1
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "postStart: Running after it, the workload sees its file" case_post_start
run_case "postStart fails: FailedPostStartHook, restart" case_post_start_fails
run_case "postStart never returns: cut by the grace period" case_post_start_hangs
run_case "preStop exec runs before SIGTERM" case_pre_stop_exec
run_case "preStop httpGet runs before SIGTERM" case_pre_stop_http
run_case "preStop never returns: pod gone within the grace period" case_pre_stop_hangs
done_testing
