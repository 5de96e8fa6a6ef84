/* pg.h - what the PostgreSQL store's files share: the store and its two
 * connections, a statement's parameters and how it runs (pg.c), a table
 * made or checked (pg_schema.c), and change capture (pg_capture.c). */
#ifndef LV_MODEL_PG_H
#define LV_MODEL_PG_H

#include <libpq-fe.h>
#include <time.h>

#include "model/model.h"

/* The advisory lock taken while the shared objects or a table are made,
 * so that one process at a time makes them on a database. */
#define LV_PG_SETUP_LOCK "7815275286380880488"

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
} lv_pg_store;

/* A statement's parameters as text (NULL: SQL NULL), $1 first. */
typedef struct {
	char **v;
	int n, cap;
} lv_pg_params;

/* ---- pg.c ---------------------------------------------------------------------- */

/* A connection to conninfo that gives up connecting after a bound unless
 * conninfo says otherwise; its notices are not printed. */
PGconn *lv__pg_connect(const char *conninfo);
/* Runs b (p: NULL, none) on s->db, made again once if it was lost; *out
 * the result when it succeeded (PQclear it). 0 or a status, err filled. */
int lv__pg_run(lv_pg_store *s, const lv_buf *b, const lv_pg_params *p, PGresult **out,
               lv_model_err *err, const char *what);
/* Runs SQL without parameters (DDL made from a model, exec's). A
 * transaction it leaves open is rolled back, an error. */
int lv__pg_exec_text(lv_pg_store *s, lv_buf *b, lv_model_err *err, const char *what);

/* ---- pg_schema.c --------------------------------------------------------------- */

/* The store's attach (lv_store_ops). */
int lv__pg_attach(lv_store *s, const lv_model_desc *m, lv_model_err *err);

/* ---- pg_capture.c -------------------------------------------------------------- */

/* At open, on s->db: the change table and the trigger functions (made if
 * missing, made again otherwise), LISTEN, and the cursor at the last
 * change committed. 0 or a status, err filled. */
int lv__pg_capture_open(lv_pg_store *s, lv_model_err *err);
/* Appends to b the statements that make m's change triggers again, for
 * the transaction that makes or checks its table. */
void lv__pg_capture_triggers(const lv_model_desc *m, lv_buf *b);
/* The store's changes and wait_fd (lv_store_ops). */
int lv__pg_changes(lv_store *s, void (*each)(void *arg, const lv_change *c), void *arg,
                   lv_model_err *err);
int lv__pg_wait_fd(lv_store *s);

#endif
