/* conn.c - connections: their outbound queues and coalesced writes,
 * references, identity, and groups. Loop thread only, but for the
 * reference counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lv_internal.h"

/* ---- messages --------------------------------------------------------------- */

lv_msg *
lv__msg_alloc(size_t n, lv_msg_kind kind)
{
	lv_msg *m = malloc(sizeof *m + n + 1);
	if (!m)
		return NULL;
	atomic_init(&m->refs, 1);
	m->kind = kind;
	m->len = n;
	m->data[n] = '\0';
	return m;
}

lv_msg *
lv__msg_new(const char *payload, size_t n, lv_msg_kind kind)
{
	lv_msg *m = lv__msg_alloc(n, kind);
	if (m)
		memcpy(m->data, payload, n);
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

/* The frame of a queued message: header, then {"seq":N, and the message
 * from its second byte when it is numbered. Returns the bytes written. */
static size_t
frame_len(const lv_qent *e, char *prefix, size_t *prefix_len)
{
	*prefix_len = 0;
	if (e->seq) {
		memcpy(prefix, "{\"seq\":", 7);
		size_t n = 7 + lv__u64_dec(prefix + 7, e->seq);
		prefix[n++] = ',';
		*prefix_len = n;
	}
	size_t n = e->seq ? *prefix_len + e->m->len - 1 : e->m->len;
	return (n < 126 ? 2 : n < 65536 ? 4 : 10) + n;
}

static void
put_frame(unsigned char *out, const lv_qent *e, const char *prefix, size_t prefix_len)
{
	size_t n = e->seq ? prefix_len + e->m->len - 1 : e->m->len;
	size_t h = 2;
	out[0] = 0x81;               /* FIN, text */
	if (n < 126) {
		out[1] = (unsigned char)n;
	} else if (n < 65536) {
		out[1] = 126;
		out[2] = (unsigned char)(n >> 8);
		out[3] = (unsigned char)n;
		h = 4;
	} else {
		out[1] = 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
		h = 10;
	}
	if (e->seq) {
		memcpy(out + h, prefix, prefix_len);
		memcpy(out + h + prefix_len, e->m->data + 1, e->m->len - 1);
	} else {
		memcpy(out + h, e->m->data, e->m->len);
	}
}

/* ---- connections and sessions ----------------------------------------------- */

lv_conn *
lv__conn_new(lv_server *s, struct lws *wsi)
{
	lv_conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->wsi = wsi;
	c->server = s;
	atomic_init(&c->refs, 1);
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
	free(c->buckets);
	free(c->bucket_us);
	free(c);
}

void
lv_conn_unref(lv_conn *c)
{
	if (c && atomic_fetch_sub(&c->refs, 1) == 1)
		conn_free(c);
}

static uint32_t
hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static lv_conn **
session_slot(lv_server *s, const char *token)
{
	uint32_t i = hash(token) & (s->capsessions - 1);
	while (s->sessions[i] && strcmp(s->sessions[i]->token, token) != 0)
		i = (i + 1) & (s->capsessions - 1);
	return &s->sessions[i];
}

bool
lv__session_ended(lv_server *s, const char *token)
{
	if (!token || strlen(token) != 32)
		return false;
	for (int i = 0; i < 256; i++)
		if (strcmp(s->ended_tokens[i], token) == 0)
			return true;
	return false;
}

lv_conn *
lv__session_find(lv_server *s, const char *token)
{
	if (!s->capsessions || !token || strlen(token) != 32)
		return NULL;
	return *session_slot(s, token);
}

static void
session_remove(lv_server *s, lv_conn *c)
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
lv__session_begin(lv_conn *c)
{
	lv_server *s = c->server;
	unsigned char r[16];
	if (lws_get_random(s->ctx, r, sizeof r) != sizeof r)
		return LV_EIO;   /* no token is better than a guessable one */
	for (int i = 0; i < 16; i++)
		snprintf(c->token + 2 * i, 3, "%02x", r[i]);
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

/* Bytes queued to c change; a waiting session's count toward the bound
 * on what waiting sessions hold. */
static void
qbytes_add(lv_conn *c, size_t n, bool add)
{
	if (add)
		c->qbytes += n;
	else
		c->qbytes -= n;
	if (c->detached_us) {
		if (add)
			c->server->detached_bytes += n;
		else
			c->server->detached_bytes -= n;
	}
}

static lv_qent *
at(lv_conn *c, uint32_t i)
{
	return &c->q[(c->qhead + i) % c->qcap];
}

static void
pop(lv_conn *c)
{
	lv_qent *e = at(c, 0);
	qbytes_add(c, e->m->len, false);
	lv__msg_unref(e->m);
	c->qhead = (c->qhead + 1) % c->qcap;
	c->qlen--;
	if (c->qsent)
		c->qsent--;
}

/* Drops what the page has acknowledged, and what was written but never
 * kept (volatile and control messages), from the front. */
static void
trim(lv_conn *c)
{
	while (c->qlen && c->qsent) {
		lv_qent *e = at(c, 0);
		if (e->seq && e->seq > c->out_acked)
			break;
		pop(c);
	}
}

void
lv__conn_acked(lv_conn *c, uint64_t seq)
{
	if (seq > c->out_seq)
		seq = c->out_seq;   /* a page cannot ack what was never sent */
	if (seq > c->out_acked)
		c->out_acked = seq;
	trim(c);
}

/* Keeps only the numbered messages of the ring (the rest were for the
 * socket that is gone), all marked unwritten. */
static void
keep_numbered(lv_conn *c)
{
	uint32_t n = c->qlen, kept = 0;
	for (uint32_t i = 0; i < n; i++) {
		lv_qent e = *at(c, i);
		if (e.seq)
			*at(c, kept++) = e;
		else {
			qbytes_add(c, e.m->len, false);
			lv__msg_unref(e.m);
		}
	}
	c->qlen = kept;
	c->qsent = 0;
}

void
lv__conn_end(lv_conn *c)
{
	lv_server *s = c->server;
	if (c->ended)
		return;
	c->ended = true;
	lv__detached_remove(c);
	if (c->hello) {
		s->npages--;
		lv__lifecycle(s, "disconnect", c);
	}
	lv__ccalls_fail(c, LV_EUNAVAILABLE);
	lv__conn_leave_all(c);
	session_remove(s, c);
	c->qsent = c->qlen;
	while (c->qlen)
		pop(c);
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
lv__conn_closed(lv_conn *c)
{
	lv_server *s = c->server;
	c->wsi = NULL;
	free(c->rx);
	c->rx = NULL;
	c->rxlen = c->rxcap = 0;
	if (!c->hello || !c->token[0] || c->end_on_close || c->overflowed || s->stopping) {
		lv__conn_end(c);
		return;
	}
	/* Wait for the page to resume: the newest of the waiting sessions. */
	c->closing = false;
	c->ack_due = false;
	keep_numbered(c);
	c->detached_us = lv__now_us();
	c->dprev = s->detached_tail;
	c->dnext = NULL;
	if (s->detached_tail)
		s->detached_tail->dnext = c;
	else
		s->detached_head = c;
	s->detached_tail = c;
	s->ndetached++;
	s->detached_bytes += c->qbytes;
	lv__detached_trim(s);
}

void
lv__detached_remove(lv_conn *c)
{
	lv_server *s = c->server;
	if (!c->detached_us)
		return;
	if (c->dprev)
		c->dprev->dnext = c->dnext;
	else
		s->detached_head = c->dnext;
	if (c->dnext)
		c->dnext->dprev = c->dprev;
	else
		s->detached_tail = c->dprev;
	c->dprev = c->dnext = NULL;
	s->ndetached--;
	s->detached_bytes -= c->qbytes;
	c->detached_us = 0;
}

void
lv__session_expire(lv_conn *c)
{
	lv_server *s = c->server;
	s->expired++;
	memcpy(s->ended_tokens[s->ended_next++ % 256], c->token, sizeof c->token);
	lv__conn_end(c);
}

void
lv__detached_trim(lv_server *s)
{
	while (s->detached_head && (s->ndetached > s->opt.max_detached ||
	                            s->detached_bytes > s->opt.max_detached_bytes)) {
		lv__limit_hit(s, LV_LIMIT_DETACHED);
		lv__session_expire(s->detached_head);
	}
}

void
lv__session_adopt(lv_conn *sess, lv_conn *fresh, uint64_t last)
{
	struct lws *wsi = fresh->wsi;
	if (sess->wsi) {
		/* The old socket is still open (the page noticed the drop first):
		 * it closes with nobody behind it. */
		lv_conn **owner = lws_wsi_user(sess->wsi);
		if (owner)
			*owner = NULL;
		lws_callback_on_writable(sess->wsi);
		sess->wsi = NULL;
		keep_numbered(sess);
	} else {
		lv__detached_remove(sess);
	}
	sess->wsi = wsi;
	sess->closing = false;
	sess->last_rx_us = lv__now_us();
	sess->ping_sent = false;
	lv_conn **owner = lws_wsi_user(wsi);
	if (owner)
		*owner = sess;
	fresh->wsi = NULL;
	lv__conn_end(fresh);

	lv__conn_acked(sess, last);
	sess->qsent = 0;
	/* What the page acknowledged by resuming is gone; the rest goes again. */
	while (sess->qlen && at(sess, 0)->seq <= last)
		pop(sess);
	if (sess->qlen)
		lws_callback_on_writable(wsi);
}

void
lv__conn_close(lv_conn *c, int code, const char *reason)
{
	if (!c->wsi || c->closing)
		return;
	c->closing = true;
	/* Closes for cause end the session; a restarting server does not. */
	c->end_on_close = code != 1001;
	c->close_code = code;
	snprintf(c->close_reason, sizeof c->close_reason, "%s", reason ? reason : "");
	lws_callback_on_writable(c->wsi);
}

int
lv_conn_close(lv_conn *c, int code, const char *reason)
{
	if (c->ended)
		return LV_ECLOSED;
	if (!c->wsi) {
		lv__conn_end(c);
		return 0;
	}
	lv__conn_close(c, code, reason);
	c->end_on_close = true;
	return 0;
}

static int
grow(lv_conn *c)
{
	uint32_t cap = c->qcap ? c->qcap * 2 : 8;
	lv_qent *q = malloc(cap * sizeof *q);
	if (!q)
		return LV_ENOMEM;
	for (uint32_t i = 0; i < c->qlen; i++)
		q[i] = *at(c, i);
	free(c->q);
	c->q = q;
	c->qhead = 0;
	c->qcap = cap;
	return 0;
}

int
lv__conn_queue(lv_conn *c, lv_msg *m)
{
	lv_server *s = c->server;
	if (c->ended || (c->closing && (m->kind != LV_MSG_RELIABLE || c->overflowed)))
		return LV_ECLOSED;
	bool numbered = m->kind == LV_MSG_RELIABLE && c->token[0];
	if (m->kind == LV_MSG_VOLATILE && !c->wsi) {
		c->dropped++;
		s->dropped++;
		return LV_EQUEUE_FULL;   /* nobody to read it now */
	}
	if (m->kind != LV_MSG_CONTROL &&
	    (c->qlen >= s->opt.max_queue || c->qbytes + m->len > s->opt.max_queue_bytes)) {
		if (m->kind == LV_MSG_VOLATILE) {
			c->dropped++;
			s->dropped++;
			return LV_EQUEUE_FULL;
		}
		/* A reliable message it cannot take: rather a clear close than
		 * silent loss or unbounded memory; the page learns of the hole
		 * when it tries to resume. */
		s->closed_slow++;
		c->overflowed = true;
		LV_LOG(s, LV_LOG_WARN, "%s: send queue full (%u messages, %zu bytes); closing",
		       c->id, c->qlen, c->qbytes);
		if (c->wsi)
			lv__conn_close(c, 4408, "send queue overflowed: the page reads too slowly");
		/* A detached session ends at the next sweep, not here: the caller
		 * may be walking a group. */
		return LV_EQUEUE_FULL;
	}
	if (c->qlen == c->qcap && grow(c) != 0)
		return LV_ENOMEM;
	*at(c, c->qlen) = (lv_qent){ lv__msg_ref(m), numbered ? ++c->out_seq : 0 };
	c->qlen++;
	qbytes_add(c, m->len, true);
	if (c->wsi && c->qlen == c->qsent + 1)
		lws_callback_on_writable(c->wsi);
	return 0;
}

int
lv__conn_queue_first(lv_conn *c, lv_msg *m)
{
	if (c->ended)
		return LV_ECLOSED;
	if (c->qlen == c->qcap && grow(c) != 0)
		return LV_ENOMEM;
	/* Before everything unwritten: after the written-but-unacked part. */
	for (uint32_t i = c->qlen; i > c->qsent; i--)
		*at(c, i) = *at(c, i - 1);
	*at(c, c->qsent) = (lv_qent){ lv__msg_ref(m), 0 };
	c->qlen++;
	qbytes_add(c, m->len, true);
	if (c->wsi)
		lws_callback_on_writable(c->wsi);
	return 0;
}

/* One writeable callback: an ack if one is due, then every queued frame
 * that fits in one write, or one large frame on its own. lws keeps what
 * the socket does not take and calls us again when it has drained. */
int
lv__conn_writable(lv_conn *c)
{
	lv_server *s = c->server;
	if (c->closing && c->qsent == c->qlen) {
		lws_close_reason(c->wsi, (enum lws_close_status)c->close_code,
		                 (unsigned char *)c->close_reason, strlen(c->close_reason));
		return -1;
	}
	unsigned char *out = s->wbuf + LWS_PRE;
	size_t used = 0;
	char prefix[32];
	size_t plen;
	if (c->ack_due) {
		static const char head[] = "{\"t\":\"ack\",\"seq\":";
		size_t n = sizeof head - 1;
		memcpy(out + used + 2, head, n);
		n += lv__u64_dec((char *)out + used + 2 + n, c->in_last);
		out[used + 2 + n++] = '}';
		out[used++] = 0x81;
		out[used++] = (unsigned char)n;
		used += n;
		c->ack_due = false;
	}
	while (c->qsent < c->qlen) {
		lv_qent *e = at(c, c->qsent);
		size_t len = frame_len(e, prefix, &plen);
		if (len >= LV_WBUF && used == 0) {
			/* One big frame, on its own, from its own buffer. */
			unsigned char *big = malloc(LWS_PRE + len);
			if (!big)
				return -1;
			put_frame(big + LWS_PRE, e, prefix, plen);
			int n = lws_write(c->wsi, big + LWS_PRE, len, LWS_WRITE_RAW);
			free(big);
			c->qsent++;
			s->msgs_out++;
			s->bytes_out += len;
			if (n < 0)
				return -1;
			break;
		}
		if (used + len > LV_WBUF)
			break;
		put_frame(out + used, e, prefix, plen);
		used += len;
		c->qsent++;
		s->msgs_out++;
	}
	if (used) {
		s->bytes_out += used;
		if (lws_write(c->wsi, out, used, LWS_WRITE_RAW) < 0)
			return -1;
	}
	trim(c);
	if (c->qsent < c->qlen || c->closing || c->ack_due)
		lws_callback_on_writable(c->wsi);
	return 0;
}

int
lv__conn_send_json(lv_conn *c, json_t *msg, bool is_volatile)
{
	char *text = json_dumps(msg, JSON_COMPACT | JSON_REAL_PRECISION(17));
	if (!text)
		return LV_ENOMEM;
	lv_msg *m = lv__msg_new(text, strlen(text), is_volatile ? LV_MSG_VOLATILE : LV_MSG_RELIABLE);
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
lv_group_join(lv_conn *c, const char *name)
{
	if (!name || !*name || strncmp(name, "lv.", 3) == 0 || strlen(name) > 256)
		return LV_EINVALID_ARGUMENT;
	if (c->ended)
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
lv_group_leave(lv_conn *c, const char *name)
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
