/* membership.c - a page joining and leaving groups as the application asks:
 * the broker's membership, and the group states the page sees because of it. */
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
