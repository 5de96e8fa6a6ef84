/* auth.c - the request an auth callback reads, what it decides, and where that
 * decision waits while an upgrade becomes a WebSocket. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/net.h"

/* ---- requests, for the auth callback --------------------------------------------- */

struct lv_request {
	struct lws *wsi;
	char path[256];
	char buf[4][512];           /* the strings handed out */
	int nbuf;
};

static char *
req_buf(const lv_request *r)
{
	lv_request *m = (lv_request *)r;
	return m->buf[m->nbuf++ % 4];
}

const char *
lv_request_header(const lv_request *r, const char *name)
{
	static const struct { const char *name; enum lws_token_indexes tok; } known[] = {
		{ "cookie", WSI_TOKEN_HTTP_COOKIE },
		{ "authorization", WSI_TOKEN_HTTP_AUTHORIZATION },
		{ "origin", WSI_TOKEN_ORIGIN },
		{ "host", WSI_TOKEN_HOST },
		{ "user-agent", WSI_TOKEN_HTTP_USER_AGENT },
		{ "x-forwarded-for", WSI_TOKEN_X_FORWARDED_FOR },
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (strcasecmp(name, known[i].name) == 0) {
			char *b = req_buf(r);
			if (lws_hdr_copy(r->wsi, b, 512, known[i].tok) <= 0)
				return NULL;
			return b;
		}
	return NULL;
}

/* Cookie: a=1; b=2 — the value of `name`, matched whole. */
const char *
lv_request_cookie(const lv_request *r, const char *name)
{
	char header[2048];
	if (lws_hdr_copy(r->wsi, header, sizeof header, WSI_TOKEN_HTTP_COOKIE) <= 0)
		return NULL;
	size_t n = strlen(name);
	for (char *p = header; *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		char *end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) > n && strncmp(p, name, n) == 0 && p[n] == '=') {
			char *b = req_buf(r);
			size_t len = (size_t)(end - p) - n - 1;
			if (len > 511)
				len = 511;
			memcpy(b, p + n + 1, len);
			b[len] = '\0';
			return b;
		}
		p = end;
	}
	return NULL;
}

const char *
lv_request_query(const lv_request *r, const char *name)
{
	char *b = req_buf(r);
	char key[128];
	snprintf(key, sizeof key, "%s=", name);
	const char *v = lws_get_urlarg_by_name(r->wsi, key, b, 512);
	return v;
}

const char *
lv_request_path(const lv_request *r)
{
	return r->path;
}

int
lv_auth_set(lv_auth *a, const char *identity, const char *const *roles, size_t nroles)
{
	if (!a || (nroles && !roles))
		return LV_EINVALID_ARGUMENT;
	free(a->identity);
	for (size_t i = 0; i < a->nroles; i++)
		free(a->roles[i]);
	free(a->roles);
	memset(a, 0, sizeof *a);
	a->identity = strdup(identity ? identity : "");
	a->roles = calloc(nroles + 1, sizeof *a->roles);
	if (!a->identity || !a->roles)
		return LV_ENOMEM;
	for (size_t i = 0; i < nroles; i++)
		if (!(a->roles[a->nroles++] = strdup(roles[i])))
			return LV_ENOMEM;
	a->set = true;
	return 0;
}

/* Drops what c was (identity, roles) and takes a's, which is left empty. */
void
lv__conn_take_auth(lv_conn *c, lv_auth *a)
{
	free(c->identity);
	for (size_t i = 0; i < c->nroles; i++)
		free(c->roles[i]);
	free(c->roles);
	c->identity = a->identity;
	c->roles = a->roles;
	c->nroles = a->nroles;
	c->authenticated = a->set;
	memset(a, 0, sizeof *a);
}

int
lv_conn_set_auth(lv_conn *c, const char *identity, const char *const *roles, size_t nroles)
{
	if (!c || (nroles && !roles))
		return LV_EINVALID_ARGUMENT;
	if (c->ended)
		return LV_ECLOSED;
	lv_auth a;
	memset(&a, 0, sizeof a);
	if (identity) {
		int rc = lv_auth_set(&a, identity, roles, nroles);
		if (rc != 0) {
			for (size_t i = 0; i < a.nroles; i++)
				free(a.roles[i]);
			free(a.roles);
			free(a.identity);
			return rc;
		}
	}
	/* States that only some roles see: snapshots for what it may see now,
	 * an end for what it no longer may. */
	bool *saw = c->hello ? lv__states_visible(c) : NULL;
	if (saw)
		lv__states_before_auth(c->server);
	lv__conn_take_auth(c, &a);   /* identity NULL: anonymous again */
	c->auth_in_band = identity != NULL;
	lv_broker *b = c->server->broker;
	if (c->sst && b->ops->session_auth)
		b->ops->session_auth(b, c);   /* a session kept elsewhere too */
	if (saw)
		lv__states_after_auth(c, saw);
	return 0;
}

void
lv__auth_free(lv_auth *a)
{
	if (!a)
		return;
	free(a->identity);
	for (size_t i = 0; i < a->nroles; i++)
		free(a->roles[i]);
	free(a->roles);
	free(a);
}

/* The auth decided while the upgrade is still HTTP waits here for the
 * socket to become a WebSocket (lws gives it new per-socket data then). */
struct lv_pending_auth {
	struct lws *wsi;
	lv_auth *auth;
	struct lv_pending_auth *next;
};

void
lv__pending_put(lv_server *s, struct lws *wsi, lv_auth *a)
{
	struct lv_pending_auth *p = malloc(sizeof *p);
	if (!p) {
		lv__auth_free(a);
		return;
	}
	p->wsi = wsi;
	p->auth = a;
	p->next = s->pending_auth;
	s->pending_auth = p;
}

lv_auth *
lv__pending_take(lv_server *s, struct lws *wsi)
{
	for (struct lv_pending_auth **p = &s->pending_auth; *p; p = &(*p)->next)
		if ((*p)->wsi == wsi) {
			struct lv_pending_auth *found = *p;
			lv_auth *a = found->auth;
			*p = found->next;
			free(found);
			return a;
		}
	return NULL;
}

/* Runs the application's auth callback; NULL when it refuses. */
lv_auth *
lv__run_auth(lv_server *s, struct lws *wsi, const char *path, int *refused)
{
	lv_auth *a = calloc(1, sizeof *a);
	*refused = 0;
	if (!a || !s->opt.auth)
		return a;
	lv_request *r = calloc(1, sizeof *r);
	if (!r) {
		free(a);
		return NULL;
	}
	r->wsi = wsi;
	snprintf(r->path, sizeof r->path, "%s", path);
	int rc = s->opt.auth(a, r, s->opt.user_data);
	free(r);
	if (rc < 0) {
		*refused = 1;
		s->refused++;
		lv__auth_free(a);
		return NULL;
	}
	return a;
}


bool
lv__auth_has_role(const lv_auth *a, const char *role)
{
	for (size_t i = 0; a && a->set && i < a->nroles; i++)
		if (strcmp(a->roles[i], role) == 0)
			return true;
	return false;
}

void
lv__pending_free(lv_server *s)
{
	while (s->pending_auth)
		lv__auth_free(lv__pending_take(s, s->pending_auth->wsi));
}
