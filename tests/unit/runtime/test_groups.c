/* test_groups.c - net/group.c through net/broker.c and the local broker: membership, idempotent join and leave, leave_all at a session's end, sizes, delivery to members and to every page, and a group freed with its last member. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "net/net.h"

/* ---- libwebsockets, stood in for at link time ------------------------------------
 * Connection ids and tokens come from lws_get_random, and a queue asks
 * lws_callback_on_writable of its socket; these definitions in the test
 * binary take the shared library's place, so a connection can have a
 * "socket" (WSI) with no context behind it. */

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
	cr_assert_eq(wsi, WSI);
	return 1;
}

/* ---- a server and pages, built by hand ------------------------------------------ */

/* An app with nothing declared: joins and leaves ask it for the states
 * of groups. */
static const lv_app empty_app = { .abi = LV_ABI_VERSION, .name = "t" };

static lv_server *
server(uint32_t max_queue)
{
	lv_server *s = calloc(1, sizeof *s);
	cr_assert(s);
	s->app = &empty_app;
	s->opt.max_queue = max_queue ? max_queue : 4096;
	s->opt.max_queue_bytes = 8u << 20;
	s->opt.max_detached = 10000;
	s->opt.max_detached_bytes = 64u << 20;
	s->log.level = LV_LOG_DEFAULT;   /* quiet: overflow warnings are expected */
	s->broker = lv__broker_local(s);
	cr_assert(s->broker);
	return s;
}

static void
server_free(lv_server *s)
{
	while (s->conns)
		lv__conn_end(s->conns);
	cr_expect_eq(s->groups.n, 0, "no group outlives its members");
	s->broker->ops->free(s->broker);
	free(s);
}

static lv_conn *
page(lv_server *s)
{
	lv_conn *c = lv__conn_new(s, WSI);
	cr_assert(c);
	c->hello = true;
	s->npages++;
	cr_assert_eq(lv__session_begin(c), 0);
	return c;
}

static bool
in_group(const lv_conn *c, const char *name)
{
	for (uint32_t i = 0; i < c->ngroups; i++)
		if (strcmp(c->groups[i]->name, name) == 0)
			return true;
	return false;
}

/* Both sides of membership agree: every member of every group lists it
 * once, every group a connection lists has it as a member once. Returns
 * the number of groups. */
static size_t
check_consistent(lv_server *s)
{
	size_t groups = 0;
	uint32_t at = 0;
	for (lv_hnode *n = lv__htab_next(&s->groups, NULL, &at); n;
	     n = lv__htab_next(&s->groups, n, &at)) {
		lv_group *g = (lv_group *)n;
		groups++;
		cr_assert_gt(g->n, 0, "%s: an empty group is gone", g->name);
		cr_assert_leq(g->n, g->cap);
		cr_assert_eq(n->hash, lv__hash_str(g->name));
		for (uint32_t i = 0; i < g->n; i++) {
			lv_conn *c = g->members[i];
			int times = 0;
			for (uint32_t k = 0; k < c->ngroups; k++)
				times += c->groups[k] == g;
			cr_assert_eq(times, 1, "%s lists %s %d times", c->id, g->name, times);
			for (uint32_t k = i + 1; k < g->n; k++)
				cr_assert_neq(g->members[k], c, "%s twice in %s", c->id, g->name);
		}
	}
	for (lv_conn *c = s->conns; c; c = c->next)
		for (uint32_t k = 0; k < c->ngroups; k++) {
			lv_group *g = c->groups[k];
			int times = 0;
			for (uint32_t i = 0; i < g->n; i++)
				times += g->members[i] == c;
			cr_assert_eq(times, 1, "%s is in %s %d times", c->id, g->name, times);
		}
	cr_assert_eq(groups, s->groups.n);
	return groups;
}

static lv_msg *
msg(lv_msg_kind kind, const char *text)
{
	lv_msg *m = lv__msg_new(text, strlen(text), kind);
	cr_assert(m);
	return m;
}

/* ---- membership -------------------------------------------------------------------- */

Test(groups, join_and_leave_are_idempotent)
{
	lv_server *s = server(0);
	lv_conn *a = page(s), *b = page(s);
	cr_expect_eq(lv_group_size(s, "room"), 0);
	cr_expect_eq(lv_group_join(a, "room"), 0);
	cr_expect_eq(lv_group_join(a, "room"), 0);
	cr_expect_eq(lv_group_size(s, "room"), 1);
	cr_expect_eq(a->ngroups, 1);
	cr_expect_eq(lv_group_join(b, "room"), 0);
	cr_expect_eq(lv_group_size(s, "room"), 2);
	cr_expect(in_group(a, "room") && in_group(b, "room"));

	cr_expect_eq(lv_group_leave(a, "room"), 0);
	cr_expect_eq(lv_group_leave(a, "room"), 0);
	cr_expect_eq(lv_group_size(s, "room"), 1);
	cr_expect_eq(a->ngroups, 0);
	cr_expect_not(in_group(a, "room"));
	cr_expect(in_group(b, "room"));
	/* Leaving a group one is not in, or that does not exist: nothing. */
	cr_expect_eq(lv_group_leave(a, "room"), 0);
	cr_expect_eq(lv_group_leave(a, "nowhere"), 0);
	cr_expect_eq(lv_group_size(s, "room"), 1);
	cr_expect_eq(lv_group_size(s, "nowhere"), 0);
	cr_expect_eq(s->groups.n, 1, "asking for a size made no group");
	check_consistent(s);
	server_free(s);
}

Test(groups, a_group_is_freed_with_its_last_member)
{
	lv_server *s = server(0);
	lv_conn *a = page(s), *b = page(s);
	lv_group_join(a, "x");
	lv_group_join(b, "x");
	lv_group_join(a, "y");
	cr_expect_eq(s->groups.n, 2);
	lv_group_leave(a, "x");
	cr_expect_eq(s->groups.n, 2);
	lv_group_leave(b, "x");
	cr_expect_eq(s->groups.n, 1, "x went with b");
	cr_expect_eq(lv_group_size(s, "x"), 0);
	/* Joining again makes it anew. */
	cr_expect_eq(lv_group_join(b, "x"), 0);
	cr_expect_eq(lv_group_size(s, "x"), 1);
	cr_expect_eq(s->groups.n, 2);
	lv_group_leave(b, "x");
	lv_group_leave(a, "y");
	cr_expect_eq(s->groups.n, 0);
	cr_expect_eq(a->ngroups + b->ngroups, 0);
	server_free(s);
}

Test(groups, names_are_checked)
{
	lv_server *s = server(0);
	lv_conn *c = page(s);
	char longest[258];
	memset(longest, 'n', 257);
	longest[257] = '\0';
	cr_expect_eq(lv_group_join(c, NULL), LV_EINVALID_ARGUMENT);
	cr_expect_eq(lv_group_join(c, ""), LV_EINVALID_ARGUMENT);
	cr_expect_eq(lv_group_join(c, "lv.all"), LV_EINVALID_ARGUMENT, "reserved");
	cr_expect_eq(lv_group_join(c, "lv.mine"), LV_EINVALID_ARGUMENT);
	cr_expect_eq(lv_group_join(c, longest), LV_EINVALID_ARGUMENT, "257 bytes");
	cr_expect_eq(lv_group_leave(c, NULL), LV_EINVALID_ARGUMENT);
	cr_expect_eq(lv_group_leave(c, "lv.all"), LV_EINVALID_ARGUMENT);
	cr_expect_eq(s->groups.n, 0);
	longest[256] = '\0';
	cr_expect_eq(lv_group_join(c, longest), 0, "256 bytes");
	cr_expect_eq(lv_group_join(c, "lv"), 0, "only the lv. prefix is reserved");
	cr_expect_eq(c->ngroups, 2);
	server_free(s);
}

Test(groups, an_ended_session_joins_nothing)
{
	lv_server *s = server(0);
	lv_conn *c = lv_conn_ref(page(s));
	lv_group_join(c, "room");
	lv__conn_end(c);
	cr_expect_eq(c->ngroups, 0);
	cr_expect_eq(lv_group_size(s, "room"), 0);
	cr_expect_eq(s->groups.n, 0);
	cr_expect_eq(lv_group_join(c, "room"), LV_ECLOSED);
	cr_expect_eq(s->groups.n, 0);
	lv_conn_unref(c);
	server_free(s);
}

Test(groups, the_size_of_every_page)
{
	lv_server *s = server(0);
	page(s);
	page(s);
	lv_conn *c = page(s);
	lv__conn_new(s, WSI);   /* no hello: not a page */
	cr_expect_eq(lv_group_size(s, NULL), 3);
	cr_expect_eq(lv_group_size(s, "lv.all"), 3);
	lv__conn_end(c);
	cr_expect_eq(lv_group_size(s, "lv.all"), 2);
	server_free(s);
}

/* Groups of connection i in the many-connections test. */
static bool
member_of(int i, int g)
{
	switch (g) {
	case 0: return true;             /* "all" */
	case 1: return i % 2 == 0;       /* "even" */
	case 2: return i % 3 == 0;       /* "three" */
	default: return i % 10 == g - 3; /* "d0" .. "d9" */
	}
}

static void
group_name(int g, char *out)
{
	static const char *const names[] = { "all", "even", "three" };
	if (g < 3)
		strcpy(out, names[g]);
	else
		sprintf(out, "d%d", g - 3);
}

Test(groups, membership_from_many_connections)
{
	enum { N = 600, G = 13 };
	lv_server *s = server(0);
	lv_conn *c[N];
	static bool in[N][G];
	char name[16];
	for (int i = 0; i < N; i++)
		c[i] = lv_conn_ref(page(s));
	/* Joins, interleaved across groups and connections, twice over. */
	for (int round = 0; round < 2; round++)
		for (int g = 0; g < G; g++)
			for (int i = 0; i < N; i++)
				if (member_of(i, g)) {
					group_name(g, name);
					cr_assert_eq(lv_group_join(c[i], name), 0);
					in[i][g] = true;
				}
	cr_expect_eq(check_consistent(s), G);
	cr_expect_eq(lv_group_size(s, "all"), N);
	cr_expect_eq(lv_group_size(s, "even"), N / 2);
	cr_expect_eq(lv_group_size(s, "three"), N / 3);
	cr_expect_eq(lv_group_size(s, "d7"), N / 10);
	cr_expect_eq(c[6]->ngroups, 4);   /* all, even, three, d6 */

	/* Leaves: every fourth leaves "all" and "even"; every fifth leaves
	 * its digit group; every seventh ends (leave_all). */
	for (int i = 0; i < N; i++) {
		if (i % 4 == 0) {
			lv_group_leave(c[i], "all");
			lv_group_leave(c[i], "even");
			in[i][0] = in[i][1] = false;
		}
		if (i % 5 == 0) {
			group_name(3 + i % 10, name);
			lv_group_leave(c[i], name);
			in[i][3 + i % 10] = false;
		}
		if (i % 7 == 0) {
			lv__conn_end(c[i]);
			for (int g = 0; g < G; g++)
				in[i][g] = false;
		}
	}
	check_consistent(s);
	for (int g = 0; g < G; g++) {
		size_t want = 0;
		for (int i = 0; i < N; i++)
			want += in[i][g];
		group_name(g, name);
		cr_expect_eq(lv_group_size(s, name), want, "%s: %zu, not %zu", name,
		             lv_group_size(s, name), want);
		for (int i = 0; i < N; i++)
			cr_assert_eq(in_group(c[i], name), in[i][g], "%d in %s", i, name);
	}
	/* d0 and d5: all of theirs are multiples of 5, so they left; gone. */
	cr_expect_eq(lv_group_size(s, "d0"), 0);
	cr_expect_eq(lv_group_size(s, "d5"), 0);
	cr_expect_eq(s->groups.n, G - 2);
	for (int i = 0; i < N; i++)
		lv_conn_unref(c[i]);
	server_free(s);
}

Test(groups, a_session_ending_leaves_all_its_groups)
{
	lv_server *s = server(0);
	lv_conn *a = page(s), *b = page(s);
	char name[16];
	for (int g = 0; g < 50; g++) {
		snprintf(name, sizeof name, "g%d", g);
		lv_group_join(a, name);
		if (g % 2)
			lv_group_join(b, name);
	}
	cr_expect_eq(a->ngroups, 50);
	cr_expect_eq(s->groups.n, 50);
	/* Through the broker's leave_all, as lv__conn_end does. */
	s->broker->ops->leave_all(s->broker, a);
	cr_expect_eq(a->ngroups, 0);
	cr_expect_eq(s->groups.n, 25, "the groups only a was in are gone");
	check_consistent(s);
	for (int g = 0; g < 50; g++) {
		snprintf(name, sizeof name, "g%d", g);
		cr_expect_eq(lv_group_size(s, name), g % 2 ? 1u : 0u);
	}
	lv__conn_end(b);
	cr_expect_eq(s->groups.n, 0);
	server_free(s);
}

/* ---- delivery -------------------------------------------------------------------- */

Test(groups, a_publish_reaches_the_members_only)
{
	lv_server *s = server(0);
	lv_conn *c[10];
	for (int i = 0; i < 10; i++) {
		c[i] = page(s);
		if (i % 3 == 0)
			lv_group_join(c[i], "room");
	}
	lv_msg *m = msg(LV_MSG_RELIABLE, "{\"t\":\"push\"}");
	cr_expect_eq(lv__publish(s, "room", m), 0);
	for (int i = 0; i < 10; i++) {
		cr_expect_eq(c[i]->qlen, i % 3 == 0 ? 1u : 0u, "conn %d", i);
		if (c[i]->qlen) {
			cr_expect_eq(c[i]->q[c[i]->qhead].m, m, "one message, shared");
			cr_expect_eq(c[i]->q[c[i]->qhead].seq, 1, "numbered per session");
		}
	}
	cr_expect_eq(atomic_load(&m->refs), 1 + 4);
	/* Nobody in it: nothing, and no error. */
	cr_expect_eq(lv__publish(s, "empty", m), 0);
	cr_expect_eq(atomic_load(&m->refs), 5);
	cr_expect_eq(s->groups.n, 1);
	/* A member that left hears no more. */
	lv_group_leave(c[3], "room");
	lv__publish(s, "room", m);
	cr_expect_eq(c[0]->qlen, 2);
	cr_expect_eq(c[3]->qlen, 1);
	cr_expect_eq(c[0]->q[(c[0]->qhead + 1) % c[0]->qcap].seq, 2);
	lv__msg_unref(m);
	server_free(s);
}

Test(groups, a_publish_to_every_page)
{
	lv_server *s = server(0);
	lv_conn *a = page(s), *b = page(s);
	lv_conn *raw = lv__conn_new(s, WSI);   /* has not said hello */
	lv_msg *m = msg(LV_MSG_VOLATILE, "{\"t\":\"tick\"}");
	cr_expect_eq(lv__publish(s, NULL, m), 0);
	cr_expect_eq(lv__publish(s, "lv.all", m), 0);
	cr_expect_eq(a->qlen, 2);
	cr_expect_eq(b->qlen, 2);
	cr_expect_eq(raw->qlen, 0);
	cr_expect_eq(s->groups.n, 0, "lv.all is no group");
	cr_expect_eq(atomic_load(&m->refs), 5);
	lv__msg_unref(m);
	server_free(s);
}

Test(groups, a_slow_member_does_not_stop_the_others)
{
	lv_server *s = server(2);
	lv_conn *c[5];
	for (int i = 0; i < 5; i++) {
		c[i] = lv_conn_ref(page(s));
		lv_group_join(c[i], "room");
	}
	/* c[2] already holds as much as it may. */
	lv_msg *own = msg(LV_MSG_RELIABLE, "{\"t\":\"own\"}");
	lv__deliver(c[2], own);
	lv__deliver(c[2], own);
	lv__msg_unref(own);
	lv_msg *v = msg(LV_MSG_VOLATILE, "{\"t\":\"v\"}");
	lv__publish(s, "room", v);
	cr_expect_eq(c[2]->dropped, 1, "a volatile one is dropped for it");
	cr_expect_eq(s->dropped, 1);
	lv_msg *m = msg(LV_MSG_RELIABLE, "{\"t\":\"r\"}");
	lv__publish(s, "room", m);
	cr_expect(c[2]->overflowed);
	cr_expect(c[2]->closing);
	cr_expect_eq(s->closed_slow, 1);
	for (int i = 0; i < 5; i++)
		if (i != 2) {
			cr_expect_eq(c[i]->qlen, 2, "conn %d", i);
			cr_expect_not(c[i]->overflowed);
		}
	/* Still a member until its socket goes; then it leaves. */
	cr_expect_eq(lv_group_size(s, "room"), 5);
	check_consistent(s);
	lv__conn_closed(c[2]);
	cr_expect(c[2]->ended, "an overflowed session does not wait to resume");
	cr_expect_eq(lv_group_size(s, "room"), 4);
	check_consistent(s);
	/* A waiting member keeps its reliable messages, not volatile ones. */
	lv__conn_closed(c[4]);
	cr_expect(c[4]->detached_us);
	cr_expect_eq(lv_group_size(s, "room"), 4, "a waiting session keeps its groups");
	lv__publish(s, "room", v);
	cr_expect_eq(c[4]->qlen, 1, "its reliable one, kept; the volatile ones dropped");
	lv__msg_unref(v);
	lv__msg_unref(m);
	for (int i = 0; i < 5; i++)
		lv_conn_unref(c[i]);
	server_free(s);
}
