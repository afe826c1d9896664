# Shell helpers shared by the board scripts (sourced, not run).
# note: a line on the console and in syslog.  problem: the same, and kept in
# /run/board/problems, which every SSH login shows, so a card that boots
# half-broken says why.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
BOOT=/boot
PROBLEMS=/run/board/problems

note() {
	echo "board: $*" >/dev/console 2>/dev/null
	logger -t board -- "$*" 2>/dev/null
	return 0
}

problem() {
	note "PROBLEM: $*"
	mkdir -p /run/board
	echo "$*" >>"$PROBLEMS"
}

# setting KEY: the value of "key=value" in /boot/network.txt, empty if
# absent.  Lines are never sourced: a malformed file is data, not code.
setting() {
	[ -r "$BOOT/network.txt" ] || return 0
	sed -n -e 's/\r$//' -e "s/^[ 	]*$1[ 	]*=[ 	]*//p" "$BOOT/network.txt" |
	    tail -n 1 | sed 's/[ 	]*$//'
}

uptime_s() {
	cut -d' ' -f1 /proc/uptime
}

# coldplug: load the driver of every device present now.  Idempotent;
# run again when a bus (USB) may have brought new devices.
coldplug() {
	find /sys/devices -name modalias -type f -exec cat {} + 2>/dev/null |
	    sort -u | xargs -r modprobe -q -a 2>/dev/null
	return 0
}
