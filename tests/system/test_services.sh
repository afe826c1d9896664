#!/bin/bash
# Services: a ClusterIP spreads connections over its ready pods, from the
# node (the test's netns) and from a pod; a pod that turns unready leaves
# the endpoints within a probe period and gets no traffic; no ready
# endpoints is a quick reject; NodePort (not on 127.0.0.0/8); UDP; sessionAffinity ClientIP;
# hairpin; service env vars; a SIGKILLed and restarted picolet keeps the
# service answering; bad Services are errors on themselves only; the
# views (get svc/endpoints, -o json, describe, the API); deleting
# everything leaves no table, bridge or allocation behind.
. "$(dirname "$0")/lib.sh"

inns() { nsenter --net="/run/netns/$NETNS" -- "$@"; }
pod_ip() { pj "$1" 'st.get("podIP", "")'; }
svc_json() { pctl get svc "$1" -o json 2>/dev/null; }
svc_ip() { svc_json "$1" | jeval 'd["spec"]["clusterIP"]'; }
# ep_ready SVC / ep_unready SVC: sorted pod names of the Endpoints.
ep_names() {
	pctl get endpoints "$1" -o json 2>/dev/null | jeval '" ".join(sorted(a.get("targetRef", {}).get("name", a.get("ip", "")) for s in d.get("subsets") or [] for a in s.get("'"$2"'") or []))'
}
ep_ready() { ep_names "$1" addresses; }
ep_unready() { ep_names "$1" notReadyAddresses; }

# client.py MODE N HOST PORT: N connections (tcp: GET / over HTTP/1.0;
# udp: one datagram, a fresh socket each; udpsrc: the same, always from
# source port 40053, so one conntrack flow) from the test's netns; prints a
# JSON object of body -> count, errors as "ERR:<exception>".  MODE loop:
# connect every 20 ms for up to N seconds or until $T/stop exists.
write_client() {
	cat >"$T/client.py" <<'EOF'
import collections, json, os, socket, sys, time
mode, n, host, port = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
stop = sys.argv[5] if len(sys.argv) > 5 else None
c = collections.Counter()
def one(udp):
    if udp:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(2)
        if mode == "udpsrc":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", 40053))
        try:
            s.sendto(b"hi\n", (host, port))
            return s.recv(512).decode().strip()
        finally:
            s.close()
    s = socket.create_connection((host, port), timeout=2)
    try:
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        b = b""
        while True:
            x = s.recv(4096)
            if not x:
                break
            b += x
    finally:
        s.close()
    return b.split(b"\r\n\r\n", 1)[-1].decode().strip()
def count(udp):
    try:
        c[one(udp)] += 1
    except Exception as e:
        c["ERR:" + type(e).__name__] += 1
        if mode == "loop":
            sys.stderr.write("error %s at %.3f\n" % (type(e).__name__, time.time()))
if mode == "loop":
    end = time.time() + n
    while time.time() < end and not os.path.exists(stop):
        count(False)
        time.sleep(0.02)
else:
    for i in range(n):
        count(mode != "tcp")
print(json.dumps(c, sort_keys=True))
EOF
}
client() { inns python3 "$T/client.py" "$@"; }
# cnt JSON KEY: the count of KEY (0 when absent); errs JSON: errors.
cnt() { printf '%s' "$1" | jeval 'd.get("'"$2"'", 0)'; }
errs() { printf '%s' "$1" | jeval 'sum(v for k, v in d.items() if k.startswith("ERR"))'; }

# A UDP echo server that answers with the pod's hostname: busybox nc
# has no -u, so a small static binary, copied into the running container's
# /tmp through /proc/PID/root (picolet has no hostPath volumes yet); the
# pod's script waits for it and runs it.
build_udp_server() {
	mkdir -p "$T/bin"
	cat >"$T/udpd.c" <<'EOF'
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
int
main(void)
{
	struct sockaddr_in sa, from;
	socklen_t fl;
	char host[64], buf[512];
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons(5353);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return 1;
	gethostname(host, sizeof(host) - 2);
	host[sizeof(host) - 2] = '\0';
	strcat(host, "\n");
	for (;;) {
		fl = sizeof(from);
		if (recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) < 0)
			continue;
		sendto(s, host, strlen(host), 0, (struct sockaddr *)&from, fl);
	}
}
EOF
	cc -static -O1 -o "$T/bin/udpd" "$T/udpd.c"
}

# web_pod NAME: busybox httpd on 8080 (port name http) serving the
# hostname, ready while /tmp/ready exists (exec probe every second), and
# the UDP echo on 5353 (port name dns).  Labels app=web, name=NAME.
web_pod() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels:
    app: ${2:-web}
    name: $1
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "touch /tmp/ready; (while [ ! -x /tmp/udpd ]; do sleep 0.2; done; exec /tmp/udpd) & mkdir -p /www && hostname >/www/index.html && exec httpd -f -p 8080 -h /www"]
    ports:
    - name: http
      containerPort: 8080
    - name: dns
      containerPort: 5353
      protocol: UDP
    readinessProbe:
      exec:
        command: ["test", "-f", "/tmp/ready"]
      periodSeconds: 1
      failureThreshold: 1
EOF
}

give_udpd() {	# POD
	local pid pod=$1
	wait_for '[ -n "$(workload_pid "$pod")" ]' 10 "$pod's workload" || return 1
	pid=$(workload_pid "$pod")
	cp "$T/bin/udpd" "/proc/$pid/root/tmp/.udpd" &&
	    mv "/proc/$pid/root/tmp/.udpd" "/proc/$pid/root/tmp/udpd"
}

# svc NAME SELECTOR-APP [extra spec yaml] [port yaml]
svc() {
	cat <<EOF
apiVersion: v1
kind: Service
metadata:
  name: $1
spec:
  selector:
    $2
${3:-}
  ports:
${4:-  - name: http
    port: 80
    targetPort: http}
EOF
}

# spread JSON N: each of w1 w2 w3 has at least 15% of N, no errors.
spread() {
	local j=$1 n=$2 p k
	note "counts: $j"
	assert_eq "$(errs "$j")" 0 "failed connections" || return 1
	for p in w1 w2 w3; do
		k=$(cnt "$j" "$p")
		[ "$k" -ge $((n * 15 / 100)) ] || fail "$p got $k of $n (want >= 15%)" || return 1
	done
}

case_setup() {
	build_udp_server || fail "cc -static udpd.c" || return 1
	write_client
	local p
	for p in w1 w2 w3; do
		web_pod $p | put_manifest $p.yaml
	done
	svc web 'app: web' | put_manifest svc-web.yaml
	wait_for '[ "$(ep_ready web)" = "w1 w2 w3" ]' 20 "w1 w2 w3 ready endpoints of web" || return 1
	for p in w1 w2 w3; do
		give_udpd $p || fail "udpd into $p" || return 1
	done
	VIP=$(svc_ip web)
	note "web clusterIP $VIP"
	assert_match "$VIP" '^10\.96\.[0-9]+\.[0-9]+$' "clusterIP in 10.96.0.0/16" || return 1
	wait_for 'inns nft list table ip picolet >/dev/null' 5 "table ip picolet in the test's netns" || return 1
	! nft list table ip picolet >/dev/null 2>&1 || fail "table ip picolet in the HOST's netns" || return 1
}

case_spread_host() {
	local j
	j=$(client tcp 300 "$VIP" 80)
	spread "$j" 300
}

case_spread_pod() {
	local out j
	# A client pod outside the service (label app=client).
	web_pod cl client | put_manifest cl.yaml
	wait_for '[ "$(pj cl c0[\"ready\"])" = true ]' 15 "client pod ready" || return 1
	out=$(pctl exec cl -- sh -c "i=0; while [ \$i -lt 300 ]; do printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 $VIP 80 | tail -n 1; i=\$((i + 1)); done" 2>&1)
	j=$(printf '%s\n' "$out" | tr -d '\r' | python3 -c '
import collections, json, sys
c = collections.Counter(l.strip() or "ERR:empty" for l in sys.stdin)
print(json.dumps(c, sort_keys=True))')
	spread "$j" 300
}

case_unready() {
	local t0 t1 j
	t0=$(now_ms)
	pctl exec w3 -- rm -f /tmp/ready || fail "exec rm /tmp/ready" || return 1
	wait_for '[ "$(ep_ready web)" = "w1 w2" ]' 5 "w3 out of the ready endpoints" || return 1
	t1=$(now_ms)
	note "w3 left the endpoints $((t1 - t0)) ms after its file went"
	[ $((t1 - t0)) -le 2500 ] || fail "took $((t1 - t0)) ms (periodSeconds 1, want <= 2.5 s)" || return 1
	assert_eq "$(ep_unready web)" w3 "notReadyAddresses" || return 1
	j=$(client tcp 100 "$VIP" 80)
	note "counts: $j"
	assert_eq "$(errs "$j")" 0 "failed connections" || return 1
	assert_eq "$(cnt "$j" w3)" 0 "connections to unready w3" || return 1
	[ "$(cnt "$j" w1)" -gt 0 ] && [ "$(cnt "$j" w2)" -gt 0 ] ||
	    fail "w1 and w2 both serve" || return 1
	pctl exec w3 -- touch /tmp/ready
	wait_for '[ "$(ep_ready web)" = "w1 w2 w3" ]' 5 "w3 back" || return 1
}

case_reject() {
	svc empty 'app: nothing' | put_manifest svc-empty.yaml
	wait_for '[ -n "$(svc_ip empty)" ]' 5 "empty's clusterIP" || return 1
	local ip r
	ip=$(svc_ip empty)
	sleep 0.5	# the rule is programmed with the table; no way to see it otherwise
	r=$(inns python3 - "$ip" <<'EOF'
import socket, sys, time
t = time.time()
try:
    socket.create_connection((sys.argv[1], 80), timeout=5).close()
    r = "connected"
except Exception as e:
    r = type(e).__name__
print("%s %d" % (r, (time.time() - t) * 1000))
EOF
)
	note "connect to a Service without endpoints: $r"
	assert_match "$r" '^ConnectionRefusedError [0-9]+$' "refused" || return 1
	[ "${r##* }" -lt 1000 ] || fail "refusal took ${r##* } ms" || return 1
}

case_nodeport() {
	svc np 'app: web' '  type: NodePort' '  - name: http
    port: 80
    targetPort: 8080
    nodePort: 30080' | put_manifest svc-np.yaml
	svc npa 'app: web' '  type: NodePort' | put_manifest svc-npa.yaml
	wait_for '[ "$(svc_json np | jeval "d[\"spec\"][\"ports\"][0][\"nodePort\"]")" = 30080 ]' 5 \
	    "np's nodePort 30080" || return 1
	wait_for '[ -n "$(svc_json npa | jeval "d[\"spec\"][\"ports\"][0][\"nodePort\"]")" ]' 5 \
	    "npa's nodePort" || return 1
	local np j
	np=$(svc_json npa | jeval 'd["spec"]["ports"][0]["nodePort"]')
	assert_between "$np" 30000 32767 "allocated nodePort" || return 1
	assert_ne "$np" 30080 "allocated nodePort differs from the explicit one" || return 1
	wait_for '[ "$(errs "$(client tcp 1 192.0.2.10 30080)")" = 0 ]' 5 "192.0.2.10:30080 answers" || return 1
	j=$(client tcp 60 192.0.2.10 30080)
	note "via 192.0.2.10:30080: $j"
	assert_eq "$(errs "$j")" 0 "failed NodePort connections" || return 1
	j=$(client tcp 30 192.0.2.10 "$np")
	note "via 192.0.2.10:$np: $j"
	assert_eq "$(errs "$j")" 0 "failed connections to the allocated NodePort" || return 1
	# As kube-proxy's nftables mode: no NodePort on 127.0.0.0/8 (no
	# route_localnet); nothing listens there, so the kernel refuses.
	j=$(client tcp 1 127.0.0.1 30080)
	assert_eq "$j" '{"ERR:ConnectionRefusedError": 1}' \
	    "127.0.0.1:30080 refused (NodePorts are not served on localhost)" || return 1
	j=$(client tcp 1 127.0.0.2 "$np")
	assert_eq "$j" '{"ERR:ConnectionRefusedError": 1}' \
	    "127.0.0.2:$np refused (nor on the rest of 127.0.0.0/8)" || return 1
}

case_udp() {
	svc dns 'app: web' '' '  - name: dns
    port: 53
    targetPort: dns
    protocol: UDP' | put_manifest svc-dns.yaml
	wait_for '[ "$(ep_ready dns)" = "w1 w2 w3" ]' 5 "dns endpoints" || return 1
	local ip j
	ip=$(svc_ip dns)
	assert_eq "$(client udp 1 "$(pod_ip w1)" 5353)" '{"w1": 1}' "UDP echo of w1 direct" || return 1
	wait_for '[ "$(errs "$(client udp 1 "$ip" 53)")" = 0 ]' 5 "UDP $ip:53 answers" || return 1
	j=$(client udp 150 "$ip" 53)
	spread "$j" 150
}

# A UDP flow stays on its endpoint (conntrack); when that endpoint
# leaves, its entries are flushed and the same flow moves to another pod.
case_udp_flush() {
	local ip j first k
	ip=$(svc_ip dns)
	j=$(client udpsrc 5 "$ip" 53)
	note "flow from :40053: $j"
	assert_eq "$(printf '%s' "$j" | jeval 'len(d)')" 1 "backends of one UDP flow" || return 1
	first=$(printf '%s' "$j" | jeval 'list(d)[0]')
	case $first in w1|w2|w3) ;; *) fail "flow answered by '$first'"; return 1 ;; esac
	pctl exec "$first" -- rm -f /tmp/ready || fail "exec rm /tmp/ready" || return 1
	k=$(for p in w1 w2 w3; do [ "$p" = "$first" ] || printf '%s ' "$p"; done)
	wait_for '[ "$(ep_ready dns)" = "${k% }" ]' 5 "$first out of dns's endpoints" || return 1
	j=$(client udpsrc 5 "$ip" 53)
	note "flow from :40053 after $first left: $j"
	assert_eq "$(errs "$j")" 0 "UDP errors" || return 1
	assert_eq "$(cnt "$j" "$first")" 0 "datagrams still going to $first" || return 1
	pctl exec "$first" -- touch /tmp/ready
	wait_for '[ "$(ep_ready dns)" = "w1 w2 w3" ]' 5 "$first back" || return 1
}

case_affinity() {
	svc sticky 'app: web' '  sessionAffinity: ClientIP' | put_manifest svc-sticky.yaml
	wait_for '[ "$(ep_ready sticky)" = "w1 w2 w3" ]' 5 "sticky endpoints" || return 1
	local ip j
	ip=$(svc_ip sticky)
	assert_eq "$(svc_json sticky | jeval 'd["spec"]["sessionAffinity"]')" ClientIP \
	    "spec.sessionAffinity" || return 1
	wait_for '[ "$(errs "$(client tcp 1 "$ip" 80)")" = 0 ]' 5 "sticky answers" || return 1
	j=$(client tcp 50 "$ip" 80)
	note "counts: $j"
	assert_eq "$(errs "$j")" 0 "failed connections" || return 1
	assert_eq "$(printf '%s' "$j" | jeval 'len(d)')" 1 "backends seen by one client" || return 1
	# From a pod, too.
	local out
	out=$(pctl exec cl -- sh -c "i=0; while [ \$i -lt 30 ]; do printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 $ip 80 | tail -n 1; i=\$((i + 1)); done" 2>&1 | sort | uniq -c)
	note "from pod cl: $(echo $out)"
	assert_eq "$(printf '%s\n' "$out" | wc -l)" 1 "backends seen by pod cl" || return 1
}

case_hairpin() {
	svc self 'name: w1' | put_manifest svc-self.yaml
	wait_for '[ "$(ep_ready self)" = w1 ]' 5 "self endpoints" || return 1
	local ip out i
	ip=$(svc_ip self)
	for i in 1 2 3; do
		out=$(pctl exec w1 -- sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 $ip 80 | tail -n 1" 2>&1 | tr -d '\r')
		assert_eq "$out" w1 "w1 -> its own service ($i)" || return 1
	done
}

case_env() {
	pod_yaml late 'env; sleep 1000' | put_manifest late.yaml
	wait_for '[ "$(pod_phase late)" = Running ] && pctl logs late | grep -q "^WEB_SERVICE_HOST="' 15 \
	    "late's env printed" || return 1
	local e
	e=$(pctl logs late)
	assert_contains "$e" "WEB_SERVICE_HOST=$VIP" "WEB_SERVICE_HOST" || return 1
	assert_contains "$e" "WEB_SERVICE_PORT=80" "WEB_SERVICE_PORT" || return 1
	assert_contains "$e" "WEB_SERVICE_PORT_HTTP=80" "WEB_SERVICE_PORT_HTTP" || return 1
	assert_contains "$e" "WEB_PORT=tcp://$VIP:80" "WEB_PORT" || return 1
	assert_contains "$e" "DNS_SERVICE_HOST=$(svc_ip dns)" "DNS_SERVICE_HOST" || return 1
	assert_contains "$e" "DNS_PORT_53_UDP_PROTO=udp" "DNS_PORT_53_UDP_PROTO" || return 1
	rm_manifest late.yaml
}

# plain_pod NAME: httpd serving its hostname, no readiness probe (ready
# once started), label app=plain.
plain_pod() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels:
    app: plain
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "mkdir -p /www && hostname >/www/index.html && exec httpd -f -p 8080 -h /www"]
EOF
}

# Two client loops (every 20 ms) run across a SIGKILL and restart of
# picolet: one to a Service of pods without readiness probes (must see
# no failure), one to "web", whose pods have readiness probes.
case_restart() {
	plain_pod p1 | put_manifest p1.yaml
	plain_pod p2 | put_manifest p2.yaml
	svc plain 'app: plain' '' '  - port: 80
    targetPort: 8080' | put_manifest svc-plain.yaml
	wait_for '[ "$(ep_ready plain)" = "p1 p2" ]' 15 "p1 p2 endpoints of plain" || return 1
	local pip
	pip=$(svc_ip plain)
	wait_for '[ "$(errs "$(client tcp 1 "$pip" 80)")" = 0 ]' 5 "plain answers" || return 1
	rm -f "$T/stop"
	client loop 30 "$pip" 80 "$T/stop" >"$T/loopp.out" 2>"$T/loopp.err" &
	local lp=$!
	client loop 30 "$VIP" 80 "$T/stop" >"$T/loopw.out" 2>"$T/loopw.err" &
	local lw=$!
	BG_PIDS+=("$lp" "$lw")
	sleep 1	# the loops run before the kill
	kill9_picolet
	note "picolet SIGKILLed at $EPOCHREALTIME"
	sleep 1	# the loops run while no picolet is up
	start_picolet || { touch "$T/stop"; return 1; }
	note "picolet answers /healthz at $EPOCHREALTIME"
	wait_for '[ "$(ep_ready web)" = "w1 w2 w3" ] && [ "$(ep_ready plain)" = "p1 p2" ]' 10 	    "endpoints after the restart" || { touch "$T/stop"; return 1; }
	sleep 2	# and the loops run on after it reconciled the table
	touch "$T/stop"
	wait "$lp" "$lw"
	local jp jw
	jp=$(cat "$T/loopp.out")
	jw=$(cat "$T/loopw.out")
	note "plain across the restart: $jp"
	[ -s "$T/loopp.err" ] && sed 's/^/# /' "$T/loopp.err"
	note "web across the restart: $jw"
	[ -s "$T/loopw.err" ] && sed 's/^/# /' "$T/loopw.err"
	[ "$(printf '%s' "$jp" | jeval 'sum(d.values())')" -ge 50 ] ||
	    fail "the plain loop made too few connections" || return 1
	[ "$(printf '%s' "$jw" | jeval 'sum(d.values())')" -ge 50 ] ||
	    fail "the web loop made too few connections" || return 1
	assert_eq "$(errs "$jp")" 0 "failed connections to plain across the restart" || return 1
	assert_eq "$(svc_ip web)" "$VIP" "web's clusterIP after the restart" || return 1
	assert_eq "$(svc_ip plain)" "$pip" "plain's clusterIP after the restart" || return 1
	assert_eq "$(svc_json np | jeval 'd["spec"]["ports"][0]["nodePort"]')" 30080 \
	    "np's nodePort after the restart" || return 1
	spread "$(client tcp 150 "$VIP" 80)" 150 || return 1
	# Adopted pods keep their readiness: no window without endpoints.
	assert_eq "$(errs "$jw")" 0 \
	    "web (pods with readiness probes): failed connections across the restart" ||
	    return 1
	rm_manifest p1.yaml
	rm_manifest p2.yaml
	rm_manifest svc-plain.yaml
}

case_views() {
	local t d
	t=$(pctl get svc 2>&1)
	printf '%s\n' "$t" | head -n 4 | sed 's/^/# /'
	assert_match "$(printf '%s\n' "$t" | grep '^web ')" "^web +ClusterIP +$VIP +" "get svc row of web" || return 1
	assert_match "$(printf '%s\n' "$t" | grep '^np ')" "80:30080/TCP" "get svc row of np" || return 1
	t=$(pctl get endpoints web 2>&1)
	printf '%s\n' "$t" | sed 's/^/# /'
	assert_contains "$t" "$(pod_ip w1):8080" "get endpoints web" || return 1
	d=$(pctl describe svc web 2>&1)
	assert_contains "$d" "$VIP" "describe svc shows the IP" || return 1
	assert_contains "$d" "$(pod_ip w2):8080" "describe svc shows endpoints" || return 1
	assert_eq "$(http_get /api/v1/namespaces/default/services/web | jeval 'd["spec"]["clusterIP"]')" "$VIP" \
	    "API service clusterIP" || return 1
	assert_eq "$(http_get /api/v1/namespaces/default/endpoints/web | jeval 'len(d["subsets"][0]["addresses"])')" 3 \
	    "API endpoints addresses" || return 1
	assert_eq "$(http_get /api/v1/namespaces/default/services | jeval 'd["kind"]')" ServiceList \
	    "API service list" || return 1
}

case_selectorless() {
	cat <<EOF | put_manifest ext.yaml
apiVersion: v1
kind: Service
metadata:
  name: ext
spec:
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Endpoints
metadata:
  name: ext
subsets:
- addresses:
  - ip: $(pod_ip w2)
  ports:
  - port: 8080
EOF
	wait_for '[ -n "$(svc_ip ext)" ]' 5 "ext's clusterIP" || return 1
	local j
	wait_for '[ "$(errs "$(client tcp 1 "$(svc_ip ext)" 80)")" = 0 ]' 5 "ext answers" || return 1
	j=$(client tcp 20 "$(svc_ip ext)" 80)
	assert_eq "$j" '{"w2": 20}' "a selector-less Service to its Endpoints" || return 1
}

case_bad() {
	svc dup 'app: web' '  type: NodePort' '  - name: http
    port: 80
    targetPort: 8080
    nodePort: 30080' | put_manifest svc-zdup.yaml
	svc range 'app: web' '  type: NodePort' '  - name: http
    port: 80
    targetPort: 8080
    nodePort: 40000' | put_manifest svc-zrange.yaml
	svc outside 'app: web' '  clusterIP: 10.200.0.5' | put_manifest svc-zoutside.yaml
	svc taken 'app: web' "  clusterIP: $VIP" | put_manifest svc-ztaken.yaml
	wait_for 'ev=$(pctl get events 2>&1); [[ $ev == *dup* && $ev == *range* && $ev == *outside* && $ev == *taken* ]]' 5 \
	    "events for dup, range, outside and taken" || { pctl get events 2>&1 | tail -n 8 | sed 's/^/#     /'; return 1; }
	local ev
	ev=$(pctl get events 2>&1)
	printf '%s\n' "$ev" | grep -E 'dup|range|outside|taken' | sed 's/^/# /'
	assert_match "$(printf '%s\n' "$ev" | grep dup)" '30080.*already allocated' "dup's event" || return 1
	assert_match "$(printf '%s\n' "$ev" | grep range)" '40000.*outside' "range's event" || return 1
	assert_match "$(printf '%s\n' "$ev" | grep outside)" '10\.200\.0\.5.*not in' "outside's event" || return 1
	assert_match "$(printf '%s\n' "$ev" | grep taken)" "${VIP//./\\.}.*already allocated" "taken's event" || return 1
	assert_eq "$(svc_ip web)" "$VIP" "web keeps its clusterIP" || return 1
	spread "$(client tcp 150 "$VIP" 80)" 150 || return 1
	! printf '%s\n' "$ev" | grep -E 'FailedToAllocate' | grep -qw np ||
	    fail "an event on np (the first holder of 30080)" || return 1
	# The first keeps working.
	local j
	j=$(client tcp 30 192.0.2.10 30080)
	assert_eq "$(errs "$j")" 0 "np still answers on 30080" || return 1
	assert_eq "$(svc_json np | jeval 'd["spec"]["ports"][0]["nodePort"]')" 30080 "np keeps 30080" || return 1
	rm_manifest svc-zdup.yaml
	rm_manifest svc-zrange.yaml
	rm_manifest svc-zoutside.yaml
	rm_manifest svc-ztaken.yaml
	# Wait until they are out of the table: a pod started in the same
	# sync as a Service's removal reads the freed Service (product bug,
	# see the report).
	wait_for '! pctl get svc 2>&1 | grep -qE "^(dup|range|outside|taken) "' 5 \
	    "dup, range, outside, taken gone" || return 1
}

case_cleanup() {
	rm -f "$T"/manifests/*.yaml
	wait_for '[ -z "$(pod_names)" ]' 15 "all pods gone" || return 1
	wait_for '[ "$(http_get /api/v1/services | jeval "len(d[\"items\"])")" = 0 ]' 5 "no services" || return 1
	wait_for '! inns nft list table ip picolet' 5 "no nftables table ip picolet" ||
	    { inns nft list table ip picolet 2>&1 | head -n 20 | sed 's/^/#     /'; return 1; }
	wait_for '! inns ip link show pico0' 5 "no bridge" || return 1
	local left
	left=$(inns ip -o link show type veth | grep -v -e pt-up0 -e pt-up1)
	[ -z "$left" ] || fail "veths left: $left" || return 1
	left=$(find "$T/state/nodeports" -type f 2>/dev/null)
	[ -z "$left" ] || fail "nodePort claims left: $left" || return 1
	left=$(grep -rl 'default/' "$T/state/ipam-services" 2>/dev/null; find "$T/state/ipam-services" -name '10.96.*' 2>/dev/null)
	[ -z "$left" ] || fail "clusterIP allocations left: $left" || return 1
	left=$(find "$T/state/ipam" -name '10.88.*' 2>/dev/null; grep -rlE '[0-9a-f]{8}-[0-9a-f]{4}-' "$T/state/ipam" 2>/dev/null)
	[ -z "$left" ] || fail "pod addresses left: $left" || return 1
}

import_busybox || { not_ok "import busybox"; done_testing; }
inns ip link add pt-up0 type veth peer name pt-up1 &&
    inns ip addr add 192.0.2.10/24 dev pt-up0 &&
    inns ip link set pt-up1 up && inns ip link set pt-up0 up ||
    { not_ok "uplink veth in the test's netns"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "three ready pods behind a ClusterIP" case_setup || true
run_case "300 connections from the node spread over three pods" case_spread_host
run_case "300 connections from a pod spread over three pods" case_spread_pod
run_case "an unready pod leaves the endpoints and gets no traffic" case_unready
run_case "no ready endpoints: connection refused at once" case_reject
run_case "NodePort (given and allocated) from the node's address, not on 127.0.0.1" case_nodeport
run_case "UDP Service" case_udp
run_case "a UDP flow leaves an endpoint that goes (conntrack flushed)" case_udp_flush
run_case "sessionAffinity ClientIP keeps a client on one pod" case_affinity
run_case "hairpin: a pod reaches itself through its Service" case_hairpin
run_case "service env vars in a pod started after the Services" case_env
run_case "selector-less Service with an Endpoints object" case_selectorless
run_case "picoctl get svc/endpoints, describe svc, the API" case_views
run_case "bad Services: nodePort taken or out of range, clusterIP outside the CIDR or taken" case_bad
run_case "SIGKILL and restart of picolet: no failed connection (pods without probes)" case_restart
run_case "nothing left after every manifest is deleted" case_cleanup
stop_picolet
done_testing
