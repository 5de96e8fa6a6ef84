/* fuzz_protocol.c - libFuzzer target for the protocol path: frames (the
 * input split at newlines) -> JSON -> validation -> dispatch to the
 * handlers of an app, on a real server whose connection has no socket
 * (what it sends stays in its queue). Each run says hello first, so the
 * frames reach calls, sends, acks and answers; after each frame the work
 * posted to the loop runs, as the loop would run it.
 *
 * FUZZ_APP names the app: codec_app (tests/codegen/codec.lv and its stub
 * handlers, the default) or models_app (tests/fuzz/models.lv and
 * models_handlers.c: model endpoints, their SQL and live queries, on a
 * SQLite database in memory that the server opens). With models, each
 * run ends by emptying the tables through the typed model functions (the
 * keys the database picks start from 1 again), so that the next starts
 * from none, and checks:
 * - every row the frames left in a table is a value of its model's type
 *   (what a page writes is checked before the database sees it);
 * - no live query outlives the session that held it;
 * - each live query, as the page holds it (its first page, then every
 *   {"t":"model"} message's events applied as lv.js applies them), is
 *   after each frame that wrote or subscribed what listing its query
 *   again gives: the same rows in the same order, through the row policy,
 *   and the same count. The frames are read with jansson to know which
 *   call made which live query; when the server's reading of a frame may
 *   differ (one jansson refuses or reads with repeated names, an answer
 *   to a call it did not see) or the send queue overflowed, the rest of
 *   the run is not checked. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "net/net.h"

#ifndef FUZZ_APP
#define FUZZ_APP codec_app
#endif
extern const lv_app FUZZ_APP;

static lv_server *server;

static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_protocol: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

/* Every row of def's table read back as a value of its type, then removed. */
static void
empty_table(const lv_model_def *def)
{
	lv_arena a;
	lv_arena_init(&a);
	lv_json page;
	if (lv_model_list(server, def, NULL, &page, &a) != 0)
		fail("listing a table", def->table);
	json_t *p = json_loadb(page.ptr, page.len, 0, NULL);
	json_t *rows = json_object_get(p, "rows");
	if (!json_is_array(rows))
		fail("a table's page has no rows", page.ptr);
	const lv_field *kf = &def->type->fields[def->key];
	const char *vname = def->type->fields[def->version].name;
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		json_t *k = json_object_get(row, kf->name);
		int64_t ikey = json_integer_value(k);
		lv_str skey = { json_string_value(k), json_string_length(k) };
		const void *key = kf->type->kind == LV_K_INT ? (const void *)&ikey : (const void *)&skey;
		void *v = lv_arena_alloc(&a, def->type->size);
		if (!v || lv_model_get(server, def, key, v, &a) != 0) {
			char *text = json_dumps(row, JSON_COMPACT);
			fprintf(stderr, "fuzz_protocol: %s holds a row that is no %s: %s\n", def->table,
			        def->name, text ? text : "?");
			abort();
		}
		if (lv_model_delete(server, def, key, json_integer_value(json_object_get(row, vname))))
			fail("removing a row of", def->table);
	}
	json_decref(p);
	lv_arena_free(&a);
}

/* ---- live queries as the page holds them ------------------------------------ */

typedef struct {
	char *key;
	const lv_model_binding *b;
	char *query;                   /* {where, order, page, limit} to list it with */
	json_t *rows;
	json_int_t count;
} view;

static view views[LV_MODEL_MAX_LIVE];
static size_t nviews;
static json_t *calls;              /* id text -> the call frame, until answered */
static uint64_t seen_seq;          /* the last numbered message read */
static bool checking;              /* the page's side is known */
static bool changed;               /* a frame wrote: check every live query */
static bool fresh[LV_MODEL_MAX_LIVE]; /* subscribed by the frame: check it */

static const lv_model_binding *
binding_named(const char *fn, size_t n)
{
	for (uint32_t i = 0; i < FUZZ_APP.nmodel_bindings; i++) {
		const lv_model_binding *b = &FUZZ_APP.model_bindings[i];
		if (strlen(b->name) == n && memcmp(b->name, fn, n) == 0)
			return b;
	}
	return NULL;
}

static view *
view_of(const char *key)
{
	for (size_t i = 0; i < nviews; i++)
		if (strcmp(views[i].key, key) == 0)
			return &views[i];
	return NULL;
}

static void
view_drop(view *v)
{
	free(v->key);
	free(v->query);
	json_decref(v->rows);
	*v = views[--nviews];
	fresh[v - views] = fresh[nviews];
	fresh[nviews] = false;
}

static void
views_clear(void)
{
	while (nviews)
		view_drop(&views[0]);
	json_decref(calls);
	calls = NULL;
}

static char *
id_text(const json_t *id)
{
	return json_is_integer(id) ? json_dumps(id, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
}

/* A frame the page sends: its calls are remembered by id. */
static void
page_sent(const char *frame, size_t len)
{
	if (!checking)
		return;
	json_t *f = json_loadb(frame, len, JSON_REJECT_DUPLICATES, NULL);
	const char *t = json_string_value(json_object_get(f, "t"));
	if (!f || !json_is_object(f)) {
		/* Not JSON to jansson: the server may read it otherwise. */
		if (len && memchr(frame, '{', len))
			checking = false;
	} else if (t && strcmp(t, "call") == 0) {
		char *id = id_text(json_object_get(f, "id"));
		if (id)
			json_object_set(calls, id, f);
		free(id);
	}
	json_decref(f);
}

static void
fail_json(const char *what, const json_t *v)
{
	char *text = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	fail(what, text ? text : "?");
}

static bool
same_key(const lv_model_binding *b, const json_t *r1, const json_t *r2)
{
	const char *k = b->model->type->fields[b->model->key].name;
	return json_equal(json_object_get(r1, k), json_object_get(r2, k));
}

/* The events of a {"t":"model"} message applied to the page's rows. */
static void
apply(view *v, const json_t *msg)
{
	json_t *ev = json_object_get(msg, "ev");
	if (!json_is_array(ev) || !json_is_integer(json_object_get(msg, "count")))
		fail_json("a model message without ev or count", msg);
	size_t j;
	json_t *e;
	json_array_foreach(ev, j, e) {
		const char *k = json_string_value(json_object_get(e, "k"));
		json_t *row = json_object_get(e, "row");
		json_t *ji = json_object_get(e, "i");
		json_int_t i = json_integer_value(ji), n = (json_int_t)json_array_size(v->rows);
		bool ok = k && json_is_object(row) && json_is_integer(ji);
		if (ok && strcmp(k, "insert") == 0) {
			ok = i >= 0 && i <= n && json_array_insert(v->rows, (size_t)i, row) == 0;
		} else if (ok && (strcmp(k, "update") == 0 || strcmp(k, "delete") == 0)) {
			ok = i >= 0 && i < n && same_key(v->b, json_array_get(v->rows, (size_t)i), row);
			if (ok && k[0] == 'u')
				json_array_set(v->rows, (size_t)i, row);
			else if (ok)
				json_array_remove(v->rows, (size_t)i);
		} else if (ok && strcmp(k, "move") == 0) {
			json_t *jf = json_object_get(e, "from");
			json_int_t from = json_integer_value(jf);
			ok = json_is_integer(jf) && from >= 0 && from < n && i >= 0 && i < n &&
			     same_key(v->b, json_array_get(v->rows, (size_t)from), row);
			if (ok) {
				json_array_remove(v->rows, (size_t)from);
				json_array_insert(v->rows, (size_t)i, row);
			}
		} else {
			ok = false;
		}
		if (!ok) {
			fprintf(stderr, "fuzz_protocol: live query %s held ", v->key);
			fail_json("an event that does not apply to it", e);
		}
	}
	v->count = json_integer_value(json_object_get(msg, "count"));
}

/* The answer to a call of B.subscribe or B.unsubscribe. */
static void
answered(const json_t *call, const json_t *ret)
{
	const char *fn = json_string_value(json_object_get(call, "fn"));
	const char *dot = fn ? strrchr(fn, '.') : NULL;
	const lv_model_binding *b = dot ? binding_named(fn, (size_t)(dot - fn)) : NULL;
	if (!b)
		return;
	bool ok = json_is_true(json_object_get(ret, "ok"));
	json_t *args = json_object_get(call, "args");
	const char *key = json_string_value(json_object_get(args, "key"));
	if (strcmp(dot, ".unsubscribe") == 0) {
		view *v = ok && key ? view_of(key) : NULL;
		if (v)
			view_drop(v);
		return;
	}
	if (strcmp(dot, ".subscribe") != 0)
		return;
	if (!ok) {
		/* Refused before the live query of that key was replaced, but
		 * for a store that failed after. */
		const char *code = json_string_value(json_object_get(json_object_get(ret, "error"),
		                                                     "code"));
		if (code && strcmp(code, "unavailable") == 0)
			checking = false;
		return;
	}
	json_t *value = json_object_get(ret, "value");
	json_t *rows = json_object_get(value, "rows");
	if (!key || !json_is_array(rows)) {
		checking = false;
		return;
	}
	view *v = view_of(key);
	if (v)
		view_drop(v);
	if (nviews == LV_MODEL_MAX_LIVE)
		fail("more live queries than a session may hold", key);
	/* The page and limit the server took are in its answer. */
	json_t *q = json_object();
	json_t *where = json_object_get(args, "where"), *order = json_object_get(args, "order");
	if (where && !json_is_null(where))
		json_object_set(q, "where", where);
	if (order && !json_is_null(order))
		json_object_set(q, "order", order);
	json_object_set(q, "page", json_object_get(value, "page"));
	json_object_set(q, "limit", json_object_get(value, "limit"));
	v = &views[nviews++];
	*v = (view){ strdup(key), b, json_dumps(q, JSON_COMPACT | JSON_REAL_PRECISION(17)),
	             json_copy(rows), json_integer_value(json_object_get(value, "count")) };
	json_decref(q);
	fresh[v - views] = true;
}

static const char *const writes[] = { ".create", ".update", ".delete", NULL };

/* What the server queued since the last look. */
static void
page_reads(lv_conn *c)
{
	for (uint32_t i = 0; checking && i < c->qlen; i++) {
		const lv_qent *e = &c->q[(c->qhead + i) % c->qcap];
		if (!e->seq || e->seq <= seen_seq)
			continue;
		seen_seq = e->seq;
		json_t *msg = json_loadb(e->m->data, e->m->len, 0, NULL);
		const char *t = json_string_value(json_object_get(msg, "t"));
		if (!t)
			fail("the server sent what jansson does not read", e->m->data);
		if (strcmp(t, "model") == 0) {
			view *v = view_of(json_string_value(json_object_get(msg, "key")));
			if (v)
				apply(v, msg);
			changed = true;
		} else if (strcmp(t, "ret") == 0) {
			char *id = id_text(json_object_get(msg, "id"));
			json_t *call = id ? json_object_get(calls, id) : NULL;
			if (!call && json_is_true(json_object_get(msg, "ok"))) {
				checking = false;   /* a call jansson did not read so */
			} else if (call) {
				json_incref(call);
				json_object_del(calls, id);
				const char *fn = json_string_value(json_object_get(call, "fn"));
				for (const char *const *w = writes; fn && *w && !changed; w++)
					changed = strstr(fn, *w) != NULL;
				if (fn && strcmp(fn, "finish") == 0)
					changed = true;
				answered(call, msg);
				json_decref(call);
			}
			free(id);
		}
		json_decref(msg);
	}
}

/* Rows of a page the row policy lets the live query's session see. */
static json_t *
policy_rows(const lv_model_binding *b, lv_conn *c, json_t *rows)
{
	json_t *out = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r) {
		bool ok = true;
		if (b->allow) {
			lv_arena a;
			lv_arena_init(&a);
			char *text = json_dumps(r, JSON_COMPACT | JSON_REAL_PRECISION(17));
			void *v = lv_arena_alloc(&a, b->model->type->size);
			lv_error e;
			ok = text && v && lv_decode(b->model->type, text, strlen(text), v, &a, NULL, &e) == 0 &&
			     b->allow(c, LV_MODEL_SUBSCRIBE, v);
			free(text);
			lv_arena_free(&a);
		}
		if (ok)
			json_array_append(out, r);
	}
	return out;
}

/* Each live query the page holds against its query listed again. */
static void
views_check(lv_conn *c)
{
	if (!checking || c->overflowed || c->ended)
		return;
	for (size_t i = 0; i < nviews; i++) {
		view *v = &views[i];
		if (!changed && !fresh[i])
			continue;
		fresh[i] = false;
		lv_arena a;
		lv_arena_init(&a);
		lv_json page;
		if (lv_model_list(server, v->b->model, v->query, &page, &a) != 0) {
			/* The server read the frame otherwise than jansson did. */
			lv_arena_free(&a);
			checking = false;
			return;
		}
		json_t *p = json_loadb(page.ptr, page.len, 0, NULL);
		json_t *want = policy_rows(v->b, c, json_object_get(p, "rows"));
		json_int_t count = json_integer_value(json_object_get(p, "count"));
		if (!json_equal(want, v->rows) || count != v->count) {
			char *have = json_dumps(v->rows, JSON_COMPACT | JSON_REAL_PRECISION(17));
			char *should = json_dumps(want, JSON_COMPACT | JSON_REAL_PRECISION(17));
			fprintf(stderr, "fuzz_protocol: live query %s (%s %s) holds, count %lld:\n  %s\n"
			        "listing it again gives, count %lld:\n  %s\n", v->key, v->b->name, v->query,
			        (long long)v->count, have ? have : "?", (long long)count,
			        should ? should : "?");
			abort();
		}
		json_decref(want);
		json_decref(p);
		lv_arena_free(&a);
	}
	changed = false;
}

static void
empty_tables(void)
{
	for (uint32_t i = 0; i < FUZZ_APP.nmodels; i++)
		empty_table(&FUZZ_APP.models[i]);
	lv__inbox_drain(server);
	/* Keys the database picks start from 1 again, as in a new database
	 * (an AUTOINCREMENT key remembers the largest it gave). */
	lv_store *st = lv__models_store(server);
	lv_model_err err;
	if (st && strcmp(st->ops->name, "sqlite") == 0 &&
	    st->ops->exec(st, "DELETE FROM sqlite_sequence WHERE name <> 'lv_change'", &err) != 0)
		fail("resetting the keys", err.why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!server) {
		lv_options o;
		memset(&o, 0, sizeof o);
		o.port = -1;
		o.log_level = LV_LOG_ERROR;
		o.max_queue = 64;
		o.store = ":memory:";
		if (lv_server_new(&server, &FUZZ_APP, &o) != 0)
			abort();
		/* This thread is the loop: what handlers post runs at once. */
		atomic_store(&server->in_loop, true);
		server->loop = pthread_self();
	}
	lv_conn *c = lv__conn_new(server, NULL);
	if (!c)
		return 0;
	char hello[160];
	int n = snprintf(hello, sizeof hello, "{\"t\":\"hello\",\"app\":\"%s\",\"schema\":\"%s\"}",
	                 FUZZ_APP.name, FUZZ_APP.schema_hash);
	lv__dispatch(c, hello, (size_t)n);
	checking = FUZZ_APP.nmodels > 0;
	calls = json_object();
	seen_seq = 0;
	changed = false;
	const char *p = (const char *)data, *end = p + size;
	while (p < end && !c->ended) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		page_sent(p, len);
		lv__dispatch(c, p, len);
		lv__inbox_drain(server);
		page_reads(c);
		views_check(c);
		p += len + (nl != NULL);
	}
	views_clear();
	if (!c->ended)
		lv__conn_end(c);
	lv__inbox_drain(server);
	if (lv__models_live(server, false) || lv__models_live(server, true))
		fail("a live query outlived its session", NULL);
	empty_tables();
	return 0;
}
