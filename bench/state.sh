#!/usr/bin/env bash
# state.sh - what a synchronised state's flush costs as the state grows,
# against a generic tree diff of the same state in the same run
# (bench/state_bench.c): one changed field in a map of 1,000, 10,000 and
# 100,000 rows, and one row put first in a list of 10,000. The target:
# the state's CPU per flush and bytes stay flat as it grows (the diff's
# grow with it), and the prepend is one operation of under 1 KB.
#
# Environment:
#   BENCH_QUICK  1: fewer repetitions and no 100,000-row case
# Writes build/bench/state/: results.jsonl and results.md.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

out=build/bench/state
mkdir -p "$out"
make -s --no-print-directory build/liblv-state.a build/liblv-codec.a
make -s --no-print-directory -f bench/bench.mk "$out/bin/state_bench"
"$out/bin/state_bench" "$([ "${BENCH_QUICK:-0}" = 1 ] && echo 0 || echo 1)" > "$out/results.jsonl"

node - "$out/results.jsonl" > "$out/results.md" <<'JS'
const fs = require('node:fs');
const rows = fs.readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const us = (v) => (v >= 1000 ? `${(v / 1000).toFixed(1)} ms` : `${v.toFixed(1)} µs`);
const kb = (b) => (b >= 1024 ? `${(b / 1024).toFixed(1)} KiB` : `${b} B`);
const out = ['| case | rows | state: CPU per flush | state: bytes | tree diff: CPU | tree diff: bytes | CPU ratio (state / diff) |',
  '|---|---:|---:|---:|---:|---:|---:|'];
for (const r of rows)
  out.push(`| ${r.case === 'field' ? 'one field changed' : 'one row put first'} | ${r.rows.toLocaleString('en')} | ${us(r.state_us)} | ${kb(r.state_bytes)} | ${us(r.diff_us)} | ${kb(r.diff_bytes)} | ${(r.state_us / r.diff_us).toPrecision(2)}x |`);
const field = rows.filter((r) => r.case === 'field');
const growth = field.length > 1 ? field[field.length - 1].state_us / field[0].state_us : NaN;
const pre = rows.find((r) => r.case === 'prepend');
out.push('');
out.push(`State CPU per flush from ${field[0].rows.toLocaleString('en')} to ${field[field.length - 1].rows.toLocaleString('en')} rows: ${growth.toFixed(1)}x for ${(field[field.length - 1].rows / field[0].rows)}x the rows; bytes ${field.map((r) => r.state_bytes).join(', ')}.`);
if (pre)
  out.push(`Prepend to ${pre.rows.toLocaleString('en')} rows: ${pre.state_bytes} bytes (${pre.state_bytes < 1024 ? 'met' : 'missed'}: under 1 KB).`);
console.log(out.join('\n'));
JS
cat "$out/results.md"
