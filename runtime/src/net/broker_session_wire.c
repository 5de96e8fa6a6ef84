/* broker_session_wire.c - a session's record read back from Redis (TAKE_LUA's reply) into a struct, every count, length and number checked.
 *
 * What another node, another version or anything else with access to
 * Redis left under lv:s:TOKEN is outside input: a field that is not what
 * CREATE_LUA and WRITE_LUA write refuses the whole record, and the page
 * starts a new session (broker_session.c). Fields this version does not
 * know are skipped, so that a newer node's record still resumes here. */
#include <stdlib.h>
#include <string.h>

#include "net/broker_session_wire.h"

static bool
alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool
is_str(const redisReply *r)
{
	return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) && r->str;
}

static bool
is_array(const redisReply *r)
{
	return r && r->type == REDIS_REPLY_ARRAY && (r->elements == 0 || r->element);
}

static bool
no_nul(const char *p, size_t n)
{
	return n == 0 || !memchr(p, '\0', n);
}

static bool
eq(const redisReply *k, const char *s)
{
	size_t n = strlen(s);
	return k->len == n && memcmp(k->str, s, n) == 0;
}

static lv_bsw_str
str_of(const redisReply *r)
{
	return (lv_bsw_str){ r->str, r->len };
}

bool
lv__bsw_num(const char *p, size_t n, uint64_t *out)
{
	if (!p || n == 0 || n > 20 || (n > 1 && p[0] == '0'))
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		uint64_t d = (uint64_t)(p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

bool
lv__bsw_queued_parse(const char *p, size_t n, lv_bsw_queued *out)
{
	const char *sp = p && n ? memchr(p, ' ', n) : NULL;
	if (!sp || !lv__bsw_num(p, (size_t)(sp - p), &out->seq) || out->seq == 0)
		return false;
	out->json.p = sp + 1;
	out->json.n = n - (size_t)(sp + 1 - p);
	return out->json.n > 0 && no_nul(out->json.p, out->json.n);
}

bool
lv__bsw_stream_id(const char *p, size_t n, uint64_t *off)
{
	const char *dash = p && n ? memchr(p, '-', n) : NULL;
	uint64_t seq;
	return dash && lv__bsw_num(p, (size_t)(dash - p), off) &&
	       lv__bsw_num(dash + 1, n - (size_t)(dash + 1 - p), &seq);
}

static bool
node_ok(const char *p, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!alnum(p[i]) && p[i] != '-' && p[i] != '_' && p[i] != '.')
			return false;
	return true;
}

static bool
conn_ok(const char *p, size_t n)
{
	if (n == 0 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!alnum(p[i]))
			return false;
	return true;
}

static bool
num_of(const redisReply *r, uint64_t *out)
{
	return is_str(r) && lv__bsw_num(r->str, r->len, out);
}

static lv_bsw_group *
group_find(lv_bsw_take *t, const char *p, size_t n)
{
	for (size_t i = 0; i < t->ng; i++)
		if (t->g[i].name.n == n && memcmp(t->g[i].name.p, p, n) == 0)
			return &t->g[i];
	return NULL;
}

/* ---- the record: HGETALL's field, value, ... ------------------------------------------ */

enum { F_ID = 1, F_NODE = 2, F_FENCE = 4, F_IDENT = 8, F_INBAND = 16, F_ROLES = 32, F_IN = 64,
       F_OUT = 128, F_ACK = 256, F_ALL = 511 };

static lv_bsw_result
record(const redisReply *h, lv_bsw_take *t, const char **why)
{
	if (!is_array(h) || h->elements % 2)
		return *why = "the record is not a list of fields and values", LV_BSW_BAD;
	size_t ng = 0, nc = 0;
	for (size_t i = 0; i < h->elements; i++)
		if (!is_str(h->element[i]))
			return *why = "a field or value of the record is not a string", LV_BSW_BAD;
	for (size_t i = 0; i < h->elements; i += 2) {
		const redisReply *k = h->element[i];
		if (k->len >= 2 && k->str[0] == 'g' && k->str[1] == ':')
			ng++;
		else if (k->len >= 2 && k->str[0] == 'r' && k->str[1] == ':')
			nc++;
	}
	if (ng > LV_BSW_GROUPS_MAX)
		return *why = "the record has too many groups", LV_BSW_BAD;
	if ((ng && !(t->g = calloc(ng, sizeof *t->g))) || (nc && !(t->calls = calloc(nc, sizeof *t->calls))))
		return LV_BSW_NOMEM;
	unsigned seen = 0;
	for (size_t i = 0; i < h->elements; i += 2) {
		const redisReply *k = h->element[i], *v = h->element[i + 1];
		unsigned f = 0;
		if (k->len >= 2 && k->str[0] == 'g' && k->str[1] == ':') {
			const char *name = k->str + 2;
			size_t n = k->len - 2;
			if (n == 0 || n > LV_BSW_GROUP_MAX || !no_nul(name, n))
				return *why = "a group's name in the record is not valid", LV_BSW_BAD;
			if (group_find(t, name, n))
				return *why = "a group is twice in the record", LV_BSW_BAD;
			lv_bsw_group *g = &t->g[t->ng++];
			g->name = (lv_bsw_str){ name, n };
			if (!num_of(v, &g->have))
				return *why = "a group's offset in the record is not a number", LV_BSW_BAD;
			continue;
		}
		if (k->len >= 2 && k->str[0] == 'r' && k->str[1] == ':') {
			uint64_t id;
			if (!lv__bsw_num(k->str + 2, k->len - 2, &id) || id == 0 || id > INT64_MAX)
				return *why = "a call's id in the record is not valid", LV_BSW_BAD;
			t->calls[t->ncalls++] = (int64_t)id;
			continue;
		}
		if (eq(k, "id")) {
			f = F_ID;
			if (!conn_ok(v->str, v->len))
				return *why = "the record's connection id is not valid", LV_BSW_BAD;
			t->id = str_of(v);
		} else if (eq(k, "node")) {
			f = F_NODE;
			if (!node_ok(v->str, v->len))
				return *why = "the record's node is not valid", LV_BSW_BAD;
			t->node = str_of(v);
		} else if (eq(k, "fence")) {
			f = F_FENCE;
			uint64_t fence;
			if (!num_of(v, &fence) || fence != t->fence)
				return *why = "the record's fence is not the one the take gave", LV_BSW_BAD;
		} else if (eq(k, "ident")) {
			f = F_IDENT;
			if (v->len > LV_BSW_IDENT_MAX || !no_nul(v->str, v->len))
				return *why = "the record's identity is not valid", LV_BSW_BAD;
			t->ident = str_of(v);
		} else if (eq(k, "inband")) {
			f = F_INBAND;
			if (v->len != 1 || (v->str[0] != '0' && v->str[0] != '1'))
				return *why = "the record's inband is neither 0 nor 1", LV_BSW_BAD;
			t->inband = v->str[0] == '1';
		} else if (eq(k, "roles")) {
			f = F_ROLES;
			if (v->len > LV_BSW_IDENT_MAX || !no_nul(v->str, v->len))
				return *why = "the record's roles are not valid", LV_BSW_BAD;
			t->roles = str_of(v);
			size_t n = 0;
			for (size_t j = 0; j < v->len; j++)
				if (v->str[j] != '\n' && (j == 0 || v->str[j - 1] == '\n'))
					n++;
			if (n > LV_BSW_ROLES_MAX)
				return *why = "the record has too many roles", LV_BSW_BAD;
			t->nroles = n;
		} else if (eq(k, "in")) {
			f = F_IN;
			if (!num_of(v, &t->in))
				return *why = "the record's in is not a number", LV_BSW_BAD;
		} else if (eq(k, "out")) {
			f = F_OUT;
			if (!num_of(v, &t->out))
				return *why = "the record's out is not a number", LV_BSW_BAD;
		} else if (eq(k, "ack")) {
			f = F_ACK;
			if (!num_of(v, &t->ack))
				return *why = "the record's ack is not a number", LV_BSW_BAD;
		}
		if (seen & f)
			return *why = "a field is twice in the record", LV_BSW_BAD;
		seen |= f;
	}
	if (seen != F_ALL)
		return *why = "the record lacks a field lv writes", LV_BSW_BAD;
	if (t->ack > t->out)
		return *why = "the record's ack is past its out", LV_BSW_BAD;
	return LV_BSW_TAKEN;
}

/* ---- the queue: "SEQ JSON" each ------------------------------------------------------ */

static lv_bsw_result
queue(const redisReply *l, lv_bsw_take *t, const char **why)
{
	if (!is_array(l))
		return *why = "the queue is not a list", LV_BSW_BAD;
	if (l->elements && !(t->q = calloc(l->elements, sizeof *t->q)))
		return LV_BSW_NOMEM;
	for (size_t i = 0; i < l->elements; i++) {
		const redisReply *e = l->element[i];
		lv_bsw_queued *q = &t->q[t->nq];
		if (!is_str(e) || !lv__bsw_queued_parse(e->str, e->len, q))
			return *why = "a queued message is not \"SEQ JSON\"", LV_BSW_BAD;
		if ((t->nq && q->seq <= t->q[t->nq - 1].seq) || q->seq > t->out)
			return *why = "the queue's seqs are out of order or past the record's out",
			       LV_BSW_BAD;
		t->nq++;
	}
	return LV_BSW_TAKEN;
}

/* ---- the groups: {name, offset, top, {{id, {field, json, ...}}...}} ------------------ */

static lv_bsw_result
groups(const redisReply *l, lv_bsw_take *t, const char **why)
{
	if (!is_array(l) || l->elements != t->ng)
		return *why = "the groups are not the record's groups", LV_BSW_BAD;
	for (size_t i = 0; i < l->elements; i++) {
		const redisReply *r = l->element[i];
		if (!is_array(r) || r->elements != 4 || !is_str(r->element[0]) ||
		    !is_array(r->element[3]))
			return *why = "a group is not {name, offset, top, entries}", LV_BSW_BAD;
		lv_bsw_group *g = group_find(t, r->element[0]->str, r->element[0]->len);
		uint64_t have;
		if (!g || g->e || !num_of(r->element[1], &have) || have != g->have)
			return *why = "a group is not one of the record's, or not at its offset",
			       LV_BSW_BAD;
		if (!num_of(r->element[2], &g->top))
			return *why = "a group's top is not a number", LV_BSW_BAD;
		const redisReply *es = r->element[3];
		/* an empty one allocated all the same: each group is given once */
		if (!(g->e = calloc(es->elements ? es->elements : 1, sizeof *g->e)))
			return LV_BSW_NOMEM;
		for (size_t j = 0; j < es->elements; j++) {
			const redisReply *e = es->element[j];
			lv_bsw_entry *x = &g->e[g->ne];
			if (!is_array(e) || e->elements != 2 || !is_str(e->element[0]) ||
			    !is_array(e->element[1]) || e->element[1]->elements < 2 ||
			    e->element[1]->elements % 2 || !is_str(e->element[1]->element[1]))
				return *why = "a group's entry is not {id, {field, json}}", LV_BSW_BAD;
			if (!lv__bsw_stream_id(e->element[0]->str, e->element[0]->len, &x->off) ||
			    x->off <= (g->ne ? g->e[g->ne - 1].off : g->have))
				return *why = "a group's entries are not in order after its offset",
				       LV_BSW_BAD;
			x->json = str_of(e->element[1]->element[1]);
			if (x->json.n == 0 || !no_nul(x->json.p, x->json.n))
				return *why = "a group's entry is empty or holds a NUL", LV_BSW_BAD;
			g->ne++;
		}
	}
	return LV_BSW_TAKEN;
}

lv_bsw_result
lv__bsw_take_parse(const redisReply *r, lv_bsw_take *out, const char **why)
{
	static const char *unused;
	if (!why)
		why = &unused;
	*why = NULL;
	memset(out, 0, sizeof *out);
	if (!r)
		return *why = "no reply", LV_BSW_BAD;
	if (r->type == REDIS_REPLY_INTEGER && r->integer == 0)
		return LV_BSW_UNKNOWN;
	if (is_str(r) && eq(r, "overflow"))
		return LV_BSW_OVERFLOW;
	if (!is_array(r) || r->elements != 4 || !r->element[0] ||
	    r->element[0]->type != REDIS_REPLY_INTEGER || r->element[0]->integer < 1)
		return *why = "the reply is not {fence, record, queue, groups}", LV_BSW_BAD;
	out->fence = (uint64_t)r->element[0]->integer;
	lv_bsw_result rc = record(r->element[1], out, why);
	if (rc == LV_BSW_TAKEN)
		rc = queue(r->element[2], out, why);
	if (rc == LV_BSW_TAKEN)
		rc = groups(r->element[3], out, why);
	if (rc != LV_BSW_TAKEN)
		lv__bsw_take_free(out);
	return rc;
}

void
lv__bsw_take_free(lv_bsw_take *t)
{
	for (size_t i = 0; i < t->ng; i++)
		free(t->g[i].e);
	free(t->g);
	free(t->calls);
	free(t->q);
	memset(t, 0, sizeof *t);
}
