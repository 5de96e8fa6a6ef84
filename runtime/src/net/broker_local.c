/* broker_local.c - the in-process broker: one node, its groups (group.c)
 * and its session table (session.c) in memory. The default. */
#include <stdlib.h>

#include "net/net.h"
#include "net/presence.h"

/* Presence on one node: every event is this node's own. */
static void
event(lv_conn *c, const char *group, lv_presence_kind kind)
{
	lv__presence_event(c->server, group, kind, c->id, c->identity, true, true);
}

static int
join(lv_broker *b, lv_conn *c, const char *group)
{
	bool was = lv__groups_has(c, group);
	int rc = lv__groups_join(b->server, c, group);
	if (rc == 0 && !was)
		event(c, group, LV_PRESENCE_JOINED);
	return rc;
}

static int
leave(lv_broker *b, lv_conn *c, const char *group)
{
	if (lv__groups_has(c, group))
		event(c, group, LV_PRESENCE_LEFT);
	return lv__groups_leave(b->server, c, group);
}

static void
leave_all(lv_broker *b, lv_conn *c)
{
	(void)b;
	for (uint32_t i = 0; i < c->ngroups; i++)
		event(c, c->groups[i]->name, LV_PRESENCE_DISCONNECTED);
	lv__groups_leave_all(c);
}

static size_t
group_size(lv_broker *b, const char *group)
{
	return lv__groups_size(b->server, group);
}

static int
publish(lv_broker *b, const char *group, lv_msg *m)
{
	return lv__groups_send(b->server, group, m);
}

/* One node: a session that is not here is nowhere. */
static int
deliver(lv_broker *b, const char *conn_id, lv_conn *local, lv_msg *m)
{
	(void)b;
	(void)conn_id;
	return local ? lv__conn_queue(local, m) : LV_ECLOSED;
}

static int
session_put(lv_broker *b, lv_conn *c)
{
	return lv__sessions_put(b->server, c);
}

static lv_conn *
session_find(lv_broker *b, const char *token)
{
	return lv__sessions_find(b->server, token);
}

static void
session_remove(lv_broker *b, lv_conn *c)
{
	lv__sessions_remove(b->server, c);
}

static bool
session_ended(lv_broker *b, const char *token)
{
	return lv__sessions_ended(b->server, token);
}

static void
broker_free(lv_broker *b)
{
	lv__groups_free(b->server);
	lv__sessions_free(b->server);
	free(b);
}

static const lv_broker_ops local_ops = {
	.name = "local",
	.join = join,
	.leave = leave,
	.leave_all = leave_all,
	.group_size = group_size,
	.publish = publish,
	.deliver = deliver,
	.session_put = session_put,
	.session_find = session_find,
	.session_remove = session_remove,
	.session_ended = session_ended,
	.free = broker_free,
};

lv_broker *
lv__broker_local(lv_server *s)
{
	lv_broker *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	b->ops = &local_ops;
	b->server = s;
	b->stats.connected = 1;   /* one node: it is all there is */
	return b;
}
