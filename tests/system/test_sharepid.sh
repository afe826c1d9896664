#!/bin/bash
# shareProcessNamespace: the pod's containers share one pid namespace whose
# PID 1 is the pod's pause process; each sees the other's processes, and a
# workload is not PID 1.  The pause outlives a restart of picolet, and goes
# with the pod.
. "$(dirname "$0")/lib.sh"

share_yaml() {
	cat <<'EOF2'
apiVersion: v1
kind: Pod
metadata:
  name: shared
spec:
  shareProcessNamespace: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: server
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "exec sleep 3600"]
  - name: looker
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"]
EOF2
}

# What `ps` shows in the looker container (pid and command per line).
procs() { pctl exec shared -c looker -- ps -o pid,comm 2>/dev/null; }

case_shared() {
	share_yaml | put_manifest shared.yaml
	wait_for '[ "$(pod_status_col shared)" = Running ] &&
	    [ "$(pj shared "sum(1 for c in st[\"containerStatuses\"] if c[\"ready\"])")" = 2 ]' \
	    20 "both containers Running" || return 1
	local ps one
	ps=$(procs)
	note "$(printf '%s\n' "$ps" | tr '\n' '|')"
	# The server's sleep is visible from the other container.
	assert_match "$ps" $'\n *[0-9]+ +sleep' "the server's sleep seen from looker" || return 1
	# PID 1 is the pause, not a workload.
	one=$(printf '%s\n' "$ps" | awk '$1 == 1 { print $2 }')
	assert_ne "$one" sleep "PID 1" || return 1
	assert_ne "$one" sh "PID 1" || return 1
	assert_ne "$one" "" "PID 1 present" || return 1
	[ -n "$(ls "$T"/run/pods/*/ns/pause 2>/dev/null)" ] ||
	    fail "no pause record in the pod's ns dir" || return 1
}

case_pause_survives_restart() {
	local before after
	before=$(awk '{ print $1 }' "$T"/run/pods/*/ns/pause)
	kill9_picolet || return 1
	start_picolet || return 1
	wait_for '[ "$(pod_status_col shared)" = Running ]' 20 "shared Running after restart" ||
	    return 1
	after=$(awk '{ print $1 }' "$T"/run/pods/*/ns/pause)
	assert_eq "$after" "$before" "pause pid across the restart" || return 1
	alive "$before" || fail "pause $before died" || return 1
	assert_match "$(procs)" $'\n *[0-9]+ +sleep' "processes still shared" || return 1
}

case_gone_with_pod() {
	local pause
	pause=$(awk '{ print $1 }' "$T"/run/pods/*/ns/pause)
	rm_manifest shared.yaml
	wait_for 'pod_gone shared' 15 "shared gone" || return 1
	wait_for '! alive "$pause"' 5 "pause $pause gone" || return 1
	assert_eq "$(ls "$T/run/pods" | wc -l)" 0 "run dirs left" || return 1
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "two containers share one pid namespace under a pause" case_shared
run_case "the pause survives a restart of picolet" case_pause_survives_restart
run_case "the pause goes with the pod" case_gone_with_pod
done_testing
