/* test_parser.c - the grammar (compiler/parser.y) and its driver
 * (compiler/parse.c): AST shapes, syntax messages, bracket matching,
 * recovery after an error, and imports. */
#include <criterion/criterion.h>
#include <sys/resource.h>

#include "unit.h"

static const char *dir;   /* scratch folder of the import tests */

static void
fini(void)
{
	lvt_rmtree(dir);
	lvt_close();
}

TestSuite(parser, .init = lvt_open, .fini = lvt_close);
TestSuite(imports, .init = lvt_open, .fini = fini);

/* ---- shapes ------------------------------------------------------------- */

Test(parser, module_line_with_doc_and_decorators)
{
	cr_assert(lvt_parse("/// Chat rooms.\n@auth(\"member\")\nmodule chat;\n"), "%s",
	          lvt_diags());
	lvc_module *m = c.root;
	cr_assert_not_null(m);
	cr_assert(m->seen_module);
	cr_assert_str_eq(lvt_str(m->name), "chat");
	cr_assert_eq(m->loc.off, 39, "the module's place is its name");
	cr_assert_not_null(m->doc);
	cr_assert_str_eq(m->doc->text, "Chat rooms.");
	cr_assert(m->doc->used);
	cr_assert_str_eq(lvt_str(m->decorators->name), "auth");
	cr_assert_eq(c.modules, m);
}

Test(parser, struct_fields_types_defaults_and_docs)
{
	cr_assert(lvt_parse("module m;\nstruct Message {\n  id: int;\n  /// Shown to people.\n"
	                    "  text: string = \"hi\";\n  tags: list<string>?;\n}\n"),
	          "%s", lvt_diags());
	lvc_decl *s = lvt_decl("Message");
	cr_assert_not_null(s);
	cr_assert_eq(s->kind, LVC_D_STRUCT);
	cr_assert_eq(s->nfields, 3);
	lvc_field *id = s->fields, *text = id->next, *tags = text->next;
	cr_assert_str_eq(lvt_str(id->name), "id");
	cr_assert_eq(id->type->kind, LVC_T_NAMED, "types are resolved by the checker");
	cr_assert_str_eq(lvt_str(id->type->name), "int");
	cr_assert_null(id->def);
	cr_assert_null(id->doc);
	cr_assert_str_eq(text->doc->text, "Shown to people.");
	cr_assert_eq(text->def->kind, LVC_V_STRING);
	cr_assert_eq(tags->type->kind, LVC_T_OPTIONAL);
	cr_assert_str_eq(lvt_str(tags->type->elem->name), "list");
	cr_assert_str_eq(lvt_str(tags->type->elem->elem->name), "string");
	cr_assert_null(tags->next);
}

Test(parser, enum_members_are_numbered)
{
	cr_assert(lvt_parse("module m;\n/// Where.\nenum Presence {\n  online,\n"
	                    "  /// Gone.\n  away,\n  offline,\n}\n"), "%s", lvt_diags());
	lvc_decl *e = lvt_decl("Presence");
	cr_assert_eq(e->kind, LVC_D_ENUM);
	cr_assert_str_eq(e->doc->text, "Where.");
	cr_assert_eq(e->nmembers, 3);
	cr_assert_eq(e->members->index, 0);
	cr_assert_str_eq(lvt_str(e->members->next->name), "away");
	cr_assert_eq(e->members->next->index, 1);
	cr_assert_str_eq(e->members->next->doc->text, "Gone.");
	cr_assert_eq(e->members->next->next->index, 2);
}

Test(parser, endpoint_params_and_result)
{
	cr_assert(lvt_parse("module m;\n@server.rpc\njoin(room: string, since: int = 0,) "
	                    "-> list<Message>;\n@client.realtime\nping();\n"), "%s",
	          lvt_diags());
	lvc_decl *join = lvt_decl("join"), *ping = lvt_decl("ping");
	cr_assert_eq(join->kind, LVC_D_ENDPOINT);
	cr_assert_eq(join->nparams, 2, "a trailing comma is allowed");
	cr_assert_eq(join->params->next->def->i, 0);
	cr_assert_not_null(join->result);
	cr_assert_str_eq(lvt_str(join->result->name), "list");
	cr_assert_eq(ping->nparams, 0);
	cr_assert_null(ping->params);
	cr_assert_null(ping->result, "no '->' means no result");
	cr_assert_eq(join->next, ping, "declarations keep their order");
}

Test(parser, decorators_with_and_without_arguments)
{
	cr_assert(lvt_parse("module m;\n@public @server.rpc(http, timeout: 5s,)\n"
	                    "@client.on()\nf() -> void;\n"), "%s", lvt_diags());
	lvc_decl *f = lvt_decl("f");
	lvc_decorator *pub = f->decorators, *rpc = pub->next, *on = rpc->next;
	cr_assert_str_eq(lvt_str(pub->name), "public");
	cr_assert_not(pub->has_parens);
	cr_assert_null(pub->args);
	cr_assert_str_eq(lvt_str(rpc->name), "server.rpc");
	cr_assert_eq(rpc->loc.off, 18, "a decorator's place starts at its '@'");
	cr_assert_eq(rpc->loc.len, 11, "and runs to the end of its dotted name");
	cr_assert(rpc->has_parens);
	lvc_arg *http = rpc->args, *timeout = http->next;
	cr_assert_eq(http->name.n, 0, "a positional argument has no name");
	cr_assert_eq(http->value->kind, LVC_V_IDENT);
	cr_assert_str_eq(lvt_str(timeout->name), "timeout");
	cr_assert_eq(timeout->value->kind, LVC_V_DURATION);
	cr_assert_null(timeout->next);
	cr_assert(on->has_parens, "empty parentheses are remembered");
	cr_assert_null(on->args);
}

Test(parser, generic_optional_and_qualified_types)
{
	cr_assert(lvt_parse("module m;\n@server.rpc\n"
	                    "f(a: map<string, int>, b: chat.Message??, c: list<list<int>>) "
	                    "-> void;\n"), "%s", lvt_diags());
	lvc_field *a = lvt_decl("f")->params, *b = a->next, *p = b->next;
	cr_assert_str_eq(lvt_str(a->type->name), "map");
	cr_assert_not_null(a->type->extra, "a second type argument is kept for the checker");
	cr_assert_eq(b->type->kind, LVC_T_OPTIONAL);
	cr_assert_eq(b->type->elem->kind, LVC_T_OPTIONAL);
	cr_assert_str_eq(lvt_str(b->type->elem->elem->name), "chat.Message");
	cr_assert_str_eq(lvt_str(p->type->elem->elem->name), "int");
	cr_assert_eq(p->type->loc.len, 15, "a generic type spans to its '>'");
}

/* ---- syntax errors -------------------------------------------------------- */

Test(parser, empty_file_needs_a_module_line)
{
	cr_assert_not(lvt_parse(""));
	cr_assert_eq(c.errors, 1);
	cr_assert(lvt_has("t.lv:1:1: error: missing module declaration; begin the file with "
	                  "'module NAME;'"), "%s", lvt_diags());
}

Test(parser, second_module_line)
{
	lvt_parse("module a;\nmodule b;\n");
	cr_assert_eq(c.errors, 1);
	cr_assert(lvt_has("t.lv:2:1: error: a file has one module declaration"), "%s",
	          lvt_diags());
	cr_assert(lvt_has("t.lv:1:8: note: the module was declared here"), "%s", lvt_diags());
	cr_assert_str_eq(lvt_str(c.root->name), "a");
}

Test(parser, module_line_after_a_declaration)
{
	lvt_parse("struct A { a: int; }\nmodule m;\n");
	cr_assert_eq(c.errors, 1);
	cr_assert(lvt_has("t.lv:2:1: error: the module declaration must come before imports "
	                  "and declarations"), "%s", lvt_diags());
}

Test(parser, missing_colon)
{
	lvt_parse("module m;\nstruct A { a int; }\n");
	cr_assert(lvt_has("t.lv:2:14: error: expected ':', found 'int'\n"), "%s", lvt_diags());
}

Test(parser, missing_semicolon_before_the_next_item)
{
	lvt_parse("module m;\n@server.rpc\nf() -> void\n@server.rpc\ng() -> void;\n");
	/* What is missing belongs at the end of the line that lacks it. */
	cr_assert(lvt_has("t.lv:3:12: error: expected ';', found '@'\nf() -> void\n"
	                  "           ^\n"), "%s", lvt_diags());
}

Test(parser, stray_token_at_top_level)
{
	lvt_parse("module m;\n@server.rpc f() -> void; ;\n");
	cr_assert(lvt_has("t.lv:2:26: error: expected a declaration, found ';'\n"), "%s",
	          lvt_diags());
}

/* BUG (stray token blamed on the line before): parse.c moves every syntax
 * error whose token starts a new line to the end of the previous line, on
 * the theory that something is missing there. When nothing is missing and
 * the token itself is the mistake, the caret lands on a line with nothing
 * wrong: a stray ';' alone on line 2 is reported at 1:10, after "module m;". */
Test(parser, stray_token_on_its_own_line_is_pointed_at)
{
	lvt_parse("module m;\n;\n");
	cr_assert(lvt_has("t.lv:2:1: error: expected a declaration, found ';'\n"), "%s",
	          lvt_diags());
}

Test(parser, name_is_quoted_in_messages)
{
	lvt_parse("module m;\nfoo bar;\n");
	cr_assert(lvt_has("t.lv:2:5: error: expected ':' or '(', found 'bar'\n"), "%s", lvt_diags());
}

Test(parser, map_literal_takes_no_items)
{
	lvt_parse("module m;\n@x(v: {1})\nf();\n");
	cr_assert(lvt_has("t.lv:2:8: error: expected '}', found an integer"), "%s",
	          lvt_diags());
}

/* ---- brackets ------------------------------------------------------------------ */

Test(parser, unclosed_paren_at_end_of_file)
{
	lvt_parse("module m;\n@server.rpc\nf(a: int,\n");
	cr_assert_eq(c.errors, 1, "%s", lvt_diags());
	cr_assert(lvt_has("error: expected ')' to close '(' at line 3, found end of file\n"),
	          "%s", lvt_diags());
	cr_assert(lvt_has("t.lv:3:2: note: '(' opened here\nf(a: int,\n ^\n"), "%s",
	          lvt_diags());
}

Test(parser, unclosed_brace_before_the_next_item)
{
	lvt_parse("module m;\nstruct A { a: int;\n\n@server.rpc f() -> void;\n");
	cr_assert_eq(c.errors, 1, "%s", lvt_diags());
	cr_assert(lvt_has("t.lv:2:19: error: expected '}' to close '{' at line 2, found "
	                  "'@'\n"), "%s", lvt_diags());
	cr_assert(lvt_has("t.lv:2:10: note: '{' opened here\n"), "%s", lvt_diags());
	cr_assert_not_null(lvt_decl("f"), "the next item starts afresh");
}

/* BUG (keyword message hides a missing '}'): when the token after an
 * unclosed '{' is 'struct' or 'enum', the new "'struct' is a keyword and
 * cannot be used as a name" check runs before the bracket check, so lvc
 * says "keyword" where the same file with '@' instead gets "expected '}'
 * to close '{' at line 2". The keyword case also skips the restart, so the
 * struct that follows is lost (next test). */
Test(parser, unclosed_brace_before_a_struct)
{
	lvt_parse("module m;\nstruct A { a: int;\n\nstruct B { b: int; }\n");
	cr_assert(lvt_has("error: expected '}' to close '{' at line 2, found 'struct'\n"),
	          "%s", lvt_diags());
	cr_assert_not(lvt_has("is a keyword"), "%s", lvt_diags());
}

Test(parser, keyword_where_a_name_goes)
{
	lvt_parse("module m;\nstruct A {\n  module: int;\n}\n");
	cr_assert(lvt_has("t.lv:3:3: error: 'module' is a keyword and cannot be used as a name\n"),
	          "%s", lvt_diags());
}

Test(parser, wrong_closing_bracket)
{
	lvt_parse("module m;\nstruct A { a: int; ]\n");
	cr_assert(lvt_has("t.lv:2:20: error: expected '}' to close '{' at line 2, found ']'"),
	          "%s", lvt_diags());
}

Test(parser, angle_bracket_closed_by_paren)
{
	lvt_parse("module m;\n@server.rpc\nf(a: list<int) -> void;\n");
	cr_assert(lvt_has("t.lv:3:14: error: expected '>' to close '<' at line 3, found ')'"),
	          "%s", lvt_diags());
	cr_assert(lvt_has("t.lv:3:10: note: '<' opened here"), "%s", lvt_diags());
}

Test(parser, innermost_open_bracket_is_named)
{
	lvt_parse("module m;\n@x(v: [1, 2)\nf();\n");
	cr_assert(lvt_has("error: expected ']' to close '[' at line 2, found ')'"), "%s",
	          lvt_diags());
}

Test(parser, nesting_deeper_than_the_limit)
{
	char *text = lvc_sprintf(&c.arena, "module m;\n@x(v: %0*d", LVC_MAX_NESTING + 1, 0);
	for (char *p = text + 16; *p; p++)
		*p = '[';
	lvt_parse(text);
	cr_assert(lvt_has("error: brackets nested deeper than 256 levels"), "%s", lvt_diags());
}

/* ---- recovery ------------------------------------------------------------------- */

Test(parser, errors_in_separate_items_are_all_reported)
{
	lvt_parse("module m;\nstruct A { a int; }\nstruct B { b: int; }\n"
	          "struct C { c: ; }\nenum D { x }\n");
	cr_assert_eq(c.errors, 2, "%s", lvt_diags());
	cr_assert(lvt_has("t.lv:2:14: error"), "%s", lvt_diags());
	cr_assert(lvt_has("t.lv:4:15: error"), "%s", lvt_diags());
	cr_assert_not_null(lvt_decl("B"), "an item between two errors is kept");
	cr_assert_not_null(lvt_decl("D"), "an item after the last error is kept");
	cr_assert_null(lvt_decl("A"));
}

Test(parser, stray_closer_then_more_items)
{
	lvt_parse("module m;\nstruct A { a: int; } }\nstruct B { b: int; }\n");
	cr_assert_eq(c.errors, 1, "%s", lvt_diags());
	cr_assert(lvt_has("t.lv:2:22: error: expected a declaration, found '}'"), "%s",
	          lvt_diags());
	cr_assert_not_null(lvt_decl("A"));
	cr_assert_not_null(lvt_decl("B"));
}

Test(parser, recovery_skips_whole_bracketed_groups)
{
	/* The ';' inside the braces does not end the skip; the '}' does. */
	lvt_parse("module m;\nstruct A { a int; b: int; }\nstruct B { b: int; }\n");
	cr_assert_eq(c.errors, 1, "%s", lvt_diags());
	cr_assert_not_null(lvt_decl("B"));
}

/* BUG (recovery drops the item after an unclosed brace): when the token
 * that shows a syntax error is 'struct' or 'enum' right after an unclosed
 * '{', the keyword-as-name path reports it and turns on skipping without
 * restarting the parser at that token, so the whole next item is lost and
 * its uses turn into "unknown type" errors. (With '@' the restart works.) */
Test(parser, item_after_an_unclosed_brace_is_kept)
{
	lvt_parse("module m;\nstruct A { a: int;\n\nstruct B { b: int; }\n");
	cr_assert_eq(c.errors, 1, "%s", lvt_diags());
	cr_assert_not_null(lvt_decl("B"), "struct B was swallowed by the recovery");
}

/* The token that shows an error and starts an item begins that item (it
 * was once dropped, and '@public' with it). */
Test(parser, first_decorator_after_a_missing_semicolon_is_kept)
{
	lvt_parse("module m;\n@server.rpc\nf() -> void\n@public @server.rpc\ng() -> void;\n");
	lvc_decl *g = lvt_decl("g");
	cr_assert_not_null(g);
	cr_assert_str_eq(lvt_str(g->decorators->name), "public", "'@public' was dropped");
}

/* After a syntax error the declarations that parsed are checked: one run
 * shows every error, and a use of the broken declaration's name is not an
 * "unknown type" echo of the first error. */
Test(parser, declarations_after_a_syntax_error_are_checked)
{
	cr_assert_not(lvt_check("@public\nmodule m;\nstruct A { x: int; y: ; }\n"
	                        "enum E { a b }\n@server.rpc\nf(a: A, e: E, z: Zed) -> int;\n"
	                        "@server.rpc\ng(x: int = \"s\") -> int;\n"));
	cr_expect_eq(c.errors, 4, "%s", lvt_diags());
	cr_expect(lvt_has("t.lv:3:23: error: expected a name, found ';'"), "%s", lvt_diags());
	cr_expect(lvt_has("t.lv:4:12: error: expected '}', found 'b'"), "%s", lvt_diags());
	cr_expect(lvt_has("t.lv:6:18: error: unknown type 'Zed'"), "%s", lvt_diags());
	cr_expect(lvt_has("t.lv:8:12: error: default for 'x' does not fit int"), "%s",
	          lvt_diags());
	cr_expect_eq(lvt_count("unknown type"), 1, "%s", lvt_diags());
	cr_expect(lvc_is_broken_name(&c, LVC_STR("A")));
	cr_expect(lvc_is_broken_name(&c, LVC_STR("E")));
	cr_expect_not(lvc_is_broken_name(&c, LVC_STR("f")));
}

Test(parser, broken_endpoint_name_is_recorded_not_its_decorators)
{
	lvt_parse("module m;\n@server.rpc(timeout: 5s) @public\nf(a int);\n@auth(\"x\")\ng(;\n");
	cr_expect_eq(c.errors, 2, "%s", lvt_diags());
	cr_expect(lvc_is_broken_name(&c, LVC_STR("f")));
	cr_expect(lvc_is_broken_name(&c, LVC_STR("g")));
	cr_expect_not(lvc_is_broken_name(&c, LVC_STR("rpc")));
	cr_expect_not(lvc_is_broken_name(&c, LVC_STR("public")));
	cr_expect_not(lvc_is_broken_name(&c, LVC_STR("auth")));
}

Test(parser, broken_module_line_is_not_also_a_missing_one)
{
	cr_assert_not(lvt_check("module 5;\n@public @server.rpc\nf(a: Q) -> int;\n"));
	cr_expect_eq(c.errors, 2, "%s", lvt_diags());
	cr_expect_eq(lvt_count("missing module declaration"), 0, "%s", lvt_diags());
	cr_expect(lvt_has("t.lv:3:6: error: unknown type 'Q'"), "%s", lvt_diags());
}

/* A missing import may declare any name: no "unknown type" then. */
Test(parser, missing_import_still_silences_unknown_types)
{
	cr_assert_not(lvt_check("@public\nmodule m;\nimport \"nowhere.lv\";\n"
	                        "@server.rpc\nf(a: Q) -> int;\n"));
	cr_expect_eq(lvt_count("unknown type"), 0, "%s", lvt_diags());
}

Test(parser, too_many_errors_stops)
{
	char *text = lvc_strndup(&c.arena, "module m;\n", 10);
	for (int i = 0; i < 80; i++)
		text = lvc_sprintf(&c.arena, "%sstruct S%d { a int; }\n", text, i);
	lvt_parse(text);
	cr_assert_eq(c.errors, LVC_MAX_ERRORS);
	cr_assert(c.stop);
	cr_assert_eq(lvt_count("error: expected ':'"), LVC_MAX_ERRORS);
	cr_assert(lvt_has("lvc: too many errors (50); stopping\n"), "%s", lvt_diags());
}

/* BUG (quadratic memory for dotted names): lvc_ast_dname() copies the
 * whole prefix into a new arena string for every '.', so a name of n parts
 * costs O(n^2) bytes: a 40 KB decorator or type name of 20000 parts takes
 * some 400 MB, an 80 KB one 1.6 GB. Input this small should cost little. */
Test(parser, long_dotted_name_costs_linear_memory)
{
	enum { PARTS = 20000 };
	char *text = lvc_alloc(&c.arena, 32 + 2 * PARTS);
	strcpy(text, "module m;\n@a");
	for (int i = 1; i < PARTS; i++)
		strcat(text + 12 + 2 * (i - 1), ".a");
	strcat(text, "\nf();\n");
	struct rusage before, after;
	getrusage(RUSAGE_SELF, &before);
	lvt_parse(text);
	getrusage(RUSAGE_SELF, &after);
	cr_assert_eq(lvt_decl("f")->decorators->name.n, 2 * PARTS - 1);
	cr_assert_lt(after.ru_maxrss - before.ru_maxrss, 64 * 1024,
	             "parsing a %d-byte file grew the process by %ld KB", (int)strlen(text),
	             after.ru_maxrss - before.ru_maxrss);
}

/* ---- imports ---------------------------------------------------------------------- */

Test(imports, relative_import_is_parsed_first)
{
	dir = lvt_tmpdir();
	lvt_file(dir, "types.lv", "module types;\nstruct Message { id: int; }\n");
	const char *main_lv = lvt_file(dir, "main.lv", "module app;\nimport \"types.lv\";\n");
	cr_assert(lvc_parse_program(&c, main_lv), "%s", lvt_diags());
	cr_assert_str_eq(lvt_str(c.modules->name), "types", "imports come first");
	cr_assert_str_eq(lvt_str(c.modules->next->name), "app");
	cr_assert_eq(c.root, c.modules->next);
	cr_assert_eq(c.root->imports->target->module, c.modules);
	cr_assert_eq(c.nfiles, 2);
}

Test(imports, diamond_is_parsed_once)
{
	dir = lvt_tmpdir();
	lvt_file(dir, "base.lv", "module base;\n");
	lvt_file(dir, "left.lv", "module left;\nimport \"base.lv\";\n");
	lvt_file(dir, "right.lv", "module right;\nimport \"./base.lv\";\n");
	const char *top = lvt_file(dir, "top.lv",
	                           "module top;\nimport \"left.lv\";\nimport \"right.lv\";\n");
	cr_assert(lvc_parse_program(&c, top), "%s", lvt_diags());
	cr_assert_eq(c.nfiles, 4, "base.lv is read once");
	const char *order[] = { "base", "left", "right", "top" };
	lvc_module *m = c.modules;
	for (int i = 0; i < 4; i++, m = m->next)
		cr_assert_str_eq(lvt_str(m->name), order[i]);
	cr_assert_null(m);
}

Test(imports, include_folders_are_searched_in_order)
{
	dir = lvt_tmpdir();
	mkdir(lvc_sprintf(&c.arena, "%s/src", dir), 0700);
	mkdir(lvc_sprintf(&c.arena, "%s/inc1", dir), 0700);
	mkdir(lvc_sprintf(&c.arena, "%s/inc2", dir), 0700);
	lvt_file(dir, "inc1/lib.lv", "module one;\n");
	lvt_file(dir, "inc2/lib.lv", "module two;\n");
	lvt_file(dir, "inc2/only.lv", "module only;\n");
	const char *main_lv = lvt_file(dir, "src/main.lv",
	                               "module app;\nimport \"lib.lv\";\nimport \"only.lv\";\n");
	const char *inc[] = { lvc_sprintf(&c.arena, "%s/inc1", dir),
	                      lvc_sprintf(&c.arena, "%s/inc2", dir) };
	c.include_dirs = inc;
	c.ninclude = 2;
	cr_assert(lvc_parse_program(&c, main_lv), "%s", lvt_diags());
	cr_assert_str_eq(lvt_str(c.modules->name), "one");
	cr_assert_str_eq(lvt_str(c.modules->next->name), "only");
}

Test(imports, importer_folder_wins_over_include_folders)
{
	dir = lvt_tmpdir();
	mkdir(lvc_sprintf(&c.arena, "%s/inc", dir), 0700);
	lvt_file(dir, "inc/lib.lv", "module far;\n");
	lvt_file(dir, "lib.lv", "module near;\n");
	const char *main_lv = lvt_file(dir, "main.lv", "module app;\nimport \"lib.lv\";\n");
	const char *inc[] = { lvc_sprintf(&c.arena, "%s/inc", dir) };
	c.include_dirs = inc;
	c.ninclude = 1;
	cr_assert(lvc_parse_program(&c, main_lv), "%s", lvt_diags());
	cr_assert_str_eq(lvt_str(c.modules->name), "near");
}

Test(imports, missing_file)
{
	dir = lvt_tmpdir();
	const char *main_lv = lvt_file(dir, "main.lv", "module app;\nimport \"nope.lv\";\n");
	cr_assert_not(lvc_parse_program(&c, main_lv));
	cr_assert_eq(c.errors, 1);
	cr_assert(lvt_has("main.lv:2:8: error: cannot find imported file 'nope.lv'\n"), "%s",
	          lvt_diags());
	cr_assert(lvt_has("main.lv:2:8: note: looked in '"), "%s", lvt_diags());
	cr_assert(lvt_has("' (add folders with -I)\n"), "%s", lvt_diags());
}

Test(imports, empty_path)
{
	lvt_parse("module m;\nimport \"\";\n");
	cr_assert(lvt_has("t.lv:2:8: error: an import names a file: write import \"other.lv\";"),
	          "%s", lvt_diags());
}

Test(imports, directory_is_not_a_file)
{
	dir = lvt_tmpdir();
	mkdir(lvc_sprintf(&c.arena, "%s/sub.lv", dir), 0700);
	const char *main_lv = lvt_file(dir, "main.lv", "module app;\nimport \"sub.lv\";\n");
	cr_assert_not(lvc_parse_program(&c, main_lv));
	cr_assert(lvt_has("main.lv:2:8: error: cannot read '"), "%s", lvt_diags());
	cr_assert(lvt_has("sub.lv': is a directory\n"), "%s", lvt_diags());
}

Test(imports, imported_file_needs_its_own_module_line)
{
	dir = lvt_tmpdir();
	lvt_file(dir, "lib.lv", "struct A { a: int; }\n");
	const char *main_lv = lvt_file(dir, "main.lv", "module app;\nimport \"lib.lv\";\n");
	lvc_parse_program(&c, main_lv);
	cr_assert(lvt_has("lib.lv:1:1: error: missing module declaration"), "%s", lvt_diags());
}

Test(imports, two_file_cycle)
{
	dir = lvt_tmpdir();
	const char *x = lvt_file(dir, "x.lv", "module x;\nimport \"y.lv\";\n");
	lvt_file(dir, "y.lv", "module y;\nimport \"x.lv\";\n");
	cr_assert_not(lvc_parse_program(&c, x));
	cr_assert_eq(c.errors, 1, "%s", lvt_diags());
	cr_assert(lvt_has("y.lv:2:8: error: import cycle: '"), "%s", lvt_diags());
	cr_assert(lvt_has("x.lv' imports itself through this import\n"), "%s", lvt_diags());
	cr_assert_eq(lvt_count("note: '"), 2, "one note per link of the cycle: %s",
	             lvt_diags());
	cr_assert_eq(c.nfiles, 2);
	cr_assert_eq(c.nchain, 0, "the chain of open files is unwound");
}

Test(imports, self_import)
{
	dir = lvt_tmpdir();
	const char *s = lvt_file(dir, "s.lv", "module s;\nimport \"s.lv\";\n");
	cr_assert_not(lvc_parse_program(&c, s));
	cr_assert(lvt_has("s.lv:2:8: error: import cycle"), "%s", lvt_diags());
	cr_assert_eq(lvt_count("note: "), 1);
	cr_assert_eq(c.nfiles, 1);
}

Test(imports, program_that_cannot_be_read)
{
	dir = lvt_tmpdir();
	const char *path = lvc_sprintf(&c.arena, "%s/absent.lv", dir);
	cr_assert_not(lvc_parse_program(&c, path));
	cr_assert_eq(c.errors, 1);
	cr_assert(lvt_has("lvc: error: cannot read '"), "%s", lvt_diags());
	cr_assert(lvt_has("absent.lv': No such file or directory\n"), "%s", lvt_diags());
	cr_assert_null(c.root);
}
