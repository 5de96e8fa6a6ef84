#!/usr/bin/env bash
# run.sh - lv as its users get it: `make install` into a temporary prefix,
# then a consumer program (tests/install/consumer) built from there twice,
# with make + pkg-config and with CMake + find_package(lv) on a project
# that has never seen lvc (no handler file yet), each run and called over
# HTTP on loopback. Prints "install: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
B=${B:-build}
tmp=$(mktemp -d)
passed=0
failed=0
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
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
serve_and_call() { # program
	local prog=$1 port="" out
	"$prog" >"$tmp/serve.out" 2>"$tmp/serve.err" &
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

prefix=$tmp/prefix
check "make install into a temporary prefix" \
	make -C "$root" --no-print-directory B="$B" install PREFIX="$prefix"
check "installed: lvc, both libraries, headers, lv.pc, the CMake package" \
	test -x "$prefix/bin/lvc" -a -f "$prefix/lib/liblv.a" -a -L "$prefix/lib/liblv.so" \
	     -a -f "$prefix/include/lv.h" -a -f "$prefix/include/lv_abi.h" \
	     -a -f "$prefix/lib/pkgconfig/lv.pc" -a -f "$prefix/lib/cmake/lv/lvConfig.cmake"
check "liblv.so has its soname and exports only lv_" bash -c "
	readelf -d '$prefix/lib/liblv.so' | grep -q 'SONAME.*liblv\.so\.[0-9]' &&
	! nm -D --defined-only '$prefix/lib/liblv.so' | awk '{print \$3}' | grep -v '^lv_[a-z]'"

check "DESTDIR stages the tree; lv.pc names the final prefix" bash -c "
	make -C '$root' --no-print-directory B='$B' install DESTDIR='$tmp/stage' PREFIX=/opt/lv >/dev/null &&
	test -x '$tmp/stage/opt/lv/bin/lvc' && grep -qx 'prefix=/opt/lv' '$tmp/stage/opt/lv/lib/pkgconfig/lv.pc'"

# With make and pkg-config.
cp -r "$here/consumer" "$tmp/pc"
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
check "make + pkg-config builds the consumer" make -C "$tmp/pc" --no-print-directory
export LD_LIBRARY_PATH=$prefix/lib   # liblv.so, as ldconfig would find it
check "the pkg-config build runs and answers" serve_and_call "$tmp/pc/out/sum"
unset LD_LIBRARY_PATH

# With CMake: a project lvc has never run on (no handler file).
cp -r "$here/consumer" "$tmp/cm"
rm -f "$tmp/cm/sum_handlers.c" "$tmp/cm/Makefile"
check "CMake configures a fresh project (lvc writes the handler file)" \
	cmake -S "$tmp/cm" -B "$tmp/cm/build" -DCMAKE_PREFIX_PATH="$prefix"
check "the handler file exists after configure" test -f "$tmp/cm/build/handlers/sum_handlers.c"
# The user fills in the handler, as they would.
sed -i 's|return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in sum_add()");|*out = a + b;\n\treturn LV_OK;|' \
	"$tmp/cm/build/handlers/sum_handlers.c"
check "CMake builds the consumer against lv::lv" cmake --build "$tmp/cm/build"
check "the CMake build runs and answers (its RUNPATH finds liblv.so)" \
	serve_and_call "$tmp/cm/build/sum"
# A changed contract is picked up by the build (lvc's depfile).
printf '\n/// Twice n.\n@server.rpc(http)\ntwice(n: int) -> int;\n' >>"$tmp/cm/sum.lv"
check "a changed contract regenerates: the new endpoint's stub is merged in" bash -c "
	cmake --build '$tmp/cm/build' && grep -q 'sum_twice' '$tmp/cm/build/handlers/sum_handlers.c'"

echo "install: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
