#!/bin/bash
# httpGet probes with scheme HTTPS, against a real TLS server: openssl
# s_server, started by the test in picolet's network namespace with a
# throwaway self-signed certificate made here (kubelet does not verify a
# probe's certificate, so neither does picolet).  The pods are
# hostNetwork, so their probes go to picolet's namespace, where the
# server listens (-HTTP: each file holds a whole response):
#  - HTTPS to a path answering 200: the pod turns Ready, no Unhealthy
#    event once it is, no restart;
#  - HTTPS to a path answering 500: unready, the status in the event;
#  - HTTPS to a plain HTTP server (busybox httpd in the pod): the
#    handshake fails, the event says the server spoke plain HTTP;
#  - plain HTTP to the TLS server: a malformed response.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || { not_ok "$TEST_NAME: needs jq"; exit 1; }
command -v openssl >/dev/null || { not_ok "$TEST_NAME: needs openssl (make deps)"; exit 1; }

TLS_PORT=18443
PLAIN_PORT=18081
SPIN='trap "exit 0" TERM
while :; do sleep 1 & wait $!; done'

# hpod NAME SCRIPT PROBE: a hostNetwork pod, container "main" running sh
# -c SCRIPT, with PROBE (YAML at the container's level).
hpod() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command:
    - sh
    - -c
    - |
$(printf '%s\n' "$2" | sed 's/^/      /')
$(printf '%s\n' "$3" | sed 's/^/    /')
EOF
}

q() {
	pctl get pods "$1" -o json 2>/dev/null |
	    jq -r '.status.containerStatuses[0] as $C | '"$2" 2>/dev/null
}
ready_of() { q "$1" '$C.ready'; }
# events POD [REASON]: "count<TAB>reason<TAB>message" of the pod's events.
events() {
	http_get /api/v1/namespaces/default/events 2>/dev/null |
	    jq -r --arg p "$1" --arg r "${2:-}" '.items[] |
	    select(.involvedObject.name == $p and ($r == "" or .reason == $r)) |
	    "\(.count)\t\(.reason)\t\(.message)"'
}
ev_count() {	# POD REASON [SUBSTRING]
	events "$1" "$2" | awk -F'\t' -v s="${3:-}" \
	    's == "" || index($3, s) { n += $1 } END { print n + 0 }'
}
in_netns() { nsenter --net="/run/netns/$NETNS" -- "$@"; }
listening() { in_netns bash -c "echo >/dev/tcp/127.0.0.1/$1" 2>/dev/null; }

# The certificate (EC P-256: quick to make) and the server's answers.
start_tls_server() {
	local d=$T/tls
	mkdir -p "$d/www" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 \
	    -nodes -keyout "$d/key.pem" -out "$d/cert.pem" -days 1 \
	    -subj /CN=picolet-probe-test >"$d/req.log" 2>&1 ||
	    { sed 's/^/#     /' "$d/req.log"; fail "openssl req"; return 1; }
	printf 'HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n' \
	    >"$d/www/ok.txt"
	printf 'HTTP/1.0 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n' \
	    >"$d/www/fail.txt"
	(cd "$d/www" && exec nsenter --net="/run/netns/$NETNS" -- openssl \
	    s_server -quiet -HTTP -accept "$TLS_PORT" -cert "$d/cert.pem" \
	    -key "$d/key.pem" </dev/null >"$d/server.log" 2>&1) &
	BG_PIDS+=($!)
	wait_for "listening $TLS_PORT" 10 "s_server listening" ||
	    { sed 's/^/#     /' "$d/server.log"; return 1; }
	# The server speaks TLS with that certificate.
	assert_contains "$(in_netns openssl s_client -connect 127.0.0.1:$TLS_PORT \
	    </dev/null 2>/dev/null)" "CN = picolet-probe-test" "s_server's certificate"
}

launch() {
	hpod tlsok "$SPIN" "readinessProbe:
  httpGet: {scheme: HTTPS, path: /ok.txt, port: $TLS_PORT}
  periodSeconds: 1
livenessProbe:
  httpGet: {scheme: HTTPS, path: /ok.txt, port: $TLS_PORT}
  periodSeconds: 1" | put_manifest tlsok.yaml
	hpod tls500 "$SPIN" "readinessProbe:
  httpGet: {scheme: HTTPS, path: /fail.txt, port: $TLS_PORT}
  periodSeconds: 1" | put_manifest tls500.yaml
	hpod tlsplain "mkdir -p /www && echo ok >/www/index.html && httpd -p $PLAIN_PORT -h /www
$SPIN" "readinessProbe:
  httpGet: {scheme: HTTPS, path: /index.html, port: $PLAIN_PORT}
  periodSeconds: 1" | put_manifest tlsplain.yaml
	hpod plaintls "$SPIN" "readinessProbe:
  httpGet: {path: /ok.txt, port: $TLS_PORT}
  periodSeconds: 1" | put_manifest plaintls.yaml
}

case_ok() {
	wait_for '[ "$(ready_of tlsok)" = true ]' 20 "tlsok ready" || return 1
	local n0
	n0=$(ev_count tlsok Unhealthy)
	note "Unhealthy events before Ready (server start race): $n0"
	# Several more probes over TLS, each a success.
	sleep 3
	assert_eq "$(ready_of tlsok)" true "still ready" || return 1
	assert_eq "$(ev_count tlsok Unhealthy)" "$n0" "Unhealthy events once ready" || return 1
	assert_eq "$(q tlsok '$C.restartCount')" 0 "restartCount" || return 1
	assert_eq "$(q tlsok '.status.conditions[] | select(.type == "Ready") | .status')" True \
	    "Ready condition" || return 1
}

case_500() {
	wait_for '[ "$(ev_count tls500 Unhealthy "statuscode: 500")" -ge 2 ]' 20 \
	    "two Unhealthy events with the status" || return 1
	assert_contains "$(events tls500 Unhealthy)" \
	    "Readiness probe failed: HTTP probe failed with statuscode: 500" "event" || return 1
	assert_eq "$(ready_of tls500)" false "ready" || return 1
}

case_plain_server() {
	wait_for '[ "$(ev_count tlsplain Unhealthy "Get \"https://")" -ge 2 ]' 20 \
	    "two Unhealthy events" || return 1
	local ev
	ev=$(events tlsplain Unhealthy | grep -v 'Connection refused' | head -n 1)
	note "HTTPS to plain HTTP: $ev"
	assert_match "$ev" "Readiness probe failed: Get \"https://[^\"]+:$PLAIN_PORT/index.html\": " \
	    "event names the URL" || return 1
	assert_contains "$ev" "tls handshake: server gave HTTP response to HTTPS client" \
	    "event says why" || return 1
	assert_eq "$(ready_of tlsplain)" false "ready" || return 1
}

case_plain_probe() {
	wait_for '[ "$(ev_count plaintls Unhealthy "malformed response")" -ge 2 ]' 20 \
	    "two Unhealthy 'malformed response'" || return 1
	note "HTTP to TLS: $(events plaintls Unhealthy | head -n 1)"
	assert_eq "$(ready_of plaintls)" false "ready" || return 1
	alive "$PICOLET_PID" || fail "picolet died" || return 1
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "openssl s_server with a self-signed certificate in picolet's netns" start_tls_server
[ "$FAILED" = 0 ] || done_testing
launch
run_case "HTTPS probe, 200: Ready, certificate not verified" case_ok
run_case "HTTPS probe, 500: unready, the status in the event" case_500
run_case "HTTPS probe to a plain HTTP server: handshake fails, clear event" case_plain_server
run_case "HTTP probe to a TLS server: malformed response" case_plain_probe
done_testing
