/* test_query.c - queries on a model: what a page may ask and the errors it
 * gets otherwise, the canonical key equal queries share, and a randomized
 * check that lv__query_match and lv__query_cmp, run in C, select and order
 * exactly the rows each store (SQLite, PostgreSQL) returns for the SQL
 * written for the same query. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/model.h"
#include "backends.h"

static const lv_model_col cols[] = {
	{ "id", LV_COL_INT, LV_COL_KEY },
	{ "n", LV_COL_INT, LV_COL_OPTIONAL | LV_COL_FILTER | LV_COL_ORDER | LV_COL_INDEX },
	{ "x", LV_COL_FLOAT, LV_COL_OPTIONAL | LV_COL_FILTER | LV_COL_ORDER },
	{ "s", LV_COL_TEXT, LV_COL_OPTIONAL | LV_COL_FILTER | LV_COL_ORDER },
	{ "b", LV_COL_BOOL, LV_COL_FILTER | LV_COL_ORDER },
	{ "j", LV_COL_JSON, LV_COL_OPTIONAL },
	{ "rev", LV_COL_INT, LV_COL_VERSION },
};
static const lv_model_desc thing = { "Thing", "things", cols, 7, 0, 6, 0 };
static const lv_model_desc paged = { "Thing", "things", cols, 7, 0, 6, 20 };

static json_t *
J(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
	cr_assert(j, "bad test JSON %s: %s", text, e.text);
	return j;
}

static int
parse(const lv_model_desc *m, const char *text, lv_query *q, lv_model_err *err)
{
	json_t *j = J(text);
	int rc = lv__query_parse(m, j, q, err);
	json_decref(j);
	return rc;
}

Test(query, refusals)
{
	static const char *const bad[][2] = {
		{ "[]", "a query must be an object" },
		{ "{\"where\":{\"zz\":1}}", "Thing has no field 'zz'" },
		{ "{\"where\":{\"j\":1}}", "Thing.j may not be filtered on" },
		{ "{\"where\":{\"n\":\"1\"}}", "where.n is compared with a value not of its type" },
		{ "{\"where\":{\"n\":{\"like\":1}}}", "'like' is not eq, ne, lt, le, gt, ge, in or contains" },
		{ "{\"where\":{\"n\":{}}}", "where.n is empty" },
		{ "{\"where\":{\"n\":{\"in\":3}}}", "where.n.in must be a list" },
		{ "{\"where\":{\"n\":{\"in\":[1,\"2\"]}}}", "where.n.in[1]" },
		{ "{\"where\":{\"n\":{\"contains\":\"1\"}}}", "contains needs a string field" },
		{ "{\"where\":{\"n\":{\"lt\":null}}}", "cannot compare with null" },
		{ "{\"order\":\"n\"}", "order must be a list" },
		{ "{\"order\":[\"-j\"]}", "Thing.j may not be ordered by" },
		{ "{\"order\":[\"q\"]}", "order[0] is not a field of Thing" },
		{ "{\"limit\":21}", "limit must be an integer from 0 to 20" },
		{ "{\"page\":0}", "page must be an integer from 1" },
		{ "{\"offset\":3}", "not 'offset'" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		lv_query q;
		lv_model_err err = { 0 };
		cr_assert_eq(parse(&paged, bad[i][0], &q, &err), LV_EINVALID_ARGUMENT, "%s", bad[i][0]);
		cr_assert(strstr(err.why, bad[i][1]), "%s: %s", bad[i][0], err.why);
	}
	lv_query q;
	lv_model_err err = { 0 };
	cr_assert_eq(parse(&paged, "{}", &q, &err), 0);
	cr_assert_eq(q.limit, 20, "the bound is the default");
	cr_assert_eq(q.page, 1);
	lv__query_free(&q);
}

Test(query, equal_queries_have_one_key)
{
	lv_query a, b, c;
	lv_model_err err = { 0 };
	cr_assert_eq(parse(&paged, "{\"where\":{\"n\":{\"gt\":1,\"lt\":5},\"b\":true},\"order\":[\"-x\"]}",
	                   &a, &err), 0, "%s", err.why);
	cr_assert_eq(parse(&paged, "{\"order\":[\"-x\"],\"where\":{\"b\":true,\"n\":{\"lt\":5,\"gt\":1}}}",
	                   &b, &err), 0, "%s", err.why);
	cr_assert_eq(parse(&paged, "{\"order\":[\"x\"],\"where\":{\"b\":true,\"n\":{\"lt\":5,\"gt\":1}}}",
	                   &c, &err), 0, "%s", err.why);
	char *ka = lv__query_key(&paged, &a, true), *kb = lv__query_key(&paged, &b, true);
	char *kc = lv__query_key(&paged, &c, true);
	cr_assert_str_eq(ka, kb);
	cr_assert_str_neq(ka, kc);
	free(ka);
	free(kb);
	free(kc);
	lv__query_free(&a);
	lv__query_free(&b);
	lv__query_free(&c);
}

/* ---- C against the stores ---------------------------------------------------------- */

static unsigned rng = 12345;

static unsigned
rnd(unsigned n)
{
	rng = rng * 1103515245u + 12345u;
	return (rng >> 8) % n;
}

static const char *const words[] = { "", "a", "ab", "b", "ba", "abc", "B", "\xc3\xa9t\xc3\xa9", "z" };

static json_t *
rnd_value(size_t col, bool maybe_null)
{
	if (maybe_null && rnd(5) == 0)
		return json_null();
	switch (cols[col].type) {
	case LV_COL_INT: return json_integer((json_int_t)rnd(7) - 3);
	case LV_COL_FLOAT: return json_real(((double)rnd(9) - 4) / 2);
	case LV_COL_TEXT: return json_string(words[rnd(sizeof words / sizeof *words)]);
	case LV_COL_BOOL: return json_boolean(rnd(2));
	case LV_COL_JSON: return json_pack("[i]", (int)rnd(3));
	}
	return json_null();
}

static json_t *
rnd_query(void)
{
	static const char *const ops[] = { "eq", "ne", "lt", "le", "gt", "ge", "in", "contains" };
	json_t *where = json_object();
	unsigned nterms = rnd(4);
	for (unsigned i = 0; i < nterms; i++) {
		size_t col = 1 + rnd(4);
		const char *op = ops[rnd(8)];
		json_t *v;
		if (strcmp(op, "contains") == 0) {
			if (cols[col].type != LV_COL_TEXT)
				op = "eq";
			v = json_string(words[rnd(sizeof words / sizeof *words)]);
			if (cols[col].type != LV_COL_TEXT) {
				json_decref(v);
				v = rnd_value(col, true);
			}
		} else if (strcmp(op, "in") == 0) {
			v = json_array();
			for (unsigned k = rnd(3); k > 0; k--)
				json_array_append_new(v, rnd_value(col, false));
		} else {
			bool eqne = op[0] == 'e' || op[0] == 'n';
			v = rnd_value(col, eqne);
		}
		json_t *t = json_object_get(where, cols[col].name);
		if (!t) {
			t = json_object();
			json_object_set_new(where, cols[col].name, t);
		}
		json_object_set_new(t, op, v);
	}
	json_t *order = json_array();
	for (unsigned i = rnd(3); i > 0; i--) {
		char name[8];
		snprintf(name, sizeof name, "%s%s", rnd(2) ? "-" : "", cols[1 + rnd(4)].name);
		json_array_append_new(order, json_string(name));
	}
	return json_pack("{s:o, s:o, s:i}", "where", where, "order", order, "limit", 0);
}

static int
cmp_ctx_sort(const lv_query *q, json_t **a, size_t n)
{
	/* An insertion sort: few rows, and qsort has no context argument. */
	for (size_t i = 1; i < n; i++) {
		json_t *x = a[i];
		size_t j = i;
		while (j > 0 && lv__query_cmp(&thing, q, a[j - 1], x) > 0) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = x;
	}
	return 0;
}

BOTH(query, c_selects_and_orders_as_the_store_does)
{
	lv_model_err err = { 0 };
	lv_store *s = B->open(&err);
	cr_assert(s, "%s", err.why);
	cr_assert_eq(s->ops->attach(s, &thing, &err), 0, "%s", err.why);
	enum { ROWS = 60 };
	json_t *rows[ROWS];
	for (int i = 0; i < ROWS; i++) {
		json_t *r = json_object();
		for (size_t c = 1; c < 6; c++)
			json_object_set_new(r, cols[c].name, rnd_value(c, cols[c].flags & LV_COL_OPTIONAL));
		json_t *out = NULL;
		cr_assert_eq(lv__store_create(s, &thing, r, &out, &err), 0, "%s", err.why);
		rows[i] = out;
		json_decref(r);
	}
	for (int round = 0; round < 2000; round++) {
		json_t *qj = rnd_query();
		char *text = json_dumps(qj, JSON_COMPACT);
		lv_query q;
		cr_assert_eq(lv__query_parse(&thing, qj, &q, &err), 0, "%s: %s", text, err.why);
		lv_page p;
		cr_assert_eq(s->ops->list(s, &thing, &q, &p, &err), 0, "%s: %s", text, err.why);
		json_t *mine[ROWS];
		size_t n = 0;
		for (int i = 0; i < ROWS; i++)
			if (lv__query_match(&thing, &q, rows[i]))
				mine[n++] = rows[i];
		cmp_ctx_sort(&q, mine, n);
		cr_assert_eq(json_array_size(p.rows), n, "%s: %s %zu rows, C %zu", text, B->name,
		             json_array_size(p.rows), n);
		cr_assert_eq(p.count, (int64_t)n, "%s", text);
		for (size_t i = 0; i < n; i++) {
			json_t *a = json_array_get(p.rows, i);
			if (!json_equal(a, mine[i])) {
				char *x = json_dumps(a, JSON_COMPACT), *y = json_dumps(mine[i], JSON_COMPACT);
				cr_assert_fail("%s: row %zu: %s %s, C %s", text, i, B->name, x, y);
			}
		}
		json_decref(p.rows);
		lv__query_free(&q);
		free(text);
		json_decref(qj);
	}
	for (int i = 0; i < ROWS; i++)
		json_decref(rows[i]);
	s->ops->close(s);
}

BOTH(query, pages_and_counts)
{
	lv_model_err err = { 0 };
	lv_store *s = B->open(&err);
	cr_assert(s, "%s", err.why);
	cr_assert_eq(s->ops->attach(s, &paged, &err), 0, "%s", err.why);
	cr_assert_eq(s->ops->exec(s, "WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k"
	                             " WHERE i < 45) INSERT INTO things (id, n, b, rev)"
	                              " SELECT i, i % 3, true, 1 FROM k", &err), 0, "%s", err.why);
	lv_query q;
	cr_assert_eq(parse(&paged, "{\"where\":{\"n\":0},\"order\":[\"-id\"],\"page\":2,\"limit\":4}",
	                   &q, &err), 0, "%s", err.why);
	lv_page p;
	cr_assert_eq(s->ops->list(s, &paged, &q, &p, &err), 0, "%s", err.why);
	cr_assert_eq(p.count, 15);
	cr_assert_eq(json_array_size(p.rows), 4);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(p.rows, 0), "id")), 33);
	json_decref(p.rows);
	q.page = 5;   /* past the end: no rows, still the count */
	cr_assert_eq(s->ops->list(s, &paged, &q, &p, &err), 0, "%s", err.why);
	cr_assert_eq(json_array_size(p.rows), 0);
	cr_assert_eq(p.count, 15);
	json_decref(p.rows);
	lv__query_free(&q);
	s->ops->close(s);
}
