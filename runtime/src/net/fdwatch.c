/* fdwatch.c - a file descriptor of someone else's (a client library's
 * socket) watched on the server's loop, which keeps a duplicate of it so
 * that the owner keeps its descriptor, closing it when it likes. On
 * libwebsockets' poll loop lws adopts the duplicate as a raw file, so
 * that lws' own poll() reports it readable or writable; on libuv a
 * uv_poll_t of lv's watches it, on libev an ev_io.
 *
 * Invariants: w->wsi is the adopted duplicate while lws holds it (NULL
 * once lws has closed it or lv__fdwatch_free let it go); the wsi's
 * opaque user data is w exactly while w->wsi is set. On libuv, w->uv is
 * the handle while it watches; a handle let go is closed, and its
 * duplicate with it, once libuv has closed it (uvpoll.w NULL meanwhile).
 * On libev, w->evfd is the duplicate while w->io watches it (stopped and
 * closed at once when let go).
 * A watch freed from inside its own callback goes once that callback
 * returns. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <ev.h>
#include <uv.h>

#include "net/net.h"

/* A handle on libuv, apart from its watch: it outlives the watch until
 * libuv has closed it. */
typedef struct {
	uv_poll_t h;
	int fd;                     /* the duplicate, closed after the handle */
	lv_fdwatch *w;              /* NULL once let go */
} uvpoll;

struct lv_fdwatch {
	lv_server *server;
	struct lws *wsi;
	uvpoll *uv;
	ev_io io;                   /* on libev, while evfd >= 0 */
	int evfd;
	bool read, write;           /* what the owner wants to hear of */
	bool in_fn;                 /* fn is on the stack */
	bool freed;                 /* lv__fdwatch_free came during fn */
	lv_fdwatch_fn fn;
	void *arg;
	/* lws clears POLLOUT after a raw file's writable callback, so a write
	 * still wanted then is asked for again just after */
	lws_sorted_usec_list_t rearm;
};

static void
rearm(lws_sorted_usec_list_t *sul)
{
	lv_fdwatch *w = lws_container_of(sul, lv_fdwatch, rearm);
	if (w->wsi && w->write)
		lws_callback_on_writable(w->wsi);
}

static void call(lv_fdwatch *w, int events);

/* ---- libuv ---------------------------------------------------------------------- */

static void
uv_closed(uv_handle_t *h)
{
	uvpoll *u = (uvpoll *)h;
	close(u->fd);
	free(u);
}

static void on_uv(uv_poll_t *h, int status, int events);

static void
uv_restart(lv_fdwatch *w)
{
	int ev = (w->read ? UV_READABLE : 0) | (w->write ? UV_WRITABLE : 0);
	if (ev)
		uv_poll_start(&w->uv->h, ev, on_uv);
	else
		uv_poll_stop(&w->uv->h);
}

static void
on_uv(uv_poll_t *h, int status, int events)
{
	uvpoll *u = (uvpoll *)h;
	lv_fdwatch *w = u->w;
	if (!w)
		return;
	lv_server *s = w->server;
	int what = 0;
	if (status < 0)
		what = LV_FD_GONE;   /* the descriptor is no longer pollable */
	else
		what = (events & UV_READABLE ? LV_FD_READ : 0) | (events & UV_WRITABLE ? LV_FD_WRITE : 0);
	if (what & LV_FD_GONE) {
		uv_poll_stop(h);
		u->w = NULL;
		w->uv = NULL;
		uv_close((uv_handle_t *)h, uv_closed);
	}
	if (what)
		call(w, what);
	/* What fn changed in lws (a message queued) is seen once lws wakes. */
	lv__lws_touched(s);
}

static bool
uv_watch(lv_fdwatch *w, int dup)
{
	uvpoll *u = calloc(1, sizeof *u);
	if (!u)
		return false;
	if (uv_poll_init(lv__uv_loop(w->server), &u->h, dup) != 0) {
		free(u);
		return false;
	}
	u->fd = dup;
	u->w = w;
	w->uv = u;
	uv_restart(w);
	return true;
}

/* ---- libev ---------------------------------------------------------------------- */

static void
on_ev(struct ev_loop *loop, ev_io *io, int revents)
{
	(void)loop;
	lv_fdwatch *w = io->data;
	lv_server *s = w->server;
	int what = (revents & EV_READ ? LV_FD_READ : 0) | (revents & EV_WRITE ? LV_FD_WRITE : 0);
	if (revents & EV_ERROR)
		what = LV_FD_GONE;   /* libev cannot watch the descriptor */
	if (what & LV_FD_GONE) {
		ev_io_stop(lv__ev_loop(s), &w->io);
		close(w->evfd);
		w->evfd = -1;
	}
	if (what)
		call(w, what);
	lv__lws_touched(s);
}

static void
ev_restart(lv_fdwatch *w)
{
	struct ev_loop *loop = lv__ev_loop(w->server);
	int ev = (w->read ? EV_READ : 0) | (w->write ? EV_WRITE : 0);
	if (ev == (w->io.events & (EV_READ | EV_WRITE)) && ev_is_active(&w->io))
		return;
	ev_io_stop(loop, &w->io);
	if (ev) {
		ev_io_set(&w->io, w->evfd, ev);
		ev_io_start(loop, &w->io);
	}
}

/* ---- every loop ------------------------------------------------------------------ */

lv_fdwatch *
lv__fdwatch_new(lv_server *s, int fd, lv_fdwatch_fn fn, void *arg)
{
	lv_fdwatch *w = calloc(1, sizeof *w);
	int dup = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (!w || dup < 0) {
		free(w);
		if (dup >= 0)
			close(dup);
		return NULL;
	}
	w->server = s;
	w->fn = fn;
	w->arg = arg;
	w->read = true;
	w->evfd = -1;
	if (s->ev) {
		w->evfd = dup;
		ev_io_init(&w->io, on_ev, dup, EV_READ);
		w->io.data = w;
		ev_io_start(lv__ev_loop(s), &w->io);
		return w;
	}
	if (s->uv) {
		if (!uv_watch(w, dup)) {
			close(dup);
			free(w);
			return NULL;
		}
		return w;
	}
	lws_sock_file_fd_type u;
	u.filefd = dup;
	w->wsi = lws_adopt_descriptor_vhost(s->vhost, LWS_ADOPT_RAW_FILE_DESC, u,
	                                    LV_FDWATCH_PROTOCOL, NULL);
	if (!w->wsi) {
		/* lws closes what it failed to adopt */
		free(w);
		return NULL;
	}
	lws_set_opaque_user_data(w->wsi, w);
	lv__lws_touched(s);
	return w;
}

void
lv__fdwatch_want(lv_fdwatch *w, bool read, bool write)
{
	if (w->evfd >= 0) {
		w->read = read;
		w->write = write;
		ev_restart(w);
		return;
	}
	if (w->uv) {
		w->read = read;
		w->write = write;
		uv_restart(w);
		return;
	}
	if (!w->wsi)
		return;
	if (read != w->read)
		lws_rx_flow_control(w->wsi, read);
	w->read = read;
	w->write = write;
	if (write)
		lws_callback_on_writable(w->wsi);
	lv__lws_touched(w->server);
}

/* lws lets the duplicate go on its next turn; its close finds no watch.
 * libuv closes its handle on its next turn, and the duplicate after. */
static void
let_go(lv_fdwatch *w)
{
	if (w->evfd >= 0) {
		ev_io_stop(lv__ev_loop(w->server), &w->io);
		close(w->evfd);
		w->evfd = -1;
	}
	if (w->uv) {
		uv_poll_stop(&w->uv->h);
		w->uv->w = NULL;
		uv_close((uv_handle_t *)&w->uv->h, uv_closed);
		w->uv = NULL;
	}
	if (!w->wsi)
		return;
	lws_set_opaque_user_data(w->wsi, NULL);
	lws_set_timeout(w->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
	lv__lws_touched(w->server);
	w->wsi = NULL;
}

void
lv__fdwatch_free(lv_fdwatch *w)
{
	if (!w)
		return;
	let_go(w);
	lws_sul_cancel(&w->rearm);
	if (w->in_fn)
		w->freed = true;
	else
		free(w);
}

static void
call(lv_fdwatch *w, int events)
{
	w->in_fn = true;
	w->fn(w->arg, events);
	w->in_fn = false;
	if (w->freed)
		free(w);
}

int
lv__fdwatch_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                     size_t len)
{
	if (reason == LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION)
		return -1;   /* a WebSocket asking for this protocol by name */
	lv_fdwatch *w = lws_get_opaque_user_data(wsi);
	if (!w || (reason != LWS_CALLBACK_RAW_RX_FILE && reason != LWS_CALLBACK_RAW_WRITEABLE_FILE &&
	           reason != LWS_CALLBACK_RAW_CLOSE_FILE)) {
		/* The rest (a socket's creation and end, the loop's wake-up) is
		 * the server's, whose accounting sees every socket. */
		return lv__ws_callback(wsi, reason, user, in, len);
	}
	lv_server *s = w->server;
	s->in_lws++;   /* lws looks at its deadlines and sockets after */
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (w->read)
			call(w, LV_FD_READ);
		break;
	case LWS_CALLBACK_RAW_WRITEABLE_FILE:
		if (w->write) {
			w->in_fn = true;
			w->fn(w->arg, LV_FD_WRITE);
			w->in_fn = false;
			if (w->freed)
				free(w);
			else if (w->write)
				lws_sul_schedule(lws_get_context(wsi), 0, &w->rearm, rearm, 1);
		}
		break;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		/* lws closed the duplicate itself (the peer hung up, an error):
		 * the owner is told once, and the watch is no longer lws'. */
		lws_set_opaque_user_data(wsi, NULL);
		w->wsi = NULL;
		call(w, LV_FD_GONE);
		break;
	default:
		break;
	}
	s->in_lws--;
	return 0;
}
