/* broker.c - what the network layer asks of groups and sessions (publish,
 * deliver, group size, session begin/find/end), carried out by the
 * server's broker. */
#include <stdio.h>
#include <string.h>

#include "net/net.h"

int
lv__broker_new(lv_server *s, lv_broker **out)
{
	const char *url = s->opt.broker;
	if (!url || !*url || strcmp(url, "local") == 0) {
		*out = lv__broker_local(s);
		return *out ? 0 : LV_ENOMEM;
	}
	return lv__broker_redis(s, url, out);
}

size_t
lv_group_size(lv_server *s, const char *name)
{
	return s->broker->ops->group_size(s->broker, name && strcmp(name, "lv.all") ? name : NULL);
}

int
lv__publish(lv_server *s, const char *group, lv_msg *m)
{
	return s->broker->ops->publish(s->broker, group && strcmp(group, "lv.all") ? group : NULL, m);
}

int
lv__deliver(lv_conn *c, lv_msg *m)
{
	lv_broker *b = c->server->broker;
	return b->ops->deliver(b, c->id, c, m);
}

int
lv__session_begin(lv_conn *c)
{
	lv_server *s = c->server;
	unsigned char r[16];
	if (lws_get_random(s->ctx, r, sizeof r) != sizeof r)
		return LV_EIO;   /* no token is better than a guessable one */
	for (int i = 0; i < 16; i++)
		snprintf(c->token + 2 * i, 3, "%02x", r[i]);
	return s->broker->ops->session_put(s->broker, c);
}

lv_conn *
lv__session_find(lv_server *s, const char *token)
{
	if (!token || strlen(token) != 32)
		return NULL;
	return s->broker->ops->session_find(s->broker, token);
}

bool
lv__session_ended(lv_server *s, const char *token)
{
	if (!token || strlen(token) != 32)
		return false;
	return s->broker->ops->session_ended(s->broker, token);
}
