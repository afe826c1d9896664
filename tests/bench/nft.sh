#!/bin/bash
# nft.sh: picolet's nftables benchmarks (issue 4), as root, in a network
# namespace this script makes (never the host's ruleset).
#
#  1. Endpoint change -> rule live: with 10, 100 and 1000 services of 3
#     endpoints, one endpoint of one service is replaced and
#     net_nft_apply() timed until the kernel has committed the batch
#     (NFT_BENCH_RUNS changes per size).  Goal: under 2 ms at every size.
#  2. Programming 1000 services from nothing, and the same ruleset loaded
#     with `nft -f` (the table as `nft list` prints it after our apply),
#     in the same run, interleaved, as a ratio.  nft's figure includes its
#     process start, as a user of `nft -f` pays it.
#
# Environment: PICOLET_BIN (build/), NFT_BENCH_RUNS (200), NFT_BENCH_SCRATCH
# (5 runs each for 2.), BENCH_NO_APT=1.  Raw lines go to
# $PICOLET_BIN/bench/nft-<stamp>.txt.
set -u

DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$DIR/../.." && pwd)
PICOLET_BIN=$(cd "${PICOLET_BIN:-$REPO/build}" 2>/dev/null && pwd) ||
    { echo "nft.sh: no build dir; run make first"; exit 1; }
OUT=$PICOLET_BIN/bench
RUNS=${NFT_BENCH_RUNS:-200}
SCRATCH=${NFT_BENCH_SCRATCH:-5}
NS=picolet-nftbench-$$
RES=$OUT/nft-$(date -u +%Y%m%dT%H%M%SZ).txt
T=""

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
inns() { ip netns exec "$NS" "$@"; }
now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }

cleanup() {
	ip netns del "$NS" 2>/dev/null
	[ -n "$T" ] && rm -rf "$T"
}

[ "$(id -u)" = 0 ] || die "needs root (a network namespace, nftables)"
if ! command -v nft >/dev/null; then
	[ "${BENCH_NO_APT:-0}" = 1 ] && die "nft missing (BENCH_NO_APT=1)"
	log "apt-get install nftables (the peer of benchmark 2)"
	apt-get update -qq >/dev/null 2>&1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nftables \
	    >/dev/null 2>&1 || die "apt-get install nftables failed"
fi
for l in libnet.a liblib.a; do
	[ -f "$PICOLET_BIN/$l" ] || die "$PICOLET_BIN/$l not built"
done
trap cleanup EXIT
T=$(mktemp -d /tmp/picolet-nftbench.XXXXXX)
mkdir -p "$OUT"
${CC:-cc} -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -I"$REPO" \
    -o "$T/nft_bench" "$DIR/nft_bench.c" "$PICOLET_BIN/libnet.a" \
    "$PICOLET_BIN/liblib.a" -lnftnl -lmnl || die "building nft_bench failed"
ip netns add "$NS" || die "ip netns add $NS"
inns ip link set lo up

echo "picolet nft bench: $(nproc) cpus, kernel $(uname -r), $(nft --version)" |
    tee "$RES"
echo "1. endpoint change -> rule live (net_nft_apply until the kernel's ack), us"
for n in 10 100 1000; do
	r=$(inns "$T/nft_bench" change "$n" "$RUNS") || die "nft_bench change $n"
	echo "$r" >>"$RES"
	echo "$r" | awk '{ for (i = 1; i <= NF; i++) { split($i, a, "="); v[a[1]] = a[2] }
	    printf "   %5d services: median %6d  p90 %6d  max %6d   (diff alone %d, no-op apply %d, %d messages)   goal < 2000\n",
	    v["n"], v["median_us"], v["p90_us"], v["max_us"], v["diff_build_us"], v["noop_us"], v["msgs"] }'
done

echo "2. 1000 services from nothing: picolet vs nft -f of the same ruleset, ms"
: >"$T/ours"; : >"$T/nft"
for ((i = 0; i < SCRATCH; i++)); do
	r=$(inns "$T/nft_bench" scratch 1000) || die "nft_bench scratch"
	echo "$r" >>"$RES"
	echo "$r" | sed 's/.*apply_us=\([0-9]*\).*/\1/' >>"$T/ours"
	if [ ! -f "$T/ruleset.nft" ]; then
		# nft 1.0 prints the slot maps' key as "mark" and then refuses
		# numgen's integer for it: declare them by typeof instead.
		inns nft list table ip picolet | sed \
		    's/type mark : ipv4_addr \. inet_service/typeof numgen random mod 61 : ip daddr . tcp dport/' \
		    >"$T/ruleset.nft" || die "nft list table"
	fi
	inns nft delete table ip picolet || die "nft delete table"
	t0=$(now_us)
	inns nft -f "$T/ruleset.nft" || die "nft -f failed"
	t1=$(now_us)
	echo "nft-f n=1000 us=$((t1 - t0))" >>"$RES"
	echo $((t1 - t0)) >>"$T/nft"
	inns nft delete table ip picolet
done
med() { sort -n "$1" | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
o=$(med "$T/ours"); f=$(med "$T/nft")
awk -v o="$o" -v f="$f" -v n="$SCRATCH" -v l="$(wc -l <"$T/ruleset.nft")" 'BEGIN {
	printf "   picolet %.1f  nft -f %.1f  (median of %d; ruleset %d lines)  picolet/nft = %.2f\n",
	    o / 1000, f / 1000, n, l, (f > 0 ? o / f : 0) }'
echo "raw: $RES"
