/* pg.c - the PostgreSQL store through libpq: tables made or checked from a
 * model, parameterised statements with quoted identifiers, optimistic
 * versions, and change capture by triggers into lv_change in commit order
 * (one advisory lock per writing transaction), read after a LISTEN wake-up. */
#include <libpq-fe.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/model.h"

/* The advisory lock every transaction that writes a watched table takes
 * (the bytes of "lv_chang"), held until it commits or rolls back. */
#define CHANGE_LOCK "7815275286380880487"
/* The one taken while the shared objects or a table are made. */
#define SETUP_LOCK "7815275286380880488"
/* Changes read in one statement. */
#define READ_BATCH 1000
#define READ_BATCH_TEXT "1000"
/* lv_change is pruned at most this often: after so many changes read, or
 * so many seconds. */
#define PRUNE_EVERY 1024
#define PRUNE_PERIOD_S 30
/* Bounds on waiting: for a connection, and for a lock (the change lock
 * another transaction holds too long, a row another one locked): past it
 * a write fails with LV_EUNAVAILABLE instead of stalling its caller. */
#define CONNECT_S "10"
#define LOCK_TIMEOUT "'5s'"

typedef struct {
	lv_store base;
	PGconn *db;          /* statements */
	PGconn *listen;      /* LISTEN lv_change: wait_fd */
	char *conninfo;
	int64_t cursor;      /* the last lv_change seq read */
	bool dirty;          /* this store wrote since the last read */
	bool missed;         /* the LISTEN connection was lost: read anyway */
	unsigned since_prune;
	time_t pruned_at;
} pg_store;

/* ---- errors and connections ------------------------------------------------ */

/* A connection to conninfo that gives up connecting after CONNECT_S
 * unless conninfo says otherwise. */
static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;   /* what matters comes back as a result's error */
}

static PGconn *
pg_connect(const char *conninfo)
{
	static const char *const keys[] = { "connect_timeout", "dbname", NULL };
	const char *vals[] = { CONNECT_S, conninfo, NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	if (c)
		PQsetNoticeProcessor(c, quiet, NULL);
	return c;
}

static int
status_of(const char *state)
{
	if (!state)
		return LV_EUNAVAILABLE;   /* no result: the connection is gone */
	if (strncmp(state, "23", 2) == 0 || strncmp(state, "22", 2) == 0)
		return LV_EINVALID_ARGUMENT;
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0 ||
	    strncmp(state, "57", 2) == 0 || strcmp(state, "40001") == 0 ||
	    strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0)
		return LV_EUNAVAILABLE;
	return LV_EINTERNAL;
}

/* The message of a failed result (or of the connection), one line. */
static int
pg_fail(pg_store *s, PGresult *r, lv_model_err *err, const char *what)
{
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (!msg || !*msg)
		msg = PQerrorMessage(s->db);
	char line[160];
	snprintf(line, sizeof line, "%s", msg ? msg : "no answer");
	line[strcspn(line, "\n")] = 0;
	return lv__model_fail(err, status_of(state), "%s: %s", what, line);
}

/* A connection that answers, reset once if it was lost. */
static bool
alive(PGconn *c)
{
	if (PQstatus(c) == CONNECTION_OK)
		return true;
	PQreset(c);
	return PQstatus(c) == CONNECTION_OK;
}

/* ---- SQL text ----------------------------------------------------------------- */

/* A quoted literal ('text', with ' doubled), for names in DDL only. */
static void
literal(lv_buf *b, const char *text)
{
	lv_buf_append(b, "'", 1);
	for (const char *p = text; *p; p++) {
		lv_buf_append(b, p, 1);
		if (*p == '\'')
			lv_buf_append(b, "'", 1);
	}
	lv_buf_append(b, "'", 1);
}

static void
col_list(const lv_model_desc *m, lv_buf *b)
{
	for (size_t i = 0; i < m->ncols; i++) {
		if (i)
			lv_buf_puts(b, ", ");
		lv__sql_ident(b, m->cols[i].name);
	}
}

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

/* ---- parameters ------------------------------------------------------------------ */

typedef struct {
	char **v;
	int n, cap;
} params;

static void
params_free(params *p)
{
	for (int i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	memset(p, 0, sizeof *p);
}

/* Appends v as the text PostgreSQL reads for column c (NULL: no column,
 * a query's value). 0, or a status with err filled. */
static int
param_add(params *p, const lv_model_desc *m, const lv_model_col *c, const json_t *v,
          lv_model_err *err)
{
	char *text = NULL;
	if (v && !json_is_null(v)) {
		if (c && c->type == LV_COL_JSON) {
			/* A struct or a list, or any JSON value: its text. */
			text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		} else if (json_is_string(v)) {
			size_t len = json_string_length(v);
			if (memchr(json_string_value(v), 0, len))
				return lv__model_fail(err, LV_EINVALID_ARGUMENT,
				                      "%s%s%s holds a NUL character, which PostgreSQL text cannot",
				                      m->name, c ? "." : "", c ? c->name : " (a query value)");
			text = strdup(json_string_value(v));
		} else if (json_is_number(v) && ((c && c->type == LV_COL_FLOAT) || json_is_real(v))) {
			double d = json_number_value(v);
			if (!isfinite(d))
				return lv__model_fail(err, LV_EINVALID_ARGUMENT,
				                      "%s%s%s must be a finite number (no NaN or infinity)",
				                      m->name, c ? "." : "", c ? c->name : " (a query value)");
			char num[40];
			snprintf(num, sizeof num, "%.17g", d);
			text = strdup(num);
		} else if (json_is_boolean(v) && (!c || c->type == LV_COL_BOOL)) {
			text = strdup(json_is_true(v) ? "true" : "false");
		} else {
			/* An integer. */
			text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		}
		if (!text)
			return lv__model_fail(err, LV_ENOMEM, "out of memory");
	}
	if (p->n == p->cap) {
		int cap = p->cap ? p->cap * 2 : 8;
		char **n = realloc(p->v, (size_t)cap * sizeof *n);
		if (!n) {
			free(text);
			return lv__model_fail(err, LV_ENOMEM, "out of memory");
		}
		p->v = n;
		p->cap = cap;
	}
	p->v[p->n++] = text;
	return 0;
}

/* Runs b with p; *out the result when it succeeded (PQclear it). */
static int
run(pg_store *s, lv_buf *b, const params *p, PGresult **out, lv_model_err *err,
    const char *what)
{
	*out = NULL;
	lv_buf_append(b, "", 1);
	if (b->failed)
		return lv__model_fail(err, LV_ENOMEM, "out of memory");
	if (!alive(s->db))
		return lv__model_fail(err, LV_EUNAVAILABLE, "%s: the database is gone: %s", what,
		                      PQerrorMessage(s->db));
	PGresult *r = PQexecParams(s->db, (const char *)b->data, p ? p->n : 0, NULL,
	                           p ? (const char *const *)p->v : NULL, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
		int rc = pg_fail(s, r, err, what);
		PQclear(r);
		return rc;
	}
	*out = r;
	return 0;
}

/* ---- values back ------------------------------------------------------------------ */

static json_t *
value_of(const lv_model_col *c, const PGresult *r, int row, int k)
{
	if (PQgetisnull(r, row, k))
		return json_null();
	const char *t = PQgetvalue(r, row, k);
	switch (c->type) {
	case LV_COL_INT: return json_integer(strtoll(t, NULL, 10));
	case LV_COL_BOOL: return json_boolean(t[0] == 't');
	case LV_COL_FLOAT: {
		json_t *v = json_real(strtod(t, NULL));
		return v ? v : json_null();   /* NaN written by hand, past the CHECK */
	}
	case LV_COL_TEXT: return json_stringn(t, (size_t)PQgetlength(r, row, k));
	case LV_COL_JSON: {
		json_t *v = json_loadb(t, (size_t)PQgetlength(r, row, k), JSON_DECODE_ANY, NULL);
		return v ? v : json_null();
	}
	}
	return json_null();
}

/* The row at result row `row`, columns in the model's order. */
static json_t *
row_of(const lv_model_desc *m, const PGresult *r, int row)
{
	json_t *out = json_object();
	for (size_t i = 0; out && i < m->ncols; i++) {
		json_t *v = value_of(&m->cols[i], r, row, (int)i);
		if (!v || json_object_set_new(out, m->cols[i].name, v) != 0) {
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

/* ---- tables ------------------------------------------------------------------------ */

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
check_table(pg_store *s, const lv_model_desc *m, bool *exists, lv_model_err *err)
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
	params p = { 0 };
	char *table = strdup(m->table);
	if (!table)
		return lv__model_fail(err, LV_ENOMEM, "out of memory");
	p.v = &table;
	p.n = 1;
	PGresult *r;
	int rc = run(s, &b, &p, &r, err, "the columns of a table");
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

/* Runs SQL without parameters (DDL made from the model). */
static int
exec_text(pg_store *s, lv_buf *b, lv_model_err *err, const char *what)
{
	lv_buf_append(b, "", 1);
	if (b->failed)
		return lv__model_fail(err, LV_ENOMEM, "out of memory");
	if (!alive(s->db))
		return lv__model_fail(err, LV_EUNAVAILABLE, "%s: the database is gone", what);
	PGresult *r = PQexec(s->db, (const char *)b->data);
	ExecStatusType st = PQresultStatus(r);
	int rc = 0;
	if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
		rc = pg_fail(s, r, err, what);
	PQclear(r);
	if (PQtransactionStatus(s->db) != PQTRANS_IDLE) {
		/* A failed statement inside BEGIN ... COMMIT leaves the
		 * transaction open: end it so the connection serves again. */
		PQclear(PQexec(s->db, "ROLLBACK"));
		if (rc == 0)
			rc = lv__model_fail(err, LV_EINVALID_ARGUMENT,
			                    "%s: a transaction was left open (rolled back)", what);
	}
	return rc;
}

static int
pg_attach(lv_store *base, const lv_model_desc *m, lv_model_err *err)
{
	pg_store *s = (pg_store *)base;
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
	lv_buf_puts(&b, "BEGIN; SELECT pg_advisory_xact_lock(" SETUP_LOCK ");");
	const lv_model_col *key = &m->cols[m->key];
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
	/* The triggers are made again each time (the functions may have
	 * changed with lv). */
	lv_buf_puts(&b, "DROP TRIGGER IF EXISTS lv_change_s ON ");
	lv__sql_ident(&b, m->table);
	lv_buf_puts(&b, "; CREATE TRIGGER lv_change_s BEFORE INSERT OR UPDATE OR DELETE ON ");
	lv__sql_ident(&b, m->table);
	lv_buf_puts(&b, " FOR EACH STATEMENT EXECUTE FUNCTION lv_change_stmt();"
	                "DROP TRIGGER IF EXISTS lv_change_r ON ");
	lv__sql_ident(&b, m->table);
	lv_buf_puts(&b, "; CREATE TRIGGER lv_change_r AFTER INSERT OR UPDATE OR DELETE ON ");
	lv__sql_ident(&b, m->table);
	lv_buf_puts(&b, " FOR EACH ROW EXECUTE FUNCTION lv_change_row(");
	if (key->type == LV_COL_INT)
		literal(&b, key->name);
	lv_buf_puts(&b, "); COMMIT;");
	rc = exec_text(s, &b, err, m->table);
	lv_buf_free(&b);
	if (rc)
		return rc;
	if (!lv__store_add_model(base, m))
		return lv__model_fail(err, LV_ENOMEM, "out of memory");
	return 0;
}

/* ---- rows ------------------------------------------------------------------------ */

static void
select_from(const lv_model_desc *m, lv_buf *b)
{
	lv_buf_puts(b, "SELECT ");
	col_list(m, b);
	lv_buf_puts(b, " FROM ");
	lv__sql_ident(b, m->table);
}

static int
pg_get(lv_store *base, const lv_model_desc *m, const json_t *key, json_t **row,
       lv_model_err *err)
{
	pg_store *s = (pg_store *)base;
	*row = NULL;
	params p = { 0 };
	int rc = param_add(&p, m, &m->cols[m->key], key, err);
	if (rc)
		return rc;
	lv_buf b;
	lv_buf_init(&b);
	select_from(m, &b);
	lv_buf_puts(&b, " WHERE ");
	lv__sql_ident(&b, m->cols[m->key].name);
	lv_buf_puts(&b, " = $1");
	PGresult *r;
	rc = run(s, &b, &p, &r, err, "get");
	lv_buf_free(&b);
	params_free(&p);
	if (rc)
		return rc;
	if (PQntuples(r) == 0)
		rc = lv__model_fail(err, LV_ENOT_FOUND, "no %s of that key", m->name);
	else if (!(*row = row_of(m, r, 0)))
		rc = lv__model_fail(err, LV_ENOMEM, "out of memory");
	PQclear(r);
	return rc;
}

/* The query's parameters, as lv__query_sql_where listed them. */
static int
query_params(const lv_model_desc *m, const json_t *values, params *p, lv_model_err *err)
{
	size_t i;
	json_t *v;
	json_array_foreach(values, i, v) {
		int rc = param_add(p, m, NULL, v, err);
		if (rc)
			return rc;
	}
	return 0;
}

static int
pg_list(lv_store *base, const lv_model_desc *m, const lv_query *q, lv_page *out,
        lv_model_err *err)
{
	pg_store *s = (pg_store *)base;
	out->rows = NULL;
	out->count = 0;
	json_t *values = json_array();
	if (!values)
		return lv__model_fail(err, LV_ENOMEM, "out of memory");
	lv_buf where, b;
	lv_buf_init(&where);
	lv_buf_init(&b);
	int n = 1;
	lv__query_sql_where(m, q, true, &n, &where, values);
	params p = { 0 };
	int rc = query_params(m, values, &p, err);
	json_decref(values);
	lv_buf_puts(&b, "SELECT ");
	col_list(m, &b);
	lv_buf_puts(&b, ", count(*) OVER () FROM ");
	lv__sql_ident(&b, m->table);
	lv_buf_append(&b, where.data, where.len);
	lv__query_sql_order(m, q, &b);
	if (q->limit) {
		char lim[64];
		snprintf(lim, sizeof lim, " LIMIT %u OFFSET %llu", (unsigned)q->limit,
		         (unsigned long long)(q->page - 1) * q->limit);
		lv_buf_puts(&b, lim);
	}
	PGresult *r = NULL;
	if (rc == 0)
		rc = run(s, &b, &p, &r, err, "list");
	json_t *rows = rc == 0 ? json_array() : NULL;
	if (rc == 0 && !rows)
		rc = lv__model_fail(err, LV_ENOMEM, "out of memory");
	for (int k = 0; rc == 0 && k < PQntuples(r); k++) {
		json_t *row = row_of(m, r, k);
		out->count = strtoll(PQgetvalue(r, k, (int)m->ncols), NULL, 10);
		if (!row || json_array_append_new(rows, row) != 0)
			rc = lv__model_fail(err, LV_ENOMEM, "out of memory");
	}
	PQclear(r);
	if (rc == 0 && json_array_size(rows) == 0 && q->limit && q->page > 1) {
		/* Past the last page: the window function saw no row, count
		 * them alone. */
		lv_buf c;
		lv_buf_init(&c);
		lv_buf_puts(&c, "SELECT count(*) FROM ");
		lv__sql_ident(&c, m->table);
		lv_buf_append(&c, where.data, where.len);
		rc = run(s, &c, &p, &r, err, "count");
		lv_buf_free(&c);
		if (rc == 0) {
			out->count = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
			PQclear(r);
		}
	}
	params_free(&p);
	lv_buf_free(&where);
	lv_buf_free(&b);
	if (rc) {
		json_decref(rows);
		return rc;
	}
	out->rows = rows;
	return 0;
}

/* Whether the row of that key exists, for telling a stale version from a
 * missing row. */
static int
stale_or_gone(pg_store *s, const lv_model_desc *m, const json_t *key, lv_model_err *err)
{
	json_t *row = NULL;
	int rc = pg_get(&s->base, m, key, &row, err);
	json_decref(row);
	if (rc == 0)
		return lv__model_fail(err, LV_EABORTED,
		                      "%s changed since it was read (a newer version is stored)",
		                      m->name);
	return rc;
}

/* The single row a RETURNING statement gave, or NULL when none. */
static int
returned(const lv_model_desc *m, PGresult *r, json_t **out, lv_model_err *err)
{
	*out = NULL;
	int rc = 0;
	if (PQntuples(r) > 0 && !(*out = row_of(m, r, 0)))
		rc = lv__model_fail(err, LV_ENOMEM, "out of memory");
	PQclear(r);
	return rc;
}

static int
pg_create(lv_store *base, const lv_model_desc *m, const json_t *row, json_t **out,
          lv_model_err *err)
{
	pg_store *s = (pg_store *)base;
	*out = NULL;
	const json_t *key = lv__row_key(m, row);
	bool with_key = key && !json_is_null(key);
	params p = { 0 };
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, "INSERT INTO ");
	lv__sql_ident(&b, m->table);
	lv_buf_puts(&b, " (");
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < m->ncols; i++) {
		if (i == m->key && !with_key)
			continue;
		if (p.n)
			lv_buf_puts(&b, ", ");
		lv__sql_ident(&b, m->cols[i].name);
		if (i == m->version) {
			json_t *one = json_integer(1);
			rc = param_add(&p, m, &m->cols[i], one, err);
			json_decref(one);
		} else {
			rc = param_add(&p, m, &m->cols[i], json_object_get(row, m->cols[i].name), err);
		}
	}
	lv_buf_puts(&b, ") VALUES (");
	for (int i = 0; i < p.n; i++) {
		char d[16];
		snprintf(d, sizeof d, "%s$%d", i ? ", " : "", i + 1);
		lv_buf_puts(&b, d);
	}
	lv_buf_puts(&b, ") RETURNING ");
	col_list(m, &b);
	PGresult *r;
	if (rc == 0)
		rc = run(s, &b, &p, &r, err, "create");
	lv_buf_free(&b);
	params_free(&p);
	if (rc == 0)
		rc = returned(m, r, out, err);
	if (rc == 0)
		s->dirty = true;
	return rc;
}

static int
pg_update(lv_store *base, const lv_model_desc *m, const json_t *row, json_t **out,
          lv_model_err *err)
{
	pg_store *s = (pg_store *)base;
	*out = NULL;
	const char *ver = m->cols[m->version].name;
	int64_t version = lv__row_version(m, row);
	params p = { 0 };
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, "UPDATE ");
	lv__sql_ident(&b, m->table);
	lv_buf_puts(&b, " SET ");
	int rc = 0;
	char d[16];
	for (size_t i = 0; rc == 0 && i < m->ncols; i++) {
		if (i == m->key || i == m->version)
			continue;
		lv__sql_ident(&b, m->cols[i].name);
		rc = param_add(&p, m, &m->cols[i], json_object_get(row, m->cols[i].name), err);
		snprintf(d, sizeof d, " = $%d, ", p.n);
		lv_buf_puts(&b, d);
	}
	lv__sql_ident(&b, ver);
	lv_buf_puts(&b, " = ");
	lv__sql_ident(&b, ver);
	lv_buf_puts(&b, " + 1 WHERE ");
	lv__sql_ident(&b, m->cols[m->key].name);
	if (rc == 0)
		rc = param_add(&p, m, &m->cols[m->key], lv__row_key(m, row), err);
	snprintf(d, sizeof d, " = $%d", p.n);
	lv_buf_puts(&b, d);
	if (version >= 0 && rc == 0) {
		lv_buf_puts(&b, " AND ");
		lv__sql_ident(&b, ver);
		json_t *v = json_integer(version);
		rc = param_add(&p, m, &m->cols[m->version], v, err);
		json_decref(v);
		snprintf(d, sizeof d, " = $%d", p.n);
		lv_buf_puts(&b, d);
	}
	lv_buf_puts(&b, " RETURNING ");
	col_list(m, &b);
	PGresult *r;
	if (rc == 0)
		rc = run(s, &b, &p, &r, err, "update");
	lv_buf_free(&b);
	params_free(&p);
	if (rc == 0)
		rc = returned(m, r, out, err);
	if (rc == 0 && !*out)
		return stale_or_gone(s, m, lv__row_key(m, row), err);
	if (rc == 0)
		s->dirty = true;
	return rc;
}

static int
pg_remove(lv_store *base, const lv_model_desc *m, const json_t *key, int64_t version,
          lv_model_err *err)
{
	pg_store *s = (pg_store *)base;
	params p = { 0 };
	int rc = param_add(&p, m, &m->cols[m->key], key, err);
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, "DELETE FROM ");
	lv__sql_ident(&b, m->table);
	lv_buf_puts(&b, " WHERE ");
	lv__sql_ident(&b, m->cols[m->key].name);
	lv_buf_puts(&b, " = $1");
	if (version >= 0 && rc == 0) {
		lv_buf_puts(&b, " AND ");
		lv__sql_ident(&b, m->cols[m->version].name);
		lv_buf_puts(&b, " = $2");
		json_t *v = json_integer(version);
		rc = param_add(&p, m, &m->cols[m->version], v, err);
		json_decref(v);
	}
	PGresult *r;
	if (rc == 0)
		rc = run(s, &b, &p, &r, err, "delete");
	lv_buf_free(&b);
	params_free(&p);
	if (rc)
		return rc;
	bool none = strcmp(PQcmdTuples(r), "0") == 0;
	PQclear(r);
	if (none)
		return stale_or_gone(s, m, key, err);
	s->dirty = true;
	return 0;
}

/* ---- changes ---------------------------------------------------------------------- */

/* The LISTEN connection, made (again) when missing or lost. */
static bool
listen_ok(pg_store *s)
{
	if (s->listen && PQstatus(s->listen) == CONNECTION_OK)
		return true;
	if (s->listen)
		PQfinish(s->listen);
	bool again = s->listen != NULL;
	s->listen = pg_connect(s->conninfo);
	s->missed = true;   /* what was committed meanwhile woke nobody */
	if (PQstatus(s->listen) != CONNECTION_OK)
		return false;
	/* Made again: a notification of its own makes the socket readable,
	 * so that whoever polls it calls changes, which reads what committed
	 * while nobody listened. */
	PGresult *r = PQexec(s->listen, again ? "LISTEN lv_change; NOTIFY lv_change"
	                                      : "LISTEN lv_change");
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	PQclear(r);
	if (ok)
		PQsetnonblocking(s->listen, 1);
	return ok;
}

/* Did a notification come? Consumes them all. A connection the server
 * closed counts as one (the socket stays readable until it is read to
 * its end, which also tells libpq it is gone). */
static bool
woken(pg_store *s)
{
	if (!listen_ok(s))
		return true;
	bool any = false;
	for (int i = 0; i < 8; i++) {
		if (PQconsumeInput(s->listen) == 0) {
			any = true;
			break;
		}
		struct pollfd p = { PQsocket(s->listen), POLLIN, 0 };
		if (poll(&p, 1, 0) != 1)
			break;
	}
	PGnotify *n;
	while ((n = PQnotifies(s->listen))) {
		any = true;
		PQfreemem(n);
	}
	if (PQstatus(s->listen) != CONNECTION_OK) {
		/* Listening again before the read that follows: whatever commits
		 * after it wakes us, whatever committed before it is read now. */
		listen_ok(s);
		any = true;
	}
	return any;
}

/* A row of the model from a trigger's row_to_json text. */
static json_t *
row_from_text(const lv_model_desc *m, const char *text, int n)
{
	json_t *j = json_loadb(text, (size_t)n, 0, NULL);
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

int
lv__store_pg_prune(lv_store *base, int64_t keep, int seconds, lv_model_err *err)
{
	pg_store *s = (pg_store *)base;
	char k[32], sec[32];
	snprintf(k, sizeof k, "%lld", (long long)keep);
	snprintf(sec, sizeof sec, "%d", seconds);
	char *vals[2] = { k, sec };
	params p = { vals, 2, 2 };
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b,
	            "WITH b AS (SELECT greatest("
	            "  (SELECT seq FROM lv_change ORDER BY seq DESC OFFSET $1::bigint LIMIT 1),"
	            "  (SELECT max(seq) FROM lv_change"
	            "   WHERE at < clock_timestamp() - make_interval(secs => $2::int))) AS upto),"
	            " d AS (DELETE FROM lv_change WHERE seq <= (SELECT upto FROM b))"
	            " UPDATE lv_change_meta SET pruned = greatest(pruned, (SELECT upto FROM b))"
	            " WHERE (SELECT upto FROM b) IS NOT NULL");
	PGresult *r;
	int rc = run(s, &b, &p, &r, err, "prune");
	lv_buf_free(&b);
	if (rc == 0)
		PQclear(r);
	return rc;
}

static int
pg_changes(lv_store *base, void (*each)(void *arg, const lv_change *c), void *arg,
           lv_model_err *err)
{
	pg_store *s = (pg_store *)base;
	bool wake = woken(s);
	if (!wake && !s->dirty && !s->missed)
		return 0;
	s->dirty = false;
	s->missed = false;
	int total = 0;
	for (;;) {
		char cur[32];
		snprintf(cur, sizeof cur, "%lld", (long long)s->cursor);
		char *vals[1] = { cur };
		params p = { vals, 1, 1 };
		lv_buf b;
		lv_buf_init(&b);
		/* One statement, one snapshot: what was pruned and what is left. */
		lv_buf_puts(&b, "SELECT m.pruned, c.seq, c.tbl, c.op, c.old_row, c.new_row"
		                " FROM lv_change_meta m LEFT JOIN LATERAL (SELECT * FROM lv_change"
		                "  WHERE seq > $1::bigint ORDER BY seq LIMIT " READ_BATCH_TEXT
		                ") c ON true ORDER BY c.seq");
		PGresult *r;
		int rc = run(s, &b, &p, &r, err, "changes");
		lv_buf_free(&b);
		if (rc) {
			s->missed = true;   /* read again next time */
			return rc;
		}
		int rows = PQntuples(r), got = 0;
		if (rows > 0 && strtoll(PQgetvalue(r, 0, 0), NULL, 10) > s->cursor) {
			lv_change lost = { NULL, LV_CH_LOST, NULL, NULL };
			each(arg, &lost);
			total++;
			s->cursor = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		}
		for (int k = 0; k < rows; k++) {
			if (PQgetisnull(r, k, 1))
				continue;
			got++;
			s->cursor = strtoll(PQgetvalue(r, k, 1), NULL, 10);
			const lv_model_desc *m = lv__store_model(base, PQgetvalue(r, k, 2));
			if (!m)
				continue;
			lv_change c = { m, (lv_change_op)atoi(PQgetvalue(r, k, 3)), NULL, NULL };
			if (!PQgetisnull(r, k, 4))
				c.old = row_from_text(m, PQgetvalue(r, k, 4), PQgetlength(r, k, 4));
			if (!PQgetisnull(r, k, 5))
				c.new = row_from_text(m, PQgetvalue(r, k, 5), PQgetlength(r, k, 5));
			if ((c.op != LV_CH_INSERT && !c.old) || (c.op != LV_CH_DELETE && !c.new)) {
				json_decref(c.old);
				json_decref(c.new);
				continue;
			}
			each(arg, &c);
			json_decref(c.old);
			json_decref(c.new);
			total++;
		}
		PQclear(r);
		s->since_prune += (unsigned)got;
		if (got < READ_BATCH)
			break;
	}
	time_t now = time(NULL);
	if (s->since_prune >= PRUNE_EVERY || now - s->pruned_at >= PRUNE_PERIOD_S) {
		s->since_prune = 0;
		s->pruned_at = now;
		lv_model_err ignored;
		lv__store_pg_prune(base, LV_PG_KEEP_CHANGES, LV_PG_KEEP_SECONDS, &ignored);
	}
	return total;
}

static int
pg_exec(lv_store *base, const char *sql, lv_model_err *err)
{
	pg_store *s = (pg_store *)base;
	s->dirty = true;
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, sql);
	int rc = exec_text(s, &b, err, "exec");
	lv_buf_free(&b);
	return rc;
}

static int
pg_wait_fd(lv_store *base)
{
	pg_store *s = (pg_store *)base;
	if (!listen_ok(s))
		return -1;
	return PQsocket(s->listen);
}

static void
pg_close(lv_store *base)
{
	pg_store *s = (pg_store *)base;
	if (!s)
		return;
	if (s->db)
		PQfinish(s->db);
	if (s->listen)
		PQfinish(s->listen);
	free(s->conninfo);
	free(s->base.models);
	free(s);
}

static const lv_store_ops pg_ops = {
	.name = "postgresql",
	.attach = pg_attach,
	.get = pg_get,
	.list = pg_list,
	.create = pg_create,
	.update = pg_update,
	.remove = pg_remove,
	.changes = pg_changes,
	.exec = pg_exec,
	.close = pg_close,
	.wait_fd = pg_wait_fd,
};

/* What every database lv writes to shares, made once: the change table,
 * its sequence and the trigger functions. */
static const char setup_sql[] =
	"BEGIN;"
	"SELECT pg_advisory_xact_lock(" SETUP_LOCK ");"
	"CREATE TABLE IF NOT EXISTS lv_change ("
	" seq bigint PRIMARY KEY, tbl text NOT NULL, op smallint NOT NULL,"
	" old_row text, new_row text, at timestamptz NOT NULL DEFAULT clock_timestamp());"
	"CREATE INDEX IF NOT EXISTS lv_change_at ON lv_change (at);"
	"CREATE SEQUENCE IF NOT EXISTS lv_change_seq;"
	"CREATE TABLE IF NOT EXISTS lv_change_meta ("
	" one boolean PRIMARY KEY DEFAULT true CHECK (one), pruned bigint NOT NULL DEFAULT 0);"
	"INSERT INTO lv_change_meta DEFAULT VALUES ON CONFLICT DO NOTHING;"
	/* Before the statement touches a row: the commit-order lock (held to
	 * the end of the transaction, taken before any row lock of the
	 * statement) and the wake-up, sent only if it commits. */
	"CREATE OR REPLACE FUNCTION lv_change_stmt() RETURNS trigger LANGUAGE plpgsql AS $f$"
	" BEGIN PERFORM pg_advisory_xact_lock(" CHANGE_LOCK ");"
	" PERFORM pg_notify('lv_change', ''); RETURN NULL; END $f$;"
	/* Each row: its change, numbered under that lock. TG_ARGV[0], when
	 * given, is an identity key: a key given by hand past the identity
	 * moves it on. */
	"CREATE OR REPLACE FUNCTION lv_change_row() RETURNS trigger LANGUAGE plpgsql AS $f$"
	" DECLARE k bigint; sq text;"
	" BEGIN"
	"  PERFORM pg_advisory_xact_lock(" CHANGE_LOCK ");"
	"  IF TG_OP = 'INSERT' THEN"
	"   INSERT INTO lv_change (seq, tbl, op, new_row)"
	"    VALUES (nextval('lv_change_seq'), TG_TABLE_NAME, 0, row_to_json(NEW)::text);"
	"   IF TG_NARGS > 0 THEN"
	"    sq := pg_get_serial_sequence(format('%I.%I', TG_TABLE_SCHEMA, TG_TABLE_NAME), TG_ARGV[0]);"
	"    k := (row_to_json(NEW) ->> TG_ARGV[0])::bigint;"
	"    IF sq IS NOT NULL AND k > coalesce(pg_sequence_last_value(sq::regclass), 0) THEN"
	"     PERFORM setval(sq::regclass, k);"
	"    END IF;"
	"   END IF;"
	"  ELSIF TG_OP = 'UPDATE' THEN"
	"   INSERT INTO lv_change (seq, tbl, op, old_row, new_row)"
	"    VALUES (nextval('lv_change_seq'), TG_TABLE_NAME, 1, row_to_json(OLD)::text,"
	"            row_to_json(NEW)::text);"
	"  ELSE"
	"   INSERT INTO lv_change (seq, tbl, op, old_row)"
	"    VALUES (nextval('lv_change_seq'), TG_TABLE_NAME, 2, row_to_json(OLD)::text);"
	"  END IF;"
	"  RETURN NULL;"
	" END $f$;"
	"COMMIT;";

lv_store *
lv__store_pg(const char *conninfo, lv_model_err *err)
{
	pg_store *s = calloc(1, sizeof *s);
	if (!s || !(s->conninfo = strdup(conninfo ? conninfo : ""))) {
		free(s);
		lv__model_fail(err, LV_ENOMEM, "out of memory");
		return NULL;
	}
	s->base.ops = &pg_ops;
	s->pruned_at = time(NULL);
	s->db = pg_connect(s->conninfo);
	if (PQstatus(s->db) != CONNECTION_OK) {
		char line[160];
		snprintf(line, sizeof line, "%s", PQerrorMessage(s->db));
		line[strcspn(line, "\n")] = 0;
		lv__model_fail(err, LV_EUNAVAILABLE, "postgresql: cannot connect: %s", line);
		pg_close(&s->base);
		return NULL;
	}
	/* Floats as their shortest exact text (the default since 12). No JIT:
	 * lv's statements are small, and compiling one took up to half a
	 * second whenever the planner's guess crossed jit_above_cost (as it
	 * does for the change read while lv_change_meta has no statistics). */
	PQclear(PQexec(s->db, "SET client_min_messages = warning; SET extra_float_digits = 3;"
	                      " SET lock_timeout = " LOCK_TIMEOUT "; SET jit = off"));
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, setup_sql);
	int rc = exec_text(s, &b, err, "postgresql: the change table");
	lv_buf_free(&b);
	/* LISTEN before the cursor is read: whatever commits after it wakes us. */
	if (rc == 0 && !listen_ok(s))
		rc = lv__model_fail(err, LV_EUNAVAILABLE, "postgresql: LISTEN: %s",
		                    PQerrorMessage(s->listen));
	PGresult *r = NULL;
	if (rc == 0) {
		lv_buf_init(&b);
		lv_buf_puts(&b, "SELECT greatest((SELECT max(seq) FROM lv_change),"
		                " (SELECT pruned FROM lv_change_meta), 0)");
		rc = run(s, &b, NULL, &r, err, "postgresql: the last change");
		lv_buf_free(&b);
	}
	if (rc) {
		pg_close(&s->base);
		return NULL;
	}
	s->cursor = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	s->missed = false;
	return &s->base;
}
