/* pg.c - the PostgreSQL store through libpq: its connections, statements
 * with $n parameters and quoted identifiers, rows and lists read and
 * written (optimistic versions), and the store's ops. Its tables are
 * pg_schema.c's, its change capture pg_capture.c's. */
#include <libpq-fe.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/pg.h"

/* Bounds on waiting: for a connection, and for a lock (the change lock
 * another transaction holds too long, a row another one locked): past it
 * a write fails with LV_EUNAVAILABLE instead of stalling its caller. */
#define CONNECT_S "10"
#define LOCK_TIMEOUT "5s"

/* ---- errors and connections ------------------------------------------------ */

static void
quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;   /* what matters comes back as a result's error */
}

PGconn *
lv__pg_connect(const char *conninfo)
{
	/* Set for the connection's life, so that a reset keeps them: floats as
	 * their shortest exact text (the default since 12); no JIT, since lv's
	 * statements are small and compiling one took up to half a second
	 * whenever the planner's guess crossed jit_above_cost (as it does for
	 * the change read while lv_change_meta has no statistics). Options in
	 * the store's URI come after and replace these. */
	static const char *const keys[] = { "connect_timeout", "options", "dbname", NULL };
	const char *vals[] = { CONNECT_S, "-c client_min_messages=warning -c extra_float_digits=3"
	                       " -c lock_timeout=" LOCK_TIMEOUT " -c jit=off", conninfo, NULL };
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
pg_fail(lv_pg_store *s, PGresult *r, lv_model_err *err, const char *what)
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

/* ---- parameters ------------------------------------------------------------------ */

static void
params_free(lv_pg_params *p)
{
	for (int i = 0; i < p->n; i++)
		free(p->v[i]);
	free(p->v);
	memset(p, 0, sizeof *p);
}

/* Appends v as the text PostgreSQL reads for column c (NULL: no column,
 * a query's value). 0, or a status with err filled. */
static int
param_add(lv_pg_params *p, const lv_model_desc *m, const lv_model_col *c, const json_t *v,
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

int
lv__pg_run(lv_pg_store *s, const lv_buf *b, const lv_pg_params *p, PGresult **out, lv_model_err *err,
    const char *what)
{
	*out = NULL;
	if (b->failed || !b->data)   /* lv_buf's text always ends with a NUL */
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

int
lv__pg_exec_text(lv_pg_store *s, lv_buf *b, lv_model_err *err, const char *what)
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

/* ---- rows ------------------------------------------------------------------------ */

/* The parameters of values (a JSON array), each for its column in cols
 * (NULL: a query's values, of no column). */
static int
params_of(const lv_model_desc *m, const json_t *values, const lv_model_col *const *cols,
          lv_pg_params *p, lv_model_err *err)
{
	size_t i;
	json_t *v;
	json_array_foreach(values, i, v) {
		int rc = param_add(p, m, cols ? cols[i] : NULL, v, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* A statement of rowsql.c, run with its values. */
static int
pg_run_row(lv_store *base, const lv_model_desc *m, const lv_row_sql *w, json_t **row,
           int64_t *changed, lv_model_err *err)
{
	lv_pg_store *s = (lv_pg_store *)base;
	lv_pg_params p = { 0 };
	int rc = params_of(m, w->values, w->cols, &p, err);
	PGresult *r = NULL;
	if (rc == 0)
		rc = lv__pg_run(s, &w->sql, &p, &r, err, w->what);
	params_free(&p);
	if (rc)
		return rc;
	int64_t n = w->writes ? strtoll(PQcmdTuples(r), NULL, 10) : 0;
	if (n > 0)
		s->dirty = true;
	if (changed)
		*changed = n;
	if (row) {
		*row = NULL;
		if (PQntuples(r) > 0 && !(*row = row_of(m, r, 0)))
			rc = lv__model_fail(err, LV_ENOMEM, "out of memory");
	}
	PQclear(r);
	return rc;
}

static int
pg_list(lv_store *base, const lv_model_desc *m, const lv_query *q, lv_page *out,
        lv_model_err *err)
{
	lv_pg_store *s = (lv_pg_store *)base;
	out->rows = NULL;
	out->count = 0;
	json_t *values = json_array();
	if (!values)
		return lv__model_fail(err, LV_ENOMEM, "out of memory");
	lv_buf b, c;
	lv_buf_init(&b);
	lv_buf_init(&c);
	lv__query_sql_list(m, q, true, &b, &c, values);
	lv_pg_params p = { 0 };
	int rc = params_of(m, values, NULL, &p, err);
	json_decref(values);
	PGresult *r = NULL;
	if (rc == 0)
		rc = lv__pg_run(s, &b, &p, &r, err, "list");
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
		rc = lv__pg_run(s, &c, &p, &r, err, "count");
		if (rc == 0) {
			out->count = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
			PQclear(r);
		}
	}
	params_free(&p);
	lv_buf_free(&b);
	lv_buf_free(&c);
	if (rc) {
		json_decref(rows);
		return rc;
	}
	out->rows = rows;
	return 0;
}

static int
pg_exec(lv_store *base, const char *sql, lv_model_err *err)
{
	lv_pg_store *s = (lv_pg_store *)base;
	s->dirty = true;
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, sql);
	int rc = lv__pg_exec_text(s, &b, err, "exec");
	lv_buf_free(&b);
	return rc;
}

static void
pg_close(lv_store *base)
{
	lv_pg_store *s = (lv_pg_store *)base;
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
	.attach = lv__pg_attach,
	.list = pg_list,
	.changes = lv__pg_changes,
	.exec = pg_exec,
	.close = pg_close,
	.wait_fd = lv__pg_wait_fd,
	.dollar = true,
	.run_row = pg_run_row,
};

lv_store *
lv__store_pg(const char *conninfo, lv_model_err *err)
{
	lv_pg_store *s = calloc(1, sizeof *s);
	if (!s || !(s->conninfo = strdup(conninfo ? conninfo : ""))) {
		free(s);
		lv__model_fail(err, LV_ENOMEM, "out of memory");
		return NULL;
	}
	s->base.ops = &pg_ops;
	s->db = lv__pg_connect(s->conninfo);
	if (PQstatus(s->db) != CONNECTION_OK) {
		char line[160];
		snprintf(line, sizeof line, "%s", PQerrorMessage(s->db));
		line[strcspn(line, "\n")] = 0;
		lv__model_fail(err, LV_EUNAVAILABLE, "postgresql: cannot connect: %s", line);
		pg_close(&s->base);
		return NULL;
	}
	if (lv__pg_capture_open(s, err) != 0) {
		pg_close(&s->base);
		return NULL;
	}
	return &s->base;
}
