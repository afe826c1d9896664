#!/bin/bash
# An exhausted pod CIDR: with pod_cidr 10.99.0.0/30 there is one pod
# address (10.99.0.1 is the bridge's).  A second pod waits in
# ContainerCreating with a FailedCreatePodSandBox event that names the
# CIDR as exhausted, the first keeps running and answering; when the
# first is deleted the second gets the freed address and starts by itself;
# a restart of picolet in between changes nothing of that.
. "$(dirname "$0")/lib.sh"

inns() { nsenter --net="/run/netns/$NETNS" -- "$@"; }
pod_ip() { pj "$1" 'st.get("podIP", "")'; }

web_pod() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "mkdir -p /www && hostname >/www/index.html && exec httpd -f -p 8080 -h /www"]
EOF
}

fetch() {
	inns python3 - "$1" "$2" <<'EOF'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
b = b""
while True:
    c = s.recv(4096)
    if not c:
        break
    b += c
print(b.split(b"\r\n\r\n", 1)[-1].decode().strip())
EOF
} 2>/dev/null

events_of() { pctl get events 2>&1 | grep -F -- "$1"; }

case_first() {
	web_pod a | put_manifest a.yaml
	wait_for '[ "$(pod_phase a)" = Running ] && [ -n "$(pod_ip a)" ]' 15 "a Running" || return 1
	assert_eq "$(pod_ip a)" 10.99.0.2 "a has the one pod address" || return 1
	wait_for '[ "$(fetch 10.99.0.2 8080)" = a ]' 5 "a answers" || return 1
}

case_exhausted() {
	web_pod b | put_manifest b.yaml
	wait_for 'events_of FailedCreatePodSandBox | grep -q "pod/b"' 10 \
	    "a FailedCreatePodSandBox event for b" ||
	    { pctl get events 2>&1 | tail -n 5 | sed 's/^/#     /'; return 1; }
	local ev
	ev=$(events_of FailedCreatePodSandBox)
	note "$ev"
	assert_contains "$ev" "pod CIDR 10.99.0.0/30 is exhausted" \
	    "the event names the CIDR as exhausted" || return 1
	assert_eq "$(pod_phase b)" Pending "b's phase" || return 1
	assert_eq "$(pod_ip b)" "" "b has no podIP" || return 1
	assert_eq "$(pod_cstate b)" "waiting:ContainerCreating" "b's container state" || return 1
	local why
	why=$(pj b 'c0["state"]["waiting"].get("reason", "") + ": " + c0["state"]["waiting"].get("message", "")')
	assert_contains "$why" "ContainerCreating: pod CIDR 10.99.0.0/30 is exhausted" \
	    "b's waiting reason and message" || return 1
	local desc
	desc=$(pctl describe pod b 2>&1)
	assert_contains "$desc" "FailedCreatePodSandBox" "describe pod b shows the event" || return 1
	# The first is untouched.
	assert_eq "$(pod_phase a)" Running "a still Running" || return 1
	assert_eq "$(fetch 10.99.0.2 8080)" a "a still answers" || return 1
	assert_eq "$(pod_restarts a)" 0 "a's restarts" || return 1
	alive "$PICOLET_PID" || fail "picolet died" || return 1
}

# picolet restarts while b waits: a is adopted with its address, b
# waits again (no mount or address of the first try left behind).
case_restart() {
	local ip uid
	ip=$(pod_ip a)
	stop_picolet
	start_picolet || return 1
	wait_for '[ "$(pod_phase a)" = Running ] && [ "$(pod_ip a)" = "$ip" ]' 10 "a adopted" || return 1
	wait_for 'events_of FailedCreatePodSandBox | grep -q "pod/b"' 10 \
	    "b waits again" || return 1
	uid=$(pod_uid b)
	assert_eq "$(pod_phase b)" Pending "b's phase" || return 1
	# Only a's and b's namespaces are mounted: none of an earlier b.
	local m
	m=$(mounts_with "$T/run/pods/" | grep -v -e "/$(pod_uid a)/" -e "/$uid/")
	[ -z "$m" ] || fail "mounts of a gone pod: $m" || return 1
	assert_eq "$(ls "$T/run/pods" | sort | tr '\n' ' ')" \
	    "$(printf '%s\n' "$(pod_uid a)" "$uid" | sort | tr '\n' ' ')" "run dirs: a's and b's" || return 1
}

case_freed() {
	rm_manifest a.yaml
	wait_for 'pod_gone a' 10 "a gone" || return 1
	# No retry timer runs for b: the release itself wakes it.
	wait_for '[ "$(pod_phase b)" = Running ] && [ "$(pod_ip b)" = 10.99.0.2 ]' 5 \
	    "b Running with the freed address" ||
	    { note "b: $(pod_phase b) $(pod_ip b)"; return 1; }
	wait_for '[ "$(fetch 10.99.0.2 8080)" = b ]' 5 "b answers on 10.99.0.2" || return 1
	grep -q "pod default/b: an address was released" "$T/picolet.log" ||
	    fail "picolet's log: b woken by the release" || return 1
}

case_cleanup() {
	rm -f "$T"/manifests/*.yaml
	wait_for '[ -z "$(pod_names)" ]' 15 "all pods gone" || return 1
	wait_for '! inns ip link show pico0' 5 "no bridge left" || return 1
	local left
	left=$(find "$T/state/ipam" -type f -name '10.99.*' 2>/dev/null)
	[ -z "$left" ] || fail "addresses left in the IPAM dir: $left" || return 1
	left=$(mounts_with "$T/run/pods/")
	[ -z "$left" ] || fail "mounts left: $left" || return 1
	left=$(ls "$T/run/pods" 2>/dev/null)
	[ -z "$left" ] || fail "run dirs left: $left" || return 1
}

import_busybox || { not_ok "import busybox"; done_testing; }
printf '[network]\npod_cidr = 10.99.0.0/30\n' >>"$T/picolet.conf"
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "a pod gets the one address of a /30" case_first
run_case "the next pod waits: FailedCreatePodSandBox, CIDR exhausted" case_exhausted
run_case "picolet restarts: a adopted, b waits again, nothing of the first try left" case_restart
run_case "the first deleted: the waiting pod gets its address and starts" case_freed
run_case "nothing left" case_cleanup
stop_picolet
done_testing
