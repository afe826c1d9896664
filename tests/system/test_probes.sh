#!/bin/bash
# Probes as kubelet runs them, with real containers (busybox httpd and nc
# serve HTTP and TCP; exec probes run in the container):
#  - readiness with initialDelaySeconds 5 keeps the pod unready >= 5 s and
#    never restarts it; readiness (exec, httpGet) flips the ready flag and
#    the pod's Ready condition when the file goes away and comes back;
#  - a liveness probe that starts failing after 10 s restarts the
#    container once within ~40 s (Unhealthy and Killing events);
#  - a startup probe that never succeeds restarts the container after
#    failureThreshold x periodSeconds; a startup probe gates liveness;
#  - httpGet: port by name, custom headers, 500 fails with the status in
#    the event, 301 succeeds and is not followed; tcpSocket on a closed
#    port is "connection refused"; an exec probe whose command does not
#    exist says so;
#  - bad servers: a probe that hangs (exec sleep, HTTP server that never
#    answers, or never ends its body) times out while a healthy pod's
#    probes keep their pace, garbage and a huge header fail, and picolet's
#    fds and children are what they were once the pods are gone.
# The slow liveness pod starts first and is checked last, so its 40 s run
# overlaps the other cases.
. "$(dirname "$0")/lib.sh"

# A workload that exits at once on SIGTERM (sh as PID 1 ignores it
# otherwise): pods go away without waiting for their grace period.
SPIN='trap "exit 0" TERM
while :; do sleep 1 & wait $!; done'
HTTPD='mkdir -p /www && echo ok >/www/index.html && httpd -p 8080 -h /www'

# ppod NAME SCRIPT EXTRA [GRACE]: pod NAME, container "main" running sh -c
# SCRIPT; EXTRA holds more container fields (probes, ports), as YAML at
# the container's level.
ppod() {
	local name=$1 script=$2 extra=$3 grace=${4:-2}
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

# A tiny HTTP server on PORT (nc -ll forks the script per connection):
# each request's head lands in /tmp/req, each arrival time in /tmp/t; the
# answer is the script's stdout.  Times are /proc/uptime's (10 ms; busybox
# date has no %N).  ANSWER is sh code run after the head
# is read, with the request path in $path.
nc_server() {	# PORT ANSWER
	cat <<EOF
cat >/srv.sh <<'SRV'
#!/bin/sh
cut -d' ' -f1 /proc/uptime >>/tmp/t
path=
while read -r l; do
	l=\$(printf '%s' "\$l" | tr -d '\r')
	echo "\$l" >>/tmp/req
	[ -n "\$path" ] || path=\$(echo "\$l" | cut -d' ' -f2)
	[ -z "\$l" ] && break
done
$2
SRV
chmod +x /srv.sh
nc -ll -p $1 -e /srv.sh &
EOF
}

# RFC 3339 -> milliseconds since the epoch ("" -> "").
ts_ms() {
	[ -n "$1" ] && [ "$1" != null ] || return 0
	echo $(($(date -d "$1" +%s) * 1000))
}

# jq, not python, for what is polled: it starts in milliseconds.
command -v jq >/dev/null || { not_ok "$TEST_NAME: needs jq"; exit 1; }
# q POD FILTER: jq -r FILTER over the pod's JSON; C is its first
# containerStatus.
q() {
	pctl get pods "$1" -o json 2>/dev/null |
	    jq -r '.status.containerStatuses[0] as $C | '"$2" 2>/dev/null
}
ready_of() { q "$1" '$C.ready'; }
restarts() { q "$1" '$C.restartCount'; }
cstate() { q "$1" '$C.state | keys[0]'; }
ready_cond() { q "$1" '.status.conditions[] | select(.type == "Ready") | .status'; }
# events POD [REASON]: "count<TAB>reason<TAB>message" of the pod's events.
events() {
	http_get /api/v1/namespaces/default/events 2>/dev/null |
	    jq -r --arg p "$1" --arg r "${2:-}" '.items[] |
	    select(.involvedObject.name == $p and ($r == "" or .reason == $r)) |
	    "\(.count)\t\(.reason)\t\(.message)"'
}
# ev_count POD REASON [SUBSTRING]: sum of the counts of matching events.
ev_count() {
	events "$1" "$2" | awk -F'\t' -v s="${3:-}" \
	    's == "" || index($3, s) { n += $1 } END { print n + 0 }'
}
npods() { pctl get pods -o json 2>/dev/null | jq '.items | length'; }
absent() {	# POD
	local n
	n=$(pctl get pods -o json 2>/dev/null | jq --arg p "$1" \
	    '[.items[] | select(.metadata.name == $p)] | length') &&
	    [ "$n" = 0 ]
}
# sleeps_in UID: how many "sleep 100" run in the pod's cgroups.
sleeps_in() {
	local d p
	for d in $(cgroups_with "$1"); do
		cat "$d/cgroup.procs" 2>/dev/null
	done | sort -u | while read -r p; do
		[ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" = "sleep 100 " ] &&
		    echo "$p"
	done | wc -l
}
fd_list() {
	local f
	for f in /proc/"$PICOLET_PID"/fd/*; do
		printf '%s->%s ' "${f##*/}" "$(readlink "$f")"
	done
}
picolet_fds() { ls "/proc/$PICOLET_PID/fd" 2>/dev/null | wc -l; }
picolet_kids() { children_of "$PICOLET_PID" | wc -l; }
drop() {	# POD...: remove the manifests (case_hang_leak waits for all)
	local n
	for n; do rm_manifest "$n.yaml"; done
}

# ---- readiness ----

case_ready_delay() {
	local t0 t_unready="" now j first start
	# nc records each probe's arrival; the workload its own start, both
	# inside the container: the first probe's delay does not depend on
	# how fast this script polls.
	ppod rdelay "cut -d' ' -f1 /proc/uptime >/tmp/start
$(nc_server 8080 'printf "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"')
$SPIN" 'readinessProbe:
  httpGet: {path: /, port: 8080}
  initialDelaySeconds: 5
  periodSeconds: 1' | put_manifest rdelay.yaml
	t0=$(now_ms)
	while [ $(($(now_ms) - t0)) -lt $((20000 * SCALE)) ]; do
		now=$(now_ms)
		j=$(pctl get pods rdelay -o json 2>/dev/null |
		    jq -r '.status.containerStatuses[0] | "\(.state | keys[0]) \(.ready)"')
		[ "$j" = "running true" ] && break
		[ "$j" = "running false" ] && t_unready=$now
		sleep 0.1
	done
	assert_eq "$j" "running true" "rdelay running and ready" || return 1
	start=$(pctl exec rdelay -- cat /tmp/start)
	first=$(pctl exec rdelay -- head -n 1 /tmp/t)
	local d
	d=$(awk -v a="$start" -v b="$first" 'BEGIN { printf "%d", (b - a) * 1000 }')
	note "rdelay: first probe $d ms after the workload's start; unready seen until +$((t_unready - t0)) ms after the manifest"
	# The delay counts from picolet's start time, a little before the
	# workload's first command.
	assert_between "$d" 4900 6500 "first probe after (ms)" || return 1
	local st lt
	st=$(ts_ms "$(q rdelay '$C.state.running.startedAt')")
	lt=$(ts_ms "$(q rdelay '.status.conditions[] | select(.type == "Ready") | .lastTransitionTime')")
	note "Ready lastTransitionTime - startedAt: $((lt - st)) ms (1 s resolution)"
	assert_between $((lt - st)) 4000 8000 "Ready transition after startedAt (ms)" || return 1
	assert_eq "$(ready_cond rdelay)" True "Ready condition" || return 1
	assert_eq "$(restarts rdelay)" 0 "restartCount" || return 1
	assert_eq "$(ev_count rdelay Unhealthy)" 0 "Unhealthy events" || return 1
	drop rdelay
}

# flip POD 'command making it fail' 'command making it pass' FAILMSG
flip() {
	local pod=$1 off=$2 on=$3 msg=$4 t0 t1
	wait_for '[ "$(ready_of $pod)" = true ]' 15 "$pod ready" || return 1
	assert_eq "$(ready_cond "$pod")" True "Ready condition while ready" || return 1
	pctl exec "$pod" -- sh -c "$off" || fail "exec $off" || return 1
	t0=$(now_ms)
	wait_for '[ "$(ready_of $pod)" = false ]' 10 "$pod unready" || return 1
	t1=$(now_ms)
	note "$pod: unready $((t1 - t0)) ms after: $off"
	# failureThreshold 3 at periodSeconds 1: the 3rd failure, 2-3 s on.
	assert_between $((t1 - t0)) 1500 7000 "time to unready (ms)" || return 1
	assert_eq "$(ready_cond "$pod")" False "Ready condition when unready" || return 1
	assert_eq "$(q "$pod" .status.phase)" Running "phase when unready" || return 1
	local ev
	ev=$(events "$pod" Unhealthy)
	assert_contains "$ev" "Readiness probe failed: $msg" "Unhealthy event" || return 1
	pctl exec "$pod" -- sh -c "$on" || fail "exec $on" || return 1
	t0=$(now_ms)
	wait_for '[ "$(ready_of $pod)" = true ]' 10 "$pod ready again" || return 1
	t1=$(now_ms)
	note "$pod: ready again $((t1 - t0)) ms after: $on"
	assert_between $((t1 - t0)) 0 4000 "time to ready again (ms)" || return 1
	assert_eq "$(ready_cond "$pod")" True "Ready condition again" || return 1
	assert_eq "$(restarts "$pod")" 0 "readiness never restarts" || return 1
}

case_ready_flip_exec() {
	ppod rexec "touch /tmp/ready
$SPIN" 'readinessProbe:
  exec: {command: [cat, /tmp/ready]}
  periodSeconds: 1' | put_manifest rexec.yaml
	flip rexec 'rm /tmp/ready' 'touch /tmp/ready' \
	    "command cat exited with 1: cat: can't open '/tmp/ready'" || return 1
	drop rexec
}

case_ready_flip_http() {
	ppod rhttp "$HTTPD
$SPIN" 'readinessProbe:
  httpGet: {path: /index.html, port: 8080}
  periodSeconds: 1' | put_manifest rhttp.yaml
	flip rhttp 'mv /www/index.html /www/x' 'mv /www/x /www/index.html' \
	    "HTTP probe failed with statuscode: 404" || return 1
	drop rhttp
}

# ---- liveness (started first, checked last) ----

# live_watch T0: in the background, the time restartCount is first seen
# >= 1 (and the pod's JSON then), and the last count seen before T0+40 s.
live_watch() {
	local t0=$1 rc now seen=0
	while :; do
		rc=$(restarts live)
		now=$(now_ms)
		[ $((now - t0)) -le 40000 ] && [ -n "$rc" ] &&
		    echo "$rc $((now - t0))" >"$T/live.rc40"
		if [ "$seen" = 0 ] && [[ $rc =~ ^[1-9] ]]; then
			pctl get pods live -o json >"$T/live.json"
			echo "$((now - t0))" >"$T/live.t1"
			seen=1
		fi
		[ $((now - t0)) -gt 42000 ] && break
		sleep 0.2
	done
}

live_start() {
	ppod live "touch /tmp/healthy
sleep 10
rm -f /tmp/healthy
$SPIN" 'livenessProbe:
  exec: {command: [cat, /tmp/healthy]}
  initialDelaySeconds: 3
  periodSeconds: 5' | put_manifest live.yaml
	LIVE_T0=$(now_ms)
	live_watch "$LIVE_T0" &
	BG_PIDS+=($!)
}

case_liveness() {
	local t1 rc40 at
	# Failing from 10 s: failures at ~13, 18, 23 s -> killed at ~23 s,
	# restarted at once; the second run is killed at ~46 s.
	wait_for '[ -s "$T/live.rc40" ] && [ "$(($(now_ms) - LIVE_T0))" -gt 42000 ]' 60 \
	    "the live watcher to pass 40 s" || return 1
	[ -s "$T/live.t1" ] || fail "live: restartCount never >= 1 within 40 s" || return 1
	t1=$(cat "$T/live.t1")
	read -r rc40 at <"$T/live.rc40"
	note "live: restartCount 1 seen at +$t1 ms; restartCount $rc40 at +$at ms"
	assert_between "$t1" 18000 40000 "first restart (ms after the manifest)" || return 1
	assert_eq "$rc40" 1 "restartCount near 40 s" || return 1
	assert_between "$at" 38000 40000 "last sample before 40 s (ms)" || return 1
	local a b
	a=$(ts_ms "$(jq -r '.status.containerStatuses[0].lastState.terminated.startedAt' "$T/live.json")")
	b=$(ts_ms "$(jq -r '.status.containerStatuses[0].lastState.terminated.finishedAt' "$T/live.json")")
	[ -n "$a" ] && [ -n "$b" ] || fail "no lastState.terminated" || return 1
	note "live: first run lasted $((b - a)) ms (1 s resolution)"
	assert_between $((b - a)) 19000 28000 "first run's life (ms)" || return 1
	local ev
	ev=$(events live)
	assert_contains "$ev" "Killing	Container main failed liveness probe, will be restarted" \
	    "Killing event" || return 1
	assert_contains "$ev" "Liveness probe failed: command cat exited with 1: cat: can't open '/tmp/healthy'" \
	    "Unhealthy event with the output" || return 1
	drop live
}

# ---- startup ----

case_startup_never() {
	local t_run="" t1
	ppod snever "$SPIN" 'startupProbe:
  exec: {command: [cat, /tmp/never]}
  periodSeconds: 2
  failureThreshold: 3' 1 | put_manifest snever.yaml
	wait_for '[ "$(cstate snever)" = running ]' 10 "snever running" || return 1
	t_run=$(now_ms)
	assert_eq "$(q snever '$C.started')" false "started before the probe passed" || return 1
	assert_eq "$(ready_of snever)" false "ready before started" || return 1
	wait_for '[ "$(restarts snever)" -ge 1 ]' 15 "snever restarted" || return 1
	t1=$(now_ms)
	note "snever: restarted $((t1 - t_run)) ms after running was seen"
	# Failures at 0, 2 and 4 s (kubelet probes at once when there is no
	# initial delay), then SIGTERM; failureThreshold x period is 6 s.
	assert_between $((t1 - t_run)) 3000 9000 "restart after (ms)" || return 1
	local ev
	ev=$(events snever)
	assert_contains "$ev" "Killing	Container main failed startup probe, will be restarted" \
	    "Killing event" || return 1
	assert_contains "$ev" "Startup probe failed: command cat exited with 1" \
	    "Unhealthy event" || return 1
	assert_eq "$(ev_count snever Unhealthy Liveness)" 0 "no liveness events" || return 1
	drop snever
}

case_startup_gates() {
	local t_run t_started t_restart a b
	# The liveness probe always fails; with failureThreshold 3 the
	# container lives ~2 s once started, long enough to be seen started.
	ppod sgate "sleep 6
touch /tmp/up
$SPIN" 'startupProbe:
  exec: {command: [test, -f, /tmp/up]}
  periodSeconds: 1
  failureThreshold: 30
livenessProbe:
  exec: {command: ["false"]}
  periodSeconds: 1' 1 | put_manifest sgate.yaml
	wait_for '[ "$(cstate sgate)" = running ]' 10 "sgate running" || return 1
	t_run=$(now_ms)
	wait_for '[ "$(q sgate "\$C.started")" = true ]' 15 "sgate started" || return 1
	t_started=$(now_ms)
	note "sgate: started $((t_started - t_run)) ms after running was seen"
	assert_between $((t_started - t_run)) 5000 9000 "startup took (ms)" || return 1
	assert_eq "$(restarts sgate)" 0 "no restart during the startup" || return 1
	wait_for '[ "$(restarts sgate)" -ge 1 ]' 10 "sgate killed by liveness" || return 1
	t_restart=$(now_ms)
	note "sgate: liveness restart $((t_restart - t_started)) ms after started was seen"
	assert_between $((t_restart - t_started)) 0 5000 "liveness kill after started (ms)" || return 1
	# picolet's record of the first run: startup (6 s), then 3 liveness
	# failures; never killed during the startup.
	a=$(ts_ms "$(q sgate '$C.lastState.terminated.startedAt')")
	b=$(ts_ms "$(q sgate '$C.lastState.terminated.finishedAt')")
	note "sgate: first run lasted $((b - a)) ms (1 s resolution)"
	assert_between $((b - a)) 7000 11000 "first run's life (ms)" || return 1
	assert_contains "$(events sgate Killing)" "failed liveness probe" "Killing event" || return 1
	assert_eq "$(ev_count sgate Killing startup)" 0 "startup failures (threshold 30)" || return 1
	drop sgate
}

# ---- httpGet, tcpSocket, exec details ----

launch_http_named_header() {
	ppod hname "$(nc_server 8081 'printf "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"')
$SPIN" 'ports:
- {name: web, containerPort: 8081}
readinessProbe:
  httpGet:
    path: /healthz?x=1
    port: web
    httpHeaders:
    - {name: X-Custom, value: hello probe}
  periodSeconds: 1' | put_manifest hname.yaml
}

launch_http_500() {
	ppod h500 "$(nc_server 8080 'printf "HTTP/1.0 500 Internal Server Error\r\nContent-Length: 3\r\n\r\nbad"')
$SPIN" 'readinessProbe:
  httpGet: {path: /, port: 8080}
  periodSeconds: 1' | put_manifest h500.yaml
}

launch_http_redirect() {
	# /x answers 301 to /missing, which would be a 404: followed, the
	# probe would fail and /missing would be in the request log.
	ppod h301 "$(nc_server 8080 'if [ "$path" = /x ]; then
	printf "HTTP/1.0 301 Moved Permanently\r\nLocation: /missing\r\nContent-Length: 0\r\n\r\n"
else
	printf "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n"
fi')
$SPIN" 'readinessProbe:
  httpGet: {path: /x, port: 8080}
  periodSeconds: 1' | put_manifest h301.yaml
}

launch_tcp() {
	# One tcpSocket probe on nc's port (ready), one on a closed port.
	ppod tcpok "nc -ll -p 9000 -e true &
$SPIN" 'readinessProbe:
  tcpSocket: {port: 9000}
  periodSeconds: 1' | put_manifest tcpok.yaml
	ppod tcpno "$SPIN" 'readinessProbe:
  tcpSocket: {port: 9001}
  periodSeconds: 1' | put_manifest tcpno.yaml
}

launch_exec_missing() {
	ppod emiss "$SPIN" 'readinessProbe:
  exec: {command: [/no/such/probe, arg]}
  periodSeconds: 1' | put_manifest emiss.yaml
}

launch_garbage() {
	ppod hgarb "$(nc_server 8080 'printf "garbage, not HTTP\r\n\r\n"')
$SPIN" 'readinessProbe:
  httpGet: {path: /, port: 8080}
  periodSeconds: 1' | put_manifest hgarb.yaml
	ppod hbig "$(nc_server 8080 'printf "HTTP/1.0 200 OK\r\nX-Big: "
head -c 100000 /dev/zero | tr "\0" a
printf "\r\nContent-Length: 0\r\n\r\n"')
$SPIN" 'readinessProbe:
  httpGet: {path: /, port: 8080}
  periodSeconds: 1' | put_manifest hbig.yaml
}

launch_hostnet() {
	# hostNetwork: probed in picolet's own namespace (here the test's).
	ppod hhost "mkdir -p /www && echo ok >/www/index.html && httpd -p 18080 -h /www
$SPIN" 'readinessProbe:
  httpGet: {path: /index.html, port: 18080}
  periodSeconds: 1
livenessProbe:
  tcpSocket: {port: 18080}
  periodSeconds: 1' | sed 's/^spec:$/spec:\n  hostNetwork: true/' | put_manifest hhost.yaml
}

# All of the above at once, before their cases: they run side by side.
launch_details() {
	launch_hostnet
	launch_http_named_header
	launch_http_500
	launch_http_redirect
	launch_tcp
	launch_exec_missing
	launch_garbage
}

# The pod's address (status.podIP): where its probes go.
pod_ip() {
	pctl get pod "$1" -o json | jq -r '.status.podIP // empty'
}

case_http_named_header() {
	wait_for '[ "$(ready_of hname)" = true ]' 20 "hname ready" || return 1
	local req
	req=$(pctl exec hname -- cat /tmp/req)
	assert_contains "$req" "GET /healthz?x=1 HTTP/1." "request line" || return 1
	assert_contains "$req" "X-Custom: hello probe" "custom header" || return 1
	assert_contains "$req" "User-Agent: kube-probe/" "User-Agent" || return 1
	# Probes reach the pod at its IP, as kubelet's do.
	local ip
	ip=$(pod_ip hname)
	assert_match "$req" "Host: ${ip//./\\.}(:8081)?"$'\r?\n' "Host header" || return 1
	drop hname
}

case_http_500() {
	wait_for '[ "$(ev_count h500 Unhealthy)" -ge 2 ]' 20 "two Unhealthy events" || return 1
	assert_contains "$(events h500 Unhealthy)" "Readiness probe failed: HTTP probe failed with statuscode: 500" \
	    "event names the status" || return 1
	assert_eq "$(ready_of h500)" false "ready" || return 1
	drop h500
}

case_http_redirect() {
	wait_for '[ "$(ready_of h301)" = true ]' 20 "h301 ready" || return 1
	# A probe may have raced nc's start; none may fail from here on.
	local n0
	n0=$(ev_count h301 Unhealthy)
	wait_for '[ "$(pctl exec h301 -- grep -c "^GET /x" /tmp/req 2>/dev/null)" -ge 3 ]' 20 \
	    "three probes of /x" || return 1
	assert_eq "$(ready_of h301)" true "still ready" || return 1
	assert_eq "$(ev_count h301 Unhealthy)" "$n0" "Unhealthy events once ready" || return 1
	assert_eq "$(pctl exec h301 -- grep -c "^GET /missing" /tmp/req 2>/dev/null)" 0 \
	    "requests to the redirect's target" || return 1
	drop h301
}

case_tcp() {
	wait_for '[ "$(ready_of tcpok)" = true ]' 20 "tcpok ready" || return 1
	wait_for '[ "$(ev_count tcpno Unhealthy)" -ge 1 ]' 20 "tcpno Unhealthy" || return 1
	assert_contains "$(events tcpno Unhealthy)" "Readiness probe failed: dial tcp $(pod_ip tcpno):9001: connect: Connection refused" \
	    "connection refused event" || return 1
	assert_eq "$(ready_of tcpno)" false "tcpno ready" || return 1
	drop tcpok tcpno
}

case_hostnet() {
	wait_for '[ "$(ready_of hhost)" = true ]' 20 "hhost ready" || return 1
	assert_eq "$(q hhost .spec.hostNetwork)" true "hostNetwork" || return 1
	assert_eq "$(restarts hhost)" 0 "restartCount" || return 1
	drop hhost
}

case_exec_missing() {
	wait_for '[ "$(ev_count emiss Unhealthy)" -ge 1 ]' 20 "emiss Unhealthy" || return 1
	local ev
	ev=$(events emiss Unhealthy)
	assert_contains "$ev" "Readiness probe failed:" "Unhealthy event" || return 1
	assert_contains "$ev" "/no/such/probe" "event names the command" || return 1
	assert_match "$ev" "[Nn]o such file or directory|not found" "event says why" || return 1
	assert_eq "$(ready_of emiss)" false "ready" || return 1
	assert_eq "$(q emiss .status.phase)" Running "phase" || return 1
	drop emiss
}

# ---- bad servers, timeouts, leaks ----

case_garbage() {
	# (A first probe may race nc's start: "connection refused".)
	wait_for '[ "$(ev_count hgarb Unhealthy "malformed response")" -ge 2 ]' 20 \
	    "hgarb: 2 Unhealthy 'malformed response'" || return 1
	wait_for '[ "$(ev_count hbig Unhealthy "response header too large")" -ge 2 ]' 20 \
	    "hbig: 2 Unhealthy 'response header too large'" || return 1
	local g b
	g=$(events hgarb Unhealthy)
	b=$(events hbig Unhealthy)
	note "garbage: $g"
	note "huge header: $b"
	assert_contains "$g" "Readiness probe failed: Get \"http://$(pod_ip hgarb):8080/\": malformed response" \
	    "garbage event" || return 1
	assert_contains "$b" "Readiness probe failed: Get \"http://$(pod_ip hbig):8080/\": response header too large" \
	    "huge header event" || return 1
	assert_eq "$(ready_of hgarb)" false "hgarb ready" || return 1
	assert_eq "$(ready_of hbig)" false "hbig ready" || return 1
	alive "$PICOLET_PID" || fail "picolet died" || return 1
	http_get /healthz >/dev/null || fail "picolet /healthz" || return 1
	drop hgarb hbig
}

case_hang_leak() {
	local fd0 kid0 fdm
	# Nothing else runs now (not even what a failed case left): the
	# baseline is picolet alone.
	rm -f "$T"/manifests/*.yaml
	wait_for '[ "$(npods)" = 0 ]' 30 "no pods" || return 1
	fd0=$(picolet_fds)
	kid0=$(picolet_kids)
	FDS0=$(fd_list)
	ppod hexec "$SPIN" 'livenessProbe:
  exec: {command: [sleep, "100"]}
  periodSeconds: 1
  timeoutSeconds: 1
  failureThreshold: 1000' | put_manifest hexec.yaml
	ppod hslow "$(nc_server 8080 'sleep 100')
$SPIN" 'readinessProbe:
  httpGet: {path: /, port: 8080}
  periodSeconds: 1
  timeoutSeconds: 1' | put_manifest hslow.yaml
	# A server that sends a head and part of a body, then nothing.
	ppod hopen "$(nc_server 8080 'printf "HTTP/1.0 200 OK\r\n\r\npartial body"; sleep 100')
$SPIN" 'readinessProbe:
  httpGet: {path: /, port: 8080}
  periodSeconds: 1
  timeoutSeconds: 1' | put_manifest hopen.yaml
	# A healthy pod next to them keeps its pace.
	ppod hfine "$(nc_server 8080 'printf "HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"')
$SPIN" 'readinessProbe:
  httpGet: {path: /, port: 8080}
  periodSeconds: 1' | put_manifest hfine.yaml
	# Its first probe may race nc's start; none may fail once ready.
	local n0
	wait_for '[ "$(ready_of hfine)" = true ]' 20 "hfine ready" || return 1
	n0=$(ev_count hfine Unhealthy)
	wait_for '[ "$(ev_count hexec Unhealthy timeout)" -ge 6 ] && [ "$(ev_count hslow Unhealthy)" -ge 6 ] && [ "$(ev_count hopen Unhealthy)" -ge 6 ]' 30 \
	    "6 timed-out probes each" || return 1
	fdm=$(picolet_fds)
	note "picolet fds: $fd0 before, $fdm with 4 pods and probes hanging; children $kid0 before, $(picolet_kids) now"
	assert_contains "$(events hexec Unhealthy)" "Liveness probe failed: timeout: the probe did not answer within 1s" \
	    "exec timeout event" || return 1
	local s
	s=$(events hslow Unhealthy)
	note "hslow: $s"
	assert_contains "$s" "Readiness probe failed:" "http timeout event" || return 1
	assert_match "$s" "timeout|[Tt]imed out|deadline" "http event says timeout" || return 1
	s=$(events hopen Unhealthy)
	note "hopen: $s"
	assert_match "$s" "timeout|[Tt]imed out|deadline" "never-closing body: timeout" || return 1
	assert_ne "$(ready_of hopen)" true "hopen ready" || return 1
	# Every timed-out `sleep 100` was killed: at most the one in flight.
	local n
	n=$(sleeps_in "$(q hexec .metadata.uid)")
	assert_between "$n" 0 1 "sleep 100 processes left in hexec" || return 1
	assert_eq "$(restarts hexec)" 0 "hexec restarts (threshold 1000)" || return 1
	assert_eq "$(ready_of hfine)" true "hfine ready" || return 1
	assert_eq "$(ev_count hfine Unhealthy)" "$n0" "hfine Unhealthy events once ready" || return 1
	# hfine's probes, one a second while the others hang (10 ms clock).
	local iv
	iv=$(pctl exec hfine -- cat /tmp/t | awk 'NR > 1 { printf "%d ", ($1 - p) * 1000 } { p = $1 }')
	note "hfine's intervals (ms): $iv"
	local i nbad=0 ni=0
	for i in $iv; do
		ni=$((ni + 1))
		{ [ "$i" -ge 500 ] && [ "$i" -le 1500 ]; } || nbad=$((nbad + 1))
	done
	[ "$ni" -ge 5 ] || fail "only $ni intervals" || return 1
	assert_eq "$nbad" 0 "intervals off 1 s by more than 0.5 s" || return 1
	drop hexec hslow hopen hfine
	wait_for '[ "$(npods)" = 0 ]' 30 "no pods" || return 1
	# A connection of ours or a clean-up job may take a moment to end.
	if ! wait_for '[ "$(picolet_fds)" = "$fd0" ] && [ "$(picolet_kids)" = "$kid0" ]' 5 \
	    "picolet's fds and children as before"; then
		note "fds before: $(echo $FDS0)"
		note "fds now: $(fd_list)"
		return 1
	fi
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
live_start
run_case "readiness initialDelaySeconds 5: unready >= 5 s, no restart" case_ready_delay
run_case "readiness exec: unready when the file goes, ready when it returns" case_ready_flip_exec
run_case "readiness httpGet: 404 unready, 200 ready again" case_ready_flip_http
run_case "startup probe that never passes: restart after ~failureThreshold x period" case_startup_never
run_case "startup probe gates a failing liveness probe" case_startup_gates
launch_details
run_case "httpGet: port by name, path, custom header, User-Agent" case_http_named_header
run_case "httpGet: 500 fails, the status in the event" case_http_500
run_case "httpGet: 301 is success, not followed" case_http_redirect
run_case "tcpSocket: open port ready, closed port 'connection refused'" case_tcp
run_case "hostNetwork pod: httpGet and tcpSocket probes in picolet's netns" case_hostnet
run_case "exec probe: command not found" case_exec_missing
run_case "liveness failing after 10 s: one restart within 40 s" case_liveness
run_case "httpGet: garbage and a huge header fail, picolet fine" case_garbage
run_case "hanging probes time out; no fd or child left in picolet" case_hang_leak
done_testing
