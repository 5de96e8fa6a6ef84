/* merge.c - regenerating the handler files users edit, without losing a
 * byte of what they wrote.
 *
 * A handler file is free text around marked blocks, one per endpoint:
 *
 *   MARK lvc:begin NAME        (C: "/" "* lvc:begin NAME *" "/"; JS: "// lvc:begin NAME")
 *   signature lines            lvc's: rewritten when the .lv changes
 *   {                          C: a line that is "{"; JS: "export function ...{"
 *   body lines                 the user's: kept byte for byte
 *   }                          the last line that is "}"
 *   MARK lvc:end NAME
 *
 * New endpoints get new blocks at the end; a changed signature keeps the
 * old one in a comment above it ("lvc:was OLD"); blocks of removed
 * endpoints are disabled in place (C: #if 0, JS: line comments) with a
 * warning, given again on every run while the block is there, and come
 * back if the endpoint does. Anything lvc cannot read safely (markers out
 * of order, a duplicate block, a missing brace) stops it before it writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

typedef struct {
	const char *p;       /* start of the line */
	size_t n;            /* length without the line break */
	size_t full;         /* length with it */
} line;

typedef struct {
	line *v;
	size_t n;
} lines;

static lines
split(const char *text)
{
	lines ls = { 0 };
	size_t cap = 64;
	ls.v = malloc(cap * sizeof *ls.v);
	for (const char *p = text; ls.v && *p;) {
		const char *nl = strchr(p, '\n');
		size_t full = nl ? (size_t)(nl - p) + 1 : strlen(p);
		size_t n = nl ? (size_t)(nl - p) : full;
		if (n && p[n - 1] == '\r')
			n--;
		if (ls.n == cap) {
			cap *= 2;
			line *v = realloc(ls.v, cap * sizeof *v);
			if (!v)
				abort();
			ls.v = v;
		}
		ls.v[ls.n++] = (line){ p, n, full };
		p += full;
	}
	if (!ls.v)
		abort();
	return ls;
}

/* The content of a line without surrounding blanks. */
static line
trim(line l)
{
	while (l.n && (*l.p == ' ' || *l.p == '\t')) {
		l.p++;
		l.n--;
	}
	while (l.n && (l.p[l.n - 1] == ' ' || l.p[l.n - 1] == '\t'))
		l.n--;
	return l;
}

static bool
line_is(line l, const char *s)
{
	l = trim(l);
	return l.n == strlen(s) && memcmp(l.p, s, l.n) == 0;
}

/* If l is a marker "KIND NAME", returns NAME's length and sets *name. */
static size_t
marker(line l, lvc_mark_style st, const char *kind, const char **name)
{
	char pre[64];
	snprintf(pre, sizeof pre, "%s%s ", st == LVC_MARK_C ? "/* " : "// ", kind);
	const char *post = st == LVC_MARK_C ? " */" : "";
	l = trim(l);
	size_t np = strlen(pre), nq = strlen(post);
	if (l.n <= np + nq || memcmp(l.p, pre, np) != 0 ||
	    memcmp(l.p + l.n - nq, post, nq) != 0)
		return 0;
	*name = l.p + np;
	size_t n = l.n - np - nq;
	/* A removal marker carries a note after the name: "NAME: why". */
	const char *colon = memchr(*name, ':', n);
	return colon ? (size_t)(colon - *name) : n;
}

static bool
opens_body(line l, lvc_mark_style st)
{
	if (st == LVC_MARK_C)
		return line_is(l, "{");
	line t = trim(l);
	return t.n >= 16 && (memcmp(t.p, "export function ", 16) == 0 ||
	                     (t.n >= 22 && memcmp(t.p, "export async function ", 22) == 0)) &&
	       t.p[t.n - 1] == '{';
}

typedef struct {
	int kind;            /* 0 text, 1 block, 2 removed block */
	size_t first, last;  /* lines [first, last] */
	const char *name;
	size_t nname;
	size_t open, close;  /* block: the "{" line and the last "}" line */
} item;

static void
put(lvc_tbuf *b, const char *p, size_t n)
{
	lvc_tbuf_put(b, p, n);
}

static void
put_lines(lvc_tbuf *b, const lines *ls, size_t from, size_t to)
{
	for (size_t i = from; i < to; i++)
		put(b, ls->v[i].p, ls->v[i].full);
}

/* Lines of lvc's own (fresh text), in the file's line endings. */
static void
put_fresh(lvc_tbuf *b, const lines *ls, size_t from, size_t to, bool crlf)
{
	for (size_t i = from; i < to; i++) {
		put(b, ls->v[i].p, ls->v[i].n);
		if (ls->v[i].full > ls->v[i].n)
			put(b, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
	}
}

static int
refuse(lvc_ctx *c, const char *path, size_t lineno, const char *why, const char *name,
       size_t n)
{
	lvc_error_plain(c, "%s:%zu: cannot merge the handler file: %s%s%.*s%s; lvc wrote "
	                "nothing (fix the markers, or move the file away to start afresh)",
	                path, lineno + 1, why, n ? " '" : "", (int)n, name ? name : "",
	                n ? "'" : "");
	return -1;
}

/* Reads the block structure of a handler file. */
static int
parse_items(lvc_ctx *c, const char *path, const lines *ls, lvc_mark_style st, item **out,
            size_t *nout)
{
	item *items = calloc(ls->n + 1, sizeof *items);
	size_t n = 0;
	if (!items)
		abort();
	for (size_t i = 0; i < ls->n;) {
		const char *name;
		size_t nn;
		if ((nn = marker(ls->v[i], st, "lvc:removed", &name))) {
			/* A disabled block: up to its closing marker. */
			size_t j = i + 1;
			const char *ename;
			size_t en = 0;
			while (j < ls->n) {
				line l = ls->v[j];
				if (st == LVC_MARK_C && line_is(l, "")) {
					j++;
					continue;
				}
				en = st == LVC_MARK_C ? marker((line){ l.p + 7 * (l.n > 7 && !memcmp(l.p, "#endif ", 7)), l.n - 7 * (l.n > 7 && !memcmp(l.p, "#endif ", 7)), 0 }, st, "lvc:removed", &ename)
				                      : marker(l, st, "lvc:removed-end", &ename);
				if (en && (st != LVC_MARK_C || !memcmp(l.p, "#endif ", 7)))
					break;
				en = 0;
				j++;
			}
			if (!en || en != nn || memcmp(ename, name, nn) != 0) {
				free(items);
				return refuse(c, path, i, "a disabled block has no end marker for", name, nn);
			}
			items[n++] = (item){ 2, i, j, name, nn, 0, 0 };
			i = j + 1;
			continue;
		}
		if (st == LVC_MARK_C && ls->v[i].n > 6 && !memcmp(ls->v[i].p, "#if 0 ", 6) &&
		    (nn = marker((line){ ls->v[i].p + 6, ls->v[i].n - 6, 0 }, st, "lvc:removed", &name))) {
			size_t j = i + 1;
			const char *ename;
			size_t en = 0;
			for (; j < ls->n; j++) {
				line l = ls->v[j];
				if (l.n > 7 && !memcmp(l.p, "#endif ", 7) &&
				    (en = marker((line){ l.p + 7, l.n - 7, 0 }, st, "lvc:removed", &ename)))
					break;
			}
			if (!en || en != nn || memcmp(ename, name, nn) != 0) {
				free(items);
				return refuse(c, path, i, "a disabled block has no #endif for", name, nn);
			}
			items[n++] = (item){ 2, i, j, name, nn, 0, 0 };
			i = j + 1;
			continue;
		}
		if ((nn = marker(ls->v[i], st, "lvc:end", &name))) {
			free(items);
			return refuse(c, path, i, "an end marker with no begin marker for", name, nn);
		}
		if (!(nn = marker(ls->v[i], st, "lvc:begin", &name))) {
			if (n && items[n - 1].kind == 0)
				items[n - 1].last = i;
			else
				items[n++] = (item){ 0, i, i, NULL, 0, 0, 0 };
			i++;
			continue;
		}
		size_t j = i + 1, open = 0, close = 0;
		const char *ename;
		size_t en = 0;
		for (; j < ls->n; j++) {
			if (marker(ls->v[j], st, "lvc:begin", &ename)) {
				free(items);
				return refuse(c, path, j, "a begin marker inside the block of", name, nn);
			}
			if ((en = marker(ls->v[j], st, "lvc:end", &ename)))
				break;
			if (!open && opens_body(ls->v[j], st))
				open = j;
			else if (open && line_is(ls->v[j], "}"))
				close = j;
		}
		if (!en) {
			free(items);
			return refuse(c, path, i, "no end marker for", name, nn);
		}
		if (en != nn || memcmp(ename, name, nn) != 0) {
			free(items);
			return refuse(c, path, j, "the end marker does not match the block of", name, nn);
		}
		if (!open || !close) {
			free(items);
			return refuse(c, path, i, open ? "no closing '}' line in the block of" :
			              "no opening line of the function in the block of", name, nn);
		}
		for (size_t k = 0; k < n; k++)
			if (items[k].kind != 0 && items[k].nname == nn && !memcmp(items[k].name, name, nn)) {
				free(items);
				return refuse(c, path, i, "a second block for", name, nn);
			}
		items[n++] = (item){ 1, i, j, name, nn, open, close };
		i = j + 1;
	}
	*out = items;
	*nout = n;
	return 0;
}

static const lvc_block *
find_block(const lvc_block *blocks, int nblocks, const char *name, size_t n)
{
	for (int i = 0; i < nblocks; i++)
		if (strlen(blocks[i].name) == n && !memcmp(blocks[i].name, name, n))
			return &blocks[i];
	return NULL;
}

/* A line of a comment ("/" "*", "*", "//"), which a signature is not. */
static bool
is_comment(line l)
{
	l = trim(l);
	return l.n == 0 || l.p[0] == '*' || (l.n >= 2 && l.p[0] == '/' && (l.p[1] == '*' ||
	                                                                   l.p[1] == '/'));
}

/* Is l the note lvc keeps above a changed signature ("lvc:was OLD")? */
static bool
is_was(line l, lvc_mark_style st)
{
	l = trim(l);
	const char *pre = st == LVC_MARK_C ? "/* lvc:was " : "// lvc:was ";
	return l.n > 11 && memcmp(l.p, pre, 11) == 0;
}

/* The signature in lines [from, to] of a block: what is not a comment, up
 * to the opening line of the body, blanks folded, one line (malloc). */
static char *
signature(const lines *ls, size_t from, size_t to, lvc_mark_style st)
{
	lvc_tbuf b = { 0 };
	for (size_t i = from; i <= to && i < ls->n; i++) {
		line l = trim(ls->v[i]);
		if (is_comment(l) || (st == LVC_MARK_C && line_is(l, "{")))
			continue;
		if (l.n && l.p[l.n - 1] == '{')
			l = trim((line){ l.p, l.n - 1, 0 });
		if (b.len)
			lvc_tbuf_put(&b, " ", 1);
		for (size_t k = 0; k < l.n; k++)
			if (!(l.p[k] == ' ' || l.p[k] == '\t') || (b.len && b.data[b.len - 1] != ' '))
				lvc_tbuf_put(&b, l.p[k] == '\t' ? " " : l.p + k, 1);
	}
	lvc_tbuf_put(&b, "", 0);
	if (!b.data)
		abort();
	return b.data;
}

/* What a block keeps above its signature: the old signature when it
 * changed, else the note an earlier change left (which the user may
 * delete), else nothing. old_first/old_open: the old block's marker and
 * opening lines, or both 0 for none. */
static void
put_was(lvc_tbuf *out, const lines *old, size_t old_first, size_t old_open,
        const lines *fresh, size_t open, lvc_mark_style st, bool crlf)
{
	if (!old_open)
		return;
	char *was = signature(old, old_first + 1, old_open, st);
	char *now = signature(fresh, 1, open, st);
	if (strcmp(was, now) != 0 && was[0]) {
		put(out, st == LVC_MARK_C ? "/* lvc:was " : "// lvc:was ", 11);
		put(out, was, strlen(was));
		put(out, st == LVC_MARK_C ? " */" : "", st == LVC_MARK_C ? 3 : 0);
		put(out, crlf ? "\r\n" : "\n", crlf ? 2 : 1);
	} else {
		for (size_t i = old_first + 1; i < old_open; i++)
			if (is_was(old->v[i], st))
				put_lines(out, old, i, i + 1);
	}
	free(was);
	free(now);
}

/* Does signature `was` declare the function that `now` does (the name
 * before its first "(")? A block holds one function: other code put above
 * it would otherwise be taken for its signature and rewritten. */
static bool
ident_char(char ch)
{
	return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9');
}

static bool
same_function(const char *was, const char *now)
{
	const char *paren = strchr(now, '(');
	if (!was[0] || !paren)
		return true;   /* nothing to compare: an empty signature is refilled */
	const char *name = paren;
	while (name > now && ident_char(name[-1]))
		name--;
	size_t n = (size_t)(paren - name);
	if (!n)
		return true;
	for (const char *at = was; (at = strchr(at, *name)) != NULL; at++) {
		if (strncmp(at, name, n) != 0 || (at > was && ident_char(at[-1])))
			continue;
		const char *after = at + n;
		while (*after == ' ')
			after++;
		if (*after == '(')
			return true;
	}
	return false;
}

/* Writes a fresh block's signature (with the old one above it when it
 * changed), the user's body, and the fresh close. */
static int
splice(lvc_ctx *c, const char *path, lvc_tbuf *out, const lvc_block *b, const lines *old,
       size_t old_first,
       size_t old_open, size_t body_from, size_t body_to, lvc_mark_style st,
       const char *prefix_strip, bool crlf)
{
	lines fresh = split(b->text);
	size_t open = 0, close = 0;
	for (size_t i = 0; i < fresh.n; i++) {
		if (!open && opens_body(fresh.v[i], st))
			open = i;
		else if (open && line_is(fresh.v[i], "}"))
			close = i;
	}
	if (!open || !close) {
		free(fresh.v);
		lvc_error_plain(c, "internal error: template block for '%s' has no body", b->name);
		return -1;
	}
	size_t sig = 1;   /* where the signature starts: after the doc comment */
	while (sig < open && is_comment(fresh.v[sig]))
		sig++;
	if (old_open) {
		char *was = signature(old, old_first + 1, old_open, st);
		char *now = signature(&fresh, 1, open, st);
		bool same = same_function(was, now);
		free(was);
		free(now);
		if (!same) {
			free(fresh.v);
			return refuse(c, path, old_first, "code before the function (move it above the "
			              "lvc:begin line) in the block of",
			              b->name, strlen(b->name));
		}
	}
	put_fresh(out, &fresh, 0, sig, crlf);
	put_was(out, old, old_first, old_open, &fresh, open, st, crlf);
	put_fresh(out, &fresh, sig, open + 1, crlf);
	for (size_t i = body_from; i < body_to; i++) {
		line l = old->v[i];
		size_t skip = prefix_strip && l.full >= strlen(prefix_strip) &&
		              !memcmp(l.p, prefix_strip, strlen(prefix_strip)) ? strlen(prefix_strip) : 0;
		if (prefix_strip && !skip && l.n == 2 && !memcmp(l.p, "//", 2))
			skip = 2;
		put(out, l.p + skip, l.full - skip);
	}
	put_fresh(out, &fresh, close, fresh.n, crlf);
	free(fresh.v);
	return 0;
}

/* A disabled block of the merged text: its endpoint, where it starts, and
 * whether this run disabled it. */
typedef struct {
	const char *name;
	size_t nname;
	size_t off;
	bool now;
} removal;

/* -Wremoved-endpoint for each disabled block, at its first line in the
 * merged text (which the diagnostics show, as path:line:col). */
static void
report_disabled(lvc_ctx *c, const char *path, const char *text, size_t len,
                const removal *r, size_t n)
{
	if (!c->warn_on[LVC_WARN_REMOVED])
		return;
	lvc_source *src = lvc_load_buffer(c, path, text, len);
	if (!src)
		return;
	src->not_input = true;
	uint32_t file = c->nfiles - 1;
	for (size_t i = 0; i < n; i++) {
		const char *eol = memchr(text + r[i].off, '\n', len - r[i].off);
		uint32_t n_line = (uint32_t)(eol ? (size_t)(eol - (text + r[i].off)) : len - r[i].off);
		if (n_line && text[r[i].off + n_line - 1] == '\r')
			n_line--;
		lvc_loc at = { file, (uint32_t)r[i].off, n_line };
		if (r[i].now)
			lvc_warning(c, LVC_WARN_REMOVED, at, "'%.*s' is no longer an endpoint; its "
			            "code is kept in this disabled block", (int)r[i].nname, r[i].name);
		else
			lvc_warning(c, LVC_WARN_REMOVED, at, "'%.*s' is not an endpoint; its code is "
			            "in this disabled block until you delete it", (int)r[i].nname,
			            r[i].name);
	}
}

char *
lvc_merge(lvc_ctx *c, const char *path, const char *old, const char *fresh_file,
          const lvc_block *blocks, int nblocks, lvc_mark_style st)
{
	if (!old) {
		char *s = strdup(fresh_file);
		if (!s)
			abort();
		return s;
	}
	lines ls = split(old);
	item *items = NULL;
	size_t nitems = 0;
	if (parse_items(c, path, &ls, st, &items, &nitems) != 0) {
		free(ls.v);
		return NULL;
	}
	lvc_tbuf out = { 0 };
	bool crlf = ls.n && ls.v[0].full >= ls.v[0].n + 2;   /* the file's own endings */
	bool *seen = calloc((size_t)nblocks + 1, sizeof *seen);
	removal *disabled = calloc(nitems + 1, sizeof *disabled);
	size_t ndisabled = 0;
	if (!seen || !disabled)
		abort();
	int rc = 0;
	put(&out, "", 0);
	for (size_t k = 0; k < nitems && rc == 0; k++) {
		item *it = &items[k];
		const lvc_block *b = it->kind ? find_block(blocks, nblocks, it->name, it->nname) : NULL;
		if (b && seen[b - blocks]) {
			rc = refuse(c, path, it->first, "a second block for", it->name, it->nname);
			break;
		}
		if (b)
			seen[b - blocks] = true;
		if (it->kind == 0) {
			put_lines(&out, &ls, it->first, it->last + 1);
		} else if (it->kind == 1 && b) {
			rc = splice(c, path, &out, b, &ls, it->first, it->open, it->open + 1, it->close,
			            st, NULL, crlf);
		} else if (it->kind == 1) {
			/* Removed from the .lv: disable the block, keep every line. */
			disabled[ndisabled++] = (removal){ it->name, it->nname, out.len, true };
			char head[256];
			if (st == LVC_MARK_C) {
				snprintf(head, sizeof head, "#if 0 /* lvc:removed %.*s: no longer in the "
				         ".lv file; kept for you */%s", (int)it->nname, it->name,
				         crlf ? "\r\n" : "\n");
				put(&out, head, strlen(head));
				put_lines(&out, &ls, it->first, it->last + 1);
				snprintf(head, sizeof head, "#endif /* lvc:removed %.*s */%s",
				         (int)it->nname, it->name, crlf ? "\r\n" : "\n");
				put(&out, head, strlen(head));
			} else {
				snprintf(head, sizeof head, "// lvc:removed %.*s: no longer in the .lv "
				         "file; kept for you%s", (int)it->nname, it->name, crlf ? "\r\n" : "\n");
				put(&out, head, strlen(head));
				for (size_t i = it->first; i <= it->last; i++) {
					put(&out, ls.v[i].n ? "// " : "//", ls.v[i].n ? 3 : 2);
					put(&out, ls.v[i].p, ls.v[i].full);
				}
				snprintf(head, sizeof head, "// lvc:removed-end %.*s%s", (int)it->nname,
				         it->name, crlf ? "\r\n" : "\n");
				put(&out, head, strlen(head));
			}
		} else if (b) {
			/* The endpoint is back: bring its old body back to life. */
			size_t first = it->first + 1, last = it->last;   /* inner lines */
			const char *strip = st == LVC_MARK_JS ? "// " : NULL;
			lines inner = { ls.v + first, last - first };
			size_t open = 0, close = 0;
			for (size_t i = 0; i < inner.n; i++) {
				line l = inner.v[i];
				if (strip && l.n >= 3 && !memcmp(l.p, strip, 3))
					l = (line){ l.p + 3, l.n - 3, l.full - 3 };
				if (!open && opens_body(l, st))
					open = i + 1;
				else if (open && line_is(l, "}"))
					close = i + 1;
			}
			if (!open || !close) {
				rc = refuse(c, path, it->first, "cannot read the disabled block of",
				            it->name, it->nname);
				break;
			}
			rc = splice(c, path, &out, b, &ls, 0, 0, first + open, first + close - 1, st, strip,
			            crlf);
		} else {
			/* Still disabled: said again on every run while it is there. */
			disabled[ndisabled++] = (removal){ it->name, it->nname, out.len, false };
			put_lines(&out, &ls, it->first, it->last + 1);
		}
	}
	for (int i = 0; rc == 0 && i < nblocks; i++) {
		if (seen[i])
			continue;
		const char *nl = crlf ? "\r\n" : "\n";
		if (out.len && out.data[out.len - 1] != '\n')
			put(&out, nl, strlen(nl));
		put(&out, nl, strlen(nl));
		lines fresh = split(blocks[i].text);
		put_fresh(&out, &fresh, 0, fresh.n, crlf);
		free(fresh.v);
	}
	if (rc == 0 && ndisabled)
		report_disabled(c, path, out.data, out.len, disabled, ndisabled);
	free(disabled);
	free(seen);
	free(items);
	free(ls.v);
	if (rc != 0) {
		free(out.data);
		return NULL;
	}
	return out.data;
}

static char *
read_all(const char *path, bool *missing)
{
	FILE *f = fopen(path, "rb");
	*missing = !f;
	if (!f)
		return NULL;
	lvc_tbuf b = { 0 };
	char buf[65536];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		lvc_tbuf_put(&b, buf, n);
	bool err = ferror(f);
	fclose(f);
	if (err) {
		free(b.data);
		return NULL;
	}
	if (!b.data)
		lvc_tbuf_put(&b, "", 0);
	return b.data;
}

int
lvc_merge_check(lvc_ctx *c, const char *path, lvc_mark_style st)
{
	bool missing;
	char *old = read_all(path, &missing);
	if (!old)
		return missing ? 0 : -1;
	lines ls = split(old);
	item *items = NULL;
	size_t n = 0;
	int rc = parse_items(c, path, &ls, st, &items, &n);
	free(items);
	free(ls.v);
	free(old);
	return rc;
}

int
lvc_merge_write(lvc_ctx *c, lvc_emit *e, const char *path, const char *fresh,
                const lvc_block *blocks, int nblocks, lvc_mark_style st)
{
	bool missing;
	char *old = read_all(path, &missing);
	if (!old && !missing) {
		lvc_error_plain(c, "cannot read '%s'", path);
		return -1;
	}
	if (old && memchr(old, '\0', strlen(old)) == NULL && strlen(old) == 0) {
		/* An empty file is taken as no file. */
		free(old);
		old = NULL;
	}
	char *text = lvc_merge(c, path, old, fresh, blocks, nblocks, st);
	free(old);
	if (!text)
		return -1;
	lvc_emit_stage(c, e, path, text, strlen(text));
	free(text);
	return 0;
}
