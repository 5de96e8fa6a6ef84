#!/usr/bin/env bash
# models.sh - live models against their baselines, in process at the model
# layer (bench/models_bench.c), each in the same run as its baseline:
#   list    a filtered, ordered page of 50 with its count from 100,000 rows,
#           lv (query text parsed, the store's list, rows as JSON, the JSON
#           answer) against the same SQL on a statement prepared once;
#   fanout  one write reaching 1,000 live queries of which 1, 10 or 100 hold
#           the written row, lv's watch against re-running every query and
#           comparing its result.
# On a SQLite file, and on PostgreSQL when it is installed (a server of the
# benchmark's own in a temporary folder, on a Unix socket only, fsync off).
# Then over WebSocket (after make all): lv_bench serving the same table
# from a SQLite file, the load generator holding 1,000 sessions with a live
# query each (10 told per write) and 1,000 that list the same queries
# again after each write instead; server on CPU 0, load generator on CPU 1.
#
# Environment:
#   BENCH_QUICK      1: fewer queries and writes, a shorter socket run
#   BENCH_MODELS_PG  0: not on PostgreSQL
#   BENCH_MODELS_WS  0: not over WebSocket
# Writes build/bench/models/: results.jsonl and results.md.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

bench_need node nodejs
bench_need_done
out=build/bench/models
mkdir -p "$out"
make -s --no-print-directory build/liblv-model.a build/liblv-codec.a
make -s --no-print-directory -f bench/bench.mk "$out/bin/models_bench"
quick=()
[ "${BENCH_QUICK:-0}" = 1 ] && quick=(--quick)

db="$out/items.db"
rm -f "$db" "$db-wal" "$db-shm"
echo "load before: $(bench_load)"
"$out/bin/models_bench" "${quick[@]}" "$db" > "$out/results.jsonl"
rm -f "$db" "$db-wal" "$db-shm"

# PostgreSQL: initdb and postgres from the installed package, as the
# postgres user when run as root; stopped by its process id.
pg_dir="" pg_pid=""
pg_stop() {
	if [ -n "$pg_pid" ]; then
		kill -INT "$pg_pid" 2>/dev/null || true
		wait "$pg_pid" 2>/dev/null || true
		pg_pid=""
	fi
	[ -n "$pg_dir" ] && rm -rf "$pg_dir"
	pg_dir=""
}
trap pg_stop EXIT
pg_bin() {
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n | tail -n 1)
	[ -z "$d" ] && d=$(pg_config --bindir 2>/dev/null || true)
	[ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}
if [ "${BENCH_MODELS_PG:-1}" != 0 ] && bin=$(pg_bin); then
	pg_dir=$(mktemp -d -t lv-bench-pg-XXXXXX)
	as=()
	if [ "$(id -u)" -eq 0 ]; then
		chown postgres: "$pg_dir"
		as=(setpriv --reuid=postgres --regid=postgres --init-groups --)
	fi
	if "${as[@]}" "$bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust --no-sync -E UTF8 \
		--locale=C >"$pg_dir/log" 2>&1; then
		"${as[@]}" "$bin/postgres" -D "$pg_dir/data" -c listen_addresses= \
			-c unix_socket_directories="$pg_dir" -c fsync=off -c synchronous_commit=off \
			-c full_page_writes=off >>"$pg_dir/log" 2>&1 &
		pg_pid=$!
		for _ in $(seq 1 100); do
			"$bin/pg_isready" -q -h "$pg_dir" && break
			sleep 0.1
		done
	fi
	if [ -n "$pg_pid" ] && "$bin/pg_isready" -q -h "$pg_dir"; then
		"$out/bin/models_bench" "${quick[@]}" "postgresql:///postgres?host=$pg_dir&user=postgres" \
			>> "$out/results.jsonl"
	else
		echo "models: PostgreSQL did not start; its rows are left out:" >&2
		tail -n 5 "$pg_dir/log" >&2 || true
	fi
	pg_stop
else
	echo "models: no PostgreSQL (initdb) installed, or BENCH_MODELS_PG=0: SQLite only"
fi

# Over WebSocket: the same table in a file of its own, served by lv_bench.
ws_pid=""
ws_stop() {
	[ -n "$ws_pid" ] || return 0
	kill -TERM "$ws_pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$ws_pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$ws_pid" 2>/dev/null || true
	wait "$ws_pid" 2>/dev/null || true
	ws_pid=""
}
trap 'ws_stop; pg_stop' EXIT
if [ "${BENCH_MODELS_WS:-1}" = 0 ]; then
	echo "models: BENCH_MODELS_WS=0: not over WebSocket"
elif [ ! -x build/lvc ] || [ ! -f build/liblv.a ]; then
	echo "models: build/lvc and build/liblv.a are missing (make all): not over WebSocket"
else
	make --no-print-directory -s -f bench/bench.mk B=build build/bench/runtime/bin/lv_bench \
		build/bench/runtime/bin/loadgen >/dev/null
	rbin=build/bench/runtime/bin
	db="$out/socket.db"
	rm -f "$db" "$db-wal" "$db-shm"
	"$out/bin/models_bench" --cases populate "$db"
	pin_srv=() pin_lg=()
	if [ "${BENCH_PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
		pin_srv=(taskset -c 0)
		pin_lg=(taskset -c 1)
	fi
	: >"$out/listen.txt"
	"${pin_srv[@]}" "$rbin/lv_bench" --store "$db" 0 >"$out/listen.txt" 2>"$out/server.log" &
	ws_pid=$!
	for _ in $(seq 100); do
		grep -q '^listening' "$out/listen.txt" 2>/dev/null && break
		kill -0 "$ws_pid" 2>/dev/null || break
		sleep 0.1
	done
	if read -r _ port schema <"$out/listen.txt" 2>/dev/null && [ -n "${port:-}" ]; then
		dur=20
		[ "${BENCH_QUICK:-0}" = 1 ] && dur=4
		if line=$("${pin_lg[@]}" "$rbin/loadgen" --proto lv --mode models --port "$port" \
			--schema "$schema" --server-pid "$ws_pid" --conns 1000 --groups 100 --warmup 1 \
			--duration "$dur" --label socket 2>>"$out/loadgen.log"); then
			echo "${line/\{/\{\"case\":\"socket\",}" >>"$out/results.jsonl"
		else
			echo "models: the load generator failed (see $out/loadgen.log): ${line:0:300}" >&2
		fi
	else
		echo "models: lv_bench did not start; see $out/server.log" >&2
	fi
	ws_stop
	rm -f "$db" "$db-wal" "$db-shm"
fi
echo "load after: $(bench_load)"

node - "$out/results.jsonl" > "$out/results.md" <<'JS'
const fs = require('node:fs');
const rows = fs.readFileSync(process.argv[2], 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const us = (v) => (v >= 1000 ? `${(v / 1000).toFixed(1)} ms` : `${v.toFixed(1)} µs`);
const n = (v) => v.toLocaleString('en');
const x = (v) => `${v >= 10 ? v.toFixed(0) : v.toFixed(2)}x`;
const store = (r) => (r.store === 'sqlite' ? 'SQLite file' : 'PostgreSQL');
const cache = (r) => (r.store === 'sqlite' ? (r.cache_mib ? `${r.cache_mib} MiB` : 'default (2 MiB)') : 'shared_buffers');
const direct = (r) => (r.store === 'sqlite' ? 'sqlite3' : 'libpq');
const out = [];
const lists = rows.filter((r) => r.case === 'list');
if (lists.length) {
  out.push(`A page of ${lists[0].page} rows and its count (${n(lists[0].count)} match) from ${n(lists[0].rows)}: lv against the same SQL on a statement prepared once`);
  out.push('');
  out.push('| store | page cache | lv p50 | lv p99 | lv queries/s | direct p50 | direct p99 | direct queries/s | lv / direct (p50) |');
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of lists)
    out.push(`| ${store(r)} | ${cache(r)} | ${us(r.lv_p50_us)} | ${us(r.lv_p99_us)} | ${n(r.lv_qps)} | ${us(r.base_p50_us)} (${direct(r)}) | ${us(r.base_p99_us)} | ${n(r.base_qps)} | ${x(r.lv_p50_us / r.base_p50_us)} |`);
  out.push('');
  for (const r of lists)
    out.push(`lv per query, ${store(r)}${r.cache_mib ? `, ${r.cache_mib} MiB cache` : ''}: parse ${us(r.lv_parse_us)}, the store's list ${us(r.lv_list_us)}, the JSON answer ${us(r.lv_json_us)} (${n(r.answer_bytes)} bytes); ${n(r.queries)} queries each.`);
}
const fans = rows.filter((r) => r.case === 'fanout');
if (fans.length) {
  if (out.length) out.push('');
  out.push(`One write reaching ${n(fans[0].subs)} live queries (each a different query): from its commit until the last subscriber that holds the row is told`);
  out.push('');
  out.push('| store | page cache | told per write | writes | lv p50 | lv p99 | of which the store | re-run all and diff p50 | p99 | naive / lv (p50) |');
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of fans)
    out.push(`| ${store(r)} | ${cache(r)} | ${n(r.told)} | ${n(r.writes)} | ${us(r.lv_p50_us)} | ${us(r.lv_p99_us)} | ${us(r.lv_store_p50_us)} (${r.lv_lists} list${r.lv_lists === 1 ? '' : 's'}; change read ${us(r.lv_changes_p50_us)}) | ${us(r.naive_p50_us)} | ${us(r.naive_p99_us)} | ${x(r.naive_p50_us / r.lv_p50_us)} |`);
  out.push('');
  out.push('"Of which the store": the median time lv\'s poll spent in the store (its lists of the touched windows, and reading the change back); the rest is watch.c\'s own.');
}
const ws = rows.filter((r) => r.case === 'socket');
for (const r of ws) {
  if (out.length) out.push('');
  out.push(`Over WebSocket: ${n(r.conns)} sessions each with a live query and ${n(r.conns)} that list the same queries again after each write; ${r.told} of each hold the written row; measured by the client from sending the write`);
  out.push('');
  out.push('| | p50 | p99 | rounds |');
  out.push('|---|---:|---:|---:|');
  out.push(`| lv: until the last of the ${r.told} live sessions has its model message | ${us(r.live_last_p50_us)} | ${us(r.live_last_p99_us)} | ${n(r.live_rounds)} |`);
  out.push(`| re-list: until all ${n(r.conns)} polling sessions have their list again | ${us(r.poll_last_p50_us)} | ${us(r.poll_last_p99_us)} | ${n(r.poll_rounds)} |`);
  out.push('');
  out.push(`re-list / lv (p50): ${x(r.poll_last_p50_us / r.live_last_p50_us)}. The write's own round trip (p50): ${us(r.live_write_p50_us)} in lv's rounds, ${us(r.poll_write_p50_us)} in the re-list's; lv's last message ${us(r.live_after_ret_p50_us)} after the write's answer. Polling rounds where another number than ${r.told} lists changed: ${r.bad_rounds}; missing deliveries or lists: ${r.missing}; errors: ${r.errors}${r.last_error ? ` (${r.last_error})` : ''}; server CPU ${r.server_cpu_pct.toFixed(0)} %; load ${r.load1}.`);
}
console.log(out.join('\n'));
JS
cat "$out/results.md"
