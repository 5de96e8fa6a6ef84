/* test_session.c - net/session.c, net/broker.c and base/htab.c: sessions by resume token through the local broker among thousands, the tokens of ended sessions (the last 256), and the intrusive hash table under them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "net/net.h"

/* ---- libwebsockets, stood in for at link time ------------------------------------
 * Tokens and connection ids come from lws_get_random; this definition in
 * the test binary takes the shared library's place, so no context is
 * needed, and can fail on request. */

static bool random_fails;

size_t
lws_get_random(struct lws_context *context, void *buf, size_t len)
{
	static uint64_t x = 0x2545f4914f6cdd1du;
	(void)context;
	if (random_fails)
		return 0;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		((unsigned char *)buf)[i] = (unsigned char)x;
	}
	return len;
}

/* ---- a server and pages, built by hand ------------------------------------------ */

static lv_server *
server(void)
{
	lv_server *s = calloc(1, sizeof *s);
	cr_assert(s);
	s->opt.max_queue = 4096;
	s->opt.max_queue_bytes = 8u << 20;
	s->opt.max_detached = 100000;
	s->opt.max_detached_bytes = 64u << 20;
	s->broker = lv__broker_local(s);
	cr_assert(s->broker);
	random_fails = false;
	return s;
}

static void
server_free(lv_server *s)
{
	while (s->conns)
		lv__conn_end(s->conns);
	cr_expect_eq(s->sessions.n, 0, "every ended session left the table");
	s->broker->ops->free(s->broker);
	free(s);
}

/* A page with a session, on no socket (sessions need none). */
static lv_conn *
page(lv_server *s)
{
	lv_conn *c = lv__conn_new(s, NULL);
	cr_assert(c);
	c->hello = true;
	s->npages++;
	cr_assert_eq(lv__session_begin(c), 0);
	return c;
}

/* ---- sessions ---------------------------------------------------------------------- */

Test(session, begins_with_a_fresh_hex_token_found_by_it)
{
	lv_server *s = server();
	cr_expect_str_eq(s->broker->ops->name, "local");
	lv_conn *a = page(s), *b = page(s);
	cr_expect_eq(strlen(a->token), 32);
	cr_expect_eq(strspn(a->token, "0123456789abcdef"), 32);
	cr_expect_str_neq(a->token, b->token);
	cr_expect_eq(lv__session_find(s, a->token), a);
	cr_expect_eq(lv__session_find(s, b->token), b);
	cr_expect_eq(s->sessions.n, 2);
	/* Found by value, not by pointer. */
	char copy[33];
	memcpy(copy, a->token, sizeof copy);
	cr_expect_eq(lv__session_find(s, copy), a);
	server_free(s);
}

Test(session, no_token_without_randomness)
{
	lv_server *s = server();
	lv_conn *c = lv__conn_new(s, NULL);
	random_fails = true;
	cr_expect_eq(lv__session_begin(c), LV_EIO);
	cr_expect_eq(s->sessions.n, 0);
	random_fails = false;
	server_free(s);
}

Test(session, what_is_not_a_token_finds_nothing)
{
	lv_server *s = server();
	lv_conn *c = page(s);
	char t[40];
	cr_expect_null(lv__session_find(s, NULL));
	cr_expect_null(lv__session_find(s, ""));
	memcpy(t, c->token, 33);
	t[31] = '\0';                                /* 31 characters */
	cr_expect_null(lv__session_find(s, t));
	memcpy(t, c->token, 32);
	t[32] = '0', t[33] = '\0';                   /* 33 */
	cr_expect_null(lv__session_find(s, t));
	memcpy(t, c->token, 33);
	t[0] = t[0] == 'f' ? 'e' : 'f';              /* another token */
	cr_expect_null(lv__session_find(s, t));
	cr_expect_not(lv__session_ended(s, NULL));
	cr_expect_not(lv__session_ended(s, ""));
	cr_expect_not(lv__session_ended(s, t));
	cr_expect_not(lv__session_ended(s, c->token), "alive, not ended");
	server_free(s);
}

Test(session, found_and_removed_among_thousands)
{
	enum { N = 5000 };
	lv_server *s = server();
	lv_conn **c = malloc(N * sizeof *c);
	char (*tokens)[33] = malloc(N * sizeof *tokens);
	for (int i = 0; i < N; i++) {
		c[i] = page(s);
		memcpy(tokens[i], c[i]->token, 33);
	}
	cr_expect_eq(s->sessions.n, N);
	/* It grew, staying under three quarters full, a power of two. */
	cr_expect_geq(s->sessions.cap * 3, s->sessions.n * 4);
	cr_expect_eq(s->sessions.cap & (s->sessions.cap - 1), 0);
	for (int i = 0; i < N; i++)
		cr_assert_eq(lv__session_find(s, tokens[i]), c[i], "session %d", i);
	/* Every other one ends. */
	for (int i = 0; i < N; i += 2)
		lv__conn_end(c[i]);
	cr_expect_eq(s->sessions.n, N / 2);
	cr_expect_eq(s->nconns, N / 2);
	for (int i = 0; i < N; i++) {
		if (i % 2)
			cr_assert_eq(lv__session_find(s, tokens[i]), c[i], "session %d", i);
		else
			cr_assert_null(lv__session_find(s, tokens[i]), "ended %d", i);
	}
	/* An ended session is not "expired": it was not waiting for its page. */
	cr_expect_not(lv__session_ended(s, tokens[0]));
	/* New ones after the removals. */
	for (int i = 0; i < N; i += 2) {
		c[i] = page(s);
		memcpy(tokens[i], c[i]->token, 33);
	}
	for (int i = 0; i < N; i++)
		cr_assert_eq(lv__session_find(s, tokens[i]), c[i], "session %d", i);
	cr_expect_eq(s->sessions.n, N);
	free(tokens);
	free(c);
	server_free(s);
}

Test(session, removing_takes_out_only_that_session)
{
	lv_server *s = server();
	lv_conn *a = page(s);
	/* Another connection holding the same token (never registered). */
	lv_conn *b = lv__conn_new(s, NULL);
	memcpy(b->token, a->token, sizeof a->token);
	s->broker->ops->session_remove(s->broker, b);
	cr_expect_eq(lv__session_find(s, a->token), a);
	cr_expect_eq(s->sessions.n, 1);
	/* Removing twice is harmless. */
	s->broker->ops->session_remove(s->broker, a);
	s->broker->ops->session_remove(s->broker, a);
	cr_expect_null(lv__session_find(s, a->token));
	cr_expect_eq(s->sessions.n, 0);
	/* A connection with no token is never in the table. */
	lv_conn *c = lv__conn_new(s, NULL);
	s->broker->ops->session_remove(s->broker, c);
	cr_expect_eq(s->sessions.n, 0);
	b->token[0] = '\0';
	server_free(s);
}

Test(session, a_waiting_session_is_found_until_it_expires)
{
	lv_server *s = server();
	lv_conn *c = page(s);
	char token[33];
	memcpy(token, c->token, sizeof token);
	lv__conn_closed(c);
	cr_expect_eq(s->ndetached, 1);
	cr_expect_eq(lv__session_find(s, token), c, "waiting for its page");
	lv__session_expire(c);
	cr_expect_null(lv__session_find(s, token));
	cr_expect(lv__session_ended(s, token));
	cr_expect_eq(s->expired, 1);
	cr_expect_eq(s->ndetached, 0);
	cr_expect_eq(s->nconns, 0);
	server_free(s);
}

Test(session, ended_tokens_are_remembered_up_to_256)
{
	enum { N = 300 };
	lv_server *s = server();
	char (*tokens)[33] = malloc(N * sizeof *tokens);
	for (int i = 0; i < N; i++) {
		lv_conn *c = page(s);
		memcpy(tokens[i], c->token, 33);
		lv__conn_closed(c);
		lv__session_expire(c);
		/* Until the ring is full, everything expired is remembered. */
		if (i == 255)
			for (int k = 0; k <= i; k++)
				cr_assert(lv__session_ended(s, tokens[k]), "token %d of %d", k, i);
	}
	cr_expect_eq(s->expired, N);
	cr_expect_eq(s->ended_next, N);
	/* The newest 256: "expired"; older ones are forgotten ("unknown"). */
	for (int i = 0; i < N; i++)
		cr_expect_eq(lv__session_ended(s, tokens[i]), i >= N - 256, "token %d", i);
	for (int i = 0; i < N; i++)
		cr_expect_null(lv__session_find(s, tokens[i]));
	/* A live session beside them is neither. */
	lv_conn *live = page(s);
	cr_expect_not(lv__session_ended(s, live->token));
	cr_expect_eq(lv__session_find(s, live->token), live);
	free(tokens);
	server_free(s);
}

Test(session, delivery_to_one_session_through_the_broker)
{
	lv_server *s = server();
	lv_conn *c = page(s);
	lv_msg *m = lv__msg_new("{\"t\":\"x\"}", 9, LV_MSG_RELIABLE);
	cr_expect_eq(lv__deliver(c, m), 0);
	cr_expect_eq(c->qlen, 1);
	cr_expect_eq(c->q[c->qhead].m, m);
	cr_expect_eq(c->q[c->qhead].seq, 1);
	/* A session that is not on this node is nowhere (one node). */
	cr_expect_eq(s->broker->ops->deliver(s->broker, "c123", NULL, m), LV_ECLOSED);
	cr_expect_eq(atomic_load(&m->refs), 2);
	lv__msg_unref(m);
	server_free(s);
}

/* ---- the hash table -------------------------------------------------------------- */

typedef struct {
	lv_hnode node;
	int key;
	int seen;
} item;

static bool
has_key(const lv_hnode *n, const void *key)
{
	return ((const item *)n)->key == *(const int *)key;
}

static item *
find(lv_htab *t, uint32_t hash, int key)
{
	return (item *)lv__htab_find(t, hash, has_key, &key);
}

static uint32_t
spread(int key)
{
	return (uint32_t)key * 2654435761u;
}

Test(htab, an_empty_table)
{
	lv_htab t = { 0 };
	item x = { .key = 1 };
	x.node.hash = 5;
	uint32_t at = 0;
	cr_expect_null(find(&t, 5, 1));
	cr_expect_null(lv__htab_chain(&t, 5));
	cr_expect_null(lv__htab_next(&t, NULL, &at));
	lv__htab_remove(&t, &x.node);   /* not in it: nothing */
	cr_expect_eq(t.n, 0);
	lv__htab_free(&t);
	cr_expect_null(t.b);
}

Test(htab, grows_past_many_entries_and_finds_them_all)
{
	enum { N = 20000 };
	lv_htab t = { 0 };
	item *items = calloc(N, sizeof *items);
	for (int i = 0; i < N; i++) {
		items[i].key = i;
		cr_assert_eq(lv__htab_insert(&t, &items[i].node, spread(i)), 0);
		if (i == 47)
			cr_expect_eq(t.cap, 64, "48 fit in 64 buckets");
		if (i == 48)
			cr_expect_eq(t.cap, 128, "the 49th grows it");
		cr_assert_geq((uint64_t)t.cap * 3, (uint64_t)t.n * 4);
	}
	cr_expect_eq(t.n, N);
	cr_expect_eq(t.cap, 32768);
	for (int i = 0; i < N; i++)
		cr_assert_eq(find(&t, spread(i), i), &items[i], "key %d", i);
	cr_expect_null(find(&t, spread(N), N));
	/* The right hash with the wrong key, and the reverse: nothing. */
	cr_expect_null(find(&t, spread(3), 4));
	cr_expect_null(find(&t, spread(4), 3));
	lv__htab_free(&t);
	cr_expect_eq(t.n, 0);
	cr_expect_eq(t.cap, 0);
	free(items);
}

Test(htab, colliding_hashes_share_a_chain)
{
	enum { N = 100 };
	lv_htab t = { 0 };
	item items[N];
	memset(items, 0, sizeof items);
	for (int i = 0; i < N; i++) {
		items[i].key = i;
		/* Two hashes only, and in the same bucket whatever the size. */
		lv__htab_insert(&t, &items[i].node, i % 2 ? 7u : 7u + (1u << 30));
	}
	for (int i = 0; i < N; i++)
		cr_assert_eq(find(&t, i % 2 ? 7u : 7u + (1u << 30), i), &items[i]);
	cr_expect_null(find(&t, 7u, 2), "same bucket and key, other hash");
	/* Out of the middle, the head and the tail of the chain. */
	for (int i = 0; i < N; i += 3)
		lv__htab_remove(&t, &items[i].node);
	cr_expect_eq(t.n, N - 34);
	for (int i = 0; i < N; i++) {
		item *f = find(&t, items[i].node.hash, i);
		cr_assert_eq(f, i % 3 ? &items[i] : NULL, "key %d", i);
	}
	lv__htab_free(&t);
}

Test(htab, iteration_visits_each_once_and_may_remove_what_it_visits)
{
	enum { N = 3000 };
	lv_htab t = { 0 };
	item *items = calloc(N, sizeof *items);
	for (int i = 0; i < N; i++) {
		items[i].key = i;
		/* Few distinct hashes: long chains as well as empty buckets. */
		lv__htab_insert(&t, &items[i].node, spread(i % 500));
	}
	uint32_t at = 0;
	int visited = 0;
	for (lv_hnode *n = lv__htab_next(&t, NULL, &at); n; n = lv__htab_next(&t, n, &at)) {
		((item *)n)->seen++;
		visited++;
	}
	cr_expect_eq(visited, N);
	for (int i = 0; i < N; i++)
		cr_assert_eq(items[i].seen, 1, "key %d", i);

	/* Removing the node just visited, its successor taken first. */
	at = 0;
	visited = 0;
	for (lv_hnode *n = lv__htab_next(&t, NULL, &at), *next; n; n = next) {
		next = lv__htab_next(&t, n, &at);
		item *it = (item *)n;
		it->seen++;
		visited++;
		if (it->key % 2 == 0)
			lv__htab_remove(&t, n);
	}
	cr_expect_eq(visited, N);
	cr_expect_eq(t.n, N / 2);
	at = 0;
	visited = 0;
	for (lv_hnode *n = lv__htab_next(&t, NULL, &at); n; n = lv__htab_next(&t, n, &at)) {
		cr_assert_eq(((item *)n)->key % 2, 1);
		visited++;
	}
	cr_expect_eq(visited, N / 2);
	for (int i = 0; i < N; i++) {
		cr_assert_eq(items[i].seen, 2, "key %d", i);
		cr_assert_eq(find(&t, spread(i % 500), i), i % 2 ? &items[i] : NULL);
	}
	/* Put back and found again. */
	for (int i = 0; i < N; i += 2)
		lv__htab_insert(&t, &items[i].node, spread(i % 500));
	cr_expect_eq(t.n, N);
	for (int i = 0; i < N; i++)
		cr_assert_eq(find(&t, spread(i % 500), i), &items[i]);
	lv__htab_free(&t);
	free(items);
}

Test(htab, string_hashes_spread)
{
	/* lv__hash_str is what sessions and groups are keyed by: distinct
	 * for near-identical names, the same for equal ones. */
	cr_expect_eq(lv__hash_str("room"), lv__hash_str("room"));
	cr_expect_neq(lv__hash_str("room1"), lv__hash_str("room2"));
	cr_expect_neq(lv__hash_str(""), lv__hash_str("a"));
	/* 4096 names over 4096 buckets: no bucket holds many. */
	static uint8_t count[4096];
	char name[32];
	uint8_t worst = 0;
	for (int i = 0; i < 4096; i++) {
		snprintf(name, sizeof name, "room-%d", i);
		uint8_t n = ++count[lv__hash_str(name) & 4095];
		if (n > worst)
			worst = n;
	}
	cr_expect_leq(worst, 12);
}
