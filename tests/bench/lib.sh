# lib.sh: sourced by the benchmarks (run.sh, probes.sh, svc.sh,
# pull.sh): a temp dir with a tmpfs run dir, a network namespace and a
# cgroup name of their own, picolet started in that netns (in the host
# mount namespace, as on a device), and an EXIT trap that
# stops picolet and removes what it and the pods left, found by the temp
# dir and the cgroup name, never by a process name.
#
# The sourcing script sets BENCH_NAME (e.g. "pbench") before bench_setup,
# and RES (its raw results file) before raw/finding are used.

DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$DIR/../.." && pwd)
PICOLET_BIN=$(cd "${PICOLET_BIN:-$REPO/build}" 2>/dev/null && pwd) ||
    { echo "bench: no build dir; run make first"; exit 1; }
OUT=$PICOLET_BIN/bench
FIXTURES=$PICOLET_BIN/fixtures
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
T=""
PICOLET_PID=""
FINDINGS=()

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
raw() { printf '%s\n' "$*" >>"$RES"; }
finding() { FINDINGS+=("$*"); log "FINDING: $*"; raw "finding: $*"; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
pctl() { "$PICOLET_BIN/picoctl" -s "$T/picolet.sock" "$@"; }
inns() { nsenter --net="/run/netns/$NETNS" -- "$@"; }
pods_json() { pctl get pods -o json 2>/dev/null; }
count() {	# JQ-CONDITION: pods matching it
	pods_json | jq "[.items[] | select($1)] | length" 2>/dev/null
}
nrundirs() { ls "$T/run/pods" 2>/dev/null | wc -l; }
wait_until() {	# COND SECS: COND every 0.5 s
	local deadline=$(($(now_ms) + $2 * 1000))
	until eval "$1" >/dev/null 2>&1; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.5
	done
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

pids_under_t() {
	grep -lasF "$T/" /proc/[0-9]*/cmdline 2>/dev/null |
	    awk -F/ '{ print $3 }' | grep -vx -e "$$" -e "$BASHPID"
}
children_of() {
	local p
	for p; do
		cat /proc/"$p"/task/*/children 2>/dev/null
	done | tr ' ' '\n' | grep -v '^$'
}
our_cgroups() {	# deepest first
	find /sys/fs/cgroup -mindepth 1 -maxdepth 8 -type d -path "*/$CGNAME*" \
	    2>/dev/null | awk '{ print length($0), $0 }' | sort -rn | cut -d' ' -f2-
}

bench_cleanup() {
	local rc=$? i d m left
	trap - EXIT INT TERM
	for i in ${BENCH_BG_PIDS:-}; do
		kill "$i" 2>/dev/null
	done
	[ -n "$T" ] && [ -d "$T" ] || { ip netns del "$NETNS" 2>/dev/null; exit $rc; }
	if alive "$PICOLET_PID"; then
		kill -TERM "$PICOLET_PID"
		wait "$PICOLET_PID" 2>/dev/null
	fi
	for i in 1 2 3 4 5 6 7 8 9 10; do
		left=$(pids_under_t)
		left="$left $(children_of $left)"
		for d in $(our_cgroups); do
			left="$left $(cat "$d/cgroup.procs" 2>/dev/null)"
		done
		left=$(echo $left)
		[ -n "$left" ] || break
		kill -KILL $left 2>/dev/null
		sleep 0.2
	done
	for d in $(our_cgroups); do rmdir "$d" 2>/dev/null; done
	for m in $(awk -v t="$T/" 'index($5, t) == 1 { print length($5), $5 }' \
	    /proc/self/mountinfo | sort -rn | cut -d' ' -f2-); do
		umount -l "$m" 2>/dev/null
	done
	ip netns del "$NETNS" 2>/dev/null
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		log "kept $T"
	elif awk -v t="$T/" 'index($5, t) == 1 { f = 1 } END { exit !f }' /proc/self/mountinfo; then
		log "mounts remain under $T; not removing it"
	else
		rm -rf --one-file-system "$T"
	fi
	exit $rc
}

# bench_setup: checks, the temp dir and its config, busybox imported.
bench_setup() {
	local b
	NETNS=picolet-$BENCH_NAME-$$
	CGNAME=picolet-$BENCH_NAME-$$
	[ "$(id -u)" = 0 ] || die "the benchmarks need root (namespaces, cgroups, mounts)"
	for b in picolet picolet-shim picoctl; do
		[ -x "$PICOLET_BIN/$b" ] || die "$PICOLET_BIN/$b not built"
	done
	for b in jq python3; do
		command -v "$b" >/dev/null || die "$b is needed"
	done
	mkdir -p "$OUT"
	[ -f "$FIXTURES/busybox-oci.tar" ] ||
	    "$REPO/tests/fixtures/mkimage.sh" "$FIXTURES" >/dev/null ||
	    die "building the image fixtures failed"
	trap bench_cleanup EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	T=$(mktemp -d "/tmp/picolet-$BENCH_NAME.XXXXXX")
	mkdir -p "$T"/manifests "$T"/state "$T"/run "$T"/logs
	mount -t tmpfs -o mode=0755,size=64m "picolet-$BENCH_NAME-run" "$T/run" ||
	    die "mounting a tmpfs on $T/run"
	write_conf
	"$PICOLET_BIN/picoctl" image import "$FIXTURES/busybox-oci.tar" \
	    --state "$T/state" >"$T/import.out" 2>&1 ||
	    { cat "$T/import.out" >&2; die "picoctl image import failed"; }
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
