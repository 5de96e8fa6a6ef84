/* loop.c - the event loop: run, the sweep (heartbeats, deadlines, waiting
 * sessions), signals and the stop request; libwebsockets' poll loop
 * itself, and what every loop shares (loop_uv.c runs libuv's, loop_ev.c
 * libev's). */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "net/net.h"

/* ---- heartbeat and stopping --------------------------------------------------------- */

static void
sweep(lws_sorted_usec_list_t *sul)
{
	lv_server *s = lws_container_of(sul, lv_server, sweep);
	s->in_lws++;   /* lws calls it, and looks at its deadlines after */
	int64_t now = lv__now_us(), hb = (int64_t)s->opt.heartbeat_ms * 1000;
	int64_t ttl = (int64_t)s->opt.resume_ms * 1000;
	int64_t msg_ttl = (int64_t)s->opt.message_ms * 1000;
	lv__detached_trim(s);
	lv__http_sweep(s, now);
	lv__peers_sweep(s);
	for (lv_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (c->detached_us) {
			if (c->overflowed) {
				lv__conn_end(c);   /* it cannot resume: a message was lost */
			} else if (now - c->detached_us > ttl) {
				lv__session_expire(c);
			}
			continue;
		}
		if (!c->wsi)
			continue;
		int64_t idle = now - c->last_rx_us;
		if (c->rx_started_us && now - c->rx_started_us > msg_ttl && !c->closing) {
			lv__limit_hit(s, LV_LIMIT_MESSAGE_TIME);
			free(c->rx);
			c->rx = NULL;
			c->rxlen = c->rxcap = 0;
			c->rx_started_us = 0;
			lv__peer_rx_set(s, lv__peer_of(c->wsi), 0);
			lv__conn_close(c, 1008, "message not finished in time");
		} else if (idle > 2 * hb) {
			lv__conn_close(c, 1001, "silent for too long");
		} else if (idle > hb && !c->ping_sent && c->hello) {
			static const char ping[] = "{\"t\":\"ping\"}";
			lv_msg *m = lv__msg_new(ping, sizeof ping - 1, LV_MSG_CONTROL);
			/* Ahead of what is not written yet: messages that wait (for
			 * the session's record in the broker, say) must not hold the
			 * ping back until the page is taken for silent. */
			if (m)
				lv__conn_queue_first(c, m);
			lv__msg_unref(m);
			c->ping_sent = true;
		}
	}
	int64_t every = hb / 4 < 1000000 ? hb / 4 : 1000000;
	lws_sul_schedule(s->ctx, 0, &s->sweep, sweep, every > 10000 ? every : 10000);
	s->in_lws--;
}

static lv_server *signal_target;

static void
on_signal(int sig)
{
	(void)sig;
	if (signal_target)
		lv_server_stop(signal_target);
}

void
lv_server_stop(lv_server *s)
{
	atomic_store(&s->stop_requested, true);
	lv__wake(s);
}

void
lv__loop_begin(lv_server *s)
{
	s->loop = pthread_self();
	atomic_store(&s->in_loop, true);
	lv__inbox_drain(s);
	if (s->broker->ops->start && s->broker->ops->start(s->broker) != 0)
		LV_LOG(s, LV_LOG_ERROR, "the %s broker cannot start", s->broker->ops->name);
	lv__lifecycle(s, "start", NULL);
	sweep(&s->sweep);
	lv__lws_touched(s);
}

bool
lv__loop_turn(lv_server *s)
{
	if (atomic_load(&s->stop_requested) && !s->stopping) {
		s->stopping = true;
		s->stop_deadline_us = lv__now_us() + (int64_t)s->opt.shutdown_ms * 1000;
		LV_LOG(s, LV_LOG_INFO, "stopping: flushing %u connections", s->nconns);
		for (lv_conn *c = s->conns; c; c = c->next)
			lv__conn_close(c, 1001, "the server is going away");
		lws_sul_schedule(s->ctx, 0, &s->sweep, sweep, 100 * LWS_US_PER_MS);
		lv__lws_touched(s);
	}
	/* Over once lws has freed every page's socket too: a connection ends
	 * (CLOSED) before lws has written its close frame. */
	return s->stopping && ((s->nconns == 0 && s->ws_sockets == 0) ||
	                       lv__now_us() > s->stop_deadline_us);
}

void
lv__loop_end(lv_server *s)
{
	lv__lifecycle(s, "stop", NULL);
	s->presence_off = true;   /* no events, no members' answers from here */
	if (s->broker->ops->stop)
		s->broker->ops->stop(s->broker);
	lws_sul_cancel(&s->sweep);
	lv__inbox_drain(s);
	atomic_store(&s->in_loop, false);
}

static int
poll_run(lv_server *s)
{
	lv__loop_begin(s);
	int rc = 0;
	while (1) {
		if (lws_service(s->ctx, 0) < 0) {
			rc = LV_EIO;
			break;
		}
		if (lv__loop_turn(s))
			break;
	}
	lv__loop_end(s);
	return rc;
}

int
lv_server_run(lv_server *s)
{
	if (s->uv && lv__uv_foreign(s)) {
		LV_LOG(s, LV_LOG_ERROR, "lv_server_run: this server is on the program's libuv loop, "
		       "which the program runs (uv_run)");
		return LV_EINVALID_ARGUMENT;
	}
	if (s->ran) {
		LV_LOG(s, LV_LOG_ERROR, "lv_server_run: run a server once");
		return LV_EINVALID_ARGUMENT;
	}
	s->ran = true;
	signal(SIGPIPE, SIG_IGN);
	if (s->opt.handle_signals) {
		signal_target = s;
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
	}
	int rc = s->uv ? lv__uv_run(s) : s->ev ? lv__ev_run(s) : poll_run(s);
	if (signal_target == s) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal_target = NULL;
	}
	return rc;
}

bool
lv__evlib_plugin(lv_server *s, const char *loop, const char *lib, const char *name, bool say)
{
#if defined(LWS_WITH_EVLIB_PLUGINS)
	/* lws loads the library's support from this file when it makes the
	 * context; without it the context fails for a reason lws alone logs. */
	char plugin[256];
	snprintf(plugin, sizeof plugin, "%s/libwebsockets-evlib_%s.so", LWS_INSTALL_LIBDIR, name);
	if (access(plugin, R_OK) != 0) {
		if (say)
			LV_LOG(s, LV_LOG_ERROR, "%s needs libwebsockets' %s plugin, %s "
			       "(Debian: libwebsockets-evlib-%s)", loop, lib, plugin, name);
		return false;
	}
	return true;
#else
	(void)s, (void)loop, (void)lib, (void)name, (void)say;
	return true;
#endif
}
