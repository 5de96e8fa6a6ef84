/* diag.c - diagnostics in the GNU format: file:line:col: error: message,
 * then the source line and a caret underline. */
#include <stdio.h>
#include <string.h>

#include "lvc.h"

static const char *const warning_names[LVC_WARN_COUNT] = {
	[LVC_WARN_UNUSED_TYPE] = "unused-type",
	[LVC_WARN_DOC] = "dangling-doc",
	[LVC_WARN_REMOVED] = "removed-endpoint",
};

const char *
lvc_warning_name(int which)
{
	return which >= 0 && which < LVC_WARN_COUNT ? warning_names[which] : "?";
}

int
lvc_warning_by_name(const char *name)
{
	for (int i = 0; i < LVC_WARN_COUNT; i++)
		if (strcmp(name, warning_names[i]) == 0)
			return i;
	return -1;
}

enum sev { SEV_ERROR, SEV_WARNING, SEV_NOTE };

#define COLOR(c, code) ((c)->color ? "\033[" code "m" : "")

/* Echoes the line holding `at` and a caret line under it. Control bytes and
 * invalid UTF-8 are shown as '?', so a hostile file cannot drive the
 * terminal; a very long line is shown as a window around the caret. */
static void
show_source(lvc_ctx *c, lvc_loc at)
{
	FILE *out = c->err;
	lvc_source *s = c->files[at.file];
	uint32_t off = at.off > s->len ? s->len : at.off;
	uint32_t bol = off, eol = off;
	while (bol > 0 && s->text[bol - 1] != '\n')
		bol--;
	while (eol < s->len && s->text[eol] != '\n' && s->text[eol] != '\r')
		eol++;
	bool cut_left = false, cut_right = false;
	if (off - bol > 120) {
		bol = off - 80;
		while (bol < off && ((unsigned char)s->text[bol] & 0xc0) == 0x80)
			bol++;
		cut_left = true;
	}
	if (eol - bol > 240) {
		eol = bol + 240;
		while (eol > off && ((unsigned char)s->text[eol] & 0xc0) == 0x80)
			eol--;   /* not in the middle of a character */
		cut_right = true;
	}
	/* A byte-order mark is not part of the first line. */
	if (bol == 0 && s->len >= 3 && memcmp(s->text, "\xef\xbb\xbf", 3) == 0 && off >= 3)
		bol = 3;
	uint32_t end = at.len ? off + at.len : off + 1;
	if (end > eol)
		end = eol > off ? eol : off + 1;

	const unsigned char *t = (const unsigned char *)s->text;
	fputs(cut_left ? "..." : "", out);
	for (uint32_t i = bol; i < eol;) {
		int n = lvc_utf8_len(t + i, eol - i);
		if (t[i] == '\t')
			fputc('\t', out);
		else if (n == 0 || t[i] < 0x20 || t[i] == 0x7f)
			fputc('?', out);
		else
			fwrite(t + i, 1, (size_t)n, out);
		i += n ? (uint32_t)n : 1;
	}
	fputs(cut_right ? "...\n" : "\n", out);

	fputs(cut_left ? "   " : "", out);
	for (uint32_t i = bol; i < off;) {
		int n = lvc_utf8_len(t + i, eol - i);
		fputc(t[i] == '\t' ? '\t' : ' ', out);
		i += n ? (uint32_t)n : 1;
	}
	fputs(COLOR(c, "1;32"), out);
	fputc('^', out);
	int first = off < eol ? lvc_utf8_len(t + off, eol - off) : 0;
	for (uint32_t i = off + (first ? (uint32_t)first : 1); i < end;) {
		int n = lvc_utf8_len(t + i, end - i);
		fputc('~', out);
		i += n ? (uint32_t)n : 1;
	}
	fputs(COLOR(c, "0"), out);
	fputc('\n', out);
}

static void
report(lvc_ctx *c, enum sev sev, const char *tag, lvc_loc at, const char *fmt,
       va_list ap)
{
	FILE *out = c->err;
	static const char *const words[] = { "error", "warning", "note" };
	static const char *const colors[] = { "1;31", "1;35", "1;36" };

	fputs(COLOR(c, "1"), out);
	if (at.file < c->nfiles) {
		uint32_t line, col;
		lvc_line_col(c, at, &line, &col);
		fprintf(out, "%s:%u:%u: ", c->files[at.file]->path, line, col);
	} else {
		fputs("lvc: ", out);
	}
	if (c->color)
		fprintf(out, "\033[%sm", colors[sev]);
	fprintf(out, "%s: ", words[sev]);
	fputs(COLOR(c, "0"), out);
	fputs(COLOR(c, "1"), out);
	vfprintf(out, fmt, ap);
	fputs(COLOR(c, "0"), out);
	if (tag)
		fprintf(out, " [%s]", tag);
	fputc('\n', out);
	if (at.file < c->nfiles)
		show_source(c, at);
}

/* After the last error allowed, its notes still come; the next error
 * says that reporting stops, and sets everything winding down. */
static void
count_error(lvc_ctx *c)
{
	if (++c->errors == LVC_MAX_ERRORS) {
		c->stop = true;            /* the stages wind down */
		c->limit_pending = true;   /* said when the next one is refused */
	}
}

static bool
over_limit(lvc_ctx *c)
{
	if (!c->stop)
		return false;
	lvc_diag_flush(c);
	return true;
}

void
lvc_diag_flush(lvc_ctx *c)
{
	if (c->limit_pending)
		fprintf(c->err, "lvc: too many errors (%d); stopping\n", LVC_MAX_ERRORS);
	c->limit_pending = false;
}

void
lvc_error(lvc_ctx *c, lvc_loc at, const char *fmt, ...)
{
	c->note_dropped = over_limit(c);
	if (c->note_dropped)
		return;
	va_list ap;
	va_start(ap, fmt);
	report(c, SEV_ERROR, NULL, at, fmt, ap);
	va_end(ap);
	count_error(c);
}

void
lvc_error_tagged(lvc_ctx *c, const char *tag, lvc_loc at, const char *fmt, ...)
{
	c->note_dropped = over_limit(c);
	if (c->note_dropped)
		return;
	va_list ap;
	va_start(ap, fmt);
	report(c, SEV_ERROR, tag, at, fmt, ap);
	va_end(ap);
	count_error(c);
}

void
lvc_error_plain(lvc_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(c, SEV_ERROR, NULL, (lvc_loc){ UINT32_MAX, 0, 0 }, fmt, ap);
	va_end(ap);
	c->errors++;
}

void
lvc_warning(lvc_ctx *c, int which, lvc_loc at, const char *fmt, ...)
{
	c->note_dropped = !c->warn_on[which] || (c->werror ? over_limit(c) : c->stop);
	if (c->note_dropped)
		return;
	char tag[64];
	va_list ap;
	va_start(ap, fmt);
	if (c->werror) {
		snprintf(tag, sizeof tag, "-Werror=%s", warning_names[which]);
		report(c, SEV_ERROR, tag, at, fmt, ap);
		count_error(c);
	} else {
		snprintf(tag, sizeof tag, "-W%s", warning_names[which]);
		report(c, SEV_WARNING, tag, at, fmt, ap);
		c->warnings++;
	}
	va_end(ap);
}

void
lvc_note(lvc_ctx *c, lvc_loc at, const char *fmt, ...)
{
	if (c->note_dropped)
		return;
	va_list ap;
	va_start(ap, fmt);
	report(c, SEV_NOTE, NULL, at, fmt, ap);
	va_end(ap);
}
