#!/bin/bash
# run.sh BIN...: run cmocka test binaries and count their test cases.
#
# Each binary runs on its own (under valgrind when VALGRIND=1); its output
# is printed in full when it fails.  Cases are counted from cmocka's
# "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s)" lines; a binary
# that crashes, exits non-zero without such a line, or makes valgrind
# report errors counts as one more failure.  Ends with "N passed, N failed".
set -u

passed=0
failed=0
vg=()
if [ "${VALGRIND:-0}" = 1 ]; then
	vg=(valgrind -q --leak-check=full --error-exitcode=99
	    --errors-for-leak-kinds=definite --track-fds=no)
fi

for bin in "$@"; do
	name=$(basename "$bin")
	# A hung test fails (exit 124) instead of hanging the suite.
	# UNIT_RUNNER: e.g. qemu-aarch64-static for a cross build (unquoted:
	# a command and its arguments).
	# shellcheck disable=SC2086
	out=$(CMOCKA_MESSAGE_OUTPUT=stdout timeout -k 5 "${UNIT_TIMEOUT:-300}" \
	    ${UNIT_RUNNER:-} "${vg[@]}" "$bin" 2>&1)
	rc=$?
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' |
	    awk '{ s += $1 } END { print s + 0 }')
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' |
	    awk '{ s += $1 } END { print s + 0 }')
	why=""
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		why="timed out after ${UNIT_TIMEOUT:-300}s"
		f=$((f + 1))
	elif [ "$rc" -eq 99 ] && [ ${#vg[@]} -gt 0 ]; then
		why="valgrind reported errors"
		f=$((f + 1))
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		why="exit status $rc"
		f=$((f + 1))
	elif [ "$rc" -eq 0 ] && [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		p=1	# not a cmocka binary, or it printed nothing: count it once
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$f" -gt 0 ]; then
		printf '%s\n' "$out"
		echo "FAIL $name: $p passed, $f failed${why:+ ($why)}"
	else
		echo "PASS $name: $p passed"
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
