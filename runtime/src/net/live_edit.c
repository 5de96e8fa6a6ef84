/* live_edit.c - the application's changes to a state by path (set, insert,
 * remove, move; typed or as JSON text), checked against the declared type
 * and recorded as patch operations for the next flush. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "state/state.h"
#include "net/live.h"

/* The declared type at path, or NULL (*why says so); *in_json when the
 * path goes into a json value, where anything goes. For a struct member
 * *optional says whether it may be absent. */
static const lv_type *
type_at(const lv_type *t, const char *path, bool *in_json, bool *optional, const char **why)
{
	*in_json = *optional = false;
	const char *p = path;
	while (*p) {
		if (*p != '/') {
			*why = "a path is empty or starts with '/'";
			return NULL;
		}
		const char *tok = ++p, *end = strchr(tok, '/');
		size_t n = end ? (size_t)(end - tok) : strlen(tok);
		p = tok + n;
		*optional = false;
		switch (t->kind) {
		case LV_K_JSON:
			*in_json = true;
			return t;
		case LV_K_LIST:
		case LV_K_MAP:
			t = t->elem;
			break;
		case LV_K_STRUCT: {
			const lv_field *f = NULL;
			for (uint32_t i = 0; i < t->nfields && !f; i++)
				if (strlen(t->fields[i].name) == n && memcmp(t->fields[i].name, tok, n) == 0)
					f = &t->fields[i];
			if (!f) {
				*why = "no such field in the state's type";
				return NULL;
			}
			*optional = f->has_offset != LV_REQUIRED;
			t = f->type;
			break;
		}
		default:
			*why = "the path goes into a value that has no members";
			return NULL;
		}
	}
	return t;
}

/* [json, +len) read as a value of type t, as the codec reads it, and
 * written again (defaults filled in, members in their declared order);
 * NULL when it is not one (*rc says why). */
static json_t *
typed_value(lv_server *s, const lv_type *t, const char *json, size_t len, int *rc)
{
	lv_arena a;
	lv_error err;
	lv_buf b;
	lv_arena_init(&a);
	lv_buf_init(&b);
	json_t *out = NULL;
	void *v = lv_arena_alloc(&a, t->size ? t->size : 1);
	*rc = v ? lv_decode(t, json, len, v, &a, &s->opt.limits, &err) : LV_ENOMEM;
	if (*rc == LV_EINVALID_ARGUMENT)
		LV_LOG(s, LV_LOG_WARN, "state: %s%s%s", err.path, err.path[0] ? ": " : "", err.message);
	if (*rc == 0 && (*rc = lv_encode(&b, t, v, &err)) == 0) {
		out = b.failed ? NULL : json_loadb(b.data, b.len, JSON_DECODE_ANY, NULL);
		*rc = out ? 0 : LV_ENOMEM;
	}
	lv_buf_free(&b);
	lv_arena_free(&a);
	return out;
}

/* A value for a place of type t: checked and written again, or taken as
 * it is inside a json value. */
static json_t *
value_for(lv_server *s, const lv_type *t, bool in_json, const char *json, size_t len, int *rc)
{
	if (!in_json && t->kind != LV_K_JSON)
		return typed_value(s, t, json, len, rc);
	json_t *v = json_loadb(json, len, JSON_DECODE_ANY, NULL);
	*rc = v ? 0 : LV_EINVALID_ARGUMENT;
	return v;
}

static int
refused(lv_state *st, const char *path, const lv_patch_error *err)
{
	LV_LOG(st->server, LV_LOG_WARN, "state %s: %s: %s", st->def->name, path, err->why);
	return LV_EINVALID_ARGUMENT;
}

static int
writable(lv_state *st)
{
	return st && st->def->owner == LV_STATE_SERVER && lv__on_loop(st->server) ? 0
	       : LV_EINVALID_ARGUMENT;
}

int
lv_state_set_json(lv_state *st, const char *path, const char *json, size_t len)
{
	bool in_json, optional;
	const char *why;
	if (writable(st) || !path || !json)
		return LV_EINVALID_ARGUMENT;
	const lv_type *t = type_at(st->def->type, path, &in_json, &optional, &why);
	if (!t) {
		lv_patch_error e = { 0 };
		snprintf(e.why, sizeof e.why, "%s", why);
		return refused(st, path, &e);
	}
	int rc;
	json_t *v = value_for(st->server, t, in_json, json, len, &rc);
	if (!v)
		return rc;
	lv_patch_error err;
	rc = lv__sdoc_set(&st->doc, path, v, &err);
	if (rc == LV_EINVALID_ARGUMENT)
		return refused(st, path, &err);
	return rc ? rc : lv__state_changed(st);
}

/* The path of item `index` of the list at path ("-": its end). */
static char *
item_path(const char *path, size_t index)
{
	size_t n = strlen(path) + 24;
	char *p = malloc(n);
	if (p) {
		if (index == SIZE_MAX)
			snprintf(p, n, "%s/-", path);
		else
			snprintf(p, n, "%s/%zu", path, index);
	}
	return p;
}

/* The list at path, checked: its item type (json: anything). */
static const lv_type *
list_at(lv_state *st, const char *path)
{
	bool in_json, optional;
	const char *why;
	const lv_type *t = type_at(st->def->type, path, &in_json, &optional, &why);
	if (!t || (!in_json && t->kind != LV_K_LIST && t->kind != LV_K_JSON))
		return NULL;
	return in_json || t->kind == LV_K_JSON ? &lv_json_type : t->elem;
}

int
lv_state_insert_json(lv_state *st, const char *path, size_t index, const char *json, size_t len)
{
	if (writable(st) || !path || !json)
		return LV_EINVALID_ARGUMENT;
	const lv_type *elem = list_at(st, path);
	if (!elem)
		return LV_EINVALID_ARGUMENT;
	int rc;
	json_t *v = value_for(st->server, elem, false, json, len, &rc);
	char *at = v ? item_path(path, index) : NULL;
	if (!v || !at) {
		json_decref(v);
		return v ? LV_ENOMEM : rc;
	}
	lv_patch_error err;
	rc = lv__sdoc_op(&st->doc, LV_OP_ADD, at, NULL, v, &err);
	if (rc == LV_EINVALID_ARGUMENT)
		refused(st, at, &err);
	free(at);
	return rc ? rc : lv__state_changed(st);
}

int
lv_state_remove(lv_state *st, const char *path)
{
	bool in_json, optional;
	const char *why;
	if (writable(st) || !path || !*path)
		return LV_EINVALID_ARGUMENT;
	/* What may go: a map entry, a list item, an optional field, or
	 * anything inside a json value. */
	const char *slash = strrchr(path, '/');
	char *parent = strndup(path, (size_t)(slash - path));
	if (!parent)
		return LV_ENOMEM;
	const lv_type *pt = type_at(st->def->type, parent, &in_json, &optional, &why);
	free(parent);
	if (pt && !in_json && pt->kind == LV_K_STRUCT) {
		type_at(st->def->type, path, &in_json, &optional, &why);
		if (!optional)
			pt = NULL;
	}
	if (!pt || (!in_json && pt->kind != LV_K_LIST && pt->kind != LV_K_MAP &&
	            pt->kind != LV_K_STRUCT && pt->kind != LV_K_JSON))
		return LV_EINVALID_ARGUMENT;
	lv_patch_error err;
	int rc = lv__sdoc_op(&st->doc, LV_OP_REMOVE, path, NULL, NULL, &err);
	if (rc == LV_EINVALID_ARGUMENT)
		return refused(st, path, &err);
	return rc ? rc : lv__state_changed(st);
}

int
lv_state_move(lv_state *st, const char *path, size_t from, size_t to)
{
	if (writable(st) || !path || !list_at(st, path) || from == SIZE_MAX || to == SIZE_MAX)
		return LV_EINVALID_ARGUMENT;
	char *f = item_path(path, from), *t = item_path(path, to);
	int rc = f && t ? 0 : LV_ENOMEM;
	lv_patch_error err;
	if (rc == 0 && (rc = lv__sdoc_op(&st->doc, LV_OP_MOVE, t, f, NULL, &err)) ==
	               LV_EINVALID_ARGUMENT)
		refused(st, t, &err);
	free(f);
	free(t);
	return rc ? rc : lv__state_changed(st);
}

int
lv_state_set(lv_state *st, const char *path, const lv_type *t, const void *v)
{
	lv_buf b;
	lv_error err;
	lv_buf_init(&b);
	int rc = lv_encode(&b, t, v, &err);
	if (rc == 0)
		rc = b.failed ? LV_ENOMEM : lv_state_set_json(st, path, b.data, b.len);
	lv_buf_free(&b);
	return rc;
}

int
lv_state_insert(lv_state *st, const char *path, size_t index, const lv_type *t, const void *v)
{
	lv_buf b;
	lv_error err;
	lv_buf_init(&b);
	int rc = lv_encode(&b, t, v, &err);
	if (rc == 0)
		rc = b.failed ? LV_ENOMEM : lv_state_insert_json(st, path, index, b.data, b.len);
	lv_buf_free(&b);
	return rc;
}

/* The path of the entry key of the map at path (key escaped). */
static char *
entry_path(const char *path, lv_str key)
{
	if (!key.ptr || memchr(key.ptr, 0, key.len))
		return NULL;
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, path);
	char *k = strndup(key.ptr, key.len);
	if (k)
		lv__ptr_append(&b, k);
	free(k);
	if (!k || b.failed) {
		lv_buf_free(&b);
		return NULL;
	}
	return b.data;
}

int
lv_state_put(lv_state *st, const char *path, lv_str key, const lv_type *t, const void *v)
{
	if (!path)
		return LV_EINVALID_ARGUMENT;
	char *at = entry_path(path, key);
	int rc = at ? lv_state_set(st, at, t, v) : LV_EINVALID_ARGUMENT;
	free(at);
	return rc;
}

int
lv_state_remove_key(lv_state *st, const char *path, lv_str key)
{
	if (!path)
		return LV_EINVALID_ARGUMENT;
	char *at = entry_path(path, key);
	int rc = at ? lv_state_remove(st, at) : LV_EINVALID_ARGUMENT;
	free(at);
	return rc;
}

int
lv_state_set_item(lv_state *st, const char *path, size_t index, const lv_type *t, const void *v)
{
	if (writable(st) || !path || index == SIZE_MAX || !list_at(st, path))
		return LV_EINVALID_ARGUMENT;
	char *at = item_path(path, index);
	int rc = !at ? LV_ENOMEM : !lv__pointer_get(st->doc.root, at) ? LV_EINVALID_ARGUMENT
	         : lv_state_set(st, at, t, v);
	free(at);
	return rc;
}

int
lv_state_remove_item(lv_state *st, const char *path, size_t index)
{
	if (writable(st) || !path || index == SIZE_MAX || !list_at(st, path))
		return LV_EINVALID_ARGUMENT;
	char *at = item_path(path, index);
	int rc = at ? lv_state_remove(st, at) : LV_ENOMEM;
	free(at);
	return rc;
}
