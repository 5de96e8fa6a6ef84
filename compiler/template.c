/* template.c - a small logic-less template engine (a Mustache subset) that
 * renders the generated files from templates/ against a view model (view.h).
 *
 *   {{name}} {{a.b}} {{.}}     the value, as text (no escaping)
 *   {{#name}}..{{/name}}       a list: once per item; an object: once in it;
 *                              true or a non-empty string: once; else never
 *   {{^name}}..{{/name}}       once when name is false, null, "" or []
 *   {{>name}}                  another template, in the current context
 *   {{! text}}                 a comment
 * Inside a list, -first, -last and -index describe the current item. A line
 * holding only a section tag, a comment or a partial vanishes whole, so
 * templates can be laid out readably. A name with no value is an error: a
 * typo in a template must not become a silent blank. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lvc.h"
#include "template.h"

typedef struct frame {
	const lvc_view *value;
	const struct frame *up;
	long index;            /* >= 0 inside a list */
	long count;
} frame;

typedef struct {
	lvc_ctx *c;
	const lvc_template *t;
	const lvc_template *all;
	size_t nall;
	lvc_tbuf *out;
	int depth;
	bool failed;
	struct tnodes_s *compiled;   /* per template of `all`, made on first use */
} render;

void
lvc_tbuf_put(lvc_tbuf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (b->len + n + 1 > cap)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (!d) {
			fputs("lvc: out of memory\n", stderr);
			abort();
		}
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

static void
tfail(render *r, const char *at, const char *fmt, const char *name, size_t n)
{
	int line = 1;
	for (const char *p = r->t->text; p < at; p++)
		line += *p == '\n';
	lvc_error_plain(r->c, "template %s:%d: %s '%.*s'", r->t->name, line, fmt, (int)n, name);
	r->failed = true;
}

static const lvc_view view_true = { .kind = LVC_VIEW_BOOL, .u.b = true };
static const lvc_view view_false = { .kind = LVC_VIEW_BOOL, .u.b = false };
static const lvc_view view_null = { .kind = LVC_VIEW_NULL };

/* The value a tag names, or NULL after reporting it missing. hash is
 * lvc_view_hash of the name up to its first dot; -index is made in
 * *scratch. */
static const lvc_view *
lookup(render *r, const frame *f, const char *name, size_t n, uint32_t hash,
       const char *at, lvc_view *scratch)
{
	if (n == 1 && name[0] == '.')
		return f->value;
	/* Iteration state of the innermost list. */
	if (name[0] == '-') {
		const frame *l = f;
		while (l && l->index < 0)
			l = l->up;
		if (l && n == 6 && memcmp(name, "-first", 6) == 0)
			return l->index == 0 ? &view_true : &view_false;
		if (l && n == 5 && memcmp(name, "-last", 5) == 0)
			return l->index == l->count - 1 ? &view_true : &view_false;
		if (l && n == 6 && memcmp(name, "-index", 6) == 0) {
			*scratch = lvc_v_int(l->index);
			return scratch;
		}
		tfail(r, at, "no list around", name, n);
		return NULL;
	}
	const char *dot = memchr(name, '.', n);
	bool dotted = dot != NULL;
	size_t first = dot ? (size_t)(dot - name) : n;
	const lvc_view *v = NULL;
	for (; f && !v; f = f->up)
		if (f->value->kind == LVC_VIEW_OBJECT)
			v = lvc_vobj_get(f->value->u.obj, name, first, hash);
	bool found_first = v != NULL, last_was_index = false;
	while (v && dot) {
		const char *seg = dot + 1;
		dot = memchr(seg, '.', (size_t)(name + n - seg));
		size_t len = dot ? (size_t)(dot - seg) : (size_t)(name + n - seg);
		last_was_index = len > 0 && seg[0] >= '0' && seg[0] <= '9';
		if (v->kind == LVC_VIEW_LIST && last_was_index) {
			size_t k = 0;
			for (size_t i = 0; i < len && seg[i] >= '0' && seg[i] <= '9'; i++)
				k = k > SIZE_MAX / 10 ? SIZE_MAX : k * 10 + (size_t)(seg[i] - '0');
			v = k < v->u.list->n ? &v->u.list->items[k] : NULL;
		} else if (v->kind == LVC_VIEW_OBJECT) {
			v = lvc_vobj_get(v->u.obj, seg, len, lvc_view_hash(seg, len));
		} else {
			v = NULL;
		}
	}
	if (!v && dotted && found_first && last_was_index) {
		/* a.0 past the end of a list is "nothing", not a typo */
		v = &view_null;
	}
	if (!v)
		tfail(r, at, "no value named", name, n);
	return v;
}

static bool
truthy(const lvc_view *v)
{
	switch (v->kind) {
	case LVC_VIEW_NULL: return false;
	case LVC_VIEW_BOOL: return v->u.b;
	case LVC_VIEW_STR: return v->len > 0;
	case LVC_VIEW_LIST: return v->u.list->n > 0;
	default: return true;
	}
}

/* A tag: {{ kind? name }}; sets kind ('#', '^', '/', '>', '!', or 0). */
typedef struct {
	const char *start, *end;   /* the whole tag, braces included */
	char kind;
	const char *name;
	size_t n;
} tag;

static bool
next_tag(const char *p, const char *end, tag *t)
{
	const char *open = p;
	while ((open = memchr(open, '{', (size_t)(end - open))) && open + 1 < end && open[1] != '{')
		open++;
	if (!open || open + 1 >= end)
		return false;
	const char *close = open + 2;
	while (close + 1 < end && !(close[0] == '}' && close[1] == '}'))
		close++;
	if (close + 1 >= end)
		return false;
	t->start = open;
	t->end = close + 2;
	const char *q = open + 2;
	t->kind = (*q == '#' || *q == '^' || *q == '/' || *q == '>' || *q == '!') ? *q++ : 0;
	while (q < close && *q == ' ')
		q++;
	const char *e = close;
	while (e > q && e[-1] == ' ')
		e--;
	t->name = q;
	t->n = (size_t)(e - q);
	return true;
}

/* Finds the {{/name}} that closes a section starting after `p`. */
static const char *
find_close(const char *p, const char *end, const char *name, size_t n, const char **after)
{
	int depth = 1;
	tag t;
	while (next_tag(p, end, &t)) {
		if ((t.kind == '#' || t.kind == '^') && t.n == n && memcmp(t.name, name, n) == 0)
			depth++;
		else if (t.kind == '/' && t.n == n && memcmp(t.name, name, n) == 0 && --depth == 0) {
			*after = t.end;
			return t.start;
		}
		p = t.end;
	}
	return NULL;
}

/* Is the tag alone on its line? Then the line goes, not just the tag. */
static bool
standalone(const char *begin, const char *end, tag *t, const char **line_start,
           const char **line_end)
{
	if (t->kind == 0)
		return false;
	const char *s = t->start;
	while (s > begin && (s[-1] == ' ' || s[-1] == '\t'))
		s--;
	if (s > begin && s[-1] != '\n')
		return false;
	const char *e = t->end;
	while (e < end && (*e == ' ' || *e == '\t'))
		e++;
	if (e < end && *e != '\n')
		return false;
	*line_start = s;
	*line_end = e < end ? e + 1 : e;
	return true;
}

/* ---- compiled templates --------------------------------------------------------- *
 * Each template is read once per render into a flat list of nodes; a
 * section's body follows it, and `end` says where the body stops. Walking
 * nodes costs nothing per item, where re-reading the text did. */

enum { N_TEXT, N_VAR, N_SECTION, N_INVERTED, N_PARTIAL };

typedef struct {
	int kind;
	const char *p;       /* TEXT: the text; else the name */
	size_t n;
	const char *at;      /* the tag, for messages */
	size_t end;          /* sections: index just past the body */
	uint32_t hash;       /* the name up to its first dot, for lookup */
} tnode;

typedef struct tnodes_s {
	tnode *v;
	size_t n, cap;
	bool failed;
} tnodes;

static void
add_node(tnodes *ns, int kind, const char *p, size_t n, const char *at)
{
	if (kind == N_TEXT && n == 0)
		return;
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? ns->cap * 2 : 64;
		tnode *v = realloc(ns->v, cap * sizeof *v);
		if (!v) {
			fputs("lvc: out of memory\n", stderr);
			abort();
		}
		ns->v = v;
		ns->cap = cap;
	}
	uint32_t hash = 0;
	if (kind != N_TEXT) {
		const char *dot = memchr(p, '.', n);
		hash = lvc_view_hash(p, dot ? (size_t)(dot - p) : n);
	}
	ns->v[ns->n++] = (tnode){ kind, p, n, at, 0, hash };
}

static void
compile_range(render *r, const lvc_template *t, tnodes *ns, const char *p, const char *end)
{
	tag tg;
	const char *begin = p;
	while (!ns->failed && next_tag(p, end, &tg)) {
		const char *ls = tg.start, *le = tg.end;
		bool alone = standalone(begin, end, &tg, &ls, &le);
		add_node(ns, N_TEXT, p, (size_t)(ls - p), p);
		switch (tg.kind) {
		case '!':
			p = le;
			break;
		case 0:
			add_node(ns, N_VAR, tg.name, tg.n, tg.start);
			p = tg.end;
			break;
		case '>':
			add_node(ns, N_PARTIAL, tg.name, tg.n, tg.start);
			p = le;
			break;
		case '/': {
			const lvc_template *saved = r->t;
			r->t = t;
			tfail(r, tg.start, "unopened section", tg.name, tg.n);
			r->t = saved;
			ns->failed = true;
			return;
		}
		default: {
			const char *after = NULL;
			const char *close = find_close(tg.end, end, tg.name, tg.n, &after);
			if (!close) {
				const lvc_template *saved = r->t;
				r->t = t;
				tfail(r, tg.start, "unclosed section", tg.name, tg.n);
				r->t = saved;
				ns->failed = true;
				return;
			}
			tag ct = { close, after, '/', tg.name, tg.n };
			const char *cls = close, *cle = after;
			bool close_alone = standalone(begin, end, &ct, &cls, &cle);
			size_t at = ns->n;
			add_node(ns, tg.kind == '^' ? N_INVERTED : N_SECTION, tg.name, tg.n, tg.start);
			compile_range(r, t, ns, alone ? le : tg.end, close_alone ? cls : close);
			ns->v[at].end = ns->n;
			p = close_alone ? cle : after;
			break;
		}
		}
	}
	if (!ns->failed)
		add_node(ns, N_TEXT, p, (size_t)(end - p), p);
}

static void run_nodes(render *r, const lvc_template *t, const tnodes *ns, size_t i, size_t end,
                      const frame *f);

static const lvc_template *
find_template(render *r, const char *name, size_t n)
{
	for (size_t i = 0; i < r->nall; i++)
		if (strlen(r->all[i].name) == n && memcmp(r->all[i].name, name, n) == 0)
			return &r->all[i];
	return NULL;
}

/* The nodes of template t, compiled on first use in this render. */
static const tnodes *
nodes_of(render *r, const lvc_template *t)
{
	size_t i = (size_t)(t - r->all);
	if (!r->compiled[i].v && !r->compiled[i].failed) {
		compile_range(r, t, &r->compiled[i], t->text, t->text + t->len);
		if (r->compiled[i].failed)
			r->failed = true;
	}
	return r->compiled[i].failed ? NULL : &r->compiled[i];
}

static void
run_nodes(render *r, const lvc_template *t, const tnodes *ns, size_t i, size_t end,
          const frame *f)
{
	const lvc_template *saved = r->t;
	r->t = t;
	while (i < end && !r->failed) {
		const tnode *nd = &ns->v[i];
		switch (nd->kind) {
		case N_TEXT:
			lvc_tbuf_put(r->out, nd->p, nd->n);
			i++;
			break;
		case N_VAR: {
			lvc_view scratch;
			const lvc_view *v = lookup(r, f, nd->p, nd->n, nd->hash, nd->at, &scratch);
			if (!v)
				break;
			char num[32];
			switch (v->kind) {
			case LVC_VIEW_STR:
				if (v->len)
					lvc_tbuf_put(r->out, v->u.s, v->len);
				break;
			case LVC_VIEW_INT:
				lvc_tbuf_put(r->out, num, (size_t)snprintf(num, sizeof num, "%lld",
				                                           (long long)v->u.i));
				break;
			case LVC_VIEW_BOOL:
				lvc_tbuf_put(r->out, v->u.b ? "true" : "false", v->u.b ? 4 : 5);
				break;
			case LVC_VIEW_NULL:
				break;
			default:
				tfail(r, nd->at, "not text:", nd->p, nd->n);
			}
			i++;
			break;
		}
		case N_PARTIAL: {
			const lvc_template *sub = find_template(r, nd->p, nd->n);
			if (!sub || r->depth > 32) {
				tfail(r, nd->at, sub ? "partials nested too deeply at" : "no template named",
				      nd->p, nd->n);
				break;
			}
			const tnodes *sn = nodes_of(r, sub);
			if (sn) {
				r->depth++;
				run_nodes(r, sub, sn, 0, sn->n, f);
				r->depth--;
			}
			i++;
			break;
		}
		default: {
			lvc_view scratch;
			const lvc_view *v = lookup(r, f, nd->p, nd->n, nd->hash, nd->at, &scratch);
			if (!v)
				break;
			size_t body = i + 1, stop = nd->end;
			if (nd->kind == N_INVERTED) {
				if (!truthy(v))
					run_nodes(r, t, ns, body, stop, f);
			} else if (v->kind == LVC_VIEW_LIST) {
				const lvc_vlist *l = v->u.list;
				for (size_t k = 0; k < l->n && !r->failed; k++) {
					frame item = { &l->items[k], f, (long)k, (long)l->n };
					run_nodes(r, t, ns, body, stop, &item);
				}
			} else if (v->kind == LVC_VIEW_OBJECT) {
				frame in = { v, f, -1, 0 };
				run_nodes(r, t, ns, body, stop, &in);
			} else if (truthy(v)) {
				run_nodes(r, t, ns, body, stop, f);
			}
			i = stop;
			break;
		}
		}
	}
	r->t = saved;
}

int
lvc_render(lvc_ctx *c, const lvc_template *all, size_t nall, const char *name,
           const lvc_view *view, lvc_tbuf *out)
{
	render r = { .c = c, .all = all, .nall = nall, .out = out };
	r.t = find_template(&r, name, strlen(name));
	if (!r.t) {
		lvc_error_plain(c, "no template named '%s'", name);
		return -1;
	}
	r.compiled = calloc(nall, sizeof *r.compiled);
	if (!r.compiled)
		abort();
	frame top = { view, NULL, -1, 0 };
	const tnodes *ns = nodes_of(&r, r.t);
	if (ns)
		run_nodes(&r, r.t, ns, 0, ns->n, &top);
	for (size_t i = 0; i < nall; i++)
		free(r.compiled[i].v);
	free(r.compiled);
	return r.failed ? -1 : 0;
}
