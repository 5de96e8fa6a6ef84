/* lexer.re - the .lv lexer (re2c). Tokens are (offset, length) slices of
 * one NUL-terminated buffer. Doc comments (///) ride on the next token.
 * Lexical errors are reported here; the lexer always makes progress and
 * never fails, so the parser sees a token stream whatever the input. */
#include <stdlib.h>
#include <string.h>

#include "lvc.h"
#include "parser.h"

void
lvc_lexer_init(lvc_lexer *lx, lvc_ctx *c, uint32_t file)
{
	memset(lx, 0, sizeof *lx);
	lx->c = c;
	lx->file = file;
	lx->buf = c->files[file]->text;
	lx->len = c->files[file]->len;
	/* A UTF-8 byte-order mark is not part of the text. */
	if (lx->len >= 3 && memcmp(lx->buf, "\xef\xbb\xbf", 3) == 0)
		lx->pos = 3;
}

void
lvc_lexer_free(lvc_lexer *lx)
{
	free(lx->doc_lines);
	lx->doc_lines = NULL;
}

static lvc_loc
at(lvc_lexer *lx, const unsigned char *p, size_t len)
{
	return (lvc_loc){ lx->file, (uint32_t)(p - (const unsigned char *)lx->buf),
	                  (uint32_t)len };
}

/* Reports the first invalid UTF-8 sequence in [p, end), if any. */
static void
check_utf8(lvc_lexer *lx, const unsigned char *p, const unsigned char *end,
           const char *what)
{
	while (p < end) {
		int n = lvc_utf8_len(p, (size_t)(end - p));
		if (n == 0) {
			lvc_error(lx->c, at(lx, p, 1), "invalid UTF-8 in %s", what);
			return;
		}
		p += n;
	}
}

/* Checks the escapes of a string literal's body [p, end). */
static void
check_escapes(lvc_lexer *lx, const unsigned char *p, const unsigned char *end)
{
	while (p < end) {
		if (*p != '\\') {
			p++;
			continue;
		}
		uint32_t cp;
		size_t len;
		switch (lvc_escape_read((const char *)p, (const char *)end, &cp, &len)) {
		case LVC_ESC_OK:
			break;
		case LVC_ESC_BAD_UNICODE:
			lvc_error(lx->c, at(lx, p, 2),
			          "invalid unicode escape; write \\u{HEX} with 1 to 6 hex "
			          "digits naming a character other than NUL or a surrogate");
			break;
		case LVC_ESC_UNKNOWN:
			lvc_error(lx->c, at(lx, p, 2),
			          "unknown escape sequence '\\%c'; the escapes are "
			          "\\\" \\\\ \\/ \\n \\t \\r \\b \\f \\u{HEX}",
			          p[1] >= 0x20 && p[1] < 0x7f ? p[1] : '?');
			break;
		}
		p += len;
	}
}

/* Doc lines are kept as slices and joined once, when the block is
 * complete: a long block costs its length, not its length squared. */
static void
add_doc_line(lvc_lexer *lx, const unsigned char *p, const unsigned char *end)
{
	lvc_ctx *c = lx->c;
	const unsigned char *slashes = p - 3;
	if (*p == ' ')
		p++;
	check_utf8(lx, p, end, "a doc comment");
	if (!lx->pending_doc) {
		lvc_doc *d = lvc_alloc(&c->arena, sizeof *d);
		d->loc = at(lx, slashes, 3);
		if (c->docs_tail)
			c->docs_tail->next = d;
		else
			c->docs = d;
		c->docs_tail = d;
		lx->pending_doc = d;
		lx->ndoc_lines = 0;
		lx->doc_bytes = 0;
	}
	if (lx->ndoc_lines == lx->cap_doc_lines) {
		uint32_t cap = lx->cap_doc_lines ? lx->cap_doc_lines * 2 : 16;
		lvc_str *lines = realloc(lx->doc_lines, cap * sizeof *lines);
		if (!lines)
			abort();
		lx->doc_lines = lines;
		lx->cap_doc_lines = cap;
	}
	lx->doc_lines[lx->ndoc_lines++] = (lvc_str){ (const char *)p, (uint32_t)(end - p) };
	lx->doc_bytes += (size_t)(end - p) + 1;
}

/* Joins the pending doc block's lines; it rides on the token just lexed. */
static lvc_doc *
take_pending_doc(lvc_lexer *lx)
{
	lvc_doc *d = lx->pending_doc;
	if (!d)
		return NULL;
	char *t = lvc_alloc(&lx->c->arena, lx->doc_bytes + 1), *o = t;
	for (uint32_t i = 0; i < lx->ndoc_lines; i++) {
		if (i)
			*o++ = '\n';
		memcpy(o, lx->doc_lines[i].p, lx->doc_lines[i].n);
		o += lx->doc_lines[i].n;
	}
	*o = '\0';
	d->text = t;
	lx->pending_doc = NULL;
	lx->ndoc_lines = 0;
	return d;
}

static int
is_tok_start(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == ' ' || ch == '\t' ||
	       ch == '\n' || ch == '\r' || ch == 0 || strchr("\"@.,;:()[]{}<>?=-/", ch);
}

int
lvc_lex(lvc_lexer *lx, lvc_token *tok)
{
	const unsigned char *base = (const unsigned char *)lx->buf;
	const unsigned char *cur = base + lx->pos, *mar, *start;
	int code;

	for (;;) {
	start = cur;
	/*!re2c
	re2c:define:YYCTYPE = "unsigned char";
	re2c:define:YYCURSOR = cur;
	re2c:define:YYMARKER = mar;
	re2c:yyfill:enable = 0;

	digits = [0-9]+;
	ident = [a-zA-Z_][a-zA-Z0-9_]*;
	exp = [eE] [+-]? digits;

	"\x00" {
		if ((size_t)(start - base) >= lx->len) {
			lx->pos = lx->len;
			tok->off = lx->len;
			tok->len = 0;
			tok->doc = take_pending_doc(lx);
			return 0;
		}
		lvc_error(lx->c, at(lx, start, 1), "NUL byte in source");
		continue;
	}
	[ \t\r\n\f\v]+ { continue; }
	"///" ([^/\n\x00] [^\n\x00]*)? {
		add_doc_line(lx, start + 3, cur);
		continue;
	}
	"//" [^\n\x00]* {
		check_utf8(lx, start, cur, "a comment");
		continue;
	}
	"/*" ([^*\x00] | "*"+ [^*/\x00])* "*"+ "/" {
		check_utf8(lx, start, cur, "a comment");
		continue;
	}
	"/*" {
		lvc_error(lx->c, at(lx, start, 2), "unterminated comment");
		cur = base + lx->len;
		continue;
	}

	"module" { code = LVC_TK_MODULE; goto done; }
	"import" { code = LVC_TK_IMPORT; goto done; }
	"struct" { code = LVC_TK_STRUCT; goto done; }
	"enum"   { code = LVC_TK_ENUM; goto done; }
	"true"   { code = LVC_TK_TRUE; goto done; }
	"false"  { code = LVC_TK_FALSE; goto done; }
	"null"   { code = LVC_TK_NULL; goto done; }
	ident    { code = LVC_TK_IDENT; goto done; }

	digits | "0" [xX] [0-9a-fA-F]+ { code = LVC_TK_INT; goto done; }
	digits "." digits exp? | digits exp { code = LVC_TK_FLOAT; goto done; }
	digits ("." digits)? [a-zA-Z]+ { code = LVC_TK_NUMUNIT; goto done; }

	["] ([^"\\\n\x00] | "\\" [^\n\x00])* ["] {
		check_escapes(lx, start + 1, cur - 1);
		check_utf8(lx, start + 1, cur - 1, "a string");
		code = LVC_TK_STRING;
		goto done;
	}
	["] ([^"\\\n\x00] | "\\" [^\n\x00])* "\\"? {
		lvc_error(lx->c, at(lx, start, 1), "missing terminating '\"' character");
		check_utf8(lx, start + 1, cur, "a string");
		code = LVC_TK_STRING;
		goto done;
	}

	"@"  { code = LVC_TK_AT; goto done; }
	"."  { code = LVC_TK_DOT; goto done; }
	","  { code = LVC_TK_COMMA; goto done; }
	";"  { code = LVC_TK_SEMI; goto done; }
	":"  { code = LVC_TK_COLON; goto done; }
	"("  { code = LVC_TK_LPAREN; goto done; }
	")"  { code = LVC_TK_RPAREN; goto done; }
	"{"  { code = LVC_TK_LBRACE; goto done; }
	"}"  { code = LVC_TK_RBRACE; goto done; }
	"["  { code = LVC_TK_LBRACKET; goto done; }
	"]"  { code = LVC_TK_RBRACKET; goto done; }
	"<"  { code = LVC_TK_LT; goto done; }
	">"  { code = LVC_TK_GT; goto done; }
	"?"  { code = LVC_TK_QUESTION; goto done; }
	"="  { code = LVC_TK_EQ; goto done; }
	"->" { code = LVC_TK_ARROW; goto done; }
	"-"  { code = LVC_TK_MINUS; goto done; }
	"/"  { code = LVC_TK_SLASH; goto done; }

	* {
		/* One error for a run of stray bytes, not one per byte. */
		while (!is_tok_start(*cur))
			cur++;
		int n = lvc_utf8_len(start, lx->len - (size_t)(start - (const unsigned char *)lx->buf));
		if (n > 1 && cur - start == n)
			lvc_error(lx->c, at(lx, start, (size_t)n),
			          "unexpected character '%.*s'", n, (const char *)start);
		else if (cur - start == 1 && *start >= 0x21 && *start < 0x7f)
			lvc_error(lx->c, at(lx, start, 1), "unexpected character '%c'", *start);
		else
			lvc_error(lx->c, at(lx, start, (size_t)(cur - start)),
			          "unexpected bytes (%zu) that are not part of the language",
			          (size_t)(cur - start));
		continue;
	}
	*/
	}
done:
	lx->pos = (uint32_t)(cur - base);
	tok->off = (uint32_t)(start - base);
	tok->len = (uint32_t)(cur - start);
	tok->doc = take_pending_doc(lx);
	return code;
}
