#!/usr/bin/env bash
# replay.sh BIN DIR... [BIN DIR...] - runs the fuzz target's replay binary
# once on every file in the DIRs (committed crashes, then the seed corpus),
# each in its own process with a time limit, and ends with "fuzz-replay: N
# passed, N failed". An executable file among the arguments is the binary
# for the DIRs after it.
set -u
bin=$1
shift
limit=${REPLAY_TIMEOUT:-10}
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

for dir in "$@"; do
	if [ -f "$dir" ] && [ -x "$dir" ]; then
		bin=$dir
		continue
	fi
	[ -d "$dir" ] || continue
	for f in "$dir"/*; do
		[ -f "$f" ] || continue
		case $(basename "$f") in README* | *.md) continue ;; esac
		timeout "$limit" "$bin" "$f" >"$log" 2>&1
		rc=$?
		if [ "$rc" -eq 0 ]; then
			passed=$((passed + 1))
			continue
		fi
		failed=$((failed + 1))
		if [ "$rc" -eq 124 ]; then
			echo "FAIL $f: still running after ${limit}s"
		else
			echo "FAIL $f: exit status $rc"
			grep -E 'ERROR: |runtime error: |SUMMARY: |^ *#[0-9]+ ' "$log" | head -12
		fi
	done
done
echo "fuzz-replay: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
