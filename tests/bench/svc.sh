#!/bin/bash
# svc.sh: throughput and latency through a ClusterIP against the same pod
# reached at its own address (issue 4), as root, in one picolet run.
#
# One server pod (busybox httpd, a 612-byte index.html like nginx's)
# behind a ClusterIP Service with that pod as its only endpoint, so both
# paths end at the same pod and the difference is the service path:
# nftables' service map and DNAT, and conntrack for every connection
# (busybox httpd closes each connection, so every request is a new one,
# the worst case for NAT).  The pod runs two identical httpd: 8080 for
# the direct runs, 8081 behind the Service (port 80).  One port for both
# would make the runs disturb each other: after DNAT a ClusterIP
# connection has the same 4-tuple at the server as a direct one from the
# same client port, and for 2 minutes (TIME_WAIT) a new SYN then meets
# the other path's old connection in the server's socket table and in
# conntrack, is refused, and waits a second for its retransmission.  wrk
# runs from two places, each with both targets, interleaved round by
# round:
#   node: picolet's network namespace (the ClusterIP routed to the bridge,
#         DNAT in the output hook);
#   pod:  the network namespace of a second pod (wrk entered into it with
#         nsenter: pod -> bridge -> DNAT in prerouting -> pod).
# Reported per target, medians over the rounds, and ClusterIP / direct as
# ratios: requests/s; the time per request with its connection set-up
# (connections / requests/s: the figure NAT changes, since wrk's own
# latency starts when the request is written on an open connection); and
# wrk's latency (mean, p50, p99).  Nothing passes or fails on a number;
# socket errors and non-2xx answers are findings.  Each raw line also has
# the node netns' conntrack entries and drop counters after the run (every
# connection leaves an entry in TIME_WAIT for 2 minutes).
#
# Environment: PICOLET_BIN (build/), BENCH_QUICK=1 (1 round of 3 s),
# BENCH_SVC_ROUNDS (5), BENCH_SVC_SECS (6), BENCH_SVC_CONNS (8),
# BENCH_SVC_THREADS (1), BENCH_NO_APT=1, BENCH_KEEP=1.  Raw wrk output:
# $PICOLET_BIN/bench/svc-<stamp>.txt.
set -u

BENCH_NAME=sbench
. "$(dirname "$0")/lib.sh"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	ROUNDS=${BENCH_SVC_ROUNDS:-1} SECS=${BENCH_SVC_SECS:-3}
else
	ROUNDS=${BENCH_SVC_ROUNDS:-5} SECS=${BENCH_SVC_SECS:-6}
fi
CONNS=${BENCH_SVC_CONNS:-8}
THREADS=${BENCH_SVC_THREADS:-1}
RES=$OUT/svc-$STAMP.txt

manifests() {
	cat <<'YAML'
apiVersion: v1
kind: Pod
metadata:
  name: web
  labels: {app: web}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command:
    - sh
    - -c
    - |
      mkdir -p /www && head -c 612 /dev/zero | tr '\0' x >/www/index.html
      httpd -f -p 8081 -h /www &
      exec httpd -f -p 8080 -h /www
    ports:
    - {name: http, containerPort: 8080}
    - {name: via-svc, containerPort: 8081}
    readinessProbe:
      tcpSocket: {port: 8080}
      periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: via-svc}
---
apiVersion: v1
kind: Pod
metadata:
  name: client
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, "trap 'exit 0' TERM; while :; do sleep 3600 & wait $!; done"]
YAML
}

# wrk_run LABEL NETNS-FILE URL: one wrk run in that netns; the raw output
# goes to $RES, one "LABEL rps=.. per_req_us=.. mean_us=.. p50_us=..
# p99_us=.. errors=.." line to stdout.
wrk_run() {
	local out
	out=$(nsenter --net="$2" -- wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" \
	    --latency "$3" 2>&1)
	{ echo "== $1 $3"; echo "$out"; } >>"$RES"
	printf '%s\n' "$out" | python3 -c '
import re, sys
t = sys.stdin.read()
def us(v):
    n, u = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 1, "ms": 1e3, "s": 1e6}[u]
rps = re.search(r"Requests/sec:\s+([\d.]+)", t)
lat = re.search(r"Latency\s+(\S+)", t)
p50 = re.search(r"\s50%\s+(\S+)", t)
p99 = re.search(r"\s99%\s+(\S+)", t)
err = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", t)
non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
if not (rps and lat and p50 and p99):
    print("%s failed=1" % sys.argv[1])
    sys.exit()
e = sum(int(x) for x in err.groups()) if err else 0
e += int(non2xx.group(1)) if non2xx else 0
r = float(rps.group(1))
print("%s rps=%.1f per_req_us=%.1f mean_us=%.1f p50_us=%.1f p99_us=%.1f "
    "errors=%d" % (sys.argv[1], r, int(sys.argv[2]) * 1e6 / r if r else 0,
    us(lat.group(1)), us(p50.group(1)), us(p99.group(1)), e))
' "$1" "$CONNS"
}

# conntrack in the node's netns after a run: entries, and the kernel's
# per-cpu counters summed (a full table drops new connections).
ct_stats() {
	nsenter --net="$NODE_NS" -- python3 -c '
p = "/proc/sys/net/netfilter/"
rd = lambda f: open(p + f).read().strip()
rows = [l.split() for l in open("/proc/net/stat/nf_conntrack")]
s = {k: sum(int(r[i], 16) for r in rows[1:]) for i, k in enumerate(rows[0])}
print("ct_count=%s ct_max=%s ct_invalid=%d ct_insert_failed=%d ct_drop=%d "
    "ct_early_drop=%d" % (rd("nf_conntrack_count"), rd("nf_conntrack_max"),
    s["invalid"], s["insert_failed"], s["drop"], s["early_drop"]))
' 2>/dev/null
}

# med LABEL KEY: the median of KEY over the LABEL lines of $T/runs.
med() {
	grep "^$1 " "$T/runs" | tr ' ' '\n' | awk -F= -v k="$2" '$1 == k { print $2 }' |
	    sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print 0; else print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

row() {	# FROM: the two targets' medians and their ratios
	local k d c
	printf '   from %-4s                        pod IP    ClusterIP   ClusterIP/direct\n' "$1"
	for k in rps per_req_us mean_us p50_us p99_us; do
		d=$(med "$1-direct" "$k") c=$(med "$1-cluster" "$k")
		awk -v k="$k" -v d="$d" -v c="$c" 'BEGIN {
			if (k == "rps") { name = "requests/s"; f = 1 }
			else if (k == "per_req_us") { name = "time per request (ms)"; f = 1000 }
			else { name = "wrk latency " substr(k, 1, index(k, "_") - 1) " (ms)"; f = 1000 }
			r = 0
			if (d > 0) r = c / d
			printf "   %-30s %12.2f %12.2f %12.3f\n", name, d / f, c / f, r }'
	done
}

# ---- main ----

if ! command -v wrk >/dev/null; then
	[ "${BENCH_NO_APT:-0}" = 1 ] && die "wrk missing (BENCH_NO_APT=1)"
	log "wrk missing: tools/deps.sh bench"
	"$REPO/tools/deps.sh" bench >/dev/null 2>&1 || die "tools/deps.sh bench failed"
fi
bench_setup
raw "picolet svc bench $STAMP rounds=$ROUNDS secs=$SECS conns=$CONNS threads=$THREADS T=$T"
raw "machine nproc=$(nproc) kernel=$(uname -r) load=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,) $(wrk --version 2>&1 | head -n 1)"
start_picolet
manifests >"$T/manifests/.bench.tmp" && mv "$T/manifests/.bench.tmp" "$T/manifests/bench.yaml"
wait_until '[ "$(count ".status.containerStatuses[0].ready")" = 2 ]' 60 ||
    die "the pods are not ready: $(pods_json | jq -c '[.items[] | {n: .metadata.name, p: .status.phase}]')"
POD_IP=$(pctl get pods web -o json | jq -r .status.podIP)
wait_until '[ "$(pctl get endpoints web -o json | jq ".subsets[0].addresses | length")" = 1 ]' 10 ||
    die "Service web has no ready endpoint"
VIP=$(pctl get svc web -o json | jq -r .spec.clusterIP)
CLIENT_NS=$T/run/pods/$(pctl get pods client -o json | jq -r .metadata.uid)/ns/net
NODE_NS=/run/netns/$NETNS
raw "pod_ip=$POD_IP cluster_ip=$VIP"
log "server $POD_IP:8080, ClusterIP $VIP:80 (-> 8081); $ROUNDS round(s) of ${SECS} s per target and client"
# Both targets answer before anything is timed.
for u in "http://$POD_IP:8080/" "http://$VIP/"; do
	for n in "$NODE_NS" "$CLIENT_NS"; do
		nsenter --net="$n" -- wrk -t1 -c1 -d1s "$u" >/dev/null 2>&1 ||
		    die "warm-up of $u from $n failed"
	done
done
: >"$T/runs"
for ((r = 1; r <= ROUNDS; r++)); do
	# Alternate which target goes first, so a drift in the machine's load
	# does not always land on the same one.
	if [ $((r % 2)) = 1 ]; then order="direct cluster"; else order="cluster direct"; fi
	for from in node pod; do
		ns=$NODE_NS
		[ "$from" = pod ] && ns=$CLIENT_NS
		for what in $order; do
			url="http://$POD_IP:8080/"
			[ "$what" = cluster ] && url="http://$VIP/"
			line=$(wrk_run "$from-$what" "$ns" "$url")
			line="$line $(ct_stats)"
			log "round $r: $line"
			echo "$line" >>"$T/runs"
			raw "$line"
			case "$line" in
			*failed=1*) finding "$from-$what: wrk printed no figures (round $r)" ;;
			*errors=0*) ;;
			*) finding "$from-$what: errors in round $r: ${line##*errors=}" ;;
			esac
		done
	done
done
{
	echo "== picolet svc bench $STAMP: $(nproc) cpus (load $(cut -d' ' -f1-3 /proc/loadavg)), wrk -t$THREADS -c$CONNS, ${SECS} s x $ROUNDS rounds per figure (medians); busybox httpd, a new connection per request"
	row node
	row pod
	if [ ${#FINDINGS[@]} -gt 0 ]; then
		echo "findings:"
		printf '   - %s\n' "${FINDINGS[@]}"
	fi
	echo "raw: $RES"
} | tee "$T/summary.txt"
sed 's/^/summary: /' "$T/summary.txt" >>"$RES"
