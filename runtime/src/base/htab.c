/* htab.c - an intrusive chained hash table: the caller's structs hold the
 * node, the table holds only the buckets, and growing needs no hash
 * function because each node keeps its own. */
#include <stdlib.h>

#include "base/base.h"

static int
grow(lv_htab *t)
{
	uint32_t cap = t->cap ? t->cap * 2 : 64;
	lv_hnode **b = calloc(cap, sizeof *b);
	if (!b)
		return LV_ENOMEM;
	for (uint32_t i = 0; i < t->cap; i++)
		for (lv_hnode *n = t->b[i], *next; n; n = next) {
			next = n->next;
			n->next = b[n->hash & (cap - 1)];
			b[n->hash & (cap - 1)] = n;
		}
	free(t->b);
	t->b = b;
	t->cap = cap;
	return 0;
}

int
lv__htab_insert(lv_htab *t, lv_hnode *n, uint32_t hash)
{
	if ((t->n + 1) * 4 > t->cap * 3 && grow(t) != 0)
		return LV_ENOMEM;
	n->hash = hash;
	n->next = t->b[hash & (t->cap - 1)];
	t->b[hash & (t->cap - 1)] = n;
	t->n++;
	return 0;
}

lv_hnode *
lv__htab_chain(const lv_htab *t, uint32_t hash)
{
	return t->cap ? t->b[hash & (t->cap - 1)] : NULL;
}

lv_hnode *
lv__htab_find(const lv_htab *t, uint32_t hash, bool (*eq)(const lv_hnode *n, const void *key),
              const void *key)
{
	for (lv_hnode *n = lv__htab_chain(t, hash); n; n = n->next)
		if (n->hash == hash && eq(n, key))
			return n;
	return NULL;
}

void
lv__htab_remove(lv_htab *t, lv_hnode *n)
{
	if (!t->cap)
		return;
	for (lv_hnode **p = &t->b[n->hash & (t->cap - 1)]; *p; p = &(*p)->next)
		if (*p == n) {
			*p = n->next;
			t->n--;
			return;
		}
}

lv_hnode *
lv__htab_next(const lv_htab *t, lv_hnode *n, uint32_t *bucket)
{
	if (n && n->next)
		return n->next;
	for (uint32_t i = n ? *bucket + 1 : 0; i < t->cap; i++)
		if (t->b[i]) {
			*bucket = i;
			return t->b[i];
		}
	return NULL;
}

void
lv__htab_free(lv_htab *t)
{
	free(t->b);
	t->b = NULL;
	t->n = t->cap = 0;
}
