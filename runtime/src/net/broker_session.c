/* broker_session.c - sessions kept in Redis: written before what they record goes out, taken by the node a page resumes on, fenced against the node that had them.
 *
 * In Redis (TOKEN a session's resume token):
 *   lv:s:TOKEN   HASH: id (the connection id), node (the owner), fence
 *                (incremented by each take), ident, inband, roles (who
 *                it is: the identity, 1 when lv_conn_set_auth gave it, the
 *                roles one a line), in (the page's last seq run here), out
 *                (the last seq given), ack (the page's last ack), g:G (the
 *                offset of group G the session has had; g:lv.all for every
 *                page), r:ID (a call begun and not answered yet)
 *   lv:sq:TOKEN  LIST: the unacknowledged reliable messages, "SEQ JSON"
 * Both expire resume_ms after the last write; the owner renews them.
 *
 * Scripts run through broker_script.c (EVALSHA once loaded). Writes go
 * through WRITE_LUA, which refuses (-1) a node whose fence is
 * not the record's: once another node took the session, the old owner's
 * writes fail and it lets the session go (as when TAKE_LUA's notice on
 * lv:n:NODE reaches it), closing the socket with 4409.
 *
 * Outbound, a reliable message is appended to the record when it is
 * queued, and written to the socket once Redis answered (c->out_stored).
 * Inbound, a numbered message runs once Redis recorded its seq (and, for
 * a call, its id under r:ID until the ret is appended): a call resent to
 * another node is never run twice, and one begun where the node died is
 * answered `unavailable` ("it may not have run"). Group messages are not
 * stored per session: the record has each group's offset, and the node
 * that takes the session reads what came since from the group's stream;
 * a session drops group messages at or below the offset it had.
 *
 * What a take reads back is outside input: broker_session_wire.c checks
 * it whole, and a record it refuses is deleted and the page is answered
 * as for an unknown session.
 *
 * A lost link to Redis does not make a session local: it goes dirty, and
 * once Redis is back its record is written again whole from what this
 * node has (broker_session_relink.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis.h>

#include "net/net.h"
#include "net/broker_session.h"
#include "net/broker_session_wire.h"
#include "net/broker_session_priv.h"

enum { RECOVER_MAX = 1000 };   /* group messages read per group on a take */

typedef lv_bss_wreq wreq;

/* ---- Lua, run by lv__bscript_run (broker_script.c) -------------------------------- */

/* ARGV: token, id, node, ttl, ident, inband, roles, every page's offset
 * ("" : Redis' now). */
static const char CREATE_LUA[] =
	"local k, q = 'lv:s:' .. ARGV[1], 'lv:sq:' .. ARGV[1]\n"
	"redis.call('DEL', k, q)\n"
	"local a = ARGV[8]\n"
	"if a == '' then a = redis.call('GET', 'lv:ao') or '0' end\n"
	"redis.call('HSET', k, 'id', ARGV[2], 'node', ARGV[3], 'fence', 1, 'ident', ARGV[5],\n"
	"  'inband', ARGV[6], 'roles', ARGV[7], 'in', 0, 'out', 0, 'ack', 0, 'g:lv.all', a)\n"
	"redis.call('PEXPIRE', k, ARGV[4])\n"
	"return 1\n";

/* ARGV: token, fence, ttl, op, its arguments. -1: fenced. */
static const char WRITE_LUA[] =
	"local k, q = 'lv:s:' .. ARGV[1], 'lv:sq:' .. ARGV[1]\n"
	"if redis.call('HGET', k, 'fence') ~= ARGV[2] then return -1 end\n"
	"local op = ARGV[4]\n"
	"if op == 'a' then\n"   /* append: seq, json, group, offset, call answered */
	"  redis.call('RPUSH', q, ARGV[5] .. ' ' .. ARGV[6])\n"
	"  redis.call('HSET', k, 'out', ARGV[5])\n"
	"  if ARGV[7] ~= '' then redis.call('HSET', k, 'g:' .. ARGV[7], ARGV[8]) end\n"
	"  if ARGV[9] ~= '' then redis.call('HDEL', k, 'r:' .. ARGV[9]) end\n"
	"elseif op == 'i' then\n"   /* inbound: seq, call id */
	"  redis.call('HSET', k, 'in', ARGV[5])\n"
	"  if ARGV[6] ~= '' then redis.call('HSET', k, 'r:' .. ARGV[6], ARGV[5]) end\n"
	"elseif op == 'k' then\n"   /* ack: seq */
	"  redis.call('HSET', k, 'ack', ARGV[5])\n"
	"  local n = tonumber(ARGV[5])\n"
	"  while true do\n"
	"    local v = redis.call('LINDEX', q, 0)\n"
	"    if not v or tonumber(string.match(v, '^%d+')) > n then break end\n"
	"    redis.call('LPOP', q)\n"
	"  end\n"
	"elseif op == 'j' then\n"   /* join: group, offset ('' : Redis' now) */
	"  local o = ARGV[6]\n"
	"  if o == '' then o = redis.call('GET', 'lv:go:' .. ARGV[5]) or '0' end\n"
	"  redis.call('HSET', k, 'g:' .. ARGV[5], o)\n"
	"elseif op == 'l' then\n"
	"  redis.call('HDEL', k, 'g:' .. ARGV[5])\n"
	"elseif op == 'u' then\n"   /* who: ident, inband, roles */
	"  redis.call('HSET', k, 'ident', ARGV[5], 'inband', ARGV[6], 'roles', ARGV[7])\n"
	"elseif op == 'e' then\n"   /* the end */
	"  redis.call('DEL', k, q)\n"
	"  return 1\n"
	"end\n"
	"redis.call('PEXPIRE', k, ARGV[3])\n"
	"redis.call('PEXPIRE', q, ARGV[3])\n"
	"return 1\n";

/* A session here with no record (begun while Redis was away, or one of
 * its writes lost): a record of it this node left goes. ARGV: token,
 * node. */
static const char FORGET_LUA[] =
	"if redis.call('HGET', 'lv:s:' .. ARGV[1], 'node') == ARGV[2] then\n"
	"  redis.call('DEL', 'lv:s:' .. ARGV[1], 'lv:sq:' .. ARGV[1])\n"
	"end\n"
	"return 0\n";

/* ARGV: token, node, ttl, the page's last, its identity from the upgrade
 * (or ''). 0: no such session (or not this peer's); 'overflow'; or
 * {fence, the record's fields, the queue, {{group, offset, top,
 * entries after offset}...}}. */
static const char TAKE_LUA[] =
	"local k, q = 'lv:s:' .. ARGV[1], 'lv:sq:' .. ARGV[1]\n"
	"if redis.call('EXISTS', k) == 0 then return 0 end\n"
	"local si = redis.call('HGET', k, 'ident') or ''\n"
	"local ib = redis.call('HGET', k, 'inband')\n"
	"local ci = ARGV[5]\n"
	"if not ((si == '' and ci == '') or (si ~= '' and si == ci) or (ib == '1' and ci == '')) then\n"
	"  return 0\n"
	"end\n"
	"local last = tonumber(ARGV[4])\n"
	"if last > tonumber(redis.call('HGET', k, 'out')) or\n"
	"   last < tonumber(redis.call('HGET', k, 'ack')) then\n"
	"  return 'overflow'\n"
	"end\n"
	"local f = redis.call('HINCRBY', k, 'fence', 1)\n"
	"local old = redis.call('HGET', k, 'node')\n"
	"local id = redis.call('HGET', k, 'id')\n"
	"redis.call('HSET', k, 'node', ARGV[2])\n"
	"redis.call('PEXPIRE', k, ARGV[3])\n"
	"redis.call('PEXPIRE', q, ARGV[3])\n"
	"redis.call('SET', 'lv:conn:' .. id, ARGV[2])\n"
	"redis.call('SADD', 'lv:ns:' .. ARGV[2], id)\n"
	"if old ~= ARGV[2] then\n"
	"  redis.call('SREM', 'lv:ns:' .. old, id)\n"
	"  redis.call('PUBLISH', 'lv:n:' .. old, 'K' .. ARGV[2] .. '\\n' .. id .. '\\n' .. ARGV[1])\n"
	"end\n"
	"local h = redis.call('HGETALL', k)\n"
	"local groups = {}\n"
	"for i = 1, #h, 2 do\n"
	"  if string.sub(h[i], 1, 2) == 'g:' then\n"
	"    local g = string.sub(h[i], 3)\n"
	"    local ok, sk = 'lv:go:' .. g, 'lv:gh:' .. g\n"
	"    if g == 'lv.all' then ok, sk = 'lv:ao', 'lv:ah' end\n"
	"    local o = tonumber(h[i + 1])\n"
	"    local top = tonumber(redis.call('GET', ok) or '0')\n"
	"    local e = {}\n"
	"    if top > o then e = redis.call('XRANGE', sk, (o + 1) .. '-0', '+', 'COUNT', ARGV[6]) end\n"
	"    groups[#groups + 1] = {g, tostring(o), tostring(top), e}\n"
	"  end\n"
	"end\n"
	"return {f, h, redis.call('LRANGE', q, 0, -1), groups}\n";

/* ---- a session's groups ------------------------------------------------------------ */

sgroup *
lv__bss_group_find(struct lv_ssess *ss, const char *name)
{
	for (uint32_t i = 0; i < ss->ng; i++)
		if (strcmp(ss->g[i].name, name) == 0)
			return &ss->g[i];
	return NULL;
}


static sgroup *
sgroup_put(struct lv_ssess *ss, const char *name, uint64_t off)
{
	sgroup *g = lv__bss_group_find(ss, name);
	if (g) {
		g->off = off;
		return g;
	}
	if (ss->ng == ss->capg) {
		uint32_t cap = ss->capg ? ss->capg * 2 : 4;
		sgroup *n = realloc(ss->g, cap * sizeof *n);
		if (!n)
			return NULL;
		ss->g = n;
		ss->capg = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return NULL;
	ss->g[ss->ng] = (sgroup){ copy, off };
	return &ss->g[ss->ng++];
}

static void
sgroup_del(struct lv_ssess *ss, const char *name)
{
	sgroup *g = lv__bss_group_find(ss, name);
	if (!g)
		return;
	free(g->name);
	*g = ss->g[--ss->ng];
}

/* What waited for the record is dropped with it: the page, told 4409
 * or gone, sends it again where the session is. */
void
lv__bss_free(lv_conn *c)
{
	struct lv_ssess *ss = c->sst;
	if (!ss)
		return;
	for (uint32_t i = 0; i < ss->ng; i++)
		free(ss->g[i].name);
	free(ss->g);
	free(ss->calls);
	for (uint32_t i = 0; i < ss->nheld; i++)
		free(ss->held[i]);
	free(ss->held);
	free(ss);
	c->sst = NULL;
}


uint32_t
lv__bss_ttl_ms(const lv_bsess *st)
{
	return st->s->opt.resume_ms;
}


/* ---- writes ----------------------------------------------------------------------- */

static void on_write(redisAsyncContext *ac, void *r, void *arg);

/* The record's writes: argv after the op. 0, or the write was not sent:
 * then the session is dirty (written again whole once Redis is back), and
 * a q given stays the caller's. */
static int
write_op(lv_bsess *st, lv_conn *c, char op, wreq *q, int argc, const char **argv,
         const size_t *lens)
{
	struct lv_ssess *ss = c->sst;
	if (!ss)
		return LV_EUNAVAILABLE;
	if (!st->ac || ss->dirty) {
		lv__bss_dirty(st, c);
		return LV_EUNAVAILABLE;
	}
	char fence[24], ttl[24], ops[2] = { op, 0 };
	snprintf(fence, sizeof fence, "%llu", (unsigned long long)ss->fence);
	snprintf(ttl, sizeof ttl, "%u", lv__bss_ttl_ms(st));
	const char *av[16];
	size_t al[16];
	int n = 0;
	av[n] = c->token, al[n++] = strlen(c->token);
	av[n] = fence, al[n++] = strlen(fence);
	av[n] = ttl, al[n++] = strlen(ttl);
	av[n] = ops, al[n++] = 1;
	for (int i = 0; i < argc && n < 16; i++) {
		av[n] = argv[i];
		al[n++] = lens ? lens[i] : strlen(argv[i]);
	}
	bool mine = !q;
	if (mine && !(q = calloc(1, sizeof *q))) {
		lv__bss_dirty(st, c);
		return LV_ENOMEM;
	}
	q->st = st;
	q->c = lv_conn_ref(c);
	q->gen = st->gen;
	q->op = op;
	if (lv__bscript_runv(st->sc, on_write, q, WRITE_LUA, n, av, al) != 0) {
		lv_conn_unref(q->c);
		q->c = NULL;
		if (mine)
			free(q);
		lv__bss_dirty(st, c);
		return LV_EUNAVAILABLE;
	}
	ss->touched_us = lv__now_us();
	return 0;
}

/* Drops the unwritten part of c's queue: what the old owner never stored
 * must not reach the page. */
static void
forget_unsent(lv_conn *c)
{
	while (c->qlen > c->qsent) {
		lv_qent *e = &c->q[(c->qhead + c->qlen - 1) % c->qcap];
		c->qbytes -= e->m->len;
		if (c->detached_us)
			c->server->detached_bytes -= e->m->len;
		lv__msg_unref(e->m);
		c->qlen--;
	}
}

/* Another node has the session now: it goes from here, and its record
 * (that node's) stays. */
void
lv__bss_lost(lv_bsess *st, lv_conn *c, const char *why)
{
	if (!c->sst || c->ended)
		return;
	st->b->stats.sessions_lost++;
	LV_LOG(st->s, LV_LOG_INFO, "%s: the session moved to another node (%s); it goes from here",
	       c->id, why);
	if (c->out_seq > c->out_stored)
		LV_LOG(st->s, LV_LOG_WARN, "%s: %llu of its messages were queued here while Redis was "
		       "away and are not in the record the other node took", c->id,
		       (unsigned long long)(c->out_seq - c->out_stored));
	lv__bss_free(c);
	forget_unsent(c);
	if (c->wsi) {
		lv__conn_close(c, 4409, "the session moved to another node");
		c->end_on_close = true;
	} else {
		lv__conn_end(c);
	}
}


/* The session's record cannot follow it: it stays here alone, what the
 * page sent meanwhile runs here, and the record goes once Redis is back
 * (FORGET_LUA). */
void
lv__bss_unkept(lv_bsess *st, lv_conn *c, const char *why)
{
	struct lv_ssess *ss = c->sst;
	if (!ss)
		return;
	LV_LOG(st->s, LV_LOG_WARN, "%s: its session can resume on this node only: %s", c->id, why);
	st->b->stats.sessions_unkept++;
	lv_bss_wreq **held = ss->held;
	uint32_t n = ss->nheld;
	ss->held = NULL;
	ss->nheld = 0;
	lv__bss_free(c);
	c->sst_pending = false;
	if (c->in_last > c->in_stored)
		c->ack_due = true;
	if (c->wsi)
		lws_callback_on_writable(c->wsi);
	lv__bss_run_held(c, held, n);
}

/* Runs a page's message here: the session is local now. */
static void
run_here(lv_conn *c, const wreq *q)
{
	if (!c->ended && !c->end_on_close)
		lv__dispatch_recorded(c, q->text, q->len);
}

static void
on_write(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	wreq *q = arg;
	lv_bsess *st = q->st;
	lv_conn *c = q->c;
	redisReply *reply = r;
	bool fresh = reply && q->gen == st->gen;
	if (fresh && reply->type == REDIS_REPLY_INTEGER && reply->integer == -1) {
		st->b->stats.fenced++;
		lv__bss_lost(st, c, "a write was refused");   /* unless it went already */
	} else if (!c->sst) {
		/* It went local meanwhile (or moved: then it is closing for good). */
		if (q->op == 'i')
			run_here(c, q);
	} else if (!fresh) {
		/* The link went: Redis may or may not have it. The record is
		 * written again whole; a message of the page's waits for that. */
		lv__bss_dirty(st, c);
		if (q->op == 'i') {
			q->c = NULL;
			lv__bss_hold(st, c, q);
			q = NULL;
		}
	} else if (reply->type != REDIS_REPLY_INTEGER) {
		if (reply->type == REDIS_REPLY_ERROR)
			LV_LOG(st->s, LV_LOG_ERROR, "redis broker: a session write was refused: %s",
			       reply->str);
		if (q->op == 'i') {
			/* With what waited, in the page's order, here. */
			q->c = NULL;
			lv__bss_hold(st, c, q);
			q = NULL;
		}
		lv__bss_unkept(st, c, "Redis refused a write of its record");
	} else if (q->op == 'a') {
		if (q->seq > c->out_stored) {
			c->out_stored = q->seq;
			if (c->wsi)
				lws_callback_on_writable(c->wsi);
		}
	} else if (q->op == 'i' && !c->ended) {
		if (q->seq > c->in_stored) {
			c->in_stored = q->seq;   /* the page may forget it now */
			c->ack_due = true;
			if (c->wsi)
				lws_callback_on_writable(c->wsi);
		}
		lv__dispatch_recorded(c, q->text, q->len);
	}
	lv_conn_unref(c);
	free(q);
	lv__lws_touched(st->s);
}

/* ---- hooks ------------------------------------------------------------------------ */

lv_bsess *
lv__bsess_new(lv_server *s, lv_broker *b, lv_bhist *h, lv_bscript *sc, const char *node,
              lv_bsess_join_fn join)
{
	lv_bsess *st = calloc(1, sizeof *st);
	if (!st)
		return NULL;
	st->s = s;
	st->away_us = lv__now_us();   /* until Redis is first up */
	st->b = b;
	st->h = h;
	st->sc = sc;
	st->node = node;
	st->join = join;
	return st;
}

void
lv__bsess_free(lv_bsess *st)
{
	free(st);   /* each session's part went with it (lv__bsess_end) */
}

/* The conns with a session part, referenced: what runs for one may end
 * others. NULL when none (or no memory). */
lv_conn **
lv__bss_sessions(lv_bsess *st, uint32_t *n)
{
	uint32_t k = 0;
	for (lv_conn *c = st->s->conns; c; c = c->next)
		k += c->sst != NULL || (c->hello && c->token[0]);
	*n = 0;
	lv_conn **v = k ? malloc(k * sizeof *v) : NULL;
	if (!v)
		return NULL;
	for (lv_conn *c = st->s->conns; c && *n < k; c = c->next)
		if (c->sst || (c->hello && c->token[0]))
			v[(*n)++] = lv_conn_ref(c);
	return v;
}

void
lv__bsess_up(lv_bsess *st, redisAsyncContext *ac)
{
	st->ac = ac;
	st->away_us = 0;
	st->gen++;
	uint32_t n;
	lv_conn **v = lv__bss_sessions(st, &n);
	for (uint32_t i = 0; i < n; i++) {
		lv_conn *c = v[i];
		if (c->ended)
			;
		else if (c->sst)
			lv__bss_relink(st, c);   /* dirty: written again whole */
		else
			lv__bscript_run(st->sc, NULL, NULL, FORGET_LUA, "%s %s", c->token, st->node);
		lv_conn_unref(c);
	}
	free(v);
}

void
lv__bsess_down(lv_bsess *st)
{
	st->ac = NULL;
	if (!st->away_us)
		st->away_us = lv__now_us();
	st->gen++;
	/* What was on its way may be lost: each record is written again once
	 * Redis is back. */
	for (lv_conn *c = st->s->conns; c; c = c->next)
		if (c->sst)
			lv__bss_dirty(st, c);
}

void
lv__bsess_beat(lv_bsess *st)
{
	lv__bss_tick(st);
	if (!st->ac)
		return;
	int64_t now = lv__now_us(), every = (int64_t)lv__bss_ttl_ms(st) * 1000 / 4;
	for (lv_conn *c = st->s->conns; c; c = c->next)
		if (c->sst && !c->ended && !c->sst->dirty && now - c->sst->touched_us > every)
			write_op(st, c, 't', NULL, 0, NULL, NULL);
}

void
lv__bsess_received(lv_bsess *st, const char *data, size_t len)
{
	/* "K" NODE "\n" ID "\n" TOKEN */
	const char *end = data + len;
	const char *a = memchr(data, '\n', len);
	const char *b = a ? memchr(a + 1, '\n', (size_t)(end - a - 1)) : NULL;
	if (!b)
		return;
	lv_conn *c = lv__conn_by_id(st->s, a + 1, (size_t)(b - a - 1));
	size_t tl = (size_t)(end - b - 1);
	if (c && c->sst && tl == strlen(c->token) && memcmp(b + 1, c->token, tl) == 0)
		lv__bss_lost(st, c, "another node took it");
}

static const char *
every_offset(lv_bsess *st, char *buf, size_t n)
{
	uint64_t off;
	if (!lv__bhist_last(st->h, NULL, &off))
		return "";
	snprintf(buf, n, "%llu", (unsigned long long)off);
	return buf;
}

char *
lv__bss_roles_text(const lv_conn *c)
{
	lv_buf b;
	lv_buf_init(&b);
	for (size_t i = 0; i < c->nroles; i++) {
		if (i)
			lv_buf_puts(&b, "\n");
		lv_buf_puts(&b, c->roles[i]);
	}
	char *out = b.failed ? NULL : strndup(b.data ? b.data : "", b.len);
	lv_buf_free(&b);
	return out;
}

/* The record of a session begun here is made: what waited is written.
 * The link went: it is written again once Redis is back. Refused: the
 * session stays here alone. */
static void
on_created(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	lv_conn *c = arg;
	redisReply *reply = r;
	if (!c->ended && c->sst) {
		if (!reply)
			lv__bss_dirty(c->sst->st, c);
		else if (reply->type == REDIS_REPLY_INTEGER)
			c->sst_pending = false;
		else
			lv__bss_unkept(c->sst->st, c, "Redis refused its record");
	} else {
		c->sst_pending = false;
	}
	if (!c->ended && c->wsi)
		lws_callback_on_writable(c->wsi);
	lv_conn_unref(c);
}

void
lv__bsess_create(lv_bsess *st, lv_conn *c)
{
	if (!st->ac || c->sst)
		return;
	struct lv_ssess *ss = calloc(1, sizeof *ss);
	char *roles = lv__bss_roles_text(c);
	if (!ss || !roles) {
		free(ss);
		free(roles);
		return;
	}
	ss->st = st;
	ss->fence = 1;
	ss->touched_us = lv__now_us();
	char every[24], ttl[24];
	const char *a = every_offset(st, every, sizeof every);
	uint64_t off = 0;
	lv__bhist_last(st->h, NULL, &off);
	sgroup_put(ss, "lv.all", off);
	snprintf(ttl, sizeof ttl, "%u", lv__bss_ttl_ms(st));
	if (lv__bscript_run(st->sc, on_created, lv_conn_ref(c), CREATE_LUA, "%s %s %s %s %s %s %s %s",
	                    c->token, c->id, st->node, ttl, c->identity ? c->identity : "",
	                    c->auth_in_band ? "1" : "0", roles, a) != 0) {
		lv_conn_unref(c);
		free(roles);
		for (uint32_t i = 0; i < ss->ng; i++)
			free(ss->g[i].name);
		free(ss->g);
		free(ss);
		return;
	}
	free(roles);
	c->sst = ss;
	c->sst_pending = true;   /* not even the welcome before the record is there */
	c->out_stored = c->out_seq;
	c->in_stored = c->in_last;
}

void
lv__bsess_end(lv_bsess *st, lv_conn *c)
{
	if (!c->sst)
		return;
	/* A node that stops leaves its sessions' records: their pages,
	 * told 1001, resume on another node. */
	if (!st->s->stopping)
		write_op(st, c, 'e', NULL, 0, NULL, NULL);
	lv__bss_free(c);
}

void
lv__bsess_joined(lv_bsess *st, lv_conn *c, const char *group)
{
	if (!c->sst || lv__bss_group_find(c->sst, group))
		return;
	uint64_t off = 0;
	char buf[24] = "";
	if (lv__bhist_last(st->h, group, &off))
		snprintf(buf, sizeof buf, "%llu", (unsigned long long)off);
	sgroup_put(c->sst, group, off);
	const char *av[] = { group, buf };
	write_op(st, c, 'j', NULL, 2, av, NULL);
}

void
lv__bsess_left(lv_bsess *st, lv_conn *c, const char *group)
{
	if (!c->sst || !lv__bss_group_find(c->sst, group))
		return;
	sgroup_del(c->sst, group);
	const char *av[] = { group };
	write_op(st, c, 'l', NULL, 1, av, NULL);
}

bool
lv__bsess_accept(lv_bsess *st, lv_conn *c, const lv_msg *m)
{
	(void)st;
	if (!m->goff || !m->group || !c->sst)
		return true;
	sgroup *g = lv__bss_group_find(c->sst, m->group);
	return !g || m->goff > g->off;
}

/* The call a ret answers: {"t":"ret","id":N,... as call.c writes it. */
static bool
ret_id(const lv_msg *m, char *out, size_t n)
{
	static const char head[] = "{\"t\":\"ret\",\"id\":";
	if (m->len < sizeof head || memcmp(m->data, head, sizeof head - 1) != 0)
		return false;
	size_t i = 0;
	for (const char *p = m->data + sizeof head - 1; *p >= '0' && *p <= '9' && i + 1 < n; p++)
		out[i++] = *p;
	out[i] = '\0';
	return i > 0;
}

void
lv__bsess_queued(lv_bsess *st, lv_conn *c, const lv_msg *m, uint64_t seq)
{
	struct lv_ssess *ss = c->sst;
	if (!ss)
		return;
	char sq[24], off[24] = "", id[24] = "";
	snprintf(sq, sizeof sq, "%llu", (unsigned long long)seq);
	const char *group = "";
	if (m->goff && m->group) {
		group = m->group;
		snprintf(off, sizeof off, "%llu", (unsigned long long)m->goff);
		sgroup_put(ss, m->group, m->goff);
	}
	if (ret_id(m, id, sizeof id))
		lv__bss_call_answered(ss, strtoull(id, NULL, 10));
	if (ss->dirty) {
		/* It goes out now; the record gets it when written again. */
		c->out_stored = seq;
		return;
	}
	const char *av[] = { sq, m->data, group, off, id };
	size_t al[] = { strlen(sq), m->len, strlen(group), strlen(off), strlen(id) };
	wreq *q = calloc(1, sizeof *q);
	if (!q) {
		lv__bss_dirty(st, c);
		c->out_stored = seq;
		return;
	}
	q->seq = seq;
	if (write_op(st, c, 'a', q, 5, av, al) != 0) {
		free(q);
		c->out_stored = seq;   /* dirty now */
	}
}

bool
lv__bsess_inbound(lv_bsess *st, lv_conn *c, const char *text, size_t len, uint64_t seq,
                  uint64_t call_id)
{
	struct lv_ssess *ss = c->sst;
	if (!ss)
		return false;
	wreq *q = malloc(sizeof *q + len + 1);
	if (!q) {
		lv__bss_unkept(st, c, "out of memory");
		return false;   /* it runs here */
	}
	memset(q, 0, sizeof *q);
	q->st = st;
	q->op = 'i';
	q->seq = seq;
	q->call_id = call_id;
	q->len = len;
	memcpy(q->text, text, len);
	q->text[len] = '\0';
	if (call_id)
		lv__bss_call_begun(ss, call_id, seq);
	char sq[24], id[24] = "";
	snprintf(sq, sizeof sq, "%llu", (unsigned long long)seq);
	if (call_id)
		snprintf(id, sizeof id, "%llu", (unsigned long long)call_id);
	const char *av[] = { sq, id };
	if (ss->dirty || write_op(st, c, 'i', q, 2, av, NULL) != 0)
		lv__bss_hold(st, c, q);   /* runs once the record is written again */
	return true;
}

void
lv__bsess_acked(lv_bsess *st, lv_conn *c)
{
	if (!c->sst || c->sst->dirty || c->out_acked <= c->sst->acked_sent)
		return;   /* dirty: the record is written again with it */
	c->sst->acked_sent = c->out_acked;
	char sq[24];
	snprintf(sq, sizeof sq, "%llu", (unsigned long long)c->out_acked);
	const char *av[] = { sq };
	write_op(st, c, 'k', NULL, 1, av, NULL);
}

void
lv__bsess_auth(lv_bsess *st, lv_conn *c)
{
	char *roles = c->sst ? lv__bss_roles_text(c) : NULL;
	if (!roles)
		return;
	const char *av[] = { c->identity ? c->identity : "", c->auth_in_band ? "1" : "0", roles };
	write_op(st, c, 'u', NULL, 3, av, NULL);
	free(roles);
}

/* ---- taking a session -------------------------------------------------------------- */

typedef struct {
	lv_bsess *st;
	lv_conn *c;                 /* referenced */
	uint32_t gen;
	uint64_t last;
	char token[33];
} treq;

static void
resync_to(lv_conn *c, const char *group, const char *reason)
{
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, "{\"t\":\"resync\",\"group\":");
	lv_buf_json_str(&b, group, strlen(group));
	lv_buf_puts(&b, ",\"reason\":\"");
	lv_buf_puts(&b, reason);
	lv_buf_puts(&b, "\"}");
	lv_msg *m = b.failed ? NULL : lv__msg_new(b.data, b.len, LV_MSG_RELIABLE);
	lv_buf_free(&b);
	if (m)
		lv__conn_queue(c, m);
	lv__msg_unref(m);
}

/* One group of a take: what came since queued, then followed from there. */
static void
take_group(lv_bsess *st, lv_conn *c, const lv_bsw_group *g)
{
	const char *name = g->name.p;
	bool all = strcmp(name, "lv.all") == 0;
	uint64_t have = g->have, top = g->top;
	sgroup_put(c->sst, name, have);
	bool told = false;
	for (size_t i = 0; i < g->ne; i++) {
		uint64_t off = g->e[i].off;
		if (off > top)
			break;
		if (off > have + 1 && !told) {
			resync_to(c, name, "history");
			told = true;
		}
		lv_msg *m = lv__msg_new(g->e[i].json.p, g->e[i].json.n, LV_MSG_RELIABLE);
		if (!m)
			continue;
		m->goff = off;
		m->group = name;
		lv__conn_queue(c, m);
		m->group = NULL;
		lv__msg_unref(m);
		have = off;
		st->b->stats.recovered++;
	}
	if (have < top) {
		if (!told)
			resync_to(c, name, "history");
		sgroup_put(c->sst, name, top);
	}
	if (all)
		lv__bhist_follow_from(st->h, NULL, top);
	else
		st->join(st->b, c, name, top);
	/* This node is past `top` already: what its members had since is
	 * not kept here. */
	uint64_t here;
	sgroup *sg = c->sst ? lv__bss_group_find(c->sst, name) : NULL;
	if (sg && lv__bhist_last(st->h, all ? NULL : name, &here) && here > sg->off &&
	    lv__bhist_since(st->h, all ? NULL : name, sg->off, c) != 0) {
		resync_to(c, name, "history");
		if ((sg = lv__bss_group_find(c->sst, name)))
			sg->off = here;
	}
}

/* The record into c: who it is, the numbers. */
static void
take_record(lv_bsess *st, lv_conn *c, const lv_bsw_take *t, const char *token)
{
	lv_server *s = st->s;
	memcpy(c->id, t->id.p, t->id.n);   /* at most 19: lv__bsw_take_parse */
	c->id[t->id.n] = '\0';
	c->in_last = t->in;
	c->out_seq = t->out;
	c->out_acked = t->ack;
	memcpy(c->token, token, 33);
	if (t->inband && t->ident.n) {
		const char **list = calloc(t->nroles + 1, sizeof *list);
		char *copy = strndup(t->roles.p, t->roles.n);
		size_t n = 0;
		for (char *p = copy, *save = NULL, *r; list && copy && n < t->nroles &&
		     (r = strtok_r(p, "\n", &save)); p = NULL)
			list[n++] = r;
		lv_auth a;
		memset(&a, 0, sizeof a);
		if (list && copy && lv_auth_set(&a, t->ident.p, list, n) == 0) {
			lv__conn_take_auth(c, &a);
		} else {
			for (size_t i = 0; i < a.nroles; i++)
				free(a.roles[i]);
			free(a.roles);
			free(a.identity);
		}
		c->auth_in_band = true;
		free(copy);
		free(list);
	}
	struct lv_ssess *ss = calloc(1, sizeof *ss);
	if (ss) {
		ss->st = st;
		ss->fence = t->fence;
		ss->acked_sent = c->out_acked;
		ss->touched_us = lv__now_us();
	}
	c->sst = ss;
	c->out_stored = c->out_seq;
	c->in_stored = c->in_last;
	c->hello = true;
	s->npages++;
	lv__sessions_put(s, c);
}

static void
on_take(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	treq *q = arg;
	lv_bsess *st = q->st;
	lv_conn *c = q->c;
	redisReply *reply = r;
	lv_bsw_take t;
	memset(&t, 0, sizeof t);
	c->taking = false;
	if (c->ended || !c->wsi)
		goto out;   /* the page went meanwhile: it resumes again */
	if (!reply || q->gen != st->gen) {
		/* The link went: the record may be there, for the next try. */
		lv__conn_close(c, 1013, "its session cannot be looked up now: try again");
		goto out;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		LV_LOG(st->s, LV_LOG_ERROR, "redis broker: taking a session: %s", reply->str);
		lv__hello_new(c, "unknown");
		goto out;
	}
	const char *why = NULL;
	switch (lv__bsw_take_parse(reply, &t, &why)) {
	case LV_BSW_TAKEN:
		break;
	case LV_BSW_OVERFLOW:
		lv__hello_new(c, "overflow");
		goto out;
	case LV_BSW_BAD:
		/* The take made it this node's: it goes, and the page starts anew. */
		st->b->stats.sessions_refused++;
		LV_LOG(st->s, LV_LOG_WARN, "redis broker: a session's record in Redis is not valid "
		       "(%s): refused, the page starts a new session", why);
		lv__bscript_run(st->sc, NULL, NULL, FORGET_LUA, "%s %s", q->token, st->node);
		lv__hello_new(c, "unknown");
		goto out;
	case LV_BSW_NOMEM:
		lv__conn_close(c, 1011, "out of memory");
		goto out;
	default:
		lv__hello_new(c, "unknown");
		goto out;
	}
	take_record(st, c, &t, q->token);
	if (!c->sst) {
		lv__conn_close(c, 1011, "out of memory");
		goto out;
	}
	st->b->stats.sessions_taken++;
	/* What the page has not processed, with the numbers it had. */
	for (size_t i = 0; i < t.nq; i++) {
		if (t.q[i].seq <= q->last)
			continue;
		lv_msg *m = lv__msg_new(t.q[i].json.p, t.q[i].json.n, LV_MSG_RELIABLE);
		if (m)
			lv__conn_queue_seq(c, m, t.q[i].seq);
		lv__msg_unref(m);
	}
	lv__conn_acked(c, q->last);
	/* The groups' messages since, then their next ones. */
	for (size_t i = 0; i < t.ng && c->sst; i++)
		take_group(st, c, &t.g[i]);
	/* Calls begun where the session was: they may have run. */
	for (size_t i = 0; i < t.ncalls; i++) {
		char msg[160];
		snprintf(msg, sizeof msg, "call %lld: its node stopped while it ran; it may or "
		         "may not have run", (long long)t.calls[i]);
		lv__send_ret_error(c, t.calls[i], LV_EUNAVAILABLE, msg, NULL);
	}
	LV_LOG(st->s, LV_LOG_INFO, "%s: session resumed here from another node", c->id);
	lv__welcome(c, true, NULL);
out:
	lv__bsw_take_free(&t);
	lv_conn_unref(c);
	free(q);
	lv__lws_touched(st->s);
}

/* Redis away: a record made before is still there for the resume
 * window at most. */
static int
take_later(const lv_bsess *st)
{
	int64_t away = lv__now_us() - st->away_us;
	return away < (int64_t)lv__bss_ttl_ms(st) * 1000 ? LV_EUNAVAILABLE : LV_ENOT_FOUND;
}

int
lv__bsess_take(lv_bsess *st, lv_conn *fresh, const char *token, uint64_t last, bool up)
{
	if (!up || !st->ac)
		return take_later(st);
	treq *q = calloc(1, sizeof *q);
	if (!q)
		return LV_ENOMEM;
	q->st = st;
	q->c = lv_conn_ref(fresh);
	q->gen = st->gen;
	q->last = last;
	snprintf(q->token, sizeof q->token, "%s", token);
	char ttl[24], sl[24], rmax[24];
	snprintf(ttl, sizeof ttl, "%u", lv__bss_ttl_ms(st));
	snprintf(sl, sizeof sl, "%llu", (unsigned long long)last);
	snprintf(rmax, sizeof rmax, "%d", RECOVER_MAX);
	if (lv__bscript_run(st->sc, on_take, q, TAKE_LUA, "%s %s %s %s %s %s", token, st->node, ttl,
	                    sl, fresh->identity ? fresh->identity : "", rmax) != 0) {
		lv_conn_unref(q->c);
		free(q);
		return take_later(st);
	}
	fresh->taking = true;
	return 0;
}
