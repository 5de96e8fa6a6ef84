/* test_state_wire.c - the keys and patch frames of shared states (net/state_wire.c): made and parsed back, junk of every kind refused. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "net/state_wire.h"

static bool
parse(const char *s, lv_stw_frame *f)
{
	return lv__stw_parse(s, strlen(s), f);
}

static bool
is(const char *p, size_t n, const char *want)
{
	return n == strlen(want) && memcmp(p, want, n) == 0;
}

Test(state_wire, a_frame_parses_into_its_parts)
{
	lv_stw_frame f;
	const char *s = "Tnode-a.1\nboard\n42\n{\"t\":\"state\",\"rev\":42}";
	cr_assert(parse(s, &f));
	cr_assert(is(f.origin, f.origin_len, "node-a.1"));
	cr_assert(is(f.name, f.name_len, "board"));
	cr_assert_eq(f.rev, 42);
	cr_assert(is(f.body, f.body_len, "{\"t\":\"state\",\"rev\":42}"));
	/* a body may hold newlines of its own */
	cr_assert(parse("Tn\nx\n1\na\nb", &f));
	cr_assert(is(f.body, f.body_len, "a\nb"));
	/* the largest revision the wire takes: 19 digits */
	cr_assert(parse("Tn\nx\n9999999999999999999\n{}", &f));
	cr_assert_eq(f.rev, 9999999999999999999ull);
}

Test(state_wire, junk_is_refused)
{
	lv_stw_frame f;
	const char *bad[] = {
		"", "T", "H1\nx\n1\n{}", "T\nx\n1\n{}", "Tn\n\n1\n{}", "Tn\nx\n\n{}", "Tn\nx\n0\n{}",
		"Tn\nx\n01\n{}", "Tn\nx\n-1\n{}", "Tn\nx\n1x\n{}", "Tn\nx\n1\n", "Tn\nx\n1",
		"Tn\nx@g\n1\n{}", "Tn\nx y\n1\n{}", "Tn n\nx\n1\n{}", "Tn\nx\n12345678901234567890\n{}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		cr_assert(!parse(bad[i], &f), "parsed: %s", bad[i]);
	char origin[80];
	memset(origin, 'a', 65);
	strcpy(origin + 65, "\nx\n1\n{}");
	cr_assert(!parse(origin, &f), "an origin longer than a node id");
	/* a NUL inside the name is not a state's name */
	cr_assert(!lv__stw_parse("Tn\nx\0y\n1\n{}", 11, &f));
	cr_assert(!lv__stw_parse(NULL, 0, &f));
}

Test(state_wire, keys_are_unambiguous)
{
	char *g = lv__stw_key("board", "room 1"), *a = lv__stw_key("board", NULL);
	cr_assert_str_eq(g, "board@room 1");
	cr_assert_str_eq(a, "board");
	/* a group name with "@" in it stays after the first one: the name has none */
	char *at = lv__stw_key("board", "a@b");
	cr_assert_str_eq(at, "board@a@b");
	cr_assert_null(lv__stw_key("bo@ard", NULL));
	cr_assert_null(lv__stw_key("", NULL));
	cr_assert_null(lv__stw_key("board", ""));
	cr_assert_null(lv__stw_key(NULL, "g"));
	free(g);
	free(a);
	free(at);
}

Test(state_wire, revisions)
{
	uint64_t r = 0;
	cr_assert(lv__stw_rev("7", 1, &r) && r == 7);
	cr_assert(!lv__stw_rev("0", 1, &r));
	cr_assert(!lv__stw_rev("", 0, &r));
	cr_assert(!lv__stw_rev("1 ", 2, &r));
}
