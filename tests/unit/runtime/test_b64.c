/* test_b64.c - base/b64.c: canonical padded base64, encoded and decoded (in place too). */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "base/base.h"

static char *
enc(const void *p, size_t n)
{
	lv_buf b;
	lv_buf_init(&b);
	lv__b64_encode(&b, p, n);
	cr_assert_not(b.failed);
	return b.data ? b.data : strdup("");
}

static size_t
dlen(const char *s)
{
	return lv__b64_decoded_len(s, strlen(s));
}

/* RFC 4648, section 10. */
static const struct { const char *raw, *b64; } rfc[] = {
	{ "", "" }, { "f", "Zg==" }, { "fo", "Zm8=" }, { "foo", "Zm9v" },
	{ "foob", "Zm9vYg==" }, { "fooba", "Zm9vYmE=" }, { "foobar", "Zm9vYmFy" },
};

Test(b64, rfc4648_vectors)
{
	for (size_t i = 0; i < sizeof rfc / sizeof rfc[0]; i++) {
		char *e = enc(rfc[i].raw, strlen(rfc[i].raw));
		cr_expect_str_eq(e, rfc[i].b64);
		free(e);
		size_t n = dlen(rfc[i].b64);
		cr_assert_eq(n, strlen(rfc[i].raw), "%s", rfc[i].b64);
		uint8_t out[8] = { 0 };
		lv__b64_decode(rfc[i].b64, strlen(rfc[i].b64), out);
		cr_expect(memcmp(out, rfc[i].raw, n) == 0, "%s", rfc[i].b64);
	}
}

Test(b64, the_whole_alphabet_and_every_byte)
{
	uint8_t all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	char *e = enc(all, 256);
	cr_expect(strncmp(e, "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g", 44) == 0, "%s", e);
	cr_expect(strstr(e, "+/") || strchr(e, '+'), "no '+' in %s", e);
	cr_expect(strchr(e, '/') != NULL);
	cr_expect_eq(strlen(e), 344);
	free(e);
	/* Round trips at every length, so every padding, over every byte. */
	for (size_t n = 0; n <= 300; n++) {
		uint8_t in[300];
		for (size_t i = 0; i < n; i++)
			in[i] = (uint8_t)(i * 37 + n);
		char *s = enc(in, n);
		cr_assert_eq(strlen(s), (n + 2) / 3 * 4);
		cr_assert_eq(dlen(s), n, "length %zu", n);
		uint8_t out[300];
		lv__b64_decode(s, strlen(s), out);
		cr_expect(n == 0 || memcmp(in, out, n) == 0, "length %zu", n);
		free(s);
	}
}

Test(b64, decodes_in_place)
{
	char s[] = "Zm9vYmFyYg==";
	size_t n = dlen(s);
	cr_assert_eq(n, 7);
	lv__b64_decode(s, strlen(s), (uint8_t *)s);
	cr_expect(memcmp(s, "foobarb", 7) == 0);
}

Test(b64, padding_is_required_and_exact)
{
	static const char *const bad[] = {
		"Zg", "Zg=", "Zm8", "Zm9vYg", "Z", "Zm9vY",      /* unpadded or cut */
		"Zg===", "Zm8==", "Z===", "====", "=", "==",     /* too much padding */
		"Zg==Zg==", "Zm8=Zm8=", "Z=g=", "Zg=a",          /* padding inside */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_eq(dlen(bad[i]), SIZE_MAX, "'%s' accepted", bad[i]);
}

/* One text per value: the bits the padding leaves over must be zero. */
Test(b64, leftover_bits_must_be_zero)
{
	static const char *const bad[] = { "Zh==", "Zv==", "Zm9=", "Zm+=", "Zm9vYh==", "AB==", "AAB=" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_eq(dlen(bad[i]), SIZE_MAX, "'%s' accepted", bad[i]);
	static const char *const ok[] = { "Zg==", "Zw==", "Zm8=", "Zm0=", "AA==", "AAA=" };
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		cr_expect_neq(dlen(ok[i]), SIZE_MAX, "'%s' refused", ok[i]);
}

Test(b64, only_the_standard_alphabet)
{
	static const char *const bad[] = {
		"Zm9v\n", "Zm9v Zm9v", " Zm9v", "Zm-v", "Zm_v", "Zm9v\r\n", "Zm\0v", "Zm9\x80",
		"Zm.v", "Zm9v====",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_eq(lv__b64_decoded_len(bad[i], i == 6 ? 4 : strlen(bad[i])), SIZE_MAX,
		             "case %zu accepted", i);
	cr_expect_eq(dlen("+/+/"), 3);
	cr_expect_eq(dlen(""), 0);
}

Test(b64, appends_after_what_the_buffer_holds)
{
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, "x:");
	lv__b64_encode(&b, (const uint8_t *)"fo", 2);
	lv__b64_encode(&b, (const uint8_t *)"", 0);
	cr_expect_str_eq(b.data, "x:Zm8=");
	cr_expect_eq(b.len, 6);
	lv_buf_free(&b);
}
