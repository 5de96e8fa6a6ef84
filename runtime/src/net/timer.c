/* timer.c - timers on the loop: a function called after a delay, once or
 * every period, on libwebsockets' sorted list of deadlines. */
#include <stdlib.h>

#include "net/net.h"

struct lv_timer {
	lws_sorted_usec_list_t sul; /* first: the lws callback gets this */
	lv_server *server;
	uint32_t ms;
	bool repeat;
	bool running;               /* its function is on the stack */
	bool stopped;               /* stopped from its own function */
	lv_timer_fn fn;
	void *arg;
	lv_timer *prev, *next;      /* the server's timers, freed with it */
};

static void
unlink_free(lv_timer *t)
{
	lv_server *s = t->server;
	LV_UNLINK(&s->timers, t, prev, next);
	free(t);
}

static void
fire(lws_sorted_usec_list_t *sul)
{
	lv_timer *t = lws_container_of(sul, lv_timer, sul);
	lv_server *s = t->server;
	s->in_lws++;   /* lws calls it, and looks at its deadlines after */
	t->running = true;
	t->fn(s, t, t->arg);
	t->running = false;
	if (t->stopped || !t->repeat)
		unlink_free(t);
	else
		lws_sul_schedule(s->ctx, 0, &t->sul, fire, (lws_usec_t)t->ms * LWS_US_PER_MS);
	s->in_lws--;
}

int
lv_timer_start(lv_server *s, uint32_t ms, bool repeat, lv_timer_fn fn, void *arg,
               lv_timer **out)
{
	if (out)
		*out = NULL;
	if (!s || !fn || (repeat && ms == 0))
		return LV_EINVALID_ARGUMENT;
	if (s->timers_off)
		return LV_ECLOSED;   /* the server is being freed */
	if (atomic_load(&s->in_loop) && !lv__on_loop(s))
		return LV_EINVALID_ARGUMENT;   /* the loop's own; post to it instead */
	lv_timer *t = calloc(1, sizeof *t);
	if (!t)
		return LV_ENOMEM;
	t->server = s;
	t->ms = ms;
	t->repeat = repeat;
	t->fn = fn;
	t->arg = arg;
	t->next = s->timers;
	if (s->timers)
		s->timers->prev = t;
	s->timers = t;
	lws_sul_schedule(s->ctx, 0, &t->sul, fire, (lws_usec_t)ms * LWS_US_PER_MS);
	lv__lws_touched(s);
	if (out)
		*out = t;
	return 0;
}

void
lv_timer_stop(lv_timer *t)
{
	if (!t)
		return;
	if (t->running) {
		t->stopped = true;   /* freed once its function returns */
		return;
	}
	if (!t->server->timers_off)
		lws_sul_cancel(&t->sul);
	unlink_free(t);
}

void
lv__timers_off(lv_server *s)
{
	for (lv_timer *t = s->timers; t; t = t->next)
		lws_sul_cancel(&t->sul);
	s->timers_off = true;
}

void
lv__timers_free(lv_server *s)
{
	while (s->timers)
		unlink_free(s->timers);
}
