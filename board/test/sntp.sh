# board/test/sntp.sh: checks of picolet-sntp (board/sntp.c), built for this
# machine and run against a small NTP responder on 127.0.0.1 (sourced by
# qemu-test.sh after lib.sh; no traffic leaves the machine).
#
# The responder answers COUNT requests; MODE: good (clock SKEW s ahead),
# kod (stratum 0, a kiss-o'-death), forged (an originate timestamp that is
# not the request's, as from a stale or spoofed reply).
ntp_server() {	# ntp_server MODE SKEW COUNT: serve in the background; port in $p
	rm -f "$W/ntp.port"
	python3 - "$@" >"$W/ntp.port" <<'PY' &
import socket, struct, sys, time
mode, skew, count = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(20)
print(s.getsockname()[1], flush=True)
def ts(t):
    t += 2208988800
    return (int(t) << 32) | int((t % 1) * 2**32)
for _ in range(count):
    try:
        data, peer = s.recvfrom(512)
    except socket.timeout:
        break
    now = time.time() + skew
    orig = data[40:48] if mode != "forged" else b"\0" * 7 + b"\1"
    stratum = 0 if mode == "kod" else 2
    hdr = struct.pack("!BBbbIII", 4 << 3 | 4, stratum, 4, -20, 0, 0, 0)
    s.sendto(hdr + struct.pack("!Q", ts(now)) + orig +
             struct.pack("!QQ", ts(now), ts(time.time() + skew)), peer)
PY
	NTP_PID=$!
	while [ ! -s "$W/ntp.port" ]; do sleep 0.1; done
	p=$(cat "$W/ntp.port")
}

sntp_checks() {
	local p b=$W/picolet-sntp
	echo "== picolet-sntp against a local NTP responder"
	if ! cc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror \
	    -o "$b" "$HERE/../sntp.c"; then
		bad "picolet-sntp builds natively"
		return
	fi
	ntp_server good 100.25 1
	check "sntp measures a +100.25 s offset" bash -c \
	    "'$b' -n -p $p 127.0.0.1 | awk '{ exit !(\$2 > 100.2 && \$2 < 100.3) }'"
	wait "$NTP_PID" 2>/dev/null
	ntp_server kod 0 1
	check "sntp refuses a kiss-o'-death" bash -c "! '$b' -n -p $p 127.0.0.1 2>/dev/null"
	wait "$NTP_PID" 2>/dev/null
	ntp_server forged 0 1
	check "sntp ignores a reply that does not echo its request" \
	    bash -c "! '$b' -n -t 1 -p $p 127.0.0.1 2>/dev/null"
	wait "$NTP_PID" 2>/dev/null
	check "sntp fails cleanly with no server" bash -c "! '$b' -n -t 1 -p 9 127.0.0.1 2>/dev/null"
}
