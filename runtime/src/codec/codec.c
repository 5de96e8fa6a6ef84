/* codec.c - the JSON codec for values described by lv_type tables: one
 * decoder that validates everything, one encoder that never writes invalid
 * JSON. Generated code is tables; the logic lives here, once. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec/codec.h"

#define DEFAULT_DEPTH 32
#define DEFAULT_ITEMS 100000
#define DEFAULT_STRING (1u << 20)

const lv_type lv_void_type = { LV_K_VOID, "void", 0, NULL, NULL, 0, NULL, 0 };
const lv_type lv_bool_type = { LV_K_BOOL, "bool", sizeof(bool), NULL, NULL, 0, NULL, 0 };
const lv_type lv_int_type = { LV_K_INT, "int", sizeof(int64_t), NULL, NULL, 0, NULL, 0 };
const lv_type lv_float_type = { LV_K_FLOAT, "float", sizeof(double), NULL, NULL, 0, NULL, 0 };
const lv_type lv_str_type = { LV_K_STRING, "string", sizeof(lv_str), NULL, NULL, 0, NULL, 0 };
const lv_type lv_bytes_type = { LV_K_BYTES, "bytes", sizeof(lv_bytes), NULL, NULL, 0, NULL, 0 };
const lv_type lv_json_type = { LV_K_JSON, "json", sizeof(lv_json), NULL, NULL, 0, NULL, 0 };
const lv_type lv_no_args_type = { LV_K_STRUCT, "no arguments", 1, NULL, NULL, 0, NULL, 0 };

typedef struct {
	lv_jr r;                    /* the text, a writable copy in the arena */
	lv_arena *arena;
	lv_limits lim;
	lv_error *err;
	char path[128];
	size_t plen;
	bool path_cut;
} dec;

static int
fail(dec *d, const char *fmt, ...)
{
	lv_error *e = d->err;
	e->code = LV_EINVALID_ARGUMENT;
	snprintf(e->path, sizeof e->path, "%s%s", d->path, d->path_cut ? "..." : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	return LV_EINVALID_ARGUMENT;
}

static int
nomem(dec *d)
{
	d->err->code = LV_ENOMEM;
	snprintf(d->err->path, sizeof d->err->path, "%s", d->path);
	snprintf(d->err->message, sizeof d->err->message, "out of memory");
	return LV_ENOMEM;
}

/* The reader met text that is not JSON. */
static int
syntax(dec *d)
{
	if (d->r.err && strcmp(d->r.err, "out of memory") == 0)
		return nomem(d);
	return fail(d, "malformed JSON at byte %zu: %s", d->r.err_at,
	            d->r.err ? d->r.err : "unexpected end of input");
}

/* Path segments: ".name" or "[index]"; the first name has no dot. Room
 * is kept for the "..." that marks a cut path. Returns the old length. */
static size_t
path_push(char *path, size_t cap, size_t *plen, bool *cut, const char *name, size_t index)
{
	size_t old = *plen;
	char seg[24];
	size_t n, lead = 0;
	if (name) {
		n = strlen(name);
		lead = old ? 1 : 0;
	} else {
		seg[0] = '[';
		n = 1 + lv__u64_dec(seg + 1, index);
		seg[n++] = ']';
	}
	if (old + lead + n + 1 > cap - 3) {
		if (cut)
			*cut = true;
		return old;
	}
	if (lead)
		path[old] = '.';
	memcpy(path + old + lead, name ? name : seg, n);
	*plen = old + lead + n;
	path[*plen] = '\0';
	return old;
}

static size_t
push_name(dec *d, const char *name)
{
	return path_push(d->path, sizeof d->path, &d->plen, &d->path_cut, name, 0);
}

static size_t
push_index(dec *d, size_t i)
{
	return path_push(d->path, sizeof d->path, &d->plen, &d->path_cut, NULL, i);
}

static void
pop(dec *d, size_t old)
{
	d->plen = old;
	d->path[old] = '\0';
}

/* "expected WHAT, got KIND" for the value at the reader. A literal, a
 * number or a string is read first (a malformed one is a syntax error);
 * an object or a list is named by its bracket, before anything in it. */
static int
mismatch(dec *d, const char *fmt, ...)
{
	const char *kind;
	lv_jr_num num;
	size_t n;
	bool b;
	switch (lv__jr_peek(&d->r)) {
	case LV_JR_OBJECT: kind = "object"; break;
	case LV_JR_LIST: kind = "list"; break;
	case LV_JR_STRING:
		kind = "string";
		if (!lv__jr_string(&d->r, NULL, 0, &n, NULL))
			return syntax(d);
		break;
	case LV_JR_BOOL:
		kind = "bool";
		if (!lv__jr_bool(&d->r, &b))
			return syntax(d);
		break;
	case LV_JR_NULL:
		kind = "null";
		if (!lv__jr_null(&d->r))
			return syntax(d);
		break;
	case LV_JR_NUMBER:
		if (!lv__jr_number(&d->r, &num))
			return syntax(d);
		kind = num.is_int && !num.big ? "int" : "float";
		break;
	default:
		lv__jr_expected_value(&d->r);
		return syntax(d);
	}
	char what[160];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return fail(d, "%s, got %s", what, kind);
}

/* Reads the string at the reader in place: the copy of the text is the
 * decoder's own, and its bytes become the value (NUL-terminated). */
static int
read_string(dec *d, lv_str *out, bool *nul)
{
	char *dst = (char *)d->r.p + 1;
	size_t n;
	if (!lv__jr_string(&d->r, dst, SIZE_MAX, &n, nul))
		return syntax(d);
	*out = (lv_str){ dst, n };
	return 0;
}

static int decode(dec *d, const lv_type *t, void *out, uint32_t depth);

/* A value of type json: checked by the reader, and kept as its text (a
 * NUL-terminated copy in the arena). */
static int
decode_json(dec *d, void *out)
{
	lv__jr_peek(&d->r);
	const char *at = d->r.p;
	if (!lv__jr_skip(&d->r, 0))
		return syntax(d);
	size_t n = (size_t)(d->r.p - at);
	char *copy = lv__arena_take(d->arena, n + 1);
	if (!copy)
		return nomem(d);
	memcpy(copy, at, n);
	copy[n] = '\0';
	*(lv_json *)out = (lv_json){ copy, n };
	return 0;
}

static int
decode_field(dec *d, const lv_field *f, void *out, uint32_t depth)
{
	char *slot = (char *)out + f->offset;
	if (f->has_offset == LV_OPT_POINTER) {
		void *p = lv_arena_alloc(d->arena, f->type->size);
		if (!p)
			return nomem(d);
		int rc = decode(d, f->type, p, depth + 1);
		if (rc == 0)
			*(void **)slot = p;
		return rc;
	}
	int rc = decode(d, f->type, slot, depth + 1);
	if (rc == 0 && f->has_offset >= 0)
		*(bool *)((char *)out + f->has_offset) = true;
	return rc;
}

/* An absent field's default, from the JSON text in the tables: read from
 * a copy in the arena, like everything else. A null default leaves an
 * optional field absent. */
static int
decode_default(dec *d, const lv_field *f, void *out, uint32_t depth)
{
	size_t n = strlen(f->default_json);
	char *copy = lv_arena_alloc(d->arena, n + 1);
	if (!copy)
		return nomem(d);
	memcpy(copy, f->default_json, n);
	lv_jr saved = d->r;
	lv__jr_init(&d->r, copy, n);
	int rc = 0;
	if (lv__jr_peek(&d->r) == LV_JR_NULL && f->has_offset != LV_REQUIRED)
		rc = lv__jr_null(&d->r) ? 0 : syntax(d);
	else
		rc = decode_field(d, f, out, depth);
	if (rc == 0 && !lv__jr_finish(&d->r))
		rc = syntax(d);
	d->r = saved;
	return rc;
}

/* The field named key: fields mostly come in declaration order, so the
 * search starts after the last one found. */
static uint32_t
find_field(const lv_type *t, const char *key, size_t n, uint32_t hint)
{
	for (uint32_t k = 0; k < t->nfields; k++) {
		uint32_t i = hint + k < t->nfields ? hint + k : hint + k - t->nfields;
		const char *name = t->fields[i].name;
		if (strncmp(name, key, n) == 0 && name[n] == '\0')
			return i;
	}
	return t->nfields;
}

static int
decode_struct_fields(dec *d, const lv_type *t, void *out, uint32_t depth)
{
	bool small[64] = { false };
	bool *seen = t->nfields <= 64 ? small : lv_arena_alloc(d->arena, t->nfields);
	if (!seen)
		return nomem(d);
	if (!lv__jr_open(&d->r, '{'))
		return syntax(d);
	bool first = true;
	uint32_t hint = 0;
	int more;
	while ((more = lv__jr_more(&d->r, '}', &first)) > 0) {
		lv_str key = { NULL, 0 };
		bool nul;
		int rc = read_string(d, &key, &nul);
		if (rc)
			return rc;
		if (!lv__jr_colon(&d->r))
			return syntax(d);
		uint32_t i = nul ? t->nfields : find_field(t, key.ptr, key.len, hint);
		if (i == t->nfields || seen[i]) {
			push_name(d, key.ptr);
			if (i == t->nfields)
				return fail(d, "unknown field");
			return fail(d, "duplicate field");
		}
		seen[i] = true;
		hint = i + 1;
		const lv_field *f = &t->fields[i];
		size_t old = push_name(d, f->name);
		if (f->has_offset != LV_REQUIRED && lv__jr_peek(&d->r) == LV_JR_NULL)
			rc = lv__jr_null(&d->r) ? 0 : syntax(d);   /* null: absent */
		else
			rc = decode_field(d, f, out, depth);
		if (rc)
			return rc;
		pop(d, old);
	}
	if (more < 0)
		return syntax(d);
	for (uint32_t i = 0; i < t->nfields; i++) {
		if (seen[i])
			continue;
		const lv_field *f = &t->fields[i];
		if (!f->default_json && f->has_offset != LV_REQUIRED)
			continue;   /* absent: the flag stays false, the pointer NULL */
		size_t old = push_name(d, f->name);
		if (!f->default_json)
			return fail(d, "missing required field");
		int rc = decode_default(d, f, out, depth);
		if (rc)
			return rc;
		pop(d, old);
	}
	return 0;
}

/* Room for item n of a list or map being read: arrays double in the
 * arena (what they leave behind is freed with it). */
static void *
grow(dec *d, void *items, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return items;
	size_t ncap = *cap ? *cap * 2 : 4;
	if (ncap > d->lim.max_items)
		ncap = d->lim.max_items;
	void *grown = lv_arena_alloc(d->arena, ncap * size);
	if (grown && n)
		memcpy(grown, items, n * size);
	*cap = ncap;
	return grown;
}

static int
cmp_str(const void *a, const void *b)
{
	const lv_str *x = *(const lv_str *const *)a, *y = *(const lv_str *const *)b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->ptr, y->ptr, n);
	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* A key given twice in a map, or NULL. */
static const lv_str *
duplicate_key(dec *d, const lv_str *keys, size_t n, int *rc)
{
	*rc = 0;
	if (n <= 8) {
		for (size_t i = 1; i < n; i++)
			for (size_t j = 0; j < i; j++)
				if (keys[i].len == keys[j].len &&
				    memcmp(keys[i].ptr, keys[j].ptr, keys[i].len) == 0)
					return &keys[i];
		return NULL;
	}
	const lv_str **sorted = lv_arena_alloc(d->arena, n * sizeof *sorted);
	if (!sorted) {
		*rc = nomem(d);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		sorted[i] = &keys[i];
	qsort(sorted, n, sizeof *sorted, cmp_str);
	for (size_t i = 1; i < n; i++)
		if (cmp_str(&sorted[i - 1], &sorted[i]) == 0)
			return sorted[i];
	return NULL;
}

/* A list or map being read: its items (values) and, for a map, keys. */
typedef struct {
	const lv_type *elem;
	uint32_t depth;
	char *items;
	size_t cap;
	lv_str *keys;
	size_t kcap;
} members;

/* Reads the members of a list ('[') or map ('{') with one(), at most
 * max_items of them ("PRE N UNIT" when there are more); *count is how
 * many. */
static int
read_members(dec *d, char open, const char *pre, const char *unit,
             int (*one)(dec *, members *, size_t), members *m, size_t *count)
{
	bool first = true;
	int more;
	size_t n = 0;
	if (!lv__jr_open(&d->r, open))
		return syntax(d);
	while ((more = lv__jr_more(&d->r, open == '[' ? ']' : '}', &first)) > 0) {
		if (n == d->lim.max_items)
			return fail(d, "%s %u %s", pre, d->lim.max_items, unit);
		int rc = one(d, m, n);
		if (rc)
			return rc;
		n++;
	}
	if (more < 0)
		return syntax(d);
	*count = n;
	return 0;
}

static int
list_item(dec *d, members *m, size_t n)
{
	size_t size = m->elem->size;
	if (!(m->items = grow(d, m->items, n, &m->cap, size)))
		return nomem(d);
	size_t old = push_index(d, n);
	int rc = decode(d, m->elem, m->items + n * size, m->depth + 1);
	if (rc == 0)
		pop(d, old);
	return rc;
}

static int
decode_list(dec *d, const lv_type *t, void *out, uint32_t depth)
{
	struct { size_t n; char *items; } *l = out;
	members m = { .elem = t->elem, .depth = depth };
	size_t n;
	int rc = read_members(d, '[', "list longer than", "items", list_item, &m, &n);
	if (rc)
		return rc;
	l->n = n;
	l->items = m.items;
	return 0;
}

static int
map_entry(dec *d, members *m, size_t n)
{
	size_t size = m->elem->size;
	if (!(m->keys = grow(d, m->keys, n, &m->kcap, sizeof *m->keys)) ||
	    !(m->items = grow(d, m->items, n, &m->cap, size)))
		return nomem(d);
	bool nul;
	int rc = read_string(d, &m->keys[n], &nul);
	if (rc)
		return rc;
	if (!lv__jr_colon(&d->r))
		return syntax(d);
	size_t old = push_name(d, m->keys[n].ptr);
	if (nul)   /* as in a string value: C code reads keys as C strings */
		return fail(d, "key contains a NUL character");
	rc = decode(d, m->elem, m->items + n * size, m->depth + 1);
	if (rc == 0)
		pop(d, old);
	return rc;
}

static int
decode_map(dec *d, const lv_type *t, void *out, uint32_t depth)
{
	struct { size_t n; lv_str *keys; char *values; } *map = out;
	members m = { .elem = t->elem, .depth = depth };
	size_t n;
	int rc = read_members(d, '{', "map larger than", "entries", map_entry, &m, &n);
	if (rc)
		return rc;
	const lv_str *dup = duplicate_key(d, m.keys, n, &rc);
	if (rc)
		return rc;
	if (dup) {
		push_name(d, dup->ptr);
		return fail(d, "duplicate key");
	}
	map->n = n;
	map->keys = m.keys;
	map->values = m.items;
	return 0;
}

static int
decode(dec *d, const lv_type *t, void *out, uint32_t depth)
{
	if (depth > d->lim.max_depth)
		return fail(d, "nested deeper than %u levels", d->lim.max_depth);
	lv_jr_kind k = lv__jr_peek(&d->r);
	lv_jr_num num;
	lv_str s;
	bool nul;
	int rc;
	switch (t->kind) {
	case LV_K_VOID:
		if (k != LV_JR_NULL)
			return mismatch(d, "expected null");
		return lv__jr_null(&d->r) ? 0 : syntax(d);
	case LV_K_BOOL:
		if (k != LV_JR_BOOL)
			return mismatch(d, "expected bool");
		return lv__jr_bool(&d->r, out) ? 0 : syntax(d);
	case LV_K_INT:
		if (k != LV_JR_NUMBER)
			return mismatch(d, "expected int");
		if (!lv__jr_number(&d->r, &num))
			return syntax(d);
		if (num.is_int) {
			if (num.big)
				return fail(d, "int out of range");
			*(int64_t *)out = num.i;
			return 0;
		}
		if (num.d != floor(num.d))
			return fail(d, "expected int, got a number with a fraction");
		if (num.d >= 9223372036854775808.0 || num.d <= -9223372036854775808.0)
			return fail(d, "int out of range");
		return fail(d, "expected int, got float");
	case LV_K_FLOAT:
		if (k != LV_JR_NUMBER)
			return mismatch(d, "expected float");
		if (!lv__jr_number(&d->r, &num))
			return syntax(d);
		if (num.range)
			return fail(d, "number out of range");
		*(double *)out = num.is_int && !num.big ? (double)num.i : num.d;
		return 0;
	case LV_K_STRING:
		if (k != LV_JR_STRING)
			return mismatch(d, "expected string");
		if ((rc = read_string(d, &s, &nul)))
			return rc;
		if (s.len > d->lim.max_string)
			return fail(d, "string longer than %u bytes", d->lim.max_string);
		if (nul)
			return fail(d, "string contains a NUL character");
		*(lv_str *)out = s;
		return 0;
	case LV_K_BYTES: {
		if (k != LV_JR_STRING)
			return mismatch(d, "expected bytes (a base64 string)");
		if ((rc = read_string(d, &s, NULL)))
			return rc;
		size_t want = lv__b64_decoded_len(s.ptr, s.len);
		if (want == SIZE_MAX)
			return fail(d, "invalid base64");
		if (want > d->lim.max_string)
			return fail(d, "bytes longer than %u bytes", d->lim.max_string);
		/* Decoded in place: the output never overtakes the input. */
		uint8_t *buf = (uint8_t *)s.ptr;
		lv__b64_decode(s.ptr, s.len, buf);
		*(lv_bytes *)out = (lv_bytes){ want ? buf : NULL, want };
		return 0;
	}
	case LV_K_JSON:
		return decode_json(d, out);
	case LV_K_ENUM:
		if (k != LV_JR_STRING)
			return mismatch(d, "expected %s (a string)", t->name);
		if ((rc = read_string(d, &s, &nul)))
			return rc;
		for (uint32_t i = 0; i < t->nmembers && !nul; i++)
			if (strncmp(t->members[i], s.ptr, s.len) == 0 &&
			    t->members[i][s.len] == '\0') {
				*(int *)out = (int)i;
				return 0;
			}
		return fail(d, "'%.64s' is not a member of %s", s.ptr, t->name);
	case LV_K_STRUCT:
		if (k != LV_JR_OBJECT)
			return mismatch(d, "expected %s object", t->name);
		return decode_struct_fields(d, t, out, depth);
	case LV_K_LIST:
		if (k != LV_JR_LIST)
			return mismatch(d, "expected list");
		return decode_list(d, t, out, depth);
	case LV_K_MAP:
		if (k != LV_JR_OBJECT)
			return mismatch(d, "expected map (an object)");
		return decode_map(d, t, out, depth);
	}
	return fail(d, "unknown type");
}

/* Decodes text (copied into the arena) as t, or as the fields of t. */
static int
decode_text(const lv_type *t, bool fields, const char *text, size_t n, void *out,
            lv_arena *a, const lv_limits *lim, lv_error *err)
{
	dec d;
	memset(&d, 0, sizeof d);
	d.arena = a;
	d.err = err;
	if (lim)
		d.lim = *lim;
	if (!d.lim.max_depth) d.lim.max_depth = DEFAULT_DEPTH;
	if (!d.lim.max_items) d.lim.max_items = DEFAULT_ITEMS;
	if (!d.lim.max_string) d.lim.max_string = DEFAULT_STRING;
	err->code = 0;
	err->path[0] = err->message[0] = '\0';
	memset(out, 0, t->size);
	if (!text) {
		text = "{}";
		n = 2;
	}
	char *copy = lv__arena_take(a, n + 1);
	if (!copy)
		return nomem(&d);
	memcpy(copy, text, n);
	copy[n] = '\0';
	lv__jr_init(&d.r, copy, n);
	int rc;
	if (!fields)
		rc = decode(&d, t, out, 0);
	else if (lv__jr_peek(&d.r) != LV_JR_OBJECT)
		rc = mismatch(&d, "arguments must be an object of named values");
	else
		rc = decode_struct_fields(&d, t, out, 0);
	if (rc == 0 && !lv__jr_finish(&d.r))
		rc = syntax(&d);
	return rc;
}

int
lv_decode(const lv_type *t, const char *text, size_t n, void *out, lv_arena *a,
               const lv_limits *lim, lv_error *err)
{
	return decode_text(t, false, text ? text : "", text ? n : 0, out, a, lim, err);
}

int
lv_decode_fields(const lv_type *t, const char *text, size_t n, void *out,
                      lv_arena *a, const lv_limits *lim, lv_error *err)
{
	return decode_text(t, true, text, n, out, a, lim, err);
}

/* ---- encoding ------------------------------------------------------------------ */

typedef struct {
	lv_buf *b;
	lv_error *err;
	char path[128];
	size_t plen;
} enc;

static int
enc_fail(enc *e, const char *msg)
{
	e->err->code = LV_EINVALID_ARGUMENT;
	snprintf(e->err->path, sizeof e->err->path, "%s", e->path);
	snprintf(e->err->message, sizeof e->err->message, "%s", msg);
	return LV_EINVALID_ARGUMENT;
}

static size_t
enc_push(enc *e, const char *name, size_t index, bool is_index)
{
	return path_push(e->path, sizeof e->path, &e->plen, NULL, is_index ? NULL : name, index);
}

static void
enc_pop(enc *e, size_t old)
{
	e->plen = old;
	e->path[old] = '\0';
}

static int encode(enc *e, const lv_type *t, const void *v, uint32_t depth);

static int
encode_str(enc *e, const char *p, size_t n)
{
	if (n && !p)
		return enc_fail(e, "string with a length but no data");
	if (!lv__utf8_valid(p, n))
		return enc_fail(e, "invalid UTF-8 in a string");
	if (n && memchr(p, '\0', n))
		return enc_fail(e, "string contains a NUL character");
	lv_buf_json_str(e->b, p ? p : "", n);
	return 0;
}

static int
encode_fields(enc *e, const lv_type *t, const void *v, uint32_t depth)
{
	lv_buf_append(e->b, "{", 1);
	bool first = true;
	for (uint32_t i = 0; i < t->nfields; i++) {
		const lv_field *f = &t->fields[i];
		const char *slot = (const char *)v + f->offset;
		const void *val = slot;
		bool absent = (f->has_offset == LV_OPT_POINTER && !*(void *const *)slot) ||
		              (f->has_offset >= 0 && !*(const bool *)((const char *)v + f->has_offset));
		if (absent) {
			/* Left out, a reader would fill in the default: an optional
			 * whose default is a value says "absent" with null. */
			if (f->default_json && strcmp(f->default_json, "null") != 0) {
				if (!first)
					lv_buf_append(e->b, ",", 1);
				first = false;
				lv_buf_json_str(e->b, f->name, strlen(f->name));
				lv_buf_append(e->b, ":null", 5);
			}
			continue;
		}
		if (f->has_offset == LV_OPT_POINTER)
			val = *(void *const *)slot;
		if (f->type->kind == LV_K_JSON && !((const lv_json *)val)->ptr && f->has_offset != LV_REQUIRED)
			continue;
		if (!first)
			lv_buf_append(e->b, ",", 1);
		first = false;
		lv_buf_json_str(e->b, f->name, strlen(f->name));
		lv_buf_append(e->b, ":", 1);
		size_t old = enc_push(e, f->name, 0, false);
		int rc = encode(e, f->type, val, depth + 1);
		if (rc)
			return rc;
		enc_pop(e, old);
	}
	lv_buf_append(e->b, "}", 1);
	return 0;
}

static int
encode(enc *e, const lv_type *t, const void *v, uint32_t depth)
{
	char num[64];
	if (depth > 256)
		return enc_fail(e, "value nested too deeply (a cycle?)");
	switch (t->kind) {
	case LV_K_VOID:
		lv_buf_append(e->b, "null", 4);
		return 0;
	case LV_K_BOOL:
		lv_buf_puts(e->b, *(const bool *)v ? "true" : "false");
		return 0;
	case LV_K_INT:
		lv_buf_append(e->b, num, lv__i64_dec(num, *(const int64_t *)v));
		return 0;
	case LV_K_FLOAT: {
		double x = *(const double *)v;
		if (!isfinite(x))
			return enc_fail(e, "NaN and infinity have no JSON form");
		/* %.17g round-trips; a whole number keeps a ".0" so that it reads
		 * back as a float. */
		int n = snprintf(num, sizeof num, "%.17g", x);
		if (!strpbrk(num, ".eEn"))
			n += snprintf(num + n, sizeof num - (size_t)n, ".0");
		lv_buf_append(e->b, num, (size_t)n);
		return 0;
	}
	case LV_K_STRING: {
		const lv_str *s = v;
		return encode_str(e, s->ptr, s->len);
	}
	case LV_K_BYTES: {
		const lv_bytes *bs = v;
		if (bs->len > (1u << 30))
			return enc_fail(e, "bytes value too large");
		if (bs->len && !bs->ptr)
			return enc_fail(e, "bytes with a length but no data");
		lv_buf_append(e->b, "\"", 1);
		lv__b64_encode(e->b, bs->ptr, bs->len);
		lv_buf_append(e->b, "\"", 1);
		return 0;
	}
	case LV_K_JSON: {
		const lv_json *j = v;
		if (!j->ptr) {
			lv_buf_append(e->b, "null", 4);
			return 0;
		}
		/* Text from the application: only valid JSON goes out. */
		lv_jr r;
		lv__jr_init(&r, j->ptr, j->len);
		if (!lv__jr_skip(&r, 0) || !lv__jr_finish(&r))
			return enc_fail(e, "json value is not valid JSON text");
		lv_buf_append(e->b, j->ptr, j->len);
		return 0;
	}
	case LV_K_ENUM: {
		int x = *(const int *)v;
		if (x < 0 || (uint32_t)x >= t->nmembers)
			return enc_fail(e, "enum value out of range");
		lv_buf_json_str(e->b, t->members[x], strlen(t->members[x]));
		return 0;
	}
	case LV_K_STRUCT:
		return encode_fields(e, t, v, depth);
	case LV_K_LIST: {
		const struct { size_t n; const char *items; } *l = v;
		if (l->n && !l->items)
			return enc_fail(e, "list with a count but no items");
		lv_buf_append(e->b, "[", 1);
		for (size_t i = 0; i < l->n; i++) {
			if (i)
				lv_buf_append(e->b, ",", 1);
			size_t old = enc_push(e, NULL, i, true);
			int rc = encode(e, t->elem, l->items + i * t->elem->size, depth + 1);
			if (rc)
				return rc;
			enc_pop(e, old);
		}
		lv_buf_append(e->b, "]", 1);
		return 0;
	}
	case LV_K_MAP: {
		const struct { size_t n; const lv_str *keys; const char *values; } *m = v;
		if (m->n && (!m->keys || !m->values))
			return enc_fail(e, "map with a count but no entries");
		lv_buf_append(e->b, "{", 1);
		for (size_t i = 0; i < m->n; i++) {
			if (i)
				lv_buf_append(e->b, ",", 1);
			int rc = encode_str(e, m->keys[i].ptr, m->keys[i].len);
			if (rc)
				return rc;
			lv_buf_append(e->b, ":", 1);
			size_t old = enc_push(e, m->keys[i].ptr, 0, false);
			rc = encode(e, t->elem, m->values + i * t->elem->size, depth + 1);
			if (rc)
				return rc;
			enc_pop(e, old);
		}
		lv_buf_append(e->b, "}", 1);
		return 0;
	}
	}
	return enc_fail(e, "unknown type");
}

int
lv_encode(lv_buf *b, const lv_type *t, const void *v, lv_error *err)
{
	enc e = { .b = b, .err = err };
	err->code = 0;
	err->path[0] = err->message[0] = '\0';
	int rc = encode(&e, t, v, 0);
	if (rc == 0 && b->failed) {
		err->code = LV_ENOMEM;
		snprintf(err->message, sizeof err->message, "out of memory");
		return LV_ENOMEM;
	}
	return rc;
}
