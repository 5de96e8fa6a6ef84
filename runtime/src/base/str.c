/* str.c - strings: lv_str and lv_json helpers, and numbers in decimal. */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

lv_str
lv_cstr(const char *s)
{
	return s ? (lv_str){ s, strlen(s) } : (lv_str){ "", 0 };
}

bool
lv_str_eq(lv_str a, lv_str b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

bool
lv_str_eq_cstr(lv_str a, const char *s)
{
	return lv_str_eq(a, lv_cstr(s));
}

lv_str
lv_str_dup(lv_str s)
{
	char *p = malloc(s.len + 1);
	if (!p)
		return (lv_str){ NULL, 0 };
	if (s.len)
		memcpy(p, s.ptr, s.len);
	p[s.len] = 0;
	return (lv_str){ p, s.len };
}

void
lv_str_free(lv_str s)
{
	free((char *)s.ptr);
}

lv_json
lv_json_text(const char *text)
{
	return text ? (lv_json){ text, strlen(text) } : (lv_json){ NULL, 0 };
}

size_t
lv__u64_dec(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

size_t
lv__i64_dec(char *out, int64_t v)
{
	if (v >= 0)
		return lv__u64_dec(out, (uint64_t)v);
	out[0] = '-';
	return 1 + lv__u64_dec(out + 1, 0 - (uint64_t)v);
}

uint32_t
lv__hash_str(const char *s)
{
	uint32_t h = 2166136261u;   /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}
