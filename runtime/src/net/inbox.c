/* inbox.c - work for the loop: what other threads post, queued and run in
 * order when the loop wakes; waking it; the loop-thread test and error
 * counts every module uses. */
#include <sched.h>
#include <stdlib.h>

#include "net/net.h"

/* ---- small things ------------------------------------------------------------- */

void
lv__count_error(lv_server *s, int status)
{
	if (status < 0 && -status < 16)
		s->errors_by_code[-status]++;
}

bool
lv__on_loop(lv_server *s)
{
	return atomic_load(&s->in_loop) && pthread_equal(pthread_self(), s->loop);
}

/* ---- the inbox: work for the loop from other threads --------------------------- */

struct lv_inbox_item {
	void (*fn)(lv_server *, void *);
	void *arg;
	lv_inbox_item *next;
};

static int
enqueue(lv_server *s, void (*fn)(lv_server *, void *), void *arg)
{
	lv_inbox_item *it = malloc(sizeof *it);
	if (!it)
		return LV_ENOMEM;
	it->fn = fn;
	it->arg = arg;
	it->next = NULL;
	pthread_mutex_lock(&s->inbox_mu);
	if (s->inbox_tail)
		s->inbox_tail->next = it;
	else
		s->inbox = it;
	s->inbox_tail = it;
	pthread_mutex_unlock(&s->inbox_mu);
	lv__wake(s);
	return 0;
}

/* lws_cancel_service wakes lws wherever it waits (poll, or libuv) and
 * has it call the protocol with LWS_CALLBACK_EVENT_WAIT_CANCELLED (ws.c),
 * which drains the inbox. The count of wakers lets the loop's thread,
 * once waking is off, know that nobody still holds the context to wake
 * it: sequentially consistent atomics, as in Dekker's lock. */
void
lv__wake(lv_server *s)
{
	atomic_fetch_add(&s->waking, 1);
	if (!atomic_load(&s->wake_off) && s->ctx)
		lws_cancel_service(s->ctx);
	atomic_fetch_sub(&s->waking, 1);
}

void
lv__wake_off(lv_server *s)
{
	atomic_store(&s->wake_off, true);
	while (atomic_load(&s->waking) > 0)
		sched_yield();
}

int
lv__post(lv_server *s, void (*fn)(lv_server *, void *), void *arg)
{
	if (lv__on_loop(s)) {
		fn(s, arg);
		return 0;
	}
	return enqueue(s, fn, arg);
}

/* Always through the inbox, even from the loop: fn never runs inside the
 * caller. */
int
lv_server_post(lv_server *s, lv_work_fn fn, void *arg)
{
	if (!s || !fn)
		return LV_EINVALID_ARGUMENT;
	return enqueue(s, fn, arg);
}

void
lv__inbox_drain(lv_server *s)
{
	pthread_mutex_lock(&s->inbox_mu);
	lv_inbox_item *it = s->inbox;
	s->inbox = s->inbox_tail = NULL;
	pthread_mutex_unlock(&s->inbox_mu);
	while (it) {
		lv_inbox_item *next = it->next;
		it->fn(s, it->arg);
		free(it);
		it = next;
	}
}

