/* utf8.c - the runtime's one UTF-8 check. */
#include "base/base.h"

/* The length of the valid sequence at p (a lead byte of 0x80 or more) in
 * [p, end), or 0. */
static inline size_t
seq_len(const unsigned char *p, const unsigned char *end)
{
	int need;
	uint32_t cp;
	if ((*p & 0xe0) == 0xc0) { need = 1; cp = *p & 0x1f; }
	else if ((*p & 0xf0) == 0xe0) { need = 2; cp = *p & 0x0f; }
	else if ((*p & 0xf8) == 0xf0) { need = 3; cp = *p & 0x07; }
	else return 0;
	if (end - p <= need)
		return 0;
	for (int i = 1; i <= need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
	    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return (size_t)need + 1;
}

bool
lv__utf8_valid(const char *s, size_t n)
{
	if (!n)
		return true;   /* s may be NULL then: no arithmetic on it */
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		size_t k = seq_len(p, end);
		if (!k)
			return false;
		p += k;
	}
	return true;
}

size_t
lv__utf8_char(const char *s, size_t n)
{
	if (!n)
		return 0;
	const unsigned char *p = (const unsigned char *)s;
	return *p < 0x80 ? 1 : seq_len(p, p + n);
}
