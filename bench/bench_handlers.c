/* bench_handlers.c - the server side of bench.lv, for the runtime
 * benchmark: each handler does the least its endpoint describes, so what
 * is measured is the runtime around it. */
#include <stdlib.h>
#include <time.h>

#include "bench.lv.h"

/* Messages received through note, for anyone who looks with a debugger. */
static int64_t notes;

/* The pages that joined "board", each held by a reference, for mine_bump. */
static lv_conn **joined;
static size_t njoined, capjoined;

/* The loop thread's CPU time, in ns. */
static int64_t
thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The note each bump writes, the same bytes every time. */
#define NOTE_TEXT "cell 7 of row 12 changed by operator 3: pressure 4.7 bar, in range"

/* lvc:begin board_bump */
/*
 * Sets n (and the note) of the group's board and flushes it, serialised
 * once for every member; answers the server thread's CPU time of that, in ns.
 */
lv_status
bench_board_bump(lv_call *call, int64_t n, int64_t *out)
{
	int64_t t0 = thread_cpu_ns();
	lv_state *st;
	int rc = bench_board_state(lv_call_server(call), "board", &st);
	if (!rc)
		rc = bench_board_set_n(st, n);
	if (!rc)
		rc = bench_board_set_note(st, LV_STR(NOTE_TEXT));
	if (!rc)
		rc = lv_state_flush(st);
	*out = thread_cpu_ns() - t0;
	return rc ? lv_call_fail(call, rc, "board: %s", lv_strerror(rc)) : LV_OK;
}
/* lvc:end board_bump */

/* lvc:begin board_join */
/*
 * Puts the caller in the group "board" and makes its own `mine`: both
 * come to it as snapshots now, not in a measured flush.
 */
lv_status
bench_board_join(lv_call *call)
{
	lv_conn *c = lv_call_conn(call);
	lv_state *st;
	int rc = lv_group_join(c, "board");
	if (!rc)
		rc = bench_board_state(lv_call_server(call), "board", &st);
	if (!rc)
		rc = bench_mine_state(c, &st);
	if (!rc && njoined == capjoined) {
		size_t cap = capjoined ? 2 * capjoined : 1024;
		lv_conn **p = realloc(joined, cap * sizeof *p);
		if (p) {
			joined = p;
			capjoined = cap;
		} else {
			rc = LV_ENOMEM;
		}
	}
	if (!rc)
		joined[njoined++] = lv_conn_ref(c);
	return rc ? lv_call_fail(call, rc, "join: %s", lv_strerror(rc)) : LV_OK;
}
/* lvc:end board_join */

/* lvc:begin echo */
/*
 * A round trip: answers its argument.
 */
lv_status
bench_echo(lv_call *call, int64_t n, int64_t *out)
{
	(void)call;
	*out = n;
	return LV_OK;
}
/* lvc:end echo */

/* lvc:begin fanout */
/*
 * Pushes tick(n) to every member of "subs", then answers the server
 * thread's CPU time of the push, in ns.
 */
lv_status
bench_fanout(lv_call *call, int64_t n, int64_t *out)
{
	int64_t t0 = thread_cpu_ns();
	int rc = bench_tick_group(lv_call_server(call), "subs", n);
	*out = thread_cpu_ns() - t0;
	return rc ? lv_call_fail(call, rc, "tick: %s", lv_strerror(rc)) : LV_OK;
}
/* lvc:end fanout */

/* lvc:begin mine_bump */
/*
 * The same change made to every member's own `mine`, each flushed, so
 * serialised once per page; answers the CPU time of all of it, in ns.
 */
lv_status
bench_mine_bump(lv_call *call, int64_t n, int64_t *out)
{
	int64_t t0 = thread_cpu_ns();
	int rc = 0;
	for (size_t i = 0; i < njoined && !rc; i++) {
		lv_state *st;
		if (bench_mine_state(joined[i], &st) != 0)
			continue;          /* that page has gone */
		rc = bench_mine_set_n(st, n);
		if (!rc)
			rc = bench_mine_set_note(st, LV_STR(NOTE_TEXT));
		if (!rc)
			rc = lv_state_flush(st);
	}
	*out = thread_cpu_ns() - t0;
	return rc ? lv_call_fail(call, rc, "mine: %s", lv_strerror(rc)) : LV_OK;
}
/* lvc:end mine_bump */

/* lvc:begin note */
/*
 * Fire and forget into the server; counted, never answered.
 */
lv_status
bench_note(lv_call *call, int64_t n)
{
	(void)call;
	notes += n > 0;
	return LV_OK;
}
/* lvc:end note */

/* lvc:begin subscribe */
/*
 * Puts the caller in the group "subs".
 */
lv_status
bench_subscribe(lv_call *call)
{
	int rc = lv_group_join(lv_call_conn(call), "subs");
	return rc ? lv_call_fail(call, rc, "join: %s", lv_strerror(rc)) : LV_OK;
}
/* lvc:end subscribe */
