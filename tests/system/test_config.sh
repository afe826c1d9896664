#!/bin/bash
# The agent's config: an unknown key, an unknown section or a bad value
# stops picolet at once with "FILE:LINE: [section] key: ..." on stderr and
# a non-zero exit; a good config with every path overridden runs.
. "$(dirname "$0")/lib.sh"

# run_bad CONF: run picolet on CONF (10 s at most); sets OUT and RC.
run_bad() {
	OUT=$(timeout -k 2 $((10 * SCALE)) nsenter --net="/run/netns/$NETNS" -- \
	    "$PICOLET_BIN/picolet" -c "$1" 2>&1 </dev/null)
	RC=$?
	note "exit $RC: $(printf '%s\n' "$OUT" | head -n 3)"
}

case_unknown_key() {
	local c=$T/unknown-key.conf
	{ head -n 2 "$T/picolet.conf"; echo "bogus = 1"; tail -n +3 "$T/picolet.conf"; } >"$c"
	run_bad "$c"
	[ "$RC" != 0 ] && [ "$RC" != 124 ] || fail "exit status $RC" || return 1
	assert_contains "$OUT" "$c:3: [paths] bogus: unknown key" "stderr" || return 1
	[ ! -e "$T/picolet.sock" ] || fail "the socket was created" || return 1
}

case_unknown_section() {
	local c=$T/unknown-section.conf
	{ cat "$T/picolet.conf"; echo "[frob]"; echo "x = 1"; } >"$c"
	local n
	n=$(wc -l <"$T/picolet.conf")
	run_bad "$c"
	[ "$RC" != 0 ] && [ "$RC" != 124 ] || fail "exit status $RC" || return 1
	assert_match "$OUT" "$c:$((n + 2)): \[frob\] x: " "stderr" || return 1
}

case_bad_value() {
	local c=$T/bad-value.conf
	sed 's/^debounce_ms = 100$/debounce_ms = soon/' "$T/picolet.conf" >"$c"
	local n
	n=$(grep -n '^debounce_ms' "$c" | cut -d: -f1)
	run_bad "$c"
	[ "$RC" != 0 ] && [ "$RC" != 124 ] || fail "exit status $RC" || return 1
	assert_match "$OUT" "$c:$n: \[agent\] debounce_ms: " "stderr" || return 1
	c=$T/bad-cidr.conf
	{ cat "$T/picolet.conf"; echo "[network]"; echo "pod_cidr = 10.88.0.1/33"; } >"$c"
	n=$(wc -l <"$c")
	run_bad "$c"
	[ "$RC" != 0 ] && [ "$RC" != 124 ] || fail "exit status $RC" || return 1
	assert_match "$OUT" "$c:$n: \[network\] pod_cidr: " "stderr" || return 1
}

case_missing_file() {
	run_bad "$T/does-not-exist.conf"
	[ "$RC" != 0 ] && [ "$RC" != 124 ] || fail "exit status $RC for a missing -c file" || return 1
	assert_contains "$OUT" "$T/does-not-exist.conf" "stderr names the file" || return 1
}

case_good() {
	start_picolet || return 1
	local m
	m=$(stat -c %a "$T/picolet.sock")
	assert_eq "$m" 600 "socket mode" || return 1
	stop_picolet
	assert_eq "$PICOLET_RC" 0 "exit status on SIGTERM" || return 1
}

run_case "unknown key: FILE:LINE: [section] key: unknown key" case_unknown_key
run_case "unknown section" case_unknown_section
run_case "bad values" case_bad_value
run_case "missing -c file" case_missing_file
run_case "good config runs; socket 0600" case_good
done_testing
