/* test_json_read.c - codec/json_read.c: the one-pass JSON reader (lv__jr_*): numbers at the int64 bounds, strings and escapes, structure, nesting limits, errors and where they are. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "codec/codec.h"

static lv_jr r;

static void
init(const char *text)
{
	lv__jr_init(&r, text, strlen(text));
}

/* ---- numbers ------------------------------------------------------------------ */

static lv_jr_num
num(const char *text)
{
	lv_jr_num n;
	init(text);
	cr_assert(lv__jr_number(&r, &n), "%s: %s", text, r.err);
	cr_assert(lv__jr_finish(&r), "%s: %s", text, r.err);
	return n;
}

Test(json_read, integers_at_the_int64_bounds)
{
	lv_jr_num n = num("9223372036854775807");
	cr_expect(n.is_int && !n.big && n.i == INT64_MAX);
	n = num("-9223372036854775808");
	cr_expect(n.is_int && !n.big && n.i == INT64_MIN);
	n = num("9223372036854775806");
	cr_expect(n.i == INT64_MAX - 1 && !n.big);
	n = num("-9223372036854775807");
	cr_expect(n.i == INT64_MIN + 1 && !n.big);
	/* One past each: big, held only as a double. */
	n = num("9223372036854775808");
	cr_expect(n.is_int && n.big);
	cr_expect(n.d == 9223372036854775808.0);
	n = num("-9223372036854775809");
	cr_expect(n.is_int && n.big && n.d == -9223372036854775808.0);
	n = num("18446744073709551615");      /* UINT64_MAX: fits the magnitude, not int64 */
	cr_expect(n.is_int && n.big && n.d == 18446744073709551615.0);
	n = num("18446744073709551616");      /* past the magnitude */
	cr_expect(n.is_int && n.big && n.d == 18446744073709551616.0);
	n = num("-18446744073709551617");
	cr_expect(n.big && n.d < -1.8e19);
	n = num("123456789012345678901234567890");
	cr_expect(n.big && !n.range && fabs(n.d - 1.2345678901234568e29) < 1e14);
}

Test(json_read, small_integers_and_zero)
{
	lv_jr_num n = num("0");
	cr_expect(n.is_int && n.i == 0 && !n.big);
	n = num("-0");
	cr_expect(n.is_int && n.i == 0);
	cr_expect(signbit(n.d), "-0 lost its sign as a double");
	n = num("42");
	cr_expect(n.i == 42 && n.d == 42.0);
	n = num("-7");
	cr_expect(n.i == -7 && n.d == -7.0);
	n = num("9007199254740993");          /* 2^53 + 1: exact as an int */
	cr_expect(n.i == 9007199254740993LL);
}

Test(json_read, reals)
{
	static const struct { const char *text; double d; } cases[] = {
		{ "1.5", 1.5 }, { "-0.25", -0.25 }, { "1e2", 100 }, { "1E2", 100 },
		{ "1e+2", 100 }, { "1e-2", 0.01 }, { "2.5E-3", 0.0025 }, { "0.0", 0 },
		{ "1.0", 1 }, { "0e0", 0 }, { "1.7976931348623157e308", 1.7976931348623157e308 },
		{ "4.9406564584124654e-324", 4.9406564584124654e-324 },
		{ "0.1", 0.1 }, { "1e-400", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		lv_jr_num n = num(cases[i].text);
		cr_expect_not(n.is_int, "%s read as an integer", cases[i].text);
		cr_expect(n.d == cases[i].d, "%s gave %.17g", cases[i].text, n.d);
		cr_expect_not(n.range, "%s", cases[i].text);
	}
	/* Past a double: flagged, not an error. */
	cr_expect(num("1e400").range);
	cr_expect(num("-1e400").range);
	cr_expect(num("1.8e308").range);
}

Test(json_read, long_numbers)
{
	/* Longer than the reader's stack copy: parsed from the heap. */
	char text[400];
	strcpy(text, "1.");
	memset(text + 2, '5', 300);
	text[302] = '\0';
	lv_jr_num n = num(text);
	cr_expect(!n.is_int && fabs(n.d - 1.5555555555555556) < 1e-15, "%.17g", n.d);
	memset(text, '9', 309);
	text[309] = '\0';
	n = num(text);
	cr_expect(n.big && n.range, "1e309 - 1 fits a double?");
	memset(text, '9', 308);
	text[308] = '\0';
	n = num(text);
	cr_expect(n.big && !n.range && n.d > 9.9e307);
}

Test(json_read, bad_numbers)
{
	static const char *const bad[] = {
		"01", "-01", "00", "-", "+1", "--1", "1.", ".5", "-.5", "1.e5", "1e", "1e+",
		"1e-", "1E", "0x10", "-a", "1.5e", "Infinity", "-Infinity",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		lv_jr_num n;
		init(bad[i]);
		bool ok = lv__jr_peek(&r) == LV_JR_NUMBER && lv__jr_number(&r, &n) && lv__jr_finish(&r);
		cr_expect_not(ok, "'%s' accepted", bad[i]);
	}
	lv_jr_num n;
	init("01");
	cr_expect_not(lv__jr_number(&r, &n));
	cr_expect_str_eq(r.err, "invalid number");
	cr_expect_eq(r.err_at, 1);
	/* Check-only reading (out NULL) knows the grammar too. */
	init("1.5e-3");
	cr_expect(lv__jr_number(&r, NULL) && lv__jr_finish(&r));
	init("1.5e");
	cr_expect_not(lv__jr_number(&r, NULL));
}

Test(json_read, only_n_bytes)
{
	lv_jr_num n;
	lv__jr_init(&r, "12345", 3);
	cr_assert(lv__jr_number(&r, &n));
	cr_expect_eq(n.i, 123);
	lv__jr_init(&r, "1.5", 2);
	cr_expect_not(lv__jr_number(&r, &n), "'1.' accepted");
}

/* ---- strings ------------------------------------------------------------------- */

/* Reads a string into buf; returns its length. */
static size_t
str(const char *text, char *buf, size_t cap, bool *nul)
{
	size_t len;
	init(text);
	cr_assert(lv__jr_string(&r, buf, cap, &len, nul), "%s: %s at %zu", text, r.err, r.err_at);
	cr_assert(lv__jr_finish(&r));
	return len;
}

Test(json_read, escapes)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "\"\"", "" }, { "\"plain\"", "plain" },
		{ "\"\\\"\\\\\\/\"", "\"\\/" }, { "\"\\b\\f\\n\\r\\t\"", "\b\f\n\r\t" },
		{ "\"\\u0041\\u0062\"", "Ab" }, { "\"\\u00e9\"", "\xc3\xa9" },
		{ "\"\\u00E9\"", "\xc3\xa9" }, { "\"\\u07ff\\u0800\"", "\xdf\xbf\xe0\xa0\x80" },
		{ "\"\\u20ac\"", "\xe2\x82\xac" }, { "\"\\uffff\"", "\xef\xbf\xbf" },
		{ "\"\\ud83d\\ude00\"", "\xf0\x9f\x98\x80" }, { "\"\\uDBFF\\uDFFF\"", "\xf4\x8f\xbf\xbf" },
		{ "\"\\ud800\\udc00\"", "\xf0\x90\x80\x80" },
		{ "\"raw \xc3\xa9 \xf0\x9f\x98\x80 \x7f\"", "raw \xc3\xa9 \xf0\x9f\x98\x80 \x7f" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[64];
		bool nul = true;
		size_t len = str(cases[i].text, buf, sizeof buf, &nul);
		cr_expect_eq(len, strlen(cases[i].want), "%s", cases[i].text);
		cr_expect_str_eq(buf, cases[i].want, "%s", cases[i].text);
		cr_expect_not(nul);
	}
}

Test(json_read, nul_escape_is_reported)
{
	char buf[8];
	bool nul = false;
	size_t len = str("\"a\\u0000b\"", buf, sizeof buf, &nul);
	cr_expect_eq(len, 3);
	cr_expect(nul);
	cr_expect(memcmp(buf, "a\0b", 3) == 0);
}

Test(json_read, bad_strings)
{
	static const struct { const char *text, *err; size_t at; } cases[] = {
		{ "\"abc", "unexpected end of input", 4 },
		{ "\"a\\", "unexpected end of input", 3 },
		{ "\"\\x\"", "invalid escape", 1 },
		{ "\"\\'\"", "invalid escape", 1 },
		{ "\"\\U0041\"", "invalid escape", 1 },
		{ "\"\\u12g4\"", "invalid \\u escape", 1 },
		{ "\"\\u12", "unexpected end of input", 1 },
		{ "\"\\ud800\"", "invalid \\u escape", 1 },          /* lone high surrogate */
		{ "\"\\udc00\"", "invalid \\u escape", 1 },          /* lone low */
		{ "\"\\ud800\\u0041\"", "invalid \\u escape", 1 },   /* high, then not low */
		{ "\"\\ud800\\ud800\"", "invalid \\u escape", 1 },
		{ "\"\\ud800x\"", "invalid \\u escape", 1 },
		{ "\"a\x01\"", "control character in a string", 2 },
		{ "\"a\nb\"", "control character in a string", 2 },
		{ "\"\xc0\x80\"", "invalid UTF-8", 1 },              /* overlong NUL */
		{ "\"\xed\xa0\x80\"", "invalid UTF-8", 1 },          /* a raw surrogate */
		{ "\"\xf5\x80\x80\x80\"", "invalid UTF-8", 1 },
		{ "\"ab\xc3\"", "invalid UTF-8", 3 },
		{ "'a'", "expected a string", 0 },
		{ "", "unexpected end of input", 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t len;
		init(cases[i].text);
		cr_expect_not(lv__jr_string(&r, NULL, 0, &len, NULL), "%s accepted", cases[i].text);
		cr_expect_str_eq(r.err ? r.err : "(none)", cases[i].err, "%s", cases[i].text);
		cr_expect_eq(r.err_at, cases[i].at, "%s: at %zu", cases[i].text, r.err_at);
	}
}

Test(json_read, unescapes_in_place)
{
	char text[] = "\"a\\n\\u00e9\\ud83d\\ude00z\"";
	size_t len;
	lv__jr_init(&r, text, strlen(text));
	cr_assert(lv__jr_string(&r, text + 1, SIZE_MAX, &len, NULL));
	cr_expect_eq(len, 9);
	cr_expect(memcmp(text + 1, "a\n\xc3\xa9\xf0\x9f\x98\x80z", 9) == 0);
	cr_expect_eq(text[1 + len], '\0');
}

Test(json_read, a_short_buffer_keeps_the_length)
{
	char buf[4] = "zzz";
	bool nul;
	size_t len = str("\"abcdef\"", buf, 3, &nul);
	cr_expect_eq(len, 6);
	cr_expect_str_eq(buf, "ab");
	len = str("\"\\u00e9\\u00e9\"", buf, 3, &nul);
	cr_expect_eq(len, 4);
	cr_expect_eq(buf[2], '\0');
	/* No room at all: only the length. */
	len = str("\"abc\"", NULL, 0, NULL);
	cr_expect_eq(len, 3);
}

/* ---- structure ------------------------------------------------------------------ */

Test(json_read, peek_kinds)
{
	static const struct { const char *text; lv_jr_kind k; } cases[] = {
		{ "{", LV_JR_OBJECT }, { " [", LV_JR_LIST }, { "\"", LV_JR_STRING },
		{ "\t\n\r -1", LV_JR_NUMBER }, { "7", LV_JR_NUMBER }, { "true", LV_JR_BOOL },
		{ "f", LV_JR_BOOL }, { "null", LV_JR_NULL }, { "", LV_JR_END }, { "   ", LV_JR_END },
		{ "x", LV_JR_BAD }, { "+1", LV_JR_BAD }, { ".5", LV_JR_BAD }, { "\v1", LV_JR_BAD },
		{ "\xef\xbb\xbf{}", LV_JR_BAD },   /* no byte order mark */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		init(cases[i].text);
		cr_expect_eq(lv__jr_peek(&r), cases[i].k, "'%s'", cases[i].text);
	}
}

Test(json_read, literals)
{
	bool b = false;
	init(" true ");
	cr_expect(lv__jr_bool(&r, &b) && b && lv__jr_finish(&r));
	init("false");
	cr_expect(lv__jr_bool(&r, &b) && !b && lv__jr_finish(&r));
	init("null");
	cr_expect(lv__jr_null(&r) && lv__jr_finish(&r));
	static const char *const bad[] = { "tru", "trUe", "nul", "nulL", "fals", "t", "f" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		init(bad[i]);
		cr_expect_not(lv__jr_skip(&r, 0), "%s", bad[i]);
		cr_expect_str_eq(r.err, "invalid literal");
	}
	/* A capital is not a literal's first byte at all. */
	init("True");
	cr_expect_not(lv__jr_skip(&r, 0));
	cr_expect_str_eq(r.err, "expected a value");
	init("truex");
	cr_expect(lv__jr_bool(&r, &b));
	cr_expect_not(lv__jr_finish(&r));
	cr_expect_str_eq(r.err, "unexpected text after the value");
	cr_expect_eq(r.err_at, 4);
}

Test(json_read, walks_an_object)
{
	init("{ \"a\" : 1 , \"bb\":[true, null,\"s\"], \"c\":{} }");
	bool first = true, b;
	char key[8];
	size_t len;
	lv_jr_num n;
	cr_assert(lv__jr_open(&r, '{'));
	cr_assert_eq(lv__jr_more(&r, '}', &first), 1);
	cr_assert(lv__jr_string(&r, key, sizeof key, &len, NULL) && lv__jr_colon(&r));
	cr_expect_str_eq(key, "a");
	cr_assert(lv__jr_number(&r, &n));
	cr_expect_eq(n.i, 1);
	cr_assert_eq(lv__jr_more(&r, '}', &first), 1);
	cr_assert(lv__jr_string(&r, key, sizeof key, &len, NULL) && lv__jr_colon(&r));
	cr_expect_str_eq(key, "bb");
	bool lfirst = true;
	cr_assert(lv__jr_open(&r, '['));
	cr_assert_eq(lv__jr_more(&r, ']', &lfirst), 1);
	cr_assert(lv__jr_bool(&r, &b) && b);
	cr_assert_eq(lv__jr_more(&r, ']', &lfirst), 1);
	cr_assert(lv__jr_null(&r));
	cr_assert_eq(lv__jr_more(&r, ']', &lfirst), 1);
	cr_assert(lv__jr_skip(&r, 0));
	cr_assert_eq(lv__jr_more(&r, ']', &lfirst), 0);
	cr_assert_eq(lv__jr_more(&r, '}', &first), 1);
	cr_assert(lv__jr_string(&r, key, sizeof key, &len, NULL) && lv__jr_colon(&r));
	cr_assert(lv__jr_skip(&r, 0));
	cr_assert_eq(lv__jr_more(&r, '}', &first), 0);
	cr_expect(lv__jr_finish(&r));
	/* Empty ones. */
	init("[ ]");
	first = true;
	cr_assert(lv__jr_open(&r, '['));
	cr_expect_eq(lv__jr_more(&r, ']', &first), 0);
	cr_expect(lv__jr_finish(&r));
}

/* Checks text with skip; returns the error ("" if none) and its offset. */
static const char *
skip_err(const char *text, size_t *at)
{
	init(text);
	if (lv__jr_skip(&r, 0) && lv__jr_finish(&r))
		return "";
	*at = r.err_at;
	return r.err;
}

Test(json_read, structural_errors_and_where)
{
	static const struct { const char *text, *err; size_t at; } cases[] = {
		{ "[1,]", "expected a value", 3 },
		{ "[,1]", "expected a value", 1 },
		{ "[1 2]", "expected ',' or ']'", 3 },
		{ "[1,2", "unexpected end of input", 4 },
		{ "{\"a\":1,}", "expected a string key", 7 },
		{ "{\"a\" 1}", "expected ':'", 5 },
		{ "{\"a\":}", "expected a value", 5 },
		{ "{1:2}", "expected a string key", 1 },
		{ "{'a':1}", "expected a string key", 1 },
		{ "{\"a\":1 \"b\":2}", "expected ',' or '}'", 7 },
		{ "{\"a\":1]", "expected ',' or '}'", 6 },
		{ "[1}", "expected ',' or ']'", 2 },
		{ "", "unexpected end of input", 0 },
		{ "  ", "unexpected end of input", 2 },
		{ "1 2", "unexpected text after the value", 2 },
		{ "[] x", "unexpected text after the value", 3 },
		{ "[1,2,x]", "expected a value", 5 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t at = 0;
		const char *e = skip_err(cases[i].text, &at);
		cr_expect_str_eq(e, cases[i].err, "%s", cases[i].text);
		cr_expect_eq(at, cases[i].at, "%s: at %zu", cases[i].text, at);
	}
	size_t at;
	cr_expect_str_eq(skip_err(" \t\r\n{ \"a\" : [ 1 , { } ] }\n ", &at), "");
	/* The reader checks syntax, not repeated names: that is the codec's job
	 * for typed values, and a json value keeps its text as sent. */
	cr_expect_str_eq(skip_err("{\"a\":1,\"a\":2}", &at), "");
}

static char *
nested(size_t depth, char open, char close)
{
	char *s = malloc(2 * depth + 1);
	cr_assert_not_null(s);
	memset(s, open, depth);
	memset(s + depth, close, depth);
	s[2 * depth] = '\0';
	return s;
}

Test(json_read, nesting_limit_is_1024)
{
	size_t at;
	char *ok = nested(1024, '[', ']');
	cr_expect_str_eq(skip_err(ok, &at), "", "1024 levels refused");
	free(ok);
	char *deep = nested(1025, '[', ']');
	cr_expect_str_eq(skip_err(deep, &at), "nested too deeply");
	cr_expect_eq(at, 1024);
	/* Unclosed: the depth is still what is found first. */
	deep[1025] = '\0';
	cr_expect_str_eq(skip_err(deep, &at), "nested too deeply");
	free(deep);
	/* A million levels: refused without a deep stack. */
	char *huge = nested(1000000, '[', ']');
	cr_expect_str_eq(skip_err(huge, &at), "nested too deeply");
	free(huge);
	/* The depth given counts: 1000 deep already, 24 more are allowed. */
	char *some = nested(24, '[', ']');
	init(some);
	cr_expect(lv__jr_skip(&r, 1000));
	free(some);
	some = nested(25, '[', ']');
	init(some);
	cr_expect_not(lv__jr_skip(&r, 1000));
	free(some);
	/* Objects count as levels too. */
	char text[1026 * 6 + 8] = "";
	size_t n = 0;
	for (int i = 0; i < 1025; i++)
		n += (size_t)sprintf(text + n, "{\"a\":");
	text[n++] = '1';
	memset(text + n, '}', 1025);
	text[n + 1025] = '\0';
	cr_expect_str_eq(skip_err(text, &at), "nested too deeply");
}

Test(json_read, the_first_error_sticks)
{
	init("[1,x] trailing");
	cr_expect_not(lv__jr_skip(&r, 0));
	cr_expect_str_eq(r.err, "expected a value");
	cr_expect_eq(r.err_at, 3);
	cr_expect(r.p == r.end, "the reader did not stop");
	/* Later reads fail, and keep the first error. */
	bool b;
	cr_expect_not(lv__jr_bool(&r, &b));
	cr_expect_not(lv__jr_fail(&r, "another"));
	cr_expect_eq(lv__jr_peek(&r), LV_JR_END);
	cr_expect_not(lv__jr_finish(&r));
	cr_expect_str_eq(r.err, "expected a value");
	cr_expect_eq(r.err_at, 3);
}

Test(json_read, nul_bytes_outside_strings)
{
	size_t at;
	lv__jr_init(&r, "[1,\0]", 5);
	cr_expect_not(lv__jr_skip(&r, 0));
	cr_expect_str_eq(r.err, "expected a value");
	lv__jr_init(&r, "1\0", 2);
	cr_expect_not(lv__jr_skip(&r, 0) && lv__jr_finish(&r));
	lv__jr_init(&r, "\"a\0\"", 4);
	cr_expect_not(lv__jr_skip(&r, 0));
	cr_expect_str_eq(r.err, "control character in a string");
	(void)at;
}
