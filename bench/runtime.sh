#!/usr/bin/env bash
# runtime.sh - liblv against the stack's limit and against what users would
# pick instead: rpc round trips, realtime messages into the server, fan-out
# and idle memory per connection, for five servers:
#
#   lv           bench/bench.lv served by liblv (build/bench/runtime/bin/lv_bench),
#                on the default loop (libev where libwebsockets' plugin is)
#   lv-poll      the same on libwebsockets' poll() loop (lv_bench --poll); not in
#                the default list
#   lv-uv        the same on lv's own libuv loop (lv_bench --uv); not in the
#                default list: BENCH_SERVERS="lv-poll lv-ev lv-uv" compares the loops
#   lv-ev        the same on lv's own libev loop (lv_bench --ev); not in the
#                default list either
#   lws-batched  bare libwebsockets echo, all queued frames in one write (bench/lws_echo.c)
#   lws-naive    bare libwebsockets echo, one lws_write per frame
#   ws           Node `ws` with a hand-written JSON rpc (bench/ws_server.mjs)
#   sio          Socket.IO 4 with acknowledgements (bench/sio_server.mjs)
#
# all driven by one C load generator (bench/loadgen.c) over 127.0.0.1. Each
# run starts a fresh server and stops it by its pid. The server is pinned to
# CPU 0 and the load generator to CPU 1 (BENCH_PIN=0: no pinning).
#
# Environment:
#   BENCH_DURATION   seconds measured per run (3)
#   BENCH_WARMUP     seconds of load before measuring (1)
#   BENCH_RPC_RUNS   runs of each rpc cell; the best is kept (3)
#   BENCH_RUNS2      runs of the realtime, fanout-100, fanout-1000 and state cells (2)
#   BENCH_SERVERS    the servers to run (all five)
#   BENCH_BIG_SERVERS  the servers of idle-100000 and accept-* (lv lv-uv lws-batched)
#   BENCH_SCENARIOS  a subset of: rpc-1x1 rpc-1x1-same rpc-64x16 rpc-1000
#                    send fanout-100 fanout-1000 fanout-10000 idle-10000 idle-100000
#                    accept-10000 accept-50000 http-64 state-100 state-1000 loadgen-check
#   BENCH_PIN        1: pin as above (default); 0: let the scheduler place them
#   BENCH_KEEP       1: add to results.jsonl instead of starting it afresh (the
#                    table then shows the best run of all)
# Writes build/bench/runtime/: results.jsonl (one line per run, from the
# load generator), results.md (the table), server logs.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

out=build/bench/runtime
bin=$out/bin
dur=${BENCH_DURATION:-3}
warm=${BENCH_WARMUP:-1}
rpc_runs=${BENCH_RPC_RUNS:-3}
runs2=${BENCH_RUNS2:-2}
servers=${BENCH_SERVERS:-"lv lws-batched lws-naive ws sio"}
big_servers=${BENCH_BIG_SERVERS:-"lv lv-uv lws-batched"}
scenarios=${BENCH_SCENARIOS:-"rpc-1x1 rpc-1x1-same rpc-64x16 rpc-1000 send fanout-100 fanout-1000 fanout-10000 idle-10000 idle-100000 accept-10000 accept-50000 http-64 state-100 state-1000 loadgen-check"}
pin=${BENCH_PIN:-1}

bench_need node nodejs
bench_need pkg-config pkg-config
bench_need taskset util-linux
bench_need wrk wrk
bench_need_done
if [ ! -x build/lvc ] || [ ! -f build/liblv.a ]; then
	echo "build/lvc and build/liblv.a are missing; run: make all" >&2
	exit 1
fi
if [ ! -d node_modules/socket.io ] || [ ! -d node_modules/ws ]; then
	echo "installing the npm packages of package-lock.json"
	npm ci --no-audit --no-fund --loglevel=error
fi
mkdir -p "$out"
make --no-print-directory -s -f bench/bench.mk B=build >/dev/null

results=$out/results.jsonl
[ "${BENCH_KEEP:-0}" = 1 ] || : >"$results"   # BENCH_KEEP=1: add to the runs before
if [ "$pin" = 1 ] && [ "$(nproc)" -ge 2 ]; then
	srv_pin=(taskset -c 0)
	lg_pin=(taskset -c 1)
else
	pin=0
	srv_pin=()
	lg_pin=()
fi

srv_pid=
srv_port=
srv_schema=
srv_proto=
srv_max=      # connections a C server holds at most (its own default when empty)
fd_note=

# srv_start NAME [CPU]: starts server NAME (pinned to CPU, default 0) and
# waits, at most 10 s, for its "listening PORT" line.
srv_start() {
	local name=$1 cpu=${2:-0} log=$out/server-$1.log i
	local -a cmd pinning=()
	case $name in
	lv) cmd=("$bin/lv_bench" ${srv_max:+--max-conns "$srv_max"} 0); srv_proto=lv ;;
	lv-uv) cmd=("$bin/lv_bench" --uv ${srv_max:+--max-conns "$srv_max"} 0); srv_proto=lv ;;
	lv-poll) cmd=("$bin/lv_bench" --poll ${srv_max:+--max-conns "$srv_max"} 0); srv_proto=lv ;;
	lv-ev) cmd=("$bin/lv_bench" --ev ${srv_max:+--max-conns "$srv_max"} 0); srv_proto=lv ;;
	lws-batched) cmd=("$bin/lws_echo" --batched ${srv_max:+--max-conns "$srv_max"} 0); srv_proto=echo ;;
	lws-naive) cmd=("$bin/lws_echo" --naive ${srv_max:+--max-conns "$srv_max"} 0); srv_proto=echo ;;
	ws) cmd=(node --expose-gc bench/ws_server.mjs 0); srv_proto=json ;;
	sio) cmd=(node --expose-gc bench/sio_server.mjs 0); srv_proto=sio ;;
	*) echo "runtime: no server '$name'" >&2; exit 2 ;;
	esac
	[ "$pin" = 1 ] && pinning=(taskset -c "$cpu")
	: >"$out/listen.txt"
	"${pinning[@]}" "${cmd[@]}" >"$out/listen.txt" 2>>"$log" &
	srv_pid=$!
	for ((i = 0; i < 100; i++)); do
		if grep -q '^listening' "$out/listen.txt" 2>/dev/null; then
			read -r _ srv_port srv_schema <"$out/listen.txt"
			srv_schema=${srv_schema:-}
			return 0
		fi
		if ! kill -0 "$srv_pid" 2>/dev/null; then
			break
		fi
		sleep 0.1
	done
	echo "runtime: server $name did not start; see $log" >&2
	srv_stop
	return 1
}

# srv_stop: SIGTERM, then SIGKILL after 5 s; only the pid started above.
srv_stop() {
	local i
	[ -n "$srv_pid" ] || return 0
	kill -TERM "$srv_pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		kill -0 "$srv_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$srv_pid" 2>/dev/null || true
	wait "$srv_pid" 2>/dev/null || true
	srv_pid=
}
trap srv_stop EXIT

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }

# lg LABEL ARGS...: one load generator run against the running server; its
# JSON line goes to results.jsonl (and a short form to the terminal).
lg() {
	local label=$1 line
	shift
	if ! line=$("${lg_pin[@]}" "$bin/loadgen" --proto "$srv_proto" --port "$srv_port" \
		--schema "$srv_schema" --server-pid "$srv_pid" --label "$label" "$@" 2>>"$out/loadgen.log"); then
		echo "  $label: the load generator failed (see $out/loadgen.log): ${line:0:300}" >&2
		[ -n "$line" ] && printf '%s\n' "$line" >>"$results"
		return 0
	fi
	printf '%s\n' "$line" >>"$results"
	node -e '
		const r = JSON.parse(process.argv[1]);
		const f = (x) => x >= 100 ? Math.round(x).toString() : x.toFixed(1);
		let s = `  ${r.label.padEnd(26)}`;
		if (r.ops_per_s !== undefined) s += ` ${Math.round(r.ops_per_s).toString().padStart(9)}/s  p50 ${f(r.p50_us)} p99 ${f(r.p99_us)} p99.9 ${f(r.p999_us)} us`;
		if (r.mode === "state") s += ` group: ${f(r.group_flushes_per_s)} flushes/s, last p50 ${f(r.group_last_p50_us)} us, cpu ${r.group_cpu_us_mean} us/flush; conn: ${f(r.conn_flushes_per_s)}/s, last p50 ${f(r.conn_last_p50_us)} us, cpu ${r.conn_cpu_us_mean} us; ratio ${r.cpu_ratio}x  missing ${r.missing}`;
		else if (r.deliveries_per_s !== undefined) s += ` ${Math.round(r.deliveries_per_s).toString().padStart(9)} deliveries/s  last p50 ${f(r.last_p50_us)} p99 ${f(r.last_p99_us)} us  missing ${r.missing}`;
		s += `  cpu lg ${r.cpu_pct}% srv ${r.server_cpu_pct}%`;
		if (r.errors || r.failed || r.closed) s += `  errors ${r.errors} failed ${r.failed} closed ${r.closed} ${r.last_error}`;
		console.log(s);' "$line"
}

# cell SCENARIO SERVER RUNS ARGS...: RUNS fresh-server runs.
cell() {
	local scen=$1 name=$2 runs=$3 r
	shift 3
	for ((r = 1; r <= runs; r++)); do
		srv_start "$name" || continue
		lg "$scen/$name/$r" "$@"
		srv_stop
	done
}

has() { case " $scenarios " in *" $1 "*) return 0 ;; esac; return 1; }
serves() { case " $servers " in *" $1 "*) return 0 ;; esac; return 1; }

echo "runtime: $servers; $dur s measured after $warm s of load per run; pinned: $([ "$pin" = 1 ] && echo 'server CPU 0, load generator CPU 1' || echo no)"
echo "  node $(node --version), libwebsockets $(pkg-config --modversion libwebsockets 2>/dev/null || echo '?'), socket.io $(node -p 'require("./node_modules/socket.io/package.json").version'), ws $(node -p 'require("./node_modules/ws/package.json").version'), load average $(bench_load)"
t_start=$SECONDS

rpc_args=(--mode rpc --warmup "$warm" --duration "$dur")
for name in $servers; do
	if has rpc-1x1; then
		cell rpc-1x1 "$name" "$rpc_runs" "${rpc_args[@]}" --conns 1 --inflight 1
	fi
	if has rpc-1x1-same; then
		# the load generator on the server's CPU: no cross-CPU wake-up
		saved=("${lg_pin[@]}")
		[ "$pin" = 1 ] && lg_pin=(taskset -c 0)
		cell rpc-1x1-same "$name" "$rpc_runs" "${rpc_args[@]}" --conns 1 --inflight 1
		lg_pin=("${saved[@]}")
	fi
	if has rpc-64x16; then
		cell rpc-64x16 "$name" "$rpc_runs" "${rpc_args[@]}" --conns 64 --inflight 16
	fi
	if has rpc-1000; then
		cell rpc-1000 "$name" "$rpc_runs" "${rpc_args[@]}" --conns 1000 --inflight 1
	fi
done

# realtime into the server: 64 connections, 4 batches of 32 messages in
# flight each; a batch counts once the call that closes it is answered.
if has send; then
	for name in $servers; do
		[ "$name" = lws-naive ] && continue   # a sink writes nothing: the same as batched
		cell send "$name" "$runs2" --mode send --conns 64 --inflight 4 --batch 32 \
			--warmup "$warm" --duration "$dur"
	done
fi

# fan-out: lv's fanout answers the server thread's CPU time of the push
# (encoded once, a reference queued on each member), in the result line as
# push_cpu_us_mean; fanout-100 is for that, beside the two larger groups.
for n in 100 1000 10000; do
	has "fanout-$n" || continue
	for name in $servers; do
		runs=1
		[ "$n" = 10000 ] || runs=$runs2
		cell "fanout-$n" "$name" "$runs" --mode fanout --conns "$n" --warmup "$warm" \
			--duration "$dur" --round-timeout 10 --setup-timeout 120
	done
done

# idle_cell SCENARIO NAME HELD TOTAL [LOADGEN ARGS...]: HELD connections
# first (what the first ones cost once, such as lws's tables and Node's
# modules, is then counted out), then TOTAL - HELD more, opened as fast as
# the server accepts them; RSS after each stage gives the memory per
# connection, the second stage's time the accept rate while HELD are held.
idle_cell() {
	local scen=$1 name=$2 held=$3 total=$4 line rss0=0 rss1=0 n0=0 n1=0 result= per
	shift 4
	srv_start "$name" || return 0
	coproc LG { "${lg_pin[@]}" "$bin/loadgen" --proto "$srv_proto" --port "$srv_port" \
		--schema "$srv_schema" --mode idle --conns "$total" --stage "$held" --duration 120 \
		--setup-timeout 300 --server-pid "$srv_pid" --label "$scen/$name/1" "$@" \
		2>>"$out/loadgen.log"; }
	lg_pid=$LG_PID
	while IFS= read -r -t 400 line <&"${LG[0]}"; do
		case $line in
		stage*)
			n0=${line#stage }
			if [ "$srv_proto" = json ] || [ "$srv_proto" = sio ]; then
				kill -USR2 "$srv_pid" 2>/dev/null || true   # node: collect garbage first
			fi
			sleep 2
			rss0=$(rss_kb "$srv_pid")
			echo go >&"${LG[1]}"
			;;
		ready*)
			n1=${line#ready }
			if [ "$srv_proto" = json ] || [ "$srv_proto" = sio ]; then
				kill -USR2 "$srv_pid" 2>/dev/null || true   # node: collect garbage first
			fi
			sleep 2
			rss1=$(rss_kb "$srv_pid")
			echo done >&"${LG[1]}"
			;;
		"{"*)
			result=$line
			break
			;;
		esac
	done
	wait "$lg_pid" 2>/dev/null || true
	srv_stop
	if [ -n "$result" ] && [ "$n1" -gt "$n0" ]; then
		per=$(awk -v a="$rss0" -v b="$rss1" -v n=$((n1 - n0)) 'BEGIN { printf "%.2f", (b - a) / n }')
		result="${result%\}},\"rss0_kb\":$rss0,\"rss1_kb\":$rss1,\"conns0\":$n0,\"conns1\":$n1,\"kib_per_conn\":$per}"
		printf '%s\n' "$result" >>"$results"
		printf '  %-26s %s -> %s connections: RSS %s -> %s KiB, %s KiB per connection, %s accepted/s\n' \
			"$scen/$name" "$n0" "$n1" "$rss0" "$rss1" "$per" \
			"$(printf '%s' "$result" | sed -n 's/.*"grow_per_s":\([0-9.]*\).*/\1/p')"
	else
		echo "  $scen/$name: no result (${result:0:200})" >&2
	fi
}

# fd_room N: can this shell give N descriptors to a server and as many to
# the load generator? Raises the limit if it may (as root with
# CAP_SYS_RESOURCE); else says what it is.
fd_room() {
	local need=$1 hard
	hard=$(ulimit -Hn)
	if [ "$hard" != unlimited ] && [ "$hard" -lt "$need" ]; then
		ulimit -n "$need" 2>/dev/null && return 0
		fd_note="the file limit here is $hard (hard), $need needed"
		return 1
	fi
	return 0
}

# A result line for a scenario this machine cannot run, so the table says
# why instead of leaving a hole.
skipped() {
	printf '{"label":"%s","skipped":"%s"}\n' "$1" "$2" >>"$results"
	echo "  $1: not run: $2" >&2
}

# idle memory: 100 connections, then 10,000 more.
if has idle-10000; then
	for name in $servers; do
		[ "$name" = lws-naive ] && continue   # the same connection state as batched
		idle_cell idle-10000 "$name" 100 10100
	done
fi

# 100,000 idle connections, from five source addresses (127.0.1.1 .. 5:
# one has about 28,000 ports), on lv with both loops and the libwebsockets
# echo; each needs a file limit above 100,000.
if has idle-100000; then
	if fd_room 110000; then
		srv_max=110000
		for name in $big_servers; do
			idle_cell idle-100000 "$name" 1000 101000 --src 5 --burst 512
		done
		srv_max=
	else
		for name in $big_servers; do skipped "idle-100000/$name" "$fd_note"; done
	fi
fi

# The accept rate while connections are held: 10,000 (accept-10000) or
# 50,000 (accept-50000) first, then 9,000 or 10,000 more as fast as the
# server takes them, 512 handshakes under way at most.
for held in 10000 50000; do
	has "accept-$held" || continue
	more=$((held == 10000 ? 9000 : 10000))
	if fd_room $((held + more + 1000)); then
		[ "$held" -gt 19000 ] && srv_max=$((held + more + 1000))
		for name in $big_servers; do
			idle_cell "accept-$held" "$name" "$held" $((held + more)) --src 5 --burst 512
		done
		srv_max=
	else
		for name in $big_servers; do skipped "accept-$held/$name" "$fd_note"; done
	fi
done

# HTTP rpc: POST /lv/rpc/echo from wrk (bench/http_echo.lua), 64 requests
# at once, each on a connection of its own (lv answers one request per
# connection), against the same 64 as socket calls, one in flight each; the
# servers that speak lv's protocol only.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
http_cell() {
	local label=$1 t0 t1 line hz
	hz=$(getconf CLK_TCK)
	BENCH_LABEL=$label "${lg_pin[@]}" wrk -t1 -c64 -d"${warm}s" -s bench/http_echo.lua \
		"http://127.0.0.1:$srv_port/lv/rpc/echo" >/dev/null 2>>"$out/loadgen.log" || true
	t0=$(cpu_ticks "$srv_pid")
	line=$(BENCH_LABEL=$label BENCH_CONNS=64 "${lg_pin[@]}" wrk -t1 -c64 -d"${dur}s" \
		-s bench/http_echo.lua "http://127.0.0.1:$srv_port/lv/rpc/echo" 2>>"$out/loadgen.log" |
		grep '^{' || true)
	t1=$(cpu_ticks "$srv_pid")
	if [ -z "$line" ]; then
		echo "  $label: wrk gave no result (see $out/loadgen.log)" >&2
		return 0
	fi
	line=$(node -e '
		const r = JSON.parse(process.argv[1]);
		r.server_cpu_pct = Math.round(1000 * (process.argv[2] / process.argv[3]) / r.window_s) / 10;
		r.server_cpu_us_per_op = r.ops ? Math.round(1e7 * (process.argv[2] / process.argv[3]) / r.ops) / 10 : null;
		r.cpu_pct = -1;
		console.log(JSON.stringify(r));' "$line" "$((t1 - t0))" "$hz")
	printf '%s\n' "$line" >>"$results"
	node -e '
		const r = JSON.parse(process.argv[1]);
		console.log(`  ${r.label.padEnd(26)} ${Math.round(r.ops_per_s).toString().padStart(9)}/s  p50 ${r.p50_us} p99 ${r.p99_us} us  srv ${r.server_cpu_pct}% (${r.server_cpu_us_per_op} us per request)  errors ${r.errors}`);' "$line"
}
if has http-64; then
	for name in $servers; do
		case $name in lv | lv-poll | lv-ev | lv-uv) ;; *) continue ;; esac
		cell rpc-64x1 "$name" "$rpc_runs" "${rpc_args[@]}" --conns 64 --inflight 1
		for ((r = 1; r <= rpc_runs; r++)); do
			srv_start "$name" || continue
			http_cell "http-64/$name/$r"
			srv_stop
		done
	done
fi

# A state flushed to N pages: rounds alternate between one change to the
# group's copy (board, serialised once for all N) and the same change to
# each page's own copy (mine, serialised N times), in the same run; the
# bump call answers the server thread's CPU time of the flush (the socket
# writes come after it, on the loop). lv only.
for n in 100 1000; do
	has "state-$n" || continue
	for name in $servers; do
		case $name in lv | lv-poll | lv-ev | lv-uv) ;; *) continue ;; esac
		cell "state-$n" "$name" "$runs2" --mode state --conns "$n" --warmup "$warm" \
			--duration "$dur" --round-timeout 10 --setup-timeout 120
	done
done

# Is the load generator the bottleneck? Against the batched echo at 64x16,
# two load generators of 32x16 each, side by side on the load generator's
# CPU, against one of 64x16 (its CPU use is in every result line too).
if has loadgen-check && serves lws-batched; then
	srv_start lws-batched
	lg "loadgen-check/one/1" --mode rpc --conns 64 --inflight 16 --warmup "$warm" --duration "$dur"
	f1=$(mktemp)
	f2=$(mktemp)
	"${lg_pin[@]}" "$bin/loadgen" --proto echo --port "$srv_port" --server-pid "$srv_pid" \
		--label "loadgen-check/two-a/1" --mode rpc --conns 32 --inflight 16 --warmup "$warm" \
		--duration "$dur" >"$f1" 2>>"$out/loadgen.log" &
	p1=$!
	"${lg_pin[@]}" "$bin/loadgen" --proto echo --port "$srv_port" --server-pid "$srv_pid" \
		--label "loadgen-check/two-b/1" --mode rpc --conns 32 --inflight 16 --warmup "$warm" \
		--duration "$dur" >"$f2" 2>>"$out/loadgen.log" &
	p2=$!
	wait "$p1" "$p2" || true
	cat "$f1" "$f2" >>"$results"
	node -e '
		const [a, b] = process.argv.slice(1).map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
		console.log(`  loadgen-check/two (32x16 each) ${Math.round(a.ops_per_s + b.ops_per_s)}/s  cpu lg ${a.cpu_pct}% + ${b.cpu_pct}%  srv ${a.server_cpu_pct}%`);' "$f1" "$f2"
	rm -f "$f1" "$f2"
	srv_stop
fi

echo "runtime: $((SECONDS - t_start)) s"
echo
node bench/runtime-report.mjs "$results" "$out/results.md" "$([ "$pin" = 1 ] && echo pinned || echo unpinned)"
