/* group.c - groups on this node: membership by name and delivery to the
 * members. A group lives while it has members. */
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

static bool
named(const lv_hnode *n, const void *name)
{
	return strcmp(((const lv_group *)n)->name, name) == 0;
}

static lv_group *
find_group(lv_server *s, const char *name)
{
	return (lv_group *)lv__htab_find(&s->groups, lv__hash_str(name), named, name);
}

static void
group_free(lv_group *g)
{
	free(g->members);
	free(g->name);
	free(g);
}

/* A group nobody is in goes. */
static void
drop_if_empty(lv_server *s, lv_group *g)
{
	if (g->n)
		return;
	lv__htab_remove(&s->groups, &g->node);
	group_free(g);
}

static lv_group *
get_group(lv_server *s, const char *name)
{
	lv_group *g = find_group(s, name);
	if (g)
		return g;
	if (!(g = calloc(1, sizeof *g)) || !(g->name = strdup(name)) ||
	    lv__htab_insert(&s->groups, &g->node, lv__hash_str(name)) != 0) {
		if (g)
			free(g->name);
		free(g);
		return NULL;
	}
	return g;
}

/* Room for one more item in an array of items of size `size`. */
static bool
room(void **items, uint32_t n, uint32_t *cap, size_t size, uint32_t first)
{
	if (n < *cap)
		return true;
	uint32_t ncap = *cap ? *cap * 2 : first;
	void *p = realloc(*items, ncap * size);
	if (!p)
		return false;
	*items = p;
	*cap = ncap;
	return true;
}

int
lv__groups_join(lv_server *s, lv_conn *c, const char *name)
{
	lv_group *g = get_group(s, name);
	if (!g)
		return LV_ENOMEM;
	for (uint32_t i = 0; i < c->ngroups; i++)
		if (c->groups[i] == g)
			return 0;   /* already in it */
	if (!room((void **)&g->members, g->n, &g->cap, sizeof *g->members, 4) ||
	    !room((void **)&c->groups, c->ngroups, &c->capgroups, sizeof *c->groups, 2)) {
		drop_if_empty(s, g);
		return LV_ENOMEM;
	}
	g->members[g->n++] = c;
	c->groups[c->ngroups++] = g;
	return 0;
}

static void
remove_member(lv_server *s, lv_group *g, lv_conn *c)
{
	for (uint32_t i = 0; i < g->n; i++)
		if (g->members[i] == c) {
			g->members[i] = g->members[--g->n];
			break;
		}
	drop_if_empty(s, g);
}

int
lv__groups_leave(lv_server *s, lv_conn *c, const char *name)
{
	lv_group *g = find_group(s, name);
	if (!g)
		return 0;
	for (uint32_t i = 0; i < c->ngroups; i++)
		if (c->groups[i] == g) {
			c->groups[i] = c->groups[--c->ngroups];
			remove_member(s, g, c);
			break;
		}
	return 0;
}

void
lv__groups_leave_all(lv_conn *c)
{
	for (uint32_t i = 0; i < c->ngroups; i++)
		remove_member(c->server, c->groups[i], c);
	c->ngroups = 0;
}

bool
lv__groups_has(const lv_conn *c, const char *name)
{
	for (uint32_t i = 0; i < c->ngroups; i++)
		if (strcmp(c->groups[i]->name, name) == 0)
			return true;
	return false;
}

size_t
lv__groups_size(lv_server *s, const char *name)
{
	if (!name)
		return s->npages;
	lv_group *g = find_group(s, name);
	return g ? g->n : 0;
}

lv_conn *const *
lv__groups_members(lv_server *s, const char *name, uint32_t *n)
{
	lv_group *g = name ? find_group(s, name) : NULL;
	*n = g ? g->n : 0;
	return g ? g->members : NULL;
}

int
lv__groups_send(lv_server *s, const char *name, lv_msg *m)
{
	if (!name) {
		for (lv_conn *c = s->conns; c; c = c->next)
			if (c->hello)
				lv__conn_queue(c, m);
		return 0;
	}
	lv_group *g = find_group(s, name);
	/* Queueing may close a slow member, which does not leave its groups
	 * until its socket is gone, so iterating here is safe. */
	for (uint32_t i = 0; g && i < g->n; i++)
		lv__conn_queue(g->members[i], m);
	return 0;
}

void
lv__groups_free(lv_server *s)
{
	uint32_t at = 0;
	for (lv_hnode *n = lv__htab_next(&s->groups, NULL, &at), *next; n; n = next) {
		next = lv__htab_next(&s->groups, n, &at);
		group_free((lv_group *)n);
	}
	lv__htab_free(&s->groups);
}
