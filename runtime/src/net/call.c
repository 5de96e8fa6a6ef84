/* call.c - a call's life: made, run, answered now or later (from any
 * thread), failed, and its memory pooled for the next. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

/* ---- errors to the page ------------------------------------------------------- */

json_t *
lv__error_object(int status, const char *message, const char *path)
{
	json_t *e = json_pack("{s:s, s:s}", "code", lv_errname(status),
	                      "message", message ? message : lv_strerror(status));
	if (path && *path)
		json_object_set_new(e, "path", json_string(path));
	return e;
}

/* A failure with no call to answer: {"t":"error", "fn"?, "error"}. */
void
lv__send_error(lv_conn *c, const char *fn, int status, const char *message, const char *path)
{
	json_t *m = json_pack("{s:s, s:o}", "t", "error", "error",
	                      lv__error_object(status, message, path));
	if (fn)
		json_object_set_new(m, "fn", json_string(fn));
	lv__count_error(c->server, status);
	lv__conn_send_json(c, m, false);
	json_decref(m);
}

void
lv__send_ret_error_cmds(lv_conn *c, int64_t id, int status, const char *message, const char *path,
                    json_t *cmds)
{
	json_t *m = json_pack("{s:s, s:I, s:b, s:o}", "t", "ret", "id", (json_int_t)id,
	                      "ok", 0, "error", lv__error_object(status, message, path));
	if (cmds)
		json_object_set(m, "cmds", cmds);   /* they run before the call settles */
	lv__count_error(c->server, status);
	lv__conn_send_json(c, m, false);
	json_decref(m);
}

void
lv__send_ret_error(lv_conn *c, int64_t id, int status, const char *message, const char *path)
{
	lv__send_ret_error_cmds(c, id, status, message, path, NULL);
}

/* ---- encoding a result ---------------------------------------------------------- */

/* Appends the "value" of a result struct (absent optional: null). */
static int
encode_result(lv_buf *b, const lv_type *rt, const void *r, lv_error *err)
{
	if (!rt) {
		lv_buf_puts(b, "null");
		return 0;
	}
	if (rt->kind != LV_K_STRUCT)
		return lv_encode(b, rt, r, err);   /* a bare value: a model operation's json */
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
int
lv__encode_args(lv_buf *b, const lv_endpoint *ep, const void *args, lv_error *err)
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
			lv__send_ret_error_cmds(c, call->id, status, call->message, NULL, call->cmds);
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
			lv__send_error(c, fn, status, call->message, NULL);
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
			[13] = 429, [14] = 500, [15] = 409,
		};
		if (status != 0) {
			json_t *e = json_pack("{s:b, s:o}", "ok", 0, "error",
			                      lv__error_object(status, call->message, NULL));
			lv__count_error(s, status);
			call->http_answer(call->http, -status < 16 ? http_status[-status] : 500,
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
			call->http_answer(call->http, 200, out.failed ? NULL : strdup(out.data));
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

