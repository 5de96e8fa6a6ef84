/* codec.c - the JSON codec for values described by lv_type tables: one
 * decoder that validates everything, one encoder that never writes invalid
 * JSON. Generated code is tables; the logic lives here, once. */
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#include "lv_internal.h"

#define DEFAULT_DEPTH 32
#define DEFAULT_ITEMS 100000
#define DEFAULT_STRING (1u << 20)

const lv_type lv_void_type = { LV_K_VOID, "void", 0, NULL, NULL, 0, NULL, 0 };
const lv_type lv_bool_type = { LV_K_BOOL, "bool", sizeof(bool), NULL, NULL, 0, NULL, 0 };
const lv_type lv_int_type = { LV_K_INT, "int", sizeof(int64_t), NULL, NULL, 0, NULL, 0 };
const lv_type lv_float_type = { LV_K_FLOAT, "float", sizeof(double), NULL, NULL, 0, NULL, 0 };
const lv_type lv_str_type = { LV_K_STRING, "string", sizeof(lv_str), NULL, NULL, 0, NULL, 0 };
const lv_type lv_bytes_type = { LV_K_BYTES, "bytes", sizeof(lv_bytes), NULL, NULL, 0, NULL, 0 };
const lv_type lv_json_type = { LV_K_JSON, "json", sizeof(json_t *), NULL, NULL, 0, NULL, 0 };
const lv_type lv_no_args_type = { LV_K_STRUCT, "no arguments", 1, NULL, NULL, 0, NULL, 0 };

typedef struct {
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

/* Path segments: ".name" or "[index]"; the first name has no dot. */
static size_t
push_name(dec *d, const char *name)
{
	size_t old = d->plen;
	int n = snprintf(d->path + d->plen, sizeof d->path - d->plen, "%s%s",
	                 d->plen ? "." : "", name);
	/* Room is kept for the "..." that marks a cut path. */
	if (n < 0 || (size_t)n >= sizeof d->path - d->plen - 3) {
		d->path[old] = '\0';
		d->path_cut = true;
		return old;
	}
	d->plen += (size_t)n;
	return old;
}

static size_t
push_index(dec *d, size_t i)
{
	size_t old = d->plen;
	int n = snprintf(d->path + d->plen, sizeof d->path - d->plen, "[%zu]", i);
	if (n < 0 || (size_t)n >= sizeof d->path - d->plen - 3) {
		d->path[old] = '\0';
		d->path_cut = true;
		return old;
	}
	d->plen += (size_t)n;
	return old;
}

static void
pop(dec *d, size_t old)
{
	d->plen = old;
	d->path[old] = '\0';
}

static const char *
json_kind(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "list";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "int";
	case JSON_REAL: return "float";
	case JSON_TRUE: case JSON_FALSE: return "bool";
	case JSON_NULL: return "null";
	}
	return "?";
}

static bool
b64_valid(const char *s, size_t n)
{
	if (n % 4)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		          (ch >= '0' && ch <= '9') || ch == '+' || ch == '/';
		if (ch == '=' && i >= n - 2 && (i == n - 1 || s[n - 1] == '='))
			ok = true;
		if (!ok)
			return false;
	}
	return true;
}

static int decode(dec *d, const lv_type *t, const json_t *j, void *out, uint32_t depth);

/* A field's default, parsed once and kept for the life of the process:
 * decoded strings borrow from it, so it must outlive every call. The
 * defaults are the generated tables' own, so their number is fixed. */
static const json_t *
default_of(const lv_field *f)
{
	static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	static struct { const lv_field *f; json_t *v; } *cache;
	static size_t n, cap;
	const json_t *found = NULL;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < n && !found; i++)
		if (cache[i].f == f)
			found = cache[i].v;
	if (!found) {
		json_t *v = json_loads(f->default_json, JSON_DECODE_ANY, NULL);
		if (v && n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			void *grown = realloc(cache, ncap * sizeof *cache);
			if (grown) {
				cache = grown;
				cap = ncap;
			}
		}
		if (v && n < cap) {
			cache[n].f = f;
			cache[n++].v = v;
			found = v;
		} else {
			json_decref(v);
		}
	}
	pthread_mutex_unlock(&mu);
	return found;
}

static int
decode_struct_fields(dec *d, const lv_type *t, const json_t *j, void *out, uint32_t depth)
{
	const char *key;
	json_t *val;

	if (!json_is_object(j))
		return fail(d, "expected %s object, got %s", t->name, json_kind(j));
	/* Unknown fields are rejected: a typo must not pass as absent. */
	json_object_foreach((json_t *)j, key, val) {
		uint32_t i = 0;
		while (i < t->nfields && strcmp(t->fields[i].name, key) != 0)
			i++;
		if (i == t->nfields) {
			size_t old = push_name(d, key);
			int rc = fail(d, "unknown field");
			pop(d, old);
			return rc;
		}
	}
	for (uint32_t i = 0; i < t->nfields; i++) {
		const lv_field *f = &t->fields[i];
		const json_t *v = json_object_get(j, f->name);
		char *slot = (char *)out + f->offset;
		size_t old = push_name(d, f->name);
		int rc = 0;
		if ((!v || json_is_null(v)) && f->has_offset != LV_REQUIRED) {
			/* Absent (or null): leave the flag false and the pointer NULL,
			 * unless a default fills it in. */
			if (f->default_json && !(v && json_is_null(v)))
				v = default_of(f);
			else
				v = NULL;
			if (v && json_is_null(v))
				v = NULL;
		} else if (!v && f->default_json) {
			v = default_of(f);
			if (!v)
				rc = nomem(d);
		} else if (!v) {
			rc = fail(d, "missing required field");
		}
		if (rc == 0 && v) {
			if (f->has_offset == LV_OPT_POINTER) {
				void *p = lv_arena_alloc(d->arena, f->type->size);
				if (!p)
					rc = nomem(d);
				else if ((rc = decode(d, f->type, v, p, depth + 1)) == 0)
					*(void **)slot = p;
			} else {
				rc = decode(d, f->type, v, slot, depth + 1);
				if (rc == 0 && f->has_offset >= 0)
					*(bool *)((char *)out + f->has_offset) = true;
			}
		}
		if (rc)
			return rc;
		pop(d, old);
	}
	return 0;
}

static int
decode(dec *d, const lv_type *t, const json_t *j, void *out, uint32_t depth)
{
	if (depth > d->lim.max_depth)
		return fail(d, "nested deeper than %u levels", d->lim.max_depth);
	switch (t->kind) {
	case LV_K_VOID:
		if (!json_is_null(j))
			return fail(d, "expected null, got %s", json_kind(j));
		return 0;
	case LV_K_BOOL:
		if (!json_is_boolean(j))
			return fail(d, "expected bool, got %s", json_kind(j));
		*(bool *)out = json_is_true(j);
		return 0;
	case LV_K_INT:
		/* jansson keeps integers that fit int64 as integers; anything
		 * larger arrives as a real, which is out of range here. */
		if (json_is_real(j)) {
			double v = json_real_value(j);
			if (v != floor(v))
				return fail(d, "expected int, got a number with a fraction");
			/* jansson keeps every int64 as an integer: an integral real
			 * this large came from one that overflowed. */
			if (v >= 9223372036854775808.0 || v <= -9223372036854775808.0)
				return fail(d, "int out of range");
			return fail(d, "expected int, got float");
		}
		if (!json_is_integer(j))
			return fail(d, "expected int, got %s", json_kind(j));
		*(int64_t *)out = json_integer_value(j);
		return 0;
	case LV_K_FLOAT:
		if (!json_is_number(j))
			return fail(d, "expected float, got %s", json_kind(j));
		*(double *)out = json_number_value(j);
		return 0;
	case LV_K_STRING: {
		if (!json_is_string(j))
			return fail(d, "expected string, got %s", json_kind(j));
		size_t n = json_string_length(j);
		if (n > d->lim.max_string)
			return fail(d, "string longer than %u bytes", d->lim.max_string);
		if (memchr(json_string_value(j), '\0', n))
			return fail(d, "string contains a NUL character");
		/* jansson has checked UTF-8. */
		*(lv_str *)out = (lv_str){ json_string_value(j), n };
		return 0;
	}
	case LV_K_BYTES: {
		if (!json_is_string(j))
			return fail(d, "expected bytes (a base64 string), got %s", json_kind(j));
		const char *s = json_string_value(j);
		size_t n = json_string_length(j);
		if (!b64_valid(s, n))
			return fail(d, "invalid base64");
		size_t pad = n ? (s[n - 1] == '=') + (s[n - 2] == '=') : 0;
		size_t want = n / 4 * 3 - pad;
		if (want > d->lim.max_string)
			return fail(d, "bytes longer than %u bytes", d->lim.max_string);
		/* lws writes a terminating NUL and wants room to spare. */
		uint8_t *buf = lv_arena_alloc(d->arena, want + 4);
		if (!buf)
			return nomem(d);
		int got = n ? lws_b64_decode_string_len(s, (int)n, (char *)buf, (int)(want + 4)) : 0;
		if (got < 0 || (size_t)got != want)
			return fail(d, "invalid base64");
		*(lv_bytes *)out = (lv_bytes){ buf, want };
		return 0;
	}
	case LV_K_JSON:
		*(json_t **)out = (json_t *)j;
		return 0;
	case LV_K_ENUM: {
		if (!json_is_string(j))
			return fail(d, "expected %s (a string), got %s", t->name, json_kind(j));
		const char *s = json_string_value(j);
		for (uint32_t i = 0; i < t->nmembers; i++)
			if (strcmp(s, t->members[i]) == 0) {
				*(int *)out = (int)i;
				return 0;
			}
		return fail(d, "'%.64s' is not a member of %s", s, t->name);
	}
	case LV_K_STRUCT:
		return decode_struct_fields(d, t, j, out, depth);
	case LV_K_LIST: {
		if (!json_is_array(j))
			return fail(d, "expected list, got %s", json_kind(j));
		size_t n = json_array_size(j);
		if (n > d->lim.max_items)
			return fail(d, "list longer than %u items", d->lim.max_items);
		struct { size_t n; char *items; } *l = out;
		l->n = 0;
		l->items = n ? lv_arena_alloc(d->arena, n * t->elem->size) : NULL;
		if (n && !l->items)
			return nomem(d);
		for (size_t i = 0; i < n; i++) {
			size_t old = push_index(d, i);
			int rc = decode(d, t->elem, json_array_get(j, i),
			                l->items + i * t->elem->size, depth + 1);
			if (rc)
				return rc;
			pop(d, old);
		}
		l->n = n;
		return 0;
	}
	case LV_K_MAP: {
		if (!json_is_object(j))
			return fail(d, "expected map (an object), got %s", json_kind(j));
		size_t n = json_object_size(j);
		if (n > d->lim.max_items)
			return fail(d, "map larger than %u entries", d->lim.max_items);
		struct { size_t n; lv_str *keys; char *values; } *m = out;
		m->n = 0;
		m->keys = n ? lv_arena_alloc(d->arena, n * sizeof *m->keys) : NULL;
		m->values = n ? lv_arena_alloc(d->arena, n * t->elem->size) : NULL;
		if (n && (!m->keys || !m->values))
			return nomem(d);
		const char *key;
		json_t *val;
		size_t i = 0;
		json_object_foreach((json_t *)j, key, val) {
			size_t old = push_name(d, key);
			m->keys[i] = (lv_str){ key, strlen(key) };
			int rc = decode(d, t->elem, val, m->values + i * t->elem->size, depth + 1);
			if (rc)
				return rc;
			pop(d, old);
			i++;
		}
		m->n = n;
		return 0;
	}
	}
	return fail(d, "unknown type");
}

static void
init_dec(dec *d, lv_arena *a, const lv_limits *lim, lv_error *err)
{
	memset(d, 0, sizeof *d);
	d->arena = a;
	d->err = err;
	if (lim)
		d->lim = *lim;
	if (!d->lim.max_depth) d->lim.max_depth = DEFAULT_DEPTH;
	if (!d->lim.max_items) d->lim.max_items = DEFAULT_ITEMS;
	if (!d->lim.max_string) d->lim.max_string = DEFAULT_STRING;
	err->code = 0;
	err->path[0] = err->message[0] = '\0';
}

int
lv_decode(const lv_type *t, const json_t *j, void *out, lv_arena *a,
          const lv_limits *lim, lv_error *err)
{
	dec d;
	init_dec(&d, a, lim, err);
	memset(out, 0, t->size);
	return decode(&d, t, j, out, 0);
}

int
lv_decode_fields(const lv_type *t, const json_t *obj, void *out, lv_arena *a,
                 const lv_limits *lim, lv_error *err)
{
	dec d;
	init_dec(&d, a, lim, err);
	memset(out, 0, t->size);
	if (!obj) {
		json_t *empty = json_object();
		int rc = decode_struct_fields(&d, t, empty, out, 0);
		json_decref(empty);
		return rc;
	}
	if (!json_is_object(obj))
		return fail(&d, "arguments must be an object of named values, got %s",
		            json_kind(obj));
	return decode_struct_fields(&d, t, obj, out, 0);
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
	size_t old = e->plen;
	int n = is_index ? snprintf(e->path + old, sizeof e->path - old, "[%zu]", index)
	                 : snprintf(e->path + old, sizeof e->path - old, "%s%s",
	                            old ? "." : "", name);
	if (n > 0 && (size_t)n < sizeof e->path - old)
		e->plen += (size_t)n;
	else
		e->path[old] = '\0';
	return old;
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
		if (f->type->kind == LV_K_JSON && !*(json_t *const *)val && f->has_offset != LV_REQUIRED)
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
		lv_buf_append(e->b, num, (size_t)snprintf(num, sizeof num, "%" PRId64,
		                                          *(const int64_t *)v));
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
		size_t cap = (bs->len + 2) / 3 * 4 + 4;   /* lws wants room to spare */
		char *tmp = malloc(cap);
		if (!tmp)
			return enc_fail(e, "out of memory");
		int n = bs->len ? lws_b64_encode_string((const char *)bs->ptr, (int)bs->len, tmp,
		                                        (int)cap) : 0;
		if (n < 0) {
			free(tmp);
			return enc_fail(e, "base64 encoding failed");
		}
		lv_buf_append(e->b, "\"", 1);
		lv_buf_append(e->b, tmp, (size_t)n);
		lv_buf_append(e->b, "\"", 1);
		free(tmp);
		return 0;
	}
	case LV_K_JSON: {
		json_t *j = *(json_t *const *)v;
		if (!j) {
			lv_buf_append(e->b, "null", 4);
			return 0;
		}
		char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
		if (!s)
			return enc_fail(e, "json value cannot be encoded");
		lv_buf_puts(e->b, s);
		free(s);
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
