/* ws.c - the libwebsockets protocol callback: one small function per
 * reason, from the accept to the close. */
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

/* ---- the protocol callback, one function per reason ----------------------------------- */

/* A new TCP connection: refused at once when its address has too many
 * sockets that are not WebSockets yet (slow handshakes, HTTP requests). */
static int
on_accept(lv_server *s, struct lws_filter_network_conn_args *filt)
{
	if (!lv__peer_accept(s, filt ? (const struct sockaddr *)&filt->cli_addr : NULL))
		return 0;
	if (!s->opt.tls_cert) {
		static const char busy[] =
			"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n"
			"Content-Length: 0\r\nRetry-After: 1\r\n\r\n";
		ssize_t n = send(filt->accept_fd, busy, sizeof busy - 1, MSG_NOSIGNAL);
		(void)n;
		shutdown(filt->accept_fd, SHUT_WR);
	}
	LV_LOG(s, LV_LOG_INFO, "refused a connection: too many handshakes from its address");
	return 1;
}

/* Still HTTP: a refusal gets a status the client can read. */
static int
on_confirm_upgrade(lv_server *s, struct lws *wsi)
{
	char uri[512];
	int status = 0;
	bool by_auth = false;
	const char *why = NULL;
	if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 ||
	    strcmp(uri, s->opt.ws_path) != 0) {
		status = 404;
		why = "no WebSocket here";
	} else if (s->stopping) {
		status = 503;
		why = "the server is stopping";
	} else if (s->nconns - s->ndetached >= s->opt.max_conns) {
		lv__limit_hit(s, LV_LIMIT_CONNS);
		status = 503;
		why = "too many connections";
	} else if (lv__peer_may_upgrade(s, wsi)) {
		status = 429;
		why = "too many connections from this address";
	} else if (!lv__origin_allowed(s, wsi)) {
		status = 403;
		why = "this origin may not connect";
	}
	if (!status) {
		int refused;
		lv_auth *a = lv__run_auth(s, wsi, uri, &refused);
		if (!a) {
			by_auth = true;
			status = refused ? 403 : 500;
			why = refused ? "refused by the server's auth" : "out of memory";
		} else {
			lv__auth_free(lv__pending_take(s, wsi));
			lv__pending_put(s, wsi, a);
		}
	}
	if (!status)
		return 0;
	if (!by_auth)
		s->refused++;   /* lv__run_auth counts its own refusals */
	LV_LOG(s, LV_LOG_INFO, "refused an upgrade: %d %s", status, why);
	lws_return_http_status(wsi, (unsigned)status, why);
	return -1;
}

static int
on_established(lv_server *s, struct lws *wsi, lv_pss *pss)
{
	lv_conn *c = lv__conn_new(s, wsi);
	pss->auth = lv__pending_take(s, wsi);
	if (!c)
		return -1;
	lv__peer_established(s, wsi);
	if (pss->auth && pss->auth->set)
		lv__conn_take_auth(c, pss->auth);
	lv__auth_free(pss->auth);
	pss->auth = NULL;
	pss->conn = c;
	return 0;
}

/* Drops the unfinished message a connection holds. */
static void
rx_drop(lv_server *s, lv_conn *c)
{
	free(c->rx);
	c->rx = NULL;
	c->rxlen = c->rxcap = 0;
	c->rx_started_us = 0;
	if (c->wsi)
		lv__peer_rx_set(s, lv__peer_of(c->wsi), 0);
}

static int
rx_refuse(lv_server *s, lv_conn *c, struct lws *wsi, int code, const char *why)
{
	rx_drop(s, c);
	if (s->close_by_frame) {
		lv__conn_close(c, code, why);   /* the frame goes from the writeable callback */
		return 0;
	}
	lws_close_reason(wsi, (enum lws_close_status)code, (unsigned char *)why, strlen(why));
	return -1;
}

/* A piece of a message: whole ones go straight to dispatch; pieces are
 * gathered, within max_message and the unfinished-input bounds. */
static int
on_receive(lv_server *s, struct lws *wsi, lv_pss *pss, void *in, size_t len)
{
	lv_conn *c = pss->conn;
	if (!c)
		return -1;
	/* For the heartbeat and message_ms (seconds): the coarse clock, which
	 * is far cheaper than the precise one on every message. */
	c->last_rx_us = lv__now_coarse_us();
	c->ping_sent = false;
	if (lws_frame_is_binary(wsi)) {
		lv__conn_close(c, 4400, "binary frames are not part of the protocol");
		return 0;
	}
	if (c->closing)
		return 0;
	bool last = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
	if (c->rxlen + len > s->opt.max_message)
		return rx_refuse(s, c, wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, "message too large");
	if (last && c->rxlen == 0) {
		/* Whole in one piece: no copy. The message may hand this
		 * socket to a resumed session and free c. */
		lv__dispatch(c, in, len);
		return 0;
	}
	if (c->rxlen + len > c->rxcap) {
		size_t cap = c->rxcap ? c->rxcap : 1024;
		while (cap < c->rxlen + len)
			cap *= 2;
		if (cap > s->opt.max_message)
			cap = s->opt.max_message;
		if (lv__peer_rx_set(s, lv__peer_of(wsi), cap))
			return rx_refuse(s, c, wsi, 1013,
			                 "the server holds too much unfinished input");
		char *rx = realloc(c->rx, cap);
		if (!rx)
			return -1;
		c->rx = rx;
		c->rxcap = cap;
	}
	if (!c->rxlen)
		c->rx_started_us = c->last_rx_us;
	memcpy(c->rx + c->rxlen, in, len);
	c->rxlen += len;
	if (last) {
		/* Idle connections keep no buffer; and c may be gone after. */
		char *rx = c->rx;
		size_t n = c->rxlen;
		c->rx = NULL;
		c->rxlen = c->rxcap = 0;
		c->rx_started_us = 0;
		lv__peer_rx_set(s, lv__peer_of(wsi), 0);
		lv__dispatch(c, rx, n);
		free(rx);
	}
	return 0;
}

/* A page that says goodbye (1000, or 1001 as it unloads) is gone for
 * good; any other close leaves its session to resume. */
static int
on_peer_close(lv_pss *pss, const void *in, size_t len)
{
	if (pss->conn && lv__conn_close_sent(pss->conn))
		return -1;   /* the answer to lv's own close frame */
	if (pss->conn && len >= 2) {
		unsigned code = (unsigned)((const unsigned char *)in)[0] << 8 |
		                ((const unsigned char *)in)[1];
		if (code == 1000 || code == 1001)
			pss->conn->end_on_close = true;
	}
	return 0;
}

static int
on_closed(lv_server *s, lv_pss *pss)
{
	if (pss->conn) {
		rx_drop(s, pss->conn);
		lv__conn_closed(pss->conn);
		pss->conn = NULL;
	}
	lv__auth_free(pss->auth);
	pss->auth = NULL;
	return 0;
}

static int
on_reason(lv_server *s, struct lws *wsi, enum lws_callback_reasons reason, lv_pss *pss,
          void *user, void *in, size_t len)
{
	char uri[512];
	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		lv__inbox_drain(s);
		return 0;
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		return on_accept(s, user);
	case LWS_CALLBACK_WSI_CREATE:
		lv__peer_created(s, wsi);
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		lv__peer_destroyed(s, wsi);
		return 0;
	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
		return on_confirm_upgrade(s, wsi);
	case LWS_CALLBACK_ESTABLISHED:
		return on_established(s, wsi, pss);
	case LWS_CALLBACK_RECEIVE:
		return on_receive(s, wsi, pss, in, len);
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		return on_peer_close(pss, in, len);
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return pss->conn ? lv__conn_writable(pss->conn) : -1;
	case LWS_CALLBACK_CLOSED:
		return on_closed(s, pss);
	case LWS_CALLBACK_HTTP:
		snprintf(uri, sizeof uri, "%s", (const char *)in);
		return lv__http_request(s, wsi, pss, uri);
	case LWS_CALLBACK_HTTP_BODY:
		return lv__http_body(s, pss, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return lv__http_body_done(s, pss);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		return lv__http_writeable(s, pss);
	case LWS_CALLBACK_CLOSED_HTTP:
		lv__auth_free(lv__pending_take(s, wsi));   /* an upgrade that never finished */
		/* fall through */
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		lv__http_closed(s, pss);
		return 0;
	default:
		return 0;
	}
}

int
lv__ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct lws_context *ctx = lws_get_context(wsi);
	lv_server *s = ctx ? lws_context_user(ctx) : NULL;
	if (!s)
		return 0;
	/* lws calls some reasons on sockets that never got as far as a
	 * protocol (a connection closed before its request, garbage, a TLS
	 * handshake on the plain port): they have no per-socket data. */
	lv_pss none = { 0 };
	lv_pss *pss = user ? user : &none;
	/* lws looks at its deadlines and sockets after each of its calls. */
	s->in_lws++;
	int rc = on_reason(s, wsi, reason, pss, user, in, len);
	s->in_lws--;
	return rc;
}
