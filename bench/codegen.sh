#!/usr/bin/env bash
# codegen.sh - full code generation by lvc against protoc --cpp_out on the
# same schema.
#
# For each size it generates an equivalent pair (bench/gen-schema.js, the same
# sizes as frontend.sh): an .lv file and a proto3 file. Then, interleaved in
# one run, it times
#     lvc big.lv -o OUT              big.lv.h, big.lv.c, big.lv.js,
#                                    big.lv.d.ts, big_handlers.c, big_handlers.js
#     protoc --cpp_out=OUT big.proto big.pb.h, big.pb.cc
# BENCH_RUNS times each (default 5) and keeps the median. Every run writes
# into a fresh, empty OUT (made before the clock starts), so lvc always
# creates its handler files instead of merging into the previous run's. It
# measures peak RSS once per tool with /usr/bin/time when that is installed,
# and the bytes each tool writes.
#
# Once, untimed, on the smallest size, it checks that the generated C
# compiles:  cc -std=c11 -fsyntax-only -Iruntime/include -IOUT OUT/big.lv.c
# (and the same for OUT/big_handlers.c). If it does not, the scenario prints
# the table and then fails.
#
# Environment:
#   BENCH_RUNS   timed runs per tool and size (default 5)
#   BENCH_SIZES  "ENDPOINTS:STRUCTS ..." (default: the main point 10000:2000
#                with 1/4, 1/2 and 2x of it)
#   BENCH_MAIN   the size the 10x target is judged on (default 10000:2000)
#   BENCH_LVC    the lvc to time (default build/lvc), e.g. another build
#   BENCH_CC     the C compiler for the syntax check (default cc)
# Writes build/bench/codegen/: the schemas, results.tsv and results.md, and
# the output of both tools for the smallest size (the larger outputs are
# deleted once measured; protoc writes about 300 MB at the main size).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

runs=${BENCH_RUNS:-5}
sizes=${BENCH_SIZES:-"2500:500 5000:1000 10000:2000 20000:4000"}
main=${BENCH_MAIN:-10000:2000}
target=10
out=build/bench/codegen
lvc=${BENCH_LVC:-$bench_root/build/lvc}
case $lvc in /*) ;; *) lvc=$bench_root/$lvc ;; esac
ccx=${BENCH_CC:-cc}

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

# bytes_in DIR: prints "BYTES FILES" for the regular files in DIR.
bytes_in() {
	find "$1" -type f -printf '%s\n' | awk '{ b += $1; n++ } END { printf "%d %d\n", b, n }'
}

# fresh DIR: an empty directory.
fresh() {
	rm -rf "$1"
	mkdir -p "$1"
}

mkdir -p "$out"
tsv=$out/results.tsv
md=$out/results.md
cc_note=$out/cc-check.txt
printf 'endpoints\tstructs\tlvc_us\tprotoc_us\tlvc_rss_kb\tprotoc_rss_kb\tlvc_out_bytes\tlvc_out_files\tprotoc_out_bytes\tprotoc_out_files\n' >"$tsv"
: >"$cc_note"

echo "codegen: lvc -o vs protoc --cpp_out, median of $runs runs"
echo "  $("$lvc" --version), $(protoc --version), node $(node --version)"
load_before=$(bench_load)
cc_failed=0
first=1

for size in $sizes; do
	n=${size%:*}
	m=${size#*:}
	name=e${n}_s${m}
	lo=$out/$name.lvc-out
	po=$out/$name.protoc-out
	node bench/gen-schema.js --endpoints "$n" --structs "$m" --out "$out" --name "$name"

	# One untimed run each: both must accept their file silently, and the
	# files are in the page cache before the clock starts. The sizes of
	# what they write come from this run.
	fresh "$lo"
	if ! msg=$("$lvc" --color=never "$out/$name.lv" -o "$lo" 2>&1) || [ -n "$msg" ]; then
		echo "lvc does not compile $out/$name.lv cleanly:" >&2
		printf '%s\n' "$msg" | head -20 >&2
		exit 1
	fi
	fresh "$po"
	if ! msg=$(protoc --proto_path="$out" --cpp_out="$po" "$out/$name.proto" 2>&1) || [ -n "$msg" ]; then
		echo "protoc does not compile $out/$name.proto cleanly:" >&2
		printf '%s\n' "$msg" | head -20 >&2
		exit 1
	fi
	read -r lvc_bytes lvc_files < <(bytes_in "$lo")
	read -r protoc_bytes protoc_files < <(bytes_in "$po")

	# The generated C must compile (checked once, on the first size).
	if [ "$first" = 1 ]; then
		first=0
		if ! command -v "$ccx" >/dev/null 2>&1; then
			echo "generated C: not checked ($ccx is missing)" >"$cc_note"
		elif ! echo '#include <jansson.h>' | "$ccx" -E -x c - >/dev/null 2>&1; then
			echo "generated C: not checked (jansson.h is missing; Debian package: libjansson-dev)" >"$cc_note"
		else
			for f in "$name.lv.c" "${name}_handlers.c"; do
				if msg=$("$ccx" -std=c11 -fsyntax-only -Iruntime/include -I"$lo" "$lo/$f" 2>&1); then
					echo "generated C: $f ($n endpoints) compiles: $ccx -std=c11 -fsyntax-only" >>"$cc_note"
				else
					cc_failed=1
					{
						echo "generated C: $f ($n endpoints) does NOT compile; the first errors:"
						printf '%s\n' "$msg" | grep -m 10 'error' | sed "s|$bench_root/||g; s/^/    /" || true
					} >>"$cc_note"
				fi
			done
		fi
		keep=1
	else
		keep=0
	fi

	lvc_times=()
	protoc_times=()
	for ((i = 0; i < runs; i++)); do
		fresh "$lo"
		bench_time_us t "$lvc" "$out/$name.lv" -o "$lo"
		lvc_times+=("$t")
		fresh "$po"
		bench_time_us t protoc --proto_path="$out" --cpp_out="$po" "$out/$name.proto"
		protoc_times+=("$t")
	done
	lvc_us=$(bench_median "${lvc_times[@]}")
	protoc_us=$(bench_median "${protoc_times[@]}")
	fresh "$lo"
	lvc_rss=$(bench_rss_kb "$lvc" "$out/$name.lv" -o "$lo")
	fresh "$po"
	protoc_rss=$(bench_rss_kb protoc --proto_path="$out" --cpp_out="$po" "$out/$name.proto")
	if [ "$keep" = 0 ]; then
		rm -rf "$lo" "$po"
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$m" "$lvc_us" "$protoc_us" \
		"$lvc_rss" "$protoc_rss" "$lvc_bytes" "$lvc_files" "$protoc_bytes" "$protoc_files" >>"$tsv"
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
	n = $1; m = $2; lvc = $3 / 1000; pc = $4 / 1000
	per = $3 * 1000 / n
	if (base == "") base = per
	lin = per / base
	rows[++k] = sprintf("| %9d | %7d | %7.1f | %9.1f | %9.1fx | %15.0f | %9.2f | %11s | %14s | %14.1f | %17.1f |",
		n, m, lvc, pc, pc / lvc, per, lin, rss($5), rss($6), $7 / 1048576, $9 / 1048576)
	if (n ":" m == main) { mratio = pc / lvc; found = 1 }
	if (lin > maxlin) maxlin = lin
	files = sprintf("lvc writes %d files, protoc %d", $8, $10)
}
END {
	print "| endpoints | structs |  lvc ms | protoc ms | protoc/lvc | lvc ns/endpoint | linearity | lvc RSS MiB | protoc RSS MiB | lvc output MiB | protoc output MiB |"
	print "|----------:|--------:|--------:|----------:|-----------:|----------------:|----------:|------------:|---------------:|---------------:|------------------:|"
	for (i = 1; i <= k; i++) print rows[i]
	print ""
	if (found)
		printf "target: protoc/lvc >= %dx at %s: %.1fx, %s\n", target, main, mratio,
			(mratio >= target ? "met" : "NOT met")
	printf "linearity: worst %.2f (1.00 is linear; above 1.5 the cost per endpoint grows with size)\n", maxlin
	print files
	printf "median of %d runs; 1-minute load average before / after: %s\n", runs, load
}' "$tsv" >"$md"
cat "$cc_note" >>"$md"

echo
cat "$md"
if [ "$cc_failed" = 1 ]; then
	echo "codegen: the generated C does not compile (see above)" >&2
	exit 1
fi
