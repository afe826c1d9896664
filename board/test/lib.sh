# board/test/lib.sh: helpers for the image tests (sourced).  A test makes
# a work dir with a copy of the SD image, boots it under qemu with
# loopback-only user networking (restrict=on: the guest reaches nothing;
# only the SSH hostfwd on 127.0.0.1 gets in), and talks to it over SSH with
# a throwaway key.  Only the qemu processes a test started are killed.

OUT=$(cd "${1:?usage: $0 BUILD/board}" && pwd)
W=$(mktemp -d /tmp/picolet-image-test.XXXXXX)
QPID=
NPASS=0
NFAIL=0
T0=$(date +%s.%N)

cleanup() {
	if [ -n "$QPID" ]; then
		kill "$QPID" 2>/dev/null
		wait "$QPID" 2>/dev/null
	fi
	if [ -n "${KEEP:-}" ]; then
		echo "work dir kept: $W"
	else
		rm -rf "$W"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

elapsed() { echo "$(date +%s.%N) $1" | awk '{ printf "%.1f", $1 - $2 }'; }

ok() { NPASS=$((NPASS + 1)); echo "ok   - $*"; }
bad() { NFAIL=$((NFAIL + 1)); echo "FAIL - $*"; }
check() {	# check NAME CMD...: pass when CMD succeeds
	local n=$1
	shift
	if "$@"; then ok "$n"; else bad "$n"; fi
}

# A free TCP port on 127.0.0.1 for the SSH hostfwd.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# disk NAME [SIZE]: a copy of the image at $W/NAME.img, 512M unless told
# (so the first boot grows the data partition), with the test key on the
# boot partition.
disk() {
	local d=$W/$1.img
	cp --sparse=always "$OUT/picolet-rpi-arm64.img" "$d"
	truncate -s "${2:-512M}" "$d"
	mcopy -o -i "$d@@4M" "$W/key.pub" ::authorized_keys
	echo "$d"
}

# put DISK FILE DEST: a file onto the boot partition.
put() {
	mcopy -o -i "$1@@4M" "$2" "::$3"
}

# boot DISK LOG [qemu args...]: start qemu in the background.  The kernel
# command line is the card's cmdline.txt with the serial console of virt.
boot() {
	local disk=$1 log=$2 cl
	shift 2
	cl=$(mtype -i "$disk@@4M" ::cmdline.txt | tr -d '\r' |
	    sed -e 's/console=[^ ]*//g' -e 's/quiet//')
	BOOT_T0=$(date +%s.%N)
	qemu-system-aarch64 -M virt -cpu cortex-a53 -smp 1 -m 512 \
	    -display none -serial "file:$log" \
	    -monitor "$([ -n "${MON:-}" ] && echo "unix:$MON,server,nowait" || echo none)" \
	    -kernel "$OUT/vmlinuz" -initrd "$OUT/initrd.img" \
	    -append "console=ttyAMA0 $cl" \
	    -drive "file=$disk,format=raw,if=none,id=d0" \
	    -device virtio-blk-pci,drive=d0 \
	    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$PORT-:22" \
	    -device virtio-net-pci,netdev=n0,romfile= \
	    -device i6300esb "$@" </dev/null >"$log.qemu" 2>&1 &
	QPID=$!
}

stop() {
	[ -n "$QPID" ] || return 0
	kill "$QPID" 2>/dev/null
	wait "$QPID" 2>/dev/null
	QPID=
}

# rsh CMD: run CMD on the guest.  busybox applets exit 255 on failure, as
# ssh does for its own errors, so the remote status travels in-band.
rsh() {
	local o rc
	o=$(timeout 60 ssh -i "$W/key" -p "$PORT" -o BatchMode=yes \
	    -o StrictHostKeyChecking=accept-new \
	    -o UserKnownHostsFile="$W/known_hosts" -o ConnectTimeout=10 \
	    -o LogLevel=ERROR root@127.0.0.1 "$1; echo __RC__=\$?" 2>"$W/ssh.err")
	rc=$(printf '%s\n' "$o" | sed -n 's/^__RC__=//p' | tail -n 1)
	printf '%s\n' "$o" | grep -v '^__RC__='
	[ "${rc:-255}" = 0 ]
}

# wait_ssh SECONDS: until a command runs over SSH; false if qemu died.
wait_ssh() {
	local end=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt "$end" ]; do
		kill -0 "$QPID" 2>/dev/null || return 1
		rsh true >/dev/null 2>&1 && return 0
		sleep 1
	done
	return 1
}

# wait_for SECONDS CMD: until CMD (on the guest) succeeds.
wait_for() {
	local end=$(($(date +%s) + $1))
	while [ "$(date +%s)" -lt "$end" ]; do
		rsh "$2" >/dev/null 2>&1 && return 0
		sleep 1
	done
	return 1
}

pod_running() {	# pod_running NAME: the pod's phase is Running
	wait_for "${2:-180}" "picoctl get pods | awk '\$1 == \"$1\" && \$3 == \"Running\" { f = 1 } END { exit !f }'"
}

summary() {
	echo "image test: $(elapsed "$T0") s"
	echo "$NPASS passed, $NFAIL failed"
	[ "$NFAIL" = 0 ]
}
