#!/bin/bash
# run.sh [NAME...]: run the system tests (all tests/system/test_*.sh, or
# the ones named: "basic", "test_basic" or "test_basic.sh").
#
# Needs root.  Builds the image fixtures once into $PICOLET_BIN/fixtures,
# then runs each test as its own bash process under a timeout (180 s, or
# the test's own "# timeout: SECONDS" line), its output
# in build/test-logs/<name>.log (printed when the test fails).  Counts the
# "ok - " / "not ok - " lines of all tests; a test that dies or times out
# without reporting a failure counts as one more.  Ends with
# "N passed, N failed".
#
# Environment: PICOLET_BIN (default build/), PICOLET_VALGRIND=1 (picolet
# under valgrind), PICOLET_TEST_TIMEOUT (seconds per test, default 180),
# PICOLET_KEEP=1 (keep each test's temp dir), PICOLET_TEST_LOGS (log dir).
set -u

DIR=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$DIR/../.." && pwd)
export PICOLET_BIN=$(cd "${PICOLET_BIN:-$REPO/build}" 2>/dev/null && pwd)
LOGS=${PICOLET_TEST_LOGS:-$REPO/build/test-logs}
TIMEOUT=${PICOLET_TEST_TIMEOUT:-180}
[ "${PICOLET_VALGRIND:-0}" = 1 ] && TIMEOUT=$((TIMEOUT * 3))

if [ "$(id -u)" != 0 ]; then
	echo "system tests need root (they make namespaces, cgroups and mounts)"
	exit 1
fi
if [ -z "$PICOLET_BIN" ]; then
	echo "no build dir: run make first"
	exit 1
fi

mkdir -p "$LOGS"
export PICOLET_FIXTURES=$PICOLET_BIN/fixtures
if ! "$REPO/tests/fixtures/mkimage.sh" "$PICOLET_FIXTURES" >"$LOGS/fixtures.log" 2>&1; then
	cat "$LOGS/fixtures.log"
	echo "building the fixtures failed"
	echo "0 passed, 1 failed"
	exit 1
fi

tests=()
if [ $# -eq 0 ]; then
	for f in "$DIR"/test_*.sh; do
		[ -e "$f" ] && tests+=("$f")
	done
else
	for n; do
		n=${n%.sh}
		n=${n#test_}
		n=$(basename "$n")
		if [ ! -f "$DIR/test_$n.sh" ]; then
			echo "no such test: $DIR/test_$n.sh"
			exit 1
		fi
		tests+=("$DIR/test_$n.sh")
	done
fi

passed=0
failed=0
for f in "${tests[@]}"; do
	name=$(basename "$f" .sh)
	log=$LOGS/$name.log
	state=$LOGS/$name.state
	rm -f "$state"
	start=$(date +%s)
	# A test may ask for more time with a line "# timeout: SECONDS".
	tmo=$(sed -n 's/^# timeout: *\([0-9][0-9]*\)$/\1/p' "$f" | head -n 1)
	if [ -n "$tmo" ] && [ -z "${PICOLET_TEST_TIMEOUT:-}" ]; then
		[ "${PICOLET_VALGRIND:-0}" = 1 ] && tmo=$((tmo * 3))
	else
		tmo=$TIMEOUT
	fi
	PICOLET_TEST_STATE=$state timeout -k 15 "$tmo" bash "$f" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo "not ok - $name: timed out after $tmo s" >>"$log"
		# The test's own trap may not have run: clean up for it.
		if [ -f "$state" ]; then
			(
				. "$state"
				PICOLET_LIB_ONLY=1 . "$DIR/lib.sh"
				cleanup_dir "$T" "$NETNS" "$CGNAME"
			) >>"$log" 2>&1
		fi
	fi
	p=$(grep -c '^ok - ' "$log")
	n=$(grep -c '^not ok - ' "$log")
	if [ "$rc" != 0 ] && [ "$n" = 0 ]; then
		echo "not ok - $name: exit status $rc" >>"$log"
		n=1
	fi
	rm -f "$state"
	passed=$((passed + p))
	failed=$((failed + n))
	if [ "$n" -gt 0 ]; then
		echo "---- $name: output ($log)"
		cat "$log"
		echo "FAIL $name: $p passed, $n failed (${secs}s)"
	else
		echo "PASS $name: $p passed (${secs}s)"
	fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
