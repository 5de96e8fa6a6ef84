#!/usr/bin/env bash
# run.sh LVC - the data-driven compiler suite.
#   invalid/<case>/input.lv + expected.txt: lvc --check must exit 1 and
#     print exactly expected.txt (diagnostics, uncoloured, paths relative
#     to the case folder).
#   valid/<case>/input.lv: lvc --check must exit 0 and print nothing, or
#     exactly expected.txt when the case has one (warnings).
# Set LVC_WRAP to run lvc under a tool (valgrind). UPDATE=1 rewrites the
# expected files from the current output.
set -u
lvc=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0

run_case() { # dir want_rc
	local dir=$1 want=$2 out rc
	out=$(cd "$dir" && ${LVC_WRAP:-} "$lvc" --check --color=never -I include input.lv 2>&1)
	rc=$?
	if [ -n "${UPDATE:-}" ] && { [ "$want" -ne 0 ] || [ -n "$out" ]; }; then
		printf '%s\n' "$out" >"$dir/expected.txt"
	fi
	local expected=""
	[ -f "$dir/expected.txt" ] && expected=$(cat "$dir/expected.txt")
	if [ "$rc" -ne "$want" ]; then
		echo "FAIL ${dir#$here/}: exit status $rc, expected $want"
		printf '%s\n' "$out" | head -20
		failed=$((failed + 1))
	elif [ "$out" != "$expected" ]; then
		echo "FAIL ${dir#$here/}: output differs"
		diff <(printf '%s\n' "$expected") <(printf '%s\n' "$out") | head -20
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi
}

for d in "$here"/valid/*/; do
	[ -f "$d/input.lv" ] && run_case "${d%/}" 0
done
for d in "$here"/invalid/*/; do
	[ -f "$d/input.lv" ] && run_case "${d%/}" 1
done
echo "cases: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
