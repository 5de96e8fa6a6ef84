#!/bin/sh
# valgrind-summary.sh DIR - one line per server run under valgrind (the logs
# helpers.mjs asks for: vg.TESTFILE.PID.log): its errors, leaks, and the
# first problem. Exit status 1 when any run had an error or a leak. A run
# killed with SIGKILL has no summary: it counts as clean when its log shows
# no error.
dir=${1:-build/tests/integration/valgrind}
status=0
for log in "$dir"/vg.*.log; do
	[ -e "$log" ] || { echo "no valgrind logs in $dir" >&2; exit 2; }
	name=$(basename "$log" .log)
	errors=$(sed -n 's/.*ERROR SUMMARY: \([0-9,]*\) errors.*/\1/p' "$log" | tail -n 1)
	definite=$(sed -n 's/.*definitely lost: \([0-9,]*\) bytes.*/\1/p' "$log" | tail -n 1)
	signal=$(sed -n 's/.*Process terminating with default action of signal \([0-9]*\).*/\1/p' "$log" | head -n 1)
	first=$(grep -m 1 -E '== (Invalid|Conditional|Use of|Syscall|Mismatched|Source and destination)|bytes in [0-9,]+ blocks are (definitely|indirectly|possibly)' "$log" |
	        sed 's/^==[0-9]*== //')
	where=$(grep -m 1 -A 3 -E '== (Invalid|Conditional|Use of|Syscall|Mismatched)|blocks are (definitely|indirectly|possibly)' "$log" |
	        grep -E ' (at|by) 0x[0-9A-F]+: [a-z_]' | grep -v -E 'malloc|calloc|realloc|free \(' | head -n 1 |
	        sed 's/^==[0-9]*== *//')
	line="$name: ${errors:-?} errors, ${definite:-0} bytes definitely lost"
	[ -n "$signal" ] && line="$line, killed by signal $signal"
	if [ -z "$errors" ] && [ -z "$first" ]; then
		# Killed with SIGKILL (a test killing a node): valgrind wrote no
		# summary and cannot count leaks, but it logs each error as it
		# happens, and there was none.
		line="$name: killed before its summary, no error logged"
		errors=0
	fi
	[ -n "$first" ] && line="$line; first: $first${where:+ ($where)}"
	echo "$line"
	case "${errors:-x}" in 0) ;; *) status=1 ;; esac
done
exit $status
