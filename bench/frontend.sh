#!/usr/bin/env bash
# frontend.sh - the compiler front end against protoc on the same schema.
#
# For each size it generates an equivalent pair (bench/gen-schema.js): an
# .lv file and a proto3 file with the same structs/messages, enums and
# endpoints/rpcs. Then, interleaved in one run, it times
#     lvc --check big.lv                                 (parse + check)
#     protoc --descriptor_set_out=/dev/null big.proto    (parse + check)
# BENCH_RUNS times each (default 5) and keeps the median; it measures peak
# RSS once per tool with /usr/bin/time when that is installed.
#
# Environment:
#   BENCH_RUNS   timed runs per tool and size (default 5)
#   BENCH_SIZES  "ENDPOINTS:STRUCTS ..." (default: the main point 10000:2000
#                with 1/4, 1/2 and 2x of it)
#   BENCH_MAIN   the size the 10x target is judged on (default 10000:2000)
#   BENCH_LVC    the lvc to time (default build/lvc), e.g. another build
# Writes build/bench/frontend/: the schemas, results.tsv and results.md.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

runs=${BENCH_RUNS:-5}
sizes=${BENCH_SIZES:-"2500:500 5000:1000 10000:2000 20000:4000"}
main=${BENCH_MAIN:-10000:2000}
target=10
out=build/bench/frontend
lvc=${BENCH_LVC:-$bench_root/build/lvc}
case $lvc in /*) ;; *) lvc=$bench_root/$lvc ;; esac

bench_need node nodejs
bench_need protoc protobuf-compiler
bench_need_done
if [ ! -x /usr/bin/time ]; then
	echo "note: /usr/bin/time is missing, so no peak RSS (Debian package: time)" >&2
fi
if [ ! -x "$lvc" ]; then
	echo "${BENCH_LVC:-build/lvc} is missing; run: make lvc" >&2
	exit 1
fi

mkdir -p "$out"
tsv=$out/results.tsv
md=$out/results.md
printf 'endpoints\tstructs\tlv_bytes\tproto_bytes\tlvc_us\tprotoc_us\tlvc_rss_kb\tprotoc_rss_kb\n' >"$tsv"

echo "frontend: lvc --check vs protoc --descriptor_set_out, median of $runs runs"
echo "  $("$lvc" --version), $(protoc --version), node $(node --version)"
load_before=$(bench_load)

for size in $sizes; do
	n=${size%:*}
	m=${size#*:}
	name=e${n}_s${m}
	node bench/gen-schema.js --endpoints "$n" --structs "$m" --out "$out" --name "$name"

	# One untimed run each: both must accept their file silently, and the
	# files are in the page cache before the clock starts.
	if ! msg=$(cd "$out" && "$lvc" --check --color=never "$name.lv" 2>&1) || [ -n "$msg" ]; then
		echo "lvc does not accept $out/$name.lv cleanly:" >&2
		printf '%s\n' "$msg" | head -20 >&2
		exit 1
	fi
	if ! msg=$(cd "$out" && protoc --descriptor_set_out=/dev/null "$name.proto" 2>&1) || [ -n "$msg" ]; then
		echo "protoc does not accept $out/$name.proto cleanly:" >&2
		printf '%s\n' "$msg" | head -20 >&2
		exit 1
	fi

	lvc_times=()
	protoc_times=()
	for ((i = 0; i < runs; i++)); do
		bench_time_us t "$lvc" --check "$out/$name.lv"
		lvc_times+=("$t")
		bench_time_us t protoc --proto_path="$out" --descriptor_set_out=/dev/null "$out/$name.proto"
		protoc_times+=("$t")
	done
	lvc_us=$(bench_median "${lvc_times[@]}")
	protoc_us=$(bench_median "${protoc_times[@]}")
	lvc_rss=$(bench_rss_kb "$lvc" --check "$out/$name.lv")
	protoc_rss=$(bench_rss_kb protoc --proto_path="$out" --descriptor_set_out=/dev/null "$out/$name.proto")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$m" "$(wc -c <"$out/$name.lv")" \
		"$(wc -c <"$out/$name.proto")" "$lvc_us" "$protoc_us" "$lvc_rss" "$protoc_rss" >>"$tsv"
	echo "  $n endpoints, $m structs: lvc $((lvc_us / 1000)) ms, protoc $((protoc_us / 1000)) ms" \
		"(runs, us: lvc ${lvc_times[*]}; protoc ${protoc_times[*]})"
done

# The table, from the tsv. Linearity: lvc's time per endpoint over that of
# the smallest size (1.00 is linear; 2.00 means twice the cost per endpoint).
load_after=$(bench_load)
awk -F'\t' -v main="$main" -v target="$target" -v runs="$runs" -v load="$load_before / $load_after" '
function rss(kb) { return kb == "-" ? "-" : sprintf("%.1f", kb / 1024) }
NR == 1 { next }
{
	n = $1; m = $2; lvc = $5 / 1000; pc = $6 / 1000
	per = $5 * 1000 / n
	if (base == "") base = per
	lin = per / base
	rows[++k] = sprintf("| %9d | %7d | %7.2f | %10.2f | %6.1f | %9.1f | %9.1fx | %15.0f | %9.2f | %11s | %14s |",
		n, m, $3 / 1048576, $4 / 1048576, lvc, pc, pc / lvc, per, lin, rss($7), rss($8))
	if (n ":" m == main) { mratio = pc / lvc; found = 1 }
	if (lin > maxlin) maxlin = lin
}
END {
	print "| endpoints | structs | .lv MiB | .proto MiB | lvc ms | protoc ms | protoc/lvc | lvc ns/endpoint | linearity | lvc RSS MiB | protoc RSS MiB |"
	print "|----------:|--------:|--------:|-----------:|-------:|----------:|-----------:|----------------:|----------:|------------:|---------------:|"
	for (i = 1; i <= k; i++) print rows[i]
	print ""
	if (found)
		printf "target: protoc/lvc >= %dx at %s: %.1fx, %s\n", target, main, mratio,
			(mratio >= target ? "met" : "NOT met")
	printf "linearity: worst %.2f (1.00 is linear; above 1.5 the cost per endpoint grows with size)\n", maxlin
	printf "median of %d runs; 1-minute load average before / after: %s\n", runs, load
}' "$tsv" >"$md"

echo
cat "$md"
