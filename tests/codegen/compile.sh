#!/usr/bin/env bash
# compile.sh LVC - the generated C must build cleanly and link.
#
# For every tests/cases/valid/<case>/input.lv, with and without --no-line,
# and with gcc and with clang (COMPILERS="gcc clang" by default), three
# checks run:
#
#   lv.c        input.lv.c compiles with -std=c11 -Wall -Wextra -Werror
#               -pedantic;
#   handlers.c  the fresh input_handlers.c compiles with the same flags;
#   link        a small main made from the header compiles with the same
#               flags and links with both objects against liblv.a (found
#               next to LVC). The main takes the address of every function
#               the header declares (handlers, replies, raisers, senders,
#               client calls, enum names), so each must resolve; run, it
#               checks the app descriptor: every endpoint found by
#               lv_app_find, sorted, with a handler exactly when the server
#               handles it, and the embedded JS module equal to input.lv.js.
#
# CFLAGS and LDFLAGS from the environment are added (sanitizer builds).
#
# Known bugs of lvc are listed in known_bugs() below, by the compiler's
# message. When every error of a strict compile is a known bug, the file is
# reported as SKIP (not as a pass) and compiled again with those warnings
# turned off, so that the link check still runs. Remove an entry once its
# bug is fixed. KEEP=1 keeps the work folder.
set -u
[ $# -ge 1 ] || { echo "usage: $0 LVC" >&2; exit 2; }
lvc=$(realpath "$1")
bdir=$(dirname "$lvc")
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cases=$root/tests/cases/valid
liblv=$bdir/liblv.a
work=$(mktemp -d "${TMPDIR:-/tmp}/lv-compile.XXXXXX")
trap '[ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

strict="-std=c11 -Wall -Wextra -Werror -pedantic"
incs="-I$root/runtime/include $(pkg-config --cflags jansson 2>/dev/null)"
libs="$(pkg-config --libs libwebsockets libuv hiredis jansson sqlite3 libpq 2>/dev/null || echo -lwebsockets -luv -lhiredis -ljansson -lsqlite3 -lpq) -lev -lpthread -lm"
passed=0
failed=0
skipped=0

# known_bugs LOG: when every error in the compiler's LOG is a known lvc
# bug, prints the flags that silence them, then a line per bug; fails
# otherwise.
known_bugs() {
	local line flags="" why=""
	while IFS= read -r line; do
		case "$line" in
		*"error: "*)
			return 1
			;;
		esac
	done < <(grep -E '(error|warning): ' "$1")
	[ -n "$flags" ] || return 1
	printf '%s%s\n' "$flags" "$(printf '%s\n' "$why" | sort -u)"
}

pass() { passed=$((passed + 1)); }
fail() { # what log
	echo "FAIL $1"
	[ -n "${2:-}" ] && [ -f "$2" ] && sed "s|$work/|TMP/|g; s|$root/||g; s/^/    /" "$2" | head -30
	failed=$((failed + 1))
}

# A main that takes the address of every function input.lv.h declares and
# checks the app descriptor at run time.
make_main() { # header out.c
	local header=$1 out=$2 app syms
	app=$(sed -nE 's/^extern const lv_app ([A-Za-z_][A-Za-z0-9_]*);$/\1/p' "$header")
	syms=$(sed -nE 's/^(lv_status|int|const char) \*?([A-Za-z_][A-Za-z0-9_]*)\(.*/\2/p' "$header")
	{
		cat <<-'EOF'
		/* made by tests/codegen/compile.sh */
		#include <stdio.h>
		#include <stdlib.h>
		#include <string.h>

		#include "input.lv.h"

		/* Every function the header declares: each must be defined. */
		static void (*const symbols[])(void) = {
		EOF
		for s in $syms; do printf '\t(void (*)(void))%s,\n' "$s"; done
		cat <<-EOF
		};

		static const lv_app *const app = &$app;
		EOF
		cat <<-'EOF'

		static int
		handled_by_server(lv_endpoint_kind k)
		{
			return k == LV_SERVER_RPC || k == LV_SERVER_REALTIME || k == LV_SERVER_ON ||
			       k == LV_CLIENT_CALLBACK;
		}

		int
		main(int argc, char **argv)
		{
			int bad = 0;
			for (size_t i = 0; i < sizeof symbols / sizeof symbols[0]; i++)
				if (!symbols[i]) {
					printf("symbol %zu is NULL\n", i);
					bad++;
				}
			if (app->abi != LV_ABI_VERSION || strcmp(app->base, "input") != 0) {
				printf("app: abi %u, base '%s'\n", (unsigned)app->abi, app->base);
				bad++;
			}
			for (uint32_t i = 0; i < app->nendpoints; i++) {
				const lv_endpoint *ep = &app->endpoints[i];
				if (lv_app_find(app, ep->name, strlen(ep->name)) != ep) {
					printf("lv_app_find does not find '%s'\n", ep->name);
					bad++;
				}
				if (i && strcmp(app->endpoints[i - 1].name, ep->name) >= 0) {
					printf("endpoints not sorted at '%s'\n", ep->name);
					bad++;
				}
				if (!handled_by_server(ep->kind) != !ep->invoke) {
					printf("'%s': invoke is %s\n", ep->name, ep->invoke ? "set" : "NULL");
					bad++;
				}
				if (!ep->args || ep->args->kind != LV_K_STRUCT) {
					printf("'%s': arguments are not a struct\n", ep->name);
					bad++;
				}
			}
			if (lv_app_find(app, "lv__no_such_endpoint", 20)) {
				printf("lv_app_find finds an endpoint that does not exist\n");
				bad++;
			}
			/* The embedded module is input.lv.js, byte for byte. */
			size_t len = 0;
			for (uint32_t i = 0; i < app->js_module_parts; i++)
				len += strlen(app->js_module[i]);
			FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
			char *want = malloc(len + 2);
			size_t got = f && want ? fread(want, 1, len + 1, f) : 0;
			if (f)
				fclose(f);
			char *have = malloc(len + 1), *p = have;
			for (uint32_t i = 0; have && i < app->js_module_parts; i++) {
				size_t n = strlen(app->js_module[i]);
				memcpy(p, app->js_module[i], n);
				p += n;
			}
			if (len != app->js_module_len || got != len || !have || memcmp(want, have, len) != 0) {
				printf("embedded JS module (%zu bytes, %zu announced) differs from %s (%zu bytes)\n",
				       len, app->js_module_len, argc > 1 ? argv[1] : "?", got);
				bad++;
			}
			free(want);
			free(have);
			return bad ? 1 : 0;
		}
		EOF
	} >"$out"
}

for cc in ${COMPILERS:-gcc clang}; do
	if ! command -v "$cc" >/dev/null; then
		fail "$cc: not installed"
		continue
	fi
	for dir in "$cases"/*/; do
		dir=${dir%/}
		[ -f "$dir/input.lv" ] || continue
		name=$(basename "$dir")
		for mode in line no-line; do
			label="$name ($cc, $mode)"
			out=$work/$cc/$mode/$name
			flag=""
			[ $mode = no-line ] && flag=--no-line
			mkdir -p "$out"
			if ! (cd "$dir" && "$lvc" --color=never -I include $flag -o "$out" input.lv) \
				>"$out.log" 2>&1; then
				fail "$label: lvc failed" "$out.log"
				continue
			fi
			obj_ok=1
			for src in input.lv.c input_handlers.c; do
				what=lv.c
				[ $src = input_handlers.c ] && what=handlers.c
				# shellcheck disable=SC2086
				if $cc $strict ${CFLAGS:-} $incs -I"$out" -c -o "$out/${src%.c}.o" \
					"$out/$src" >"$out/$src.log" 2>&1; then
					pass
				elif bugs=$(known_bugs "$out/$src.log"); then
					flags=$(head -1 <<<"$bugs")
					tail -n +2 <<<"$bugs" | grep . | sed "s/^/SKIP $label: $what: known lvc bug: /"
					skipped=$((skipped + 1))
					# shellcheck disable=SC2086
					if ! $cc $strict $flags ${CFLAGS:-} $incs -I"$out" -c \
						-o "$out/${src%.c}.o" "$out/$src" >"$out/$src.log" 2>&1; then
						fail "$label: $what does not compile even with$flags" "$out/$src.log"
						obj_ok=0
					fi
				else
					fail "$label: $what does not compile cleanly" "$out/$src.log"
					obj_ok=0
				fi
			done
			make_main "$out/input.lv.h" "$out/main.c"
			# shellcheck disable=SC2086
			if [ $obj_ok -eq 0 ]; then
				fail "$label: link: not tried, an object did not compile"
			elif ! $cc $strict ${CFLAGS:-} $incs -I"$out" -c -o "$out/main.o" "$out/main.c" \
				>"$out/main.log" 2>&1; then
				fail "$label: link: the main does not compile" "$out/main.log"
			elif ! $cc ${CFLAGS:-} ${LDFLAGS:-} -o "$out/app" "$out/main.o" "$out/input.lv.o" \
				"$out/input_handlers.o" "$liblv" $libs >"$out/link.log" 2>&1; then
				fail "$label: link: does not link" "$out/link.log"
			elif ! "$out/app" "$out/input.lv.js" >"$out/run.log" 2>&1; then
				fail "$label: link: the app descriptor is wrong" "$out/run.log"
			else
				pass
			fi
		done
	done
done

[ $skipped -gt 0 ] && echo "$skipped skipped: known lvc bugs (see known_bugs in ${0#"$root"/})"
echo "codegen-compile: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
