/* symtab.c - open addressing with linear probing, FNV-1a hashes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "symtab.h"

static uint32_t
hash(lvc_str s)
{
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < s.n; i++)
		h = (h ^ (unsigned char)s.p[i]) * 16777619u;
	return h;
}

void
lvc_symtab_init(lvc_symtab *t)
{
	memset(t, 0, sizeof *t);
}

void
lvc_symtab_free(lvc_symtab *t)
{
	free(t->keys);
	free(t->vals);
	memset(t, 0, sizeof *t);
}

void *
lvc_symtab_get(const lvc_symtab *t, lvc_str key)
{
	if (!t->cap)
		return NULL;
	for (uint32_t i = hash(key) & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		if (!t->vals[i])
			return NULL;
		if (lvc_str_same(t->keys[i], key))
			return t->vals[i];
	}
}

static void
grow(lvc_symtab *t)
{
	uint32_t cap = t->cap ? t->cap * 2 : 16;
	lvc_str *keys = calloc(cap, sizeof *keys);
	void **vals = calloc(cap, sizeof *vals);
	if (!keys || !vals) {
		fputs("lvc: out of memory\n", stderr);
		abort();
	}
	for (uint32_t j = 0; j < t->cap; j++) {
		if (!t->vals[j])
			continue;
		uint32_t i = hash(t->keys[j]) & (cap - 1);
		while (vals[i])
			i = (i + 1) & (cap - 1);
		keys[i] = t->keys[j];
		vals[i] = t->vals[j];
	}
	free(t->keys);
	free(t->vals);
	t->keys = keys;
	t->vals = vals;
	t->cap = cap;
}

void
lvc_symtab_put(lvc_symtab *t, lvc_str key, void *val)
{
	if (!val)
		abort();   /* a caller's bug: NULL means "no entry" */
	if ((t->len + 1) * 4 > t->cap * 3)
		grow(t);
	uint32_t i = hash(key) & (t->cap - 1);
	while (t->vals[i] && !lvc_str_same(t->keys[i], key))
		i = (i + 1) & (t->cap - 1);
	if (!t->vals[i])
		t->len++;
	t->keys[i] = key;
	t->vals[i] = val;
}
