/* text.c - the compiler's one implementation of UTF-8 and of string escapes: reading lv's, writing JSON's and C's. */
#include <stdio.h>
#include <string.h>

#include "emit.h"

int
lvc_utf8_decode(const void *s, size_t n, uint32_t *out)
{
	const unsigned char *p = s;
	int need;
	uint32_t cp;
	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*out = p[0];
		return 1;
	}
	if ((p[0] & 0xe0) == 0xc0) { need = 2; cp = p[0] & 0x1f; }
	else if ((p[0] & 0xf0) == 0xe0) { need = 3; cp = p[0] & 0x0f; }
	else if ((p[0] & 0xf8) == 0xf0) { need = 4; cp = p[0] & 0x07; }
	else return 0;
	if ((size_t)need > n)
		return 0;
	for (int i = 1; i < need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((need == 2 && cp < 0x80) || (need == 3 && cp < 0x800) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*out = cp;
	return need;
}

int
lvc_utf8_len(const void *p, size_t n)
{
	uint32_t cp;
	return lvc_utf8_decode(p, n, &cp);
}

size_t
lvc_utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) { o[0] = (char)cp; return 1; }
	if (cp < 0x800) { o[0] = (char)(0xc0 | cp >> 6); o[1] = (char)(0x80 | (cp & 0x3f)); return 2; }
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12); o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f)); return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18); o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f)); o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int
lvc_hexval(char ch)
{
	if (ch >= '0' && ch <= '9') return ch - '0';
	if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
	return -1;
}

lvc_escape_status
lvc_escape_read(const char *p, const char *end, uint32_t *cp, size_t *len)
{
	*len = p + 1 < end ? 2 : 1;
	*cp = 0xfffd;
	if (p + 1 >= end)
		return LVC_ESC_UNKNOWN;
	switch (p[1]) {
	case '"': case '\\': case '/': *cp = (unsigned char)p[1]; return LVC_ESC_OK;
	case 'n': *cp = '\n'; return LVC_ESC_OK;
	case 't': *cp = '\t'; return LVC_ESC_OK;
	case 'r': *cp = '\r'; return LVC_ESC_OK;
	case 'b': *cp = '\b'; return LVC_ESC_OK;
	case 'f': *cp = '\f'; return LVC_ESC_OK;
	case 'u': {
		uint32_t v = 0;
		int digits = 0;
		if (p + 2 < end && p[2] == '{') {
			const char *q = p + 3;
			while (q < end && lvc_hexval(*q) >= 0 && digits < 7) {
				v = v * 16 + (uint32_t)lvc_hexval(*q++);
				digits++;
			}
			if (q < end && *q == '}' && digits >= 1 && digits <= 6 && v <= 0x10ffff &&
			    !(v >= 0xd800 && v <= 0xdfff) && v != 0) {
				*cp = v;
				*len = (size_t)(q + 1 - p);
				return LVC_ESC_OK;
			}
			*len = (size_t)(q + (q < end && *q == '}') - p);   /* all of it */
		}
		return LVC_ESC_BAD_UNICODE;
	}
	default:
		*cp = (unsigned char)p[1];
		return LVC_ESC_UNKNOWN;
	}
}

/* ---- writing ------------------------------------------------------------------ */

void
lvc_json_string(lvc_tbuf *b, const char *p, size_t n, bool ascii)
{
	static const char hex[] = "0123456789ABCDEF";
	char esc[16];
	lvc_tbuf_put(b, "\"", 1);
	for (size_t i = 0; i < n;) {
		/* A run that needs no escape goes in at once. */
		size_t run = i;
		while (run < n && (unsigned char)p[run] >= 0x20 && p[run] != '"' && p[run] != '\\' &&
		       !(ascii && (unsigned char)p[run] >= 0x7f))
			run++;
		if (run > i) {
			lvc_tbuf_put(b, p + i, run - i);
			i = run;
			continue;
		}
		unsigned char ch = (unsigned char)p[i];
		uint32_t cp = ch;
		int k = 1;
		if (ch >= 0x7f && (k = lvc_utf8_decode(p + i, n - i, &cp)) == 0) {
			cp = 0xfffd;   /* checked input is valid UTF-8; never here */
			k = 1;
		}
		i += (size_t)k;
		switch (cp) {
		case '"': case '\\': esc[0] = '\\'; esc[1] = (char)cp; lvc_tbuf_put(b, esc, 2); continue;
		case '\b': lvc_tbuf_put(b, "\\b", 2); continue;
		case '\f': lvc_tbuf_put(b, "\\f", 2); continue;
		case '\n': lvc_tbuf_put(b, "\\n", 2); continue;
		case '\r': lvc_tbuf_put(b, "\\r", 2); continue;
		case '\t': lvc_tbuf_put(b, "\\t", 2); continue;
		default: break;
		}
		uint32_t units[2] = { cp, 0 };
		int nunits = 1;
		if (cp >= 0x10000) {
			units[0] = 0xd800 + ((cp - 0x10000) >> 10);
			units[1] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
			nunits = 2;
		}
		for (int u = 0; u < nunits; u++) {
			esc[0] = '\\';
			esc[1] = 'u';
			for (int d = 0; d < 4; d++)
				esc[2 + d] = hex[units[u] >> (12 - 4 * d) & 15];
			lvc_tbuf_put(b, esc, 6);
		}
	}
	lvc_tbuf_put(b, "\"", 1);
}

void
lvc_c_escape(lvc_tbuf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		size_t run = i;
		while (run < n && p[run] != '"' && p[run] != '\\' && p[run] != '?' &&
		       (unsigned char)p[run] >= 0x20 && (unsigned char)p[run] < 0x7f)
			run++;
		if (run > i) {
			lvc_tbuf_put(b, p + i, run - i);
			i = run;
			continue;
		}
		unsigned char ch = (unsigned char)p[i++];
		if (ch == '\n') {
			lvc_tbuf_put(b, "\\n", 2);
		} else if (ch == '"' || ch == '\\' || ch == '?') {   /* '?': no trigraphs */
			char esc[2] = { '\\', (char)ch };
			lvc_tbuf_put(b, esc, 2);
		} else {
			char esc[4] = { '\\', (char)('0' + (ch >> 6)), (char)('0' + ((ch >> 3) & 7)),
			                (char)('0' + (ch & 7)) };
			lvc_tbuf_put(b, esc, 4);
		}
	}
}
