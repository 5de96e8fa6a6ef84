/* test_str.c - base/str.c and base/status.c: lv_str helpers, numbers in decimal, the table hash and status names. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "base/base.h"

Test(str, cstr_and_equality)
{
	lv_str s = lv_cstr("abc");
	cr_expect(s.len == 3 && strcmp(s.ptr, "abc") == 0);
	lv_str none = lv_cstr(NULL);
	cr_expect(none.ptr && none.len == 0);
	cr_expect(lv_str_eq(s, (lv_str){ "abcd", 3 }));
	cr_expect_not(lv_str_eq(s, (lv_str){ "abd", 3 }));
	cr_expect_not(lv_str_eq(s, (lv_str){ "ab", 2 }));
	cr_expect(lv_str_eq((lv_str){ NULL, 0 }, (lv_str){ "", 0 }));
	cr_expect(lv_str_eq_cstr(s, "abc"));
	cr_expect_not(lv_str_eq_cstr(s, "abcd"));
	cr_expect_not(lv_str_eq_cstr((lv_str){ "a\0b", 3 }, "a"));
	cr_expect(lv_str_eq_cstr((lv_str){ NULL, 0 }, NULL));
}

Test(str, dup_and_free)
{
	char src[] = "x\0y";
	lv_str d = lv_str_dup((lv_str){ src, 3 });
	cr_assert_not_null(d.ptr);
	cr_expect(d.len == 3 && memcmp(d.ptr, "x\0y", 3) == 0 && d.ptr[3] == '\0');
	cr_expect(d.ptr != src);
	lv_str_free(d);
	lv_str e = lv_str_dup((lv_str){ NULL, 0 });
	cr_assert_not_null(e.ptr);
	cr_expect_str_eq(e.ptr, "");
	lv_str_free(e);
}

Test(str, json_text)
{
	lv_json j = lv_json_text("[1]");
	cr_expect(j.len == 3 && strcmp(j.ptr, "[1]") == 0);
	j = lv_json_text(NULL);
	cr_expect(j.ptr == NULL && j.len == 0);
}

static void
dec_is(size_t (*fn)(char *, int64_t), int64_t v, const char *want)
{
	char buf[24];
	size_t n = fn(buf, v);
	buf[n] = '\0';
	cr_expect_str_eq(buf, want);
}

static size_t
i64(char *out, int64_t v)
{
	return lv__i64_dec(out, v);
}

Test(str, decimal)
{
	char buf[24];
	size_t n = lv__u64_dec(buf, UINT64_MAX);
	cr_expect_eq(n, 20);
	buf[n] = '\0';
	cr_expect_str_eq(buf, "18446744073709551615");
	n = lv__u64_dec(buf, 0);
	cr_expect(n == 1 && buf[0] == '0');
	dec_is(i64, 0, "0");
	dec_is(i64, -1, "-1");
	dec_is(i64, 10, "10");
	dec_is(i64, INT64_MAX, "9223372036854775807");
	dec_is(i64, INT64_MIN, "-9223372036854775808");
	dec_is(i64, INT64_MIN + 1, "-9223372036854775807");
}

Test(str, fnv1a_hash)
{
	cr_expect_eq(lv__hash_str(""), 2166136261u);
	cr_expect_eq(lv__hash_str("a"), 0xe40c292cu);
	cr_expect_eq(lv__hash_str("foobar"), 0xbf9cf968u);
	cr_expect_neq(lv__hash_str("ab"), lv__hash_str("ba"));
}

Test(status, messages_and_wire_names)
{
	cr_expect_str_eq(lv_strerror(LV_OK), "success");
	cr_expect_str_eq(lv_errname(LV_OK), "ok");
	cr_expect_str_eq(lv_strerror(12345), "unknown error");
	cr_expect_str_eq(lv_errname(12345), "internal");
	cr_expect_str_eq(lv_errname(LV_EINVALID_ARGUMENT), "invalid_argument");
	cr_expect_str_eq(lv_errname(LV_ENOMEM), "internal");
	cr_expect_str_eq(lv_strerror(LV_DEFERRED), "answer deferred");
	/* Every code has its own message. */
#define LV__CHECK(name, val, wire, msg) \
	cr_expect_str_eq(lv_strerror(LV_E##name), msg); cr_expect_str_eq(lv_errname(LV_E##name), wire);
	LV_ERRNO_MAP(LV__CHECK)
#undef LV__CHECK
}
