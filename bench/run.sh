#!/usr/bin/env bash
# run.sh - the benchmark entry point (`make bench`).
#
# usage: bench/run.sh [SCENARIO...]     (default: every scenario)
#
# A scenario is bench/NAME.sh: it sources bench/lib.sh, writes what it
# produces under build/bench/NAME/ and prints its own table. To add one
# (runtime throughput, memory per idle connection, ...), write the script
# and list its name in `scenarios` below.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

scenarios=(frontend codegen runtime state models broker)

if [ $# -gt 0 ]; then
	for s in "$@"; do
		if [ ! -f "bench/$s.sh" ]; then
			echo "bench: no scenario '$s'; the scenarios are: ${scenarios[*]}" >&2
			exit 2
		fi
	done
	scenarios=("$@")
fi

mkdir -p build/bench
bench_machine | tee build/bench/machine.txt
echo

failed=()
for s in "${scenarios[@]}"; do
	echo "== $s"
	if ! bash "bench/$s.sh"; then
		failed+=("$s")
	fi
	echo
done

if [ ${#failed[@]} -gt 0 ]; then
	echo "bench: failed: ${failed[*]}" >&2
	exit 1
fi
echo "bench: ${#scenarios[@]} scenario(s) done; results in build/bench/"
