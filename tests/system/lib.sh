# lib.sh: sourced by every tests/system/test_*.sh (and by run.sh, with
# PICOLET_LIB_ONLY=1, for its clean-up after a timed-out test).
#
# Each test gets a temp dir $T (manifests/ state/ run/ logs/ and a
# picolet.conf pointing there), a named network namespace of its own (so a
# restarted picolet rejoins it) and picolet running in that netns but in the
# host mount namespace, as on a device.  The EXIT trap stops picolet, kills
# what the test's pods left (found by the test's run dir and the pods' uids,
# never by name), unmounts what is under $T, deletes the netns and $T.
#
# Cases: run_case NAME FUNC [ARGS] prints "ok - NAME" or "not ok - NAME";
# inside FUNC assertions print "#   FAIL: ..." and return 1, so each check
# is written `assert_... || return 1`.

set -u

SYSTEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SYSTEST_DIR/../.." && pwd)
PICOLET_BIN=$(cd "${PICOLET_BIN:-$REPO/build}" && pwd)
FIXTURES=${PICOLET_FIXTURES:-$PICOLET_BIN/fixtures}
TEST_NAME=$(basename "$0" .sh)
# valgrind makes picolet several times slower: stretch every wait.
SCALE=1
[ "${PICOLET_VALGRIND:-0}" = 1 ] && SCALE=4

FAILED=0
PICOLET_PID=""
PICOLET_RUNS=0
PICOLET_RC=""
PICOLET_LOG_OFF=0
BG_PIDS=()

# ---- reporting and assertions ----

now_ms() { local t=${EPOCHREALTIME/./}; echo $((t / 1000)); }
note() { echo "# $*"; }
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; FAILED=1; }
fail() { echo "#   FAIL: $*"; return 1; }

run_case() {
	local name=$1 t0 rc
	shift
	note "--- $name"
	t0=$(now_ms)
	"$@"
	rc=$?
	note "($(($(now_ms) - t0)) ms)"
	if [ "$rc" = 0 ]; then
		ok "$name"
	else
		not_ok "$name"
	fi
}

assert_eq() {	# GOT WANT WHAT
	[ "$1" = "$2" ] || fail "$3: got '$1', want '$2'"
}
assert_ne() {	# GOT NOTWANT WHAT
	[ "$1" != "$2" ] || fail "$3: got '$1', want anything else"
}
assert_match() {	# STRING ERE WHAT
	[[ $1 =~ $2 ]] || fail "$3: '$1' does not match /$2/"
}
assert_contains() {	# HAYSTACK NEEDLE WHAT
	case $1 in
	*"$2"*) return 0 ;;
	esac
	fail "$3: '$2' not in:"$'\n'"$(printf '%s\n' "$1" | sed 's/^/#     /')"
}
assert_not_contains() {	# HAYSTACK NEEDLE WHAT
	case $1 in
	*"$2"*) fail "$3: '$2' found in:"$'\n'"$(printf '%s\n' "$1" | sed 's/^/#     /')" ;;
	esac
	return 0
}
assert_between() {	# VALUE MIN MAX WHAT (integers)
	[ "$1" -ge "$2" ] && [ "$1" -le "$3" ] ||
	    fail "$4: $1 not in [$2, $3]"
}

# wait_for "COND" SECONDS [WHAT]: evaluate COND every 0.1 s until true.
wait_for() {
	local cond=$1 secs=$2 what=${3:-}
	local deadline=$(($(now_ms) + secs * 1000 * SCALE))
	while :; do
		if eval "$cond" >/dev/null 2>&1; then
			return 0
		fi
		if [ "$(now_ms)" -ge "$deadline" ]; then
			echo "#   FAIL: timed out after $((secs * SCALE)) s waiting for${what:+ $what:} $cond"
			pctl get pods -A 2>&1 | sed 's/^/#     /'
			if [ -n "$PICOLET_PID" ] && ! kill -0 "$PICOLET_PID" 2>/dev/null; then
				echo "#     (picolet is not running)"
			fi
			return 1
		fi
		sleep 0.1
	done
}

# ---- talking to picolet ----

pctl() { "$PICOLET_BIN/picoctl" -s "$T/picolet.sock" "$@"; }

# http_get PATH: print the body; non-zero unless the status is 2xx.
http_get() {
	if command -v curl >/dev/null; then
		curl -sS -f --max-time 5 --unix-socket "$T/picolet.sock" \
		    "http://localhost$1"
	else
		python3 - "$T/picolet.sock" "$1" <<'EOF'
import http.client, socket, sys
class C(http.client.HTTPConnection):
    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.settimeout(5)
        self.sock.connect(sys.argv[1])
c = C("localhost")
c.request("GET", sys.argv[2])
r = c.getresponse()
sys.stdout.buffer.write(r.read())
sys.exit(0 if 200 <= r.status < 300 else 22)
EOF
	fi
}

# jeval EXPR: evaluate a python expression over the JSON on stdin (d);
# c0 = first containerStatus.  Prints "" when a key is missing.
jeval() {
	python3 -c '
import json, sys
try:
    d = json.load(sys.stdin)
except Exception:
    sys.exit(3)
st = d.get("status") or {} if isinstance(d, dict) else {}
cs = st.get("containerStatuses") or [{}]
c0 = cs[0]
try:
    v = eval(sys.argv[1])
except (KeyError, IndexError, TypeError, AttributeError):
    v = ""
if v is None:
    v = ""
if isinstance(v, bool):
    v = str(v).lower()
print(json.dumps(v) if isinstance(v, (dict, list)) else v)' "$1"
}

# pj POD EXPR [NS]: jeval over `picoctl get pods POD -o json`.
pj() { pctl get pods "$1" -n "${3:-default}" -o json 2>/dev/null | jeval "$2"; }
pod_phase() { pj "$1" 'st["phase"]' "${2:-default}"; }
pod_uid() { pj "$1" 'd["metadata"]["uid"]' "${2:-default}"; }
pod_restarts() { pj "$1" 'c0["restartCount"]' "${2:-default}"; }
# running | waiting:REASON | terminated:REASON
pod_cstate() {
	pj "$1" '[k + (":" + (v or {}).get("reason", "") if k != "running" else "") for k, v in c0["state"].items()][0]' "${2:-default}"
}
# The STATUS column of `picoctl get pods POD` as a user sees it.
pod_status_col() {
	pctl get pods "$1" -n "${2:-default}" 2>/dev/null |
	    awk 'NR == 2 { print $3 }'
}
pod_names() {	# [NS]
	pctl get pods -n "${1:-default}" -o json 2>/dev/null |
	    jeval '" ".join(sorted(i["metadata"]["name"] for i in d["items"]))'
}
pod_exists() {	# POD [NS]
	local n
	n=$(pctl get pods -n "${2:-default}" -o json 2>/dev/null) || return 2
	printf '%s' "$n" | jeval '"yes" if any(i["metadata"]["name"] == "'"$1"'" for i in d["items"]) else "no"' |
	    grep -qx yes
}
pod_gone() { pctl get pods -o json >/dev/null 2>&1 && ! pod_exists "$@"; }

# ---- processes of the test's containers ----

# pids_cmdline STRING: pids whose command line contains STRING.  The
# pattern goes to grep through a file so grep does not match itself.
pids_cmdline() {
	local f
	f=$(mktemp /tmp/.picolet-pat.XXXXXX)	# not under $T: grep's argv
	printf '%s\n' "$1" >"$f"
	grep -lasF -f "$f" /proc/[0-9]*/cmdline 2>/dev/null |
	    awk -F/ '{ print $3 }' | grep -vx -e "$$" -e "$BASHPID" | sort -n
	rm -f "$f"
}
children_of() {	# PID...
	local p
	# /proc/PID/task/*/children: exact, and no scan of all of /proc (an
	# awk over /proc/*/status can die on a process that exits meanwhile).
	for p; do
		cat /proc/"$p"/task/*/children 2>/dev/null
	done | tr ' ' '\n' | grep -v '^$'
}
# shim_pid POD [CONTAINER]: the shim, found by the container's run dir on
# its command line.
shim_pid() {
	local uid c=${2:-main}
	uid=$(pod_uid "$1") || return 1
	[ -n "$uid" ] || return 1
	pids_cmdline "$T/run/pods/$uid/$c" | head -n 1
}
# workload_pid POD [CONTAINER]: host pid of the container's PID 1 (the
# shim's child).
workload_pid() {
	local s
	s=$(shim_pid "$@") || return 1
	[ -n "$s" ] || return 1
	children_of "$s" | head -n 1
}
nspid() {	# PID: the pid as seen inside its own pid namespace
	awk '/^NSpid:/ { print $NF }' "/proc/$1/status" 2>/dev/null
}
# cpu_ticks PID: user+system clock ticks the process has used.
cpu_ticks() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }'
}
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

# Mounts (our mount namespace: picolet runs in it) and cgroup dirs whose
# path contains STRING.
mounts_with() {
	awk -v s="$1" 'index($5, s) { print $5 }' /proc/self/mountinfo
}
cgroups_with() {
	find /sys/fs/cgroup -mindepth 2 -maxdepth 6 -type d -name "*$1*" 2>/dev/null
}

# ---- picolet ----

start_picolet() {	# [picolet args...]
	local vg=()
	if [ "${PICOLET_VALGRIND:-0}" = 1 ]; then
		# Children forked to do set-up work report nothing: their
		# leaks are the parent's heap, and they _exit.
		vg=(valgrind --error-exitcode=99 --leak-check=full
		    --errors-for-leak-kinds=definite --child-silent-after-fork=yes)
	fi
	PICOLET_RUNS=$((PICOLET_RUNS + 1))
	echo "=== picolet run $PICOLET_RUNS: $*" >>"$T/picolet.log"
	PICOLET_LOG_OFF=$(stat -c %s "$T/picolet.log")
	nsenter --net="/run/netns/$NETNS" -- "${vg[@]}" "$PICOLET_BIN/picolet" \
	    -c "$T/picolet.conf" "$@" </dev/null >>"$T/picolet.log" 2>&1 &
	PICOLET_PID=$!
	if ! wait_for 'alive "$PICOLET_PID" && http_get /healthz' 10 \
	    "picolet to answer /healthz"; then
		tail -n 30 "$T/picolet.log" | sed 's/^/#     /'
		return 1
	fi
}

# stop_picolet: SIGTERM and wait; PICOLET_RC gets its exit status.  Under
# valgrind a run that reported errors is a failed case.
stop_picolet() {
	local pid=$PICOLET_PID i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < 100 * SCALE; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then
		echo "#   picolet did not exit within $((10 * SCALE)) s of SIGTERM; killing it"
		kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	PICOLET_RC=$?
	PICOLET_PID=""
	# An ASan/UBSan build (make check) reports into picolet's stderr.
	local san
	san=$(tail -c +$((PICOLET_LOG_OFF + 1)) "$T/picolet.log" |
	    grep -E -A12 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' | head -n 40)
	if [ -n "$san" ]; then
		printf '%s\n' "$san" | sed 's/^/#     /'
		not_ok "sanitizer report: picolet run $PICOLET_RUNS"
	fi
	if [ "${PICOLET_VALGRIND:-0}" = 1 ]; then
		if [ "$PICOLET_RC" = 99 ]; then
			sed 's/^/#     /' "$T/picolet.log" | grep '==[0-9]*==' | tail -n 60
			not_ok "valgrind: picolet run $PICOLET_RUNS"
		else
			ok "valgrind: picolet run $PICOLET_RUNS"
		fi
	fi
	return 0
}

kill9_picolet() {
	[ -n "$PICOLET_PID" ] || return 0
	kill -KILL "$PICOLET_PID" 2>/dev/null
	wait "$PICOLET_PID" 2>/dev/null
	PICOLET_PID=""
}

# ---- inputs ----

# put_manifest NAME: stdin lands in manifests/NAME atomically (a dotfile,
# which picolet ignores, renamed into place).
put_manifest() {
	cat >"$T/manifests/.$1.tmp" && mv -f "$T/manifests/.$1.tmp" "$T/manifests/$1"
}
rm_manifest() { rm -f "$T/manifests/$1"; }

# pod_yaml NAME 'shell script' [restartPolicy] [grace] [image] [pull]: a
# one container (named "main") pod running sh -c SCRIPT.  imagePullPolicy
# is IfNotPresent unless given: the tests run offline, with the busybox
# fixture imported, and `image: busybox` alone would mean Always.
pod_yaml() {
	local name=$1 script=$2 policy=${3:-Always} grace=${4:-5} image=${5:-busybox}
	local pull=${6:-IfNotPresent}
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $name
  labels:
    app: $name
spec:
  restartPolicy: $policy
  terminationGracePeriodSeconds: $grace
  containers:
  - name: main
    image: $image
    imagePullPolicy: $pull
    command:
    - sh
    - -c
    - |
$(printf '%s\n' "$script" | sed 's/^/      /')
EOF
}

import_busybox() {	# picoctl image import of the OCI fixture, into $T/state
	"$PICOLET_BIN/picoctl" image import "$FIXTURES/busybox-oci.tar" \
	    --state "$T/state" >"$T/import.out" 2>&1 ||
	    { sed 's/^/#     /' "$T/import.out"; fail "picoctl image import busybox-oci.tar"; }
}
# drop_archive FILE: into <state>/images/import/, renamed into place.
drop_archive() {
	local d=$T/state/images/import b
	b=$(basename "$1")
	mkdir -p "$d" && cp "$1" "$d/.$b.tmp" && mv -f "$d/.$b.tmp" "$d/$b"
}

# ---- set-up and clean-up ----

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
[agent]
debounce_ms = 100
EOF
}

setup_test() {
	T=$(mktemp -d /tmp/picolet-test.XXXXXX)
	NETNS=picolet-t-${TEST_NAME#test_}-$$
	CGNAME=$NETNS
	mkdir -p "$T"/manifests "$T"/state "$T"/run "$T"/logs
	write_conf
	if [ -n "${PICOLET_TEST_STATE:-}" ]; then
		printf 'T=%s\nNETNS=%s\nCGNAME=%s\n' "$T" "$NETNS" "$CGNAME" \
		    >"$PICOLET_TEST_STATE"
	fi
	ip netns add "$NETNS" || { echo "ip netns add $NETNS failed"; exit 1; }
	ip -n "$NETNS" link set lo up
	trap cleanup_test EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	note "T=$T netns=$NETNS bin=$PICOLET_BIN"
}

# The uids of this test's pods: run dirs, and anything under state/ that
# is named like a uid.
test_uids() {
	{
		ls "$1/run/pods" 2>/dev/null
		find "$1/state" -maxdepth 3 -regextype egrep \
		    -regex '.*/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}' \
		    -printf '%f\n' 2>/dev/null
	} | grep -v '^\.' | sort -u
}

# cleanup_dir T NETNS CGNAME: what the EXIT trap does; also run by run.sh
# when a test was killed by its timeout.
cleanup_dir() {
	local t=$1 ns=$2 cgname=$3 pids uid u d m i
	[ -n "$t" ] && [ -n "$ns" ] && [ -n "$cgname" ] || return 1
	T=$t
	local uids
	uids=$(test_uids "$t")
	# Whatever runs with the test's dir on its command line: picolet,
	# shims, picoctl -f.  Workloads are the shims' children.
	pids=$(pids_cmdline "$t/")
	# picolet first, politely, so it does not restart what we kill.
	for i in $pids; do
		if [ "$(readlink "/proc/$i/exe" 2>/dev/null)" = "$PICOLET_BIN/picolet" ]; then
			kill -TERM "$i" 2>/dev/null
		fi
	done
	sleep 0.2
	local kids
	kids=$(children_of $pids)
	# The test's cgroups: its own tree (conf: [paths] cgroup) in each
	# hierarchy, and any dir named after one of its pods.
	local cgs=""
	for u in $uids; do
		cgs="$cgs $(cgroups_with "$u")"
	done
	for d in $(find /sys/fs/cgroup -maxdepth 2 -type d -name "$cgname" 2>/dev/null); do
		cgs="$cgs $(find "$d" -type d 2>/dev/null)"
	done
	for i in 1 2 3 4 5 6 7 8 9 10; do
		local left=""
		for d in $cgs; do
			[ -f "$d/cgroup.procs" ] || continue
			left="$left $(cat "$d/cgroup.procs" 2>/dev/null)"
		done
		for m in $pids $kids; do alive "$m" && left="$left $m"; done
		left=$(echo $left)
		[ -n "$left" ] || break
		kill -KILL $left 2>/dev/null
		sleep 0.2
	done
	for d in $(printf '%s\n' $cgs | awk '{ print length($0), $0 }' | sort -rn | cut -d' ' -f2-); do
		rmdir "$d" 2>/dev/null
	done
	# Mounts under $t, deepest first.
	for m in $(awk -v t="$t/" 'index($5, t) == 1 { print length($5), $5 }' /proc/self/mountinfo |
	    sort -rn | cut -d' ' -f2-); do
		umount -l "$m" 2>/dev/null
	done
	ip netns del "$ns" 2>/dev/null
	if [ -n "$(mounts_with "$t/")" ]; then
		echo "# clean-up: mounts remain under $t, not removing it"
		return 1
	fi
	if [ "${PICOLET_KEEP:-0}" = 1 ]; then
		echo "# kept $t"
	else
		rm -rf --one-file-system "$t"
	fi
}

cleanup_test() {
	local rc=$?
	trap - EXIT TERM INT
	local b
	for b in "${BG_PIDS[@]}"; do
		kill "$b" 2>/dev/null
	done
	[ -n "$PICOLET_PID" ] && stop_picolet
	cleanup_dir "$T" "$NETNS" "$CGNAME"
	[ "$FAILED" = 0 ] && [ "$rc" = 0 ] && exit 0
	exit 1
}

# done_testing: the last line of every test.
done_testing() {
	exit "$FAILED"
}

# Preconditions every test needs; a test that cannot run fails loudly.
require_bins() {
	local b
	for b in picolet picolet-shim picoctl; do
		[ -x "$PICOLET_BIN/$b" ] || { not_ok "$TEST_NAME: $PICOLET_BIN/$b not built"; exit 1; }
	done
	[ -f "$FIXTURES/busybox-oci.tar" ] ||
	    { not_ok "$TEST_NAME: fixtures missing in $FIXTURES (run tests/system/run.sh)"; exit 1; }
}

if [ "${PICOLET_LIB_ONLY:-0}" != 1 ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "system tests need root"
		exit 1
	fi
	require_bins
	setup_test
fi
