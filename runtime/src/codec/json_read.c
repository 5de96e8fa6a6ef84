/* json_read.c - reading JSON text in one pass, without building a tree.
 *
 * The reader walks RFC 8259 text value by value: the codec drives it from
 * the lv_type tables straight into C structs, and the dispatcher uses it to
 * pick the few fields of a frame it needs. Strings are unescaped into a
 * buffer the caller gives, which may be the string's own bytes: unescaped
 * text is never longer than its source. */
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"

#define SKIP_DEPTH 1024

void
lv__jr_init(lv_jr *r, const char *p, size_t n)
{
	r->p = p;
	r->start = p;
	r->end = p + n;
	r->err = NULL;
	r->err_at = 0;
}

bool
lv__jr_fail(lv_jr *r, const char *what)
{
	if (!r->err) {
		r->err = what;
		r->err_at = (size_t)(r->p - r->start);
	}
	r->p = r->end;   /* nothing more is read */
	return false;
}

static inline void
ws(lv_jr *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
		r->p++;
}

lv_jr_kind
lv__jr_peek(lv_jr *r)
{
	ws(r);
	if (r->p == r->end)
		return LV_JR_END;
	switch (*r->p) {
	case '{': return LV_JR_OBJECT;
	case '[': return LV_JR_LIST;
	case '"': return LV_JR_STRING;
	case 't': case 'f': return LV_JR_BOOL;
	case 'n': return LV_JR_NULL;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return LV_JR_NUMBER;
	}
	return LV_JR_BAD;
}

bool
lv__jr_expected_value(lv_jr *r)
{
	return lv__jr_fail(r, r->p == r->end ? "unexpected end of input" : "expected a value");
}

static bool
word(lv_jr *r, const char *w, size_t n)
{
	if ((size_t)(r->end - r->p) < n || memcmp(r->p, w, n) != 0)
		return lv__jr_fail(r, "invalid literal");
	r->p += n;
	return true;
}

bool
lv__jr_bool(lv_jr *r, bool *v)
{
	ws(r);
	if (r->p < r->end && *r->p == 't') {
		*v = true;
		return word(r, "true", 4);
	}
	*v = false;
	return word(r, "false", 5);
}

bool
lv__jr_null(lv_jr *r)
{
	ws(r);
	return word(r, "null", 4);
}

/* The four hex digits at p: -1 if one is not, -2 if the text ends first. */
static int
hex4(const char *p, const char *end)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		if (p + i >= end)
			return -2;
		char ch = p[i];
		v <<= 4;
		if (ch >= '0' && ch <= '9')
			v |= ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			v |= ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			v |= ch - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* The length of the UTF-8 sequence at p (a byte >= 0x80), 0 if invalid. */
static size_t
utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned char c = p[0];
	size_t need;
	uint32_t cp;
	if (c >= 0xc2 && c <= 0xdf) {
		need = 1;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if ((size_t)(end - p) <= need)
		return 0;
	for (size_t i = 1; i <= need; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return need + 1;
}

static size_t
put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

bool
lv__jr_string(lv_jr *r, char *dst, size_t cap, size_t *len, bool *nul)
{
	ws(r);
	*len = 0;
	if (nul)
		*nul = false;
	if (r->p == r->end || *r->p != '"')
		return lv__jr_fail(r, r->p == r->end ? "unexpected end of input" :
		                   "expected a string");
	const char *p = r->p + 1;
	const char *end = r->end;
	size_t n = 0;
	for (;;) {
		/* A run of plain ASCII, copied at once. */
		const char *run = p;
		while (p < end && (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x80 &&
		       *p != '"' && *p != '\\')
			p++;
		if (dst && p > run) {
			size_t k = (size_t)(p - run);
			if (n < cap)
				memmove(dst + n, run, k < cap - n ? k : cap - n);
			n += k;
		} else {
			n += (size_t)(p - run);
		}
		if (p == end) {
			r->p = p;
			return lv__jr_fail(r, "unexpected end of input");
		}
		unsigned char c = (unsigned char)*p;
		if (c == '"') {
			r->p = p + 1;
			break;
		}
		char tmp[4];
		size_t k;
		if (c < 0x20) {
			r->p = p;
			return lv__jr_fail(r, "control character in a string");
		} else if (c >= 0x80) {
			k = utf8_seq((const unsigned char *)p, (const unsigned char *)end);
			if (!k) {
				r->p = p;
				return lv__jr_fail(r, "invalid UTF-8");
			}
			memcpy(tmp, p, k);
			p += k;
		} else {   /* a backslash */
			if (end - p < 2) {
				r->p = end;
				return lv__jr_fail(r, "unexpected end of input");
			}
			char e = p[1];
			k = 1;
			switch (e) {
			case '"': case '\\': case '/': tmp[0] = e; break;
			case 'b': tmp[0] = '\b'; break;
			case 'f': tmp[0] = '\f'; break;
			case 'n': tmp[0] = '\n'; break;
			case 'r': tmp[0] = '\r'; break;
			case 't': tmp[0] = '\t'; break;
			case 'u': {
				int u = hex4(p + 2, end);
				if (u < 0) {
					r->p = p;
					return lv__jr_fail(r, u == -2 ? "unexpected end of input" :
					                   "invalid \\u escape");
				}
				uint32_t cp = (uint32_t)u;
				size_t used = 6;
				if (cp >= 0xdc00 && cp <= 0xdfff) {
					r->p = p;
					return lv__jr_fail(r, "invalid \\u escape");
				}
				if (cp >= 0xd800 && cp <= 0xdbff) {
					int lo = end - p >= 8 && p[6] == '\\' && p[7] == 'u' ?
					         hex4(p + 8, end) : -1;
					if (lo < 0xdc00 || lo > 0xdfff) {
						r->p = p;
						return lv__jr_fail(r, "invalid \\u escape");
					}
					cp = 0x10000 + ((cp - 0xd800) << 10) + ((uint32_t)lo - 0xdc00);
					used = 12;
				}
				if (cp == 0 && nul)
					*nul = true;
				k = put_utf8(tmp, cp);
				p += used - 2;
				break;
			}
			default:
				r->p = p;
				return lv__jr_fail(r, "invalid escape");
			}
			p += 2;
		}
		if (dst && n < cap)
			memcpy(dst + n, tmp, k < cap - n ? k : cap - n);
		n += k;
	}
	if (dst && cap)
		dst[n < cap ? n : cap - 1] = '\0';
	*len = n;
	return true;
}

bool
lv__jr_number(lv_jr *r, lv_jr_num *out)
{
	ws(r);
	const char *p = r->p, *end = r->end, *start = p;
	bool neg = false;
	lv_jr_num scratch;
	bool check_only = !out;   /* skipping: the grammar is all that matters */
	if (check_only)
		out = &scratch;
	out->is_int = true;
	out->big = false;
	out->range = false;
	out->i = 0;
	out->d = 0;
	if (p < end && *p == '-') {
		neg = true;
		p++;
	}
	if (p == end)
		goto bad;
	uint64_t mag = 0;
	if (*p == '0') {
		p++;
		if (p < end && *p >= '0' && *p <= '9')
			goto bad;   /* no leading zeros */
	} else if (*p >= '1' && *p <= '9') {
		while (p < end && *p >= '0' && *p <= '9') {
			unsigned dgt = (unsigned)(*p - '0');
			if (mag > (UINT64_MAX - dgt) / 10)
				out->big = true;
			else
				mag = mag * 10 + dgt;
			p++;
		}
	} else {
		goto bad;
	}
	if (p < end && *p == '.') {
		out->is_int = false;
		p++;
		if (p == end || *p < '0' || *p > '9')
			goto bad;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		out->is_int = false;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p == end || *p < '0' || *p > '9')
			goto bad;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	r->p = p;
	if (check_only)
		return true;
	if (out->is_int && !out->big) {
		if (neg ? mag > (uint64_t)INT64_MAX + 1 : mag > (uint64_t)INT64_MAX)
			out->big = true;
		else
			out->i = neg ? (int64_t)(0 - mag) : (int64_t)mag;
		out->d = neg ? -(double)mag : (double)mag;
		if (!out->big)
			return true;
	}
	/* A real, or an integer past int64: strtod on a copy, with the
	 * locale's decimal point in place of '.'. */
	char buf[128];
	size_t n = (size_t)(p - start);
	char *copy = n < sizeof buf ? buf : malloc(n + 1);
	if (!copy) {
		r->p = start;
		return lv__jr_fail(r, "out of memory");
	}
	memcpy(copy, start, n);
	copy[n] = '\0';
	const char *point = localeconv()->decimal_point;
	if (point && point[0] && point[0] != '.' && !point[1]) {
		char *dot = memchr(copy, '.', n);
		if (dot)
			*dot = point[0];
	}
	out->d = strtod(copy, NULL);
	if (copy != buf)
		free(copy);
	out->range = isinf(out->d);
	return true;
bad:
	r->p = p;
	return lv__jr_fail(r, "invalid number");
}

int
lv__jr_more(lv_jr *r, char close, bool *first)
{
	ws(r);
	if (r->p == r->end) {
		lv__jr_fail(r, "unexpected end of input");
		return -1;
	}
	if (*first) {
		*first = false;
		if (*r->p == close) {
			r->p++;
			return 0;
		}
	} else if (*r->p == ',') {
		r->p++;
	} else if (*r->p == close) {
		r->p++;
		return 0;
	} else {
		lv__jr_fail(r, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
		return -1;
	}
	if (close == '}') {
		ws(r);
		if (r->p == r->end || *r->p != '"') {
			lv__jr_fail(r, r->p == r->end ? "unexpected end of input" :
			            "expected a string key");
			return -1;
		}
	}
	return 1;
}

bool
lv__jr_colon(lv_jr *r)
{
	ws(r);
	if (r->p == r->end || *r->p != ':')
		return lv__jr_fail(r, r->p == r->end ? "unexpected end of input" : "expected ':'");
	r->p++;
	return true;
}

bool
lv__jr_open(lv_jr *r, char open)
{
	ws(r);
	if (r->p == r->end || *r->p != open)
		return lv__jr_expected_value(r);
	r->p++;
	return true;
}

bool
lv__jr_skip(lv_jr *r, uint32_t depth)
{
	size_t n;
	bool b, first = true;
	int more;
	switch (lv__jr_peek(r)) {
	case LV_JR_OBJECT:
	case LV_JR_LIST: {
		char close = *r->p == '{' ? '}' : ']';
		if (depth >= SKIP_DEPTH)
			return lv__jr_fail(r, "nested too deeply");
		r->p++;
		while ((more = lv__jr_more(r, close, &first)) > 0) {
			if (close == '}' && (!lv__jr_string(r, NULL, 0, &n, NULL) ||
			                     !lv__jr_colon(r)))
				return false;
			if (!lv__jr_skip(r, depth + 1))
				return false;
		}
		return more == 0;
	}
	case LV_JR_STRING:
		return lv__jr_string(r, NULL, 0, &n, NULL);
	case LV_JR_NUMBER:
		return lv__jr_number(r, NULL);
	case LV_JR_BOOL:
		return lv__jr_bool(r, &b);
	case LV_JR_NULL:
		return lv__jr_null(r);
	default:
		return lv__jr_expected_value(r);
	}
}

bool
lv__jr_finish(lv_jr *r)
{
	ws(r);
	if (r->p != r->end)
		return lv__jr_fail(r, "unexpected text after the value");
	return !r->err;
}
