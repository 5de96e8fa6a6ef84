/* view.h - the view model the templates are rendered against: null, bools,
 * integers, strings, lists and objects (view.c).
 *
 * A value is a small struct passed by value. Strings and object keys are
 * borrowed slices: the bytes must outlive the view (source text, the
 * context's arena, the view's own arena, string literals). Lists and
 * objects live in an arena and are freed with it in one piece; a value
 * holding one shares it, so a list can appear in several places without
 * being copied. Objects are
 * arrays of key/value pairs in the order set, with a hash index once they
 * hold more than a few; setting a key again replaces its value. */
#ifndef LVC_VIEW_H
#define LVC_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lvc.h"

typedef enum {
	LVC_VIEW_NULL, LVC_VIEW_BOOL, LVC_VIEW_INT, LVC_VIEW_STR, LVC_VIEW_LIST,
	LVC_VIEW_OBJECT
} lvc_view_kind;

typedef struct lvc_vlist lvc_vlist;
typedef struct lvc_vobj lvc_vobj;

typedef struct {
	lvc_view_kind kind;
	uint32_t len;                /* STR: bytes */
	union {
		bool b;
		int64_t i;
		const char *s;           /* not necessarily NUL-terminated */
		const lvc_vlist *list;
		const lvc_vobj *obj;
	} u;
} lvc_view;

struct lvc_vlist {
	lvc_arena *arena;
	lvc_view *items;
	uint32_t n, cap;
};

typedef struct {
	const char *key;
	uint32_t klen;
	uint32_t hash;               /* lvc_view_hash of the key */
	lvc_view value;
} lvc_vpair;

struct lvc_vobj {
	lvc_arena *arena;
	lvc_vpair *pairs;
	uint32_t n, cap;
	uint32_t *slots;             /* the index: pair number + 1, or 0 (free) */
	uint32_t mask;               /* slots - 1; the slots are a power of two */
};

/* Containers; cap is how many entries to make room for at first (they
 * grow past it). */
lvc_vlist *lvc_vlist_new(lvc_arena *a, uint32_t cap);
lvc_vobj *lvc_vobj_new(lvc_arena *a, uint32_t cap);
void lvc_vlist_push(lvc_vlist *l, lvc_view v);
void lvc_vobj_put(lvc_vobj *o, const char *key, size_t klen, lvc_view v);
/* The value of key, or NULL. hash is lvc_view_hash(key, klen). */
const lvc_view *lvc_vobj_get(const lvc_vobj *o, const char *key, size_t klen, uint32_t hash);
uint32_t lvc_view_hash(const char *key, size_t klen);

/* An empty list that is never added to (no doc comment, say). */
extern const lvc_vlist lvc_vlist_empty;

/* A string formatted into the arena. */
lvc_view lvc_v_fmt(lvc_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A copy of p[0..n) in the arena. */
lvc_view lvc_v_copy(lvc_arena *a, const char *p, size_t n);

static inline lvc_view
lvc_v_null(void)
{
	return (lvc_view){ .kind = LVC_VIEW_NULL };
}

static inline lvc_view
lvc_v_bool(bool b)
{
	return (lvc_view){ .kind = LVC_VIEW_BOOL, .u.b = b };
}

static inline lvc_view
lvc_v_int(int64_t i)
{
	return (lvc_view){ .kind = LVC_VIEW_INT, .u.i = i };
}

static inline lvc_view
lvc_v_strn(const char *p, size_t n)
{
	return (lvc_view){ .kind = LVC_VIEW_STR, .len = (uint32_t)n, .u.s = p };
}

static inline lvc_view
lvc_v_str(lvc_str s)
{
	return lvc_v_strn(s.p, s.n);
}

static inline lvc_view
lvc_v_cstr(const char *z)
{
	return lvc_v_strn(z, strlen(z));
}

static inline lvc_view
lvc_v_list(const lvc_vlist *l)
{
	return (lvc_view){ .kind = LVC_VIEW_LIST, .u.list = l };
}

static inline lvc_view
lvc_v_obj(const lvc_vobj *o)
{
	return (lvc_view){ .kind = LVC_VIEW_OBJECT, .u.obj = o };
}

static inline void
lvc_vobj_set(lvc_vobj *o, const char *key, lvc_view v)
{
	lvc_vobj_put(o, key, strlen(key), v);
}

#endif
