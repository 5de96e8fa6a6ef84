/* rcall.c - client.rpc to a page by its connection id, wherever it is connected: on this node a call as any other; on another, the question goes through the broker to the page's node, which asks its page and sends the answer back to the caller's node.
 *
 * Through the broker (node channels, broker_redis.c):
 *   question  CONNID "\n" ID "\n" {"fn":NAME,"args":ARGS}   to the page's node
 *   answer    ID "\n" {"ok":true,"value":V} or {"ok":false,"error":{"code":C,"message":M}}
 * ID numbers the caller's node's calls. The caller waits the endpoint's
 * timeout and 2 s more (the page's node times the page out itself); an
 * answer that comes later, or that no call awaits, is dropped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

enum { MARGIN_MS = 2000 };

struct lv_rcall {
	lv_rcall *next;
	lv_server *s;
	uint64_t id;
	const lv_endpoint *ep;
	lv_call_done adapter;
	void (*fn)(void);
	void *user_data;
	lws_sorted_usec_list_t sul;
};

static lv_rcall *
take(lv_server *s, uint64_t id)
{
	for (lv_rcall **p = &s->rcalls; *p; p = &(*p)->next)
		if ((*p)->id == id) {
			lv_rcall *rc = *p;
			*p = rc->next;
			lws_sul_cancel(&rc->sul);
			return rc;
		}
	return NULL;
}

static void
finish(lv_rcall *rc, int status, const void *result)
{
	if (status)
		lv__count_error(rc->s, status);
	rc->adapter(NULL, status, result, rc->fn, rc->user_data);
	free(rc);
}

static void
timed_out(lws_sorted_usec_list_t *sul)
{
	lv_rcall *rc = lws_container_of(sul, lv_rcall, sul);
	lv_server *s = rc->s;
	s->in_lws++;   /* lws calls it, and looks at its deadlines after */
	take(s, rc->id);
	finish(rc, LV_EDEADLINE_EXCEEDED, NULL);
	s->in_lws--;
}

void
lv__rcalls_fail(lv_server *s, int status)
{
	while (s->rcalls)
		finish(take(s, s->rcalls->id), status, NULL);
}

void
lv__rcall_unheard(lv_server *s, uint64_t id)
{
	lv_rcall *rc = take(s, id);
	if (rc)
		finish(rc, LV_EUNAVAILABLE, NULL);   /* no node holds that page */
}

/* ---- the caller's node ----------------------------------------------------------------- */

typedef struct {
	lv_server *s;
	char *conn_id;
	const lv_endpoint *ep;
	char *args_json;
	lv_call_done adapter;
	void (*fn)(void);
	void *user_data;
} asked;

/* On the loop: 0 once the call is under way (the adapter will be told),
 * else the status, and the adapter is not told. */
static int
start(asked *a)
{
	lv_server *s = a->s;
	lv_conn *here = lv__conn_by_id(s, a->conn_id, strlen(a->conn_id));
	if (here) {
		/* on this node: a call as lv_conn_call makes it */
		return lv__ccall_json(here, a->ep, a->args_json, a->adapter, a->fn, a->user_data);
	}
	if (!s->broker->ops->ask)
		return LV_ECLOSED;   /* this process alone, and no page has that id */
	lv_rcall *rc = calloc(1, sizeof *rc);
	lv_buf b;
	lv_buf_init(&b);
	if (!rc)
		return LV_ENOMEM;
	rc->s = s;
	rc->id = ++s->rcall_seq;
	rc->ep = a->ep;
	rc->adapter = a->adapter;
	rc->fn = a->fn;
	rc->user_data = a->user_data;
	char head[48];
	lv_buf_puts(&b, a->conn_id);
	snprintf(head, sizeof head, "\n%llu\n{\"fn\":", (unsigned long long)rc->id);
	lv_buf_puts(&b, head);
	lv_buf_json_str(&b, a->ep->name, strlen(a->ep->name));
	lv_buf_puts(&b, ",\"args\":");
	lv_buf_puts(&b, a->args_json);
	lv_buf_puts(&b, "}");
	int err = b.failed ? LV_ENOMEM : s->broker->ops->ask(s->broker, a->conn_id, rc->id, b.data, b.len);
	lv_buf_free(&b);
	if (err) {
		free(rc);
		return err;
	}
	rc->next = s->rcalls;
	s->rcalls = rc;
	int64_t timeout = (a->ep->timeout_ms ? a->ep->timeout_ms : 30000) + MARGIN_MS;
	lws_sul_schedule(s->ctx, 0, &rc->sul, timed_out, timeout * LWS_US_PER_MS);
	lv__lws_touched(s);
	return 0;
}

static void
asked_free(asked *a)
{
	free(a->conn_id);
	free(a->args_json);
	free(a);
}

static void
start_on_loop(lv_server *s, void *arg)
{
	(void)s;
	asked *a = arg;
	int rc = start(a);
	if (rc)
		a->adapter(NULL, rc, NULL, a->fn, a->user_data);
	asked_free(a);
}

int
lv_conn_call_id(lv_server *s, const char *conn_id, const lv_endpoint *ep, const void *args,
                lv_call_done adapter, void (*fn)(void), void *user_data)
{
	if (!s || !conn_id || !*conn_id || strlen(conn_id) >= sizeof ((lv_conn *)0)->id ||
	    strchr(conn_id, '\n') || !ep || !adapter || !fn)
		return LV_EINVALID_ARGUMENT;
	lv_buf b;
	lv_error err;
	lv_buf_init(&b);
	int rc = lv__encode_args(&b, ep, args, &err);
	if (rc == 0 && b.failed)
		rc = LV_ENOMEM;
	asked *a = rc ? NULL : calloc(1, sizeof *a);
	if (!rc && (!a || !(a->conn_id = strdup(conn_id))))
		rc = LV_ENOMEM;
	if (rc) {
		free(a);
		lv_buf_free(&b);
		return rc;
	}
	a->s = s;
	a->ep = ep;
	a->args_json = b.data;   /* taken */
	a->adapter = adapter;
	a->fn = fn;
	a->user_data = user_data;
	if (lv__on_loop(s)) {
		rc = start(a);   /* a function that fails never calls its callback */
		asked_free(a);
		return rc;
	}
	return lv__post(s, start_on_loop, a);
}

/* An answer to one of this node's calls. */
static void
answered(lv_server *s, const char *body, size_t len)
{
	const char *nl = memchr(body, '\n', len);
	char num[24];
	size_t n = nl ? (size_t)(nl - body) : 0;
	if (!n || n >= sizeof num)
		goto junk;
	memcpy(num, body, n);
	num[n] = '\0';
	char *end;
	uint64_t id = strtoull(num, &end, 10);
	if (*end || num[0] < '0' || num[0] > '9')
		goto junk;
	lv_rcall *rc = take(s, id);
	if (!rc)
		return;   /* timed out meanwhile */
	json_error_t jerr;
	json_t *msg = json_loadb(nl + 1, len - n - 1, 0, &jerr);
	if (!json_is_object(msg)) {
		json_decref(msg);
		LV_LOG(s, LV_LOG_ERROR, "%s: the answer from the page's node is not a JSON object",
		       rc->ep->name);
		finish(rc, LV_EINTERNAL, NULL);
		return;
	}
	lv_arena arena;
	lv_arena_init(&arena);
	void *result;
	bool misfit;
	int status = lv__ccall_decode(s, rc->ep, msg, &arena, &result, &misfit);
	finish(rc, status, result);
	lv_arena_free(&arena);
	json_decref(msg);
	return;
junk:
	LV_LOG(s, LV_LOG_ERROR, "an answer from another node without a call id; dropped");
}

/* ---- the page's node --------------------------------------------------------------------- */

typedef struct {
	lv_server *s;
	uint64_t id;
	char node[];
} asker;

static void
send_answer(lv_server *s, const char *node, uint64_t id, const char *json)
{
	lv_buf b;
	lv_buf_init(&b);
	char head[24];
	snprintf(head, sizeof head, "%llu\n", (unsigned long long)id);
	lv_buf_puts(&b, head);
	lv_buf_puts(&b, json);
	if (!b.failed && s->broker->ops->answer)
		s->broker->ops->answer(s->broker, node, b.data, b.len);
	lv_buf_free(&b);
}

static void
send_status(lv_server *s, const char *node, uint64_t id, int status, const char *why)
{
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, "{\"ok\":false,\"error\":{\"code\":");
	const char *code = lv_errname(status);
	lv_buf_json_str(&b, code, strlen(code));
	lv_buf_puts(&b, ",\"message\":");
	lv_buf_json_str(&b, why, strlen(why));
	lv_buf_puts(&b, "}}");
	if (!b.failed)
		send_answer(s, node, id, b.data);
	lv_buf_free(&b);
}

/* The page answered (msg, its cret), or could not be asked (status). */
static void
page_answered(lv_conn *c, int status, json_t *msg, void *user_data)
{
	(void)c;
	asker *k = user_data;
	if (status) {
		send_status(k->s, k->node, k->id, status, lv_strerror(status));
	} else {
		json_t *ans = json_object();
		json_t *ok = json_object_get(msg, "ok"), *v = json_object_get(msg, "value"),
		       *e = json_object_get(msg, "error");
		json_object_set(ans, "ok", ok ? ok : json_false());
		if (v)
			json_object_set(ans, "value", v);
		if (e)
			json_object_set(ans, "error", e);
		char *text = json_dumps(ans, JSON_COMPACT | JSON_REAL_PRECISION(17));
		json_decref(ans);
		if (text)
			send_answer(k->s, k->node, k->id, text);
		free(text);
	}
	free(k);
}

static const lv_endpoint *
client_rpc(lv_server *s, const char *name)
{
	for (uint32_t i = 0; i < s->app->nendpoints; i++) {
		const lv_endpoint *ep = &s->app->endpoints[i];
		if (ep->kind == LV_CLIENT_RPC && strcmp(ep->name, name) == 0)
			return ep;
	}
	return NULL;
}

/* A call from node `origin` to a page here. */
static void
asked_here(lv_server *s, const char *origin, size_t olen, const char *body, size_t len)
{
	const char *nl1 = memchr(body, '\n', len);
	const char *nl2 = nl1 ? memchr(nl1 + 1, '\n', len - (size_t)(nl1 + 1 - body)) : NULL;
	char node[72], num[24];
	size_t idn = nl2 ? (size_t)(nl2 - nl1 - 1) : 0;
	if (!nl2 || !olen || olen >= sizeof node || !idn || idn >= sizeof num) {
		LV_LOG(s, LV_LOG_ERROR, "a call from another node that is not what a node sends; dropped");
		return;
	}
	memcpy(node, origin, olen);
	node[olen] = '\0';
	memcpy(num, nl1 + 1, idn);
	num[idn] = '\0';
	char *end;
	uint64_t id = strtoull(num, &end, 10);
	if (*end || num[0] < '0' || num[0] > '9') {
		LV_LOG(s, LV_LOG_ERROR, "a call from node %s without a call id; dropped", node);
		return;
	}
	json_t *q = json_loadb(nl2 + 1, len - (size_t)(nl2 + 1 - body), 0, NULL);
	const char *fn = json_string_value(json_object_get(q, "fn"));
	json_t *args = json_object_get(q, "args");
	const lv_endpoint *ep = fn ? client_rpc(s, fn) : NULL;
	lv_conn *c = lv__conn_by_id(s, body, (size_t)(nl1 - body));
	char *args_json = ep && json_is_object(args) ?
		json_dumps(args, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
	asker *k = args_json && c ? malloc(sizeof *k + olen + 1) : NULL;
	if (!ep || !args_json) {
		LV_LOG(s, LV_LOG_ERROR, "a call from node %s that names no client.rpc of this app, "
		       "or without its arguments; answered invalid_argument", node);
		send_status(s, node, id, LV_EINVALID_ARGUMENT, "no such client.rpc, or no arguments");
	} else if (!c) {
		send_status(s, node, id, LV_EUNAVAILABLE, "the page is not connected here");
	} else if (!k) {
		send_status(s, node, id, LV_ENOMEM, "out of memory");
	} else {
		k->s = s;
		k->id = id;
		memcpy(k->node, node, olen + 1);
		int rc = lv__ccall_raw(c, ep, args_json, page_answered, k);
		if (rc) {
			send_status(s, node, id, rc, lv_strerror(rc));
			free(k);
		}
	}
	free(args_json);
	json_decref(q);
}

void
lv__rcall_received(lv_server *s, char kind, const char *origin, size_t olen, const char *body,
                   size_t len)
{
	if (kind == 'Q')
		asked_here(s, origin, olen, body, len);
	else
		answered(s, body, len);
}
