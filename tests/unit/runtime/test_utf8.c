/* test_utf8.c - base/utf8.c: lv__utf8_valid and lv__utf8_char, and that the JSON reader's strings agree with them. */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "codec/codec.h"

static bool
valid(const char *s)
{
	return lv__utf8_valid(s, strlen(s));
}

Test(utf8, ascii_and_empty)
{
	cr_expect(lv__utf8_valid("", 0));
	cr_expect(lv__utf8_valid(NULL, 0));
	cr_expect(valid("plain ASCII, \x01 and \x7f"));
	/* A NUL byte is a character like any other: only n counts. */
	cr_expect(lv__utf8_valid("a\0b", 3));
}

Test(utf8, every_length_at_its_bounds)
{
	static const char *const ok[] = {
		"\xc2\x80",             /* U+0080, the first two-byte */
		"\xdf\xbf",             /* U+07FF */
		"\xe0\xa0\x80",         /* U+0800, the first three-byte */
		"\xed\x9f\xbf",         /* U+D7FF, just below the surrogates */
		"\xee\x80\x80",         /* U+E000, just above them */
		"\xef\xbf\xbf",         /* U+FFFF */
		"\xf0\x90\x80\x80",     /* U+10000, the first four-byte */
		"\xf4\x8f\xbf\xbf",     /* U+10FFFF, the last code point */
		"e-acute \xc3\xa9, snowman \xe2\x98\x83, smile \xf0\x9f\x98\x80",
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		cr_expect(valid(ok[i]), "case %zu refused", i);
}

Test(utf8, overlongs_are_refused)
{
	static const char *const bad[] = {
		"\xc0\x80", "\xc0\xaf", "\xc1\xbf",             /* two bytes for ASCII */
		"\xe0\x80\x80", "\xe0\x81\xbf", "\xe0\x9f\xbf",  /* three for two */
		"\xf0\x80\x80\x80", "\xf0\x80\x80\xaf", "\xf0\x8f\xbf\xbf", /* four for three */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_not(valid(bad[i]), "overlong %zu accepted", i);
}

Test(utf8, surrogates_are_refused)
{
	static const char *const bad[] = {
		"\xed\xa0\x80", "\xed\xad\xbf", "\xed\xae\x80", "\xed\xbf\xbf",
		/* CESU-8: a pair written as two three-byte surrogates */
		"\xed\xa0\xbd\xed\xb8\x80",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_not(valid(bad[i]), "surrogate %zu accepted", i);
}

Test(utf8, past_u10ffff_and_bad_lead_bytes)
{
	static const char *const bad[] = {
		"\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xf7\xbf\xbf\xbf",
		"\xf8\x88\x80\x80\x80", "\xfc\x84\x80\x80\x80\x80", "\xfe", "\xff",
		"\x80", "\xbf", "a\x80\x62",                        /* a lone continuation, then b */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_not(valid(bad[i]), "case %zu accepted", i);
}

Test(utf8, cut_short_or_interrupted)
{
	static const char *const bad[] = {
		"\xc3", "\xe2\x98", "\xf0\x9f\x98", "a\xc3", "\xe2\x82",
		"\xc3" "a", "\xe2\x98" "a", "\xf0\x9f" "aa", "\xe2\xc3\xa9",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_expect_not(valid(bad[i]), "case %zu accepted", i);
	/* Only n bytes are read: a sequence cut by n is cut. */
	cr_expect_not(lv__utf8_valid("\xe2\x98\x83", 2));
	cr_expect(lv__utf8_valid("ab\xe2\x98\x83", 2));
}

/* The JSON reader checks raw UTF-8 in strings on its own: it must draw the
 * line where base does, for every sequence of one to three bytes and for
 * four-byte ones around the edges. */
static bool
reader_takes(const unsigned char *seq, size_t n)
{
	char text[8];
	text[0] = '"';
	memcpy(text + 1, seq, n);
	text[n + 1] = '"';
	lv_jr r;
	size_t len;
	lv__jr_init(&r, text, n + 2);
	return lv__jr_string(&r, NULL, 0, &len, NULL) && lv__jr_finish(&r);
}

Test(utf8, the_json_reader_agrees)
{
	unsigned char s[4];
	size_t mismatches = 0;
	for (unsigned a = 0x80; a < 0x100; a++) {
		s[0] = (unsigned char)a;
		if (reader_takes(s, 1) != lv__utf8_valid((char *)s, 1))
			mismatches++;
		for (unsigned b = 0; b < 0x100; b++) {
			s[1] = (unsigned char)b;
			if (b != '"' && b >= 0x20 && b != '\\' &&
			    reader_takes(s, 2) != lv__utf8_valid((char *)s, 2))
				mismatches++;
			if (a < 0xe0 || b < 0x80)
				continue;
			for (unsigned c = 0x70; c < 0x100; c++) {
				s[2] = (unsigned char)c;
				if (reader_takes(s, 3) != lv__utf8_valid((char *)s, 3))
					mismatches++;
				if (a < 0xf0)
					continue;
				static const unsigned char lasts[] = { 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xff };
				for (size_t k = 0; k < sizeof lasts; k++) {
					s[3] = lasts[k];
					if (reader_takes(s, 4) != lv__utf8_valid((char *)s, 4))
						mismatches++;
				}
			}
		}
	}
	cr_expect_eq(mismatches, 0, "%zu sequences judged differently", mismatches);
}

Test(utf8, one_character_at_a_time)
{
	cr_expect_eq(lv__utf8_char("", 0), 0);
	cr_expect_eq(lv__utf8_char("ab", 2), 1);
	cr_expect_eq(lv__utf8_char("\0", 1), 1);
	cr_expect_eq(lv__utf8_char("\xc3\xa9x", 3), 2);
	cr_expect_eq(lv__utf8_char("\xe2\x82\xac", 3), 3);
	cr_expect_eq(lv__utf8_char("\xf0\x9f\x98\x80", 4), 4);
	/* only the bytes within n count */
	cr_expect_eq(lv__utf8_char("\xe2\x82\xac", 2), 0);
	/* what lv__utf8_valid refuses: a continuation byte first, an overlong,
	 * a surrogate, past U+10FFFF */
	cr_expect_eq(lv__utf8_char("\x80", 1), 0);
	cr_expect_eq(lv__utf8_char("\xc0\xaf", 2), 0);
	cr_expect_eq(lv__utf8_char("\xed\xa0\x80", 3), 0);
	cr_expect_eq(lv__utf8_char("\xf4\x90\x80\x80", 4), 0);
}
