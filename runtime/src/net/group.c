/* group.c - groups on this node: membership by name and delivery to
 * the members. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

/* ---- groups ---------------------------------------------------------------------- */

static lv_group **
slot(lv_server *s, const char *name)
{
	uint32_t i = lv__hash_str(name) & (s->capgroups - 1);
	while (s->groups[i] && strcmp(s->groups[i]->name, name) != 0)
		i = (i + 1) & (s->capgroups - 1);
	return &s->groups[i];
}

static lv_group *
find_group(lv_server *s, const char *name, bool create)
{
	if (!s->capgroups) {
		if (!create)
			return NULL;
		s->groups = calloc(16, sizeof *s->groups);
		if (!s->groups)
			return NULL;
		s->capgroups = 16;
	}
	lv_group **g = slot(s, name);
	if (*g || !create)
		return *g;
	if ((s->ngroups + 1) * 2 > s->capgroups) {
		/* Grow; empty groups are dropped on the way. */
		lv_group **old = s->groups;
		uint32_t oldcap = s->capgroups;
		s->groups = calloc(oldcap * 2, sizeof *s->groups);
		if (!s->groups) {
			s->groups = old;
			return NULL;
		}
		s->capgroups = oldcap * 2;
		s->ngroups = 0;
		for (uint32_t i = 0; i < oldcap; i++) {
			if (!old[i])
				continue;
			if (old[i]->n == 0) {
				free(old[i]->members);
				free(old[i]->name);
				free(old[i]);
				continue;
			}
			*slot(s, old[i]->name) = old[i];
			s->ngroups++;
		}
		free(old);
		g = slot(s, name);
	}
	lv_group *ng = calloc(1, sizeof *ng);
	if (!ng || !(ng->name = strdup(name))) {
		free(ng);
		return NULL;
	}
	*g = ng;
	s->ngroups++;
	return ng;
}

int
lv__groups_join(lv_server *s, lv_conn *c, const char *name)
{
	lv_group *g = find_group(s, name, true);
	if (!g)
		return LV_ENOMEM;
	for (uint32_t i = 0; i < c->ngroups; i++)
		if (c->groups[i] == g)
			return 0;   /* already in it */
	if (g->n == g->cap) {
		uint32_t cap = g->cap ? g->cap * 2 : 4;
		lv_conn **m = realloc(g->members, cap * sizeof *m);
		if (!m)
			return LV_ENOMEM;
		g->members = m;
		g->cap = cap;
	}
	if (c->ngroups == c->capgroups) {
		uint32_t cap = c->capgroups ? c->capgroups * 2 : 2;
		lv_group **gs = realloc(c->groups, cap * sizeof *gs);
		if (!gs)
			return LV_ENOMEM;
		c->groups = gs;
		c->capgroups = cap;
	}
	g->members[g->n++] = c;
	c->groups[c->ngroups++] = g;
	return 0;
}

static void
remove_member(lv_group *g, lv_conn *c)
{
	for (uint32_t i = 0; i < g->n; i++)
		if (g->members[i] == c) {
			g->members[i] = g->members[--g->n];
			return;
		}
}

int
lv__groups_leave(lv_server *s, lv_conn *c, const char *name)
{
	lv_group *g = find_group(s, name, false);
	if (!g)
		return 0;
	for (uint32_t i = 0; i < c->ngroups; i++)
		if (c->groups[i] == g) {
			c->groups[i] = c->groups[--c->ngroups];
			remove_member(g, c);
			break;
		}
	return 0;
}

void
lv__groups_leave_all(lv_conn *c)
{
	for (uint32_t i = 0; i < c->ngroups; i++)
		remove_member(c->groups[i], c);
	c->ngroups = 0;
}

size_t
lv__groups_size(lv_server *s, const char *name)
{
	if (!name || strcmp(name, "lv.all") == 0)
		return s->npages;
	lv_group *g = find_group(s, name, false);
	return g ? g->n : 0;
}

int
lv__groups_send(lv_server *s, const char *name, lv_msg *m)
{
	if (!name || strcmp(name, "lv.all") == 0) {
		for (lv_conn *c = s->conns; c; c = c->next)
			if (c->hello)
				lv__conn_queue(c, m);
		return 0;
	}
	lv_group *g = find_group(s, name, false);
	/* Queueing may close a slow member, which does not leave its groups
	 * until its socket is gone, so iterating here is safe. */
	for (uint32_t i = 0; g && i < g->n; i++)
		lv__conn_queue(g->members[i], m);
	return 0;
}

void
lv__groups_free(lv_server *s)
{
	for (uint32_t i = 0; i < s->capgroups; i++)
		if (s->groups[i]) {
			free(s->groups[i]->members);
			free(s->groups[i]->name);
			free(s->groups[i]);
		}
	free(s->groups);
	s->groups = NULL;
	s->capgroups = s->ngroups = 0;
}

