#!/bin/bash
# picoctl logs: whole log, stderr, --tail, --timestamps, -c, -f streaming new
# lines, -p after a restart; the CRI files on disk.
. "$(dirname "$0")/lib.sh"

case_logs() {
	pod_yaml talk 'for i in 1 2 3 4 5; do echo line$i; done
echo oops >&2
i=0
while :; do i=$((i + 1)); echo tick$i; sleep 0.5; done' Always 1 | put_manifest talk.yaml
	wait_for 'pctl logs talk | grep -qx tick1' 10 "tick1 in the logs" || return 1
	local out
	out=$(pctl logs talk)
	# stdout and stderr are two pipes: their relative order is not kept.
	assert_eq "$(printf '%s\n' "$out" | grep '^line' | head -n 5 | tr '\n' ' ')" \
	    "line1 line2 line3 line4 line5 " "stdout lines in order" || return 1
	assert_contains "$out" oops "stderr line" || return 1
	out=$(pctl logs talk -c main | head -n 1)
	assert_eq "$out" line1 "logs -c main" || return 1
	if pctl logs talk -c nosuch >/dev/null 2>&1; then
		fail "logs -c nosuch succeeded"
		return 1
	fi
}

case_tail() {
	local out n a b
	wait_for 'pctl logs talk | grep -qx tick3' 5 "tick3" || return 1
	out=$(pctl logs talk --tail 2)
	n=$(printf '%s\n' "$out" | wc -l)
	assert_eq "$n" 2 "lines from --tail 2" || return 1
	a=$(printf '%s\n' "$out" | head -n 1)
	b=$(printf '%s\n' "$out" | tail -n 1)
	assert_match "$a $b" '^tick[0-9]+ tick[0-9]+$' "--tail 2 lines" || return 1
	assert_eq "$((${b#tick} - ${a#tick}))" 1 "--tail 2 gives consecutive lines ($a $b)" || return 1
	out=$(pctl logs talk)
	assert_match "$(printf '%s\n' "$out" | tail -n 3 | tr '\n' ' ')" "$b " \
	    "--tail 2 is the end of the log" || return 1
	out=$(pctl logs talk --tail 0)
	assert_eq "$out" "" "--tail 0" || return 1
}

case_timestamps() {
	local out
	out=$(pctl logs talk --timestamps | head -n 2)
	assert_match "$(printf '%s\n' "$out" | head -n 1)" \
	    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2}) line1$' \
	    "--timestamps line" || return 1
}

case_follow() {
	local out=$T/follow.out n
	pctl logs talk -f >"$out" 2>&1 &
	local fpid=$!
	BG_PIDS+=($fpid)
	wait_for 'grep -q "^tick[0-9]" "$out"' 5 "-f prints the existing log" || return 1
	n=$(grep '^tick' "$out" | tail -n 1)
	n=${n#tick}
	# Lines written after -f started must arrive while it runs.
	wait_for 'grep -qx "tick$((n + 3))" "$out"' 6 "-f streams new lines (tick$((n + 3)))" ||
	    { tail -n 5 "$out" | sed 's/^/#     /'; return 1; }
	alive "$fpid" || fail "logs -f exited while the container runs" || return 1
	kill "$fpid" 2>/dev/null
	wait "$fpid" 2>/dev/null
	# No line twice, none missing.
	local dups
	dups=$(grep '^tick' "$out" | sort | uniq -d | head -n 3)
	[ -z "$dups" ] || fail "-f printed lines twice: $dups" || return 1
}

case_cri_files() {
	local uid f bad
	uid=$(pod_uid talk)
	f=$T/logs/default_talk_$uid/main/0.log
	[ -f "$f" ] || fail "no $f" || return 1
	bad=$(grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2}) (stdout|stderr) [FP] ' "$f" | head -n 3)
	[ -z "$bad" ] || fail "lines not in CRI format: $bad" || return 1
	grep -Eq ' stderr F oops$' "$f" || fail "stderr line 'oops' not in $f" || return 1
	grep -Eq ' stdout F line1$' "$f" || fail "stdout line 'line1' not in $f" || return 1
	rm_manifest talk.yaml
	wait_for 'pod_gone talk' 10 "talk gone" || return 1
}

case_previous() {
	# Each run prints a different line (the run's start time), lives 1 s
	# and fails; the first restart is immediate.
	pod_yaml flap 'echo "run $(cat /proc/uptime)"
sleep 1
exit 1' Always 1 | put_manifest flap.yaml
	wait_for '[ "$(pod_restarts flap)" -ge 1 ] && pctl logs flap | grep -q "^run "' 15 \
	    "flap restarted and logging" || return 1
	local cur prev uid n
	uid=$(pod_uid flap)
	n=$(pod_restarts flap)
	cur=$(pctl logs flap)
	prev=$(pctl logs flap -p)
	note "restartCount $n; current: '$cur'; previous: '$prev'"
	assert_match "$prev" '^run [0-9.]+ [0-9.]+$' "logs -p" || return 1
	assert_match "$cur" '^run [0-9.]+ [0-9.]+$' "logs" || return 1
	assert_ne "$prev" "$cur" "logs -p differs from the current run" || return 1
	local d=$T/logs/default_flap_$uid/main
	[ -f "$d/0.log" ] && [ -f "$d/1.log" ] ||
	    fail "want 0.log and 1.log in $d, have: $(ls "$d" 2>&1 | tr '\n' ' ')" || return 1
	rm_manifest flap.yaml
	wait_for 'pod_gone flap' 10 "flap gone" || return 1
}

case_long_line() {
	# A 40000-byte line: split into 16 KiB P records and an F record on
	# disk, whole again in picoctl logs.
	pod_yaml long 'head -c 40000 /dev/zero | tr "\0" x; echo; echo end' Never 1 | put_manifest long.yaml
	wait_for '[ "$(pod_phase long)" = Succeeded ]' 10 "long Succeeded" || return 1
	local uid f
	uid=$(pod_uid long)
	f=$T/logs/default_long_$uid/main/0.log
	assert_eq "$(awk '{ print $2, $3 }' "$f" | tr '\n' ' ')" \
	    "stdout P stdout P stdout F stdout F " "records on disk" || return 1
	assert_eq "$(awk '$3 == "P" { print length($4) }' "$f" | head -n 1)" 16384 "size of a P record" || return 1
	assert_eq "$(pctl logs long | awk '{ print length($0) }' | tr '\n' ' ')" "40000 3 " \
	    "line lengths from picoctl logs" || return 1
	rm_manifest long.yaml
	wait_for 'pod_gone long' 10 "long gone" || return 1
}

case_rotation() {
	# Small logs (4 KiB, 3 files): 300 lines of ~100 bytes rotate twice
	# over; the newest lines stay, the oldest are gone, no file is big.
	stop_picolet
	printf '[limits]\nlog_max_size = 4Ki\nlog_max_files = 3\n' >>"$T/picolet.conf"
	start_picolet || return 1
	pod_yaml rot 'i=0
while [ $i -lt 300 ]; do i=$((i + 1)); printf "line-%03d %090d\n" $i 0; done
echo done
while :; do sleep 1; done' Always 1 | put_manifest rot.yaml
	wait_for 'pctl logs rot | grep -qx done' 15 "rot's last line" || return 1
	local uid d n big
	uid=$(pod_uid rot)
	d=$T/logs/default_rot_$uid/main
	note "log files: $(cd "$d" && ls -l | awk 'NR > 1 { print $NF "(" $5 ")" }' | tr '\n' ' ')"
	n=$(ls "$d" | wc -l)
	assert_between "$n" 2 3 "log files kept (log_max_files 3)" || return 1
	big=$(find "$d" -type f -size +5k)
	[ -z "$big" ] || fail "files over the 4 KiB limit: $big" || return 1
	grep -rq 'line-001 ' "$d" && { fail "the oldest line survived rotation"; return 1; }
	grep -q 'line-300 ' "$d/0.log" "$d"/* || fail "line-300 lost" || return 1
	local out
	out=$(pctl logs rot --tail 2)
	assert_match "$out" 'line-300 0+'$'\n''done$' "--tail 2 across a rotation" || return 1
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "logs: stdout and stderr, -c" case_logs
run_case "logs --tail" case_tail
run_case "logs --timestamps" case_timestamps
run_case "logs -f streams new lines" case_follow
run_case "CRI log files on disk" case_cri_files
run_case "logs -p after a restart" case_previous
run_case "a 40000-byte line" case_long_line
run_case "rotation by size ([limits] log_max_size, log_max_files)" case_rotation
done_testing
