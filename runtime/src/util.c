/* util.c - status codes, strings, arenas, buffers: the small pieces every
 * other runtime module uses. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv_internal.h"

const char *
lv_strerror(int status)
{
	switch (status) {
	case LV_OK: return "success";
	case LV_DEFERRED: return "answer deferred";
#define LV__MSG(name, val, wire, msg) case LV_E##name: return msg;
	LV_ERRNO_MAP(LV__MSG)
#undef LV__MSG
	default: return "unknown error";
	}
}

const char *
lv_errname(int status)
{
	switch (status) {
	case LV_OK: return "ok";
#define LV__WIRE(name, val, wire, msg) case LV_E##name: return wire;
	LV_ERRNO_MAP(LV__WIRE)
#undef LV__WIRE
	default: return "internal";
	}
}

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

bool
lv__utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		if (*p < 0x80) {
			p++;
			continue;
		}
		int need;
		uint32_t cp;
		if ((*p & 0xe0) == 0xc0) { need = 1; cp = *p & 0x1f; }
		else if ((*p & 0xf0) == 0xe0) { need = 2; cp = *p & 0x0f; }
		else if ((*p & 0xf8) == 0xf0) { need = 3; cp = *p & 0x07; }
		else return false;
		if (end - p <= need)
			return false;
		for (int i = 1; i <= need; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
		    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		p += need + 1;
	}
	return true;
}

/* ---- numbers ------------------------------------------------------------------ */

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

/* ---- arena ------------------------------------------------------------------- */

struct lv_arena_block {
	lv_arena_block *next;
	size_t used, cap;
	max_align_t data[];
};

struct lv_arena_cleanup {
	lv_arena_cleanup *next;
	void (*fn)(void *);
	void *p;
};

void
lv_arena_init(lv_arena *a)
{
	a->head = NULL;
	a->used = 0;
	a->cleanups = NULL;
}

void *
lv__arena_take(lv_arena *a, size_t n)
{
	lv_arena_block *b = a->head;
	size_t align = sizeof(max_align_t);
	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + align - 1) & ~(align - 1);
	if (n == 0)
		n = align;
	if (!b || b->cap - b->used < n) {
		size_t cap = n > 4096 - sizeof *b ? n : 4096 - sizeof *b;
		b = malloc(sizeof *b + cap);
		if (!b)
			return NULL;
		b->used = 0;
		b->cap = cap;
		b->next = a->head;
		a->head = b;
	}
	void *p = (char *)b->data + b->used;
	b->used += n;
	a->used += n;
	return p;
}

void *
lv_arena_alloc(lv_arena *a, size_t n)
{
	void *p = lv__arena_take(a, n);
	if (p)
		memset(p, 0, n ? n : 1);
	return p;
}

lv_str
lv_arena_strdup(lv_arena *a, lv_str s)
{
	char *p = lv__arena_take(a, s.len + 1);
	if (!p)
		return (lv_str){ NULL, 0 };
	if (s.len)
		memcpy(p, s.ptr, s.len);
	p[s.len] = '\0';
	return (lv_str){ p, s.len };
}

int
lv_arena_on_free(lv_arena *a, void (*fn)(void *), void *p)
{
	lv_arena_cleanup *c = lv__arena_take(a, sizeof *c);
	if (!c) {
		fn(p);
		return -1;
	}
	c->fn = fn;
	c->p = p;
	c->next = a->cleanups;
	a->cleanups = c;
	return 0;
}

static void
run_cleanups(lv_arena *a)
{
	while (a->cleanups) {
		lv_arena_cleanup *c = a->cleanups;
		a->cleanups = c->next;
		c->fn(c->p);
	}
}

void
lv_arena_free(lv_arena *a)
{
	run_cleanups(a);
	lv_arena_block *b = a->head;
	while (b) {
		lv_arena_block *next = b->next;
		free(b);
		b = next;
	}
	a->head = NULL;
	a->used = 0;
}

bool
lv__arena_reset(lv_arena *a, size_t keep)
{
	run_cleanups(a);
	lv_arena_block *b = a->head;
	if (!b)
		return true;
	/* Keeps the oldest block, the first one made, if it is small. */
	while (b->next) {
		lv_arena_block *next = b->next;
		a->head = next;
		free(b);
		b = next;
	}
	if (b->cap > keep) {
		lv_arena_free(a);
		return false;
	}
	b->used = 0;
	a->used = 0;
	return true;
}

/* ---- buffers ------------------------------------------------------------------- */

void
lv_buf_init(lv_buf *b)
{
	memset(b, 0, sizeof *b);
}

void
lv_buf_free(lv_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

static bool
reserve(lv_buf *b, size_t n)
{
	if (b->failed)
		return false;
	if (b->cap - b->len > n)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len <= n) {
		if (cap > SIZE_MAX / 2) {
			b->failed = true;
			return false;
		}
		cap *= 2;
	}
	char *p = realloc(b->data, cap);
	if (!p) {
		b->failed = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void
lv_buf_append(lv_buf *b, const void *p, size_t n)
{
	if (!n || !reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
lv_buf_puts(lv_buf *b, const char *s)
{
	lv_buf_append(b, s, strlen(s));
}

void
lv_buf_json_str(lv_buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	/* Worst case: every byte becomes \u00XX. */
	if (!reserve(b, n * 6 + 2))
		return;
	char *o = b->data + b->len;
	*o++ = '"';
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		switch (ch) {
		case '"': *o++ = '\\'; *o++ = '"'; break;
		case '\\': *o++ = '\\'; *o++ = '\\'; break;
		case '\n': *o++ = '\\'; *o++ = 'n'; break;
		case '\r': *o++ = '\\'; *o++ = 'r'; break;
		case '\t': *o++ = '\\'; *o++ = 't'; break;
		default:
			if (ch < 0x20 || ch == 0x7f) {
				memcpy(o, "\\u00", 4);
				o[4] = hex[ch >> 4];
				o[5] = hex[ch & 15];
				o += 6;
			} else {
				*o++ = (char)ch;
			}
		}
	}
	*o++ = '"';
	b->len = (size_t)(o - b->data);
	b->data[b->len] = '\0';
}

/* ---- rate limits ------------------------------------------------------------ */

/* A token bucket: `rate_count` tokens per `rate_per_ms`, holding at most
 * rate_count (the burst); *at_us 0 means never used (full). */
bool
lv__bucket_take(double *tokens, int64_t *at_us, const lv_endpoint *ep)
{
	int64_t now = lv__now_us();
	double cap = (double)ep->rate_count;
	if (!*at_us) {
		*tokens = cap;
	} else {
		double gained = (double)(now - *at_us) * cap / ((double)ep->rate_per_ms * 1000.0);
		*tokens = *tokens + gained > cap ? cap : *tokens + gained;
	}
	*at_us = now;
	if (*tokens < 1.0)
		return false;
	*tokens -= 1.0;
	return true;
}

/* ---- apps -------------------------------------------------------------------- */

const lv_endpoint *
lv_app_find(const lv_app *app, const char *name, size_t len)
{
	size_t lo = 0, hi = app->nendpoints;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *m = app->endpoints[mid].name;
		int c = strncmp(m, name, len);
		if (c == 0 && m[len] != '\0')
			c = 1;
		if (c == 0)
			return &app->endpoints[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
