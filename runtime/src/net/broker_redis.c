/* broker_redis.c - the Redis broker: several nodes share groups and
 * pushes through one Redis. Each node keeps its own members and sessions
 * in memory as the local broker does (group.c, session.c); Redis holds
 * who is in each group on every node, carries messages between nodes
 * (pub/sub), and keeps each session so that any node can resume it
 * (broker_session.c). hiredis' async API runs on lv's loop: its libuv adapter on
 * LV_LOOP_UV, lv__fdwatch (fdwatch.c) on libwebsockets' poll loop and on
 * libev.
 *
 * hiredis 0.14 (Debian's libhiredis-dev) lacks, against 1.x: connect and
 * command timeouts (redisOptions, redisAsyncSetTimeout), so this file
 * times a connect itself (CONNECT_MS) and takes unanswered heartbeats
 * (DEAD_BEATS) for a hung server; the ev.scheduleTimer hook; RESP3 push
 * replies (pub/sub needs a second connection in subscribed mode); TLS;
 * and a safe re-SUBSCRIBE to a channel whose UNSUBSCRIBE is not yet
 * answered (0.14 then drops the new callback), so a group waits for that
 * answer before it subscribes again.
 *
 * In Redis (NODE a node id, G a group, ID a connection id):
 *   lv:nodes          SET: the node ids that have registered
 *   lv:node:NODE      NODE's page count, with a TTL (NODE_TTL_MS) that
 *                     its heartbeat renews: no key, a dead node
 *   lv:gn:G           SET: the nodes with members in G
 *   lv:gm:G:NODE      SET: the ids of NODE's members in G
 *   lv:ng:NODE        SET: the groups NODE has members in
 *   lv:conn:ID        the node of session ID; lv:ns:NODE its sessions
 *   lv:epoch, lv:go:G, lv:gh:G, lv:ao, lv:ah   reliable messages of G and
 *                     of every page in order (broker_history.c)
 *   lv:s:TOKEN, lv:sq:TOKEN   a session, for any node to resume
 *                     (broker_session.c)
 *   lv:pm:G, lv:pn:NODE, lv:pnodes   presence (broker_presence.c)
 *   lv:stv:KEY, lv:sth:KEY, lv:sts:KEY   a shared state's revision, its
 *                     patches and a snapshot (broker_state.c)
 * A dead node's entries go when a count meets them (COUNT_LUA,
 * PAGES_LUA) or when a node of its id starts again (RESET_LUA).
 * Channels: lv:all (every page), lv:g:G (G's members), lv:n:NODE (one of
 * NODE's sessions); what arrives on them, and the frames' kinds, are
 * broker_wire.c's.
 *
 * Invariants: state is UP exactly when both connections are connected
 * and registered; a connection's ac is NULL once hiredis has freed it (or
 * is freeing it: its disconnect callback clears it). Connections are
 * freed only from the drop timer, never inside a hiredis callback. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <async.h>
#include <hiredis.h>
#include <uv.h>
#include <adapters/libuv.h>

#include "net/broker_redis.h"
#include "net/broker_health.h"
#include "net/broker_script.h"
#include "net/event_wire.h"
#include "net/live.h"

enum {
	BEAT_MS = 1000,             /* heartbeat and count refresh */
	NODE_TTL_MS = 5000,         /* a node silent this long is dead */
	DEAD_BEATS = 3,             /* heartbeats unanswered: Redis is hung */
	CONNECT_MS = 2000,          /* a connect taking longer is given up */
	BACKOFF_MIN_MS = 100,
	BACKOFF_MAX_MS = 5000,
	FORGET_MS = 30000,          /* a group counted for group_size alone */
};

static void link_lost(rbroker *rb);

/* ---- Lua, run by lv__bscript_run (broker_script.c) --------------------------------- */

/* A node (re)starting: what it held before goes. ARGV: node. */
static const char RESET_LUA[] =
	"local n = ARGV[1]\n"
	"for _, g in ipairs(redis.call('SMEMBERS', 'lv:ng:' .. n)) do\n"
	"  redis.call('DEL', 'lv:gm:' .. g .. ':' .. n)\n"
	"  redis.call('SREM', 'lv:gn:' .. g, n)\n"
	"end\n"
	"redis.call('DEL', 'lv:ng:' .. n)\n"
	"for _, c in ipairs(redis.call('SMEMBERS', 'lv:ns:' .. n)) do\n"
	"  if redis.call('GET', 'lv:conn:' .. c) == n then redis.call('DEL', 'lv:conn:' .. c) end\n"
	"end\n"
	"redis.call('DEL', 'lv:ns:' .. n)\n"
	"redis.call('SADD', 'lv:nodes', n)\n"
	"return 0\n";

/* ARGV: node, group, conn id, the size notice. */
static const char JOIN_LUA[] =
	"redis.call('SADD', 'lv:gm:' .. ARGV[2] .. ':' .. ARGV[1], ARGV[3])\n"
	"redis.call('SADD', 'lv:gn:' .. ARGV[2], ARGV[1])\n"
	"redis.call('SADD', 'lv:ng:' .. ARGV[1], ARGV[2])\n"
	"if ARGV[4] ~= '' then redis.call('PUBLISH', 'lv:g:' .. ARGV[2], ARGV[4]) end\n"
	"return 0\n";

static const char LEAVE_LUA[] =
	"local k = 'lv:gm:' .. ARGV[2] .. ':' .. ARGV[1]\n"
	"redis.call('SREM', k, ARGV[3])\n"
	"if redis.call('SCARD', k) == 0 then\n"
	"  redis.call('SREM', 'lv:gn:' .. ARGV[2], ARGV[1])\n"
	"  redis.call('SREM', 'lv:ng:' .. ARGV[1], ARGV[2])\n"
	"end\n"
	"redis.call('PUBLISH', 'lv:g:' .. ARGV[2], ARGV[4])\n"
	"return 0\n";

/* Members of group ARGV[2] on live nodes other than ARGV[1]. */
static const char COUNT_LUA[] =
	"local n, g, total = ARGV[1], ARGV[2], 0\n"
	"for _, m in ipairs(redis.call('SMEMBERS', 'lv:gn:' .. g)) do\n"
	"  if m ~= n then\n"
	"    if redis.call('EXISTS', 'lv:node:' .. m) == 1 then\n"
	"      total = total + redis.call('SCARD', 'lv:gm:' .. g .. ':' .. m)\n"
	"    else\n"
	"      redis.call('DEL', 'lv:gm:' .. g .. ':' .. m)\n"
	"      redis.call('SREM', 'lv:gn:' .. g, m)\n"
	"      redis.call('SREM', 'lv:ng:' .. m, g)\n"
	"    end\n"
	"  end\n"
	"end\n"
	"return total\n";

/* Pages on live nodes other than ARGV[1]. */
static const char PAGES_LUA[] =
	"local total = 0\n"
	"for _, m in ipairs(redis.call('SMEMBERS', 'lv:nodes')) do\n"
	"  if m ~= ARGV[1] then\n"
	"    local v = redis.call('GET', 'lv:node:' .. m)\n"
	"    if v then total = total + tonumber(v) else redis.call('SREM', 'lv:nodes', m) end\n"
	"  end\n"
	"end\n"
	"return total\n";

/* To session ARGV[1] on its node, if that node lives: the receivers. */
static const char DELIVER_LUA[] =
	"local n = redis.call('GET', 'lv:conn:' .. ARGV[1])\n"
	"if not n or redis.call('EXISTS', 'lv:node:' .. n) == 0 then return 0 end\n"
	"return redis.call('PUBLISH', 'lv:n:' .. n, ARGV[2])\n";

/* lv:conn:ARGV[1] goes, if it is still node ARGV[2]'s. */
static const char DEL_OWN_LUA[] =
	"if redis.call('GET', 'lv:conn:' .. ARGV[1]) == ARGV[2] then\n"
	"  redis.call('DEL', 'lv:conn:' .. ARGV[1])\n"
	"end\n"
	"return 0\n";

/* ---- hiredis on libwebsockets' poll loop ------------------------------------------ */

/* hiredis' ev hooks onto a watch. Freed by the cleanup hook, or just
 * after, when that comes while the watch's callback runs. */
typedef struct {
	redisAsyncContext *ac;      /* NULL once hiredis let it go */
	lv_fdwatch *w;
	bool read, write;
	bool in_fn, dead;
} pollev;

static void
ev_want(pollev *p)
{
	if (p->w)
		lv__fdwatch_want(p->w, p->read, p->write);
}

static void ev_add_read(void *d) { pollev *p = d; p->read = true; ev_want(p); }
static void ev_del_read(void *d) { pollev *p = d; p->read = false; ev_want(p); }
static void ev_add_write(void *d) { pollev *p = d; p->write = true; ev_want(p); }
static void ev_del_write(void *d) { pollev *p = d; p->write = false; ev_want(p); }

static void
ev_cleanup(void *d)
{
	pollev *p = d;
	p->ac = NULL;
	lv__fdwatch_free(p->w);
	p->w = NULL;
	if (p->in_fn)
		p->dead = true;
	else
		free(p);
}

static void
on_fd(void *arg, int events)
{
	pollev *p = arg;
	p->in_fn = true;
	if ((events & LV_FD_READ) && p->ac)
		redisAsyncHandleRead(p->ac);
	if ((events & LV_FD_WRITE) && p->ac)
		redisAsyncHandleWrite(p->ac);
	if ((events & LV_FD_GONE) && p->ac) {
		/* Let hiredis find what went wrong (a refused connect, an
		 * end of file); if it does not, the connection goes anyway:
		 * nothing watches its socket now. */
		if (p->ac->c.flags & REDIS_CONNECTED)
			redisAsyncHandleRead(p->ac);
		else
			redisAsyncHandleWrite(p->ac);
		if (p->ac)
			link_lost(((rlink *)p->ac->data)->rb);
	}
	p->in_fn = false;
	if (p->dead)
		free(p);
}

static int
attach(rbroker *rb, redisAsyncContext *ac)
{
	lv_server *s = rb->base.server;
	if (s->uv)
		return redisLibuvAttach(ac, lv__uv_loop(s)) == REDIS_OK ? 0 : LV_ENOMEM;
	pollev *p = calloc(1, sizeof *p);
	if (!p)
		return LV_ENOMEM;
	p->ac = ac;
	if (!(p->w = lv__fdwatch_new(s, ac->c.fd, on_fd, p))) {
		free(p);
		return LV_ENOMEM;
	}
	ac->ev.data = p;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	return 0;
}

/* ---- the groups this node follows ------------------------------------------------- */

static bool
named(const lv_hnode *n, const void *name)
{
	return strcmp(((const rgroup *)n)->name, name) == 0;
}

static rgroup *
find_group(rbroker *rb, const char *name)
{
	return (rgroup *)lv__htab_find(&rb->groups, lv__hash_str(name), named, name);
}

static rgroup *
follow(rbroker *rb, const char *name)
{
	rgroup *g = find_group(rb, name);
	if (g)
		return g;
	if (!(g = calloc(1, sizeof *g)) || !(g->name = strdup(name)) ||
	    lv__htab_insert(&rb->groups, &g->node, lv__hash_str(name)) != 0) {
		if (g)
			free(g->name);
		free(g);
		return NULL;
	}
	g->asked_us = lv__now_us();
	return g;
}

static void
unfollow(rbroker *rb, rgroup *g)
{
	lv__htab_remove(&rb->groups, &g->node);
	free(g->name);
	free(g);
}

static uint32_t
members_here(rbroker *rb, const char *group)
{
	uint32_t n;
	lv__groups_members(rb->base.server, group, &n);
	return n;
}

/* Is the group's channel to be heard: members here, or a copy of one of
 * its states? */
static bool
needed(rbroker *rb, const char *group)
{
	return members_here(rb, group) || lv__bstate_holds(rb->states, group);
}

/* ---- commands --------------------------------------------------------------------- */

static bool
up(const rbroker *rb)
{
	return rb->state == UP && rb->cmd.ac && rb->sub.ac;
}

/* What the link's callbacks get: the broker, whatever became of the link. */
static int
command(rbroker *rb, rlink *l, redisCallbackFn *fn, void *arg, const char *fmt, ...)
{
	if (!l->ac)
		return LV_EUNAVAILABLE;
	va_list ap;
	va_start(ap, fmt);
	int rc = redisvAsyncCommand(l->ac, fn, arg, fmt, ap);
	va_end(ap);
	(void)rb;
	return rc == REDIS_OK ? 0 : LV_EUNAVAILABLE;
}

static void count(rbroker *rb, rgroup *g);

static void
on_count(redisAsyncContext *ac, void *r, void *arg)
{
	rbroker *rb = ((rlink *)ac->data)->rb;
	redisReply *reply = r;
	char *name = arg;
	rgroup *g = find_group(rb, name);
	if (g) {
		g->counting = false;
		if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer >= 0)
			g->others = (uint64_t)reply->integer;
		if (reply && g->recount && up(rb))
			count(rb, g);
	}
	free(name);
}

static void
count(rbroker *rb, rgroup *g)
{
	char *name = strdup(g->name);
	if (!name)
		return;
	if (lv__bscript_run(rb->scripts, on_count, name, COUNT_LUA, "%s %s", rb->node, g->name) != 0) {
		free(name);
		return;
	}
	g->counting = true;
	g->recount = false;
}

static void
on_pages(redisAsyncContext *ac, void *r, void *arg)
{
	(void)arg;
	rbroker *rb = ((rlink *)ac->data)->rb;
	redisReply *reply = r;
	if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer >= 0)
		rb->others_pages = (uint64_t)reply->integer;
}

static void
on_beat(redisAsyncContext *ac, void *r, void *arg)
{
	(void)arg;
	if (r)
		((rlink *)ac->data)->rb->beats_unanswered = 0;
}

static void
on_any(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac, (void)arg;
	redisReply *reply = r;
	if (reply && reply->type == REDIS_REPLY_ERROR)
		LV_LOG(((rlink *)ac->data)->rb->base.server, LV_LOG_WARN, "redis: %s", reply->str);
}

static void
subscribe(rbroker *rb, rgroup *g)
{
	if (g->sub == SUB_NONE && rb->sub.ac &&
	    command(rb, &rb->sub, lv__rb_on_sub, NULL, "SUBSCRIBE lv:g:%s", g->name) == 0)
		g->sub = SUB_ASKED;
}

/* Tells the other nodes following the group that its size changed. */
static void
notice(rbroker *rb, char *out, size_t n)
{
	snprintf(out, n, "S%s\n", rb->node);
}

static int
register_member(rbroker *rb, lv_conn *c, const char *group)
{
	char note[80];
	notice(rb, note, sizeof note);
	int rc = lv__bscript_run(rb->scripts, on_any, NULL, JOIN_LUA, "%s %s %s %s", rb->node, group,
	                         c->id, note);
	if (rc == 0)
		lv__bpres_joined(rb->pres, c, group);
	return rc;
}

static int
register_session(rbroker *rb, const char *conn_id)
{
	int rc = command(rb, &rb->cmd, on_any, NULL, "SET lv:conn:%s %s", conn_id, rb->node);
	return rc ? rc : command(rb, &rb->cmd, on_any, NULL, "SADD lv:ns:%s %s", rb->node, conn_id);
}

/* What broker_wire.c calls (broker_redis.h). */
rgroup *lv__rb_group(rbroker *rb, const char *name) { return find_group(rb, name); }
void lv__rb_count(rbroker *rb, rgroup *g) { count(rb, g); }
void lv__rb_subscribe(rbroker *rb, rgroup *g) { subscribe(rb, g); }
uint32_t lv__rb_members_here(rbroker *rb, const char *group) { return members_here(rb, group); }
bool lv__rb_needed(rbroker *rb, const char *group) { return needed(rb, group); }

int
lv__rb_register_member(rbroker *rb, lv_conn *c, const char *group)
{
	return register_member(rb, c, group);
}

/* ---- the connections ------------------------------------------------------------- */

/* Both connections are up: the node registers what it holds, subscribes,
 * and its groups are counted. */
static void
became_up(rbroker *rb)
{
	lv_server *s = rb->base.server;
	rb->state = UP;
	rb->since_us = lv__now_us();
	rb->backoff_ms = BACKOFF_MIN_MS;
	rb->beats_unanswered = 0;
	if (rb->ever_up) {
		rb->base.stats.reconnects++;
		LV_LOG(s, LV_LOG_WARN, "redis broker: connected again (node %s)", rb->node);
	} else {
		LV_LOG(s, LV_LOG_INFO, "redis broker: connected (node %s)", rb->node);
	}
	bool first = !rb->ever_up;
	rb->ever_up = true;
	rb->base.stats.connected = 1;
	command(rb, &rb->cmd, on_any, NULL, "CLIENT SETNAME lv-cmd-%s", rb->node);
	lv__bscript_run(rb->scripts, on_any, NULL, RESET_LUA, "%s", rb->node);
	command(rb, &rb->cmd, on_beat, NULL, "SET lv:node:%s %u PX %d", rb->node, s->npages,
	        NODE_TTL_MS);
	lv__bpres_up(rb->pres, rb->cmd.ac, first);
	lv__bhist_up(rb->hist, rb->cmd.ac);
	lv__bsess_up(rb->sess, rb->cmd.ac);
	lv__bstate_up(rb->states, rb->cmd.ac);
	lv__bhealth_up(rb->health, rb->cmd.ac);
	command(rb, &rb->sub, on_any, NULL, "CLIENT SETNAME lv-sub-%s", rb->node);
	command(rb, &rb->sub, lv__rb_on_sub, NULL, "SUBSCRIBE lv:all lv:n:%s", rb->node);
	for (lv_conn *c = s->conns; c; c = c->next) {
		if (c->ended)
			continue;
		if (c->token[0])
			register_session(rb, c->id);   /* members: once subscribed */
	}
	uint32_t at = 0;
	for (lv_hnode *n = lv__htab_next(&rb->groups, NULL, &at); n; n = lv__htab_next(&rb->groups, n, &at)) {
		rgroup *g = (rgroup *)n;
		g->sub = SUB_NONE;
		g->counting = g->recount = false;
		if (needed(rb, g->name))
			subscribe(rb, g);
		count(rb, g);
	}
	lv__bscript_run(rb->scripts, on_pages, NULL, PAGES_LUA, "%s", rb->node);
	lv__bhealth_beat(rb->health);   /* measured from the start, not a beat later */
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	rlink *l = ac->data;
	rbroker *rb = l->rb;
	if (status != REDIS_OK) {
		LV_LOG(rb->base.server, LV_LOG_DEBUG, "redis broker: cannot connect: %s", ac->errstr);
		l->ac = NULL;   /* hiredis frees it */
		if (l == &rb->cmd)
			lv__bscript_down(rb->scripts);
		link_lost(rb);
		return;
	}
	l->connected = true;
	if (rb->state == CONNECTING && rb->cmd.connected && rb->sub.connected)
		became_up(rb);
	lv__lws_touched(rb->base.server);
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	(void)status;
	rlink *l = ac->data;
	l->ac = NULL;
	l->connected = false;
	if (l == &l->rb->cmd)
		lv__bscript_down(l->rb->scripts);
	if (!l->rb->stopping)
		link_lost(l->rb);
}

static int
link_open(rbroker *rb, rlink *l)
{
	redisAsyncContext *ac = rb->path ? redisAsyncConnectUnix(rb->path) :
	                        redisAsyncConnect(rb->host, rb->port);
	if (!ac)
		return LV_ENOMEM;
	if (ac->err) {
		LV_LOG(rb->base.server, LV_LOG_DEBUG, "redis broker: cannot connect: %s", ac->errstr);
		redisAsyncFree(ac);
		return LV_EUNAVAILABLE;
	}
	ac->data = l;
	int rc = attach(rb, ac);
	if (rc) {
		redisAsyncFree(ac);
		return rc;
	}
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	l->ac = ac;
	l->connected = false;
	if (l == &rb->cmd)
		lv__bscript_up(rb->scripts, ac);   /* what is sent before the connect waits in hiredis */
	return 0;
}

static void
retry_fn(lv_server *s, lv_timer *t, void *arg)
{
	(void)s, (void)t;
	rbroker *rb = arg;
	rb->retry = NULL;
	rb->state = CONNECTING;
	rb->since_us = lv__now_us();
	if (link_open(rb, &rb->cmd) != 0 || link_open(rb, &rb->sub) != 0)
		link_lost(rb);
}

/* Frees what is left of both connections. */
static void
close_links(rbroker *rb)
{
	bool was = rb->stopping;
	rb->stopping = true;   /* their disconnect callbacks are ours */
	lv__bhist_down(rb->hist);
	lv__bsess_down(rb->sess);
	lv__bpres_down(rb->pres);
	lv__bstate_down(rb->states);
	lv__bscript_down(rb->scripts);
	lv__bhealth_down(rb->health);
	for (rlink *l = &rb->cmd; l; l = l == &rb->cmd ? &rb->sub : NULL) {
		if (l->ac)
			redisAsyncFree(l->ac);
		l->ac = NULL;
		l->connected = false;
	}
	rb->stopping = was;
}

/* Out of hiredis' callbacks: both connections go, and a new try is timed. */
static void
drop_fn(lv_server *s, lv_timer *t, void *arg)
{
	(void)t;
	rbroker *rb = arg;
	rb->drop = NULL;
	close_links(rb);
	if (rb->stopping || rb->retry)
		return;
	if (lv_timer_start(s, rb->backoff_ms, false, retry_fn, rb, &rb->retry) != 0)
		rb->retry = NULL;
	rb->backoff_ms = rb->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : rb->backoff_ms * 2;
}

static void
link_lost(rbroker *rb)
{
	lv_server *s = rb->base.server;
	if (rb->state == UP)
		LV_LOG(s, LV_LOG_WARN, "redis broker: lost Redis; pushes to other nodes fail with "
		       "unavailable until it is back");
	rb->state = DOWN;
	rb->since_us = lv__now_us();
	rb->base.stats.connected = 0;
	lv__bhist_down(rb->hist);
	lv__bsess_down(rb->sess);
	lv__bpres_down(rb->pres);
	lv__bstate_down(rb->states);
	lv__bhealth_down(rb->health);
	if (!rb->drop && !rb->stopping && lv_timer_start(s, 0, false, drop_fn, rb, &rb->drop) != 0)
		rb->drop = NULL;
}

/* Redis answered NOSCRIPT: it lost the scripts this connection loaded.
 * Taken as a lost connection (broker_script.h). */
static void
scripts_lost(void *arg)
{
	rbroker *rb = arg;
	LV_LOG(rb->base.server, LV_LOG_WARN, "redis broker: Redis no longer has the scripts it "
	       "loaded (SCRIPT FLUSH?): connecting again");
	link_lost(rb);
}

static void
beat_fn(lv_server *s, lv_timer *t, void *arg)
{
	(void)t;
	rbroker *rb = arg;
	int64_t now = lv__now_us();
	if (rb->state == CONNECTING && now - rb->since_us > (int64_t)CONNECT_MS * 1000) {
		link_lost(rb);
		return;
	}
	lv__bsess_beat(rb->sess);   /* also while Redis is away: sessions waiting for it */
	if (!up(rb))
		return;
	if (rb->beats_unanswered >= DEAD_BEATS) {
		LV_LOG(s, LV_LOG_WARN, "redis broker: no answer for %d heartbeats", DEAD_BEATS);
		link_lost(rb);
		return;
	}
	rb->beats_unanswered++;
	command(rb, &rb->cmd, on_beat, NULL, "SET lv:node:%s %u PX %d", rb->node, s->npages,
	        NODE_TTL_MS);
	lv__bscript_run(rb->scripts, on_pages, NULL, PAGES_LUA, "%s", rb->node);
	lv__bhealth_beat(rb->health);
	uint32_t at = 0;
	for (lv_hnode *n = lv__htab_next(&rb->groups, NULL, &at), *next; n; n = next) {
		next = lv__htab_next(&rb->groups, n, &at);
		rgroup *g = (rgroup *)n;
		if (g->sub == SUB_NONE && !needed(rb, g->name) &&
		    now - g->asked_us > (int64_t)FORGET_MS * 1000)
			unfollow(rb, g);
		else if (!g->counting)
			count(rb, g);
	}
}

/* ---- the broker's operations -------------------------------------------------------- */

static int
start(lv_broker *b)
{
	rbroker *rb = (rbroker *)b;
	lv_server *s = b->server;
	if (rb->started)
		return 0;
	rb->started = true;
	rb->backoff_ms = BACKOFF_MIN_MS;
	int rc = lv_timer_start(s, BEAT_MS, true, beat_fn, rb, &rb->beat);
	if (rc)
		return rc;
	retry_fn(s, NULL, rb);
	return 0;
}

static void
stop(lv_broker *b)
{
	rbroker *rb = (rbroker *)b;
	if (!rb->started || rb->stopping)
		return;
	rb->stopping = true;
	lv_timer_stop(rb->beat);
	lv_timer_stop(rb->retry);
	lv_timer_stop(rb->drop);
	rb->beat = rb->retry = rb->drop = NULL;
	/* Its members, sessions and page count leave Redis with it; a node
	 * that dies instead is dropped once its key expires. */
	lv__bpres_stop(rb->pres, up(rb));
	if (up(rb) && lv__bscript_run(rb->scripts, NULL, NULL, RESET_LUA, "%s", rb->node) == 0 &&
	    command(rb, &rb->cmd, NULL, NULL, "DEL lv:node:%s", rb->node) == 0 &&
	    command(rb, &rb->cmd, NULL, NULL, "SREM lv:nodes %s", rb->node) == 0)
		redisAsyncHandleWrite(rb->cmd.ac);   /* out now: the loop turns no more */
	close_links(rb);
	rb->state = DOWN;
	b->stats.connected = 0;
}

/* from: the offset a resumed session had (broker_session.c), or -1. */
static int
join_at(lv_broker *b, lv_conn *c, const char *group, int64_t from)
{
	rbroker *rb = (rbroker *)b;
	int rc = lv__groups_join(b->server, c, group);
	if (rc)
		return rc;
	rgroup *g = follow(rb, group);
	if (!g || (from < 0 ? lv__bhist_follow(rb->hist, group) :
	           lv__bhist_follow_from(rb->hist, group, (uint64_t)from)) != 0) {
		lv__groups_leave(b->server, c, group);
		return LV_ENOMEM;
	}
	if (from < 0)
		lv__bsess_joined(rb->sess, c, group);
	/* Registered once its channel is answered (SUB_ASKED), or once Redis
	 * is back. */
	if (up(rb) && g->sub == SUB_NONE)
		subscribe(rb, g);
	else if (up(rb) && g->sub == SUB_ON)
		register_member(rb, c, group);
	return 0;
}

static int
join(lv_broker *b, lv_conn *c, const char *group)
{
	return join_at(b, c, group, -1);
}

static int
join_from(lv_broker *b, lv_conn *c, const char *group, uint64_t from)
{
	return join_at(b, c, group, (int64_t)from);
}

static void
left(rbroker *rb, const char *conn_id, const char *group, bool disconnected)
{
	rgroup *g = find_group(rb, group);
	if (!members_here(rb, group))
		lv__bhist_unfollow(rb->hist, group);
	lv__bpres_left(rb->pres, conn_id, group, disconnected);
	if (!up(rb))
		return;
	char note[80];
	notice(rb, note, sizeof note);
	lv__bscript_run(rb->scripts, on_any, NULL, LEAVE_LUA, "%s %s %s %s", rb->node, group,
	                conn_id, note);
	if (g && (g->sub == SUB_ON || g->sub == SUB_ASKED) && !needed(rb, group) &&
	    command(rb, &rb->sub, NULL, NULL, "UNSUBSCRIBE lv:g:%s", group) == 0)
		g->sub = SUB_LEAVING;
}

static int
leave(lv_broker *b, lv_conn *c, const char *group)
{
	bool was = false;
	for (uint32_t i = 0; i < c->ngroups; i++)
		was |= strcmp(c->groups[i]->name, group) == 0;
	int rc = lv__groups_leave(b->server, c, group);
	if (rc == 0 && was) {
		left((rbroker *)b, c->id, group, false);
		lv__bsess_left(((rbroker *)b)->sess, c, group);
	}
	return rc;
}

static void
leave_all(lv_broker *b, lv_conn *c)
{
	uint32_t n = c->ngroups;
	char **names = n ? calloc(n, sizeof *names) : NULL;
	for (uint32_t i = 0; names && i < n; i++)
		names[i] = strdup(c->groups[i]->name);
	lv__groups_leave_all(c);
	for (uint32_t i = 0; names && i < n; i++) {
		if (names[i])
			left((rbroker *)b, c->id, names[i], true);
		free(names[i]);
	}
	free(names);
}

static size_t
group_size(lv_broker *b, const char *group)
{
	rbroker *rb = (rbroker *)b;
	size_t here = lv__groups_size(b->server, group);
	if (!group)
		return here + rb->others_pages;
	rgroup *g = find_group(rb, group);
	if (!g) {
		/* First asked: counted from now on (the next heartbeat at the
		 * latest); this answer knows this node's members only. */
		if ((g = follow(rb, group)) && up(rb))
			count(rb, g);
		return here;
	}
	g->asked_us = lv__now_us();
	return here + g->others;
}

static int
members(lv_broker *b, const char *group, lv_members_fn fn, void *user_data)
{
	return lv__bpres_members(((rbroker *)b)->pres, group, fn, user_data);
}

static int
groups(lv_broker *b, lv_groups_fn fn, void *user_data)
{
	return lv__bpres_groups(((rbroker *)b)->pres, fn, user_data);
}

static int
publish(lv_broker *b, const char *group, lv_msg *m)
{
	rbroker *rb = (rbroker *)b;
	if (!up(rb)) {
		b->stats.unavailable++;
		return LV_EUNAVAILABLE;
	}
	if (m->kind == LV_MSG_RELIABLE) {
		int rc = lv__bhist_publish(rb->hist, group, m);
		if (rc)
			b->stats.unavailable++;
		else
			b->stats.published++;
		return rc;   /* here too, when its offset comes up */
	}
	size_t len;
	char *p = lv__rb_frame(rb, NULL, m, &len);
	if (!p)
		return LV_ENOMEM;
	int rc = group ? command(rb, &rb->cmd, on_any, NULL, "PUBLISH lv:g:%s %b", group, p, len) :
	                 command(rb, &rb->cmd, on_any, NULL, "PUBLISH lv:all %b", p, len);
	free(p);
	if (rc) {
		b->stats.unavailable++;
		return rc;
	}
	b->stats.published++;
	return lv__groups_send(b->server, group, m);
}

static int
deliver(lv_broker *b, const char *conn_id, lv_conn *local, lv_msg *m)
{
	rbroker *rb = (rbroker *)b;
	if (local)
		return lv__conn_queue(local, m);
	if (!up(rb)) {
		b->stats.unavailable++;
		return LV_EUNAVAILABLE;
	}
	size_t len;
	char *p = lv__rb_frame(rb, conn_id, m, &len);
	if (!p)
		return LV_ENOMEM;
	int rc = lv__bscript_run(rb->scripts, on_any, NULL, DELIVER_LUA, "%s %b", conn_id, p, len);
	free(p);
	if (rc)
		b->stats.unavailable++;
	else
		b->stats.published++;
	return rc;
}

/* A call sent to a page's node: no node heard it, the page is nowhere. */
static void
on_asked(redisAsyncContext *ac, void *r, void *arg)
{
	redisReply *reply = r;
	uint64_t *id = arg;
	if (reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == 0)
		lv__rcall_unheard(((rlink *)ac->data)->rb->base.server, *id);
	else if (reply && reply->type == REDIS_REPLY_ERROR)
		on_any(ac, r, NULL);
	free(id);
}

static int
ask(lv_broker *b, const char *conn_id, uint64_t id, const char *body, size_t len)
{
	rbroker *rb = (rbroker *)b;
	if (!up(rb)) {
		b->stats.unavailable++;
		return LV_EUNAVAILABLE;
	}
	size_t nl = strlen(rb->node);
	char *p = malloc(2 + nl + len);
	uint64_t *box = malloc(sizeof *box);
	if (!p || !box) {
		free(p);
		free(box);
		return LV_ENOMEM;
	}
	p[0] = 'Q';
	memcpy(p + 1, rb->node, nl);
	p[1 + nl] = '\n';
	memcpy(p + 2 + nl, body, len);
	*box = id;
	int rc = lv__bscript_run(rb->scripts, on_asked, box, DELIVER_LUA, "%s %b", conn_id, p,
	                         2 + nl + len);
	free(p);
	if (rc) {
		free(box);
		b->stats.unavailable++;
	} else {
		b->stats.published++;
	}
	return rc;
}

static int
answer(lv_broker *b, const char *node, const char *body, size_t len)
{
	rbroker *rb = (rbroker *)b;
	if (!up(rb)) {
		b->stats.unavailable++;
		return LV_EUNAVAILABLE;
	}
	int rc = command(rb, &rb->cmd, on_any, NULL, "PUBLISH lv:n:%s A%s\n%b", node, rb->node,
	                 body, len);
	if (rc)
		b->stats.unavailable++;
	else
		b->stats.published++;
	return rc;
}

/* Heard back on lv:all by every node, this one too: each runs it then. */
static int
raise_all(lv_broker *b, const char *name, const char *json, size_t len)
{
	rbroker *rb = (rbroker *)b;
	if (!up(rb)) {
		b->stats.unavailable++;
		return LV_EUNAVAILABLE;
	}
	size_t flen;
	char *p = lv__event_wire_make(rb->node, name, json, len, &flen);
	if (!p)
		return LV_ENOMEM;
	int rc = command(rb, &rb->cmd, on_any, NULL, "PUBLISH lv:all %b", p, flen);
	free(p);
	if (rc)
		b->stats.unavailable++;
	else
		b->stats.published++;
	return rc;
}

static void
health(lv_broker *b, lv_broker_health *out)
{
	rbroker *rb = (rbroker *)b;
	out->has_rtt = lv__bhealth_rtt(rb->health, &out->rtt_s);
	out->has_lag = lv__bhealth_lag(rb->health, &out->lag_s);
	int64_t oldest_us = 0;
	out->waiting = lv__bhist_waiting(rb->hist, &oldest_us);
	out->oldest_s = out->waiting ? (double)(lv__now_us() - oldest_us) / 1e6 : 0;
}

static int
session_put(lv_broker *b, lv_conn *c)
{
	int rc = lv__sessions_put(b->server, c);
	if (rc == 0 && up((rbroker *)b)) {
		register_session((rbroker *)b, c->id);
		if (!b->server->opt.broker_local_sessions)
			lv__bsess_create(((rbroker *)b)->sess, c);
	}
	return rc;
}

static lv_conn *
session_find(lv_broker *b, const char *token)
{
	return lv__sessions_find(b->server, token);
}

static void
session_remove(lv_broker *b, lv_conn *c)
{
	rbroker *rb = (rbroker *)b;
	lv__bsess_end(rb->sess, c);
	if (c->token[0] && lv__sessions_find(b->server, c->token) == c && up(rb)) {
		/* Not when another node took it: the key is that node's now. */
		lv__bscript_run(rb->scripts, on_any, NULL, DEL_OWN_LUA, "%s %s", c->id, rb->node);
		command(rb, &rb->cmd, on_any, NULL, "SREM lv:ns:%s %s", rb->node, c->id);
	}
	lv__sessions_remove(b->server, c);
}

static bool
session_ended(lv_broker *b, const char *token)
{
	return lv__sessions_ended(b->server, token);
}

/* Sessions kept in Redis: broker_session.c. */
static int
session_take(lv_broker *b, lv_conn *fresh, const char *token, uint64_t last)
{
	rbroker *rb = (rbroker *)b;
	if (b->server->opt.broker_local_sessions)
		return LV_ENOT_FOUND;   /* sessions stay on their node: nothing to ask */
	return lv__bsess_take(rb->sess, fresh, token, last, up(rb));
}

static bool
session_accept(lv_broker *b, lv_conn *c, const lv_msg *m)
{
	return lv__bsess_accept(((rbroker *)b)->sess, c, m);
}

static void
session_queued(lv_broker *b, lv_conn *c, const lv_msg *m, uint64_t seq)
{
	lv__bsess_queued(((rbroker *)b)->sess, c, m, seq);
}

static bool
session_inbound(lv_broker *b, lv_conn *c, const char *text, size_t len, uint64_t seq,
                uint64_t call_id)
{
	return lv__bsess_inbound(((rbroker *)b)->sess, c, text, len, seq, call_id);
}

static void
session_acked(lv_broker *b, lv_conn *c)
{
	lv__bsess_acked(((rbroker *)b)->sess, c);
}

static void
session_auth(lv_broker *b, lv_conn *c)
{
	lv__bsess_auth(((rbroker *)b)->sess, c);
}

/* States shared by every node: broker_state.c. */
static int
state_open(lv_broker *b, lv_state *st)
{
	rbroker *rb = (rbroker *)b;
	bool listening = false;
	if (st->group) {
		rgroup *g = follow(rb, st->group);
		if (!g)
			return LV_ENOMEM;
		if (up(rb) && g->sub == SUB_NONE)
			subscribe(rb, g);
		listening = up(rb) && g->sub == SUB_ON;
	}
	return lv__bstate_open(rb->states, st, listening);
}

static int
state_ready(lv_broker *b, lv_state *st)
{
	return up((rbroker *)b) ? lv__bstate_ready(((rbroker *)b)->states, st) : LV_EUNAVAILABLE;
}

static int
state_publish(lv_broker *b, lv_state *st, const char *ops, size_t len)
{
	return lv__bstate_publish(((rbroker *)b)->states, st, ops, len);
}

static void
state_close(lv_broker *b, lv_state *st)
{
	lv__bstate_close(((rbroker *)b)->states, st);
}

static void
broker_free(lv_broker *b)
{
	rbroker *rb = (rbroker *)b;
	close_links(rb);
	uint32_t at = 0;
	for (lv_hnode *n = lv__htab_next(&rb->groups, NULL, &at), *next; n; n = next) {
		next = lv__htab_next(&rb->groups, n, &at);
		rgroup *g = (rgroup *)n;
		free(g->name);
		free(g);
	}
	lv__htab_free(&rb->groups);
	lv__bsess_free(rb->sess);
	lv__bhist_free(rb->hist);
	lv__bpres_free(rb->pres);
	lv__bstate_free(rb->states);
	lv__bscript_free(rb->scripts);
	lv__bhealth_free(rb->health);
	lv__groups_free(b->server);
	lv__sessions_free(b->server);
	free(rb->host);
	free(rb->path);
	free(rb);
}

static const lv_broker_ops redis_ops = {
	.name = "redis",
	.start = start,
	.stop = stop,
	.join = join,
	.leave = leave,
	.leave_all = leave_all,
	.group_size = group_size,
	.members = members,
	.groups = groups,
	.publish = publish,
	.deliver = deliver,
	.session_put = session_put,
	.session_find = session_find,
	.session_remove = session_remove,
	.session_ended = session_ended,
	.ask = ask,
	.answer = answer,
	.raise_all = raise_all,
	.health = health,
	.session_take = session_take,
	.session_accept = session_accept,
	.session_queued = session_queued,
	.session_inbound = session_inbound,
	.session_acked = session_acked,
	.session_auth = session_auth,
	.state_open = state_open,
	.state_ready = state_ready,
	.state_publish = state_publish,
	.state_close = state_close,
	.free = broker_free,
};

/* ---- making one ----------------------------------------------------------------------- */

static bool
node_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > 64)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.'))
			return false;
	return true;
}

/* redis://HOST[:PORT] or unix:PATH into rb; false when it is neither. */
static bool
parse_url(rbroker *rb, const char *url)
{
	if (strncmp(url, "unix:", 5) == 0)
		return url[5] && (rb->path = strdup(url + 5)) != NULL;
	if (strncmp(url, "redis://", 8) != 0)
		return false;
	const char *h = url + 8, *colon = strrchr(h, ':');
	size_t hl = colon ? (size_t)(colon - h) : strlen(h);
	rb->port = 6379;
	if (colon) {
		char *end;
		long port = strtol(colon + 1, &end, 10);
		if (*end || port <= 0 || port > 65535)
			return false;
		rb->port = (int)port;
	}
	if (hl == 0 || memchr(h, '/', hl) || memchr(h, '@', hl))
		return false;
	if (!(rb->host = malloc(hl + 1)))
		return false;
	memcpy(rb->host, h, hl);
	rb->host[hl] = '\0';
	return true;
}

int
lv__broker_redis(lv_server *s, const char *url, lv_broker **out)
{
	*out = NULL;
	rbroker *rb = calloc(1, sizeof *rb);
	if (!rb)
		return LV_ENOMEM;
	rb->base.ops = &redis_ops;
	rb->base.server = s;
	rb->cmd.rb = rb->sub.rb = rb;
	if (!(rb->scripts = lv__bscript_new(scripts_lost, rb)) ||
	    !(rb->hist = lv__bhist_new(s, &rb->base.stats, rb->scripts, rb->node,
	                               s->opt.broker_history, s->opt.broker_history_ms)) ||
	    !(rb->sess = lv__bsess_new(s, &rb->base, rb->hist, rb->scripts, rb->node, join_from)) ||
	    !(rb->pres = lv__bpres_new(s, rb->scripts, rb->node)) ||
	    !(rb->health = lv__bhealth_new(rb->node)) ||
	    !(rb->states = lv__bstate_new(s, &rb->base.stats, rb->scripts, rb->node, s->opt.broker_history))) {
		lv__bpres_free(rb->pres);
	lv__bstate_free(rb->states);
		lv__bhealth_free(rb->health);
		lv__bsess_free(rb->sess);
		lv__bhist_free(rb->hist);
		lv__bscript_free(rb->scripts);
		free(rb);
		return LV_ENOMEM;
	}
	if (!parse_url(rb, url)) {
		LV_LOG(s, LV_LOG_ERROR, "broker \"%s\": expected \"local\", redis://HOST:PORT or "
		       "unix:/PATH/TO/redis.sock", url);
		free(rb->host);
		free(rb->path);
		lv__bsess_free(rb->sess);
		lv__bhist_free(rb->hist);
		lv__bpres_free(rb->pres);
	lv__bstate_free(rb->states);
		lv__bscript_free(rb->scripts);
		lv__bhealth_free(rb->health);
		free(rb);
		return LV_EINVALID_ARGUMENT;
	}
	const char *id = s->opt.node_id;
	if (id && !node_id_ok(id)) {
		LV_LOG(s, LV_LOG_ERROR, "node_id \"%s\": 1 to 64 of A-Z a-z 0-9 - _ .", id);
		free(rb->host);
		free(rb->path);
		lv__bsess_free(rb->sess);
		lv__bhist_free(rb->hist);
		lv__bpres_free(rb->pres);
	lv__bstate_free(rb->states);
		lv__bscript_free(rb->scripts);
		lv__bhealth_free(rb->health);
		free(rb);
		return LV_EINVALID_ARGUMENT;
	}
	if (id) {
		snprintf(rb->node, sizeof rb->node, "%s", id);
	} else {
		/* Random per start: the context, and lws' random, come later. */
		uint64_t r[2] = { (uint64_t)lv__now_us(), (uint64_t)getpid() };
		if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
			r[0] ^= (uint64_t)(uintptr_t)rb;
		snprintf(rb->node, sizeof rb->node, "n%016llx%08llx", (unsigned long long)r[0],
		         (unsigned long long)(r[1] & 0xffffffffu));
	}
	*out = &rb->base;
	return 0;
}

const char *
lv__broker_node(const lv_broker *b)
{
	return b->ops == &redis_ops ? ((const rbroker *)b)->node : NULL;
}
