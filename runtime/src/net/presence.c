/* presence.c - lv_group_members and lv_presence_watch: a group's members and their joins and leaves.
 *
 * From this node's groups (group.c), or through the broker
 * (broker_presence.c with Redis). */
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "net/presence.h"

/* One event waiting for the loop: its strings follow it. */
typedef struct {
	lv_presence_kind kind;
	bool local, origin, anonymous;
	char *group, *conn_id, *identity;
} pevent;

bool
lv__presence_group_ok(const char *name, size_t len)
{
	return name && len && len <= 256 && !memchr(name, '\0', len) &&
	       !(len >= 3 && memcmp(name, "lv.", 3) == 0);
}

static void
raise_event(lv_server *s, void *arg)
{
	pevent *e = arg;
	if (s->presence_fn && !s->presence_off) {
		lv_presence_event ev = {
			.group = e->group,
			.kind = e->kind,
			.member = { e->conn_id, e->anonymous ? NULL : e->identity, e->local },
			.origin = e->origin,
		};
		s->presence_fn(s, &ev, s->presence_user);
	}
	free(e);
}

void
lv__presence_event(lv_server *s, const char *group, lv_presence_kind kind, const char *conn_id,
                   const char *identity, bool local, bool origin)
{
	if (!s->presence_fn || s->presence_off)
		return;
	size_t gl = strlen(group) + 1, cl = strlen(conn_id) + 1;
	size_t il = identity ? strlen(identity) + 1 : 1;
	pevent *e = malloc(sizeof *e + gl + cl + il);
	if (!e) {
		LV_LOG(s, LV_LOG_WARN, "presence: out of memory: an event of %s is lost", group);
		return;
	}
	e->kind = kind;
	e->local = local;
	e->origin = origin;
	e->anonymous = identity == NULL;
	e->group = (char *)(e + 1);
	e->conn_id = e->group + gl;
	e->identity = e->conn_id + cl;
	memcpy(e->group, group, gl);
	memcpy(e->conn_id, conn_id, cl);
	memcpy(e->identity, identity ? identity : "", il);
	if (lv_server_post(s, raise_event, e) != 0)
		free(e);
}

lv_member *
lv__presence_here(lv_server *s, const char *group, size_t *n)
{
	uint32_t k;
	lv_conn *const *m = lv__groups_members(s, group, &k);
	*n = k;   /* with NULL: out of memory */
	lv_member *out = k ? calloc(k, sizeof *out) : NULL;
	if (!out)
		return NULL;
	for (uint32_t i = 0; i < k; i++)
		out[i] = (lv_member){ m[i]->id, m[i]->identity, true };
	return out;
}

int
lv_group_members(lv_server *s, const char *group, lv_members_fn fn, void *user_data)
{
	if (!s || !fn || !group || !lv__presence_group_ok(group, strlen(group)))
		return LV_EINVALID_ARGUMENT;
	lv_broker *b = s->broker;
	if (b->ops->members)
		return b->ops->members(b, group, fn, user_data);
	size_t n;
	lv_member *m = lv__presence_here(s, group, &n);
	if (!m && n)
		return LV_ENOMEM;
	fn(s, group, 0, m, n, user_data);
	free(m);
	return 0;
}

const char **
lv__presence_groups_here(lv_server *s, size_t *n)
{
	*n = s->groups.n;   /* with NULL: out of memory */
	const char **out = *n ? calloc(*n, sizeof *out) : NULL;
	if (!out)
		return NULL;
	size_t k = 0;
	uint32_t at = 0;
	for (lv_hnode *h = lv__htab_next(&s->groups, NULL, &at); h && k < *n;
	     h = lv__htab_next(&s->groups, h, &at))
		out[k++] = ((lv_group *)h)->name;
	*n = k;
	return out;
}

int
lv_group_list(lv_server *s, lv_groups_fn fn, void *user_data)
{
	if (!s || !fn)
		return LV_EINVALID_ARGUMENT;
	lv_broker *b = s->broker;
	if (b->ops->groups)
		return b->ops->groups(b, fn, user_data);
	size_t n;
	const char **g = lv__presence_groups_here(s, &n);
	if (!g && n)
		return LV_ENOMEM;
	fn(s, 0, g, n, user_data);
	free(g);
	return 0;
}

void
lv_presence_watch(lv_server *s, lv_presence_fn fn, void *user_data)
{
	s->presence_fn = fn;
	s->presence_user = user_data;
}

const char *
lv_presence_kind_name(lv_presence_kind kind)
{
	switch (kind) {
	case LV_PRESENCE_JOINED: return "joined";
	case LV_PRESENCE_LEFT: return "left";
	case LV_PRESENCE_DISCONNECTED: return "disconnected";
	case LV_PRESENCE_NODE_DIED: return "node died";
	}
	return "?";
}
