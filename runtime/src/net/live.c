/* live.c - synchronised state over the wire: each declared state's copies
 * (one, per group, per connection), their flushes as one reliable message
 * of patch operations to every page that sees them, the snapshot a page
 * gets when it starts to see one, and the changes pages make to the
 * states they own. The application's changes are in live_edit.c.
 *
 * A broker that shares states between nodes (broker.h: state_open ...)
 * makes global and group copies `shared`: their flushes go to it, and
 * their pages get each patch when the broker brings it back, numbered by
 * it (lv__state_remote); a copy is `loading` until the broker has its
 * value, and its pages get their snapshot then. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "state/state.h"
#include "net/live.h"

/* ---- the table: (state, group or connection) -> copy ------------------------- */

typedef struct {
	const lv_state_def *def;
	const char *group;
	const lv_conn *conn;
} copy_key;

static uint32_t
key_hash(const copy_key *k)
{
	uint32_t h = (uint32_t)(uintptr_t)k->def * 2654435761u;
	h ^= (uint32_t)(uintptr_t)k->conn * 40503u;
	return k->group ? h ^ lv__hash_str(k->group) : h;
}

static bool
key_eq(const lv_hnode *n, const void *kp)
{
	const lv_state *st = (const lv_state *)n;
	const copy_key *k = kp;
	return st->def == k->def && st->conn == k->conn &&
	       (st->group ? k->group && strcmp(st->group, k->group) == 0 : !k->group);
}

static lv_state *
find(lv_server *s, const copy_key *k)
{
	return (lv_state *)lv__htab_find(&s->live, key_hash(k), key_eq, k);
}

static bool
allowed(const lv_state_def *def, const lv_conn *c)
{
	if (def->flags & LV_EP_PUBLIC)
		return true;
	if (!c->authenticated)
		return false;
	for (uint32_t i = 0; i < def->nroles; i++) {
		if (strcmp(def->roles[i], "*") == 0)
			return true;
		for (size_t j = 0; j < c->nroles; j++)
			if (strcmp(def->roles[i], c->roles[j]) == 0)
				return true;
	}
	return false;
}

/* ---- messages ------------------------------------------------------------------------- */

/* {"t":"state","name":N[,"group":G],"rev":R,"ops":OPS} */
static lv_msg *
state_message(const lv_state *st, const char *ops, size_t len)
{
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, "{\"t\":\"state\",\"name\":");
	lv_buf_json_str(&b, st->def->name, strlen(st->def->name));
	if (st->group) {
		lv_buf_puts(&b, ",\"group\":");
		lv_buf_json_str(&b, st->group, strlen(st->group));
	}
	char rev[24];
	lv_buf_puts(&b, ",\"rev\":");
	lv_buf_append(&b, rev, lv__u64_dec(rev, st->doc.rev));
	lv_buf_puts(&b, ",\"ops\":");
	lv_buf_append(&b, ops, len);
	lv_buf_puts(&b, "}");
	lv_msg *m = b.failed ? NULL : lv__msg_new(b.data, b.len, LV_MSG_RELIABLE);
	lv_buf_free(&b);
	return m;
}

/* Queues m on every page here that sees st. Public states go to the
 * group's members (every page); others to each page here that holds a role they admit: a group
 * state's to the group's members only, a global state's to every page. */
static int
send_all(lv_state *st, lv_msg *m)
{
	lv_server *s = st->server;
	if (st->conn)
		return allowed(st->def, st->conn) ? lv__deliver(st->conn, m) : 0;
	/* A state's document lives on this node (its revisions are this
	 * node's): its pages here get it, whatever the broker shares. */
	if (st->def->flags & LV_EP_PUBLIC)
		return lv__groups_send(s, st->group, m);
	int rc = 0;
	if (st->group) {
		uint32_t n;
		lv_conn *const *members = lv__groups_members(s, st->group, &n);
		for (uint32_t i = 0; i < n; i++) {
			lv_conn *c = members[i];
			if (c->hello && !c->ended && allowed(st->def, c) && lv__deliver(c, m) != 0)
				rc = LV_ENOMEM;
		}
		return rc;
	}
	for (lv_conn *c = s->conns; c; c = c->next)
		if (c->hello && !c->ended && allowed(st->def, c) && lv__deliver(c, m) != 0)
			rc = LV_ENOMEM;
	return rc;
}

static int
send_snapshot(lv_state *st, lv_conn *to)
{
	lv_buf ops;
	lv_buf_init(&ops);
	lv__sdoc_snapshot(&st->doc, &ops);
	lv_msg *m = ops.failed ? NULL : state_message(st, ops.data, ops.len);
	lv_buf_free(&ops);
	if (!m)
		return LV_ENOMEM;
	int rc = to ? lv__deliver(to, m) : send_all(st, m);
	lv__msg_unref(m);
	return rc;
}

/* A shared copy's flush: to the broker, which brings it back to the pages
 * here as to every node's. Changes stay recorded while it cannot take
 * them, and while the copy loads (flushed once loaded). */
static int
flush_shared(lv_state *st)
{
	lv_broker *b = st->server->broker;
	if (st->loading)
		return 0;
	int ready = b->ops->state_ready(b, st);
	if (ready > 0)
		return 0;
	if (ready < 0) {
		b->stats.unavailable++;
		return ready;
	}
	lv_buf ops;
	lv_buf_init(&ops);
	lv__sdoc_flush(&st->doc, &ops);
	st->doc.rev--;               /* the broker numbers it */
	int rc = ops.failed ? LV_ENOMEM : b->ops->state_publish(b, st, ops.data, ops.len);
	lv_buf_free(&ops);
	return rc;
}

static void
stop_timer(lv_state *st)
{
	if (st->timer) {
		lv_timer_stop(st->timer);
		st->timer = NULL;
	}
}

int
lv_state_flush(lv_state *st)
{
	if (!st || !lv__on_loop(st->server))
		return LV_EINVALID_ARGUMENT;
	stop_timer(st);
	if (!lv__sdoc_pending(&st->doc))
		return 0;
	if (st->shared)
		return flush_shared(st);
	lv_buf ops;
	lv_buf_init(&ops);
	lv__sdoc_flush(&st->doc, &ops);
	lv_msg *m = ops.failed ? NULL : state_message(st, ops.data, ops.len);
	lv_buf_free(&ops);
	if (!m)
		return LV_ENOMEM;
	int rc = send_all(st, m);
	lv__msg_unref(m);
	return rc;
}

static void
flush_due(lv_server *s, lv_timer *t, void *arg)
{
	(void)s;
	(void)t;
	lv_state *st = arg;
	st->timer = NULL;            /* a timer that does not repeat frees itself */
	lv_state_flush(st);
}

/* A change was recorded: the flush its declaration asks for. */
int
lv__state_changed(lv_state *st)
{
	int32_t ms = st->def->flush_ms;
	if (ms == LV_FLUSH_MANUAL || st->timer || !lv__sdoc_pending(&st->doc))
		return 0;
	return lv_timer_start(st->server, (uint32_t)ms, false, flush_due, st, &st->timer);
}

/* ---- copies ------------------------------------------------------------------------------ */

/* Puts the declared defaults of struct fields into j, a value of type t
 * the codec wrote for zeroed memory. */
static void
put_defaults(const lv_type *t, json_t *j)
{
	if (t->kind != LV_K_STRUCT || !json_is_object(j))
		return;
	for (uint32_t i = 0; i < t->nfields; i++) {
		const lv_field *f = &t->fields[i];
		json_t *d = f->default_json ? json_loads(f->default_json, JSON_DECODE_ANY, NULL) : NULL;
		if (d)
			json_object_set_new(j, f->name, d);
		else
			put_defaults(f->type, json_object_get(j, f->name));
	}
}

/* The zero value of t as JSON: what the codec writes for zeroed memory,
 * with the declared defaults of fields. */
static json_t *
zero_value(const lv_type *t)
{
	void *v = calloc(1, t->size ? t->size : 1);
	lv_buf b;
	lv_error err;
	lv_buf_init(&b);
	json_t *j = NULL;
	if (v && lv_encode(&b, t, v, &err) == 0 && !b.failed)
		j = json_loadb(b.data, b.len, JSON_DECODE_ANY, NULL);
	if (j)
		put_defaults(t, j);
	lv_buf_free(&b);
	free(v);
	return j;
}

static void
free_copy(lv_state *st)
{
	if (st->shared)
		st->server->broker->ops->state_close(st->server->broker, st);
	stop_timer(st);
	lv__htab_remove(&st->server->live, &st->node);
	lv__sdoc_free(&st->doc);
	free(st->group);
	free(st);
}

/* The copy for k, made (and its zero value sent to who sees it) when
 * missing. */
static int
copy_of(lv_server *s, const copy_key *k, lv_state **out)
{
	*out = NULL;
	if (!lv__on_loop(s))
		return LV_EINVALID_ARGUMENT;
	lv_state *st = find(s, k);
	if (st) {
		*out = st;
		return 0;
	}
	json_t *zero = zero_value(k->def->type);
	st = calloc(1, sizeof *st);
	if (!zero || !st || (k->group && !(st->group = strdup(k->group)))) {
		json_decref(zero);
		if (st)
			free(st->group);
		free(st);
		return LV_ENOMEM;
	}
	st->server = s;
	st->def = k->def;
	st->conn = (lv_conn *)k->conn;
	lv__sdoc_init(&st->doc, zero);
	if (lv__htab_insert(&s->live, &st->node, key_hash(k))) {
		lv__sdoc_free(&st->doc);
		free(st->group);
		free(st);
		return LV_ENOMEM;
	}
	if (st->conn) {
		st->conn_next = st->conn->live;
		st->conn->live = st;
	}
	lv_broker *b = s->broker;
	if (!st->conn && b->ops->state_open) {
		st->shared = true;
		int rc = b->ops->state_open(b, st);   /* loading, until the broker has it */
		if (rc) {
			st->shared = false;
			free_copy(st);
			return rc;
		}
	}
	*out = st;
	return k->def->owner == LV_STATE_SERVER && !st->loading ? send_snapshot(st, NULL) : 0;
}

static const lv_state_def *
server_def(lv_server *s, const char *name, lv_state_scope scope, int *rc)
{
	const lv_state_def *def = name ? lv_app_find_state(s->app, name, strlen(name)) : NULL;
	*rc = !def || def->owner != LV_STATE_SERVER ? LV_ENOT_FOUND :
	      def->scope != scope ? LV_EINVALID_ARGUMENT : 0;
	return *rc ? NULL : def;
}

int
lv_state_global(lv_server *s, const char *name, lv_state **out)
{
	int rc;
	const lv_state_def *def = server_def(s, name, LV_SCOPE_GLOBAL, &rc);
	return def ? copy_of(s, &(copy_key){ def, NULL, NULL }, out) : rc;
}

int
lv_state_group(lv_server *s, const char *name, const char *group, lv_state **out)
{
	int rc;
	const lv_state_def *def = server_def(s, name, LV_SCOPE_GROUP, &rc);
	if (def && (!group || !*group))
		return LV_EINVALID_ARGUMENT;
	return def ? copy_of(s, &(copy_key){ def, group, NULL }, out) : rc;
}

int
lv_state_conn(lv_conn *c, const char *name, lv_state **out)
{
	int rc;
	if (!c)
		return LV_EINVALID_ARGUMENT;
	if (c->ended)
		return LV_ECLOSED;
	const lv_state_def *def = server_def(c->server, name, LV_SCOPE_CONN, &rc);
	return def ? copy_of(c->server, &(copy_key){ def, NULL, c }, out) : rc;
}

uint64_t
lv_state_rev(const lv_state *st)
{
	return st ? st->doc.rev : 0;
}

char *
lv_state_json(const lv_state *st)
{
	return st ? json_dumps(st->doc.root, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
}

/* ---- what pages see, as they come and go ------------------------------------------ */

void
lv__states_before_hello(lv_server *s)
{
	for (uint32_t i = 0; i < s->app->nstates; i++) {
		const lv_state_def *def = &s->app->states[i];
		lv_state *st = def->owner == LV_STATE_SERVER && def->scope == LV_SCOPE_GLOBAL ?
		               find(s, &(copy_key){ def, NULL, NULL }) : NULL;
		if (st)
			lv_state_flush(st);
	}
}

/* With a broker that shares states, a page that would see a copy this
 * node does not hold yet makes it: it may exist on other nodes. */
static lv_state *
seen_copy(lv_server *s, const copy_key *k)
{
	lv_state *st = find(s, k);
	if (!st && s->broker->ops->state_open && copy_of(s, k, &st) != 0)
		st = NULL;
	return st;
}

void
lv__states_hello(lv_conn *c)
{
	lv_server *s = c->server;
	for (uint32_t i = 0; i < s->app->nstates; i++) {
		const lv_state_def *def = &s->app->states[i];
		if (def->owner != LV_STATE_SERVER || def->scope != LV_SCOPE_GLOBAL || !allowed(def, c))
			continue;
		lv_state *st = seen_copy(s, &(copy_key){ def, NULL, NULL });
		if (st && !st->loading)
			send_snapshot(st, c);
	}
}

void
lv__states_before_join(lv_server *s, const char *group)
{
	for (uint32_t i = 0; i < s->app->nstates; i++) {
		const lv_state_def *def = &s->app->states[i];
		lv_state *st = def->scope == LV_SCOPE_GROUP ? find(s, &(copy_key){ def, group, NULL }) : NULL;
		if (st)
			lv_state_flush(st);
	}
}

void
lv__states_joined(lv_conn *c, const char *group)
{
	lv_server *s = c->server;
	for (uint32_t i = 0; i < s->app->nstates; i++) {
		const lv_state_def *def = &s->app->states[i];
		if (def->owner != LV_STATE_SERVER || def->scope != LV_SCOPE_GROUP || !allowed(def, c))
			continue;
		lv_state *st = seen_copy(s, &(copy_key){ def, group, NULL });
		if (st && !st->loading)
			send_snapshot(st, c);
	}
}

void
lv__states_left(lv_conn *c, const char *group)
{
	lv_server *s = c->server;
	for (uint32_t i = 0; i < s->app->nstates; i++) {
		const lv_state_def *def = &s->app->states[i];
		lv_state *st = def->scope == LV_SCOPE_GROUP ? find(s, &(copy_key){ def, group, NULL }) : NULL;
		if (!st || !allowed(def, c))
			continue;
		lv_msg *m = state_message(st, "null", 4);   /* ops null: it is gone */
		if (m)
			lv__deliver(c, m);
		lv__msg_unref(m);
	}
}

/* The copy of def that c sees (in its groups: each one's), by fn. */
static void
each_copy_of(lv_conn *c, const lv_state_def *def, void (*fn)(lv_state *st, lv_conn *c))
{
	lv_server *s = c->server;
	if (def->owner != LV_STATE_SERVER)
		return;
	lv_state *st;
	if (def->scope == LV_SCOPE_GLOBAL && (st = find(s, &(copy_key){ def, NULL, NULL })))
		fn(st, c);
	else if (def->scope == LV_SCOPE_CONN && (st = find(s, &(copy_key){ def, NULL, c })))
		fn(st, c);
	else if (def->scope == LV_SCOPE_GROUP)
		for (uint32_t i = 0; i < c->ngroups; i++)
			if ((st = find(s, &(copy_key){ def, c->groups[i]->name, NULL })))
				fn(st, c);
}

bool *
lv__states_visible(lv_conn *c)
{
	const lv_app *app = c->server->app;
	bool gated = false;
	for (uint32_t i = 0; i < app->nstates; i++)
		gated |= app->states[i].owner == LV_STATE_SERVER && !(app->states[i].flags & LV_EP_PUBLIC);
	bool *saw = gated ? calloc(app->nstates, sizeof *saw) : NULL;
	for (uint32_t i = 0; saw && i < app->nstates; i++)
		saw[i] = allowed(&app->states[i], c);
	return saw;
}

static void
snapshot_to(lv_state *st, lv_conn *c)
{
	if (!st->loading)
		send_snapshot(st, c);
}

static void
end_to(lv_state *st, lv_conn *c)
{
	lv_msg *m = state_message(st, "null", 4);
	if (m)
		lv__deliver(c, m);
	lv__msg_unref(m);
}

void
lv__states_before_auth(lv_server *s)
{
	for (uint32_t i = 0; i < s->app->nstates; i++) {
		const lv_state_def *def = &s->app->states[i];
		if (def->owner != LV_STATE_SERVER || (def->flags & LV_EP_PUBLIC))
			continue;
		uint32_t b = 0;
		for (lv_hnode *n = lv__htab_next(&s->live, NULL, &b); n; n = lv__htab_next(&s->live, n, &b))
			if (((lv_state *)n)->def == def)
				lv_state_flush((lv_state *)n);
	}
}

void
lv__states_after_auth(lv_conn *c, bool *saw)
{
	const lv_app *app = c->server->app;
	for (uint32_t i = 0; i < app->nstates; i++) {
		bool now = allowed(&app->states[i], c);
		if (now != saw[i])
			each_copy_of(c, &app->states[i], now ? snapshot_to : end_to);
	}
	free(saw);
}

void
lv__states_conn_ended(lv_conn *c)
{
	while (c->live) {
		lv_state *st = c->live;
		c->live = st->conn_next;
		free_copy(st);
	}
}

void
lv__states_free(lv_server *s)
{
	uint32_t b = 0;
	lv_hnode *n = lv__htab_next(&s->live, NULL, &b);
	while (n) {
		lv_hnode *next = lv__htab_next(&s->live, n, &b);
		lv_state *st = (lv_state *)n;
		if (st->shared)
			s->broker->ops->state_close(s->broker, st);
		stop_timer(st);
		lv__sdoc_free(&st->doc);
		free(st->group);
		free(st);
		n = next;
	}
	lv__htab_free(&s->live);
}

/* ---- states the page owns ----------------------------------------------------------- */

/* The page's copy and the server's disagree: it gets the server's. */
static void
resync_page(lv_state *st, int status, const char *why)
{
	lv__send_error(st->conn, NULL, status, why, st->def->name);
	send_snapshot(st, st->conn);
}

void
lv__state_from_page(lv_conn *c, json_t *msg, size_t len)
{
	lv_server *s = c->server;
	const char *name = json_string_value(json_object_get(msg, "name"));
	const lv_state_def *def = name ? lv_app_find_state(s->app, name, strlen(name)) : NULL;
	char why[200];
	if (!def || def->owner != LV_STATE_CLIENT) {
		snprintf(why, sizeof why, "no state '%.60s' that a page owns", name ? name : "");
		lv__send_error(c, NULL, LV_EINVALID_ARGUMENT, why, "name");
		return;
	}
	if (!allowed(def, c)) {
		lv__send_error(c, NULL, c->authenticated ? LV_EPERMISSION_DENIED : LV_EUNAUTHENTICATED,
		               "this page may not write that state", def->name);
		return;
	}
	size_t max = def->max_bytes > 0 ? (size_t)def->max_bytes : s->opt.max_message;
	lv_state *st;
	if (copy_of(s, &(copy_key){ def, NULL, c }, &st) != 0)
		return;
	if (len > max) {
		resync_page(st, LV_ETOO_LARGE, "the change is larger than the state's max");
		return;
	}
	json_t *jrev = json_object_get(msg, "rev");
	if (!json_is_integer(jrev) || json_integer_value(jrev) < 0 ||
	    (uint64_t)json_integer_value(jrev) != st->doc.rev + 1) {
		snprintf(why, sizeof why, "revision %lld follows %llu: a change is missing",
		         json_is_integer(jrev) ? (long long)json_integer_value(jrev) : -1LL,
		         (unsigned long long)st->doc.rev);
		resync_page(st, LV_EINVALID_ARGUMENT, why);
		return;
	}
	json_t *next = json_deep_copy(st->doc.root);
	lv_patch_error perr;
	if (!next)
		return;
	if (lv__patch_apply(&next, json_object_get(msg, "ops"), &perr) != 0) {
		snprintf(why, sizeof why, "operation %zu: %s", perr.op, perr.why);
		json_decref(next);
		resync_page(st, LV_EINVALID_ARGUMENT, why);
		return;
	}
	/* The whole value must still be of its type. */
	char *text = json_dumps(next, JSON_COMPACT | JSON_ENCODE_ANY);
	lv_arena a;
	lv_error err;
	lv_arena_init(&a);
	void *v = lv_arena_alloc(&a, def->type->size ? def->type->size : 1);
	int rc = text && v ? lv_decode(def->type, text, strlen(text), v, &a, &s->opt.limits, &err)
	                   : LV_ENOMEM;
	free(text);
	if (rc) {
		json_decref(next);
		if (rc == LV_EINVALID_ARGUMENT) {
			snprintf(why, sizeof why, "%s%s%s", err.path, err.path[0] ? ": " : "", err.message);
			resync_page(st, rc, why);
		}
		lv_arena_free(&a);
		return;
	}
	json_decref(st->doc.root);
	st->doc.root = next;
	st->doc.rev++;
	if (def->changed) {
		rc = def->changed(c, v);
		if (rc < 0)
			LV_LOG(s, LV_LOG_WARN, "state %s: the changed handler returned %s", def->name,
			       lv_strerror(rc));
	}
	lv_arena_free(&a);
}

void
lv__state_sync(lv_conn *c, json_t *msg)
{
	lv_server *s = c->server;
	const char *name = json_string_value(json_object_get(msg, "name"));
	const char *group = json_string_value(json_object_get(msg, "group"));
	const lv_state_def *def = name ? lv_app_find_state(s->app, name, strlen(name)) : NULL;
	if (!def || !allowed(def, c)) {
		lv__send_error(c, NULL, LV_EINVALID_ARGUMENT, "no such state for this page", "name");
		return;
	}
	copy_key k = { def, NULL, NULL };
	if (def->owner == LV_STATE_CLIENT || def->scope == LV_SCOPE_CONN)
		k.conn = c;
	else if (def->scope == LV_SCOPE_GROUP) {
		bool member = false;
		for (uint32_t i = 0; group && i < c->ngroups && !member; i++)
			member = strcmp(c->groups[i]->name, group) == 0;
		if (!member) {
			lv__send_error(c, NULL, LV_EINVALID_ARGUMENT, "the page is not in that group",
			               "group");
			return;
		}
		k.group = group;
	}
	lv_state *st = def->owner == LV_STATE_SERVER && !k.conn ? seen_copy(s, &k) : find(s, &k);
	if (!st || st->loading)
		return;                  /* nothing yet: it comes when it is made, or loaded */
	if (def->owner == LV_STATE_SERVER)
		lv_state_flush(st);
	send_snapshot(st, c);
}

int
lv_state_read(lv_conn *c, const char *name, void *out, lv_arena *a)
{
	if (!c || !name || !out || !a)
		return LV_EINVALID_ARGUMENT;
	lv_server *s = c->server;
	const lv_state_def *def = lv_app_find_state(s->app, name, strlen(name));
	if (!def || def->owner != LV_STATE_CLIENT)
		return LV_ENOT_FOUND;
	lv_state *st = find(s, &(copy_key){ def, NULL, c });
	json_t *zero = st ? NULL : zero_value(def->type);
	char *text = json_dumps(st ? st->doc.root : zero, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(zero);
	lv_error err;
	int rc = text ? lv_decode(def->type, text, strlen(text), out, a, &s->opt.limits, &err)
	              : LV_ENOMEM;
	free(text);
	return rc;
}

/* ---- a shared copy, from the broker ---------------------------------------------- */

void
lv__state_reset(lv_state *st, uint64_t rev, json_t *doc, lv_buf *held)
{
	if (lv__sdoc_pending(&st->doc)) {
		lv_buf ops;
		lv_buf_init(&ops);
		lv__sdoc_flush(&st->doc, &ops);
		if (!ops.failed && ops.len > 2) {
			if (held->len)
				lv_buf_puts(held, ",");
			lv_buf_append(held, ops.data + 1, ops.len - 2);
		}
		lv_buf_free(&ops);
	}
	if (!doc)
		doc = zero_value(st->def->type);
	if (doc) {
		json_decref(st->doc.root);
		st->doc.root = doc;
	}
	st->doc.rev = rev;
}

void
lv__state_remote(lv_state *st, uint64_t rev, const json_t *ops, const char *body, size_t len)
{
	bool skipped = false;
	if (ops) {
		lv_patch_error perr;
		int rc = lv__patch_apply(&st->doc.root, ops, &perr);
		if (rc) {
			skipped = true;
			LV_LOG(st->server, LV_LOG_WARN, "state %s%s%s: revision %llu does not apply here "
			       "(operation %zu: %s); skipped, and its pages here get a snapshot",
			       st->def->name, st->group ? " of group " : "", st->group ? st->group : "",
			       (unsigned long long)rev, perr.op, rc == LV_ENOMEM ? "no memory" : perr.why);
		}
	}
	st->doc.rev = rev;
	if (!body || st->loading)
		return;
	if (skipped) {
		send_snapshot(st, NULL);
		return;
	}
	lv_msg *m = lv__msg_new(body, len, LV_MSG_RELIABLE);
	if (m)
		send_all(st, m);
	lv__msg_unref(m);
}

static int
op_kind(const char *op, lv_op_kind *kind)
{
	if (!op)
		return -1;
	*kind = strcmp(op, "add") == 0 ? LV_OP_ADD : strcmp(op, "remove") == 0 ? LV_OP_REMOVE :
	        strcmp(op, "replace") == 0 ? LV_OP_REPLACE : LV_OP_MOVE;
	return strcmp(op, "move") == 0 || *kind != LV_OP_MOVE ? 0 : -1;
}

void
lv__state_loaded(lv_state *st, const char *held, size_t len, bool tell_pages)
{
	bool was = st->loading;
	st->loading = false;
	/* The broker's value first; what was held comes as the next patch. */
	if (tell_pages || was)
		send_snapshot(st, NULL);
	if (held && len) {
		lv_buf b;
		lv_buf_init(&b);
		lv_buf_puts(&b, "[");
		lv_buf_append(&b, held, len);
		lv_buf_puts(&b, "]");
		json_t *ops = b.failed ? NULL : json_loadb(b.data, b.len, 0, NULL);
		lv_buf_free(&b);
		size_t i, dropped = 0;
		json_t *op;
		json_array_foreach(ops, i, op) {
			lv_op_kind kind;
			lv_patch_error perr;
			json_t *v = json_object_get(op, "value");
			if (op_kind(json_string_value(json_object_get(op, "op")), &kind) != 0 ||
			    !json_is_string(json_object_get(op, "path")) ||
			    lv__sdoc_op(&st->doc, kind, json_string_value(json_object_get(op, "path")),
			                json_string_value(json_object_get(op, "from")),
			                kind == LV_OP_REMOVE || kind == LV_OP_MOVE ? NULL : json_incref(v),
			                &perr) != 0)
				dropped++;
		}
		if (!ops || dropped)
			LV_LOG(st->server, LV_LOG_WARN, "state %s%s%s: %s changes made here did not apply "
			       "to the broker's value and were dropped", st->def->name,
			       st->group ? " of group " : "", st->group ? st->group : "",
			       ops ? "some" : "the");
		json_decref(ops);
	}
	lv__state_changed(st);
}
