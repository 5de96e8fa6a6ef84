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

/* ---- requests, for the auth callback --------------------------------------------- */

struct lv_request {
	struct lws *wsi;
	char path[256];
	char buf[4][512];           /* the strings handed out */
	int nbuf;
};

struct lv_auth {
	char *identity;
	char **roles;
	size_t nroles;
	bool set;
};

static char *
req_buf(const lv_request *r)
{
	lv_request *m = (lv_request *)r;
	return m->buf[m->nbuf++ % 4];
}

const char *
lv_request_header(const lv_request *r, const char *name)
{
	static const struct { const char *name; enum lws_token_indexes tok; } known[] = {
		{ "cookie", WSI_TOKEN_HTTP_COOKIE },
		{ "authorization", WSI_TOKEN_HTTP_AUTHORIZATION },
		{ "origin", WSI_TOKEN_ORIGIN },
		{ "host", WSI_TOKEN_HOST },
		{ "user-agent", WSI_TOKEN_HTTP_USER_AGENT },
		{ "x-forwarded-for", WSI_TOKEN_X_FORWARDED_FOR },
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcasecmp(name, known[i].name) == 0) {
			char *b = req_buf(r);
			if (lws_hdr_copy(r->wsi, b, 512, known[i].tok) <= 0)
				return NULL;
			return b;
		}
	return NULL;
}

/* Cookie: a=1; b=2 — the value of `name`, matched whole. */
const char *
lv_request_cookie(const lv_request *r, const char *name)
{
	char header[2048];
	if (lws_hdr_copy(r->wsi, header, sizeof header, WSI_TOKEN_HTTP_COOKIE) <= 0)
		return NULL;
	size_t n = strlen(name);
	for (char *p = header; *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		char *end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) > n && strncmp(p, name, n) == 0 && p[n] == '=') {
			char *b = req_buf(r);
			size_t len = (size_t)(end - p) - n - 1;
			if (len > 511)
				len = 511;
			memcpy(b, p + n + 1, len);
			b[len] = '\0';
			return b;
		}
		p = end;
	}
	return NULL;
}

const char *
lv_request_query(const lv_request *r, const char *name)
{
	char *b = req_buf(r);
	char key[128];
	snprintf(key, sizeof key, "%s=", name);
	const char *v = lws_get_urlarg_by_name(r->wsi, key, b, 512);
	return v;
}

const char *
lv_request_path(const lv_request *r)
{
	return r->path;
}

int
lv_auth_set(lv_auth *a, const char *identity, const char *const *roles, size_t nroles)
{
	free(a->identity);
	for (size_t i = 0; i < a->nroles; i++)
		free(a->roles[i]);
	free(a->roles);
	memset(a, 0, sizeof *a);
	a->identity = strdup(identity ? identity : "");
	a->roles = calloc(nroles + 1, sizeof *a->roles);
	if (!a->identity || !a->roles)
		return LV_ENOMEM;
	for (size_t i = 0; i < nroles; i++)
		if (!(a->roles[a->nroles++] = strdup(roles[i])))
			return LV_ENOMEM;
	a->set = true;
	return 0;
}

static void
auth_free(lv_auth *a)
{
	if (!a)
		return;
	free(a->identity);
	for (size_t i = 0; i < a->nroles; i++)
		free(a->roles[i]);
	free(a->roles);
	free(a);
}

/* The auth decided while the upgrade is still HTTP waits here for the
 * socket to become a WebSocket (lws gives it new per-socket data then). */
struct lv_pending_auth {
	struct lws *wsi;
	lv_auth *auth;
	struct lv_pending_auth *next;
};

static void
pending_put(lv_server *s, struct lws *wsi, lv_auth *a)
{
	struct lv_pending_auth *p = malloc(sizeof *p);
	if (!p) {
		auth_free(a);
		return;
	}
	p->wsi = wsi;
	p->auth = a;
	p->next = s->pending_auth;
	s->pending_auth = p;
}

static lv_auth *
pending_take(lv_server *s, struct lws *wsi)
{
	for (struct lv_pending_auth **p = &s->pending_auth; *p; p = &(*p)->next)
		if ((*p)->wsi == wsi) {
			struct lv_pending_auth *found = *p;
			lv_auth *a = found->auth;
			*p = found->next;
			free(found);
			return a;
		}
	return NULL;
}

/* Runs the application's auth callback; NULL when it refuses. */
static lv_auth *
run_auth(lv_server *s, struct lws *wsi, const char *path, int *refused)
{
	lv_auth *a = calloc(1, sizeof *a);
	*refused = 0;
	if (!a || !s->opt.auth)
		return a;
	lv_request *r = calloc(1, sizeof *r);
	if (!r) {
		free(a);
		return NULL;
	}
	r->wsi = wsi;
	snprintf(r->path, sizeof r->path, "%s", path);
	int rc = s->opt.auth(a, r, s->opt.user_data);
	free(r);
	if (rc < 0) {
		*refused = 1;
		s->refused++;
		auth_free(a);
		return NULL;
	}
	return a;
}

/* ---- HTTP ----------------------------------------------------------------------------- */

struct lv_http {
	lv_server *server;
	struct lws *wsi;
	const lv_endpoint *ep;
	lv_auth *auth;
	char *body;
	size_t len, cap;
	bool too_large;
	/* the answer */
	int status;
	const char *ctype;
	char *resp;                 /* owned unless resp_static */
	const char *const *parts;   /* or a static body in parts */
	uint32_t nparts;
	size_t resp_len;
	bool resp_static;
	bool ready;
	bool headers_sent;
	uint32_t part;              /* next part to write */
	lv_call *call;              /* a call being answered later */
};

/* Per socket. conn comes first: a session adopting a socket finds it as
 * the lv_conn * at lws_wsi_user(). */
typedef struct {
	lv_conn *conn;
	lv_http *http;
	lv_auth *auth;              /* between the upgrade and ESTABLISHED */
} lv_pss;

static void
http_respond(lv_http *h, int status, const char *ctype, char *body, size_t len)
{
	h->status = status;
	h->ctype = ctype;
	h->resp = body;
	h->resp_len = body ? len : 0;
	h->ready = true;
	lws_callback_on_writable(h->wsi);
}

void
lv__http_answer(lv_http *h, int status, char *body)
{
	if (!h) {
		free(body);   /* the client went away meanwhile */
		return;
	}
	h->call = NULL;
	if (!body) {
		status = 500;
		body = strdup("{\"ok\":false,\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}");
	}
	http_respond(h, status, "application/json", body, body ? strlen(body) : 0);
}

static void
http_error(lv_http *h, int status, const char *code, const char *message)
{
	json_t *e = json_pack("{s:b, s:{s:s, s:s}}", "ok", 0, "error", "code", code,
	                      "message", message);
	char *body = json_dumps(e, JSON_COMPACT);
	json_decref(e);
	http_respond(h, status, "application/json", body, body ? strlen(body) : 0);
}

static int
http_write(lv_http *h)
{
	unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start,
	              *end = hdr + sizeof hdr - 1;
	struct lws *wsi = h->wsi;
	if (!h->headers_sent) {
		size_t total = h->resp_len;
		if (lws_add_http_common_headers(wsi, (unsigned)h->status, h->ctype, total, &p, end) ||
		    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
		                                 (const unsigned char *)"no-store", 8, &p, end) ||
		    lws_add_http_header_by_name(wsi, (const unsigned char *)"x-content-type-options:",
		                                (const unsigned char *)"nosniff", 7, &p, end) ||
		    lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
		h->headers_sent = true;
		if (total) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	} else if (h->parts) {
		const char *part = h->parts[h->part];
		size_t n = strlen(part);
		unsigned char *buf = malloc(LWS_PRE + n);
		if (!buf)
			return -1;
		memcpy(buf + LWS_PRE, part, n);
		bool last = ++h->part == h->nparts;
		int rc = lws_write(wsi, buf + LWS_PRE, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
		free(buf);
		if (rc < 0)
			return -1;
		if (!last) {
			lws_callback_on_writable(wsi);
			return 0;
		}
	} else {
		unsigned char *buf = malloc(LWS_PRE + h->resp_len);
		if (!buf)
			return -1;
		memcpy(buf + LWS_PRE, h->resp, h->resp_len);
		int rc = lws_write(wsi, buf + LWS_PRE, h->resp_len, LWS_WRITE_HTTP_FINAL);
		free(buf);
		if (rc < 0)
			return -1;
	}
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static void
http_free(lv_http *h)
{
	if (!h)
		return;
	if (h->call)
		h->call->http = NULL;   /* a deferred answer will find nobody */
	if (!h->resp_static)
		free(h->resp);
	free(h->body);
	auth_free(h->auth);
	free(h);
}

static size_t
parts_len(const char *const *parts, uint32_t n)
{
	size_t len = 0;
	for (uint32_t i = 0; i < n; i++)
		len += strlen(parts[i]);
	return len;
}

static void
http_static_parts(lv_http *h, const char *ctype, const char *const *parts, uint32_t n,
                  size_t len)
{
	h->status = 200;
	h->ctype = ctype;
	h->parts = parts;
	h->nparts = n;
	h->resp_len = len;
	h->resp_static = true;
	h->ready = true;
	lws_callback_on_writable(h->wsi);
}

static char *
metrics_text(lv_server *s, size_t *len)
{
	lv_buf b;
	char line[512];
	lv_buf_init(&b);
#define PUT(...) do { snprintf(line, sizeof line, __VA_ARGS__); lv_buf_puts(&b, line); } while (0)
	PUT("# HELP lv_connections Open connections.\n# TYPE lv_connections gauge\n");
	PUT("lv_connections %u\n", s->nconns);
	PUT("# HELP lv_pages Connections that said hello.\n# TYPE lv_pages gauge\n");
	PUT("lv_pages %u\n", s->npages);
	PUT("# TYPE lv_connections_total counter\nlv_connections_total %llu\n",
	    (unsigned long long)s->conns_total);
	PUT("# TYPE lv_messages_in_total counter\nlv_messages_in_total %llu\n",
	    (unsigned long long)s->msgs_in);
	PUT("# TYPE lv_messages_out_total counter\nlv_messages_out_total %llu\n",
	    (unsigned long long)s->msgs_out);
	PUT("# TYPE lv_bytes_in_total counter\nlv_bytes_in_total %llu\n",
	    (unsigned long long)s->bytes_in);
	PUT("# TYPE lv_bytes_out_total counter\nlv_bytes_out_total %llu\n",
	    (unsigned long long)s->bytes_out);
	PUT("# HELP lv_dropped_total Volatile messages dropped for slow pages.\n"
	    "# TYPE lv_dropped_total counter\nlv_dropped_total %llu\n",
	    (unsigned long long)s->dropped);
	PUT("# TYPE lv_closed_slow_total counter\nlv_closed_slow_total %llu\n",
	    (unsigned long long)s->closed_slow);
	PUT("# TYPE lv_refused_total counter\nlv_refused_total %llu\n",
	    (unsigned long long)s->refused);
	PUT("# HELP lv_sessions Sessions, attached or waiting for their page to resume.\n"
	    "# TYPE lv_sessions gauge\nlv_sessions %u\n", s->nsessions);
	PUT("# TYPE lv_sessions_detached gauge\nlv_sessions_detached %u\n", s->ndetached);
	PUT("# TYPE lv_resumed_total counter\nlv_resumed_total %llu\n",
	    (unsigned long long)s->resumed);
	PUT("# TYPE lv_sessions_expired_total counter\nlv_sessions_expired_total %llu\n",
	    (unsigned long long)s->expired);
	PUT("# HELP lv_duplicates_total Reliable messages received twice and dropped.\n"
	    "# TYPE lv_duplicates_total counter\nlv_duplicates_total %llu\n",
	    (unsigned long long)s->duplicates);
	size_t depth = 0, qbytes = 0;
	for (lv_conn *c = s->conns; c; c = c->next) {
		depth += c->qlen;
		qbytes += c->qbytes;
	}
	PUT("# HELP lv_queue_messages Messages waiting to be written.\n"
	    "# TYPE lv_queue_messages gauge\nlv_queue_messages %zu\n", depth);
	PUT("# TYPE lv_queue_bytes gauge\nlv_queue_bytes %zu\n", qbytes);
	PUT("# HELP lv_calls_total Handler runs by endpoint.\n# TYPE lv_calls_total counter\n");
	for (uint32_t i = 0; i < s->app->nendpoints; i++)
		if (s->app->endpoints[i].invoke)
			PUT("lv_calls_total{endpoint=\"%s\"} %llu\n", s->app->endpoints[i].name,
			    (unsigned long long)s->ep_stats[i].calls);
	PUT("# TYPE lv_call_errors_total counter\n");
	for (uint32_t i = 0; i < s->app->nendpoints; i++)
		if (s->app->endpoints[i].invoke)
			PUT("lv_call_errors_total{endpoint=\"%s\"} %llu\n", s->app->endpoints[i].name,
			    (unsigned long long)s->ep_stats[i].errors);
	PUT("# HELP lv_errors_total Errors answered, by code.\n# TYPE lv_errors_total counter\n");
	for (int i = 1; i < 16; i++)
		if (s->errors_by_code[i])
			PUT("lv_errors_total{code=\"%s\"} %llu\n", lv_errname(-i),
			    (unsigned long long)s->errors_by_code[i]);
#undef PUT
	*len = b.len;
	return b.data;
}

/* A static file under static_dir, or NULL: no "..", no hidden files, and
 * the resolved path must stay inside the folder (symlinks included). */
static char *
static_path(lv_server *s, const char *uri)
{
	if (!s->opt.static_dir || uri[0] != '/')
		return NULL;
	const char *rel = uri + 1;
	if (!*rel)
		rel = s->opt.index;
	for (const char *p = rel; *p; p++)
		if ((p == rel || p[-1] == '/') && p[0] == '.')
			return NULL;   /* "..", ".git", "./" */
	if (strchr(rel, '\\') || strstr(rel, "//"))
		return NULL;
	char joined[PATH_MAX];
	if (snprintf(joined, sizeof joined, "%s/%s", s->opt.static_dir, rel) >= (int)sizeof joined)
		return NULL;
	char *real = realpath(joined, NULL), *root = realpath(s->opt.static_dir, NULL);
	struct stat st;
	bool ok = real && root && strncmp(real, root, strlen(root)) == 0 &&
	          (real[strlen(root)] == '/' || real[strlen(root)] == '\0') &&
	          stat(real, &st) == 0 && S_ISREG(st.st_mode);
	free(root);
	if (!ok) {
		free(real);
		return NULL;
	}
	return real;
}

static const char *
mime_of(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" }, { ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" }, { ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" }, { ".svg", "image/svg+xml" },
		{ ".png", "image/png" }, { ".jpg", "image/jpeg" }, { ".ico", "image/x-icon" },
		{ ".txt", "text/plain; charset=utf-8" }, { ".wasm", "application/wasm" },
		{ ".woff2", "font/woff2" }, { ".map", "application/json" },
	};
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (strcasecmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* Routes an HTTP request. Returns what the lws callback should. */
static int
http_request(lv_server *s, struct lws *wsi, lv_pss *pss, const char *uri)
{
	bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
	lv_http *h = calloc(1, sizeof *h);
	if (!h)
		return -1;
	h->server = s;
	h->wsi = wsi;
	pss->http = h;

	if (post && strncmp(uri, "/lv/rpc/", 8) == 0) {
		const char *name = uri + 8;
		const lv_endpoint *ep = lv_app_find(s->app, name, strlen(name));
		if (!ep || ep->kind != LV_SERVER_RPC || !(ep->flags & LV_EP_HTTP)) {
			http_error(h, 404, "not_found", "no endpoint of that name answers over HTTP");
			return 0;
		}
		int refused;
		h->auth = run_auth(s, wsi, uri, &refused);
		if (!h->auth) {
			http_error(h, refused ? 403 : 500, refused ? "permission_denied" : "internal",
			           refused ? "refused by the server's auth" : "out of memory");
			return 0;
		}
		h->ep = ep;
		return 0;   /* the body comes in LWS_CALLBACK_HTTP_BODY */
	}
	if (post) {
		http_error(h, 404, "not_found", "POST goes to /lv/rpc/NAME");
		return 0;
	}
	if (strcmp(uri, "/lv.js") == 0) {
		http_static_parts(h, "text/javascript; charset=utf-8", lv__js_runtime,
		                  lv__js_runtime_parts, parts_len(lv__js_runtime, lv__js_runtime_parts));
		return 0;
	}
	char modpath[300];
	snprintf(modpath, sizeof modpath, "/%s.lv.js", s->app->base);
	if (strcmp(uri, modpath) == 0) {
		http_static_parts(h, "text/javascript; charset=utf-8", s->app->js_module,
		                  s->app->js_module_parts, s->app->js_module_len);
		return 0;
	}
	if (strcmp(uri, "/lv/metrics") == 0) {
		size_t len;
		char *text = metrics_text(s, &len);
		http_respond(h, 200, "text/plain; version=0.0.4", text, len);
		return 0;
	}
	char *file = static_path(s, uri);
	if (file) {
		pss->http = NULL;
		http_free(h);
		int rc = lws_serve_http_file(wsi, file, mime_of(file), NULL, 0);
		free(file);
		if (rc < 0 || (rc > 0 && lws_http_transaction_completed(wsi)))
			return -1;
		return 0;
	}
	http_error(h, 404, "not_found", "no such page");
	return 0;
}

static void
http_body_done(lv_server *s, lv_http *h)
{
	const lv_endpoint *ep = h->ep;
	if (h->too_large) {
		http_error(h, 413, "resource_exhausted", "request body over the size limit");
		return;
	}
	/* Only JSON bodies: a form or text/plain POST from another site must
	 * not run an endpoint on the strength of the user's cookies. */
	char ctype[128];
	if (lws_hdr_copy(h->wsi, ctype, sizeof ctype, WSI_TOKEN_HTTP_CONTENT_TYPE) <= 0 ||
	    strncasecmp(ctype, "application/json", 16) != 0) {
		http_error(h, 415, "invalid_argument", "the body must be application/json");
		return;
	}
	if (ep->rate_count && !lv__http_take_token(s, ep)) {
		lv__count_error(s, LV_ERESOURCE_EXHAUSTED);
		http_error(h, 429, "resource_exhausted", "over the endpoint's rate");
		return;
	}
	if (ep->max_bytes && (int64_t)h->len > ep->max_bytes) {
		char msg[160];
		snprintf(msg, sizeof msg, "%s: body of %zu bytes is over its limit of %lld", ep->name,
		         h->len, (long long)ep->max_bytes);
		http_error(h, 413, "resource_exhausted", msg);
		return;
	}
	json_error_t jerr;
	json_t *args = h->len ? json_loadb(h->body, h->len, JSON_REJECT_DUPLICATES, &jerr)
	                      : json_object();
	if (!args || !json_is_object(args)) {
		char msg[256];
		snprintf(msg, sizeof msg, "%s: the body is a JSON object of named arguments%s%s",
		         ep->name, args ? "" : ": ", args ? "" : jerr.text);
		json_decref(args);
		http_error(h, 400, "invalid_argument", msg);
		return;
	}
	/* access, as for a WebSocket call */
	bool ok = (ep->flags & LV_EP_PUBLIC) != 0;
	for (uint32_t i = 0; !ok && h->auth->set && i < ep->nroles; i++) {
		ok = strcmp(ep->roles[i], "*") == 0;
		for (size_t j = 0; !ok && j < h->auth->nroles; j++)
			ok = strcmp(ep->roles[i], h->auth->roles[j]) == 0;
	}
	if (!ok) {
		json_decref(args);
		lv__count_error(s, h->auth->set ? LV_EPERMISSION_DENIED : LV_EUNAUTHENTICATED);
		http_error(h, h->auth->set ? 403 : 401, h->auth->set ? "permission_denied" :
		           "unauthenticated", h->auth->set ? "this identity lacks the role this "
		           "endpoint needs" : "this endpoint needs a signed-in caller");
		return;
	}
	lv_call *call = lv__call_new(s, NULL, ep, LV_VIA_HTTP);
	if (!call) {
		json_decref(args);
		http_error(h, 500, "internal", "out of memory");
		return;
	}
	call->http = h;
	call->identity = h->auth->identity;
	call->roles = h->auth->roles;
	call->nroles = h->auth->nroles;
	call->args_json = args;
	call->args = lv_arena_alloc(&call->arena, ep->args->size);
	call->result = ep->result ? lv_arena_alloc(&call->arena, ep->result->size) : NULL;
	h->call = call;
	lv_error err;
	if (!call->args || lv_decode_fields(ep->args, args, call->args, &call->arena,
	                                    &s->opt.limits, &err)) {
		char msg[300];
		snprintf(msg, sizeof msg, "%s: %s%s%s", ep->name, err.path, err.path[0] ? ": " : "",
		         err.message);
		h->call = NULL;
		lv__call_free(call);
		lv__count_error(s, LV_EINVALID_ARGUMENT);
		json_t *e = json_pack("{s:b, s:{s:s, s:s, s:s}}", "ok", 0, "error", "code",
		                      "invalid_argument", "message", msg, "path", err.path);
		char *body = json_dumps(e, JSON_COMPACT);
		json_decref(e);
		http_respond(h, 400, "application/json", body, body ? strlen(body) : 0);
		return;
	}
	lv__invoke(call);
}

/* HTTP rpc has no connection to hold a bucket: one per endpoint, for all
 * HTTP callers together. */
bool
lv__http_take_token(lv_server *s, const lv_endpoint *ep)
{
	size_t i = (size_t)(ep - s->app->endpoints);
	if (!s->http_buckets) {
		s->http_buckets = calloc(s->app->nendpoints + 1, sizeof *s->http_buckets);
		s->http_bucket_us = calloc(s->app->nendpoints + 1, sizeof *s->http_bucket_us);
		if (!s->http_buckets || !s->http_bucket_us)
			return false;
	}
	return lv__bucket_take(&s->http_buckets[i], &s->http_bucket_us[i], ep);
}

/* ---- the protocol callback --------------------------------------------------------- */

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
	static lv_pss none;
	if (!pss) {
		memset(&none, 0, sizeof none);
		pss = &none;
	}

	switch (reason) {
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		if (s)
			drain_inbox(s);
		return 0;

	case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
		/* Still HTTP: a refusal gets a status the client can read. */
		int status = 0;
		bool by_auth = false;
		const char *why = NULL;
		if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 ||
		    strcmp(uri, s->opt.ws_path) != 0) {
			status = 404;
			why = "no WebSocket here";
		} else if (s->stopping || s->nconns >= s->opt.max_conns) {
			status = 503;
			why = s->stopping ? "the server is stopping" : "too many connections";
		} else if (s->opt.origins) {
			char origin[256];
			bool ok = false;
			if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) > 0)
				for (const char *const *o = s->opt.origins; *o && !ok; o++)
					ok = strcmp(*o, origin) == 0;
			if (!ok) {
				status = 403;
				why = "this origin may not connect";
			}
		}
		if (!status) {
			int refused;
			lv_auth *a = run_auth(s, wsi, uri, &refused);
			if (!a) {
				by_auth = true;
				status = refused ? 403 : 500;
				why = refused ? "refused by the server's auth" : "out of memory";
			} else {
				auth_free(pending_take(s, wsi));
				pending_put(s, wsi, a);
			}
		}
		if (!status)
			return 0;
		if (!by_auth)
			s->refused++;   /* run_auth counts its own refusals */
		LV_LOG(s, LV_LOG_INFO, "refused an upgrade: %d %s", status, why);
		lws_return_http_status(wsi, (unsigned)status, why);
		return -1;
	}

	case LWS_CALLBACK_ESTABLISHED: {
		lv_conn *c = lv__conn_new(s, wsi);
		pss->auth = pending_take(s, wsi);
		if (!c)
			return -1;
		if (pss->auth && pss->auth->set) {
			c->identity = pss->auth->identity;
			c->roles = pss->auth->roles;
			c->nroles = pss->auth->nroles;
			c->authenticated = true;
			pss->auth->identity = NULL;
			pss->auth->roles = NULL;
			pss->auth->nroles = 0;
		}
		auth_free(pss->auth);
		pss->auth = NULL;
		pss->conn = c;
		return 0;
	}

	case LWS_CALLBACK_RECEIVE: {
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
		if (c->rxlen + len > s->opt.max_message) {
			free(c->rx);
			c->rx = NULL;
			c->rxlen = c->rxcap = 0;
			lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
			                 (unsigned char *)"message too large", 17);
			return -1;
		}
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
			char *rx = realloc(c->rx, cap);
			if (!rx)
				return -1;
			c->rx = rx;
			c->rxcap = cap;
		}
		memcpy(c->rx + c->rxlen, in, len);
		c->rxlen += len;
		if (last) {
			/* Idle connections keep no buffer; and c may be gone after. */
			char *rx = c->rx;
			size_t n = c->rxlen;
			c->rx = NULL;
			c->rxlen = c->rxcap = 0;
			lv__dispatch(c, rx, n);
			free(rx);
		}
		return 0;
	}

	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		/* A page that says goodbye (1000, or 1001 as it unloads) is gone
		 * for good; any other close leaves its session to resume. */
		if (pss->conn && len >= 2) {
			unsigned code = (unsigned)((const unsigned char *)in)[0] << 8 |
			                ((const unsigned char *)in)[1];
			if (code == 1000 || code == 1001)
				pss->conn->end_on_close = true;
		}
		return 0;

	case LWS_CALLBACK_SERVER_WRITEABLE:
		if (!pss->conn)
			return -1;
		return lv__conn_writable(pss->conn);

	case LWS_CALLBACK_CLOSED:
		if (pss->conn) {
			lv__conn_closed(pss->conn);
			pss->conn = NULL;
		}
		auth_free(pss->auth);
		pss->auth = NULL;
		return 0;

	case LWS_CALLBACK_HTTP:
		snprintf(uri, sizeof uri, "%s", (const char *)in);
		return http_request(s, wsi, pss, uri);

	case LWS_CALLBACK_HTTP_BODY: {
		lv_http *h = pss->http;
		if (!h || !h->ep)
			return 0;
		if (h->too_large || h->len + len > s->opt.max_message) {
			h->too_large = true;
			return 0;
		}
		if (h->len + len > h->cap) {
			size_t cap = h->cap ? h->cap * 2 : 1024;
			while (cap < h->len + len)
				cap *= 2;
			char *b = realloc(h->body, cap);
			if (!b)
				return -1;
			h->body = b;
			h->cap = cap;
		}
		memcpy(h->body + h->len, in, len);
		h->len += len;
		return 0;
	}

	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (pss->http && pss->http->ep && !pss->http->ready)
			http_body_done(s, pss->http);
		return 0;

	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (!pss->http || !pss->http->ready)
			return 0;
		return http_write(pss->http);

	case LWS_CALLBACK_HTTP_FILE_COMPLETION:
		return lws_http_transaction_completed(wsi) ? -1 : 0;

	case LWS_CALLBACK_CLOSED_HTTP:
		auth_free(pending_take(s, wsi));   /* an upgrade that never finished */
		/* fall through */
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		http_free(pss->http);
		pss->http = NULL;
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
	for (lv_conn *c = s->conns, *next; c; c = next) {
		next = c->next;
		if (c->detached_us) {
			if (c->overflowed) {
				lv__conn_end(c);   /* it cannot resume: a message was lost */
			} else if (now - c->detached_us > ttl) {
				s->expired++;
				memcpy(s->ended_tokens[s->ended_next++ % 256], c->token, sizeof c->token);
				lv__conn_end(c);
			}
			continue;
		}
		if (!c->wsi)
			continue;
		int64_t idle = now - c->last_rx_us;
		if (idle > 2 * hb) {
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

lv_server *
lv_server_new(const lv_app *app, const lv_options *opt, int *err)
{
	int dummy;
	if (!err)
		err = &dummy;
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
	info.timeout_secs = 10;
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
	while (s->pending_auth)
		auth_free(pending_take(s, s->pending_auth->wsi));
	free(s->sessions);
	lv__groups_free(s);
	pthread_mutex_destroy(&s->inbox_mu);
	free(s->wbuf);
	free(s->ep_stats);
	free(s->http_buckets);
	free(s->http_bucket_us);
	lv__call_pool_free(s);
	lv_buf_free(&s->scratch);
	free(s);
}

int
lv_run(const lv_app *app, int port)
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
	int err;
	lv_server *s = lv_server_new(app, &o, &err);
	if (!s)
		return err;
	printf("lv: serving %s on http://%s:%d/\n", app->name, o.host ? o.host : "127.0.0.1",
	       lv_server_port(s));
	fflush(stdout);
	int rc = lv_server_run(s);
	lv_server_free(s);
	return rc;
}
