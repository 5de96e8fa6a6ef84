/* store.c - what every store shares: the models attached to it, by table,
 * a row's get, create, update and delete over the store's run_row (with
 * what a write that matched no row means), a change log entry handed on
 * as a change, and the one entry that opens a store by where it is
 * (PostgreSQL or SQLite). */
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

bool
lv__store_add_model(lv_store *s, const lv_model_desc *m)
{
	if (lv__store_model(s, m->table))
		return true;
	if (s->nmodels == s->capmodels) {
		size_t cap = s->capmodels ? s->capmodels * 2 : 8;
		const lv_model_desc **n = realloc(s->models, cap * sizeof *n);
		if (!n)
			return false;
		s->models = n;
		s->capmodels = cap;
	}
	s->models[s->nmodels++] = m;
	return true;
}

const lv_model_desc *
lv__store_model(const lv_store *s, const char *table)
{
	if (!table)
		return NULL;
	for (size_t i = 0; i < s->nmodels; i++)
		if (strcmp(s->models[i]->table, table) == 0)
			return s->models[i];
	return NULL;
}

/* An update or a delete matched no row: was it the version or the key? */
static int
stale_or_gone(lv_store *s, const lv_model_desc *m, const json_t *key, lv_model_err *err)
{
	json_t *row = NULL;
	int rc = lv__store_get(s, m, key, &row, err);
	json_decref(row);
	if (rc == 0)
		return lv__model_fail(err, LV_EABORTED,
		                      "%s changed since it was read (a newer version is stored)",
		                      m->name);
	return rc;
}

/* Runs the statement w holds, then frees it. */
static int
run(lv_store *s, const lv_model_desc *m, lv_row_sql *w, bool made, json_t **row,
    int64_t *changed, lv_model_err *err)
{
	if (!made)
		return lv__model_fail(err, LV_ENOMEM, "out of memory");
	int rc = s->ops->run_row(s, m, w, row, changed, err);
	lv__row_sql_free(w);
	return rc;
}

int
lv__store_get(lv_store *s, const lv_model_desc *m, const json_t *key, json_t **row,
              lv_model_err *err)
{
	lv_row_sql w;
	*row = NULL;
	int rc = run(s, m, &w, lv__row_sql_get(m, key, s->ops->dollar, &w), row, NULL, err);
	if (rc == 0 && !*row)
		rc = lv__model_fail(err, LV_ENOT_FOUND, "no %s of that key", m->name);
	return rc;
}

int
lv__store_create(lv_store *s, const lv_model_desc *m, const json_t *row, json_t **out,
                 lv_model_err *err)
{
	lv_row_sql w;
	*out = NULL;
	return run(s, m, &w, lv__row_sql_insert(m, row, s->ops->dollar, &w), out, NULL, err);
}

int
lv__store_update(lv_store *s, const lv_model_desc *m, const json_t *row, json_t **out,
                 lv_model_err *err)
{
	lv_row_sql w;
	*out = NULL;
	int rc = run(s, m, &w, lv__row_sql_update(m, row, s->ops->dollar, &w), out, NULL, err);
	if (rc == 0 && !*out)
		return stale_or_gone(s, m, lv__row_key(m, row), err);
	return rc;
}

int
lv__store_remove(lv_store *s, const lv_model_desc *m, const json_t *key, int64_t version,
                 lv_model_err *err)
{
	lv_row_sql w;
	int64_t changed = 0;
	int rc = run(s, m, &w, lv__row_sql_delete(m, key, version, s->ops->dollar, &w), NULL,
	             &changed, err);
	if (rc == 0 && changed == 0)
		return stale_or_gone(s, m, key, err);
	return rc;
}

bool
lv__store_change(lv_store *s, const char *table, int op, const char *old, size_t nold,
                 const char *new, size_t nnew, void (*each)(void *arg, const lv_change *c),
                 void *arg)
{
	const lv_model_desc *m = lv__store_model(s, table);
	if (!m)
		return false;
	lv_change c = { m, (lv_change_op)op, NULL, NULL };
	if (old)
		c.old = lv__row_from_text(m, old, nold);
	if (new)
		c.new = lv__row_from_text(m, new, nnew);
	/* LV_CH_LOST from a store: the table was emptied at once (TRUNCATE). */
	bool ok = c.op == LV_CH_LOST ||
	          ((c.op == LV_CH_INSERT || c.old) && (c.op == LV_CH_DELETE || c.new));
	if (ok)
		each(arg, &c);
	json_decref(c.old);
	json_decref(c.new);
	return ok;
}

lv_store *
lv__store_open(const char *where, lv_model_err *err)
{
	if (where && (strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0))
		return lv__store_pg(where, err);
	return lv__store_sqlite(where, err);
}
