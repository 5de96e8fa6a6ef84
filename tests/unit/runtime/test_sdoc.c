/* test_sdoc.c - the state document: what each change records, how changes
 * coalesce before a flush, and a randomized check that a page applying
 * every flush (lv__patch_apply) always ends equal to the server's value. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "state/state.h"

static json_t *
parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
	cr_assert(j, "bad test JSON %s: %s", text, e.text);
	return j;
}

/* The flushed patch as text (owned by the caller), or NULL when nothing
 * was pending. */
static char *
flush(lv_sdoc *d)
{
	lv_buf b;
	lv_buf_init(&b);
	if (!lv__sdoc_flush(d, &b)) {
		lv_buf_free(&b);
		return NULL;
	}
	return b.data;
}

static void
op_ok(lv_sdoc *d, lv_op_kind k, const char *path, const char *from, const char *value)
{
	lv_patch_error err = { 0 };
	int rc = lv__sdoc_op(d, k, path, from, value ? parse(value) : NULL, &err);
	cr_assert_eq(rc, 0, "op on %s: %s", path, err.why);
}

static void
expect_flush(lv_sdoc *d, const char *want)
{
	char *got = flush(d);
	if (!want)
		cr_expect_null(got, "expected nothing, got %s", got);
	else {
		cr_expect(got, "expected %s, got nothing", want);
		if (got)
			cr_expect_str_eq(got, want);
	}
	free(got);
}

Test(record, the_last_replace_wins)
{
	lv_sdoc d;
	lv__sdoc_init(&d, parse("{\"a\":1,\"b\":{\"c\":1}}"));
	op_ok(&d, LV_OP_REPLACE, "/a", NULL, "2");
	op_ok(&d, LV_OP_REPLACE, "/b/c", NULL, "2");
	op_ok(&d, LV_OP_REPLACE, "/a", NULL, "3");
	expect_flush(&d, "[{\"op\":\"replace\",\"path\":\"/b/c\",\"value\":2},"
	                 "{\"op\":\"replace\",\"path\":\"/a\",\"value\":3}]");
	cr_expect_eq(d.rev, 1);
	expect_flush(&d, NULL);
	cr_expect_eq(d.rev, 1, "an empty flush is no revision");
	lv__sdoc_free(&d);
}

Test(record, what_was_under_a_replaced_value_goes)
{
	lv_sdoc d;
	lv__sdoc_init(&d, parse("{\"b\":{\"c\":1,\"d\":[1,2]}}"));
	op_ok(&d, LV_OP_REPLACE, "/b/c", NULL, "2");
	op_ok(&d, LV_OP_ADD, "/b/d/0", NULL, "0");
	op_ok(&d, LV_OP_REMOVE, "/b/d/2", NULL, NULL);
	op_ok(&d, LV_OP_REPLACE, "/b", NULL, "{\"x\":1}");
	expect_flush(&d, "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":{\"x\":1}}]");
	lv__sdoc_free(&d);
}

Test(record, a_map_entry_added_and_removed_is_nothing)
{
	lv_sdoc d;
	lv__sdoc_init(&d, parse("{\"m\":{}}"));
	op_ok(&d, LV_OP_ADD, "/m/k1", NULL, "{\"v\":1}");
	op_ok(&d, LV_OP_REPLACE, "/m/k1/v", NULL, "2");
	op_ok(&d, LV_OP_REPLACE, "/m/k1", NULL, "{\"v\":3}");
	op_ok(&d, LV_OP_REMOVE, "/m/k1", NULL, NULL);
	expect_flush(&d, NULL);
	/* but an entry that was there before the flush is removed */
	op_ok(&d, LV_OP_ADD, "/m/k2", NULL, "1");
	expect_flush(&d, "[{\"op\":\"add\",\"path\":\"/m/k2\",\"value\":1}]");
	op_ok(&d, LV_OP_REPLACE, "/m/k2", NULL, "2");
	op_ok(&d, LV_OP_REMOVE, "/m/k2", NULL, NULL);
	expect_flush(&d, "[{\"op\":\"remove\",\"path\":\"/m/k2\"}]");
	lv__sdoc_free(&d);
}

Test(record, list_shifts_stop_coalescing_below_the_list)
{
	lv_sdoc d;
	lv__sdoc_init(&d, parse("{\"l\":[{\"x\":0},{\"x\":1}]}"));
	op_ok(&d, LV_OP_REPLACE, "/l/1/x", NULL, "10");
	op_ok(&d, LV_OP_ADD, "/l/0", NULL, "{\"x\":-1}");   /* old /l/0 is /l/1 now */
	op_ok(&d, LV_OP_REPLACE, "/l/1/x", NULL, "20");
	op_ok(&d, LV_OP_ADD, "/l/-", NULL, "{\"x\":9}");
	op_ok(&d, LV_OP_MOVE, "/l/0", "/l/3", NULL);
	expect_flush(&d, "[{\"op\":\"replace\",\"path\":\"/l/1/x\",\"value\":10},"
	                 "{\"op\":\"add\",\"path\":\"/l/0\",\"value\":{\"x\":-1}},"
	                 "{\"op\":\"replace\",\"path\":\"/l/1/x\",\"value\":20},"
	                 "{\"op\":\"add\",\"path\":\"/l/3\",\"value\":{\"x\":9}},"
	                 "{\"op\":\"move\",\"from\":\"/l/3\",\"path\":\"/l/0\"}]");
	char *want = "{\"l\":[{\"x\":9},{\"x\":-1},{\"x\":20},{\"x\":10}]}";
	json_t *w = parse(want);
	cr_expect(lv__json_same(d.root, w));
	json_decref(w);
	lv__sdoc_free(&d);
}

Test(record, removing_a_list_item_drops_what_changed_in_it)
{
	lv_sdoc d;
	lv__sdoc_init(&d, parse("[{\"x\":0},{\"x\":1}]"));
	op_ok(&d, LV_OP_REPLACE, "/1/x", NULL, "5");
	op_ok(&d, LV_OP_REMOVE, "/1", NULL, NULL);
	expect_flush(&d, "[{\"op\":\"remove\",\"path\":\"/1\"}]");
	lv__sdoc_free(&d);
}

Test(record, refusals_change_nothing)
{
	lv_sdoc d;
	lv__sdoc_init(&d, parse("{\"l\":[1],\"m\":{}}"));
	lv_patch_error err;
	cr_expect_eq(lv__sdoc_op(&d, LV_OP_REPLACE, "/m/k", NULL, parse("1"), &err),
	             LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.why, "replace: there is no value at the path");
	cr_expect_eq(lv__sdoc_op(&d, LV_OP_ADD, "/l/5", NULL, parse("1"), &err),
	             LV_EINVALID_ARGUMENT);
	cr_expect_eq(lv__sdoc_op(&d, LV_OP_REMOVE, "", NULL, NULL, &err), LV_EINVALID_ARGUMENT);
	cr_expect_eq(lv__sdoc_op(&d, LV_OP_MOVE, "/m", "/l/0", NULL, &err), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.why, "move: both paths must be items of one list");
	cr_expect_eq(lv__sdoc_op(&d, LV_OP_ADD, "/x/y", NULL, parse("1"), &err),
	             LV_EINVALID_ARGUMENT);
	cr_expect_not(lv__sdoc_pending(&d));
	lv__sdoc_free(&d);
}

Test(record, set_diffs_only_what_differs)
{
	lv_sdoc d;
	lv__sdoc_init(&d, parse("{\"a\":{\"x\":1,\"y\":[1,2],\"z\":\"q\"},\"b\":1}"));
	lv_patch_error err;
	cr_assert_eq(lv__sdoc_set(&d, "/a", parse("{\"x\":1,\"y\":[1,3],\"w\":true}"), &err), 0);
	expect_flush(&d, "[{\"op\":\"remove\",\"path\":\"/a/z\"},"
	                 "{\"op\":\"replace\",\"path\":\"/a/y/1\",\"value\":3},"
	                 "{\"op\":\"add\",\"path\":\"/a/w\",\"value\":true}]");
	cr_assert_eq(lv__sdoc_set(&d, "/a/y", parse("[1,3,4]"), &err), 0);
	expect_flush(&d, "[{\"op\":\"replace\",\"path\":\"/a/y\",\"value\":[1,3,4]}]");
	cr_assert_eq(lv__sdoc_set(&d, "", parse("{\"b\":1}"), &err), 0);
	expect_flush(&d, "[{\"op\":\"remove\",\"path\":\"/a\"}]");
	lv__sdoc_free(&d);
}

Test(record, one_row_prepended_to_ten_thousand_is_one_small_op)
{
	json_t *rows = json_array();
	for (int i = 0; i < 10000; i++)
		json_array_append_new(rows, json_pack("{s:i,s:s}", "id", i, "name", "machine"));
	lv_sdoc d;
	lv__sdoc_init(&d, json_pack("{s:o}", "rows", rows));
	op_ok(&d, LV_OP_ADD, "/rows/0", NULL, "{\"id\":-1,\"name\":\"new\"}");
	char *got = flush(&d);
	cr_assert(got);
	cr_expect_str_eq(got, "[{\"op\":\"add\",\"path\":\"/rows/0\",\"value\":{\"id\":-1,\"name\":\"new\"}}]");
	cr_expect_lt(strlen(got), 1024);
	free(got);
	lv__sdoc_free(&d);
}

Test(record, snapshot_is_one_replace_of_the_root)
{
	lv_sdoc d;
	lv__sdoc_init(&d, parse("{\"a\":[1]}"));
	lv_buf b;
	lv_buf_init(&b);
	lv__sdoc_snapshot(&d, &b);
	cr_expect_str_eq(b.data, "[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"a\":[1]}}]");
	lv_buf_free(&b);
	lv__sdoc_free(&d);
}

/* ---- randomized: a page applying every flush stays equal ------------------ */

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static json_t *
rnd_value(int depth)
{
	switch (depth > 2 ? rnd(3) : rnd(6)) {
	case 0: return json_integer(rnd(100));
	case 1: return json_string(rnd(2) ? "a/b" : "m~n");
	case 2: return rnd(2) ? json_true() : json_null();
	case 3: {
		json_t *o = json_object();
		for (uint32_t i = 0, n = rnd(4); i < n; i++) {
			char k[8];
			snprintf(k, sizeof k, "k%u", rnd(6));
			json_object_set_new(o, k, rnd_value(depth + 1));
		}
		return o;
	}
	default: {
		json_t *a = json_array();
		for (uint32_t i = 0, n = rnd(4); i < n; i++)
			json_array_append_new(a, rnd_value(depth + 1));
		return a;
	}
	}
}

/* A random container of doc and its path (in p): walks down at random. */
static json_t *
rnd_container(json_t *doc, lv_buf *p)
{
	json_t *c = doc;
	lv__ptr_truncate(p, 0);
	while (rnd(3)) {
		json_t *next = NULL;
		char key[24];
		if (json_is_object(c) && json_object_size(c)) {
			size_t i = rnd((uint32_t)json_object_size(c));
			const char *k;
			json_t *v;
			json_object_foreach(c, k, v) {
				if (i-- == 0) {
					snprintf(key, sizeof key, "%s", k);
					next = v;
					break;
				}
			}
		} else if (json_is_array(c) && json_array_size(c)) {
			size_t i = rnd((uint32_t)json_array_size(c));
			snprintf(key, sizeof key, "%zu", i);
			next = json_array_get(c, i);
		}
		if (!next || !(json_is_object(next) || json_is_array(next)))
			break;
		lv__ptr_append(p, key);
		c = next;
	}
	return c;
}

/* One random change that must succeed. */
static void
rnd_change(lv_sdoc *d)
{
	lv_buf p;
	lv_buf_init(&p);
	lv__buf_reserve(&p, 64);
	lv__ptr_truncate(&p, 0);
	json_t *c = rnd_container(d->root, &p);
	size_t at = p.len;
	lv_patch_error err = { 0 };
	int rc = 0;
	char key[24];
	if (!json_is_object(c) && !json_is_array(c)) {   /* a root set to a scalar */
		rc = lv__sdoc_set(d, "", json_pack("{s:[]}", "l"), &err);
	} else if (rnd(40) == 0) {
		rc = lv__sdoc_set(d, p.data, rnd_value(0), &err);
	} else if (json_is_object(c)) {
		snprintf(key, sizeof key, "k%u", rnd(6));
		lv__ptr_append(&p, key);
		bool has = json_object_get(c, key) != NULL;
		switch (rnd(3)) {
		case 0: rc = lv__sdoc_op(d, LV_OP_ADD, p.data, NULL, rnd_value(at / 4), &err); break;
		case 1:
			if (has)
				rc = lv__sdoc_op(d, LV_OP_REPLACE, p.data, NULL, rnd_value(at / 4), &err);
			break;
		default:
			if (has)
				rc = lv__sdoc_op(d, LV_OP_REMOVE, p.data, NULL, NULL, &err);
		}
	} else {
		size_t n = json_array_size(c);
		uint32_t what = n ? rnd(4) : 0;
		snprintf(key, sizeof key, "%u", what == 0 ? rnd((uint32_t)n + 1) : rnd((uint32_t)n));
		if (what == 0 && rnd(4) == 0)
			snprintf(key, sizeof key, "-");
		lv__ptr_append(&p, key);
		if (what == 0)
			rc = lv__sdoc_op(d, LV_OP_ADD, p.data, NULL, rnd_value(at / 4), &err);
		else if (what == 1)
			rc = lv__sdoc_op(d, LV_OP_REPLACE, p.data, NULL, rnd_value(at / 4), &err);
		else if (what == 2)
			rc = lv__sdoc_op(d, LV_OP_REMOVE, p.data, NULL, NULL, &err);
		else {
			char from[64];
			snprintf(from, sizeof from, "%.*s/%u", (int)at, p.data, rnd((uint32_t)n));
			rc = lv__sdoc_op(d, LV_OP_MOVE, p.data, from, NULL, &err);
		}
	}
	cr_assert_eq(rc, 0, "change at %s: %s", p.data, err.why);
	lv_buf_free(&p);
}

Test(random, a_page_applying_every_flush_stays_equal, .timeout = 20)
{
	int flushes = 0, ops = 0;
	for (int round = 0; round < 300; round++) {
		lv_sdoc d;
		lv__sdoc_init(&d, json_pack("{s:{},s:[],s:{s:i}}", "m", "l", "s", "a", 1));
		json_t *page = json_deep_copy(d.root);
		for (int step = 0; step < 60; step++) {
			for (uint32_t i = 0, n = 1 + rnd(12); i < n; i++)
				rnd_change(&d);
			lv_buf b;
			lv_buf_init(&b);
			if (lv__sdoc_flush(&d, &b)) {
				json_t *patch = parse(b.data);
				ops += (int)json_array_size(patch);
				lv_patch_error err = { 0 };
				int rc = lv__patch_apply(&page, patch, &err);
				cr_assert_eq(rc, 0, "round %d: op %zu of %s: %s", round, err.op, b.data, err.why);
				json_decref(patch);
				flushes++;
			}
			lv_buf_free(&b);
			if (!lv__json_same(page, d.root)) {
				char *a = json_dumps(page, JSON_COMPACT), *s = json_dumps(d.root, JSON_COMPACT);
				cr_assert_fail("round %d step %d: page %s, server %s", round, step, a, s);
			}
		}
		json_decref(page);
		lv__sdoc_free(&d);
	}
	cr_log_info("%d flushes, %d operations sent", flushes, ops);
	cr_expect_gt(flushes, 10000);
}
