#!/usr/bin/env bash
# run-suite.sh NAME CMD... - runs one test suite, shows its output, and
# records "passed failed" for it in $RESULTS (default build/test-results).
# It reads the closing lines of Criterion, node's test runner and lv's own
# runners; a suite that exits non-zero without reporting a failure counts
# one failure, so a crash is never a pass.
set -u
name=$1
shift
results=${RESULTS:-build/test-results}
mkdir -p "$results"
log="$results/$name.log"

"$@" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}

passed=0
failed=0
if line=$(grep -E 'Synthesis: Tested: [0-9]+' "$log" | tail -1) && [ -n "$line" ]; then
	# Criterion: Synthesis: Tested: N | Passing: N | Failing: N | Crashing: N
	passed=$(sed -E 's/.*Passing: ([0-9]+).*/\1/' <<<"$line")
	failed=$(sed -E 's/.*Failing: ([0-9]+).*/\1/' <<<"$line")
	crashed=$(sed -E 's/.*Crashing: ([0-9]+).*/\1/' <<<"$line")
	failed=$((failed + crashed))
elif grep -qE '^# pass [0-9]+' "$log"; then
	passed=$(grep -E '^# pass [0-9]+' "$log" | tail -1 | awk '{print $3}')
	failed=$(grep -E '^# fail [0-9]+' "$log" | tail -1 | awk '{print $3}')
elif line=$(grep -E '^[a-z-]*:? ?[0-9]+ passed, [0-9]+ failed' "$log" | tail -1) && [ -n "$line" ]; then
	passed=$(grep -oE '[0-9]+ passed' <<<"$line" | grep -oE '[0-9]+')
	failed=$(grep -oE '[0-9]+ failed' <<<"$line" | grep -oE '[0-9]+')
fi
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "$name: exited with status $rc without reporting a failure" >&2
	failed=1
fi
if [ "$passed" -eq 0 ] && [ "$failed" -eq 0 ]; then
	echo "$name: ran no test" >&2
	failed=1
fi
echo "$passed $failed" >"$results/$name.result"
exit 0
