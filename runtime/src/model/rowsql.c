/* rowsql.c - the statements that read and write one row of a model, as
 * both stores run them: get, insert, update and delete, with the values
 * each binds, in order, and the column each is for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

static bool
start(const lv_model_desc *m, bool dollar, const char *what, lv_row_sql *w)
{
	memset(w, 0, sizeof *w);
	lv_buf_init(&w->sql);
	w->dollar = dollar;
	w->what = what;
	w->writes = strcmp(what, "get") != 0;
	w->values = json_array();
	/* Every column once, the key and the version twice at the most. */
	w->cols = calloc(m->ncols + 2, sizeof *w->cols);
	if (!w->values || !w->cols) {
		lv__row_sql_free(w);
		return false;
	}
	return true;
}

/* A parameter's mark, into b, and its value (NULL: SQL NULL). */
static void
arg_to(lv_row_sql *w, lv_buf *b, const lv_model_col *c, const json_t *v)
{
	if (w->dollar) {
		char d[16];
		snprintf(d, sizeof d, "$%zu", w->n + 1);
		lv_buf_puts(b, d);
	} else {
		lv_buf_append(b, "?", 1);
	}
	if (json_array_append_new(w->values, v ? json_incref((json_t *)v) : json_null()) != 0)
		w->sql.failed = true;
	w->cols[w->n++] = c;
}

/* The same, into the statement. */
static void
arg(lv_row_sql *w, const lv_model_col *c, const json_t *v)
{
	arg_to(w, &w->sql, c, v);
}

static void
arg_int(lv_row_sql *w, lv_buf *b, const lv_model_col *c, int64_t v)
{
	json_t *j = json_integer(v);
	if (!j)
		w->sql.failed = true;
	arg_to(w, b, c, j);
	json_decref(j);
}

/* The columns, quoted, for SELECT and RETURNING. */
static void
cols(const lv_model_desc *m, lv_buf *b)
{
	for (size_t i = 0; i < m->ncols; i++) {
		if (i)
			lv_buf_puts(b, ", ");
		lv__sql_ident(b, m->cols[i].name);
	}
}

/* " WHERE key = ? [AND version = ?]" */
static void
where_key(const lv_model_desc *m, const json_t *key, int64_t version, lv_row_sql *w)
{
	lv_buf_puts(&w->sql, " WHERE ");
	lv__sql_ident(&w->sql, m->cols[m->key].name);
	lv_buf_puts(&w->sql, " = ");
	arg(w, &m->cols[m->key], key);
	if (version >= 0) {
		lv_buf_puts(&w->sql, " AND ");
		lv__sql_ident(&w->sql, m->cols[m->version].name);
		lv_buf_puts(&w->sql, " = ");
		arg_int(w, &w->sql, &m->cols[m->version], version);
	}
}

static bool
done(lv_row_sql *w)
{
	if (w->sql.failed) {
		lv__row_sql_free(w);
		return false;
	}
	return true;
}

bool
lv__row_sql_get(const lv_model_desc *m, const json_t *key, bool dollar, lv_row_sql *w)
{
	if (!start(m, dollar, "get", w))
		return false;
	lv_buf_puts(&w->sql, "SELECT ");
	cols(m, &w->sql);
	lv_buf_puts(&w->sql, " FROM ");
	lv__sql_ident(&w->sql, m->table);
	where_key(m, key, -1, w);
	return done(w);
}

bool
lv__row_sql_insert(const lv_model_desc *m, const json_t *row, bool dollar, lv_row_sql *w)
{
	if (!start(m, dollar, "create", w))
		return false;
	const json_t *key = lv__row_key(m, row);
	bool with_key = key && !json_is_null(key);
	lv_buf_puts(&w->sql, "INSERT INTO ");
	lv__sql_ident(&w->sql, m->table);
	lv_buf_puts(&w->sql, " (");
	lv_buf marks;
	lv_buf_init(&marks);
	bool first = true;
	for (size_t i = 0; i < m->ncols; i++) {
		if (i == m->key && !with_key)
			continue;
		if (!first) {
			lv_buf_puts(&w->sql, ", ");
			lv_buf_puts(&marks, ", ");
		}
		first = false;
		lv__sql_ident(&w->sql, m->cols[i].name);
		if (i == m->version)
			arg_int(w, &marks, &m->cols[i], 1);
		else
			arg_to(w, &marks, &m->cols[i], json_object_get(row, m->cols[i].name));
	}
	lv_buf_puts(&w->sql, ") VALUES (");
	if (marks.failed)
		w->sql.failed = true;
	lv_buf_append(&w->sql, marks.data, marks.len);
	lv_buf_free(&marks);
	lv_buf_puts(&w->sql, ") RETURNING ");
	cols(m, &w->sql);
	return done(w);
}

bool
lv__row_sql_update(const lv_model_desc *m, const json_t *row, bool dollar, lv_row_sql *w)
{
	if (!start(m, dollar, "update", w))
		return false;
	const char *ver = m->cols[m->version].name;
	lv_buf_puts(&w->sql, "UPDATE ");
	lv__sql_ident(&w->sql, m->table);
	lv_buf_puts(&w->sql, " SET ");
	for (size_t i = 0; i < m->ncols; i++) {
		if (i == m->key || i == m->version)
			continue;
		lv__sql_ident(&w->sql, m->cols[i].name);
		lv_buf_puts(&w->sql, " = ");
		arg(w, &m->cols[i], json_object_get(row, m->cols[i].name));
		lv_buf_puts(&w->sql, ", ");
	}
	lv__sql_ident(&w->sql, ver);
	lv_buf_puts(&w->sql, " = ");
	lv__sql_ident(&w->sql, ver);
	lv_buf_puts(&w->sql, " + 1");
	where_key(m, lv__row_key(m, row), lv__row_version(m, row), w);
	lv_buf_puts(&w->sql, " RETURNING ");
	cols(m, &w->sql);
	return done(w);
}

bool
lv__row_sql_delete(const lv_model_desc *m, const json_t *key, int64_t version, bool dollar,
                   lv_row_sql *w)
{
	if (!start(m, dollar, "delete", w))
		return false;
	lv_buf_puts(&w->sql, "DELETE FROM ");
	lv__sql_ident(&w->sql, m->table);
	where_key(m, key, version, w);
	return done(w);
}

void
lv__row_sql_free(lv_row_sql *w)
{
	lv_buf_free(&w->sql);
	json_decref(w->values);
	free(w->cols);
	memset(w, 0, sizeof *w);
}
