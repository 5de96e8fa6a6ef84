/* watch.c - live queries: subscriptions grouped by equal query, found from
 * a change through the field they filter on, each query's result computed
 * once per batch of changes and turned into insert, update, delete and
 * move events for every subscriber (through its row predicate). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

typedef struct wquery wquery;

struct lv_watcher {
	lv_watcher *prev, *next;       /* the query's subscribers */
	wquery *q;
	lv_watch_sink sink;
	lv_watch_allow allow;
	void *arg;
};

/* One distinct query and everyone subscribed to it. */
struct wquery {
	lv_hnode node;                 /* in watch->queries, by key */
	char *key;                     /* lv__query_key with the page */
	char *ikey;                    /* its entry in the index, or NULL: scanned */
	const lv_model_desc *m;
	lv_query q;
	lv_watcher *subs;
	json_t *rows;                  /* the result the subscribers have */
	int64_t count;
	json_t *next_rows;             /* an unlimited query: rows with the batch applied */
	bool touched;
	bool relist;                   /* changes were lost: ask the store again */
	unsigned long stamp;           /* the last change considered */
	wquery *next_touched;
	wquery *scan_prev, *scan_next; /* not indexed: every change is tried */
};

/* The queries that compare one field with one value for equality. */
typedef struct {
	lv_hnode node;
	char *key;                     /* "table\ncolumn\nvalue" */
	wquery **qs;
	size_t n, cap;
} ientry;

struct lv_watch {
	lv_store *s;
	lv_htab queries;
	size_t nqueries;
	lv_htab index;
	wquery *scan;
	wquery *touched;
	unsigned long stamp;           /* changes read so far */
	bool lost;                     /* the store said LV_CH_LOST this batch */
};

lv_watch *
lv__watch_new(lv_store *s)
{
	lv_watch *w = calloc(1, sizeof *w);
	if (w)
		w->s = s;
	return w;
}

static bool
query_eq(const lv_hnode *n, const void *key)
{
	return strcmp(((const wquery *)n)->key, key) == 0;
}

static bool
ientry_eq(const lv_hnode *n, const void *key)
{
	return strcmp(((const ientry *)n)->key, key) == 0;
}

/* The entry of one column and one value. A float column's value is
 * keyed by the number, however it was written: a page's query says 2
 * (an integer in JSON) where the row says 2.0, and both are one entry. */
static char *
index_key(const lv_model_desc *m, size_t col, const json_t *v)
{
	char *j;
	if (m->cols[col].type == LV_COL_FLOAT && json_is_number(v)) {
		double d = json_number_value(v);
		char num[40];
		snprintf(num, sizeof num, "%.17g", d == 0 ? 0.0 : d);   /* -0 is 0 */
		j = strdup(num);
	} else {
		j = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	}
	if (!j)
		return NULL;
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, m->table);
	lv_buf_append(&b, "\n", 1);
	lv_buf_puts(&b, m->cols[col].name);
	lv_buf_append(&b, "\n", 1);
	lv_buf_puts(&b, j);
	lv_buf_append(&b, "", 1);
	free(j);
	if (b.failed) {
		lv_buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

static ientry *
index_find(lv_watch *w, const char *key)
{
	return (ientry *)lv__htab_find(&w->index, lv__hash_str(key), ientry_eq, key);
}

/* Files q under its first equality term with a value, or in the scan list. */
static bool
index_add(lv_watch *w, wquery *q)
{
	for (size_t i = 0; i < q->q.nterms; i++) {
		const lv_qterm *t = &q->q.terms[i];
		if (t->op != LV_Q_EQ || json_is_null(t->value))
			continue;
		char *key = index_key(q->m, t->col, t->value);
		if (!key)
			return false;
		ientry *e = index_find(w, key);
		if (!e) {
			e = calloc(1, sizeof *e);
			if (!e || lv__htab_insert(&w->index, &e->node, lv__hash_str(key)) != 0) {
				free(e);
				free(key);
				return false;
			}
			e->key = key;
		}
		if (e->n == e->cap) {
			size_t cap = e->cap ? e->cap * 2 : 4;
			wquery **n = realloc(e->qs, cap * sizeof *n);
			if (!n) {
				if (e->key != key)
					free(key);
				return false;
			}
			e->qs = n;
			e->cap = cap;
		}
		e->qs[e->n++] = q;
		q->ikey = e->key == key ? key : (free(key), e->key);
		return true;
	}
	q->scan_next = w->scan;
	if (w->scan)
		w->scan->scan_prev = q;
	w->scan = q;
	return true;
}

static void
index_remove(lv_watch *w, wquery *q)
{
	if (!q->ikey) {
		LV_UNLINK(&w->scan, q, scan_prev, scan_next);
		return;
	}
	ientry *e = index_find(w, q->ikey);
	if (!e)
		return;
	for (size_t i = 0; i < e->n; i++)
		if (e->qs[i] == q) {
			e->qs[i] = e->qs[--e->n];
			break;
		}
	if (e->n == 0) {
		lv__htab_remove(&w->index, &e->node);
		free(e->key);
		free(e->qs);
		free(e);
	}
}

static void
query_free(lv_watch *w, wquery *q)
{
	index_remove(w, q);
	lv__htab_remove(&w->queries, &q->node);
	w->nqueries--;
	lv__query_free(&q->q);
	json_decref(q->rows);
	json_decref(q->next_rows);
	free(q->key);
	free(q);
}

void
lv__watch_free(lv_watch *w)
{
	if (!w)
		return;
	lv_hnode *n;
	uint32_t b = 0;
	while ((n = lv__htab_next(&w->queries, NULL, &b)) != NULL) {
		wquery *q = (wquery *)n;
		while (q->subs) {
			lv_watcher *x = q->subs;
			q->subs = x->next;
			free(x);
		}
		query_free(w, q);
		b = 0;
	}
	lv__htab_free(&w->queries);
	lv__htab_free(&w->index);
	free(w);
}

size_t
lv__watch_queries(const lv_watch *w)
{
	return w->nqueries;
}

/* The rows of a result this subscriber may see. A new reference. */
static json_t *
visible(const lv_watcher *x, json_t *rows)
{
	if (!x->allow)
		return json_incref(rows);
	json_t *out = json_array();
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		if (x->allow(x->arg, r))
			json_array_append(out, r);
	return out;
}

lv_watcher *
lv__watch_add(lv_watch *w, const lv_model_desc *m, lv_query *q, lv_watch_sink sink,
              lv_watch_allow allow, void *arg, lv_page *first, lv_model_err *err)
{
	first->rows = NULL;
	first->count = 0;
	char *key = lv__query_key(m, q, true);
	lv_watcher *x = calloc(1, sizeof *x);
	if (!key || !x) {
		free(key);
		free(x);
		lv__query_free(q);
		lv__model_fail(err, LV_ENOMEM, "out of memory");
		return NULL;
	}
	wquery *wq = (wquery *)lv__htab_find(&w->queries, lv__hash_str(key), query_eq, key);
	if (wq) {
		free(key);
		lv__query_free(q);
	} else {
		lv_page p;
		int rc = w->s->ops->list(w->s, m, q, &p, err);
		wq = rc == 0 ? calloc(1, sizeof *wq) : NULL;
		if (!wq) {
			if (rc == 0) {
				json_decref(p.rows);
				lv__model_fail(err, LV_ENOMEM, "out of memory");
			}
			free(key);
			free(x);
			lv__query_free(q);
			return NULL;
		}
		wq->key = key;
		wq->m = m;
		wq->q = *q;
		memset(q, 0, sizeof *q);
		wq->rows = p.rows;
		wq->count = p.count;
		if (lv__htab_insert(&w->queries, &wq->node, lv__hash_str(key)) != 0) {
			lv__query_free(&wq->q);
			json_decref(wq->rows);
			free(wq->key);
			free(wq);
			free(x);
			lv__model_fail(err, LV_ENOMEM, "out of memory");
			return NULL;
		}
		w->nqueries++;
		if (!index_add(w, wq)) {
			free(x);
			query_free(w, wq);
			lv__model_fail(err, LV_ENOMEM, "out of memory");
			return NULL;
		}
	}
	x->q = wq;
	x->sink = sink;
	x->allow = allow;
	x->arg = arg;
	x->next = wq->subs;
	if (wq->subs)
		wq->subs->prev = x;
	wq->subs = x;
	first->rows = visible(x, wq->rows);
	first->count = allow && wq->q.limit == 0 ? (int64_t)json_array_size(first->rows) : wq->count;
	return x;
}

void
lv__watch_remove(lv_watch *w, lv_watcher *x)
{
	if (!x)
		return;
	wquery *q = x->q;
	LV_UNLINK(&q->subs, x, prev, next);
	free(x);
	if (!q->subs) {
		if (q->touched) {
			/* Still on the batch's list: left for the batch to free. */
			return;
		}
		query_free(w, q);
	}
}

/* ---- a batch ----------------------------------------------------------------- */

static void
touch(lv_watch *w, wquery *q)
{
	if (q->touched)
		return;
	q->touched = true;
	q->next_touched = w->touched;
	w->touched = q;
}

static bool
same_key(const lv_model_desc *m, const json_t *a, const json_t *b)
{
	return json_equal(lv__row_key(m, a), lv__row_key(m, b));
}

/* An unlimited query keeps its rows itself: the change applied to them. */
static void
apply_unlimited(wquery *q, const lv_change *c)
{
	if (!q->next_rows)
		q->next_rows = json_copy(q->rows);
	json_t *rows = q->next_rows;
	const json_t *gone = c->old ? c->old : c->new;
	size_t i;
	json_t *r;
	json_array_foreach(rows, i, r)
		if (same_key(q->m, r, gone)) {
			json_array_remove(rows, i);
			break;
		}
	if (c->new && lv__query_match(q->m, &q->q, c->new)) {
		size_t lo = 0, hi = json_array_size(rows);
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (lv__query_cmp(q->m, &q->q, json_array_get(rows, mid), c->new) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		json_array_insert(rows, lo, c->new);
	}
}

static void
consider(lv_watch *w, wquery *q, const lv_change *c)
{
	if (q->m != c->model || q->stamp == w->stamp)
		return;
	q->stamp = w->stamp;
	bool was = c->old && lv__query_match(q->m, &q->q, c->old);
	bool is = c->new && lv__query_match(q->m, &q->q, c->new);
	if (!was && !is)
		return;
	touch(w, q);
	if (q->q.limit == 0)
		apply_unlimited(q, c);
}

static void
consider_index(lv_watch *w, const lv_change *c, const json_t *row)
{
	const lv_model_desc *m = c->model;
	for (size_t i = 0; i < m->ncols; i++) {
		json_t *v = json_object_get(row, m->cols[i].name);
		if (!v || json_is_null(v) || !(m->cols[i].flags & LV_COL_FILTER || i == m->key))
			continue;
		char *key = index_key(m, i, v);
		ientry *e = key ? index_find(w, key) : NULL;
		free(key);
		for (size_t j = 0; e && j < e->n; j++)
			consider(w, e->qs[j], c);
	}
}

static void
on_change(void *arg, const lv_change *c)
{
	lv_watch *w = arg;
	w->stamp++;
	if (c->op == LV_CH_LOST) {
		w->lost = true;
		return;
	}
	if (c->old)
		consider_index(w, c, c->old);
	if (c->new)
		consider_index(w, c, c->new);
	for (wquery *q = w->scan; q; q = q->scan_next)
		consider(w, q, c);
}

/* Where the row of that key is in rows at or after `from`, or -1: at
 * `near` and the places next to it first (a batch of a few changes moves
 * most rows of a window by at most one place), then the others in order. */
static ssize_t
find_row(const lv_model_desc *m, json_t *rows, const json_t *row, size_t from, size_t near)
{
	const json_t *key = lv__row_key(m, row);
	size_t n = json_array_size(rows);
	size_t try[3] = { near, near + 1, near - 1 };
	for (int k = 0; k < 3; k++)
		if (try[k] >= from && try[k] < n &&
		    json_equal(lv__row_key(m, json_array_get(rows, try[k])), (json_t *)key))
			return (ssize_t)try[k];
	for (size_t i = from; i < n; i++)
		if (json_equal(lv__row_key(m, json_array_get(rows, i)), (json_t *)key))
			return (ssize_t)i;
	return -1;
}

/* Tells one subscriber how `from` became `to`: first what left, then in
 * to's order what entered, moved or changed, each index where the row is
 * once the events before it are applied. */
static void
diff(const lv_model_desc *m, lv_watcher *x, json_t *from, json_t *to, int64_t was_count,
     int64_t count)
{
	json_t *cur = json_copy(from);
	if (!cur)
		return;
	lv_event ev = { 0 };
	bool told = false;
	for (size_t i = json_array_size(cur); i-- > 0;) {
		json_t *r = json_array_get(cur, i);
		if (find_row(m, to, r, 0, i) < 0) {
			ev = (lv_event){ LV_EV_DELETE, r, (int64_t)i, -1, count };
			told = true;
			x->sink(x->arg, x, &ev);
			json_array_remove(cur, i);
		}
	}
	size_t j;
	json_t *r;
	json_array_foreach(to, j, r) {
		/* cur[0..j) holds to[0..j) by now: the row is at j or after. */
		ssize_t at = find_row(m, cur, r, j, j);
		if (at < 0) {
			json_array_insert(cur, j, r);
			ev = (lv_event){ LV_EV_INSERT, r, (int64_t)j, -1, count };
			told = true;
			x->sink(x->arg, x, &ev);
			continue;
		}
		json_t *was = json_incref(json_array_get(cur, (size_t)at));
		if ((size_t)at != j) {
			json_array_remove(cur, (size_t)at);
			json_array_insert(cur, j, r);
			ev = (lv_event){ LV_EV_MOVE, r, (int64_t)j, (int64_t)at, count };
			told = true;
			x->sink(x->arg, x, &ev);
		}
		if (!json_equal(was, r)) {
			json_array_set(cur, j, r);
			ev = (lv_event){ LV_EV_UPDATE, r, (int64_t)j, -1, count };
			told = true;
			x->sink(x->arg, x, &ev);
		}
		json_decref(was);
	}
	if (!told && count != was_count) {
		ev = (lv_event){ LV_EV_COUNT, NULL, -1, -1, count };
		x->sink(x->arg, x, &ev);
	}
	json_decref(cur);
}

static void
deliver(wquery *q, json_t *to, int64_t count)
{
	for (lv_watcher *x = q->subs, *next; x; x = next) {
		next = x->next;
		if (!x->allow) {
			diff(q->m, x, q->rows, to, q->count, count);
			continue;
		}
		json_t *a = visible(x, q->rows), *b = visible(x, to);
		/* An unlimited query counts what this subscriber sees; a window
		 * counts what matches before the predicate. */
		bool own = q->q.limit == 0;
		if (a && b)
			diff(q->m, x, a, b, own ? (int64_t)json_array_size(a) : q->count,
			     own ? (int64_t)json_array_size(b) : count);
		json_decref(a);
		json_decref(b);
	}
}

int
lv__watch_poll(lv_watch *w, lv_model_err *err)
{
	int n = w->s->ops->changes(w->s, on_change, w, err);
	if (w->lost) {
		/* Some changes are gone: every query is listed again, its
		 * subscribers told the difference. */
		w->lost = false;
		uint32_t bucket = 0;
		for (lv_hnode *h = lv__htab_next(&w->queries, NULL, &bucket); h;
		     h = lv__htab_next(&w->queries, h, &bucket)) {
			wquery *q = (wquery *)h;
			q->relist = true;
			touch(w, q);
		}
	}
	wquery *list = w->touched;
	w->touched = NULL;
	int rc = n < 0 ? n : 0;
	while (list) {
		wquery *q = list;
		list = q->next_touched;
		q->touched = false;
		q->next_touched = NULL;
		if (!q->subs) {
			query_free(w, q);
			continue;
		}
		json_t *to;
		int64_t count;
		if (q->q.limit == 0 && !q->relist) {
			to = q->next_rows;
			q->next_rows = NULL;
			count = (int64_t)json_array_size(to);
		} else {
			json_decref(q->next_rows);
			q->next_rows = NULL;
			lv_page p;
			int lrc = w->s->ops->list(w->s, q->m, &q->q, &p, err);
			if (lrc != 0) {
				/* Tried again on the next batch. */
				touch(w, q);
				rc = lrc;
				continue;
			}
			q->relist = false;
			to = p.rows;
			count = p.count;
		}
		if (!to)
			continue;
		deliver(q, to, count);
		json_decref(q->rows);
		q->rows = to;
		q->count = count;
	}
	return rc ? rc : n;
}
