#!/bin/bash
# Init containers, as kubelet runs them:
#  - they run one at a time, in order, each to success, before the app
#    container; the STATUS column walks Init:0/3, Init:1/3, Init:2/3 and
#    the Initialized condition turns True; containers not made yet wait
#    with PodInitializing (never ContainerCreating), in -o json, the API
#    and describe.  Order is proven by the log
#    lines' nanosecond timestamps: each one's last line is older than the
#    next one's first;
#  - a failing one under restartPolicy Never is Init:Error, the pod
#    Failed, the app container never started; under Always it is retried
#    with back-off (Init:CrashLoopBackOff, its restartCount grows);
#  - a sidecar (restartPolicy Always on an init container) starts first,
#    lets the next ones go, and keeps running beside the app.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/jq.sh"

# ipod NAME POLICY 'NAME SCRIPT'... -- 'APP SCRIPT' [EXTRA]: a pod with
# the given init containers (NAME<TAB>SCRIPT; a NAME ending in "!" is a
# sidecar) and an app container "main".
ipod() {
	local name=$1 policy=$2 spec n s
	shift 2
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
spec:
  restartPolicy: $policy
  terminationGracePeriodSeconds: 1
  initContainers:
EOF
	while [ "$1" != -- ]; do
		n=${1%%$'\t'*} s=${1#*$'\t'}
		printf '  - name: %s\n    image: busybox\n    imagePullPolicy: IfNotPresent\n' "${n%!}"
		[ "${n%!}" != "$n" ] && printf '    restartPolicy: Always\n'
		printf '    command:\n    - sh\n    - -c\n    - |\n'
		printf '%s\n' "$s" | sed 's/^/      /'
		shift
	done
	printf '  containers:\n  - name: main\n    image: busybox\n    imagePullPolicy: IfNotPresent\n'
	printf '    command:\n    - sh\n    - -c\n    - |\n'
	printf '%s\n' "$2" | sed 's/^/      /'
}

SPIN='trap "exit 0" TERM
while :; do sleep 1 & wait $!; done'

status_col() {
	pctl get pods "$1" 2>/dev/null | awk 'NR == 2 { print $3 }'
}
# logts POD CONTAINER first|last: the first or last log line's time, ns.
logts() {
	local uid f l
	uid=$(pjq "$1" .metadata.uid)
	f=$(ls "$T/logs/default_$1_$uid/$2/"*.log 2>/dev/null | sort -V | head -n 1)
	[ -n "$f" ] || return 1
	if [ "$3" = first ]; then l=$(head -n 1 "$f"); else l=$(tail -n 1 "$f"); fi
	date -d "${l%% *}" +%s%N
}

# app_waits_initializing POD: its app container "main" and its last init
# container wait with PodInitializing in -o json, the API and describe.
app_waits_initializing() {
	local d
	assert_eq "$(pjq "$1" '.status.containerStatuses[0].state.waiting.reason')" \
	    PodInitializing "main's reason in -o json" || return 1
	assert_eq "$(pjq "$1" '.status.initContainerStatuses[-1].state.waiting.reason')" \
	    PodInitializing "the last init container's reason in -o json" || return 1
	assert_eq "$(http_get "/api/v1/namespaces/default/pods/$1" |
	    jq -r '.status.containerStatuses[0].state.waiting.reason')" \
	    PodInitializing "main's reason in the API" || return 1
	d=$(pctl describe pod "$1")
	assert_match "$(echo "$d" | sed -n '/^  main:/,$p' | grep -m1 'Reason:')" \
	    'Reason:[[:space:]]+PodInitializing$' "main's reason in describe" || return 1
	assert_not_contains "$d" ContainerCreating "describe" || return 1
}

case_order() {
	local seen="" col last="" i a b
	ipod order Always \
	    $'one\techo one-start; sleep 2; echo one-end' \
	    $'two\techo two-start; sleep 2; echo two-end' \
	    $'three\techo three-start; sleep 2; echo three-end' \
	    -- "echo main-start
$SPIN" | put_manifest order.yaml
	# Every STATUS value seen, in order, until Running; while "two"
	# runs, the app container's waiting reason everywhere a user looks.
	local deadline=$(($(now_ms) + 30000 * SCALE)) looked=""
	while [ "$(now_ms)" -lt "$deadline" ]; do
		col=$(status_col order)
		if [ -n "$col" ] && [ "$col" != "$last" ]; then
			seen="$seen $col"
			last=$col
		fi
		if [ "$col" = Init:1/3 ] && [ -z "$looked" ]; then
			looked=1
			app_waits_initializing order || return 1
		fi
		[ "$col" = Running ] && break
		sleep 0.1
	done
	note "STATUS seen:$seen"
	assert_eq "$last" Running "STATUS at the end" || return 1
	[ -n "$looked" ] || fail "Init:1/3 never seen" || return 1
	# As kubectl shows a kubelet's pod: a container not made yet in a pod
	# with init containers waits with PodInitializing (never
	# ContainerCreating), so no Init:ContainerCreating between two
	# Init:N/3 and at most PodInitializing before Running.
	assert_match "$seen" '^( Pending)* Init:0/3 Init:1/3 Init:2/3( PodInitializing)* Running$' \
	    "STATUS sequence" || return 1
	assert_eq "$(pjq order '.status.conditions[] | select(.type == "Initialized") | .status')" True \
	    "Initialized condition" || return 1
	assert_eq "$(pjq order '[.status.initContainerStatuses[] | .state.terminated.reason] | join(",")')" \
	    Completed,Completed,Completed "init containers' states" || return 1
	assert_eq "$(pjq order '[.status.initContainerStatuses[] | .name] | join(",")')" \
	    one,two,three "initContainerStatuses order" || return 1
	# The log lines' times: each ends before the next begins.
	local prev="" c
	for c in one two three main; do
		a=$(logts order $c first) || fail "no log of $c" || return 1
		if [ -n "$prev" ]; then
			note "$c's first line $(((a - prev) / 1000000)) ms after the previous one's last"
			[ "$a" -gt "$prev" ] || fail "$c started before the previous one ended" || return 1
		fi
		[ $c = main ] && break
		b=$(logts order $c last) || return 1
		# Each runs ~2 s: it was not cut short.
		assert_between $(((b - a) / 1000000)) 1800 4000 "$c's run (ms)" || return 1
		prev=$b
	done
	gone order
}

case_never() {
	ipod inever Never \
	    $'ok\ttrue' \
	    $'bad\techo failing; exit 7' \
	    $'after\techo never runs' \
	    -- "echo main never runs" | put_manifest inever.yaml
	wait_for '[ "$(pjq inever .status.phase)" = Failed ]' 20 "inever Failed" || return 1
	assert_eq "$(status_col inever)" Init:Error "STATUS" || return 1
	assert_eq "$(pjq inever '.status.initContainerStatuses[1].state.terminated.exitCode')" 7 \
	    "bad's exit code" || return 1
	assert_eq "$(pjq inever '.status.initContainerStatuses[2].state | keys[0]')" waiting \
	    "the next init container never started" || return 1
	assert_eq "$(pjq inever '.status.containerStatuses[0].state.waiting.reason')" PodInitializing \
	    "main never started" || return 1
	assert_eq "$(pjq inever '.status.conditions[] | select(.type == "Initialized") | .status')" False \
	    "Initialized condition" || return 1
	# Nothing is retried under Never: 3 s to show it.
	sleep 3
	assert_eq "$(pjq inever '.status.initContainerStatuses[1].restartCount')" 0 "bad's restartCount" || return 1
	assert_eq "$(pjq inever .status.phase)" Failed "still Failed" || return 1
	gone inever
}

case_always() {
	local col seen=0
	ipod ialways Always \
	    $'bad\techo failing; exit 1' \
	    -- "echo main never runs" | put_manifest ialways.yaml
	wait_for '[ "$(pjq ialways ".status.initContainerStatuses[0].restartCount")" -ge 1 ]' 20 \
	    "bad restarted" || return 1
	wait_for '[ "$(status_col ialways)" = Init:CrashLoopBackOff ]' 20 \
	    "Init:CrashLoopBackOff" || return 1
	assert_eq "$(pjq ialways .status.phase)" Pending "phase" || return 1
	assert_eq "$(pjq ialways '.status.initContainerStatuses[0].state.waiting.reason')" \
	    CrashLoopBackOff "bad's state" || return 1
	assert_eq "$(pjq ialways '.status.containerStatuses[0].state.waiting.reason')" PodInitializing \
	    "main waits" || return 1
	assert_eq "$(pjq ialways '.status.initContainerStatuses[0].lastState.terminated.exitCode')" 1 \
	    "bad's lastState" || return 1
	gone ialways
}

case_sidecar() {
	local a b
	ipod side Always \
	    $'proxy!\techo proxy-start\n'"$SPIN" \
	    $'setup\techo setup-done' \
	    -- "echo main-start
$SPIN" | put_manifest side.yaml
	wait_for '[ "$(pjq side ".status.containerStatuses[0].state | keys[0]")" = running ]' 20 \
	    "main running" || return 1
	assert_eq "$(pjq side '.status.initContainerStatuses[0].state | keys[0]')" running \
	    "the sidecar keeps running" || return 1
	assert_eq "$(pjq side '.status.initContainerStatuses[1].state.terminated.reason')" Completed \
	    "setup completed" || return 1
	wait_for '[ "$(pjq side .status.phase)" = Running ] && [ "$(pjq side '"'"'.status.conditions[] | select(.type == "Ready") | .status'"'"')" = True ]' 10 \
	    "side Ready" || return 1
	a=$(logts side proxy first) || fail "no proxy log" || return 1
	b=$(logts side setup first) || fail "no setup log" || return 1
	note "setup's first line $(((b - a) / 1000000)) ms after the sidecar's"
	[ "$b" -gt "$a" ] || fail "setup ran before the sidecar started" || return 1
	note "READY column: $(pctl get pods side | awk 'NR == 2 { print $2 }')"
	# Still running a while later, with the app.
	sleep 2
	assert_eq "$(pjq side '.status.initContainerStatuses[0].state | keys[0]')" running \
	    "the sidecar still runs" || return 1
	assert_eq "$(pjq side '.status.initContainerStatuses[0].restartCount')" 0 \
	    "sidecar restarts" || return 1
	gone side
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "init containers in order, Init:N/M, then the app" case_order
run_case "failing init container, restartPolicy Never: Init:Error, Failed" case_never
run_case "failing init container, restartPolicy Always: Init:CrashLoopBackOff" case_always
run_case "sidecar init container keeps running beside the app" case_sidecar
done_testing
