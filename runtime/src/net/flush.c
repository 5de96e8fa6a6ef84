/* flush.c - early writes: on a loop that runs lv before it waits
 * (libev), a connection with frames to write is written to then, while
 * its socket takes them, instead of asking libwebsockets for a writeable
 * callback; each such request starts and then stops watching the socket
 * for POLLOUT, two epoll_ctl calls for every answer. */
#include "net/net.h"

void
lv__conn_want_write(lv_conn *c)
{
	if (!c->wsi)
		return;
	lv_server *s = c->server;
	if (!s->write_early || c->closing) {
		lws_callback_on_writable(c->wsi);
		return;
	}
	if (c->flush_queued)
		return;
	c->flush_queued = true;
	c->fprev = NULL;
	c->fnext = s->flush_head;
	if (s->flush_head)
		s->flush_head->fprev = c;
	s->flush_head = c;
}

void
lv__flush_forget(lv_conn *c)
{
	if (!c->flush_queued)
		return;
	LV_UNLINK(&c->server->flush_head, c, fprev, fnext);
	c->flush_queued = false;
}

void
lv__flush(lv_server *s)
{
	while (s->flush_head) {
		lv_conn *c = s->flush_head;
		lv__flush_forget(c);
		if (!c->wsi || c->ended)
			continue;
		/* What libwebsockets still holds of an earlier write, a close
		 * to write: through the writeable callback, as on the other
		 * loops. (Not lws_send_pipe_choked, a poll() each time: what the
		 * socket does not take, libwebsockets keeps and writes itself.) */
		if (c->closing || lws_partial_buffered(c->wsi)) {
			lws_callback_on_writable(c->wsi);
			continue;
		}
		/* Like libwebsockets' writeable callback (it asks for another
		 * itself for what does not fit); a failed write ends the socket
		 * as a callback's -1 would. */
		s->in_lws++;
		int rc = lv__conn_writable(c);
		s->in_lws--;
		if (rc < 0 && c->wsi)
			lws_set_timeout(c->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
	}
}
