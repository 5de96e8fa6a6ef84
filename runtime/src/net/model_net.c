/* model_net.c - models on the wire: the store opened with the server, each
 * lv_model_def described to the model layer, the operations of a binding's
 * endpoints checked and run (lv_model_invoke), the typed lv_model_* for
 * handlers, and a session's live queries, whose change batches reach the
 * page as one reliable {"t":"model"} message each.
 *
 * Invariants:
 * - One lv_model_desc per table is attached to the store (every column
 *   filterable, so that the watch finds a change through any column a
 *   query compares); each binding has a desc of its own, with its filter,
 *   order and largest page, used only to read a page's query. Both list
 *   the same columns in the same order, so a query read with one runs
 *   with the other.
 * - A live query (lv_msub) belongs to its session: it is on c->msubs from
 *   subscribe until unsubscribe, a replacing subscribe or the session's
 *   end (a dropped socket that may resume keeps it).
 * - Events gather on the live query during lv__watch_poll ([ev] non-NULL
 *   only while it is on models->dirty) and go out as one message when the
 *   poll is over: a batch is one message, numbered like any reliable one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "net/net.h"
#include "net/store_wake.h"

#define LIVE_KEY_MAX 128

typedef struct {
	const lv_model_def *def;
	lv_model_desc desc;            /* attached to the store */
	lv_model_col *cols;
} mtable;

typedef struct {
	const lv_model_binding *b;
	mtable *t;
	lv_model_desc desc;            /* the binding's filter, order and page */
	lv_model_col *cols;
} mbinding;

struct lv_msub {
	lv_msub *prev, *next;          /* the session's live queries */
	lv_conn *conn;
	mbinding *mb;
	char *key;                     /* the page's name for it */
	lv_watcher *w;
	json_t *ev;                    /* this batch's events, or NULL */
	int64_t count;
	lv_msub *next_dirty;
};

struct lv_models {
	lv_server *s;
	lv_store *store;
	lv_watch *watch;
	mtable *tables;
	uint32_t ntables;
	mbinding *bindings;
	uint32_t nbindings;
	lv_store_wake *wake;           /* when the store's changes are read */
	bool poll_posted;              /* a poll after a write is on the loop */
	lv_msub *dirty;
	uint64_t nlive;                /* live queries, all sessions */
};

/* ---- the store ------------------------------------------------------------------ */

static lv_col_type
col_type(const lv_type *t)
{
	switch (t->kind) {
	case LV_K_INT: return LV_COL_INT;
	case LV_K_FLOAT: return LV_COL_FLOAT;
	case LV_K_STRING: case LV_K_ENUM: return LV_COL_TEXT;
	case LV_K_BOOL: return LV_COL_BOOL;
	default: return LV_COL_JSON;
	}
}

/* The columns of a def, their flags from its field flags. */
static lv_model_col *
cols_of(const lv_model_def *d)
{
	const lv_type *t = d->type;
	lv_model_col *cols = calloc(t->nfields ? t->nfields : 1, sizeof *cols);
	if (!cols)
		return NULL;
	for (uint32_t i = 0; i < t->nfields; i++) {
		const lv_field *f = &t->fields[i];
		unsigned mf = d->field_flags ? d->field_flags[i] : 0;
		cols[i].name = f->name;
		cols[i].type = col_type(f->type);
		cols[i].default_json = f->default_json;
		cols[i].flags = (mf & LV_MF_KEY ? LV_COL_KEY : 0) | (mf & LV_MF_INDEX ? LV_COL_INDEX : 0) |
		                (mf & LV_MF_VERSION ? LV_COL_VERSION : 0) |
		                (f->has_offset != LV_REQUIRED ? LV_COL_OPTIONAL : 0);
	}
	return cols;
}

static mtable *
table_of(lv_models *m, const lv_model_def *d)
{
	for (uint32_t i = 0; i < m->ntables; i++)
		if (m->tables[i].def == d)
			return &m->tables[i];
	return NULL;
}

static mbinding *
binding_of(lv_models *m, const lv_model_binding *b)
{
	for (uint32_t i = 0; i < m->nbindings; i++)
		if (m->bindings[i].b == b)
			return &m->bindings[i];
	return NULL;
}

static void poll_now(void *arg);

int
lv__models_open(lv_server *s)
{
	const lv_app *app = s->app;
	if (!app->nmodels)
		return 0;
	lv_models *m = calloc(1, sizeof *m);
	if (!m)
		return LV_ENOMEM;
	s->models = m;
	m->s = s;
	m->tables = calloc(app->nmodels, sizeof *m->tables);
	m->bindings = calloc(app->nmodel_bindings + 1, sizeof *m->bindings);
	if (!m->tables || !m->bindings)
		return LV_ENOMEM;
	char dflt[256];
	const char *where = s->opt.store;
	if (!where) {
		snprintf(dflt, sizeof dflt, "%s.db", app->base ? app->base : app->name);
		where = dflt;
	}
	lv_model_err err = { "" };
	/* A PostgreSQL URI or a SQLite path: the prefix picks the backend. */
	m->store = lv__store_open(where, &err);
	if (!m->store) {
		/* A URI may hold a password: only its scheme goes to the log. */
		const char *uri = strstr(where, "://");
		LV_LOG(s, LV_LOG_ERROR, "models: cannot open the store %.*s%s: %s",
		       uri ? (int)(uri - where) : (int)strlen(where), where, uri ? "://..." : "", err.why);
		return LV_EUNAVAILABLE;
	}
	m->watch = lv__watch_new(m->store);
	if (!m->watch)
		return LV_ENOMEM;
	for (uint32_t i = 0; i < app->nmodels; i++) {
		const lv_model_def *d = &app->models[i];
		mtable *t = &m->tables[m->ntables++];
		t->def = d;
		if (!d->type || d->type->kind != LV_K_STRUCT || d->key >= d->type->nfields ||
		    d->version >= d->type->nfields) {
			LV_LOG(s, LV_LOG_ERROR, "models: %s (table %s): its type is not a struct with "
			       "its key and version among the fields", d->name, d->table);
			return LV_EINVALID_ARGUMENT;
		}
		if (!(t->cols = cols_of(d)))
			return LV_ENOMEM;
		for (uint32_t c = 0; c < d->type->nfields; c++)
			if (t->cols[c].type != LV_COL_JSON)
				t->cols[c].flags |= LV_COL_FILTER | LV_COL_ORDER;
			else
				t->cols[c].flags |= LV_COL_FILTER;
		t->desc = (lv_model_desc){ d->name, d->table, t->cols, d->type->nfields, d->key,
		                           d->version, 0 };
		int rc = m->store->ops->attach(m->store, &t->desc, &err);
		if (rc) {
			LV_LOG(s, LV_LOG_ERROR, "models: table %s (model %s): %s", d->table, d->name, err.why);
			return rc;
		}
	}
	for (uint32_t i = 0; i < app->nmodel_bindings; i++) {
		const lv_model_binding *b = &app->model_bindings[i];
		mbinding *mb = &m->bindings[m->nbindings++];
		mb->b = b;
		mb->t = table_of(m, b->model);
		if (!mb->t) {
			LV_LOG(s, LV_LOG_ERROR, "models: binding %s: its model is not one of the app's", b->name);
			return LV_EINVALID_ARGUMENT;
		}
		if (!(mb->cols = cols_of(b->model)))
			return LV_ENOMEM;
		uint32_t n = b->model->type->nfields;
		for (uint32_t k = 0; k < b->nfilter; k++)
			if (b->filter[k] < n)
				mb->cols[b->filter[k]].flags |= LV_COL_FILTER;
		for (uint32_t k = 0; k < b->norder; k++)
			if (b->order[k] < n)
				mb->cols[b->order[k]].flags |= LV_COL_ORDER;
		mb->desc = mb->t->desc;
		mb->desc.cols = mb->cols;
		mb->desc.max_limit = b->max_limit;
	}
	/* Other processes' writes are found by polling, and, on a store that
	 * can wake the loop itself (PostgreSQL's LISTEN socket), as soon as it
	 * does: the timer then backs the wake-up up (and stands in for it
	 * while its connection is being made again). */
	uint32_t ms = s->opt.store_poll_ms ? s->opt.store_poll_ms : 100;
	return lv__store_wake_new(s, m->store, ms, poll_now, m, &m->wake);
}

static void msub_free(lv_models *m, lv_msub *x);

void
lv__models_conn_ended(lv_conn *c)
{
	lv_models *m = c->server->models;
	while (c->msubs)
		msub_free(m, c->msubs);
}

uint64_t
lv__models_live(lv_server *s, bool distinct)
{
	lv_models *m = s->models;
	if (!m)
		return 0;
	return distinct ? lv__watch_queries(m->watch) : m->nlive;
}

lv_store *
lv__models_store(lv_server *s)
{
	return s->models ? s->models->store : NULL;
}

void
lv__models_off(lv_server *s)
{
	lv_models *m = s->models;
	if (!m)
		return;
	lv__store_wake_off(m->wake);
}

void
lv__models_free(lv_server *s)
{
	lv_models *m = s->models;
	if (!m)
		return;
	lv__store_wake_free(m->wake);
	/* Sessions are over by now, their live queries with them. */
	lv__watch_free(m->watch);
	if (m->store)
		m->store->ops->close(m->store);
	for (uint32_t i = 0; i < m->ntables; i++)
		free(m->tables[i].cols);
	for (uint32_t i = 0; i < m->nbindings; i++)
		free(m->bindings[i].cols);
	free(m->tables);
	free(m->bindings);
	free(m);
	s->models = NULL;
}

/* ---- polling and delivery ------------------------------------------------------------ */

static const char *const ev_names[] = {
	[LV_EV_INSERT] = "insert", [LV_EV_UPDATE] = "update", [LV_EV_DELETE] = "delete",
	[LV_EV_MOVE] = "move", [LV_EV_COUNT] = "count",
};

static void
sink(void *arg, lv_watcher *w, const lv_event *ev)
{
	(void)w;
	lv_msub *x = arg;
	lv_models *m = x->conn->server->models;
	if (!x->ev) {
		if (!(x->ev = json_array()))
			return;
		x->next_dirty = m->dirty;
		m->dirty = x;
	}
	x->count = ev->count;
	if (ev->kind == LV_EV_COUNT)
		return;   /* the message's count says it */
	json_t *e = json_pack("{s:s}", "k", ev_names[ev->kind]);
	if (!e)
		return;
	if (ev->row)
		json_object_set(e, "row", (json_t *)ev->row);
	if (ev->index >= 0)
		json_object_set_new(e, "i", json_integer(ev->index));
	if (ev->kind == LV_EV_MOVE)
		json_object_set_new(e, "from", json_integer(ev->from));
	json_array_append_new(x->ev, e);
}

/* Sends each live query's batch as one message. */
static void
send_dirty(lv_models *m)
{
	while (m->dirty) {
		lv_msub *x = m->dirty;
		m->dirty = x->next_dirty;
		x->next_dirty = NULL;
		json_t *msg = json_pack("{s:s, s:s, s:s, s:O, s:I}", "t", "model", "name", x->mb->b->name,
		                        "key", x->key, "ev", x->ev, "count", (json_int_t)x->count);
		json_decref(x->ev);
		x->ev = NULL;
		if (msg && !x->conn->ended)
			lv__conn_send_json(x->conn, msg, false);
		json_decref(msg);
	}
}

/* Reads the store's changes and sends what they do to each live query. */
static void
poll_now(void *arg)
{
	lv_models *m = arg;
	lv_model_err err = { "" };
	int n = lv__watch_poll(m->watch, &err);
	if (n < 0)
		LV_LOG(m->s, LV_LOG_WARN, "models: reading the store's changes: %s", err.why);
	send_dirty(m);
}

static void
poll_posted(lv_server *s, void *arg)
{
	(void)arg;
	lv_models *m = s->models;
	if (!m)
		return;
	m->poll_posted = false;
	lv__store_wake_read(m->wake);
}

/* A write went through lv: its changes are read once the loop is free,
 * so that a handler's several writes make one batch. */
static void
wrote(lv_models *m)
{
	if (m->poll_posted)
		return;
	if (lv_server_post(m->s, poll_posted, NULL) == 0)
		m->poll_posted = true;
}

/* ---- the row policy ------------------------------------------------------------------- */

/* row decoded into the model's struct in arena a, or NULL with e filled
 * (LV_EINVALID_ARGUMENT: it is no value of that type). lv__row_check
 * checks each column as the database keeps it; the members of an enum,
 * and what a JSON column holds, are the type's to say. A row being made
 * has no version yet, nor an integer key: 0 and 1 stand there. */
static void *
row_value(const mbinding *mb, const json_t *row, lv_arena *a, lv_error *e)
{
	const lv_model_desc *d = &mb->t->desc;
	json_t *full = json_copy((json_t *)row);
	if (full && !json_object_get(full, d->cols[d->key].name))
		json_object_set_new(full, d->cols[d->key].name, json_integer(0));
	if (full && !json_object_get(full, d->cols[d->version].name))
		json_object_set_new(full, d->cols[d->version].name, json_integer(1));
	char *text = full ? json_dumps(full, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
	json_decref(full);
	const lv_type *t = mb->b->model->type;
	void *v = text ? lv_arena_alloc(a, t->size ? t->size : 1) : NULL;
	if (!v) {
		free(text);
		*e = (lv_error){ .code = LV_ENOMEM, .message = "out of memory" };
		return NULL;
	}
	int rc = lv_decode(t, text, strlen(text), v, a, NULL, e);
	free(text);
	return rc ? NULL : v;
}

/* Does the binding's allow say yes to row for conn? The row is decoded
 * into the model's struct for it. */
static bool
allowed(const mbinding *mb, lv_conn *conn, lv_model_op op, const json_t *row)
{
	if (!mb->b->allow)
		return true;
	lv_arena a;
	lv_arena_init(&a);
	lv_error e;
	void *v = row_value(mb, row, &a, &e);
	bool ok = v && mb->b->allow(conn, op, v);
	lv_arena_free(&a);
	return ok;
}

static bool
watch_allow(void *arg, const json_t *row)
{
	lv_msub *x = arg;
	return allowed(x->mb, x->conn, LV_MODEL_SUBSCRIBE, row);
}

/* ---- the operations -------------------------------------------------------------------- */

typedef struct { lv_json id; } args_retrieve;
typedef struct {
	lv_json where;
	bool has_where;
	lv_str_list order;
	bool has_order;
	int64_t page;
	bool has_page;
	int64_t limit;
	bool has_limit;
} args_query;
typedef struct { lv_json row; } args_row;
typedef struct { lv_json id; int64_t version; } args_delete;
typedef struct {
	lv_str key;
	args_query q;
} args_subscribe;
typedef struct { lv_str key; } args_key;

static const lv_type str_list_type = {
	.kind = LV_K_LIST, .name = "list<string>", .size = sizeof(lv_str_list), .elem = &lv_str_type,
};

#define FIELD(S, n, t, has) { .name = #n, .type = &(t), .offset = offsetof(S, n), .has_offset = (has) }
#define OPT(S, n) (int32_t)offsetof(S, has_##n)
#define QFIELD(S, n, t, base) { .name = #n, .type = &(t), .offset = base + offsetof(args_query, n), \
                                .has_offset = (int32_t)(base + offsetof(args_query, has_##n)) }
#define QUERY_FIELDS(S, base) \
	QFIELD(S, where, lv_json_type, base), QFIELD(S, order, str_list_type, base), \
	QFIELD(S, page, lv_int_type, base), QFIELD(S, limit, lv_int_type, base)

static const lv_field fields_retrieve[] = { FIELD(args_retrieve, id, lv_json_type, LV_REQUIRED) };
static const lv_field fields_list[] = { QUERY_FIELDS(args_query, 0) };
static const lv_field fields_row[] = { FIELD(args_row, row, lv_json_type, LV_REQUIRED) };
static const lv_field fields_delete[] = {
	FIELD(args_delete, id, lv_json_type, LV_REQUIRED),
	FIELD(args_delete, version, lv_int_type, LV_REQUIRED),
};
static const lv_field fields_subscribe[] = {
	FIELD(args_subscribe, key, lv_str_type, LV_REQUIRED),
	QUERY_FIELDS(args_subscribe, offsetof(args_subscribe, q)),
};
static const lv_field fields_key[] = { FIELD(args_key, key, lv_str_type, LV_REQUIRED) };

#define ARGS(n, S, f) { .kind = LV_K_STRUCT, .name = n, .size = sizeof(S), .fields = f, \
                        .nfields = sizeof f / sizeof *f }
const lv_type lv_model_args_type[LV_MODEL_NOPS] = {
	[LV_MODEL_RETRIEVE] = ARGS("retrieve", args_retrieve, fields_retrieve),
	[LV_MODEL_LIST] = ARGS("list", args_query, fields_list),
	[LV_MODEL_CREATE] = ARGS("create", args_row, fields_row),
	[LV_MODEL_UPDATE] = ARGS("update", args_row, fields_row),
	[LV_MODEL_DELETE] = ARGS("delete", args_delete, fields_delete),
	[LV_MODEL_SUBSCRIBE] = ARGS("subscribe", args_subscribe, fields_subscribe),
	[LV_MODEL_UNSUBSCRIBE] = ARGS("unsubscribe", args_key, fields_key),
};

/* JSON text a page sent (checked by the decoder), as a value; NULL for
 * null or absent. What the decoder takes and jansson does not read (a
 * string holding NUL, a number beyond its range) is NULL too, and sets
 * *bad: a where read as none would answer with every row. */
static json_t *
value_of(lv_json j, bool *bad)
{
	if (!j.ptr)
		return NULL;
	json_t *v = json_loadb(j.ptr, j.len, JSON_DECODE_ANY, NULL);
	if (!v)
		*bad = true;
	if (json_is_null(v)) {
		json_decref(v);
		return NULL;
	}
	return v;
}

#define UNREADABLE "a string holding NUL, or a number out of range, is not taken"

/* The query of a list or subscribe as lv__query_parse reads it (*bad:
 * see value_of). */
static json_t *
query_of(const args_query *a, bool *bad)
{
	json_t *q = json_object();
	if (!q)
		return NULL;
	json_t *where = a->has_where ? value_of(a->where, bad) : NULL;
	if (where)
		json_object_set_new(q, "where", where);
	if (a->has_order) {
		json_t *o = json_array();
		for (size_t i = 0; i < a->order.n; i++)
			json_array_append_new(o, json_stringn(a->order.items[i].ptr, a->order.items[i].len));
		json_object_set_new(q, "order", o);
	}
	if (a->has_page)
		json_object_set_new(q, "page", json_integer(a->page));
	if (a->has_limit)
		json_object_set_new(q, "limit", json_integer(a->limit));
	return q;
}

/* Sets *result (an lv_json) to v's text in the call's memory; takes v. */
static int
answer(lv_call *call, void *result, json_t *v)
{
	char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17)) :
	             strdup("null");
	json_decref(v);
	if (!text)
		return LV_ENOMEM;
	size_t n = strlen(text);
	char *copy = lv_call_alloc(call, n + 1);
	if (copy)
		memcpy(copy, text, n + 1);
	free(text);
	if (!copy)
		return LV_ENOMEM;
	*(lv_json *)result = (lv_json){ copy, n };
	return 0;
}

static json_t *
page_json(const lv_query *q, json_t *rows, int64_t count)
{
	return json_pack("{s:I, s:I, s:I, s:o}", "page", (json_int_t)q->page,
	                 "limit", (json_int_t)q->limit, "count", (json_int_t)count, "rows", rows);
}

/* A page of a query, with the rows the row policy refuses left out and
 * not counted: then every match is read and the page cut from those. */
static int
list_page(lv_models *m, const mbinding *mb, lv_conn *conn, lv_query *q, json_t **out,
          lv_model_err *err)
{
	lv_page p;
	if (!mb->b->allow) {
		int rc = m->store->ops->list(m->store, &mb->t->desc, q, &p, err);
		if (rc)
			return rc;
		*out = page_json(q, p.rows, p.count);
		return *out ? 0 : LV_ENOMEM;
	}
	uint32_t page = q->page, limit = q->limit;
	q->page = 1;
	q->limit = 0;
	int rc = m->store->ops->list(m->store, &mb->t->desc, q, &p, err);
	q->page = page;
	q->limit = limit;
	if (rc)
		return rc;
	json_t *seen = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(p.rows, i, r)
		if (allowed(mb, conn, LV_MODEL_LIST, r))
			json_array_append(seen, r);
	json_decref(p.rows);
	int64_t count = (int64_t)json_array_size(seen);
	json_t *rows = json_array();
	size_t from = limit ? (size_t)(page - 1) * limit : 0;
	for (size_t k = from; k < json_array_size(seen) && (!limit || k < from + limit); k++)
		json_array_append(rows, json_array_get(seen, k));
	json_decref(seen);
	*out = page_json(q, rows, count);
	return *out ? 0 : LV_ENOMEM;
}

static lv_msub *
msub_find(lv_conn *c, const char *key, size_t n)
{
	for (lv_msub *x = c->msubs; x; x = x->next)
		if (strlen(x->key) == n && memcmp(x->key, key, n) == 0)
			return x;
	return NULL;
}

static void
msub_free(lv_models *m, lv_msub *x)
{
	if (x->ev) {
		for (lv_msub **p = &m->dirty; *p; p = &(*p)->next_dirty)
			if (*p == x) {
				*p = x->next_dirty;
				break;
			}
		json_decref(x->ev);
	}
	lv__watch_remove(m->watch, x->w);
	LV_UNLINK(&x->conn->msubs, x, prev, next);
	x->conn->nmsubs--;
	m->nlive--;
	free(x->key);
	free(x);
}

static int
op_subscribe(lv_call *call, lv_models *m, mbinding *mb, const args_subscribe *a, void *result)
{
	lv_conn *c = call->conn;
	if (!c)
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "a live query needs a WebSocket session");
	if (a->key.len == 0 || a->key.len > LIVE_KEY_MAX)
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "key: from 1 to %d bytes", LIVE_KEY_MAX);
	lv_msub *old = msub_find(c, a->key.ptr, a->key.len);
	if (!old && c->nmsubs >= LV_MODEL_MAX_LIVE)
		return lv_call_fail(call, LV_ERESOURCE_EXHAUSTED, "a page holds at most %d live queries",
		                    LV_MODEL_MAX_LIVE);
	lv_model_err err = { "" };
	bool bad = false;
	json_t *jq = query_of(&a->q, &bad);
	lv_query q;
	int rc = bad ? lv__model_fail(&err, LV_EINVALID_ARGUMENT, "where: " UNREADABLE) :
	         jq ? lv__query_parse(&mb->desc, jq, &q, &err) : LV_ENOMEM;
	json_decref(jq);
	if (rc)
		return lv_call_fail(call, rc, "%s", err.why);
	if (old)
		msub_free(m, old);
	lv_msub *x = calloc(1, sizeof *x);
	char *key = x ? strndup(a->key.ptr, a->key.len) : NULL;
	if (!key) {
		free(x);
		lv__query_free(&q);
		return LV_ENOMEM;
	}
	x->conn = c;
	x->mb = mb;
	x->key = key;
	uint32_t page = q.page, limit = q.limit;
	lv_page first;
	x->w = lv__watch_add(m->watch, &mb->t->desc, &q, sink, mb->b->allow ? watch_allow : NULL, x,
	                     &first, &err);
	if (!x->w) {
		free(key);
		free(x);
		return lv_call_fail(call, LV_EUNAVAILABLE, "%s", err.why);
	}
	x->next = c->msubs;
	if (c->msubs)
		c->msubs->prev = x;
	c->msubs = x;
	c->nmsubs++;
	m->nlive++;
	lv_query shape = { .page = page, .limit = limit };
	return answer(call, result, page_json(&shape, first.rows, first.count));
}

int
lv_model_invoke(lv_call *call, const lv_model_binding *b, lv_model_op op, const void *args,
                void *result)
{
	lv_server *s = call->server;
	lv_models *m = s->models;
	mbinding *mb = m ? binding_of(m, b) : NULL;
	if (!mb)
		return lv_call_fail(call, LV_EINTERNAL, "%s is not a model binding of this server",
		                    b ? b->name : "(null)");
	unsigned need = (unsigned)op >= LV_MODEL_NOPS ? 0 :
	                op == LV_MODEL_UNSUBSCRIBE ? 1u << LV_MODEL_SUBSCRIBE : 1u << op;
	if (!(b->ops & need))
		return lv_call_fail(call, LV_ENOT_FOUND, "%s does not offer this operation", b->name);
	const lv_model_desc *d = &mb->t->desc;
	lv_conn *conn = call->conn;
	lv_model_err err = { "" };
	int rc = 0;
	json_t *out = NULL;
	bool bad = false;
	switch (op) {
	case LV_MODEL_RETRIEVE: {
		json_t *id = value_of(((const args_retrieve *)args)->id, &bad);
		if (bad)
			return lv_call_fail(call, LV_EINVALID_ARGUMENT, "id: " UNREADABLE);
		if (!lv__key_check(d, id, &err)) {
			json_decref(id);
			return lv_call_fail(call, LV_EINVALID_ARGUMENT, "id: %s", err.why);
		}
		rc = lv__store_get(m->store, d, id, &out, &err);
		json_decref(id);
		if (rc == 0 && !allowed(mb, conn, op, out)) {
			json_decref(out);
			return lv_call_fail(call, LV_ENOT_FOUND, "no such %s", d->name);
		}
		break;
	}
	case LV_MODEL_LIST: {
		json_t *jq = query_of(args, &bad);
		lv_query q;
		rc = bad ? lv__model_fail(&err, LV_EINVALID_ARGUMENT, "where: " UNREADABLE) :
		     jq ? lv__query_parse(&mb->desc, jq, &q, &err) : LV_ENOMEM;
		json_decref(jq);
		if (rc)
			return lv_call_fail(call, rc, "%s", err.why);
		rc = list_page(m, mb, conn, &q, &out, &err);
		lv__query_free(&q);
		break;
	}
	case LV_MODEL_CREATE: case LV_MODEL_UPDATE: {
		bool create = op == LV_MODEL_CREATE;
		json_t *in = value_of(((const args_row *)args)->row, &bad);
		if (bad)
			return lv_call_fail(call, LV_EINVALID_ARGUMENT, "row: " UNREADABLE);
		if (create && in && json_object_get(in, d->cols[d->version].name)) {
			json_decref(in);
			return lv_call_fail(call, LV_EINVALID_ARGUMENT, "row: a new %s has no %s (it is 1)",
			                    d->name, d->cols[d->version].name);
		}
		bool need_key = !create || d->cols[d->key].type != LV_COL_INT;
		json_t *row = lv__row_check(d, in, need_key, !create, &err);
		json_decref(in);
		if (!row)
			return lv_call_fail(call, LV_EINVALID_ARGUMENT, "row: %s", err.why);
		/* A store reads a negative version as none given: the write
		 * would not be checked against the stored one. */
		if (!create && lv__row_version(d, row) < 0) {
			json_decref(row);
			return lv_call_fail(call, LV_EINVALID_ARGUMENT, "row: %s.%s must be 0 or more",
			                    d->name, d->cols[d->version].name);
		}
		lv_arena a;
		lv_arena_init(&a);
		lv_error e;
		bool typed = row_value(mb, row, &a, &e) != NULL;
		lv_arena_free(&a);
		if (!typed) {
			json_decref(row);
			return lv_call_fail(call, e.code == LV_ENOMEM ? LV_ENOMEM : LV_EINVALID_ARGUMENT,
			                    "row: %s%s%s: %s", d->name, e.path[0] ? "." : "", e.path,
			                    e.message);
		}
		if (!create) {
			json_t *cur = NULL;
			rc = lv__store_get(m->store, d, lv__row_key(d, row), &cur, &err);
			if (rc == 0 && !allowed(mb, conn, op, cur))
				rc = lv__model_fail(&err, LV_ENOT_FOUND, "no such %s", d->name);
			json_decref(cur);
		}
		if (rc == 0 && !allowed(mb, conn, op, row))
			rc = lv__model_fail(&err, LV_EPERMISSION_DENIED, "this %s may not be written so",
			                    d->name);
		if (rc == 0)
			rc = create ? lv__store_create(m->store, d, row, &out, &err) :
			     lv__store_update(m->store, d, row, &out, &err);
		json_decref(row);
		if (rc == 0)
			wrote(m);
		break;
	}
	case LV_MODEL_DELETE: {
		const args_delete *a = args;
		if (a->version < 0)
			return lv_call_fail(call, LV_EINVALID_ARGUMENT, "version must be 0 or more");
		json_t *id = value_of(a->id, &bad);
		if (bad)
			return lv_call_fail(call, LV_EINVALID_ARGUMENT, "id: " UNREADABLE);
		if (!lv__key_check(d, id, &err)) {
			json_decref(id);
			return lv_call_fail(call, LV_EINVALID_ARGUMENT, "id: %s", err.why);
		}
		if (b->allow) {
			json_t *cur = NULL;
			rc = lv__store_get(m->store, d, id, &cur, &err);
			if (rc == 0 && !allowed(mb, conn, op, cur))
				rc = lv__model_fail(&err, LV_ENOT_FOUND, "no such %s", d->name);
			json_decref(cur);
		}
		if (rc == 0)
			rc = lv__store_remove(m->store, d, id, a->version, &err);
		json_decref(id);
		if (rc == 0)
			wrote(m);
		break;
	}
	case LV_MODEL_SUBSCRIBE:
		return op_subscribe(call, m, mb, args, result);
	case LV_MODEL_UNSUBSCRIBE: {
		const args_key *a = args;
		lv_msub *x = conn ? msub_find(conn, a->key.ptr, a->key.len) : NULL;
		if (x)
			msub_free(m, x);
		break;
	}
	}
	if (rc)
		return lv_call_fail(call, rc, "%s", err.why);
	return answer(call, result, out);
}

/* ---- for handlers ---------------------------------------------------------------------- */

/* v (a value of type t) as a JSON value. */
static json_t *
encoded(const lv_type *t, const void *v)
{
	lv_buf b;
	lv_error e;
	lv_buf_init(&b);
	json_t *j = lv_encode(&b, t, v, &e) == 0 && !b.failed ?
	            json_loadb(b.data, b.len, JSON_DECODE_ANY, NULL) : NULL;
	lv_buf_free(&b);
	return j;
}

/* A row back into the model's struct in arena a. */
static int
decoded(const lv_model_def *def, const json_t *row, void *out, lv_arena *a)
{
	char *text = json_dumps(row, JSON_COMPACT | JSON_REAL_PRECISION(17));
	if (!text)
		return LV_ENOMEM;
	lv_error e;
	int rc = lv_decode(def->type, text, strlen(text), out, a, NULL, &e);
	free(text);
	return rc;
}

/* The table of def, when called where the loop allows (its thread, or
 * before it runs). */
static mtable *
table_for(lv_server *s, const lv_model_def *def)
{
	if (!s || !s->models || !def || (atomic_load(&s->in_loop) && !lv__on_loop(s)))
		return NULL;
	return table_of(s->models, def);
}

static int
handler_fail(lv_server *s, const lv_model_def *def, const char *what, int rc,
             const lv_model_err *err)
{
	if (rc != LV_ENOT_FOUND && rc != LV_EABORTED)
		LV_LOG(s, LV_LOG_INFO, "models: %s of %s: %s", what, def->name, err->why);
	return rc;
}

int
lv_model_get(lv_server *s, const lv_model_def *def, const void *key, void *out, lv_arena *a)
{
	mtable *t = table_for(s, def);
	if (!t || !key || !out || !a)
		return LV_EINVALID_ARGUMENT;
	json_t *id = encoded(def->type->fields[def->key].type, key);
	lv_model_err err = { "" };
	json_t *row = NULL;
	int rc = id ? lv__store_get(s->models->store, &t->desc, id, &row, &err) :
	         LV_EINVALID_ARGUMENT;
	json_decref(id);
	if (rc)
		return handler_fail(s, def, "get", rc, &err);
	rc = decoded(def, row, out, a);
	json_decref(row);
	return rc;
}

int
lv_model_list(lv_server *s, const lv_model_def *def, const char *query_json, lv_json *out,
              lv_arena *a)
{
	mtable *t = table_for(s, def);
	if (!t || !out || !a)
		return LV_EINVALID_ARGUMENT;
	json_t *jq = query_json ? json_loads(query_json, 0, NULL) : NULL;
	if (query_json && !jq)
		return LV_EINVALID_ARGUMENT;
	lv_model_err err = { "" };
	lv_query q;
	int rc = lv__query_parse(&t->desc, jq, &q, &err);
	json_decref(jq);
	if (rc)
		return handler_fail(s, def, "list", rc, &err);
	lv_page p;
	rc = s->models->store->ops->list(s->models->store, &t->desc, &q, &p, &err);
	json_t *page = rc == 0 ? page_json(&q, p.rows, p.count) : NULL;
	lv__query_free(&q);
	if (rc)
		return handler_fail(s, def, "list", rc, &err);
	char *text = page ? json_dumps(page, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
	json_decref(page);
	if (!text)
		return LV_ENOMEM;
	lv_str copy = lv_arena_strdup(a, lv_cstr(text));
	free(text);
	if (!copy.ptr)
		return LV_ENOMEM;
	*out = (lv_json){ copy.ptr, copy.len };
	return 0;
}

static int
handler_write(lv_server *s, const lv_model_def *def, bool create, const void *row, void *out,
              lv_arena *a)
{
	mtable *t = table_for(s, def);
	if (!t || !row || !out || !a)
		return LV_EINVALID_ARGUMENT;
	const lv_model_desc *d = &t->desc;
	json_t *in = encoded(def->type, row);
	if (!in)
		return LV_EINVALID_ARGUMENT;
	if (create) {
		/* The version is the store's; an integer key of 0 is for it to pick. */
		json_object_del(in, d->cols[d->version].name);
		json_t *k = json_object_get(in, d->cols[d->key].name);
		if (json_is_integer(k) && json_integer_value(k) == 0)
			json_object_del(in, d->cols[d->key].name);
	}
	lv_model_err err = { "" };
	json_t *checked = lv__row_check(d, in, !create || d->cols[d->key].type != LV_COL_INT, !create,
	                                &err);
	json_decref(in);
	if (!checked)
		return handler_fail(s, def, create ? "create" : "update", LV_EINVALID_ARGUMENT, &err);
	json_t *stored = NULL;
	lv_store *st = s->models->store;
	int rc = create ? lv__store_create(st, d, checked, &stored, &err) :
	         lv__store_update(st, d, checked, &stored, &err);
	json_decref(checked);
	if (rc)
		return handler_fail(s, def, create ? "create" : "update", rc, &err);
	wrote(s->models);
	rc = decoded(def, stored, out, a);
	json_decref(stored);
	return rc;
}

int
lv_model_create(lv_server *s, const lv_model_def *def, const void *row, void *out, lv_arena *a)
{
	return handler_write(s, def, true, row, out, a);
}

int
lv_model_update(lv_server *s, const lv_model_def *def, const void *row, void *out, lv_arena *a)
{
	return handler_write(s, def, false, row, out, a);
}

int
lv_model_delete(lv_server *s, const lv_model_def *def, const void *key, int64_t version)
{
	mtable *t = table_for(s, def);
	if (!t || !key)
		return LV_EINVALID_ARGUMENT;
	json_t *id = encoded(def->type->fields[def->key].type, key);
	lv_model_err err = { "" };
	int rc = id ? lv__store_remove(s->models->store, &t->desc, id, version, &err) :
	         LV_EINVALID_ARGUMENT;
	json_decref(id);
	if (rc)
		return handler_fail(s, def, "delete", rc, &err);
	wrote(s->models);
	return 0;
}
