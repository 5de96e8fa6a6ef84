/* session.c - this node's sessions by resume token, and the tokens of
 * sessions that ended lately. */
#include <string.h>

#include "net/net.h"

bool
lv__sessions_ended(lv_server *s, const char *token)
{
	for (int i = 0; i < 256; i++)
		if (strcmp(s->ended_tokens[i], token) == 0)
			return true;
	return false;
}

static bool
has_token(const lv_hnode *n, const void *token)
{
	return strcmp(lws_container_of(n, lv_conn, snode)->token, token) == 0;
}

lv_conn *
lv__sessions_find(lv_server *s, const char *token)
{
	lv_hnode *n = lv__htab_find(&s->sessions, lv__hash_str(token), has_token, token);
	return n ? lws_container_of(n, lv_conn, snode) : NULL;
}

void
lv__sessions_remove(lv_server *s, lv_conn *c)
{
	if (c->token[0] && lv__sessions_find(s, c->token) == c)
		lv__htab_remove(&s->sessions, &c->snode);
}

int
lv__sessions_put(lv_server *s, lv_conn *c)
{
	return lv__htab_insert(&s->sessions, &c->snode, lv__hash_str(c->token));
}

void
lv__sessions_free(lv_server *s)
{
	lv__htab_free(&s->sessions);
}
