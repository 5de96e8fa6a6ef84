/* test_bsess_wire.c - a session's record read back from Redis (net/broker_session_wire.c): what lv writes taken, what it does not refused.
 *
 * Each reply is written as Redis sends it (RESP) and read by hiredis'
 * own reader, as the broker's connection reads it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <hiredis.h>

#include "net/broker_session_wire.h"

/* ---- RESP, built up ------------------------------------------------------------------ */

typedef struct {
	char *p;
	size_t n, cap;
} resp;

static void
put(resp *r, const void *p, size_t n)
{
	if (r->n + n + 1 > r->cap) {
		r->cap = (r->n + n + 1) * 2;
		r->p = realloc(r->p, r->cap);
		cr_assert(r->p);
	}
	memcpy(r->p + r->n, p, n);
	r->n += n;
}

static void
arr(resp *r, size_t n)
{
	char h[32];
	put(r, h, (size_t)snprintf(h, sizeof h, "*%zu\r\n", n));
}

static void
bulkn(resp *r, const char *s, size_t n)
{
	char h[32];
	put(r, h, (size_t)snprintf(h, sizeof h, "$%zu\r\n", n));
	put(r, s, n);
	put(r, "\r\n", 2);
}

static void
bulk(resp *r, const char *s)
{
	bulkn(r, s, strlen(s));
}

static void
integer(resp *r, long long v)
{
	char h[32];
	put(r, h, (size_t)snprintf(h, sizeof h, ":%lld\r\n", v));
}

/* The record's fields as CREATE_LUA writes them, with `change` (a field
 * and its value, NULL: the field left out) applied. */
typedef struct {
	const char *field, *value;
} kv;

static void
record(resp *r, const kv *change, size_t nchange, const kv *extra, size_t nextra)
{
	kv f[] = { { "id", "c1a2b3" }, { "node", "node-a" }, { "fence", "2" }, { "ident", "ann" },
	           { "inband", "1" }, { "roles", "admin\nuser" }, { "in", "7" }, { "out", "3" },
	           { "ack", "1" } };
	size_t n = sizeof f / sizeof f[0], kept = 0;
	for (size_t i = 0; i < nchange; i++)
		for (size_t j = 0; j < n; j++)
			if (strcmp(f[j].field, change[i].field) == 0)
				f[j].value = change[i].value;
	for (size_t j = 0; j < n; j++)
		kept += f[j].value != NULL;
	arr(r, 2 * (kept + nextra));
	for (size_t j = 0; j < n; j++)
		if (f[j].value) {
			bulk(r, f[j].field);
			bulk(r, f[j].value);
		}
	for (size_t i = 0; i < nextra; i++) {
		bulk(r, extra[i].field);
		bulk(r, extra[i].value);
	}
}

static void
entry(resp *r, const char *id, const char *json)
{
	arr(r, 2);
	bulk(r, id);
	arr(r, 2);
	bulk(r, "m");
	bulk(r, json);
}

/* A whole good reply, with the record changed as asked. */
static void
good(resp *r, long long fence, const kv *change, size_t nchange)
{
	const kv extra[] = { { "g:lv.all", "4" }, { "g:room", "10" }, { "r:12", "7" } };
	arr(r, 4);
	integer(r, fence);
	record(r, change, nchange, extra, 3);
	arr(r, 2);
	bulk(r, "2 {\"t\":\"msg\"}");
	bulk(r, "3 {\"t\":\"ret\",\"id\":9}");
	arr(r, 2);
	arr(r, 4);
	bulk(r, "lv.all");
	bulk(r, "4");
	bulk(r, "6");
	arr(r, 2);
	entry(r, "5-0", "{\"a\":1}");
	entry(r, "6-0", "{\"a\":2}");
	arr(r, 4);
	bulk(r, "room");
	bulk(r, "10");
	bulk(r, "10");
	arr(r, 0);
}

/* The last reply parsed: what a take points into, kept until the next. */
static void *held;

static lv_bsw_result
parse(resp *r, lv_bsw_take *t, const char **why)
{
	redisReader *rd = redisReaderCreate();
	cr_assert(rd);
	cr_assert_eq(redisReaderFeed(rd, r->p, r->n), REDIS_OK);
	if (held)
		freeReplyObject(held);
	held = NULL;
	cr_assert_eq(redisReaderGetReply(rd, &held), REDIS_OK);
	cr_assert(held, "the RESP written is whole");
	redisReaderFree(rd);
	free(r->p);
	memset(r, 0, sizeof *r);
	return lv__bsw_take_parse(held, t, why);
}

static bool
is(lv_bsw_str s, const char *want)
{
	return s.n == strlen(want) && memcmp(s.p, want, s.n) == 0;
}

static void
refused(long long fence, const kv *change, size_t nchange)
{
	resp r = { 0 };
	good(&r, fence, change, nchange);
	lv_bsw_take t;
	const char *why = NULL;
	cr_assert_eq(parse(&r, &t, &why), LV_BSW_BAD, "%s=%s is refused",
	             nchange ? change[0].field : "fence", nchange && change[0].value ? change[0].value : "-");
	cr_assert(why && *why);
	cr_assert_null(t.g);
	cr_assert_null(t.q);
	cr_assert_null(t.calls);
}

Test(bsess_wire, a_good_record_is_taken_whole)
{
	resp r = { 0 };
	good(&r, 2, NULL, 0);
	lv_bsw_take t;
	const char *why = "unset";
	cr_assert_eq(parse(&r, &t, &why), LV_BSW_TAKEN);
	cr_assert_null(why);
	cr_assert_eq(t.fence, 2);
	cr_assert(is(t.id, "c1a2b3"));
	cr_assert(is(t.node, "node-a"));
	cr_assert(is(t.ident, "ann"));
	cr_assert(is(t.roles, "admin\nuser"));
	cr_assert_eq(t.nroles, 2);
	cr_assert(t.inband);
	cr_assert_eq(t.in, 7);
	cr_assert_eq(t.out, 3);
	cr_assert_eq(t.ack, 1);
	cr_assert_eq(t.ncalls, 1);
	cr_assert_eq(t.calls[0], 12);
	cr_assert_eq(t.nq, 2);
	cr_assert_eq(t.q[0].seq, 2);
	cr_assert(is(t.q[1].json, "{\"t\":\"ret\",\"id\":9}"));
	cr_assert_eq(t.ng, 2);
	const lv_bsw_group *all = is(t.g[0].name, "lv.all") ? &t.g[0] : &t.g[1];
	const lv_bsw_group *room = all == &t.g[0] ? &t.g[1] : &t.g[0];
	cr_assert(is(all->name, "lv.all") && is(room->name, "room"));
	cr_assert_eq(all->have, 4);
	cr_assert_eq(all->top, 6);
	cr_assert_eq(all->ne, 2);
	cr_assert_eq(all->e[1].off, 6);
	cr_assert(is(all->e[1].json, "{\"a\":2}"));
	cr_assert_eq(room->have, 10);
	cr_assert_eq(room->ne, 0);
	lv__bsw_take_free(&t);
	cr_assert_null(t.g);
}

Test(bsess_wire, unknown_and_overflow)
{
	resp r = { 0 };
	lv_bsw_take t;
	integer(&r, 0);
	cr_assert_eq(parse(&r, &t, NULL), LV_BSW_UNKNOWN);
	bulk(&r, "overflow");
	cr_assert_eq(parse(&r, &t, NULL), LV_BSW_OVERFLOW);
	bulk(&r, "overflowing");
	cr_assert_eq(parse(&r, &t, NULL), LV_BSW_BAD);
	integer(&r, 1);
	cr_assert_eq(parse(&r, &t, NULL), LV_BSW_BAD);
	put(&r, "-ERR no\r\n", 9);
	cr_assert_eq(parse(&r, &t, NULL), LV_BSW_BAD);
	put(&r, "*-1\r\n", 5);
	cr_assert_eq(parse(&r, &t, NULL), LV_BSW_BAD);
	cr_assert_eq(lv__bsw_take_parse(NULL, &t, NULL), LV_BSW_BAD);
}

Test(bsess_wire, bad_fields_are_refused)
{
	refused(3, NULL, 0);   /* the record's fence is not the take's */
	refused(0, (kv[]){ { "fence", "0" } }, 1);
	static const kv bad[] = {
		{ "id", "" }, { "id", "c1-a2" }, { "id", "01234567890123456789" }, { "id", NULL },
		{ "node", "" }, { "node", "a b" }, { "node", NULL },
		{ "fence", "02" }, { "fence", NULL },
		{ "inband", "2" }, { "inband", "" }, { "inband", NULL },
		{ "ident", NULL }, { "roles", NULL },
		{ "in", "" }, { "in", "-1" }, { "in", "+1" }, { "in", " 1" }, { "in", "1.5" },
		{ "in", "18446744073709551616" }, { "in", NULL },
		{ "out", "007" }, { "out", "0" } /* below the queue's seqs */, { "out", NULL },
		{ "ack", "4" } /* past out */, { "ack", "x" }, { "ack", NULL },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		refused(2, &bad[i], 1);
}

Test(bsess_wire, nul_inside_a_value_is_refused)
{
	resp r = { 0 };
	arr(&r, 4);
	integer(&r, 2);
	arr(&r, 18);
	const char *f[] = { "id", "c1", "node", "n", "fence", "2", "inband", "0", "roles", "",
	                    "in", "0", "out", "0", "ack", "0" };
	for (size_t i = 0; i < 16; i++)
		bulk(&r, f[i]);
	bulk(&r, "ident");
	bulkn(&r, "an\0n", 4);
	arr(&r, 0);
	arr(&r, 0);
	lv_bsw_take t;
	cr_assert_eq(parse(&r, &t, NULL), LV_BSW_BAD);
}

Test(bsess_wire, bad_structure_is_refused)
{
	lv_bsw_take t;
	const char *why;
	resp r = { 0 };
	/* a field without its value */
	arr(&r, 4);
	integer(&r, 2);
	arr(&r, 1);
	bulk(&r, "id");
	arr(&r, 0);
	arr(&r, 0);
	cr_assert_eq(parse(&r, &t, &why), LV_BSW_BAD);
	/* a field twice */
	arr(&r, 4);
	integer(&r, 2);
	record(&r, NULL, 0, (kv[]){ { "out", "3" } }, 1);
	arr(&r, 0);
	arr(&r, 0);
	cr_assert_eq(parse(&r, &t, &why), LV_BSW_BAD);
	/* a group of the record missing from the groups, then one not in it */
	arr(&r, 4);
	integer(&r, 2);
	record(&r, NULL, 0, (kv[]){ { "g:a", "1" } }, 1);
	arr(&r, 0);
	arr(&r, 0);
	cr_assert_eq(parse(&r, &t, &why), LV_BSW_BAD);
	arr(&r, 4);
	integer(&r, 2);
	record(&r, NULL, 0, NULL, 0);
	arr(&r, 0);
	arr(&r, 1);
	arr(&r, 4);
	bulk(&r, "a");
	bulk(&r, "1");
	bulk(&r, "1");
	arr(&r, 0);
	cr_assert_eq(parse(&r, &t, &why), LV_BSW_BAD);
	/* a group twice in the record */
	arr(&r, 4);
	integer(&r, 2);
	record(&r, NULL, 0, (kv[]){ { "g:a", "1" }, { "g:a", "1" } }, 2);
	arr(&r, 0);
	arr(&r, 0);
	cr_assert_eq(parse(&r, &t, &why), LV_BSW_BAD);
	/* entries out of order, at or below the offset, with a bad id */
	const char *ids[][2] = { { "3-0", "2-0" }, { "1-0", "2-0" }, { "2-x", "3-0" },
	                         { "2", "3-0" }, { "-0", "3-0" } };
	for (size_t i = 0; i < 5; i++) {
		arr(&r, 4);
		integer(&r, 2);
		record(&r, NULL, 0, (kv[]){ { "g:a", "1" } }, 1);
		arr(&r, 0);
		arr(&r, 1);
		arr(&r, 4);
		bulk(&r, "a");
		bulk(&r, "1");
		bulk(&r, "9");
		arr(&r, 2);
		entry(&r, ids[i][0], "{}");
		entry(&r, ids[i][1], "{}");
		cr_assert_eq(parse(&r, &t, &why), LV_BSW_BAD, "entries %s %s", ids[i][0], ids[i][1]);
	}
	/* the queue out of order */
	arr(&r, 4);
	integer(&r, 2);
	record(&r, NULL, 0, NULL, 0);
	arr(&r, 2);
	bulk(&r, "3 {}");
	bulk(&r, "2 {}");
	arr(&r, 0);
	cr_assert_eq(parse(&r, &t, &why), LV_BSW_BAD);
	/* a queued message without its seq, or empty */
	const char *qs[] = { "{}", "x {}", "0 {}", "2 ", "2" };
	for (size_t i = 0; i < 5; i++) {
		arr(&r, 4);
		integer(&r, 2);
		record(&r, NULL, 0, NULL, 0);
		arr(&r, 1);
		bulk(&r, qs[i]);
		arr(&r, 0);
		cr_assert_eq(parse(&r, &t, &why), LV_BSW_BAD, "queued \"%s\"", qs[i]);
	}
	/* a call id that is not a number above 0 */
	const char *calls[] = { "r:", "r:0", "r:x", "r:9223372036854775808" };
	for (size_t i = 0; i < 4; i++) {
		arr(&r, 4);
		integer(&r, 2);
		record(&r, NULL, 0, (kv[]){ { calls[i], "1" } }, 1);
		arr(&r, 0);
		arr(&r, 0);
		cr_assert_eq(parse(&r, &t, &why), LV_BSW_BAD, "%s", calls[i]);
	}
}

Test(bsess_wire, unknown_fields_are_skipped)
{
	resp r = { 0 };
	arr(&r, 4);
	integer(&r, 2);
	record(&r, NULL, 0, (kv[]){ { "later", "whatever" } }, 1);
	arr(&r, 0);
	arr(&r, 0);
	lv_bsw_take t;
	cr_assert_eq(parse(&r, &t, NULL), LV_BSW_TAKEN);
	lv__bsw_take_free(&t);
}

Test(bsess_wire, too_many_groups_are_refused)
{
	resp r = { 0 };
	arr(&r, 4);
	integer(&r, 2);
	kv *g = calloc(LV_BSW_GROUPS_MAX + 1, sizeof *g);
	char (*names)[16] = calloc(LV_BSW_GROUPS_MAX + 1, sizeof *names);
	for (size_t i = 0; i <= LV_BSW_GROUPS_MAX; i++) {
		snprintf(names[i], sizeof names[i], "g:%zu", i);
		g[i] = (kv){ names[i], "0" };
	}
	record(&r, NULL, 0, g, LV_BSW_GROUPS_MAX + 1);
	arr(&r, 0);
	arr(&r, 0);
	lv_bsw_take t;
	const char *why = NULL;
	cr_assert_eq(parse(&r, &t, &why), LV_BSW_BAD);
	cr_assert(strstr(why, "too many"));
	free(g);
	free(names);
}

Test(bsess_wire, numbers)
{
	uint64_t v;
	cr_assert(lv__bsw_num("0", 1, &v) && v == 0);
	cr_assert(lv__bsw_num("18446744073709551615", 20, &v) && v == UINT64_MAX);
	cr_assert_not(lv__bsw_num("18446744073709551616", 20, &v));
	cr_assert_not(lv__bsw_num("99999999999999999999", 20, &v));
	cr_assert_not(lv__bsw_num("", 0, &v));
	cr_assert_not(lv__bsw_num("01", 2, &v));
	cr_assert_not(lv__bsw_num("1e5", 3, &v));
	cr_assert_not(lv__bsw_num(NULL, 0, &v));
	cr_assert(lv__bsw_num("12x", 2, &v) && v == 12, "only the bytes given are read");
	lv_bsw_queued q;
	cr_assert(lv__bsw_queued_parse("12 {\"t\":1}", 10, &q));
	cr_assert_eq(q.seq, 12);
	cr_assert(is(q.json, "{\"t\":1}"));
	cr_assert(lv__bsw_stream_id("15-0", 4, &v) && v == 15);
	cr_assert_not(lv__bsw_stream_id("15-", 3, &v));
	cr_assert_not(lv__bsw_stream_id("15", 2, &v));
}
