/* test_patch.c - RFC 6902 patches on jansson values: the public
 * json-patch-tests conformance suite (tests.json and spec_tests.json of
 * the npm package json-patch-test-suite), and all-or-nothing application. */
#include <criterion/criterion.h>
#include <stdio.h>

#include "state/state.h"

#define SUITE "node_modules/json-patch-test-suite/"

static json_t *
parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, JSON_DECODE_ANY, &e);
	cr_assert(j, "bad test JSON %s: %s", text, e.text);
	return j;
}

/* Runs every case of one file of the suite; returns the count run. */
static int
run_suite(const char *file)
{
	json_error_t e;
	json_t *cases = json_load_file(file, 0, &e);
	cr_assert(cases, "cannot read %s (run npm ci): %s", file, e.text);
	int run = 0, failed = 0;
	size_t i;
	json_t *c;
	json_array_foreach(cases, i, c) {
		if (json_is_true(json_object_get(c, "disabled")))
			continue;
		run++;
		const char *comment = json_string_value(json_object_get(c, "comment"));
		json_t *doc = json_deep_copy(json_object_get(c, "doc"));
		json_t *before = json_deep_copy(doc);
		lv_patch_error err = { 0 };
		int rc = lv__patch_apply(&doc, json_object_get(c, "patch"), &err);
		json_t *want = json_object_get(c, "expected");
		bool ok;
		if (json_object_get(c, "error"))
			ok = rc == LV_EINVALID_ARGUMENT && lv__json_same(doc, before);
		else if (want)
			ok = rc == 0 && lv__json_same(doc, want);
		else
			ok = rc == 0;
		if (!ok) {
			char *got = json_dumps(doc, JSON_ENCODE_ANY | JSON_COMPACT);
			cr_log_error("%s case %zu (%s): rc %d (%s), got %s", file, i,
			             comment ? comment : "no comment", rc, err.why, got);
			free(got);
			failed++;
		}
		json_decref(doc);
		json_decref(before);
	}
	json_decref(cases);
	cr_expect_eq(failed, 0, "%d of %d cases of %s failed", failed, run, file);
	return run;
}

Test(conformance, tests_json)
{
	cr_expect_geq(run_suite(SUITE "tests.json"), 70);
}

Test(conformance, spec_tests_json)
{
	cr_expect_geq(run_suite(SUITE "spec_tests.json"), 15);
}

Test(apply, all_or_nothing)
{
	json_t *doc = parse("{\"a\":[1,2,3],\"b\":{\"c\":1}}");
	json_t *before = json_deep_copy(doc);
	json_t *ops = parse("[{\"op\":\"remove\",\"path\":\"/a/0\"},"
	                    "{\"op\":\"add\",\"path\":\"/b/d\",\"value\":[1]},"
	                    "{\"op\":\"replace\",\"path\":\"\",\"value\":7},"
	                    "{\"op\":\"move\",\"from\":\"/x\",\"path\":\"/y\"}]");
	lv_patch_error err;
	cr_assert_eq(lv__patch_apply(&doc, ops, &err), LV_EINVALID_ARGUMENT);
	cr_expect_eq(err.op, 3);
	cr_expect_str_eq(err.why, "path: the parent is not an object or an array");   /* the root is 7 by then */
	cr_expect(json_equal(doc, before), "the document changed");
	json_decref(doc);
	json_decref(before);
	json_decref(ops);
}

Test(apply, numbers_by_value_in_test)
{
	json_t *doc = parse("{\"n\":1}");
	json_t *ops = parse("[{\"op\":\"test\",\"path\":\"/n\",\"value\":1.0}]");
	lv_patch_error err;
	cr_expect_eq(lv__patch_apply(&doc, ops, &err), 0);
	json_decref(ops);
	ops = parse("[{\"op\":\"test\",\"path\":\"/n\",\"value\":1.5}]");
	cr_expect_eq(lv__patch_apply(&doc, ops, &err), LV_EINVALID_ARGUMENT);
	cr_expect_str_eq(err.why, "test: the value differs");
	json_decref(ops);
	json_decref(doc);
}

Test(apply, root_replaced_and_put_back)
{
	json_t *doc = parse("[1]");
	json_t *ops = parse("[{\"op\":\"replace\",\"path\":\"\",\"value\":{\"x\":1}},"
	                    "{\"op\":\"remove\",\"path\":\"/y\"}]");
	lv_patch_error err;
	cr_assert_eq(lv__patch_apply(&doc, ops, &err), LV_EINVALID_ARGUMENT);
	cr_expect_eq(err.op, 1);
	cr_expect(json_is_array(doc) && json_array_size(doc) == 1);
	json_decref(ops);
	json_decref(doc);
}

Test(pointer, escapes_and_indexes)
{
	json_t *doc = parse("{\"a/b\":{\"m~n\":[10,20]}}");
	cr_expect_eq(json_integer_value(lv__pointer_get(doc, "/a~1b/m~0n/1")), 20);
	cr_expect_null(lv__pointer_get(doc, "/a~1b/m~0n/01"));
	cr_expect_null(lv__pointer_get(doc, "/a~1b/m~0n/-"));
	cr_expect_null(lv__pointer_get(doc, "/a~2b"));
	cr_expect_null(lv__pointer_get(doc, "a"));
	cr_expect_eq(lv__pointer_get(doc, ""), doc);
	json_decref(doc);
}
