/* jansson.c - lv_jansson.h: jansson values to and from lv's JSON text. */
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

lv_json
lv_call_json(lv_call *call, const json_t *v)
{
	if (!v)
		return (lv_json){ NULL, 0 };
	char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
	if (!text)
		return (lv_json){ NULL, 0 };
	lv_str copy = lv_arena_strdup(&call->arena, lv_cstr(text));
	free(text);
	return copy.len ? (lv_json){ copy.ptr, copy.len } : (lv_json){ NULL, 0 };
}

json_t *
lv_json_load(lv_json j)
{
	if (!j.ptr)
		return NULL;
	json_t *v = json_loadb(j.ptr, j.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	if (!v)   /* an integer past int64 is kept as a real */
		v = json_loadb(j.ptr, j.len, JSON_DECODE_ANY | JSON_ALLOW_NUL |
		               JSON_DECODE_INT_AS_REAL, NULL);
	return v;
}

/* A parsed value goes back to text and through the one decoder. */
static int
decode_value(const lv_type *t, bool fields, const json_t *j, void *out, lv_arena *a,
             const lv_limits *lim, lv_error *err)
{
	if (!j)
		return fields ? lv_decode_fields(t, NULL, 0, out, a, lim, err)
		              : lv_decode(t, "", 0, out, a, lim, err);
	char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
	if (!text) {
		memset(out, 0, t->size);
		*err = (lv_error){ .code = LV_ENOMEM, .message = "out of memory" };
		return LV_ENOMEM;
	}
	int rc = fields ? lv_decode_fields(t, text, strlen(text), out, a, lim, err)
	                : lv_decode(t, text, strlen(text), out, a, lim, err);
	free(text);
	return rc;
}

int
lv_decode_jansson(const lv_type *t, const json_t *j, void *out, lv_arena *a,
                  const lv_limits *lim, lv_error *err)
{
	return decode_value(t, false, j, out, a, lim, err);
}

int
lv_decode_fields_jansson(const lv_type *t, const json_t *obj, void *out, lv_arena *a,
                         const lv_limits *lim, lv_error *err)
{
	return decode_value(t, true, obj, out, a, lim, err);
}
