/* http.c - HTTP on the WebSocket's port: one request per connection, checked
 * (method, framing, media type, origin, deadline) and routed to an rpc, the
 * runtime's scripts, the metrics page or a static file.
 *
 * Every answer says "Connection: close" and the connection closes after it.
 * libwebsockets 4.1 misreads a request pipelined behind another (it takes
 * the request's own header bytes for its body and loops for good), so lv
 * never lets it parse a second request: an answer is written whole from
 * inside the callback that decided it, which then closes the connection
 * before lws looks at what follows. An answer given later (a deferred rpc)
 * waits with input paused, and is written and closed the same way. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/net.h"

typedef enum { M_GET, M_HEAD, M_POST, M_OTHER } lv_method;

struct lv_http {
	lv_server *server;
	struct lws *wsi;
	lv_http *prev, *next;       /* the server's exchanges in progress */
	lv_method method;
	int64_t body_deadline_us;   /* 0: not reading a body */
	const lv_endpoint *ep;      /* an rpc whose body is being read */
	lv_auth *auth;
	char *body;
	size_t len, cap;
	bool too_large;
	/* the answer */
	int status;
	const char *ctype;
	const char *allow;          /* 405: the methods that are */
	char *resp;                 /* owned unless resp_static */
	const char *const *parts;   /* or a static body in parts */
	uint32_t nparts;
	size_t resp_len;
	bool resp_static;
	bool ready;                 /* answered (written, or being written) */
	bool in_callback;           /* lws is in a callback for this socket */
	bool close;                 /* written: that callback closes it */
	lv_call *call;              /* a call being answered later */
};

/* Static files are read whole: lv serves a page and its scripts, not
 * downloads (put a web server in front for those). */
#define MAX_FILE (16u << 20)

static int http_send(lv_http *h);

/* ---- answers ------------------------------------------------------------------ */

/* The answer is decided: written now, and the connection closed. */
static void
respond_ready(lv_http *h)
{
	h->ready = true;
	h->body_deadline_us = 0;
	if (h->in_callback) {
		http_send(h);
		h->close = true;   /* the callback returns -1 */
		return;
	}
	/* From outside lws' callback for this socket (a deferred answer, a
	 * deadline): input was paused, and lws writes only when it is not. */
	lws_rx_flow_control(h->wsi, 1);
	http_send(h);
	lws_set_timeout(h->wsi, PENDING_TIMEOUT_HTTP_CONTENT, LWS_TO_KILL_ASYNC);
	lv__lws_touched(h->server);
}

static void
http_respond(lv_http *h, int status, const char *ctype, char *body, size_t len)
{
	if (h->ready) {
		free(body);   /* answered already (a deadline, then a late body) */
		return;
	}
	h->status = status;
	h->ctype = ctype;
	h->resp = body;
	h->resp_len = body ? len : 0;
	respond_ready(h);
}

/* A call's answer (its http_answer): status code and JSON body (taken). */
static void
http_answer(lv_http *h, int status, char *body)
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

static void
http_not_allowed(lv_http *h, const char *allow)
{
	h->allow = allow;
	http_error(h, 405, "invalid_argument", "this method is not served here");
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
	respond_ready(h);
}

static size_t
parts_len(const char *const *parts, uint32_t n)
{
	size_t len = 0;
	for (uint32_t i = 0; i < n; i++)
		len += strlen(parts[i]);
	return len;
}

/* Writes the whole answer: lws sends what the socket takes and keeps the
 * rest, which it flushes before it closes the connection. */
static int
http_send(lv_http *h)
{
	unsigned char hdr[LWS_PRE + 1024], *start = hdr + LWS_PRE, *p = start,
	              *end = hdr + sizeof hdr - 1;
	struct lws *wsi = h->wsi;
	if (lws_add_http_common_headers(wsi, (unsigned)h->status, h->ctype, h->resp_len, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
	                                 (const unsigned char *)"close", 5, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
	                                 (const unsigned char *)"no-store", 8, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"x-content-type-options:",
	                                (const unsigned char *)"nosniff", 7, &p, end))
		return -1;
	if (h->allow && lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_ALLOW,
	                                             (const unsigned char *)h->allow,
	                                             (int)strlen(h->allow), &p, end))
		return -1;
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	if (h->method == M_HEAD || !h->resp_len)
		return 0;
	unsigned char *buf = malloc(LWS_PRE + h->resp_len);
	if (!buf)
		return -1;
	if (h->parts) {
		size_t at = 0;
		for (uint32_t i = 0; i < h->nparts; i++) {
			size_t n = strlen(h->parts[i]);
			memcpy(buf + LWS_PRE + at, h->parts[i], n);
			at += n;
		}
	} else {
		memcpy(buf + LWS_PRE, h->resp, h->resp_len);
	}
	int rc = lws_write(wsi, buf + LWS_PRE, h->resp_len, LWS_WRITE_HTTP_FINAL);
	free(buf);
	return rc < 0 ? -1 : 0;
}

static void
http_free(lv_http *h)
{
	if (!h)
		return;
	lv_server *s = h->server;
	LV_UNLINK(&s->https, h, prev, next);
	if (h->call)
		h->call->http = NULL;   /* a deferred answer will find nobody */
	if (!h->resp_static)
		free(h->resp);
	free(h->body);
	lv__peer_rx_set(s, lv__peer_of(h->wsi), 0);
	lv__auth_free(h->auth);
	free(h);
}

/* ---- static files ---------------------------------------------------------------- */

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

/* Answers with the file at path (resolved and checked). */
static void
http_file(lv_http *h, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		if (fd >= 0)
			close(fd);
		http_error(h, 404, "not_found", "no such page");
		return;
	}
	if ((uint64_t)st.st_size > MAX_FILE) {
		close(fd);
		LV_LOG(h->server, LV_LOG_WARN, "%s is over %u MiB: not served", path, MAX_FILE >> 20);
		http_error(h, 500, "internal", "the file is too large to serve");
		return;
	}
	size_t n = (size_t)st.st_size, got = 0;
	char *data = malloc(n ? n : 1);
	while (data && got < n) {
		ssize_t r = read(fd, data + got, n - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!data || got != n) {
		free(data);
		http_error(h, 500, "internal", "the file could not be read");
		return;
	}
	h->method = h->method == M_HEAD ? M_HEAD : M_GET;
	http_respond(h, 200, mime_of(path), data, n);
}

/* ---- checks on the request ---------------------------------------------------------- */

static lv_method
method_of(struct lws *wsi)
{
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
		return M_GET;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0)
		return M_HEAD;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0)
		return M_POST;
	return M_OTHER;
}

/* How the body is framed: 0 when it can be read (by its Content-Length,
 * or empty), else the status to refuse it with, and why. */
static int
framing_error(struct lws *wsi, const char **why)
{
	bool te = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
	bool cl = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0;
	if (te && cl) {
		*why = "a request with both Content-Length and Transfer-Encoding";
		return 400;
	}
	if (te) {
		*why = "a body needs a Content-Length (chunked bodies are not read)";
		return 411;
	}
	if (!cl)
		return 0;
	if (lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, 1) > 0) {
		*why = "more than one Content-Length";
		return 400;
	}
	char v[32];
	int n = lws_hdr_copy(wsi, v, sizeof v, WSI_TOKEN_HTTP_CONTENT_LENGTH);
	bool digits = n > 0 && n < 20;
	for (int i = 0; digits && i < n; i++)
		digits = v[i] >= '0' && v[i] <= '9';
	if (!digits) {
		*why = "a Content-Length that is not a number";
		return 400;
	}
	return 0;
}

/* Is the media type application/json (parameters allowed)? */
static bool
json_media_type(struct lws *wsi)
{
	char ctype[128];
	int n = lws_hdr_copy(wsi, ctype, sizeof ctype, WSI_TOKEN_HTTP_CONTENT_TYPE);
	if (n <= 0)
		return false;
	size_t len = strcspn(ctype, ";");
	while (len && (ctype[len - 1] == ' ' || ctype[len - 1] == '\t'))
		len--;
	const char *p = ctype;
	while (len && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	return len == 16 && strncasecmp(p, "application/json", 16) == 0;
}

static bool
may_read_metrics(lv_server *s, struct lws *wsi, const char *uri)
{
	switch (s->opt.metrics) {
	case LV_METRICS_ANY:
		return true;
	case LV_METRICS_LOOPBACK:
		return lv__peer_loopback(wsi);
	case LV_METRICS_ROLE: {
		int refused;
		lv_auth *a = lv__run_auth(s, wsi, uri, &refused);
		bool ok = s->opt.metrics_role && lv__auth_has_role(a, s->opt.metrics_role);
		lv__auth_free(a);
		return ok;
	}
	case LV_METRICS_OFF:
	default:
		return false;
	}
}

/* ---- an rpc ----------------------------------------------------------------------------- */

static void body_done(lv_server *s, lv_http *h);

/* POST /lv/rpc/NAME: everything that can be checked before the body. */
static void
rpc_request(lv_server *s, lv_http *h, const char *uri)
{
	struct lws *wsi = h->wsi;
	const char *name = uri + 8;
	const lv_endpoint *ep = lv_app_find(s->app, name, strlen(name));
	if (h->method != M_POST) {
		http_not_allowed(h, "POST");
		return;
	}
	if (!ep || ep->kind != LV_SERVER_RPC || !(ep->flags & LV_EP_HTTP)) {
		http_error(h, 404, "not_found", "no endpoint of that name answers over HTTP");
		return;
	}
	char why[160];
	if (!lv__origin_allowed(s, wsi)) {
		s->refused++;
		snprintf(why, sizeof why, "%s: this origin may not call", ep->name);
		http_error(h, 403, "permission_denied", why);
		return;
	}
	/* Only JSON bodies: a form or text/plain POST from another site must
	 * not run an endpoint on the strength of the user's cookies. */
	if (!json_media_type(wsi)) {
		snprintf(why, sizeof why, "%s: the body must be JSON (Content-Type: "
		         "application/json)", ep->name);
		http_error(h, 415, "invalid_argument", why);
		return;
	}
	int refused;
	h->auth = lv__run_auth(s, wsi, uri, &refused);
	if (!h->auth) {
		http_error(h, refused ? 403 : 500, refused ? "permission_denied" : "internal",
		           refused ? "refused by the server's auth" : "out of memory");
		return;
	}
	h->ep = ep;
	if (lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) <= 0) {
		body_done(s, h);   /* no Content-Length: an empty body */
		return;
	}
	char v[32];
	lws_hdr_copy(wsi, v, sizeof v, WSI_TOKEN_HTTP_CONTENT_LENGTH);
	if (strtoull(v, NULL, 10) == 0) {
		body_done(s, h);
		return;
	}
	h->body_deadline_us = lv__now_us() + (int64_t)s->opt.body_ms * 1000;
	/* the body comes in LWS_CALLBACK_HTTP_BODY */
}

/* What lws should hear when its callback for h returns: -1 closes the
 * connection once the answer is written. */
static int
after_callback(lv_http *h)
{
	h->in_callback = false;
	if (h->close)
		return -1;
	if (!h->ready && !h->body_deadline_us)
		lws_rx_flow_control(h->wsi, 0);   /* a deferred answer: read nothing meanwhile */
	return 0;
}

static void
route(lv_server *s, lv_http *h, const char *uri)
{
	struct lws *wsi = h->wsi;
	const char *why;
	int status = framing_error(wsi, &why);
	if (status) {
		http_error(h, status, "invalid_argument", why);
		return;
	}
	if (strncmp(uri, "/lv/rpc/", 8) == 0) {
		rpc_request(s, h, uri);
		return;
	}
	if (h->method != M_GET && h->method != M_HEAD) {
		http_not_allowed(h, "GET, HEAD");
		return;
	}
	if (strcmp(uri, "/lv.js") == 0) {
		http_static_parts(h, "text/javascript; charset=utf-8", lv__js_runtime,
		                  lv__js_runtime_parts, parts_len(lv__js_runtime, lv__js_runtime_parts));
		return;
	}
	char modpath[300];
	snprintf(modpath, sizeof modpath, "/%s.lv.js", s->app->base);
	if (strcmp(uri, modpath) == 0) {
		http_static_parts(h, "text/javascript; charset=utf-8", s->app->js_module,
		                  s->app->js_module_parts, s->app->js_module_len);
		return;
	}
	if (strcmp(uri, "/lv/metrics") == 0) {
		if (!may_read_metrics(s, wsi, uri)) {
			http_error(h, 404, "not_found", "no such page");
			return;
		}
		size_t len;
		char *text = lv__metrics_text(s, &len);
		http_respond(h, 200, "text/plain; version=0.0.4", text, len);
		return;
	}
	char *file = static_path(s, uri);
	if (file) {
		http_file(h, file);
		free(file);
		return;
	}
	http_error(h, 404, "not_found", "no such page");
}

int
lv__http_request(lv_server *s, struct lws *wsi, lv_pss *pss, const char *uri)
{
	if (pss->http)
		return -1;   /* lws began a second request on this connection */
	lv_http *h = calloc(1, sizeof *h);
	if (!h)
		return -1;
	h->server = s;
	h->wsi = wsi;
	h->method = method_of(wsi);
	h->in_callback = true;
	h->next = s->https;
	if (s->https)
		s->https->prev = h;
	s->https = h;
	pss->http = h;
	route(s, h, uri);
	return after_callback(h);
}

int
lv__http_body(lv_server *s, lv_pss *pss, const void *in, size_t len)
{
	lv_http *h = pss->http;
	if (!h || !h->ep || h->ready)
		return h && h->close ? -1 : 0;   /* answered already: the rest is not read */
	h->in_callback = true;
	if (h->too_large || h->len + len > s->opt.max_message) {
		h->in_callback = false;
		h->too_large = true;
		return 0;
	}
	if (h->len + len > h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 1024;
		while (cap < h->len + len)
			cap *= 2;
		if (cap > s->opt.max_message)
			cap = s->opt.max_message;
		if (lv__peer_rx_set(s, lv__peer_of(h->wsi), cap)) {
			http_error(h, 503, "resource_exhausted",
			           "the server holds too much unfinished input; try again later");
			return after_callback(h);
		}
		char *b = realloc(h->body, cap);
		if (!b)
			return -1;
		h->body = b;
		h->cap = cap;
	}
	memcpy(h->body + h->len, in, len);
	h->len += len;
	h->in_callback = false;
	return 0;
}

int
lv__http_body_done(lv_server *s, lv_pss *pss)
{
	lv_http *h = pss->http;
	if (!h)
		return 0;
	if (h->ready || h->call)
		return h->close ? -1 : 0;
	h->in_callback = true;
	if (h->ep)
		body_done(s, h);
	return after_callback(h);
}

static void
body_done(lv_server *s, lv_http *h)
{
	const lv_endpoint *ep = h->ep;
	h->body_deadline_us = 0;
	if (h->too_large) {
		http_error(h, 413, "resource_exhausted", "request body over the size limit");
		return;
	}
	if (ep->rate_count && !lv__peer_http_token(s, h->wsi, ep)) {
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
	/* access, as for a WebSocket call: before the body is read */
	bool ok = (ep->flags & LV_EP_PUBLIC) != 0;
	for (uint32_t i = 0; !ok && h->auth->set && i < ep->nroles; i++)
		ok = strcmp(ep->roles[i], "*") == 0 || lv__auth_has_role(h->auth, ep->roles[i]);
	if (!ok) {
		lv__count_error(s, h->auth->set ? LV_EPERMISSION_DENIED : LV_EUNAUTHENTICATED);
		http_error(h, h->auth->set ? 403 : 401, h->auth->set ? "permission_denied" :
		           "unauthenticated", h->auth->set ? "this identity lacks the role this "
		           "endpoint needs" : "this endpoint needs a signed-in caller");
		return;
	}
	lv_call *call = lv__call_new(s, NULL, ep, LV_VIA_HTTP);
	if (!call) {
		http_error(h, 500, "internal", "out of memory");
		return;
	}
	call->http = h;
	call->http_answer = http_answer;
	call->identity = h->auth->identity;
	call->roles = h->auth->roles;
	call->nroles = h->auth->nroles;
	call->args = lv_arena_alloc(&call->arena, ep->args->size);
	call->result = ep->result ? lv_arena_alloc(&call->arena, ep->result->size) : NULL;
	h->call = call;
	/* The body is decoded as a socket call's args are, in one pass over its
	 * bytes (an empty body is {}): no tree is built. */
	lv_error err;
	if (!call->args || (ep->result && !call->result) ||
	    lv_decode_fields(ep->args, h->len ? h->body : NULL, h->len, call->args, &call->arena,
	                     &s->opt.limits, &err)) {
		if (!call->args || (ep->result && !call->result)) {
			err.code = LV_ENOMEM;
			snprintf(err.path, sizeof err.path, "%s", "");
			snprintf(err.message, sizeof err.message, "%s", "out of memory");
		}
		char msg[300];
		snprintf(msg, sizeof msg, "%s: %s%s%s", ep->name, err.path, err.path[0] ? ": " : "",
		         err.message);
		h->call = NULL;
		lv__call_free(call);
		lv__count_error(s, err.code);
		json_t *e = json_pack("{s:b, s:{s:s, s:s, s:s}}", "ok", 0, "error", "code",
		                      lv_errname(err.code), "message", msg, "path", err.path);
		char *body = json_dumps(e, JSON_COMPACT);
		json_decref(e);
		http_respond(h, err.code == LV_ENOMEM ? 500 : 400, "application/json", body,
		             body ? strlen(body) : 0);
		return;
	}
	/* The body is decoded: its bytes no longer count as unfinished input. */
	lv__peer_rx_set(s, lv__peer_of(h->wsi), 0);
	lv__invoke(call);
}

int
lv__http_writeable(lv_server *s, lv_pss *pss)
{
	/* Answers are written whole when decided; lws flushes what is left. */
	(void)s;
	return pss->http && pss->http->close ? -1 : 0;
}

void
lv__http_closed(lv_server *s, lv_pss *pss)
{
	(void)s;
	http_free(pss->http);
	pss->http = NULL;
}

void
lv__http_sweep(lv_server *s, int64_t now)
{
	for (lv_http *h = s->https; h; h = h->next)
		if (h->body_deadline_us && now > h->body_deadline_us && !h->ready) {
			lv__limit_hit(s, LV_LIMIT_BODY_TIME);
			http_error(h, 408, "deadline_exceeded", "the request body did not arrive in time");
		}
}
