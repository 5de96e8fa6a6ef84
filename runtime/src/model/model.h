/* model.h - the model layer: database tables described once (columns, key,
 * version), rows as jansson objects, queries (where, order, page), a store
 * behind one interface (SQLite or PostgreSQL) that captures every committed change,
 * and live queries that turn a batch of changes into insert, update,
 * delete and move events per query. Built on base and jansson; no sockets:
 * the net layer delivers what this reports through the callbacks it gives. */
#ifndef LV_MODEL_H
#define LV_MODEL_H

#include <jansson.h>

#include "base/base.h"

/* ---- what a model is ------------------------------------------------------ */

typedef enum {
	LV_COL_INT,     /* a 64-bit integer */
	LV_COL_FLOAT,   /* a double */
	LV_COL_TEXT,    /* a UTF-8 string; an enum is its member's name */
	LV_COL_BOOL,    /* stored as 0 or 1 */
	LV_COL_JSON     /* a struct or a list, stored as JSON text */
} lv_col_type;

enum {
	LV_COL_KEY = 1 << 0,       /* the primary key (one column) */
	LV_COL_INDEX = 1 << 1,     /* an index is made for it */
	LV_COL_VERSION = 1 << 2,   /* the row's version: 1 when made, +1 per update */
	LV_COL_OPTIONAL = 1 << 3,  /* may be NULL (JSON null or absent) */
	LV_COL_FILTER = 1 << 4,    /* a query may compare it */
	LV_COL_ORDER = 1 << 5      /* a query may order by it */
};

typedef struct {
	const char *name;       /* the field's name: the row's member and the column */
	lv_col_type type;
	unsigned flags;
	const char *default_json;  /* an absent field's value as JSON text, or NULL */
} lv_model_col;

/* One model: what generated code describes. Column names are the field
 * names; the table and column names must be plain identifiers. */
typedef struct {
	const char *name;              /* the model's name in messages */
	const char *table;
	const lv_model_col *cols;
	size_t ncols;
	size_t key;                    /* index of the key column */
	size_t version;                /* index of the version column */
	uint32_t max_limit;            /* the largest page a query may ask for */
} lv_model_desc;

/* Why something was refused: a status code and a sentence. */
typedef struct {
	char why[200];
} lv_model_err;

/* Fills err (printf-style) and returns status. */
int lv__model_fail(lv_model_err *err, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- rows (row.c) ----------------------------------------------------------- */

/* A row as the model knows it: a JSON object with every column, each of
 * its type (an optional one may be null). From a row a page or a handler
 * sent: members of the wrong type or unknown ones are refused, missing
 * ones with a default (lv_model_col.default_json) take it, missing
 * optional ones become null; missing key and version are allowed when
 * need_key / need_version are false (a create). A new reference, or NULL
 * with err filled (LV_EINVALID_ARGUMENT). */
json_t *lv__row_check(const lv_model_desc *m, const json_t *in, bool need_key,
                      bool need_version, lv_model_err *err);
/* The key of a row (borrowed), or NULL. */
const json_t *lv__row_key(const lv_model_desc *m, const json_t *row);
/* A key as the key column's type wants it: the same checks as a row's. */
bool lv__key_check(const lv_model_desc *m, const json_t *key, lv_model_err *err);
/* The row's version, or -1. */
int64_t lv__row_version(const lv_model_desc *m, const json_t *row);
/* A value as a column holds it, from what the database gave back: an
 * integer 0/1 becomes a bool, JSON text a value. A new reference. */
json_t *lv__col_from_db(const lv_model_col *c, const json_t *v);
/* A row of m from the JSON object text a change trigger wrote: each
 * column by name, lv__col_from_db applied. A new reference, or NULL when
 * the text is not an object. */
json_t *lv__row_from_text(const lv_model_desc *m, const char *text, size_t n);

/* ---- one row's statements (rowsql.c) ---------------------------------------- */

/* A statement and what it binds: values[i] (a JSON array; null is SQL
 * NULL) is parameter i + 1, for column cols[i]. Parameters are $1, $2 as
 * PostgreSQL writes them when dollar is set, else ?; names are quoted
 * (lv__sql_ident). */
typedef struct {
	lv_buf sql;
	json_t *values;
	const lv_model_col **cols;
	size_t n;
	bool dollar;
	bool writes;        /* insert, update or delete */
	const char *what;   /* "get", "create", "update" or "delete", for errors */
} lv_row_sql;

/* Each fills w (lv__row_sql_free it), or returns false when out of
 * memory (w is then empty). get: every column of the row of that key.
 * insert: the row's columns (the key left out when it is absent or null:
 * the database picks it) with version 1, RETURNING the row. update: every
 * column but the key and the version, the version + 1, where the key is
 * the row's and, when the row carries one, the version is too, RETURNING
 * the row. delete: where the key is key and, when version >= 0, the
 * version is that. */
bool lv__row_sql_get(const lv_model_desc *m, const json_t *key, bool dollar, lv_row_sql *w);
bool lv__row_sql_insert(const lv_model_desc *m, const json_t *row, bool dollar, lv_row_sql *w);
bool lv__row_sql_update(const lv_model_desc *m, const json_t *row, bool dollar, lv_row_sql *w);
bool lv__row_sql_delete(const lv_model_desc *m, const json_t *key, int64_t version, bool dollar,
                        lv_row_sql *w);
void lv__row_sql_free(lv_row_sql *w);

/* ---- queries (query.c) ------------------------------------------------------ */

typedef enum {
	LV_Q_EQ, LV_Q_NE, LV_Q_LT, LV_Q_LE, LV_Q_GT, LV_Q_GE,
	LV_Q_IN,        /* the value is a list */
	LV_Q_CONTAINS   /* text: holds the value, as bytes */
} lv_qop;

typedef struct {
	size_t col;
	lv_qop op;
	json_t *value;  /* owned */
} lv_qterm;

typedef struct {
	size_t col;
	bool desc;
} lv_qorder;

/* A query: every term holds (and), ordered by the orders then the key,
 * page `page` (from 1) of `limit` rows; limit 0 is every row. */
typedef struct {
	lv_qterm *terms;
	size_t nterms;
	lv_qorder *orders;
	size_t norders;
	uint32_t page, limit;
} lv_query;

/* Reads a query as a page sends it:
 *   {"where": {"done": false, "owner": {"in": ["a","b"]},
 *              "title": {"contains": "milk"}, "rev": {"gt": 2}},
 *    "order": ["-rev", "title"], "page": 1, "limit": 20}
 * (every member optional; "-name" orders down). Only columns marked
 * LV_COL_FILTER may be compared and LV_COL_ORDER ordered by; the limit is
 * at most m->max_limit (0 or absent: m->max_limit). 0, or
 * LV_EINVALID_ARGUMENT with err saying which member and why. */
int lv__query_parse(const lv_model_desc *m, const json_t *in, lv_query *q, lv_model_err *err);
void lv__query_free(lv_query *q);
/* The canonical text of a query's where and order (not its page), so that
 * equal queries share one evaluation. malloc'd. */
char *lv__query_key(const lv_model_desc *m, const lv_query *q, bool with_page);
/* Does the row satisfy every term? As SQL compares: null matches nothing. */
bool lv__query_match(const lv_model_desc *m, const lv_query *q, const json_t *row);
/* The query's order between two rows (<0, 0, >0), the key last; nulls
 * first going up, as the SQL the stores write says. */
int lv__query_cmp(const lv_model_desc *m, const lv_query *q, const json_t *a, const json_t *b);

/* SQL for a query: " WHERE ..." (or "") and " ORDER BY ..." into b, with
 * parameters numbered from *n (dollar: $1, $2 as PostgreSQL writes them;
 * else ?) and the values to bind appended to params (a JSON array). */
void lv__query_sql_where(const lv_model_desc *m, const lv_query *q, bool dollar, int *n,
                         lv_buf *b, json_t *params);
void lv__query_sql_order(const lv_model_desc *m, const lv_query *q, lv_buf *b);
/* A list's SQL, as both stores run it: into b, every column and the
 * count of all the query matches (a window function) of the query's page
 * of rows, ordered; into count, that count alone (for a page past the
 * last, where the window sees no row). Parameters as above, the same for
 * both statements. */
void lv__query_sql_list(const lv_model_desc *m, const lv_query *q, bool dollar, lv_buf *b,
                        lv_buf *count, json_t *params);
/* A name as SQL quotes it ("name", a " doubled), so that PostgreSQL keeps
 * its case; SQLite reads the same quotes. The SQL above quotes columns so. */
void lv__sql_ident(lv_buf *b, const char *name);

/* ---- the store (store.c, sqlite.c, pg*.c) --------------------------------------- */

/* LV_CH_LOST is no row's change: the reader fell behind the changes the
 * store pruned (see changes below), so some were lost (model NULL), or a
 * TRUNCATE emptied model's table at once; old and new are NULL and whoever
 * keeps results must compute them again. */
typedef enum { LV_CH_INSERT, LV_CH_UPDATE, LV_CH_DELETE, LV_CH_LOST } lv_change_op;

/* One committed change to one row: old is NULL for an insert, new for a
 * delete. Both are rows of the model (lv__col_from_db applied). */
typedef struct {
	const lv_model_desc *model;
	lv_change_op op;
	json_t *old, *new;
} lv_change;

/* A list page: the rows (a JSON array) and how many match in all. */
typedef struct {
	json_t *rows;
	int64_t count;
} lv_page;

typedef struct lv_store lv_store;

/* A backend. Every function returns 0 or a status with err filled:
 * LV_ENOT_FOUND (no such row), LV_EABORTED (the version given is not the
 * row's: someone changed it since it was read), LV_EINVALID_ARGUMENT
 * (a row the table refuses, such as a duplicate key), LV_EUNAVAILABLE
 * (the database is busy or gone), LV_EINTERNAL. */
typedef struct {
	const char *name;
	/* Makes the table, its indexes and its change triggers if missing;
	 * a table that exists with other columns is an error that says which. */
	int (*attach)(lv_store *s, const lv_model_desc *m, lv_model_err *err);
	int (*list)(lv_store *s, const lv_model_desc *m, const lv_query *q, lv_page *out,
	            lv_model_err *err);
	/* Runs one statement of rowsql.c (what lv__store_get, create, update
	 * and remove stand on), its parameters written $1, $2 when dollar is
	 * set, else ?. *row, when row is not NULL, is the row it returned
	 * (NULL: none); *changed, when changed is not NULL, how many rows it
	 * wrote. What a statement wrote is read by the next changes call. */
	bool dollar;
	int (*run_row)(lv_store *s, const lv_model_desc *m, const lv_row_sql *w, json_t **row,
	               int64_t *changed, lv_model_err *err);
	/* Calls each for every change committed since the last call (by this
	 * process or any other), in commit order; returns how many. Cheap
	 * when nothing moved. When changes this reader had not read yet were
	 * pruned (it fell behind the bound in count or age the store keeps),
	 * each is called once with LV_CH_LOST before the changes that remain,
	 * and the result counts it. */
	int (*changes)(lv_store *s, void (*each)(void *arg, const lv_change *c), void *arg,
	               lv_model_err *err);
	/* Runs SQL of the application's own, statements separated by ';'
	 * (a test's bulk write, a migration). */
	int (*exec)(lv_store *s, const char *sql, lv_model_err *err);
	void (*close)(lv_store *s);
	/* Optional (NULL, or -1 returned: poll changes on a timer). A file
	 * descriptor that becomes readable when another connection may have
	 * committed a change, or when the store's own connection behind it
	 * ended: the caller polls it for reading and then calls changes,
	 * which consumes what made it readable (and makes a lost connection
	 * again, reading what committed meanwhile). The descriptor stays the
	 * store's (never close it) and may change after a reconnection, so
	 * ask again after each changes call; -1 while there is none (changes
	 * makes it again; wait_fd itself never waits). Writes through this
	 * store need no wake-up: the next changes call reads them. SQLite:
	 * NULL. PostgreSQL: the socket of its LISTEN connection. */
	int (*wait_fd)(lv_store *s);
} lv_store_ops;

struct lv_store {
	const lv_store_ops *ops;
	const lv_model_desc **models;  /* attached, for decoding changes */
	size_t nmodels, capmodels;
};

/* Opens a SQLite database file (made if missing; WAL). "" or ":memory:"
 * is a private database in memory. NULL with err filled. */
lv_store *lv__store_sqlite(const char *path, lv_model_err *err);

/* Opens a PostgreSQL database through libpq (pg.c; its tables pg_schema.c,
 * its change capture pg_capture.c); conninfo is a URI
 * (postgresql://...) or a key=value string. Two connections: one for
 * statements, one that LISTENs (wait_fd). Tables: an integer key the
 * database picks is an identity column (bigint GENERATED BY DEFAULT AS
 * IDENTITY; an explicit key beyond it moves it on, so it never hands out
 * a key given by hand); int is bigint, float double precision (NaN and
 * infinities refused, by the store and by a CHECK), text is text COLLATE
 * "C" (compared as bytes, as query.c does), bool boolean, JSON text.
 * Every statement is prepared with $n parameters and quoted identifiers.
 * Change capture: a statement trigger takes one transaction-scoped
 * advisory lock (so writers to watched tables commit one after another:
 * the lock is held until commit, hence the order of lv_change.seq is the
 * order of commit) and sends pg_notify('lv_change') as a wake-up; a row
 * trigger appends the row's old and new values as JSON to lv_change.
 * changes() reads after the last seq it saw, and skips the database when
 * no notification came and this store wrote nothing. lv_change is pruned
 * past LV_PG_KEEP_CHANGES entries or LV_PG_KEEP_SECONDS of age; a reader
 * whose last seq was pruned gets LV_CH_LOST. What the lock costs: writers
 * to watched tables, from any process, commit one at a time, and a write
 * waits at most 5 s for it (lock_timeout; then LV_EUNAVAILABLE). A
 * TRUNCATE, which fires no row trigger, is one LV_CH_LOST of its table.
 * exec's SQL must end every
 * transaction it begins (one left open is rolled back, an error). A lost
 * connection is made again on the next call. NULL with err filled. */
#define LV_PG_KEEP_CHANGES 100000
#define LV_PG_KEEP_SECONDS 600
lv_store *lv__store_pg(const char *conninfo, lv_model_err *err);
/* Prunes s's lv_change now: every entry but the newest keep, and every
 * one older than seconds (changes does it with the bounds above). */
int lv__store_pg_prune(lv_store *s, int64_t keep, int seconds, lv_model_err *err);

/* Opens the store `where` names: "postgresql://..." or "postgres://..."
 * is PostgreSQL (lv__store_pg), anything else a SQLite file (NULL, "" and
 * ":memory:" as lv__store_sqlite takes them). NULL with err filled. */
lv_store *lv__store_open(const char *where, lv_model_err *err);

/* Remembers m as attached to s (after ops->attach succeeded). */
bool lv__store_add_model(lv_store *s, const lv_model_desc *m);
/* The attached model of that table, or NULL. */
const lv_model_desc *lv__store_model(const lv_store *s, const char *table);
/* One row, on any store: rowsql.c's statements run by its run_row. They
 * return what the backend's functions do (above): an update or a delete
 * that matched no row is LV_EABORTED when the row of that key is there
 * (its version moved on), else LV_ENOT_FOUND. */
int lv__store_get(lv_store *s, const lv_model_desc *m, const json_t *key, json_t **row,
                  lv_model_err *err);
/* row without a key (an integer key): the database picks one. The
 * version is set to 1. *out: the row as stored. */
int lv__store_create(lv_store *s, const lv_model_desc *m, const json_t *row, json_t **out,
                     lv_model_err *err);
/* row carries the version it was read at; stored with version + 1. */
int lv__store_update(lv_store *s, const lv_model_desc *m, const json_t *row, json_t **out,
                     lv_model_err *err);
int lv__store_remove(lv_store *s, const lv_model_desc *m, const json_t *key, int64_t version,
                     lv_model_err *err);
/* Hands each one entry of the change log: the table's name, the op (an
 * lv_change_op) and the row's JSON text before and after (NULL: none).
 * An entry of a table not attached, or whose rows do not read as the op
 * needs them, is skipped. Whether each was called. */
bool lv__store_change(lv_store *s, const char *table, int op, const char *old, size_t nold,
                      const char *new, size_t nnew, void (*each)(void *arg, const lv_change *c),
                      void *arg);

/* ---- live queries (watch.c) ---------------------------------------------------- */

typedef enum { LV_EV_INSERT, LV_EV_UPDATE, LV_EV_DELETE, LV_EV_MOVE, LV_EV_COUNT } lv_event_kind;

/* What a subscriber is told: a row entered the result (at index, for an
 * ordered window), changed (and maybe moved: from, index), or left; or
 * only the number of matching rows changed (LV_EV_COUNT, after the
 * others of the batch). count is that number after the batch. */
typedef struct {
	lv_event_kind kind;
	const json_t *row;       /* insert, update: the row as it is now; delete: as it was */
	int64_t index;           /* insert, update, move: where it is now; -1 unordered */
	int64_t from;            /* move: where it was */
	int64_t count;           /* rows matching in all, after the batch */
} lv_event;

typedef struct lv_watch lv_watch;
typedef struct lv_watcher lv_watcher;

/* Called once per event per subscriber, in order. */
typedef void (*lv_watch_sink)(void *arg, lv_watcher *w, const lv_event *ev);
/* Whether this subscriber may see this row (the binding's row predicate);
 * NULL: every row. */
typedef bool (*lv_watch_allow)(void *arg, const json_t *row);

/* The live queries of one store. */
lv_watch *lv__watch_new(lv_store *s);
void lv__watch_free(lv_watch *w);

/* Subscribes to query q of model m (q is taken: do not free it). The
 * current result goes into *first (a page, as list returns it); from then
 * on each change batch that alters it calls sink. A subscription with a
 * limit is a window: its page is recomputed once per batch that touches
 * it, however many subscribe to the same query. NULL with err filled. */
lv_watcher *lv__watch_add(lv_watch *w, const lv_model_desc *m, lv_query *q,
                          lv_watch_sink sink, lv_watch_allow allow, void *arg,
                          lv_page *first, lv_model_err *err);
void lv__watch_remove(lv_watch *w, lv_watcher *x);
/* Reads the store's changes and tells every subscriber what they do to
 * its result. Returns how many changes were read, or a negative status. */
int lv__watch_poll(lv_watch *w, lv_model_err *err);
/* How many distinct queries are evaluated (equal ones count once). */
size_t lv__watch_queries(const lv_watch *w);

#endif
