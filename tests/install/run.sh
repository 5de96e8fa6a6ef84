#!/usr/bin/env bash
# run.sh - lv as its users get it: `make install` into a temporary prefix,
# then a consumer program (tests/install/consumer) built from there twice,
# with make + pkg-config and with CMake + find_package(lv) on a project
# that has never seen lvc (no handler file yet), each run and called over
# HTTP on loopback. Prints "install: N passed, N failed".
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

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

check "lv.pc: SQLite among the private requirements; the CMake package asks for it too" bash -c "
	grep -qE '^Requires.private:.* sqlite3( |\$)' '$prefix/lib/pkgconfig/lv.pc' &&
	grep -qE 'IMPORTED_TARGET .*sqlite3' '$prefix/lib/cmake/lv/lvConfig.cmake'"
check "liblv.a holds the model layer and liblv.so links SQLite" bash -c "
	nm '$prefix/lib/liblv.a' | grep -q ' T lv__store_sqlite\$' &&
	readelf -d '$prefix/lib/liblv.so' | grep -q 'NEEDED.*libsqlite3'"

check "DESTDIR stages the tree; lv.pc names the final prefix" bash -c "
	make -C '$root' --no-print-directory B='$B' install DESTDIR='$tmp/stage' PREFIX=/opt/lv >/dev/null &&
	test -x '$tmp/stage/opt/lv/bin/lvc' && grep -qx 'prefix=/opt/lv' '$tmp/stage/opt/lv/lib/pkgconfig/lv.pc'"

# With make and pkg-config; liblv.so found through LD_LIBRARY_PATH.
PKG_CONFIG_PATH=$prefix/lib/pkgconfig consumer_make pc "$prefix/lib" prefix
# With CMake: a project lvc has never run on (no handler file).
consumer_cmake cm prefix -DCMAKE_PREFIX_PATH="$prefix"

finish install
