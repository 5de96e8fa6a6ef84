/* broker_session_relink.c - a session whose writes to Redis may be lost (the link went) is written again whole once Redis is back, its page's messages held until then.
 *
 * While a session is dirty nothing more is written for it: what goes
 * out to the page keeps going, and what the page sends waits here, not
 * run and not acked, so the page still has it should this node die.
 * Once Redis is back, REWRITE_LUA replaces its record with what this node
 * has (the numbers, the groups' offsets, the unacked messages, the calls
 * still running and those held), then the held messages run in order.
 *
 * The session stays on this node alone (lv__bss_unkept) when Redis lost
 * its data meanwhile (a new epoch: the record's offsets would mean
 * nothing), when it refuses the record, when too much waits, or when
 * Redis is not back within RELINK_GRACE_US: then what waited runs here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis.h>

#include "net/net.h"
#include "net/broker_history.h"
#include "net/broker_session_priv.h"

enum {
	HOLD_MAX = 256,                     /* the page's messages held per session */
	HOLD_BYTES = 1 << 20,               /* and their bytes */
};
#define RELINK_GRACE_US (5 * 1000000LL)   /* from the link lost to the record written */

/* ARGV: token, node, fence, ttl, epoch, id, ident, inband, roles, in,
 * out, ack, the number of groups, each group and its offset ('': Redis'
 * now), the number of calls, each call's id and seq, then the queue's
 * entries ("SEQ JSON"). 0: another epoch; -1: another node's record;
 * 1: written. */
static const char REWRITE_LUA[] =
	"local k, q = 'lv:s:' .. ARGV[1], 'lv:sq:' .. ARGV[1]\n"
	"if redis.call('GET', 'lv:epoch') ~= ARGV[5] then return 0 end\n"
	"if redis.call('EXISTS', k) == 1 and (redis.call('HGET', k, 'fence') ~= ARGV[3] or\n"
	"    redis.call('HGET', k, 'node') ~= ARGV[2]) then return -1 end\n"
	"redis.call('DEL', k, q)\n"
	"redis.call('HSET', k, 'id', ARGV[6], 'node', ARGV[2], 'fence', ARGV[3], 'ident', ARGV[7],\n"
	"  'inband', ARGV[8], 'roles', ARGV[9], 'in', ARGV[10], 'out', ARGV[11], 'ack', ARGV[12])\n"
	"local i = 14\n"
	"for n = 1, tonumber(ARGV[13]) do\n"
	"  local g, o = ARGV[i], ARGV[i + 1]\n"
	"  if o == '' then\n"
	"    if g == 'lv.all' then o = redis.call('GET', 'lv:ao') or '0'\n"
	"    else o = redis.call('GET', 'lv:go:' .. g) or '0' end\n"
	"  end\n"
	"  redis.call('HSET', k, 'g:' .. g, o)\n"
	"  i = i + 2\n"
	"end\n"
	"local nc = tonumber(ARGV[i])\n"
	"i = i + 1\n"
	"for n = 1, nc do\n"
	"  redis.call('HSET', k, 'r:' .. ARGV[i], ARGV[i + 1])\n"
	"  i = i + 2\n"
	"end\n"
	"for j = i, #ARGV do redis.call('RPUSH', q, ARGV[j]) end\n"
	"redis.call('PEXPIRE', k, ARGV[4])\n"
	"redis.call('PEXPIRE', q, ARGV[4])\n"
	"return 1\n";

void
lv__bss_dirty(lv_bsess *st, lv_conn *c)
{
	struct lv_ssess *ss = c->sst;
	if (!ss || c->ended)
		return;
	if (!ss->dirty && !ss->rewriting) {
		snprintf(ss->epoch, sizeof ss->epoch, "%s", lv__bhist_epoch(st->h));
		ss->dirty_us = lv__now_us();
	}
	ss->dirty = true;
	c->sst_pending = false;       /* what the page is sent no longer waits */
	c->out_stored = c->out_seq;   /* the record gets it when written again */
	if (c->wsi)
		lws_callback_on_writable(c->wsi);
}

void
lv__bss_hold(lv_bsess *st, lv_conn *c, lv_bss_wreq *q)
{
	struct lv_ssess *ss = c->sst;
	if (!ss) {
		if (!c->ended && !c->end_on_close)
			lv__dispatch_recorded(c, q->text, q->len);
		free(q);
		return;
	}
	if (ss->nheld >= HOLD_MAX || ss->heldbytes + q->len > HOLD_BYTES) {
		lv__bss_unkept(st, c, "too much of what its page sent waited for Redis");
		lv__bss_hold(st, c, q);   /* runs here, after what waited */
		return;
	}
	if (ss->nheld == ss->capheld) {
		uint32_t cap = ss->capheld ? ss->capheld * 2 : 8;
		lv_bss_wreq **n = realloc(ss->held, cap * sizeof *n);
		if (!n) {
			lv__bss_unkept(st, c, "out of memory");
			lv__bss_hold(st, c, q);
			return;
		}
		ss->held = n;
		ss->capheld = cap;
	}
	/* In the page's order: a write on its way when the link went may
	 * come back after later messages were held. */
	uint32_t at = ss->nheld;
	while (at > 0 && ss->held[at - 1]->seq > q->seq)
		at--;
	memmove(ss->held + at + 1, ss->held + at, (ss->nheld - at) * sizeof *ss->held);
	ss->held[at] = q;
	ss->nheld++;
	ss->heldbytes += q->len;
}

void
lv__bss_run_held(lv_conn *c, lv_bss_wreq **held, uint32_t n)
{
	lv_conn_ref(c);
	for (uint32_t i = 0; i < n; i++) {
		if (!c->ended && !c->end_on_close)
			lv__dispatch_recorded(c, held[i]->text, held[i]->len);
		free(held[i]);
	}
	free(held);
	lv_conn_unref(c);
}

/* ---- the rewrite -------------------------------------------------------------------- */

typedef struct {
	lv_bsess *st;
	lv_conn *c;                 /* referenced */
	uint32_t gen;
	uint64_t in, out, ack;      /* what the record has once written */
	uint32_t nheld;             /* the held messages it has */
} rreq;

/* argv grows; its strings are the caller's or owned (own[i]). */
typedef struct {
	const char **v;
	size_t *len;
	char **own;
	size_t n, cap;
	bool failed;
} args;

static void
arg_put(args *a, const char *s, size_t n, char *owned)
{
	if (a->failed)
		goto fail;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		const char **v = realloc(a->v, cap * sizeof *v);
		if (v)
			a->v = v;
		size_t *len = v ? realloc(a->len, cap * sizeof *len) : NULL;
		if (len)
			a->len = len;
		char **own = len ? realloc(a->own, cap * sizeof *own) : NULL;
		if (!own) {
			a->failed = true;
			goto fail;
		}
		a->own = own;
		a->cap = cap;
	}
	a->v[a->n] = s;
	a->len[a->n] = n;
	a->own[a->n++] = owned;
	return;
fail:
	free(owned);
}

static void
arg_str(args *a, const char *s)
{
	arg_put(a, s, strlen(s), NULL);
}

static void
arg_u64(args *a, uint64_t v)
{
	char *s = malloc(24);
	if (!s) {
		a->failed = true;
		return;
	}
	snprintf(s, 24, "%llu", (unsigned long long)v);
	arg_put(a, s, strlen(s), s);
}

static void
arg_entry(args *a, uint64_t seq, const char *json, size_t n)
{
	char *s = malloc(24 + n);
	if (!s) {
		a->failed = true;
		return;
	}
	int k = snprintf(s, 24, "%llu ", (unsigned long long)seq);
	memcpy(s + k, json, n);
	arg_put(a, s, (size_t)k + n, s);
}

static void
args_free(args *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->own[i]);
	free(a->v);
	free(a->len);
	free(a->own);
}

static void
on_rewrite(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	rreq *q = arg;
	lv_bsess *st = q->st;
	lv_conn *c = q->c;
	redisReply *reply = r;
	struct lv_ssess *ss = c->sst;
	if (!ss || c->ended) {
		;   /* it went meanwhile */
	} else if (!reply || q->gen != st->gen) {
		ss->rewriting = false;
		lv__bss_dirty(st, c);   /* again, once Redis is back */
	} else if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 1) {
		ss->rewriting = false;
		if (ss->dirty) {
			/* It went dirty again meanwhile: a next rewrite. */
		} else {
			if (q->in > c->in_stored)
				c->in_stored = q->in;
			if (q->out > c->out_stored)
				c->out_stored = q->out;
			if (q->ack > ss->acked_sent)
				ss->acked_sent = q->ack;
			ss->touched_us = lv__now_us();
			st->b->stats.sessions_relinked++;
			LV_LOG(st->s, LV_LOG_INFO, "%s: its session's record is in Redis again", c->id);
			/* What the record has runs now, in order; what came after
			 * it is written as usual (it was held). */
			uint32_t n = q->nheld <= ss->nheld ? q->nheld : ss->nheld;
			lv_bss_wreq **run = NULL;
			if (n && (run = malloc(n * sizeof *run))) {
				memcpy(run, ss->held, n * sizeof *run);
				for (uint32_t i = 0; i < n; i++)
					ss->heldbytes -= run[i]->len;
				memmove(ss->held, ss->held + n, (ss->nheld - n) * sizeof *ss->held);
				ss->nheld -= n;
			}
			c->ack_due = true;
			if (c->wsi)
				lws_callback_on_writable(c->wsi);
			if (run)
				lv__bss_run_held(c, run, n);
			else if (n)
				lv__bss_unkept(st, c, "out of memory");
		}
	} else if (reply->type == REDIS_REPLY_INTEGER && reply->integer == -1) {
		st->b->stats.fenced++;
		lv__bss_lost(st, c, "its record is another node's now");
	} else if (reply->type == REDIS_REPLY_INTEGER) {
		lv__bss_unkept(st, c, "Redis lost its data meanwhile");
	} else {
		if (reply->type == REDIS_REPLY_ERROR)
			LV_LOG(st->s, LV_LOG_ERROR, "redis broker: writing a session's record again: %s",
			       reply->str);
		lv__bss_unkept(st, c, "Redis refused its record");
	}
	lv_conn_unref(c);
	free(q);
	lv__lws_touched(st->s);
}

void
lv__bss_relink(lv_bsess *st, lv_conn *c)
{
	struct lv_ssess *ss = c->sst;
	if (!ss || !ss->dirty || ss->rewriting || !st->ac || c->ended)
		return;
	if (!ss->epoch[0]) {
		lv__bss_unkept(st, c, "Redis' epoch was not known when its link went");
		return;
	}
	char *roles = lv__bss_roles_text(c);
	rreq *q = calloc(1, sizeof *q);
	args a = { 0 };
	if (!roles || !q) {
		free(roles);
		free(q);
		lv__bss_unkept(st, c, "out of memory");
		return;
	}
	/* The held messages, those the page sent in order after what ran. */
	uint64_t in = c->in_stored;
	uint32_t nheld = 0;
	for (; nheld < ss->nheld && ss->held[nheld]->seq == in + 1; nheld++)
		in = ss->held[nheld]->seq;
	arg_str(&a, c->token);
	arg_str(&a, st->node);
	arg_u64(&a, ss->fence);
	arg_u64(&a, lv__bss_ttl_ms(st));
	arg_str(&a, ss->epoch);
	arg_str(&a, c->id);
	arg_str(&a, c->identity ? c->identity : "");
	arg_str(&a, c->auth_in_band ? "1" : "0");
	arg_put(&a, roles, strlen(roles), roles);
	arg_u64(&a, in);
	arg_u64(&a, c->out_seq);
	arg_u64(&a, c->out_acked);
	arg_u64(&a, ss->ng);
	for (uint32_t i = 0; i < ss->ng; i++) {
		arg_str(&a, ss->g[i].name);
		if (ss->g[i].off)
			arg_u64(&a, ss->g[i].off);
		else
			arg_str(&a, "");
	}
	/* The calls the record has begun (held ones it has included): a
	 * taker tells the page they may or may not have run. */
	uint32_t nc = 0;
	for (uint32_t i = 0; i < ss->ncalls; i++)
		nc += ss->calls[i].seq <= in;
	arg_u64(&a, nc);
	for (uint32_t i = 0; i < ss->ncalls; i++)
		if (ss->calls[i].seq <= in) {
			arg_u64(&a, ss->calls[i].id);
			arg_u64(&a, ss->calls[i].seq);
		}
	for (uint32_t i = 0; i < c->qlen; i++) {
		const lv_qent *e = &c->q[(c->qhead + i) % c->qcap];
		if (e->seq > c->out_acked)
			arg_entry(&a, e->seq, e->m->data, e->m->len);
	}
	q->st = st;
	q->c = lv_conn_ref(c);
	q->gen = st->gen;
	q->in = in;
	q->out = c->out_seq;
	q->ack = c->out_acked;
	q->nheld = nheld;
	if (a.failed || lv__bscript_runv(st->sc, on_rewrite, q, REWRITE_LUA, (int)a.n, a.v,
	                                 a.len) != 0) {
		lv_conn_unref(c);
		free(q);
		args_free(&a);
		if (!a.failed)
			return;   /* the link went again: the next one tries */
		lv__bss_unkept(st, c, "out of memory");
		return;
	}
	args_free(&a);
	ss->dirty = false;
	ss->rewriting = true;
	ss->touched_us = lv__now_us();
}

void
lv__bss_tick(lv_bsess *st)
{
	bool any = false;
	for (lv_conn *c = st->s->conns; c && !any; c = c->next)
		any = c->sst && c->sst->dirty;
	if (!any)
		return;
	int64_t now = lv__now_us();
	uint32_t n;
	lv_conn **v = lv__bss_sessions(st, &n);
	for (uint32_t i = 0; i < n; i++) {
		lv_conn *c = v[i];
		struct lv_ssess *ss = c->sst;
		if (ss && !c->ended && ss->dirty) {
			if (now - ss->dirty_us > RELINK_GRACE_US)
				lv__bss_unkept(st, c, "Redis was not back in time");
			else if (st->ac)
				lv__bss_relink(st, c);
		}
		lv_conn_unref(c);
	}
	free(v);
}

void
lv__bss_call_begun(struct lv_ssess *ss, uint64_t id, uint64_t seq)
{
	if (ss->ncalls == ss->capcalls) {
		uint32_t cap = ss->capcalls ? ss->capcalls * 2 : 4;
		lv_bss_call *n = realloc(ss->calls, cap * sizeof *n);
		if (!n)
			return;   /* a rewrite would not list it: a taker does not answer it */
		ss->calls = n;
		ss->capcalls = cap;
	}
	ss->calls[ss->ncalls++] = (lv_bss_call){ id, seq };
}

void
lv__bss_call_answered(struct lv_ssess *ss, uint64_t id)
{
	for (uint32_t i = 0; i < ss->ncalls; i++)
		if (ss->calls[i].id == id) {
			ss->calls[i] = ss->calls[--ss->ncalls];
			return;
		}
}
