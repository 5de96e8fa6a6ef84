/* call.c - what arrives from pages and what handlers answer: dispatch of
 * messages, calls and their answers (now or deferred, from any thread),
 * commands, server events, pushes, and calls the server makes to a page. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv_internal.h"

/* ---- errors to the page ------------------------------------------------------- */

static json_t *
error_object(int status, const char *message, const char *path)
{
	json_t *e = json_pack("{s:s, s:s}", "code", lv_errname(status),
	                      "message", message ? message : lv_strerror(status));
	if (path && *path)
		json_object_set_new(e, "path", json_string(path));
	return e;
}

/* A failure with no call to answer: {"t":"error", "fn"?, "error"}. */
static void
send_error(lv_conn *c, const char *fn, int status, const char *message, const char *path)
{
	json_t *m = json_pack("{s:s, s:o}", "t", "error", "error",
	                      error_object(status, message, path));
	if (fn)
		json_object_set_new(m, "fn", json_string(fn));
	lv__count_error(c->server, status);
	lv__conn_send_json(c, m, false);
	json_decref(m);
}

static void
send_ret_error_cmds(lv_conn *c, int64_t id, int status, const char *message, const char *path,
                    json_t *cmds)
{
	json_t *m = json_pack("{s:s, s:I, s:b, s:o}", "t", "ret", "id", (json_int_t)id,
	                      "ok", 0, "error", error_object(status, message, path));
	if (cmds)
		json_object_set(m, "cmds", cmds);   /* they run before the call settles */
	lv__count_error(c->server, status);
	lv__conn_send_json(c, m, false);
	json_decref(m);
}

static void
send_ret_error(lv_conn *c, int64_t id, int status, const char *message, const char *path)
{
	send_ret_error_cmds(c, id, status, message, path, NULL);
}

/* ---- encoding a result ---------------------------------------------------------- */

/* A json result is the handler's reference, handed over with the answer:
 * dropped once it is encoded. */
static void
release_result(const lv_type *rt, void *r)
{
	if (!rt || !r || rt->fields[0].type->kind != LV_K_JSON)
		return;
	json_t **slot = (json_t **)((char *)r + rt->fields[0].offset);
	json_decref(*slot);
	*slot = NULL;
}

/* Appends the "value" of a result struct (absent optional: null). */
static int
encode_result(lv_buf *b, const lv_type *rt, const void *r, lv_error *err)
{
	if (!rt) {
		lv_buf_puts(b, "null");
		return 0;
	}
	const lv_field *f = &rt->fields[0];
	const char *slot = (const char *)r + f->offset;
	if (f->has_offset == LV_OPT_POINTER) {
		slot = *(const char *const *)slot;
		if (!slot) {
			lv_buf_puts(b, "null");
			return 0;
		}
	} else if (f->has_offset >= 0 && !*(const bool *)((const char *)r + f->has_offset)) {
		lv_buf_puts(b, "null");
		return 0;
	}
	return lv_encode(b, f->type, slot, err);
}

/* The encoded arguments of an endpoint as a JSON object. */
static int
encode_args(lv_buf *b, const lv_endpoint *ep, const void *args, lv_error *err)
{
	return lv_encode(b, ep->args, args, err);
}

/* ---- calls ------------------------------------------------------------------------ */

/* Calls are kept for reuse, with the first block of their arena, up to
 * CALL_POOL of them: most calls then allocate nothing. */
#define CALL_POOL 64

lv_call *
lv__call_new(lv_server *s, lv_conn *c, const lv_endpoint *ep, lv_via via)
{
	lv_call *call = s->call_pool;
	if (call) {
		s->call_pool = call->pool_next;
		s->ncall_pool--;
		lv_arena arena = call->arena;
		memset(call, 0, sizeof *call);
		call->arena = arena;
	} else {
		call = calloc(1, sizeof *call);
		if (!call)
			return NULL;
		lv_arena_init(&call->arena);
	}
	call->server = s;
	call->conn = c ? lv_conn_ref(c) : NULL;
	call->ep = ep;
	call->via = via;
	call->id = -1;
	atomic_init(&call->replied, false);
	return call;
}

void
lv__call_free(lv_call *call)
{
	lv_server *s = call->server;
	if (call->conn) {
		if (call->via == LV_VIA_CALL && call->conn->pending)
			call->conn->pending--;
		lv_conn_unref(call->conn);
	}
	json_decref(call->args_json);
	json_decref(call->cmds);
	if (s->ncall_pool < CALL_POOL && lv__arena_reset(&call->arena, 8192)) {
		call->pool_next = s->call_pool;
		s->call_pool = call;
		s->ncall_pool++;
		return;
	}
	lv_arena_free(&call->arena);
	free(call);
}

void
lv__call_pool_free(lv_server *s)
{
	while (s->call_pool) {
		lv_call *call = s->call_pool;
		s->call_pool = call->pool_next;
		lv_arena_free(&call->arena);
		free(call);
	}
	s->ncall_pool = 0;
}

lv_conn *lv_call_conn(lv_call *call) { return call->conn; }
lv_server *lv_call_server(lv_call *call) { return call->server; }

const char *
lv_call_identity(lv_call *call)
{
	return call->conn ? call->conn->identity : call->identity;
}

void *
lv_call_alloc(lv_call *call, size_t n)
{
	return lv_arena_alloc(&call->arena, n);
}

lv_str
lv_call_strdup(lv_call *call, const char *s)
{
	return lv_arena_strdup(&call->arena, lv_cstr(s));
}

int
lv_call_defer(lv_call *call)
{
	call->deferred = true;
	return LV_DEFERRED;
}

static void
send_cmds(lv_call *call)
{
	if (!call->cmds || !call->conn || call->conn->ended)
		return;
	json_t *m = json_pack("{s:s, s:O}", "t", "cmd", "cmds", call->cmds);
	lv__conn_send_json(call->conn, m, false);
	json_decref(m);
}

/* Sends the answer of a call that has run (status) with its result, or
 * the already encoded result_json of a deferred one; then frees it. */
static void
complete(lv_call *call, int status, const char *result_json)
{
	lv_server *s = call->server;
	lv_conn *c = call->conn;
	const char *fn = call->ep->name;
	char msg[300];
	/* The loop's scratch buffer: taken, so that anything this answer
	 * sets off cannot write into it too. */
	lv_buf b = s->scratch;
	lv_buf_init(&s->scratch);
	b.len = 0;
	b.failed = false;

	if (status == 0 && !result_json && call->via != LV_VIA_SEND && call->via != LV_VIA_EVENT) {
		lv_error err;
		int erc = encode_result(&b, call->ep->result, call->result, &err);
		release_result(call->ep->result, call->result);
		if (erc != 0) {
			snprintf(msg, sizeof msg, "%s: result%s%s: %s", fn, err.path[0] ? "." : "",
			         err.path, err.message);
			LV_LOG(s, LV_LOG_ERROR, "%s", msg);
			status = LV_EINTERNAL;
			snprintf(call->message, sizeof call->message, "%s: the result could not be "
			         "encoded", fn);
		}
	}
	if (status > 0)
		status = LV_EINTERNAL;   /* a handler's bug: only 0 and LV_E... mean anything */
	if (status != 0 && !call->message[0])
		snprintf(call->message, sizeof call->message, "%s: %s", fn, lv_strerror(status));
	if (status != 0 && status != LV_DEFERRED)
		s->ep_stats[call->ep - s->app->endpoints].errors++;

	switch (call->via) {
	case LV_VIA_CALL:
		if (!c || c->ended)
			break;
		if (status != 0) {
			send_ret_error_cmds(c, call->id, status, call->message, NULL, call->cmds);
			break;
		}
		{
			/* {"t":"ret","id":N,"ok":true,"value":V[,"cmds":C]} built
			 * straight into the message. */
			static const char h1[] = "{\"t\":\"ret\",\"id\":";
			static const char h2[] = ",\"ok\":true,\"value\":";
			char id[24];
			size_t idn = lv__i64_dec(id, call->id);
			const char *value = result_json ? result_json : b.data;
			size_t vn = result_json ? strlen(result_json) : b.len;
			char *cmds = call->cmds ? json_dumps(call->cmds, JSON_COMPACT) : NULL;
			size_t cn = cmds ? strlen(cmds) + 8 : 0;
			lv_msg *m = (value || !vn) && !b.failed ?
			            lv__msg_alloc(sizeof h1 - 1 + idn + sizeof h2 - 1 + vn + cn + 1,
			                          LV_MSG_RELIABLE) : NULL;
			if (m) {
				char *o = m->data;
				memcpy(o, h1, sizeof h1 - 1);
				o += sizeof h1 - 1;
				memcpy(o, id, idn);
				o += idn;
				memcpy(o, h2, sizeof h2 - 1);
				o += sizeof h2 - 1;
				memcpy(o, value, vn);
				o += vn;
				if (cmds) {
					memcpy(o, ",\"cmds\":", 8);
					memcpy(o + 8, cmds, cn - 8);
					o += cn;
				}
				*o = '}';
				lv__conn_queue(c, m);
				lv__msg_unref(m);
			}
			free(cmds);
		}
		break;
	case LV_VIA_SEND:
		if (!c || c->ended)
			break;
		if (status != 0)
			send_error(c, fn, status, call->message, NULL);
		send_cmds(call);
		break;
	case LV_VIA_EVENT:
		if (status != 0)
			LV_LOG(s, LV_LOG_WARN, "%s", call->message);
		if (c && !c->ended)
			send_cmds(call);
		break;
	case LV_VIA_HTTP: {
		static const int http_status[] = {
			[1] = 400, [2] = 404, [3] = 401, [4] = 403, [5] = 429, [6] = 504,
			[7] = 503, [8] = 500, [9] = 426, [10] = 500, [11] = 503, [12] = 413,
			[13] = 429, [14] = 500, [15] = 500,
		};
		if (status != 0) {
			json_t *e = json_pack("{s:b, s:o}", "ok", 0, "error",
			                      error_object(status, call->message, NULL));
			lv__count_error(s, status);
			lv__http_answer(call->http, -status < 16 ? http_status[-status] : 500,
			                json_dumps(e, JSON_COMPACT));
			json_decref(e);
		} else {
			lv_buf out;
			lv_buf_init(&out);
			lv_buf_puts(&out, "{\"ok\":true,\"value\":");
			if (result_json)
				lv_buf_puts(&out, result_json);
			else
				lv_buf_append(&out, b.data, b.len);
			lv_buf_puts(&out, "}");
			lv__http_answer(call->http, 200, out.failed ? NULL : strdup(out.data));
			lv_buf_free(&out);
		}
		break;
	}
	}
	if (!s->scratch.data && b.cap <= LV_WBUF)
		s->scratch = b;
	else
		lv_buf_free(&b);
	lv__call_free(call);
}

static void deferred_on_loop(lv_server *s, void *arg);

/* Runs the handler and answers, unless it deferred. */
void
lv__invoke(lv_call *call)
{
	lv_server *s = call->server;
	s->ep_stats[call->ep - s->app->endpoints].calls++;
	call->running = true;
	int rc = call->ep->invoke(call, call->args, call->result);
	call->running = false;
	if (call->early) {
		/* Deferred and answered before the handler returned. */
		void *d = call->early;
		call->early = NULL;
		deferred_on_loop(s, d);
		return;
	}
	if (call->deferred)
		return;   /* it said it would answer later, whatever it returned */
	if (rc == LV_DEFERRED)
		rc = LV_EINTERNAL;
	call->deferred = false;
	complete(call, rc, NULL);
}

int
lv_call_fail(lv_call *call, int status, const char *fmt, ...)
{
	if (status >= 0)
		status = LV_EINTERNAL;
	char text[256];
	va_list ap;
	va_start(ap, fmt);
	if (fmt)
		vsnprintf(text, sizeof text, fmt, ap);
	else
		text[0] = '\0';
	va_end(ap);
	if (call->deferred) {
		/* A deferred call failed later, maybe on another thread. */
		if (atomic_exchange(&call->replied, true))
			return LV_EINVALID_ARGUMENT;
		char msg[300];
		snprintf(msg, sizeof msg, "%s: %s", call->ep->name, text);
		lv__finish_deferred(call, status, NULL, msg);
		return status;
	}
	snprintf(call->message, sizeof call->message, "%s: %s", call->ep->name, text);
	return status;
}

typedef struct {
	lv_call *call;
	int status;
	char *result_json;
	char message[300];
} deferred_answer;

static void
deferred_on_loop(lv_server *s, void *arg)
{
	deferred_answer *d = arg;
	(void)s;
	if (d->call->running) {
		d->call->early = d;   /* finished when the handler returns */
		return;
	}
	if (d->status != 0)
		snprintf(d->call->message, sizeof d->call->message, "%s", d->message);
	complete(d->call, d->status, d->result_json);
	free(d->result_json);
	free(d);
}

void
lv__finish_deferred(lv_call *call, int status, char *result_json, const char *msg)
{
	deferred_answer *d = calloc(1, sizeof *d);
	if (!d) {
		free(result_json);
		return;
	}
	d->call = call;
	d->status = status;
	d->result_json = result_json;
	if (msg)
		snprintf(d->message, sizeof d->message, "%s", msg);
	lv__post(call->server, deferred_on_loop, d);
}

int
lv_call_reply(lv_call *call, const void *result)
{
	if (!call->deferred)
		return LV_EINVALID_ARGUMENT;
	if (atomic_exchange(&call->replied, true))
		return LV_EINVALID_ARGUMENT;
	lv_buf b;
	lv_error err;
	lv_buf_init(&b);
	int erc = encode_result(&b, result ? call->ep->result : NULL, result, &err);
	release_result(result ? call->ep->result : NULL, (void *)result);
	if (erc != 0) {
		char msg[300];
		snprintf(msg, sizeof msg, "%s: the result could not be encoded", call->ep->name);
		LV_LOG(call->server, LV_LOG_ERROR, "%s: result%s%s: %s", call->ep->name,
		       err.path[0] ? "." : "", err.path, err.message);
		lv_buf_free(&b);
		lv__finish_deferred(call, LV_EINTERNAL, NULL, msg);
		return err.code ? err.code : LV_EINVALID_ARGUMENT;
	}
	lv__finish_deferred(call, 0, b.data, NULL);
	return 0;
}

/* ---- commands ---------------------------------------------------------------------- */

int
lv_cmd(lv_call *call, const char *name, json_t *args)
{
	if (!call->cmds && !(call->cmds = json_array())) {
		json_decref(args);
		return LV_ENOMEM;
	}
	json_t *cmd = json_array();
	json_array_append_new(cmd, json_string(name));
	if (args)
		json_array_extend(cmd, args);
	json_decref(args);
	return json_array_append_new(call->cmds, cmd) == 0 ? 0 : LV_ENOMEM;
}

static json_t *
s_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

int
lv_cmd_morph(lv_call *call, const char *id, const char *html)
{
	return lv_cmd(call, "lv.morph", json_pack("[o, o, {}]", s_or_null(id), s_or_null(html)));
}

int
lv_cmd_notify(lv_call *call, const char *text, const lv_notify_opts *o)
{
	json_t *kw = json_object();
	if (o && o->sticky)
		json_object_set_new(kw, "sticky", json_true());
	if (o && o->group)
		json_object_set_new(kw, "group", json_string(o->group));
	if (o && o->throttle_ms)
		json_object_set_new(kw, "throttle", json_integer(o->throttle_ms));
	if (o && o->level)
		json_object_set_new(kw, "level", json_string(o->level));
	return lv_cmd(call, "lv.notify", json_pack("[o, o]", s_or_null(text), kw));
}

int
lv_cmd_clear_notifications(lv_call *call, const char *group)
{
	return lv_cmd(call, "lv.clear_notifications", group ?
	              json_pack("[{s:s}]", "group", group) : json_array());
}

int lv_cmd_focus(lv_call *call, const char *id) { return lv_cmd(call, "lv.focus", json_pack("[o]", s_or_null(id))); }
int lv_cmd_blur(lv_call *call, const char *id) { return lv_cmd(call, "lv.blur", json_pack("[o]", s_or_null(id))); }
int lv_cmd_block(lv_call *call, const char *g) { return lv_cmd(call, "lv.block", json_pack("[o]", s_or_null(g))); }
int lv_cmd_release(lv_call *call, const char *g) { return lv_cmd(call, "lv.release", json_pack("[o]", s_or_null(g))); }
int lv_cmd_switch_mode(lv_call *call, const char *mode) { return lv_cmd(call, "lv.switch_mode", json_pack("[o]", s_or_null(mode))); }
int lv_cmd_redirect(lv_call *call, const char *url) { return lv_cmd(call, "lv.redirect", json_pack("[o]", s_or_null(url))); }
int lv_cmd_eval(lv_call *call, const char *script) { return lv_cmd(call, "lv.eval", json_pack("[o]", s_or_null(script))); }

int
lv_cmd_set_state(lv_call *call, json_t *state)
{
	return lv_cmd(call, "lv.set_state", json_pack("[o]", state ? state : json_null()));
}

/* ---- access ---------------------------------------------------------------------------- */

static int
check_access(const lv_endpoint *ep, bool authenticated, char **roles, size_t nroles)
{
	if (ep->flags & LV_EP_PUBLIC)
		return 0;
	if (!authenticated)
		return LV_EUNAUTHENTICATED;
	for (uint32_t i = 0; i < ep->nroles; i++) {
		if (strcmp(ep->roles[i], "*") == 0)
			return 0;
		for (size_t j = 0; j < nroles; j++)
			if (strcmp(ep->roles[i], roles[j]) == 0)
				return 0;
	}
	return LV_EPERMISSION_DENIED;
}

/* ---- messages from a page ----------------------------------------------------------- */

static void
send_welcome(lv_conn *c, bool resumed, const char *resync)
{
	lv_server *s = c->server;
	json_t *w = json_pack("{s:s, s:s, s:s, s:b, s:I, s:I}", "t", "welcome", "conn", c->id,
	                      "session", c->token, "resumed", resumed,
	                      "last", (json_int_t)c->in_last,
	                      "heartbeat", (json_int_t)s->opt.heartbeat_ms);
	if (resync)
		json_object_set_new(w, "resync", json_string(resync));
	char *text = json_dumps(w, JSON_COMPACT);
	json_decref(w);
	lv_msg *m = text ? lv__msg_new(text, strlen(text), LV_MSG_CONTROL) : NULL;
	free(text);
	/* Before what is replayed: the page must know the session first. */
	if (m)
		lv__conn_queue_first(c, m);
	lv__msg_unref(m);
}

static void
handle_hello(lv_conn *c, json_t *msg)
{
	lv_server *s = c->server;
	const char *schema = json_string_value(json_object_get(msg, "schema"));
	const char *app = json_string_value(json_object_get(msg, "app"));
	if (app && strcmp(app, s->app->name) != 0) {
		lv__conn_close(c, 4400, "this server serves another app");
		return;
	}
	if (!schema || strcmp(schema, s->app->schema_hash) != 0) {
		json_t *up = json_pack("{s:s, s:s}", "t", "upgrade", "schema", s->app->schema_hash);
		lv__conn_send_json(c, up, true);
		json_decref(up);
		lv__count_error(s, LV_EUPGRADE_REQUIRED);
		lv__conn_close(c, 4426, "the page is out of date: reload it");
		return;
	}

	/* Resuming: the session takes this socket over and replays. */
	const char *resync = NULL;
	json_t *resume = json_object_get(msg, "resume");
	if (json_is_object(resume)) {
		const char *token = json_string_value(json_object_get(resume, "session"));
		json_t *jlast = json_object_get(resume, "last");
		lv_conn *sess = lv__session_find(s, token);
		bool same_peer = sess && ((!sess->identity && !c->identity) ||
		                          (sess->identity && c->identity &&
		                           strcmp(sess->identity, c->identity) == 0));
		if (!sess || sess->ended || !same_peer) {
			resync = (sess && sess->ended) || (!sess && lv__session_ended(s, token)) ?
			         "expired" : "unknown";
		} else if (sess->overflowed || !json_is_number(jlast) ||
		           json_number_value(jlast) < 0 ||
		           json_number_value(jlast) != (double)(uint64_t)json_number_value(jlast) ||
		           (uint64_t)json_number_value(jlast) > sess->out_seq ||
		           /* what it missed is no longer kept: acked, so dropped */
		           (uint64_t)json_number_value(jlast) < sess->out_acked) {
			resync = "overflow";
			if (!sess->wsi)
				lv__conn_end(sess);
		} else {
			s->resumed++;
			lv__session_adopt(sess, c, (uint64_t)json_number_value(jlast));
			send_welcome(sess, true, NULL);
			return;
		}
	}
	if (lv__session_begin(c) != 0) {
		lv__conn_close(c, 1011, "no session could be made");
		return;
	}
	c->hello = true;
	s->npages++;
	send_welcome(c, false, resync);
	lv__lifecycle(s, "connect", c);
}

/* A token bucket per connection and endpoint (lv__bucket_take). */
static bool
take_token(lv_conn *c, const lv_endpoint *ep)
{
	lv_server *s = c->server;
	size_t i = (size_t)(ep - s->app->endpoints);
	if (!c->buckets) {
		c->buckets = calloc(s->app->nendpoints, sizeof *c->buckets);
		c->bucket_us = calloc(s->app->nendpoints, sizeof *c->bucket_us);
		if (!c->buckets || !c->bucket_us)
			return false;
	}
	return lv__bucket_take(&c->buckets[i], &c->bucket_us[i], ep);
}

static bool
is_callable(lv_endpoint_kind k)
{
	return k == LV_SERVER_RPC || k == LV_SERVER_REALTIME || k == LV_CLIENT_CALLBACK;
}

/* What the dispatcher reads of a message, in one pass over its text
 * (json.c), without building a tree. */
typedef struct {
	char t[64];                 /* "t", if a string (cut when longer) */
	size_t tlen;
	bool has_t;
	int seen;                   /* KEY_... of the members present */
	char fn[128];               /* "fn", if a string (cut when longer) */
	size_t fnlen;
	bool has_fn;
	bool has_id, has_seq;       /* present and numbers */
	lv_jr_num id, seq;
	const char *args;           /* the text of "args", if present */
	size_t args_len;
	lv_jr_kind args_kind;
} lv_frame;

enum { KEY_T = 1, KEY_FN = 2, KEY_ID = 4, KEY_SEQ = 8, KEY_ARGS = 16 };

static int
frame_key(const char *k, size_t n)
{
	switch (n) {
	case 1: return k[0] == 't' ? KEY_T : 0;
	case 2: return k[0] == 'f' && k[1] == 'n' ? KEY_FN : k[0] == 'i' && k[1] == 'd' ? KEY_ID : 0;
	case 3: return memcmp(k, "seq", 3) == 0 ? KEY_SEQ : 0;
	case 4: return memcmp(k, "args", 4) == 0 ? KEY_ARGS : 0;
	}
	return 0;
}

/* A string member read into a fixed buffer; *ok is false when it is not
 * a string (it is then passed over). */
static bool
frame_string(lv_jr *r, char *dst, size_t cap, size_t *len, bool *ok)
{
	*ok = lv__jr_peek(r) == LV_JR_STRING;
	if (!*ok)
		return lv__jr_skip(r, 0);
	bool nul;
	if (!lv__jr_string(r, dst, cap, len, &nul))
		return false;
	if (nul)
		*len = cap;   /* no name holds a NUL: as good as too long */
	return true;
}

static bool
frame_number(lv_jr *r, lv_jr_num *num, bool *ok)
{
	*ok = lv__jr_peek(r) == LV_JR_NUMBER;
	return *ok ? lv__jr_number(r, num) : lv__jr_skip(r, 0);
}

/* Reads the members of the message lv__dispatch needs and checks that
 * all of it is JSON. -1: malformed (r says where); 1: not an object. */
static int
scan_frame(lv_jr *r, lv_frame *f)
{
	memset(f, 0, sizeof *f);
	if (lv__jr_peek(r) != LV_JR_OBJECT)
		return lv__jr_skip(r, 0) && lv__jr_finish(r) ? 1 : -1;
	r->p++;
	bool first = true;
	int more;
	while ((more = lv__jr_more(r, '}', &first)) > 0) {
		char key[8];
		size_t n;
		if (!lv__jr_string(r, key, sizeof key, &n, NULL) || !lv__jr_colon(r))
			return -1;
		int k = n < sizeof key ? frame_key(key, n) : 0;
		if (k & f->seen) {
			lv__jr_fail(r, "duplicate key");
			return -1;
		}
		f->seen |= k;
		bool ok = true;
		switch (k) {
		case KEY_T:
			ok = frame_string(r, f->t, sizeof f->t, &f->tlen, &f->has_t);
			break;
		case KEY_FN:
			ok = frame_string(r, f->fn, sizeof f->fn, &f->fnlen, &f->has_fn);
			break;
		case KEY_ID:
			ok = frame_number(r, &f->id, &f->has_id);
			break;
		case KEY_SEQ:
			ok = frame_number(r, &f->seq, &f->has_seq);
			break;
		case KEY_ARGS:
			f->args_kind = lv__jr_peek(r);
			f->args = r->p;
			ok = lv__jr_skip(r, 0);
			f->args_len = (size_t)(r->p - f->args);
			break;
		default:
			ok = lv__jr_skip(r, 0);
		}
		if (!ok)
			return -1;
	}
	return more == 0 && lv__jr_finish(r) ? 0 : -1;
}

/* Is the message of type t? */
static bool
is(const lv_frame *f, const char *t)
{
	size_t n = strlen(t);
	return f->tlen == n && memcmp(f->t, t, n) == 0;
}

/* A positive integer below 2^53 (what a page's number can hold exactly). */
static bool
positive_int(const lv_jr_num *n, uint64_t *out)
{
	double v = n->is_int && !n->big ? (double)n->i : n->d;
	if (v < 1 || v > 9007199254740991.0 || v != (double)(int64_t)v)
		return false;
	*out = (uint64_t)v;
	return true;
}

static void
handle_call(lv_conn *c, const lv_frame *f, lv_via via, size_t len)
{
	lv_server *s = c->server;
	const char *fn = f->has_fn ? f->fn : NULL;
	uint64_t id = 0;
	char text[300];

	if (via == LV_VIA_CALL && (!f->has_id || !positive_int(&f->id, &id))) {
		send_error(c, fn, LV_EINVALID_ARGUMENT, "a call needs an id: a positive "
		           "integer", "id");
		return;
	}
#define FAIL(status, path, ...)                                            \
	do {                                                               \
		snprintf(text, sizeof text, __VA_ARGS__);                  \
		if (via == LV_VIA_CALL)                                    \
			send_ret_error(c, (int64_t)id, (status), text, (path)); \
		else                                                       \
			send_error(c, fn, (status), text, (path));         \
		return;                                                    \
	} while (0)

	if (!fn)
		FAIL(LV_EINVALID_ARGUMENT, "fn", "a %s names its endpoint in \"fn\"",
		     via == LV_VIA_CALL ? "call" : "send");
	const lv_endpoint *ep = f->fnlen < sizeof f->fn ? lv_app_find(s->app, fn, f->fnlen) : NULL;
	if (!ep || !is_callable(ep->kind))
		FAIL(LV_ENOT_FOUND, NULL, "%.100s: no such endpoint", fn);
	if (via == LV_VIA_CALL && ep->kind == LV_SERVER_REALTIME)
		FAIL(LV_EINVALID_ARGUMENT, NULL, "%s: is server.realtime: send it, do not call it", fn);
	if (via == LV_VIA_SEND && ep->kind != LV_SERVER_REALTIME)
		FAIL(LV_EINVALID_ARGUMENT, NULL, "%s: answers: call it, do not send it", fn);
	int rc = check_access(ep, c->authenticated, c->roles, c->nroles);
	if (rc)
		FAIL(rc, NULL, "%s: %s", fn, rc == LV_EUNAUTHENTICATED ?
		     "this endpoint needs a signed-in connection" :
		     "this connection lacks the role this endpoint needs");
	if (ep->max_bytes && (int64_t)len > ep->max_bytes)
		FAIL(LV_ERESOURCE_EXHAUSTED, NULL, "%s: message of %zu bytes is over its limit of "
		     "%lld", fn, len, (long long)ep->max_bytes);
	if (ep->rate_count && !take_token(c, ep))
		FAIL(LV_ERESOURCE_EXHAUSTED, NULL, "%s: over its rate of %lld per %lld ms", fn,
		     (long long)ep->rate_count, (long long)ep->rate_per_ms);
	if (via == LV_VIA_CALL && c->pending >= s->opt.max_pending)
		FAIL(LV_ERESOURCE_EXHAUSTED, NULL, "%s: more than %u calls in flight", fn,
		     s->opt.max_pending);
	if (f->args && f->args_kind != LV_JR_OBJECT)
		FAIL(LV_EINVALID_ARGUMENT, "args", "%s: args must be an object of named values", fn);

	lv_call *call = lv__call_new(s, c, ep, via);
	if (!call)
		FAIL(LV_ENOMEM, NULL, "%s: out of memory", fn);
	call->id = (int64_t)id;
	call->args = lv_arena_alloc(&call->arena, ep->args->size);
	call->result = ep->result ? lv_arena_alloc(&call->arena, ep->result->size) : NULL;
	if (!call->args || (ep->result && !call->result)) {
		lv__call_free(call);
		FAIL(LV_ENOMEM, NULL, "%s: out of memory", fn);
	}
	lv_error err;
	if (lv_decode_fields_text(ep->args, f->args, f->args_len, call->args, &call->arena,
	                          &s->opt.limits, &err)) {
		lv__call_free(call);
		FAIL(err.code, err.path, "%s: %s%s%s", fn, err.path, err.path[0] ? ": " : "",
		     err.message);
	}
	if (via == LV_VIA_CALL)
		c->pending++;
#undef FAIL
	lv__invoke(call);
}

/* Messages other than calls, sends and acks are rare: they are read into
 * a jansson tree. A hello is read strictly; in a cret, well-formed JSON
 * that jansson refuses by default (an int past int64, a NUL in a string) is
 * read leniently, and the decoder then names what is wrong. */
static void
dispatch_tree(lv_conn *c, const char *text, size_t len)
{
	json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
	if (!msg && !c->hello) {   /* a hello is read strictly */
		lv__conn_close(c, 4400, "hello first: the first message was not JSON");
		return;
	}
	if (!msg)
		msg = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_INT_AS_REAL |
		                 JSON_ALLOW_NUL, NULL);
	if (!msg) {
		send_error(c, NULL, LV_EINVALID_ARGUMENT, "malformed JSON", NULL);
		return;
	}
	if (!c->hello)
		handle_hello(c, msg);
	else
		lv__ccall_answer(c, msg);
	json_decref(msg);
}

void
lv__dispatch(lv_conn *c, const char *text, size_t len)
{
	lv_server *s = c->server;
	char buf[300];
	s->msgs_in++;
	s->bytes_in += len;
	lv_jr r;
	lv_frame f;
	lv__jr_init(&r, text, len);
	int scanned = scan_frame(&r, &f);
	if (scanned < 0) {
		if (!c->hello) {
			lv__conn_close(c, 4400, "hello first: the first message was not JSON");
			return;
		}
		snprintf(buf, sizeof buf, "malformed JSON at byte %zu: %s", r.err_at, r.err);
		send_error(c, NULL, LV_EINVALID_ARGUMENT, buf, NULL);
		return;
	}
	if (scanned > 0 || !f.has_t) {
		if (!c->hello)
			lv__conn_close(c, 4400, "hello first");
		else
			send_error(c, NULL, LV_EINVALID_ARGUMENT, scanned == 0 ?
			           "a message says what it is in \"t\"" :
			           "a message is a JSON object", NULL);
		return;
	}
	/* Reliable messages from the page come numbered: each is processed
	 * once, in order; a repeat (resent across a reconnect) is dropped. */
	bool numbered = c->hello && (is(&f, "call") || is(&f, "send") || is(&f, "cret"));
	if (numbered && (f.seen & KEY_SEQ)) {
		uint64_t seq;
		if (!f.has_seq || !positive_int(&f.seq, &seq)) {
			lv__conn_close(c, 4400, "seq is a positive integer");
			return;
		}
		c->ack_due = true;
		if (c->wsi)
			lws_callback_on_writable(c->wsi);
		if (seq <= c->in_last) {
			s->duplicates++;
			return;
		}
		if (seq != c->in_last + 1) {
			lv__conn_close(c, 4400, "a gap in the page's sequence numbers");
			return;
		}
		c->in_last = seq;
	}
	if (!c->hello) {
		if (is(&f, "hello"))
			dispatch_tree(c, text, len);
		else
			lv__conn_close(c, 4400, "hello first");
	} else if (is(&f, "ack")) {
		if (f.has_seq && f.seq.is_int && !f.seq.big && f.seq.i >= 0)
			lv__conn_acked(c, (uint64_t)f.seq.i);
	} else if (is(&f, "call")) {
		handle_call(c, &f, LV_VIA_CALL, len);
	} else if (is(&f, "send")) {
		handle_call(c, &f, LV_VIA_SEND, len);
	} else if (is(&f, "cret")) {
		dispatch_tree(c, text, len);
	} else if (is(&f, "ping")) {
		static const char pong[] = "{\"t\":\"pong\"}";
		lv_msg *m = lv__msg_new(pong, sizeof pong - 1, LV_MSG_CONTROL);
		if (m)
			lv__conn_queue(c, m);
		lv__msg_unref(m);
	} else if (is(&f, "pong")) {
		/* activity is all it is */
	} else if (is(&f, "hello")) {
		send_error(c, NULL, LV_EINVALID_ARGUMENT, "hello was said already", NULL);
	} else {
		snprintf(buf, sizeof buf, "unknown message type '%.60s'", f.t);
		send_error(c, NULL, LV_EINVALID_ARGUMENT, buf, "t");
	}
}

/* ---- server events and lifecycle ---------------------------------------------------- */

void
lv__run_event(lv_server *s, const lv_endpoint *ep, json_t *args, lv_conn *conn)
{
	lv_call *call = lv__call_new(s, conn, ep, LV_VIA_EVENT);
	if (!call)
		return;
	call->args_json = json_incref(args);
	call->args = lv_arena_alloc(&call->arena, ep->args->size);
	lv_error err;
	if (!call->args ||
	    lv_decode_fields(ep->args, args, call->args, &call->arena, &s->opt.limits, &err)) {
		LV_LOG(s, LV_LOG_ERROR, "%s: %s%s%s", ep->name, call->args ? err.path : "",
		       call->args && err.path[0] ? ": " : "", call->args ? err.message : "out of memory");
		lv__call_free(call);
		return;
	}
	lv__invoke(call);
}

void
lv__lifecycle(lv_server *s, const char *event, lv_conn *conn)
{
	for (uint32_t i = 0; i < s->app->nendpoints; i++) {
		const lv_endpoint *ep = &s->app->endpoints[i];
		if (ep->kind == LV_SERVER_ON && (ep->flags & LV_EP_LIFECYCLE) &&
		    strcmp(ep->event, event) == 0)
			lv__run_event(s, ep, NULL, conn);
	}
}

typedef struct {
	const lv_endpoint *ep;
	json_t *args;
} raised;

static void
raise_on_loop(lv_server *s, void *arg)
{
	raised *r = arg;
	lv__run_event(s, r->ep, r->args, NULL);
	json_decref(r->args);
	free(r);
}

int
lv_server_raise(lv_server *s, const lv_endpoint *ep, const void *args)
{
	lv_buf b;
	lv_error err;
	lv_buf_init(&b);
	int rc = encode_args(&b, ep, args, &err);
	if (rc) {
		lv_buf_free(&b);
		return rc;
	}
	raised *r = malloc(sizeof *r);
	json_t *j = json_loadb(b.data, b.len, 0, NULL);
	lv_buf_free(&b);
	if (!r || !j) {
		free(r);
		json_decref(j);
		return LV_ENOMEM;
	}
	r->ep = ep;
	r->args = j;
	return lv__post(s, raise_on_loop, r);
}

/* ---- pushes ------------------------------------------------------------------------------ */

/* {"t":"push","fn":NAME,"args":{...}} or, for a client.on custom event,
 * {"t":"event","name":EVENT,"args":{...}}, framed once. */
static lv_msg *
push_message(const lv_endpoint *ep, const void *args, int *rc)
{
	lv_buf b;
	lv_error err;
	lv_buf_init(&b);
	if (ep->kind == LV_CLIENT_ON) {
		lv_buf_puts(&b, "{\"t\":\"event\",\"name\":");
		lv_buf_json_str(&b, ep->event, strlen(ep->event));
	} else {
		lv_buf_puts(&b, "{\"t\":\"push\",\"fn\":");
		lv_buf_json_str(&b, ep->name, strlen(ep->name));
	}
	lv_buf_puts(&b, ",\"args\":");
	*rc = encode_args(&b, ep, args, &err);
	lv_buf_puts(&b, "}");
	if (*rc == 0 && b.failed)
		*rc = LV_ENOMEM;
	lv_msg *m = *rc ? NULL : lv__msg_new(b.data, b.len, (ep->flags & LV_EP_VOLATILE) ?
	                                     LV_MSG_VOLATILE : LV_MSG_RELIABLE);
	if (!*rc && !m)
		*rc = LV_ENOMEM;
	lv_buf_free(&b);
	return m;
}

typedef struct {
	lv_conn *conn;            /* referenced; or NULL for a group */
	char *group;              /* NULL: everyone */
	lv_msg *msg;
} pushed;

static void
push_on_loop(lv_server *s, void *arg)
{
	pushed *p = arg;
	if (p->conn) {
		lv__conn_queue(p->conn, p->msg);
		lv_conn_unref(p->conn);
	} else {
		lv__group_send(s, p->group, p->msg);
	}
	lv__msg_unref(p->msg);
	free(p->group);
	free(p);
}

int
lv_conn_push(lv_conn *conn, const lv_endpoint *ep, const void *args)
{
	int rc;
	if (!conn)
		return LV_EINVALID_ARGUMENT;
	lv_msg *m = push_message(ep, args, &rc);
	if (!m)
		return rc;
	if (lv__on_loop(conn->server)) {
		rc = lv__conn_queue(conn, m);
		lv__msg_unref(m);
		return rc;
	}
	pushed *p = calloc(1, sizeof *p);
	if (!p) {
		lv__msg_unref(m);
		return LV_ENOMEM;
	}
	p->conn = lv_conn_ref(conn);
	p->msg = m;
	return lv__post(conn->server, push_on_loop, p);
}

int
lv_group_push(lv_server *s, const char *group, const lv_endpoint *ep, const void *args)
{
	int rc;
	lv_msg *m = push_message(ep, args, &rc);
	if (!m)
		return rc;
	if (lv__on_loop(s)) {
		rc = lv__group_send(s, group, m);
		lv__msg_unref(m);
		return rc;
	}
	pushed *p = calloc(1, sizeof *p);
	if (!p || (group && !(p->group = strdup(group)))) {
		free(p);
		lv__msg_unref(m);
		return LV_ENOMEM;
	}
	p->msg = m;
	return lv__post(s, push_on_loop, p);
}

/* ---- calls to a page (client.rpc) ----------------------------------------------------- */

struct lv_ccall {
	lv_ccall *next;
	lv_conn *conn;
	uint64_t id;
	const lv_endpoint *ep;
	lv_call_done adapter;
	void (*fn)(void);
	void *user_data;
	lws_sorted_usec_list_t sul;
};

static void
ccall_unlink(lv_ccall *cc)
{
	for (lv_ccall **p = &cc->conn->ccalls; *p; p = &(*p)->next)
		if (*p == cc) {
			*p = cc->next;
			break;
		}
	lws_sul_cancel(&cc->sul);
}

static void
ccall_timeout(lws_sorted_usec_list_t *sul)
{
	lv_ccall *cc = lws_container_of(sul, lv_ccall, sul);
	ccall_unlink(cc);
	lv__count_error(cc->conn->server, LV_EDEADLINE_EXCEEDED);
	cc->adapter(cc->conn, LV_EDEADLINE_EXCEEDED, NULL, cc->fn, cc->user_data);
	lv_conn_unref(cc->conn);
	free(cc);
}

void
lv__ccalls_fail(lv_conn *c, int status)
{
	while (c->ccalls) {
		lv_ccall *cc = c->ccalls;
		ccall_unlink(cc);
		cc->adapter(c, status, NULL, cc->fn, cc->user_data);
		lv_conn_unref(cc->conn);
		free(cc);
	}
}

static int
status_of(const char *code)
{
	if (!code)
		return LV_EINTERNAL;
#define LV__BACK(name, val, wire, msg) if (strcmp(code, wire) == 0) return LV_E##name;
	LV_ERRNO_MAP(LV__BACK)
#undef LV__BACK
	return LV_EINTERNAL;
}

void
lv__ccall_answer(lv_conn *c, json_t *msg)
{
	json_t *jid = json_object_get(msg, "id");
	lv_ccall *cc = c->ccalls;
	while (cc && (!json_is_integer(jid) || (uint64_t)json_integer_value(jid) != cc->id))
		cc = cc->next;
	if (!cc) {
		send_error(c, NULL, LV_EINVALID_ARGUMENT, "cret: no call of the server's has "
		           "that id (answered already, or timed out)", "id");
		return;
	}
	ccall_unlink(cc);
	const lv_endpoint *ep = cc->ep;
	int status = 0;
	lv_arena arena;
	lv_arena_init(&arena);
	void *result = NULL;
	if (!json_is_true(json_object_get(msg, "ok"))) {
		json_t *e = json_object_get(msg, "error");
		status = status_of(json_string_value(json_object_get(e, "code")));
		LV_LOG(c->server, LV_LOG_INFO, "%s: the page answered %s: %s", ep->name,
		       lv_errname(status), json_string_value(json_object_get(e, "message")) ?
		       json_string_value(json_object_get(e, "message")) : "");
	} else if (ep->result) {
		const lv_field *f = &ep->result->fields[0];
		json_t *v = json_object_get(msg, "value");
		result = lv_arena_alloc(&arena, ep->result->size);
		lv_error err;
		if (!result) {
			status = LV_ENOMEM;
		} else if ((!v || json_is_null(v)) && f->has_offset != LV_REQUIRED) {
			/* absent */
		} else if (f->has_offset == LV_OPT_POINTER) {
			void *p = lv_arena_alloc(&arena, f->type->size);
			if (!p || lv_decode(f->type, v, p, &arena, &c->server->opt.limits, &err))
				status = p ? LV_EINVALID_ARGUMENT : LV_ENOMEM;
			else
				*(void **)((char *)result + f->offset) = p;
		} else if (!v || lv_decode(f->type, v, (char *)result + f->offset, &arena,
		                           &c->server->opt.limits, &err)) {
			status = LV_EINVALID_ARGUMENT;
		} else if (f->has_offset >= 0) {
			*(bool *)((char *)result + f->has_offset) = true;
		}
		if (status == LV_EINVALID_ARGUMENT) {
			LV_LOG(c->server, LV_LOG_WARN, "%s: the page's answer does not fit: %s%s%s",
			       ep->name, v ? err.path : "", v && err.path[0] ? ": " : "",
			       v ? err.message : "no value");
			send_error(c, ep->name, LV_EINVALID_ARGUMENT, "cret: the answer does not "
			           "fit the endpoint's result type", "value");
		}
	}
	if (status)
		lv__count_error(c->server, status);
	cc->adapter(c, status, status ? NULL : result, cc->fn, cc->user_data);
	lv_arena_free(&arena);
	lv_conn_unref(cc->conn);
	free(cc);
}

typedef struct {
	lv_ccall *cc;
	char *args_json;
} ccall_post;

static void
ccall_on_loop(lv_server *s, void *arg)
{
	ccall_post *p = arg;
	lv_ccall *cc = p->cc;
	lv_conn *c = cc->conn;
	if (c->ended || !c->hello) {
		cc->adapter(c, LV_EUNAVAILABLE, NULL, cc->fn, cc->user_data);
		lv_conn_unref(c);
		free(cc);
		free(p->args_json);
		free(p);
		return;
	}
	cc->id = ++c->next_ccall;
	char head[96];
	lv_buf b;
	lv_buf_init(&b);
	snprintf(head, sizeof head, "{\"t\":\"ccall\",\"id\":%llu,\"fn\":",
	         (unsigned long long)cc->id);
	lv_buf_puts(&b, head);
	lv_buf_json_str(&b, cc->ep->name, strlen(cc->ep->name));
	lv_buf_puts(&b, ",\"args\":");
	lv_buf_puts(&b, p->args_json);
	lv_buf_puts(&b, "}");
	cc->next = c->ccalls;
	c->ccalls = cc;
	int64_t timeout = cc->ep->timeout_ms ? cc->ep->timeout_ms : 30000;
	lws_sul_schedule(s->ctx, 0, &cc->sul, ccall_timeout, timeout * LWS_US_PER_MS);
	lv_msg *m = b.failed ? NULL : lv__msg_new(b.data, b.len, LV_MSG_RELIABLE);
	if (!m || lv__conn_queue(c, m) != 0) {
		ccall_unlink(cc);
		cc->adapter(c, LV_EUNAVAILABLE, NULL, cc->fn, cc->user_data);
		lv_conn_unref(c);
		free(cc);
	}
	lv__msg_unref(m);
	lv_buf_free(&b);
	free(p->args_json);
	free(p);
}

int
lv_conn_call(lv_conn *conn, const lv_endpoint *ep, const void *args, lv_call_done adapter,
               void (*fn)(void), void *user_data)
{
	lv_buf b;
	lv_error err;
	if (!conn || !adapter || !fn)
		return LV_EINVALID_ARGUMENT;
	lv_buf_init(&b);
	int rc = encode_args(&b, ep, args, &err);
	if (rc == 0 && b.failed)
		rc = LV_ENOMEM;
	if (rc) {
		lv_buf_free(&b);
		return rc;
	}
	lv_ccall *cc = calloc(1, sizeof *cc);
	ccall_post *p = calloc(1, sizeof *p);
	if (!cc || !p) {
		free(cc);
		free(p);
		lv_buf_free(&b);
		return LV_ENOMEM;
	}
	if (lv__on_loop(conn->server) && (conn->ended || !conn->hello)) {
		/* A function that fails never calls its callback. */
		free(cc);
		free(p);
		lv_buf_free(&b);
		return LV_EUNAVAILABLE;
	}
	cc->conn = lv_conn_ref(conn);
	cc->ep = ep;
	cc->adapter = adapter;
	cc->fn = fn;
	cc->user_data = user_data;
	p->cc = cc;
	p->args_json = b.data;   /* taken */
	return lv__post(conn->server, ccall_on_loop, p);
}
