#!/usr/bin/env bash
# broker.sh - what sharing through Redis costs: the same fan-out and rpc
# load on one node with the in-process broker, one node on Redis, three
# nodes of one app on Redis, and one node on Redis with its sessions kept
# on the node (broker_local_sessions: no round trip to Redis per message),
# in one run.
#
#   fanout-1000  1,000 subscribers in group "subs" and one publisher calling
#                fanout(k) (one reliable push to the group); with three
#                nodes the subscribers take turns over them and the
#                publisher is on the first. Deliveries/s, the time from the
#                call to the last delivery (p50/p99), the server's CPU in
#                the push (the handler's, as lv_bench's fanout answers it),
#                and Redis' own time in the script that numbers, keeps and
#                publishes each push (INFO commandstats: EVAL's and EVALSHA's
#                usec over their calls)
#   rpc-64x16    64 connections, 16 calls in flight each (over the nodes in
#                turn with three): calls/s; no call touches the broker
#
# Redis is a redis-server of the benchmark's own, on a Unix socket in a
# temporary folder, without persistence, stopped by its pid. Every lv node
# and Redis share CPU 0, the load generator has CPU 1 (BENCH_PIN=0: no
# pinning): on this two-CPU machine three nodes measure what sharing costs
# on one CPU, not what three machines would serve.
#
# Environment:
#   BENCH_DURATION  seconds measured per run (3)
#   BENCH_WARMUP    seconds of load before measuring (1)
#   BENCH_RUNS      runs of each cell, the best kept (2)
#   BENCH_PIN       1: pin as above (default); 0: no pinning
#   BENCH_BIN       a folder with lv_bench and loadgen built before (another
#                   version, to compare): used as they are, nothing built
# Writes build/bench/broker/: results.jsonl (one line per run) and
# results.md (the table).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

out=build/bench/broker
bin=${BENCH_BIN:-build/bench/runtime/bin}
dur=${BENCH_DURATION:-3}
warm=${BENCH_WARMUP:-1}
runs=${BENCH_RUNS:-2}
pin=${BENCH_PIN:-1}

bench_need node nodejs
bench_need taskset util-linux
bench_need redis-server redis-server
bench_need redis-cli redis-tools
bench_need_done
if [ ! -f build/liblv.a ]; then
	echo "build/liblv.a is missing; run: make all" >&2
	exit 1
fi
mkdir -p "$out"
[ -n "${BENCH_BIN:-}" ] || make --no-print-directory -s -f bench/bench.mk B=build >/dev/null
results=$out/results.jsonl
: >"$results"

srv_pin=() lg_pin=()
if [ "$pin" = 1 ] && [ "$(nproc)" -ge 2 ]; then
	srv_pin=(taskset -c 0)
	lg_pin=(taskset -c 1)
fi

tmp=$(mktemp -d -t lv-bench-broker.XXXXXX)
sock=$tmp/redis.sock
redis_pid="" node_pids=() ports=() schema=""

nodes_stop() {
	local p i
	for p in "${node_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${node_pids[@]}"; do
		for ((i = 0; i < 50; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	node_pids=() ports=()
}
cleanup() {
	nodes_stop
	if [ -n "$redis_pid" ]; then
		kill -TERM "$redis_pid" 2>/dev/null || true
		wait "$redis_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

"${srv_pin[@]}" redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --save '' \
	--appendonly no --daemonize no --dir "$tmp" >"$out/redis.log" 2>&1 &
redis_pid=$!
for ((i = 0; i < 100; i++)); do
	redis-cli -s "$sock" ping >/dev/null 2>&1 && break
	sleep 0.1
done
redis-cli -s "$sock" ping >/dev/null || { echo "broker: redis-server did not start; see $out/redis.log" >&2; exit 1; }

# nodes_start N [BROKER]: N lv_bench nodes (all with BROKER when given);
# waits, at most 10 s each, for their "listening PORT SCHEMA" lines.
nodes_start() {
	local n=$1 broker=${2:-} local_sessions=${3:-} k i f
	for ((k = 0; k < n; k++)); do
		f=$out/listen-$k.txt
		: >"$f"
		"${srv_pin[@]}" "$bin/lv_bench" ${broker:+--broker "$broker"} ${local_sessions:+--local-sessions} 0 \
			>"$f" 2>>"$out/server-$k.log" &
		node_pids+=($!)
		for ((i = 0; i < 100; i++)); do
			grep -q '^listening' "$f" 2>/dev/null && break
			sleep 0.1
		done
		if ! grep -q '^listening' "$f"; then
			echo "broker: node $k did not start; see $out/server-$k.log" >&2
			nodes_stop
			return 1
		fi
		read -r _ port schema <"$f"
		ports+=("$port")
	done
	# a node on Redis takes a moment to connect: its first group push
	# would be refused (unavailable) before
	[ -z "$broker" ] || sleep 0.5
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# run CONFIG NODES BROKER LOCAL-SESSIONS SCENARIO LOADGEN-ARGS...
run() {
	local config=$1 n=$2 broker=$3 lsess=$4 scen=$5 r line t0 t1 plist evalus
	shift 5
	for ((r = 1; r <= runs; r++)); do
		redis-cli -s "$sock" flushall >/dev/null
		redis-cli -s "$sock" config resetstat >/dev/null
		nodes_start "$n" "$broker" "$lsess" || continue
		plist=$(IFS=,; echo "${ports[*]}")
		t0=$(cpu_ticks "$redis_pid")
		if ! line=$("${lg_pin[@]}" "$bin/loadgen" --proto lv --ports "$plist" --schema "$schema" \
			--server-pid "${node_pids[0]}" --label "$scen/$config/$r" "$@" 2>>"$out/loadgen.log"); then
			echo "  $scen/$config/$r: the load generator failed (see $out/loadgen.log): ${line:0:300}" >&2
			nodes_stop
			continue
		fi
		t1=$(cpu_ticks "$redis_pid")
		# Redis' own time in the script that numbers, keeps and publishes
		# each reliable group push (EVALSHA once loaded, EVAL before), per call
		evalus=$(redis-cli -s "$sock" info commandstats | tr -d '\r' | awk -F'[:,=]' '
			/^cmdstat_eval(sha)?:/ { calls += $3; usec += $5 }
			END { if (calls) printf "%.2f", usec / calls }')
		nodes_stop
		line=$(node -e '
			const r = JSON.parse(process.argv[1]);
			r.config = process.argv[2]; r.nodes = Number(process.argv[3]);
			r.redis_cpu_s = (Number(process.argv[5]) - Number(process.argv[4])) / Number(process.argv[6]);
			if (process.argv[7]) r.redis_eval_us = Number(process.argv[7]);
			console.log(JSON.stringify(r));' "$line" "$config" "$n" "$t0" "$t1" "$(getconf CLK_TCK)" "${evalus:-}")
		printf '%s\n' "$line" >>"$results"
		node -e '
			const r = JSON.parse(process.argv[1]);
			const f = (x) => x >= 100 ? Math.round(x).toString() : x.toFixed(1);
			let s = `  ${r.label.padEnd(24)}`;
			if (r.ops_per_s !== undefined) s += ` ${Math.round(r.ops_per_s)} calls/s`;
			else s += ` ${Math.round(r.deliveries_per_s)} deliveries/s, last p50 ${f(r.last_p50_us)} p99 ${f(r.last_p99_us)} us, missing ${r.missing}`;
			s += `, redis cpu ${r.redis_cpu_s.toFixed(2)} s`;
			if (r.errors || r.failed || r.closed) s += `  errors ${r.errors} failed ${r.failed} closed ${r.closed} ${r.last_error}`;
			console.log(s);' "$line"
	done
}

echo "broker: one node in-process, one node on Redis, three nodes on Redis; $dur s measured after $warm s per run, best of $runs"
echo "  redis $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), load average $(bench_load)"
for config in local redis-1 redis-3 redis-1-sticky; do
	lsess=
	case $config in
	local) n=1 broker= ;;
	redis-1) n=1 broker=unix:$sock ;;
	redis-3) n=3 broker=unix:$sock ;;
	redis-1-sticky) n=1 broker=unix:$sock lsess=1 ;;
	esac
	run "$config" "$n" "$broker" "$lsess" fanout-1000 --mode fanout --conns 1000 --warmup "$warm" \
		--duration "$dur" --round-timeout 10 --setup-timeout 60
	run "$config" "$n" "$broker" "$lsess" rpc-64x16 --mode rpc --conns 64 --inflight 16 --warmup "$warm" \
		--duration "$dur"
done
echo "  load average after: $(bench_load)"

node - "$results" "$out/results.md" <<'EOF'
const fs = require("fs");
const [file, md] = process.argv.slice(2);
const rows = fs.readFileSync(file, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));
const best = (scen, config) => {
	const rs = rows.filter((r) => r.label.startsWith(`${scen}/${config}/`) && !r.failed && !r.missing);
	const key = (r) => r.ops_per_s ?? r.deliveries_per_s;
	return rs.sort((a, b) => key(b) - key(a))[0];
};
const configs = [["local", "1 node, in-process"], ["redis-1", "1 node, Redis"], ["redis-3", "3 nodes, Redis"],
	["redis-1-sticky", "1 node, Redis, sessions on their node"]];
const k = (x) => x >= 1e6 ? `${(x / 1e6).toFixed(2)} M` : x >= 1e3 ? `${Math.round(x / 1e3)} k` : `${Math.round(x)}`;
const t = (us) => us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(0)} µs`;
const ratio = (a, b) => a && b ? `${(a / b).toFixed(2)}x` : "—";
const lines = ["| measure | " + configs.map((c) => c[1]).join(" | ") + " | Redis 1 / in-process | Redis 3 / in-process |",
	"|---|---:|---:|---:|---:|---:|---:|"];
const row = (name, scen, get, fmt) => {
	const v = configs.map(([c]) => { const r = best(scen, c); return r ? get(r) : undefined; });
	lines.push(`| ${name} | ${v.map((x) => x === undefined ? "—" : fmt(x)).join(" | ")} | ${ratio(v[1], v[0])} | ${ratio(v[2], v[0])} |`);
};
row("fan-out to 1,000: deliveries/s", "fanout-1000", (r) => r.deliveries_per_s, k);
row("fan-out to 1,000: time to the last, p50", "fanout-1000", (r) => r.last_p50_us, t);
row("fan-out to 1,000: time to the last, p99", "fanout-1000", (r) => r.last_p99_us, t);
row("fan-out: the handler's CPU in the push (on Redis: the script sent; its members are queued when the offset comes back)", "fanout-1000", (r) => r.push_cpu_us_mean, t);
row("fan-out: Redis' time in the script, per push", "fanout-1000", (r) => r.redis_eval_us, t);
row("rpc 64x16: calls/s", "rpc-64x16", (r) => r.ops_per_s, k);
const text = lines.join("\n") + "\n";
fs.writeFileSync(md, text);
process.stdout.write("\n" + text);
EOF
