#!/bin/bash
# Pulls through an HTTP proxy, as kubelet's runtime does: picolet started
# with HTTPS_PROXY / HTTP_PROXY (credentials in the URL) reaches a
# registry on a non-loopback address of its namespace only through the
# proxy (a CONNECT tunnel for TLS, absolute-form requests for plain
# HTTP, both logged by the proxy); NO_PROXY naming the registry's network
# sends the next pull direct.  A proxy that refuses (407) gives the pod
# ErrImagePull with the proxy's answer.
# timeout: 180
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry.sh"

REG_RUN=(nsenter --net="/run/netns/$NETNS" --)
ADDR=10.213.9.1

# A forwarding proxy on loopback: CONNECT tunnels and absolute-form
# requests; each request line goes to its log with the credentials seen.
start_proxy() {	# PORT LOG [REFUSE]
	cat >"$T/proxy.py" <<'EOF'
import re, socket, sys, threading
port, logf, refuse = int(sys.argv[1]), sys.argv[2], len(sys.argv) > 3
def log(s):
    with open(logf, "a") as f:
        f.write(s + "\n")
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    try:
        b.shutdown(socket.SHUT_WR)
    except OSError:
        pass
def handle(c):
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = c.recv(65536)
        if not d:
            return c.close()
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    auth = [l for l in lines if l.lower().startswith("proxy-authorization:")]
    log(lines[0] + " | " + (auth[0] if auth else "no auth"))
    if refuse:
        c.sendall(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
        return c.close()
    method, target, _ = lines[0].split(" ", 2)
    if method == "CONNECT":
        h, p = target.rsplit(":", 1)
        s = socket.create_connection((h, int(p)))
        c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
    else:
        m = re.match(r"http://([^/]+)(/.*)", target)
        h, _, p = m.group(1).partition(":")
        s = socket.create_connection((h, int(p or 80)))
        fwd = [method + " " + m.group(2) + " HTTP/1.1"] + [
            l for l in lines[1:] if not l.lower().startswith("proxy-")]
        s.sendall("\r\n".join(fwd).encode("latin-1") + b"\r\n\r\n" + rest)
    threading.Thread(target=pipe, args=(c, s), daemon=True).start()
    pipe(s, c)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(16)
while True:
    c, _ = srv.accept()
    threading.Thread(target=handle, args=(c,), daemon=True).start()
EOF
	"${REG_RUN[@]}" python3 "$T/proxy.py" "$@" >"$T/proxy.out" 2>&1 &
	BG_PIDS+=($!)
	wait_for "\"\${REG_RUN[@]}\" python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", $1))' 2>/dev/null" \
	    10 "the proxy listens"
}

# restart_with [VAR=VALUE...]: restart picolet with that environment
restart_with() {
	stop_picolet || return 1
	local v
	for v in HTTPS_PROXY HTTP_PROXY NO_PROXY; do unset "$v"; done
	for v; do export "${v?}"; done
	start_picolet
	local rc=$?
	for v in HTTPS_PROXY HTTP_PROXY NO_PROXY; do unset "$v"; done
	return $rc
}

pod() {	# NAME IMAGE
	pod_yaml "$1" 'trap "exit 0" TERM; while :; do sleep 1 & wait $!; done' Always 1 "$2" Always
}

case_via_proxy() {
	restart_with HTTPS_PROXY="http://puller:pw@127.0.0.1:$PPORT" \
	    HTTP_PROXY="http://puller:pw@127.0.0.1:$PPORT" NO_PROXY=example.invalid || return 1
	pod viaproxy "$REG/busybox:1" | put_manifest viaproxy.yaml
	wait_for '[ "$(pod_phase viaproxy)" = Running ]' 30 "viaproxy Running through the proxy" || return 1
	local lines
	lines=$(cat "$T/proxy.log")
	note "$(head -3 "$T/proxy.log")"
	# insecure: TLS is tried first (a tunnel), then plain HTTP (absolute
	# form) when the registry turns out to speak no TLS
	assert_contains "$lines" "CONNECT $REG HTTP/1.1" "TLS through a CONNECT tunnel" || return 1
	assert_contains "$lines" "GET http://$REG/v2/" "plain HTTP in absolute form" || return 1
	assert_contains "$lines" "Proxy-Authorization: Basic $(printf puller:pw | base64)" \
	    "with the URL's credentials" || return 1
	assert_not_contains "$lines" "no auth" "on every request" || return 1
	rm_manifest viaproxy.yaml
	wait_for 'pod_gone viaproxy' 10 "viaproxy gone" || return 1
}

case_no_proxy() {
	restart_with HTTPS_PROXY="http://127.0.0.1:$PPORT" HTTP_PROXY="http://127.0.0.1:$PPORT" \
	    NO_PROXY="localhost,10.213.9.0/24" || return 1
	: >"$T/proxy.log"
	pod direct "$REG/busybox:2" | put_manifest direct.yaml
	wait_for '[ "$(pod_phase direct)" = Running ]' 30 "direct Running" || return 1
	assert_eq "$(wc -l <"$T/proxy.log")" 0 "NO_PROXY: nothing through the proxy" || return 1
	rm_manifest direct.yaml
	wait_for 'pod_gone direct' 10 "direct gone" || return 1
}

case_refused() {
	local rport
	rport=$(free_port)
	start_proxy "$rport" "$T/refuse.log" refuse || return 1
	restart_with HTTPS_PROXY="http://127.0.0.1:$rport" HTTP_PROXY="http://127.0.0.1:$rport" || return 1
	pod refused "$REG/busybox:3" | put_manifest refused.yaml
	wait_for '[[ "$(pod_status_col refused)" =~ ^(ErrImagePull|ImagePullBackOff)$ ]]' 20 \
	    "a refusing proxy: ErrImagePull" || return 1
	assert_match "$(pctl describe pod refused 2>&1)" "407" "the proxy's answer in describe" || return 1
	rm_manifest refused.yaml
}

if ! have_registry; then
	note "docker-registry or skopeo not installed: skipped"
	ok "skipped"
	done_testing
fi
# The registry on an address of the test's namespace that is not
# loopback (loopback is never proxied), as a LAN registry would be.
ip -n "$NETNS" link add pl-reg0 type veth peer name pl-reg1 &&
    ip -n "$NETNS" addr add "$ADDR/24" dev pl-reg0 &&
    ip -n "$NETNS" link set pl-reg0 up && ip -n "$NETNS" link set pl-reg1 up ||
    { not_ok "veth pair in $NETNS"; done_testing; }
REG_ADDR=$ADDR
PORT=$(free_port)
REG=$ADDR:$PORT
start_registry reg "$PORT" || { not_ok "registry starts"; done_testing; }
for t in 1 2 3; do
	push "$REG/busybox:$t" || { not_ok "push busybox:$t"; done_testing; }
done
PPORT=$(free_port)
start_proxy "$PPORT" "$T/proxy.log" || { not_ok "proxy starts"; done_testing; }
printf '[registry.%s]\ninsecure = true\n' "$REG" >>"$T/picolet.conf"
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "HTTPS_PROXY/HTTP_PROXY: the pull goes through the proxy, with its credentials" case_via_proxy
run_case "NO_PROXY with the registry's network: direct" case_no_proxy
run_case "a proxy that refuses: ErrImagePull with its answer" case_refused
done_testing
