/* broker_state.c - global and group states shared by every node through Redis: numbered patches, delivered in revision order, copies loaded from a snapshot and the patches after it.
 *
 * In Redis (KEY as state_wire.h makes it: NAME, or NAME "@" GROUP):
 *   lv:stv:KEY   the state's last revision (INCR)
 *   lv:sth:KEY   STREAM of its last `keep` patches, entry id REV-0, fields
 *                n the node that made it and m the page message
 *   lv:sts:KEY   a snapshot: REV "\n" the whole value as JSON, written by
 *                a node whose copy is clean, at most every SNAP_EVERY
 *                revisions or SNAP_MS, and only over an older one
 * PUBLISH_LUA numbers, keeps and publishes one flush in one round trip;
 * the frame (state_wire.h) carries the page message with the revision
 * Redis gave it, so every node queues the same bytes.
 *
 * A copy here (scopy) is `loaded` once it has Redis' value. A frame at
 * its revision + 1 is taken: applied (not when it is this node's own: the
 * copy has it already) and queued on its pages here; at or below, a
 * repeat, dropped; beyond, the hole is fetched from the stream, and what
 * the stream no longer holds is loaded again. A patch of another node's
 * that arrives while this node has changes Redis has not numbered back
 * yet (recorded, or sent and not back) means the copy applied them in
 * another order than Redis: it is a `conflict`, and once its own are
 * back the copy is loaded again (the pages here already have every patch
 * in Redis' order). When Redis is back after a loss each copy is checked
 * against the counter: absent (Redis lost its data), a clean copy seeds
 * it (counter and snapshot, only if still absent); behind it, the copy
 * catches up; ahead of it (another node seeded an older value), the copy
 * is loaded again and its pages get a snapshot. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis.h>

#include "net/net.h"
#include "net/live.h"
#include "net/broker_state.h"
#include "net/state_wire.h"

enum {
	KEEP_DEFAULT = 1000,
	FETCH_COUNT = 500,          /* stream entries per fetch */
	LOAD_COUNT = 20000,         /* stream entries a load takes at most */
	SNAP_EVERY = 100,           /* revisions between snapshots, at most */
	SNAP_MS = 1000,             /* or this long */
	CHECK_AGAIN_MS = 200,       /* a copy that cannot seed waits for one that can */
	CHECK_TRIES = 15,
};

typedef struct {
	lv_hnode node;              /* first: the table by key */
	char *key;
	lv_state *st;
	lv_bstate *t;
	uint64_t id;                /* replies name it: a copy made again is another */
	bool listening;             /* its channel is answered since Redis is up */
	bool loaded;                /* it has had Redis' value */
	bool asking;                /* a load or a check is on its way */
	bool fetching;              /* a fetch of a hole is on its way */
	bool conflict;              /* loaded again once its own patches are back */
	bool tell;                  /* the next load ends with a snapshot to its pages */
	uint32_t unreplied;         /* flushes sent, not answered */
	uint64_t max_own;           /* the highest revision Redis gave its flushes */
	uint64_t seen;              /* the highest revision a frame not taken had */
	lv_buf held;                /* operations to record again after a load */
	uint64_t snap_rev;
	int64_t snap_us;
	lv_timer *snap_timer;
	lv_timer *again;            /* a check asked again */
	uint32_t tries;             /* checks that found no counter, the copy not clean */
} scopy;

struct lv_bstate {
	lv_server *s;
	lv_broker_stats *stats;
	const char *node;
	uint32_t keep;
	uint32_t gen;               /* replies of an older connection are stale */
	uint64_t next_id;
	lv_bscript *sc;             /* runs the scripts (broker_script.c) */
	redisAsyncContext *ac;      /* the command connection while up */
	bool all_on;                /* lv:all is answered */
	lv_htab copies;             /* scopy by key */
};

typedef enum { REQ_LOAD, REQ_CHECK, REQ_FETCH, REQ_PUBLISH, REQ_SNAP } req_kind;

/* One request's context: the copy it is for, by key and id. */
typedef struct {
	lv_bstate *t;
	uint32_t gen;
	uint64_t id;
	req_kind kind;
	char *ops;                  /* a flush's operations, should Redis refuse them */
	size_t nops;
	char key[];
} breq;

/* ---- Lua, run by lv__bscript_run (broker_script.c): keys first, as arguments -------------------------------------------------------------- */

/* Arguments: counter, stream (the keys), then the copy's revision, keep, channel, frame
 * head ("T" NODE "\n" NAME "\n"), the page message before and after its
 * revision, node. The revision; -1 when Redis is behind the copy (it lost
 * its data): nothing is published. */
static const char PUBLISH_LUA[] =
	"local v = tonumber(redis.call('GET', ARGV[1]) or '0')\n"
	"if v < tonumber(ARGV[3]) then return -1 end\n"
	"local r = redis.call('INCR', ARGV[1])\n"
	"local body = ARGV[7] .. r .. ARGV[8]\n"
	"redis.call('XADD', ARGV[2], 'MAXLEN', ARGV[4], r .. '-0', 'n', ARGV[9], 'm', body)\n"
	"redis.call('PUBLISH', ARGV[5], ARGV[6] .. r .. '\\n' .. body)\n"
	"return r\n";

/* Arguments: counter, snapshot, stream, then count. {revision, snapshot or
 * "", the stream's entries after the snapshot's revision}. */
static const char LOAD_LUA[] =
	"local v = tonumber(redis.call('GET', ARGV[1]) or '0')\n"
	"local snap = redis.call('GET', ARGV[2])\n"
	"local from = 0\n"
	"if snap then from = tonumber(string.match(snap, '^(%d+)\\n') or '0') end\n"
	"return {v, snap or '', redis.call('XRANGE', ARGV[3], (from + 1) .. '-0', '+', 'COUNT', ARGV[4])}\n";

/* Arguments: counter, snapshot, then the copy's revision, its value ("": not
 * clean). The counter, seeded from the copy when absent. */
static const char CHECK_LUA[] =
	"local v = redis.call('GET', ARGV[1])\n"
	"if v then return tonumber(v) end\n"
	"local r = tonumber(ARGV[3])\n"
	"if ARGV[4] == '' or r <= 0 then return 0 end\n"
	"redis.call('SET', ARGV[1], r)\n"
	"redis.call('SET', ARGV[2], r .. '\\n' .. ARGV[4])\n"
	"return r\n";

/* Arguments: snapshot, then revision, value. Only over an older one. */
static const char SNAP_LUA[] =
	"local cur = redis.call('GET', ARGV[1])\n"
	"if cur then\n"
	"  local r = tonumber(string.match(cur, '^(%d+)\\n') or '0')\n"
	"  if r >= tonumber(ARGV[2]) then return 0 end\n"
	"end\n"
	"redis.call('SET', ARGV[1], ARGV[2] .. '\\n' .. ARGV[3])\n"
	"return 1\n";

/* ---- copies ------------------------------------------------------------------------- */

static bool
keyed(const lv_hnode *n, const void *key)
{
	return strcmp(((const scopy *)n)->key, key) == 0;
}

static scopy *
find(lv_bstate *t, const char *key)
{
	return (scopy *)lv__htab_find(&t->copies, lv__hash_str(key), keyed, key);
}

static scopy *
copy_of(lv_bstate *t, const lv_state *st)
{
	char *key = lv__stw_key(st->def->name, st->group);
	scopy *c = key ? find(t, key) : NULL;
	free(key);
	return c && c->st == st ? c : NULL;
}

static void
copy_free(scopy *c)
{
	if (c->snap_timer)
		lv_timer_stop(c->snap_timer);
	if (c->again)
		lv_timer_stop(c->again);
	lv_buf_free(&c->held);
	free(c->key);
	free(c);
}

static const char *
what(const scopy *c)
{
	return c->key;
}

static bool
clean(const scopy *c)
{
	return c->loaded && !c->asking && !c->fetching && !c->conflict && c->unreplied == 0 &&
	       c->max_own <= c->st->doc.rev && !lv__sdoc_pending(&c->st->doc) && !c->held.len;
}

static breq *
req_new(lv_bstate *t, const scopy *c, req_kind kind)
{
	size_t kl = strlen(c->key);
	breq *q = calloc(1, sizeof *q + kl + 1);
	if (!q)
		return NULL;
	q->t = t;
	q->gen = t->gen;
	q->id = c->id;
	q->kind = kind;
	memcpy(q->key, c->key, kl + 1);
	return q;
}

static void
req_free(breq *q)
{
	free(q->ops);
	free(q);
}

/* The copy a reply is for, when it is still there and the reply is of
 * this connection. */
static scopy *
req_copy(breq *q, const redisReply *r)
{
	scopy *c = find(q->t, q->key);
	if (!c || c->id != q->id)
		return NULL;
	return r && q->gen == q->t->gen ? c : NULL;
}

static void load(lv_bstate *t, scopy *c);
static void fetch(lv_bstate *t, scopy *c);
static void snapshot_due(lv_bstate *t, scopy *c);
static void check_again(lv_server *s, lv_timer *tm, void *arg);

/* The operations of a page message from Redis (a new reference); JSON
 * null when it has none, which no copy applies. */
static json_t *
body_ops(const char *body, size_t len)
{
	json_t *j = json_loadb(body, len, 0, NULL);
	json_t *ops = json_incref(json_object_get(j, "ops"));
	json_decref(j);
	return json_is_array(ops) ? ops : (json_decref(ops), json_null());
}

/* Revision rev, the next of c, made by origin: taken. */
static void
take(lv_bstate *t, scopy *c, uint64_t rev, const char *origin, size_t olen, const char *body,
     size_t blen)
{
	lv_state *st = c->st;
	bool own = olen == strlen(t->node) && memcmp(origin, t->node, olen) == 0;
	bool pending = lv__sdoc_pending(&st->doc);
	if (own) {
		lv__state_remote(st, rev, NULL, body, blen);
		return;
	}
	if (pending || c->unreplied || c->max_own > st->doc.rev || c->held.len)
		c->conflict = true;
	/* With changes recorded here, the copy is loaded again anyway. */
	json_t *ops = pending ? NULL : body_ops(body, blen);
	lv__state_remote(st, rev, ops, body, blen);
	json_decref(ops);
}

/* After a revision, an answer: a conflict is loaded again once the copy's
 * own patches are all back; a clean copy may write a snapshot. */
static void
settle(lv_bstate *t, scopy *c, bool own_taken)
{
	if (c->conflict && c->loaded && !c->asking && !c->fetching && c->unreplied == 0 &&
	    c->max_own <= c->st->doc.rev && t->ac) {
		c->conflict = false;
		t->stats->state_conflicts++;
		LV_LOG(t->s, LV_LOG_DEBUG, "state %s: changed on two nodes at once; loaded again",
		       what(c));
		load(t, c);
		return;
	}
	if (own_taken)
		snapshot_due(t, c);
}

/* ---- snapshots ---------------------------------------------------------------------- */

static void
on_any(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	breq *q = arg;
	redisReply *reply = r;
	if (reply && reply->type == REDIS_REPLY_ERROR)
		LV_LOG(q->t->s, LV_LOG_WARN, "redis broker: state %s: %s", q->key, reply->str);
	req_free(q);
}

static void
snapshot_write(lv_bstate *t, scopy *c)
{
	char *text = json_dumps(c->st->doc.root, JSON_COMPACT | JSON_ENCODE_ANY);
	breq *q = text ? req_new(t, c, REQ_SNAP) : NULL;
	char rev[24];
	snprintf(rev, sizeof rev, "%llu", (unsigned long long)c->st->doc.rev);
	if (q && lv__bscript_run(t->sc, on_any, q, SNAP_LUA, "lv:sts:%s %s %s", c->key,
	                           rev, text) == 0) {
		c->snap_rev = c->st->doc.rev;
		c->snap_us = lv__now_us();
	} else if (q) {
		req_free(q);
	}
	free(text);
}

static void
snap_fn(lv_server *s, lv_timer *tm, void *arg)
{
	(void)s, (void)tm;
	scopy *c = arg;
	c->snap_timer = NULL;
	if (c->t->ac && clean(c) && c->st->doc.rev > c->snap_rev)
		snapshot_write(c->t, c);
}

/* A patch of this node's own was taken on a clean copy: a snapshot now,
 * or within SNAP_MS. */
static void
snapshot_due(lv_bstate *t, scopy *c)
{
	if (!t->ac || !clean(c) || c->st->doc.rev <= c->snap_rev)
		return;
	if (c->st->doc.rev - c->snap_rev >= SNAP_EVERY ||
	    lv__now_us() - c->snap_us >= (int64_t)SNAP_MS * 1000) {
		snapshot_write(t, c);
		return;
	}
	if (!c->snap_timer && lv_timer_start(t->s, SNAP_MS, false, snap_fn, c, &c->snap_timer) != 0)
		c->snap_timer = NULL;
}

/* ---- loads, checks and fetches ------------------------------------------------------- */

static bool
str_reply(const redisReply *r)
{
	return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS);
}

/* A stream entry [ID, [field, value, ...]]: its revision, origin and
 * message; false when it is not one. */
static bool
entry(const redisReply *e, uint64_t *rev, const redisReply **origin, const redisReply **body)
{
	if (!e || e->type != REDIS_REPLY_ARRAY || e->elements != 2 || !str_reply(e->element[0]) ||
	    e->element[1]->type != REDIS_REPLY_ARRAY)
		return false;
	const char *id = e->element[0]->str, *dash = memchr(id, '-', e->element[0]->len);
	if (!dash || strcmp(dash, "-0") != 0 || !lv__stw_rev(id, (size_t)(dash - id), rev))
		return false;
	*origin = *body = NULL;
	const redisReply *f = e->element[1];
	for (size_t i = 0; i + 1 < f->elements; i += 2) {
		if (!str_reply(f->element[i]) || !str_reply(f->element[i + 1]))
			return false;
		if (strcmp(f->element[i]->str, "n") == 0)
			*origin = f->element[i + 1];
		else if (strcmp(f->element[i]->str, "m") == 0)
			*body = f->element[i + 1];
	}
	return *origin && *body;
}

/* After a load or a fetch: what arrived meanwhile beyond the copy. */
static void
caught_up(lv_bstate *t, scopy *c)
{
	if (c->seen > c->st->doc.rev)
		fetch(t, c);
}

static void
on_load(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	breq *q = arg;
	redisReply *reply = r;
	scopy *c = req_copy(q, reply);
	lv_bstate *t = q->t;
	if (!c)
		goto out;
	c->asking = false;
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3 ||
	    reply->element[0]->type != REDIS_REPLY_INTEGER || reply->element[0]->integer < 0 ||
	    !str_reply(reply->element[1]) || reply->element[2]->type != REDIS_REPLY_ARRAY) {
		LV_LOG(t->s, LV_LOG_ERROR, "redis broker: state %s: unexpected reply to its load%s%s",
		       what(c), reply->type == REDIS_REPLY_ERROR ? ": " : "",
		       reply->type == REDIS_REPLY_ERROR ? reply->str : "");
		goto out;   /* loaded again when Redis is back */
	}
	uint64_t top = (uint64_t)reply->element[0]->integer, base = 0;
	json_t *doc = NULL;
	const redisReply *snap = reply->element[1];
	if (snap->len) {
		const char *nl = memchr(snap->str, '\n', snap->len);
		if (!nl || !lv__stw_rev(snap->str, (size_t)(nl - snap->str), &base) || base > top ||
		    !(doc = json_loadb(nl + 1, snap->len - (size_t)(nl + 1 - snap->str), JSON_DECODE_ANY,
		                       NULL))) {
			LV_LOG(t->s, LV_LOG_ERROR, "redis broker: state %s: its snapshot in Redis is not "
			       "REV \"\\n\" JSON at or below the revision; ignored", what(c));
			base = 0;
		}
	}
	/* Loaded again: the pages here have had up to `had`, and get what
	 * comes after it (a snapshot when the snapshot is beyond it). */
	uint64_t had = c->st->doc.rev;
	bool follow = c->loaded && !c->tell;
	if (follow && base > had)
		c->tell = true;
	follow &= !c->tell;
	lv__state_reset(c->st, base, doc, &c->held);
	const redisReply *list = reply->element[2];
	bool hole = false;
	for (size_t i = 0; i < list->elements; i++) {
		uint64_t rev;
		const redisReply *origin, *body;
		if (!entry(list->element[i], &rev, &origin, &body)) {
			LV_LOG(t->s, LV_LOG_ERROR, "redis broker: state %s: a patch in its stream is not "
			       "[REV-0, [n, NODE, m, MESSAGE]]; skipped", what(c));
			continue;
		}
		if (rev <= c->st->doc.rev)
			continue;
		hole |= rev != c->st->doc.rev + 1;
		json_t *ops = body_ops(body->str, body->len);
		bool tell = follow && rev > had;
		lv__state_remote(c->st, rev, ops, tell ? body->str : NULL, tell ? body->len : 0);
		json_decref(ops);
	}
	if (hole || c->st->doc.rev < top) {
		LV_LOG(t->s, LV_LOG_ERROR, "redis broker: state %s: Redis no longer holds all of its "
		       "patches after its snapshot (revision %llu to %llu); taken as it is",
		       what(c), (unsigned long long)base, (unsigned long long)top);
		c->st->doc.rev = top;
		c->tell = true;
	}
	c->loaded = true;
	c->conflict = false;
	c->snap_rev = base;
	bool tell = c->tell;
	c->tell = false;
	lv_buf held = c->held;
	lv_buf_init(&c->held);
	lv__state_loaded(c->st, held.data, held.len, tell);
	lv_buf_free(&held);
	caught_up(t, c);
out:
	req_free(q);
	lv__lws_touched(t->s);
}

/* Loads c: snapshot, then the patches after it. */
static void
load(lv_bstate *t, scopy *c)
{
	breq *q = t->ac ? req_new(t, c, REQ_LOAD) : NULL;
	if (!q)
		return;
	if (lv__bscript_run(t->sc, on_load, q, LOAD_LUA, "lv:stv:%s lv:sts:%s lv:sth:%s %d",
	                    c->key, c->key, c->key, LOAD_COUNT) != 0) {
		req_free(q);
		return;
	}
	c->asking = true;
	c->fetching = false;
	t->stats->state_reloads += c->loaded;
}

static void
on_fetch(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	breq *q = arg;
	redisReply *reply = r;
	scopy *c = req_copy(q, reply);
	lv_bstate *t = q->t;
	if (!c)
		goto out;
	c->fetching = false;
	if (reply->type != REDIS_REPLY_ARRAY) {
		LV_LOG(t->s, LV_LOG_ERROR, "redis broker: state %s: unexpected reply to a fetch; "
		       "loaded again", what(c));
		c->tell = true;
		load(t, c);
		goto out;
	}
	size_t got = 0;
	bool own = false;
	for (size_t i = 0; i < reply->elements; i++) {
		uint64_t rev;
		const redisReply *origin, *body;
		if (!entry(reply->element[i], &rev, &origin, &body) || rev > c->st->doc.rev + 1) {
			/* the stream no longer holds it, or it is not ours to read */
			c->tell = true;
			load(t, c);
			goto out;
		}
		if (rev <= c->st->doc.rev)
			continue;
		own |= origin->len == strlen(t->node) && memcmp(origin->str, t->node, origin->len) == 0;
		take(t, c, rev, origin->str, origin->len, body->str, body->len);
		got++;
	}
	if (got) {
		t->stats->gaps_repaired++;
		t->stats->recovered += got;
	}
	if (reply->elements == FETCH_COUNT) {
		fetch(t, c);
		goto out;
	}
	if (c->seen > c->st->doc.rev) {
		/* announced meanwhile: fetched in turn; announced and not in
		 * the stream when nothing came: gone already */
		if (got) {
			fetch(t, c);
		} else {
			c->tell = true;
			load(t, c);
		}
		goto out;
	}
	settle(t, c, own);
out:
	req_free(q);
	lv__lws_touched(t->s);
}

/* The patches after c's revision, from its stream. */
static void
fetch(lv_bstate *t, scopy *c)
{
	if (c->fetching || c->asking)
		return;
	breq *q = t->ac ? req_new(t, c, REQ_FETCH) : NULL;
	if (!q)
		return;
	char from[24];
	snprintf(from, sizeof from, "%llu-0", (unsigned long long)c->st->doc.rev + 1);
	if (redisAsyncCommand(t->ac, on_fetch, q, "XRANGE lv:sth:%s %s + COUNT %d", c->key, from,
	                      FETCH_COUNT) != REDIS_OK) {
		req_free(q);
		return;
	}
	c->fetching = true;
}

static void
on_check(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	breq *q = arg;
	redisReply *reply = r;
	scopy *c = req_copy(q, reply);
	lv_bstate *t = q->t;
	if (!c)
		goto out;
	c->asking = false;
	if (reply->type != REDIS_REPLY_INTEGER || reply->integer < 0) {
		LV_LOG(t->s, LV_LOG_ERROR, "redis broker: state %s: unexpected reply to its check%s%s; "
		       "loaded again", what(c), reply->type == REDIS_REPLY_ERROR ? ": " : "",
		       reply->type == REDIS_REPLY_ERROR ? reply->str : "");
		load(t, c);
		goto out;
	}
	uint64_t top = (uint64_t)reply->integer;
	if (top == 0 && c->st->doc.rev > 0 && c->tries < CHECK_TRIES && !c->again) {
		/* Redis lost its data, and this copy has changes of its own
		 * that Redis never numbered: a clean copy elsewhere seeds it */
		c->tries++;
		if (lv_timer_start(t->s, CHECK_AGAIN_MS, false, check_again, c, &c->again) != 0)
			c->again = NULL;
		else
			goto out;
	}
	c->tries = 0;
	if (top < c->st->doc.rev) {
		LV_LOG(t->s, LV_LOG_WARN, "redis broker: state %s: Redis is at revision %llu, this node "
		       "at %llu (Redis lost its data); loaded again, its pages here get a snapshot",
		       what(c), (unsigned long long)top, (unsigned long long)c->st->doc.rev);
		c->tell = true;
		load(t, c);
		goto out;
	}
	if (top > c->st->doc.rev && top > c->seen)
		c->seen = top;
	caught_up(t, c);
	settle(t, c, false);
	if (lv__sdoc_pending(&c->st->doc))
		lv__state_changed(c->st);   /* what waited for Redis */
out:
	req_free(q);
	lv__lws_touched(t->s);
}

static void check(lv_bstate *t, scopy *c);

static void
check_again(lv_server *s, lv_timer *tm, void *arg)
{
	(void)s, (void)tm;
	scopy *c = arg;
	c->again = NULL;
	if (c->t->ac && c->listening && !c->asking)
		check(c->t, c);
}

/* Redis is back and c's channel answered: is it where c is? */
static void
check(lv_bstate *t, scopy *c)
{
	breq *q = t->ac ? req_new(t, c, REQ_CHECK) : NULL;
	if (!q)
		return;
	char *text = clean(c) ? json_dumps(c->st->doc.root, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	char rev[24];
	snprintf(rev, sizeof rev, "%llu", (unsigned long long)c->st->doc.rev);
	int rc = lv__bscript_run(t->sc, on_check, q, CHECK_LUA, "lv:stv:%s lv:sts:%s %s %s",
	                         c->key, c->key, rev, text ? text : "");
	free(text);
	if (rc != 0) {
		req_free(q);
		return;
	}
	c->asking = true;
}

/* ---- flushes -------------------------------------------------------------------------- */

static void
on_published(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	breq *q = arg;
	redisReply *reply = r;
	lv_bstate *t = q->t;
	scopy *c = find(t, q->key);
	if (!c || c->id != q->id)
		goto out;
	c->unreplied--;
	if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer > 0) {
		if ((uint64_t)reply->integer > c->max_own)
			c->max_own = (uint64_t)reply->integer;
		t->stats->published++;
	} else if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == -1) {
		/* Redis lost its data: recorded again on Redis' value. */
		if (c->held.len)
			lv_buf_puts(&c->held, ",");
		if (q->nops > 2)
			lv_buf_append(&c->held, q->ops + 1, q->nops - 2);
		c->conflict = true;
		c->tell = true;
	} else {
		/* Refused, or its answer lost with the connection: whether
		 * it ran, Redis knows; the copy takes Redis' value. */
		if (reply)
			LV_LOG(t->s, LV_LOG_ERROR, "redis broker: state %s: a flush was refused%s%s",
			       what(c), reply->type == REDIS_REPLY_ERROR ? ": " : "",
			       reply->type == REDIS_REPLY_ERROR ? reply->str : "");
		c->conflict = true;
	}
	if (reply && q->gen == t->gen)
		settle(t, c, true);
out:
	req_free(q);
	lv__lws_touched(t->s);
}

int
lv__bstate_ready(lv_bstate *t, lv_state *st)
{
	scopy *c = copy_of(t, st);
	if (!c || !t->ac)
		return LV_EUNAVAILABLE;
	return c->loaded && !c->asking && c->listening ? 0 : 1;
}

int
lv__bstate_publish(lv_bstate *t, lv_state *st, const char *ops, size_t len)
{
	scopy *c = copy_of(t, st);
	if (!c || !t->ac)
		return LV_EUNAVAILABLE;
	breq *q = req_new(t, c, REQ_PUBLISH);
	lv_buf pre, head;
	lv_buf_init(&pre);
	lv_buf_init(&head);
	lv_buf_puts(&pre, "{\"t\":\"state\",\"name\":");
	lv_buf_json_str(&pre, st->def->name, strlen(st->def->name));
	if (st->group) {
		lv_buf_puts(&pre, ",\"group\":");
		lv_buf_json_str(&pre, st->group, strlen(st->group));
	}
	lv_buf_puts(&pre, ",\"rev\":");
	lv_buf_puts(&head, "T");
	lv_buf_puts(&head, t->node);
	lv_buf_puts(&head, "\n");
	lv_buf_puts(&head, st->def->name);
	lv_buf_puts(&head, "\n");
	int rc = LV_ENOMEM;
	if (q && !pre.failed && !head.failed && (q->ops = malloc(len ? len : 1))) {
		memcpy(q->ops, ops, len);
		q->nops = len;
		char base[24], channel[16];
		snprintf(base, sizeof base, "%llu", (unsigned long long)st->doc.rev);
		snprintf(channel, sizeof channel, "%s", st->group ? "lv:g:" : "lv:all");
		rc = lv__bscript_run(t->sc, on_published, q, PUBLISH_LUA,
		                     "lv:stv:%s lv:sth:%s %s %u %s%s %b %b ,\"ops\":%b} %s",
		                     c->key, c->key, base, t->keep, channel,
		                     st->group ? st->group : "", head.data, head.len, pre.data, pre.len,
		                     ops, len, t->node) == 0 ? 0 : LV_EUNAVAILABLE;
	}
	lv_buf_free(&pre);
	lv_buf_free(&head);
	if (rc) {
		if (q) {
			/* not sent: recorded again once the copy is loaded again */
			if (c->held.len)
				lv_buf_puts(&c->held, ",");
			if (len > 2)
				lv_buf_append(&c->held, ops + 1, len - 2);
			c->conflict = true;
			req_free(q);
		}
		return rc;
	}
	c->unreplied++;
	return 0;
}

/* ---- the hooks ------------------------------------------------------------------------ */

lv_bstate *
lv__bstate_new(lv_server *s, lv_broker_stats *stats, lv_bscript *sc, const char *node,
               uint32_t keep)
{
	lv_bstate *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->s = s;
	t->stats = stats;
	t->sc = sc;
	t->node = node;
	t->keep = keep ? keep : KEEP_DEFAULT;
	return t;
}

void
lv__bstate_free(lv_bstate *t)
{
	if (!t)
		return;
	uint32_t at = 0;
	for (lv_hnode *n = lv__htab_next(&t->copies, NULL, &at), *next; n; n = next) {
		next = lv__htab_next(&t->copies, n, &at);
		copy_free((scopy *)n);
	}
	lv__htab_free(&t->copies);
	free(t);
}

void
lv__bstate_up(lv_bstate *t, redisAsyncContext *ac)
{
	t->ac = ac;
	t->gen++;
}

void
lv__bstate_down(lv_bstate *t)
{
	t->ac = NULL;
	t->gen++;
	t->all_on = false;
	uint32_t at = 0;
	for (lv_hnode *n = lv__htab_next(&t->copies, NULL, &at); n; n = lv__htab_next(&t->copies, n, &at)) {
		scopy *c = (scopy *)n;
		c->listening = c->asking = c->fetching = false;
	}
}

void
lv__bstate_subscribed(lv_bstate *t, const char *group)
{
	if (!group)
		t->all_on = true;
	uint32_t at = 0;
	for (lv_hnode *n = lv__htab_next(&t->copies, NULL, &at), *next; n; n = next) {
		next = lv__htab_next(&t->copies, n, &at);
		scopy *c = (scopy *)n;
		if (c->listening || (group ? !c->st->group || strcmp(c->st->group, group) != 0 :
		                     c->st->group != NULL))
			continue;
		c->listening = true;
		if (!c->loaded)
			load(t, c);
		else
			check(t, c);
	}
}

int
lv__bstate_open(lv_bstate *t, lv_state *st, bool listening)
{
	char *key = lv__stw_key(st->def->name, st->group);
	scopy *c = key ? calloc(1, sizeof *c) : NULL;
	if (!c) {
		free(key);
		return LV_ENOMEM;
	}
	c->key = key;
	c->st = st;
	c->t = t;
	c->id = ++t->next_id;
	c->snap_us = lv__now_us();
	lv_buf_init(&c->held);
	scopy *old = find(t, key);
	if (old) {
		lv__htab_remove(&t->copies, &old->node);
		copy_free(old);
	}
	if (lv__htab_insert(&t->copies, &c->node, lv__hash_str(key)) != 0) {
		copy_free(c);
		return LV_ENOMEM;
	}
	st->loading = true;
	c->listening = st->group ? listening : t->all_on;
	if (c->listening)
		load(t, c);
	return 0;
}

void
lv__bstate_close(lv_bstate *t, lv_state *st)
{
	scopy *c = copy_of(t, st);
	if (c) {
		lv__htab_remove(&t->copies, &c->node);
		copy_free(c);
	}
}

bool
lv__bstate_holds(lv_bstate *t, const char *group)
{
	uint32_t at = 0;
	for (lv_hnode *n = lv__htab_next(&t->copies, NULL, &at); n; n = lv__htab_next(&t->copies, n, &at))
		if (((scopy *)n)->st->group && strcmp(((scopy *)n)->st->group, group) == 0)
			return true;
	return false;
}

void
lv__bstate_received(lv_bstate *t, const char *group, const char *data, size_t len)
{
	lv_stw_frame f;
	if (!lv__stw_parse(data, len, &f)) {
		LV_LOG(t->s, LV_LOG_WARN, "redis broker: a state frame that is not \"T\" NODE \"\\n\" "
		       "NAME \"\\n\" REV \"\\n\" MESSAGE; dropped");
		return;
	}
	char name[129];
	memcpy(name, f.name, f.name_len);
	name[f.name_len] = '\0';
	char *key = lv__stw_key(name, group);
	scopy *c = key ? find(t, key) : NULL;
	free(key);
	if (!c)
		return;   /* no copy here: nobody here sees it */
	t->stats->received++;
	lv_state *st = c->st;
	if (!c->loaded || c->asking || c->fetching) {
		if (f.rev > c->seen)
			c->seen = f.rev;   /* taken once that is answered */
		return;
	}
	if (f.rev <= st->doc.rev)
		return;   /* a repeat */
	if (f.rev > st->doc.rev + 1) {
		if (f.rev > c->seen)
			c->seen = f.rev;
		fetch(t, c);
		return;
	}
	bool own = f.origin_len == strlen(t->node) && memcmp(f.origin, t->node, f.origin_len) == 0;
	take(t, c, f.rev, f.origin, f.origin_len, f.body, f.body_len);
	settle(t, c, own);
}
