/* push.c - server events, lifecycle handlers and pushes to pages. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

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
	    lv_decode_fields_jansson(ep->args, args, call->args, &call->arena, &s->opt.limits, &err)) {
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

/* The server's conn_ended hook: the disconnect handler of a page that
 * said hello, and its client calls failed. */
void
lv__on_conn_ended(lv_conn *c)
{
	if (c->hello)
		lv__lifecycle(c->server, "disconnect", c);
	lv__ccalls_fail(c, LV_EUNAVAILABLE);
	lv__states_conn_ended(c);
	lv__models_conn_ended(c);
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
	int rc = lv__encode_args(&b, ep, args, &err);
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
	*rc = lv__encode_args(&b, ep, args, &err);
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
	char *conn_id;            /* or a page by id, here or elsewhere */
	lv_msg *msg;
} pushed;

static int
deliver_id(lv_server *s, const char *id, lv_msg *m)
{
	lv_broker *b = s->broker;
	return b->ops->deliver(b, id, lv__conn_by_id(s, id, strlen(id)), m);
}

static void
push_on_loop(lv_server *s, void *arg)
{
	pushed *p = arg;
	if (p->conn_id) {
		deliver_id(s, p->conn_id, p->msg);
		free(p->conn_id);
	} else if (p->conn) {
		lv__deliver(p->conn, p->msg);
		lv_conn_unref(p->conn);
	} else {
		lv__publish(s, p->group, p->msg);
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
		rc = lv__deliver(conn, m);
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
lv_conn_push_id(lv_server *s, const char *conn_id, const lv_endpoint *ep, const void *args)
{
	int rc;
	if (!s || !conn_id || !*conn_id || strlen(conn_id) >= sizeof ((lv_conn *)0)->id)
		return LV_EINVALID_ARGUMENT;
	lv_msg *m = push_message(ep, args, &rc);
	if (!m)
		return rc;
	if (lv__on_loop(s)) {
		rc = deliver_id(s, conn_id, m);
		lv__msg_unref(m);
		return rc;
	}
	pushed *p = calloc(1, sizeof *p);
	if (!p || !(p->conn_id = strdup(conn_id))) {
		free(p);
		lv__msg_unref(m);
		return LV_ENOMEM;
	}
	p->msg = m;
	return lv__post(s, push_on_loop, p);
}

int
lv_group_push(lv_server *s, const char *group, const lv_endpoint *ep, const void *args)
{
	int rc;
	lv_msg *m = push_message(ep, args, &rc);
	if (!m)
		return rc;
	if (lv__on_loop(s)) {
		rc = lv__publish(s, group, m);
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

