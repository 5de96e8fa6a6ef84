/* test_presence.c - presence's wire (net/presence_wire.c), lv_group_members and lv_group_list locally.
 *
 * Member entries and join and leave events made and parsed back, junk of
 * every kind refused without a crash. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "net/net.h"
#include "net/presence.h"

/* ---- libwebsockets, stood in for at link time (as in test_groups.c) --------------- */

static char fake_socket;
#define WSI ((struct lws *)&fake_socket)

size_t
lws_get_random(struct lws_context *context, void *buf, size_t len)
{
	static uint64_t x = 0x853c49e6748fea9bu;
	(void)context;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		((unsigned char *)buf)[i] = (unsigned char)x;
	}
	return len;
}

int
lws_callback_on_writable(struct lws *wsi)
{
	(void)wsi;
	return 1;
}

static bool
is(const char *p, size_t n, const char *want)
{
	return p && strlen(want) == n && memcmp(p, want, n) == 0;
}

Test(presence_wire, entry_made_and_parsed_back)
{
	size_t len;
	char *v = lv__pres_entry_make("web-1", "ann\xc3\xa9", &len);
	cr_assert(v);
	cr_assert_eq(len, strlen(v));
	cr_assert_str_eq(v, "web-1\n=ann\xc3\xa9");
	lv_pres_entry e;
	cr_assert(lv__pres_entry_parse(v, len, &e));
	cr_assert(is(e.node, e.node_len, "web-1"));
	cr_assert(is(e.identity, e.identity_len, "ann\xc3\xa9"));
	free(v);

	v = lv__pres_entry_make("n.2", NULL, &len);
	cr_assert_str_eq(v, "n.2\n-");
	cr_assert(lv__pres_entry_parse(v, len, &e));
	cr_assert_null(e.identity);
	free(v);

	/* an empty identity is one, not anonymous */
	cr_assert(lv__pres_entry_parse("a\n=", 3, &e));
	cr_assert_not_null(e.identity);
	cr_assert_eq(e.identity_len, 0);
}

Test(presence_wire, long_identity_cut_at_a_character)
{
	char *id = malloc(LV_PRES_IDENTITY_MAX + 10);
	cr_assert(id);
	/* "é" (2 bytes) again and again: the cut must not split one */
	for (size_t i = 0; i + 1 < LV_PRES_IDENTITY_MAX + 9; i += 2)
		id[i] = '\xc3', id[i + 1] = '\xa9';
	id[LV_PRES_IDENTITY_MAX + 9] = '\0';
	id[LV_PRES_IDENTITY_MAX + 8] = '\0';
	size_t len;
	char *v = lv__pres_entry_make("n", id, &len);
	lv_pres_entry e;
	cr_assert(lv__pres_entry_parse(v, len, &e));
	cr_assert_leq(e.identity_len, LV_PRES_IDENTITY_MAX);
	cr_assert_eq(e.identity_len % 2, 0, "cut between characters");
	free(v);
	free(id);
}

Test(presence_wire, entry_junk_refused)
{
	static const char *const junk[] = {
		"", "\n", "node", "node\n", "node\n?", "node\n-x", "\n=a", "no de\n=a",
		"a/b\n=x", "node\n=a\0b",
		"0123456789012345678901234567890123456789012345678901234567890123456789\n=x",
	};
	static const size_t lens[] = { 0, 1, 4, 5, 6, 7, 3, 7, 5, 9, 72 };
	lv_pres_entry e;
	for (size_t i = 0; i < sizeof junk / sizeof *junk; i++)
		cr_expect_not(lv__pres_entry_parse(junk[i], lens[i], &e), "junk %zu taken", i);
	cr_expect_not(lv__pres_entry_parse(NULL, 0, &e));
}

Test(presence_wire, events_parsed)
{
	const char m[] = "Pnode-b\nxc12ab\nnode-a\n=root";
	lv_pres_wire w;
	cr_assert(lv__pres_wire_parse(m, sizeof m - 1, &w));
	cr_assert(is(w.origin, w.origin_len, "node-b"));
	cr_assert_eq(w.kind, LV_PRESENCE_NODE_DIED);
	cr_assert(is(w.conn, w.conn_len, "c12ab"));
	cr_assert(is(w.entry.node, w.entry.node_len, "node-a"));
	cr_assert(is(w.entry.identity, w.entry.identity_len, "root"));
	static const struct { char c; lv_presence_kind k; } kinds[] = {
		{ 'j', LV_PRESENCE_JOINED }, { 'l', LV_PRESENCE_LEFT },
		{ 'd', LV_PRESENCE_DISCONNECTED }, { 'x', LV_PRESENCE_NODE_DIED },
	};
	for (size_t i = 0; i < 4; i++) {
		char buf[64];
		int n = snprintf(buf, sizeof buf, "Pa\n%cc1\na\n-", kinds[i].c);
		cr_assert(lv__pres_wire_parse(buf, (size_t)n, &w));
		cr_assert_eq(w.kind, kinds[i].k);
		cr_assert_eq(lv__pres_kind_char(kinds[i].k), kinds[i].c);
		cr_assert_null(w.entry.identity);
	}
}

Test(presence_wire, event_junk_refused)
{
	static const char *const junk[] = {
		"", "P", "P\n", "Pa\n", "Pa\nj", "Pa\njc1", "Pa\njc1\n", "Pa\nqc1\na\n-",
		"Pa\nj\na\n-", "Pa\nj!!\na\n-", "Pa\njc1\n\n-", "Rna\njc1\na\n-",
		"Pa\njc12345678901234567890\na\n-", "P\njc1\na\n-",
	};
	lv_pres_wire w;
	for (size_t i = 0; i < sizeof junk / sizeof *junk; i++)
		cr_expect_not(lv__pres_wire_parse(junk[i], strlen(junk[i]), &w), "junk %zu taken", i);
}

/* Every prefix, and random bytes: refused or parsed, never read out of
 * bounds (the sanitizer builds would say). */
Test(presence_wire, prefixes_and_random_bytes)
{
	const char m[] = "Pnode-b\njc12ab\nnode-a\n=root";
	lv_pres_wire w;
	/* past the '=', a shorter identity: every shorter prefix is junk */
	for (size_t n = 0; n <= (size_t)(strchr(m, '=') - m); n++) {
		char *p = malloc(n ? n : 1);
		memcpy(p, m, n);
		cr_expect_not(lv__pres_wire_parse(p, n, &w), "prefix %zu taken", n);
		free(p);
	}
	uint64_t x = 88172645463325252u;
	static const char alphabet[] = "Pjldx\n=-abc1\0\xff.";
	for (int round = 0; round < 20000; round++) {
		size_t n = (size_t)(x % 40);
		char *p = malloc(n ? n : 1);
		for (size_t i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			p[i] = alphabet[x % (sizeof alphabet - 1)];
		}
		if (n)
			p[0] = 'P';
		if (lv__pres_wire_parse(p, n, &w)) {
			cr_assert(w.origin >= p && w.origin + w.origin_len <= p + n);
			cr_assert(w.conn >= p && w.conn + w.conn_len <= p + n);
			cr_assert(w.entry.node >= p && w.entry.node + w.entry.node_len <= p + n);
		}
		lv_pres_entry e;
		(void)lv__pres_entry_parse(p, n, &e);
		free(p);
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
	}
}

Test(presence_wire, group_names)
{
	cr_assert(lv__presence_group_ok("room", 4));
	cr_assert_not(lv__presence_group_ok("", 0));
	cr_assert_not(lv__presence_group_ok("lv.all", 6));
	cr_assert_not(lv__presence_group_ok("a\0b", 3));
	char big[300];
	memset(big, 'a', sizeof big);
	cr_assert(lv__presence_group_ok(big, 256));
	cr_assert_not(lv__presence_group_ok(big, 257));
}

/* ---- lv_group_members on the local broker ---------------------------------------- */

static const lv_app empty_app = { .abi = LV_ABI_VERSION, .name = "t" };

typedef struct {
	int calls, status;
	size_t n;
	char ids[4][20];
	bool anonymous[4], local[4];
} seen_members;

static void
got(lv_server *s, const char *group, int status, const lv_member *m, size_t n, void *user)
{
	(void)s;
	seen_members *seen = user;
	cr_assert_str_eq(group, "room");
	seen->calls++;
	seen->status = status;
	seen->n = n;
	for (size_t i = 0; i < n && i < 4; i++) {
		snprintf(seen->ids[i], sizeof seen->ids[i], "%s", m[i].conn_id);
		seen->anonymous[i] = m[i].identity == NULL;
		seen->local[i] = m[i].local;
	}
}

typedef struct {
	int calls;
	size_t n;
	bool room, other;
} seen_groups;

static void
got_groups(lv_server *s, int status, const char *const *g, size_t n, void *user)
{
	(void)s;
	seen_groups *seen = user;
	cr_assert_eq(status, 0);
	seen->calls++;
	seen->n = n;
	for (size_t i = 0; i < n; i++) {
		seen->room |= strcmp(g[i], "room") == 0;
		seen->other |= strcmp(g[i], "other") == 0;
	}
}

Test(presence_local, members_at_once)
{
	lv_server *s = calloc(1, sizeof *s);
	cr_assert(s);
	s->app = &empty_app;
	s->opt.max_queue = 4096;
	s->opt.max_queue_bytes = 8u << 20;
	s->opt.max_detached = 10000;
	s->opt.max_detached_bytes = 64u << 20;
	s->log.level = LV_LOG_DEFAULT;
	s->broker = lv__broker_local(s);
	lv_conn *a = lv__conn_new(s, WSI), *b = lv__conn_new(s, WSI);
	cr_assert(a && b);
	a->hello = b->hello = true;
	s->npages = 2;
	cr_assert_eq(lv__session_begin(a), 0);
	cr_assert_eq(lv__session_begin(b), 0);

	seen_members seen = { 0 };
	cr_assert_eq(lv_group_members(s, "room", got, &seen), 0);
	cr_assert_eq(seen.calls, 1, "answered before it returns");
	cr_assert_eq(seen.n, 0);

	cr_assert_eq(lv_group_join(a, "room"), 0);
	cr_assert_eq(lv_group_join(b, "room"), 0);
	cr_assert_eq(lv_group_join(b, "room"), 0);
	memset(&seen, 0, sizeof seen);
	cr_assert_eq(lv_group_members(s, "room", got, &seen), 0);
	cr_assert_eq(seen.calls, 1);
	cr_assert_eq(seen.status, 0);
	cr_assert_eq(seen.n, 2, "a page joined twice is one member");
	cr_assert(seen.local[0] && seen.local[1] && seen.anonymous[0]);
	cr_assert(strcmp(seen.ids[0], a->id) == 0 || strcmp(seen.ids[1], a->id) == 0);

	cr_assert_eq(lv_group_join(a, "other"), 0);
	seen_groups gs = { 0 };
	cr_assert_eq(lv_group_list(s, got_groups, &gs), 0);
	cr_assert_eq(gs.calls, 1, "answered before it returns");
	cr_assert_eq(gs.n, 2);
	cr_assert(gs.room && gs.other);

	cr_assert_eq(lv_group_members(s, "lv.all", got, &seen), LV_EINVALID_ARGUMENT);
	cr_assert_eq(lv_group_members(s, NULL, got, &seen), LV_EINVALID_ARGUMENT);
	cr_assert_eq(seen.calls, 1, "not called for a refused name");

	while (s->conns)
		lv__conn_end(s->conns);
	s->broker->ops->free(s->broker);
	free(s);
}
