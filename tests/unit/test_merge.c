/* test_merge.c - regenerating the handler files users edit: lvc_merge()
 * on texts, then lvc itself on a project in a scratch folder.
 *
 * What must hold: every byte of every body the user wrote is kept; a new
 * endpoint gets a new block at the end; a changed signature is rewritten in
 * place around the old body; a removed endpoint's block is disabled (#if 0
 * in C, // lines in JS) with the -Wremoved-endpoint warning, and comes back
 * whole when the endpoint does; text around the blocks is left alone; a
 * file lvc cannot read safely is refused, and nothing is written to it. */
#include <criterion/criterion.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "emit.h"
#include "unit.h"

TestSuite(merge_c, .init = lvt_open, .fini = lvt_close);
TestSuite(merge_js, .init = lvt_open, .fini = lvt_close);
TestSuite(merge_refused, .init = lvt_open, .fini = lvt_close);
TestSuite(merge_lvc, .init = lvt_open, .fini = lvt_close);

/* ---- helpers ---------------------------------------------------------------------- */

/* s with every `from` replaced by `to` (arena). */
static char *
replace(const char *s, const char *from, const char *to)
{
	size_t nf = strlen(from), nt = strlen(to), n = 0;
	for (const char *p = s; (p = strstr(p, from)) != NULL; p += nf)
		n++;
	cr_assert_gt(n, 0, "'%s' is not in the text", from);
	char *out = lvc_alloc(&c.arena, strlen(s) + n * nt + 1), *o = out;
	for (const char *p = s, *q; ; p = q + nf) {
		q = strstr(p, from);
		size_t k = q ? (size_t)(q - p) : strlen(p);
		memcpy(o, p, k);
		o += k;
		if (!q)
			break;
		memcpy(o, to, nt);
		o += nt;
	}
	*o = '\0';
	return out;
}

static char *
cat(const char *a, const char *b)
{
	return lvc_sprintf(&c.arena, "%s%s", a, b);
}

/* The text with every line ending turned into CRLF. */
static char *
crlf(const char *s)
{
	return replace(s, "\n", "\r\n");
}

static const char *
merge(const char *old, const lvc_block *blocks, int n, lvc_mark_style st)
{
	char *s = lvc_merge(&c, "h.c", old, "FRESH FILE\n", blocks, n, st);
	if (!s)
		return NULL;
	char *copy = lvc_strndup(&c.arena, s, strlen(s));
	free(s);
	return copy;
}

/* ---- C handler files ---------------------------------------------------------------- */

/* A handler file as a user left it: their own text around the blocks, and
 * bodies with lines that look like lvc's (a lone "}" or "{"). */
static const char c_head[] =
	"/* app_handlers.c - the counter's server side. */\n"
	"#include <string.h>\n"
	"\n"
	"#include \"app.lv.h\"\n"
	"\n"
	"/* My notes: the \"lvc:begin\" lines are lvc's. */\n"
	"static int64_t total;\n";

static const char c_add_sig[] =
	"/* lvc:begin add */\n"
	"lv_status\n"
	"app_add(lv_call *call, int64_t a, int64_t b, int64_t *out)\n"
	"{\n";
static const char c_add_body[] =
	"\t(void)call;\n"
	"\tif (a > 0)\n"
	"\t{\n"
	"\t\ttotal += a;\n"
	"}\n"
	"\n"
	"   *out = a + b;   /* odd indentation, kept as it is */  \n"
	"\treturn LV_OK;\n";
static const char c_add_end[] =
	"}\n"
	"/* lvc:end add */\n";

static const char c_between[] =
	"\n"
	"/* A helper of mine between two blocks. */\n"
	"static int\n"
	"helper(void)\n"
	"{\n"
	"\treturn 1;\n"
	"}\n"
	"\n";

static const char c_ping_sig[] =
	"/* lvc:begin ping */\n"
	"lv_status\n"
	"app_ping(lv_call *call)\n"
	"{\n";
static const char c_ping_body[] =
	"\treturn helper() ? LV_OK : lv_call_fail(call, LV_EINTERNAL, \"no\");\n";
static const char c_ping_end[] =
	"}\n"
	"/* lvc:end ping */\n";

static const char c_tail[] =
	"\n"
	"/* The end of my file. */\n";

/* The user's file. */
static const char *
c_old(void)
{
	return lvc_sprintf(&c.arena, "%s\n%s%s%s%s%s%s%s%s", c_head, c_add_sig, c_add_body,
	                   c_add_end, c_between, c_ping_sig, c_ping_body, c_ping_end, c_tail);
}

/* Fresh blocks as lvc renders them: the stub bodies differ from the user's. */
static const char c_stub[] = "\treturn lv_call_fail(call, LV_EUNAVAILABLE, \"no code yet\");\n";

static lvc_block
c_block(const char *name, const char *sig)
{
	const char *end = strcmp(name, "add") == 0 ? c_add_end : strcmp(name, "ping") == 0 ?
	                  c_ping_end : lvc_sprintf(&c.arena, "}\n/* lvc:end %s */\n", name);
	return (lvc_block){ name, lvc_sprintf(&c.arena, "%s%s%s", sig, c_stub, end) };
}

static const char c_add_sig2[] =
	"/* lvc:begin add */\n"
	"/*\n"
	" * Adds three numbers now.\n"
	" */\n"
	"lv_status\n"
	"app_add(lv_call *call, int64_t a, int64_t b, int64_t c, int64_t *out)\n"
	"{\n";

static const char c_mul_sig[] =
	"/* lvc:begin mul */\n"
	"lv_status\n"
	"app_mul(lv_call *call, int64_t a, int64_t b, int64_t *out)\n"
	"{\n";

/* What a removed ping becomes. */
static const char *
c_ping_disabled(void)
{
	return lvc_sprintf(&c.arena,
	                   "#if 0 /* lvc:removed ping: no longer in the .lv file; kept for you */\n"
	                   "%s%s%s"
	                   "#endif /* lvc:removed ping */\n", c_ping_sig, c_ping_body, c_ping_end);
}

Test(merge_c, no_file_yet_gives_the_fresh_file)
{
	lvc_block b = c_block("add", c_add_sig);
	cr_expect_str_eq(merge(NULL, &b, 1, LVC_MARK_C), "FRESH FILE\n");
}

Test(merge_c, same_endpoints_change_nothing)
{
	lvc_block b[] = { c_block("add", c_add_sig), c_block("ping", c_ping_sig) };
	cr_expect_str_eq(merge(c_old(), b, 2, LVC_MARK_C), c_old());
	/* The order of the fresh blocks does not matter. */
	lvc_block r[] = { b[1], b[0] };
	cr_expect_str_eq(merge(c_old(), r, 2, LVC_MARK_C), c_old());
	cr_expect_str_eq(lvt_diags(), "");
}

/* The new signature, with the old one in a comment above it. */
static const char c_add_sig2_was[] =
	"/* lvc:begin add */\n"
	"/*\n"
	" * Adds three numbers now.\n"
	" */\n"
	"/* lvc:was lv_status app_add(lv_call *call, int64_t a, int64_t b, int64_t *out) */\n"
	"lv_status\n"
	"app_add(lv_call *call, int64_t a, int64_t b, int64_t c, int64_t *out)\n"
	"{\n";

Test(merge_c, changed_signature_is_rewritten_around_the_body)
{
	lvc_block b[] = { c_block("add", c_add_sig2), c_block("ping", c_ping_sig) };
	const char *want = replace(c_old(), c_add_sig, c_add_sig2_was);
	cr_expect_str_eq(merge(c_old(), b, 2, LVC_MARK_C), want);
	/* The same again: the note stays, nothing changes. */
	cr_expect_str_eq(merge(want, b, 2, LVC_MARK_C), want);
	/* And back: the note now names the three-number signature. */
	const char *back = merge(want, (lvc_block[]){ c_block("add", c_add_sig), b[1] }, 2,
	                         LVC_MARK_C);
	cr_expect_str_eq(back, replace(c_old(), c_add_sig, "/* lvc:begin add */\n"
	                 "/* lvc:was lv_status app_add(lv_call *call, int64_t a, int64_t b, "
	                 "int64_t c, int64_t *out) */\n"
	                 "lv_status\napp_add(lv_call *call, int64_t a, int64_t b, int64_t *out)\n"
	                 "{\n"));
}

/* A note the user deleted stays deleted; a doc change alone is not a
 * changed signature. */
Test(merge_c, deleted_note_and_doc_change_leave_no_note)
{
	lvc_block b[] = { c_block("add", c_add_sig2), c_block("ping", c_ping_sig) };
	const char *plain = replace(c_old(), c_add_sig, c_add_sig2);
	cr_expect_str_eq(merge(plain, b, 2, LVC_MARK_C), plain);
	const char *doc = replace(c_add_sig2, "Adds three", "Sums three");
	lvc_block d[] = { c_block("add", doc), b[1] };
	cr_expect_str_eq(merge(plain, d, 2, LVC_MARK_C), replace(c_old(), c_add_sig, doc));
}

Test(merge_c, new_endpoint_goes_at_the_end)
{
	lvc_block b[] = { c_block("add", c_add_sig), c_block("mul", c_mul_sig),
	                  c_block("ping", c_ping_sig) };
	const char *want = lvc_sprintf(&c.arena, "%s\n%s", c_old(), b[1].text);
	cr_expect_str_eq(merge(c_old(), b, 3, LVC_MARK_C), want);
	/* A file that does not end its last line gets the line ended first. */
	const char *cut = lvc_strndup(&c.arena, c_old(), strlen(c_old()) - 1);
	cr_expect_str_eq(merge(cut, b, 3, LVC_MARK_C), want);
	cr_expect_str_eq(lvt_diags(), "");
}

Test(merge_c, removed_endpoint_is_disabled_with_a_warning)
{
	lvc_block b = c_block("add", c_add_sig);
	const char *got = merge(c_old(), &b, 1, LVC_MARK_C);
	const char *want = replace(c_old(), lvc_sprintf(&c.arena, "%s%s%s", c_ping_sig,
	                           c_ping_body, c_ping_end), c_ping_disabled());
	cr_expect_str_eq(got, want);
	cr_expect_eq(c.warnings, 1);
	cr_expect_eq(c.errors, 0);
	/* At the block's first line in the merged file, shown as usual. */
	cr_expect(lvt_has("h.c:31:1: warning: 'ping' is no longer an endpoint; its code is kept "
	                  "in this disabled block [-Wremoved-endpoint]\n#if 0 /* lvc:removed ping"),
	          "%s", lvt_diags());
}

Test(merge_c, removed_endpoint_warning_can_be_turned_off)
{
	c.warn_on[LVC_WARN_REMOVED] = false;
	lvc_block b = c_block("add", c_add_sig);
	const char *got = merge(c_old(), &b, 1, LVC_MARK_C);
	cr_expect(strstr(got, c_ping_disabled()) != NULL);
	cr_expect_eq(c.warnings, 0);
	cr_expect_str_eq(lvt_diags(), "");
}

/* The warning comes on every run while the disabled block is there, not
 * only on the run that disabled it; the file does not change. */
Test(merge_c, disabled_block_stays_disabled_and_is_reported_every_run)
{
	lvc_block b = c_block("add", c_add_sig);
	const char *once = merge(c_old(), &b, 1, LVC_MARK_C);
	cr_expect_eq(c.warnings, 1);
	cr_expect_str_eq(merge(once, &b, 1, LVC_MARK_C), once);
	cr_expect_eq(c.warnings, 2);
	cr_expect(lvt_has("h.c:31:1: warning: 'ping' is not an endpoint; its code is in this "
	                  "disabled block until you delete it [-Wremoved-endpoint]"), "%s",
	          lvt_diags());
	/* Deleted by the user: no more warning. */
	const char *gone = replace(once, c_ping_disabled(), "");
	merge(gone, &b, 1, LVC_MARK_C);
	cr_expect_eq(c.warnings, 2);
}

Test(merge_c, readded_endpoint_comes_back_whole)
{
	lvc_block add = c_block("add", c_add_sig);
	const char *disabled = merge(c_old(), &add, 1, LVC_MARK_C);
	lvc_block both[] = { add, c_block("ping", c_ping_sig) };
	cr_expect_str_eq(merge(disabled, both, 2, LVC_MARK_C), c_old());
	/* With a new signature, the old body comes back under it. */
	static const char sig2[] =
		"/* lvc:begin ping */\n"
		"lv_status\n"
		"app_ping(lv_call *call, lv_str who)\n"
		"{\n";
	lvc_block changed[] = { add, c_block("ping", sig2) };
	cr_expect_str_eq(merge(disabled, changed, 2, LVC_MARK_C),
	                 replace(c_old(), c_ping_sig, sig2));
}

Test(merge_c, crlf_file_is_read_and_every_body_byte_kept)
{
	const char *old = crlf(c_old());
	lvc_block b[] = { c_block("add", c_add_sig2), c_block("ping", c_ping_sig) };
	const char *got = merge(old, b, 2, LVC_MARK_C);
	cr_assert_not_null(got, "%s", lvt_diags());
	cr_expect(strstr(got, crlf(c_add_body)) != NULL, "%s", got);
	cr_expect(strstr(got, crlf(c_ping_body)) != NULL, "%s", got);
	cr_expect(strstr(got, crlf(c_between)) != NULL, "%s", got);
	cr_expect(strstr(got, "app_add(lv_call *call, int64_t a, int64_t b, int64_t c,") != NULL);
	/* Removed and added back: the CRLF body is still whole. */
	const char *disabled = merge(old, b, 1, LVC_MARK_C);
	cr_assert_not_null(disabled, "%s", lvt_diags());
	const char *back = merge(disabled, b, 2, LVC_MARK_C);
	cr_assert_not_null(back, "%s", lvt_diags());
	cr_expect(strstr(back, crlf(c_ping_body)) != NULL, "%s", back);
}

/* BUG: merging a CRLF file writes lvc's own lines (markers, signature,
 * braces) with bare LF, so the file ends up with mixed line endings even
 * when the .lv did not change. */
Test(merge_c, crlf_file_stays_crlf)
{
	const char *old = crlf(c_old());
	lvc_block b[] = { c_block("add", c_add_sig), c_block("ping", c_ping_sig) };
	cr_expect_str_eq(merge(old, b, 2, LVC_MARK_C), old);
}

Test(merge_c, blocks_in_a_file_without_other_text)
{
	lvc_block b[] = { c_block("add", c_add_sig), c_block("ping", c_ping_sig) };
	const char *old = lvc_sprintf(&c.arena, "%s%s%s%s%s%s", c_add_sig, c_add_body, c_add_end,
	                              c_ping_sig, c_ping_body, c_ping_end);
	cr_expect_str_eq(merge(old, b, 2, LVC_MARK_C), old);
	cr_expect_str_eq(merge(old, b, 1, LVC_MARK_C), lvc_sprintf(&c.arena, "%s%s%s%s",
	                 c_add_sig, c_add_body, c_add_end, c_ping_disabled()));
}

/* ---- JS handler files ------------------------------------------------------------------ */

static const char js_head[] =
	"// app_handlers.js - mine.\n"
	"import { lv } from \"./app.lv.js\";\n"
	"\n"
	"let ticks = 0;\n";

static const char js_tick_sig[] =
	"// lvc:begin tick\n"
	"/**\n"
	" * @param {number} n\n"
	" */\n"
	"export function tick(n) {\n";
static const char js_tick_body[] =
	"\tticks += n;\n"
	"\n"
	"\t// a comment of mine\n"
	"\tif (ticks > 10) {\n"
	"}\n"
	"\tdocument.title = `${ticks}`;\n";
static const char js_tick_end[] =
	"}\n"
	"// lvc:end tick\n";

static const char js_ask_sig[] =
	"// lvc:begin ask\n"
	"/**\n"
	" * @param {string} question\n"
	" */\n"
	"export async function ask(question) {\n";
static const char js_ask_body[] =
	"\treturn window.confirm(question);\n";
static const char js_ask_end[] =
	"}\n"
	"// lvc:end ask\n";

static const char js_tail[] = "\n// the end\n";

static const char *
js_old(void)
{
	return lvc_sprintf(&c.arena, "%s\n%s%s%s\n%s%s%s%s", js_head, js_tick_sig, js_tick_body,
	                   js_tick_end, js_ask_sig, js_ask_body, js_ask_end, js_tail);
}

static lvc_block
js_block(const char *name, const char *sig)
{
	const char *end = strcmp(name, "tick") == 0 ? js_tick_end : strcmp(name, "ask") == 0 ?
	                  js_ask_end : lvc_sprintf(&c.arena, "}\n// lvc:end %s\n", name);
	return (lvc_block){ name, lvc_sprintf(&c.arena, "%s%s", sig, end) };
}

Test(merge_js, same_endpoints_change_nothing)
{
	lvc_block b[] = { js_block("tick", js_tick_sig), js_block("ask", js_ask_sig) };
	cr_expect_str_eq(merge(js_old(), b, 2, LVC_MARK_JS), js_old());
	cr_expect_str_eq(lvt_diags(), "");
}

Test(merge_js, changed_signature_is_rewritten_around_the_body)
{
	static const char sig2[] =
		"// lvc:begin tick\n"
		"/**\n"
		" * @param {number} n\n"
		" * @param {string} [why]\n"
		" */\n"
		"export function tick(n, why) {\n";
	static const char sig2_was[] =
		"// lvc:begin tick\n"
		"/**\n"
		" * @param {number} n\n"
		" * @param {string} [why]\n"
		" */\n"
		"// lvc:was export function tick(n)\n"
		"export function tick(n, why) {\n";
	lvc_block b[] = { js_block("tick", sig2), js_block("ask", js_ask_sig) };
	const char *want = replace(js_old(), js_tick_sig, sig2_was);
	cr_expect_str_eq(merge(js_old(), b, 2, LVC_MARK_JS), want);
	cr_expect_str_eq(merge(want, b, 2, LVC_MARK_JS), want, "a second run changes nothing");
}

Test(merge_js, new_endpoint_goes_at_the_end)
{
	static const char sig[] = "// lvc:begin ready\n/**\n */\nexport function ready() {\n";
	lvc_block b[] = { js_block("ask", js_ask_sig), js_block("ready", sig),
	                  js_block("tick", js_tick_sig) };
	cr_expect_str_eq(merge(js_old(), b, 3, LVC_MARK_JS),
	                 lvc_sprintf(&c.arena, "%s\n%s", js_old(), b[1].text));
}

/* What a removed tick becomes: every line commented out, an empty one as
 * a bare "//". */
static const char js_tick_disabled[] =
	"// lvc:removed tick: no longer in the .lv file; kept for you\n"
	"// // lvc:begin tick\n"
	"// /**\n"
	"//  * @param {number} n\n"
	"//  */\n"
	"// export function tick(n) {\n"
	"// \tticks += n;\n"
	"//\n"
	"// \t// a comment of mine\n"
	"// \tif (ticks > 10) {\n"
	"// }\n"
	"// \tdocument.title = `${ticks}`;\n"
	"// }\n"
	"// // lvc:end tick\n"
	"// lvc:removed-end tick\n";

Test(merge_js, removed_endpoint_is_commented_out_with_a_warning)
{
	lvc_block b = js_block("ask", js_ask_sig);
	const char *got = merge(js_old(), &b, 1, LVC_MARK_JS);
	const char *want = replace(js_old(), lvc_sprintf(&c.arena, "%s%s%s", js_tick_sig,
	                           js_tick_body, js_tick_end), js_tick_disabled);
	cr_expect_str_eq(got, want);
	cr_expect_eq(c.warnings, 1);
	cr_expect(lvt_has("h.c:6:1: warning: 'tick' is no longer an endpoint; its code is kept in "
	                  "this disabled block [-Wremoved-endpoint]"), "%s", lvt_diags());
	/* Again: left as it is, and reported again. */
	cr_expect_str_eq(merge(got, &b, 1, LVC_MARK_JS), got);
	cr_expect_eq(c.warnings, 2);
	cr_expect(lvt_has("h.c:6:1: warning: 'tick' is not an endpoint; its code is in this "
	                  "disabled block until you delete it"), "%s", lvt_diags());
}

Test(merge_js, readded_endpoint_comes_back_whole)
{
	lvc_block ask = js_block("ask", js_ask_sig);
	const char *disabled = merge(js_old(), &ask, 1, LVC_MARK_JS);
	lvc_block both[] = { js_block("tick", js_tick_sig), ask };
	cr_expect_str_eq(merge(disabled, both, 2, LVC_MARK_JS), js_old());
}

Test(merge_js, async_handlers_are_blocks_too)
{
	lvc_block tick = js_block("tick", js_tick_sig);
	const char *disabled = merge(js_old(), &tick, 1, LVC_MARK_JS);
	cr_expect(strstr(disabled, "// export async function ask(question) {\n") != NULL, "%s",
	          disabled);
	lvc_block both[] = { tick, js_block("ask", js_ask_sig) };
	cr_expect_str_eq(merge(disabled, both, 2, LVC_MARK_JS), js_old());
}

Test(merge_js, crlf_file_is_read_and_every_body_byte_kept)
{
	lvc_block b[] = { js_block("tick", js_tick_sig), js_block("ask", js_ask_sig) };
	const char *got = merge(crlf(js_old()), b, 2, LVC_MARK_JS);
	cr_assert_not_null(got, "%s", lvt_diags());
	cr_expect(strstr(got, crlf(js_tick_body)) != NULL, "%s", got);
	cr_expect(strstr(got, crlf(js_ask_body)) != NULL, "%s", got);
}

/* ---- files lvc refuses to merge ----------------------------------------------------------- */

/* Merging old is refused with this reason; nothing comes back. */
static void
refused(const char *old, lvc_mark_style st, const char *why)
{
	lvc_block b[] = { c_block("add", c_add_sig), c_block("ping", c_ping_sig) };
	if (st == LVC_MARK_JS) {
		b[0] = js_block("tick", js_tick_sig);
		b[1] = js_block("ask", js_ask_sig);
	}
	int errors = c.errors;
	cr_expect_null(merge(old, b, 2, st), "merged a file it should refuse");
	cr_expect_eq(c.errors, errors + 1);
	cr_expect(lvt_has(why), "wanted: %s\ngot: %s", why, lvt_diags());
	cr_expect(lvt_has("cannot merge the handler file"), "%s", lvt_diags());
}

Test(merge_refused, begin_without_end)
{
	refused(replace(c_old(), "/* lvc:end add */\n", ""), LVC_MARK_C,
	        "a begin marker inside the block of 'add'");
	refused(replace(c_old(), "/* lvc:end ping */\n", ""), LVC_MARK_C,
	        "h.c:31: cannot merge the handler file: no end marker for 'ping'");
}

Test(merge_refused, end_without_begin)
{
	refused(replace(c_old(), "/* lvc:begin add */\n", ""), LVC_MARK_C,
	        "an end marker with no begin marker for 'add'");
}

Test(merge_refused, end_marker_of_another_block)
{
	refused(replace(c_old(), "/* lvc:end add */", "/* lvc:end ping */"), LVC_MARK_C,
	        "the end marker does not match the block of 'add'");
}

Test(merge_refused, nested_begin)
{
	refused(replace(c_old(), "\ttotal += a;\n", "/* lvc:begin inner */\n"), LVC_MARK_C,
	        "a begin marker inside the block of 'add'");
}

Test(merge_refused, duplicate_block)
{
	refused(cat(c_old(), cat(c_ping_sig, c_ping_end)), LVC_MARK_C, "a second block for 'ping'");
	/* A live block and a disabled one of the same endpoint. */
	refused(cat(c_old(), c_ping_disabled()), LVC_MARK_C, "a second block for 'ping'");
}

Test(merge_refused, missing_braces)
{
	refused(replace(c_old(), "app_ping(lv_call *call)\n{\n", "app_ping(lv_call *call)\n"),
	        LVC_MARK_C, "no opening line of the function in the block of 'ping'");
	refused(replace(c_old(), "}\n/* lvc:end ping */", "/* lvc:end ping */"), LVC_MARK_C,
	        "no closing '}' line in the block of 'ping'");
}

Test(merge_refused, disabled_block_without_its_end)
{
	refused(cat(replace(c_old(), cat(c_ping_sig, cat(c_ping_body, c_ping_end)), ""),
	            replace(c_ping_disabled(), "#endif /* lvc:removed ping */\n", "")),
	        LVC_MARK_C, "a disabled block has no #endif for 'ping'");
}

Test(merge_refused, code_before_the_function_in_a_block)
{
	/* Taken for the signature, it would be rewritten: refused instead. */
	refused(replace(c_old(), "/* lvc:begin add */\n",
	                "/* lvc:begin add */\nstatic int\nhelper(int x)\n{\n\treturn x;\n}\n\n"),
	        LVC_MARK_C, "code before the function (move it above the lvc:begin line) in the "
	        "block of 'add'");
	refused(replace(js_old(), "// lvc:begin tick\n",
	                "// lvc:begin tick\nexport function helper(x) {\n\treturn x;\n}\n"),
	        LVC_MARK_JS, "code before the function (move it above the lvc:begin line) in the "
	        "block of 'tick'");
}

Test(merge_refused, js_files_too)
{
	refused(replace(js_old(), "// lvc:end tick\n", ""), LVC_MARK_JS,
	        "a begin marker inside the block of 'tick'");
	refused(replace(js_old(), "export function tick(n) {", "function tick(n) {"), LVC_MARK_JS,
	        "no opening line of the function in the block of 'tick'");
	refused(cat(js_old(), cat(js_ask_sig, js_ask_end)), LVC_MARK_JS, "a second block for 'ask'");
	refused(cat(replace(js_old(), cat(js_tick_sig, cat(js_tick_body, js_tick_end)), ""),
	            replace(js_tick_disabled, "// lvc:removed-end tick\n", "")),
	        LVC_MARK_JS, "a disabled block has no end marker for 'tick'");
}

/* ---- end to end, through lvc ------------------------------------------------------------ */

/* lvc, next to the folder of this test (build/tests/test_merge ->
 * build/lvc), unless LVC names it. */
static const char *
lvc_path(void)
{
	const char *env = getenv("LVC");
	if (env && *env)
		return env;
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	cr_assert_gt(n, 0);
	exe[n] = '\0';
	for (int up = 0; up < 2; up++)
		*strrchr(exe, '/') = '\0';
	return lvc_sprintf(&c.arena, "%s/lvc", exe);
}

static const char *dir;

/* Runs lvc on dir/app.lv with extra options; its messages in dir/log. */
static int
run_lvc(const char *opts)
{
	char *cmd = lvc_sprintf(&c.arena, "cd '%s' && '%s' --color=never %s -o out app.lv "
	                        ">log 2>&1", dir, lvc_path(), opts);
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static const char *
slurp(const char *name)
{
	return lvt_slurp(lvc_sprintf(&c.arena, "%s/%s", dir, name));
}

static void
write_file(const char *name, const char *text)
{
	cr_assert_not_null(lvt_file(dir, name, text));
}

static const char app_v1[] =
	"@public\n"
	"module app;\n"
	"\n"
	"@server.rpc\n"
	"add(a: int, b: int) -> int;\n"
	"\n"
	"@server.realtime\n"
	"ping();\n"
	"\n"
	"@client.realtime\n"
	"tick(n: int);\n"
	"\n"
	"@client.rpc\n"
	"ask(question: string) -> bool;\n";

/* add gains a parameter, mul is new, ping and tick are gone. */
static const char app_v2[] =
	"@public\n"
	"module app;\n"
	"\n"
	"@server.rpc\n"
	"add(a: int, b: int, c: int) -> int;\n"
	"\n"
	"@server.rpc\n"
	"mul(a: int, b: int) -> int;\n"
	"\n"
	"@client.rpc\n"
	"ask(question: string) -> bool;\n";

static const char my_add[] = "\t/* mine */\n\t*out = a + b;\n\treturn LV_OK;\n";
static const char my_ping[] = "\t/* pong */\n\n\treturn LV_OK;\n";
static const char my_tick[] = "\t// mine\n\n\tdocument.title = String(n);\n";

/* Where the body of the block that begin_marker starts is in text: from
 * the line after its first line ending in "{" to its last "}" line. */
static bool
body_span(const char *text, const char *begin_marker, size_t *from, size_t *len)
{
	const char *b = strstr(text, begin_marker);
	const char *open = b ? strstr(b, "{\n") : NULL;
	const char *end = b ? strstr(b, "lvc:end") : NULL;
	if (!open || !end || open > end)
		return false;
	const char *close = end;
	while (close > open && !(close[-1] == '\n' && close[0] == '}'))
		close--;
	*from = (size_t)(open + 2 - text);
	*len = (size_t)(close - (open + 2));
	return close > open;
}

/* The body of that block, or NULL. */
static const char *
body_of(const char *text, const char *begin_marker)
{
	size_t from, len;
	if (!body_span(text, begin_marker, &from, &len))
		return NULL;
	return lvc_strndup(&c.arena, text + from, len);
}

/* text with the body of that block replaced. */
static const char *
with_body(const char *text, const char *begin_marker, const char *body)
{
	size_t from, len;
	cr_assert(body_span(text, begin_marker, &from, &len), "no block %s in:\n%s",
	          begin_marker, text);
	return lvc_sprintf(&c.arena, "%.*s%s%s", (int)from, text, body, text + from + len);
}

/* Generates v1 and edits the handler files as a user would. */
static void
project(void)
{
	dir = lvt_tmpdir();
	cr_assert_not_null(dir);
	write_file("app.lv", app_v1);
	cr_assert_eq(run_lvc(""), 0, "%s", slurp("log"));
	const char *h = slurp("out/app_handlers.c");
	h = with_body(h, "/* lvc:begin add */", my_add);
	h = with_body(h, "/* lvc:begin ping */", my_ping);
	h = cat(replace(h, "#include \"app.lv.h\"\n", "#include \"app.lv.h\"\n\nstatic int mine;\n"),
	        "\n/* my tail */\n");
	write_file("out/app_handlers.c", h);
	const char *j = slurp("out/app_handlers.js");
	j = with_body(j, "// lvc:begin tick", my_tick);
	write_file("out/app_handlers.js", cat(j, "\n// my tail\n"));
}

static void
finish(void)
{
	lvt_rmtree(dir);
}

Test(merge_lvc, regenerating_keeps_the_users_code)
{
	project();
	const char *h1 = slurp("out/app_handlers.c"), *j1 = slurp("out/app_handlers.js");
	write_file("app.lv", app_v2);
	cr_assert_eq(run_lvc(""), 0, "%s", slurp("log"));
	const char *log = slurp("log");
	cr_expect(strstr(log, "out/app_handlers.c:29:1: warning: 'ping' is no longer an endpoint; "
	                      "its code is kept in this disabled block [-Wremoved-endpoint]") != NULL,
	          "%s", log);
	cr_expect(strstr(log, "out/app_handlers.js:21:1: warning: 'tick' is no longer an "
	                      "endpoint") != NULL, "%s", log);
	/* The old signature of add stays above the new one. */
	cr_expect(strstr(slurp("out/app_handlers.c"), "/* lvc:was lv_status app_add(lv_call *call, "
	                 "int64_t a, int64_t b, int64_t *out) */\nlv_status\napp_add(") != NULL,
	          "%s", slurp("out/app_handlers.c"));
	/* A run with nothing new: the disabled blocks are reported again, and
	 * no file changes. */
	const char *h_again = slurp("out/app_handlers.c");
	cr_assert_eq(run_lvc(""), 0, "%s", slurp("log"));
	cr_expect(strstr(slurp("log"), "out/app_handlers.c:29:1: warning: 'ping' is not an "
	                 "endpoint") != NULL, "%s", slurp("log"));
	cr_expect_str_eq(slurp("out/app_handlers.c"), h_again);

	const char *h2 = slurp("out/app_handlers.c");
	cr_expect(strstr(h2, "app_add(lv_call *call, int64_t a, int64_t b, int64_t c, int64_t *out)\n"
	                     "{\n\t/* mine */\n") != NULL, "%s", h2);
	cr_expect_str_eq(body_of(h2, "/* lvc:begin add */"), my_add);
	cr_expect(strstr(h2, "#if 0 /* lvc:removed ping:") != NULL, "%s", h2);
	cr_expect_str_eq(body_of(h2, "/* lvc:begin ping */"), my_ping);
	cr_expect(strstr(h2, "/* lvc:begin mul */") > strstr(h2, "/* my tail */"),
	          "mul is not at the end: %s", h2);
	cr_expect(strncmp(h2, h1, (size_t)(strstr(h1, "/* lvc:begin add */") - h1)) == 0,
	          "the text before the first block changed");

	const char *j2 = slurp("out/app_handlers.js");
	cr_expect(strstr(j2, "// lvc:removed tick:") != NULL, "%s", j2);
	cr_expect(strstr(j2, "// \t// mine\n//\n// \tdocument.title = String(n);\n") != NULL,
	          "%s", j2);
	cr_expect(strstr(j2, "// my tail\n") != NULL);

	/* v1 again: ping and tick come back as the user left them. */
	write_file("app.lv", app_v1);
	cr_assert_eq(run_lvc(""), 0, "%s", slurp("log"));
	const char *h3 = slurp("out/app_handlers.c"), *j3 = slurp("out/app_handlers.js");
	cr_expect_str_eq(body_of(h3, "/* lvc:begin ping */"), my_ping);
	cr_expect(strstr(h3, "#if 0 /* lvc:removed ping") == NULL, "%s", h3);
	cr_expect(strstr(h3, "#if 0 /* lvc:removed mul") != NULL, "%s", h3);
	cr_expect(strstr(h3, "app_add(lv_call *call, int64_t a, int64_t b, int64_t *out)\n") != NULL);
	cr_expect_str_eq(body_of(h3, "/* lvc:begin add */"), my_add);
	/* Apart from the note of add's v2 signature and the disabled mul at
	 * the end, the file is the user's v1. */
	h3 = replace(h3, "/* lvc:was lv_status app_add(lv_call *call, int64_t a, int64_t b, "
	             "int64_t c, int64_t *out) */\n", "");
	cr_expect(strncmp(h3, h1, strlen(h1)) == 0, "h1:\n%s\nh3:\n%s", h1, h3);
	cr_expect_str_eq(j3, j1);
	finish();
}

Test(merge_lvc, merged_file_still_compiles)
{
	project();
	write_file("app.lv", app_v2);
	cr_assert_eq(run_lvc(""), 0, "%s", slurp("log"));
	/* The runtime's header, found from the working folder (the top of the
	 * repository when make runs the tests). */
	struct stat st;
	if (stat("runtime/include/lv.h", &st) != 0)
		cr_skip_test("runtime/include/lv.h is not in the working folder");
	char *cmd = lvc_sprintf(&c.arena, "${CC:-cc} -std=c11 -fsyntax-only -Iruntime/include "
	                        "$(pkg-config --cflags jansson 2>/dev/null) -I'%s/out' "
	                        "'%s/out/app_handlers.c' >'%s/cc.log' 2>&1", dir, dir, dir);
	cr_expect_eq(system(cmd), 0, "%s", slurp("cc.log"));
	finish();
}

Test(merge_lvc, unchanged_schema_leaves_the_file_alone)
{
	project();
	struct stat a, b;
	const char *path = lvc_sprintf(&c.arena, "%s/out/app_handlers.c", dir);
	cr_assert_eq(stat(path, &a), 0);
	const char *before = slurp("out/app_handlers.c");
	cr_assert_eq(run_lvc(""), 0, "%s", slurp("log"));
	cr_assert_eq(stat(path, &b), 0);
	cr_expect_str_eq(slurp("out/app_handlers.c"), before);
	cr_expect_eq(a.st_ino, b.st_ino, "the file was replaced");
	cr_expect(a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec);
	cr_expect_str_eq(slurp("log"), "");
	finish();
}

Test(merge_lvc, removed_endpoint_warning_options)
{
	project();
	write_file("app.lv", app_v2);
	cr_expect_eq(run_lvc("-Wno-removed-endpoint"), 0);
	cr_expect(strstr(slurp("log"), "removed-endpoint") == NULL, "%s", slurp("log"));
	cr_expect(strstr(slurp("out/app_handlers.c"), "#if 0 /* lvc:removed ping") != NULL);
	finish();
}

Test(merge_lvc, unreadable_handler_file_is_refused_and_left_alone)
{
	project();
	const char *broken = replace(slurp("out/app_handlers.c"), "/* lvc:end ping */\n", "");
	write_file("out/app_handlers.c", broken);
	struct stat a, b;
	const char *path = lvc_sprintf(&c.arena, "%s/out/app_handlers.c", dir);
	cr_assert_eq(stat(path, &a), 0);
	write_file("app.lv", app_v2);
	cr_expect_eq(run_lvc(""), 1);
	const char *log = slurp("log");
	cr_expect(strstr(log, "out/app_handlers.c:") != NULL, "%s", log);
	cr_expect(strstr(log, "cannot merge the handler file: no end marker for 'ping'") != NULL,
	          "%s", log);
	cr_expect_str_eq(slurp("out/app_handlers.c"), broken);
	cr_assert_eq(stat(path, &b), 0);
	cr_expect_eq(a.st_ino, b.st_ino);
	finish();
}

/* The refusal says "lvc wrote nothing", and so it is: the generated files
 * (app.lv.js, app.lv.d.ts, app.lv.h, app.lv.c) and app_handlers.js are not
 * written either, so the header never declares signatures the handler
 * file does not have. */
Test(merge_lvc, refused_merge_writes_nothing_at_all)
{
	dir = lvt_tmpdir();
	write_file("app.lv", app_v1);
	cr_assert_eq(mkdir(lvc_sprintf(&c.arena, "%s/out", dir), 0777), 0);
	write_file("out/app_handlers.c", "/* lvc:begin add */\nlv_status\n");
	cr_expect_eq(run_lvc(""), 1);
	cr_expect(strstr(slurp("log"), "lvc wrote nothing") != NULL);
	cr_expect_null(slurp("out/app.lv.h"), "app.lv.h was written");
	cr_expect_null(slurp("out/app.lv.c"), "app.lv.c was written");
	cr_expect_null(slurp("out/app.lv.js"), "app.lv.js was written");
	cr_expect_null(slurp("out/app_handlers.js"), "app_handlers.js was written");
	finish();
}

/* The stamps (inode, size, modification time) and contents of every file
 * lvc writes for app.lv, as one text. */
static const char *
outputs_state(void)
{
	static const char *const names[] = {
		"out/app.lv.h", "out/app.lv.c", "out/app.lv.js", "out/app.lv.d.ts",
		"out/app_handlers.c", "out/app_handlers.js",
	};
	const char *s = "";
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct stat st;
		const char *path = lvc_sprintf(&c.arena, "%s/%s", dir, names[i]);
		if (stat(path, &st) != 0) {
			s = lvc_sprintf(&c.arena, "%s%s: absent\n", s, names[i]);
			continue;
		}
		s = lvc_sprintf(&c.arena, "%s%s: %lu %lld %lld.%09ld\n%s\n", s, names[i],
		                (unsigned long)st.st_ino, (long long)st.st_size,
		                (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec, slurp(names[i]));
	}
	return s;
}

/* -Werror is all or nothing: the removed-endpoint warning, found while
 * merging, fails the run, and no file is written, so the next run fails
 * the same way instead of passing on a half-updated tree. */
Test(merge_lvc, werror_failure_writes_no_file)
{
	project();
	const char *before = outputs_state();
	write_file("app.lv", app_v2);
	for (int run = 0; run < 2; run++) {
		cr_expect_eq(run_lvc("-Werror"), 1, "run %d: %s", run + 1, slurp("log"));
		const char *log = slurp("log");
		cr_expect(strstr(log, "[-Werror=removed-endpoint]") != NULL, "%s", log);
		cr_expect_str_eq(outputs_state(), before, "run %d wrote a file", run + 1);
	}
	/* Without -Werror the same change goes through. */
	cr_expect_eq(run_lvc(""), 0, "%s", slurp("log"));
	cr_expect(strstr(slurp("out/app.lv.h"), "int64_t c") != NULL);
	finish();
}

/* An error in the .lv file writes nothing either, depfile included. */
Test(merge_lvc, failed_run_writes_no_file_and_no_depfile)
{
	project();
	const char *before = outputs_state();
	write_file("app.lv", cat(app_v2, "@server.rpc\nbroken(a int);\n"));
	cr_expect_eq(run_lvc("-M app.d"), 1);
	cr_expect(strstr(slurp("log"), "expected ':'") != NULL, "%s", slurp("log"));
	cr_expect_str_eq(outputs_state(), before);
	cr_expect_null(slurp("app.d"), "the depfile was written");
	finish();
}

/* The output set: staged files reach the disk only through a commit of a
 * run without errors. */
Test(merge_lvc, staged_files_are_written_only_by_a_clean_commit)
{
	dir = lvt_tmpdir();
	const char *written[LVC_MAX_OUTPUTS];
	lvc_emit e = { .written = written };
	const char *path = lvc_sprintf(&c.arena, "%s/a.txt", dir);
	lvc_emit_stage(&c, &e, path, "one", 3);
	cr_expect_null(slurp("a.txt"), "staging wrote the file");
	c.errors = 1;
	cr_expect_neq(lvc_emit_commit(&c, &e), 0);
	cr_expect_null(slurp("a.txt"), "a failed run wrote the file");
	cr_expect_eq(e.noutputs, 0);
	c.errors = 0;
	lvc_emit_stage(&c, &e, path, "two", 3);
	cr_expect_eq(lvc_emit_commit(&c, &e), 0);
	cr_expect_str_eq(slurp("a.txt"), "two");
	finish();
}
