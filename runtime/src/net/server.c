/* server.c - a server's life: options and their defaults, the lws
 * context, run, free, and the beginner's lv_app_run. */
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

/* ---- life -------------------------------------------------------------------------------- */

/* A message before there is a server. */
static void
log_early(const lv_options *opt, lv_log_level level, const char *msg)
{
	lv_options none;
	memset(&none, 0, sizeof none);
	lv_log_sink k;
	lv__log_sink_init(&k, opt ? opt : &none);
	if (level <= k.level)
		lv__log_emit(&k, level, msg, strlen(msg));
}

/* LV_LOOP_DEFAULT: LV__LOOP_DEFAULT where libwebsockets can run on it,
 * else the poll loop. */
static lv_loop_kind
default_loop(lv_server *s)
{
	lv_loop_kind k = LV__LOOP_DEFAULT;
	if ((k == LV_LOOP_EV && !lv__ev_available(s, false)) ||
	    (k == LV_LOOP_UV && !lv__uv_available(s, false))) {
		LV_LOG(s, LV_LOG_INFO, "libwebsockets' %s plugin is not installed: the poll loop",
		       k == LV_LOOP_EV ? "libev" : "libuv");
		k = LV_LOOP_POLL;
	}
	return k;
}

static lv_server *
server_new(const lv_app *app, const lv_options *opt, int *err)
{
	*err = 0;
	if (!app || app->abi != LV_ABI_VERSION) {
		log_early(opt, LV_LOG_ERROR, "the app was generated for another runtime ABI; rebuild it");
		*err = LV_EINVALID_ARGUMENT;
		return NULL;
	}
	if (opt && ((unsigned)opt->loop > LV_LOOP_EV || (unsigned)opt->log_format > LV_LOG_JSON ||
	            (opt->uv_loop && opt->loop != LV_LOOP_DEFAULT && opt->loop != LV_LOOP_UV))) {
		log_early(opt, LV_LOG_ERROR, (unsigned)opt->log_format > LV_LOG_JSON ?
		          "log_format is LV_LOG_TEXT or LV_LOG_JSON" :
		          (unsigned)opt->loop > LV_LOOP_EV ?
		          "loop is LV_LOOP_DEFAULT, LV_LOOP_POLL, LV_LOOP_UV or LV_LOOP_EV" :
		          "uv_loop is a libuv loop: only with LV_LOOP_UV");
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
	lv__log_sink_init(&s->log, o);
	o->log_level = s->log.level;
	if (o->uv_loop)
		o->loop = LV_LOOP_UV;
	else if (o->loop == LV_LOOP_DEFAULT)
		o->loop = default_loop(s);
	pthread_mutex_init(&s->inbox_mu, NULL);
	s->wbuf = malloc(LWS_PRE + LV_WBUF);
	s->ep_stats = calloc(app->nendpoints + 1, sizeof *s->ep_stats);
	s->conn_ended = lv__on_conn_ended;
	if (!s->wbuf || !s->ep_stats) {
		lv_server_free(s);
		*err = LV_ENOMEM;
		return NULL;
	}
	if ((*err = lv__broker_new(s, &s->broker)) != 0) {
		lv_server_free(s);
		return NULL;
	}
	if ((o->tls_cert == NULL) != (o->tls_key == NULL)) {
		LV_LOG(s, LV_LOG_ERROR, "TLS needs both a certificate and a key");
		lv_server_free(s);
		*err = LV_EINVALID_ARGUMENT;
		return NULL;
	}
	if (o->uv_loop && o->handle_signals) {
		LV_LOG(s, LV_LOG_ERROR, "handle_signals is for lv_server_run: on its own libuv "
		       "loop the program handles signals (uv_signal_start) and calls lv_server_stop");
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
	/* Past the file limit accept() would fail with EMFILE and leave the
	 * listening socket readable for ever: hold what the limit allows, and
	 * libwebsockets, whose table is then the smaller, closes the rest. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)o->max_conns + 256) {
		uint32_t fit = rl.rlim_cur > 512 ? (uint32_t)(rl.rlim_cur - 256) : (uint32_t)rl.rlim_cur / 2;
		LV_LOG(s, LV_LOG_WARN, "max_conns %u is more than the file limit allows (%llu "
		       "descriptors): holding at most %u connections", (unsigned)o->max_conns,
		       (unsigned long long)rl.rlim_cur, (unsigned)fit);
		o->max_conns = fit;
	}

	lv__log_lws_follow(s);
	s->protocols[0] = (struct lws_protocols){ "lv", lv__ws_callback, sizeof(lv_pss), LV_RX_BUFFER, 0,
	                                          NULL, 0 };
	/* The broker's sockets and the store's wake-up, watched by lws' own
	 * poll (fdwatch.c). */
	if (o->loop == LV_LOOP_POLL && (lv__broker_node(s->broker) || app->nmodels))
		s->protocols[1] = (struct lws_protocols){ LV_FDWATCH_PROTOCOL, lv__fdwatch_callback, 0, 0,
		                                          0, NULL, 0 };

	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = o->port;
	info.iface = o->host;
	info.protocols = s->protocols;
	info.user = s;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6 *
	               (strchr(o->host, ':') == NULL);
	/* libwebsockets finds a socket's connection by its descriptor in a
	 * table indexed by descriptor when the table is as large as the file
	 * limit, and by walking the whole table when it is smaller: a table
	 * of max_conns made every event O(connections) (36% of the time
	 * accepting with 10,000 held). So the table is the limit's size, and
	 * max_conns is lv's own count. */
	info.fd_limit_per_thread = o->max_conns + 64;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur > info.fd_limit_per_thread && rl.rlim_cur <= UINT32_MAX)
		info.fd_limit_per_thread = (unsigned)rl.rlim_cur;
	/* No validity timer of libwebsockets' own per connection: lv's
	 * heartbeat (loop.c) pings idle pages and drops dead ones. Its
	 * default (a ping after 300 s) kept one timer per connection in a
	 * sorted list, re-armed by every frame received: each insert walked
	 * the list, O(connections) per message and per new connection. */
	static const lws_retry_bo_t no_validity = { .secs_since_valid_ping = 0,
	                                            .secs_since_valid_hangup = 0 };
	info.retry_and_idle_policy = &no_validity;
	info.timeout_secs = (o->handshake_ms + 999) / 1000;
	info.timeout_secs_ah_idle = info.timeout_secs;
	if (o->tls_cert) {
		info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
		info.ssl_cert_filepath = o->tls_cert;
		info.ssl_private_key_filepath = o->tls_key;
	}
	if ((o->loop == LV_LOOP_UV && (*err = lv__uv_new(s, &info)) != 0) ||
	    (o->loop == LV_LOOP_EV && (*err = lv__ev_new(s, &info)) != 0)) {
		lv_server_free(s);
		return NULL;
	}
	s->ctx = lws_create_context(&info);
	s->vhost = s->ctx ? lws_get_vhost_by_name(s->ctx, "default") : NULL;
	if (!s->vhost) {
		LV_LOG(s, LV_LOG_ERROR, "cannot listen on %s:%d (in use, or not allowed)",
		       o->host, o->port);
		if (s->ctx && s->uv)
			lv__uv_ctx_failed(s);
		lv_server_free(s);
		*err = LV_EIO;
		return NULL;
	}
	s->port = lws_get_vhost_listen_port(s->vhost);
	if ((s->uv && (*err = lv__uv_attach(s)) != 0) || (s->ev && (*err = lv__ev_attach(s)) != 0)) {
		lv_server_free(s);
		return NULL;
	}
	if ((*err = lv__models_open(s)) != 0) {
		lv_server_free(s);
		return NULL;
	}
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
void *lv_server_uv_loop(const lv_server *s) { return s->uv ? lv__uv_loop(s) : NULL; }

/* The context is gone: the rest of the server. */
static void
server_release(lv_server *s)
{
	atomic_store(&s->in_loop, true);
	s->loop = pthread_self();
	/* Sessions still waiting for their pages end here. */
	while (s->conns)
		lv__conn_end(s->conns);
	/* Work posted before the loop stopped: run, so its arguments are freed. */
	lv__inbox_drain(s);
	lv__models_free(s);
	lv__states_free(s);
	lv__timers_free(s);
	atomic_store(&s->in_loop, false);
	lv__log_lws_release(s);
	lv__pending_free(s);
	lv__peers_free(s);
	if (s->broker)
		s->broker->ops->free(s->broker);
	pthread_mutex_destroy(&s->inbox_mu);
	free(s->wbuf);
	free(s->ep_stats);
	lv__call_pool_free(s);
	lv_buf_free(&s->scratch);
	free(s);
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
	if (s->uv) {
		lv__uv_close(s, server_release);
		return;
	}
	if (s->ev) {
		lv__ev_close(s, server_release);
		return;
	}
	lv__wake_off(s);     /* no thread may wake a context being destroyed */
	lv__rcalls_fail(s, LV_EUNAVAILABLE);   /* their deadlines are in the context's lists */
	lv__timers_off(s);   /* their deadlines are in the context's lists */
	lv__models_off(s);   /* the store's wake-up is no longer watched */
	if (s->ctx) {
		/* Destroying the context closes what is left, through the
		 * protocol callback, which ends or detaches the connections. */
		lws_context_destroy(s->ctx);
		s->ctx = NULL;
	}
	server_release(s);
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
	const char *store = getenv("LV_STORE");
	if (store && *store)
		o.store = store;
	const char *resume = getenv("LV_RESUME_MS");
	if (resume && *resume) {
		char *end;
		errno = 0;
		unsigned long ms = strtoul(resume, &end, 10);
		if (errno || *end || resume[0] == '-' || ms == 0 || ms > UINT32_MAX) {
			fprintf(stderr, "lv: LV_RESUME_MS is '%s': expected milliseconds, "
			        "1 to %u\n", resume, UINT32_MAX);
			return LV_EINVALID_ARGUMENT;
		}
		o.resume_ms = (uint32_t)ms;
	}
	const char *broker = getenv("LV_BROKER");
	if (broker && *broker)
		o.broker = broker;
	const char *node = getenv("LV_NODE_ID");
	if (node && *node)
		o.node_id = node;
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

