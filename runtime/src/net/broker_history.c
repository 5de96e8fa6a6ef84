/* broker_history.c - reliable group messages between nodes: numbered per group in Redis, delivered in offset order once each, the missed ones fetched from the group's stream, or the members told to resync.
 *
 * In Redis (G a group):
 *   lv:epoch     a random value the first node to find none sets: when it
 *                changes, Redis lost its data (restarted without
 *                persistence, flushed)
 *   lv:go:G      G's last offset (INCR)
 *   lv:gh:G      STREAM of G's last `keep` reliable messages of the last
 *                `keep_ms`, entry id OFFSET-0, fields m the message's
 *                JSON and t Redis' clock (ms) when it was added; it
 *                expires `keep_ms` after the last
 *   lv:ao, lv:ah the same for every page (channel lv:all; "lv.all" in a
 *                resync)
 * PUBLISH_LUA numbers, keeps and publishes one message in one atomic
 * round trip; the channel carries "H" ORIGIN "\n" EPOCH " " OFFSET "\n"
 * JSON, and every node, the publishing one included, delivers it when its
 * offset comes up.
 *
 * A group here: `last` is the offset its members here have had (`known`
 * once read from Redis in this epoch). Until it is `synced` (its channel
 * answered and what came before fetched), what arrives waits in `pend`,
 * in offset order. A message at last + 1 is delivered; at or below last,
 * dropped (a repeat); beyond, it waits while the hole is fetched (FETCH).
 * What the stream no longer holds, an epoch that changed and a reply that
 * is not what was asked are each told to the members as one reliable
 * {"t":"resync","group":G,"reason":R} before anything after it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <hiredis.h>

#include "net/net.h"
#include "net/broker_history.h"
#include "net/broker_outbox.h"

enum {
	KEEP_DEFAULT = 1000,
	KEEP_MS_DEFAULT = 600000,   /* 10 minutes */
	FETCH_COUNT = 500,          /* stream entries per fetch */
	PEND_MAX = 10000,           /* messages waiting for a hole per group */
	OUT_MAX = 10000,            /* pushes sent and not yet answered */
	RECENT = 256,               /* messages delivered lately, kept per group */
};
/* A push not answered when its connection went is sent again once Redis
 * is back, unless it is older than this; the script remembers the last
 * push of this process it ran for PUSHED_TTL_MS after the last one. */
#define OUT_AGE_US (600 * (int64_t)1000000)
#define PUSHED_TTL_MS 3600000

typedef struct hpend {
	struct hpend *next;
	uint64_t off;
	lv_msg *m;
} hpend;

typedef struct {
	lv_hnode node;              /* first: the table by name */
	char *name;                 /* "lv.all" for every page (not in the table) */
	bool all;
	uint64_t last;
	bool known;                 /* last is of this epoch */
	bool subscribed;            /* its channel is answered since Redis is up */
	bool synced;                /* in order: what arrives is delivered */
	bool fetching;              /* a FETCH is on its way */
	bool adopt;                 /* after a bad reply: the next message is the base */
	bool awaited;               /* its channel is awaited before pushes are sent again */
	hpend *pend;                /* ascending offsets */
	uint32_t npend;
	/* the last RECENT delivered, offset last - i at (top - i) % RECENT,
	 * for a session resumed here that is behind this node's members */
	lv_msg **recent;
	uint32_t nrecent, top;
} hgroup;

struct lv_bhist {
	lv_server *s;
	lv_broker_stats *stats;
	lv_bscript *sc;             /* the broker's scripts */
	const char *node;
	uint32_t keep;
	uint32_t keep_ms;
	uint32_t gen;               /* replies of an older generation are stale */
	redisAsyncContext *ac;      /* the command connection while up */
	char epoch[72];             /* "" until read */
	char cand[40];              /* this process's name for its pushes (lv:pp:) */
	char ecand[40];             /* the epoch, should Redis have none: new for each connection,
	                             * so that a Redis that lost its data never gets an old one back */
	lv_htab groups;
	hgroup every;               /* every page: channel lv:all, lv:ao, lv:ah */
	lv_boutbox out;             /* pushes sent, not yet answered */
	bool resend_due;            /* since Redis is back, until every channel is answered */
	uint32_t unanswered;        /* channels not yet answered meanwhile */
	int64_t up_us;              /* when Redis was last back */
};

/* A push's context: which entry of the outbox it is. */
typedef struct {
	lv_bhist *h;
	uint64_t id;
} hpushreq;

/* One request's context: what it was asked for. */
typedef struct {
	lv_bhist *h;
	uint32_t gen;
	int64_t from;               /* -1: the base (the offset now), else entries after it */
	bool all;
	char name[];
} hreq;

/* ---- Lua, run by lv__bscript_run (broker_script.c) --------------------------------- */

#define EPOCH_PRELUDE \
	"local e = redis.call('GET', 'lv:epoch')\n" \
	"if not e then e = ARGV[1]; redis.call('SET', 'lv:epoch', e) end\n"

/* ARGV: epoch candidate. The epoch. */
static const char EPOCH_LUA[] = EPOCH_PRELUDE "return e\n";

/* ARGV: epoch candidate, channel, offset key, stream key, origin line
 * ("H" NODE "\n"), JSON, keep, this process's key, the push's id, that
 * key's time to live, keep_ms. The offset; 0 when this push already ran
 * (it was sent again after a connection lost its answer). The entries
 * past keep_ms go from the stream's head, a few per push (each push adds
 * one, so the head keeps up), and the stream expires keep_ms after its
 * last push. */
static const char PUBLISH_LUA[] =
	EPOCH_PRELUDE
	"local id = tonumber(ARGV[9])\n"
	"if id <= tonumber(redis.call('GET', ARGV[8]) or '0') then return 0 end\n"
	"local off = redis.call('INCR', ARGV[3])\n"
	"local now = redis.call('TIME')\n"
	"local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)\n"
	"local cut = ms - tonumber(ARGV[11])\n"
	"local head = redis.call('XRANGE', ARGV[4], '-', '+', 'COUNT', 4)\n"
	"local young = nil\n"
	"for _, en in ipairs(head) do\n"
	"  local t = tonumber(en[2][4])\n"
	"  if not t or t >= cut then young = en[1]; break end\n"
	"end\n"
	"if young then redis.call('XTRIM', ARGV[4], 'MINID', young)\n"
	"elseif #head > 0 then\n"
	"  local last = tonumber(string.match(head[#head][1], '^(%d+)'))\n"
	"  redis.call('XTRIM', ARGV[4], 'MINID', (last + 1) .. '-0')\n"
	"end\n"
	"redis.call('XADD', ARGV[4], 'MAXLEN', ARGV[7], off .. '-0', 'm', ARGV[6], 't', ms)\n"
	"redis.call('PEXPIRE', ARGV[4], ARGV[11])\n"
	"redis.call('PUBLISH', ARGV[2], ARGV[5] .. e .. ' ' .. off .. '\\n' .. ARGV[6])\n"
	"redis.call('SET', ARGV[8], ARGV[9], 'PX', ARGV[10])\n"
	"return off\n";

/* ARGV: epoch candidate, offset key, stream key, from, count. {epoch,
 * last offset, entries after `from` (none when from is -1)}. */
static const char FETCH_LUA[] =
	EPOCH_PRELUDE
	"local from = tonumber(ARGV[4])\n"
	"local last = tonumber(redis.call('GET', ARGV[2]) or '0')\n"
	"if from < 0 or from >= last then return {e, last, {}} end\n"
	"return {e, last, redis.call('XRANGE', ARGV[3], (from + 1) .. '-0', '+', 'COUNT', ARGV[5])}\n";

/* ---- groups ----------------------------------------------------------------------- */

static bool
named(const lv_hnode *n, const void *name)
{
	return strcmp(((const hgroup *)n)->name, name) == 0;
}

static hgroup *
find(lv_bhist *h, const char *name)
{
	return (hgroup *)lv__htab_find(&h->groups, lv__hash_str(name), named, name);
}

/* group's, or every page's (NULL). */
static hgroup *
get(lv_bhist *h, const char *group)
{
	return group ? find(h, group) : &h->every;
}

/* Each group followed, every page's last. */
static hgroup *
next_group(lv_bhist *h, hgroup *g, uint32_t *at)
{
	if (g == &h->every)
		return NULL;
	lv_hnode *n = lv__htab_next(&h->groups, g ? &g->node : NULL, at);
	return n ? (hgroup *)n : &h->every;
}

/* The name lv__groups_send takes: NULL for every page. */
static const char *
to(const hgroup *g)
{
	return g->all ? NULL : g->name;
}

static void
pend_clear(hgroup *g)
{
	for (hpend *p = g->pend, *next; p; p = next) {
		next = p->next;
		lv__msg_unref(p->m);
		free(p);
	}
	g->pend = NULL;
	g->npend = 0;
}

static void
recent_clear(hgroup *g)
{
	for (uint32_t i = 0; g->recent && i < RECENT; i++)
		lv__msg_unref(g->recent[i]);
	free(g->recent);
	g->recent = NULL;
	g->nrecent = 0;
}

static void
group_free(hgroup *g)
{
	pend_clear(g);
	recent_clear(g);
	free(g->name);
	free(g);
}

/* ---- to this node's members ------------------------------------------------------- */

static void
deliver(lv_bhist *h, hgroup *g, lv_msg *m)
{
	h->stats->received++;
	if (!g->recent)
		g->recent = calloc(RECENT, sizeof *g->recent);
	if (g->recent) {
		g->top = (g->top + 1) % RECENT;
		lv__msg_unref(g->recent[g->top]);
		g->recent[g->top] = lv__msg_ref(m);
		if (g->nrecent < RECENT)
			g->nrecent++;
	}
	m->goff = g->last;   /* a session kept in the broker records where it is */
	m->group = g->name;
	lv__groups_send(h->s, to(g), m);
	m->group = NULL;
}

static void
resync(lv_bhist *h, hgroup *g, const char *reason)
{
	uint32_t n = g->all ? h->s->npages : 0;
	if (!g->all)
		lv__groups_members(h->s, g->name, &n);
	h->stats->resyncs++;
	LV_LOG(h->s, LV_LOG_WARN, "redis broker: group \"%s\": reliable messages missed (%s); its %u "
	       "members here are told to resync", g->name, reason, n);
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, "{\"t\":\"resync\",\"group\":");
	lv_buf_json_str(&b, g->name, strlen(g->name));
	lv_buf_puts(&b, ",\"reason\":\"");
	lv_buf_puts(&b, reason);
	lv_buf_puts(&b, "\"}");
	lv_msg *m = b.failed ? NULL : lv__msg_new(b.data, b.len, LV_MSG_RELIABLE);
	lv_buf_free(&b);
	if (!m) {
		LV_LOG(h->s, LV_LOG_ERROR, "redis broker: group \"%s\": out of memory: its members "
		       "here were not told", g->name);
		return;
	}
	lv__groups_send(h->s, to(g), m);
	lv__msg_unref(m);
}

/* ---- requests --------------------------------------------------------------------- */

static void on_fetch(redisAsyncContext *ac, void *r, void *arg);

static void
fetch(lv_bhist *h, hgroup *g, int64_t from)
{
	if (!h->ac || g->fetching)
		return;
	size_t nl = strlen(g->name);
	hreq *q = malloc(sizeof *q + nl + 1);
	if (!q)
		return;   /* tried again at the next message or reconnect */
	q->h = h;
	q->gen = h->gen;
	q->from = from;
	q->all = g->all;
	memcpy(q->name, g->name, nl + 1);
	int rc = g->all ?
		lv__bscript_run(h->sc, on_fetch, q, FETCH_LUA, "%s lv:ao lv:ah %lld %d", h->ecand,
		                (long long)from, FETCH_COUNT) :
		lv__bscript_run(h->sc, on_fetch, q, FETCH_LUA, "%s lv:go:%s lv:gh:%s %lld %d", h->ecand,
		                g->name, g->name, (long long)from, FETCH_COUNT);
	if (rc != 0) {
		free(q);
		return;
	}
	g->fetching = true;
}

/* What to do next: the base, then (channel answered) what came since. */
static void
catch_up(lv_bhist *h, hgroup *g)
{
	if (g->synced || g->adopt)
		return;
	if (!g->known)
		fetch(h, g, -1);
	else if (g->subscribed)
		fetch(h, g, (int64_t)g->last);
}

/* Redis holds another epoch than the one known: what the members had is
 * gone with it. Each group is told, then gets the new epoch's messages
 * from its first offset on (what the stream still holds). */
static void
epoch_changed(lv_bhist *h, const char *epoch)
{
	snprintf(h->epoch, sizeof h->epoch, "%s", epoch);
	LV_LOG(h->s, LV_LOG_WARN, "redis broker: Redis lost its data (a new epoch); the members of "
	       "every group are told to resync");
	h->gen++;
	uint32_t at = 0;
	for (hgroup *g = next_group(h, NULL, &at); g; g = next_group(h, g, &at)) {
		resync(h, g, "reset");
		pend_clear(g);   /* the old epoch's */
		recent_clear(g);
		g->known = true;
		g->last = 0;
		g->synced = g->fetching = g->adopt = false;
		catch_up(h, g);
	}
}

/* Can [e, e+n) be an epoch? Said when not. */
static bool
epoch_ok(lv_bhist *h, const char *e, size_t n)
{
	if (n > 0 && n < sizeof h->epoch && !memchr(e, '\0', n))
		return true;
	LV_LOG(h->s, LV_LOG_ERROR, "redis broker: an epoch of %zu bytes; expected 1 to %zu", n,
	       sizeof h->epoch - 1);
	return false;
}

/* The epoch of a reply or message (epoch_ok), checked: false when it
 * changed (and every group started again). The first one read is taken. */
static bool
same_epoch(lv_bhist *h, const char *e, size_t n)
{
	if (n == strlen(h->epoch) && memcmp(e, h->epoch, n) == 0)
		return true;
	char buf[sizeof h->epoch];
	memcpy(buf, e, n);
	buf[n] = '\0';
	if (!h->epoch[0]) {
		memcpy(h->epoch, buf, n + 1);
		return true;
	}
	epoch_changed(h, buf);
	return false;
}

/* Delivers what waits in order from last + 1; true when nothing is left
 * behind a hole. */
static bool
drain(lv_bhist *h, hgroup *g)
{
	while (g->pend) {
		hpend *p = g->pend;
		if (p->off > g->last + 1)
			return false;
		g->pend = p->next;
		g->npend--;
		if (p->off == g->last + 1) {
			g->last = p->off;
			deliver(h, g, p->m);
		}
		lv__msg_unref(p->m);
		free(p);
	}
	return true;
}

/* Keeps m (referenced) until its turn. */
static void
wait_turn(lv_bhist *h, hgroup *g, uint64_t off, lv_msg *m)
{
	if (g->known && off <= g->last)
		return;
	if (g->npend >= PEND_MAX) {
		LV_LOG(h->s, LV_LOG_WARN, "redis broker: group \"%s\": %d messages wait for a hole; "
		       "giving them up", g->name, PEND_MAX);
		pend_clear(g);
		resync(h, g, "history");
		g->known = g->synced = false;
		catch_up(h, g);
		return;
	}
	hpend **at = &g->pend;
	while (*at && (*at)->off < off)
		at = &(*at)->next;
	if (*at && (*at)->off == off)
		return;
	hpend *p = malloc(sizeof *p);
	if (!p)
		return;   /* a hole, fetched when the next one arrives */
	p->off = off;
	p->m = lv__msg_ref(m);
	p->next = *at;
	*at = p;
	g->npend++;
}

/* A reply that is not what was asked: said, told, and the next message
 * taken as the base. */
static void
bad_reply(lv_bhist *h, hgroup *g, const char *what)
{
	LV_LOG(h->s, LV_LOG_ERROR, "redis broker: group \"%s\": unexpected reply to a fetch of its "
	       "history (%s)", g->name, what);
	resync(h, g, "error");
	g->synced = g->known = false;
	g->adopt = true;
	if (g->pend) {
		g->last = g->pend->off - 1;
		g->known = true;
		g->adopt = false;
		g->synced = drain(h, g);
		if (!g->synced)
			catch_up(h, g);
	}
}

static bool
str_reply(const redisReply *r)
{
	return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

/* "N-0" into *off. */
static bool
entry_off(const redisReply *id, uint64_t *off)
{
	if (!str_reply(id) || id->str[0] < '0' || id->str[0] > '9')
		return false;
	char *end;
	unsigned long long v = strtoull(id->str, &end, 10);
	if (end == id->str || *end != '-' || v == 0)
		return false;
	*off = v;
	return true;
}

/* Entries after `from` in order: each delivered, a hole before one told. */
static bool
take_entries(lv_bhist *h, hgroup *g, const redisReply *list, uint64_t top)
{
	uint64_t got = 0;
	bool told = false;
	for (size_t i = 0; i < list->elements; i++) {
		const redisReply *e = list->element[i];
		uint64_t off;
		if (!e || e->type != REDIS_REPLY_ARRAY || e->elements != 2 || !entry_off(e->element[0], &off) ||
		    !e->element[1] || e->element[1]->type != REDIS_REPLY_ARRAY) {
			bad_reply(h, g, "a stream entry that is not [OFFSET-0, [m, JSON]]");
			return false;
		}
		if (off <= g->last)
			continue;
		if (off > top)
			break;   /* published since: comes on the channel too */
		const redisReply *f = e->element[1];
		const redisReply *json = NULL;
		for (size_t k = 0; k + 1 < f->elements; k += 2)
			if (str_reply(f->element[k]) && strcmp(f->element[k]->str, "m") == 0 &&
			    str_reply(f->element[k + 1]))
				json = f->element[k + 1];
		if (!json) {
			bad_reply(h, g, "a stream entry without its message");
			return false;
		}
		if (off > g->last + 1 && !told) {
			resync(h, g, "history");
			told = true;
		}
		lv_msg *m = lv__msg_new(json->str, json->len, LV_MSG_RELIABLE);
		if (!m) {
			bad_reply(h, g, "out of memory");
			return false;
		}
		g->last = off;
		deliver(h, g, m);
		lv__msg_unref(m);
		got++;
	}
	if (got) {
		h->stats->recovered += got;
		h->stats->gaps_repaired++;
	}
	return true;
}

static void
on_fetch(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	hreq *q = arg;
	lv_bhist *h = q->h;
	redisReply *reply = r;
	hgroup *g = reply && q->gen == h->gen ? (q->all ? &h->every : find(h, q->name)) : NULL;
	if (!g)
		goto out;   /* the link went, the epoch changed, or the group left */
	g->fetching = false;
	if (reply->type == REDIS_REPLY_ERROR) {
		bad_reply(h, g, reply->str);
		goto out;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 || !str_reply(reply->element[0]) ||
	    reply->element[1]->type != REDIS_REPLY_INTEGER || reply->element[1]->integer < 0 ||
	    reply->element[2]->type != REDIS_REPLY_ARRAY) {
		bad_reply(h, g, "not {epoch, offset, entries}");
		goto out;
	}
	if (!epoch_ok(h, reply->element[0]->str, reply->element[0]->len)) {
		bad_reply(h, g, "no epoch");
		goto out;
	}
	if (!same_epoch(h, reply->element[0]->str, reply->element[0]->len))
		goto out;   /* started again */
	uint64_t top = (uint64_t)reply->element[1]->integer;
	if (q->from < 0) {
		if (!g->known) {
			g->last = top;
			g->known = true;
		}
		catch_up(h, g);
		goto out;
	}
	if (top < g->last) {
		/* Redis went back in time (an older snapshot): the offsets
		 * of this epoch start again below what was delivered. */
		resync(h, g, "reset");
		g->last = top;
	}
	const redisReply *list = reply->element[2];
	if (!take_entries(h, g, list, top))
		goto out;
	if (g->last < top && list->elements == FETCH_COUNT) {
		fetch(h, g, (int64_t)g->last);   /* more to come */
		goto out;
	}
	if (g->last < top) {
		resync(h, g, "history");
		g->last = top;
	}
	if (!drain(h, g)) {
		/* Everything up to `top` is in, and pub/sub keeps order: what
		 * still waits behind a hole has an offset Redis never gave. */
		LV_LOG(h->s, LV_LOG_ERROR, "redis broker: group \"%s\": %u messages with offsets "
		       "beyond its last (%llu), from %llu; dropped", g->name, g->npend,
		       (unsigned long long)top, (unsigned long long)g->pend->off);
		pend_clear(g);
	}
	g->synced = true;
out:
	free(q);
	lv__lws_touched(h->s);
}

static void
on_epoch(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	hreq *q = arg;
	lv_bhist *h = q->h;
	redisReply *reply = r;
	if (reply && q->gen == h->gen) {
		if (!str_reply(reply))
			LV_LOG(h->s, LV_LOG_ERROR, "redis broker: unexpected reply to reading the epoch%s%s",
			       reply->type == REDIS_REPLY_ERROR ? ": " : "",
			       reply->type == REDIS_REPLY_ERROR ? reply->str : "");
		else if (epoch_ok(h, reply->str, reply->len))
			same_epoch(h, reply->str, reply->len);
	}
	free(q);
}

/* An answer to a push: it ran (or had run), or Redis refused it; either
 * way it is not sent again. No answer (the connection went): it stays,
 * to be sent again when Redis is back. */
static void
on_published(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	hpushreq *q = arg;
	lv_bhist *h = q->h;
	redisReply *reply = r;
	if (reply) {
		if (reply->type == REDIS_REPLY_ERROR)
			LV_LOG(h->s, LV_LOG_ERROR, "redis broker: a reliable group push was refused: %s",
			       reply->str);
		else if (reply->type != REDIS_REPLY_INTEGER)
			LV_LOG(h->s, LV_LOG_ERROR, "redis broker: unexpected reply to a reliable group push");
		lv__boutbox_answered(&h->out, q->id);
	}
	free(q);
}

/* Sends p, an entry of the outbox, on the command connection. */
static void
send_push(lv_bhist *h, const lv_bpush *p)
{
	hpushreq *q = malloc(sizeof *q);
	if (!q)
		return;   /* it stays in the outbox: sent again after a reconnect */
	q->h = h;
	q->id = p->id;
	char origin[80], pkey[64], id[24];
	int on = snprintf(origin, sizeof origin, "H%s\n", h->node);
	snprintf(pkey, sizeof pkey, "lv:pp:%s", h->cand);
	snprintf(id, sizeof id, "%llu", (unsigned long long)p->id);
	int rc = p->group[0] ?
		lv__bscript_run(h->sc, on_published, q, PUBLISH_LUA,
		                "%s lv:g:%s lv:go:%s lv:gh:%s %b %b %u %s %s %d %u", h->ecand, p->group,
		                p->group, p->group, origin, (size_t)on, p->m->data, p->m->len, h->keep,
		                pkey, id, PUSHED_TTL_MS, h->keep_ms) :
		lv__bscript_run(h->sc, on_published, q, PUBLISH_LUA,
		                "%s lv:all lv:ao lv:ah %b %b %u %s %s %d %u", h->ecand, origin, (size_t)on,
		                p->m->data, p->m->len, h->keep, pkey, id, PUSHED_TTL_MS, h->keep_ms);
	if (rc != REDIS_OK)
		free(q);
}

/* Redis is back: what the lost connection left unanswered goes again, in
 * order, before anything new; what is too old to be sent safely is lost,
 * and said so. */
static void
resend(lv_bhist *h)
{
	int64_t now = lv__now_us();
	uint32_t lost = 0;
	while (h->out.head && now - h->out.head->at_us > OUT_AGE_US) {
		lv__boutbox_pop(&h->out);
		lost++;
	}
	if (lost) {
		h->stats->lost += lost;
		LV_LOG(h->s, LV_LOG_ERROR, "redis broker: %u reliable group pushes unanswered for over "
		       "%d s were given up: Redis was away too long", lost, (int)(OUT_AGE_US / 1000000));
	}
	if (h->out.head && h->out.head->at_us < h->up_us)
		LV_LOG(h->s, LV_LOG_WARN, "redis broker: the reliable group pushes the lost connection "
		       "left unanswered are sent again");
	for (lv_bpush *p = h->out.head; p; p = p->next) {
		h->stats->resent += p->at_us < h->up_us;   /* not those pushed since */
		send_push(h, p);
	}
}

/* ---- the hooks ---------------------------------------------------------------------- */

lv_bhist *
lv__bhist_new(lv_server *s, lv_broker_stats *stats, lv_bscript *sc, const char *node,
              uint32_t keep, uint32_t keep_ms)
{
	lv_bhist *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->s = s;
	h->stats = stats;
	h->sc = sc;
	h->node = node;
	h->keep = keep ? keep : KEEP_DEFAULT;
	h->keep_ms = keep_ms ? keep_ms : KEEP_MS_DEFAULT;
	h->every.name = (char *)"lv.all";
	h->every.all = true;
	return h;
}

void
lv__bhist_free(lv_bhist *h)
{
	if (!h)
		return;
	uint32_t at = 0;
	for (lv_hnode *n = lv__htab_next(&h->groups, NULL, &at), *next; n; n = next) {
		next = lv__htab_next(&h->groups, n, &at);
		group_free((hgroup *)n);
	}
	lv__htab_free(&h->groups);
	pend_clear(&h->every);
	lv__boutbox_clear(&h->out);
	recent_clear(&h->every);
	free(h);
}

/* 32 hex digits of 128 random bits (the clock's, should the kernel have
 * none yet) into out[33]. */
static void
random_hex(char *out)
{
	unsigned char r[16];
	uint64_t t = (uint64_t)lv__now_us();
	if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		memcpy(r, &t, sizeof t);
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
}

void
lv__bhist_up(lv_bhist *h, redisAsyncContext *ac)
{
	h->ac = ac;
	h->gen++;
	if (!h->cand[0])
		random_hex(h->cand);
	random_hex(h->ecand);
	hreq *q = malloc(sizeof *q + 1);
	if (q) {
		q->h = h;
		q->gen = h->gen;
		q->from = -1;
		q->all = false;
		q->name[0] = '\0';
		if (lv__bscript_run(h->sc, on_epoch, q, EPOCH_LUA, "%s", h->ecand) != 0)
			free(q);
	}
	/* What the lost connection left unanswered goes again once this node
	 * hears every channel it follows: its own members then get it as it
	 * is published, not from a history that may keep less. */
	h->resend_due = h->out.n > 0;
	h->up_us = lv__now_us();
	h->unanswered = 0;
	uint32_t at = 0;
	for (hgroup *g = next_group(h, NULL, &at); g; g = next_group(h, g, &at)) {
		g->subscribed = g->synced = g->fetching = false;
		g->awaited = h->resend_due;
		h->unanswered += h->resend_due;
		catch_up(h, g);
	}
}

/* A channel is answered, or one that was not is followed no longer. */
static void
channel_answered(lv_bhist *h)
{
	if (h->resend_due && --h->unanswered == 0) {
		h->resend_due = false;
		resend(h);
	}
}

void
lv__bhist_down(lv_bhist *h)
{
	h->ac = NULL;
	h->gen++;
	uint32_t at = 0;
	for (hgroup *g = next_group(h, NULL, &at); g; g = next_group(h, g, &at))
		g->subscribed = g->synced = g->fetching = false;
}

int
lv__bhist_follow(lv_bhist *h, const char *group)
{
	if (find(h, group))
		return 0;
	hgroup *g = calloc(1, sizeof *g);
	if (!g || !(g->name = strdup(group)) ||
	    lv__htab_insert(&h->groups, &g->node, lv__hash_str(group)) != 0) {
		if (g)
			free(g->name);
		free(g);
		return LV_ENOMEM;
	}
	/* The base now, before any push of this node's: a member that joins
	 * and then pushes gets its own push. */
	catch_up(h, g);
	return 0;
}

int
lv__bhist_follow_from(lv_bhist *h, const char *group, uint64_t from)
{
	hgroup *g = get(h, group);
	if (g && !group && !g->known) {
		g->known = true;
		g->last = from;
		catch_up(h, g);
	}
	if (g)
		return 0;
	g = calloc(1, sizeof *g);
	if (!g || !(g->name = strdup(group)) ||
	    lv__htab_insert(&h->groups, &g->node, lv__hash_str(group)) != 0) {
		if (g)
			free(g->name);
		free(g);
		return LV_ENOMEM;
	}
	g->known = true;
	g->last = from;
	catch_up(h, g);
	return 0;
}

int
lv__bhist_since(lv_bhist *h, const char *group, uint64_t after, lv_conn *c)
{
	hgroup *g = get(h, group);
	if (!g || !g->known || after >= g->last)
		return 0;
	uint64_t n = g->last - after;
	if (n > g->nrecent)
		return LV_ENOT_FOUND;
	for (uint64_t i = n; i > 0; i--) {
		lv_msg *m = g->recent[(g->top + RECENT - (uint32_t)(i - 1)) % RECENT];
		if (!m || m->goff != g->last - (i - 1))
			return LV_ENOT_FOUND;   /* not the offsets they should be: told instead */
	}
	for (uint64_t i = n; i > 0; i--) {
		lv_msg *m = g->recent[(g->top + RECENT - (uint32_t)(i - 1)) % RECENT];
		m->group = g->name;
		lv__conn_queue(c, m);
		m->group = NULL;
	}
	return 0;
}

const char *
lv__bhist_epoch(const lv_bhist *h)
{
	return h->epoch;
}

bool
lv__bhist_last(lv_bhist *h, const char *group, uint64_t *last)
{
	hgroup *g = get(h, group);
	if (!g || !g->known)
		return false;
	*last = g->last;
	return true;
}

void
lv__bhist_unfollow(lv_bhist *h, const char *group)
{
	hgroup *g = find(h, group);
	if (!g)
		return;
	bool waited = g->awaited;
	lv__htab_remove(&h->groups, &g->node);
	group_free(g);
	if (waited)
		channel_answered(h);
}

void
lv__bhist_subscribed(lv_bhist *h, const char *group)
{
	hgroup *g = get(h, group);
	if (!g)
		return;
	g->subscribed = true;
	catch_up(h, g);
	if (g->awaited) {
		g->awaited = false;
		channel_answered(h);
	}
}

int
lv__bhist_publish(lv_bhist *h, const char *group, const lv_msg *m)
{
	if (!h->ac || h->out.n >= OUT_MAX)
		return LV_EUNAVAILABLE;
	lv_bpush *p = lv__boutbox_add(&h->out, group, (lv_msg *)m);
	if (!p)
		return LV_ENOMEM;
	if (!h->resend_due)   /* else it goes after the older ones, in order */
		send_push(h, p);
	return 0;   /* answered, or sent again after a reconnect */
}

void
lv__bhist_received(lv_bhist *h, const char *group, const char *data, size_t len)
{
	hgroup *g = get(h, group);
	if (!g)
		return;   /* left since */
	group = g->name;
	const char *end = data + len;
	const char *nl = memchr(data, '\n', len);
	const char *sp = nl ? memchr(nl + 1, ' ', (size_t)(end - nl - 1)) : NULL;
	const char *nl2 = sp ? memchr(sp + 1, '\n', (size_t)(end - sp - 1)) : NULL;
	char num[24];
	size_t numlen = nl2 ? (size_t)(nl2 - sp - 1) : 0;
	uint64_t off = 0;
	if (numlen && numlen < sizeof num && sp[1] >= '0' && sp[1] <= '9') {
		memcpy(num, sp + 1, numlen);
		num[numlen] = '\0';
		char *e;
		off = strtoull(num, &e, 10);
		if (*e)
			off = 0;
	}
	if (!off || !epoch_ok(h, nl + 1, (size_t)(sp - nl - 1))) {
		LV_LOG(h->s, LV_LOG_ERROR, "redis broker: group \"%s\": a message without its epoch and "
		       "offset; dropped", group);
		return;
	}
	/* Before the epoch is read, the group is not synced and the message
	 * waits; on a new epoch every group starts again and so does it. */
	if (h->epoch[0])
		same_epoch(h, nl + 1, (size_t)(sp - nl - 1));
	const char *json = nl2 + 1;
	lv_msg *m = lv__msg_new(json, (size_t)(end - json), LV_MSG_RELIABLE);
	if (!m)
		return;   /* a hole: fetched when the next one arrives */
	if (g->adopt) {
		g->adopt = false;
		g->known = true;
		g->last = off - 1;
		g->synced = true;
	}
	if (!g->synced) {
		wait_turn(h, g, off, m);
	} else if (off == g->last + 1) {
		g->last = off;
		deliver(h, g, m);
	} else if (off > g->last + 1) {
		g->synced = false;
		wait_turn(h, g, off, m);
		fetch(h, g, (int64_t)g->last);
	}
	lv__msg_unref(m);
}

size_t
lv__bhist_waiting(const lv_bhist *h, int64_t *oldest_us)
{
	if (h->out.head)
		*oldest_us = h->out.head->at_us;
	return h->out.n;
}
