/* conn.c - connections: references, the outbound queue and its
 * coalesced writes, the end of a session, waiting for the page after a
 * drop and adopting its new socket, closing, identity. Loop thread only,
 * but for the reference counts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

/* ---- connections and sessions ----------------------------------------------- */

lv_conn *
lv__conn_new(lv_server *s, struct lws *wsi)
{
	lv_conn *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->wsi = wsi;
	c->server = s;
	c->q = c->q_first;
	c->qcap = sizeof c->q_first / sizeof c->q_first[0];
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
	if (c->q != c->q_first)
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
	lv_broker *b = c->server->broker;
	if (seq > c->out_acked) {
		c->out_acked = seq;
		if (c->sst && b->ops->session_acked)
			b->ops->session_acked(b, c);
	}
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
	lv__flush_forget(c);
	lv__detached_remove(c);
	if (c->hello)
		s->npages--;
	if (s->conn_ended)
		s->conn_ended(c);
	s->broker->ops->leave_all(s->broker, c);
	s->broker->ops->session_remove(s->broker, c);
	c->qsent = c->qlen;
	while (c->qlen)
		pop(c);
	LV_UNLINK(&s->conns, c, prev, next);
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
	if (s->detached_tail == c)
		s->detached_tail = c->dprev;
	LV_UNLINK(&s->detached_head, c, dprev, dnext);
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
		lv__conn_want_write(sess);
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
	/* From the two in the connection to 8, then doubling. */
	uint32_t cap = c->qcap < 8 ? 8 : c->qcap * 2;
	lv_qent *q = malloc(cap * sizeof *q);
	if (!q)
		return LV_ENOMEM;
	for (uint32_t i = 0; i < c->qlen; i++)
		q[i] = *at(c, i);
	if (c->q != c->q_first)
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
	lv_broker *b = s->broker;
	if (numbered && c->sst && b->ops->session_accept && !b->ops->session_accept(b, c, m))
		return 0;   /* a group message the session had: a repeat */
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
	if (numbered && c->sst && b->ops->session_queued)
		b->ops->session_queued(b, c, m, c->out_seq);
	if (c->wsi && c->qlen == c->qsent + 1)
		lv__conn_want_write(c);
	return 0;
}

int
lv__conn_queue_seq(lv_conn *c, lv_msg *m, uint64_t seq)
{
	if (c->ended)
		return LV_ECLOSED;
	if (c->qlen == c->qcap && grow(c) != 0)
		return LV_ENOMEM;
	*at(c, c->qlen) = (lv_qent){ lv__msg_ref(m), seq };
	c->qlen++;
	qbytes_add(c, m->len, true);
	if (c->wsi)
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
		lv__conn_want_write(c);
	return 0;
}

/* The close frame. lws writes it itself when the callback returns -1
 * after lws_close_reason, and waits for the page's answer; but on libuv,
 * libwebsockets 4.1 built with _DEBUG (as Debian's is) closes the socket a
 * second time at once, on purpose, and the frame never goes. There
 * (close_by_frame, set by loop_uv.c) lv writes the frame, the page's
 * answer ends the socket (ws.c), and lws waits for it no longer than it
 * would itself. */
static int
write_close(lv_conn *c)
{
	if (c->close_sent)
		return 0;
	/* Written raw, framed here, as the other frames are (lv__put_frame). */
	unsigned char *p = c->server->wbuf + LWS_PRE;
	size_t n = strlen(c->close_reason);   /* under 64: the frame needs no longer length */
	p[0] = 0x88;
	p[1] = (unsigned char)(n + 2);
	p[2] = (unsigned char)(c->close_code >> 8);
	p[3] = (unsigned char)c->close_code;
	memcpy(p + 4, c->close_reason, n);
	if (lws_write(c->wsi, p, n + 4, LWS_WRITE_RAW) < 0)
		return -1;
	c->close_sent = true;
	lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_ACK, 5);
	return 0;
}

bool
lv__conn_close_sent(lv_conn *c)
{
	return c->close_sent;
}

/* One writeable callback: an ack if one is due, then every queued frame
 * that fits in one write, or one large frame on its own. lws keeps what
 * the socket does not take and calls us again when it has drained. */
int
lv__conn_writable(lv_conn *c)
{
	lv_server *s = c->server;
	if (c->closing && c->qsent == c->qlen) {
		if (s->close_by_frame)
			return write_close(c);
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
		n += lv__u64_dec((char *)out + used + 2 + n, c->sst ? c->in_stored : c->in_last);
		out[used + 2 + n++] = '}';
		out[used++] = 0x81;
		out[used++] = (unsigned char)n;
		used += n;
		c->ack_due = false;
	}
	while (c->qsent < c->qlen) {
		lv_qent *e = at(c, c->qsent);
		if (c->sst && (c->sst_pending || (e->seq && e->seq > c->out_stored)))
			break;   /* not in the broker yet: written once it is */
		size_t len = lv__frame_len(e, prefix, &plen);
		if (len >= LV_WBUF && used == 0) {
			/* One big frame, on its own, from its own buffer. */
			unsigned char *big = malloc(LWS_PRE + len);
			if (!big)
				return -1;
			lv__put_frame(big + LWS_PRE, e, prefix, plen);
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
		lv__put_frame(out + used, e, prefix, plen);
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
	bool held = c->qsent < c->qlen && c->sst &&
	            (c->sst_pending || at(c, c->qsent)->seq > c->out_stored);
	/* Held: asked again once the broker has it (broker_session.c). */
	if (((c->qsent < c->qlen || c->closing) && !held) || c->ack_due)
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

lv_conn *
lv__conn_by_id(lv_server *s, const char *id, size_t n)
{
	for (lv_conn *c = s->conns; c; c = c->next)
		if (n < sizeof c->id && !c->ended && strncmp(c->id, id, n) == 0 && c->id[n] == '\0')
			return c;
	return NULL;
}

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

