#!/usr/bin/env bash
# run.sh LVC - the data-driven compiler suite.
#   invalid/<case>/input.lv + expected.txt: lvc --check must exit 1 and
#     print exactly expected.txt (diagnostics, uncoloured, paths relative
#     to the case folder).
#   valid/<case>/input.lv: lvc --check must exit 0 and print nothing, or
#     exactly expected.txt when the case has one (warnings).
#   breaking/<rule>/old.lv + new.lv + expected.txt: lvc --breaking old.lv
#     new.lv must exit 1 and print exactly expected.txt; one case per rule,
#     named after its tag.
#   compatible/<case>/old.lv + new.lv: lvc --breaking must exit 0 and print
#     nothing.
# Set LVC_WRAP to run lvc under a tool (valgrind). UPDATE=1 rewrites the
# expected files from the current output.
set -u
lvc=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0

run_case() { # dir want_rc lvc-arguments...
	local dir=$1 want=$2 out rc
	shift 2
	out=$(cd "$dir" && ${LVC_WRAP:-} "$lvc" --color=never -I include "$@" 2>&1)
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
	[ -f "$d/input.lv" ] && run_case "${d%/}" 0 --check input.lv
done
for d in "$here"/invalid/*/; do
	[ -f "$d/input.lv" ] && run_case "${d%/}" 1 --check input.lv
done
for d in "$here"/compatible/*/; do
	[ -f "$d/old.lv" ] && run_case "${d%/}" 0 --breaking old.lv new.lv
done
for d in "$here"/breaking/*/; do
	[ -f "$d/old.lv" ] && run_case "${d%/}" 1 --breaking old.lv new.lv
done
echo "cases: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
