#!/usr/bin/env bash
# profile.sh - where the lv server's time goes under load: `perf record`
# with DWARF call graphs on build/bench/runtime/bin/lv_bench while the
# load generator drives it, then the functions by inclusive and by own
# time, and the time by library. Without perf it uses valgrind's callgrind
# (much slower, so a shorter and lighter load).
#
# usage: bench/profile.sh [rpc|fanout|models]  (rpc: 64x16 echo calls;
#                                            fanout: 10,000 subscribers;
#                                            models: lv's side of the models
#                                            benchmark's fanout, 100 of 1,000
#                                            live queries told per write)
# Run bench/runtime.sh (or make bench) once first: it builds the programs
# (bench/models.sh for models). Writes build/bench/runtime/profile-MODE.{data,txt}
# (build/bench/models/profile-models.{data,txt}).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

mode=${1:-rpc}

# The three views of a perf profile: by library, by function inclusive,
# by function own time.
perf_text() { # data
	set +o pipefail   # head ends perf report's output early
	echo "# by library (own time)"
	perf report -i "$1" --no-children --sort dso --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -12
	echo "# by function, inclusive (children)"
	perf report -i "$1" --children --sort symbol --stdio -g none 2>/dev/null |
		grep -E '^ +[0-9]' | grep -v '0x0000' | head -60
	echo "# by function, own time"
	perf report -i "$1" --no-children --sort dso,symbol --stdio -g none 2>/dev/null |
		grep -E '^ +[0-9]' | head -40
	set -o pipefail
}

if [ "$mode" = models ]; then
	out=build/bench/models
	[ -x "$out/bin/models_bench" ] || {
		echo "profile: build it first: bench/models.sh (or make bench)" >&2
		exit 1
	}
	command -v perf >/dev/null 2>&1 || { echo "profile: models needs perf" >&2; exit 1; }
	db=$out/profile.db
	rm -f "$db" "$db-wal" "$db-shm"
	perf record -q -F 999 --call-graph dwarf,16384 -o "$out/profile-models.data" -- \
		"$out/bin/models_bench" --cases fanout --told 100 --lv-only "$db" >"$out/profile-models.load"
	rm -f "$db" "$db-wal" "$db-shm"
	{
		echo "# run: $(cat "$out/profile-models.load")"
		perf_text "$out/profile-models.data"
	} >"$out/profile-models.txt"
	cat "$out/profile-models.txt"
	exit 0
fi

out=build/bench/runtime
bin=$out/bin
[ -x "$bin/lv_bench" ] && [ -x "$bin/loadgen" ] || {
	echo "profile: build the programs first: make -f bench/bench.mk (after make all)" >&2
	exit 1
}
case $mode in
rpc) load=(--mode rpc --conns 64 --inflight 16); want_fds=64 ;;
fanout) load=(--mode fanout --conns 10000 --setup-timeout 120); want_fds=10000 ;;
*) echo "usage: bench/profile.sh [rpc|fanout|models]" >&2; exit 2 ;;
esac

srv_pid=
stop() {
	[ -n "$srv_pid" ] || return 0
	kill -TERM "$srv_pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$srv_pid" 2>/dev/null || true
	wait "$srv_pid" 2>/dev/null || true
	srv_pid=
}
trap stop EXIT

start() { # cmd...
	: >"$out/listen.txt"
	taskset -c 0 "$@" >"$out/listen.txt" 2>>"$out/server-profile.log" &
	srv_pid=$!
	for _ in $(seq 300); do
		grep -q '^listening' "$out/listen.txt" 2>/dev/null && break
		sleep 0.1
	done
	read -r _ port schema <"$out/listen.txt"
}

txt=$out/profile-$mode.txt
if command -v perf >/dev/null 2>&1; then
	start "$bin/lv_bench" 0
	# set-up first (10,000 connections take a while), then 2 s of samples
	# in the middle of 8 s of load
	taskset -c 1 "$bin/loadgen" --proto lv --port "$port" --schema "$schema" \
		--server-pid "$srv_pid" --warmup 4 --duration 6 "${load[@]}" >"$out/profile-$mode.load" &
	lg=$!
	for _ in $(seq 600); do
		[ "$(find "/proc/$srv_pid/fd" -mindepth 1 2>/dev/null | wc -l)" -ge "$want_fds" ] && break
		sleep 0.2
	done
	sleep 3
	perf record -q -F 999 --call-graph dwarf,16384 -p "$srv_pid" -o "$out/profile-$mode.data" -- sleep 2 >/dev/null 2>&1
	wait "$lg" || true
	stop
	{
		echo "# load: $(cat "$out/profile-$mode.load")"
		perf_text "$out/profile-$mode.data"
	} >"$txt"
else
	command -v valgrind >/dev/null 2>&1 || { echo "profile: needs perf or valgrind" >&2; exit 1; }
	start valgrind --tool=callgrind --callgrind-out-file="$out/profile-$mode.callgrind" "$bin/lv_bench" 0
	taskset -c 1 "$bin/loadgen" --proto lv --port "$port" --schema "$schema" --warmup 1 --duration 10 \
		--mode rpc --conns 8 --inflight 16 >"$out/profile-$mode.load" || true
	stop
	set +o pipefail
	callgrind_annotate --inclusive=yes "$out/profile-$mode.callgrind" 2>/dev/null | head -80 >"$txt"
fi
cat "$txt"
