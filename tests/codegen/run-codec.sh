#!/usr/bin/env bash
# run-codec.sh LVC [CRITERION-OPTIONS...] - the runtime codec tests.
#
# Compiles tests/codegen/codec.lv with LVC, builds tests/codegen/test_codec.c
# and tests/codegen/test_codec_text.c into one test binary with the
# generated C against liblv.a (found next to LVC), Criterion,
# libwebsockets and jansson, and runs it. Criterion prints the closing
# "Synthesis" line. Everything built goes to codegen/ next to LVC.
# CC, CFLAGS and LDFLAGS from the environment are used (sanitizer builds).
set -u
[ $# -ge 1 ] || { echo "usage: $0 LVC [criterion options]" >&2; exit 2; }
lvc=$(realpath "$1")
shift
bdir=$(dirname "$lvc")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=$bdir/codegen/codec
cc=${CC:-cc}

mkdir -p "$out"
"$lvc" --color=never -o "$out" "$here/codec.lv" || { echo "run-codec: lvc failed" >&2; exit 1; }

flags="-std=c11 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -pedantic -g ${CFLAGS:-}"
incs="-I$root/runtime/include -I$out $(pkg-config --cflags jansson 2>/dev/null)"
libs="$(pkg-config --libs libwebsockets libuv hiredis jansson sqlite3 libpq 2>/dev/null || echo -lwebsockets -luv -lhiredis -ljansson -lsqlite3 -lpq) -lev -lpthread -lm"
# shellcheck disable=SC2086
$cc $flags $incs ${LDFLAGS:-} -o "$out/test_codec" "$here/test_codec.c" "$here/test_codec_text.c" \
	"$out/codec.lv.c" "$out/codec_handlers.c" "$bdir/liblv.a" -lcriterion $libs \
	|| { echo "run-codec: the test does not build" >&2; exit 1; }
exec "$out/test_codec" "$@"
