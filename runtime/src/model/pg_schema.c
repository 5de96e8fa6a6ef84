/* pg_schema.c - a model's table on PostgreSQL: checked against the model
 * when it exists (columns, types with their collation, NOT NULLs, the
 * key), else made, with an index for each field marked as one and the
 * change triggers of pg_capture.c, one table at a time per database. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/pg.h"

static const char *
sql_type(lv_col_type t)
{
	switch (t) {
	case LV_COL_INT: return "bigint";
	case LV_COL_FLOAT: return "double precision";
	case LV_COL_TEXT: case LV_COL_JSON: return "text";
	case LV_COL_BOOL: return "boolean";
	}
	return "text";
}

/* The type as check_table compares it: text columns with their collation. */
static void
type_text(const lv_model_col *c, char *out, size_t n)
{
	if (c->type == LV_COL_TEXT)
		snprintf(out, n, "text COLLATE \"C\"");
	else
		snprintf(out, n, "%s", sql_type(c->type));
}

/* Does the existing table have the model's columns, types, NOT NULLs and
 * key, and nothing else? 0, or an error that names the difference. */
static int
check_table(lv_pg_store *s, const lv_model_desc *m, bool *exists, lv_model_err *err)
{
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b,
	            "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,"
	            " coalesce((SELECT collname FROM pg_collation WHERE oid = a.attcollation), ''),"
	            " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid"
	            "  AND i.indisprimary AND a.attnum = ANY (i.indkey))"
	            " FROM pg_attribute a WHERE a.attrelid = (SELECT c.oid FROM pg_class c"
	            "  WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace"
	            "  AND c.relkind IN ('r', 'p'))"
	            " AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum");
	lv_pg_params p = { 0 };
	char *table = strdup(m->table);
	if (!table)
		return lv__model_fail(err, LV_ENOMEM, "out of memory");
	p.v = &table;
	p.n = 1;
	PGresult *r;
	int rc = lv__pg_run(s, &b, &p, &r, err, "the columns of a table");
	free(table);
	lv_buf_free(&b);
	if (rc)
		return rc;
	int rows = PQntuples(r);
	*exists = rows > 0;
	bool seen[64] = { 0 };
	for (int k = 0; rc == 0 && k < rows; k++) {
		const char *name = PQgetvalue(r, k, 0);
		const char *type = PQgetvalue(r, k, 1);
		bool notnull = PQgetvalue(r, k, 2)[0] == 't';
		const char *coll = PQgetvalue(r, k, 3);
		bool pk = PQgetvalue(r, k, 4)[0] == 't';
		size_t i = 0;
		while (i < m->ncols && strcmp(m->cols[i].name, name) != 0)
			i++;
		if (i == m->ncols) {
			rc = lv__model_fail(err, LV_EINVALID_ARGUMENT,
			                    "table %s has a column '%s' that model %s does not", m->table,
			                    name, m->name);
			break;
		}
		if (i < 64)
			seen[i] = true;
		const lv_model_col *c = &m->cols[i];
		char want[40], have[120];
		type_text(c, want, sizeof want);
		if (c->type == LV_COL_TEXT && strcmp(type, "text") == 0)
			snprintf(have, sizeof have, "text COLLATE \"%s\"", coll);
		else
			snprintf(have, sizeof have, "%s", type);
		if (strcmp(have, want) != 0)
			rc = lv__model_fail(err, LV_EINVALID_ARGUMENT,
			                    "table %s: column %s is %s, model %s says %s", m->table, name,
			                    have, m->name, want);
		else if (pk != (i == m->key))
			rc = lv__model_fail(err, LV_EINVALID_ARGUMENT,
			                    "table %s: column %s %s the primary key, model %s says it %s",
			                    m->table, name, pk ? "is" : "is not", m->name,
			                    i == m->key ? "is" : "is not");
		else if (i != m->key && notnull != !(c->flags & LV_COL_OPTIONAL))
			rc = lv__model_fail(err, LV_EINVALID_ARGUMENT,
			                    "table %s: column %s is %s, model %s says it is %s", m->table,
			                    name, notnull ? "NOT NULL" : "nullable", m->name,
			                    notnull ? "optional" : "required");
	}
	PQclear(r);
	if (rc == 0 && *exists)
		for (size_t i = 0; i < m->ncols && i < 64; i++)
			if (!seen[i])
				return lv__model_fail(err, LV_EINVALID_ARGUMENT,
				                      "table %s has no column '%s' (model %s)", m->table,
				                      m->cols[i].name, m->name);
	return rc;
}

int
lv__pg_attach(lv_store *base, const lv_model_desc *m, lv_model_err *err)
{
	lv_pg_store *s = (lv_pg_store *)base;
	if (m->ncols > 64)
		return lv__model_fail(err, LV_EINVALID_ARGUMENT, "model %s has more than 64 fields",
		                      m->name);
	bool exists;
	int rc = check_table(s, m, &exists, err);
	if (rc)
		return rc;
	lv_buf b;
	lv_buf_init(&b);
	/* One attach at a time on this database (another process may make
	 * the same table). */
	lv_buf_puts(&b, "BEGIN; SELECT pg_advisory_xact_lock(" LV_PG_SETUP_LOCK ");");
	if (!exists) {
		lv_buf_puts(&b, "CREATE TABLE IF NOT EXISTS ");
		lv__sql_ident(&b, m->table);
		lv_buf_puts(&b, " (");
		for (size_t i = 0; i < m->ncols; i++) {
			const lv_model_col *c = &m->cols[i];
			if (i)
				lv_buf_puts(&b, ", ");
			lv__sql_ident(&b, c->name);
			lv_buf_append(&b, " ", 1);
			lv_buf_puts(&b, sql_type(c->type));
			if (c->type == LV_COL_TEXT)
				lv_buf_puts(&b, " COLLATE \"C\"");
			if (i == m->key && c->type == LV_COL_INT)
				lv_buf_puts(&b, " GENERATED BY DEFAULT AS IDENTITY");
			if (i == m->key)
				lv_buf_puts(&b, " PRIMARY KEY");
			if (!(c->flags & LV_COL_OPTIONAL) || i == m->key)
				lv_buf_puts(&b, " NOT NULL");
			if (c->type == LV_COL_FLOAT) {
				lv_buf_puts(&b, " CHECK (");
				lv__sql_ident(&b, c->name);
				lv_buf_puts(&b, " NOT IN ('NaN', 'Infinity', '-Infinity'))");
			}
		}
		lv_buf_puts(&b, ");");
	}
	for (size_t i = 0; i < m->ncols; i++) {
		if (!(m->cols[i].flags & LV_COL_INDEX) || i == m->key)
			continue;
		char name[160];
		snprintf(name, sizeof name, "lv_%s_%s", m->table, m->cols[i].name);
		lv_buf_puts(&b, "CREATE INDEX IF NOT EXISTS ");
		lv__sql_ident(&b, name);
		lv_buf_puts(&b, " ON ");
		lv__sql_ident(&b, m->table);
		lv_buf_append(&b, "(", 1);
		lv__sql_ident(&b, m->cols[i].name);
		lv_buf_puts(&b, ");");
	}
	lv__pg_capture_triggers(m, &b);
	lv_buf_puts(&b, "COMMIT;");
	rc = lv__pg_exec_text(s, &b, err, m->table);
	lv_buf_free(&b);
	if (rc)
		return rc;
	if (!lv__store_add_model(base, m))
		return lv__model_fail(err, LV_ENOMEM, "out of memory");
	return 0;
}

