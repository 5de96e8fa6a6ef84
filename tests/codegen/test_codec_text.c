/* test_codec_text.c - the text decoder (lv_decode,
 * lv_decode_fields) on the descriptor tables lvc generates for
 * tests/codegen/codec.lv: what only reading JSON text directly can get
 * wrong. test_codec.c covers the meaning of values (types, paths, limits,
 * defaults); this file covers
 * - syntax: every class of malformed input, with its message and offset;
 * - strings: escapes, UTF-8, NUL, and strings outliving the input text;
 * - numbers: int64 edges, fractions, exponents, doubles, the locale;
 * - duplicate fields and keys, unknown fields, long lists and maps;
 * - json values: equal to what jansson parses, released with the arena;
 * - agreement: lv_decode and lv_decode_jansson give the same answer;
 * - named arguments from text, and lv_arena_on_free.
 *
 * Decodes read their input from a heap copy of exactly n bytes, with
 * no NUL after it, that is overwritten and freed as soon as the decoder
 * returns: reading past the end or keeping a pointer into the text shows
 * under ASan. Built and run with test_codec.c by tests/codegen/run-codec.sh. */
#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <lv_jansson.h>

#include "codec.lv.h"

/* How the server parses a message with jansson. */
#define PARSE_FLAGS (JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)

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

TestSuite(text_syntax, .init = setup, .fini = teardown);
TestSuite(text_strings, .init = setup, .fini = teardown);
TestSuite(text_numbers, .init = setup, .fini = teardown);
TestSuite(text_objects, .init = setup, .fini = teardown);
TestSuite(text_lists, .init = setup, .fini = teardown);
TestSuite(text_json, .init = setup, .fini = teardown);
TestSuite(text_agree, .init = setup, .fini = teardown);
TestSuite(text_fields, .init = setup, .fini = teardown);
TestSuite(text_arena, .init = setup, .fini = teardown);

/* ---- helpers --------------------------------------------------------------- */

#define N(array) (sizeof(array) / sizeof((array)[0]))

/* The type of field `name` of struct type t: how the tests reach the
 * list and map descriptors, which are static in the generated file. */
static const lv_type *
ftype(const lv_type *t, const char *name)
{
	for (uint32_t i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			return t->fields[i].type;
	cr_assert_fail("type %s has no field %s", t->name, name);
	return NULL;
}

/* The input, printable: bytes outside ASCII and controls as \xNN, cut
 * to fit a test message. */
static const char *
show(const char *text, size_t n)
{
	static char buf[200];
	size_t o = 0;
	for (size_t i = 0; i < n && o + 8 < sizeof buf; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 || c >= 0x7f)
			o += (size_t)snprintf(buf + o, sizeof buf - o, "\\x%02x", c);
		else
			buf[o++] = (char)c;
	}
	if (o + 8 >= sizeof buf)
		o += (size_t)snprintf(buf + o, sizeof buf - o, "...");
	buf[o] = '\0';
	return buf;
}

/* Decodes text [0, n) as t into out, from a heap copy of exactly n bytes
 * that is scribbled over and freed before returning. */
static int
decode_n(const lv_type *t, const char *text, size_t n, void *out, const lv_limits *lim)
{
	char *copy = malloc(n ? n : 1);
	cr_assert_not_null(copy);
	memcpy(copy, text, n);
	int rc = lv_decode(t, copy, n, out, &arena, lim, &err);
	memset(copy, 0xa5, n ? n : 1);
	free(copy);
	return rc;
}

static int
decode(const lv_type *t, const char *text, void *out, const lv_limits *lim)
{
	return decode_n(t, text, strlen(text), out, lim);
}

/* The same through lv_decode_fields; text NULL passes NULL. */
static int
decode_fields(const lv_type *t, const char *text, void *out)
{
	if (!text)
		return lv_decode_fields(t, NULL, 0, out, &arena, NULL, &err);
	size_t n = strlen(text);
	char *copy = malloc(n ? n : 1);
	cr_assert_not_null(copy);
	memcpy(copy, text, n);
	int rc = lv_decode_fields(t, copy, n, out, &arena, NULL, &err);
	memset(copy, 0xa5, n ? n : 1);
	free(copy);
	return rc;
}

/* Room for a value of type t, in the arena. */
static void *
room(const lv_type *t)
{
	void *p = lv_arena_alloc(&arena, t->size);
	cr_assert_not_null(p);
	return p;
}

/* The jansson value of a json value's text (ptr NULL is JSON null),
 * integers past int64 as reals; the text must be JSON. */
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

/* Is json value v's text exactly `text`, and NUL-terminated? */
static bool
text_is(lv_json v, const char *text)
{
	return v.ptr && v.len == strlen(text) && memcmp(v.ptr, text, v.len) == 0 &&
	       v.ptr[v.len] == '\0';
}

/* Decodes text as t; expects failure with this message and path. */
static void
rejects(const lv_type *t, const char *text, const lv_limits *lim, const char *message,
        const char *path)
{
	int rc = decode(t, text, room(t), lim);
	cr_expect_eq(rc, LV_EINVALID_ARGUMENT, "%s: accepted, expected %s at '%s'",
	             show(text, strlen(text)), message, path);
	cr_expect_eq(err.code, LV_EINVALID_ARGUMENT);
	cr_expect(strcmp(err.message, message) == 0 && strcmp(err.path, path) == 0,
	          "%s as %s: got \"%s\" at '%s', expected \"%s\" at '%s'",
	          show(text, strlen(text)), t->name, err.message, err.path, message, path);
}

/* A text built with printf formats (malloc). */
typedef struct {
	FILE *f;
	char *data;
	size_t len;
} text_buf;

static void
tb_open(text_buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->f = open_memstream(&b->data, &b->len);
	cr_assert_not_null(b->f);
}

static void
tb_add(text_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(b->f, fmt, ap);
	va_end(ap);
}

static char *
tb_close(text_buf *b)
{
	cr_assert_eq(fclose(b->f), 0);
	return b->data;
}

/* Encodes *v as t (malloc); the test fails if the encoder refuses it. */
static char *
encode_text(const lv_type *t, const void *v)
{
	lv_buf b;
	lv_error e;
	lv_buf_init(&b);
	int rc = lv_encode(&b, t, v, &e);
	cr_assert_eq(rc, 0, "encoding %s: %s at '%s'", t->name, e.message, e.path);
	lv_buf_append(&b, "", 1);
	cr_assert_not(b.failed);
	return b.data;
}

/* ---- syntax ------------------------------------------------------------------ */

/* One malformed input. A parser may report a bad token at its first byte
 * or at the byte inside it where it went wrong, so a case lists the
 * offsets it accepts, ended by -1. `top`: the error is met outside any
 * container, so the path is empty. */
typedef struct {
	const char *text;
	size_t n;                   /* 0: strlen(text) */
	const char *what;
	int at[4];
	bool top;
} malformed_case;

static void
expect_malformed(const lv_type *t, const malformed_case *c)
{
	size_t n = c->n ? c->n : strlen(c->text);
	char input[200];
	snprintf(input, sizeof input, "%s", show(c->text, n));
	int rc = decode_n(t, c->text, n, room(t), NULL);
	cr_expect_eq(rc, LV_EINVALID_ARGUMENT, "%s as %s: accepted, expected %s", input,
	             t->name, c->what);
	if (rc != LV_EINVALID_ARGUMENT)
		return;
	bool matched = false;
	char want[256] = "";
	for (int i = 0; i < 4 && c->at[i] >= 0 && !matched; i++) {
		snprintf(want, sizeof want, "malformed JSON at byte %d: %s", c->at[i], c->what);
		matched = strcmp(err.message, want) == 0;
	}
	cr_expect(matched, "%s as %s: got \"%s\", expected \"%s\" (at byte %d%s)", input, t->name,
	          err.message, want, c->at[0], c->at[1] >= 0 ? " or the one listed after" : "");
	if (c->top)
		cr_expect_str_eq(err.path, "", "%s: path", input);
}

static void
expect_all_malformed(const lv_type *t, const malformed_case *cases, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_malformed(t, &cases[i]);
}

#define END "unexpected end of input"
#define VALUE "expected a value"
#define LITERAL "invalid literal"
#define NUMBER "invalid number"
#define ESCAPE "invalid escape"
#define UESCAPE "invalid \\u escape"
#define UTF8 "invalid UTF-8"
#define CONTROL "control character in a string"
#define OBJ_SEP "expected ',' or '}'"
#define LIST_SEP "expected ',' or ']'"
#define COLON "expected ':'"
#define KEY "expected a string key"
#define AFTER "unexpected text after the value"

Test(text_syntax, end_of_input)
{
	static const malformed_case cases[] = {
		{ "", 0, END, { 0, -1 }, true },
		{ " \n\t\r", 0, END, { 4, -1 }, true },
		{ "[", 0, END, { 1, -1 }, false },
		{ "[1", 0, END, { 2, -1 }, false },
		{ "[1,", 0, END, { 3, -1 }, false },
		{ "[[]", 0, END, { 3, -1 }, false },
		{ "{", 0, END, { 1, -1 }, false },
		{ "{\"a\"", 0, END, { 4, -1 }, false },
		{ "{\"a\":", 0, END, { 5, -1 }, false },
		{ "{\"a\":1", 0, END, { 6, -1 }, false },
		{ "{\"a\":1,", 0, END, { 7, -1 }, false },
		{ "{\"a\":{}", 0, END, { 7, -1 }, false },
		{ "\"abc", 0, END, { 4, -1 }, true },
		{ "\"ab\\", 0, END, { 4, -1 }, true },
		{ "[\"a", 0, END, { 3, -1 }, false },
	};
	expect_all_malformed(&lv_json_type, cases, N(cases));
}

Test(text_syntax, expected_a_value)
{
	static const malformed_case cases[] = {
		{ "]", 0, VALUE, { 0, -1 }, true },
		{ "}", 0, VALUE, { 0, -1 }, true },
		{ ",", 0, VALUE, { 0, -1 }, true },
		{ ":", 0, VALUE, { 0, -1 }, true },
		{ "x", 0, VALUE, { 0, -1 }, true },
		{ "True", 0, VALUE, { 0, -1 }, true },
		{ "Infinity", 0, VALUE, { 0, -1 }, true },
		{ "'a'", 0, VALUE, { 0, -1 }, true },
		{ "\xff", 0, VALUE, { 0, -1 }, true },
		{ "\xc2\xa0" "1", 0, VALUE, { 0, -1 }, true },   /* no-break space */
		{ "\f1", 0, VALUE, { 0, -1 }, true },            /* not JSON whitespace */
		{ "\v1", 0, VALUE, { 0, -1 }, true },
		{ "  ]", 0, VALUE, { 2, -1 }, true },
		{ "[1,]", 0, VALUE, { 3, -1 }, false },
		{ "[,1]", 0, VALUE, { 1, -1 }, false },
		{ "[1,,2]", 0, VALUE, { 3, -1 }, false },
		{ "{\"a\":}", 0, VALUE, { 5, -1 }, false },
		{ "{\"a\":,\"b\":1}", 0, VALUE, { 5, -1 }, false },
		{ "{\"a\": ]", 0, VALUE, { 6, -1 }, false },
	};
	expect_all_malformed(&lv_json_type, cases, N(cases));
}

Test(text_syntax, invalid_literal)
{
	static const malformed_case cases[] = {
		{ "nulL", 0, LITERAL, { 0, 3, -1 }, true },
		{ "truE", 0, LITERAL, { 0, 3, -1 }, true },
		{ "nan", 0, LITERAL, { 0, 1, -1 }, true },
		{ "fxlse", 0, LITERAL, { 0, 1, -1 }, true },
		{ "[tru]", 0, LITERAL, { 1, 4, -1 }, false },
		{ "{\"a\":nul}", 0, LITERAL, { 5, 8, -1 }, false },
	};
	expect_all_malformed(&lv_json_type, cases, N(cases));
}

/* A literal cut short by the end of the text is an invalid literal. */
Test(text_syntax, literal_cut_short_by_the_end)
{
	static const malformed_case cases[] = {
		{ "tru", 0, LITERAL, { 0, 3, -1 }, true },
		{ "nul", 0, LITERAL, { 0, 3, -1 }, true },
		{ "fals", 0, LITERAL, { 0, 4, -1 }, true },
		{ "t", 0, LITERAL, { 0, 1, -1 }, true },
	};
	expect_all_malformed(&lv_json_type, cases, N(cases));
	static const malformed_case as_bool[] = {
		{ "tru", 0, LITERAL, { 0, 3, -1 }, true },
	};
	expect_all_malformed(&lv_bool_type, as_bool, N(as_bool));
}

Test(text_syntax, invalid_number)
{
	static const malformed_case cases[] = {
		{ "1.e5", 0, NUMBER, { 0, 2, -1 }, true },
		{ "1.x", 0, NUMBER, { 0, 2, -1 }, true },
		{ "-a", 0, NUMBER, { 0, 1, -1 }, true },
		{ "-.5", 0, NUMBER, { 0, 1, -1 }, true },
		{ "-Infinity", 0, NUMBER, { 0, 1, -1 }, true },
		{ "1ex", 0, NUMBER, { 0, 2, -1 }, true },
		{ "1e+x", 0, NUMBER, { 0, 3, -1 }, true },
		{ "[1.]", 0, NUMBER, { 1, 3, -1 }, false },
		{ "{\"a\":-}", 0, NUMBER, { 5, 6, -1 }, false },
		{ "[1e]", 0, NUMBER, { 1, 3, -1 }, false },
	};
	expect_all_malformed(&lv_json_type, cases, N(cases));
}

/* A leading zero is an invalid number, not a zero followed by text. */
Test(text_syntax, number_with_a_leading_zero)
{
	static const malformed_case cases[] = {
		{ "01", 0, NUMBER, { 0, 1, -1 }, true },
		{ "00", 0, NUMBER, { 0, 1, -1 }, true },
		{ "-01", 0, NUMBER, { 0, 2, -1 }, true },
		{ "[01]", 0, NUMBER, { 1, 2, -1 }, false },
		{ "{\"a\":00}", 0, NUMBER, { 5, 6, -1 }, false },
	};
	expect_all_malformed(&lv_json_type, cases, N(cases));
	static const malformed_case as_int[] = {
		{ "01", 0, NUMBER, { 0, 1, -1 }, true },
	};
	expect_all_malformed(&lv_int_type, as_int, N(as_int));
	static const malformed_case as_point[] = {
		{ "{\"x\":01,\"y\":2}", 0, NUMBER, { 5, 6, -1 }, false },
	};
	expect_all_malformed(&codec_Point_type, as_point, N(as_point));
}

/* A number cut short by the end of the text ("1.", "-", "1e") is an
 * invalid number. */
Test(text_syntax, number_cut_short_by_the_end)
{
	static const malformed_case cases[] = {
		{ "1.", 0, NUMBER, { 0, 2, -1 }, true },
		{ "-", 0, NUMBER, { 0, 1, -1 }, true },
		{ "1e", 0, NUMBER, { 0, 2, -1 }, true },
		{ "1e+", 0, NUMBER, { 0, 3, -1 }, true },
		{ "1E-", 0, NUMBER, { 0, 3, -1 }, true },
	};
	expect_all_malformed(&lv_json_type, cases, N(cases));
	static const malformed_case as_int[] = {
		{ "-", 0, NUMBER, { 0, 1, -1 }, true },
	};
	expect_all_malformed(&lv_int_type, as_int, N(as_int));
	static const malformed_case as_float[] = {
		{ "1.", 0, NUMBER, { 0, 2, -1 }, true },
		{ "1e", 0, NUMBER, { 0, 2, -1 }, true },
	};
	expect_all_malformed(&lv_float_type, as_float, N(as_float));
}

/* ".5" and "+1" start no JSON value. */
Test(text_syntax, number_starting_with_a_dot_or_a_plus)
{
	static const malformed_case cases[] = {
		{ ".5", 0, VALUE, { 0, -1 }, true },
		{ "+1", 0, VALUE, { 0, -1 }, true },
		{ "[.5]", 0, VALUE, { 1, -1 }, false },
	};
	expect_all_malformed(&lv_json_type, cases, N(cases));
}

Test(text_syntax, invalid_escape)
{
	static const malformed_case cases[] = {
		{ "\"\\x\"", 0, ESCAPE, { 1, 2, -1 }, true },
		{ "\"\\U0041\"", 0, ESCAPE, { 1, 2, -1 }, true },
		{ "\"\\'\"", 0, ESCAPE, { 1, 2, -1 }, true },
		{ "\"\\0\"", 0, ESCAPE, { 1, 2, -1 }, true },
		{ "\"\\a\"", 0, ESCAPE, { 1, 2, -1 }, true },
		{ "\"a\\ b\"", 0, ESCAPE, { 2, 3, -1 }, true },
		{ "[\"ok\",\"\\v\"]", 0, ESCAPE, { 7, 8, -1 }, false },
	};
	expect_all_malformed(&lv_json_type, cases, N(cases));
}

Test(text_syntax, invalid_u_escape)
{
	static const malformed_case cases[] = {
		{ "\"\\u12g4\"", 0, UESCAPE, { 1, 5, -1 }, true },
		{ "\"\\uzzzz\"", 0, UESCAPE, { 1, 3, -1 }, true },
		{ "\"\\u-123\"", 0, UESCAPE, { 1, 3, -1 }, true },
		/* A high surrogate must be followed by a low one. */
		{ "\"\\ud800\"", 0, UESCAPE, { 1, 7, -1 }, true },
		{ "\"\\ud800x\"", 0, UESCAPE, { 1, 7, -1 }, true },
		{ "\"\\ud800\\u0041\"", 0, UESCAPE, { 1, 7, -1 }, true },
		{ "\"\\ud800\\ud800\"", 0, UESCAPE, { 1, 7, -1 }, true },
		{ "\"\\uDBFF\\n\"", 0, UESCAPE, { 1, 7, -1 }, true },
		/* A low surrogate must follow a high one. */
		{ "\"\\udc00\"", 0, UESCAPE, { 1, -1 }, true },
		{ "\"a\\uDFFF\"", 0, UESCAPE, { 2, -1 }, true },
		{ "\"\\udfff\\ud800\"", 0, UESCAPE, { 1, -1 }, true },
	};
	expect_all_malformed(&lv_json_type, cases, N(cases));
}

/* A \u escape with fewer than four hex digits before the closing quote
 * is an invalid escape, not the end of the input. */
Test(text_syntax, u_escape_cut_short_by_the_quote)
{
	static const malformed_case cases[] = {
		{ "\"\\u12\"", 0, UESCAPE, { 1, 5, -1 }, true },
		{ "\"\\u\"", 0, UESCAPE, { 1, 3, -1 }, true },
		{ "\"ab\\u00\" ", 0, UESCAPE, { 3, 7, -1 }, true },
		{ "[\"\\u1\"]", 0, UESCAPE, { 2, 5, -1 }, false },
	};
	expect_all_malformed(&lv_json_type, cases, N(cases));
}

Test(text_syntax, invalid_utf8)
{
	static const malformed_case cases[] = {
		{ "\"\xff\"", 0, UTF8, { 1, -1 }, true },
		{ "\"\xfe\"", 0, UTF8, { 1, -1 }, true },
		{ "\"a\x80\"", 0, UTF8, { 2, -1 }, true },             /* lone continuation */
		{ "\"\xc3\xa9\x80\"", 0, UTF8, { 3, -1 }, true },
		{ "\"\xc0\xaf\"", 0, UTF8, { 1, 2, -1 }, true },        /* overlong '/' */
		{ "\"\xc1\xbf\"", 0, UTF8, { 1, 2, -1 }, true },
		{ "\"\xe0\x80\xaf\"", 0, UTF8, { 1, 2, -1 }, true },
		{ "\"\xf0\x80\x80\xaf\"", 0, UTF8, { 1, 2, -1 }, true },
		{ "\"\xed\xa0\x80\"", 0, UTF8, { 1, 2, -1 }, true },    /* U+D800 encoded */
		{ "\"\xed\xbf\xbf\"", 0, UTF8, { 1, 2, -1 }, true },    /* U+DFFF encoded */
		{ "\"\xf4\x90\x80\x80\"", 0, UTF8, { 1, 2, -1 }, true },/* past U+10FFFF */
		{ "\"\xf5\x80\x80\x80\"", 0, UTF8, { 1, 2, -1 }, true },
		{ "\"\xc3\"", 0, UTF8, { 1, 2, -1 }, true },            /* truncated */
		{ "\"\xe2\x82\"", 0, UTF8, { 1, 3, -1 }, true },
		{ "\"\xf0\x9f\x98\"", 0, UTF8, { 1, 4, -1 }, true },
		{ "\"\xe2\x82" "a\"", 0, UTF8, { 1, 3, -1 }, true },
		{ "{\"\xff\":1}", 0, UTF8, { 2, -1 }, false },         /* in a key */
	};
	expect_all_malformed(&lv_json_type, cases, N(cases));
}

Test(text_syntax, control_character_in_a_string)
{
	static const malformed_case cases[] = {
		{ "\"a\x01" "b\"", 0, CONTROL, { 2, -1 }, true },
		{ "\"\x1f\"", 0, CONTROL, { 1, -1 }, true },
		{ "\"a\nb\"", 0, CONTROL, { 2, -1 }, true },
		{ "\"\t\"", 0, CONTROL, { 1, -1 }, true },
		{ "\"\r\"", 0, CONTROL, { 1, -1 }, true },
		{ "\"a\0b\"", 5, CONTROL, { 2, -1 }, true },
		{ "{\"a\nb\":1}", 0, CONTROL, { 3, -1 }, false },
	};
	expect_all_malformed(&lv_json_type, cases, N(cases));
}

Test(text_syntax, separators)
{
	static const malformed_case cases[] = {
		{ "{\"a\":1 \"b\":2}", 0, OBJ_SEP, { 7, -1 }, false },
		{ "{\"a\":1]", 0, OBJ_SEP, { 6, -1 }, false },
		{ "{\"a\":1;\"b\":2}", 0, OBJ_SEP, { 6, -1 }, false },
		{ "{\"a\":true false}", 0, OBJ_SEP, { 10, -1 }, false },
		{ "{\"a\":{} \"b\":1}", 0, OBJ_SEP, { 8, -1 }, false },
		{ "[1 2]", 0, LIST_SEP, { 3, -1 }, false },
		{ "[1}", 0, LIST_SEP, { 2, -1 }, false },
		{ "[1:2]", 0, LIST_SEP, { 2, -1 }, false },
		{ "[true false]", 0, LIST_SEP, { 6, -1 }, false },
		{ "[\"a\"\"b\"]", 0, LIST_SEP, { 4, -1 }, false },
		{ "[[] []]", 0, LIST_SEP, { 4, -1 }, false },
		{ "{\"a\" 1}", 0, COLON, { 5, -1 }, false },
		{ "{\"a\",1}", 0, COLON, { 4, -1 }, false },
		{ "{\"a\"}", 0, COLON, { 4, -1 }, false },
		{ "{\"a\"=1}", 0, COLON, { 4, -1 }, false },
		{ "{1:2}", 0, KEY, { 1, -1 }, false },
		{ "{a:1}", 0, KEY, { 1, -1 }, false },
		{ "{'a':1}", 0, KEY, { 1, -1 }, false },
		{ "{,}", 0, KEY, { 1, -1 }, false },
		{ "{\"a\":1,}", 0, KEY, { 7, -1 }, false },
		{ "{\"a\":1,,}", 0, KEY, { 7, -1 }, false },
		{ "{\"a\":1, null:2}", 0, KEY, { 8, -1 }, false },
	};
	expect_all_malformed(&lv_json_type, cases, N(cases));
}

Test(text_syntax, text_after_the_value)
{
	static const malformed_case cases[] = {
		{ "1 2", 0, AFTER, { 2, -1 }, true },
		{ "0 0", 0, AFTER, { 2, -1 }, true },
		{ "{} x", 0, AFTER, { 3, -1 }, true },
		{ "{}{}", 0, AFTER, { 2, -1 }, true },
		{ "[1]]", 0, AFTER, { 3, -1 }, true },
		{ "\"a\"\"b\"", 0, AFTER, { 3, -1 }, true },
		{ "null,", 0, AFTER, { 4, -1 }, true },
		{ "true x", 0, AFTER, { 5, -1 }, true },
		{ "1\f", 0, AFTER, { 1, -1 }, true },
		{ "1\0", 2, AFTER, { 1, -1 }, true },
		{ " [] \n ]", 0, AFTER, { 6, -1 }, true },
	};
	expect_all_malformed(&lv_json_type, cases, N(cases));
}

/* The same errors where a typed value is read: until the error, the input
 * is of the type expected, so no type error comes first. */
Test(text_syntax, inside_typed_values)
{
	const lv_type *ints = ftype(&codec_Defaults_type, "primes");
	static const malformed_case point[] = {
		{ "{\"x\":1 \"y\":2}", 0, OBJ_SEP, { 7, -1 }, false },
		{ "{\"x\":1,", 0, END, { 7, -1 }, false },
		{ "{\"x\":1,\"y\":2", 0, END, { 12, -1 }, false },
		{ "{\"x\" 1,\"y\":2}", 0, COLON, { 5, -1 }, false },
		{ "{\"x\":1.x,\"y\":2}", 0, NUMBER, { 5, 7, -1 }, false },
		{ "{\"x\":1,\"y\":2,}", 0, KEY, { 13, -1 }, false },
		{ "{\"x\":1,\"y\":2}}", 0, AFTER, { 13, -1 }, true },
		{ "{\"x\":1,\"y\":2} 3", 0, AFTER, { 14, -1 }, true },
	};
	expect_all_malformed(&codec_Point_type, point, N(point));

	static const malformed_case list[] = {
		{ "[1,2", 0, END, { 4, -1 }, false },
		{ "[1 2]", 0, LIST_SEP, { 3, -1 }, false },
		{ "[1,-]", 0, NUMBER, { 3, 4, -1 }, false },
		{ "[1,2]x", 0, AFTER, { 5, -1 }, true },
	};
	expect_all_malformed(ints, list, N(list));

	static const malformed_case one_int[] = {
		{ "", 0, END, { 0, -1 }, true },
		{ "1 2", 0, AFTER, { 2, -1 }, true },
		{ "-a", 0, NUMBER, { 0, 1, -1 }, true },
	};
	expect_all_malformed(&lv_int_type, one_int, N(one_int));

	static const malformed_case others[] = {
		{ "trux", 0, LITERAL, { 0, 3, -1 }, true },
	};
	expect_all_malformed(&lv_bool_type, others, N(others));
	static const malformed_case floats[] = {
		{ "1.x", 0, NUMBER, { 0, 2, -1 }, true },
		{ "1e]", 0, NUMBER, { 0, 2, -1 }, true },
	};
	expect_all_malformed(&lv_float_type, floats, N(floats));
	static const malformed_case strs[] = {
		{ "\"\xff\"", 0, UTF8, { 1, -1 }, true },
		{ "\"\\x\"", 0, ESCAPE, { 1, 2, -1 }, true },
		{ "\"a", 0, END, { 2, -1 }, true },
		{ "\"a\x01\"", 0, CONTROL, { 2, -1 }, true },
	};
	expect_all_malformed(&lv_str_type, strs, N(strs));
	static const malformed_case color[] = {
		{ "\"red", 0, END, { 4, -1 }, true },
	};
	expect_all_malformed(&codec_Color_type, color, N(color));
	static const malformed_case opts[] = {
		{ "{\"name\":\"a\\qb\"}", 0, ESCAPE, { 10, 11, -1 }, false },
		{ "{\"tags\":[\"a\" \"b\"]}", 0, LIST_SEP, { 13, -1 }, false },
		{ "{\"scores\":{\"a\":1 \"b\":2}}", 0, OBJ_SEP, { 17, -1 }, false },
		{ "{\"doc\":[1,{\"a\":tru}]}", 0, LITERAL, { 15, 18, -1 }, false },
	};
	expect_all_malformed(&codec_Optionals_type, opts, N(opts));
}

/* Where a typed value is expected and the text ends, the error names the
 * length of the text. */
Test(text_syntax, end_where_a_typed_value_is_expected)
{
	static const malformed_case point[] = {
		{ "{\"x\":", 0, END, { 5, -1 }, false },
		{ "{\"x\":1,\"y\":  ", 0, END, { 13, -1 }, false },
		{ "  ", 0, END, { 2, -1 }, true },
	};
	expect_all_malformed(&codec_Point_type, point, N(point));
	static const malformed_case one[] = {
		{ "  ", 0, END, { 2, -1 }, true },
	};
	expect_all_malformed(&lv_int_type, one, N(one));
	expect_all_malformed(&lv_str_type, one, N(one));
	static const malformed_case list[] = {
		{ "[1,", 0, END, { 3, -1 }, false },
	};
	expect_all_malformed(ftype(&codec_Defaults_type, "primes"), list, N(list));
	static const malformed_case opts[] = {
		{ "{\"count\":", 0, END, { 9, -1 }, false },
	};
	expect_all_malformed(&codec_Optionals_type, opts, N(opts));
}

/* The decoder checks the type of a value when it meets it: a type error
 * before a syntax error is the one reported, and the other way round. */
Test(text_syntax, the_first_error_met_is_reported)
{
	rejects(&codec_Point_type, "{\"x\":\"a\",\"y\":", NULL, "expected float, got string", "x");
	rejects(&codec_Point_type, "{\"x\":\"a\" \"y\":1}", NULL, "expected float, got string", "x");
	int rc = decode(&codec_Point_type, "{\"x\":1.x,\"y\":\"a\"}", room(&codec_Point_type), NULL);
	cr_expect_eq(rc, LV_EINVALID_ARGUMENT);
	cr_expect(strstr(err.message, ": invalid number") != NULL, "%s", err.message);
}

/* An object or list of the wrong kind is refused at its opening bracket:
 * the type error comes before a syntax error inside it, or its depth. */
Test(text_syntax, a_type_error_comes_before_errors_inside_the_value)
{
	rejects(&codec_Point_type, "{\"x\":[1,tru]}", NULL, "expected float, got list", "x");
	rejects(&codec_Point_type, "{\"x\":{\"a\":01}}", NULL, "expected float, got object", "x");
	char deep[5001];
	memset(deep, '[', 5000);
	deep[5000] = '\0';
	rejects(ftype(&codec_Defaults_type, "primes"), deep, NULL, "expected int, got list", "[0]");
}

Test(text_syntax, whitespace_around_and_between)
{
	codec_Point p;
	cr_assert_eq(decode(&codec_Point_type, " \t\n\r{ \"x\" : 1 ,\n\"y\"\t:\r2 } \n\t\r ", &p, NULL),
	             0, "%s at %s", err.message, err.path);
	cr_expect(p.x == 1.0 && p.y == 2.0);
	int64_t v = 0;
	cr_assert_eq(decode(&lv_int_type, "\n\t 42 \r\n", &v, NULL), 0, "%s", err.message);
	cr_expect_eq(v, 42);
	lv_int_list l;
	cr_assert_eq(decode(ftype(&codec_Defaults_type, "primes"), "[ 1 ,\t2\n,3 ]", &l, NULL), 0,
	             "%s", err.message);
	cr_expect(l.n == 3 && l.items[0] == 1 && l.items[1] == 2 && l.items[2] == 3);
	/* A json value is its text as sent, without the whitespace around it. */
	lv_json j = { NULL, 0 };
	cr_assert_eq(decode(&lv_json_type, "\r\n[ { \"a\" : [ ] } , null ]\r\n", &j, NULL), 0,
	             "%s", err.message);
	cr_expect(text_is(j, "[ { \"a\" : [ ] } , null ]"), "got '%s'", j.ptr);
}

/* Only the n bytes given are read: what follows them is not looked at. */
Test(text_syntax, only_n_bytes_are_read)
{
	int64_t v = 0;
	cr_assert_eq(decode_n(&lv_int_type, "1234", 3, &v, NULL), 0, "%s", err.message);
	cr_expect_eq(v, 123);
	lv_str s;
	cr_assert_eq(decode_n(&lv_str_type, "\"ab\"xyz", 4, &s, NULL), 0, "%s", err.message);
	cr_expect(s.len == 2 && memcmp(s.ptr, "ab", 2) == 0);
	cr_expect_eq(decode_n(&lv_bool_type, "true", 3, room(&lv_bool_type), NULL),
	             LV_EINVALID_ARGUMENT);
	cr_expect_eq(decode_n(&lv_json_type, "[1]", 2, room(&lv_json_type), NULL),
	             LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "malformed JSON at byte 2: unexpected end of input");
}

/* A failed decode, then a good one: the error is cleared. */
Test(text_syntax, a_later_success_clears_the_error)
{
	int64_t v;
	cr_expect_eq(decode(&lv_int_type, "[", &v, NULL), LV_EINVALID_ARGUMENT);
	cr_expect_neq(err.message[0], '\0');
	cr_assert_eq(decode(&lv_int_type, "1", &v, NULL), 0);
	cr_expect_eq(err.code, 0);
	cr_expect_str_eq(err.path, "");
	cr_expect_str_eq(err.message, "");
}

/* ---- strings ------------------------------------------------------------- */

/* Decodes text as a string; expects exactly the bytes want[0, n). */
static void
string_is(const char *text, const char *want, size_t n)
{
	char in[200];
	snprintf(in, sizeof in, "%s", show(text, strlen(text)));
	lv_str s = { 0 };
	cr_assert_eq(decode(&lv_str_type, text, &s, NULL), 0, "%s: %s", in, err.message);
	cr_expect_eq(s.len, n, "%s: %zu bytes", in, s.len);
	cr_expect(s.len == n && memcmp(s.ptr, want, n) == 0, "%s: got %s", in, show(s.ptr, s.len));
	cr_expect_eq(s.ptr[s.len], '\0', "%s: not NUL-terminated", in);
}

#define STRING_IS(text, want) string_is((text), (want), sizeof(want) - 1)

Test(text_strings, escapes)
{
	STRING_IS("\"\"", "");
	STRING_IS("\"\\\"\"", "\"");
	STRING_IS("\"\\\\\"", "\\");
	STRING_IS("\"\\/\"", "/");
	STRING_IS("\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t");
	STRING_IS("\"a\\\"b\\\\c\\/d\\be\\ff\\ng\\rh\\ti\"", "a\"b\\c/d\be\ff\ng\rh\ti");
	STRING_IS("\"\\u0041\\u0062\"", "Ab");
	STRING_IS("\"\\u0001\\u001f\"", "\x01\x1f");
	STRING_IS("\"\\u007f\"", "\x7f");
	STRING_IS("\"\\u0080\"", "\xc2\x80");
	STRING_IS("\"\\u00e9\\u00E9\"", "\xc3\xa9\xc3\xa9");
	STRING_IS("\"\\u07ff\"", "\xdf\xbf");
	STRING_IS("\"\\u0800\"", "\xe0\xa0\x80");
	STRING_IS("\"\\u20ac\\u20AC\"", "\xe2\x82\xac\xe2\x82\xac");
	STRING_IS("\"\\ud7ff\\ue000\\uffff\"", "\xed\x9f\xbf\xee\x80\x80\xef\xbf\xbf");
	STRING_IS("\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80");
	STRING_IS("\"\\uD83D\\uDE00\"", "\xf0\x9f\x98\x80");
	STRING_IS("\"\\ud800\\udc00\"", "\xf0\x90\x80\x80");
	STRING_IS("\"\\udbff\\udfff\"", "\xf4\x8f\xbf\xbf");
	STRING_IS("\"x\\ud83d\\ude00y\\n\"", "x\xf0\x9f\x98\x80y\n");
}

Test(text_strings, utf8_passes_through)
{
	STRING_IS("\"\xc3\xa9\xe2\x98\x83\xf0\x9f\x98\x80\"", "\xc3\xa9\xe2\x98\x83\xf0\x9f\x98\x80");
	STRING_IS("\"\xf4\x8f\xbf\xbf\xed\x9f\xbf\xee\x80\x80\"", "\xf4\x8f\xbf\xbf\xed\x9f\xbf\xee\x80\x80");
	STRING_IS("\"\xe2\x80\xa8\xe2\x80\xa9\"", "\xe2\x80\xa8\xe2\x80\xa9");
	/* DEL is not a control character for JSON. */
	STRING_IS("\"\x7f\"", "\x7f");
	STRING_IS("\"</script>\"", "</script>");
}

Test(text_strings, escapes_in_keys_enums_and_bytes)
{
	/* Field names, map keys and enum names are compared once decoded. */
	codec_Point p;
	cr_assert_eq(decode(&codec_Point_type, "{\"\\u0078\":1,\"\\u0079\":2}", &p, NULL), 0,
	             "%s at %s", err.message, err.path);
	cr_expect(p.x == 1.0 && p.y == 2.0);
	codec_Color c;
	cr_assert_eq(decode(&codec_Color_type, "\"\\u0072ed\"", &c, NULL), 0, "%s", err.message);
	cr_expect_eq(c, codec_Color_red);
	lv_int_map m;
	cr_assert_eq(decode(ftype(&codec_Everything_type, "scores"),
	                    "{\"a\\\"b\":1,\"\\u00e9\":2,\"\":3}", &m, NULL), 0, "%s", err.message);
	cr_assert_eq(m.n, 3);
	bool seen[3] = { false, false, false };
	for (size_t i = 0; i < m.n; i++) {
		cr_expect_eq(m.keys[i].ptr[m.keys[i].len], '\0');
		if (m.keys[i].len == 3 && memcmp(m.keys[i].ptr, "a\"b", 3) == 0)
			seen[0] = m.values[i] == 1;
		else if (m.keys[i].len == 2 && memcmp(m.keys[i].ptr, "\xc3\xa9", 2) == 0)
			seen[1] = m.values[i] == 2;
		else if (m.keys[i].len == 0)
			seen[2] = m.values[i] == 3;
	}
	cr_expect(seen[0] && seen[1] && seen[2]);
	/* "/w==" is one byte, 0xff; the slash may be escaped. */
	lv_bytes b;
	cr_assert_eq(decode(&lv_bytes_type, "\"\\/w==\"", &b, NULL), 0, "%s", err.message);
	cr_expect(b.len == 1 && b.ptr[0] == 0xff);
	/* An enum name spelt with an escape that decodes to another name. */
	rejects(&codec_Color_type, "\"r\\u0065d \"", NULL, "'red ' is not a member of Color", "");
}

Test(text_strings, nul_character_refused)
{
	rejects(&codec_Optionals_type, "{\"name\":\"a\\u0000b\"}", NULL,
	        "string contains a NUL character", "name");
	rejects(&codec_Optionals_type, "{\"tags\":[\"ok\",\"\\u0000\"]}", NULL,
	        "string contains a NUL character", "tags[1]");
	rejects(&lv_str_type, "\"\\u0000\"", NULL, "string contains a NUL character", "");
}

/* The string limit counts decoded bytes, not the escapes that spell them. */
Test(text_strings, limit_counts_decoded_bytes)
{
	lv_limits four = { .max_string = 4 };
	lv_str s;
	cr_expect_eq(decode(&lv_str_type, "\"\\n\\n\\n\\n\"", &s, &four), 0, "%s", err.message);
	cr_expect_eq(decode(&lv_str_type, "\"\\u00e9\\u00e9\"", &s, &four), 0, "%s", err.message);
	cr_expect_eq(decode(&lv_str_type, "\"\\ud83d\\ude00\"", &s, &four), 0, "%s", err.message);
	rejects(&lv_str_type, "\"\\u00e9\\u00e9a\"", &four, "string longer than 4 bytes", "");
	rejects(&lv_str_type, "\"\\ud83d\\ude00\\n\"", &four, "string longer than 4 bytes", "");
	rejects(&codec_Optionals_type, "{\"name\":\"abcde\"}", &four, "string longer than 4 bytes",
	        "name");
}

/* Strings, keys and json values live in the arena: the input text can go
 * as soon as the decoder returns. */
Test(text_strings, decoded_values_outlive_the_text)
{
	static const char text[] =
		"{\"name\":\"hello\\u0020world\",\"tags\":[\"a\",\"\\u00e9t\\u00e9\"],"
		"\"scores\":{\"first\":1,\"s\\u00e9cond\":2},\"doc\":{\"k\":[\"v\",\"w\"]},"
		"\"at\":{\"x\":1,\"y\":2},\"blob\":\"Zm9vYmFy\",\"color\":\"blue\"}";
	size_t n = sizeof text - 1;
	char *copy = malloc(n);
	cr_assert_not_null(copy);
	memcpy(copy, text, n);
	codec_Optionals o;
	int rc = lv_decode(&codec_Optionals_type, copy, n, &o, &arena, NULL, &err);
	memset(copy, '"', n);
	free(copy);
	cr_assert_eq(rc, 0, "%s at %s", err.message, err.path);
	/* Something else allocated and freed in between, as a server would. */
	for (int i = 0; i < 64; i++)
		free(memset(malloc(n), 'x', n));
	cr_assert(o.has_name);
	cr_expect_str_eq(o.name.ptr, "hello world");
	cr_expect_eq(o.name.len, 11);
	cr_assert(o.has_tags && o.tags.n == 2);
	cr_expect_str_eq(o.tags.items[0].ptr, "a");
	cr_expect_str_eq(o.tags.items[1].ptr, "\xc3\xa9t\xc3\xa9");
	cr_assert(o.has_scores && o.scores.n == 2);
	for (size_t i = 0; i < 2; i++) {
		const char *k = o.scores.keys[i].ptr;
		cr_expect_eq(k[o.scores.keys[i].len], '\0');
		cr_expect(strcmp(k, "first") == 0 ? o.scores.values[i] == 1
		          : strcmp(k, "s\xc3\xa9" "cond") == 0 && o.scores.values[i] == 2, "%s", k);
	}
	cr_assert(o.has_doc);
	cr_expect(text_is(o.doc, "{\"k\":[\"v\",\"w\"]}"), "doc is %s", o.doc.ptr);
	cr_assert_not_null(o.at);
	cr_expect(o.at->x == 1.0 && o.at->y == 2.0);
	cr_assert(o.has_blob);
	cr_expect(o.blob.len == 6 && memcmp(o.blob.ptr, "foobar", 6) == 0);
	cr_expect(o.has_color && o.color == codec_Color_blue);
}

/* ---- numbers ---------------------------------------------------------------- */

Test(text_numbers, int_edges_are_exact)
{
	static const struct { const char *text; int64_t v; } ok[] = {
		{ "0", 0 }, { "-0", 0 }, { "42", 42 }, { "-42", -42 },
		{ "9223372036854775807", INT64_MAX }, { "-9223372036854775808", INT64_MIN },
		{ "9223372036854775806", INT64_MAX - 1 }, { "-9223372036854775807", INT64_MIN + 1 },
		{ "9007199254740993", (INT64_C(1) << 53) + 1 },
	};
	for (size_t i = 0; i < N(ok); i++) {
		int64_t v = 12345;
		cr_expect_eq(decode(&lv_int_type, ok[i].text, &v, NULL), 0, "%s: %s", ok[i].text,
		             err.message);
		cr_expect_eq(v, ok[i].v, "%s gave %" PRId64, ok[i].text, v);
	}
}

Test(text_numbers, int_refusals)
{
	static const struct { const char *text, *message; } bad[] = {
		{ "9223372036854775808", "int out of range" },
		{ "-9223372036854775809", "int out of range" },
		{ "18446744073709551616", "int out of range" },
		{ "100000000000000000000000", "int out of range" },
		{ "-99999999999999999999999999999999", "int out of range" },
		{ "1e300", "int out of range" },
		{ "-1e300", "int out of range" },
		{ "1e19", "int out of range" },
		{ "9.3e18", "int out of range" },
		{ "1.5", "expected int, got a number with a fraction" },
		{ "-0.25", "expected int, got a number with a fraction" },
		{ "1e-300", "expected int, got a number with a fraction" },
		{ "1.0", "expected int, got float" },
		{ "-2.0", "expected int, got float" },
		{ "0.0", "expected int, got float" },
		{ "1e2", "expected int, got float" },
		{ "1E2", "expected int, got float" },
		{ "1e+2", "expected int, got float" },
		{ "9.2e18", "expected int, got float" },
	};
	for (size_t i = 0; i < N(bad); i++)
		rejects(&lv_int_type, bad[i].text, NULL, bad[i].message, "");
	/* Inside a value, the path names the field or item. */
	rejects(&codec_Optionals_type, "{\"count\":1.5}", NULL,
	        "expected int, got a number with a fraction", "count");
	rejects(&codec_Optionals_type, "{\"count\":1e2}", NULL, "expected int, got float", "count");
	rejects(&codec_Optionals_type, "{\"count\":9223372036854775808}", NULL, "int out of range",
	        "count");
	rejects(ftype(&codec_Defaults_type, "primes"), "[1,2.5]", NULL,
	        "expected int, got a number with a fraction", "[1]");
	rejects(&codec_Optionals_type, "{\"scores\":{\"a\":1,\"b\":-1e19}}", NULL, "int out of range",
	        "scores.b");
}

/* The double strtod gives for text, in the C locale. */
static double
reference(const char *text)
{
	char *save = strdup(setlocale(LC_NUMERIC, NULL));
	setlocale(LC_NUMERIC, "C");
	double d = strtod(text, NULL);
	setlocale(LC_NUMERIC, save);
	free(save);
	return d;
}

static const char *const float_texts[] = {
	"0", "1", "-1", "-0.5", "1e-3", "0.1", "0.30000000000000004", "1E5", "1e+5", "1e-5",
	"12345678901234567890", "-9223372036854775809", "9007199254740993",
	"123456789012345678901234567890e-10", "2.2250738585072011e-308",
	"2.2250738585072014e-308", "1.7976931348623157e308", "4.9406564584124654e-324",
	"1.00000000000000011102230246251565404236316680908203125", "7e-10", "3.14159265358979323846",
	"0.000000000000000000000000000000000000000000001e300", "-0.0", "100000000000000000000000",
};

Test(text_numbers, floats_decode_as_strtod_does)
{
	for (size_t i = 0; i < N(float_texts); i++) {
		double d = 12345;
		cr_expect_eq(decode(&lv_float_type, float_texts[i], &d, NULL), 0, "%s: %s",
		             float_texts[i], err.message);
		double want = reference(float_texts[i]);
		cr_expect(memcmp(&d, &want, sizeof d) == 0, "%s gave %.17g, not %.17g",
		          float_texts[i], d, want);
	}
	double d;
	cr_assert_eq(decode(&lv_float_type, "-0.0", &d, NULL), 0);
	cr_expect(d == 0.0 && signbit(d));
	cr_assert_eq(decode(&lv_float_type, "12345678901234567890", &d, NULL), 0);
	cr_expect(d == 12345678901234567890.0);
}

Test(text_numbers, float_out_of_range)
{
	rejects(&lv_float_type, "1e400", NULL, "number out of range", "");
	rejects(&lv_float_type, "-1e400", NULL, "number out of range", "");
	rejects(&lv_float_type, "1.8e308", NULL, "number out of range", "");
	rejects(&codec_Optionals_type, "{\"ratio\":1e400}", NULL, "number out of range", "ratio");
	rejects(&codec_Everything_type, "{\"flag\":true,\"count\":1,\"ratio\":-1e999}", NULL,
	        "number out of range", "ratio");
}

/* Numbers are read the same whatever the process's locale says a decimal
 * point is. Needs a locale with a decimal comma. */
Test(text_numbers, independent_of_the_locale)
{
	static const char *const names[] = {
		"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8", "nl_NL.UTF-8", "ru_RU.UTF-8",
		"de_DE", "fr_FR",
	};
	const char *found = NULL;
	for (size_t i = 0; i < N(names) && !found; i++)
		if (setlocale(LC_NUMERIC, names[i]) && strcmp(localeconv()->decimal_point, ",") == 0)
			found = names[i];
	if (!found) {
		setlocale(LC_NUMERIC, "C");
		cr_skip_test("no locale with a decimal comma is installed");
	}
	double d = 0;
	cr_expect_eq(decode(&lv_float_type, "1.5", &d, NULL), 0, "%s: %s", found, err.message);
	cr_expect(d == 1.5, "%s: 1.5 gave %g", found, d);
	cr_expect_eq(decode(&lv_float_type, "-2.25e-1", &d, NULL), 0, "%s: %s", found, err.message);
	cr_expect(d == -0.225, "%s: -2.25e-1 gave %g", found, d);
	codec_Point p;
	cr_expect_eq(decode(&codec_Point_type, "{\"x\":0.5,\"y\":1e3}", &p, NULL), 0, "%s", err.message);
	cr_expect(p.x == 0.5 && p.y == 1000.0);
	rejects(&lv_int_type, "1.5", NULL, "expected int, got a number with a fraction", "");
	rejects(&lv_int_type, "2.0", NULL, "expected int, got float", "");
	/* A comma is never a decimal point in JSON. */
	cr_expect_eq(decode(&lv_float_type, "1,5", &d, NULL), LV_EINVALID_ARGUMENT);
	/* A json value is kept as text: the locale does not touch it. */
	lv_json j = { NULL, 0 };
	cr_expect_eq(decode(&lv_json_type, "[0.25]", &j, NULL), 0, "%s", err.message);
	cr_expect(text_is(j, "[0.25]"), "got %s", j.ptr);
	setlocale(LC_NUMERIC, "C");
}

/* ---- objects: duplicates and unknown fields ------------------------------- */

Test(text_objects, duplicate_field)
{
	rejects(&codec_Point_type, "{\"x\":1,\"y\":2,\"x\":3}", NULL, "duplicate field", "x");
	rejects(&codec_Point_type, "{\"x\":1,\"x\":1,\"y\":2}", NULL, "duplicate field", "x");
	/* The same name spelt with an escape is the same field. */
	rejects(&codec_Point_type, "{\"x\":1,\"\\u0078\":2,\"y\":3}", NULL, "duplicate field", "x");
	/* null gives a field too. */
	rejects(&codec_Optionals_type, "{\"count\":null,\"count\":1}", NULL, "duplicate field",
	        "count");
	rejects(&codec_Optionals_type, "{\"at\":{\"x\":1,\"y\":2,\"y\":3}}", NULL, "duplicate field",
	        "at.y");
}

Test(text_objects, duplicate_key)
{
	const lv_type *opt = &codec_Optionals_type;
	rejects(opt, "{\"scores\":{\"a\":1,\"b\":2,\"a\":3}}", NULL, "duplicate key", "scores.a");
	rejects(opt, "{\"scores\":{\"a\":1,\"\\u0061\":2}}", NULL, "duplicate key", "scores.a");
	rejects(opt, "{\"scores\":{\"\":1,\"\":2}}", NULL, "duplicate key", "scores.");
	rejects(ftype(&codec_Everything_type, "by_name"),
	        "{\"p\":{\"x\":0,\"y\":0},\"p\":{\"x\":1,\"y\":1}}", NULL, "duplicate key", "p");
	/* Keys that share a prefix are different keys. */
	lv_int_map m;
	cr_assert_eq(decode(ftype(&codec_Everything_type, "scores"),
	                    "{\"a\":1,\"ab\":2,\"\":3,\"b\":4,\"ba\":5}", &m, NULL), 0,
	             "%s at %s", err.message, err.path);
	cr_expect_eq(m.n, 5);
}

/* A map key holding U+0000 is refused, as a string value holding one is:
 * C code reads keys as C strings. */
Test(text_objects, map_key_with_a_nul)
{
	rejects(&codec_Optionals_type, "{\"scores\":{\"a\\u0000b\":1}}", NULL,
	        "key contains a NUL character", "scores.a");
}

/* A map of `count` keys k0, k1, ..., then `repeat` again if >= 0. */
static char *
many_keys(int count, int repeat)
{
	text_buf b;
	tb_open(&b);
	tb_add(&b, "{");
	for (int i = 0; i < count; i++)
		tb_add(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
	if (repeat >= 0)
		tb_add(&b, ",\"k%d\":-1", repeat);
	tb_add(&b, "}");
	return tb_close(&b);
}

Test(text_objects, duplicate_key_among_many)
{
	const lv_type *scores = ftype(&codec_Everything_type, "scores");
	static const struct { int count, repeat; } cases[] = {
		{ 100, 42 }, { 100, 0 }, { 100, 99 }, { 2000, 1999 }, { 2000, 7 }, { 20000, 12345 },
	};
	for (size_t i = 0; i < N(cases); i++) {
		char *text = many_keys(cases[i].count, cases[i].repeat);
		char path[32];
		snprintf(path, sizeof path, "k%d", cases[i].repeat);
		rejects(scores, text, NULL, "duplicate key", path);
		free(text);
	}
	/* As many distinct keys are all accepted, each with its value. */
	static const int sizes[] = { 100, 2000, 20000 };
	for (size_t i = 0; i < N(sizes); i++) {
		char *text = many_keys(sizes[i], -1);
		lv_int_map m;
		cr_assert_eq(decode(scores, text, &m, NULL), 0, "%d keys: %s at %s", sizes[i],
		             err.message, err.path);
		free(text);
		cr_assert_eq(m.n, (size_t)sizes[i]);
		char *seen = calloc((size_t)sizes[i], 1);
		cr_assert_not_null(seen);
		size_t bad = 0;
		for (size_t k = 0; k < m.n; k++) {
			long v = strtol(m.keys[k].ptr + 1, NULL, 10);
			if (m.keys[k].ptr[0] != 'k' || v != m.values[k] || v < 0 || v >= sizes[i] || seen[v])
				bad++;
			else
				seen[v] = 1;
		}
		cr_expect_eq(bad, 0, "%d keys: %zu entries wrong", sizes[i], bad);
		free(seen);
	}
	/* Inside a map field, the path is the map's. */
	char *inner = many_keys(100, 42);
	text_buf b;
	tb_open(&b);
	tb_add(&b, "{\"scores\":%s}", inner);
	free(inner);
	char *text = tb_close(&b);
	rejects(&codec_Optionals_type, text, NULL, "duplicate key", "scores.k42");
	free(text);
}

/* A json value is kept as its text, which the reader checks for syntax
 * but not for repeated names (RFC 8259 only says they SHOULD be unique):
 * it goes through as sent, for the application to read. Typed structs
 * and maps still refuse them (above). */
Test(text_objects, duplicate_key_in_a_json_value_is_kept)
{
	static const char *const texts[] = {
		"{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":1}", "[{\"x\":{\"y\":1,\"y\":1}}]",
	};
	for (size_t i = 0; i < N(texts); i++) {
		lv_json j = { NULL, 0 };
		cr_expect_eq(decode(&lv_json_type, texts[i], &j, NULL), 0, "%s: %s", texts[i],
		             err.message);
		cr_expect(text_is(j, texts[i]), "%s gave %s", texts[i], j.ptr);
	}
	char *text = many_keys(100, 42);
	lv_json j = { NULL, 0 };
	cr_expect_eq(decode(&lv_json_type, text, &j, NULL), 0, "%s", err.message);
	cr_expect(text_is(j, text));
	free(text);
	/* Inside a typed value, the same. */
	codec_Optionals o;
	cr_expect_eq(decode(&codec_Optionals_type, "{\"doc\":{\"k\":1,\"k\":2}}", &o, NULL), 0,
	             "%s", err.message);
	cr_expect(o.has_doc && text_is(o.doc, "{\"k\":1,\"k\":2}"));
}

Test(text_objects, unknown_field)
{
	rejects(&codec_Point_type, "{\"x\":1,\"z\":2,\"y\":3}", NULL, "unknown field", "z");
	rejects(&codec_Point_type, "{\"X\":1,\"y\":3}", NULL, "unknown field", "X");
	rejects(&codec_Point_type, "{\"\\u00e9\":1}", NULL, "unknown field", "\xc3\xa9");
	rejects(&codec_Optionals_type, "{\"at\":{\"x\":1,\"y\":2,\"w\":null}}", NULL, "unknown field",
	        "at.w");
}

Test(text_objects, missing_required_field)
{
	rejects(&codec_Point_type, "{\"x\":1}", NULL, "missing required field", "y");
	rejects(&codec_Point_type, "{}", NULL, "missing required field", "x");
	rejects(&codec_Node_type, "{\"label\":\"a\",\"kids\":[{\"kids\":[]}]}", NULL,
	        "missing required field", "kids[0].label");
}

/* ---- lists and maps ------------------------------------------------------- */

/* "[0,1,...,n-1]" (malloc). */
static char *
int_list(int n)
{
	text_buf b;
	tb_open(&b);
	tb_add(&b, "[");
	for (int i = 0; i < n; i++)
		tb_add(&b, "%s%d", i ? "," : "", i);
	tb_add(&b, "]");
	return tb_close(&b);
}

Test(text_lists, long_lists_decode_whole_and_in_order)
{
	const lv_type *ints = ftype(&codec_Defaults_type, "primes");
	char *text = int_list(10000);
	lv_int_list l;
	cr_assert_eq(decode(ints, text, &l, NULL), 0, "%s at %s", err.message, err.path);
	free(text);
	cr_assert_eq(l.n, 10000);
	size_t bad = 0;
	for (size_t i = 0; i < l.n; i++)
		bad += l.items[i] != (int64_t)i;
	cr_expect_eq(bad, 0);

	text_buf b;
	tb_open(&b);
	tb_add(&b, "[");
	for (int i = 0; i < 1000; i++)
		tb_add(&b, "%s{\"x\":%d,\"y\":%d.5}", i ? "," : "", i, -i);
	tb_add(&b, "]");
	text = tb_close(&b);
	codec_Point_list pts;
	cr_assert_eq(decode(ftype(&codec_Everything_type, "points"), text, &pts, NULL), 0,
	             "%s at %s", err.message, err.path);
	free(text);
	cr_assert_eq(pts.n, 1000);
	bad = 0;
	for (size_t i = 0; i < pts.n; i++)
		bad += pts.items[i].x != (double)i || pts.items[i].y != -(double)i + (i ? -0.5 : 0.5);
	cr_expect_eq(bad, 0);

	/* Lists of lists, each grown on its own. */
	tb_open(&b);
	tb_add(&b, "[");
	for (int i = 0; i < 100; i++) {
		tb_add(&b, "%s[", i ? "," : "");
		for (int k = 0; k < i; k++)
			tb_add(&b, "%s%d", k ? "," : "", i * 1000 + k);
		tb_add(&b, "]");
	}
	tb_add(&b, "]");
	text = tb_close(&b);
	lv_int_list_list grid;
	cr_assert_eq(decode(ftype(&codec_Everything_type, "grid"), text, &grid, NULL), 0,
	             "%s at %s", err.message, err.path);
	free(text);
	cr_assert_eq(grid.n, 100);
	bad = 0;
	for (size_t i = 0; i < grid.n; i++) {
		bad += grid.items[i].n != i;
		for (size_t k = 0; k < grid.items[i].n && k < i; k++)
			bad += grid.items[i].items[k] != (int64_t)(i * 1000 + k);
	}
	cr_expect_eq(bad, 0);

	/* Strings in a long list, each its own. */
	tb_open(&b);
	tb_add(&b, "[");
	for (int i = 0; i < 3000; i++)
		tb_add(&b, "%s\"s%d\\u00e9\"", i ? "," : "", i);
	tb_add(&b, "]");
	text = tb_close(&b);
	lv_str_list tags;
	cr_assert_eq(decode(ftype(&codec_Everything_type, "tags"), text, &tags, NULL), 0,
	             "%s at %s", err.message, err.path);
	free(text);
	cr_assert_eq(tags.n, 3000);
	bad = 0;
	for (size_t i = 0; i < tags.n; i++) {
		char want[32];
		snprintf(want, sizeof want, "s%zu\xc3\xa9", i);
		bad += strcmp(tags.items[i].ptr, want) != 0 || tags.items[i].len != strlen(want);
	}
	cr_expect_eq(bad, 0);
}

Test(text_lists, empty_lists_and_maps)
{
	lv_int_list l = { 5, NULL };
	cr_assert_eq(decode(ftype(&codec_Defaults_type, "primes"), "[]", &l, NULL), 0);
	cr_expect_eq(l.n, 0);
	lv_int_map m = { 5, NULL, NULL };
	cr_assert_eq(decode(ftype(&codec_Everything_type, "scores"), " { } ", &m, NULL), 0);
	cr_expect_eq(m.n, 0);
}

Test(text_lists, items_limit)
{
	const lv_type *ints = ftype(&codec_Defaults_type, "primes");
	const lv_type *scores = ftype(&codec_Everything_type, "scores");
	lv_limits two = { .max_items = 2 };
	lv_int_list l;
	cr_expect_eq(decode(ints, "[1,2]", &l, &two), 0, "%s", err.message);
	rejects(ints, "[1,2,3]", &two, "list longer than 2 items", "");
	rejects(ints, "[1,2,3,4,5,6,7,8,9]", &two, "list longer than 2 items", "");
	lv_int_map m;
	cr_expect_eq(decode(scores, "{\"a\":1,\"b\":2}", &m, &two), 0, "%s", err.message);
	rejects(scores, "{\"a\":1,\"b\":2,\"c\":3}", &two, "map larger than 2 entries", "");
	rejects(&codec_Optionals_type, "{\"tags\":[\"a\",\"b\",\"c\"]}", &two,
	        "list longer than 2 items", "tags");
	rejects(&codec_Optionals_type, "{\"scores\":{\"a\":1,\"b\":2,\"c\":3}}", &two,
	        "map larger than 2 entries", "scores");

	/* At and past a large limit. */
	lv_limits big = { .max_items = 10000 };
	char *text = int_list(10000);
	cr_expect_eq(decode(ints, text, &l, &big), 0, "%s", err.message);
	free(text);
	text = int_list(10001);
	rejects(ints, text, &big, "list longer than 10000 items", "");
	free(text);
	/* The default limit is 100000. */
	text = int_list(100001);
	rejects(ints, text, NULL, "list longer than 100000 items", "");
	free(text);
	text = many_keys(100001, -1);
	rejects(scores, text, NULL, "map larger than 100000 entries", "");
	free(text);
}

Test(text_lists, depth_limit)
{
	lv_limits one = { .max_depth = 1 };
	lv_int_list_list g;
	cr_expect_eq(decode(ftype(&codec_Everything_type, "grid"), "[[]]", &g, &one), 0,
	             "%s", err.message);
	rejects(ftype(&codec_Everything_type, "grid"), "[[1]]", &one, "nested deeper than 1 levels",
	        "[0][0]");
	/* A chain of 40 Nodes passes the default of 32. */
	text_buf b;
	tb_open(&b);
	for (int i = 0; i < 40; i++)
		tb_add(&b, "{\"label\":\"n\",\"kids\":[");
	for (int i = 0; i < 40; i++)
		tb_add(&b, "]}");
	char *text = tb_close(&b);
	codec_Node n;
	cr_expect_eq(decode(&codec_Node_type, text, &n, NULL), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "nested deeper than 32 levels");
	free(text);
}

/* ---- json values ---------------------------------------------------------------- */

/* Decodes text as json: the value is the text as sent (whitespace
 * around it left out), and jansson reads the same JSON from both. */
static void
json_is(const lv_type *t, const char *text)
{
	size_t n = strlen(text), at = 0;
	lv_json j = { NULL, 0 };
	cr_assert_eq(decode(t, text, &j, NULL), 0, "%s: %s", show(text, n), err.message);
	while (at < n && strchr(" \t\r\n", text[at]))
		at++;
	while (n > at && strchr(" \t\r\n", text[n - 1]))
		n--;
	cr_assert_not_null(j.ptr, "%s gave NULL", show(text, strlen(text)));
	cr_expect(j.len == n - at && memcmp(j.ptr, text + at, j.len) == 0 && j.ptr[j.len] == '\0',
	          "%s gave %s", show(text, strlen(text)), show(j.ptr, j.len));
	json_error_t jerr;
	json_t *want = json_loads(text, PARSE_FLAGS, &jerr);
	cr_assert_not_null(want, "%s: jansson: %s", show(text, strlen(text)), jerr.text);
	json_t *got = jload(j);
	cr_expect(json_equal(got, want), "%s: jansson reads another value", show(text, strlen(text)));
	json_decref(got);
	json_decref(want);
}

Test(text_json, any_value)
{
	static const char *const texts[] = {
		"null", "true", "false", "0", "-1", "1.5", "-0.0", "1e2", "-2.5E-3",
		"9223372036854775807", "-9223372036854775808", "1.7976931348623157e308",
		"\"\"", "\"text\"", "\"\\u00e9\\ud83d\\ude00\\n\\\"\\\\\\/\"", "\"\xe2\x98\x83\"",
		"[]", "{}", "[[]]", "{\"\":{}}", " [ 1 , 2 ] ",
		"[1,\"two\",null,{\"a\":[true,false]}]",
		"{\"nested\":{\"deep\":[[[]]]},\"n\":1,\"s\":\"x\",\"f\":0.25,\"b\":false,\"z\":null}",
		"{\"a\\\"b\":\"c\",\"\\u00e9\":[]}",
	};
	for (size_t i = 0; i < N(texts); i++)
		json_is(&lv_json_type, texts[i]);
	/* Integers stay integers and reals reals: the text is not rewritten. */
	lv_json j = { NULL, 0 };
	cr_assert_eq(decode(&lv_json_type, "[1,1.0,1e0,-0]", &j, NULL), 0);
	cr_expect(text_is(j, "[1,1.0,1e0,-0]"), "got %s", j.ptr);
	/* Integers past int64, and reals past a double's precision, are kept
	 * exactly (a json_t once turned them into doubles or refused them). */
	static const char *const exact[] = {
		"9223372036854775808", "-9223372036854775809", "123456789012345678901234567890",
		"[18446744073709551616,0.1000000000000000000000001]",
		"{\"id\":99999999999999999999}", "1e400",
	};
	for (size_t i = 0; i < N(exact); i++) {
		cr_expect_eq(decode(&lv_json_type, exact[i], &j, NULL), 0, "%s: %s", exact[i],
		             err.message);
		cr_expect(text_is(j, exact[i]), "%s gave %s", exact[i], j.ptr);
		char *again = encode_text(&lv_json_type, &j);
		cr_expect_str_eq(again, exact[i]);
		free(again);
	}
}

Test(text_json, inside_typed_values)
{
	codec_Optionals o;
	cr_assert_eq(decode(&codec_Optionals_type, "{\"doc\":{\"k\":[1,{\"m\":null}]}}", &o, NULL),
	             0, "%s at %s", err.message, err.path);
	cr_assert(o.has_doc);
	cr_expect(text_is(o.doc, "{\"k\":[1,{\"m\":null}]}"), "doc is %s", o.doc.ptr);
	lv_json_list docs;
	cr_assert_eq(decode(ftype(&codec_Everything_type, "docs"),
	                    "[null,7,\"s\",[],{\"k\":[]}]", &docs, NULL), 0, "%s", err.message);
	cr_assert_eq(docs.n, 5);
	static const char *const each[] = { "null", "7", "\"s\"", "[]", "{\"k\":[]}" };
	/* null inside a list is a value too: its text, "null". */
	for (size_t i = 0; i < docs.n; i++)
		cr_expect(text_is(docs.items[i], each[i]), "docs[%zu] is %s", i, docs.items[i].ptr);
}

/* A json value may nest far deeper than typed values (max_depth), up to
 * the parser's own bound of about a thousand levels. */
Test(text_json, deep_nesting)
{
	char text[2 * 500 + 1];
	memset(text, '[', 500);
	memset(text + 500, ']', 500);
	text[1000] = '\0';
	json_is(&lv_json_type, text);
	codec_Optionals o;
	text_buf b;
	tb_open(&b);
	tb_add(&b, "{\"doc\":%s}", text);
	char *field = tb_close(&b);
	cr_expect_eq(decode(&codec_Optionals_type, field, &o, NULL), 0, "%s at %s", err.message,
	             err.path);
	free(field);

	static const size_t too_deep[] = { 2000, 100000 };
	for (size_t i = 0; i < N(too_deep); i++) {
		size_t n = too_deep[i];
		char *deep = malloc(2 * n + 1);
		cr_assert_not_null(deep);
		memset(deep, '[', n);
		memset(deep + n, ']', n);
		deep[2 * n] = '\0';
		lv_json j = { NULL, 0 };
		cr_expect_eq(decode(&lv_json_type, deep, &j, NULL), LV_EINVALID_ARGUMENT, "%zu levels", n);
		unsigned long at = 0;
		char what[64] = "";
		int got = sscanf(err.message, "malformed JSON at byte %lu: %63[^\n]", &at, what);
		cr_expect(got == 2 && strcmp(what, "nested too deeply") == 0 && at >= 500 && at < n,
		          "%zu levels: %s", n, err.message);
		/* Unclosed, the depth is still what is refused first. */
		deep[n] = '\0';
		cr_expect_eq(decode(&lv_json_type, deep, &j, NULL), LV_EINVALID_ARGUMENT);
		cr_expect(strstr(err.message, ": nested too deeply") != NULL, "%zu open: %s", n,
		          err.message);
		free(deep);
	}
	/* Objects count too. */
	tb_open(&b);
	for (int i = 0; i < 3000; i++)
		tb_add(&b, "{\"a\":");
	tb_add(&b, "1");
	for (int i = 0; i < 3000; i++)
		tb_add(&b, "}");
	char *objs = tb_close(&b);
	lv_json j = { NULL, 0 };
	cr_expect_eq(decode(&lv_json_type, objs, &j, NULL), LV_EINVALID_ARGUMENT);
	cr_expect(strstr(err.message, ": nested too deeply") != NULL, "%s", err.message);
	free(objs);
}

/* json values are text in the arena: they outlive the input, and go with
 * the arena (ASan sees a leak or a use after free). */
Test(text_json, text_lives_in_the_arena)
{
	lv_arena a;
	lv_arena_init(&a);
	static const char text[] =
		"{\"doc\":{\"a\":[1,2]},\"tags\":[\"t\"],\"at\":{\"x\":0,\"y\":0}}";
	codec_Optionals o;
	cr_assert_eq(lv_decode(&codec_Optionals_type, text, sizeof text - 1, &o, &a, NULL, &err),
	             0, "%s at %s", err.message, err.path);
	lv_json_list docs;
	static const char list[] = "[[1],{\"b\":{}},\"s\"]";
	cr_assert_eq(lv_decode(ftype(&codec_Everything_type, "docs"), list, sizeof list - 1,
	                            &docs, &a, NULL, &err), 0, "%s", err.message);
	cr_assert(o.has_doc);
	cr_assert_eq(docs.n, 3);
	const lv_json held[] = { o.doc, docs.items[0], docs.items[1], docs.items[2] };
	static const char *const want[] = { "{\"a\":[1,2]}", "[1]", "{\"b\":{}}", "\"s\"" };
	for (size_t i = 0; i < N(held); i++) {
		cr_expect(text_is(held[i], want[i]), "value %zu is %s", i, held[i].ptr);
		/* Not in the caller's text: in the arena's copy. */
		cr_expect(!(held[i].ptr >= text && held[i].ptr < text + sizeof text) &&
		          !(held[i].ptr >= list && held[i].ptr < list + sizeof list), "value %zu", i);
	}
	cr_expect_geq(a.used, sizeof text + sizeof list);
	lv_arena_free(&a);
	cr_expect_null(a.head);
	cr_expect_eq(a.used, 0);
}

/* A decode that fails after json values were taken leaves nothing
 * outside the arena (a leak here shows under ASan). */
Test(text_json, released_when_decoding_fails)
{
	codec_Optionals o;
	cr_expect_eq(decode(&codec_Optionals_type, "{\"doc\":{\"a\":[1,2]},\"count\":\"x\"}", &o, NULL),
	             LV_EINVALID_ARGUMENT);
	cr_expect_eq(decode(&codec_Optionals_type, "{\"doc\":{\"a\":[1,2]},\"count\":", &o, NULL),
	             LV_EINVALID_ARGUMENT);
	cr_expect_eq(decode(&codec_Optionals_type, "{\"doc\":{\"a\":[1,{\"b\":\"c\",", &o, NULL),
	             LV_EINVALID_ARGUMENT);
	lv_json j = { NULL, 0 };
	cr_expect_eq(decode(&lv_json_type, "[1,[2,[3,{\"k\":\"v\"}]],tru]", &j, NULL),
	             LV_EINVALID_ARGUMENT);
	cr_expect_eq(decode(&lv_json_type, "{\"a\":[\"x\",\"y\"],\"a\":}", &j, NULL),
	             LV_EINVALID_ARGUMENT);
	cr_expect_null(j.ptr);
}

/* jansson's allocations, counted: what is still allocated. */
static long live_blocks;

static void *
counting_malloc(size_t n)
{
	void *p = malloc(n);
	if (p)
		live_blocks++;
	return p;
}

static void
counting_free(void *p)
{
	if (p)
		live_blocks--;
	free(p);
}

/* Decoding text makes no jansson value at all, whole or cut short by an
 * error: json values are text (once each was a json_t that the arena had
 * to release). (Not lv_decode_jansson, which parses and dumps with
 * jansson.) */
Test(text_json, nothing_left_after_the_arena)
{
	json_set_alloc_funcs(counting_malloc, counting_free);
	static const struct { const lv_type *t; const char *text; } cases[] = {
		{ &lv_json_type, "{\"a\":[1,\"two\",{\"b\":null}],\"c\":1.5}" },
		{ &codec_Optionals_type, "{\"doc\":{\"k\":[1,2]},\"name\":\"n\"}" },
		{ &codec_Optionals_type, "{\"doc\":{\"k\":[1,2]},\"count\":\"x\"}" },
		{ &codec_Optionals_type, "{\"doc\":{\"k\":[1,2]},\"count\":" },
		{ &codec_Optionals_type, "{\"doc\":{\"k\":[1,{\"b\":\"c\"," },
		{ &codec_Optionals_type, "{\"doc\":[1],\"doc\":[2]}" },
		{ &lv_json_type, "[1,[2,[3,{\"k\":\"v\"}]],tru]" },
		{ &lv_json_type, "{\"a\":[\"x\",\"y\"],\"a\":1}" },
		{ &lv_json_type, "{\"a\":\"\\ud800\"}" },
		{ NULL, "[null,{\"k\":[]},\"s\",[1]]" },
		{ NULL, "[null,{\"k\":[]},\"s\",[1],{\"a\":1,\"a\":2}]" },
	};
	long before = live_blocks;
	for (size_t i = 0; i < N(cases); i++) {
		const lv_type *t = cases[i].t ? cases[i].t : ftype(&codec_Everything_type, "docs");
		decode(t, cases[i].text, room(t), NULL);
		cr_expect_eq(live_blocks, before, "%s: %ld jansson blocks", cases[i].text,
		             live_blocks - before);
	}
	char deep[4001];
	memset(deep, '[', 2000);
	memset(deep + 2000, ']', 2000);
	deep[4000] = '\0';
	decode(&lv_json_type, deep, room(&lv_json_type), NULL);
	deep[2000] = '\0';
	decode(&lv_json_type, deep, room(&lv_json_type), NULL);
	lv_arena_free(&arena);
	lv_arena_init(&arena);
	cr_expect_eq(live_blocks, before, "%ld jansson blocks left", live_blocks - before);
}

/* ---- lv_decode and lv_decode_jansson agree ------------------------------------ */

/* Everything, with the fields X written in (count, color, at, maybe and
 * any others), the rest as in test_codec.c. */
#define EV(x) \
	"{\"flag\":true," x ",\"ratio\":0.5,\"name\":\"n\",\"blob\":\"Zm9v\"," \
	"\"doc\":{\"a\":[1,2]},\"tags\":[\"a\",\"b\"],\"scores\":{\"a\":1}," \
	"\"points\":[{\"x\":1,\"y\":2},{\"x\":3,\"y\":4}],\"by_name\":{\"p\":{\"x\":0,\"y\":0}}," \
	"\"grid\":[[1,2],[]],\"routes\":{\"north\":[{\"x\":0,\"y\":0},{\"x\":0,\"y\":1}]}," \
	"\"colors\":[\"red\",\"green\"],\"blobs\":[\"\",\"Zg==\"],\"docs\":[null,\"x\"]," \
	"\"switches\":{\"on\":true},\"ratios\":[0.25]}"
#define CAM "\"color\":\"blue\",\"at\":{\"x\":1,\"y\":2},\"maybe\":{}"

typedef struct {
	const lv_type *t;
	const char *text;
	lv_limits lim;
} agree_case;

static void
agrees(const agree_case *c)
{
	const char *in = c->text;
	json_error_t jerr;
	json_t *j = json_loads(in, PARSE_FLAGS, &jerr);
	cr_assert_not_null(j, "jansson refuses %s: %s", in, jerr.text);

	lv_error e1, e2;
	void *v1 = room(c->t), *v2 = room(c->t);
	size_t n = strlen(in);
	char *copy = malloc(n);
	cr_assert_not_null(copy);
	memcpy(copy, in, n);
	int rc1 = lv_decode(c->t, copy, n, v1, &arena, &c->lim, &e1);
	memset(copy, 0, n);
	free(copy);
	int rc2 = lv_decode_jansson(c->t, j, v2, &arena, &c->lim, &e2);
	json_decref(j);

	cr_expect_eq(rc1, rc2, "%s as %s: text %d (%s at '%s'), json %d (%s at '%s')", in,
	             c->t->name, rc1, e1.message, e1.path, rc2, e2.message, e2.path);
	cr_expect_str_eq(e1.message, e2.message, "%s as %s", in, c->t->name);
	cr_expect_str_eq(e1.path, e2.path, "%s as %s", in, c->t->name);
	if (rc1 == 0 && rc2 == 0) {
		/* The same values; a json value holds its text as sent on one side
		 * and as jansson writes it again on the other ("\u00e9" or "é"),
		 * so the encodings are compared as JSON. */
		char *t1 = encode_text(c->t, v1), *t2 = encode_text(c->t, v2);
		cr_assert(t1 && t2);
		json_t *j1 = json_loads(t1, JSON_DECODE_ANY, NULL), *j2 = json_loads(t2, JSON_DECODE_ANY, NULL);
		cr_expect(j1 && j2 && json_equal(j1, j2), "%s as %s: %s and %s", in, c->t->name, t1, t2);
		json_decref(j1);
		json_decref(j2);
		free(t1);
		free(t2);
	}
}

Test(text_agree, on_a_battery_of_inputs)
{
	const lv_type *ev = &codec_Everything_type, *opt = &codec_Optionals_type;
	const lv_type *def = &codec_Defaults_type, *node = &codec_Node_type;
	const agree_case cases[] = {
		/* Everything */
		{ ev, EV("\"count\":42," CAM), { 0 } },
		{ ev, EV("\"count\":-0," CAM), { 0 } },
		{ ev, EV("\"count\":1.5," CAM), { 0 } },
		{ ev, EV("\"count\":1.0," CAM), { 0 } },
		{ ev, EV("\"count\":1e19," CAM), { 0 } },
		{ ev, EV("\"count\":\"1\"," CAM), { 0 } },
		{ ev, EV("\"count\":null," CAM), { 0 } },
		{ ev, EV(CAM), { 0 } },
		{ ev, EV("\"count\":1,\"colour\":\"red\"," CAM), { 0 } },
		{ ev, EV("\"count\":1,\"color\":\"purple\",\"at\":{\"x\":1,\"y\":2},\"maybe\":{}"), { 0 } },
		{ ev, EV("\"count\":1,\"color\":\"red\",\"at\":{\"x\":1,\"y\":\"a\"},\"maybe\":{}"), { 0 } },
		{ ev, EV("\"count\":1,\"color\":\"red\",\"at\":[1,2],\"maybe\":{}"), { 0 } },
		{ ev, EV("\"count\":1,\"color\":\"red\",\"at\":{\"x\":1,\"y\":2},"
		         "\"maybe\":{\"count\":null,\"at\":{\"x\":-1,\"y\":2.5},\"tags\":[]}"), { 0 } },
		{ ev, EV("\"count\":1,\"color\":\"red\",\"at\":{\"x\":1,\"y\":2},\"maybe\":1.5"), { 0 } },
		{ ev, EV("\"count\":42," CAM), { .max_depth = 3 } },
		{ ev, EV("\"count\":42," CAM), { .max_depth = 4 } },
		{ ev, EV("\"count\":42," CAM), { .max_items = 1 } },
		{ ev, EV("\"count\":42," CAM), { .max_string = 1 } },
		/* Optionals */
		{ opt, "{}", { 0 } },
		{ opt, "{\"count\":null,\"ratio\":null,\"flag\":null,\"name\":null,\"blob\":null,"
		       "\"doc\":null,\"color\":null,\"at\":null,\"tags\":null,\"scores\":null}", { 0 } },
		{ opt, "{\"count\":0,\"ratio\":0.0,\"flag\":false,\"name\":\"\",\"blob\":\"\","
		       "\"doc\":0,\"color\":\"red\",\"at\":{\"x\":0.0,\"y\":0.0},\"tags\":[],"
		       "\"scores\":{}}", { 0 } },
		{ opt, "{\"tags\":[\"a\",1]}", { 0 } },
		{ opt, "{\"scores\":{\"a\":1,\"b\":1.5}}", { 0 } },
		{ opt, "{\"name\":\"\\u00e9\\ud83d\\ude00 \\\"q\\\"\",\"ratio\":0.1}", { 0 } },
		{ opt, "{\"doc\":[1,{\"a\":null},\"\\u00e9\"]}", { 0 } },
		{ opt, "{\"blob\":\"Zm9\"}", { 0 } },
		{ opt, "{\"color\":\"Red\"}", { 0 } },
		/* Defaults */
		{ def, "{\"nothing\":null}", { 0 } },
		{ def, "{\"nothing\":null,\"retries\":null}", { 0 } },
		{ def, "{\"nothing\":1,\"primes\":[1,\"x\"]}", { 0 } },
		{ def, "{\"nothing\":[],\"retries\":0,\"ratio\":-1,\"on\":false,\"color\":\"red\","
		       "\"grid\":[[7]],\"maybe_count\":null,\"maybe_color\":\"green\"}", { 0 } },
		/* Node */
		{ node, "{\"label\":\"root\",\"kids\":[{\"label\":\"a\",\"kids\":[]},"
		        "{\"label\":\"b\",\"kids\":[],\"parent\":{\"label\":\"gp\",\"kids\":[]}}]}", { 0 } },
		{ node, "{\"kids\":[]}", { 0 } },
		{ node, "{\"label\":\"a\",\"kids\":[{\"label\":1,\"kids\":[]}]}", { 0 } },
		{ node, "{\"label\":\"a\",\"kids\":[{\"label\":\"b\",\"kids\":[{\"label\":\"c\","
		        "\"kids\":[]}]}]}", { .max_depth = 4 } },
		/* Single values */
		{ &codec_Point_type, "{\"x\":1}", { 0 } },
		{ &codec_Point_type, "{\"y\":1e-3,\"x\":-0.5}", { 0 } },
		{ &codec_Color_type, "\"green\"", { 0 } },
		{ &codec_Color_type, "\"\"", { 0 } },
		{ &lv_int_type, "9223372036854775807", { 0 } },
		{ &lv_int_type, "-9223372036854775808", { 0 } },
		{ &lv_float_type, "0.1", { 0 } },
		{ &lv_float_type, "12345678901234567", { 0 } },
		{ &lv_str_type, "\"a\\nb\\u0001\"", { 0 } },
		{ &lv_bytes_type, "\"Zm9vYmFy\"", { 0 } },
		{ &lv_bool_type, "null", { 0 } },
		{ &lv_json_type, "{\"a\":[1,2.5,\"x\",null,true]}", { 0 } },
		{ ftype(ev, "scores"), "{\"a\":1,\"b\":2}", { 0 } },
		{ ftype(ev, "routes"), "{\"r\":[{\"x\":1,\"y\":2}],\"s\":[]}", { 0 } },
		{ ftype(ev, "routes"), "{\"r\":[{\"x\":1,\"y\":2},{\"x\":1}]}", { 0 } },
	};
	for (size_t i = 0; i < N(cases); i++)
		agrees(&cases[i]);
}

/* ---- named arguments from text ---------------------------------------------- */

static const lv_type *
args_of(const char *name)
{
	const lv_endpoint *ep = lv_app_find(&codec_app, name, strlen(name));
	cr_assert_not_null(ep, "no endpoint %s", name);
	return ep->args;
}

static const lv_field *
field(const lv_type *t, const char *name)
{
	for (uint32_t i = 0; i < t->nfields; i++)
		if (strcmp(t->fields[i].name, name) == 0)
			return &t->fields[i];
	cr_assert_fail("type %s has no field %s", t->name, name);
	return NULL;
}

#define ARG(buf, args, name, T) (*(T *)((char *)(buf) + field((args), (name))->offset))
#define HAS(buf, args, name) (*(bool *)((char *)(buf) + field((args), (name))->has_offset))

Test(text_fields, null_text_is_an_empty_object)
{
	const lv_type *args = args_of("configure");
	void *buf = room(args);
	cr_expect_eq(decode_fields(args, NULL, buf), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "missing required field");
	cr_expect_str_eq(err.path, "name");

	const lv_type *poke = args_of("poke");
	buf = room(poke);
	cr_assert_eq(decode_fields(poke, NULL, buf), 0, "%s at %s", err.message, err.path);
	cr_expect_eq(ARG(buf, poke, "times", int64_t), 1);
	cr_expect_not(HAS(buf, poke, "why"));
	/* The same as an empty object, and as lv_decode_fields_jansson with NULL. */
	void *b2 = room(poke), *b3 = room(poke);
	cr_assert_eq(decode_fields(poke, "{}", b2), 0, "%s", err.message);
	cr_assert_eq(lv_decode_fields_jansson(poke, NULL, b3, &arena, NULL, &err), 0, "%s", err.message);
	char *t1 = encode_text(poke, buf), *t2 = encode_text(poke, b2), *t3 = encode_text(poke, b3);
	cr_expect_str_eq(t1, t2);
	cr_expect_str_eq(t1, t3);
	free(t1);
	free(t2);
	free(t3);
}

Test(text_fields, arguments_from_text)
{
	const lv_type *args = args_of("configure");
	void *buf = room(args);
	cr_assert_eq(decode_fields(args, " {\"name\":\"x\\u00e9\",\"at\":{\"x\":1,\"y\":2}} ", buf), 0,
	             "%s at %s", err.message, err.path);
	cr_expect_str_eq(ARG(buf, args, "name", lv_str).ptr, "x\xc3\xa9");
	cr_expect_eq(ARG(buf, args, "retries", int64_t), 3);
	cr_expect_eq(ARG(buf, args, "color", codec_Color), codec_Color_red);
	const codec_Point *at = ARG(buf, args, "at", const codec_Point *);
	cr_assert_not_null(at);
	cr_expect(at->x == 1.0 && at->y == 2.0);
	cr_expect_not(HAS(buf, args, "note"));

	cr_expect_eq(decode_fields(args, "[\"x\"]", buf), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "arguments must be an object of named values, got list");
	cr_expect_str_eq(err.path, "");
	cr_expect_eq(decode_fields(args, "{\"name\":\"x\",\"nmae\":\"y\"}", buf), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "unknown field");
	cr_expect_str_eq(err.path, "nmae");
	cr_expect_eq(decode_fields(args, "{\"name\":\"x\",\"name\":\"y\"}", buf), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "duplicate field");
	cr_expect_str_eq(err.path, "name");
	cr_expect_eq(decode_fields(args, "{\"name\":\"x\",", buf), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "malformed JSON at byte 12: unexpected end of input");
	cr_expect_eq(decode_fields(args, "{\"name\":\"x\"} {}", buf), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "malformed JSON at byte 13: unexpected text after the value");
	cr_expect_str_eq(err.path, "");
}

/* As text_syntax::end_where_a_typed_value_is_expected, for fields. */
Test(text_fields, end_of_text)
{
	const lv_type *args = args_of("configure");
	void *buf = room(args);
	/* Text that is given is parsed, even when there is nothing in it. */
	cr_expect_eq(decode_fields(args, "  ", buf), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "malformed JSON at byte 2: unexpected end of input");
	cr_expect_eq(decode_fields(args, "{\"name\":", buf), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "malformed JSON at byte 8: unexpected end of input");
}

/* ---- lv_arena_on_free --------------------------------------------------------- */

static int calls[8];
static size_t ncalls;

static void
record(void *p)
{
	if (ncalls < N(calls))
		calls[ncalls] = *(int *)p;
	ncalls++;
}

Test(text_arena, callbacks_run_at_free_newest_first)
{
	static int ids[] = { 1, 2, 3 };
	lv_arena a;
	lv_arena_init(&a);
	ncalls = 0;
	cr_assert_eq(lv_arena_on_free(&a, record, &ids[0]), 0);
	cr_assert_not_null(lv_arena_alloc(&a, 100));
	cr_assert_eq(lv_arena_on_free(&a, record, &ids[1]), 0);
	cr_assert_not_null(lv_arena_alloc(&a, 10000));   /* a block of its own */
	cr_assert_eq(lv_arena_on_free(&a, record, &ids[2]), 0);
	cr_expect_eq(ncalls, 0, "called before the arena was freed");
	lv_arena_free(&a);
	cr_assert_eq(ncalls, 3);
	cr_expect(calls[0] == 3 && calls[1] == 2 && calls[2] == 1, "order %d %d %d", calls[0],
	          calls[1], calls[2]);
	/* Freed, the arena is empty: nothing runs twice, and it can be used
	 * again. */
	lv_arena_free(&a);
	cr_expect_eq(ncalls, 3);
	lv_arena_init(&a);
	cr_assert_eq(lv_arena_on_free(&a, record, &ids[0]), 0);
	lv_arena_free(&a);
	cr_expect_eq(ncalls, 4);
	cr_expect_eq(calls[3], 1);
}

Test(text_arena, many_callbacks)
{
	static int id = 7;
	lv_arena a;
	lv_arena_init(&a);
	ncalls = 0;
	for (int i = 0; i < 10000; i++)
		cr_assert_eq(lv_arena_on_free(&a, record, &id), 0);
	lv_arena_free(&a);
	cr_expect_eq(ncalls, 10000);
}
