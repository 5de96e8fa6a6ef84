/* conn.c - connections: their outbound queues and coalesced writes,
 * references, identity, and groups. Loop thread only, but for the
 * reference counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv_internal.h"

/* ---- messages --------------------------------------------------------------- */

lv_msg *
lv__msg_new(const char *payload, size_t n, bool is_volatile)
{
	size_t hdr = n < 126 ? 2 : n < 65536 ? 4 : 10;
	lv_msg *m = malloc(sizeof *m + LWS_PRE + hdr + n);
	if (!m)
		return NULL;
	atomic_init(&m->refs, 1);
	m->is_volatile = is_volatile;
	m->frame = m->pad + LWS_PRE;
	m->len = hdr + n;
	unsigned char *h = m->frame;
	h[0] = 0x81;                 /* FIN, text */
	if (n < 126) {
		h[1] = (unsigned char)n;
	} else if (n < 65536) {
		h[1] = 126;
		h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)n;
	} else {
		h[1] = 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
	}
	memcpy(h + hdr, payload, n);
	return m;
}

lv_msg *
lv__msg_ref(lv_msg *m)
{
	atomic_fetch_add(&m->refs, 1);
	return m;
}

void
lv__msg_unref(lv_msg *m)
{
	if (m && atomic_fetch_sub(&m->refs, 1) == 1)
		free(m);
}

/* ---- connections ---------------------------------------------------------------- */

lv_conn *
lv__conn_new(lv_server *s, struct lws *wsi)
{
	lv_conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->wsi = wsi;
	c->server = s;
	atomic_init(&c->refs, 1);
	/* Unguessable is not the point here (resume tokens are); unique is. */
	uint64_t r = 0;
	if (lws_get_random(s->ctx, &r, sizeof r) != sizeof r)
		r = (uint64_t)lv__now_us();
	snprintf(c->id, sizeof c->id, "c%llx", (unsigned long long)(r ^ ++s->conn_seq));
	c->last_rx_us = lv__now_us();
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
	s->conns_total++;
	return c;
}

lv_conn *
lv_conn_ref(lv_conn *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

static void
conn_free(lv_conn *c)
{
	for (size_t i = 0; i < c->nroles; i++)
		free(c->roles[i]);
	free(c->roles);
	free(c->identity);
	free(c->groups);
	free(c->rx);
	free(c->q);
	free(c);
}

void
lv_conn_unref(lv_conn *c)
{
	if (c && atomic_fetch_sub(&c->refs, 1) == 1)
		conn_free(c);
}

void
lv__conn_closed(lv_conn *c)
{
	lv_server *s = c->server;
	if (c->hello) {
		s->npages--;
		lv__lifecycle(s, "disconnect", c);
	}
	lv__ccalls_fail(c, LV_EUNAVAILABLE);
	lv__conn_leave_all(c);
	while (c->qlen) {
		lv__msg_unref(c->q[c->qhead]);
		c->qhead = (c->qhead + 1) % c->qcap;
		c->qlen--;
	}
	c->qbytes = 0;
	if (c->prev)
		c->prev->next = c->next;
	else
		s->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	s->nconns--;
	c->wsi = NULL;
	lv_conn_unref(c);
}

void
lv__conn_close(lv_conn *c, int code, const char *reason)
{
	if (!c->wsi || c->closing)
		return;
	c->closing = true;
	c->close_code = code;
	snprintf(c->close_reason, sizeof c->close_reason, "%s", reason ? reason : "");
	lws_callback_on_writable(c->wsi);
}

int
lv_conn_close(lv_conn *c, int code, const char *reason)
{
	if (!c->wsi)
		return LV_ECLOSED;
	lv__conn_close(c, code, reason);
	return 0;
}

int
lv__conn_queue(lv_conn *c, lv_msg *m)
{
	lv_server *s = c->server;
	if (!c->wsi || c->closing)
		return LV_ECLOSED;
	if (c->qlen >= s->opt.max_queue || c->qbytes + m->len > s->opt.max_queue_bytes) {
		if (m->is_volatile) {
			c->dropped++;
			s->dropped++;
			return LV_EQUEUE_FULL;
		}
		/* A reliable message it cannot take: better a clear close than
		 * silent loss or unbounded memory. */
		s->closed_slow++;
		LV_LOG(s, LV_LOG_WARN, "%s: send queue full (%u messages, %zu bytes); closing",
		       c->id, c->qlen, c->qbytes);
		lv__conn_close(c, 4408, "send queue overflowed: the page reads too slowly");
		return LV_EQUEUE_FULL;
	}
	if (c->qlen == c->qcap) {
		uint32_t cap = c->qcap ? c->qcap * 2 : 8;
		lv_msg **q = malloc(cap * sizeof *q);
		if (!q)
			return LV_ENOMEM;
		for (uint32_t i = 0; i < c->qlen; i++)
			q[i] = c->q[(c->qhead + i) % c->qcap];
		free(c->q);
		c->q = q;
		c->qhead = 0;
		c->qcap = cap;
	}
	c->q[(c->qhead + c->qlen) % c->qcap] = lv__msg_ref(m);
	c->qlen++;
	c->qbytes += m->len;
	if (c->qlen == 1)
		lws_callback_on_writable(c->wsi);
	return 0;
}

static lv_msg *
pop(lv_conn *c)
{
	lv_msg *m = c->q[c->qhead];
	c->qhead = (c->qhead + 1) % c->qcap;
	c->qlen--;
	c->qbytes -= m->len;
	return m;
}

/* One writeable callback: every queued frame that fits goes out in one
 * write (frames are already framed, so they are written raw), or one large
 * frame on its own. lws keeps what the socket does not take and calls us
 * again when it has drained. */
int
lv__conn_writable(lv_conn *c)
{
	lv_server *s = c->server;
	if (c->closing && c->qlen == 0) {
		lws_close_reason(c->wsi, (enum lws_close_status)c->close_code,
		                 (unsigned char *)c->close_reason, strlen(c->close_reason));
		return -1;
	}
	if (c->qlen == 0)
		return 0;
	lv_msg *first = c->q[c->qhead];
	if (first->len >= LV_WBUF) {
		pop(c);
		int n = lws_write(c->wsi, first->frame, first->len, LWS_WRITE_RAW);
		s->msgs_out++;
		s->bytes_out += first->len;
		lv__msg_unref(first);
		if (n < 0)
			return -1;
	} else {
		unsigned char *out = s->wbuf + LWS_PRE;
		size_t used = 0;
		while (c->qlen && used + c->q[c->qhead]->len <= LV_WBUF) {
			lv_msg *m = pop(c);
			memcpy(out + used, m->frame, m->len);
			used += m->len;
			s->msgs_out++;
			lv__msg_unref(m);
		}
		s->bytes_out += used;
		if (lws_write(c->wsi, out, used, LWS_WRITE_RAW) < 0)
			return -1;
	}
	if (c->qlen || c->closing)
		lws_callback_on_writable(c->wsi);
	return 0;
}

int
lv__conn_send_json(lv_conn *c, json_t *msg, bool is_volatile)
{
	char *text = json_dumps(msg, JSON_COMPACT | JSON_REAL_PRECISION(17));
	if (!text)
		return LV_ENOMEM;
	lv_msg *m = lv__msg_new(text, strlen(text), is_volatile);
	free(text);
	if (!m)
		return LV_ENOMEM;
	int rc = lv__conn_queue(c, m);
	lv__msg_unref(m);
	return rc;
}

/* ---- accessors ------------------------------------------------------------------ */

const char *lv_conn_id(const lv_conn *c) { return c->id; }
lv_server *lv_conn_server(const lv_conn *c) { return c->server; }
const char *lv_conn_identity(const lv_conn *c) { return c->identity; }
void lv_conn_set_data(lv_conn *c, void *data) { c->data = data; }
void *lv_conn_data(const lv_conn *c) { return c->data; }

bool
lv_conn_has_role(const lv_conn *c, const char *role)
{
	for (size_t i = 0; i < c->nroles; i++)
		if (strcmp(c->roles[i], role) == 0)
			return true;
	return false;
}

/* ---- groups ---------------------------------------------------------------------- */

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static lv_group **
slot(lv_server *s, const char *name)
{
	uint32_t i = hash(name) & (s->capgroups - 1);
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
lv_join(lv_conn *c, const char *name)
{
	if (!name || !*name || strncmp(name, "lv.", 3) == 0 || strlen(name) > 256)
		return LV_EINVALID_ARGUMENT;
	if (!c->wsi)
		return LV_ECLOSED;
	lv_group *g = find_group(c->server, name, true);
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
lv_leave(lv_conn *c, const char *name)
{
	if (!name || strncmp(name, "lv.", 3) == 0)
		return LV_EINVALID_ARGUMENT;
	lv_group *g = find_group(c->server, name, false);
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
lv__conn_leave_all(lv_conn *c)
{
	for (uint32_t i = 0; i < c->ngroups; i++)
		remove_member(c->groups[i], c);
	c->ngroups = 0;
}

size_t
lv_group_size(lv_server *s, const char *name)
{
	if (!name || strcmp(name, "lv.all") == 0)
		return s->npages;
	lv_group *g = find_group(s, name, false);
	return g ? g->n : 0;
}

int
lv__group_send(lv_server *s, const char *name, lv_msg *m)
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
