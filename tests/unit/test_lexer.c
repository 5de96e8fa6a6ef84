/* test_lexer.c - tokens, comments, doc comments and lexical errors
 * (compiler/lexer.re). */
#include <criterion/criterion.h>

#include "parser.h"
#include "unit.h"

TestSuite(lexer, .init = lvt_open, .fini = lvt_close);

enum { MAXTOK = 64 };
static lvc_token toks[MAXTOK];
static int codes[MAXTOK];
static int ntoks;
static uint32_t file;    /* the file lexed last */

/* Lexes `len` bytes of `text` to the end; the end token is not counted. */
static void
lex_n(const char *text, size_t len)
{
	lvc_source *s = lvc_load_buffer(&c, "t.lv", text, len);
	cr_assert_not_null(s);
	lvc_lexer lx;
	file = c.nfiles - 1;
	lvc_lexer_init(&lx, &c, file);
	ntoks = 0;
	for (;;) {
		cr_assert_lt(ntoks, MAXTOK);
		codes[ntoks] = lvc_lex(&lx, &toks[ntoks]);
		if (codes[ntoks] == 0)
			break;
		ntoks++;
	}
	lvc_lexer_free(&lx);
}

static void
lex(const char *text)
{
	lex_n(text, strlen(text));
}

static const char *
text_of(int i)
{
	return lvc_strndup(&c.arena, c.files[file]->text + toks[i].off, toks[i].len);
}

static void
assert_codes(const int *want, int n)
{
	cr_assert_eq(ntoks, n, "%d tokens, expected %d", ntoks, n);
	for (int i = 0; i < n; i++)
		cr_assert_eq(codes[i], want[i], "token %d ('%s') is %s, expected %s", i,
		             text_of(i), lvc_token_name(codes[i]), lvc_token_name(want[i]));
}

Test(lexer, keywords_and_names)
{
	lex("module import struct enum true false null modules _x Struct enum2");
	static const int want[] = {
		LVC_TK_MODULE, LVC_TK_IMPORT, LVC_TK_STRUCT, LVC_TK_ENUM, LVC_TK_TRUE,
		LVC_TK_FALSE, LVC_TK_NULL, LVC_TK_IDENT, LVC_TK_IDENT, LVC_TK_IDENT,
		LVC_TK_IDENT,
	};
	assert_codes(want, 11);
	cr_assert_str_eq(text_of(7), "modules", "a keyword prefix does not split a name");
	cr_assert_eq(c.errors, 0);
}

Test(lexer, tokens_are_offset_and_length_slices)
{
	lex("  join\t(room)\n");
	cr_assert_eq(ntoks, 4);
	cr_assert_eq(toks[0].off, 2);
	cr_assert_eq(toks[0].len, 4);
	cr_assert_eq(toks[1].off, 7);
	cr_assert_eq(toks[1].len, 1);
	cr_assert_str_eq(text_of(2), "room");
	/* the end token sits at the end of the buffer with no length */
	cr_assert_eq(toks[4].off, 14);
	cr_assert_eq(toks[4].len, 0);
}

Test(lexer, punctuation)
{
	lex("@ . , ; : ( ) { } [ ] < > ? = -> - /");
	static const int want[] = {
		LVC_TK_AT, LVC_TK_DOT, LVC_TK_COMMA, LVC_TK_SEMI, LVC_TK_COLON,
		LVC_TK_LPAREN, LVC_TK_RPAREN, LVC_TK_LBRACE, LVC_TK_RBRACE,
		LVC_TK_LBRACKET, LVC_TK_RBRACKET, LVC_TK_LT, LVC_TK_GT, LVC_TK_QUESTION,
		LVC_TK_EQ, LVC_TK_ARROW, LVC_TK_MINUS, LVC_TK_SLASH,
	};
	assert_codes(want, 18);
	cr_assert_eq(c.errors, 0);
}

Test(lexer, arrow_minus_and_optional_without_spaces)
{
	lex(")->list<int>?;-1");
	static const int want[] = {
		LVC_TK_RPAREN, LVC_TK_ARROW, LVC_TK_IDENT, LVC_TK_LT, LVC_TK_IDENT,
		LVC_TK_GT, LVC_TK_QUESTION, LVC_TK_SEMI, LVC_TK_MINUS, LVC_TK_INT,
	};
	assert_codes(want, 10);
}

Test(lexer, numbers)
{
	lex("42 0x1F 0XaB 1.5 2e10 1.5e-3 7E+2 5s 64k 1.5m 250ms");
	static const int want[] = {
		LVC_TK_INT, LVC_TK_INT, LVC_TK_INT, LVC_TK_FLOAT, LVC_TK_FLOAT,
		LVC_TK_FLOAT, LVC_TK_FLOAT, LVC_TK_NUMUNIT, LVC_TK_NUMUNIT,
		LVC_TK_NUMUNIT, LVC_TK_NUMUNIT,
	};
	assert_codes(want, 11);
	cr_assert_str_eq(text_of(1), "0x1F");
	cr_assert_str_eq(text_of(5), "1.5e-3");
	cr_assert_str_eq(text_of(10), "250ms");
}

Test(lexer, rate_is_three_tokens)
{
	lex("10/s");
	static const int want[] = { LVC_TK_INT, LVC_TK_SLASH, LVC_TK_IDENT };
	assert_codes(want, 3);
}

Test(lexer, string_with_escapes_is_one_token)
{
	lex("\"a\\\"b\\\\\" x");
	cr_assert_eq(ntoks, 2);
	cr_assert_eq(codes[0], LVC_TK_STRING);
	cr_assert_str_eq(text_of(0), "\"a\\\"b\\\\\"");
	cr_assert_eq(codes[1], LVC_TK_IDENT);
	cr_assert_eq(c.errors, 0, "%s", lvt_diags());
}

Test(lexer, unterminated_string_is_reported_and_ends_at_the_line)
{
	lex("x = \"abc\ny");
	cr_assert_eq(codes[2], LVC_TK_STRING, "still a string token, for the parser");
	cr_assert_str_eq(text_of(2), "\"abc");
	cr_assert_eq(codes[3], LVC_TK_IDENT, "lexing resumes on the next line");
	cr_assert_eq(c.errors, 1);
	cr_assert(lvt_has("t.lv:1:5: error: missing terminating '\"' character"), "%s",
	          lvt_diags());
}

Test(lexer, comments_are_skipped)
{
	lex("a // line comment\n/* block\n * comment **/ b /**/ c");
	static const int want[] = { LVC_TK_IDENT, LVC_TK_IDENT, LVC_TK_IDENT };
	assert_codes(want, 3);
	cr_assert_str_eq(text_of(1), "b");
	cr_assert_eq(c.errors, 0, "%s", lvt_diags());
	cr_assert_null(c.docs, "a plain comment is not a doc comment");
}

Test(lexer, unterminated_block_comment_runs_to_the_end)
{
	lex("a /* never closed\nb c");
	cr_assert_eq(ntoks, 1);
	cr_assert_eq(c.errors, 1);
	cr_assert(lvt_has("t.lv:1:3: error: unterminated comment\n"), "%s", lvt_diags());
}

Test(lexer, doc_comment_lines_ride_on_the_next_token)
{
	lex("/// Chat rooms.\n///   indented\n///\nmodule chat;");
	cr_assert_eq(codes[0], LVC_TK_MODULE);
	cr_assert_not_null(toks[0].doc);
	cr_assert_str_eq(toks[0].doc->text, "Chat rooms.\n  indented\n",
	                 "one leading space is dropped, the rest kept");
	cr_assert_eq(toks[0].doc->loc.off, 0, "the doc starts at its first '///'");
	cr_assert_null(toks[1].doc, "a doc rides on one token only");
	cr_assert_eq(c.docs, toks[0].doc, "every doc is listed on the context");
}

Test(lexer, doc_without_a_space_and_quadruple_slash)
{
	lex("///tight\nx\n//// not a doc\ny");
	cr_assert_not_null(toks[0].doc);
	cr_assert_str_eq(toks[0].doc->text, "tight");
	cr_assert_null(toks[1].doc, "'////' is an ordinary comment");
}

Test(lexer, separate_docs_stay_separate)
{
	lex("/// one\na\n/// two\nb");
	cr_assert_str_eq(toks[0].doc->text, "one");
	cr_assert_str_eq(toks[1].doc->text, "two");
	cr_assert_eq(c.docs->next, toks[1].doc);
	cr_assert_eq(toks[1].doc->loc.off, 10);
}

Test(lexer, doc_at_the_end_rides_on_the_end_token)
{
	lex("x\n/// trailing");
	cr_assert_eq(ntoks, 1);
	cr_assert_not_null(toks[1].doc);
	cr_assert_str_eq(toks[1].doc->text, "trailing");
}

Test(lexer, nul_byte_inside_the_file)
{
	lex_n("a\0b", 3);
	static const int want[] = { LVC_TK_IDENT, LVC_TK_IDENT };
	assert_codes(want, 2);
	cr_assert_eq(toks[2].off, 3, "the end is the buffer's length, not the NUL");
	cr_assert(lvt_has("t.lv:1:2: error: NUL byte in source"), "%s", lvt_diags());
}

Test(lexer, empty_input_and_end_is_sticky)
{
	lex_n("", 0);
	cr_assert_eq(ntoks, 0);
	lvc_lexer lx;
	lvc_token t;
	lvc_lexer_init(&lx, &c, 0);
	cr_assert_eq(lvc_lex(&lx, &t), 0);
	cr_assert_eq(lvc_lex(&lx, &t), 0, "lexing past the end keeps returning the end");
	cr_assert_eq(c.errors, 0);
}

Test(lexer, stray_ascii_character)
{
	lex("a $ b");
	static const int want[] = { LVC_TK_IDENT, LVC_TK_IDENT };
	assert_codes(want, 2);
	cr_assert_eq(c.errors, 1);
	cr_assert(lvt_has("t.lv:1:3: error: unexpected character '$'\n"), "%s", lvt_diags());
}

Test(lexer, stray_utf8_character_is_named)
{
	lex("struct \xc3\xa9 x");
	cr_assert_eq(ntoks, 2);
	cr_assert(lvt_has("t.lv:1:8: error: unexpected character '\xc3\xa9'\n"), "%s",
	          lvt_diags());
}

Test(lexer, run_of_stray_bytes_is_one_error)
{
	lex("a \x80\x81\xfe b");
	cr_assert_eq(ntoks, 2);
	cr_assert_eq(c.errors, 1);
	cr_assert(lvt_has("error: unexpected bytes (3) that are not part of the language"),
	          "%s", lvt_diags());
}

Test(lexer, invalid_utf8_in_strings_and_comments)
{
	lex("\"ok \xc3\xa9\" \"bad \xc3\x28\" // \xff\n/* \xed\xa0\x80 */ /// \xc0\xaf\nx");
	cr_assert_eq(c.errors, 4, "%s", lvt_diags());
	cr_assert_eq(lvt_count("invalid UTF-8 in a string"), 1, "a bad continuation byte");
	cr_assert_eq(lvt_count("invalid UTF-8 in a comment"), 2,
	             "a stray 0xff, and a surrogate encoded in UTF-8");
	cr_assert_eq(lvt_count("invalid UTF-8 in a doc comment"), 1, "an overlong '/'");
	cr_assert(lvt_has("t.lv:1:14: error: invalid UTF-8 in a string"), "%s", lvt_diags());
}

Test(lexer, known_escapes_are_accepted)
{
	lex("\"\\\" \\\\ \\/ \\n \\t \\r \\b \\f \\u{41} \\u{10FFFF} \\u{1f600}\"");
	cr_assert_eq(ntoks, 1);
	cr_assert_eq(c.errors, 0, "%s", lvt_diags());
}

Test(lexer, unknown_escape_is_reported_at_the_backslash)
{
	lex("x \"a\\qb\"");
	cr_assert_eq(c.errors, 1);
	cr_assert(lvt_has("t.lv:1:5: error: unknown escape sequence '\\q'"), "%s", lvt_diags());
}

Test(lexer, bad_unicode_escapes)
{
	static const char *const bad[] = {
		"\"\\u{D800}\"",    /* a surrogate */
		"\"\\u{110000}\"",  /* past Unicode */
		"\"\\u{0}\"",       /* NUL */
		"\"\\u{}\"",        /* no digits */
		"\"\\u{1234567}\"", /* seven digits */
		"\"\\u0041\"",      /* the old form */
		"\"\\u{41\"",       /* unclosed */
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		int before = c.errors;
		lex(bad[i]);
		cr_assert_eq(c.errors, before + 1, "%s: %d errors", bad[i], c.errors - before);
	}
	cr_assert_eq(lvt_count("invalid unicode escape"), 7, "%s", lvt_diags());
}

Test(lexer, token_names_for_messages)
{
	cr_assert_str_eq(lvc_token_name(0), "end of file");
	cr_assert_str_eq(lvc_token_name(LVC_TK_SEMI), "';'");
	cr_assert_str_eq(lvc_token_name(LVC_TK_IDENT), "a name");
	cr_assert_str_eq(lvc_token_name(LVC_TK_ARROW), "'->'");
	cr_assert_str_eq(lvc_token_name(LVC_TK_NUMUNIT), "a duration or size");
	cr_assert_str_eq(lvc_token_name(-1), "a token");
	cr_assert_str_eq(lvc_token_name(10000), "a token");
}
