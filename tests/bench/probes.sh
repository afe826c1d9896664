#!/bin/bash
# probes.sh: the probe benchmark of issue 3 (run by run.sh, or alone), as
# root.  In one picolet run:
#  A. BENCH_PROBE_PODS (100) pods, each a busybox httpd, no probes;
#  B. the same pods with an httpGet liveness and readiness probe each,
#     periodSeconds 1.
# For each, over a window of BENCH_PROBE_SECS (60; 600 for the issue's
# 10 minutes) with nothing else asking picolet anything: its CPU time
# (utime+stime from /proc/<pid>/stat, and what its reaped children used)
# per second of wall time, its RSS and fd count at the start and end.
# Then, for BENCH_PROBE_SAMPLE (5) of the pods of B, the intervals between
# successive liveness probes: their httpd runs with -vv, which logs each
# request's URL to stderr, and the CRI log line's time (the shim's, in ns)
# marks the probe.  Nothing passes or fails on a number; the goals are
# printed next to them: B's CPU under 3% of one core, no RSS or fd growth,
# intervals within 50 ms of periodSeconds.
#
# Environment: PICOLET_BIN (build/), BENCH_QUICK=1 (20 pods, 10 s),
# BENCH_PROBE_PODS, BENCH_PROBE_SECS,
# BENCH_PROBE_SAMPLE, BENCH_KEEP=1 (keep the temp dir), BENCH_PERF=FILE
# (perf record --call-graph dwarf of picolet over B's window into FILE;
# perf's own sampling then counts in B's CPU figure).  Raw numbers:
# $PICOLET_BIN/bench/probes-<stamp>.txt.
set -u

BENCH_NAME=pbench
. "$(dirname "$0")/lib.sh"

if [ "${BENCH_QUICK:-0}" = 1 ]; then
	PODS=${BENCH_PROBE_PODS:-20} SECS=${BENCH_PROBE_SECS:-10}
else
	PODS=${BENCH_PROBE_PODS:-100} SECS=${BENCH_PROBE_SECS:-60}
fi
SAMPLE=${BENCH_PROBE_SAMPLE:-5}
[ "$SAMPLE" -gt "$PODS" ] && SAMPLE=$PODS
RES=$OUT/probes-$STAMP.txt
HZ=$(getconf CLK_TCK)

# ---- the pods ----

# pod_yaml NAME I PROBES: busybox httpd on 8080 serving /live and
# /ready; pods 1..SAMPLE log each request (-vv) for the timing.
pod_yaml() {
	local v=""
	[ "$2" -le "$SAMPLE" ] && v=" -vv"
	cat <<YAML
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
    command:
    - sh
    - -c
    - |
      mkdir -p /www && echo ok >/www/live && echo ok >/www/ready
      httpd -f$v -p 8080 -h /www &
      trap 'exit 0' TERM
      while :; do sleep 3600 & wait \$!; done
YAML
	[ "$3" = 1 ] || return 0
	cat <<YAML
    livenessProbe:
      httpGet: {path: /live, port: 8080}
      periodSeconds: 1
    readinessProbe:
      httpGet: {path: /ready, port: 8080}
      periodSeconds: 1
YAML
}

make_pods() {	# PREFIX PROBES
	local i
	for ((i = 1; i <= PODS; i++)); do
		pod_yaml "$1-$i" "$i" "$2" >"$T/manifests/.$1-$i.tmp"
		mv "$T/manifests/.$1-$i.tmp" "$T/manifests/$1-$i.yaml"
	done
	wait_until '[ "$(count ".status.phase == \"Running\" and .status.containerStatuses[0].ready")" = "$PODS" ]' \
	    $((60 + PODS * 2)) ||
	    finding "$1: only $(count '.status.containerStatuses[0].ready') of $PODS pods ready after $((60 + PODS * 2)) s"
}

drop_pods() {	# PREFIX
	rm -f "$T/manifests/$1"-*.yaml
	wait_until '[ "$(count true)" = 0 ] && [ "$(nrundirs)" = 0 ]' $((60 + PODS)) ||
	    finding "$1: $(count true) pods / $(nrundirs) run dirs $((60 + PODS)) s after deleting them"
}

# ---- measuring ----

ticks() {	# utime+stime, then cutime+cstime, of picolet (fields 14-17)
	sed 's/.*) //' "/proc/$PICOLET_PID/stat" | awk '{ print $12 + $13, $14 + $15 }'
}
rss() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$PICOLET_PID/status"; }
fds() { ls "/proc/$PICOLET_PID/fd" | wc -l; }

# window LABEL: SECS of picolet alone; raw lines "LABEL key=value...".
window() {
	local t0 t1 a0 c0 a1 c1 r0 r1 f0 f1 e0 e1
	sleep 5		# let the starts settle
	e0=$(pctl get events -o json 2>/dev/null | jq '[.items[] | select(.reason == "Unhealthy") | .count] | add // 0')
	r0=$(rss) f0=$(fds)
	read -r a0 c0 <<<"$(ticks)"
	t0=$(now_ms)
	raw "$1 start epoch_ms=$t0 rss_kib=$r0 fds=$f0"
	log "$1: ${SECS} s window"
	if [ "$1" = probes ] && [ -n "${BENCH_PERF:-}" ]; then
		perf record -q --call-graph dwarf,16384 -p "$PICOLET_PID" \
		    -o "$BENCH_PERF" -- sleep "$SECS" >/dev/null 2>&1 &
		PERF_PID=$!
		raw "perf attached: $BENCH_PERF"
	fi
	# RSS every 10 s: growth, or a warm-up that levels off?
	local left=$SECS step rs=""
	while [ "$left" -gt 0 ]; do
		step=$((left < 10 ? left : 10))
		sleep "$step"
		left=$((left - step))
		rs="$rs $(rss)"
	done
	raw "$1 rss_every_10s_kib=$(echo $rs | tr ' ' ,)"
	read -r a1 c1 <<<"$(ticks)"
	t1=$(now_ms)
	r1=$(rss) f1=$(fds)
	e1=$(pctl get events -o json 2>/dev/null | jq '[.items[] | select(.reason == "Unhealthy") | .count] | add // 0')
	raw "$1 end epoch_ms=$t1 rss_kib=$r1 fds=$f1"
	[ "$1" = probes ] && [ -n "${BENCH_PERF:-}" ] && wait "$PERF_PID"
	awk -v l="$1" -v a=$((a1 - a0)) -v c=$((c1 - c0)) -v hz="$HZ" \
	    -v ms=$((t1 - t0)) -v r0="$r0" -v r1="$r1" -v f0="$f0" -v f1="$f1" \
	    -v e=$((e1 - e0)) 'BEGIN {
		printf "%s cpu_pct=%.3f children_cpu_pct=%.3f ticks=%d wall_ms=%d rss_start=%d rss_end=%d fds_start=%d fds_end=%d unhealthy=%d\n",
		    l, 100 * a / hz / (ms / 1000), 100 * c / hz / (ms / 1000), a, ms, r0, r1, f0, f1, e }' >>"$RES"
	W_T0=$t0 W_T1=$t1
}

# intervals: the liveness probes of the sample pods inside B's window,
# from their CRI log lines; prints the stats line.
intervals() {
	local i uid f
	: >"$T/iv"
	for ((i = 1; i <= SAMPLE; i++)); do
		uid=$(pctl get pods "pp-$i" -o json 2>/dev/null | jq -r .metadata.uid)
		for f in "$T/logs/default_pp-${i}_$uid/main/"*.log; do
			[ -f "$f" ] && cat "$f"
		done | grep ' url:/live$' | cut -d' ' -f1 >"$T/ts-$i"
		python3 - "$T/ts-$i" "$W_T0" "$W_T1" >>"$T/iv" <<'EOF'
import sys, datetime
t0, t1 = int(sys.argv[2]) / 1000, int(sys.argv[3]) / 1000
prev = None
for line in open(sys.argv[1]):
    s = line.strip().replace("Z", "")
    head, frac = (s.split(".") + ["0"])[:2]
    t = datetime.datetime.fromisoformat(head).replace(
        tzinfo=datetime.timezone.utc).timestamp() + float("0." + frac)
    if t0 <= t <= t1:
        if prev is not None:
            print("%.3f" % ((t - prev) * 1000))
        prev = t
EOF
	done
	python3 - "$T/iv" <<'EOF'
import sys, statistics
v = sorted(float(x) for x in open(sys.argv[1]) if x.strip())
if not v:
    print("intervals n=0")
    sys.exit()
def pct(p):
    return v[min(len(v) - 1, int(p / 100 * len(v)))]
dev = [abs(x - 1000) for x in v]
print("intervals n=%d median_ms=%.1f mean_ms=%.1f stdev_ms=%.1f min_ms=%.1f p1_ms=%.1f p99_ms=%.1f max_ms=%.1f max_dev_ms=%.1f within50_pct=%.2f"
      % (len(v), statistics.median(v), statistics.mean(v),
         statistics.pstdev(v), v[0], pct(1), pct(99), v[-1], max(dev),
         100 * sum(1 for d in dev if d <= 50) / len(v)))
EOF
}

get() {	# KEY PATTERN: the value of KEY= on the first raw line matching PATTERN
	grep -m1 -e "$2" "$RES" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'
}

summary() {
	local ca cb
	ca=$(get cpu_pct '^noprobes cpu') cb=$(get cpu_pct '^probes cpu')
	cat <<TXT
== picolet probe bench $STAMP: $(nproc) cpus, $PODS pods, ${SECS} s windows, CLK_TCK $HZ
   load average at start $(get load '^machine') end $(get loadavg_end '^loadavg_end')${BENCH_PERF:+ (perf attached to B: its CPU is inflated)}
   picolet CPU, % of one core      no probes $(printf '%8s' "$ca")   probes $(printf '%8s' "$cb")   goal < 3
   difference $(awk -v a="$ca" -v b="$cb" 'BEGIN { printf "%.3f", b - a }') points, ratio $(awk -v a="$ca" -v b="$cb" 'BEGIN { if (a > 0) printf "%.1f", b / a; else print "n/a (no CPU at all without probes)" }')
   reaped children's CPU, %         no probes $(get children_cpu_pct '^noprobes cpu')   probes $(get children_cpu_pct '^probes cpu')
   RSS KiB start -> end            no probes $(get rss_start '^noprobes cpu') -> $(get rss_end '^noprobes cpu')   probes $(get rss_start '^probes cpu') -> $(get rss_end '^probes cpu')   goal: no growth
   RSS every 10 s, probes: $(get rss_every_10s_kib '^probes rss_every')
   fds start -> end                no probes $(get fds_start '^noprobes cpu') -> $(get fds_end '^noprobes cpu')   probes $(get fds_start '^probes cpu') -> $(get fds_end '^probes cpu')   goal: no growth
   Unhealthy events in the window  probes $(get unhealthy '^probes cpu')
   liveness intervals, $SAMPLE pods (CRI log times), ms: median $(get median_ms '^intervals') mean $(get mean_ms '^intervals') stdev $(get stdev_ms '^intervals') n $(get n '^intervals')
      min $(get min_ms '^intervals') p1 $(get p1_ms '^intervals') p99 $(get p99_ms '^intervals') max $(get max_ms '^intervals')
      largest |interval - 1000| $(get max_dev_ms '^intervals') ms; within 50 ms: $(get within50_pct '^intervals')%   goal: all within 50
TXT
	if [ ${#FINDINGS[@]} -gt 0 ]; then
		echo "findings:"
		printf '   - %s\n' "${FINDINGS[@]}"
	fi
	echo "raw: $RES"
}

# ---- main ----

bench_setup
raw "picolet probe bench $STAMP pods=$PODS secs=$SECS sample=$SAMPLE hz=$HZ T=$T"
raw "machine nproc=$(nproc) kernel=$(uname -r) load=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,)"
start_picolet
log "A: $PODS pods without probes"
make_pods np 0
window noprobes
drop_pods np
log "B: $PODS pods with httpGet liveness and readiness probes, periodSeconds 1"
make_pods pp 1
window probes
intervals >>"$RES"
r=$(pods_json | jq '[.items[].status.containerStatuses[0].restartCount] | add')
raw "restarts=$r"
[ "${r:-0}" = 0 ] || finding "pods with probes restarted $r times (liveness probes failed)"
drop_pods pp
raw "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,)"
summary | tee "$T/summary.txt"
sed 's/^/summary: /' "$T/summary.txt" >>"$RES"
