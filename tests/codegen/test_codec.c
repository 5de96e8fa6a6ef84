/* test_codec.c - the runtime codec (lv_decode_jansson, lv_decode_fields_jansson, lv_encode)
 * on the descriptor tables lvc generates for tests/codegen/codec.lv.
 *
 * Built and run by tests/codegen/run-codec.sh. Three kinds of tests:
 * - roundtrip: decode(encode(x)) == x for every type, and the wire text of
 *   small values pinned;
 * - reject: one test per class of bad input, with the exact message and
 *   path, including the checks jansson makes while parsing (as the server
 *   parses: JSON_REJECT_DUPLICATES);
 * - defaults and optionals: what an absent, null or zero field becomes.
 * Tests of known bugs are disabled, each with the reason next to it. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <lv_jansson.h>

#include "codec.lv.h"

/* How the server parses a message. */
#define PARSE_FLAGS JSON_REJECT_DUPLICATES

static lv_arena arena;
static lv_error err;

static void
setup(void)
{
	lv_arena_init(&arena);
	memset(&err, 0, sizeof err);
}

static void
teardown(void)
{
	lv_arena_free(&arena);
}

TestSuite(roundtrip, .init = setup, .fini = teardown);
TestSuite(reject, .init = setup, .fini = teardown);
TestSuite(encode, .init = setup, .fini = teardown);
TestSuite(defaults, .init = setup, .fini = teardown);
TestSuite(optionals, .init = setup, .fini = teardown);
TestSuite(fields, .init = setup, .fini = teardown);

/* ---- helpers --------------------------------------------------------------- */

/* The descriptor of field `name` of struct type t. */
static const lv_field *
field(const lv_type *t, const char *name)
{
	for (uint32_t i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			return &t->fields[i];
	cr_assert_fail("type %s has no field %s", t->name, name);
	return NULL;
}

/* The type of field `name` of struct type t: how the tests reach the
 * list and map descriptors, which are static in the generated file. */
static const lv_type *
ftype(const lv_type *t, const char *name)
{
	return field(t, name)->type;
}

/* Encodes *v; returns the text (malloc), or NULL with err filled. */
static char *
encode_text(const lv_type *t, const void *v)
{
	lv_buf b;
	lv_buf_init(&b);
	if (lv_encode(&b, t, v, &err) != 0) {
		lv_buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* Parses text as the server does (any value at the top, for tests of
 * single values); NULL when jansson refuses it. */
static json_t *
parse(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, PARSE_FLAGS | JSON_DECODE_ANY, &jerr);
	return j;
}

/* The jansson value of a json value's text, for comparing (ptr NULL is
 * JSON null); integers past int64 are read as reals. */
static json_t *
jload(lv_json v)
{
	if (!v.ptr)
		return json_null();
	json_t *j = json_loadb(v.ptr, v.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (!j)
		j = json_loadb(v.ptr, v.len, JSON_DECODE_ANY | JSON_ALLOW_NUL |
		               JSON_DECODE_INT_AS_REAL, NULL);
	cr_assert_not_null(j, "a json value that is not JSON: %.*s", (int)v.len, v.ptr);
	return j;
}

/* Do two json values hold the same JSON (spacing and key order aside)? */
static bool
json_same(lv_json a, lv_json b)
{
	json_t *x = jload(a), *y = jload(b);
	bool same = json_equal(x, y);
	json_decref(x);
	json_decref(y);
	return same;
}

/* Does json value v hold the JSON of text? */
static bool
json_is(lv_json v, const char *text)
{
	return json_same(v, lv_json_text(text));
}

/* A json value's text must be JSON: NUL-terminated, as the decoder
 * promises. */
static void
json_text_ok(lv_json v)
{
	cr_assert_not_null(v.ptr);
	cr_expect_eq(v.ptr[v.len], '\0', "the text of a json value is not NUL-terminated");
	cr_expect_eq(strlen(v.ptr), v.len);
}

/* Decodes text as type t into out; returns lv_decode_jansson's status. The parsed
 * JSON is kept in *keep (strings in out borrow from it). */
static int
decode_text(const lv_type *t, const char *text, void *out, json_t **keep,
            const lv_limits *lim)
{
	json_t *j = parse(text);
	cr_assert_not_null(j, "test input is not JSON: %s", text);
	*keep = j;
	return lv_decode_jansson(t, j, out, &arena, lim, &err);
}

/* Deep equality of two values of type t, as the codec sees them. Floats
 * compare by bits (so -0.0 is not 0.0); map entries match by key. */
static bool
equal(const lv_type *t, const void *a, const void *b)
{
	switch (t->kind) {
	case LV_K_VOID:
		return true;
	case LV_K_BOOL:
		return *(const bool *)a == *(const bool *)b;
	case LV_K_INT:
		return *(const int64_t *)a == *(const int64_t *)b;
	case LV_K_FLOAT:
		return memcmp(a, b, sizeof(double)) == 0;
	case LV_K_STRING: {
		const lv_str *x = a, *y = b;
		return x->len == y->len && (x->len == 0 || memcmp(x->ptr, y->ptr, x->len) == 0);
	}
	case LV_K_BYTES: {
		const lv_bytes *x = a, *y = b;
		return x->len == y->len && (x->len == 0 || memcmp(x->ptr, y->ptr, x->len) == 0);
	}
	case LV_K_JSON:
		return json_same(*(const lv_json *)a, *(const lv_json *)b);
	case LV_K_ENUM:
		return *(const int *)a == *(const int *)b;
	case LV_K_STRUCT:
		for (uint32_t i = 0; i < t->nfields; i++) {
			const lv_field *f = &t->fields[i];
			const char *x = (const char *)a + f->offset, *y = (const char *)b + f->offset;
			if (f->has_offset == LV_OPT_POINTER) {
				const void *px = *(const void *const *)x, *py = *(const void *const *)y;
				if (!px != !py || (px && !equal(f->type, px, py)))
					return false;
			} else if (f->has_offset >= 0) {
				bool hx = *(const bool *)((const char *)a + f->has_offset);
				bool hy = *(const bool *)((const char *)b + f->has_offset);
				if (hx != hy || (hx && !equal(f->type, x, y)))
					return false;
			} else if (!equal(f->type, x, y)) {
				return false;
			}
		}
		return true;
	case LV_K_LIST: {
		const struct { size_t n; const char *items; } *x = a, *y = b;
		if (x->n != y->n)
			return false;
		for (size_t i = 0; i < x->n; i++)
			if (!equal(t->elem, x->items + i * t->elem->size, y->items + i * t->elem->size))
				return false;
		return true;
	}
	case LV_K_MAP: {
		const struct { size_t n; const lv_str *keys; const char *values; } *x = a, *y = b;
		if (x->n != y->n)
			return false;
		for (size_t i = 0; i < x->n; i++) {
			size_t k = 0;
			while (k < y->n && !equal(&lv_str_type, &x->keys[i], &y->keys[k]))
				k++;
			if (k == y->n || !equal(t->elem, x->values + i * t->elem->size,
			                        y->values + k * t->elem->size))
				return false;
		}
		return true;
	}
	}
	return false;
}

/* Encodes v, parses the text as the server would, decodes it as t and
 * checks the result equals v; then encodes the result again and checks
 * the text is the same. Returns the text (malloc). */
static char *
roundtrip(const lv_type *t, const void *v)
{
	char *text = encode_text(t, v);
	cr_assert_not_null(text, "encoding %s failed: %s at '%s'", t->name, err.message, err.path);
	json_t *j = parse(text);
	cr_assert_not_null(j, "encoding %s gave text jansson refuses: %s", t->name, text);
	void *out = lv_arena_alloc(&arena, t->size);
	int rc = lv_decode_jansson(t, j, out, &arena, NULL, &err);
	cr_assert_eq(rc, 0, "decoding %s back failed: %s at '%s' (text %s)", t->name,
	             err.message, err.path, text);
	cr_assert(equal(t, v, out), "%s changed on the way: %s", t->name, text);
	char *again = encode_text(t, out);
	cr_assert_not_null(again);
	cr_assert_str_eq(again, text, "%s: second encoding differs", t->name);
	free(again);
	json_decref(j);
	return text;
}

/* Checks that the round trip of v gives exactly `wire`. */
static void
roundtrip_is(const lv_type *t, const void *v, const char *wire)
{
	char *text = roundtrip(t, v);
	cr_expect_str_eq(text, wire);
	free(text);
}

/* An lv_str or lv_bytes over a literal: SI and BI in initializers, S and B
 * as values. */
#define SI(lit) { (lit), sizeof(lit) - 1 }
#define BI(lit) { (const uint8_t *)(lit), sizeof(lit) - 1 }
#define S(lit) ((lv_str)SI(lit))
#define B(lit) ((lv_bytes)BI(lit))
#define N(array) (sizeof(array) / sizeof((array)[0]))

/* ---- round trips ------------------------------------------------------------- */

Test(roundtrip, bool)
{
	bool t = true, f = false;
	roundtrip_is(&lv_bool_type, &t, "true");
	roundtrip_is(&lv_bool_type, &f, "false");
}

Test(roundtrip, int)
{
	static const struct { int64_t v; const char *wire; } cases[] = {
		{ 0, "0" }, { 1, "1" }, { -1, "-1" }, { 42, "42" },
		{ INT64_MAX, "9223372036854775807" }, { INT64_MIN, "-9223372036854775808" },
		{ (INT64_C(1) << 53) + 1, "9007199254740993" },
	};
	for (size_t i = 0; i < N(cases); i++)
		roundtrip_is(&lv_int_type, &cases[i].v, cases[i].wire);
}

Test(roundtrip, float)
{
	static const struct { double v; const char *wire; } cases[] = {
		{ 0.0, "0.0" }, { -0.0, "-0.0" }, { 1.5, "1.5" }, { 2.0, "2.0" },
		{ -2500.0, "-2500.0" }, { 0.1, "0.10000000000000001" },
		{ 1e21, "1e+21" }, { 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ 4.9406564584124654e-324, "4.9406564584124654e-324" },
	};
	for (size_t i = 0; i < N(cases); i++)
		roundtrip_is(&lv_float_type, &cases[i].v, cases[i].wire);
}

Test(roundtrip, float_accepts_a_json_integer)
{
	json_t *keep;
	double d = 0;
	cr_assert_eq(decode_text(&lv_float_type, "3", &d, &keep, NULL), 0);
	cr_expect(d == 3.0);
	json_decref(keep);
}

Test(roundtrip, string)
{
	static const lv_str cases[] = {
		SI(""), SI("plain"), SI("quote \" backslash \\ slash /"),
		SI("line\nfeed\ttab\rreturn"), SI("control \x01 \x1f and delete \x7f"),
		SI("</script><!--"), SI("e-acute \xc3\xa9, snowman \xe2\x98\x83, smile \xf0\x9f\x98\x80"),
		SI("line separator \xe2\x80\xa8 and U+10FFFF \xf4\x8f\xbf\xbf"),
	};
	for (size_t i = 0; i < N(cases); i++) {
		char *text = roundtrip(&lv_str_type, &cases[i]);
		free(text);
	}
	roundtrip_is(&lv_str_type, &cases[4], "\"control \\u0001 \\u001f and delete \\u007f\"");
	roundtrip_is(&lv_str_type, &cases[3], "\"line\\nfeed\\ttab\\rreturn\"");
}

Test(roundtrip, decoded_strings_are_nul_terminated)
{
	json_t *keep;
	lv_str s = { 0 };
	cr_assert_eq(decode_text(&lv_str_type, "\"abc\"", &s, &keep, NULL), 0);
	cr_expect_eq(s.len, 3);
	cr_expect_eq(s.ptr[3], '\0');
	json_decref(keep);
}

/* Bytes are canonical padded base64 (lv's own, base/b64.c). */
Test(roundtrip, bytes)
{
	/* RFC 4648, section 10. */
	static const struct { lv_bytes v; const char *wire; } cases[] = {
		{ BI(""), "\"\"" }, { BI("f"), "\"Zg==\"" }, { BI("fo"), "\"Zm8=\"" },
		{ BI("foo"), "\"Zm9v\"" }, { BI("foob"), "\"Zm9vYg==\"" },
		{ BI("fooba"), "\"Zm9vYmE=\"" }, { BI("foobar"), "\"Zm9vYmFy\"" },
	};
	for (size_t i = 0; i < N(cases); i++)
		roundtrip_is(&lv_bytes_type, &cases[i].v, cases[i].wire);
	/* Every byte value, at every length modulo 3. */
	static uint8_t all[258];
	for (size_t i = 0; i < N(all); i++)
		all[i] = (uint8_t)(255 - i % 256);
	for (size_t n = 256; n <= 258; n++) {
		lv_bytes v = { all, n };
		free(roundtrip(&lv_bytes_type, &v));
	}
	lv_bytes bs[] = { BI(""), BI("\x00\xff") };
	lv_bytes_list blobs = { N(bs), bs };
	roundtrip_is(ftype(&codec_Everything_type, "blobs"), &blobs, "[\"\",\"AP8=\"]");
}

Test(roundtrip, empty_bytes)
{
	lv_bytes none = { NULL, 0 };
	roundtrip_is(&lv_bytes_type, &none, "\"\"");
	lv_bytes bs[] = { BI(""), BI("") };
	lv_bytes_list blobs = { N(bs), bs };
	roundtrip_is(ftype(&codec_Everything_type, "blobs"), &blobs, "[\"\",\"\"]");
}

/* Every byte comes back, at every padding (once cut short by the room
 * given to libwebsockets' decoder). */
Test(roundtrip, bytes_decoded_whole)
{
	static const struct { const char *wire; lv_bytes v; } cases[] = {
		{ "\"Zg==\"", BI("f") }, { "\"Zm8=\"", BI("fo") }, { "\"Zm9v\"", BI("foo") },
		{ "\"Zm9vYg==\"", BI("foob") }, { "\"Zm9vYmFy\"", BI("foobar") },
	};
	for (size_t i = 0; i < N(cases); i++) {
		json_t *keep;
		lv_bytes got = { 0 };
		cr_assert_eq(decode_text(&lv_bytes_type, cases[i].wire, &got, &keep, NULL), 0);
		cr_expect(equal(&lv_bytes_type, &got, &cases[i].v), "%s gave %zu bytes",
		          cases[i].wire, got.len);
		json_decref(keep);
	}
}

Test(roundtrip, json)
{
	static const char *const cases[] = {
		"null", "true", "0", "-1.5", "\"text\"", "[]", "{}",
		"[1,\"two\",null,{\"a\":[true,false]}]", "{\"nested\":{\"deep\":[[[]]]},\"n\":1}",
	};
	for (size_t i = 0; i < N(cases); i++) {
		lv_json v = lv_json_text(cases[i]);
		roundtrip_is(&lv_json_type, &v, cases[i]);
	}
	/* A json value is written as its text, spacing and key order kept. */
	lv_json spaced = lv_json_text("{ \"b\" : [1, 2],\n\"a\": null }");
	char *sent = encode_text(&lv_json_type, &spaced);
	cr_expect_str_eq(sent, spaced.ptr);
	lv_json back = { NULL, 0 };
	cr_assert_eq(lv_decode(&lv_json_type, sent, strlen(sent), &back, &arena, NULL, &err), 0,
	             "%s", err.message);
	json_text_ok(back);
	cr_expect_str_eq(back.ptr, spaced.ptr);
	free(sent);
	/* Through jansson (lv_decode_jansson) the same JSON comes back, as
	 * jansson writes it. */
	json_t *parsed = parse(spaced.ptr);
	cr_assert_eq(lv_decode_jansson(&lv_json_type, parsed, &back, &arena, NULL, &err), 0);
	json_decref(parsed);
	cr_expect(json_same(back, spaced));
	cr_expect_str_eq(back.ptr, "{\"b\":[1,2],\"a\":null}");
	/* ptr NULL is JSON null. */
	lv_json none = { NULL, 0 };
	char *text = encode_text(&lv_json_type, &none);
	cr_expect_str_eq(text, "null");
	free(text);
}

Test(roundtrip, enum)
{
	static const char *const names[] = { "red", "green", "blue" };
	static const char *const wire[] = { "\"red\"", "\"green\"", "\"blue\"" };
	for (int i = 0; i < 3; i++) {
		codec_Color c = (codec_Color)i;
		roundtrip_is(&codec_Color_type, &c, wire[i]);
		cr_expect_str_eq(codec_Color_name(c), names[i]);
	}
	cr_expect_null(codec_Color_name((codec_Color)3));
	cr_expect_null(codec_Color_name((codec_Color)-1));
}

Test(roundtrip, struct)
{
	codec_Point p = { 1.5, -2 };
	roundtrip_is(&codec_Point_type, &p, "{\"x\":1.5,\"y\":-2.0}");
}

Test(roundtrip, lists)
{
	lv_str words[] = { S("a"), S(""), S("\xc3\xa9") };
	lv_str_list tags = { N(words), words };
	/* Non-ASCII characters go out as they are, not as \u escapes. */
	roundtrip_is(ftype(&codec_Everything_type, "tags"), &tags, "[\"a\",\"\",\"\xc3\xa9\"]");

	codec_Point pts[] = { { 1, 2 }, { -0.5, 1e-300 } };
	codec_Point_list points = { N(pts), pts };
	free(roundtrip(ftype(&codec_Everything_type, "points"), &points));

	int64_t row0[] = { 1, 2, 3 }, row2[] = { INT64_MIN };
	lv_int_list rows[] = { { N(row0), row0 }, { 0, NULL }, { N(row2), row2 } };
	lv_int_list_list grid = { N(rows), rows };
	roundtrip_is(ftype(&codec_Everything_type, "grid"), &grid,
	             "[[1,2,3],[],[-9223372036854775808]]");

	codec_Color cs[] = { codec_Color_blue, codec_Color_red };
	codec_Color_list colors = { N(cs), cs };
	roundtrip_is(ftype(&codec_Everything_type, "colors"), &colors, "[\"blue\",\"red\"]");

	/* json values go out as their text; a NULL one is null. */
	lv_json js[] = { { NULL, 0 }, lv_json_text("7"), lv_json_text("{\"k\":[]}") };
	lv_json_list docs = { N(js), js };
	roundtrip_is(ftype(&codec_Everything_type, "docs"), &docs, "[null,7,{\"k\":[]}]");

	double fs[] = { 0.25, -0.0 };
	lv_float_list ratios = { N(fs), fs };
	roundtrip_is(ftype(&codec_Everything_type, "ratios"), &ratios, "[0.25,-0.0]");

	lv_str_list empty = { 0, NULL };
	roundtrip_is(ftype(&codec_Everything_type, "tags"), &empty, "[]");
}

Test(roundtrip, maps)
{
	lv_str keys[] = { S("one"), S("quote \" key"), S("\xe2\x98\x83") };
	int64_t vals[] = { 1, -2, INT64_MAX };
	lv_int_map scores = { N(keys), keys, vals };
	roundtrip_is(ftype(&codec_Everything_type, "scores"), &scores,
	             "{\"one\":1,\"quote \\\" key\":-2,\"\xe2\x98\x83\":9223372036854775807}");

	lv_str pk[] = { S("origin"), S("far") };
	codec_Point pv[] = { { 0, 0 }, { 1e10, -1e-10 } };
	codec_Point_map by_name = { N(pk), pk, pv };
	free(roundtrip(ftype(&codec_Everything_type, "by_name"), &by_name));

	codec_Point north[] = { { 0, 1 }, { 0, 2 } };
	lv_str rk[] = { S("north"), S("nowhere") };
	codec_Point_list rv[] = { { N(north), north }, { 0, NULL } };
	codec_Point_list_map routes = { N(rk), rk, rv };
	roundtrip_is(ftype(&codec_Everything_type, "routes"), &routes,
	             "{\"north\":[{\"x\":0.0,\"y\":1.0},{\"x\":0.0,\"y\":2.0}],\"nowhere\":[]}");

	lv_str sk[] = { S("on"), S("off") };
	bool sv[] = { true, false };
	lv_bool_map switches = { N(sk), sk, sv };
	roundtrip_is(ftype(&codec_Everything_type, "switches"), &switches,
	             "{\"on\":true,\"off\":false}");

	lv_bool_map none = { 0, NULL, NULL };
	roundtrip_is(ftype(&codec_Everything_type, "switches"), &none, "{}");
}

/* A value with every field set to something other than zero, except the
 * bytes: see roundtrip::bytes for why they are empty. */
static void
fill_everything(codec_Everything *e)
{
	static lv_str tags[] = { SI("x"), SI("y") };
	static lv_str skeys[] = { SI("a"), SI("b") };
	static int64_t svals[] = { 1, 2 };
	static codec_Point pts[] = { { 1, 2 }, { 3, 4 } };
	static lv_str pkeys[] = { SI("home") };
	static codec_Point pvals[] = { { -1, -1 } };
	static int64_t row[] = { 5, 6 };
	static lv_int_list rows[] = { { 2, row }, { 0, NULL } };
	static codec_Point route[] = { { 0, 0 }, { 9, 9 } };
	static lv_str rkeys[] = { SI("r") };
	static codec_Point_list rvals[] = { { 2, route } };
	static codec_Color colors[] = { codec_Color_green };
	static lv_bytes blobs[] = { BI("") };
	static lv_str swkeys[] = { SI("on") };
	static bool swvals[] = { true };
	static double ratios[] = { 0.5, 1e100 };
	static lv_str mtags[] = { SI("m") };
	static codec_Point mat = { 7, 8 };
	static const char doc[] = "{\"a\":[1,\"b\",null]}", mdoc[] = "\"doc\"";

	memset(e, 0, sizeof *e);
	e->flag = true;
	e->count = -123456789012345;
	e->ratio = 3.25;
	e->name = S("name \xc3\xa9");
	e->blob = B("");
	e->doc = lv_json_text(doc);
	e->color = codec_Color_blue;
	e->at = (codec_Point){ 0.5, -0.5 };
	e->tags = (lv_str_list){ 2, tags };
	e->scores = (lv_int_map){ 2, skeys, svals };
	e->points = (codec_Point_list){ 2, pts };
	e->by_name = (codec_Point_map){ 1, pkeys, pvals };
	e->grid = (lv_int_list_list){ 2, rows };
	e->routes = (codec_Point_list_map){ 1, rkeys, rvals };
	e->colors = (codec_Color_list){ 1, colors };
	e->blobs = (lv_bytes_list){ 1, blobs };
	e->docs = (lv_json_list){ 0, NULL };
	e->switches = (lv_bool_map){ 1, swkeys, swvals };
	e->ratios = (lv_float_list){ 2, ratios };
	codec_Optionals *m = &e->maybe;
	m->has_count = true;
	m->count = 1;
	m->has_ratio = true;
	m->ratio = -1;
	m->has_flag = true;
	m->flag = true;
	m->has_name = true;
	m->name = S("opt");
	m->has_blob = true;
	m->blob = B("");
	m->has_doc = true;
	m->doc = lv_json_text(mdoc);
	m->has_color = true;
	m->color = codec_Color_green;
	m->at = &mat;
	m->has_tags = true;
	m->tags = (lv_str_list){ 1, mtags };
	m->has_scores = true;
	m->scores = (lv_int_map){ 0, NULL, NULL };
}

Test(roundtrip, every_field_at_once)
{
	codec_Everything e;
	fill_everything(&e);
	char *text = roundtrip(&codec_Everything_type, &e);
	/* Fields go out in declaration order. */
	cr_expect(strncmp(text, "{\"flag\":true,\"count\":-123456789012345,\"ratio\":3.25,", 50) == 0,
	          "%s", text);
	free(text);
}

Test(roundtrip, recursive_tree)
{
	codec_Node grandparent = { S("gp"), { 0, NULL }, NULL };
	codec_Node leaves[] = { { S("a"), { 0, NULL }, NULL }, { S("b"), { 0, NULL }, &grandparent } };
	codec_Node root = { S("root"), { N(leaves), leaves }, &grandparent };
	roundtrip_is(&codec_Node_type, &root,
	             "{\"label\":\"root\",\"kids\":[{\"label\":\"a\",\"kids\":[]},"
	             "{\"label\":\"b\",\"kids\":[],\"parent\":{\"label\":\"gp\",\"kids\":[]}}],"
	             "\"parent\":{\"label\":\"gp\",\"kids\":[]}}");
}

/* ---- rejected input ------------------------------------------------------------ */

/* A valid Everything, as a page would send it. */
static const char everything_json[] =
	"{\"flag\":true,\"count\":42,\"ratio\":0.5,\"name\":\"n\",\"blob\":\"Zm9v\","
	"\"doc\":{\"a\":[1,2]},\"color\":\"blue\",\"at\":{\"x\":1,\"y\":2},"
	"\"tags\":[\"a\",\"b\"],\"scores\":{\"a\":1},"
	"\"points\":[{\"x\":1,\"y\":2},{\"x\":3,\"y\":4}],\"by_name\":{\"p\":{\"x\":0,\"y\":0}},"
	"\"grid\":[[1,2],[]],\"routes\":{\"north\":[{\"x\":0,\"y\":0},{\"x\":0,\"y\":1}]},"
	"\"colors\":[\"red\",\"green\"],\"blobs\":[\"\",\"Zg==\"],\"docs\":[null,\"x\"],"
	"\"switches\":{\"on\":true},\"ratios\":[0.25],\"maybe\":{}}";

/* The value at a path like "routes.north[1]" inside j (borrowed). */
static json_t *
at(json_t *j, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *p = buf; j && *p;) {
		if (*p == '[') {
			j = json_array_get(j, strtoul(p + 1, &p, 10));
			p++;               /* ']' */
		} else {
			if (*p == '.')
				p++;
			size_t n = strcspn(p, ".[");
			char saved = p[n];
			p[n] = '\0';
			j = json_object_get(j, p);
			p[n] = saved;
			p += n;
		}
	}
	cr_assert_not_null(j, "no value at %s", path);
	return j;
}

/* Sets key of the object at path in j (value stolen). */
static void
set(json_t *j, const char *path, const char *key, json_t *value)
{
	json_t *o = *path ? at(j, path) : j;
	cr_assert(json_is_object(o), "%s is not an object", path);
	json_object_set_new(o, key, value);
}

static json_t *
everything(void)
{
	json_t *j = parse(everything_json);
	cr_assert_not_null(j);
	return j;
}

/* Decodes j as an Everything; expects failure with this message and path. */
static void
rejects(json_t *j, const lv_limits *lim, const char *message, const char *path)
{
	codec_Everything e;
	int rc = lv_decode_jansson(&codec_Everything_type, j, &e, &arena, lim, &err);
	cr_expect_eq(rc, LV_EINVALID_ARGUMENT, "accepted, expected: %s at '%s'", message, path);
	cr_expect_eq(err.code, LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, message);
	cr_expect_str_eq(err.path, path);
	json_decref(j);
}

static void
accepts(json_t *j, const lv_limits *lim)
{
	codec_Everything e;
	int rc = lv_decode_jansson(&codec_Everything_type, j, &e, &arena, lim, &err);
	cr_expect_eq(rc, 0, "rejected: %s at '%s'", err.message, err.path);
	json_decref(j);
}

Test(reject, the_valid_input_is_accepted)
{
	codec_Everything e;
	json_t *j = everything();
	cr_assert_eq(lv_decode_jansson(&codec_Everything_type, j, &e, &arena, NULL, &err), 0,
	             "%s at %s", err.message, err.path);
	cr_expect_eq(e.count, 42);
	cr_expect_eq(e.color, codec_Color_blue);
	cr_expect_str_eq(e.name.ptr, "n");
	json_text_ok(e.doc);
	cr_expect_str_eq(e.doc.ptr, "{\"a\":[1,2]}");
	cr_expect_eq(e.routes.n, 1);
	cr_expect_eq(e.routes.keys[0].len, 5);
	cr_expect(e.routes.values[0].items[1].y == 1.0);
	cr_expect_eq(e.grid.items[1].n, 0);
	cr_expect_eq(e.colors.items[1], codec_Color_green);
	cr_expect(e.switches.values[0]);
	cr_expect_not(e.maybe.has_count);
	json_decref(j);
}

Test(reject, wrong_type_deep_inside)
{
	json_t *j = everything();
	set(j, "routes.north[1]", "y", json_string("a"));
	rejects(j, NULL, "expected float, got string", "routes.north[1].y");
}

Test(reject, wrong_type_for_each_kind)
{
	static const struct { const char *field; const char *json; const char *message; } cases[] = {
		{ "flag", "1", "expected bool, got int" },
		{ "count", "\"1\"", "expected int, got string" },
		{ "count", "true", "expected int, got bool" },
		{ "ratio", "\"0.5\"", "expected float, got string" },
		{ "name", "1", "expected string, got int" },
		{ "blob", "[]", "expected bytes (a base64 string), got list" },
		{ "color", "2", "expected Color (a string), got int" },
		{ "at", "[1, 2]", "expected Point object, got list" },
		{ "tags", "{}", "expected list, got object" },
		{ "scores", "[]", "expected map (an object), got list" },
		{ "grid", "[[1], 2]", "expected list, got int" },
		{ "maybe", "1.5", "expected Optionals object, got float" },
	};
	for (size_t i = 0; i < N(cases); i++) {
		json_t *j = everything();
		set(j, "", cases[i].field, parse(cases[i].json));
		rejects(j, NULL, cases[i].message,
		        strcmp(cases[i].field, "grid") == 0 ? "grid[1]" : cases[i].field);
	}
}

Test(reject, null_for_a_required_field)
{
	static const struct { const char *field, *message; } cases[] = {
		{ "count", "expected int, got null" },
		{ "name", "expected string, got null" },
		{ "at", "expected Point object, got null" },
		{ "tags", "expected list, got null" },
		{ "color", "expected Color (a string), got null" },
	};
	for (size_t i = 0; i < N(cases); i++) {
		json_t *j = everything();
		set(j, "", cases[i].field, json_null());
		rejects(j, NULL, cases[i].message, cases[i].field);
	}
	json_t *j = everything();
	set(j, "points[0]", "x", json_null());
	rejects(j, NULL, "expected float, got null", "points[0].x");
}

Test(reject, missing_required_field)
{
	json_t *j = everything();
	json_object_del(j, "count");
	rejects(j, NULL, "missing required field", "count");
	j = everything();
	json_object_del(at(j, "by_name.p"), "y");
	rejects(j, NULL, "missing required field", "by_name.p.y");
}

Test(reject, unknown_field)
{
	json_t *j = everything();
	set(j, "", "colour", json_string("red"));
	rejects(j, NULL, "unknown field", "colour");
	j = everything();
	set(j, "points[1]", "z", json_integer(0));
	rejects(j, NULL, "unknown field", "points[1].z");
}

Test(reject, enum_not_a_member)
{
	json_t *j = everything();
	set(j, "", "color", json_string("purple"));
	rejects(j, NULL, "'purple' is not a member of Color", "color");
	j = everything();
	set(j, "", "color", json_string("Red"));        /* names are case-sensitive */
	rejects(j, NULL, "'Red' is not a member of Color", "color");
	j = everything();
	json_array_set_new(at(j, "colors"), 1, json_string(""));
	rejects(j, NULL, "'' is not a member of Color", "colors[1]");
}

Test(reject, int_with_a_fraction)
{
	json_t *j = everything();
	set(j, "", "count", json_real(1.5));
	rejects(j, NULL, "expected int, got a number with a fraction", "count");
	j = everything();
	json_array_set_new(at(j, "grid[0]"), 1, json_real(-0.25));
	rejects(j, NULL, "expected int, got a number with a fraction", "grid[0][1]");
}

Test(reject, int64_range)
{
	/* The edges are accepted, exactly. */
	json_t *keep;
	int64_t v = 0;
	cr_assert_eq(decode_text(&lv_int_type, "9223372036854775807", &v, &keep, NULL), 0);
	cr_expect_eq(v, INT64_MAX);
	json_decref(keep);
	cr_assert_eq(decode_text(&lv_int_type, "-9223372036854775808", &v, &keep, NULL), 0);
	cr_expect_eq(v, INT64_MIN);
	json_decref(keep);

	/* One past them, the server's parse fails: jansson refuses integers
	 * beyond int64 unless told to read them as reals. */
	static const char *const beyond[] = {
		"{\"count\":9223372036854775808}", "{\"count\":-9223372036854775809}",
		"{\"count\":100000000000000000000000}",
	};
	for (size_t i = 0; i < N(beyond); i++) {
		json_error_t jerr;
		json_t *j = json_loads(beyond[i], PARSE_FLAGS, &jerr);
		cr_expect_null(j, "jansson parsed %s", beyond[i]);
		cr_expect(strstr(jerr.text, "too big") != NULL, "%s: %s", beyond[i], jerr.text);
		json_decref(j);
	}

	/* Read as reals (or sent in exponent form), the codec refuses them. */
	static const char *const reals[] = {
		"9223372036854775808", "-9223372036854775809", "1e19", "-1e300",
	};
	for (size_t i = 0; i < N(reals); i++) {
		json_t *j = everything();
		json_t *n = json_loads(reals[i], JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL, NULL);
		cr_assert_not_null(n);
		set(j, "", "count", n);
		rejects(j, NULL, "int out of range", "count");
	}
}

/* BUG: a whole number written as a float (2.0, 1e3) in an int field is
 * refused as "int out of range", which it is not. It should be accepted
 * or refused as a float; either way the message must not claim a range. */
Test(reject, whole_float_for_an_int_is_not_called_out_of_range)
{
	static const double wholes[] = { 2.0, 1e3, -0.0 };
	for (size_t i = 0; i < N(wholes); i++) {
		json_t *j = everything();
		set(j, "", "count", json_real(wholes[i]));
		codec_Everything e;
		int rc = lv_decode_jansson(&codec_Everything_type, j, &e, &arena, NULL, &err);
		cr_expect(rc == 0 || strstr(err.message, "out of range") == NULL,
		          "%g: %s", wholes[i], err.message);
		json_decref(j);
	}
}

Test(reject, invalid_base64)
{
	static const char *const bad[] = {
		"Zm9", "Zm9v!A==", "Zg=a", "Z===", "====", "Zm 9v", "Zm9v\nZm9v", "Zg==Zg==",
	};
	for (size_t i = 0; i < N(bad); i++) {
		json_t *j = everything();
		set(j, "", "blob", json_string(bad[i]));
		rejects(j, NULL, "invalid base64", "blob");
	}
	json_t *j = everything();
	json_array_set_new(at(j, "blobs"), 0, json_string("@@@@"));
	rejects(j, NULL, "invalid base64", "blobs[0]");
}

Test(reject, depth_limit)
{
	/* The value is depth 0; the deepest part of the input is
	 * routes (1) .north (2) [0] (3) .x (4). */
	lv_limits four = { .max_depth = 4 }, three = { .max_depth = 3 };
	accepts(everything(), &four);
	rejects(everything(), &three, "nested deeper than 3 levels", "routes.north[0].x");
}

Test(reject, default_depth_limit_is_32)
{
	/* A chain of Nodes: level k is at depth 2k, its label at 2k + 1. */
	char ok[2048] = "", deep[2048] = "", path[512] = "";
	for (int level = 0; level <= 16; level++) {
		const char *open = level ? "{\"label\":\"x\",\"kids\":[" : "";
		if (level) {
			strcat(deep, open);
			strcat(path, "kids[0].");
		}
		if (level && level < 16)
			strcat(ok, open);
	}
	strcat(ok, "{\"label\":\"x\",\"kids\":[]}");
	strcat(deep, "{\"label\":\"x\",\"kids\":[]}");
	for (int level = 1; level < 16; level++)
		strcat(ok, "]}");
	for (int level = 1; level <= 16; level++)
		strcat(deep, "]}");
	strcat(path, "label");

	json_t *keep;
	codec_Node n;
	cr_expect_eq(decode_text(&codec_Node_type, ok, &n, &keep, NULL), 0, "%s at %s",
	             err.message, err.path);
	json_decref(keep);
	cr_expect_eq(decode_text(&codec_Node_type, deep, &n, &keep, NULL), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "nested deeper than 32 levels");
	/* The path fills the 128-byte buffer: it is cut, and says so. */
	size_t kept = strlen(err.path);
	cr_expect(kept > 3 && strcmp(err.path + kept - 3, "...") == 0, "%s", err.path);
	cr_expect(strncmp(err.path, path, kept - 3) == 0, "%s", err.path);
	json_decref(keep);
}

/* BUG: a path too long for lv_error.path is to end in "...", but when the
 * decoder's own path is exactly full the marker is cut off, and the path
 * reads as complete ("kids[0]" 16 times, for the label below them). */
Test(reject, a_cut_path_says_so)
{
	char deep[2048] = "";
	for (int level = 1; level <= 16; level++)
		strcat(deep, "{\"label\":\"x\",\"kids\":[");
	strcat(deep, "{\"label\":\"x\",\"kids\":[]}");
	for (int level = 1; level <= 16; level++)
		strcat(deep, "]}");
	json_t *keep;
	codec_Node n;
	cr_expect_eq(decode_text(&codec_Node_type, deep, &n, &keep, NULL), LV_EINVALID_ARGUMENT);
	size_t len = strlen(err.path);
	cr_expect(len >= 3 && strcmp(err.path + len - 3, "...") == 0, "%s", err.path);
	json_decref(keep);
}

Test(reject, items_limit)
{
	lv_limits two = { .max_items = 2 };
	json_t *j = everything();
	set(j, "", "tags", parse("[\"a\",\"b\"]"));
	accepts(j, &two);
	j = everything();
	set(j, "", "tags", parse("[\"a\",\"b\",\"c\"]"));
	rejects(j, &two, "list longer than 2 items", "tags");
	j = everything();
	set(j, "", "scores", parse("{\"a\":1,\"b\":2,\"c\":3}"));
	rejects(j, &two, "map larger than 2 entries", "scores");
	j = everything();
	set(j, "", "grid", parse("[[1,2,3]]"));
	rejects(j, &two, "list longer than 2 items", "grid[0]");
}

Test(reject, string_length_limit)
{
	lv_limits four = { .max_string = 4 };
	json_t *j = everything();
	set(j, "", "name", json_string("abcd"));
	accepts(j, &four);
	j = everything();
	set(j, "", "name", json_string("\xc3\xa9\xc3\xa9"));   /* 2 characters, 4 bytes */
	accepts(j, &four);
	j = everything();
	set(j, "", "name", json_string("abcde"));
	rejects(j, &four, "string longer than 4 bytes", "name");
	j = everything();
	set(j, "", "name", json_string("\xc3\xa9\xc3\xa9" "a"));
	rejects(j, &four, "string longer than 4 bytes", "name");
	j = everything();
	json_array_set_new(at(j, "tags"), 1, json_string("12345"));
	rejects(j, &four, "string longer than 4 bytes", "tags[1]");
}

Test(reject, bytes_length_limit)
{
	lv_limits four = { .max_string = 4 };
	json_t *j = everything();
	set(j, "", "blob", json_string("AAAA"));                 /* 3 bytes */
	accepts(j, &four);
	j = everything();
	set(j, "", "blob", json_string("AAAAAAAA"));             /* 6 bytes */
	rejects(j, &four, "bytes longer than 4 bytes", "blob");
}

/* BUG: the bytes limit is checked on the padded length: "AAAAAA==" holds
 * 4 bytes, within a 4-byte limit, but counts as 6 and is refused. */
Test(reject, bytes_exactly_at_the_limit)
{
	lv_limits four = { .max_string = 4 };
	json_t *j = everything();
	set(j, "", "blob", json_string("AAAAAA=="));
	accepts(j, &four);
}

Test(reject, nul_character_refused_when_parsed)
{
	/* jansson refuses \u0000 unless JSON_ALLOW_NUL is given, and the
	 * server does not give it: no decoded string holds a NUL. */
	json_error_t jerr;
	json_t *j = json_loads("{\"name\":\"a\\u0000b\"}", PARSE_FLAGS, &jerr);
	cr_expect_null(j);
	cr_expect(strstr(jerr.text, "\\u0000") != NULL, "%s", jerr.text);
	json_decref(j);
}

Test(reject, invalid_utf8_refused_when_parsed)
{
	static const char *const bad[] = {
		"\"\xff\"", "\"\xc3\"", "\"\xed\xa0\x80\"", "\"\xc0\xaf\"", "\"\xf4\x90\x80\x80\"",
	};
	for (size_t i = 0; i < N(bad); i++) {
		json_error_t jerr;
		json_t *j = json_loads(bad[i], PARSE_FLAGS | JSON_DECODE_ANY, &jerr);
		cr_expect_null(j, "case %zu parsed", i);
		json_decref(j);
	}
}

Test(reject, duplicate_keys_refused_when_parsed)
{
	json_error_t jerr;
	json_t *j = json_loads("{\"count\":1,\"count\":2}", PARSE_FLAGS, &jerr);
	cr_expect_null(j);
	cr_expect(strstr(jerr.text, "duplicate") != NULL, "%s", jerr.text);
	json_decref(j);
}

Test(reject, the_first_error_wins_and_the_path_is_reset)
{
	json_t *j = everything();
	set(j, "at", "x", json_string("1"));
	set(j, "", "count", json_string("2"));
	/* Fields are checked in declaration order: count comes before at. */
	rejects(j, NULL, "expected int, got string", "count");
	/* A later, good decode clears the error. */
	json_t *keep;
	int64_t v;
	cr_assert_eq(decode_text(&lv_int_type, "1", &v, &keep, NULL), 0);
	cr_expect_eq(err.code, 0);
	cr_expect_str_eq(err.path, "");
	cr_expect_str_eq(err.message, "");
	json_decref(keep);
}

/* ---- values the encoder refuses ------------------------------------------------------- */

/* Encodes *v as t; expects failure with this message and path. */
static void
refuses(const lv_type *t, const void *v, const char *message, const char *path)
{
	lv_buf b;
	lv_buf_init(&b);
	int rc = lv_encode(&b, t, v, &err);
	cr_expect_eq(rc, LV_EINVALID_ARGUMENT, "encoded as %s", b.data ? b.data : "");
	cr_expect_str_eq(err.message, message);
	cr_expect_str_eq(err.path, path);
	lv_buf_free(&b);
}

Test(encode, invalid_utf8)
{
	static const char *const bad[] = {
		"\xff", "a\xc3", "\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\xe2\x82",
	};
	for (size_t i = 0; i < N(bad); i++) {
		lv_str s = { bad[i], strlen(bad[i]) };
		refuses(&lv_str_type, &s, "invalid UTF-8 in a string", "");
	}
	codec_Everything e;
	fill_everything(&e);
	e.name = S("ok\x80");
	refuses(&codec_Everything_type, &e, "invalid UTF-8 in a string", "name");
	fill_everything(&e);
	e.tags.items = (lv_str[]){ S("fine"), S("\xfe") };
	refuses(&codec_Everything_type, &e, "invalid UTF-8 in a string", "tags[1]");
	fill_everything(&e);
	e.scores.keys = (lv_str[]){ S("a"), S("\xc3\x28") };
	refuses(&codec_Everything_type, &e, "invalid UTF-8 in a string", "scores");
	fill_everything(&e);
	e.maybe.name = S("\xff");
	refuses(&codec_Everything_type, &e, "invalid UTF-8 in a string", "maybe.name");
}

Test(encode, nul_inside_a_string)
{
	lv_str s = { "a\0b", 3 };
	refuses(&lv_str_type, &s, "string contains a NUL character", "");
}

/* A json value is text from the application: only valid JSON goes out,
 * one value and nothing after it. */
Test(encode, json_text_must_be_json)
{
	static const char *const bad[] = {
		"", " ", "{", "[1,]", "{\"a\":}", "1 2", "nul", "'x'", "[1]]", "\"\xff\"",
		"\"\\ud800\"", "01", "{\"a\" 1}", "NaN",
	};
	for (size_t i = 0; i < N(bad); i++) {
		lv_json j = lv_json_text(bad[i]);
		refuses(&lv_json_type, &j, "json value is not valid JSON text", "");
	}
	/* Not NUL-terminated: only len bytes are read. */
	lv_json cut = { "[1,2]", 4 };
	refuses(&lv_json_type, &cut, "json value is not valid JSON text", "");
	lv_json part = { "[1]xyz", 3 };
	char *text = encode_text(&lv_json_type, &part);
	cr_expect_str_eq(text, "[1]");
	free(text);
	codec_Everything e;
	fill_everything(&e);
	e.docs = (lv_json_list){ 2, (lv_json[]){ lv_json_text("1"), lv_json_text("{]") } };
	refuses(&codec_Everything_type, &e, "json value is not valid JSON text", "docs[1]");
	fill_everything(&e);
	e.maybe.doc = lv_json_text("tru");
	refuses(&codec_Everything_type, &e, "json value is not valid JSON text", "maybe.doc");
	/* Whitespace around a value is JSON too, and goes out as given. */
	lv_json spaced = lv_json_text(" [ 1 ] ");
	text = encode_text(&lv_json_type, &spaced);
	cr_expect_str_eq(text, " [ 1 ] ");
	free(text);
}

Test(encode, nan_and_infinity)
{
	const double bad[] = { NAN, INFINITY, -INFINITY };
	for (size_t i = 0; i < N(bad); i++) {
		refuses(&lv_float_type, &bad[i], "NaN and infinity have no JSON form", "");
		codec_Everything e;
		fill_everything(&e);
		e.ratio = bad[i];
		refuses(&codec_Everything_type, &e, "NaN and infinity have no JSON form", "ratio");
		fill_everything(&e);
		e.ratios.items = (double[]){ 1, bad[i] };
		refuses(&codec_Everything_type, &e, "NaN and infinity have no JSON form", "ratios[1]");
		fill_everything(&e);
		e.maybe.ratio = bad[i];
		refuses(&codec_Everything_type, &e, "NaN and infinity have no JSON form", "maybe.ratio");
		/* An absent optional is not looked at. */
		e.maybe.has_ratio = false;
		char *text = encode_text(&codec_Everything_type, &e);
		cr_expect_not_null(text);
		free(text);
	}
}

Test(encode, enum_out_of_range)
{
	const int bad[] = { 3, -1, 1000 };
	for (size_t i = 0; i < N(bad); i++) {
		codec_Color c = (codec_Color)bad[i];
		refuses(&codec_Color_type, &c, "enum value out of range", "");
		codec_Everything e;
		fill_everything(&e);
		e.color = (codec_Color)bad[i];
		refuses(&codec_Everything_type, &e, "enum value out of range", "color");
		fill_everything(&e);
		e.colors.items = (codec_Color[]){ (codec_Color)bad[i] };
		refuses(&codec_Everything_type, &e, "enum value out of range", "colors[0]");
	}
}

Test(encode, inconsistent_lists_and_maps)
{
	lv_str_list l = { 2, NULL };
	refuses(ftype(&codec_Everything_type, "tags"), &l, "list with a count but no items", "");
	lv_int_map m = { 1, NULL, NULL };
	refuses(ftype(&codec_Everything_type, "scores"), &m, "map with a count but no entries", "");
	lv_str s = { NULL, 3 };
	refuses(&lv_str_type, &s, "string with a length but no data", "");
}

Test(encode, a_cycle_is_refused_not_followed_forever)
{
	codec_Node loop = { S("loop"), { 0, NULL }, NULL };
	loop.parent = &loop;
	lv_buf b;
	lv_buf_init(&b);
	cr_expect_eq(lv_encode(&b, &codec_Node_type, &loop, &err), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "value nested too deeply (a cycle?)");
	cr_expect(strncmp(err.path, "parent.parent.parent.", 21) == 0, "%s", err.path);
	lv_buf_free(&b);
}

/* ---- defaults --------------------------------------------------------------------------- */

Test(defaults, applied_when_absent)
{
	/* 'nothing' is given: see json_null_default_makes_the_field_optional. */
	json_t *keep;
	codec_Defaults d;
	cr_assert_eq(decode_text(&codec_Defaults_type, "{\"nothing\":null}", &d, &keep, NULL), 0,
	             "%s at %s", err.message, err.path);
	cr_expect_eq(d.retries, 3);
	cr_expect_eq(d.smallest, INT64_MIN);
	cr_expect_eq(d.largest, INT64_MAX);
	cr_expect(d.ratio == 2.0);
	cr_expect(d.on);
	cr_expect_eq(d.color, codec_Color_green);
	cr_assert_eq(d.primes.n, 3);
	cr_expect(d.primes.items[0] == 2 && d.primes.items[1] == 3 && d.primes.items[2] == 5);
	cr_expect_eq(d.words.n, 2);
	cr_expect_eq(d.labels.n, 0);
	cr_assert_eq(d.grid.n, 2);
	cr_assert_eq(d.grid.items[0].n, 2);
	cr_expect(d.grid.items[0].items[0] == 1.0 && d.grid.items[0].items[1] == 2.5);
	cr_expect_eq(d.grid.items[1].n, 0);
	cr_expect(d.has_maybe_count);
	cr_expect_eq(d.maybe_count, 7);
	cr_expect_not(d.has_maybe_none);
	cr_expect(d.has_maybe_color);
	cr_expect_eq(d.maybe_color, codec_Color_blue);
	cr_expect(d.has_maybe_name);
	json_text_ok(d.nothing);
	cr_expect_str_eq(d.nothing.ptr, "null");
	json_decref(keep);
}

/* BUG: a default is parsed into a temporary JSON value that is freed as
 * soon as the field is decoded, while strings and json values decoded
 * from it still point into it: title, words, doc and maybe_name dangle
 * (heap use after free). */
Test(defaults, strings_and_json_outlive_the_decoder)
{
	json_t *keep;
	codec_Defaults d;
	cr_assert_eq(decode_text(&codec_Defaults_type, "{\"nothing\":null}", &d, &keep, NULL), 0);
	/* Something else allocated and freed in between, as a server would. */
	for (int i = 0; i < 64; i++)
		json_decref(json_pack("{s:s, s:[s, s]}", "k", "xxxxxxxxxxxxxxxx", "l", "yyyyyyyy", "z"));
	cr_expect_eq(d.title.len, strlen("Untitled \xe2\x80\x94 draft"));
	cr_expect(memcmp(d.title.ptr, "Untitled \xe2\x80\x94 draft", d.title.len) == 0);
	cr_assert_eq(d.words.n, 2);
	cr_expect(d.words.items[0].len == 1 && d.words.items[0].ptr[0] == 'a');
	cr_expect(d.words.items[1].len == 1 && d.words.items[1].ptr[0] == 'b');
	cr_expect(d.maybe_name.len == 8 && memcmp(d.maybe_name.ptr, "fallback", 8) == 0);
	json_text_ok(d.doc);
	cr_expect(json_is(d.doc, "[1,\"two\",null]"), "doc is %s", d.doc.ptr);
	json_decref(keep);
}

/* BUG: `nothing: json = null` declares a default, yet an absent 'nothing'
 * is refused as a missing required field (lvc writes NULL as the default
 * of a json field whose default is null, and the codec reads NULL as "no
 * default"). */
Test(defaults, json_null_default_makes_the_field_optional)
{
	json_t *keep;
	codec_Defaults d;
	int rc = decode_text(&codec_Defaults_type, "{}", &d, &keep, NULL);
	cr_expect_eq(rc, 0, "%s at %s", err.message, err.path);
	cr_expect(json_is(d.nothing, "null"), "nothing is %.*s", (int)d.nothing.len,
	          d.nothing.ptr ? d.nothing.ptr : "(NULL)");
	json_decref(keep);
}

Test(defaults, given_values_win)
{
	json_t *keep;
	codec_Defaults d;
	cr_assert_eq(decode_text(&codec_Defaults_type,
	             "{\"nothing\":1,\"retries\":0,\"ratio\":-1,\"on\":false,\"color\":\"red\","
	             "\"primes\":[],\"grid\":[[7]],\"maybe_count\":0,\"maybe_color\":\"green\"}",
	             &d, &keep, NULL), 0, "%s at %s", err.message, err.path);
	cr_expect_eq(d.retries, 0);
	cr_expect(d.ratio == -1.0);
	cr_expect_not(d.on);
	cr_expect_eq(d.color, codec_Color_red);
	cr_expect_eq(d.primes.n, 0);
	cr_expect(d.grid.n == 1 && d.grid.items[0].n == 1 && d.grid.items[0].items[0] == 7.0);
	cr_expect(d.has_maybe_count);
	cr_expect_eq(d.maybe_count, 0);
	cr_expect_eq(d.maybe_color, codec_Color_green);
	json_text_ok(d.nothing);
	cr_expect_str_eq(d.nothing.ptr, "1");
	json_decref(keep);
}

Test(defaults, null_for_an_optional_with_a_default_means_absent)
{
	json_t *keep;
	codec_Defaults d;
	cr_assert_eq(decode_text(&codec_Defaults_type,
	             "{\"nothing\":null,\"maybe_count\":null,\"maybe_color\":null}",
	             &d, &keep, NULL), 0, "%s at %s", err.message, err.path);
	cr_expect_not(d.has_maybe_count);
	cr_expect_not(d.has_maybe_color);
	json_decref(keep);
}

Test(defaults, null_for_a_required_field_with_a_default_is_refused)
{
	json_t *keep;
	codec_Defaults d;
	cr_expect_eq(decode_text(&codec_Defaults_type, "{\"nothing\":null,\"retries\":null}",
	             &d, &keep, NULL), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "expected int, got null");
	cr_expect_str_eq(err.path, "retries");
	json_decref(keep);
}

/* ---- optionals: absent and present-zero are two values --------------------------------- */

Test(optionals, absent)
{
	json_t *keep;
	codec_Optionals o;
	memset(&o, 0xa5, sizeof o);
	cr_assert_eq(decode_text(&codec_Optionals_type, "{}", &o, &keep, NULL), 0);
	cr_expect_not(o.has_count);
	cr_expect_not(o.has_ratio);
	cr_expect_not(o.has_flag);
	cr_expect_not(o.has_name);
	cr_expect_not(o.has_blob);
	cr_expect_not(o.has_doc);
	cr_expect_not(o.has_color);
	cr_expect_null(o.at);
	cr_expect_not(o.has_tags);
	cr_expect_not(o.has_scores);
	json_decref(keep);
	roundtrip_is(&codec_Optionals_type, &o, "{}");
}

Test(optionals, null_is_absent)
{
	json_t *keep;
	codec_Optionals o;
	cr_assert_eq(decode_text(&codec_Optionals_type,
	             "{\"count\":null,\"ratio\":null,\"flag\":null,\"name\":null,\"blob\":null,"
	             "\"doc\":null,\"color\":null,\"at\":null,\"tags\":null,\"scores\":null}",
	             &o, &keep, NULL), 0, "%s at %s", err.message, err.path);
	cr_expect_not(o.has_count || o.has_ratio || o.has_flag || o.has_name || o.has_blob ||
	              o.has_doc || o.has_color || o.has_tags || o.has_scores);
	cr_expect_null(o.at);
	json_decref(keep);
}

Test(optionals, present_zero)
{
	static const char zero[] =
		"{\"count\":0,\"ratio\":0.0,\"flag\":false,\"name\":\"\",\"blob\":\"\","
		"\"doc\":0,\"color\":\"red\",\"at\":{\"x\":0.0,\"y\":0.0},\"tags\":[],\"scores\":{}}";
	json_t *keep;
	codec_Optionals o;
	cr_assert_eq(decode_text(&codec_Optionals_type, zero, &o, &keep, NULL), 0,
	             "%s at %s", err.message, err.path);
	cr_expect(o.has_count && o.count == 0);
	cr_expect(o.has_ratio && o.ratio == 0.0);
	cr_expect(o.has_flag && !o.flag);
	cr_expect(o.has_name && o.name.len == 0);
	cr_expect(o.has_blob && o.blob.len == 0);
	cr_expect(o.has_doc);
	json_text_ok(o.doc);
	cr_expect_str_eq(o.doc.ptr, "0");
	cr_expect(o.has_color && o.color == codec_Color_red);
	cr_assert_not_null(o.at);
	cr_expect(o.at->x == 0.0 && o.at->y == 0.0);
	cr_expect(o.has_tags && o.tags.n == 0);
	cr_expect(o.has_scores && o.scores.n == 0);
	roundtrip_is(&codec_Optionals_type, &o, zero);
	json_decref(keep);
}

Test(optionals, encoder_skips_what_is_absent)
{
	codec_Point p = { 1, 2 };
	codec_Optionals o = { 0 };
	o.count = 5;               /* no has_count: not sent */
	o.has_flag = true;         /* flag false, but present */
	o.at = &p;
	roundtrip_is(&codec_Optionals_type, &o, "{\"flag\":false,\"at\":{\"x\":1.0,\"y\":2.0}}");
	/* A present json? that is NULL has nothing to send. */
	o.has_doc = true;
	o.doc = (lv_json){ NULL, 0 };
	char *text = encode_text(&codec_Optionals_type, &o);
	cr_expect_str_eq(text, "{\"flag\":false,\"at\":{\"x\":1.0,\"y\":2.0}}");
	free(text);
}

/* ---- named arguments (lv_decode_fields_jansson) ---------------------------------------------- */

static const lv_endpoint *
endpoint(const char *name)
{
	const lv_endpoint *ep = lv_app_find(&codec_app, name, strlen(name));
	cr_assert_not_null(ep, "no endpoint %s", name);
	return ep;
}

/* A field of an argument struct decoded into buf. */
#define ARG(buf, args, name, T) (*(T *)((char *)(buf) + field((args), (name))->offset))

Test(fields, defaults_and_optionals)
{
	const lv_type *args = endpoint("configure")->args;
	void *buf = lv_arena_alloc(&arena, args->size);
	json_t *j = parse("{\"name\":\"x\"}");
	cr_assert_eq(lv_decode_fields_jansson(args, j, buf, &arena, NULL, &err), 0, "%s at %s",
	             err.message, err.path);
	cr_expect_eq(ARG(buf, args, "name", lv_str).len, 1);
	cr_expect_eq(ARG(buf, args, "retries", int64_t), 3);
	cr_expect_eq(ARG(buf, args, "color", codec_Color), codec_Color_red);
	cr_expect_null(ARG(buf, args, "at", const codec_Point *));
	cr_expect_not(*(bool *)((char *)buf + field(args, "note")->has_offset));
	json_decref(j);
}

Test(fields, no_arguments_object_means_all_absent)
{
	const lv_type *args = endpoint("configure")->args;
	void *buf = lv_arena_alloc(&arena, args->size);
	cr_expect_eq(lv_decode_fields_jansson(args, NULL, buf, &arena, NULL, &err), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "missing required field");
	cr_expect_str_eq(err.path, "name");
	/* Without required parameters, no object is fine: defaults apply. */
	const lv_type *poke = endpoint("poke")->args;
	buf = lv_arena_alloc(&arena, poke->size);
	cr_assert_eq(lv_decode_fields_jansson(poke, NULL, buf, &arena, NULL, &err), 0, "%s at %s",
	             err.message, err.path);
	cr_expect_eq(ARG(buf, poke, "times", int64_t), 1);
	cr_expect_not(*(bool *)((char *)buf + field(poke, "why")->has_offset));
}

Test(fields, arguments_must_be_an_object)
{
	const lv_type *args = endpoint("configure")->args;
	void *buf = lv_arena_alloc(&arena, args->size);
	json_t *j = parse("[\"x\"]");
	cr_expect_eq(lv_decode_fields_jansson(args, j, buf, &arena, NULL, &err), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "arguments must be an object of named values, got list");
	cr_expect_str_eq(err.path, "");
	json_decref(j);
}

Test(fields, errors_name_the_argument)
{
	const lv_type *args = endpoint("configure")->args;
	void *buf = lv_arena_alloc(&arena, args->size);
	json_t *j = parse("{\"name\":\"x\",\"at\":{\"x\":1,\"y\":true}}");
	cr_expect_eq(lv_decode_fields_jansson(args, j, buf, &arena, NULL, &err), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "expected float, got bool");
	cr_expect_str_eq(err.path, "at.y");
	json_decref(j);
	j = parse("{\"name\":\"x\",\"nmae\":\"y\"}");
	cr_expect_eq(lv_decode_fields_jansson(args, j, buf, &arena, NULL, &err), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "unknown field");
	cr_expect_str_eq(err.path, "nmae");
	json_decref(j);
}
