/* test_breaking.c - lvc --breaking (compiler/breaking.c): what is counted,
 * what is said once, where the old file's places are shown, and the
 * command line around it. tests/cases/breaking/ pins each rule's message. */
#include <criterion/criterion.h>
#include <sys/wait.h>

#include "unit.h"

/* The old program; `c` (unit.h) is the new one, where the changes are
 * reported. */
static lvc_ctx old;

static void
open_both(void)
{
	lvt_open();
	lvc_init(&old);
	old.err = lvt_err;
	old.color = false;
}

static void
close_both(void)
{
	lvc_free(&old);
	lvt_close();
}

TestSuite(breaking, .init = open_both, .fini = close_both);
TestSuite(cli, .init = lvt_open, .fini = lvt_close);

static void
check_into(lvc_ctx *x, const char *name, const char *text)
{
	lvc_parse_source(x, lvc_load_buffer(x, name, text, strlen(text)));
	if (!x->stop && x->root)
		lvc_check(x);
	cr_assert_eq(x->errors, 0, "%s does not check:\n%s", name, lvt_diags());
}

/* Checks both programs, which must be clean, and compares them. */
static int
compare(const char *before, const char *after)
{
	check_into(&old, "old.lv", before);
	check_into(&c, "new.lv", after);
	return lvc_breaking(&old, &c);
}

static const char head[] = "@public\nmodule shop;\n";

Test(breaking, the_same_program_breaks_nothing)
{
	const char *text = "@public\nmodule shop;\nstruct Item { name: string; tags: list<string>; }\n"
	                   "@server.rpc\nget(id: int) -> Item;\n@client.realtime\nseen(item: Item);\n";
	cr_expect_eq(compare(text, text), 0);
	cr_expect_str_eq(lvt_diags(), "");
	cr_expect_eq(c.errors, 0);
}

Test(breaking, each_change_is_one_error_of_the_new_program)
{
	int n = compare("@public\nmodule shop;\n@server.rpc\na(x: int) -> void;\n"
	                "@server.rpc\nb() -> void;\n",
	                "@public\nmodule shop;\n@server.rpc\na(x: string) -> void;\n");
	cr_expect_eq(n, 2, "%s", lvt_diags());
	cr_expect_eq(c.errors, 2);
	cr_expect_eq(old.errors, 0);
	cr_expect_eq(lvt_count("[breaking-type-changed]"), 1, "%s", lvt_diags());
	cr_expect_eq(lvt_count("[breaking-endpoint-removed]"), 1, "%s", lvt_diags());
}

/* The old file's places go through one copy of it in the new table, which
 * is not an input of the new program (no depfile lists it). */
Test(breaking, the_old_file_is_copied_once)
{
	compare("@public\nmodule shop;\n@server.rpc\na() -> void;\n@server.rpc\nb() -> void;\n"
	        "@server.rpc\nc(x: int) -> void;\n",
	        "@public\nmodule shop;\n@server.rpc\nc(x: string) -> void;\n");
	cr_assert_eq(c.nfiles, 2, "new.lv and the copy: %u files", c.nfiles);
	cr_expect_str_eq(c.files[1]->path, "old.lv");
	cr_expect(c.files[1]->not_input);
	cr_expect(lvt_has("old.lv:4:1: error: server.rpc 'a' was removed"), "%s", lvt_diags());
	cr_expect(lvt_has("old.lv:6:1: error: server.rpc 'b' was removed"), "%s", lvt_diags());
	cr_expect(lvt_has("old.lv:8:6: note: it was int here"), "%s", lvt_diags());
}

/* A struct met through two endpoints, or twice through one, is judged
 * once per direction, and each change in it is said once. */
Test(breaking, a_struct_reached_twice_is_reported_once)
{
	int n = compare("@public\nmodule shop;\nstruct Item { name: string; }\n"
	                "@server.rpc\nget(id: int) -> Item;\n@server.rpc\nall() -> list<Item>;\n"
	                "@server.rpc\npair() -> map<Item>;\n",
	                "@public\nmodule shop;\nstruct Item { name: string; price: float?; }\n"
	                "@server.rpc\nget(id: int) -> Item;\n@server.rpc\nall() -> list<Item>;\n"
	                "@server.rpc\npair() -> map<Item>;\n");
	cr_expect_eq(n, 1, "%s", lvt_diags());
	cr_expect_eq(lvt_count("[breaking-field-added]"), 1, "%s", lvt_diags());
	cr_expect(lvt_has("through the result of server.rpc 'get'"), "%s", lvt_diags());
}

/* Read one way and written the other, a struct is held to both. */
Test(breaking, a_struct_both_ways_is_held_to_both)
{
	int n = compare("@public\nmodule shop;\nstruct Item { name: string; note: string?; }\n"
	                "@server.rpc\nput(item: Item) -> Item;\n",
	                "@public\nmodule shop;\nstruct Item { name: string; tag: int?; }\n"
	                "@server.rpc\nput(item: Item) -> Item;\n");
	/* note: an old page may send it; tag: an old page cannot read it. */
	cr_expect_eq(n, 2, "%s", lvt_diags());
	cr_expect_eq(lvt_count("[breaking-field-removed]"), 1, "%s", lvt_diags());
	cr_expect_eq(lvt_count("[breaking-field-added]"), 1, "%s", lvt_diags());
}

Test(breaking, a_recursive_struct_is_compared_once)
{
	int n = compare("@public\nmodule shop;\nstruct Node { name: string; kids: list<Node>; }\n"
	                "@server.rpc\ntree(root: Node) -> Node;\n",
	                "@public\nmodule shop;\nstruct Node { name: string; kids: list<Node>; "
	                "up: Node?; }\n@server.rpc\ntree(root: Node) -> Node;\n");
	cr_expect_eq(n, 1, "%s", lvt_diags());
	cr_expect_eq(lvt_count("[breaking-field-added]"), 1, "%s", lvt_diags());
}

/* Past the error limit, changes are still counted but not shown. */
Test(breaking, past_the_error_limit_changes_are_counted)
{
	char *before = lvc_sprintf(&c.arena, "%s", head);
	for (int i = 0; i < LVC_MAX_ERRORS + 10; i++)
		before = lvc_sprintf(&c.arena, "%s@server.rpc\nf%d() -> void;\n", before, i);
	int n = compare(before, head);
	cr_expect_eq(n, LVC_MAX_ERRORS + 10);
	cr_expect_eq(lvt_count("[breaking-endpoint-removed]"), LVC_MAX_ERRORS, "%s", lvt_diags());
	cr_expect(lvt_has("too many errors"), "%s", lvt_diags());
}

/* Defaults are shown as they would be written, on one line. */
Test(breaking, defaults_are_shown_as_written)
{
	int n = compare("@public\nmodule shop;\n@server.rpc\n"
	                "f(x: float = 0.1, s: string = \"a\\nb\\u{1}\", l: list<int> = [1, 2]) -> void;\n",
	                "@public\nmodule shop;\n@server.rpc\n"
	                "f(x: float = 0.25, s: string = \"a\\\"b\", l: list<int> = []) -> void;\n");
	cr_expect_eq(n, 3, "%s", lvt_diags());
	cr_expect(lvt_has("is 0.25 now, 0.1 before"), "%s", lvt_diags());
	cr_expect(lvt_has("is \"a\\\"b\" now, \"a\\nb\\u{1}\" before"), "%s", lvt_diags());
	cr_expect(lvt_has("is [] now, [1, 2] before"), "%s", lvt_diags());
}

Test(breaking, equal_defaults_written_differently_are_the_same)
{
	cr_expect_eq(compare("@public\nmodule shop;\n@server.rpc\nf(x: float = 1) -> void;\n",
	                     "@public\nmodule shop;\n@server.rpc\nf(x: float = 1.0) -> void;\n"), 0,
	             "%s", lvt_diags());
}

/* A custom event travels by its name: the handler may be renamed. */
Test(breaking, a_custom_event_is_matched_by_its_name)
{
	cr_expect_eq(compare("@public\nmodule shop;\n@client.on(\"shipped\") shipped(order: int);\n",
	                     "@public\nmodule shop;\n@client.on(\"shipped\") on_ship(order: int);\n"),
	             0, "%s", lvt_diags());
}

Test(breaking, a_custom_events_arguments_are_compared)
{
	cr_expect_eq(compare("@public\nmodule shop;\n@client.on(\"shipped\") shipped(order: int);\n",
	                     "@public\nmodule shop;\n@client.on(\"shipped\") on_ship(order: string);\n"),
	             1, "%s", lvt_diags());
	cr_expect(lvt_has("an old server still sends int [breaking-type-changed]"), "%s", lvt_diags());
}

Test(breaking, a_states_policy_is_compared_through_its_module)
{
	cr_expect_eq(compare("@public\nmodule plant;\n@server.state\nboard: map<int>;\n",
	                     "@auth(\"operator\")\nmodule plant;\n@server.state\nboard: map<int>;\n"),
	             1, "%s", lvt_diags());
	cr_expect_eq(lvt_count("[breaking-state-policy-tightened]"), 1, "%s", lvt_diags());
	cr_expect(lvt_has("'board' takes the policy of module 'plant'"), "%s", lvt_diags());
}

Test(breaking, a_states_flush_and_a_looser_policy_break_nothing)
{
	cr_expect_eq(compare("@public\nmodule plant;\n@auth(\"a\")\n@client.state(flush: 0ms)\n"
	                     "prefs: map<string>;\n@server.state(flush: 200ms)\nboard: map<int>;\n",
	                     "@public\nmodule plant;\n@auth(\"a\", \"b\")\n@client.state(flush: manual)\n"
	                     "prefs: map<string>;\n@server.state(flush: 0ms)\nboard: map<int>;\n"),
	             0, "%s", lvt_diags());
}

/* ---- the command line -------------------------------------------------- */

static const char *
lvc_path(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	cr_assert_gt(n, 0);
	exe[n] = '\0';
	for (int up = 0; up < 2; up++)
		*strrchr(exe, '/') = '\0';
	return lvc_sprintf(&c.arena, "%s/lvc", exe);
}

static const char *dir;

/* Runs lvc in dir; its messages in dir/log. */
static int
run_lvc(const char *args)
{
	char *cmd = lvc_sprintf(&c.arena, "cd '%s' && '%s' --color=never %s >log 2>&1", dir,
	                        lvc_path(), args);
	int rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static const char *
log_text(void)
{
	return lvt_slurp(lvc_sprintf(&c.arena, "%s/log", dir));
}

static void
two_files(void)
{
	dir = lvt_tmpdir();
	cr_assert_not_null(dir);
	lvt_file(dir, "old.lv", "@public\nmodule shop;\n@server.rpc\na() -> void;\n"
	                        "@server.rpc\nb() -> void;\n");
	lvt_file(dir, "new.lv", "@public\nmodule shop;\n@server.rpc\na() -> void;\n");
}

Test(cli, breaking_changes_exit_1_and_are_counted)
{
	two_files();
	cr_expect_eq(run_lvc("--breaking old.lv new.lv"), 1, "%s", log_text());
	cr_expect(strstr(log_text(), "1 breaking change from old.lv to new.lv\n") != NULL, "%s",
	          log_text());
	cr_expect_eq(run_lvc("--breaking new.lv old.lv"), 0, "%s", log_text());
	cr_expect_str_eq(log_text(), "");
	lvt_rmtree(dir);
}

Test(cli, breaking_takes_two_files_and_writes_nothing)
{
	two_files();
	cr_expect_eq(run_lvc("--breaking old.lv"), 2);
	cr_expect(strstr(log_text(), "--breaking compares two files") != NULL, "%s", log_text());
	cr_expect_eq(run_lvc("--breaking old.lv new.lv new.lv"), 2);
	cr_expect_eq(run_lvc("--breaking -o out old.lv new.lv"), 2);
	cr_expect(strstr(log_text(), "takes no -o") != NULL, "%s", log_text());
	cr_expect_eq(run_lvc("--breaking -M deps old.lv new.lv"), 2);
	cr_expect(strstr(log_text(), "takes no -M") != NULL, "%s", log_text());
	cr_expect_eq(run_lvc("--breaking --asyncapi - old.lv new.lv"), 2);
	struct stat st;
	cr_expect_neq(stat(lvc_sprintf(&c.arena, "%s/out", dir), &st), 0, "no folder is made");
	lvt_rmtree(dir);
}

/* Errors in either file are reported as --check reports them, and the
 * files are not compared. */
Test(cli, errors_in_either_file_come_first)
{
	two_files();
	lvt_file(dir, "bad.lv", "@public\nmodule shop;\n@server.rpc\na(x: Nope) -> void;\n");
	cr_expect_eq(run_lvc("--breaking old.lv bad.lv"), 1);
	const char *log = log_text();
	cr_expect(strstr(log, "bad.lv:4:6: error: unknown type 'Nope'") != NULL, "%s", log);
	cr_expect(strstr(log, "1 error and 0 warnings in bad.lv") != NULL, "%s", log);
	cr_expect(strstr(log, "breaking") == NULL, "%s", log);
	cr_expect_eq(run_lvc("--breaking bad.lv missing.lv"), 1);
	log = log_text();
	cr_expect(strstr(log, "in bad.lv") != NULL, "%s", log);
	cr_expect(strstr(log, "cannot read 'missing.lv'") != NULL, "%s", log);
	lvt_rmtree(dir);
}

/* -Werror turns a warning in either file into an error, as it does for
 * --check. */
Test(cli, werror_applies_to_both_files)
{
	two_files();
	lvt_file(dir, "warn.lv", "@public\nmodule shop;\nstruct Unused { x: int; }\n"
	                         "@server.rpc\na() -> void;\n@server.rpc\nb() -> void;\n");
	cr_expect_eq(run_lvc("--breaking warn.lv old.lv"), 0, "%s", log_text());
	cr_expect(strstr(log_text(), "[-Wunused-type]") != NULL, "%s", log_text());
	cr_expect_eq(run_lvc("-Werror --breaking warn.lv old.lv"), 1, "%s", log_text());
	cr_expect(strstr(log_text(), "[-Werror=unused-type]") != NULL, "%s", log_text());
	lvt_rmtree(dir);
}
