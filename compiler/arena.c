/* arena.c - one bump allocator for the AST and every compiler string. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "lvc.h"

struct lvc_arena_chunk {
	lvc_arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

enum { CHUNK_BYTES = 64 * 1024 };

void *
lvc_alloc(lvc_arena *a, size_t n)
{
	lvc_arena_chunk *ch = a->head;
	if (n > SIZE_MAX / 2) {
		fputs("lvc: out of memory\n", stderr);
		abort();
	}
	n = (n + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	if (!ch || ch->cap - ch->used < n) {
		size_t cap = n > CHUNK_BYTES ? n : CHUNK_BYTES;
		ch = malloc(sizeof *ch + cap);
		if (!ch) {
			fputs("lvc: out of memory\n", stderr);
			abort();
		}
		ch->used = 0;
		ch->cap = cap;
		ch->next = a->head;
		a->head = ch;
	}
	void *p = (char *)ch->data + ch->used;
	ch->used += n;
	memset(p, 0, n);
	return p;
}

char *
lvc_strndup(lvc_arena *a, const char *s, size_t n)
{
	char *p = lvc_alloc(a, n + 1);
	memcpy(p, s, n);
	return p;
}

/* Formats straight into the free end of the newest chunk; only a string
 * that does not fit there is formatted a second time, into new room. */
char *
lvc_vsprintf(lvc_arena *a, size_t *len, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	lvc_arena_chunk *ch = a->head;
	char *room = ch ? (char *)ch->data + ch->used : NULL;
	size_t free_bytes = ch ? ch->cap - ch->used : 0;
	int n = vsnprintf(room, free_bytes, fmt, ap);
	if (n < 0) {
		fputs("lvc: bad format\n", stderr);
		abort();
	}
	char *p;
	if ((size_t)n < free_bytes) {
		p = room;
		ch->used += ((size_t)n + 1 + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
	} else {
		p = lvc_alloc(a, (size_t)n + 1);
		vsnprintf(p, (size_t)n + 1, fmt, ap2);
	}
	va_end(ap2);
	if (len)
		*len = (size_t)n;
	return p;
}

char *
lvc_sprintf(lvc_arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = lvc_vsprintf(a, NULL, fmt, ap);
	va_end(ap);
	return p;
}

void
lvc_arena_free(lvc_arena *a)
{
	lvc_arena_chunk *ch = a->head;
	while (ch) {
		lvc_arena_chunk *next = ch->next;
		free(ch);
		ch = next;
	}
	a->head = NULL;
}

bool
lvc_str_eq(lvc_str a, const char *z)
{
	size_t n = strlen(z);
	return a.n == n && (n == 0 || memcmp(a.p, z, n) == 0);
}

bool
lvc_str_same(lvc_str a, lvc_str b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}
