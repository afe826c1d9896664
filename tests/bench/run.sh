#!/bin/bash
# run.sh: picolet's benchmarks (`make bench`), as root.  Every figure is
# set against a baseline measured in the same run and printed as a ratio;
# nothing passes or fails on a number (a shared 2-core VM is too noisy
# for timed assertions).  The goals of issue 2 are printed next to them.
#
#  1. Pod start latency: a manifest renamed into the manifest dir -> the
#     workload's first instruction; median and p90 of BENCH_RUNS (50), and
#     in the same run, interleaved run by run, `crun run` of the same
#     rootfs and the namespace floor `unshare --fork --pid --mount --uts
#     --ipc --net`.  Marker: the kernel's exec event of the workload
#     (tests/bench/execwatch.c says why and how).  Biases: picolet's
#     workload runs on overlayfs (a mount per start), crun's on the plain
#     extracted directory, read-only, so crun does less work; all three
#     pay their own netns, and picolet also its pod cgroup, shim and state
#     files.  The time from the first instruction to the workload's exit
#     is not in the figure (hyperfine's full-run times of crun and the
#     floor, the way ../shared/bench-peers measured them, are printed too).
#  2. Memory: picolet's RSS/PSS idle and with BENCH_PODS (50) pods running
#     `sleep 3600`; the PSS of the shims; a plain `sleep` process's PSS
#     measured here as the baseline; podman's ~950 KiB/pod as reference.
#  3. Wake-ups: with 10 pods running and nothing due, picolet's context
#     switches over BENCH_WAKE_SECS (30), then its syscalls under
#     `strace -c -f -p` over the same window.
#
# Everything lives in a temp dir; picolet runs in a network namespace of
# its own, in the host mount namespace (as on a device), with its own
# cgroup name.  crun runs in a private mount namespace where the hybrid
# cgroup2 mount is unmounted (crun refuses this host otherwise; see
# ../shared/bench-peers/lib.sh).  The EXIT trap stops picolet and removes
# what it and the pods left.  Raw numbers: $OUT/results-<stamp>.txt.
#
# Environment: PICOLET_BIN (build/), BENCH_QUICK=1 (10 runs, 10 pods,
# 5 s windows), BENCH_RUNS, BENCH_PODS, BENCH_WAKE_SECS, BENCH_NO_APT=1,
# BENCH_KEEP=1 (keep the temp dir).
set -u

. "$(dirname "$0")/lib.sh"
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	RUNS=${BENCH_RUNS:-10} PODS=${BENCH_PODS:-10} WAKE=${BENCH_WAKE_SECS:-5}
else
	RUNS=${BENCH_RUNS:-50} PODS=${BENCH_PODS:-50} WAKE=${BENCH_WAKE_SECS:-30}
fi
WAKE_PODS=10
[ "$PODS" -lt "$WAKE_PODS" ] && WAKE_PODS=$PODS
WARMUP=3
RES=$OUT/results-$STAMP.txt
NETNS=picolet-bench-$$
CGNAME=picolet-bench-$$

# ---- set-up ----

ensure_pkgs() {
	local need=() p
	command -v crun >/dev/null || need+=(crun)
	command -v hyperfine >/dev/null || need+=(hyperfine)
	command -v strace >/dev/null || need+=(strace)
	command -v jq >/dev/null || need+=(jq)
	[ -x /bin/busybox ] || need+=(busybox-static)
	[ ${#need[@]} -eq 0 ] && return 0
	[ "${BENCH_NO_APT:-0}" = 1 ] && die "missing: ${need[*]} (BENCH_NO_APT=1)"
	log "apt-get install ${need[*]}"
	apt-get update -qq >/dev/null 2>&1
	for p in "${need[@]}"; do
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$p" \
		    >/dev/null 2>&1 || log "apt-get install $p failed"
	done
}

build_helper() {
	mkdir -p "$OUT"
	${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror \
	    -o "$OUT/execwatch" "$DIR/execwatch.c" ||
	    die "building $DIR/execwatch.c failed"
}

write_conf() {
	cat >"$T/picolet.conf" <<EOF
[paths]
manifests = $T/manifests
state = $T/state
run = $T/run
logs = $T/logs
shim = $PICOLET_BIN/picolet-shim
cgroup = $CGNAME
[api]
socket = $T/picolet.sock
EOF
}

# The crun bundles: the fixture's layers, extracted in order, as rootfs.
make_bundles() {
	local oci=$T/oci man l
	mkdir -p "$oci" "$T/rootfs"
	tar -C "$oci" -xf "$FIXTURES/busybox-oci.tar" || return 1
	man=$(jq -r '.manifests[0].digest' "$oci/index.json" | sed 's/:/\//')
	for l in $(jq -r '.layers[].digest' "$oci/blobs/$man" | sed 's/:/\//'); do
		tar -C "$T/rootfs" -xf "$oci/blobs/$l" || return 1
	done
	mk_bundle "$T/bundle-mark" '["/bin/sleep","0.01"]' || return 1
	mk_bundle "$T/bundle-true" '["/bin/true"]'
}

mk_bundle() {	# DIR ARGS_JSON
	mkdir -p "$1"
	(cd "$1" && crun spec) || return 1
	jq --arg r "$T/rootfs" --argjson a "$2" --arg tok "BENCH_TOKEN=crun-$$" \
	    '.process.args = $a | .process.terminal = false
	     | .process.env += [$tok] | .root.path = $r
	     | .root.readonly = true' "$1/config.json" >"$1/config.json.new" &&
	    mv "$1/config.json.new" "$1/config.json"
}

pods_json() { pctl get pods -A -o json 2>/dev/null; }
npods() { pods_json | jq '.items | length' 2>/dev/null; }
nrunning() {
	pods_json | jq '[.items[] | select(.status.phase == "Running")] | length' \
	    2>/dev/null
}
nrundirs() { ls "$T/run/pods" 2>/dev/null | wc -l; }

# wait_until COND SECS: COND (a shell expression) every 50 ms.
wait_until() {
	local deadline=$(($(now_ms) + $2 * 1000))
	until eval "$1" >/dev/null 2>&1; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

start_picolet() {
	ip netns add "$NETNS" || die "ip netns add $NETNS"
	ip -n "$NETNS" link set lo up
	nsenter --net="/run/netns/$NETNS" -- "$PICOLET_BIN/picolet" \
	    -c "$T/picolet.conf" </dev/null >>"$T/picolet.log" 2>&1 &
	PICOLET_PID=$!
	wait_until 'alive $PICOLET_PID && pctl status' 10 ||
	    { tail -n 20 "$T/picolet.log" >&2; die "picolet did not start"; }
}

# ---- stats ----

# stats FILE: "median p90 min max n" of the numbers in FILE (nearest rank).
stats() {
	sort -n "$1" | awk '{ a[NR] = $1 } END {
		if (NR == 0) { print "nan nan nan nan 0"; exit }
		m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
		r = int(0.9 * NR + 0.999999); if (r < 1) r = 1
		printf "%.2f %.2f %.2f %.2f %d\n", m, a[r], a[1], a[NR], NR }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }
kib() { awk -v k="$2" '$1 == k":" { print $2 }' "$1" 2>/dev/null; }
pss() { kib "/proc/$1/smaps_rollup" Pss; }
rss() { kib "/proc/$1/status" VmRSS; }

# ---- 1. start latency ----

# pod_yaml NAME TOKEN: one container, `sleep 3600`, gone at once on delete
# (grace 0: a PID 1 without a handler ignores SIGTERM).
pod_yaml() {
	cat <<YAML
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sleep", "3600"]
    env:
    - name: BENCH_TOKEN
      value: "$2"
YAML
}

# crun_ns CMD...: CMD in a private mount namespace without the hybrid
# cgroup2 mount.  The unshare happens before execwatch's clock starts.
crun_ns() {
	unshare --mount --propagation private sh -c '
	    [ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null)" != cgroup2fs ] ||
	        umount /sys/fs/cgroup/unified; exec "$@"' sh "$@"
}

# lat_picolet I: rename a manifest in, time the workload's exec, then
# delete it and wait until picolet has removed the pod and its run dir.
lat_picolet() {
	local tok=pl-$$-$1 m=$T/manifests r
	pod_yaml bench-lat "$tok" >"$m/.bench-lat.tmp"
	sleep 0.1	# picolet sees (and ignores) the dotfile's events first
	r=$(EXECWATCH_TRACE="$T/" "$OUT/execwatch" "$tok" 30000 rename \
	    "$m/.bench-lat.tmp" "$m/bench-lat.yaml")
	# The shim's exec splits the figure: picolet's part, then the shim's.
	raw "start picolet-shim run=$1 exec_us=$(awk -F'[ =]' \
	    '$5 == "picolet-shim" { print $3; exit }' <<<"$r")"
	r=$(sed -n 's/^exec_us=//p' <<<"$r")
	wait_until '[ "$(nrunning)" = 1 ]' 30 ||
	    finding "start run $1: pod bench-lat not Running within 30 s (exec marker: $r)"
	rm -f "$m/bench-lat.yaml"
	wait_until '[ "$(npods)" = 0 ] && [ "$(nrundirs)" = 0 ]' 30 ||
	    finding "start run $1: pod or its run dir still there 30 s after the manifest was deleted"
	echo "$r"
}

lat_crun() {
	local r
	r=$(crun_ns "$OUT/execwatch" "crun-$$" 10000 run \
	    crun run -b "$T/bundle-mark" "bench-$$-$1" 2>>"$T/crun.err")
	echo "${r#exec_us=}"
}

lat_floor() {
	local r
	r=$(BENCH_TOKEN=floor-$$ "$OUT/execwatch" "floor-$$" 10000 run \
	    unshare --fork --pid --mount --uts --ipc --net /bin/sleep 0.01)
	echo "${r#exec_us=}"
}

bench_start() {
	local i kind v
	log "start latency: $WARMUP warm-up + $RUNS runs each, interleaved"
	: >"$T/lat-picolet" ; : >"$T/lat-crun" ; : >"$T/lat-floor"
	for ((i = 1 - WARMUP; i <= RUNS; i++)); do
		for kind in picolet crun floor; do
			v=$(lat_$kind "$i")
			raw "start $kind run=$i exec_us=$v"
			case $v in
			''|*[!0-9.]*) finding "start $kind run $i: no exec marker ($v)"
			    continue ;;
			esac
			[ "$i" -ge 1 ] && echo "$v" >>"$T/lat-$kind"
		done
	done
	log "hyperfine: full runs of the floor and crun (/bin/true)"
	crun_ns hyperfine -N --runs "$((RUNS < 30 ? RUNS : 30))" --warmup 3 \
	    --style none --export-json "$T/hf.json" \
	    "unshare --fork --pid --mount --uts --ipc --net /bin/true" \
	    "crun run -b $T/bundle-true bench-hf-$$" >/dev/null 2>"$T/hf.err" ||
	    { finding "hyperfine failed: $(tail -n 3 "$T/hf.err")"; return 0; }
	jq -r '.results[] | "hyperfine \(.command) median_ms=\(.median * 1000) mean_ms=\(.mean * 1000) min_ms=\(.min * 1000) max_ms=\(.max * 1000) n=\(.times | length)"' \
	    "$T/hf.json" >>"$RES"
}

# ---- 2. memory ----

shim_pids() {
	local p
	for p in $(pids_under_t); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$PICOLET_BIN/picolet-shim" ] &&
		    echo "$p"
	done
}

mem_sample() {	# LABEL: picolet's RSS and PSS
	raw "mem picolet $1 rss_kib=$(rss "$PICOLET_PID") pss_kib=$(pss "$PICOLET_PID")"
}

bench_mem() {
	local i p n=0 sum=0 first="" wl=""
	log "memory: $PODS pods running sleep 3600"
	for ((i = 1; i <= PODS; i++)); do
		pod_yaml "bench-mem-$i" "mem-$$-$i" >"$T/manifests/.bench-mem-$i.tmp"
		mv "$T/manifests/.bench-mem-$i.tmp" "$T/manifests/bench-mem-$i.yaml"
	done
	wait_until '[ "$(nrunning)" = "$PODS" ]' $((30 + PODS * 2)) ||
	    finding "memory: only $(nrunning) of $PODS pods Running after $((30 + PODS * 2)) s"
	sleep 2
	mem_sample "pods=$(nrunning)"
	for p in $(shim_pids); do
		v=$(pss "$p")
		[ -n "$v" ] || continue
		raw "mem shim pid=$p pss_kib=$v rss_kib=$(rss "$p")"
		n=$((n + 1)) sum=$((sum + v))
		[ -n "$first" ] || { first=$p; wl=$(children_of "$p" | head -n 1); }
	done
	raw "mem shims n=$n pss_sum_kib=$sum"
	[ -n "$wl" ] && raw "mem workload(busybox sleep, in a pod) pid=$wl pss_kib=$(pss "$wl") rss_kib=$(rss "$wl")"
	sleep 3600 &
	SLEEP_PID=$!
	BENCH_BG_PIDS=$SLEEP_PID	# killed by bench_cleanup if we die here
	sleep 0.2
	raw "mem baseline(/bin/sleep) pss_kib=$(pss "$SLEEP_PID") rss_kib=$(rss "$SLEEP_PID")"
	kill "$SLEEP_PID"
	wait "$SLEEP_PID" 2>/dev/null
	BENCH_BG_PIDS=""
}

# ---- 3. wake-ups ----

ctxt() {
	cat /proc/"$PICOLET_PID"/task/*/status 2>/dev/null |
	    awk '/ctxt_switches:/ { s += $2 } END { print s + 0 }'
}

bench_wake() {
	local i a b calls
	log "wake-ups: $WAKE_PODS pods, $WAKE s windows"
	for ((i = WAKE_PODS + 1; i <= PODS; i++)); do
		rm -f "$T/manifests/bench-mem-$i.yaml"
	done
	wait_until '[ "$(npods)" = "$WAKE_PODS" ] && [ "$(nrundirs)" = "$WAKE_PODS" ]' 60 ||
	    finding "wake-ups: $(npods) pods / $(nrundirs) run dirs 60 s after deleting down to $WAKE_PODS"
	[ "$(readlink "/proc/$PICOLET_PID/exe")" = "$PICOLET_BIN/picolet" ] ||
	    finding "wake-ups: pid $PICOLET_PID is not picolet"
	sleep 3
	a=$(ctxt)
	raw "wake threads=$(ls /proc/"$PICOLET_PID"/task | wc -l) ctxt_switches_so_far=$a"
	sleep "$WAKE"
	b=$(ctxt)
	raw "wake ctxt_switches pods=$WAKE_PODS secs=$WAKE count=$((b - a))"
	timeout -s INT "$WAKE" strace -c -f -p "$PICOLET_PID" -o "$T/strace.txt" \
	    2>"$T/strace.err"
	# No output file lines means no syscalls only if strace did attach.
	grep -q attached "$T/strace.err" ||
	    finding "strace did not attach: $(head -n 2 "$T/strace.err")"
	calls=$(awk '$NF == "total" { print $4 }' "$T/strace.txt")
	raw "wake strace pods=$WAKE_PODS secs=$WAKE syscalls=${calls:-0}"
	sed 's/^/strace: /' "$T/strace.txt" >>"$RES"
}

# ---- leftovers after every pod is deleted, and after picolet exits ----

check_leftovers() {
	local m c p
	rm -f "$T"/manifests/*.yaml
	wait_until '[ "$(npods)" = 0 ] && [ "$(nrundirs)" = 0 ]' 60 ||
	    finding "clean-up: $(npods) pods / $(nrundirs) run dirs 60 s after deleting every manifest"
	m=$(awk -v t="$T/" -v r="$T/run" 'index($5, t) == 1 && $5 != r { print $5 }' \
	    /proc/self/mountinfo)
	[ -z "$m" ] || finding "no pods left, but mounts remain: $(echo $m)"
	c=$(find /sys/fs/cgroup -mindepth 2 -maxdepth 8 -type d -path "*/$CGNAME/*" 2>/dev/null)
	[ -z "$c" ] || finding "no pods left, but cgroups remain: $(echo $c)"
	p=$(shim_pids)
	[ -z "$p" ] || finding "no pods left, but shims still run: $(echo $p)"
	p=$(ls -A "$T/state/pods" "$T/logs" 2>/dev/null | grep -v -e '^$' -e ':$')
	[ -z "$p" ] || finding "no pods left, but state/pods or logs hold: $(echo $p)"
	kill -TERM "$PICOLET_PID"
	wait "$PICOLET_PID" 2>/dev/null
	raw "picolet exit status after SIGTERM: $?"
	PICOLET_PID=""
}

# ---- summary ----

# get KEY PATTERN: the value of KEY= on the first raw line matching PATTERN.
get() {
	grep -m1 -e "$2" "$RES" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'
}

summary() {
	local p c f pm p9 cm c9 fm f9 hf hc
	read -r pm p9 _ _ pn <<<"$(stats "$T/lat-picolet")"
	read -r cm c9 _ _ cn <<<"$(stats "$T/lat-crun")"
	read -r fm f9 _ _ fn <<<"$(stats "$T/lat-floor")"
	pm=$(awk -v v="$pm" 'BEGIN { printf "%.2f", v / 1000 }')
	p9=$(awk -v v="$p9" 'BEGIN { printf "%.2f", v / 1000 }')
	cm=$(awk -v v="$cm" 'BEGIN { printf "%.2f", v / 1000 }')
	c9=$(awk -v v="$c9" 'BEGIN { printf "%.2f", v / 1000 }')
	fm=$(awk -v v="$fm" 'BEGIN { printf "%.2f", v / 1000 }')
	f9=$(awk -v v="$f9" 'BEGIN { printf "%.2f", v / 1000 }')
	local shm_ms
	awk '/^start picolet-shim run=[1-9]/ { sub(/.*exec_us=/, ""); if ($0 != "") print }' \
	    "$RES" >"$T/lat-shim"
	read -r shm_ms _ _ _ _ <<<"$(stats "$T/lat-shim")"
	shm_ms=$(awk -v v="$shm_ms" 'BEGIN { printf "%.2f", v / 1000 }')
	hf=$(get median_ms '^hyperfine unshare' | awk '{ printf "%.2f", $1 }')
	hc=$(get median_ms '^hyperfine crun' | awk '{ printf "%.2f", $1 }')
	local i0r i0p i1r i1p mr mp np sh1 shn shs sl wl
	i0r=$(get rss_kib 'idle-fresh') i0p=$(get pss_kib 'idle-fresh')
	i1r=$(get rss_kib 'idle-after') i1p=$(get pss_kib 'idle-after')
	mr=$(get rss_kib 'mem picolet pods=') mp=$(get pss_kib 'mem picolet pods=')
	np=$(grep -m1 'mem picolet pods=' "$RES" | sed 's/.*pods=\([0-9]*\).*/\1/')
	sh1=$(get pss_kib '^mem shim ')
	shn=$(get n '^mem shims') shs=$(get pss_sum_kib '^mem shims')
	sl=$(get pss_kib '^mem baseline')
	wl=$(get pss_kib '^mem workload')
	local shm perpod
	shm=$(awk -v s="${shs:-0}" -v n="${shn:-0}" 'BEGIN { if (n) printf "%.0f", s / n; else print "nan" }')
	perpod=$(awk -v a="${mp:-0}" -v b="${i1p:-0}" -v n="${np:-0}" -v s="${shm}" \
	    'BEGIN { if (n) printf "%.0f", (a - b) / n + s; else print "nan" }')
	cat <<TXT
== picolet bench $STAMP: $(nproc) cpus, kernel $(uname -r), crun $(crun --version 2>/dev/null | awk 'NR == 1 { print $3 }')
1. start latency, action -> workload's first instruction (kernel exec event), ms
                          median      p90     n
   picolet (rename)   $(printf '%9s %9s %5s' "$pm" "$p9" "$pn")
   crun run           $(printf '%9s %9s %5s' "$cm" "$c9" "$cn")
   unshare floor      $(printf '%9s %9s %5s' "$fm" "$f9" "$fn")
   picolet/crun       $(printf '%9s %9s' "$(ratio "$pm" "$cm")" "$(ratio "$p9" "$c9")")        goal < 1.0
   picolet/floor      $(printf '%9s %9s' "$(ratio "$pm" "$fm")" "$(ratio "$p9" "$f9")")        goal <= 2.0
   picolet, median of its stages: rename -> shim exec $shm_ms, shim -> workload $(awk -v a="$pm" -v b="$shm_ms" 'BEGIN { printf "%.2f", a - b }') (approx.)
   full runs to exit, /bin/true (hyperfine, as bench-peers): floor ${hf:-?} ms, crun ${hc:-?} ms
   picolet median / those: $(ratio "$pm" "${hc:-0}") vs crun, $(ratio "$pm" "${hf:-0}") vs floor
2. memory, KiB
   picolet idle, fresh        RSS ${i0r:-?}  PSS ${i0p:-?}      goal RSS <= 4096
   picolet idle, after runs   RSS ${i1r:-?}  PSS ${i1p:-?}
   picolet, ${np:-?} pods running   RSS ${mr:-?}  PSS ${mp:-?}      goal RSS <= 10240
   shim PSS: one ${sh1:-?}, mean ${shm} of ${shn:-0}      goal <= 200
   baseline /bin/sleep PSS ${sl:-?}: shim/sleep $(ratio "${shm}" "${sl:-0}"); busybox workload PSS ${wl:-?}
   per pod (shim + picolet growth / pods): ${perpod}; podman ~950 (bench-peers): ratio $(ratio "$perpod" 950)
3. wake-ups, $WAKE_PODS pods, $WAKE s, nothing due                      goal 0
   context switches $(get count '^wake ctxt')   syscalls (strace -c -f) $(get syscalls '^wake strace')
TXT
	if [ ${#FINDINGS[@]} -gt 0 ]; then
		echo "findings:"
		printf '   - %s\n' "${FINDINGS[@]}"
	fi
	echo "raw: $RES"
}

# ---- main ----

[ "$(id -u)" = 0 ] || die "the benchmarks need root (namespaces, cgroups, mounts)"
for b in picolet picolet-shim picoctl; do
	[ -x "$PICOLET_BIN/$b" ] || die "$PICOLET_BIN/$b not built"
done
ensure_pkgs
build_helper
mkdir -p "$OUT"
[ -f "$FIXTURES/busybox-oci.tar" ] || "$REPO/tests/fixtures/mkimage.sh" "$FIXTURES" >/dev/null ||
    die "building the image fixtures failed"
trap bench_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
T=$(mktemp -d /tmp/picolet-bench.XXXXXX)
mkdir -p "$T"/manifests "$T"/state "$T"/run "$T"/logs
# As on a device, the run dir is a tmpfs (/run); state and logs are disk.
mount -t tmpfs -o mode=0755,size=64m picolet-bench-run "$T/run" ||
    die "mounting a tmpfs on $T/run"
write_conf
raw "picolet bench $STAMP runs=$RUNS pods=$PODS wake_secs=$WAKE T=$T"
raw "machine nproc=$(nproc) kernel=$(uname -r) cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //; s/ /_/g')"
"$PICOLET_BIN/picoctl" image import "$FIXTURES/busybox-oci.tar" --state "$T/state" \
    >"$T/import.out" 2>&1 || { cat "$T/import.out" >&2; die "picoctl image import failed"; }
make_bundles || die "making the crun bundles failed"
start_picolet
sleep 1
mem_sample idle-fresh
bench_start
sleep 1
mem_sample idle-after-runs
bench_mem
bench_wake
check_leftovers
summary | tee "$T/summary.txt"
sed 's/^/summary: /' "$T/summary.txt" >>"$RES"
# Issue 3's probe benchmark (tests/bench/probes.sh): its own picolet,
# pods and summary.
"$DIR/probes.sh"
