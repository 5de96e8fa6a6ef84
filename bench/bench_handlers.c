/* bench_handlers.c - the server side of bench.lv, for the runtime
 * benchmark: each handler does the least its endpoint describes, so what
 * is measured is the runtime around it. */
#include "bench.lv.h"

/* Messages received through note, for anyone who looks with a debugger. */
static int64_t notes;

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
 * Pushes tick(n) to every member of "subs", then answers.
 */
lv_status
bench_fanout(lv_call *call, int64_t n)
{
	int rc = bench_tick_group(lv_call_server(call), "subs", n);
	return rc ? lv_call_fail(call, rc, "tick: %s", lv_strerror(rc)) : LV_OK;
}
/* lvc:end fanout */

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
