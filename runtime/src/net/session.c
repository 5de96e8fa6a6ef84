/* session.c - the table of sessions by resume token, and the tokens of
 * sessions that ended lately. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

static lv_conn **
session_slot(lv_server *s, const char *token)
{
	uint32_t i = lv__hash_str(token) & (s->capsessions - 1);
	while (s->sessions[i] && strcmp(s->sessions[i]->token, token) != 0)
		i = (i + 1) & (s->capsessions - 1);
	return &s->sessions[i];
}

bool
lv__sessions_ended(lv_server *s, const char *token)
{
	if (!token || strlen(token) != 32)
		return false;
	for (int i = 0; i < 256; i++)
		if (strcmp(s->ended_tokens[i], token) == 0)
			return true;
	return false;
}

lv_conn *
lv__sessions_find(lv_server *s, const char *token)
{
	if (!s->capsessions || !token || strlen(token) != 32)
		return NULL;
	return *session_slot(s, token);
}

void
lv__sessions_remove(lv_server *s, lv_conn *c)
{
	if (!c->token[0] || !s->capsessions)
		return;
	lv_conn **slot = session_slot(s, c->token);
	if (*slot != c)
		return;
	*slot = NULL;
	s->nsessions--;
	/* Re-seat the entries of the cluster after it (linear probing). */
	uint32_t i = (uint32_t)(slot - s->sessions);
	for (uint32_t j = (i + 1) & (s->capsessions - 1); s->sessions[j];
	     j = (j + 1) & (s->capsessions - 1)) {
		lv_conn *e = s->sessions[j];
		s->sessions[j] = NULL;
		*session_slot(s, e->token) = e;
	}
}

int
lv__sessions_put(lv_server *s, lv_conn *c)
{
	if ((s->nsessions + 1) * 2 > s->capsessions) {
		uint32_t cap = s->capsessions ? s->capsessions * 2 : 64;
		lv_conn **old = s->sessions;
		uint32_t oldcap = s->capsessions;
		s->sessions = calloc(cap, sizeof *s->sessions);
		if (!s->sessions) {
			s->sessions = old;
			return LV_ENOMEM;
		}
		s->capsessions = cap;
		for (uint32_t i = 0; i < oldcap; i++)
			if (old[i])
				*session_slot(s, old[i]->token) = old[i];
		free(old);
	}
	*session_slot(s, c->token) = c;
	s->nsessions++;
	return 0;
}


void
lv__sessions_free(lv_server *s)
{
	free(s->sessions);
	s->sessions = NULL;
	s->capsessions = s->nsessions = 0;
}
