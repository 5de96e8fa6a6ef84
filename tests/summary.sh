#!/usr/bin/env bash
# summary.sh DIR - adds up the suites' results and prints the one line
# make test ends with; exits non-zero when anything failed.
set -u
dir=${1:-build/test-results}
passed=0
failed=0
bad=""
for f in "$dir"/*.result; do
	[ -e "$f" ] || continue
	read -r p fl <"$f"
	passed=$((passed + p))
	failed=$((failed + fl))
	[ "$fl" -gt 0 ] && bad="$bad $(basename "$f" .result)"
done
[ -n "$bad" ] && echo "failing suites:$bad"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
