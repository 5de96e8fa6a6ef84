/* sdoc.c - a synchronised state's document: changes applied at once and
 * recorded as patch operations, coalesced by the place they touch until
 * the next flush. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/state.h"

/* One recorded operation: its JSON text, in the document's arena. */
struct lv_sop {
	const char *text;
	size_t len;
	bool dead;
};

/* A place that pending operations touched, by path. The operation at the
 * place itself (if any) is op; those below are in its children; those
 * recorded before a list under it shifted are in frozen, out of the
 * table: nothing later coalesces with them, but a remove or replace of
 * this place (or above) still drops them. */
typedef struct lv_sref lv_sref;
struct lv_sref {
	size_t op;
	lv_sref *next;
};

struct lv_snode {
	lv_hnode h;
	const char *path;
	lv_snode *parent, *kids, *sib;   /* live children */
	lv_snode *frozen;                /* children frozen by a shift, by sib */
	lv_sref *shifts;                 /* the shifting ops on this list */
	size_t op;                       /* SIZE_MAX: none */
	bool created;                    /* op added a member that was not there */
	bool in_table;
};

static bool
node_eq(const lv_hnode *n, const void *key)
{
	return strcmp(((const lv_snode *)n)->path, key) == 0;
}

void
lv__sdoc_init(lv_sdoc *d, json_t *root)
{
	*d = (lv_sdoc){ .root = root ? root : json_null() };
	lv_arena_init(&d->mem);
}

void
lv__sdoc_free(lv_sdoc *d)
{
	json_decref(d->root);
	free(d->ops);
	lv__htab_free(&d->nodes);
	lv_arena_free(&d->mem);
	*d = (lv_sdoc){ 0 };
}

bool
lv__sdoc_pending(const lv_sdoc *d)
{
	return d->live > 0;
}

/* The path of ptr's parent, in the arena ("" for a top-level member). */
static char *
parent_path(lv_sdoc *d, const char *ptr)
{
	const char *slash = strrchr(ptr, '/');
	size_t n = (size_t)(slash - ptr);
	char *p = lv_arena_alloc(&d->mem, n + 1);
	if (p) {
		memcpy(p, ptr, n);
		p[n] = 0;
	}
	return p;
}

/* The node of path, made (with its parents) when missing; NULL: no memory. */
static lv_snode *
node_of(lv_sdoc *d, const char *path)
{
	uint32_t h = lv__hash_str(path);
	lv_snode *n = (lv_snode *)lv__htab_find(&d->nodes, h, node_eq, path);
	if (n)
		return n;
	lv_snode *parent = NULL;
	if (*path) {
		char *pp = parent_path(d, path);
		if (!pp || !(parent = node_of(d, pp)))
			return NULL;
	}
	n = lv_arena_alloc(&d->mem, sizeof *n);
	size_t len = strlen(path);
	char *copy = lv_arena_alloc(&d->mem, len + 1);
	if (!n || !copy)
		return NULL;
	memcpy(copy, path, len + 1);
	*n = (lv_snode){ .path = copy, .parent = parent, .op = SIZE_MAX };
	if (lv__htab_insert(&d->nodes, &n->h, h))
		return NULL;
	n->in_table = true;
	if (parent) {
		n->sib = parent->kids;
		parent->kids = n;
	} else
		d->top = n;
	return n;
}

static void
kill_op(lv_sdoc *d, size_t op)
{
	if (op != SIZE_MAX && !d->ops[op].dead) {
		d->ops[op].dead = true;
		d->live--;
	}
}

/* Drops every operation below n (not n's own), and takes its live
 * descendants out of the table. */
static void
drop_below(lv_sdoc *d, lv_snode *n)
{
	for (lv_sref *r = n->shifts; r; r = r->next)
		kill_op(d, r->op);
	n->shifts = NULL;
	lv_snode *lists[2] = { n->kids, n->frozen };
	for (int i = 0; i < 2; i++)
		for (lv_snode *k = lists[i]; k; k = k->sib) {
			kill_op(d, k->op);
			k->op = SIZE_MAX;
			drop_below(d, k);
			if (k->in_table) {
				lv__htab_remove(&d->nodes, &k->h);
				k->in_table = false;
			}
		}
	n->kids = n->frozen = NULL;
}

/* Takes n's descendants out of the table: their places move when the
 * list n shifts. Their operations stay, reachable from n->frozen. */
static void
untable(lv_sdoc *d, lv_snode *n)
{
	for (lv_snode *k = n->kids; k; k = k->sib) {
		if (k->in_table) {
			lv__htab_remove(&d->nodes, &k->h);
			k->in_table = false;
		}
		untable(d, k);
	}
}

static void
freeze(lv_sdoc *d, lv_snode *list)
{
	untable(d, list);
	if (!list->kids)
		return;
	lv_snode *last = list->kids;
	while (last->sib)
		last = last->sib;
	last->sib = list->frozen;
	list->frozen = list->kids;
	list->kids = NULL;
}

/* Appends an operation's text; its index, or SIZE_MAX without memory. */
static size_t
record(lv_sdoc *d, const char *kind, const char *path, const char *from, const json_t *v)
{
	if (d->nops == d->capops) {
		size_t cap = d->capops ? d->capops * 2 : 16;
		lv_sop *ops = realloc(d->ops, cap * sizeof *ops);
		if (!ops)
			return SIZE_MAX;
		d->ops = ops;
		d->capops = cap;
	}
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, "{\"op\":\"");
	lv_buf_puts(&b, kind);
	lv_buf_puts(&b, "\",");
	if (from) {
		lv_buf_puts(&b, "\"from\":");
		lv_buf_json_str(&b, from, strlen(from));
		lv_buf_puts(&b, ",");
	}
	lv_buf_puts(&b, "\"path\":");
	lv_buf_json_str(&b, path, strlen(path));
	if (v) {
		char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!text) {
			lv_buf_free(&b);
			return SIZE_MAX;
		}
		lv_buf_puts(&b, ",\"value\":");
		lv_buf_puts(&b, text);
		free(text);
	}
	lv_buf_puts(&b, "}");
	char *t = b.failed ? NULL : lv_arena_alloc(&d->mem, b.len);
	if (t)
		memcpy(t, b.data, b.len);
	size_t len = b.len;
	lv_buf_free(&b);
	if (!t)
		return SIZE_MAX;
	d->ops[d->nops] = (lv_sop){ t, len, false };
	d->live++;
	return d->nops++;
}

static int
refuse(lv_patch_error *err, const char *why)
{
	err->op = 0;
	snprintf(err->why, sizeof err->why, "%s", why);
	return LV_EINVALID_ARGUMENT;
}

static int
remember_shift(lv_sdoc *d, lv_snode *list, size_t op)
{
	lv_sref *r = lv_arena_alloc(&d->mem, sizeof *r);
	if (!r)
		return LV_ENOMEM;
	*r = (lv_sref){ op, list->shifts };
	list->shifts = r;
	return 0;
}

/* Records a set (add or replace) or a remove of an object member, or of
 * the root, or a replace of a list item: the last one at a place wins. */
static int
record_at(lv_sdoc *d, const char *path, const json_t *v, bool add, bool created)
{
	lv_snode *n = node_of(d, path);
	if (!n)
		return LV_ENOMEM;
	drop_below(d, n);
	if (n->op != SIZE_MAX) {
		created = n->created;    /* still new since the last flush */
		kill_op(d, n->op);
		n->op = SIZE_MAX;
	}
	if (!v && created) {         /* added and removed again: nothing */
		n->created = false;
		return 0;
	}
	size_t op = record(d, v ? (add || created ? "add" : "replace") : "remove", path, NULL, v);
	if (op == SIZE_MAX)
		return LV_ENOMEM;
	n->op = op;
	n->created = v && created;
	return 0;
}

/* Records an insert, remove or move in the list holding item: the places
 * of the list's items shift, so what was recorded under it is frozen. */
static int
record_shift(lv_sdoc *d, const char *item, const char *kind, const char *path,
             const char *from, const json_t *v)
{
	char *list = parent_path(d, item);
	lv_snode *ln = list ? node_of(d, list) : NULL;
	if (!ln)
		return LV_ENOMEM;
	freeze(d, ln);
	size_t op = record(d, kind, path, from, v);
	return op == SIZE_MAX ? LV_ENOMEM : remember_shift(d, ln, op);
}

/* A list item removed: what was recorded in it goes with it. */
static int
record_item_remove(lv_sdoc *d, const char *path)
{
	lv_snode *item = node_of(d, path);
	if (!item)
		return LV_ENOMEM;
	drop_below(d, item);
	kill_op(d, item->op);
	item->op = SIZE_MAX;
	return record_shift(d, path, "remove", path, NULL, NULL);
}

int
lv__sdoc_op(lv_sdoc *d, lv_op_kind kind, const char *path, const char *from, json_t *value,
            lv_patch_error *err)
{
	const char *why;
	lv_place pl, fp = { 0 };
	if (!lv__place_find(d->root, path, &pl, &why)) {
		json_decref(value);
		return refuse(err, why);
	}
	json_t *cur = lv__place_get(d->root, &pl);
	bool in_list = pl.parent && !pl.key;
	int rc = 0;
	switch (kind) {
	case LV_OP_ADD:
	case LV_OP_REPLACE:
		if (!value) {
			rc = refuse(err, "a value is needed");
			break;
		}
		if (kind == LV_OP_REPLACE && !cur) {
			rc = refuse(err, "replace: there is no value at the path");
			break;
		}
		if (in_list && kind == LV_OP_ADD) {          /* an insert: a shift */
			if (json_array_insert(pl.parent, pl.index, value)) {
				rc = LV_ENOMEM;
				break;
			}
			/* "-" is recorded as the index it became */
			char *list = parent_path(d, path), idx[24];
			snprintf(idx, sizeof idx, "%zu", pl.index);
			char *at = list ? lv_arena_alloc(&d->mem, strlen(list) + strlen(idx) + 2) : NULL;
			if (!at) {
				rc = LV_ENOMEM;
				break;
			}
			sprintf(at, "%s/%s", list, idx);
			rc = record_shift(d, path, "add", at, NULL, value);
			break;
		}
		bool created = !cur;
		if (!pl.parent) {
			json_decref(d->root);
			d->root = json_incref(value);
		} else if (pl.key ? json_object_set(pl.parent, pl.key, value)
		                  : json_array_set(pl.parent, pl.index, value)) {
			rc = LV_ENOMEM;
			break;
		}
		rc = record_at(d, path, value, kind == LV_OP_ADD, created);
		break;
	case LV_OP_REMOVE:
		if (!cur) {
			rc = refuse(err, "remove: there is nothing at the path");
			break;
		}
		if (!pl.parent) {
			rc = refuse(err, "remove: the state itself cannot be removed");
			break;
		}
		if (!in_list) {
			json_object_del(pl.parent, pl.key);
			rc = record_at(d, path, NULL, false, false);
			break;
		}
		json_array_remove(pl.parent, pl.index);
		rc = record_item_remove(d, path);
		break;
	case LV_OP_MOVE: {
		if (!from || !lv__place_find(d->root, from, &fp, &why)) {
			rc = refuse(err, from ? why : "move: a from path is needed");
			break;
		}
		json_t *src = lv__place_get(d->root, &fp);
		if (!src || !in_list || !fp.parent || fp.key || fp.parent != pl.parent || !cur) {
			rc = refuse(err, "move: both paths must be items of one list");
			break;
		}
		if (fp.index == pl.index)
			break;
		json_incref(src);
		json_array_remove(fp.parent, fp.index);
		json_array_insert_new(pl.parent, pl.index, src);
		rc = record_shift(d, path, "move", path, from, NULL);
		break;
	}
	}
	lv__place_done(&pl);
	lv__place_done(&fp);
	json_decref(value);
	return rc;
}

/* Records what turns the value at path (old, borrowed) into v (borrowed). */
static int
diff(lv_sdoc *d, lv_buf *path, const json_t *old, json_t *v, lv_patch_error *err)
{
	if (old == v || lv__json_same(old, v))
		return 0;
	size_t at = path->len;
	int rc = 0;
	if (json_is_object(old) && json_is_object(v)) {
		const char *k;
		json_t *x;
		json_object_foreach((json_t *)old, k, x) {
			if (json_object_get(v, k))
				continue;
			lv__ptr_append(path, k);
			rc = lv__sdoc_op(d, LV_OP_REMOVE, path->data, NULL, NULL, err);
			lv__ptr_truncate(path, at);
			if (rc)
				return rc;
		}
		json_object_foreach(v, k, x) {
			json_t *was = json_object_get(old, k);
			lv__ptr_append(path, k);
			rc = was ? diff(d, path, was, x, err)
			         : lv__sdoc_op(d, LV_OP_ADD, path->data, NULL, json_incref(x), err);
			lv__ptr_truncate(path, at);
			if (rc)
				return rc;
		}
		return 0;
	}
	if (json_is_array(old) && json_is_array(v) && json_array_size(old) == json_array_size(v)) {
		for (size_t i = 0; i < json_array_size(v) && rc == 0; i++) {
			char idx[24];
			snprintf(idx, sizeof idx, "%zu", i);
			lv__ptr_append(path, idx);
			rc = diff(d, path, json_array_get(old, i), json_array_get(v, i), err);
			lv__ptr_truncate(path, at);
		}
		return rc;
	}
	return lv__sdoc_op(d, LV_OP_REPLACE, path->data, NULL, json_incref(v), err);
}

int
lv__sdoc_set(lv_sdoc *d, const char *path, json_t *value, lv_patch_error *err)
{
	json_t *old = lv__pointer_get(d->root, path);
	if (!old)
		return lv__sdoc_op(d, LV_OP_ADD, path, NULL, value, err);
	json_incref(old);            /* the diff replaces parts of it */
	json_t *copy = json_deep_copy(old);
	json_decref(old);
	if (!copy) {
		json_decref(value);
		return LV_ENOMEM;
	}
	lv_buf p;
	lv_buf_init(&p);
	lv__buf_reserve(&p, strlen(path));
	lv_buf_append(&p, path, strlen(path));
	if (p.data)
		p.data[p.len] = 0;
	int rc = p.failed ? LV_ENOMEM : diff(d, &p, copy, value, err);
	lv_buf_free(&p);
	json_decref(copy);
	json_decref(value);
	return rc;
}

bool
lv__sdoc_flush(lv_sdoc *d, lv_buf *out)
{
	if (!d->live) {
		d->nops = 0;
		return false;
	}
	lv_buf_puts(out, "[");
	bool first = true;
	for (size_t i = 0; i < d->nops; i++) {
		if (d->ops[i].dead)
			continue;
		if (!first)
			lv_buf_puts(out, ",");
		lv_buf_append(out, d->ops[i].text, d->ops[i].len);
		first = false;
	}
	lv_buf_puts(out, "]");
	d->nops = d->live = 0;
	lv__htab_free(&d->nodes);
	d->top = NULL;
	lv__arena_reset(&d->mem, 64 * 1024);
	d->rev++;
	return true;
}

void
lv__sdoc_snapshot(const lv_sdoc *d, lv_buf *out)
{
	char *text = json_dumps(d->root, JSON_COMPACT | JSON_ENCODE_ANY);
	lv_buf_puts(out, "[{\"op\":\"replace\",\"path\":\"\",\"value\":");
	lv_buf_puts(out, text ? text : "null");
	lv_buf_puts(out, "}]");
	free(text);
}
