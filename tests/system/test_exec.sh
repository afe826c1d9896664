#!/bin/bash
# picoctl exec against a running picolet: output and exit codes as
# kubectl's, the pid/uts namespaces, -i, -it through a pty (util-linux's
# script gives picoctl a terminal), kubectl's errors, the run dir found
# through /status, and nothing left behind when picoctl is killed.
. "$(dirname "$0")/lib.sh"

ex() { pctl exec "$@"; }

case_basic() {
	pod_yaml box 'echo up; sleep 1000' | put_manifest box.yaml
	wait_for '[ "$(pod_phase box)" = Running ]' 20 "box Running" || return 1
	local out rc
	out=$(ex box -- hostname 2>&1)
	assert_eq "$out" box "hostname" || return 1
	out=$(ex box -- sh -c 'echo $$; cat /proc/1/comm; pwd; id -u')
	assert_match "$out" $'^[0-9]+\nsh\n/\n0$' "pid ns, cwd, user" || return 1
	assert_ne "${out%%$'\n'*}" 1 "exec'd process is not PID 1" || return 1
	out=$(ex box -c main -n default -- sh -c 'echo out; echo err >&2; exit 3' 2>&1)
	rc=$?
	assert_eq "$rc" 3 "exit code" || return 1
	assert_eq "$out" $'out\nerr\ncommand terminated with exit code 3' "output" || return 1
}

case_stdin() {
	local out
	out=$(echo hello | ex -i box -- cat)
	assert_eq "$out" hello "-i passes stdin" || return 1
	out=$(echo hello | timeout 10 "$PICOLET_BIN/picoctl" -s "$T/picolet.sock" exec box -- cat)
	assert_eq "$out" "" "without -i stdin is empty" || return 1
	out=$(echo hello | ex -it box -- cat 2>&1)
	assert_contains "$out" "Unable to use a TTY - input is not a terminal" "-it without a terminal" || return 1
	assert_contains "$out" hello "-it without a terminal still passes stdin" || return 1
}

case_tty() {
	local out cmd
	cmd="$PICOLET_BIN/picoctl -s $T/picolet.sock exec -it box -- sh"
	out=$(printf 'stty size; echo $TERM; test -t 0 && echo tty0; exit 4\n' |
	    timeout 20 script -qec "stty cols 91 rows 33; $cmd" /dev/null 2>&1 | tr -d '\r')
	assert_contains "$out" "33 91" "window size" || return 1
	assert_contains "$out" xterm "TERM" || return 1
	assert_contains "$out" tty0 "stdin is a terminal" || return 1
	assert_contains "$out" "command terminated with exit code 4" "exit code" || return 1
}

case_errors() {
	local out rc
	out=$(ex box -- nosuch 2>&1)
	rc=$?
	assert_ne "$rc" 0 "command not found fails" || return 1
	assert_contains "$out" 'exec: "nosuch": executable file not found in $PATH' "not found" || return 1
	out=$(ex nopod -- true 2>&1)
	assert_contains "$out" 'pods "nopod" not found' "no such pod" || return 1
	out=$(ex box -c nosuch -- true 2>&1)
	assert_contains "$out" 'container not found ("nosuch")' "no such container" || return 1
	out=$(ex box 2>&1)
	assert_contains "$out" "you must specify at least one command" "no command" || return 1
	pod_yaml done 'true' Never | put_manifest done.yaml
	wait_for '[ "$(pod_phase done)" = Succeeded ]' 20 "done Succeeded" || return 1
	out=$(ex done -- true 2>&1)
	assert_contains "$out" "cannot exec into a container in a completed pod; current phase is Succeeded" "completed pod" || return 1
	out=$(ex box --run "$T/nosuch" -- true 2>&1)
	assert_contains "$out" "container main is not running" "wrong --run" || return 1
	out=$(PICOLET_RUN=$T/run ex box -- echo env)
	assert_eq "$out" env "\$PICOLET_RUN" || return 1
}

# picoctl killed: the signal goes to the command; nothing is left.
case_killed() {
	local pid
	"$PICOLET_BIN/picoctl" -s "$T/picolet.sock" exec box -- sleep 300 &
	pid=$!
	BG_PIDS+=($pid)
	wait_for 'pgrep -P "$pid" -x sleep >/dev/null' 5 "sleep started" || return 1
	local child
	child=$(pgrep -P "$pid" -x sleep)
	kill -TERM "$pid"
	wait "$pid"
	assert_eq "$?" 143 "picoctl exit code (SIGTERM)" || return 1
	wait_for '! alive "$child"' 5 "exec'd sleep gone" || return 1
}

picoctl_pid() {	# the picoctl process whose command line has $1
	local p
	for p in $(pgrep -f "$1"); do
		[ "$(readlink "/proc/$p/exe" 2>/dev/null)" = "$PICOLET_BIN/picoctl" ] &&
		    { echo "$p"; return 0; }
	done
	return 1
}

# picoctl -it killed: the interactive shell gets a hangup.
case_tty_killed() {
	local pid child sp
	(sleep 30) | script -qec "$PICOLET_BIN/picoctl -s $T/picolet.sock exec -it box -- sh" \
	    /dev/null >/dev/null 2>&1 &
	sp=$!
	BG_PIDS+=($sp)
	wait_for 'pid=$(picoctl_pid "$T/picolet.sock exec -it box") &&
	    pgrep -P "$pid" -x sh >/dev/null' 5 "sh started" || return 1
	child=$(pgrep -P "$pid" -x sh)
	kill -TERM "$pid"
	wait_for '! alive "$child"' 5 "interactive sh gone after SIGTERM to picoctl" || return 1
	wait_for '! alive "$pid"' 5 "picoctl gone" || return 1
	kill "$sp" 2>/dev/null
	wait "$sp" 2>/dev/null
	return 0
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "exec: output, namespaces, exit code" case_basic
run_case "exec -i" case_stdin
run_case "exec -it through a pty" case_tty
run_case "exec errors as kubectl's" case_errors
run_case "exec: picoctl killed" case_killed
run_case "exec -it: picoctl killed" case_tty_killed
done_testing
