/* chaos_handlers.c - the server side of chaos.lv: yours to edit.
 *
 * lvc made this file once and merges it when chaos.lv changes: new
 * endpoints get new functions at the end, changed ones get their new
 * signature, and the code between the braces is never touched. Keep the
 * "lvc:begin" and "lvc:end" lines; write anything you like around them.
 *
 * Arguments are borrowed until the handler returns. Fill *out with memory
 * that outlives the call: static data, or lv_call_alloc(call, size). */
/* These handlers serve the chaos tests (tests/chaos/): they record every
 * `up` message and `count` call that arrives, in order, so that repeats
 * and gaps show in report(), and push `down` messages to the caller from
 * a thread while the page goes on sending. The counters are touched on
 * the loop only, but for the pusher's, which are atomic. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chaos.lv.h"
#include "chaos_test.h"

static chaos_Report seen;                 /* loop thread only */
static atomic_llong downs_pushed, down_failures;
static atomic_bool downs_done;
static atomic_int generation;             /* bumped by reset: pushers stop */
static atomic_int threads_running;
static atomic_bool stopping;

int
chaos_test_threads_running(void)
{
	return atomic_load(&threads_running);
}

void
chaos_test_stop(void)
{
	atomic_store(&stopping, true);
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

static int
spawn(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	atomic_fetch_add(&threads_running, 1);
	int rc = pthread_create(&t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		atomic_fetch_sub(&threads_running, 1);
		return -1;
	}
	return 0;
}

/* The number expected after n arrives when `next` was: a repeat (below
 * next) or a gap (above it) is counted. */
static int64_t
next_of(int64_t n, int64_t next, int64_t *dups, int64_t *gaps)
{
	if (n < next) {
		(*dups)++;
		return next;
	}
	if (n > next)
		(*gaps)++;
	return n + 1;
}

typedef struct {
	lv_call *call;
	int64_t n, ms;
} deferred;

static void *
answer_later(void *arg)
{
	deferred *d = arg;
	sleep_ms(d->ms);
	chaos_count_reply(d->call, d->n * 3 + 1);
	free(d);
	atomic_fetch_sub(&threads_running, 1);
	return NULL;
}

typedef struct {
	lv_conn *conn;
	int64_t total, chunk, every_ms;
	int generation;
} pusher;

static void *
push_down(void *arg)
{
	pusher *p = arg;
	for (int64_t n = 0; n < p->total; ) {
		for (int64_t k = 0; k < p->chunk && n < p->total; k++, n++) {
			if (atomic_load(&generation) != p->generation || atomic_load(&stopping))
				goto out;
			if (chaos_down_to(p->conn, n) == 0)
				atomic_fetch_add(&downs_pushed, 1);
			else
				atomic_fetch_add(&down_failures, 1);
		}
		if (p->every_ms)
			sleep_ms(p->every_ms);
	}
	if (atomic_load(&generation) == p->generation)
		atomic_store(&downs_done, true);
out:
	lv_conn_unref(p->conn);
	free(p);
	atomic_fetch_sub(&threads_running, 1);
	return NULL;
}

/* lvc:begin count */
/*
 * Numbered calls, 0, 1, 2, ...: answers n * 3 + 1, at once or from
 * another thread after `defer_ms`.
 */
lv_status
chaos_count(lv_call *call, int64_t n, int64_t defer_ms, int64_t *out)
{
	seen.counts++;
	seen.count_next = next_of(n, seen.count_next, &seen.count_dups, &seen.count_gaps);
	if (defer_ms <= 0) {
		*out = n * 3 + 1;
		return 0;
	}
	deferred *d = malloc(sizeof *d);
	if (!d)
		return LV_ENOMEM;
	d->call = call;
	d->n = n;
	d->ms = defer_ms;
	lv_call_defer(call);
	if (spawn(answer_later, d) != 0) {
		free(d);
		return lv_call_fail(call, LV_EINTERNAL, "no thread for the deferred answer");
	}
	return LV_DEFERRED;
}
/* lvc:end count */

/* lvc:begin limited */
/*
 * A rate limit: three a second per connection.
 */
lv_status
chaos_limited(lv_call *call, int64_t *out)
{
	(void)call;
	*out = ++seen.limited_runs;
	return 0;
}
/* lvc:end limited */

/* lvc:begin report */
/*
 * What was seen.
 */
lv_status
chaos_report(lv_call *call, chaos_Report *out)
{
	(void)call;
	*out = seen;
	out->downs_pushed = atomic_load(&downs_pushed);
	out->down_failures = atomic_load(&down_failures);
	out->downs_done = atomic_load(&downs_done);
	return 0;
}
/* lvc:end report */

/* lvc:begin reset */
/*
 * Forgets what was seen (and stops a pusher still running).
 */
lv_status
chaos_reset(lv_call *call)
{
	(void)call;
	memset(&seen, 0, sizeof seen);
	atomic_fetch_add(&generation, 1);   /* a pusher still running stops */
	atomic_store(&downs_pushed, 0);
	atomic_store(&down_failures, 0);
	atomic_store(&downs_done, false);
	return 0;
}
/* lvc:end reset */

/* lvc:begin start_down */
/*
 * Pushes down(0) .. down(total - 1) to the caller from a thread, `chunk`
 * at a time every `every_ms` milliseconds.
 */
lv_status
chaos_start_down(lv_call *call, int64_t total, int64_t chunk, int64_t every_ms)
{
	if (total < 0 || chunk < 1 || every_ms < 0)
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "total >= 0, chunk >= 1, every_ms >= 0");
	pusher *p = malloc(sizeof *p);
	if (!p)
		return LV_ENOMEM;
	p->conn = lv_conn_ref(lv_call_conn(call));
	p->total = total;
	p->chunk = chunk;
	p->every_ms = every_ms;
	p->generation = atomic_load(&generation);
	atomic_store(&downs_done, false);
	if (spawn(push_down, p) != 0) {
		lv_conn_unref(p->conn);
		free(p);
		return lv_call_fail(call, LV_EINTERNAL, "no thread for the pusher");
	}
	return 0;
}
/* lvc:end start_down */

/* lvc:begin up */
/*
 * Numbered `up` messages from the page, 0, 1, 2, ...
 */
lv_status
chaos_up(lv_call *call, int64_t n)
{
	(void)call;
	seen.ups++;
	seen.up_next = next_of(n, seen.up_next, &seen.up_dups, &seen.up_gaps);
	return 0;
}
/* lvc:end up */

/* lvc:begin limited_http */
/*
 * The same limit on an endpoint also served over HTTP.
 */
lv_status
chaos_limited_http(lv_call *call, int64_t *out)
{
	static int64_t runs;   /* loop thread only */
	(void)call;
	*out = ++runs;
	return 0;
}
/* lvc:end limited_http */

/* lvc:begin measure */
/*
 * Answers with the length of `text` plus the number of `items`; also
 * over HTTP (for the decoder's limits and bad input).
 */
lv_status
chaos_measure(lv_call *call, lv_str text, lv_int_list items, int64_t *out)
{
	(void)call;
	*out = (int64_t)text.len + (int64_t)items.n;
	return 0;
}
/* lvc:end measure */
