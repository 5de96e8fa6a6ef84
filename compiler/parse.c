/* parse.c - drives lexer and parser over a file and its imports: bracket
 * matching, syntax error messages, recovery, import resolution. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lvc.h"
#include "parse_internal.h"
#include "parser.h"

static const char *const token_names[] = {
	[0] = "end of file",
	[LVC_TK_MODULE] = "'module'", [LVC_TK_IMPORT] = "'import'",
	[LVC_TK_STRUCT] = "'struct'", [LVC_TK_ENUM] = "'enum'",
	[LVC_TK_TRUE] = "'true'", [LVC_TK_FALSE] = "'false'", [LVC_TK_NULL] = "'null'",
	[LVC_TK_IDENT] = "a name", [LVC_TK_INT] = "an integer",
	[LVC_TK_FLOAT] = "a number", [LVC_TK_NUMUNIT] = "a duration or size",
	[LVC_TK_STRING] = "a string", [LVC_TK_AT] = "'@'", [LVC_TK_DOT] = "'.'",
	[LVC_TK_COMMA] = "','", [LVC_TK_SEMI] = "';'", [LVC_TK_COLON] = "':'",
	[LVC_TK_LPAREN] = "'('", [LVC_TK_RPAREN] = "')'", [LVC_TK_LBRACE] = "'{'",
	[LVC_TK_RBRACE] = "'}'", [LVC_TK_LBRACKET] = "'['", [LVC_TK_RBRACKET] = "']'",
	[LVC_TK_LT] = "'<'", [LVC_TK_GT] = "'>'", [LVC_TK_QUESTION] = "'?'",
	[LVC_TK_EQ] = "'='", [LVC_TK_ARROW] = "'->'", [LVC_TK_MINUS] = "'-'",
	[LVC_TK_SLASH] = "'/'",
};

const char *
lvc_token_name(int code)
{
	if (code < 0 || (size_t)code >= sizeof token_names / sizeof token_names[0] ||
	    !token_names[code])
		return "a token";
	return token_names[code];
}

static int
closer_of(int open)
{
	switch (open) {
	case LVC_TK_LPAREN: return LVC_TK_RPAREN;
	case LVC_TK_LBRACE: return LVC_TK_RBRACE;
	case LVC_TK_LBRACKET: return LVC_TK_RBRACKET;
	case LVC_TK_LT: return LVC_TK_GT;
	default: return 0;
	}
}

static bool
is_closer(int code)
{
	return code == LVC_TK_RPAREN || code == LVC_TK_RBRACE ||
	       code == LVC_TK_RBRACKET || code == LVC_TK_GT;
}

/* Tokens that only ever start a top-level item, so seeing one inside
 * brackets means a bracket was left open. */
static bool
starts_item(int code)
{
	return code == LVC_TK_AT || code == LVC_TK_STRUCT || code == LVC_TK_ENUM ||
	       code == LVC_TK_MODULE || code == LVC_TK_IMPORT;
}

/* Which tokens could come next (bit i: code i): the automaton replayed on
 * a copy of the state stack, without running any action, for each one. */
static uint64_t
expected_tokens(const void *parser)
{
	uint64_t expected = 0;
	int depth = lvc__parser_depth(parser), ntokens = lvc__parser_ntokens();
	int *st = malloc(sizeof *st * (size_t)(depth + 1 + 64));
	for (int t = 1; st && t < ntokens && t < 64; t++) {
		int top = depth;
		for (int i = 0; i <= depth; i++)
			st[i] = lvc__parser_state(parser, i);
		for (int guard = 0; guard < 4096; guard++) {
			int size, lhs;
			int act = lvc__parser_action(st[top], t, &size, &lhs);
			if (act == LVC_PARSER_REDUCE) {
				if (top + size < 0 || top + size + 1 > depth + 63)
					break;
				int next = lvc__parser_goto(st[top + size], lhs);
				top += size + 1;
				st[top] = next;
				continue;
			}
			if (act == LVC_PARSER_SHIFT)
				expected |= (uint64_t)1 << t;
			break;
		}
	}
	free(st);
	return expected;
}

void
lvc__syntax_error(lvc_ctx *c, int major, lvc_token tok, const void *parser)
{
	uint64_t expected = expected_tokens(parser);
	lvc_loc at = { c->cur_file, tok.off, tok.len };
	char found[128];
	lvc_str s = lvc_tok_str(c, tok);
	c->syntax_error = true;
	c->incomplete = true;

	/* The lexer has just reported what is wrong here; the parser's view
	 * of it would only repeat that. */
	if (c->lex_error_tok >= 0 && (uint32_t)c->lex_error_tok >= c->prev_start)
		return;

	/* A token on a later line than the one before it: what is missing is
	 * most likely at the end of that earlier line, so point there. */
	const char *text = c->files[c->cur_file]->text;
	uint64_t closers = (uint64_t)1 << LVC_TK_SEMI | (uint64_t)1 << LVC_TK_RPAREN |
	                   (uint64_t)1 << LVC_TK_RBRACE | (uint64_t)1 << LVC_TK_RBRACKET |
	                   (uint64_t)1 << LVC_TK_GT;
	if ((expected & closers) && c->prev_end && c->prev_end <= tok.off &&
	    memchr(text + c->prev_end, '\n', tok.off - c->prev_end))
		at = (lvc_loc){ c->cur_file, c->prev_end, 1 };

	/* "struct" and "enum" where a name goes more likely begin the next
	 * declaration after a missing '}' than misuse a keyword. */
	bool keyword = major == LVC_TK_MODULE || major == LVC_TK_IMPORT ||
	               major == LVC_TK_TRUE || major == LVC_TK_FALSE || major == LVC_TK_NULL ||
	               ((major == LVC_TK_STRUCT || major == LVC_TK_ENUM) && c->nopen == 0);
	if (keyword && (expected >> LVC_TK_IDENT & 1)) {
		lvc_error(c, (lvc_loc){ c->cur_file, tok.off, tok.len },
		          "'%.*s' is a keyword and cannot be used as a name", (int)s.n, s.p);
		c->keyword_as_name = true;
		return;
	}

	if (major == LVC_TK_IDENT)
		snprintf(found, sizeof found, "'%.*s'", (int)(s.n > 60 ? 60 : s.n), s.p);
	else
		snprintf(found, sizeof found, "%s", lvc_token_name(major));

	if (c->nopen > 0) {
		int top_code = c->open[c->nopen - 1].code;
		lvc_loc top_loc = c->open[c->nopen - 1].loc;
		int want = closer_of(top_code);
		if ((expected >> want & 1) && (major == 0 || is_closer(major) || starts_item(major))) {
			uint32_t line, col;
			lvc_line_col(c, top_loc, &line, &col);
			lvc_error(c, at, "expected %s to close %s at line %u, found %s",
			          lvc_token_name(want), lvc_token_name(top_code), line, found);
			lvc_note(c, top_loc, "%s opened here", lvc_token_name(top_code));
			return;
		}
	}

	/* Name what could have come, most useful first, when that is short. */
	static const int order[] = {
		LVC_TK_SEMI, LVC_TK_IDENT, LVC_TK_COLON, LVC_TK_LPAREN, LVC_TK_RPAREN,
		LVC_TK_LBRACE, LVC_TK_RBRACE, LVC_TK_LBRACKET, LVC_TK_RBRACKET, LVC_TK_LT,
		LVC_TK_GT, LVC_TK_COMMA, LVC_TK_ARROW, LVC_TK_EQ, LVC_TK_STRING,
		LVC_TK_INT, LVC_TK_QUESTION, LVC_TK_DOT, LVC_TK_AT, LVC_TK_STRUCT,
		LVC_TK_ENUM, LVC_TK_MODULE, LVC_TK_IMPORT,
	};
	const char *names[8];
	int n = 0;
	bool value = (expected >> LVC_TK_INT & 1) && (expected >> LVC_TK_STRING & 1);
	if (value)
		names[n++] = "a value";
	for (size_t i = 0; i < sizeof order / sizeof order[0] && n < 8; i++) {
		int t = order[i];
		if (!(expected >> t & 1))
			continue;
		if (value && (t == LVC_TK_STRING || t == LVC_TK_INT || t == LVC_TK_IDENT ||
		              t == LVC_TK_LBRACKET || t == LVC_TK_LBRACE))
			continue;
		names[n++] = lvc_token_name(t);
	}
	if (expected >> LVC_TK_AT & 1 && expected >> LVC_TK_STRUCT & 1) {
		lvc_error(c, at, "expected a declaration, found %s", found);
	} else if (n == 0 || n > 4) {
		lvc_error(c, at, "unexpected %s", found);
	} else {
		char list[256];
		size_t len = 0;
		list[0] = '\0';
		for (int i = 0; i < n; i++)
			len += (size_t)snprintf(list + len, sizeof list - len, "%s%s",
			                        i == 0 ? "" : i == n - 1 ? " or " : ", ", names[i]);
		lvc_error(c, at, "expected %s, found %s", list, found);
	}
}

static void
push_open(lvc_ctx *c, int code, lvc_loc loc)
{
	c->open[c->nopen].code = code;
	c->open[c->nopen].loc = loc;
	c->nopen++;
}

/* A fresh parser after a syntax error, at an item boundary. */
static void *
restart(lvc_ctx *c, void *parser)
{
	lvcParseFree(parser, free);
	c->syntax_error = false;
	return lvcParseAlloc(malloc, c);
}

/* The name of the declaration being read, from its top-level tokens: the
 * name after "struct" or "enum", or the name before an endpoint's '('
 * (not a decorator's, which follows '@' or '.'). A syntax error in the
 * declaration records it, so the checker knows the name is declared and
 * does not call a use of it an unknown type. */
typedef struct {
	int last, before;        /* the last two top-level codes of the item */
	lvc_token name;
	bool have;
	bool module;             /* the item is a module line */
} item_name;

static void
track_name(item_name *it, int code, lvc_token tok, int depth)
{
	if (depth != 0)
		return;
	if (code == LVC_TK_MODULE)
		it->module = true;
	if (code == LVC_TK_IDENT && (it->last == LVC_TK_STRUCT || it->last == LVC_TK_ENUM)) {
		it->name = tok;
		it->have = true;
	} else if (code == LVC_TK_LPAREN && it->last == LVC_TK_IDENT && !it->have &&
	           it->before != LVC_TK_AT && it->before != LVC_TK_DOT) {
		it->have = true;   /* it->name was set with the IDENT */
	}
	if (code == LVC_TK_IDENT && !it->have)
		it->name = tok;
	it->before = it->last;
	it->last = code;
}

static void
record_broken(lvc_ctx *c, item_name *it)
{
	if (it->module)
		c->cur->module_broken = true;   /* "missing module" would be an echo */
	if (it->have && !it->module) {
		if (c->nbroken == c->cap_broken) {
			int cap = c->cap_broken ? c->cap_broken * 2 : 8;
			lvc_str *v = lvc_alloc(&c->arena, (size_t)cap * sizeof *v);
			if (c->nbroken)
				memcpy(v, c->broken, (size_t)c->nbroken * sizeof *v);
			c->broken = v;
			c->cap_broken = cap;
		}
		c->broken[c->nbroken++] = lvc_tok_str(c, it->name);
	}
	*it = (item_name){ 0 };
}

bool
lvc_is_broken_name(lvc_ctx *c, lvc_str name)
{
	for (int i = 0; i < c->nbroken; i++)
		if (lvc_str_same(c->broken[i], name))
			return true;
	return false;
}

/* Parses the tokens of one file into c->cur. After a syntax error the
 * parser is restarted at the next item boundary, so later errors are
 * reported too without a cascade from the first, and the declarations
 * around the broken one are checked as usual. */
static void
parse_tokens(lvc_ctx *c)
{
	lvc_lexer lx;
	lvc_token tok;
	void *parser = lvcParseAlloc(malloc, c);
	int code;
	bool skipping = false;
	item_name item = { 0 };

	lvc_lexer_init(&lx, c, c->cur_file);
	c->nopen = 0;
	c->syntax_error = false;
	c->parse_done = false;
	c->prev_end = c->prev_start = 0;
	c->lex_error_tok = -1;

	do {
		int before = c->errors;
		code = lvc_lex(&lx, &tok);
		if (c->errors > before)
			c->lex_error_tok = tok.off;
		if (c->stop)
			break;
		if (skipping) {
			/* Resume at an item boundary: after ';' or '}' that closes
			 * every bracket, or before a token that starts an item. */
			if (starts_item(code)) {
				c->nopen = 0;
				skipping = false;
			} else if (code != 0) {
				if (closer_of(code) && c->nopen < LVC_MAX_NESTING)
					push_open(c, code, lvc_tok_loc(c, tok));
				else if (is_closer(code) && c->nopen > 0)
					c->nopen--;
				if (c->nopen == 0 && (code == LVC_TK_SEMI || code == LVC_TK_RBRACE)) {
					skipping = false;
					parser = restart(c, parser);
				}
				continue;
			}
			if (!skipping) {
				parser = restart(c, parser);
			}
		}
		track_name(&item, code, tok, c->nopen);
		if (closer_of(code)) {
			if (c->nopen == LVC_MAX_NESTING) {
				lvc_error(c, lvc_tok_loc(c, tok),
				          "brackets nested deeper than %d levels", LVC_MAX_NESTING);
				break;
			}
			push_open(c, code, lvc_tok_loc(c, tok));
		}
		c->keyword_as_name = false;
		lvcParse(parser, code, tok);
		if (c->syntax_error && starts_item(code) && !c->keyword_as_name) {
			/* The item before this one is cut short; this one starts
			 * afresh, so nothing of it is lost. */
			record_broken(c, &item);
			parser = restart(c, parser);
			c->nopen = 0;
			track_name(&item, code, tok, 0);
			lvcParse(parser, code, tok);
		}
		c->prev_start = tok.off;
		c->prev_end = tok.off + tok.len;
		if (c->syntax_error) {
			record_broken(c, &item);
			if (code == 0)
				break;
			skipping = true;
			/* The offending token counts for the skip as well. */
			if (closer_of(code)) {
				/* already pushed */
			} else if (is_closer(code) && c->nopen > 0) {
				c->nopen--;
			}
			if (c->nopen == 0 && (code == LVC_TK_SEMI || code == LVC_TK_RBRACE)) {
				skipping = false;
				parser = restart(c, parser);
			}
			continue;
		}
		if (is_closer(code) && c->nopen > 0 &&
		    closer_of(c->open[c->nopen - 1].code) == code)
			c->nopen--;
		if (c->nopen == 0 && (code == LVC_TK_SEMI || code == LVC_TK_RBRACE))
			item = (item_name){ 0 };   /* the item is complete */
	} while (code != 0);
	lvcParseFree(parser, free);
	lvc_lexer_free(&lx);
}

/* ---- imports ------------------------------------------------------------ */

static char *
dir_of(lvc_ctx *c, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return lvc_strndup(&c->arena, ".", 1);
	return lvc_strndup(&c->arena, path, (size_t)(slash - path) + (slash == path));
}

static lvc_source *
find_loaded(lvc_ctx *c, const char *path)
{
	char *real = realpath(path, NULL);
	if (!real)
		return NULL;
	lvc_source *found = NULL;
	for (uint32_t i = 0; i < c->nfiles && !found; i++)
		if (strcmp(c->files[i]->real, real) == 0)
			found = c->files[i];
	free(real);
	return found;
}

/* The file an import names: relative to the importing file's folder, then
 * each -I folder in order. An absolute path is taken as it is. */
static char *
resolve_import(lvc_ctx *c, const char *from, lvc_str name)
{
	char *rel = lvc_strndup(&c->arena, name.p, name.n);
	if (rel[0] == '/')
		return access(rel, R_OK) == 0 ? rel : NULL;
	const char *dir = dir_of(c, from);
	char *cand = strcmp(dir, ".") == 0 ? rel : lvc_sprintf(&c->arena, "%s/%s", dir, rel);
	if (access(cand, R_OK) == 0)
		return cand;
	for (int i = 0; i < c->ninclude; i++) {
		cand = lvc_sprintf(&c->arena, "%s/%s", c->include_dirs[i], rel);
		if (access(cand, R_OK) == 0)
			return cand;
	}
	return NULL;
}

static void
report_cycle(lvc_ctx *c, lvc_import *im, lvc_source *target)
{
	lvc_error(c, im->loc, "import cycle: '%s' imports itself through this import",
	          target->path);
	int start = 0;
	while (start < c->nchain && c->chain[start] != target)
		start++;
	for (int i = start; i < c->nchain; i++) {
		lvc_source *s = c->chain[i];
		lvc_source *next = i + 1 < c->nchain ? c->chain[i + 1] : target;
		for (lvc_import *j = s->module->imports; j; j = j->next)
			if (j->target == next || (j == im)) {
				lvc_note(c, j->loc, "'%s' imports '%s'", s->path, next->path);
				break;
			}
	}
}

lvc_module *
lvc_parse_file(lvc_ctx *c, lvc_source *src)
{
	lvc_module *m = lvc_alloc(&c->arena, sizeof *m);
	uint32_t file = 0;
	while (c->files[file] != src)
		file++;
	m->file = file;
	m->loc = (lvc_loc){ file, 0, 0 };
	src->module = m;
	src->state = 1;

	lvc_module *saved_cur = c->cur;
	uint32_t saved_file = c->cur_file;
	c->cur = m;
	c->cur_file = file;
	parse_tokens(c);
	c->cur = saved_cur;
	c->cur_file = saved_file;

	if (!m->seen_module && !m->module_broken && !c->stop)
		lvc_error(c, (lvc_loc){ file, 0, 0 },
		          "missing module declaration; begin the file with 'module NAME;'");

	lvc_source **grown = realloc(c->chain, (size_t)(c->nchain + 1) * sizeof *c->chain);
	if (!grown)
		abort();
	c->chain = grown;
	c->chain[c->nchain++] = src;
	for (lvc_import *im = m->imports; im && !c->stop; im = im->next) {
		if (im->path.n == 0 || memchr(im->path.p, '\0', im->path.n)) {
			lvc_error(c, im->loc, "an import names a file: write import \"other.lv\";");
			continue;
		}
		char *path = resolve_import(c, src->path, im->path);
		if (!path) {
			c->incomplete = true;
			c->imports_missing = true;
			lvc_error(c, im->loc, "cannot find imported file '%.*s'",
			          (int)im->path.n, im->path.p);
			lvc_note(c, im->loc, "looked in '%s'%s", dir_of(c, src->path),
			         c->ninclude ? " and in every -I folder" : " (add folders with -I)");
			continue;
		}
		lvc_source *t = find_loaded(c, path);
		if (!t) {
			t = lvc_load(c, path, im->loc);
			if (!t) {
				c->incomplete = true;
				c->imports_missing = true;
				continue;
			}
		}
		im->target = t;
		if (t->state == 1)
			report_cycle(c, im, t);
		else if (t->state == 0)
			lvc_parse_file(c, t);
	}
	c->nchain--;
	src->state = 2;

	/* Imports first: a module follows everything it depends on. */
	if (c->modules_tail)
		c->modules_tail->next = m;
	else
		c->modules = m;
	c->modules_tail = m;
	return m;
}

bool
lvc_parse_program(lvc_ctx *c, const char *path)
{
	lvc_source *src = lvc_load(c, path, (lvc_loc){ UINT32_MAX, 0, 0 });
	if (!src)
		return false;
	return lvc_parse_source(c, src);
}

bool
lvc_parse_source(lvc_ctx *c, lvc_source *src)
{
	c->root = lvc_parse_file(c, src);
	lvc_diag_flush(c);
	free(c->chain);
	c->chain = NULL;
	return c->errors == 0;
}
