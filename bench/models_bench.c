/* models_bench.c - live models against their baselines, in process, at the
 * model layer (runtime/src/model: no sockets, no server). Prints one JSON
 * line per case:
 *
 *   list     a filtered, ordered page of 50 rows with its count, from a
 *            table of 100,000 rows. lv: the query's text as a page sends it
 *            parsed and checked (lv__query_parse), the store's list (SQL
 *            written, prepared, run, each row decoded into a JSON object),
 *            the page written as the JSON answer. Baseline: the same SQL,
 *            prepared once, run with its parameters bound, each row read
 *            into a C struct. Both on the same database, alternately.
 *   fanout   one write (a row updated) reaching 1,000 live queries, each a
 *            different query (filters, order, window), of which a known
 *            number hold the written row. lv: lv__watch_poll (the change
 *            read back from the change log, the queries found through the
 *            index by field, each touched window read again, events for
 *            every subscriber). Baseline: after the write, every
 *            subscriber's query run again through the same store and its
 *            result compared with the last one. Measured: from the write's
 *            commit until the last subscriber that must be told is told.
 *
 * usage: models_bench [--quick] [--rows N] [--cases list,fanout] [--told N] [--lv-only]
 *                     STORE
 *   STORE is a SQLite file or a PostgreSQL URI (postgresql://...); the
 *   table "items" is made afresh in it (dropped if it was there). --told N:
 *   only the fanout case that tells N subscribers (1, 10 or 100). --cases
 *   populate: only make and fill the table (for lv_bench --store, the
 *   WebSocket run of bench/models.sh). --lv-only:
 *   fanout without its baseline (its naive figures are then 0), to
 *   profile lv's side alone (bench/profile.sh models). */
#define _GNU_SOURCE
#include <libpq-fe.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/model.h"

static double
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void
die(const char *what, const char *why)
{
	fprintf(stderr, "models_bench: %s: %s\n", what, why);
	exit(1);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* The value at quantile q of n samples (sorted in place). */
static double
quantile(double *v, size_t n, double q)
{
	qsort(v, n, sizeof *v, cmp_double);
	size_t k = (size_t)ceil(q * (double)n);
	return v[k ? k - 1 : 0];
}

static double
mean(const double *v, size_t n)
{
	double s = 0;
	for (size_t i = 0; i < n; i++)
		s += v[i];
	return n ? s / (double)n : 0;
}

/* ---- the table ---------------------------------------------------------------------------- */

/* As model_net.c describes a table to the store: every column may be
 * compared and ordered by. */
static const lv_model_col item_cols[] = {
	{ "id", LV_COL_INT, LV_COL_KEY | LV_COL_FILTER | LV_COL_ORDER },
	{ "team", LV_COL_INT, LV_COL_INDEX | LV_COL_FILTER | LV_COL_ORDER },
	{ "owner", LV_COL_TEXT, LV_COL_INDEX | LV_COL_FILTER | LV_COL_ORDER },
	{ "title", LV_COL_TEXT, LV_COL_FILTER | LV_COL_ORDER },
	{ "done", LV_COL_BOOL, LV_COL_FILTER | LV_COL_ORDER },
	{ "score", LV_COL_INT, LV_COL_FILTER | LV_COL_ORDER },
	{ "rev", LV_COL_INT, LV_COL_VERSION | LV_COL_FILTER | LV_COL_ORDER },
};
static const lv_model_desc items = { "Item", "items", item_cols, 7, 0, 6, 0 };
enum { C_ID, C_TEAM, C_OWNER, C_TITLE, C_DONE, C_SCORE, C_REV };

/* Row i of n (1..n): team i % 100 (n/100 rows each), owner "u<i % 1000>"
 * (n/1000 rows each), done for a third, score 0..999. The last 1,000 rows,
 * one per owner, are its "hot" row: title "hot ...", not done, score
 * 1000 and up, so first in any of the owner's lists ordered by score
 * going down. */
#define OWNERS 1000

static long nrows = 100000;
static bool is_pg;
static bool lv_only;              /* fanout: no naive side (for a profile of lv's) */
static int cache_now;             /* SQLite's page cache as set, MiB (0: its default) */

/* The hot row of owner o: the one of the last 1,000 with i % 1000 == o. */
static long
hot_id(int o)
{
	long base = nrows - OWNERS + 1;
	return base + ((o - base % OWNERS) % OWNERS + OWNERS) % OWNERS;
}

static void
populate(lv_store *s)
{
	char sql[1024];
	if (is_pg)
		snprintf(sql, sizeof sql,
		         "INSERT INTO items (id, team, owner, title, done, score, rev) "
		         "SELECT i, i %% 100, 'u' || (i %% 1000), "
		         "CASE WHEN i > %ld THEN 'hot ' || i ELSE 'item ' || i END, "
		         "i %% 3 = 0 AND i <= %ld, "
		         "CASE WHEN i > %ld THEN 1000 + i %% 1000 ELSE (i * 7919) %% 1000 END, 1 "
		         "FROM generate_series(1, %ld) AS i",
		         nrows - OWNERS, nrows - OWNERS, nrows - OWNERS, nrows);
	else
		snprintf(sql, sizeof sql,
		         "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %ld) "
		         "INSERT INTO items (id, team, owner, title, done, score, rev) "
		         "SELECT i, i %% 100, 'u' || (i %% 1000), "
		         "CASE WHEN i > %ld THEN 'hot ' || i ELSE 'item ' || i END, "
		         "i %% 3 = 0 AND i <= %ld, "
		         "CASE WHEN i > %ld THEN 1000 + i %% 1000 ELSE (i * 7919) %% 1000 END, 1 FROM n",
		         nrows, nrows - OWNERS, nrows - OWNERS, nrows - OWNERS);
	lv_model_err err = { "" };
	if (s->ops->exec(s, sql, &err) != 0)
		die("populate", err.why);
	/* The statistics autovacuum would gather in time, now: without them
	 * PostgreSQL misjudges the change table's read (its one-row
	 * lv_change_meta taken for thousands) and compiles it with JIT on
	 * every batch, 100 ms and more. */
	if (is_pg && s->ops->exec(s, "ANALYZE", &err) != 0)
		die("analyze", err.why);
}

static void
drop_change(void *arg, const lv_change *c)
{
	(void)arg;
	(void)c;
}

/* Reads (and drops) every change so far, so that what follows starts
 * with nothing pending. */
static void
drain(lv_store *s)
{
	lv_model_err err = { "" };
	if (s->ops->changes(s, drop_change, NULL, &err) < 0)
		die("changes", err.why);
}

static void
parse(const char *text, lv_query *q)
{
	json_error_t je;
	json_t *in = json_loads(text, 0, &je);
	lv_model_err err = { "" };
	if (!in)
		die(text, je.text);
	if (lv__query_parse(&items, in, q, &err) != 0)
		die(text, err.why);
	json_decref(in);
}

/* ---- list: lv's list against the same SQL prepared once ---------------------------------- */

typedef struct {
	int64_t id, team, score, rev;
	bool done;
	char owner[16], title[32];
} item;

#define PAGE 50
#define PAGES 3

/* The baseline: one prepared statement per page (the SQL lv writes has
 * the limit and offset in its text), and where each term's value goes. */
typedef struct {
	sqlite3 *db;
	sqlite3_stmt *st[PAGES];
	PGconn *pg;
	int team_at, done_at;         /* parameter numbers, from 1 */
} baseline;

static void
copy_text(char *dst, size_t n, const char *src, size_t len)
{
	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = 0;
}

static void
list_text(char *out, size_t n, int team, int page)
{
	snprintf(out, n, "{\"where\":{\"team\":%d,\"done\":false},\"order\":[\"-score\"],"
	         "\"page\":%d,\"limit\":%d}", team, page, PAGE);
}

/* The SQL lv's store writes for this query, as sqlite.c and pg.c write it. */
static char *
list_sql(const lv_query *q)
{
	json_t *params = json_array();
	lv_buf where, b;
	lv_buf_init(&where);
	lv_buf_init(&b);
	int n = 1;
	lv__query_sql_where(&items, q, is_pg, &n, &where, params);
	lv_buf_puts(&b, "SELECT ");
	for (size_t i = 0; i < items.ncols; i++) {
		if (i)
			lv_buf_puts(&b, ", ");
		if (is_pg)
			lv__sql_ident(&b, items.cols[i].name);
		else
			lv_buf_puts(&b, items.cols[i].name);
	}
	lv_buf_puts(&b, ", count(*) OVER () FROM ");
	if (is_pg)
		lv__sql_ident(&b, items.table);
	else
		lv_buf_puts(&b, items.table);
	lv_buf_append(&b, where.data, where.len);
	lv__query_sql_order(&items, q, &b);
	char lim[64];
	snprintf(lim, sizeof lim, " LIMIT %u OFFSET %llu", (unsigned)q->limit,
	         (unsigned long long)(q->page - 1) * q->limit);
	lv_buf_puts(&b, lim);
	lv_buf_append(&b, "", 1);
	lv_buf_free(&where);
	json_decref(params);
	return b.data;
}

static void
baseline_open(baseline *bl, const char *where, const char *pragma)
{
	memset(bl, 0, sizeof *bl);
	for (int p = 0; p < PAGES; p++) {
		char text[256];
		lv_query q;
		list_text(text, sizeof text, 0, p + 1);
		parse(text, &q);
		for (size_t k = 0; k < q.nterms; k++) {
			if (q.terms[k].col == C_TEAM)
				bl->team_at = (int)k + 1;
			if (q.terms[k].col == C_DONE)
				bl->done_at = (int)k + 1;
		}
		char *sql = list_sql(&q);
		lv__query_free(&q);
		if (is_pg) {
			if (!bl->pg) {
				bl->pg = PQconnectdb(where);
				if (PQstatus(bl->pg) != CONNECTION_OK)
					die("baseline connect", PQerrorMessage(bl->pg));
				/* A backend just started ran these queries about 2x
				 * slower here until it had done one large sort (the
				 * store's filled the table): so this one does one first,
				 * as a connection in use for a while has. */
				PGresult *w = PQexec(bl->pg, "SELECT count(*) FROM (SELECT * FROM items "
				                             "ORDER BY title, id) s");
				if (PQresultStatus(w) != PGRES_TUPLES_OK)
					die("baseline warm-up", PQresultErrorMessage(w));
				PQclear(w);
			}
			char name[8];
			snprintf(name, sizeof name, "p%d", p);
			PGresult *r = PQprepare(bl->pg, name, sql, 2, NULL);
			if (PQresultStatus(r) != PGRES_COMMAND_OK)
				die(sql, PQresultErrorMessage(r));
			PQclear(r);
		} else {
			if (!bl->db) {
				if (sqlite3_open_v2(where, &bl->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
					die("baseline open", sqlite3_errmsg(bl->db));
				if (pragma && sqlite3_exec(bl->db, pragma, NULL, NULL, NULL) != SQLITE_OK)
					die(pragma, sqlite3_errmsg(bl->db));
			}
			if (sqlite3_prepare_v2(bl->db, sql, -1, &bl->st[p], NULL) != SQLITE_OK)
				die(sql, sqlite3_errmsg(bl->db));
		}
		free(sql);
	}
}

static void
baseline_close(baseline *bl)
{
	for (int p = 0; p < PAGES; p++)
		sqlite3_finalize(bl->st[p]);
	if (bl->db)
		sqlite3_close(bl->db);
	if (bl->pg)
		PQfinish(bl->pg);
}

/* One query through the baseline: rows into out, the count into *count. */
static int
baseline_query(baseline *bl, int team, int page, item *out, int64_t *count)
{
	int n = 0;
	*count = 0;
	if (bl->pg) {
		char t[16], name[8];
		const char *vals[2];
		snprintf(t, sizeof t, "%d", team);
		vals[bl->team_at - 1] = t;
		vals[bl->done_at - 1] = "false";
		snprintf(name, sizeof name, "p%d", page - 1);
		PGresult *r = PQexecPrepared(bl->pg, name, 2, vals, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_TUPLES_OK)
			die("baseline query", PQresultErrorMessage(r));
		for (int k = 0; k < PQntuples(r) && n < PAGE; k++, n++) {
			item *it = &out[n];
			it->id = strtoll(PQgetvalue(r, k, C_ID), NULL, 10);
			it->team = strtoll(PQgetvalue(r, k, C_TEAM), NULL, 10);
			copy_text(it->owner, sizeof it->owner, PQgetvalue(r, k, C_OWNER),
			          (size_t)PQgetlength(r, k, C_OWNER));
			copy_text(it->title, sizeof it->title, PQgetvalue(r, k, C_TITLE),
			          (size_t)PQgetlength(r, k, C_TITLE));
			it->done = PQgetvalue(r, k, C_DONE)[0] == 't';
			it->score = strtoll(PQgetvalue(r, k, C_SCORE), NULL, 10);
			it->rev = strtoll(PQgetvalue(r, k, C_REV), NULL, 10);
			*count = strtoll(PQgetvalue(r, k, 7), NULL, 10);
		}
		PQclear(r);
		return n;
	}
	sqlite3_stmt *st = bl->st[page - 1];
	sqlite3_bind_int64(st, bl->team_at, team);
	sqlite3_bind_int(st, bl->done_at, 0);
	while (n < PAGE && sqlite3_step(st) == SQLITE_ROW) {
		item *it = &out[n++];
		it->id = sqlite3_column_int64(st, C_ID);
		it->team = sqlite3_column_int64(st, C_TEAM);
		copy_text(it->owner, sizeof it->owner, (const char *)sqlite3_column_text(st, C_OWNER),
		          (size_t)sqlite3_column_bytes(st, C_OWNER));
		copy_text(it->title, sizeof it->title, (const char *)sqlite3_column_text(st, C_TITLE),
		          (size_t)sqlite3_column_bytes(st, C_TITLE));
		it->done = sqlite3_column_int(st, C_DONE) != 0;
		it->score = sqlite3_column_int64(st, C_SCORE);
		it->rev = sqlite3_column_int64(st, C_REV);
		*count = sqlite3_column_int64(st, 7);
	}
	sqlite3_reset(st);
	return n;
}

typedef struct {
	double parse, list, json;
	size_t bytes;
} lv_phases;

/* One query as lv serves it: the page's text to the answer's text. */
static json_t *
lv_query_once(lv_store *s, const char *text, lv_phases *ph, bool keep)
{
	double t0 = now_us();
	lv_query q;
	parse(text, &q);
	double t1 = now_us();
	lv_page p;
	lv_model_err err = { "" };
	if (s->ops->list(s, &items, &q, &p, &err) != 0)
		die("list", err.why);
	double t2 = now_us();
	json_t *ans = json_pack("{s:I, s:I, s:I, s:o}", "page", (json_int_t)q.page, "limit",
	                        (json_int_t)q.limit, "count", (json_int_t)p.count, "rows", p.rows);
	char *out = json_dumps(ans, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
	size_t bytes = out ? strlen(out) : 0;
	free(out);
	lv__query_free(&q);
	double t3 = now_us();
	ph->parse += t1 - t0;
	ph->list += t2 - t1;
	ph->json += t3 - t2;
	ph->bytes = bytes;
	if (keep)
		return ans;
	json_decref(ans);
	return NULL;
}

/* The same rows and count from both, or the run stops. */
static void
list_check(lv_store *s, baseline *bl)
{
	for (int i = 0; i < 30; i++) {
		int team = (i * 37) % 100, page = 1 + i % PAGES;
		char text[256];
		list_text(text, sizeof text, team, page);
		lv_phases ph = { 0 };
		json_t *ans = lv_query_once(s, text, &ph, true);
		item rows[PAGE];
		int64_t count;
		int n = baseline_query(bl, team, page, rows, &count);
		json_t *got = json_object_get(ans, "rows");
		bool same = (size_t)n == json_array_size(got) &&
		            count == json_integer_value(json_object_get(ans, "count")) && n == PAGE;
		for (int k = 0; same && k < n; k++) {
			json_t *r = json_array_get(got, (size_t)k);
			same = rows[k].id == json_integer_value(json_object_get(r, "id")) &&
			       rows[k].score == json_integer_value(json_object_get(r, "score")) &&
			       strcmp(rows[k].title, json_string_value(json_object_get(r, "title"))) == 0;
		}
		json_decref(ans);
		if (!same)
			die("list", "lv's page and the baseline's differ");
	}
}

/* cache_mib 0: SQLite's page cache as lv's store leaves it (the default,
 * 2 MiB); else that many MiB on both connections (PRAGMA cache_size,
 * through the store's exec), so that the table stays in it. */
static void
list_case(lv_store *s, const char *where, int queries, int cache_mib)
{
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA cache_size = -%d", cache_mib * 1024);
	lv_model_err err = { "" };
	if (cache_mib && s->ops->exec(s, pragma, &err) != 0)
		die(pragma, err.why);
	if (cache_mib)
		cache_now = cache_mib;
	baseline bl;
	baseline_open(&bl, where, cache_mib ? pragma : NULL);
	list_check(s, &bl);
	double *tl = calloc((size_t)queries, sizeof *tl), *tb = calloc((size_t)queries, sizeof *tb);
	lv_phases ph = { 0 };
	int64_t count = 0;
	item rows[PAGE];
	/* Warm both up, then alternate which of the two goes first. */
	for (int i = 0; i < queries / 10 + 10; i++) {
		char text[256];
		list_text(text, sizeof text, i % 100, 1);
		lv_phases w = { 0 };
		lv_query_once(s, text, &w, false);
		baseline_query(&bl, i % 100, 1, rows, &count);
	}
	for (int i = 0; i < queries; i++) {
		int team = (i * 37) % 100, page = 1 + i % PAGES;
		char text[256];
		list_text(text, sizeof text, team, page);
		for (int turn = 0; turn < 2; turn++) {
			if ((turn == 0) == (i % 2 == 0)) {
				double t0 = now_us();
				lv_query_once(s, text, &ph, false);
				tl[i] = now_us() - t0;
			} else {
				double t0 = now_us();
				baseline_query(&bl, team, page, rows, &count);
				tb[i] = now_us() - t0;
			}
		}
	}
	double ml = mean(tl, (size_t)queries), mb = mean(tb, (size_t)queries);
	printf("{\"case\":\"list\",\"store\":\"%s\",\"cache_mib\":%d,\"rows\":%ld,\"queries\":%d,\"page\":%d,"
	       "\"count\":%lld,\"answer_bytes\":%zu,"
	       "\"lv_p50_us\":%.2f,\"lv_p99_us\":%.2f,\"lv_qps\":%.0f,"
	       "\"base_p50_us\":%.2f,\"base_p99_us\":%.2f,\"base_qps\":%.0f,"
	       "\"lv_parse_us\":%.2f,\"lv_list_us\":%.2f,\"lv_json_us\":%.2f}\n",
	       s->ops->name, cache_mib, nrows, queries, PAGE, (long long)count, ph.bytes,
	       quantile(tl, (size_t)queries, 0.5), quantile(tl, (size_t)queries, 0.99), 1e6 / ml,
	       quantile(tb, (size_t)queries, 0.5), quantile(tb, (size_t)queries, 0.99), 1e6 / mb,
	       ph.parse / queries, ph.list / queries, ph.json / queries);
	fflush(stdout);
	free(tl);
	free(tb);
	baseline_close(&bl);
}

/* ---- fanout: lv's watch against re-running every query ------------------------------------- */

/* The store's list and changes, timed: what of lv's poll is the store's. */
static const lv_store_ops *real_ops;
static lv_store_ops timed_ops;
static double store_us, changes_us;
static int store_lists;

static int
timed_list(lv_store *s, const lv_model_desc *m, const lv_query *q, lv_page *out, lv_model_err *err)
{
	double t0 = now_us();
	int rc = real_ops->list(s, m, q, out, err);
	store_us += now_us() - t0;
	store_lists++;
	return rc;
}

typedef struct {
	void (*each)(void *arg, const lv_change *c);
	void *arg;
	double us;
} timed_each;

static void
timed_one(void *arg, const lv_change *c)
{
	timed_each *t = arg;
	double t0 = now_us();
	t->each(t->arg, c);
	t->us += now_us() - t0;
}

static int
timed_changes(lv_store *s, void (*each)(void *arg, const lv_change *c), void *arg,
              lv_model_err *err)
{
	/* The watch's callback runs inside: it is not the store's time. */
	timed_each t = { each, arg, 0 };
	double t0 = now_us();
	int rc = real_ops->changes(s, timed_one, &t, err);
	store_us += now_us() - t0 - t.us;
	changes_us += now_us() - t0 - t.us;
	return rc;
}

#define SUBS 1000

/* One subscriber, as both sides keep it. */
typedef struct {
	int group;
	unsigned round;               /* the last round it was told in (lv) */
	lv_query q;                   /* the naive side's query */
	json_t *rows;                 /* ... and the result it was last told */
	int64_t count;
} sub;

static sub subs[SUBS];
static unsigned cur_round;
static int told;
static double t_last;

static void
lv_sink(void *arg, lv_watcher *w, const lv_event *ev)
{
	(void)w;
	(void)ev;
	sub *x = arg;
	if (x->round == cur_round)
		return;
	x->round = cur_round;
	told++;
	t_last = now_us();
}

/* Subscriber j of a group of owner o: the owner's rows, with another
 * filter or none, ordered by score going down (then by another field or
 * the key), in a window of 5 + j rows; the last one of a group of more
 * than one has no window. Each is a different query, and the owner's hot row is first in
 * all of them. */
static void
sub_text(char *out, size_t n, int o, int j, bool last)
{
	static const char *const extra[] = { "", ",\"done\":false", ",\"score\":{\"ge\":%d}",
		                                 ",\"title\":{\"contains\":\"hot\"}" };
	static const char *const order[] = { "\"-score\"", "\"-score\",\"title\"", "\"-score\",\"-id\"" };
	char x[64], lim[32] = "";
	snprintf(x, sizeof x, extra[j % 4], j % 500);
	if (!last)
		snprintf(lim, sizeof lim, ",\"limit\":%d", 5 + j);
	snprintf(out, n, "{\"where\":{\"owner\":\"u%d\"%s},\"order\":[%s]%s}", o, x, order[j % 3], lim);
}

/* What the naive side tells one subscriber: nothing when its result and
 * count are what it had, else how many events, key by key (what left,
 * what entered or moved or changed), as watch.c would tell them. */
static int
naive_diff(const json_t *from, const json_t *to, int64_t was, int64_t count)
{
	if (was == count && json_equal((json_t *)from, (json_t *)to))
		return 0;
	int events = 0;
	size_t i, j;
	json_t *a, *b;
	json_array_foreach(from, i, a) {
		bool kept = false;
		json_array_foreach(to, j, b)
			if (json_equal(json_object_get(a, "id"), json_object_get(b, "id")))
				kept = true;
		events += !kept;
	}
	json_array_foreach(to, j, b) {
		bool same = false, found = false;
		json_array_foreach(from, i, a)
			if (json_equal(json_object_get(a, "id"), json_object_get(b, "id"))) {
				found = true;
				same = i == j && json_equal(a, b);
			}
		events += !found || !same;
	}
	return events ? events : 1;   /* or the count alone */
}

/* Runs sub i's query again; true when it has something to be told. */
static bool
naive_one(lv_store *s, sub *x)
{
	lv_page p;
	lv_model_err err = { "" };
	if (s->ops->list(s, &items, &x->q, &p, &err) != 0)
		die("list", err.why);
	bool tell = naive_diff(x->rows, p.rows, x->count, p.count) > 0;
	json_decref(x->rows);
	x->rows = p.rows;
	x->count = p.count;
	return tell;
}

static json_t *hot[OWNERS];

/* Updates the hot row of owner o: a new score on top of every other, a
 * new title. Returns when it is committed. */
static void
write_hot(lv_store *s, int o, int r)
{
	json_t *row = json_copy(hot[o]);
	char title[48];
	snprintf(title, sizeof title, "hot %d %d", o, r);
	json_object_set_new(row, "title", json_string(title));
	json_object_set_new(row, "score", json_integer(2000 + r));
	json_t *out = NULL;
	lv_model_err err = { "" };
	if (lv__store_update(s, &items, row, &out, &err) != 0)
		die("update", err.why);
	json_decref(row);
	json_decref(hot[o]);
	hot[o] = out;
}

static void
fanout_case(lv_store *s, int groups, int writes)
{
	int per = SUBS / groups;
	lv_model_err err = { "" };
	for (int o = 0; o < groups; o++) {
		json_t *key = json_integer(hot_id(o));
		if (lv__store_get(s, &items, key, &hot[o], &err) != 0)
			die("get", err.why);
		json_decref(key);
	}
	drain(s);
	real_ops = s->ops;
	timed_ops = *s->ops;
	timed_ops.list = timed_list;
	timed_ops.changes = timed_changes;
	s->ops = &timed_ops;
	lv_watch *w = lv__watch_new(s);
	lv_watcher **ws = calloc(SUBS, sizeof *ws);
	for (int i = 0; i < SUBS; i++) {
		sub *x = &subs[i];
		int j = i / groups;
		char text[256];
		memset(x, 0, sizeof *x);
		x->group = i % groups;
		sub_text(text, sizeof text, x->group, j, per > 1 && j == per - 1);
		lv_query q;
		parse(text, &q);
		lv_page first;
		if (!(ws[i] = lv__watch_add(w, &items, &q, lv_sink, NULL, x, &first, &err)))
			die("watch", err.why);
		json_decref(first.rows);
		parse(text, &x->q);
		x->rows = json_array();
		naive_one(s, x);
	}
	if (lv__watch_queries(w) != SUBS)
		die("fanout", "the subscribers' queries are not all different");
	double *tl = calloc((size_t)writes, sizeof *tl), *tn = calloc((size_t)writes, sizeof *tn);
	double *dl = calloc((size_t)writes, sizeof *dl), *dn = calloc((size_t)writes, sizeof *dn);
	double *sl = calloc((size_t)writes, sizeof *sl), *cl = calloc((size_t)writes, sizeof *cl);
	double *wt = calloc(2 * (size_t)writes, sizeof *wt);
	int lists = 0;
	int write = 0;
	for (int r = 0; r < writes; r++) {
		for (int turn = 0; turn < 2; turn++) {
			int o = (write * 7 + 3) % groups;
			bool lv_turn = lv_only || (turn == 0) == (r % 2 == 0);
			cur_round++;
			told = 0;
			double tw = now_us();
			write_hot(s, o, write);
			double t0 = now_us();
			wt[write++] = t0 - tw;
			if (lv_turn) {
				store_us = 0;
				changes_us = 0;
				store_lists = 0;
				if (lv__watch_poll(w, &err) < 0)
					die("poll", err.why);
				dl[r] = now_us() - t0;
				sl[r] = store_us;
				cl[r] = changes_us;
				lists = store_lists;
				tl[r] = t_last - t0;
				if (told != per)
					die("fanout", "lv told another number of subscribers than hold the row");
				/* The naive side catches up, untimed. */
				for (int i = 0; i < SUBS && !lv_only; i++)
					if (subs[i].group == o)
						naive_one(s, &subs[i]);
			} else {
				int n = 0;
				for (int i = 0; i < SUBS; i++)
					if (naive_one(s, &subs[i])) {
						n++;
						t_last = now_us();
					}
				dn[r] = now_us() - t0;
				tn[r] = t_last - t0;
				if (n != per)
					die("fanout", "the naive side told another number of subscribers");
				/* lv catches up, untimed. */
				told = 0;
				if (lv__watch_poll(w, &err) < 0)
					die("poll", err.why);
				if (told != per)
					die("fanout", "lv told another number of subscribers than hold the row");
			}
		}
	}
	size_t n = (size_t)writes;
	printf("{\"case\":\"fanout\",\"store\":\"%s\",\"cache_mib\":%d,\"rows\":%ld,\"subs\":%d,\"told\":%d,"
	       "\"writes\":%d,\"lv_p50_us\":%.1f,\"lv_p99_us\":%.1f,\"lv_poll_p50_us\":%.1f,"
	       "\"lv_store_p50_us\":%.1f,\"lv_changes_p50_us\":%.1f,\"lv_lists\":%d,"
	       "\"naive_p50_us\":%.1f,\"naive_p99_us\":%.1f,\"naive_pass_p50_us\":%.1f,"
	       "\"write_p50_us\":%.1f}\n",
	       real_ops->name, cache_now, nrows, SUBS, per, writes, quantile(tl, n, 0.5), quantile(tl, n, 0.99),
	       quantile(dl, n, 0.5), quantile(sl, n, 0.5), quantile(cl, n, 0.5), lists, quantile(tn, n, 0.5), quantile(tn, n, 0.99),
	       quantile(dn, n, 0.5), quantile(wt, (size_t)write, 0.5));
	fflush(stdout);
	for (int i = 0; i < SUBS; i++) {
		lv__watch_remove(w, ws[i]);
		lv__query_free(&subs[i].q);
		json_decref(subs[i].rows);
	}
	lv__watch_free(w);
	for (int o = 0; o < groups; o++) {
		json_decref(hot[o]);
		hot[o] = NULL;
	}
	free(ws);
	free(tl);
	free(tn);
	free(dl);
	free(dn);
	free(sl);
	free(cl);
	free(wt);
	s->ops = real_ops;
}

int
main(int argc, char **argv)
{
	bool quick = false;
	int only_told = 0;
	const char *cases = "list,fanout", *where = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0)
			quick = true;
		else if (strcmp(argv[i], "--told") == 0 && i + 1 < argc)
			only_told = atoi(argv[++i]);
		else if (strcmp(argv[i], "--lv-only") == 0)
			lv_only = true;
		else if (strcmp(argv[i], "--rows") == 0 && i + 1 < argc)
			nrows = atol(argv[++i]);
		else if (strcmp(argv[i], "--cases") == 0 && i + 1 < argc)
			cases = argv[++i];
		else if (argv[i][0] != '-' && !where)
			where = argv[i];
		else {
			fprintf(stderr, "usage: models_bench [--quick] [--rows N] [--cases list,fanout] "
			                "[--told N] [--lv-only] SQLITE_FILE|postgresql://...\n");
			return 2;
		}
	}
	if (!where || nrows < 10 * OWNERS)
		die("usage", "a store, and at least 10,000 rows");
	is_pg = strncmp(where, "postgres", 8) == 0;
	lv_model_err err = { "" };
	lv_store *s = lv__store_open(where, &err);
	if (!s)
		die(where, err.why);
	/* Made afresh, as the table of this run. */
	if (s->ops->exec(s, "DROP TABLE IF EXISTS items", &err) != 0)
		die("drop", err.why);
	if (s->ops->attach(s, &items, &err) != 0)
		die("attach", err.why);
	populate(s);
	drain(s);
	if (strstr(cases, "list"))
		list_case(s, where, quick ? 300 : 3000, 0);
	if (strstr(cases, "fanout")) {
		/* Writes per case: each costs the baseline 1,000 queries. */
		static const struct { int groups, sqlite, pg, quick; } f[] = {
			{ 1000, 200, 40, 10 }, { 100, 100, 30, 10 }, { 10, 30, 10, 4 },
		};
		for (size_t i = 0; i < sizeof f / sizeof *f; i++)
			if (!only_told || only_told == SUBS / f[i].groups)
				fanout_case(s, f[i].groups, quick ? f[i].quick : is_pg ? f[i].pg : f[i].sqlite);
	}
	/* Last: the store's connection keeps the larger cache; the fanout
	 * that tells 10 again with it. */
	if (strstr(cases, "list") && !is_pg)
		list_case(s, where, quick ? 300 : 3000, 64);
	if (strstr(cases, "fanout") && strstr(cases, "list") && !is_pg && (!only_told || only_told == 10))
		fanout_case(s, 100, quick ? 10 : 100);
	s->ops->close(s);
	return 0;
}
