/* broker.c - what the application and the network layer ask of groups and
 * sessions, checked here and carried out by the server's broker. */
#include <stdio.h>
#include <string.h>

#include "net/net.h"

static bool
group_name_ok(const char *name)
{
	return name && *name && strncmp(name, "lv.", 3) != 0 && strlen(name) <= 256;
}

int
lv_group_join(lv_conn *c, const char *name)
{
	if (!group_name_ok(name))
		return LV_EINVALID_ARGUMENT;
	if (c->ended)
		return LV_ECLOSED;
	lv_broker *b = c->server->broker;
	lv__states_before_join(c->server, name);
	int rc = b->ops->join(b, c, name);
	if (rc == 0)
		lv__states_joined(c, name);
	return rc;
}

int
lv_group_leave(lv_conn *c, const char *name)
{
	if (!name || strncmp(name, "lv.", 3) == 0)
		return LV_EINVALID_ARGUMENT;
	lv_broker *b = c->server->broker;
	int rc = b->ops->leave(b, c, name);
	if (rc == 0)
		lv__states_left(c, name);
	return rc;
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
