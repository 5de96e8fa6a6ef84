/* dispatch.c - what arrives from a page: hello and resume, calls,
 * sends, acknowledgements and answers, each checked before it runs. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

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

void
lv__welcome(lv_conn *c, bool resumed, const char *resync)
{
	lv_server *s = c->server;
	/* window: the replay buffer, which the page's acks must keep from
	 * filling (lv.js acks at a quarter of it at the latest) */
	json_t *w = json_pack("{s:s, s:s, s:s, s:b, s:I, s:I, s:{s:I, s:I}}", "t", "welcome",
	                      "conn", c->id, "session", c->token, "resumed", resumed,
	                      "last", (json_int_t)c->in_last,
	                      "heartbeat", (json_int_t)s->opt.heartbeat_ms,
	                      "window", "messages", (json_int_t)s->opt.max_queue,
	                      "bytes", (json_int_t)s->opt.max_queue_bytes);
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
		/* The same peer: the same identity from the upgrade, or no
		 * identity from it when the session signed in on its own
		 * (lv_conn_set_auth; the token is then what proves it). */
		bool same_peer = sess && ((!sess->identity && !c->identity) ||
		                          (sess->identity && c->identity &&
		                           strcmp(sess->identity, c->identity) == 0) ||
		                          (sess->auth_in_band && !c->identity));
		lv_broker *b = s->broker;
		if (!sess && !lv__session_ended(s, token) && b->ops->session_take && token &&
		    strlen(token) == 32 && json_is_number(jlast) && json_number_value(jlast) >= 0 &&
		    json_number_value(jlast) < 9007199254740992.0 &&
		    json_number_value(jlast) == (double)(uint64_t)json_number_value(jlast)) {
			int rc = b->ops->session_take(b, c, token, (uint64_t)json_number_value(jlast));
			if (rc == 0)
				return;   /* perhaps kept in the broker by another node: its answer finishes */
			if (rc == LV_EUNAVAILABLE) {
				/* The broker cannot look now: the page comes back (here or
				 * elsewhere) with its session, not without. */
				lv__conn_close(c, 1013, "its session cannot be looked up now: try again");
				return;
			}
		}
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
			lv__welcome(sess, true, NULL);
			return;
		}
	}
	lv__hello_new(c, resync);
}

void
lv__hello_new(lv_conn *c, const char *resync)
{
	lv_server *s = c->server;
	if (lv__session_begin(c) != 0) {
		lv__conn_close(c, 1011, "no session could be made");
		return;
	}
	lv__states_before_hello(s);
	c->hello = true;
	s->npages++;
	lv__welcome(c, false, resync);
	lv__states_hello(c);
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
	return lv__bucket_take(&c->buckets[i], &c->bucket_us[i], ep->rate_count, ep->rate_per_ms,
	                       lv__now_us());
}

static bool
is_callable(lv_endpoint_kind k)
{
	return k == LV_SERVER_RPC || k == LV_SERVER_REALTIME || k == LV_CLIENT_CALLBACK;
}

/* What the dispatcher reads of a message, in one pass over its text
 * (codec/json_read.c), without building a tree. */
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
		lv__send_error(c, fn, LV_EINVALID_ARGUMENT, "a call needs an id: a positive "
		           "integer", "id");
		return;
	}
#define FAIL(status, path, ...)                                            \
	do {                                                               \
		snprintf(text, sizeof text, __VA_ARGS__);                  \
		if (via == LV_VIA_CALL)                                    \
			lv__send_ret_error(c, (int64_t)id, (status), text, (path)); \
		else                                                       \
			lv__send_error(c, fn, (status), text, (path));         \
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
	if (lv_decode_fields(ep->args, f->args, f->args_len, call->args, &call->arena,
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
		lv__send_error(c, NULL, LV_EINVALID_ARGUMENT, "malformed JSON", NULL);
		return;
	}
	const char *t = json_string_value(json_object_get(msg, "t"));
	if (!c->hello)
		handle_hello(c, msg);
	else if (t && strcmp(t, "state") == 0)
		lv__state_from_page(c, msg, len);
	else if (t && strcmp(t, "state_sync") == 0)
		lv__state_sync(c, msg);
	else
		lv__ccall_answer(c, msg);
	json_decref(msg);
}

static void run_frame(lv_conn *c, lv_frame *f, const char *text, size_t len);

void
lv__dispatch(lv_conn *c, const char *text, size_t len)
{
	lv_server *s = c->server;
	char buf[300];
	if (c->taking)
		return;   /* nothing before the welcome: the page waits for it */
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
		lv__send_error(c, NULL, LV_EINVALID_ARGUMENT, buf, NULL);
		return;
	}
	if (scanned > 0 || !f.has_t) {
		if (!c->hello)
			lv__conn_close(c, 4400, "hello first");
		else
			lv__send_error(c, NULL, LV_EINVALID_ARGUMENT, scanned == 0 ?
			           "a message says what it is in \"t\"" :
			           "a message is a JSON object", NULL);
		return;
	}
	/* Reliable messages from the page come numbered: each is processed
	 * once, in order; a repeat (resent across a reconnect) is dropped. */
	bool numbered = c->hello && (is(&f, "call") || is(&f, "send") || is(&f, "cret") ||
	                             is(&f, "state"));
	if (numbered && (f.seen & KEY_SEQ)) {
		uint64_t seq;
		if (!f.has_seq || !positive_int(&f.seq, &seq)) {
			lv__conn_close(c, 4400, "seq is a positive integer");
			return;
		}
		/* One request while anything waits to be written (lv__conn_writable
		 * asks again for what is left): each one reaches the event
		 * library, on libuv a system call or two. */
		if (!c->ack_due) {
			c->ack_due = true;
			if (c->wsi && c->qsent == c->qlen)
				lv__conn_want_write(c);
		}
		if (seq <= c->in_last) {
			s->duplicates++;
			return;
		}
		if (seq != c->in_last + 1) {
			lv__conn_close(c, 4400, "a gap in the page's sequence numbers");
			return;
		}
		c->in_last = seq;
		lv_broker *b = s->broker;
		uint64_t call_id = 0;
		if (is(&f, "call") && f.has_id)
			positive_int(&f.id, &call_id);
		if (c->sst && b->ops->session_inbound &&
		    b->ops->session_inbound(b, c, text, len, seq, call_id))
			return;   /* runs once the broker has it (lv__dispatch_recorded) */
	}
	run_frame(c, &f, text, len);
}

void
lv__dispatch_recorded(lv_conn *c, const char *text, size_t len)
{
	lv_jr r;
	lv_frame f;
	lv__jr_init(&r, text, len);
	if (scan_frame(&r, &f) == 0 && f.has_t)
		run_frame(c, &f, text, len);
}

static void
run_frame(lv_conn *c, lv_frame *fp, const char *text, size_t len)
{
	lv_frame f = *fp;
	char buf[300];
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
	} else if (is(&f, "cret") || is(&f, "state") || is(&f, "state_sync")) {
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
		lv__send_error(c, NULL, LV_EINVALID_ARGUMENT, "hello was said already", NULL);
	} else {
		snprintf(buf, sizeof buf, "unknown message type '%.60s'", f.t);
		lv__send_error(c, NULL, LV_EINVALID_ARGUMENT, buf, "t");
	}
}

