/* ccall.c - calls the server makes to a page (client.rpc) and their answers. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

/* ---- calls to a page (client.rpc) ----------------------------------------------------- */

struct lv_ccall {
	lv_ccall *next;
	lv_conn *conn;
	uint64_t id;
	const lv_endpoint *ep;
	lv_call_done adapter;
	void (*fn)(void);
	void *user_data;
	lv__ccall_raw_fn raw;       /* set: the answer as it came, not decoded */
	lws_sorted_usec_list_t sul;
};

/* The caller is told: status, and the page's answer decoded (result), or
 * as it came (msg) to a raw caller. */
static void
tell(lv_ccall *cc, lv_conn *c, int status, const void *result, json_t *msg)
{
	if (cc->raw)
		cc->raw(c, status, msg, cc->user_data);
	else
		cc->adapter(c, status, result, cc->fn, cc->user_data);
}

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
	lv_server *s = cc->conn->server;
	s->in_lws++;   /* lws calls it, and looks at its deadlines after */
	ccall_unlink(cc);
	lv__count_error(s, LV_EDEADLINE_EXCEEDED);
	tell(cc, cc->conn, LV_EDEADLINE_EXCEEDED, NULL, NULL);
	lv_conn_unref(cc->conn);
	free(cc);
	s->in_lws--;
}

void
lv__ccalls_fail(lv_conn *c, int status)
{
	while (c->ccalls) {
		lv_ccall *cc = c->ccalls;
		ccall_unlink(cc);
		tell(cc, c, status, NULL, NULL);
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

int
lv__ccall_decode(lv_server *s, const lv_endpoint *ep, json_t *msg, lv_arena *arena, void **out,
                 bool *misfit)
{
	int status = 0;
	void *result = NULL;
	*misfit = false;
	if (!json_is_true(json_object_get(msg, "ok"))) {
		json_t *e = json_object_get(msg, "error");
		status = status_of(json_string_value(json_object_get(e, "code")));
		LV_LOG(s, LV_LOG_INFO, "%s: the page answered %s: %s", ep->name,
		       lv_errname(status), json_string_value(json_object_get(e, "message")) ?
		       json_string_value(json_object_get(e, "message")) : "");
	} else if (ep->result) {
		const lv_field *f = &ep->result->fields[0];
		json_t *v = json_object_get(msg, "value");
		result = lv_arena_alloc(arena, ep->result->size);
		lv_error err;
		if (!result) {
			status = LV_ENOMEM;
		} else if ((!v || json_is_null(v)) && f->has_offset != LV_REQUIRED) {
			/* absent */
		} else if (f->has_offset == LV_OPT_POINTER) {
			void *p = lv_arena_alloc(arena, f->type->size);
			if (!p || lv_decode_jansson(f->type, v, p, arena, &s->opt.limits, &err))
				status = p ? LV_EINVALID_ARGUMENT : LV_ENOMEM;
			else
				*(void **)((char *)result + f->offset) = p;
		} else if (!v || lv_decode_jansson(f->type, v, (char *)result + f->offset, arena,
		                           &s->opt.limits, &err)) {
			status = LV_EINVALID_ARGUMENT;
		} else if (f->has_offset >= 0) {
			*(bool *)((char *)result + f->has_offset) = true;
		}
		if (status == LV_EINVALID_ARGUMENT) {
			*misfit = true;
			LV_LOG(s, LV_LOG_WARN, "%s: the page's answer does not fit: %s%s%s",
			       ep->name, v ? err.path : "", v && err.path[0] ? ": " : "",
			       v ? err.message : "no value");
		}
	}
	*out = status ? NULL : result;
	return status;
}

void
lv__ccall_answer(lv_conn *c, json_t *msg)
{
	json_t *jid = json_object_get(msg, "id");
	lv_ccall *cc = c->ccalls;
	while (cc && (!json_is_integer(jid) || (uint64_t)json_integer_value(jid) != cc->id))
		cc = cc->next;
	if (!cc) {
		lv__send_error(c, NULL, LV_EINVALID_ARGUMENT, "cret: no call of the server's has "
		           "that id (answered already, or timed out)", "id");
		return;
	}
	ccall_unlink(cc);
	if (cc->raw) {
		tell(cc, c, 0, NULL, msg);   /* the caller decodes it */
		lv_conn_unref(cc->conn);
		free(cc);
		return;
	}
	const lv_endpoint *ep = cc->ep;
	lv_arena arena;
	lv_arena_init(&arena);
	void *result;
	bool misfit;
	int status = lv__ccall_decode(c->server, ep, msg, &arena, &result, &misfit);
	if (misfit)
		lv__send_error(c, ep->name, LV_EINVALID_ARGUMENT, "cret: the answer does not "
		           "fit the endpoint's result type", "value");
	if (status)
		lv__count_error(c->server, status);
	tell(cc, c, status, result, NULL);
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
		tell(cc, c, LV_EUNAVAILABLE, NULL, NULL);
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
	lv__lws_touched(s);
	lv_msg *m = b.failed ? NULL : lv__msg_new(b.data, b.len, LV_MSG_RELIABLE);
	if (!m || lv__conn_queue(c, m) != 0) {
		ccall_unlink(cc);
		tell(cc, c, LV_EUNAVAILABLE, NULL, NULL);
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
	int rc = lv__encode_args(&b, ep, args, &err);
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


/* Starts a call on conn's page (on the loop) with arguments already as
 * JSON: typed (adapter) or raw. */
static int
start_json(lv_conn *conn, const lv_endpoint *ep, const char *args_json, lv_call_done adapter,
           void (*fn)(void), lv__ccall_raw_fn raw, void *user_data)
{
	if (conn->ended || !conn->hello)
		return LV_EUNAVAILABLE;
	lv_ccall *cc = calloc(1, sizeof *cc);
	ccall_post *p = calloc(1, sizeof *p);
	char *args = strdup(args_json);
	if (!cc || !p || !args) {
		free(cc);
		free(p);
		free(args);
		return LV_ENOMEM;
	}
	cc->conn = lv_conn_ref(conn);
	cc->ep = ep;
	cc->adapter = adapter;
	cc->fn = fn;
	cc->raw = raw;
	cc->user_data = user_data;
	p->cc = cc;
	p->args_json = args;
	ccall_on_loop(conn->server, p);   /* on the loop already; tells the caller if it cannot */
	return 0;
}

int
lv__ccall_json(lv_conn *conn, const lv_endpoint *ep, const char *args_json, lv_call_done adapter,
               void (*fn)(void), void *user_data)
{
	return start_json(conn, ep, args_json, adapter, fn, NULL, user_data);
}

int
lv__ccall_raw(lv_conn *conn, const lv_endpoint *ep, const char *args_json,
              lv__ccall_raw_fn raw, void *user_data)
{
	return start_json(conn, ep, args_json, NULL, NULL, raw, user_data);
}
