/* patch.c - RFC 6901 pointers and RFC 6902 patches on jansson values,
 * applied all or nothing through an undo log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "state/state.h"

/* ---- pointers -------------------------------------------------------------- */

/* The next reference token of *p (after its '/'), unescaped into a new
 * string; *p moves past it. NULL with *why on a bad escape. */
static char *
next_token(const char **p, const char **why)
{
	const char *s = *p + 1, *e = strchr(s, '/');
	size_t n = e ? (size_t)(e - s) : strlen(s);
	char *t = malloc(n + 1), *o = t;
	if (!t) {
		*why = "out of memory";
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '~') {
			*o++ = s[i];
			continue;
		}
		if (i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1')) {
			*o++ = s[++i] == '0' ? '~' : '/';
			continue;
		}
		free(t);
		*why = "a '~' in the pointer is not followed by 0 or 1";
		return NULL;
	}
	*o = 0;
	*p = s + n;
	return t;
}

/* An array index as RFC 6901 writes it: 0, or digits without a leading
 * zero. */
static bool
parse_index(const char *t, size_t *out)
{
	if (!*t || (t[0] == '0' && t[1]))
		return false;
	size_t v = 0;
	for (; *t; t++) {
		if (*t < '0' || *t > '9' || v > (SIZE_MAX - 9) / 10)
			return false;
		v = v * 10 + (size_t)(*t - '0');
	}
	*out = v;
	return true;
}

/* The child of container c named by token t, or NULL. */
static json_t *
child(json_t *c, const char *t)
{
	size_t i;
	if (json_is_object(c))
		return json_object_get(c, t);
	if (json_is_array(c) && parse_index(t, &i))
		return json_array_get(c, i);
	return NULL;
}

bool
lv__place_find(json_t *doc, const char *ptr, lv_place *pl, const char **why)
{
	*pl = (lv_place){ 0 };
	if (!*ptr)
		return true;
	if (*ptr != '/') {
		*why = "a pointer must be empty or start with '/'";
		return false;
	}
	json_t *c = doc;
	const char *p = ptr;
	for (;;) {
		char *t = next_token(&p, why);
		if (!t)
			return false;
		if (!*p) {               /* the last token names the place */
			if (json_is_object(c)) {
				pl->parent = c;
				pl->key = t;
				return true;
			}
			if (!json_is_array(c)) {
				free(t);
				*why = "the parent is not an object or an array";
				return false;
			}
			pl->parent = c;
			bool ok = strcmp(t, "-") == 0 ? (pl->end = true, pl->index = json_array_size(c), true)
			                              : parse_index(t, &pl->index);
			free(t);
			if (!ok) {
				*why = "an array index must be a number without leading zeros, or '-'";
				return false;
			}
			if (pl->index > json_array_size(c)) {
				*why = "the index is past the end of the array";
				return false;
			}
			return true;
		}
		json_t *next = child(c, t);
		free(t);
		if (!next) {
			*why = "a parent of the path does not exist";
			return false;
		}
		c = next;
	}
}

void
lv__place_done(lv_place *pl)
{
	free(pl->key);
	pl->key = NULL;
}

json_t *
lv__place_get(json_t *doc, const lv_place *pl)
{
	if (!pl->parent)
		return doc;
	if (pl->key)
		return json_object_get(pl->parent, pl->key);
	return pl->end ? NULL : json_array_get(pl->parent, pl->index);
}

json_t *
lv__pointer_get(json_t *doc, const char *ptr)
{
	lv_place pl;
	const char *why;
	if (!lv__place_find(doc, ptr, &pl, &why))
		return NULL;
	json_t *v = lv__place_get(doc, &pl);
	lv__place_done(&pl);
	return v;
}

void
lv__ptr_append(lv_buf *b, const char *token)
{
	lv_buf_append(b, "/", 1);
	for (const char *t = token; *t; t++) {
		if (*t == '~')
			lv_buf_append(b, "~0", 2);
		else if (*t == '/')
			lv_buf_append(b, "~1", 2);
		else
			lv_buf_append(b, t, 1);
	}
}

void
lv__ptr_truncate(lv_buf *b, size_t len)
{
	b->len = len;
	if (b->data)
		b->data[len] = 0;
}

/* ---- equality ---------------------------------------------------------------- */

bool
lv__json_same(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		return json_number_value(a) == json_number_value(b);
	}
	if (json_typeof(a) != json_typeof(b))
		return false;
	if (json_is_array(a)) {
		size_t n = json_array_size(a);
		if (n != json_array_size(b))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!lv__json_same(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	}
	if (json_is_object(a)) {
		if (json_object_size(a) != json_object_size(b))
			return false;
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)a, k, v) {
			json_t *w = json_object_get(b, k);
			if (!w || !lv__json_same(v, w))
				return false;
		}
		return true;
	}
	return json_equal((json_t *)a, (json_t *)b);   /* strings, true, false, null */
}

/* ---- applying, with undo ------------------------------------------------------- */

/* What puts one step back. */
typedef enum { U_ROOT, U_OBJ_SET, U_OBJ_DEL, U_ARR_INS, U_ARR_DEL, U_ARR_SET } undo_kind;

typedef struct {
	undo_kind kind;
	json_t *c;               /* the container (borrowed: kept alive by the
	                            document or by an older value below) */
	char *key;
	size_t index;
	json_t *old;             /* a reference, or NULL */
} undo;

typedef struct {
	undo *u;
	size_t n, cap;
	json_t **doc;
	lv_patch_error *err;
	size_t op;
} apply_ctx;

static int
fail(apply_ctx *a, const char *fmt, const char *arg)
{
	a->err->op = a->op;
	snprintf(a->err->why, sizeof a->err->why, fmt, arg);
	return LV_EINVALID_ARGUMENT;
}

static bool
push_undo(apply_ctx *a, undo u)
{
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		undo *nu = realloc(a->u, cap * sizeof *nu);
		if (!nu)
			return false;
		a->u = nu;
		a->cap = cap;
	}
	a->u[a->n++] = u;
	return true;
}

static void
undo_release(undo *u)
{
	json_decref(u->old);
	free(u->key);
}

static void
undo_one(apply_ctx *a, undo *u)
{
	switch (u->kind) {
	case U_ROOT:
		json_decref(*a->doc);
		*a->doc = u->old;
		u->old = NULL;
		break;
	case U_OBJ_SET:
		if (u->old)
			json_object_set(u->c, u->key, u->old);
		else
			json_object_del(u->c, u->key);
		break;
	case U_OBJ_DEL:
		json_object_set(u->c, u->key, u->old);
		break;
	case U_ARR_INS:
		json_array_remove(u->c, u->index);
		break;
	case U_ARR_DEL:
		json_array_insert(u->c, u->index, u->old);
		break;
	case U_ARR_SET:
		json_array_set(u->c, u->index, u->old);
		break;
	}
}

/* Puts v (taken) at the place: add (insert into an array) or replace. */
static int
put(apply_ctx *a, lv_place *pl, json_t *v, bool insert)
{
	undo u = { 0 };
	if (!pl->parent) {
		u = (undo){ U_ROOT, NULL, NULL, 0, *a->doc };
		*a->doc = v;
	} else if (pl->key) {
		json_t *old = json_object_get(pl->parent, pl->key);
		u = (undo){ U_OBJ_SET, pl->parent, pl->key, 0, json_incref(old) };
		pl->key = NULL;          /* the undo owns it now */
		if (json_object_set_new(pl->parent, u.key, v)) {
			undo_release(&u);
			return LV_ENOMEM;
		}
	} else if (insert) {
		u = (undo){ U_ARR_INS, pl->parent, NULL, pl->index, NULL };
		if (json_array_insert_new(pl->parent, pl->index, v))
			return LV_ENOMEM;
	} else {
		u = (undo){ U_ARR_SET, pl->parent, NULL, pl->index,
		            json_incref(json_array_get(pl->parent, pl->index)) };
		if (json_array_set_new(pl->parent, pl->index, v)) {
			undo_release(&u);
			return LV_ENOMEM;
		}
	}
	if (!push_undo(a, u)) {
		undo_one(a, &u);
		undo_release(&u);
		return LV_ENOMEM;
	}
	return 0;
}

/* Takes the value at the place out; *out gets a reference to it. */
static int
take(apply_ctx *a, lv_place *pl, json_t **out)
{
	json_t *v = lv__place_get(*a->doc, pl);
	if (!v)
		return fail(a, "%s", "there is nothing to remove at the path");
	if (!pl->parent)
		return fail(a, "%s", "the document itself cannot be removed");
	undo u;
	if (pl->key) {
		u = (undo){ U_OBJ_DEL, pl->parent, pl->key, 0, json_incref(v) };
		pl->key = NULL;
		json_object_del(pl->parent, u.key);
	} else {
		u = (undo){ U_ARR_DEL, pl->parent, NULL, pl->index, json_incref(v) };
		json_array_remove(pl->parent, pl->index);
	}
	if (!push_undo(a, u)) {
		undo_one(a, &u);
		undo_release(&u);
		return LV_ENOMEM;
	}
	*out = json_incref(v);
	return 0;
}

/* Does pointer inner lie strictly inside outer? */
static bool
ptr_inside(const char *inner, const char *outer)
{
	size_t n = strlen(outer);
	return strncmp(inner, outer, n) == 0 && inner[n] == '/';
}

static const char *
member_str(const json_t *op, const char *name)
{
	return json_string_value(json_object_get(op, name));
}

static int
apply_op(apply_ctx *a, const json_t *op)
{
	if (!json_is_object(op))
		return fail(a, "%s", "an operation must be an object");
	const char *kind = member_str(op, "op"), *path = member_str(op, "path");
	if (!kind)
		return fail(a, "%s", "an operation needs an \"op\" string");
	if (!path)
		return fail(a, "%s", "an operation needs a \"path\" string");
	bool is_add = strcmp(kind, "add") == 0, is_replace = strcmp(kind, "replace") == 0,
	     is_test = strcmp(kind, "test") == 0, is_remove = strcmp(kind, "remove") == 0,
	     is_move = strcmp(kind, "move") == 0, is_copy = strcmp(kind, "copy") == 0;
	if (!(is_add || is_replace || is_test || is_remove || is_move || is_copy))
		return fail(a, "unknown op \"%.40s\"", kind);
	json_t *value = json_object_get(op, "value");
	if ((is_add || is_replace || is_test) && !value)
		return fail(a, "\"%s\" needs a \"value\"", kind);
	const char *from = member_str(op, "from");
	if ((is_move || is_copy) && !from)
		return fail(a, "\"%s\" needs a \"from\" string", kind);

	const char *why;
	lv_place pl;
	if (!lv__place_find(*a->doc, path, &pl, &why))
		return fail(a, "path: %s", why);
	int rc = 0;
	json_t *cur = lv__place_get(*a->doc, &pl);
	if (is_test) {
		if (!cur)
			rc = fail(a, "%s", "test: there is no value at the path");
		else if (!lv__json_same(cur, value))
			rc = fail(a, "%s", "test: the value differs");
	} else if (is_add) {
		json_t *v = json_deep_copy(value);
		rc = v ? put(a, &pl, v, true) : LV_ENOMEM;
	} else if (is_replace) {
		if (!cur)
			rc = fail(a, "%s", "replace: there is no value at the path");
		else {
			json_t *v = json_deep_copy(value);
			rc = v ? put(a, &pl, v, false) : LV_ENOMEM;
		}
	} else if (is_remove) {
		json_t *old = NULL;
		rc = take(a, &pl, &old);
		json_decref(old);
	} else {                     /* move, copy: from, then path */
		lv_place fp;
		if (!lv__place_find(*a->doc, from, &fp, &why)) {
			lv__place_done(&pl);
			return fail(a, "from: %s", why);
		}
		json_t *src = lv__place_get(*a->doc, &fp);
		if (!src)
			rc = fail(a, "%s", "from: there is no value there");
		else if (is_copy) {
			json_t *v = json_deep_copy(src);
			rc = v ? put(a, &pl, v, true) : LV_ENOMEM;
		} else if (strcmp(from, path) == 0) {
			rc = 0;              /* a move onto itself changes nothing */
		} else if (ptr_inside(path, from)) {
			rc = fail(a, "%s", "move: a value cannot move into itself");
		} else {
			json_t *v = NULL;
			rc = take(a, &fp, &v);
			if (rc == 0) {       /* the target again: taking may shift it */
				lv__place_done(&pl);
				if (!lv__place_find(*a->doc, path, &pl, &why)) {
					json_decref(v);
					rc = fail(a, "path: %s", why);
				} else
					rc = put(a, &pl, v, true);
			}
		}
		lv__place_done(&fp);
	}
	lv__place_done(&pl);
	return rc;
}

int
lv__patch_apply(json_t **doc, const json_t *ops, lv_patch_error *err)
{
	apply_ctx a = { .doc = doc, .err = err };
	if (!json_is_array(ops)) {
		err->op = 0;
		snprintf(err->why, sizeof err->why, "a patch must be an array of operations");
		return LV_EINVALID_ARGUMENT;
	}
	int rc = 0;
	for (size_t i = 0; i < json_array_size(ops) && rc == 0; i++) {
		a.op = i;
		rc = apply_op(&a, json_array_get(ops, i));
	}
	if (rc)
		for (size_t i = a.n; i-- > 0;)
			undo_one(&a, &a.u[i]);
	for (size_t i = 0; i < a.n; i++)
		undo_release(&a.u[i]);
	free(a.u);
	return rc;
}
