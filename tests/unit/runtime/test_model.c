/* test_model.c - the model layer on both stores, a real SQLite file and a
 * real PostgreSQL server: tables made and checked, rows created, read,
 * updated and deleted with versions, changes captured after commit (this
 * connection's, another connection's, bulk writes, never a rollback;
 * PostgreSQL: concurrent writers in commit order, a reader that fell
 * behind the pruning), and live queries: their events, windows, equal
 * queries evaluated once, and row predicates. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/model.h"
#include "backends.h"

static const lv_model_col todo_cols[] = {
	{ "id", LV_COL_INT, LV_COL_KEY },
	{ "owner", LV_COL_TEXT, LV_COL_INDEX | LV_COL_FILTER },
	{ "title", LV_COL_TEXT, LV_COL_FILTER | LV_COL_ORDER },
	{ "done", LV_COL_BOOL, LV_COL_INDEX | LV_COL_FILTER },
	{ "score", LV_COL_FLOAT, LV_COL_OPTIONAL | LV_COL_FILTER | LV_COL_ORDER },
	{ "tags", LV_COL_JSON, LV_COL_OPTIONAL },
	{ "rev", LV_COL_INT, LV_COL_VERSION },
};
static const lv_model_desc todo = { "Todo", "todos", todo_cols, 7, 0, 6, 50 };

static json_t *
J(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
	cr_assert(j, "bad test JSON %s: %s", text, e.text);
	return j;
}

static lv_store *
open_store(void)
{
	lv_model_err err = { 0 };
	lv_store *s = B->open(&err);
	cr_assert(s, "open: %s", err.why);
	cr_assert_str_eq(s->ops->name, B->name, "lv__store_open picked the store");
	cr_assert_eq(s->ops->attach(s, &todo, &err), 0, "attach: %s", err.why);
	return s;
}

static json_t *
create(lv_store *s, const char *row)
{
	lv_model_err err = { 0 };
	json_t *in = J(row);
	json_t *checked = lv__row_check(&todo, in, false, false, &err);
	cr_assert(checked, "check %s: %s", row, err.why);
	json_t *out = NULL;
	cr_assert_eq(lv__store_create(s, &todo, checked, &out, &err), 0, "create: %s", err.why);
	json_decref(in);
	json_decref(checked);
	return out;
}

static bool
same(const json_t *a, const char *text)
{
	json_t *b = J(text);
	bool eq = json_equal((json_t *)a, b);
	if (!eq) {
		char *s = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		fprintf(stderr, "got  %s\nwant %s\n", s, text);
		free(s);
	}
	json_decref(b);
	return eq;
}

BOTH(model, rows_and_versions)
{
	lv_store *s = open_store();
	lv_model_err err = { 0 };
	json_t *a = create(s, "{\"owner\":\"ann\",\"title\":\"milk\",\"done\":false,\"score\":2}");
	cr_assert(same(a, "{\"id\":1,\"owner\":\"ann\",\"title\":\"milk\",\"done\":false,"
	                  "\"score\":2.0,\"tags\":null,\"rev\":1}"));
	json_t *b = create(s, "{\"id\":10,\"owner\":\"bob\",\"title\":\"eggs\",\"done\":true,"
	                      "\"tags\":[\"x\",{\"y\":1}]}");
	cr_assert(same(b, "{\"id\":10,\"owner\":\"bob\",\"title\":\"eggs\",\"done\":true,"
	                  "\"score\":null,\"tags\":[\"x\",{\"y\":1}],\"rev\":1}"));

	json_t *got = NULL;
	json_t *key = json_integer(10);
	cr_assert_eq(lv__store_get(s, &todo, key, &got, &err), 0, "%s", err.why);
	cr_assert(json_equal(got, b));
	json_decref(got);

	/* An update with the version read: stored at version 2. */
	json_object_set_new(b, "title", json_string("eggs!"));
	json_t *b2 = NULL;
	cr_assert_eq(lv__store_update(s, &todo, b, &b2, &err), 0, "%s", err.why);
	cr_assert_eq(lv__row_version(&todo, b2), 2);
	/* The same version again is stale. */
	json_t *b3 = NULL;
	cr_assert_eq(lv__store_update(s, &todo, b, &b3, &err), LV_EABORTED);
	cr_assert(strstr(err.why, "changed since it was read"), "%s", err.why);
	cr_assert_eq(lv__store_remove(s, &todo, key, 1, &err), LV_EABORTED);
	cr_assert_eq(lv__store_remove(s, &todo, key, 2, &err), 0, "%s", err.why);
	cr_assert_eq(lv__store_remove(s, &todo, key, 2, &err), LV_ENOT_FOUND);
	cr_assert_eq(lv__store_get(s, &todo, key, &got, &err), LV_ENOT_FOUND);
	cr_assert_eq(lv__store_update(s, &todo, b2, &b3, &err), LV_ENOT_FOUND);

	/* A duplicate key is the caller's mistake, said as such. */
	json_t *dup = lv__row_check(&todo, a, true, false, &err);
	cr_assert_eq(lv__store_create(s, &todo, dup, &b3, &err), LV_EINVALID_ARGUMENT);
	cr_assert(strstr(err.why, "UNIQUE") || strstr(err.why, "unique"), "%s", err.why);
	json_decref(dup);
	json_decref(key);
	json_decref(a);
	json_decref(b);
	json_decref(b2);
	s->ops->close(s);
}

static void
keep_tags(void *arg, const lv_change *c)
{
	json_t **seen = arg;
	json_decref(*seen);
	*seen = json_incref(json_object_get(c->new, "tags"));
}

/* A JSON field holds any JSON value, a string or a number as well as a
 * struct or a list: each comes back as it went in, from a read and from
 * the change capture. */
BOTH(model, json_fields_keep_their_values)
{
	lv_store *s = open_store();
	lv_model_err err = { 0 };
	static const char *const vals[] = { "\"x\"", "true", "3", "2.5", "{\"a\":[1,null]}", "[]" };
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
		char text[160];
		snprintf(text, sizeof text, "{\"owner\":\"a\",\"title\":\"t\",\"done\":false,\"tags\":%s}",
		         vals[i]);
		json_t *out = create(s, text), *got = NULL, *want = J(vals[i]);
		cr_assert(json_equal(json_object_get(out, "tags"), want), "create %s", vals[i]);
		cr_assert_eq(lv__store_get(s, &todo, json_object_get(out, "id"), &got, &err), 0, "%s", err.why);
		cr_assert(json_equal(json_object_get(got, "tags"), want), "get %s", vals[i]);
		json_t *seen = NULL;
		cr_assert_eq(s->ops->changes(s, keep_tags, &seen, &err), 1, "%s", err.why);
		cr_assert(json_equal(seen, want), "the change of %s", vals[i]);
		json_decref(seen);
		json_decref(out);
		json_decref(got);
		json_decref(want);
	}
	s->ops->close(s);
}

static void
keep_score(void *arg, const lv_change *c)
{
	json_t **seen = arg;
	json_decref(*seen);
	*seen = json_incref(json_object_get(c->new, "score"));
}

/* A float field's change carries the number the row holds, every digit
 * of it: a live query compares the change's row with its terms. */
BOTH(model, floats_keep_their_digits)
{
	lv_store *s = open_store();
	lv_model_err err = { 0 };
	static const char *const vals[] = { "1.2345678901234567", "0.1", "-2.5", "5e-324",
	                                    "1.7976931348623157e308", "123456789012345678" };
	for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
		char text[160];
		snprintf(text, sizeof text, "{\"owner\":\"a\",\"title\":\"t\",\"done\":false,\"score\":%s}",
		         vals[i]);
		json_t *out = create(s, text), *seen = NULL;
		double want = json_number_value(json_object_get(out, "score"));
		cr_assert_eq(want, strtod(vals[i], NULL), "create %s", vals[i]);
		cr_assert_eq(s->ops->changes(s, keep_score, &seen, &err), 1, "%s", err.why);
		cr_assert(json_is_real(seen) && json_real_value(seen) == want, "the change of %s", vals[i]);
		json_decref(seen);
		json_decref(out);
	}
	s->ops->close(s);
}

BOTH(model, rows_are_checked)
{
	lv_model_err err = { 0 };
	static const char *const bad[][2] = {
		{ "[1]", "must be an object" },
		{ "{\"owner\":\"a\",\"title\":\"t\",\"done\":1}", "Todo.done must be a boolean" },
		{ "{\"owner\":\"a\",\"title\":\"t\"}", "Todo.done is missing" },
		{ "{\"owner\":\"a\",\"title\":\"t\",\"done\":true,\"colour\":1}", "no field 'colour'" },
		{ "{\"owner\":null,\"title\":\"t\",\"done\":true}", "Todo.owner must be a string" },
		{ "{\"owner\":\"a\",\"title\":\"t\",\"done\":true,\"score\":\"1\"}",
		  "Todo.score must be a number or null" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		json_t *in = J(bad[i][0]);
		cr_assert_null(lv__row_check(&todo, in, false, false, &err), "%s", bad[i][0]);
		cr_assert(strstr(err.why, bad[i][1]), "%s: %s", bad[i][0], err.why);
		json_decref(in);
	}
	json_t *in = J("{\"owner\":\"a\",\"title\":\"t\",\"done\":true}");
	cr_assert_null(lv__row_check(&todo, in, true, true, &err));
	cr_assert(strstr(err.why, "Todo.id is missing"), "%s", err.why);
	json_decref(in);
}

BOTH(model, a_table_that_differs_is_refused)
{
	char sql[600], want[200];
	snprintf(sql, sizeof sql,
	         "CREATE TABLE todos (id %s PRIMARY KEY, owner %s NOT NULL, title INTEGER NOT NULL,"
	         " done %s NOT NULL, score %s, tags %s, rev %s NOT NULL)",
	         B->t_int, B->t_text, B->t_bool, B->t_real, B->t_json, B->t_int);
	B->other(sql);
	lv_model_err err = { 0 };
	lv_store *s = B->open(&err);
	cr_assert(s, "%s", err.why);
	cr_assert_eq(s->ops->attach(s, &todo, &err), LV_EINVALID_ARGUMENT);
	snprintf(want, sizeof want, "table todos: column title is %s, model Todo says %s",
	         B->said_int, B->said_text);
	cr_assert(strstr(err.why, want), "%s", err.why);
	snprintf(sql, sizeof sql, "DROP TABLE todos; CREATE TABLE todos (id %s PRIMARY KEY,"
	         " owner %s NOT NULL, rev %s NOT NULL)", B->t_int, B->t_text, B->t_int);
	cr_assert_eq(s->ops->exec(s, sql, &err), 0, "%s", err.why);
	cr_assert_eq(s->ops->attach(s, &todo, &err), LV_EINVALID_ARGUMENT);
	cr_assert(strstr(err.why, "table todos has no column 'title'"), "%s", err.why);
	cr_assert_eq(s->ops->exec(s, "ALTER TABLE todos ADD COLUMN colour TEXT", &err), 0);
	cr_assert_eq(s->ops->attach(s, &todo, &err), LV_EINVALID_ARGUMENT);
	cr_assert(strstr(err.why, "column 'colour' that model Todo does not"), "%s", err.why);
	cr_assert_eq(s->ops->exec(s, "DROP TABLE todos", &err), 0, "%s", err.why);
	s->ops->close(s);
	/* A table made by the store is accepted when it opens again. */
	s = open_store();
	s->ops->close(s);
	s = open_store();
	s->ops->close(s);
}

/* ---- change capture --------------------------------------------------------- */

typedef struct {
	char log[4096];
	int n;
} changes;

static void
on_change(void *arg, const lv_change *c)
{
	changes *ch = arg;
	const char *op = c->op == LV_CH_INSERT ? "ins" : c->op == LV_CH_UPDATE ? "upd" : "del";
	const json_t *row = c->new ? c->new : c->old;
	size_t len = strlen(ch->log);
	snprintf(ch->log + len, sizeof ch->log - len, "%s%s %lld %s", len ? ";" : "", op,
	         (long long)json_integer_value(json_object_get(row, "id")),
	         json_string_value(json_object_get(row, "title")));
	ch->n++;
}

static const char *
read_changes(lv_store *s, changes *ch)
{
	lv_model_err err = { 0 };
	ch->log[0] = 0;
	ch->n = 0;
	int n = s->ops->changes(s, on_change, ch, &err);
	cr_assert_geq(n, 0, "changes: %s", err.why);
	cr_assert_eq(n, ch->n);
	return ch->log;
}

BOTH(model, changes_after_commit_from_anyone)
{
	lv_store *s = open_store();
	changes ch;
	cr_assert_str_eq(read_changes(s, &ch), "");
	json_t *a = create(s, "{\"owner\":\"ann\",\"title\":\"milk\",\"done\":false}");
	cr_assert_str_eq(read_changes(s, &ch), "ins 1 milk");
	cr_assert_str_eq(read_changes(s, &ch), "", "read once");

	/* Another connection, as another process would: a bulk write, then a
	 * rollback that must tell nobody. */
	B->other("INSERT INTO todos (id, owner, title, done, rev) VALUES"
	         " (2, 'bob', 'eggs', false, 1), (3, 'bob', 'tea', true, 1);"
	         "UPDATE todos SET done = true, rev = rev + 1 WHERE owner = 'bob';");
	B->other("BEGIN; DELETE FROM todos; ROLLBACK;");
	settle(s);
	cr_assert_str_eq(read_changes(s, &ch), "ins 2 eggs;ins 3 tea;upd 2 eggs;upd 3 tea");
	B->other("DELETE FROM todos WHERE id = 1");
	settle(s);
	cr_assert_str_eq(read_changes(s, &ch), "del 1 milk");

	/* A store opened later starts from now, not from the beginning; a
	 * key the database picks comes after those given by hand. */
	lv_store *t = open_store();
	cr_assert_str_eq(read_changes(t, &ch), "");
	json_decref(create(s, "{\"owner\":\"cy\",\"title\":\"jam\",\"done\":false}"));
	settle(t);
	cr_assert_str_eq(read_changes(t, &ch), "ins 4 jam");
	cr_assert_str_eq(read_changes(s, &ch), "ins 4 jam");
	json_decref(a);
	t->ops->close(t);
	s->ops->close(s);
}

/* ---- live queries -------------------------------------------------------------- */

typedef struct {
	char log[8192];
	int64_t count;
	const char *who;   /* the predicate: only rows of this owner */
} events;

static void
sink(void *arg, lv_watcher *w, const lv_event *ev)
{
	(void)w;
	events *e = arg;
	static const char *const k[] = { "ins", "upd", "del", "mov", "count" };
	size_t len = strlen(e->log);
	if (ev->kind == LV_EV_COUNT)
		snprintf(e->log + len, sizeof e->log - len, "%scount", len ? ";" : "");
	else if (ev->kind == LV_EV_MOVE)
		snprintf(e->log + len, sizeof e->log - len, "%smov %s %lld>%lld", len ? ";" : "",
		         json_string_value(json_object_get(ev->row, "title")), (long long)ev->from,
		         (long long)ev->index);
	else
		snprintf(e->log + len, sizeof e->log - len, "%s%s %s@%lld", len ? ";" : "", k[ev->kind],
		         json_string_value(json_object_get(ev->row, "title")), (long long)ev->index);
	e->count = ev->count;
}

static bool
only_who(void *arg, const json_t *row)
{
	events *e = arg;
	return strcmp(json_string_value(json_object_get(row, "owner")), e->who) == 0;
}

static lv_watcher *
watch(lv_watch *w, const char *query, events *e, lv_page *first)
{
	lv_model_err err = { 0 };
	lv_query q;
	json_t *qj = J(query);
	cr_assert_eq(lv__query_parse(&todo, qj, &q, &err), 0, "%s: %s", query, err.why);
	json_decref(qj);
	memset(e->log, 0, sizeof e->log);
	lv_watcher *x = lv__watch_add(w, &todo, &q, sink, e->who ? only_who : NULL, e, first, &err);
	cr_assert(x, "watch: %s", err.why);
	return x;
}

static void
poll_ok(lv_watch *w, events **es, size_t n)
{
	for (size_t i = 0; i < n; i++)
		es[i]->log[0] = 0;
	lv_model_err err = { 0 };
	cr_assert_geq(lv__watch_poll(w, &err), 0, "poll: %s", err.why);
}

static void
exec_ok(lv_store *s, const char *sql)
{
	lv_model_err err = { 0 };
	cr_assert_eq(s->ops->exec(s, sql, &err), 0, "%s: %s", sql, err.why);
}

BOTH(model, live_queries)
{
	lv_store *s = open_store();
	exec_ok(s, "INSERT INTO todos (id, owner, title, done, score, rev) VALUES"
	           " (1, 'ann', 'a', false, 5, 1), (2, 'ann', 'b', false, 4, 1),"
	           " (3, 'bob', 'c', false, 3, 1), (4, 'bob', 'd', true, 2, 1)");
	lv_watch *w = lv__watch_new(s);
	cr_assert(w);
	lv_model_err err = { 0 };
	cr_assert_geq(lv__watch_poll(w, &err), 0);

	/* The open todos by score going down, two at a time; the same query
	 * twice (evaluated once), the open todos of ann (indexed by owner),
	 * and every todo as bob may see it. */
	events top = { 0 }, top2 = { 0 }, anns = { 0 }, bobs = { .who = "bob" };
	lv_page p1, p2, p3, p4;
	watch(w, "{\"where\":{\"done\":false},\"order\":[\"-score\"],\"limit\":2}", &top, &p1);
	watch(w, "{\"order\":[\"-score\"],\"where\":{\"done\":false},\"limit\":2}", &top2, &p2);
	watch(w, "{\"where\":{\"owner\":\"ann\",\"done\":false},\"order\":[\"title\"]}", &anns, &p3);
	watch(w, "{\"order\":[\"title\"],\"limit\":0}", &bobs, &p4);
	cr_assert_eq(lv__watch_queries(w), 3, "equal queries share one evaluation");
	cr_assert(same(json_array_get(p1.rows, 0), "{\"id\":1,\"owner\":\"ann\",\"title\":\"a\","
	                                           "\"done\":false,\"score\":5.0,\"tags\":null,\"rev\":1}"));
	cr_assert_eq(json_array_size(p1.rows), 2);
	cr_assert_eq(p1.count, 3);
	cr_assert(json_equal(p1.rows, p2.rows));
	cr_assert_eq(json_array_size(p3.rows), 2);
	cr_assert_eq(json_array_size(p4.rows), 2, "bob sees only his own");
	events *all[] = { &top, &top2, &anns, &bobs };

	/* c overtakes everyone: enters the window at the top, b drops out. */
	exec_ok(s, "UPDATE todos SET score = 9, rev = rev + 1 WHERE id = 3");
	poll_ok(w, all, 4);
	cr_assert_str_eq(top.log, "del b@1;ins c@0");
	cr_assert_str_eq(top2.log, top.log);
	cr_assert_str_eq(anns.log, "", "not ann's");
	cr_assert_str_eq(bobs.log, "upd c@0");

	/* One batch of several changes: a new todo of ann's sorts first by
	 * title, a is done (leaves anns, leaves top), d is renamed past c. */
	exec_ok(s, "BEGIN;"
	           "INSERT INTO todos (id, owner, title, done, score, rev) VALUES (5, 'ann', '0', false, 1, 1);"
	           "UPDATE todos SET done = true, rev = rev + 1 WHERE id = 1;"
	           "UPDATE todos SET title = 'e', rev = rev + 1 WHERE id = 4;"
	           "COMMIT");
	poll_ok(w, all, 4);
	cr_assert_str_eq(top.log, "del a@1;ins b@1");
	cr_assert_eq(top.count, 3);
	cr_assert_str_eq(anns.log, "del a@0;ins 0@0");
	cr_assert_str_eq(bobs.log, "upd e@1");

	/* A rollback is no change at all. */
	exec_ok(s, "BEGIN; DELETE FROM todos; ROLLBACK");
	poll_ok(w, all, 4);
	cr_assert_str_eq(top.log, "");
	cr_assert_str_eq(bobs.log, "");

	/* Outside the window only the count moves. */
	exec_ok(s, "INSERT INTO todos (id, owner, title, done, score, rev) VALUES (6, 'cy', 'f', false, 0, 1)");
	poll_ok(w, all, 4);
	cr_assert_str_eq(top.log, "count");
	cr_assert_eq(top.count, 4);

	/* Titles reordered by a rename: a move and its update. */
	exec_ok(s, "UPDATE todos SET title = 'a', rev = rev + 1 WHERE id = 4");
	poll_ok(w, all, 4);
	cr_assert_str_eq(bobs.log, "mov a 1>0;upd a@0");

	lv__watch_free(w);
	s->ops->close(s);
	json_decref(p1.rows);
	json_decref(p2.rows);
	json_decref(p3.rows);
	json_decref(p4.rows);
}

BOTH(model, unsubscribing_frees_the_query)
{
	lv_store *s = open_store();
	lv_watch *w = lv__watch_new(s);
	events a = { 0 }, b = { 0 };
	lv_page p, q;
	lv_watcher *x = watch(w, "{\"where\":{\"owner\":\"ann\"}}", &a, &p);
	lv_watcher *y = watch(w, "{\"where\":{\"owner\":\"ann\"}}", &b, &q);
	cr_assert_eq(lv__watch_queries(w), 1);
	lv__watch_remove(w, x);
	cr_assert_eq(lv__watch_queries(w), 1);
	json_decref(create(s, "{\"owner\":\"ann\",\"title\":\"t\",\"done\":false}"));
	events *all[] = { &a, &b };
	poll_ok(w, all, 2);
	cr_assert_str_eq(b.log, "ins t@0");
	lv__watch_remove(w, y);
	cr_assert_eq(lv__watch_queries(w), 0);
	json_decref(p.rows);
	json_decref(q.rows);
	lv__watch_free(w);
	s->ops->close(s);
}

/* ---- PostgreSQL only ---------------------------------------------------------- */

/* Sends sql on c without waiting for it (it may block on a lock). */
static void
pq_send(PGconn *c, const char *sql)
{
	cr_assert_eq(PQsendQuery(c, sql), 1, "%s: %s", sql, PQerrorMessage(c));
}

/* Waits (bounded) for what pq_send sent to finish, every result a success. */
static void
pq_finish_send(PGconn *c)
{
	for (int i = 0; i < 200 && PQisBusy(c); i++) {
		struct pollfd p = { PQsocket(c), POLLIN, 0 };
		poll(&p, 1, 50);
		PQconsumeInput(c);
	}
	cr_assert(!PQisBusy(c), "the statement did not finish within 10 s");
	PGresult *r;
	while ((r = PQgetResult(c))) {
		ExecStatusType st = PQresultStatus(r);
		cr_assert(st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "%s", PQresultErrorMessage(r));
		PQclear(r);
	}
}

/* Two writers at once: the one that began first holds the change lock
 * until it commits; the other waits for it, so the changes come out in
 * the order the transactions committed and a reader in between sees
 * nothing half-done, nor loses what commits after it read. */
Test(model_pg, concurrent_writers_in_commit_order, .init = pg_setup, .fini = pg_teardown)
{
	lv_store *s = open_store();
	changes ch;
	PGconn *a = pq_connect(), *b = pq_connect();
	pq_ok(a, "BEGIN");
	pq_ok(a, "INSERT INTO todos (id, owner, title, done, rev) VALUES (1, 'a', 'a1', false, 1)");
	pq_send(b, "BEGIN; INSERT INTO todos (id, owner, title, done, rev) VALUES"
	           " (2, 'b', 'b1', false, 1); COMMIT");
	usleep(200000);
	cr_assert(PQisBusy(b) || (PQconsumeInput(b), PQisBusy(b)), "b waits for a's lock");
	cr_assert_str_eq(read_changes(s, &ch), "", "nothing committed yet");
	pq_ok(a, "INSERT INTO todos (id, owner, title, done, rev) VALUES (3, 'a', 'a2', false, 1)");
	pq_ok(a, "COMMIT");
	settle(s);
	char log[256] = "";
	strcat(log, read_changes(s, &ch));
	pq_finish_send(b);
	settle(s);
	const char *more = read_changes(s, &ch);
	if (*more && *log)
		strcat(log, ";");
	strcat(log, more);
	cr_assert_str_eq(log, "ins 1 a1;ins 3 a2;ins 2 b1");
	PQfinish(a);
	PQfinish(b);
	s->ops->close(s);
}

/* A rolled-back transaction, even one that took the lock, wakes nobody
 * with a change; the next commit comes after it. */
Test(model_pg, a_rollback_is_never_seen, .init = pg_setup, .fini = pg_teardown)
{
	lv_store *s = open_store();
	changes ch;
	PGconn *a = pq_connect();
	pq_ok(a, "BEGIN");
	pq_ok(a, "INSERT INTO todos (id, owner, title, done, rev) VALUES (1, 'a', 'gone', false, 1)");
	pq_ok(a, "ROLLBACK");
	struct pollfd p = { s->ops->wait_fd(s), POLLIN, 0 };
	cr_assert_eq(poll(&p, 1, 300), 0, "a rollback wakes nobody");
	cr_assert_str_eq(read_changes(s, &ch), "");
	pq_ok(a, "INSERT INTO todos (id, owner, title, done, rev) VALUES (2, 'a', 'kept', false, 1)");
	settle(s);
	cr_assert_str_eq(read_changes(s, &ch), "ins 2 kept");
	PQfinish(a);
	s->ops->close(s);
}

static void
count_lost(void *arg, const lv_change *c)
{
	int *lost = arg;
	if (c->op == LV_CH_LOST)
		lost[0]++;
	else
		lost[1]++;
}

/* A reader behind the pruned point is told (LV_CH_LOST), once, and a live
 * query then lists its result again. */
Test(model_pg, a_reader_behind_the_pruning_is_told, .init = pg_setup, .fini = pg_teardown)
{
	lv_store *s = open_store(), *t = open_store();
	lv_watch *w = lv__watch_new(s);
	events all = { 0 };
	lv_page first;
	watch(w, "{\"order\":[\"title\"],\"limit\":0}", &all, &first);
	cr_assert_eq(json_array_size(first.rows), 0);
	exec_ok(t, "INSERT INTO todos (id, owner, title, done, rev) VALUES"
	           " (1, 'a', 'x', false, 1), (2, 'a', 'y', false, 1), (3, 'a', 'z', false, 1)");
	lv_model_err err = { 0 };
	cr_assert_eq(lv__store_pg_prune(t, 1, 3600, &err), 0, "%s", err.why);
	settle(s);
	events *es[] = { &all };
	poll_ok(w, es, 1);
	cr_assert_str_eq(all.log, "ins x@0;ins y@1;ins z@2", "listed again");
	/* t wrote the three but read none before the prune: told it lost
	 * some, then the one change kept. */
	int lost[2] = { 0, 0 };
	cr_assert_eq(t->ops->changes(t, count_lost, lost, &err), 2, "%s", err.why);
	cr_assert_eq(lost[0], 1);
	cr_assert_eq(lost[1], 1);
	json_decref(first.rows);
	lv__watch_free(w);
	t->ops->close(t);
	s->ops->close(s);
}

/* What the database would not hold as the store means it is refused with
 * a reason: a text column that does not compare as bytes, NaN. */
Test(model_pg, what_postgresql_refuses, .init = pg_setup, .fini = pg_teardown)
{
	B->other("CREATE TABLE todos (id bigint PRIMARY KEY, owner text NOT NULL,"
	         " title text COLLATE \"C\" NOT NULL, done boolean NOT NULL, score double precision,"
	         " tags text, rev bigint NOT NULL)");
	lv_model_err err = { 0 };
	lv_store *s = B->open(&err);
	cr_assert(s, "%s", err.why);
	cr_assert_eq(s->ops->attach(s, &todo, &err), LV_EINVALID_ARGUMENT);
	cr_assert(strstr(err.why, "column owner is text COLLATE \"default\", model Todo says text"
	                          " COLLATE \"C\""), "%s", err.why);
	exec_ok(s, "DROP TABLE todos");
	cr_assert_eq(s->ops->attach(s, &todo, &err), 0, "%s", err.why);
	json_t *row = json_pack("{s:s, s:s, s:b, s:f}", "owner", "a", "title", "t", "done", 0,
	                        "score", 1.5);
	json_t *out = NULL;
	/* jansson holds no NaN: a row written by hand is refused by the table. */
	cr_assert_eq(s->ops->exec(s, "INSERT INTO todos (id, owner, title, done, score, rev)"
	                             " VALUES (5, 'a', 'b', false, 'NaN', 1)", &err),
	             LV_EINVALID_ARGUMENT);
	cr_assert(strstr(err.why, "check constraint"), "%s", err.why);
	json_object_set_new(row, "title", json_string("a\xc3\xa9"));
	cr_assert_eq(lv__store_create(s, &todo, row, &out, &err), 0, "%s", err.why);
	cr_assert_str_eq(json_string_value(json_object_get(out, "title")), "a\xc3\xa9");
	json_decref(out);
	json_decref(row);
	s->ops->close(s);
}

/* The wake-up: readable once another connection committed, quiet after
 * changes read it; SQLite has none. */
Test(model_pg, wait_fd_wakes_on_a_commit, .init = pg_setup, .fini = pg_teardown)
{
	lv_store *s = open_store();
	changes ch;
	int fd = s->ops->wait_fd(s);
	cr_assert_geq(fd, 0);
	struct pollfd p = { fd, POLLIN, 0 };
	cr_assert_eq(poll(&p, 1, 100), 0, "quiet before any commit");
	B->other("INSERT INTO todos (id, owner, title, done, rev) VALUES (7, 'a', 'w', false, 1)");
	cr_assert_eq(poll(&p, 1, 5000), 1, "readable after a commit");
	cr_assert_str_eq(read_changes(s, &ch), "ins 7 w");
	p.fd = s->ops->wait_fd(s);
	cr_assert_eq(poll(&p, 1, 100), 0, "quiet again");
	s->ops->close(s);
}

/* SQLite: changes pruned before this reader read them (here deleted by
 * hand, as the pruning does after a minute) leave a gap it is told of. */
Test(model, sqlite_reader_behind_the_pruning_is_told, .init = sq_setup, .fini = sq_teardown)
{
	lv_store *s = open_store();
	B->other("INSERT INTO todos (id, owner, title, done, rev) VALUES"
	         " (1, 'a', 'x', false, 1), (2, 'a', 'y', false, 1), (3, 'a', 'z', false, 1)");
	B->other("DELETE FROM lv_change WHERE seq < (SELECT max(seq) FROM lv_change)");
	int lost[2] = { 0, 0 };
	lv_model_err err = { 0 };
	cr_assert_eq(s->ops->changes(s, count_lost, lost, &err), 2, "%s", err.why);
	cr_assert_eq(lost[0], 1);
	cr_assert_eq(lost[1], 1);
	/* A store opened now starts after the pruned numbers: nothing lost. */
	B->other("DELETE FROM lv_change");
	lv_store *t = open_store();
	B->other("INSERT INTO todos (id, owner, title, done, rev) VALUES (4, 'a', 'w', false, 1)");
	lost[0] = lost[1] = 0;
	cr_assert_eq(t->ops->changes(t, count_lost, lost, &err), 1, "%s", err.why);
	cr_assert_eq(lost[0], 0);
	t->ops->close(t);
	s->ops->close(s);
}

/* The server drops both connections: the call that finds one gone fails
 * (LV_EUNAVAILABLE: a write may or may not have happened, so nothing is
 * sent again), the next connects again, and no change is missed. */
Test(model_pg, a_lost_connection_is_made_again, .init = pg_setup, .fini = pg_teardown)
{
	lv_store *s = open_store();
	changes ch;
	B->other("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
	         " WHERE datname = current_database() AND pid <> pg_backend_pid()");
	B->other("INSERT INTO todos (id, owner, title, done, rev) VALUES (1, 'a', 'meanwhile', false, 1)");
	lv_model_err err = { 0 };
	json_t *key = json_integer(1), *row = NULL;
	cr_assert_eq(lv__store_get(s, &todo, key, &row, &err), LV_EUNAVAILABLE, "%s", err.why);
	cr_assert_eq(lv__store_get(s, &todo, key, &row, &err), 0, "%s", err.why);
	cr_assert_str_eq(json_string_value(json_object_get(row, "title")), "meanwhile");
	cr_assert_str_eq(read_changes(s, &ch), "ins 1 meanwhile");
	B->other("INSERT INTO todos (id, owner, title, done, rev) VALUES (2, 'a', 'after', false, 1)");
	settle(s);
	cr_assert_str_eq(read_changes(s, &ch), "ins 2 after");
	json_decref(key);
	json_decref(row);
	s->ops->close(s);
}

Test(model, sqlite_has_no_wait_fd, .init = sq_setup, .fini = sq_teardown)
{
	lv_store *s = open_store();
	cr_assert_null(s->ops->wait_fd);
	s->ops->close(s);
}

/* A field with a default may be left out of a row and takes it; one
 * given keeps its value; the default is checked like a given value. */
Test(model, defaults_fill_missing_fields)
{
	static const lv_model_col cols[] = {
		{ "id", LV_COL_INT, LV_COL_KEY, NULL },
		{ "title", LV_COL_TEXT, 0, "\"untitled\"" },
		{ "done", LV_COL_BOOL, 0, "false" },
		{ "score", LV_COL_FLOAT, 0, "2" },
		{ "rev", LV_COL_INT, LV_COL_VERSION, NULL },
	};
	static const lv_model_desc m = { "Item", "items", cols, 5, 0, 4, 50 };
	lv_model_err err = { 0 };
	json_t *in = J("{\"done\":true}");
	json_t *row = lv__row_check(&m, in, false, false, &err);
	cr_assert(row, "%s", err.why);
	json_t *want = J("{\"title\":\"untitled\",\"done\":true,\"score\":2.0}");
	cr_assert(json_equal(row, want), "%s", json_dumps(row, JSON_COMPACT));
	json_decref(want);
	json_decref(row);
	json_decref(in);
	static const lv_model_col bad_cols[] = {
		{ "id", LV_COL_INT, LV_COL_KEY, NULL },
		{ "done", LV_COL_BOOL, 0, "\"no\"" },
		{ "rev", LV_COL_INT, LV_COL_VERSION, NULL },
	};
	static const lv_model_desc bad = { "Bad", "bad", bad_cols, 3, 0, 2, 50 };
	in = J("{}");
	cr_assert_null(lv__row_check(&bad, in, false, false, &err));
	cr_assert(strstr(err.why, "Bad.done must be a boolean"), "%s", err.why);
	json_decref(in);
}

/* A key the database picked is not picked again once its row is gone: a
 * version read from the deleted row must not match a new row. */
BOTH(model, a_deleted_key_is_not_picked_again)
{
	lv_store *s = open_store();
	lv_model_err err = { 0 };
	json_t *a = create(s, "{\"owner\":\"ann\",\"title\":\"first\",\"done\":false}");
	json_t *key = json_incref((json_t *)lv__row_key(&todo, a));
	cr_assert_eq(lv__store_remove(s, &todo, key, 1, &err), 0, "%s", err.why);
	json_t *b = create(s, "{\"owner\":\"bob\",\"title\":\"second\",\"done\":false}");
	cr_assert(!json_equal(lv__row_key(&todo, a), lv__row_key(&todo, b)),
	          "the key %lld was picked again", (long long)json_integer_value(key));
	json_t *out = NULL;
	cr_assert_eq(lv__store_update(s, &todo, a, &out, &err), LV_ENOT_FOUND,
	             "the deleted row's version wrote the new row");
	json_decref(key);
	json_decref(a);
	json_decref(b);
	s->ops->close(s);
}

/* A float field compared with a number written as an integer (2, as a
 * page's JSON says it) is the same value as the row's 2.0: the live query
 * sees the rows that come to match it. */
BOTH(model, a_float_filter_written_as_an_integer)
{
	lv_store *s = open_store();
	lv_watch *w = lv__watch_new(s);
	cr_assert(w);
	events two = { 0 }, zero = { 0 };
	lv_page p1, p2;
	watch(w, "{\"where\":{\"score\":2}}", &two, &p1);
	watch(w, "{\"where\":{\"score\":0,\"done\":false}}", &zero, &p2);
	cr_assert_eq(p1.count, 0);
	events *all[] = { &two, &zero };
	exec_ok(s, "INSERT INTO todos (id, owner, title, done, score, rev) VALUES"
	           " (1, 'ann', 'a', false, 2.0, 1), (2, 'ann', 'b', false, -0.0, 1)");
	poll_ok(w, all, 2);
	cr_assert_str_eq(two.log, "ins a@0");
	cr_assert_str_eq(zero.log, "ins b@0");
	exec_ok(s, "UPDATE todos SET score = 2.5, rev = rev + 1 WHERE id = 1");
	poll_ok(w, all, 2);
	cr_assert_str_eq(two.log, "del a@0");
	lv__watch_free(w);
	s->ops->close(s);
	json_decref(p1.rows);
	json_decref(p2.rows);
}

/* A table emptied at once by another program (PostgreSQL: TRUNCATE, which
 * fires no row trigger; SQLite has none, and DELETE without WHERE fires
 * them when there are triggers) reaches a live query: every row leaves. */
BOTH(model, a_table_emptied_at_once_reaches_live_queries)
{
	lv_store *s = open_store();
	B->other("INSERT INTO todos (id, owner, title, done, rev) VALUES"
	         " (1, 'ann', 'a', false, 1), (2, 'ann', 'b', false, 1), (3, 'bob', 'c', true, 1)");
	lv_watch *w = lv__watch_new(s);
	cr_assert(w);
	events all = { 0 };
	lv_page p;
	watch(w, "{\"order\":[\"title\"]}", &all, &p);
	cr_assert_eq(p.count, 3);
	json_decref(p.rows);
	/* The inserts read first, so that what follows is the emptying's alone. */
	events *es[] = { &all };
	settle(s);
	poll_ok(w, es, 1);
	cr_assert_str_eq(all.log, "");
	B->other(strcmp(B->name, "sqlite") == 0 ? "DELETE FROM todos" : "TRUNCATE todos");
	settle(s);
	poll_ok(w, es, 1);
	cr_assert_str_eq(all.log, "del c@2;del b@1;del a@0");
	cr_assert_eq(all.count, 0);
	/* And the table goes on being watched. */
	B->other("INSERT INTO todos (id, owner, title, done, rev) VALUES (4, 'cy', 'd', false, 1)");
	settle(s);
	poll_ok(w, es, 1);
	cr_assert_str_eq(all.log, "ins d@0");
	lv__watch_free(w);
	s->ops->close(s);
}
