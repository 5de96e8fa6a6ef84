#!/usr/bin/env bash
# golden.sh LVC - the code generator's golden suite.
#
# For every tests/cases/valid/<case>/input.lv, lvc writes its six files
# (input.lv.h, input.lv.c, input.lv.js, input.lv.d.ts, input_handlers.c,
# input_handlers.js) into a fresh folder, and for each case these checks run:
#
#   golden         every file equals tests/cases/valid/<case>/gen/<file> byte
#                  for byte, and no file is missing or extra;
#   rerun          a second run into the same folder changes no file: same
#                  bytes, same inode, same modification time, no stray
#                  temporary files;
#   deterministic  a run into another folder writes the same bytes;
#   depfile        -M names the six outputs as targets and every .lv file of
#                  the case as a prerequisite, each with an empty rule;
#   no-line        --no-line writes the same files without the #line lines;
#   js-runtime     --js-runtime @lv/runtime changes the runtime's specifier
#                  in input.lv.js and input.lv.d.ts and nothing else; the
#                  copy in input.lv.c, which the server serves beside its own
#                  lv.js, still imports "./lv.js".
#
# lvc runs inside the case folder with `-I include`, as tests/cases/run.sh
# does. UPDATE=1 rewrites the gen/ folders from the current output (review
# the diff before committing it). Set LVC_WRAP to run lvc under a tool.
set -u
[ $# -ge 1 ] || { echo "usage: $0 LVC" >&2; exit 2; }
lvc=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
cases=$(cd "$here/../cases/valid" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/lv-golden.XXXXXX")
trap 'rm -rf "$work"' EXIT

outputs="input.lv.h input.lv.c input.lv.js input.lv.d.ts input_handlers.c input_handlers.js"
passed=0
failed=0

pass() { passed=$((passed + 1)); }
fail() { # case check message...
	local name=$1 check=$2
	shift 2
	echo "FAIL $name: $check: $*"
	failed=$((failed + 1))
}

# lvc CASE_DIR OUT_DIR ARGS...: runs lvc on the case; its messages go to
# OUT_DIR.log (warnings are expected in some cases).
run_lvc() {
	local dir=$1 out=$2
	shift 2
	(cd "$dir" && ${LVC_WRAP:-} "$lvc" --color=never -I include "$@" -o "$out" input.lv) \
		>"$out.log" 2>&1
}

# The files of a folder, one a line, sorted.
listing() { (cd "$1" && find . -type f | sed 's|^\./||' | sort); }

# inode, size and modification time (nanoseconds) of every file.
stamps() { (cd "$1" && find . -type f -printf '%p %i %s %T@\n' | sort); }

check_golden() { # name dir out
	local name=$1 dir=$2 out=$3 f ok=1
	if [ -n "${UPDATE:-}" ]; then
		rm -rf "$dir/gen"
		mkdir -p "$dir/gen"
		for f in $outputs; do cp "$out/$f" "$dir/gen/$f"; done
	fi
	if [ ! -d "$dir/gen" ]; then
		fail "$name" golden "no gen/ folder (make it with UPDATE=1)"
		return
	fi
	local want got
	want=$(listing "$dir/gen")
	got=$(listing "$out")
	if [ "$want" != "$got" ]; then
		fail "$name" golden "the files differ from gen/:"
		diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | sed 's/^/    /'
		return
	fi
	for f in $got; do
		if ! cmp -s "$dir/gen/$f" "$out/$f"; then
			[ $ok -eq 1 ] && fail "$name" golden "output differs from gen/ (UPDATE=1 rewrites it)"
			ok=0
			diff -u --label "gen/$f" --label "output/$f" "$dir/gen/$f" "$out/$f" \
				| head -40 | sed 's/^/    /'
		fi
	done
	[ $ok -eq 1 ] && pass
}

check_rerun() { # name dir out
	local name=$1 dir=$2 out=$3 before after
	before=$(stamps "$out")
	if ! run_lvc "$dir" "$out"; then
		fail "$name" rerun "lvc failed on the second run:"
		sed 's/^/    /' "$out.log" | head -20
		return
	fi
	after=$(stamps "$out")
	if [ "$before" != "$after" ]; then
		fail "$name" rerun "the second run touched files (path inode size mtime):"
		diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | sed 's/^/    /'
		return
	fi
	pass
}

check_deterministic() { # name dir out
	local name=$1 dir=$2 out=$3 other=$3.again f ok=1
	if ! run_lvc "$dir" "$other"; then
		fail "$name" deterministic "lvc failed:"
		sed 's/^/    /' "$other.log" | head -20
		return
	fi
	for f in $outputs; do
		if ! cmp -s "$out/$f" "$other/$f"; then
			fail "$name" deterministic "$f differs between two runs"
			diff "$out/$f" "$other/$f" | head -10 | sed 's/^/    /'
			ok=0
		fi
	done
	[ $ok -eq 1 ] && pass
}

# The targets or the prerequisites of the first rule of a depfile, one a
# line, sorted; escaped spaces are kept escaped.
dep_part() { # file targets|prereqs
	awk -v part="$2" '
		BEGIN { text = "" }
		/^$/ { exit }
		{ line = $0; if (sub(/\\$/, "", line)) { text = text line " "; next }
		  text = text line; exit }
		END {
			i = index(text, ": ")
			if (i == 0) { i = length(text) }
			s = part == "targets" ? substr(text, 1, i - 1) : substr(text, i + 1)
			n = split(s, w, /[ \t]+/)
			for (k = 1; k <= n; k++) if (w[k] != "") print w[k]
		}' "$1" | sort
}

check_depfile() { # name dir
	local name=$1 dir=$2 out=$work/$1.dep dep=$work/$1.d
	if ! run_lvc "$dir" "$out" -M "$dep"; then
		fail "$name" depfile "lvc -M failed:"
		sed 's/^/    /' "$out.log" | head -20
		return
	fi
	if [ ! -s "$dep" ]; then
		fail "$name" depfile "no depfile written"
		return
	fi
	local want_targets want_prereqs got_targets got_prereqs f ok=1
	want_targets=$(for f in $outputs; do echo "$out/$f"; done | sort)
	want_prereqs=$(cd "$dir" && find . -name '*.lv' -not -path './gen/*' | sed 's|^\./||' | sort)
	got_targets=$(dep_part "$dep" targets)
	got_prereqs=$(dep_part "$dep" prereqs)
	if [ "$want_targets" != "$got_targets" ]; then
		fail "$name" depfile "targets are not the generated files:"
		diff <(printf '%s\n' "$want_targets") <(printf '%s\n' "$got_targets") \
			| sed "s|$work/|TMP/|g; s/^/    /"
		ok=0
	fi
	if [ "$want_prereqs" != "$got_prereqs" ]; then
		fail "$name" depfile "prerequisites are not the .lv files of the case:"
		diff <(printf '%s\n' "$want_prereqs") <(printf '%s\n' "$got_prereqs") | sed 's/^/    /'
		ok=0
	fi
	for f in $want_prereqs; do
		if ! grep -qxF "$f:" "$dep"; then
			fail "$name" depfile "no empty rule for $f"
			ok=0
		fi
	done
	# The same depfile again: left alone.
	local before after
	before=$(stat -c '%i %Y %s' "$dep")
	run_lvc "$dir" "$out" -M "$dep"
	after=$(stat -c '%i %Y %s' "$dep")
	if [ "$before" != "$after" ]; then
		fail "$name" depfile "an unchanged depfile was rewritten"
		ok=0
	fi
	[ $ok -eq 1 ] && pass
}

check_no_line() { # name dir out
	local name=$1 dir=$2 out=$3 nl=$3.noline f ok=1
	if ! run_lvc "$dir" "$nl" --no-line; then
		fail "$name" no-line "lvc --no-line failed:"
		sed 's/^/    /' "$nl.log" | head -20
		return
	fi
	if grep -q '^#line' "$nl"/*; then
		fail "$name" no-line "--no-line output has #line directives"
		ok=0
	fi
	for f in $outputs; do
		if ! cmp -s <(grep -v '^#line ' "$out/$f") "$nl/$f"; then
			fail "$name" no-line "$f differs from the default output by more than its #line lines"
			diff <(grep -v '^#line ' "$out/$f") "$nl/$f" | head -10 | sed 's/^/    /'
			ok=0
		fi
	done
	[ $ok -eq 1 ] && pass
}

check_js_runtime() { # name dir out
	local name=$1 dir=$2 out=$3 rt=$3.runtime f want ok=1
	if ! run_lvc "$dir" "$rt" --js-runtime @lv/runtime; then
		fail "$name" js-runtime "lvc --js-runtime failed:"
		sed 's/^/    /' "$rt.log" | head -20
		return
	fi
	for f in $outputs; do
		case $f in
		*.lv.js | *.lv.d.ts) want=$(sed 's|"\./lv\.js"|"@lv/runtime"|g' "$out/$f") ;;
		*) want=$(cat "$out/$f") ;;
		esac
		if [ "$want" != "$(cat "$rt/$f")" ]; then
			fail "$name" js-runtime "$f differs from the default output by more than the runtime's specifier"
			diff <(printf '%s\n' "$want") "$rt/$f" | head -10 | sed 's/^/    /'
			ok=0
		fi
	done
	if ! grep -q 'from "@lv/runtime";' "$rt/input.lv.js"; then
		fail "$name" js-runtime "input.lv.js does not import @lv/runtime"
		ok=0
	fi
	[ $ok -eq 1 ] && pass
}

for dir in "$cases"/*/; do
	dir=${dir%/}
	[ -f "$dir/input.lv" ] || continue
	name=$(basename "$dir")
	out=$work/$name
	if ! run_lvc "$dir" "$out"; then
		fail "$name" generate "lvc failed:"
		sed 's/^/    /' "$out.log" | head -20
		continue
	fi
	check_golden "$name" "$dir" "$out"
	check_rerun "$name" "$dir" "$out"
	check_deterministic "$name" "$dir" "$out"
	check_depfile "$name" "$dir"
	check_no_line "$name" "$dir" "$out"
	check_js_runtime "$name" "$dir" "$out"
done

[ -n "${UPDATE:-}" ] && echo "gen/ folders rewritten under ${cases#"$root"/}; review them with git diff"
echo "codegen-golden: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
