# lib.sh - what the install suites (run.sh, deb.sh) share, sourced: a temporary folder, check(), serve_and_call(), the consumer program built with make + pkg-config and with CMake, and the closing count.
# The sourcing script sets nothing first; it gets $here, $root, $B (the
# build tree, relative to $root unless absolute) and $tmp, and may add
# commands to run on exit with on_exit.
# shellcheck shell=bash disable=SC2034 # root is for the scripts that source this
set -u
here=$(cd "$(dirname "${BASH_SOURCE[1]}")" && pwd)
root=$(cd "$here/../.." && pwd)
B=${B:-build}
tmp=$(mktemp -d)
passed=0
failed=0
pids=()
exit_cmds=()
on_exit() { exit_cmds+=("$*"); }
cleanup() {
	local p c
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for c in "${exit_cmds[@]}"; do eval "$c"; done
	rm -rf "$tmp"
}
trap cleanup EXIT

check() { # name command...
	local name=$1
	shift
	if "$@" >"$tmp/last.log" 2>&1; then
		passed=$((passed + 1))
	else
		echo "FAIL $name"
		sed 's/^/  /' "$tmp/last.log" | tail -20
		failed=$((failed + 1))
	fi
}

# Starts the program, reads its port, calls add(2, 40) and wants 42 back.
# The command may be `env VAR=VALUE... program`: env becomes the program.
serve_and_call() { # command...
	local prog=${*: -1} port="" out
	"$@" >"$tmp/serve.out" 2>"$tmp/serve.err" &
	local pid=$!
	pids+=("$pid")
	for _ in $(seq 100); do
		port=$(sed -n 's/^port //p' "$tmp/serve.out")
		[ -n "$port" ] && break
		sleep 0.05
	done
	[ -n "$port" ] || { echo "no port from $prog"; cat "$tmp/serve.err"; return 1; }
	out=$(curl -s --max-time 5 -X POST -H 'Content-Type: application/json' \
	      -d '{"a": 2, "b": 40}' "http://127.0.0.1:$port/lv/rpc/add")
	kill -TERM "$pid"
	wait "$pid"
	local rc=$?
	echo "answer: $out, exit: $rc"
	[ "$out" = '{"ok":true,"value":42}' ] && [ "$rc" -eq 0 ]
}

# The consumer in $tmp/DIR, built with make and pkg-config as the caller's
# environment finds lv (PKG_CONFIG_PATH, PKG_CONFIG_SYSROOT_DIR), then run
# with LIBPATH (empty: none) as LD_LIBRARY_PATH, as ldconfig would find it.
consumer_make() { # dir libpath label
	local dir=$tmp/$1 libpath=$2 label=$3
	cp -r "$here/consumer" "$dir"
	check "make + pkg-config builds the consumer ($label)" make -C "$dir" --no-print-directory
	check "the pkg-config build runs and answers ($label)" \
		serve_and_call env ${libpath:+LD_LIBRARY_PATH="$libpath"} "$dir/out/sum"
}

# The consumer in $tmp/DIR with CMake: a project lvc has never run on (no
# handler file), configured with the CMAKE_ARGS given, built, run, then
# its contract changed and built again.
consumer_cmake() { # dir label cmake-args...
	local dir=$tmp/$1 label=$2
	shift 2
	cp -r "$here/consumer" "$dir"
	rm -f "$dir/sum_handlers.c" "$dir/Makefile"
	check "CMake configures a fresh project (lvc writes the handler file) ($label)" \
		cmake -S "$dir" -B "$dir/build" "$@"
	check "the handler file exists after configure ($label)" test -f "$dir/build/handlers/sum_handlers.c"
	# The user fills in the handler, as they would.
	sed -i 's|return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in sum_add()");|*out = a + b;\n\treturn LV_OK;|' \
		"$dir/build/handlers/sum_handlers.c"
	check "CMake builds the consumer against lv::lv ($label)" cmake --build "$dir/build"
	check "the CMake build runs and answers (its RUNPATH or ldconfig finds liblv.so) ($label)" \
		serve_and_call "$dir/build/sum"
	# A changed contract is picked up by the build (lvc's depfile).
	printf '\n/// Twice n.\n@server.rpc(http)\ntwice(n: int) -> int;\n' >>"$dir/sum.lv"
	check "a changed contract regenerates: the new endpoint's stub is merged in ($label)" bash -c "
		cmake --build '$dir/build' && grep -q 'sum_twice' '$dir/build/handlers/sum_handlers.c'"
}

finish() { # suite
	echo "$1: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
