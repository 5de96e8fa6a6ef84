/* broker_presence.c - presence through Redis: member entries, joins and leaves, dead nodes swept.
 *
 * Each member's entry in its group's hash, the join and leave events on
 * the group's channel, the members of a group read back, and the sweep of
 * dead nodes' members.
 *
 * In Redis (NODE a node id, G a group, ID a connection id):
 *   lv:pm:G      HASH: ID -> NODE "\n" ("-" | "=" IDENTITY), every
 *                node's members of G (presence_wire.c)
 *   lv:pn:NODE   SET: the groups NODE has entries in
 *   lv:pnodes    SET: the nodes that have entries
 *   lv:pstop:NODE   "d" for a while after NODE stopped cleanly
 * A join or leave that changes lv:pm:G publishes "P" ORIGIN "\n" EV ID
 * "\n" ENTRY on lv:g:G in the same script, so every node following G
 * hears of each change once; ORIGIN, the node that made the change,
 * raises its own event from the script's answer instead. Every
 * presence_sweep_ms each node runs SWEEP_LUA: the entries of every node
 * in lv:pnodes whose lv:node:NODE key has expired go, each published as a
 * leave "node died" (or "disconnected", for a node that stopped
 * cleanly: it leaves its entries to the sweep so that a live node raises
 * them). A script runs alone in Redis, so two nodes sweeping
 * at once cannot both drop one entry: each leave is published once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <async.h>
#include <hiredis.h>

#include "net/net.h"
#include "net/presence.h"
#include "net/broker_script.h"

enum {
	SWEEP_MS = 5000,            /* presence_sweep_ms when 0 */
	PENDING_MAX = 10000,        /* leaves kept while Redis is away */
	STOP_MARK_MS = 60000,       /* a clean stop is told as such within this */
};

typedef struct {
	char conn[20];
	char kind;
	char *group;
} pleave;

struct lv_bpres {
	lv_server *s;
	lv_bscript *sc;
	const char *node;
	redisAsyncContext *ac;      /* while Redis is up */
	lv_timer *sweep;
	bool stopped;
	/* Leaves made while Redis was away, sent when it is back. */
	pleave *pending;
	size_t npending, cappending;
	bool overflow;              /* too many: all this node's entries go */
};

/* ---- Lua, run by lv__bscript_run (broker_script.c) --------------------------------- */

/* ARGV: node, group, id, entry. 1 when the entry is new (published). */
static const char JOIN_LUA[] =
	"local new = redis.call('HSET', 'lv:pm:' .. ARGV[2], ARGV[3], ARGV[4])\n"
	"redis.call('SADD', 'lv:pn:' .. ARGV[1], ARGV[2])\n"
	"redis.call('SADD', 'lv:pnodes', ARGV[1])\n"
	"if new == 1 then\n"
	"  redis.call('PUBLISH', 'lv:g:' .. ARGV[2],\n"
	"             'P' .. ARGV[1] .. '\\nj' .. ARGV[3] .. '\\n' .. ARGV[4])\n"
	"end\n"
	"return new\n";

/* ARGV: node, group, id, EV, '1' when the node has no members left in
 * group. The entry, when there was one (published); else nil. */
static const char LEAVE_LUA[] =
	"local k = 'lv:pm:' .. ARGV[2]\n"
	"if ARGV[5] == '1' then redis.call('SREM', 'lv:pn:' .. ARGV[1], ARGV[2]) end\n"
	"local v = redis.call('HGET', k, ARGV[3])\n"
	"if type(v) ~= 'string' then return false end\n"
	"redis.call('HDEL', k, ARGV[3])\n"
	"redis.call('PUBLISH', 'lv:g:' .. ARGV[2],\n"
	"           'P' .. ARGV[1] .. '\\n' .. ARGV[4] .. ARGV[3] .. '\\n' .. v)\n"
	"return v\n";

/* drop(n, me, ev, out): node n's entries go, each published as a leave
 * EV by me, or 'd' when n stopped cleanly (lv:pstop:n); out gets them as
 * G, ID, ENTRY, EV, ... What is not a set or a hash is passed over, not
 * an error. */
#define DROP_FN \
	"local function list(cmd, k)\n" \
	"  local r = redis.pcall(cmd, k)\n" \
	"  if type(r) == 'table' and not r.err then return r end\n" \
	"  return {}\n" \
	"end\n" \
	"local function drop(n, me, ev, out)\n" \
	"  local p = n .. '\\n'\n" \
	"  if redis.call('GET', 'lv:pstop:' .. n) == 'd' then ev = 'd' end\n" \
	"  redis.call('DEL', 'lv:pstop:' .. n)\n" \
	"  for _, g in ipairs(list('SMEMBERS', 'lv:pn:' .. n)) do\n" \
	"    local h = 'lv:pm:' .. g\n" \
	"    local all = list('HGETALL', h)\n" \
	"    for i = 1, #all - 1, 2 do\n" \
	"      local v = all[i + 1]\n" \
	"      if string.sub(v, 1, #p) == p then\n" \
	"        redis.call('HDEL', h, all[i])\n" \
	"        redis.call('PUBLISH', 'lv:g:' .. g, 'P' .. me .. '\\n' .. ev .. all[i] .. '\\n' .. v)\n" \
	"        out[#out + 1] = g; out[#out + 1] = all[i]; out[#out + 1] = v; out[#out + 1] = ev\n" \
	"      end\n" \
	"    end\n" \
	"  end\n" \
	"  redis.pcall('DEL', 'lv:pn:' .. n)\n" \
	"  redis.pcall('SREM', 'lv:pnodes', n)\n" \
	"end\n"

/* ARGV: node, EV: the node's own entries go (a restart, or what it can
 * no longer tell apart). */
static const char DROP_LUA[] =
	DROP_FN
	"local out = {}\n"
	"drop(ARGV[1], ARGV[1], ARGV[2], out)\n"
	"return out\n";

/* ARGV: this node: every other node with entries and no key is dead. */
static const char SWEEP_LUA[] =
	DROP_FN
	"local out = {}\n"
	"for _, n in ipairs(list('SMEMBERS', 'lv:pnodes')) do\n"
	"  if n ~= ARGV[1] and redis.call('EXISTS', 'lv:node:' .. n) == 0 then\n"
	"    drop(n, ARGV[1], 'x', out)\n"
	"  end\n"
	"end\n"
	"return out\n";

/* ARGV: this node, group: the entries of the other live nodes, ID,
 * ENTRY, ... */
static const char MEMBERS_LUA[] =
	"local all = redis.pcall('HGETALL', 'lv:pm:' .. ARGV[2])\n"
	"if type(all) ~= 'table' or all.err then return {} end\n"
	"local out, alive = {}, {}\n"
	"for i = 1, #all - 1, 2 do\n"
	"  local n = string.match(all[i + 1], '^([^\\n]*)\\n')\n"
	"  if n and n ~= ARGV[1] then\n"
	"    if alive[n] == nil then alive[n] = redis.call('EXISTS', 'lv:node:' .. n) == 1 end\n"
	"    if alive[n] then out[#out + 1] = all[i]; out[#out + 1] = all[i + 1] end\n"
	"  end\n"
	"end\n"
	"return out\n";

/* ARGV: this node: the groups the other live nodes have entries in. */
static const char GROUPS_LUA[] =
	"local function list(cmd, k)\n"
	"  local r = redis.pcall(cmd, k)\n"
	"  if type(r) == 'table' and not r.err then return r end\n"
	"  return {}\n"
	"end\n"
	"local seen, out = {}, {}\n"
	"for _, n in ipairs(list('SMEMBERS', 'lv:pnodes')) do\n"
	"  if n ~= ARGV[1] and redis.call('EXISTS', 'lv:node:' .. n) == 1 then\n"
	"    for _, g in ipairs(list('SMEMBERS', 'lv:pn:' .. n)) do\n"
	"      if not seen[g] then seen[g] = true; out[#out + 1] = g end\n"
	"    end\n"
	"  end\n"
	"end\n"
	"return out\n";

/* ---- events ----------------------------------------------------------------------- */

static bool
same(const char *a, size_t n, const char *b)
{
	return strlen(b) == n && memcmp(a, b, n) == 0;
}

/* An event from parts read from Redis (checked by the caller); mine: a
 * member of this node's that just left (its connection may have ended). */
static void
raise_parsed(lv_bpres *p, const char *group, lv_presence_kind kind, const char *conn,
             size_t conn_len, const lv_pres_entry *e, bool origin, bool mine)
{
	char id[20], *ident = NULL;
	memcpy(id, conn, conn_len);
	id[conn_len] = '\0';
	if (e->identity && !(ident = strndup(e->identity, e->identity_len)))
		return;
	/* here: of this node, and this run (a previous run's ids are gone) */
	bool here = mine || (same(e->node, e->node_len, p->node) &&
	                     lv__conn_by_id(p->s, conn, conn_len));
	lv__presence_event(p->s, group, kind, id, ident, here, origin);
	free(ident);
}

/* What DROP_LUA and SWEEP_LUA answer: G, ID, ENTRY, EV, ... raised
 * here, this node being where they were made. */
static void
on_dropped(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	lv_bpres *p = arg;
	redisReply *reply = r;
	if (!reply)
		return;
	if (reply->type == REDIS_REPLY_ERROR) {
		LV_LOG(p->s, LV_LOG_WARN, "presence: redis: %s", reply->str);
		return;
	}
	if (reply->type != REDIS_REPLY_ARRAY)
		return;
	size_t bad = 0;
	for (size_t i = 0; i + 3 < reply->elements; i += 4) {
		redisReply *g = reply->element[i], *c = reply->element[i + 1], *v = reply->element[i + 2];
		redisReply *k = reply->element[i + 3];
		lv_pres_entry e;
		if (g->type != REDIS_REPLY_STRING || c->type != REDIS_REPLY_STRING ||
		    v->type != REDIS_REPLY_STRING || k->type != REDIS_REPLY_STRING ||
		    !lv__presence_group_ok(g->str, g->len) || !lv__pres_conn_ok(c->str, c->len) ||
		    !lv__pres_entry_parse(v->str, v->len, &e)) {
			bad++;
			continue;
		}
		raise_parsed(p, g->str, strcmp(k->str, "d") == 0 ? LV_PRESENCE_DISCONNECTED :
		             LV_PRESENCE_NODE_DIED, c->str, c->len, &e, true, false);
	}
	if (bad)
		LV_LOG(p->s, LV_LOG_WARN, "presence: %zu entries in Redis made no sense (dropped)", bad);
}

typedef struct {
	lv_bpres *p;
	lv_presence_kind kind;
	char conn[20];
	char *group, *identity;
	bool anonymous;
} pchange;

static void
pchange_free(pchange *c)
{
	free(c->group);
	free(c->identity);
	free(c);
}

/* JOIN_LUA's answer (1: new) and LEAVE_LUA's (the entry that went):
 * this node raises the event. */
static void
on_changed(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	pchange *c = arg;
	redisReply *reply = r;
	lv_pres_entry e;
	if (reply && reply->type == REDIS_REPLY_ERROR)
		LV_LOG(c->p->s, LV_LOG_WARN, "presence: redis: %s", reply->str);
	else if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == 1)
		lv__presence_event(c->p->s, c->group, c->kind, c->conn,
		                   c->anonymous ? NULL : c->identity, true, true);
	else if (reply && reply->type == REDIS_REPLY_STRING &&
	         lv__pres_entry_parse(reply->str, reply->len, &e))
		raise_parsed(c->p, c->group, c->kind, c->conn, strlen(c->conn), &e, true, true);
	pchange_free(c);
}

static pchange *
pchange_new(lv_bpres *p, lv_presence_kind kind, const char *conn_id, const char *group,
            const char *identity)
{
	pchange *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->p = p;
	c->kind = kind;
	snprintf(c->conn, sizeof c->conn, "%s", conn_id);
	c->anonymous = identity == NULL;
	if (!(c->group = strdup(group)) || (identity && !(c->identity = strdup(identity)))) {
		pchange_free(c);
		return NULL;
	}
	return c;
}

static void
send_leave(lv_bpres *p, const char *conn_id, const char *group, char kind)
{
	lv_presence_kind k = kind == 'l' ? LV_PRESENCE_LEFT : LV_PRESENCE_DISCONNECTED;
	pchange *c = pchange_new(p, k, conn_id, group, NULL);
	if (!c)
		return;
	uint32_t here;
	lv__groups_members(p->s, group, &here);
	char ev[2] = { kind, '\0' };
	if (lv__bscript_run(p->sc, on_changed, c, LEAVE_LUA, "%s %s %s %s %s", p->node, group,
	                    conn_id, ev, here ? "0" : "1") != 0)
		pchange_free(c);
}

void
lv__bpres_joined(lv_bpres *p, lv_conn *c, const char *group)
{
	if (!p->ac)
		return;   /* registered again once Redis is back */
	size_t len;
	char *entry = lv__pres_entry_make(p->node, c->identity, &len);
	pchange *ch = entry ? pchange_new(p, LV_PRESENCE_JOINED, c->id, group, c->identity) : NULL;
	if (ch && lv__bscript_run(p->sc, on_changed, ch, JOIN_LUA, "%s %s %s %b", p->node, group,
	                          c->id, entry, len) != 0)
		pchange_free(ch);
	else if (!ch)
		LV_LOG(p->s, LV_LOG_WARN, "presence: out of memory: %s not registered in %s", c->id, group);
	free(entry);
}

void
lv__bpres_left(lv_bpres *p, const char *conn_id, const char *group, bool disconnected)
{
	char kind = disconnected ? 'd' : 'l';
	if (p->s->stopping)
		return;   /* its entries go with the node, below */
	if (p->ac) {
		send_leave(p, conn_id, group, kind);
		return;
	}
	if (p->overflow)
		return;
	if (p->npending == PENDING_MAX) {
		p->overflow = true;
		return;
	}
	if (p->npending == p->cappending) {
		size_t ncap = p->cappending ? p->cappending * 2 : 16;
		pleave *n = realloc(p->pending, ncap * sizeof *n);
		if (!n) {
			p->overflow = true;
			return;
		}
		p->pending = n;
		p->cappending = ncap;
	}
	pleave *l = &p->pending[p->npending];
	if (!(l->group = strdup(group))) {
		p->overflow = true;
		return;
	}
	snprintf(l->conn, sizeof l->conn, "%s", conn_id);
	l->kind = kind;
	p->npending++;
}

static void
pending_clear(lv_bpres *p)
{
	for (size_t i = 0; i < p->npending; i++)
		free(p->pending[i].group);
	p->npending = 0;
	p->overflow = false;
}

void
lv__bpres_received(lv_bpres *p, const char *group, const char *data, size_t len)
{
	lv_pres_wire w;
	if (!lv__pres_wire_parse(data, len, &w)) {
		LV_LOG(p->s, LV_LOG_DEBUG, "presence: a message on %s made no sense (dropped)", group);
		return;
	}
	if (same(w.origin, w.origin_len, p->node))
		return;   /* raised here from the script's answer */
	bool mine = same(w.entry.node, w.entry.node_len, p->node);
	raise_parsed(p, group, w.kind, w.conn, w.conn_len, &w.entry, false, false);
	/* Another node took this one for dead (its key expired while it was
	 * slow or cut off) and dropped a member that is still here: it is
	 * registered again, which the others hear as a join. */
	if (mine && w.kind == LV_PRESENCE_NODE_DIED) {
		lv_conn *c = lv__conn_by_id(p->s, w.conn, w.conn_len);
		if (c && lv__groups_has(c, group))
			lv__bpres_joined(p, c, group);
	}
}

/* ---- what a group has ---------------------------------------------------------------- */

typedef struct {
	lv_bpres *p;
	lv_members_fn fn;
	void *user;
	char *group;
} pask;

/* This node's members, and those of the reply (ID, ENTRY, ...). */
static void
answer(pask *a, redisReply *reply)
{
	lv_server *s = a->p->s;
	size_t here, extra = reply && reply->type == REDIS_REPLY_ARRAY ? reply->elements / 2 : 0;
	lv_member *mine = lv__presence_here(s, a->group, &here);
	lv_member *all = here + extra ? calloc(here + extra, sizeof *all) : NULL;
	char **idents = extra ? calloc(extra, sizeof *idents) : NULL;
	int status = reply && reply->type == REDIS_REPLY_ARRAY ? 0 : LV_EUNAVAILABLE;
	size_t n = 0, bad = 0;
	if ((here && !mine) || (here + extra && !all) || (extra && !idents)) {
		status = LV_ENOMEM;
		extra = here = 0;
	}
	for (size_t i = 0; i < here; i++)
		all[n++] = mine[i];
	for (size_t i = 0; i < extra; i++) {
		redisReply *c = reply->element[2 * i], *v = reply->element[2 * i + 1];
		lv_pres_entry e;
		if (c->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
		    !lv__pres_conn_ok(c->str, c->len) || !lv__pres_entry_parse(v->str, v->len, &e) ||
		    (e.identity && !(idents[i] = strndup(e.identity, e.identity_len)))) {
			bad++;
			continue;
		}
		all[n++] = (lv_member){ c->str, idents[i], false };
	}
	if (bad)
		LV_LOG(s, LV_LOG_WARN, "presence: %zu entries of %s in Redis made no sense (left out)",
		       bad, a->group);
	if (!s->presence_off)
		a->fn(s, a->group, status, all, n, a->user);
	for (size_t i = 0; idents && i < extra; i++)
		free(idents[i]);
	free(idents);
	free(all);
	free(mine);
	free(a->group);
	free(a);
}

static void
on_members(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	pask *a = arg;
	redisReply *reply = r;
	if (reply && reply->type == REDIS_REPLY_ERROR)
		LV_LOG(a->p->s, LV_LOG_WARN, "presence: redis: %s", reply->str);
	answer(a, reply);
}

static void
answer_later(lv_server *s, void *arg)
{
	(void)s;
	answer(arg, NULL);
}

int
lv__bpres_members(lv_bpres *p, const char *group, lv_members_fn fn, void *user_data)
{
	pask *a = calloc(1, sizeof *a);
	if (!a || !(a->group = strdup(group))) {
		free(a);
		return LV_ENOMEM;
	}
	a->p = p;
	a->fn = fn;
	a->user = user_data;
	if (p->ac && lv__bscript_run(p->sc, on_members, a, MEMBERS_LUA, "%s %s", p->node,
	                             group) == 0)
		return 0;
	/* Redis is away: this node's members, not inside the caller. */
	if (lv_server_post(p->s, answer_later, a) != 0) {
		free(a->group);
		free(a);
		return LV_ENOMEM;
	}
	return 0;
}

/* ---- which groups have members ----------------------------------------------------- */

typedef struct {
	lv_bpres *p;
	lv_groups_fn fn;
	void *user;
} plist;

/* This node's groups, then the reply's others (names). */
static void
list_answer(plist *a, redisReply *reply)
{
	lv_server *s = a->p->s;
	size_t here, extra = reply && reply->type == REDIS_REPLY_ARRAY ? reply->elements : 0;
	const char **mine = lv__presence_groups_here(s, &here);
	const char **all = here + extra ? calloc(here + extra, sizeof *all) : NULL;
	int status = reply && reply->type == REDIS_REPLY_ARRAY ? 0 : LV_EUNAVAILABLE;
	size_t n = 0;
	if ((here && !mine) || (here + extra && !all)) {
		status = LV_ENOMEM;
		extra = here = 0;
	}
	for (size_t i = 0; i < here; i++)
		all[n++] = mine[i];
	for (size_t i = 0; i < extra; i++) {
		redisReply *g = reply->element[i];
		uint32_t k;
		if (g->type != REDIS_REPLY_STRING || !lv__presence_group_ok(g->str, g->len) ||
		    lv__groups_members(s, g->str, &k))
			continue;   /* junk, or this node's too (listed) */
		all[n++] = g->str;
	}
	if (!s->presence_off)
		a->fn(s, status, all, n, a->user);
	free(all);
	free(mine);
	free(a);
}

static void
on_groups(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	plist *a = arg;
	redisReply *reply = r;
	if (reply && reply->type == REDIS_REPLY_ERROR)
		LV_LOG(a->p->s, LV_LOG_WARN, "presence: redis: %s", reply->str);
	list_answer(a, reply);
}

static void
list_later(lv_server *s, void *arg)
{
	(void)s;
	list_answer(arg, NULL);
}

int
lv__bpres_groups(lv_bpres *p, lv_groups_fn fn, void *user_data)
{
	plist *a = calloc(1, sizeof *a);
	if (!a)
		return LV_ENOMEM;
	*a = (plist){ p, fn, user_data };
	if (p->ac && lv__bscript_run(p->sc, on_groups, a, GROUPS_LUA, "%s", p->node) == 0)
		return 0;
	if (lv_server_post(p->s, list_later, a) != 0) {
		free(a);
		return LV_ENOMEM;
	}
	return 0;
}

/* ---- Redis up and down, the sweep ------------------------------------------------------ */

static void
sweep_fn(lv_server *s, lv_timer *t, void *arg)
{
	(void)s, (void)t;
	lv_bpres *p = arg;
	if (p->ac)
		lv__bscript_run(p->sc, on_dropped, p, SWEEP_LUA, "%s", p->node);
}

void
lv__bpres_up(lv_bpres *p, redisAsyncContext *ac, bool first)
{
	p->ac = ac;
	if (first || p->overflow) {
		/* What a previous run of this node id left goes (it died), or
		 * what this run cannot tell apart any more; the members here
		 * are registered again as their groups' channels are answered. */
		lv__bscript_run(p->sc, on_dropped, p, DROP_LUA, "%s %s", p->node, first ? "x" : "d");
	} else {
		for (size_t i = 0; i < p->npending; i++)
			send_leave(p, p->pending[i].conn, p->pending[i].group, p->pending[i].kind);
	}
	pending_clear(p);
	sweep_fn(p->s, NULL, p);
	uint32_t ms = p->s->opt.presence_sweep_ms ? p->s->opt.presence_sweep_ms : SWEEP_MS;
	if (!p->sweep && !p->stopped && lv_timer_start(p->s, ms, true, sweep_fn, p, &p->sweep) != 0)
		p->sweep = NULL;
}

void
lv__bpres_down(lv_bpres *p)
{
	p->ac = NULL;
}

void
lv__bpres_stop(lv_bpres *p, bool up)
{
	p->stopped = true;
	lv_timer_stop(p->sweep);
	p->sweep = NULL;
	/* Its entries stay for another node's sweep, which tells them as
	 * leaves "disconnected" and raises them there: this node raises no
	 * more events, so it could not be their origin. The lists leave them
	 * out once the node's key is gone (broker_redis.c deletes it next). */
	if (up && p->ac)
		redisAsyncCommand(p->ac, NULL, NULL, "SET lv:pstop:%s d PX %d", p->node, STOP_MARK_MS);
}

lv_bpres *
lv__bpres_new(lv_server *s, lv_bscript *sc, const char *node)
{
	lv_bpres *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->s = s;
	p->sc = sc;
	p->node = node;
	return p;
}

void
lv__bpres_free(lv_bpres *p)
{
	if (!p)
		return;
	pending_clear(p);
	free(p->pending);
	free(p);
}
