/* view.c - the view model's lists and objects (view.h), in an arena. */
#include <stdarg.h>
#include <string.h>

#include "view.h"

const lvc_vlist lvc_vlist_empty = { 0 };

lvc_vlist *
lvc_vlist_new(lvc_arena *a, uint32_t cap)
{
	lvc_vlist *l = lvc_alloc(a, sizeof *l);
	l->arena = a;
	if (cap) {
		l->items = lvc_alloc(a, cap * sizeof *l->items);
		l->cap = cap;
	}
	return l;
}

/* Objects of up to this many pairs are searched from the start. */
enum { SCAN_PAIRS = 12 };

/* (Re)builds the hash index of o for its capacity: at least twice as many
 * slots as pairs, so probe runs stay short. */
static void
build_index(lvc_vobj *o)
{
	uint32_t nslots = 16;
	while (nslots < o->cap * 2)
		nslots *= 2;
	o->slots = lvc_alloc(o->arena, nslots * sizeof *o->slots);
	o->mask = nslots - 1;
	for (uint32_t k = 0; k < o->n; k++) {
		uint32_t i = o->pairs[k].hash & o->mask;
		while (o->slots[i])
			i = (i + 1) & o->mask;
		o->slots[i] = k + 1;
	}
}

lvc_vobj *
lvc_vobj_new(lvc_arena *a, uint32_t cap)
{
	lvc_vobj *o = lvc_alloc(a, sizeof *o);
	o->arena = a;
	if (cap) {
		o->pairs = lvc_alloc(a, cap * sizeof *o->pairs);
		o->cap = cap;
		if (cap > SCAN_PAIRS)
			build_index(o);
	}
	return o;
}

/* Room for one more in an array of cap elements of size bytes: a new array
 * of twice the size in the arena (the old one stays there unused). */
static void *
grow(lvc_arena *a, void *old, uint32_t *cap, size_t size)
{
	uint32_t n = *cap ? *cap * 2 : 4;
	void *p = lvc_alloc(a, n * size);
	if (*cap)
		memcpy(p, old, *cap * size);
	*cap = n;
	return p;
}

void
lvc_vlist_push(lvc_vlist *l, lvc_view v)
{
	if (l->n == l->cap)
		l->items = grow(l->arena, l->items, &l->cap, sizeof *l->items);
	l->items[l->n++] = v;
}

uint32_t
lvc_view_hash(const char *key, size_t klen)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < klen; i++)
		h = (h ^ (unsigned char)key[i]) * 16777619u;
	return h;
}

static lvc_vpair *
find(const lvc_vobj *o, const char *key, size_t klen, uint32_t hash)
{
	if (!o->slots) {
		for (uint32_t k = 0; k < o->n; k++) {
			lvc_vpair *p = &o->pairs[k];
			if (p->hash == hash && p->klen == klen && memcmp(p->key, key, klen) == 0)
				return p;
		}
		return NULL;
	}
	for (uint32_t i = hash & o->mask; o->slots[i]; i = (i + 1) & o->mask) {
		lvc_vpair *p = &o->pairs[o->slots[i] - 1];
		if (p->hash == hash && p->klen == klen && memcmp(p->key, key, klen) == 0)
			return p;
	}
	return NULL;
}

void
lvc_vobj_put(lvc_vobj *o, const char *key, size_t klen, lvc_view v)
{
	uint32_t hash = lvc_view_hash(key, klen);
	lvc_vpair *old = find(o, key, klen, hash);
	if (old) {
		old->value = v;
		return;
	}
	if (o->n == o->cap) {
		o->pairs = grow(o->arena, o->pairs, &o->cap, sizeof *o->pairs);
		if (o->cap > SCAN_PAIRS)
			build_index(o);
	}
	o->pairs[o->n++] = (lvc_vpair){ key, (uint32_t)klen, hash, v };
	if (o->slots) {
		uint32_t i = hash & o->mask;
		while (o->slots[i])
			i = (i + 1) & o->mask;
		o->slots[i] = o->n;
	}
}

const lvc_view *
lvc_vobj_get(const lvc_vobj *o, const char *key, size_t klen, uint32_t hash)
{
	const lvc_vpair *p = find(o, key, klen, hash);
	return p ? &p->value : NULL;
}

lvc_view
lvc_v_fmt(lvc_arena *a, const char *fmt, ...)
{
	size_t n;
	va_list ap;
	va_start(ap, fmt);
	const char *p = lvc_vsprintf(a, &n, fmt, ap);
	va_end(ap);
	return lvc_v_strn(p, n);
}

lvc_view
lvc_v_copy(lvc_arena *a, const char *p, size_t n)
{
	return lvc_v_strn(lvc_strndup(a, p, n), n);
}
