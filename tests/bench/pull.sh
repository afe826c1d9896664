#!/bin/bash
# pull.sh: the pull benchmark of issue 6 (run by `make bench`, or alone),
# as root.  A 50 MiB image (the busybox fixture plus one layer of
# BENCH_PULL_MIB (50) random, so incompressible, bytes) is pushed with
# skopeo into Debian's docker-registry on 127.0.0.1, in a network
# namespace of the benchmark's own.  Then BENCH_PULL_RUNS (3) times,
# interleaved:
#  - `picoctl image pull` into a fresh store (picolet restarted on an
#    empty state dir each run): wall time, picolet's RSS before and its
#    peak during the pull (VmHWM after clear_refs 5), so the growth;
#  - `skopeo copy docker://... dir:` of the same image (the baseline):
#    wall time and peak RSS (GNU time).
# Biases: picolet also unpacks the layers (in a child, not counted in
# its RSS) and commits the image to its store; skopeo only writes the
# blobs to a directory.  Nothing passes or fails on a number; the goals
# are printed next to the ratios: no slower than skopeo, RSS growth
# under 2 MiB.
#
# Environment: PICOLET_BIN (build/), BENCH_QUICK=1 (1 run, 20 MiB),
# BENCH_PULL_RUNS, BENCH_PULL_MIB, BENCH_KEEP=1.  Raw numbers:
# $PICOLET_BIN/bench/pull-<stamp>.txt.
set -u

. "$(dirname "$0")/lib.sh"
if [ "${BENCH_QUICK:-0}" = 1 ]; then
	RUNS=${BENCH_PULL_RUNS:-1} MIB=${BENCH_PULL_MIB:-20}
else
	RUNS=${BENCH_PULL_RUNS:-3} MIB=${BENCH_PULL_MIB:-50}
fi
RES=$OUT/pull-$STAMP.txt
NETNS=picolet-pullbench-$$
CGNAME=picolet-pullbench-$$
REG_PID=""

kib() { awk -v k="$2" '$1 == k":" { print $2 }' "/proc/$1/status" 2>/dev/null; }
wait_until() {	# COND SECS
	local deadline=$(($(now_ms) + $2 * 1000))
	until eval "$1" >/dev/null 2>&1; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.1
	done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR == 0) print "nan"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

# ---- set-up ----

# The busybox fixture plus one layer of MIB random bytes, as an OCI
# layout in $T/big (python3: it rewrites config, manifest and index).
make_image() {
	mkdir -p "$T/big" "$T/layer"
	head -c "$((MIB * 1024 * 1024))" /dev/urandom >"$T/layer/data" || return 1
	tar -C "$T/layer" --mtime=@1700000000 --owner=0 --group=0 -cf "$T/layer.tar" data &&
	    gzip -1 -n -c "$T/layer.tar" >"$T/layer.tar.gz" || return 1
	python3 - "$FIXTURES/busybox-oci.tar" "$T/big" "$T/layer.tar" "$T/layer.tar.gz" <<'EOF'
import hashlib, json, os, sys, tarfile
src, out, tarp, gzp = sys.argv[1:5]
def sha(p):
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()
tf = tarfile.open(src)
os.makedirs(out + "/blobs/sha256", exist_ok=True)
files = {m.name.lstrip("./"): m for m in tf.getmembers() if m.isfile()}
for n, m in files.items():
    if n.startswith("blobs/sha256/"):
        with open(out + "/" + n, "wb") as f:
            f.write(tf.extractfile(m).read())
idx = json.loads(tf.extractfile(files["index.json"]).read())
man = json.load(open(out + "/blobs/" + idx["manifests"][0]["digest"].replace(":", "/")))
cfg = json.load(open(out + "/blobs/" + man["config"]["digest"].replace(":", "/")))
diff, dig = sha(tarp), sha(gzp)
os.rename(gzp, out + "/blobs/sha256/" + dig)
cfg["rootfs"]["diff_ids"].append("sha256:" + diff)
def put(obj):
    b = json.dumps(obj).encode()
    d = hashlib.sha256(b).hexdigest()
    open(out + "/blobs/sha256/" + d, "wb").write(b)
    return "sha256:" + d, len(b)
cd, cs = put(cfg)
man["config"]["digest"], man["config"]["size"] = cd, cs
man["layers"].append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
    "digest": "sha256:" + dig, "size": os.path.getsize(out + "/blobs/sha256/" + dig)})
md, ms = put(man)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": man["mediaType"],
    "digest": md, "size": ms, "annotations": {"org.opencontainers.image.ref.name": "1"}}]},
    open(out + "/index.json", "w"))
open(out + "/oci-layout", "w").write('{"imageLayoutVersion":"1.0.0"}')
EOF
}

start_registry() {
	mkdir -p "$T/reg"
	cat >"$T/reg/config.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $T/reg/data
http:
  addr: 127.0.0.1:5000
EOF
	# nsenter itself (it execs), not the inns function: $! must be the
	# process to stop
	nsenter --net="/run/netns/$NETNS" -- docker-registry serve \
	    "$T/reg/config.yml" >"$T/reg/log" 2>&1 &
	REG_PID=$!
	BENCH_BG_PIDS=$REG_PID	# stopped by bench_cleanup
	wait_until 'inns curl -s -o /dev/null http://127.0.0.1:5000/v2/' 10
}

start_picolet() {
	rm -rf "$T/state" && mkdir -p "$T/state"
	nsenter --net="/run/netns/$NETNS" -- "$PICOLET_BIN/picolet" \
	    -c "$T/picolet.conf" </dev/null >>"$T/picolet.log" 2>&1 &
	PICOLET_PID=$!
	wait_until 'alive $PICOLET_PID && pctl status' 10 ||
	    { tail -n 20 "$T/picolet.log" >&2; die "picolet did not start"; }
	[ "$(readlink "/proc/$PICOLET_PID/exe")" = "$PICOLET_BIN/picolet" ] ||
	    die "pid $PICOLET_PID is not picolet"
}

stop_picolet() {
	kill -TERM "$PICOLET_PID"
	wait "$PICOLET_PID" 2>/dev/null
	PICOLET_PID=""
}

# ---- one run each ----

run_picolet() {	# I
	local t0 t1 rss hwm out
	start_picolet
	sleep 1
	rss=$(kib "$PICOLET_PID" VmRSS)
	echo 5 >"/proc/$PICOLET_PID/clear_refs"	# VmHWM := VmRSS
	t0=$(now_ms)
	out=$(pctl image pull 127.0.0.1:5000/big:1 2>&1) ||
	    finding "run $1: picoctl image pull failed: $out"
	t1=$(now_ms)
	hwm=$(kib "$PICOLET_PID" VmHWM)
	raw "picolet run=$1 ms=$((t1 - t0)) rss_before_kib=$rss hwm_kib=$hwm growth_kib=$((hwm - rss)) out=${out// /_}"
	echo "$((t1 - t0)) $((hwm - rss))"
	stop_picolet
}

run_skopeo() {	# I
	local t0 t1 peak
	rm -rf "$T/skopeo-dir"
	t0=$(now_ms)
	inns /usr/bin/time -f %M -o "$T/skopeo.time" skopeo copy -q \
	    --src-tls-verify=false docker://127.0.0.1:5000/big:1 \
	    "dir:$T/skopeo-dir" >"$T/skopeo.log" 2>&1 ||
	    finding "run $1: skopeo copy failed: $(tail -n 2 "$T/skopeo.log")"
	t1=$(now_ms)
	peak=$(tail -n 1 "$T/skopeo.time")
	raw "skopeo run=$1 ms=$((t1 - t0)) peak_rss_kib=$peak"
	echo "$((t1 - t0)) $peak"
}

# ---- main ----

[ "$(id -u)" = 0 ] || die "the benchmark needs root (namespaces)"
for b in docker-registry skopeo python3 curl; do
	command -v "$b" >/dev/null || { log "pull bench skipped: $b not installed"; exit 0; }
done
[ -x /usr/bin/time ] || { log "pull bench skipped: GNU time not installed"; exit 0; }
mkdir -p "$OUT"
[ -f "$FIXTURES/busybox-oci.tar" ] || "$REPO/tests/fixtures/mkimage.sh" "$FIXTURES" >/dev/null ||
    die "building the image fixtures failed"
trap bench_cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
T=$(mktemp -d /tmp/picolet-pullbench.XXXXXX)
mkdir -p "$T"/manifests "$T"/run "$T"/logs
write_conf
ip netns add "$NETNS" || die "ip netns add $NETNS"
ip -n "$NETNS" link set lo up
raw "picolet pull bench $STAMP runs=$RUNS mib=$MIB T=$T"
raw "machine nproc=$(nproc) kernel=$(uname -r) load=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' ,)"
log "making a $MIB MiB image"
make_image || die "making the image failed"
start_registry || die "docker-registry did not start: $(cat "$T/reg/log")"
inns skopeo copy -q --dest-tls-verify=false "oci:$T/big:1" docker://127.0.0.1:5000/big:1 \
    >"$T/push.log" 2>&1 || die "skopeo push failed: $(cat "$T/push.log")"
size=$(du -sb "$T/big/blobs" | cut -f1)
raw "image blobs_bytes=$size"
: >"$T/p" ; : >"$T/s"
for ((i = 1; i <= RUNS; i++)); do
	log "run $i of $RUNS"
	run_skopeo "$i" >>"$T/s"
	run_picolet "$i" >>"$T/p"
done
pt=$(cut -d' ' -f1 "$T/p" | median) pg=$(cut -d' ' -f2 "$T/p" | median)
st=$(cut -d' ' -f1 "$T/s" | median) sp=$(cut -d' ' -f2 "$T/s" | median)
{
	echo "== picolet pull bench $STAMP: $(nproc) cpus, $((size / 1048576)) MiB image, $RUNS runs (medians)"
	echo "   picolet image pull   $pt ms   RSS growth ${pg} KiB (peak during the pull - before)"
	echo "   skopeo copy to dir:  $st ms   peak RSS ${sp} KiB"
	echo "   time picolet/skopeo  $(ratio "$pt" "$st")        goal <= 1.0 (picolet also unpacks)"
	echo "   picolet RSS growth   $(awk -v g="$pg" 'BEGIN { printf "%.2f", g / 1024 }') MiB       goal < 2 MiB"
	if [ ${#FINDINGS[@]} -gt 0 ]; then
		echo "findings:"
		printf '   - %s\n' "${FINDINGS[@]}"
	fi
	echo "raw: $RES"
} | tee "$T/summary.txt"
sed 's/^/summary: /' "$T/summary.txt" >>"$RES"
