/* loop_ev.c - the server on a libev loop of lv's own (epoll where the
 * system has it), which lv_server_run runs. One watcher of lv's on the
 * loop ends the stop and wakes lws after work done outside its calls;
 * at the end lws is destroyed at once (libev closes nothing later), then
 * the loop. */
#include <unistd.h>

#include <ev.h>

#include "net/net.h"

typedef struct lv_ev lv_ev;
struct lv_ev {
	struct ev_loop *loop;
	void *foreign_loops[1];     /* what lws_create_context is given */
	ev_prepare prepare;         /* runs before each wait of the loop */
	bool running;               /* between lv__loop_begin and lv__loop_end */
};

struct ev_loop *lv__ev_loop(const lv_server *s) { return s->ev->loop; }

static void on_prepare(struct ev_loop *loop, ev_prepare *w, int revents);

bool
lv__ev_available(lv_server *s, bool say)
{
#if !defined(LWS_WITH_LIBEV)
	if (say)
		LV_LOG(s, LV_LOG_ERROR, "LV_LOOP_EV: this libwebsockets was built without libev");
	return false;
#else
	return lv__evlib_plugin(s, "LV_LOOP_EV", "libev", "ev", say);
#endif
}

int
lv__ev_new(lv_server *s, struct lws_context_creation_info *info)
{
	if (!lv__ev_available(s, true))
		return LV_EUNAVAILABLE;
	lv_ev *e = calloc(1, sizeof *e);
	if (!e)
		return LV_ENOMEM;
	/* No signal mask of libev's: lv_server_run handles the signals. */
	e->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
	if (!e->loop) {
		LV_LOG(s, LV_LOG_ERROR, "cannot make a libev loop");
		free(e);
		return LV_EIO;
	}
	ev_prepare_init(&e->prepare, on_prepare);
	e->prepare.data = s;
	/* lws is given the loop as a foreign one: it installs no signal
	 * watcher and leaves the loop's life to lv. */
	e->foreign_loops[0] = e->loop;
	info->options |= LWS_SERVER_OPTION_LIBEV;
	info->foreign_loops = e->foreign_loops;
	s->write_early = true;   /* on_prepare flushes */
	s->ev = e;
	return 0;
}

int
lv__ev_attach(lv_server *s)
{
	lv_ev *e = s->ev;
	ev_prepare_start(e->loop, &e->prepare);
	unsigned b = ev_backend(e->loop);
	LV_LOG(s, LV_LOG_DEBUG, "libev backend: %s", b & EVBACKEND_EPOLL ? "epoll" :
	       b & EVBACKEND_POLL ? "poll" : b & EVBACKEND_SELECT ? "select" :
	       b & EVBACKEND_KQUEUE ? "kqueue" : "other");
	return 0;
}

int
lv__ev_run(lv_server *s)
{
	lv_ev *e = s->ev;
	lv__loop_begin(s);
	e->running = true;
	/* Until the stop is over (on_prepare breaks it). */
	while (e->running)
		ev_run(e->loop, 0);
	return 0;
}

static void
on_prepare(struct ev_loop *loop, ev_prepare *w, int revents)
{
	(void)revents;
	lv_server *s = w->data;
	lv_ev *e = s->ev;
	if (e->running && lv__loop_turn(s)) {
		e->running = false;
		lv__loop_end(s);
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	lv__flush(s);
	if (s->lws_stale) {
		/* Woken, lws services its socket of wakes, then looks at its
		 * deadlines and at the input it holds. */
		s->lws_stale = false;
		lv__wake(s);
	}
}

void
lv__ev_close(lv_server *s, void (*done)(lv_server *s))
{
	lv_ev *e = s->ev;
	lv__wake_off(s);     /* no thread may wake a context being destroyed */
	lv__timers_off(s);   /* their deadlines are in the context's lists */
	lv__models_off(s);   /* the store's wake-up is no longer watched */
	if (s->ctx) {
		/* Outside the loop's run, lws closes what is left (through the
		 * protocol callback) and frees the context in this call. */
		lws_context_destroy(s->ctx);
		s->ctx = NULL;
	}
	ev_prepare_stop(e->loop, &e->prepare);
	/* The broker's watchers go in done, on the loop still there. */
	done(s);
	ev_loop_destroy(e->loop);
	free(e);
}
