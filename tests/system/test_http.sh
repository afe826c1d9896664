#!/bin/bash
# The HTTP API on the Unix socket: /healthz, /api/v1/pods (PodList),
# /api/v1/namespaces/{ns}/pods[/{name}[/log]], /api/v1/events, errors for
# unknown paths and bad requests, keep-alive; picolet survives bad clients.
# On the TCP listener ([api] listen), a 70 KB request head is answered 431
# and the connection ends cleanly (no reset that could eat the answer).
. "$(dirname "$0")/lib.sh"

TCP_PORT=18090

# raw REQUEST-BYTES: send them on the socket, print the whole answer.
raw() {
	python3 - "$T/picolet.sock" "$1" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
try:
    s.sendall(sys.argv[2].encode("latin-1").decode("unicode_escape").encode("latin-1"))
except (BrokenPipeError, ConnectionResetError):
    pass
out = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
except (socket.timeout, ConnectionResetError):
    pass
sys.stdout.write(out.decode("latin-1"))
EOF
}

case_pod() {
	pod_yaml web 'echo hello-http; trap "exit 0" TERM; while :; do sleep 1 & wait $!; done' | put_manifest web.yaml
	wait_for '[ "$(pod_phase web)" = Running ]' 10 "web Running" || return 1
}

case_healthz() {
	local b
	b=$(http_get /healthz) || fail "GET /healthz" || return 1
	note "/healthz: $b"
}

case_pods() {
	local b
	b=$(http_get /api/v1/pods) || fail "GET /api/v1/pods" || return 1
	assert_eq "$(printf '%s' "$b" | jeval 'd["kind"]')" PodList "kind" || return 1
	assert_eq "$(printf '%s' "$b" | jeval 'd["apiVersion"]')" v1 "apiVersion" || return 1
	assert_eq "$(printf '%s' "$b" | jeval '[i["metadata"]["name"] for i in d["items"]]')" '["web"]' "items" || return 1
	assert_eq "$(printf '%s' "$b" | jeval 'd["items"][0]["status"]["phase"]')" Running "phase" || return 1
	b=$(http_get /api/v1/namespaces/default/pods) || fail "GET /api/v1/namespaces/default/pods" || return 1
	assert_eq "$(printf '%s' "$b" | jeval 'd["kind"]')" PodList "namespaced list kind" || return 1
	b=$(http_get /api/v1/namespaces/other/pods) || fail "GET /api/v1/namespaces/other/pods" || return 1
	assert_eq "$(printf '%s' "$b" | jeval 'len(d["items"])')" 0 "pods in namespace other" || return 1
}

case_pod_one() {
	local b
	b=$(http_get /api/v1/namespaces/default/pods/web) || fail "GET .../pods/web" || return 1
	assert_eq "$(printf '%s' "$b" | jeval 'd["kind"]')" Pod "kind" || return 1
	assert_eq "$(printf '%s' "$b" | jeval 'd["metadata"]["name"]')" web "name" || return 1
	assert_eq "$(printf '%s' "$b" | jeval 'd["metadata"]["namespace"]')" default "namespace" || return 1
	assert_match "$(printf '%s' "$b" | jeval 'd["metadata"]["uid"]')" '^[0-9a-f-]{8,}$' "uid" || return 1
	assert_eq "$(printf '%s' "$b" | jeval 'c0["name"]')" main "containerStatuses[0].name" || return 1
	assert_eq "$(printf '%s' "$b" | jeval '"running" in c0["state"]')" true "state.running" || return 1
	assert_eq "$(printf '%s' "$b" | jeval 'c0["ready"]')" true "ready" || return 1
	assert_eq "$(printf '%s' "$b" | jeval 'c0["restartCount"]')" 0 "restartCount" || return 1
	assert_match "$(printf '%s' "$b" | jeval 'c0["containerID"]')" '^[a-z]+://.+' "containerID" || return 1
	assert_match "$(printf '%s' "$b" | jeval 'c0["imageID"]')" 'sha256:[0-9a-f]{64}' "imageID" || return 1
	assert_match "$(printf '%s' "$b" | jeval '" ".join(sorted(c["type"] + "=" + c["status"] for c in st["conditions"]))')" \
	    'ContainersReady=True.*Initialized=True.*Ready=True' "conditions" || return 1
	local ip
	ip=$(printf '%s' "$b" | jeval 'st.get("podIP", "")')
	note "podIP: ${ip:-none}"
	if ! http_get /api/v1/namespaces/default/pods/nosuch >/dev/null 2>&1; then :; else
		fail "GET .../pods/nosuch succeeded"
		return 1
	fi
}

case_log() {
	local b
	b=$(http_get /api/v1/namespaces/default/pods/web/log) || fail "GET .../web/log" || return 1
	assert_contains "$b" hello-http "log body" || return 1
}

case_events() {
	local b
	b=$(http_get /api/v1/events) || fail "GET /api/v1/events" || return 1
	assert_eq "$(printf '%s' "$b" | jeval 'd["kind"]')" EventList "kind" || return 1
	assert_match "$(printf '%s' "$b" | jeval '" ".join(e.get("reason", "") for e in d["items"])')" \
	    'Started' "a Started event" || return 1
}

case_errors() {
	local a
	a=$(raw 'GET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
	assert_match "$(printf '%s' "$a" | head -n 1)" '^HTTP/1\.1 404' "unknown path" || return 1
	a=$(raw 'BLAH\r\n\r\n')
	assert_match "$(printf '%s' "$a" | head -n 1)" '^HTTP/1\.[01] 4[0-9][0-9]' "garbage request" || return 1
	a=$(raw "GET / HTTP/1.1\r\nX: $(head -c 70000 /dev/zero | tr '\0' a)\r\n\r\n")
	assert_match "$(printf '%s' "$a" | head -n 1)" '^HTTP/1\.1 431 Request Header Fields Too Large' \
	    "huge header" || return 1
	a=$(raw 'POST /api/v1/pods HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n')
	assert_match "$(printf '%s' "$a" | head -n 1)" '^HTTP/1\.1 (405|404|400)' "POST" || return 1
	http_get /healthz >/dev/null || fail "/healthz after bad requests" || return 1
	alive "$PICOLET_PID" || fail "picolet died" || return 1
}

case_tcp_huge_header() {
	local out
	# The whole head is sent before anything is read, as a simple client
	# does; then the answer is read to the end: EOF, or "reset".
	out=$(nsenter --net="/run/netns/$NETNS" -- python3 - "$TCP_PORT" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
try:
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
except (BrokenPipeError, ConnectionResetError) as e:
    print("send: %s" % e)
out = b""
try:
    while True:
        b = s.recv(65536)
        if not b:
            break
        out += b
    end = "EOF"
except ConnectionResetError:
    end = "reset"
print(out.split(b"\r\n")[0].decode("latin-1"))
print(end)
EOF
)
	note "answer: $(echo $out)"
	assert_eq "$out" "HTTP/1.1 431 Request Header Fields Too Large
EOF" "431, then EOF" || return 1
	nsenter --net="/run/netns/$NETNS" -- curl -sS --max-time 5 -o /dev/null \
	    "http://127.0.0.1:$TCP_PORT/healthz" || fail "/healthz over TCP after it" || return 1
}

case_keepalive() {
	local a n
	a=$(raw 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /api/v1/pods HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
	n=$(printf '%s\n' "$a" | grep -o 'HTTP/1\.1 200' | wc -l)
	assert_eq "$n" 2 "answers on one connection" || return 1
}

case_many_clients() {
	# Idle connections must not stop the server from answering others.
	python3 - "$T/picolet.sock" <<'EOF' &
import socket, sys, time
ss = []
for i in range(50):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.sendall(b"GET /healthz HTTP/1.1\r\n")
    ss.append(s)
time.sleep(3)
EOF
	local p=$!
	BG_PIDS+=($p)
	sleep 0.5
	http_get /healthz >/dev/null || fail "/healthz with 50 idle clients" || return 1
	wait "$p"
}

import_busybox || { not_ok "import busybox"; done_testing; }
sed -i "s|^socket = .*|&\nlisten = 127.0.0.1:$TCP_PORT|" "$T/picolet.conf"
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "pod web running" case_pod
run_case "/healthz" case_healthz
run_case "/api/v1/pods: PodList" case_pods
run_case "/api/v1/namespaces/default/pods/web: Pod" case_pod_one
run_case "/api/v1/namespaces/default/pods/web/log" case_log
run_case "/api/v1/events: EventList" case_events
run_case "unknown paths, bad requests: 4xx, server lives" case_errors
run_case "TCP: a 70 KB request head is answered 431, closed cleanly" case_tcp_huge_header
run_case "keep-alive: two requests, one connection" case_keepalive
run_case "50 idle clients" case_many_clients
done_testing
