/* arena.c - the bump allocator that holds everything decoded for one call. */
#include <stdlib.h>
#include <string.h>

#include "base/base.h"

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
