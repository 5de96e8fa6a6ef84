/* counter_handlers.c - the server side of counter.lv: yours to edit.
 *
 * lvc made this file once and merges it when counter.lv changes: new
 * endpoints get new functions at the end, changed ones get their new
 * signature, and the code between the braces is never touched. Keep the
 * "lvc:begin" and "lvc:end" lines; write anything you like around them.
 *
 * Arguments are borrowed until the handler returns. Fill *out with memory
 * that outlives the call: static data, or lv_call_alloc(call, size). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "counter.lv.h"

/* This page's counter, kept with its connection. */
typedef struct {
	int64_t count;
	char title[64];
} state;

static state *
state_of(lv_call *call)
{
	lv_conn *conn = lv_call_conn(call);
	state *st = conn ? lv_conn_data(conn) : NULL;
	if (!st && conn && (st = calloc(1, sizeof *st))) {
		strcpy(st->title, "Counter");
		lv_conn_set_data(conn, st);
	}
	return st;
}

/* Text for HTML: the title is the user's. */
static void
escape(char *out, size_t cap, const char *s)
{
	size_t n = 0;
	for (; *s && n + 7 < cap; s++) {
		const char *e = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '&' ? "&amp;" :
		                *s == '"' ? "&quot;" : NULL;
		if (e) {
			memcpy(out + n, e, strlen(e));
			n += strlen(e);
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
}

/* The page's counter, redrawn: lv.morph keeps the title input's text and
 * caret while the user types in it. */
static lv_status
show(lv_call *call, const state *st)
{
	char title[6 * sizeof st->title], html[1024];
	escape(title, sizeof title, st->title);
	snprintf(html, sizeof html,
	         "<section id=\"counter\">"
	         "<h2 id=\"heading\">%s</h2>"
	         "<p class=\"count\" id=\"count\">%lld</p>"
	         "<label>title <input id=\"title\" name=\"title\" value=\"%s\" "
	         "data-lv-on-input=\"rename\"></label>"
	         "</section>", title, (long long)st->count, title);
	return lv_cmd_morph(call, "counter", html);
}

static void *
slow_work(void *arg)
{
	lv_call *call = arg;
	nanosleep(&(struct timespec){ 1, 0 }, NULL);
	lv_cmd_notify(call, "The slow work is done.", NULL);
	lv_call_reply(call, NULL);
	return NULL;
}

/* lvc:begin closed */
lv_status
counter_closed(lv_call *call)
{
	free(lv_conn_data(lv_call_conn(call)));
	lv_conn_set_data(lv_call_conn(call), NULL);
	return LV_OK;
}
/* lvc:end closed */

/* lvc:begin increment */
/*
 * Adds `by` to this page's count.
 */
lv_status
counter_increment(lv_call *call, int64_t by)
{
	state *st = state_of(call);
	if (!st)
		return LV_ENOMEM;
	if (by < -1000 || by > 1000)
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "steps are -1000 to 1000");
	st->count += by;
	return show(call, st);
}
/* lvc:end increment */

/* lvc:begin opened */
/*
 * A page (re)connected: show it its state.
 */
lv_status
counter_opened(lv_call *call)
{
	state *st = state_of(call);
	return st ? show(call, st) : LV_ENOMEM;
}
/* lvc:end opened */

/* lvc:begin rename */
/*
 * Renames the counter while the user types, after a pause.
 */
lv_status
counter_rename(lv_call *call, lv_str title)
{
	state *st = state_of(call);
	if (!st)
		return LV_ENOMEM;
	if (title.len >= sizeof st->title)
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "a title is at most %zu bytes",
		                    sizeof st->title - 1);
	memcpy(st->title, title.ptr, title.len);
	st->title[title.len] = '\0';
	return show(call, st);
}
/* lvc:end rename */

/* lvc:begin reset */
/*
 * Back to zero, once the user confirms.
 */
lv_status
counter_reset(lv_call *call)
{
	state *st = state_of(call);
	if (!st)
		return LV_ENOMEM;
	st->count = 0;
	lv_cmd_notify(call, "The count is back to zero.", &(lv_notify_opts){ .group = "reset" });
	return show(call, st);
}
/* lvc:end reset */

/* lvc:begin slow */
/*
 * Takes a second, and blocks the count buttons meanwhile.
 */
lv_status
counter_slow(lv_call *call)
{
	/* The work happens on another thread; the call stays open meanwhile,
	 * and its group blocks the count buttons until it is answered. */
	pthread_t t;
	int rc = lv_call_defer(call);   /* before another thread can answer it */
	if (pthread_create(&t, NULL, slow_work, call) != 0)
		return lv_call_fail(call, LV_EUNAVAILABLE, "no thread for the slow work");
	pthread_detach(t);
	return rc;
}
/* lvc:end slow */
