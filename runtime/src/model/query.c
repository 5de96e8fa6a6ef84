/* query.c - queries on a model: read from what a page sends, compared
 * against a row in C exactly as the SQL written for them compares it in
 * the database, and written as that SQL. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

static const char *const op_names[] = {
	[LV_Q_EQ] = "eq", [LV_Q_NE] = "ne", [LV_Q_LT] = "lt", [LV_Q_LE] = "le",
	[LV_Q_GT] = "gt", [LV_Q_GE] = "ge", [LV_Q_IN] = "in", [LV_Q_CONTAINS] = "contains",
};

static const char *const op_sql[] = {
	[LV_Q_EQ] = "=", [LV_Q_NE] = "<>", [LV_Q_LT] = "<", [LV_Q_LE] = "<=",
	[LV_Q_GT] = ">", [LV_Q_GE] = ">=",
};

static bool
find_col(const lv_model_desc *m, const char *name, size_t *out)
{
	for (size_t i = 0; i < m->ncols; i++)
		if (strcmp(m->cols[i].name, name) == 0) {
			*out = i;
			return true;
		}
	return false;
}

/* Is v a value column c may be compared with? */
static bool
value_fits(const lv_model_col *c, const json_t *v)
{
	switch (c->type) {
	case LV_COL_INT: return json_is_integer(v);
	case LV_COL_FLOAT: return json_is_number(v);
	case LV_COL_TEXT: return json_is_string(v);
	case LV_COL_BOOL: return json_is_boolean(v);
	case LV_COL_JSON: return false;
	}
	return false;
}

static int
add_term(const lv_model_desc *m, lv_query *q, size_t col, lv_qop op, json_t *v,
         lv_model_err *err)
{
	const lv_model_col *c = &m->cols[col];
	if (op == LV_Q_IN) {
		if (!json_is_array(v))
			return lv__model_fail(err, LV_EINVALID_ARGUMENT,
			                      "where.%s.in must be a list", c->name);
		size_t i;
		json_t *x;
		json_array_foreach(v, i, x)
			if (!value_fits(c, x))
				return lv__model_fail(err, LV_EINVALID_ARGUMENT,
				                      "where.%s.in[%zu] is not of the field's type", c->name, i);
	} else if (op == LV_Q_CONTAINS) {
		if (c->type != LV_COL_TEXT || !json_is_string(v))
			return lv__model_fail(err, LV_EINVALID_ARGUMENT,
			                      "where.%s.contains needs a string field and a string", c->name);
	} else if (json_is_null(v)) {
		if (op != LV_Q_EQ && op != LV_Q_NE)
			return lv__model_fail(err, LV_EINVALID_ARGUMENT,
			                      "where.%s.%s cannot compare with null", c->name, op_names[op]);
	} else if (!value_fits(c, v)) {
		return lv__model_fail(err, LV_EINVALID_ARGUMENT,
		                      "where.%s is compared with a value not of its type", c->name);
	}
	lv_qterm *t = realloc(q->terms, (q->nterms + 1) * sizeof *t);
	if (!t)
		return lv__model_fail(err, LV_ENOMEM, "out of memory");
	q->terms = t;
	t[q->nterms++] = (lv_qterm){ col, op, json_incref(v) };
	return 0;
}

int
lv__query_parse(const lv_model_desc *m, const json_t *in, lv_query *q, lv_model_err *err)
{
	memset(q, 0, sizeof *q);
	q->page = 1;
	q->limit = m->max_limit;
	if (!in || json_is_null(in))
		return 0;
	int rc = 0;
	if (!json_is_object(in)) {
		rc = lv__model_fail(err, LV_EINVALID_ARGUMENT, "a query must be an object");
		goto fail;
	}
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)in, k, v) {
		if (strcmp(k, "where") == 0) {
			if (!json_is_object(v) && !json_is_null(v)) {
				rc = lv__model_fail(err, LV_EINVALID_ARGUMENT, "where must be an object");
				goto fail;
			}
			const char *f;
			json_t *fv;
			json_object_foreach(v, f, fv) {
				size_t col;
				if (!find_col(m, f, &col)) {
					rc = lv__model_fail(err, LV_EINVALID_ARGUMENT, "where: %s has no field '%s'",
					                    m->name, f);
					goto fail;
				}
				if (col != m->key && !(m->cols[col].flags & LV_COL_FILTER)) {
					rc = lv__model_fail(err, LV_EINVALID_ARGUMENT,
					                    "where: %s.%s may not be filtered on", m->name, f);
					goto fail;
				}
				if (!json_is_object(fv)) {
					if ((rc = add_term(m, q, col, LV_Q_EQ, fv, err)) != 0)
						goto fail;
					continue;
				}
				if (json_object_size(fv) == 0) {
					rc = lv__model_fail(err, LV_EINVALID_ARGUMENT, "where.%s is empty", f);
					goto fail;
				}
				const char *o;
				json_t *ov;
				json_object_foreach(fv, o, ov) {
					size_t op = 0;
					while (op < sizeof op_names / sizeof *op_names && strcmp(op_names[op], o) != 0)
						op++;
					if (op == sizeof op_names / sizeof *op_names) {
						rc = lv__model_fail(err, LV_EINVALID_ARGUMENT,
						                    "where.%s: '%s' is not eq, ne, lt, le, gt, ge, in or contains",
						                    f, o);
						goto fail;
					}
					if ((rc = add_term(m, q, col, (lv_qop)op, ov, err)) != 0)
						goto fail;
				}
			}
		} else if (strcmp(k, "order") == 0) {
			if (!json_is_array(v)) {
				rc = lv__model_fail(err, LV_EINVALID_ARGUMENT,
				                    "order must be a list of field names");
				goto fail;
			}
			size_t i;
			json_t *x;
			json_array_foreach(v, i, x) {
				const char *s = json_string_value(x);
				size_t col;
				bool desc = s && s[0] == '-';
				if (!s || !find_col(m, s + desc, &col)) {
					rc = lv__model_fail(err, LV_EINVALID_ARGUMENT,
					                    "order[%zu] is not a field of %s", i, m->name);
					goto fail;
				}
				if (col != m->key && (!(m->cols[col].flags & LV_COL_ORDER) ||
				                      m->cols[col].type == LV_COL_JSON)) {
					rc = lv__model_fail(err, LV_EINVALID_ARGUMENT,
					                    "order: %s.%s may not be ordered by", m->name, s + desc);
					goto fail;
				}
				lv_qorder *no = realloc(q->orders, (q->norders + 1) * sizeof *no);
				if (!no) {
					rc = lv__model_fail(err, LV_ENOMEM, "out of memory");
					goto fail;
				}
				q->orders = no;
				no[q->norders++] = (lv_qorder){ col, desc };
			}
		} else if (strcmp(k, "page") == 0 || strcmp(k, "limit") == 0) {
			bool page = k[0] == 'p';
			json_int_t n = json_is_integer(v) ? json_integer_value(v) : -1;
			json_int_t most = page || !m->max_limit ? 1000000000 : (json_int_t)m->max_limit;
			if (n < (page ? 1 : 0) || n > most) {
				if (page)
					rc = lv__model_fail(err, LV_EINVALID_ARGUMENT,
					                    "page must be an integer from 1");
				else
					rc = lv__model_fail(err, LV_EINVALID_ARGUMENT,
					                    "limit must be an integer from 0 to %u",
					                    (unsigned)m->max_limit);
				goto fail;
			}
			if (page)
				q->page = (uint32_t)n;
			else
				q->limit = n ? (uint32_t)n : m->max_limit;
		} else {
			rc = lv__model_fail(err, LV_EINVALID_ARGUMENT,
			                    "a query has where, order, page and limit, not '%s'", k);
			goto fail;
		}
	}
	return 0;
fail:
	lv__query_free(q);
	return rc;
}

void
lv__query_free(lv_query *q)
{
	for (size_t i = 0; i < q->nterms; i++)
		json_decref(q->terms[i].value);
	free(q->terms);
	free(q->orders);
	memset(q, 0, sizeof *q);
}

static int
cmp_strs(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *
lv__query_key(const lv_model_desc *m, const lv_query *q, bool with_page)
{
	char **t = calloc(q->nterms ? q->nterms : 1, sizeof *t);
	if (!t)
		return NULL;
	lv_buf b;
	lv_buf_init(&b);
	bool ok = true;
	for (size_t i = 0; i < q->nterms && ok; i++) {
		char *v = json_dumps(q->terms[i].value, JSON_ENCODE_ANY | JSON_COMPACT);
		lv_buf one;
		lv_buf_init(&one);
		lv_buf_puts(&one, m->cols[q->terms[i].col].name);
		lv_buf_append(&one, " ", 1);
		lv_buf_puts(&one, op_names[q->terms[i].op]);
		lv_buf_append(&one, " ", 1);
		lv_buf_puts(&one, v ? v : "");
		lv_buf_append(&one, "", 1);
		free(v);
		ok = v && !one.failed;
		t[i] = (char *)one.data;
	}
	if (ok)
		qsort(t, q->nterms, sizeof *t, cmp_strs);
	lv_buf_puts(&b, m->name);
	for (size_t i = 0; i < q->nterms; i++) {
		lv_buf_append(&b, "\n", 1);
		if (t[i])
			lv_buf_puts(&b, t[i]);
		free(t[i]);
	}
	free(t);
	lv_buf_puts(&b, "\norder");
	for (size_t i = 0; i < q->norders; i++) {
		lv_buf_append(&b, q->orders[i].desc ? " -" : " ", q->orders[i].desc ? 2 : 1);
		lv_buf_puts(&b, m->cols[q->orders[i].col].name);
	}
	if (with_page) {
		char n[48];
		snprintf(n, sizeof n, "\npage %u %u", (unsigned)q->page, (unsigned)q->limit);
		lv_buf_puts(&b, n);
	}
	lv_buf_append(&b, "", 1);
	if (!ok || b.failed) {
		lv_buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

/* Two non-null values of column c's type, as the database orders them. */
static int
val_cmp(const lv_model_col *c, const json_t *a, const json_t *b)
{
	switch (c->type) {
	case LV_COL_INT: {
		json_int_t x = json_integer_value(a), y = json_integer_value(b);
		return (x > y) - (x < y);
	}
	case LV_COL_FLOAT: {
		double x = json_number_value(a), y = json_number_value(b);
		return (x > y) - (x < y);
	}
	case LV_COL_TEXT: {
		size_t la = json_string_length(a), lb = json_string_length(b);
		int r = memcmp(json_string_value(a), json_string_value(b), la < lb ? la : lb);
		return r ? (r > 0) - (r < 0) : (la > lb) - (la < lb);
	}
	case LV_COL_BOOL:
		return json_is_true(a) - json_is_true(b);
	case LV_COL_JSON:
		return 0;
	}
	return 0;
}

/* Null first. */
static int
nval_cmp(const lv_model_col *c, const json_t *a, const json_t *b)
{
	bool na = !a || json_is_null(a), nb = !b || json_is_null(b);
	if (na || nb)
		return nb - na;
	return val_cmp(c, a, b);
}

static bool
contains(const json_t *hay, const json_t *needle)
{
	size_t n = json_string_length(needle), h = json_string_length(hay);
	const char *p = json_string_value(hay), *s = json_string_value(needle);
	if (n == 0)
		return true;
	for (size_t i = 0; i + n <= h; i++)
		if (p[i] == s[0] && memcmp(p + i, s, n) == 0)
			return true;
	return false;
}

bool
lv__query_match(const lv_model_desc *m, const lv_query *q, const json_t *row)
{
	for (size_t i = 0; i < q->nterms; i++) {
		const lv_qterm *t = &q->terms[i];
		const lv_model_col *c = &m->cols[t->col];
		json_t *v = json_object_get(row, c->name);
		bool vnull = !v || json_is_null(v);
		if (json_is_null(t->value)) {
			if ((t->op == LV_Q_EQ) != vnull)
				return false;
			continue;
		}
		if (vnull)
			return false;
		bool ok;
		switch (t->op) {
		case LV_Q_EQ: ok = val_cmp(c, v, t->value) == 0; break;
		case LV_Q_NE: ok = val_cmp(c, v, t->value) != 0; break;
		case LV_Q_LT: ok = val_cmp(c, v, t->value) < 0; break;
		case LV_Q_LE: ok = val_cmp(c, v, t->value) <= 0; break;
		case LV_Q_GT: ok = val_cmp(c, v, t->value) > 0; break;
		case LV_Q_GE: ok = val_cmp(c, v, t->value) >= 0; break;
		case LV_Q_IN: {
			ok = false;
			size_t j;
			json_t *x;
			json_array_foreach(t->value, j, x)
				if (val_cmp(c, v, x) == 0) {
					ok = true;
					break;
				}
			break;
		}
		case LV_Q_CONTAINS: ok = contains(v, t->value); break;
		default: ok = false;
		}
		if (!ok)
			return false;
	}
	return true;
}

int
lv__query_cmp(const lv_model_desc *m, const lv_query *q, const json_t *a, const json_t *b)
{
	for (size_t i = 0; i < q->norders; i++) {
		const lv_model_col *c = &m->cols[q->orders[i].col];
		int r = nval_cmp(c, json_object_get(a, c->name), json_object_get(b, c->name));
		if (r)
			return q->orders[i].desc ? -r : r;
	}
	const lv_model_col *k = &m->cols[m->key];
	return nval_cmp(k, json_object_get(a, k->name), json_object_get(b, k->name));
}

void
lv__sql_ident(lv_buf *b, const char *name)
{
	lv_buf_append(b, "\"", 1);
	for (const char *p = name; *p; p++) {
		lv_buf_append(b, p, 1);
		if (*p == '"')
			lv_buf_append(b, "\"", 1);
	}
	lv_buf_append(b, "\"", 1);
}

static void
param(lv_buf *b, bool dollar, int *n, json_t *params, json_t *v)
{
	if (dollar) {
		char s[16];
		snprintf(s, sizeof s, "$%d", (*n)++);
		lv_buf_puts(b, s);
	} else {
		lv_buf_append(b, "?", 1);
		(*n)++;
	}
	json_array_append(params, v);
}

void
lv__query_sql_where(const lv_model_desc *m, const lv_query *q, bool dollar, int *n,
                    lv_buf *b, json_t *params)
{
	for (size_t i = 0; i < q->nterms; i++) {
		const lv_qterm *t = &q->terms[i];
		const char *col = m->cols[t->col].name;
		lv_buf_puts(b, i ? " AND " : " WHERE ");
		if (json_is_null(t->value)) {
			lv__sql_ident(b, col);
			lv_buf_puts(b, t->op == LV_Q_EQ ? " IS NULL" : " IS NOT NULL");
			continue;
		}
		switch (t->op) {
		case LV_Q_IN: {
			if (json_array_size(t->value) == 0) {
				lv_buf_puts(b, "1 = 0");
				break;
			}
			lv__sql_ident(b, col);
			lv_buf_puts(b, " IN (");
			size_t j;
			json_t *x;
			json_array_foreach(t->value, j, x) {
				if (j)
					lv_buf_puts(b, ", ");
				param(b, dollar, n, params, x);
			}
			lv_buf_puts(b, ")");
			break;
		}
		case LV_Q_CONTAINS:
			lv_buf_puts(b, dollar ? "strpos(" : "instr(");
			lv__sql_ident(b, col);
			lv_buf_puts(b, ", ");
			param(b, dollar, n, params, t->value);
			lv_buf_puts(b, ") > 0");
			break;
		default:
			/* NULL never compares: a row with NULL there does not match,
			 * as in lv__query_match. */
			lv__sql_ident(b, col);
			lv_buf_append(b, " ", 1);
			lv_buf_puts(b, op_sql[t->op]);
			lv_buf_append(b, " ", 1);
			param(b, dollar, n, params, t->value);
		}
	}
}

void
lv__query_sql_order(const lv_model_desc *m, const lv_query *q, lv_buf *b)
{
	lv_buf_puts(b, " ORDER BY ");
	for (size_t i = 0; i < q->norders; i++) {
		lv__sql_ident(b, m->cols[q->orders[i].col].name);
		lv_buf_puts(b, q->orders[i].desc ? " DESC NULLS LAST, " : " ASC NULLS FIRST, ");
	}
	lv__sql_ident(b, m->cols[m->key].name);
	lv_buf_puts(b, " ASC");
}

void
lv__query_sql_list(const lv_model_desc *m, const lv_query *q, bool dollar, lv_buf *b,
                   lv_buf *count, json_t *params)
{
	lv_buf where;
	lv_buf_init(&where);
	int n = 1;
	lv__query_sql_where(m, q, dollar, &n, &where, params);
	if (where.failed)
		b->failed = count->failed = true;
	lv_buf_puts(b, "SELECT ");
	for (size_t i = 0; i < m->ncols; i++) {
		if (i)
			lv_buf_puts(b, ", ");
		lv__sql_ident(b, m->cols[i].name);
	}
	lv_buf_puts(b, ", count(*) OVER () FROM ");
	lv__sql_ident(b, m->table);
	lv_buf_append(b, where.data, where.len);
	lv__query_sql_order(m, q, b);
	if (q->limit) {
		char lim[64];
		snprintf(lim, sizeof lim, " LIMIT %u OFFSET %llu", (unsigned)q->limit,
		         (unsigned long long)(q->page - 1) * q->limit);
		lv_buf_puts(b, lim);
	}
	lv_buf_puts(count, "SELECT count(*) FROM ");
	lv__sql_ident(count, m->table);
	lv_buf_append(count, where.data, where.len);
	lv_buf_free(&where);
}
