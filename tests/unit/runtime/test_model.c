/* test_model.c - the model layer on a real SQLite file: tables made and
 * checked, rows created, read, updated and deleted with versions, changes
 * captured after commit (this connection's, another connection's, bulk
 * writes, never a rollback), and live queries: their events, windows,
 * equal queries evaluated once, and row predicates. */
#include <criterion/criterion.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/model.h"

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

static char dir[64];
static char path[96];

static void
setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/lv-model-XXXXXX");
	cr_assert(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/app.db", dir);
}

static void
teardown(void)
{
	char f[128];
	static const char *const ext[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		snprintf(f, sizeof f, "%s%s", path, ext[i]);
		unlink(f);
	}
	rmdir(dir);
}

TestSuite(model, .init = setup, .fini = teardown);

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
	lv_store *s = lv__store_sqlite(path, &err);
	cr_assert(s, "open: %s", err.why);
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
	cr_assert_eq(s->ops->create(s, &todo, checked, &out, &err), 0, "create: %s", err.why);
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

Test(model, rows_and_versions)
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
	cr_assert_eq(s->ops->get(s, &todo, key, &got, &err), 0, "%s", err.why);
	cr_assert(json_equal(got, b));
	json_decref(got);

	/* An update with the version read: stored at version 2. */
	json_object_set_new(b, "title", json_string("eggs!"));
	json_t *b2 = NULL;
	cr_assert_eq(s->ops->update(s, &todo, b, &b2, &err), 0, "%s", err.why);
	cr_assert_eq(lv__row_version(&todo, b2), 2);
	/* The same version again is stale. */
	json_t *b3 = NULL;
	cr_assert_eq(s->ops->update(s, &todo, b, &b3, &err), LV_EABORTED);
	cr_assert(strstr(err.why, "changed since it was read"), "%s", err.why);
	cr_assert_eq(s->ops->remove(s, &todo, key, 1, &err), LV_EABORTED);
	cr_assert_eq(s->ops->remove(s, &todo, key, 2, &err), 0, "%s", err.why);
	cr_assert_eq(s->ops->remove(s, &todo, key, 2, &err), LV_ENOT_FOUND);
	cr_assert_eq(s->ops->get(s, &todo, key, &got, &err), LV_ENOT_FOUND);
	cr_assert_eq(s->ops->update(s, &todo, b2, &b3, &err), LV_ENOT_FOUND);

	/* A duplicate key is the caller's mistake, said as such. */
	json_t *dup = lv__row_check(&todo, a, true, false, &err);
	cr_assert_eq(s->ops->create(s, &todo, dup, &b3, &err), LV_EINVALID_ARGUMENT);
	cr_assert(strstr(err.why, "UNIQUE"), "%s", err.why);
	json_decref(dup);
	json_decref(key);
	json_decref(a);
	json_decref(b);
	json_decref(b2);
	s->ops->close(s);
}

Test(model, rows_are_checked)
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

Test(model, a_table_that_differs_is_refused)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "CREATE TABLE todos (id INTEGER PRIMARY KEY, owner TEXT NOT NULL,"
	                              " title INTEGER NOT NULL, done INTEGER NOT NULL, score REAL,"
	                              " tags TEXT, rev INTEGER NOT NULL)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	lv_model_err err = { 0 };
	lv_store *s = lv__store_sqlite(path, &err);
	cr_assert(s);
	cr_assert_eq(s->ops->attach(s, &todo, &err), LV_EINVALID_ARGUMENT);
	cr_assert(strstr(err.why, "table todos: column title is INTEGER, model Todo says TEXT"), "%s",
	          err.why);
	cr_assert_eq(s->ops->exec(s, "DROP TABLE todos; CREATE TABLE todos (id INTEGER PRIMARY KEY,"
	                             " owner TEXT NOT NULL, rev INTEGER NOT NULL)", &err), 0);
	cr_assert_eq(s->ops->attach(s, &todo, &err), LV_EINVALID_ARGUMENT);
	cr_assert(strstr(err.why, "table todos has no column 'title'"), "%s", err.why);
	cr_assert_eq(s->ops->exec(s, "ALTER TABLE todos ADD COLUMN colour TEXT", &err), 0);
	cr_assert_eq(s->ops->attach(s, &todo, &err), LV_EINVALID_ARGUMENT);
	cr_assert(strstr(err.why, "column 'colour' that model Todo does not"), "%s", err.why);
	s->ops->close(s);
	/* A table made by the store is accepted when it opens again. */
	unlink(path);
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

Test(model, changes_after_commit_from_anyone)
{
	lv_store *s = open_store();
	changes ch;
	cr_assert_str_eq(read_changes(s, &ch), "");
	json_t *a = create(s, "{\"owner\":\"ann\",\"title\":\"milk\",\"done\":false}");
	cr_assert_str_eq(read_changes(s, &ch), "ins 1 milk");
	cr_assert_str_eq(read_changes(s, &ch), "", "read once");

	/* Another connection, as another process would: a bulk write in one
	 * statement, then a rollback that must tell nobody. */
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db,
	                          "INSERT INTO todos (id, owner, title, done, rev) VALUES"
	                          " (2, 'bob', 'eggs', 0, 1), (3, 'bob', 'tea', 1, 1);"
	                          "UPDATE todos SET done = 1, rev = rev + 1 WHERE owner = 'bob';",
	                          NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "BEGIN; DELETE FROM todos; ROLLBACK;", NULL, NULL, NULL),
	             SQLITE_OK);
	cr_assert_str_eq(read_changes(s, &ch), "ins 2 eggs;ins 3 tea;upd 2 eggs;upd 3 tea");
	cr_assert_eq(sqlite3_exec(db, "DELETE FROM todos WHERE id = 1", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	cr_assert_str_eq(read_changes(s, &ch), "del 1 milk");

	/* A store opened later starts from now, not from the beginning. */
	lv_store *t = open_store();
	cr_assert_str_eq(read_changes(t, &ch), "");
	json_decref(create(s, "{\"owner\":\"cy\",\"title\":\"jam\",\"done\":false}"));
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

Test(model, live_queries)
{
	lv_store *s = open_store();
	exec_ok(s, "INSERT INTO todos (id, owner, title, done, score, rev) VALUES"
	           " (1, 'ann', 'a', 0, 5, 1), (2, 'ann', 'b', 0, 4, 1), (3, 'bob', 'c', 0, 3, 1),"
	           " (4, 'bob', 'd', 1, 2, 1)");
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
	           "INSERT INTO todos (id, owner, title, done, score, rev) VALUES (5, 'ann', '0', 0, 1, 1);"
	           "UPDATE todos SET done = 1, rev = rev + 1 WHERE id = 1;"
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
	exec_ok(s, "INSERT INTO todos (id, owner, title, done, score, rev) VALUES (6, 'cy', 'f', 0, 0, 1)");
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

Test(model, unsubscribing_frees_the_query)
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
