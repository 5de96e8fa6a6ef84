/* server.c - the server: one port for the WebSocket, HTTP rpc, the
 * runtime's script, metrics and static files; the event loop, its inbox
 * for other threads, heartbeats and a clean stop. */
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

#include "lv_internal.h"

/* ---- small things ------------------------------------------------------------- */

int64_t
lv__now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

void
lv__log(lv_server *s, lv_log_level level, const char *fmt, ...)
{
	static const char *const names[] = { "", "error", "warn", "info", "debug" };
	if (s && level > s->log_level)
		return;
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "lv: %s: ", names[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

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

int
lv__post(lv_server *s, void (*fn)(lv_server *, void *), void *arg)
{
	if (lv__on_loop(s)) {
		fn(s, arg);
		return 0;
	}
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
	if (s->ctx)
		lws_cancel_service(s->ctx);
	return 0;
}

static void
drain_inbox(lv_server *s)
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
		ssize_t n = write(filt->accept_fd, busy, sizeof busy - 1);
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
	lv__peer_established(wsi);
	if (pss->auth && pss->auth->set) {
		c->identity = pss->auth->identity;
		c->roles = pss->auth->roles;
		c->nroles = pss->auth->nroles;
		c->authenticated = true;
		pss->auth->identity = NULL;
		pss->auth->roles = NULL;
		pss->auth->nroles = 0;
	}
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
	c->last_rx_us = lv__now_us();
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
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct lws_context *ctx = lws_get_context(wsi);
	lv_server *s = ctx ? lws_context_user(ctx) : NULL;
	lv_pss *pss = user;
	char uri[512];

	/* lws calls some reasons on sockets that never got as far as a
	 * protocol (a connection closed before its request, garbage, a TLS
	 * handshake on the plain port): they have no per-socket data. */
	lv_pss none = { 0 };
	if (!pss)
		pss = &none;
	if (!s)
		return 0;

	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		drain_inbox(s);
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

/* ---- heartbeat and stopping --------------------------------------------------------- */

static void
sweep(lws_sorted_usec_list_t *sul)
{
	lv_server *s = lws_container_of(sul, lv_server, sweep);
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
			if (m)
				lv__conn_queue(c, m);
			lv__msg_unref(m);
			c->ping_sent = true;
		}
	}
	int64_t every = hb / 4 < 1000000 ? hb / 4 : 1000000;
	lws_sul_schedule(s->ctx, 0, &s->sweep, sweep, every > 10000 ? every : 10000);
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
	if (s->ctx)
		lws_cancel_service(s->ctx);
}

/* ---- life -------------------------------------------------------------------------------- */

static void
lws_log_to_lv(int level, const char *line)
{
	(void)level;
	fprintf(stderr, "lv: lws: %s", line);
}

static lv_server *
server_new(const lv_app *app, const lv_options *opt, int *err)
{
	*err = 0;
	if (!app || app->abi != LV_ABI_VERSION) {
		fprintf(stderr, "lv: the app was generated for another runtime ABI; rebuild it\n");
		*err = LV_EINVALID_ARGUMENT;
		return NULL;
	}
	lv_server *s = calloc(1, sizeof *s);
	if (!s) {
		*err = LV_ENOMEM;
		return NULL;
	}
	s->app = app;
	if (opt)
		s->opt = *opt;
	lv_options *o = &s->opt;
	if (!o->host) o->host = "127.0.0.1";
	if (!o->port) o->port = 8080;
	if (o->port < 0) o->port = 0;
	if (!o->ws_path) o->ws_path = "/lv/ws";
	if (!o->index) o->index = "index.html";
	if (!o->max_message) o->max_message = 1u << 20;
	if (!o->max_pending) o->max_pending = 64;
	if (!o->max_queue) o->max_queue = 4096;
	if (!o->max_queue_bytes) o->max_queue_bytes = 8u << 20;
	if (!o->max_conns) o->max_conns = 10000;
	if (!o->max_detached) o->max_detached = 10000;
	if (!o->max_detached_bytes) o->max_detached_bytes = 64u << 20;
	if (!o->max_conns_per_addr) o->max_conns_per_addr = 64;
	if (!o->max_handshakes_per_addr) o->max_handshakes_per_addr = 16;
	if (!o->max_rx_bytes) o->max_rx_bytes = 64u << 20;
	if (!o->max_rx_bytes_per_addr) o->max_rx_bytes_per_addr = 8u << 20;
	if (!o->handshake_ms) o->handshake_ms = 10000;
	if (!o->body_ms) o->body_ms = 10000;
	if (!o->message_ms) o->message_ms = 10000;
	if (!o->heartbeat_ms) o->heartbeat_ms = 25000;
	if (!o->resume_ms) o->resume_ms = 120000;
	if (!o->shutdown_ms) o->shutdown_ms = 2000;
	if (!o->log_level) o->log_level = LV_LOG_WARN;
	const char *env = getenv("LV_LOG");
	if (env && *env >= '1' && *env <= '4')
		o->log_level = (lv_log_level)(*env - '0');
	s->log_level = o->log_level;
	pthread_mutex_init(&s->inbox_mu, NULL);
	s->wbuf = malloc(LWS_PRE + LV_WBUF);
	s->ep_stats = calloc(app->nendpoints + 1, sizeof *s->ep_stats);
	if (!s->wbuf || !s->ep_stats) {
		lv_server_free(s);
		*err = LV_ENOMEM;
		return NULL;
	}
	if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
		LV_LOG(s, LV_LOG_ERROR, "TLS needs both a certificate and a key");
		lv_server_free(s);
		*err = LV_EINVALID_ARGUMENT;
		return NULL;
	}

	/* Room for every connection the limit allows. */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < o->max_conns + 256) {
		rl.rlim_cur = rl.rlim_max < o->max_conns + 256 ? rl.rlim_max : o->max_conns + 256;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	lws_set_log_level(s->log_level >= LV_LOG_DEBUG ? LLL_ERR | LLL_WARN | LLL_NOTICE :
	                  s->log_level >= LV_LOG_WARN ? LLL_ERR : 0, lws_log_to_lv);
	s->protocols[0] = (struct lws_protocols){ "lv", callback, sizeof(lv_pss), 4096, 0, NULL, 0 };

	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = o->port;
	info.iface = o->host;
	info.protocols = s->protocols;
	info.user = s;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6 *
	               (strchr(o->host, ':') == NULL);
	info.fd_limit_per_thread = o->max_conns + 64;
	info.timeout_secs = (o->handshake_ms + 999) / 1000;
	info.timeout_secs_ah_idle = info.timeout_secs;
	if (o->tls_cert) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = o->tls_cert;
		info.ssl_private_key_filepath = o->tls_key;
	}
	s->ctx = lws_create_context(&info);
	if (!s->ctx) {
		LV_LOG(s, LV_LOG_ERROR, "cannot listen on %s:%d (in use, or not allowed)",
		       o->host, o->port);
		lv_server_free(s);
		*err = LV_EIO;
		return NULL;
	}
	s->vhost = lws_get_vhost_by_name(s->ctx, "default");
	s->port = s->vhost ? lws_get_vhost_listen_port(s->vhost) : o->port;
	return s;
}

int
lv_server_new(lv_server **out, const lv_app *app, const lv_options *opt)
{
	int err;
	*out = server_new(app, opt, &err);
	return *out ? 0 : err;
}

int lv_server_port(const lv_server *s) { return s->port; }
void *lv_server_data(const lv_server *s) { return s->opt.user_data; }

int
lv_server_run(lv_server *s)
{
	s->loop = pthread_self();
	atomic_store(&s->in_loop, true);
	signal(SIGPIPE, SIG_IGN);
	if (s->opt.handle_signals) {
		signal_target = s;
		signal(SIGINT, on_signal);
		signal(SIGTERM, on_signal);
	}
	drain_inbox(s);
	lv__lifecycle(s, "start", NULL);
	sweep(&s->sweep);

	int rc = 0;
	while (1) {
		if (lws_service(s->ctx, 0) < 0) {
			rc = LV_EIO;
			break;
		}
		if (atomic_load(&s->stop_requested) && !s->stopping) {
			s->stopping = true;
			s->stop_deadline_us = lv__now_us() + (int64_t)s->opt.shutdown_ms * 1000;
			LV_LOG(s, LV_LOG_INFO, "stopping: flushing %u connections", s->nconns);
			for (lv_conn *c = s->conns; c; c = c->next)
				lv__conn_close(c, 1001, "the server is going away");
			lws_sul_schedule(s->ctx, 0, &s->sweep, sweep, 100 * LWS_US_PER_MS);
		}
		if (s->stopping && (s->nconns == 0 || lv__now_us() > s->stop_deadline_us))
			break;
	}
	lv__lifecycle(s, "stop", NULL);
	lws_sul_cancel(&s->sweep);
	drain_inbox(s);
	atomic_store(&s->in_loop, false);
	if (signal_target == s) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal_target = NULL;
	}
	return rc;
}

void
lv_server_free(lv_server *s)
{
	if (!s)
		return;
	/* This thread is the loop now: what the closing handlers send or post
	 * runs at once instead of waiting in an inbox nobody drains. */
	atomic_store(&s->in_loop, true);
	s->loop = pthread_self();
	if (s->ctx) {
		/* Destroying the context closes what is left, through the
		 * callback, which ends or detaches the connections. */
		lws_context_destroy(s->ctx);
		s->ctx = NULL;
	}
	/* Sessions still waiting for their pages end here. */
	while (s->conns)
		lv__conn_end(s->conns);
	/* Work posted before the loop stopped: run, so its arguments are freed. */
	while (s->inbox) {
		lv_inbox_item *it = s->inbox;
		s->inbox = it->next;
		it->fn(s, it->arg);
		free(it);
	}
	atomic_store(&s->in_loop, false);
	lv__pending_free(s);
	lv__peers_free(s);
	free(s->sessions);
	lv__groups_free(s);
	pthread_mutex_destroy(&s->inbox_mu);
	free(s->wbuf);
	free(s->ep_stats);
	lv__call_pool_free(s);
	lv_buf_free(&s->scratch);
	free(s);
}

int
lv_app_run(const lv_app *app, int port)
{
	lv_options o;
	memset(&o, 0, sizeof o);
	o.port = port;
	o.handle_signals = true;
	const char *host = getenv("LV_HOST");
	if (host && *host)
		o.host = host;
	struct stat st;
	if (stat("static", &st) == 0 && S_ISDIR(st.st_mode))
		o.static_dir = "static";
	lv_server *s;
	int err = lv_server_new(&s, app, &o);
	if (err)
		return err;
	printf("lv: serving %s on http://%s:%d/\n", app->name, o.host ? o.host : "127.0.0.1",
	       lv_server_port(s));
	fflush(stdout);
	int rc = lv_server_run(s);
	lv_server_free(s);
	return rc;
}
