/* sqlite.c - the SQLite store: tables made or checked from a model,
 * prepared statements for its rows, optimistic versions, and change
 * capture through triggers into lv_change, read when this connection
 * wrote or PRAGMA data_version says another one did; a gap in its
 * numbers is changes pruned before this reader read them (LV_CH_LOST). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "model/model.h"

/* Changes older than this are pruned from lv_change (every reader on
 * this database polls far more often). */
#define PRUNE_AFTER_S 60
#define PRUNE_EVERY 1024

typedef struct {
	lv_store base;
	sqlite3 *db;
	sqlite3_stmt *read_changes;
	sqlite3_stmt *data_version;
	int64_t cursor;          /* the last lv_change seq read */
	int64_t version;         /* PRAGMA data_version last seen */
	bool dirty;              /* this connection wrote since the last read */
	unsigned since_prune;
} sq_store;

static int
sq_fail(sq_store *s, lv_model_err *err, const char *what)
{
	int code = sqlite3_errcode(s->db);
	int status = LV_EINTERNAL;
	if (code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_IOERR ||
	    code == SQLITE_FULL || code == SQLITE_CANTOPEN)
		status = LV_EUNAVAILABLE;
	else if ((code & 0xff) == SQLITE_CONSTRAINT || code == SQLITE_MISMATCH)
		status = LV_EINVALID_ARGUMENT;
	return lv__model_fail(err, status, "%s: %s", what, sqlite3_errmsg(s->db));
}

static const char *
sql_type(lv_col_type t)
{
	switch (t) {
	case LV_COL_INT: case LV_COL_BOOL: return "INTEGER";
	case LV_COL_FLOAT: return "REAL";
	case LV_COL_TEXT: case LV_COL_JSON: return "TEXT";
	}
	return "TEXT";
}

static int
bind(sqlite3_stmt *st, int i, const lv_model_col *c, const json_t *v)
{
	if (!v || json_is_null(v))
		return sqlite3_bind_null(st, i);
	if (c && c->type == LV_COL_JSON)
		goto as_json;   /* a string or a number there is JSON text too */
	if (json_is_boolean(v))
		return sqlite3_bind_int(st, i, json_is_true(v));
	if (json_is_integer(v)) {
		if (c && c->type == LV_COL_FLOAT)
			return sqlite3_bind_double(st, i, (double)json_integer_value(v));
		return sqlite3_bind_int64(st, i, json_integer_value(v));
	}
	if (json_is_real(v))
		return sqlite3_bind_double(st, i, json_real_value(v));
	if (json_is_string(v))
		return sqlite3_bind_text(st, i, json_string_value(v), (int)json_string_length(v),
		                         SQLITE_TRANSIENT);
as_json:;
	char *j = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!j)
		return SQLITE_NOMEM;
	return sqlite3_bind_text(st, i, j, -1, free);
}

/* The row at the statement's current step, columns in the model's order
 * from column 0. */
static json_t *
row_of(const lv_model_desc *m, sqlite3_stmt *st, int from)
{
	json_t *row = json_object();
	for (size_t i = 0; row && i < m->ncols; i++) {
		const lv_model_col *c = &m->cols[i];
		int k = from + (int)i;
		json_t *v = NULL;
		if (sqlite3_column_type(st, k) == SQLITE_NULL) {
			v = json_null();
		} else {
			switch (c->type) {
			case LV_COL_INT: v = json_integer(sqlite3_column_int64(st, k)); break;
			case LV_COL_BOOL: v = json_boolean(sqlite3_column_int64(st, k) != 0); break;
			case LV_COL_FLOAT: v = json_real(sqlite3_column_double(st, k)); break;
			case LV_COL_TEXT:
				v = json_stringn((const char *)sqlite3_column_text(st, k),
				                 (size_t)sqlite3_column_bytes(st, k));
				break;
			case LV_COL_JSON:
				v = json_loadb((const char *)sqlite3_column_text(st, k),
				               (size_t)sqlite3_column_bytes(st, k), JSON_DECODE_ANY, NULL);
				if (!v)
					v = json_null();
				break;
			}
		}
		if (!v || json_object_set_new(row, c->name, v) != 0) {
			json_decref(row);
			return NULL;
		}
	}
	return row;
}

static int
prepare(sq_store *s, const lv_buf *b, sqlite3_stmt **st, lv_model_err *err)
{
	if (b->failed)
		return lv__model_fail(err, LV_ENOMEM, "out of memory");
	if (sqlite3_prepare_v2(s->db, (const char *)b->data, (int)b->len, st, NULL) != SQLITE_OK)
		return sq_fail(s, err, "prepare");
	return 0;
}

static int
exec_buf(sq_store *s, lv_buf *b, lv_model_err *err, const char *what)
{
	lv_buf_append(b, "", 1);
	if (b->failed)
		return lv__model_fail(err, LV_ENOMEM, "out of memory");
	if (sqlite3_exec(s->db, (const char *)b->data, NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(s, err, what);
	return 0;
}

/* ---- tables --------------------------------------------------------------- */

/* Does the existing table have the model's columns, types, NOT NULLs and
 * key, and nothing else? 0, or an error that names the difference. */
static int
check_table(sq_store *s, const lv_model_desc *m, bool *exists, lv_model_err *err)
{
	char sql[200];
	snprintf(sql, sizeof sql, "PRAGMA table_info(%s)", m->table);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sq_fail(s, err, "table_info");
	size_t seen = 0;
	int rc = 0, step;
	*exists = false;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
		*exists = true;
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *type = (const char *)sqlite3_column_text(st, 2);
		bool notnull = sqlite3_column_int(st, 3) != 0;
		bool pk = sqlite3_column_int(st, 5) != 0;
		size_t i = 0;
		while (i < m->ncols && strcmp(m->cols[i].name, name) != 0)
			i++;
		if (i == m->ncols) {
			rc = lv__model_fail(err, LV_EINVALID_ARGUMENT,
			                    "table %s has a column '%s' that model %s does not", m->table,
			                    name, m->name);
			break;
		}
		const lv_model_col *c = &m->cols[i];
		seen++;
		if (strcasecmp(type ? type : "", sql_type(c->type)) != 0)
			rc = lv__model_fail(err, LV_EINVALID_ARGUMENT,
			                    "table %s: column %s is %s, model %s says %s", m->table, name,
			                    type && *type ? type : "untyped", m->name, sql_type(c->type));
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
	sqlite3_finalize(st);
	if (rc == 0 && *exists && seen != m->ncols) {
		for (size_t i = 0; i < m->ncols; i++) {
			/* Name the first column the table lacks. */
			char q[260];
			snprintf(q, sizeof q, "SELECT 1 FROM pragma_table_info('%s') WHERE name = '%s'",
			         m->table, m->cols[i].name);
			sqlite3_stmt *one;
			if (sqlite3_prepare_v2(s->db, q, -1, &one, NULL) != SQLITE_OK)
				break;
			bool has = sqlite3_step(one) == SQLITE_ROW;
			sqlite3_finalize(one);
			if (!has)
				return lv__model_fail(err, LV_EINVALID_ARGUMENT,
				                      "table %s has no column '%s' (model %s)", m->table,
				                      m->cols[i].name, m->name);
		}
	}
	return rc;
}

/* json_object('a', NEW.a, ...) for a trigger. */
static void
row_json(const lv_model_desc *m, const char *which, lv_buf *b)
{
	lv_buf_puts(b, "json_object(");
	for (size_t i = 0; i < m->ncols; i++) {
		const lv_model_col *c = &m->cols[i];
		if (i)
			lv_buf_puts(b, ", ");
		lv_buf_append(b, "'", 1);
		lv_buf_puts(b, c->name);
		lv_buf_puts(b, "', ");
		if (c->type == LV_COL_FLOAT) {
			/* json_object writes a real with 15 digits: 18 give it back
			 * exactly (infinities are left to json_object). */
			static const char *const exact[] = {
				"CASE WHEN typeof(", ") = 'real' AND abs(",
				") <= 1.7976931348623157e308 THEN json(printf('%!.18g', ", ")) ELSE ", " END",
			};
			for (size_t k = 0; k < sizeof exact / sizeof *exact; k++) {
				if (k) {
					lv_buf_puts(b, which);
					lv_buf_append(b, ".", 1);
					lv_buf_puts(b, c->name);
				}
				lv_buf_puts(b, exact[k]);
			}
			continue;
		}
		if (c->type == LV_COL_JSON)
			lv_buf_puts(b, "json(");
		lv_buf_puts(b, which);
		lv_buf_append(b, ".", 1);
		lv_buf_puts(b, c->name);
		if (c->type == LV_COL_JSON)
			lv_buf_puts(b, ")");
	}
	lv_buf_puts(b, ")");
}

static int
sq_attach(lv_store *base, const lv_model_desc *m, lv_model_err *err)
{
	sq_store *s = (sq_store *)base;
	bool exists;
	int rc = check_table(s, m, &exists, err);
	if (rc)
		return rc;
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, "BEGIN;");
	if (!exists) {
		lv_buf_puts(&b, "CREATE TABLE ");
		lv_buf_puts(&b, m->table);
		lv_buf_puts(&b, " (");
		for (size_t i = 0; i < m->ncols; i++) {
			const lv_model_col *c = &m->cols[i];
			if (i)
				lv_buf_puts(&b, ", ");
			lv_buf_puts(&b, c->name);
			lv_buf_append(&b, " ", 1);
			lv_buf_puts(&b, sql_type(c->type));
			if (i == m->key)
				lv_buf_puts(&b, " PRIMARY KEY");
			/* A key the database picks is never one it picked before,
			 * even once that row is gone: a version read from the old
			 * row must not match a new one. */
			if (i == m->key && c->type == LV_COL_INT)
				lv_buf_puts(&b, " AUTOINCREMENT");
			if (!(c->flags & LV_COL_OPTIONAL) || i == m->key)
				lv_buf_puts(&b, " NOT NULL");
		}
		lv_buf_puts(&b, ");");
	}
	for (size_t i = 0; i < m->ncols; i++) {
		if (!(m->cols[i].flags & LV_COL_INDEX) || i == m->key)
			continue;
		lv_buf_puts(&b, "CREATE INDEX IF NOT EXISTS lv_");
		lv_buf_puts(&b, m->table);
		lv_buf_append(&b, "_", 1);
		lv_buf_puts(&b, m->cols[i].name);
		lv_buf_puts(&b, " ON ");
		lv_buf_puts(&b, m->table);
		lv_buf_append(&b, "(", 1);
		lv_buf_puts(&b, m->cols[i].name);
		lv_buf_puts(&b, ");");
	}
	/* The triggers are made again each time, so that a model whose
	 * columns changed (with its table) records them all. */
	static const char *const ev[] = { "INSERT", "UPDATE", "DELETE" };
	for (int e = 0; e < 3; e++) {
		char name[160];
		snprintf(name, sizeof name, "lv_%s_%c", m->table, "iud"[e]);
		lv_buf_puts(&b, "DROP TRIGGER IF EXISTS ");
		lv_buf_puts(&b, name);
		lv_buf_puts(&b, "; CREATE TRIGGER ");
		lv_buf_puts(&b, name);
		lv_buf_puts(&b, " AFTER ");
		lv_buf_puts(&b, ev[e]);
		lv_buf_puts(&b, " ON ");
		lv_buf_puts(&b, m->table);
		lv_buf_puts(&b, " BEGIN INSERT INTO lv_change (tbl, op, old_row, new_row) VALUES ('");
		lv_buf_puts(&b, m->table);
		lv_buf_puts(&b, e == 0 ? "', 0, NULL, " : e == 1 ? "', 1, " : "', 2, ");
		if (e > 0)
			row_json(m, "OLD", &b);
		lv_buf_puts(&b, e == 2 ? ", NULL" : e == 1 ? ", " : "");
		if (e < 2)
			row_json(m, "NEW", &b);
		lv_buf_puts(&b, "); END;");
	}
	lv_buf_puts(&b, "COMMIT;");
	rc = exec_buf(s, &b, err, m->table);
	lv_buf_free(&b);
	if (rc) {
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (!lv__store_add_model(base, m))
		return lv__model_fail(err, LV_ENOMEM, "out of memory");
	return 0;
}

/* ---- rows ----------------------------------------------------------------- */

static int
step_row(sq_store *s, const lv_model_desc *m, sqlite3_stmt *st, json_t **out,
         lv_model_err *err, const char *what)
{
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*out = row_of(m, st, 0);
		return *out ? 0 : lv__model_fail(err, LV_ENOMEM, "out of memory");
	}
	if (step == SQLITE_DONE) {
		*out = NULL;
		return 0;
	}
	return sq_fail(s, err, what);
}

/* A statement of rowsql.c, its values bound, run to its first row. */
static int
sq_run_row(lv_store *base, const lv_model_desc *m, const lv_row_sql *w, json_t **row,
           int64_t *changed, lv_model_err *err)
{
	sq_store *s = (sq_store *)base;
	sqlite3_stmt *st = NULL;
	int rc = prepare(s, &w->sql, &st, err);
	for (size_t i = 0; rc == 0 && i < w->n; i++) {
		int b = bind(st, (int)i + 1, w->cols[i], json_array_get(w->values, i));
		if (b != SQLITE_OK)
			rc = lv__model_fail(err, b == SQLITE_NOMEM ? LV_ENOMEM : LV_EINTERNAL, "bind: %s",
			                    sqlite3_errstr(b));
	}
	json_t *got = NULL;
	if (rc == 0)
		rc = step_row(s, m, st, &got, err, w->what);
	sqlite3_finalize(st);
	if (rc == 0 && w->writes && sqlite3_changes(s->db) > 0)
		s->dirty = true;
	if (changed)
		*changed = rc == 0 && w->writes ? sqlite3_changes(s->db) : 0;
	if (row)
		*row = got;
	else
		json_decref(got);
	return rc;
}

static int
bind_params(sqlite3_stmt *st, int from, const json_t *params)
{
	size_t i;
	json_t *v;
	json_array_foreach(params, i, v)
		if (bind(st, from + (int)i, NULL, v) != SQLITE_OK)
			return -1;
	return 0;
}

static int
sq_list(lv_store *base, const lv_model_desc *m, const lv_query *q, lv_page *out,
        lv_model_err *err)
{
	sq_store *s = (sq_store *)base;
	out->rows = NULL;
	out->count = 0;
	json_t *params = json_array();
	lv_buf b, c;
	lv_buf_init(&b);
	lv_buf_init(&c);
	if (params)
		lv__query_sql_list(m, q, false, &b, &c, params);
	sqlite3_stmt *st = NULL;
	int rc = params ? prepare(s, &b, &st, err) : lv__model_fail(err, LV_ENOMEM, "out of memory");
	if (rc == 0 && bind_params(st, 1, params) != 0)
		rc = sq_fail(s, err, "list");
	json_t *rows = rc == 0 ? json_array() : NULL;
	int step = SQLITE_DONE;
	while (rc == 0 && rows && (step = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *row = row_of(m, st, 0);
		out->count = sqlite3_column_int64(st, (int)m->ncols);
		if (!row || json_array_append_new(rows, row) != 0)
			rc = lv__model_fail(err, LV_ENOMEM, "out of memory");
	}
	if (rc == 0 && !rows)
		rc = lv__model_fail(err, LV_ENOMEM, "out of memory");
	if (rc == 0 && step != SQLITE_DONE)
		rc = sq_fail(s, err, "list");
	sqlite3_finalize(st);
	if (rc == 0 && json_array_size(rows) == 0 && q->limit && q->page > 1) {
		/* Past the last page: the window function saw no row, count
		 * them alone. */
		rc = prepare(s, &c, &st, err);
		if (rc == 0) {
			bind_params(st, 1, params);
			if (sqlite3_step(st) == SQLITE_ROW)
				out->count = sqlite3_column_int64(st, 0);
			else
				rc = sq_fail(s, err, "count");
			sqlite3_finalize(st);
		}
	}
	lv_buf_free(&b);
	lv_buf_free(&c);
	json_decref(params);
	if (rc) {
		json_decref(rows);
		return rc;
	}
	out->rows = rows;
	return 0;
}

/* ---- changes ------------------------------------------------------------------ */

static int
sq_changes(lv_store *base, void (*each)(void *arg, const lv_change *c), void *arg,
           lv_model_err *err)
{
	sq_store *s = (sq_store *)base;
	if (sqlite3_step(s->data_version) != SQLITE_ROW) {
		sqlite3_reset(s->data_version);
		return sq_fail(s, err, "data_version");
	}
	int64_t v = sqlite3_column_int64(s->data_version, 0);
	sqlite3_reset(s->data_version);
	if (v == s->version && !s->dirty)
		return 0;
	s->version = v;
	s->dirty = false;
	sqlite3_stmt *st = s->read_changes;
	sqlite3_bind_int64(st, 1, s->cursor);
	int n = 0, step;
	bool first = true;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(st, 0);
		if (first && seq > s->cursor + 1) {
			/* AUTOINCREMENT numbers lv_change without gaps (a rollback
			 * takes its numbers back): a gap is what was pruned. */
			lv_change lost = { NULL, LV_CH_LOST, NULL, NULL };
			each(arg, &lost);
			n++;
		}
		first = false;
		s->cursor = seq;
		/* Each text before its length: sqlite3_column_bytes is the
		 * length of the text sqlite3_column_text made. */
		const char *old = (const char *)sqlite3_column_text(st, 3);
		size_t nold = (size_t)sqlite3_column_bytes(st, 3);
		const char *new = (const char *)sqlite3_column_text(st, 4);
		size_t nnew = (size_t)sqlite3_column_bytes(st, 4);
		if (lv__store_change(base, (const char *)sqlite3_column_text(st, 1),
		                     sqlite3_column_int(st, 2), old, nold, new, nnew, each, arg))
			n++;
	}
	sqlite3_reset(st);
	if (step != SQLITE_DONE)
		return sq_fail(s, err, "changes");
	if ((s->since_prune += (unsigned)n) >= PRUNE_EVERY) {
		s->since_prune = 0;
		char sql[160];
		snprintf(sql, sizeof sql,
		         "DELETE FROM lv_change WHERE at < julianday('now') - %d.0 / 86400", PRUNE_AFTER_S);
		sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	}
	return n;
}

static int
sq_exec(lv_store *base, const char *sql, lv_model_err *err)
{
	sq_store *s = (sq_store *)base;
	s->dirty = true;
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return sq_fail(s, err, "exec");
	return 0;
}

static void
sq_close(lv_store *base)
{
	sq_store *s = (sq_store *)base;
	if (!s)
		return;
	sqlite3_finalize(s->read_changes);
	sqlite3_finalize(s->data_version);
	sqlite3_close(s->db);
	free(s->base.models);
	free(s);
}

static const lv_store_ops sq_ops = {
	.name = "sqlite",
	.attach = sq_attach,
	.list = sq_list,
	.changes = sq_changes,
	.exec = sq_exec,
	.close = sq_close,
	.wait_fd = NULL,   /* PRAGMA data_version is read on each changes call */
	.dollar = false,
	.run_row = sq_run_row,
};

lv_store *
lv__store_sqlite(const char *path, lv_model_err *err)
{
	sq_store *s = calloc(1, sizeof *s);
	if (!s) {
		lv__model_fail(err, LV_ENOMEM, "out of memory");
		return NULL;
	}
	s->base.ops = &sq_ops;
	bool memory = !path || !*path || strcmp(path, ":memory:") == 0;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(memory ? ":memory:" : path, &s->db, flags, NULL) != SQLITE_OK) {
		lv__model_fail(err, LV_EUNAVAILABLE, "%s: %s", memory ? ":memory:" : path,
		               s->db ? sqlite3_errmsg(s->db) : "cannot open");
		sq_close(&s->base);
		return NULL;
	}
	sqlite3_busy_timeout(s->db, 2000);
	const char *setup =
		"PRAGMA journal_mode = WAL;"
		"PRAGMA synchronous = NORMAL;"
		"CREATE TABLE IF NOT EXISTS lv_change ("
		" seq INTEGER PRIMARY KEY AUTOINCREMENT,"
		" tbl TEXT NOT NULL, op INTEGER NOT NULL, old_row TEXT, new_row TEXT,"
		" at REAL NOT NULL DEFAULT (julianday('now')));"
		"CREATE INDEX IF NOT EXISTS lv_change_at ON lv_change(at);";
	if (sqlite3_exec(s->db, setup, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
	                       "SELECT seq, tbl, op, old_row, new_row FROM lv_change "
	                       "WHERE seq > ? ORDER BY seq", -1, &s->read_changes, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "PRAGMA data_version", -1, &s->data_version, NULL) != SQLITE_OK) {
		sq_fail(s, err, memory ? ":memory:" : path);
		sq_close(&s->base);
		return NULL;
	}
	sqlite3_stmt *st;
	/* The last number handed out, even when its change was pruned. */
	if (sqlite3_prepare_v2(s->db,
	                       "SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'lv_change'),"
	                       " (SELECT max(seq) FROM lv_change), 0)", -1, &st, NULL) == SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			s->cursor = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	if (sqlite3_step(s->data_version) == SQLITE_ROW)
		s->version = sqlite3_column_int64(s->data_version, 0);
	sqlite3_reset(s->data_version);
	return &s->base;
}
