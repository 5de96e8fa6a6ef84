/* test_json_write.c - codec/json_write.c and lv_encode: JSON string literals (escapes, controls, UTF-8) and typed values written from hand-made lv_type tables, read back by the reader. */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "codec/codec.h"

static char *
lit(const char *s, size_t n)
{
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_json_str(&b, s, n);
	cr_assert_not(b.failed);
	cr_assert_eq(strlen(b.data), b.len);
	return b.data;
}

Test(json_write, escapes)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "", "\"\"" }, { "plain", "\"plain\"" },
		{ "q\"b\\", "\"q\\\"b\\\\\"" }, { "a/b", "\"a/b\"" },
		{ "\n\r\t", "\"\\n\\r\\t\"" }, { "\b\f", "\"\\u0008\\u000c\"" },
		{ "\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"" },
		{ "\xc3\xa9\xe2\x98\x83\xf0\x9f\x98\x80", "\"\xc3\xa9\xe2\x98\x83\xf0\x9f\x98\x80\"" },
		{ "</script>", "\"</script>\"" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *s = lit(cases[i].in, strlen(cases[i].in));
		cr_expect_str_eq(s, cases[i].out);
		free(s);
	}
	char *s = lit("a\0b", 3);
	cr_expect_str_eq(s, "\"a\\u0000b\"");
	free(s);
}

/* Every byte below 0x80, written and read back, is itself. */
Test(json_write, ascii_round_trips_through_the_reader)
{
	char all[128];
	for (int i = 0; i < 128; i++)
		all[i] = (char)i;
	char *s = lit(all, 128);
	lv_jr r;
	char back[129];
	size_t len;
	bool nul;
	lv__jr_init(&r, s, strlen(s));
	cr_assert(lv__jr_string(&r, back, sizeof back, &len, &nul), "%s", r.err);
	cr_assert(lv__jr_finish(&r));
	cr_expect_eq(len, 128);
	cr_expect(nul);
	cr_expect(memcmp(back, all, 128) == 0);
	free(s);
}

Test(json_write, appends)
{
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, "[");
	lv_buf_json_str(&b, "a", 1);
	lv_buf_puts(&b, ",");
	lv_buf_json_str(&b, "\"", 1);
	lv_buf_puts(&b, "]");
	cr_expect_str_eq(b.data, "[\"a\",\"\\\"\"]");
	lv_buf_free(&b);
}

/* ---- lv_encode on tables written by hand ------------------------------------------ */

static lv_error err;

static char *
encode(const lv_type *t, const void *v)
{
	lv_buf b;
	lv_buf_init(&b);
	int rc = lv_encode(&b, t, v, &err);
	if (rc) {
		lv_buf_free(&b);
		return NULL;
	}
	return b.data ? b.data : strdup("");
}

static void
encodes(const lv_type *t, const void *v, const char *want)
{
	char *s = encode(t, v);
	cr_assert_not_null(s, "%s: %s at '%s'", want, err.message, err.path);
	cr_expect_str_eq(s, want);
	free(s);
}

static void
refuses(const lv_type *t, const void *v, const char *message, const char *path)
{
	char *s = encode(t, v);
	cr_expect_null(s, "encoded as %s", s);
	free(s);
	cr_expect_eq(err.code, LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, message);
	cr_expect_str_eq(err.path, path);
}

Test(json_write, ints_at_the_bounds)
{
	static const struct { int64_t v; const char *s; } cases[] = {
		{ 0, "0" }, { -1, "-1" }, { INT64_MAX, "9223372036854775807" },
		{ INT64_MIN, "-9223372036854775808" }, { INT64_MIN + 1, "-9223372036854775807" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		encodes(&lv_int_type, &cases[i].v, cases[i].s);
}

Test(json_write, floats_read_back_as_floats)
{
	static const struct { double v; const char *s; } cases[] = {
		{ 0.0, "0.0" }, { -0.0, "-0.0" }, { 2.0, "2.0" }, { 0.1, "0.10000000000000001" },
		{ 1e21, "1e+21" }, { 5e-324, "4.9406564584124654e-324" },
		{ 1.7976931348623157e308, "1.7976931348623157e+308" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
		encodes(&lv_float_type, &cases[i].v, cases[i].s);
	const double bad[] = { NAN, INFINITY, -INFINITY };
	for (size_t i = 0; i < 3; i++)
		refuses(&lv_float_type, &bad[i], "NaN and infinity have no JSON form", "");
}

Test(json_write, strings_must_be_utf8_without_nul)
{
	lv_str ok = { "\xc3\xa9", 2 };
	encodes(&lv_str_type, &ok, "\"\xc3\xa9\"");
	lv_str empty = { NULL, 0 };
	encodes(&lv_str_type, &empty, "\"\"");
	static const char *const bad[] = { "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "a\xc3" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		lv_str s = { bad[i], strlen(bad[i]) };
		refuses(&lv_str_type, &s, "invalid UTF-8 in a string", "");
	}
	lv_str nul = { "a\0b", 3 };
	refuses(&lv_str_type, &nul, "string contains a NUL character", "");
	lv_str none = { NULL, 2 };
	refuses(&lv_str_type, &none, "string with a length but no data", "");
}

Test(json_write, bytes_and_json)
{
	lv_bytes b = { (const uint8_t *)"\x00\xff", 2 };
	encodes(&lv_bytes_type, &b, "\"AP8=\"");
	lv_json j = lv_json_text("{\"k\": [1, 2]}");
	encodes(&lv_json_type, &j, "{\"k\": [1, 2]}");
	lv_json null = { NULL, 0 };
	encodes(&lv_json_type, &null, "null");
	lv_json bad = lv_json_text("{\"k\":");
	refuses(&lv_json_type, &bad, "json value is not valid JSON text", "");
	lv_json two = lv_json_text("1 2");
	refuses(&lv_json_type, &two, "json value is not valid JSON text", "");
}

/* A struct { int64_t id; bool has_tag; lv_str tag; lv_int_list xs; } and
 * its tables, as lvc would write them. */
typedef struct {
	int64_t id;
	bool has_tag;
	lv_str tag;
	lv_int_list xs;
} rec;

static const lv_type int_list_type = { LV_K_LIST, "list<int>", sizeof(lv_int_list), &lv_int_type,
                                       NULL, 0, NULL, 0 };
static const lv_field rec_fields[] = {
	{ "id", &lv_int_type, offsetof(rec, id), LV_REQUIRED, NULL },
	{ "tag", &lv_str_type, offsetof(rec, tag), offsetof(rec, has_tag), NULL },
	{ "xs", &int_list_type, offsetof(rec, xs), LV_REQUIRED, NULL },
};
static const lv_type rec_type = { LV_K_STRUCT, "Rec", sizeof(rec), NULL, rec_fields, 3, NULL, 0 };

Test(json_write, structs_and_lists)
{
	int64_t xs[] = { 1, INT64_MIN };
	rec v = { 7, false, { "t", 1 }, { 2, xs } };
	encodes(&rec_type, &v, "{\"id\":7,\"xs\":[1,-9223372036854775808]}");
	v.has_tag = true;
	encodes(&rec_type, &v, "{\"id\":7,\"tag\":\"t\",\"xs\":[1,-9223372036854775808]}");
	v.tag = (lv_str){ "\xff", 1 };
	refuses(&rec_type, &v, "invalid UTF-8 in a string", "tag");
	v.tag = (lv_str){ "t", 1 };
	v.xs = (lv_int_list){ 3, NULL };
	refuses(&rec_type, &v, "list with a count but no items", "xs");

	/* And the codec reads back what it wrote, from the same tables. */
	v.xs = (lv_int_list){ 2, xs };
	char *s = encode(&rec_type, &v);
	cr_assert_not_null(s);
	lv_arena a;
	lv_arena_init(&a);
	rec back;
	cr_assert_eq(lv_decode(&rec_type, s, strlen(s), &back, &a, NULL, &err), 0, "%s", err.message);
	cr_expect(back.id == 7 && back.has_tag && back.tag.len == 1 && back.tag.ptr[0] == 't');
	cr_expect(back.xs.n == 2 && back.xs.items[0] == 1 && back.xs.items[1] == INT64_MIN);
	free(s);
	/* One past int64 is refused, not wrapped. */
	static const char big[] = "{\"id\":9223372036854775808,\"xs\":[]}";
	cr_expect_eq(lv_decode(&rec_type, big, strlen(big), &back, &a, NULL, &err),
	             LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.message, "int out of range");
	cr_expect_str_eq(err.path, "id");
	lv_arena_free(&a);
}
