/* raise_all.c - custom server events raised on every node: lv_server_raise_all, and running those the broker brings.
 *
 * With a shared broker the event goes out through it (the raise_all op)
 * and its handler runs on each node, this one included, when that node
 * hears it: pub/sub, so at most once per node, and not on a node cut off
 * from the broker at that moment. On one node it is lv_server_raise. */
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "net/event_wire.h"

typedef struct {
	const lv_endpoint *ep;
	char *json;
	size_t len;
} raised_all;

static int
send_all(lv_server *s, const lv_endpoint *ep, const char *json, size_t len)
{
	lv_broker *b = s->broker;
	return b->ops->raise_all(b, ep->event, json, len);
}

static void
raise_all_on_loop(lv_server *s, void *arg)
{
	raised_all *r = arg;
	int rc = send_all(s, r->ep, r->json, r->len);
	if (rc)
		LV_LOG(s, LV_LOG_WARN, "%s: the server event \"%s\" raised on every node ran nowhere: %s",
		       r->ep->name, r->ep->event, lv_strerror(rc));
	free(r->json);
	free(r);
}

int
lv_server_raise_all(lv_server *s, const lv_endpoint *ep, const void *args)
{
	if (!s || !ep || ep->kind != LV_SERVER_ON || (ep->flags & LV_EP_LIFECYCLE))
		return LV_EINVALID_ARGUMENT;
	if (!s->broker->ops->raise_all)
		return lv_server_raise(s, ep, args);   /* this node is all there is */
	lv_buf b;
	lv_error err;
	lv_buf_init(&b);
	int rc = lv__encode_args(&b, ep, args, &err);
	if (rc == 0 && b.failed)
		rc = LV_ENOMEM;
	if (rc) {
		lv_buf_free(&b);
		return rc;
	}
	if (lv__on_loop(s)) {
		rc = send_all(s, ep, b.data, b.len);
		lv_buf_free(&b);
		return rc;
	}
	raised_all *r = malloc(sizeof *r);
	char *json = malloc(b.len ? b.len : 1);
	if (!r || !json) {
		free(r);
		free(json);
		lv_buf_free(&b);
		return LV_ENOMEM;
	}
	memcpy(json, b.data, b.len);
	r->ep = ep;
	r->json = json;
	r->len = b.len;
	lv_buf_free(&b);
	rc = lv__post(s, raise_all_on_loop, r);
	if (rc) {
		free(r->json);
		free(r);
	}
	return rc;
}

void
lv__event_received(lv_server *s, const char *data, size_t len)
{
	lv_event_wire w;
	if (!lv__event_wire_parse(data, len, &w)) {
		LV_LOG(s, LV_LOG_WARN, "broker: a server event it cannot read (%zu bytes), dropped", len);
		return;
	}
	const lv_endpoint *ep = NULL;
	for (uint32_t i = 0; i < s->app->nendpoints && !ep; i++) {
		const lv_endpoint *e = &s->app->endpoints[i];
		if (e->kind == LV_SERVER_ON && !(e->flags & LV_EP_LIFECYCLE) && e->event &&
		    strlen(e->event) == w.name_len && memcmp(e->event, w.name, w.name_len) == 0)
			ep = e;
	}
	if (!ep) {
		LV_LOG(s, LV_LOG_WARN, "broker: node %.*s raised the server event \"%.*s\", which this "
		       "node has no handler for; dropped", (int)w.origin_len, w.origin, (int)w.name_len,
		       w.name);
		return;
	}
	json_error_t jerr;
	json_t *args = json_loadb(w.json, w.json_len, 0, &jerr);
	if (!args || !json_is_object(args)) {
		LV_LOG(s, LV_LOG_WARN, "broker: the server event \"%s\" from node %.*s: its arguments "
		       "are not a JSON object%s%s; dropped", ep->event, (int)w.origin_len, w.origin,
		       args ? "" : ": ", args ? "" : jerr.text);
		json_decref(args);
		return;
	}
	lv__run_event(s, ep, args, NULL);   /* the codec's errors are logged there */
	json_decref(args);
}
