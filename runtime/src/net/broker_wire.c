/* broker_wire.c - what the Redis broker hears on its channels and what each frame is for, and the frames it publishes.
 *
 * Channels: lv:all (every page), lv:g:G (G's members), lv:n:NODE (one of
 * NODE's sessions). A message on them is KIND ORIGIN "\n" [ID "\n"]
 * JSON: KIND 'R' reliable, 'V' volatile, 'C' control, or 'S' (G's size
 * changed, nothing after the origin); a node skips its own. 'P' is a
 * join or leave for presence (broker_presence.c). A reliable
 * push to a group or to every page is 'H' instead, numbered and kept in
 * the group's history (broker_history.c), and every node, this one
 * included, delivers it when its offset comes up. 'K' on lv:n:NODE: another
 * node took one of NODE's sessions (broker_session.c). 'Q' and 'A' on
 * lv:n:NODE: a call to one of NODE's pages and its answer (rcall.c).
 * 'E' on lv:all: a custom server event raised on every node
 * (event_wire.h), which every node runs, its raiser included. 'L' on
 * lv:n:NODE: NODE's heartbeat probe, timing pub/sub (broker_health.h).
 * 'T' on lv:g:G or lv:all: a patch of a shared state (broker_state.c); a
 * node holding a copy of a group's state follows that group's channel.
 * received() is one switch on KIND: a new kind is one case. */
#include <stdlib.h>
#include <string.h>

#include <async.h>
#include <hiredis.h>

#include "net/broker_redis.h"

static lv_msg_kind
kind_of(char k)
{
	return k == 'V' ? LV_MSG_VOLATILE : k == 'C' ? LV_MSG_CONTROL : LV_MSG_RELIABLE;
}

/* 'R', 'V', 'C' from another node: to this node's members of the group,
 * to every page here, or to one session here (on lv:n:NODE, ID first). */
static void
pushed(rbroker *rb, const char *channel, char kind, const char *body, size_t blen)
{
	lv_server *s = rb->base.server;
	bool group = strncmp(channel, "lv:g:", 5) == 0;
	lv_conn *to = NULL;
	if (strncmp(channel, "lv:n:", 5) == 0) {
		const char *idend = memchr(body, '\n', blen);
		if (!idend || !(to = lv__conn_by_id(s, body, (size_t)(idend - body))))
			return;
		blen -= (size_t)(idend + 1 - body);
		body = idend + 1;
	}
	lv_msg *m = lv__msg_new(body, blen, kind_of(kind));
	if (!m)
		return;
	rb->base.stats.received++;
	if (to)
		lv__conn_queue(to, m);
	else
		lv__groups_send(s, group ? channel + 5 : NULL, m);
	lv__msg_unref(m);
}

/* 'S' from another node: the group's size changed there. */
static void
resized(rbroker *rb, const char *channel)
{
	rgroup *g = strncmp(channel, "lv:g:", 5) == 0 ? lv__rb_group(rb, channel + 5) : NULL;
	if (g && g->counting)
		g->recount = true;   /* counted again once that answer is in */
	else if (g)
		lv__rb_count(rb, g);
}

/* One message of a channel, KIND ORIGIN "\n" ...: one case per kind. */
static void
received(rbroker *rb, const char *channel, const char *data, size_t len)
{
	lv_server *s = rb->base.server;
	const char *nl = len ? memchr(data, '\n', len) : NULL;
	if (!nl)
		return;
	bool group = strncmp(channel, "lv:g:", 5) == 0;
	bool node = strncmp(channel, "lv:n:", 5) == 0;
	size_t olen = (size_t)(nl - data) - 1;
	/* ours: delivered here when it was published */
	bool ours = olen == strlen(rb->node) && memcmp(data + 1, rb->node, olen) == 0;
	const char *body = nl + 1;
	size_t blen = len - (size_t)(body - data);
	switch (data[0]) {
	case 'R':
	case 'V':
	case 'C':
		if (!ours)
			pushed(rb, channel, data[0], body, blen);
		break;
	case 'S':
		if (!ours)
			resized(rb, channel);
		break;
	case 'H':   /* numbered, this node's too (broker_history.c) */
		if (group || strcmp(channel, "lv:all") == 0)
			lv__bhist_received(rb->hist, group ? channel + 5 : NULL, data, len);
		break;
	case 'T':   /* a patch of a shared state, this node's too (broker_state.c) */
		if (group || strcmp(channel, "lv:all") == 0)
			lv__bstate_received(rb->states, group ? channel + 5 : NULL, data, len);
		break;
	case 'P':   /* a join or leave (broker_presence.c) */
		if (group)
			lv__bpres_received(rb->pres, channel + 5, data, len);
		break;
	case 'K':   /* another node took one of this node's sessions (broker_session.c) */
		if (node)
			lv__bsess_received(rb->sess, data, len);
		break;
	case 'E':   /* a server event raised on every node, this one's too (raise_all.c) */
		if (strcmp(channel, "lv:all") == 0) {
			if (!ours)
				rb->base.stats.received++;
			lv__event_received(s, data, len);
		}
		break;
	case 'L':   /* this node's heartbeat probe, heard back (broker_health.c) */
		if (node)
			lv__bhealth_received(rb->health, data, len);
		break;
	case 'Q':   /* a call to a page here, or the answer to one of ours (rcall.c) */
	case 'A':
		if (node)
			lv__rcall_received(s, data[0], data + 1, olen, body, blen);
		break;
	default:    /* a kind this node does not know: dropped */
		break;
	}
}

void
lv__rb_on_sub(redisAsyncContext *ac, void *r, void *arg)
{
	(void)arg;
	redisReply *reply = r;
	rbroker *rb = ((rlink *)ac->data)->rb;
	if (!reply || reply->type != REDIS_REPLY_ARRAY || reply->elements < 3 ||
	    reply->element[0]->type != REDIS_REPLY_STRING || reply->element[1]->type != REDIS_REPLY_STRING)
		return;
	const char *what = reply->element[0]->str, *channel = reply->element[1]->str;
	if (strcmp(what, "message") == 0 && reply->element[2]->type == REDIS_REPLY_STRING) {
		received(rb, channel, reply->element[2]->str, reply->element[2]->len);
	} else if (strcmp(what, "subscribe") == 0 && strcmp(channel, "lv:all") == 0) {
		lv__bhist_subscribed(rb->hist, NULL);
		lv__bstate_subscribed(rb->states, NULL);
	} else if (strcmp(what, "subscribe") == 0 && strncmp(channel, "lv:g:", 5) == 0) {
		rgroup *g = lv__rb_group(rb, channel + 5);
		if (g && g->sub == SUB_ASKED) {
			g->sub = SUB_ON;
			lv__bhist_subscribed(rb->hist, g->name);
			lv__bstate_subscribed(rb->states, g->name);
			uint32_t n;
			lv_conn *const *m = lv__groups_members(rb->base.server, g->name, &n);
			for (uint32_t i = 0; i < n; i++)
				lv__rb_register_member(rb, m[i], g->name);
		}
	} else if (strcmp(what, "unsubscribe") == 0 && strncmp(channel, "lv:g:", 5) == 0) {
		/* Now hiredis has forgotten the channel, it may be asked again. */
		rgroup *g = lv__rb_group(rb, channel + 5);
		if (g && g->sub == SUB_LEAVING) {
			g->sub = SUB_NONE;
			if (lv__rb_needed(rb, g->name))
				lv__rb_subscribe(rb, g);
		}
	}
	lv__lws_touched(rb->base.server);
}

char *
lv__rb_frame(rbroker *rb, const char *conn_id, const lv_msg *m, size_t *len)
{
	size_t nl = strlen(rb->node), il = conn_id ? strlen(conn_id) + 1 : 0;
	*len = 2 + nl + il + m->len;
	char *p = malloc(*len);
	if (!p)
		return NULL;
	p[0] = m->kind == LV_MSG_VOLATILE ? 'V' : m->kind == LV_MSG_CONTROL ? 'C' : 'R';
	memcpy(p + 1, rb->node, nl);
	p[1 + nl] = '\n';
	if (conn_id) {
		memcpy(p + 2 + nl, conn_id, il - 1);
		p[1 + nl + il] = '\n';
	}
	memcpy(p + 2 + nl + il, m->data, m->len);
	return p;
}
