/* fuzz_session.c - libFuzzer target for a session's record as a node reads it back from Redis (broker_session_wire.c).
 *
 * Bytes -> hiredis' reader (the bytes Redis would send, RESP) -> the
 * reply TAKE_LUA gives -> lv__bsw_take_parse. Checked on the way: what a
 * parse takes keeps the rules the header states (ids, ack <= out, the
 * queue and each group's entries in order, strings without NUL and ended
 * by one, counts within their limits), and the value parsers alone on
 * the raw bytes: a number that parses prints back as the same bytes.
 * Inputs that declare more array elements than they have bytes are
 * skipped (sane_counts). broker_session_wire.c alone with hiredis, no
 * library. Built by tests/fuzz/fuzz.mk. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis.h>

#include "net/broker_session_wire.h"

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
text(lv_bsw_str s, size_t max)
{
	check(s.p != NULL && s.n <= max && s.p[s.n] == '\0' && strlen(s.p) == s.n);
}

static void
id_chars(lv_bsw_str s, const char *extra, size_t max)
{
	text(s, max);
	check(s.n > 0);
	for (size_t i = 0; i < s.n; i++) {
		char c = s.p[i];
		check((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      (c && strchr(extra, c)));
	}
}

static void
taken(const lv_bsw_take *t)
{
	check(t->fence > 0);
	id_chars(t->id, "", 19);
	id_chars(t->node, "-_.", 64);
	text(t->ident, LV_BSW_IDENT_MAX);
	text(t->roles, LV_BSW_IDENT_MAX);
	check(t->nroles <= LV_BSW_ROLES_MAX && t->nroles <= t->roles.n);
	check(t->ack <= t->out);
	for (size_t i = 0; i < t->ncalls; i++)
		check(t->calls[i] > 0);
	for (size_t i = 0; i < t->nq; i++) {
		check(t->q[i].seq > 0 && t->q[i].seq <= t->out);
		check(i == 0 || t->q[i].seq > t->q[i - 1].seq);
		check(t->q[i].json.n > 0 && !memchr(t->q[i].json.p, '\0', t->q[i].json.n));
	}
	check(t->ng <= LV_BSW_GROUPS_MAX);
	for (size_t i = 0; i < t->ng; i++) {
		const lv_bsw_group *g = &t->g[i];
		text(g->name, LV_BSW_GROUP_MAX);
		check(g->name.n > 0);
		for (size_t j = 0; j < i; j++)
			check(t->g[j].name.n != g->name.n ||
			      memcmp(t->g[j].name.p, g->name.p, g->name.n) != 0);
		for (size_t j = 0; j < g->ne; j++) {
			check(g->e[j].off > (j ? g->e[j - 1].off : g->have));
			text(g->e[j].json, SIZE_MAX);
			check(g->e[j].json.n > 0);
		}
	}
}

static void
numbers(const char *p, size_t n)
{
	uint64_t v;
	if (lv__bsw_num(p, n, &v)) {
		char buf[24];
		int k = snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
		check(k > 0 && (size_t)k == n && memcmp(buf, p, n) == 0);
	}
	lv_bsw_queued q;
	if (lv__bsw_queued_parse(p, n, &q)) {
		check(q.seq > 0 && q.json.p > p && q.json.p + q.json.n == p + n && q.json.n > 0);
		check(q.json.p[-1] == ' ');
	}
	if (lv__bsw_stream_id(p, n, &v))
		check(memchr(p, '-', n) != NULL);
}

/* hiredis 0.14's reader allocates an array's elements as its header
 * declares them, before they arrive (1.x caps them: maxelements): an
 * input declaring more elements than it has bytes is not what this
 * target is about, and is skipped. */
static bool
sane_counts(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '*')
			continue;
		uint64_t v = 0;
		for (size_t j = i + 1; j < n && p[j] >= '0' && p[j] <= '9' && v <= n; j++)
			v = v * 10 + (uint64_t)(p[j] - '0');
		if (v > n)
			return false;
	}
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes: a read past it is the sanitizer's */
	char *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	numbers(p, size);
	redisReader *rd = redisReaderCreate();
	check(rd != NULL);
	void *reply = NULL;
	if (sane_counts(p, size) && redisReaderFeed(rd, p, size) == REDIS_OK && redisReaderGetReply(rd, &reply) == REDIS_OK &&
	    reply) {
		lv_bsw_take t;
		const char *why = NULL;
		lv_bsw_result rc = lv__bsw_take_parse(reply, &t, &why);
		check(rc == LV_BSW_BAD ? why != NULL : why == NULL);
		if (rc == LV_BSW_TAKEN) {
			taken(&t);
			lv__bsw_take_free(&t);
		}
		freeReplyObject(reply);
	}
	redisReaderFree(rd);
	free(p);
	return 0;
}
