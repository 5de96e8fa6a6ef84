/* loop_uv.c - the server on a libuv loop: lv's own, which lv_server_run
 * runs, or the program's, which the program runs. One handle of lv's on
 * the loop ends the stop, wakes lws after work done outside its calls,
 * and at the end closes lws and then itself, leaving the program's
 * handles alone. */
#include <unistd.h>

#include <uv.h>

#include "net/net.h"

typedef struct lv_uv lv_uv;
struct lv_uv {
	uv_loop_t *loop;            /* &own, or the program's */
	uv_loop_t own;
	void *foreign_loops[1];     /* what lws_create_context is given */
	uv_prepare_t prepare;       /* runs before each wait of the loop */
	bool running;               /* between lv__loop_begin and lv__loop_end */
	bool closing;               /* lws is closing its handles */
	bool ctx_dying;             /* lws_context_destroy has been called once */
	bool closed;                /* lv has nothing left on the loop */
	void (*done)(lv_server *s); /* lv__uv_close's, called once closed */
};

bool lv__uv_foreign(const lv_server *s) { return s->opt.uv_loop != NULL; }
void *lv__uv_loop(const lv_server *s) { return s->uv->loop; }

static void on_prepare(uv_prepare_t *h);

bool
lv__uv_available(lv_server *s, bool say)
{
#if !defined(LWS_WITH_LIBUV)
	if (say)
		LV_LOG(s, LV_LOG_ERROR, "LV_LOOP_UV: this libwebsockets was built without libuv");
	return false;
#else
	return lv__evlib_plugin(s, "LV_LOOP_UV", "libuv", "uv", say);
#endif
}

int
lv__uv_new(lv_server *s, struct lws_context_creation_info *info)
{
	if (!lv__uv_available(s, true))
		return LV_EUNAVAILABLE;
	lv_uv *u = calloc(1, sizeof *u);
	if (!u)
		return LV_ENOMEM;
	if (s->opt.uv_loop) {
		u->loop = s->opt.uv_loop;
	} else {
		int rc = uv_loop_init(&u->own);
		if (rc) {
			LV_LOG(s, LV_LOG_ERROR, "cannot make a libuv loop: %s", uv_strerror(rc));
			free(u);
			return LV_EIO;
		}
		u->loop = &u->own;
	}
	uv_prepare_init(u->loop, &u->prepare);
	u->prepare.data = s;
	/* lws is always given the loop, lv's own included: on a loop it did
	 * not make, it installs no signal handlers and leaves the loop's life
	 * to its owner. */
	u->foreign_loops[0] = u->loop;
	info->options |= LWS_SERVER_OPTION_LIBUV;
	info->foreign_loops = u->foreign_loops;
	info->pcontext = &s->ctx;   /* lws clears it once the context is freed */
	s->close_by_frame = true;
	s->uv = u;
	return 0;
}

int
lv__uv_attach(lv_server *s)
{
	lv_uv *u = s->uv;
	uv_prepare_start(&u->prepare, on_prepare);
	if (lv__uv_foreign(s)) {
		lv__loop_begin(s);
		u->running = true;
	}
	return 0;
}

int
lv__uv_run(lv_server *s)
{
	lv_uv *u = s->uv;
	lv__loop_begin(s);
	u->running = true;
	/* Until the stop is over and lv's handles closed; the loop then holds
	 * nothing (unless handlers left handles of their own on it). */
	while (!u->closed)
		uv_run(u->loop, UV_RUN_DEFAULT);
	return 0;
}

/* ---- the end ------------------------------------------------------------------------ */

/* Closes every socket: the protocol callback ends or detaches the
 * connections now; lws' handles close as the loop runs. */
static void
begin_close(lv_server *s)
{
	lv_uv *u = s->uv;
	u->closing = true;
	uv_prepare_start(&u->prepare, on_prepare);   /* a server never attached */
	bool was = atomic_load(&s->in_loop);
	atomic_store(&s->in_loop, true);   /* what closing handlers post runs now */
	s->loop = pthread_self();
	lv__wake_off(s);
	lv__timers_off(s);
	lv__models_off(s);   /* its watch is a handle on the loop */
	if (s->ctx && !u->ctx_dying) {
		u->ctx_dying = true;
		lws_context_destroy(s->ctx);
	}
	atomic_store(&s->in_loop, was);
}

void
lv__uv_ctx_failed(lv_server *s)
{
	s->uv->ctx_dying = true;
}

/* lws marks its own handles with its context (and documents that for the
 * handles of protocols: lws_libuv_static_refcount_add). */
typedef struct {
	const void *ctx;
	bool found;
} lws_handles;

static void
find_lws(uv_handle_t *h, void *arg)
{
	lws_handles *f = arg;
	if (h->data == f->ctx)
		f->found = true;
}

static void
release(lv_server *s)
{
	lv_uv *u = s->uv;
	void (*done)(lv_server *) = u->done;
	if (u->loop == &u->own) {
		int rc = uv_loop_close(&u->own);
		if (rc) {
			/* Handles of the application's are still open on it: the
			 * loop's memory must stay. */
			LV_LOG(s, LV_LOG_ERROR, "lv's libuv loop still has handles of the "
			       "application's (close them in the stop handler): %s", uv_strerror(rc));
			s->uv = NULL;
			done(s);
			return;
		}
	}
	free(u);
	s->uv = NULL;
	done(s);
}

static void
on_closed(uv_handle_t *h)
{
	lv_server *s = h->data;
	s->uv->closed = true;
	if (s->uv->done && s->uv->loop != &s->uv->own)
		release(s);   /* lv_server_free came first, on the program's loop */
}

/* Once lws has no handle left on the loop, it is told to free the context
 * (libwebsockets 4.1 waits for a second lws_context_destroy on a loop it
 * did not make), and lv closes its own handle. */
static void
finish_close(lv_server *s)
{
	lv_uv *u = s->uv;
	if (s->ctx) {
		lws_handles f = { s->ctx, false };
		uv_walk(u->loop, find_lws, &f);
		if (f.found)
			return;
		lws_context_destroy(s->ctx);
		s->ctx = NULL;
	}
	u->closing = false;
	uv_close((uv_handle_t *)&u->prepare, on_closed);
}

static void
on_prepare(uv_prepare_t *h)
{
	lv_server *s = h->data;
	lv_uv *u = s->uv;
	if (u->closing) {
		finish_close(s);
		return;
	}
	if (u->running && lv__loop_turn(s)) {
		u->running = false;
		lv__loop_end(s);
		begin_close(s);
		return;
	}
	if (s->lws_stale) {
		/* Woken, lws services its socket of wakes, then looks at its
		 * deadlines and at the input it holds. */
		s->lws_stale = false;
		lv__wake(s);
	}
}

void
lv__uv_close(lv_server *s, void (*done)(lv_server *s))
{
	lv_uv *u = s->uv;
	if (u->running) {
		u->running = false;
		lv__loop_end(s);   /* the program's loop: the stop handler, now */
		atomic_store(&s->in_loop, true);
	}
	if (!u->closing && !u->closed)
		begin_close(s);
	u->done = done;
	if (u->loop == &u->own) {
		while (!u->closed)
			uv_run(u->loop, UV_RUN_DEFAULT);
		release(s);
	} else if (u->closed) {
		release(s);
	}
}
