/* row.c - rows of a model: checked against its columns, their key and
 * version, and values turned back from what a database returns. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "model/model.h"

int
lv__model_fail(lv_model_err *err, int status, const char *fmt, ...)
{
	if (err) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->why, sizeof err->why, fmt, ap);
		va_end(ap);
	}
	return status;
}

static const char *
type_name(lv_col_type t)
{
	switch (t) {
	case LV_COL_INT: return "an integer";
	case LV_COL_FLOAT: return "a number";
	case LV_COL_TEXT: return "a string";
	case LV_COL_BOOL: return "a boolean";
	case LV_COL_JSON: return "a value";
	}
	return "?";
}

/* The value as column c holds it (a new reference), or NULL when its type
 * is wrong. */
static json_t *
col_value(const lv_model_col *c, json_t *v)
{
	if (json_is_null(v))
		return (c->flags & LV_COL_OPTIONAL) ? json_null() : NULL;
	switch (c->type) {
	case LV_COL_INT:
		return json_is_integer(v) ? json_incref(v) : NULL;
	case LV_COL_FLOAT:
		if (json_is_integer(v))
			return json_real((double)json_integer_value(v));
		return json_is_real(v) ? json_incref(v) : NULL;
	case LV_COL_TEXT:
		return json_is_string(v) ? json_incref(v) : NULL;
	case LV_COL_BOOL:
		return json_is_boolean(v) ? json_incref(v) : NULL;
	case LV_COL_JSON:
		return json_incref(v);
	}
	return NULL;
}

json_t *
lv__row_check(const lv_model_desc *m, const json_t *in, bool need_key, bool need_version,
              lv_model_err *err)
{
	if (!json_is_object(in)) {
		lv__model_fail(err, LV_EINVALID_ARGUMENT, "a %s must be an object", m->name);
		return NULL;
	}
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)in, k, v) {
		size_t i = 0;
		while (i < m->ncols && strcmp(m->cols[i].name, k) != 0)
			i++;
		if (i == m->ncols) {
			lv__model_fail(err, LV_EINVALID_ARGUMENT, "%s has no field '%s'", m->name, k);
			return NULL;
		}
	}
	json_t *row = json_object();
	if (!row) {
		lv__model_fail(err, LV_ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < m->ncols; i++) {
		const lv_model_col *c = &m->cols[i];
		json_t *given = json_object_get(in, c->name);
		bool need = !(c->flags & LV_COL_OPTIONAL);
		if (i == m->key)
			need = need_key;
		else if (i == m->version)
			need = need_version;
		json_t *dflt = NULL;
		if (!given && c->default_json && i != m->key && i != m->version)
			given = dflt = json_loads(c->default_json, JSON_DECODE_ANY, NULL);
		if (!given) {
			if (need) {
				lv__model_fail(err, LV_EINVALID_ARGUMENT, "%s.%s is missing", m->name, c->name);
				json_decref(row);
				return NULL;
			}
			if (i != m->key && i != m->version)
				json_object_set_new(row, c->name, json_null());
			continue;
		}
		json_t *cv = col_value(c, given);
		json_decref(dflt);
		if (!cv) {
			lv__model_fail(err, LV_EINVALID_ARGUMENT, "%s.%s must be %s%s", m->name, c->name,
			               type_name(c->type),
			               (c->flags & LV_COL_OPTIONAL) ? " or null" : "");
			json_decref(row);
			return NULL;
		}
		if (json_object_set_new(row, c->name, cv) != 0) {
			lv__model_fail(err, LV_ENOMEM, "out of memory");
			json_decref(row);
			return NULL;
		}
	}
	return row;
}

const json_t *
lv__row_key(const lv_model_desc *m, const json_t *row)
{
	return json_object_get(row, m->cols[m->key].name);
}

bool
lv__key_check(const lv_model_desc *m, const json_t *key, lv_model_err *err)
{
	const lv_model_col *c = &m->cols[m->key];
	json_t *v = key ? col_value(c, (json_t *)key) : NULL;
	if (!v || json_is_null(v)) {
		json_decref(v);
		lv__model_fail(err, LV_EINVALID_ARGUMENT, "the key of %s (%s) must be %s", m->name,
		               c->name, type_name(c->type));
		return false;
	}
	json_decref(v);
	return true;
}

int64_t
lv__row_version(const lv_model_desc *m, const json_t *row)
{
	json_t *v = json_object_get(row, m->cols[m->version].name);
	return json_is_integer(v) ? json_integer_value(v) : -1;
}

json_t *
lv__col_from_db(const lv_model_col *c, const json_t *v)
{
	if (!v || json_is_null(v))
		return json_null();
	switch (c->type) {
	case LV_COL_BOOL:
		if (json_is_integer(v))
			return json_boolean(json_integer_value(v) != 0);
		break;
	case LV_COL_FLOAT:
		if (json_is_integer(v))
			return json_real((double)json_integer_value(v));
		break;
	case LV_COL_JSON:
		if (json_is_string(v)) {
			json_t *j = json_loadb(json_string_value(v), json_string_length(v),
			                       JSON_DECODE_ANY, NULL);
			if (j)
				return j;
		}
		break;
	default:
		break;
	}
	return json_incref((json_t *)v);
}

json_t *
lv__row_from_text(const lv_model_desc *m, const char *text, size_t n)
{
	json_t *j = json_loadb(text, n, 0, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	json_t *row = json_object();
	for (size_t i = 0; row && i < m->ncols; i++)
		json_object_set_new(row, m->cols[i].name,
		                    lv__col_from_db(&m->cols[i], json_object_get(j, m->cols[i].name)));
	json_decref(j);
	return row;
}
