/* buf.c - growable output buffers. */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

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

bool
lv__buf_reserve(lv_buf *b, size_t n)
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
	if (!n || !lv__buf_reserve(b, n))
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

