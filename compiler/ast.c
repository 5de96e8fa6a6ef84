/* ast.c - AST constructors, one per grammar action, and literal decoding. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lvc.h"

lvc_loc
lvc_tok_loc(lvc_ctx *c, lvc_token t)
{
	return (lvc_loc){ c->cur_file, t.off, t.len };
}

lvc_loc
lvc_loc_span(lvc_loc a, lvc_loc b)
{
	if (a.file != b.file || b.off + b.len < a.off)
		return a;
	return (lvc_loc){ a.file, a.off, b.off + b.len - a.off };
}

lvc_str
lvc_tok_str(lvc_ctx *c, lvc_token t)
{
	return (lvc_str){ c->files[c->cur_file]->text + t.off, t.len };
}

static lvc_doc *
take_doc(lvc_doc *d)
{
	if (d)
		d->used = true;
	return d;
}

/* ---- lists ---------------------------------------------------------------- */

#define APPEND(list, item)                    \
	do {                                  \
		if (!(item))                  \
			return (list);        \
		if (!(list)) {                \
			(item)->tail = (item); \
			return (item);        \
		}                             \
		if (!(list)->tail)            \
			(list)->tail = (list); \
		(list)->tail->next = (item);  \
		(list)->tail = (item);        \
		return (list);                \
	} while (0)

lvc_field *lvc_ast_field_append(lvc_field *list, lvc_field *f) { APPEND(list, f); }
lvc_member *lvc_ast_member_append(lvc_member *list, lvc_member *m) { APPEND(list, m); }
lvc_arg *lvc_ast_arg_append(lvc_arg *list, lvc_arg *a) { APPEND(list, a); }
lvc_value *lvc_ast_value_append(lvc_value *list, lvc_value *v) { APPEND(list, v); }
lvc_decorator *lvc_ast_decorator_append(lvc_decorator *list, lvc_decorator *d) { APPEND(list, d); }

/* ---- module, imports, declarations ------------------------------------- */

void
lvc_ast_module(lvc_ctx *c, lvc_token kw, lvc_decorator *decos, lvc_token name)
{
	lvc_module *m = c->cur;
	lvc_loc loc = lvc_tok_loc(c, name);
	if (m->seen_module) {
		lvc_error(c, lvc_tok_loc(c, kw), "a file has one module declaration");
		lvc_note(c, m->loc, "the module was declared here");
		return;
	}
	if (m->imports || m->decls) {
		lvc_error(c, lvc_tok_loc(c, kw),
		          "the module declaration must come before imports and declarations");
	}
	m->seen_module = true;
	m->name = lvc_tok_str(c, name);
	m->loc = loc;
	m->decorators = decos;
	m->doc = take_doc(decos ? decos->doc : kw.doc);
}

void
lvc_ast_import(lvc_ctx *c, lvc_token kw, lvc_token path)
{
	lvc_import *im = lvc_alloc(&c->arena, sizeof *im);
	lvc_value *v = lvc_ast_value(c, LVC_V_STRING, path);
	(void)kw;
	im->path = v->s;
	im->loc = v->loc;
	if (c->cur->imports_tail)
		c->cur->imports_tail->next = im;
	else
		c->cur->imports = im;
	c->cur->imports_tail = im;
}

void
lvc_ast_decl(lvc_ctx *c, lvc_decl *d)
{
	lvc_module *m = c->cur;
	d->module = m;
	if (m->decls_tail)
		m->decls_tail->next = d;
	else
		m->decls = d;
	m->decls_tail = d;
}

static lvc_decl *
new_decl(lvc_ctx *c, lvc_decl_kind k, lvc_decorator *decos, lvc_token first,
         lvc_token name)
{
	lvc_decl *d = lvc_alloc(&c->arena, sizeof *d);
	d->kind = k;
	d->name = lvc_tok_str(c, name);
	d->loc = lvc_tok_loc(c, name);
	d->decorators = decos;
	d->doc = take_doc(decos ? decos->doc : first.doc);
	return d;
}

lvc_decl *
lvc_ast_struct(lvc_ctx *c, lvc_decorator *decos, lvc_token kw, lvc_token name,
               lvc_field *fields)
{
	lvc_decl *d = new_decl(c, LVC_D_STRUCT, decos, kw, name);
	d->fields = fields;
	for (lvc_field *f = fields; f; f = f->next)
		d->nfields++;
	return d;
}

lvc_decl *
lvc_ast_enum(lvc_ctx *c, lvc_decorator *decos, lvc_token kw, lvc_token name,
             lvc_member *members)
{
	lvc_decl *d = new_decl(c, LVC_D_ENUM, decos, kw, name);
	d->members = members;
	for (lvc_member *m = members; m; m = m->next)
		m->index = d->nmembers++;
	return d;
}

lvc_decl *
lvc_ast_endpoint(lvc_ctx *c, lvc_decorator *decos, lvc_token name,
                 lvc_field *params, lvc_type *result)
{
	lvc_decl *d = new_decl(c, LVC_D_ENDPOINT, decos, name, name);
	d->params = params;
	for (lvc_field *f = params; f; f = f->next)
		d->nparams++;
	d->result = result;
	return d;
}

lvc_decl *
lvc_ast_state(lvc_ctx *c, lvc_decorator *decos, lvc_token name, lvc_type *type)
{
	/* @server.model makes it a model binding; any other kind a state (the
	 * checker judges the decorators). */
	lvc_decl_kind kind = LVC_D_STATE;
	for (lvc_decorator *x = decos; x; x = x->next)
		if (lvc_str_eq(x->name, "server.model"))
			kind = LVC_D_BINDING;
	lvc_decl *d = new_decl(c, kind, decos, name, name);
	d->result = type;
	return d;
}

lvc_field *
lvc_ast_field(lvc_ctx *c, lvc_token name, lvc_type *type, lvc_value *def,
              lvc_decorator *decos)
{
	lvc_field *f = lvc_alloc(&c->arena, sizeof *f);
	f->name = lvc_tok_str(c, name);
	f->loc = lvc_tok_loc(c, name);
	f->type = type;
	f->def = def;
	f->decorators = decos;
	f->doc = take_doc(name.doc);
	return f;
}

lvc_member *
lvc_ast_member(lvc_ctx *c, lvc_token name)
{
	lvc_member *m = lvc_alloc(&c->arena, sizeof *m);
	m->name = lvc_tok_str(c, name);
	m->loc = lvc_tok_loc(c, name);
	m->doc = take_doc(name.doc);
	return m;
}

/* ---- decorators ----------------------------------------------------------- */

lvc_dname
lvc_ast_dname(lvc_ctx *c, const lvc_dname *prefix, lvc_token part)
{
	lvc_dname d;
	lvc_str s = lvc_tok_str(c, part);
	if (!prefix) {
		d.name = s;
		d.loc = lvc_tok_loc(c, part);
		d.doc = part.doc;
		return d;
	}
	/* Usually "a.b.c" stands as it is in the source: then the name is that
	 * slice, and a long dotted name costs its length, not its square. */
	const char *src = c->files[c->cur_file]->text;
	if (prefix->name.p >= src && prefix->name.p < src + c->files[c->cur_file]->len &&
	    prefix->name.p + prefix->name.n + 1 == s.p &&
	    s.p[-1] == '.') {
		d.name = (lvc_str){ prefix->name.p, prefix->name.n + 1 + s.n };
		d.loc = lvc_loc_span(prefix->loc, lvc_tok_loc(c, part));
		d.doc = prefix->doc;
		return d;
	}
	char *p = lvc_alloc(&c->arena, prefix->name.n + 1 + s.n + 1);
	memcpy(p, prefix->name.p, prefix->name.n);
	p[prefix->name.n] = '.';
	memcpy(p + prefix->name.n + 1, s.p, s.n);
	d.name = (lvc_str){ p, prefix->name.n + 1 + s.n };
	d.loc = lvc_loc_span(prefix->loc, lvc_tok_loc(c, part));
	d.doc = prefix->doc;
	return d;
}

lvc_decorator *
lvc_ast_decorator(lvc_ctx *c, lvc_token at, lvc_dname name, const lvc_token *close,
                  lvc_arg *args)
{
	lvc_decorator *d = lvc_alloc(&c->arena, sizeof *d);
	d->name = name.name;
	d->loc = lvc_loc_span(lvc_tok_loc(c, at), name.loc);
	d->args = args;
	d->has_parens = close != NULL;
	d->doc = at.doc;
	return d;
}

lvc_arg *
lvc_ast_arg(lvc_ctx *c, const lvc_token *name, lvc_value *v)
{
	lvc_arg *a = lvc_alloc(&c->arena, sizeof *a);
	if (name) {
		a->name = lvc_tok_str(c, *name);
		a->loc = lvc_loc_span(lvc_tok_loc(c, *name), v->loc);
	} else {
		a->loc = v->loc;
	}
	a->value = v;
	return a;
}

/* ---- types ---------------------------------------------------------------- */

lvc_type *
lvc_ast_type_name(lvc_ctx *c, const lvc_dname *name)
{
	lvc_type *t = lvc_alloc(&c->arena, sizeof *t);
	t->kind = LVC_T_NAMED;
	t->name = name->name;
	t->loc = name->loc;
	return t;
}

lvc_type *
lvc_ast_type_generic(lvc_ctx *c, const lvc_dname *name, lvc_type *a, lvc_type *b,
                     lvc_token close)
{
	lvc_type *t = lvc_ast_type_name(c, name);
	t->elem = a;
	t->extra = b;
	t->loc = lvc_loc_span(name->loc, lvc_tok_loc(c, close));
	return t;
}

lvc_type *
lvc_ast_type_optional(lvc_ctx *c, lvc_type *inner, lvc_token q)
{
	lvc_type *t = lvc_alloc(&c->arena, sizeof *t);
	t->kind = LVC_T_OPTIONAL;
	t->elem = inner;
	t->loc = lvc_loc_span(inner->loc, lvc_tok_loc(c, q));
	return t;
}

/* ---- values ----------------------------------------------------------------- */

/* Decodes a string literal's body. The lexer has reported bad escapes
 * already; here they are decoded leniently so the AST stays usable. */
static lvc_str
decode_string(lvc_ctx *c, const char *p, uint32_t n)
{
	char *out = lvc_alloc(&c->arena, (size_t)n + 4), *o = out;
	const char *end = p + n;
	while (p < end) {
		if (*p != '\\') {
			*o++ = *p++;
			continue;
		}
		uint32_t cp;
		size_t len;
		lvc_escape_read(p, end, &cp, &len);
		o += lvc_utf8_put(o, cp);
		p += len;
	}
	return (lvc_str){ out, (uint32_t)(o - out) };
}

lvc_value *
lvc_ast_value(lvc_ctx *c, lvc_value_kind k, lvc_token t)
{
	lvc_value *v = lvc_alloc(&c->arena, sizeof *v);
	lvc_str s = lvc_tok_str(c, t);
	v->kind = k;
	v->loc = lvc_tok_loc(c, t);
	switch (k) {
	case LVC_V_STRING: {
		/* An unterminated literal has no closing quote to strip. */
		uint32_t n = s.n >= 2 && s.p[s.n - 1] == '"' ? s.n - 2 : s.n - 1;
		v->s = decode_string(c, s.p + 1, n);
		break;
	}
	case LVC_V_BOOL:
		v->i = s.p[0] == 't';
		break;
	default:
		v->s = s;
		break;
	}
	return v;
}

static const struct unit {
	const char *name;
	lvc_value_kind kind;
	int64_t scale;
} units[] = {
	{ "ms", LVC_V_DURATION, 1 },
	{ "s", LVC_V_DURATION, 1000 },
	{ "m", LVC_V_DURATION, 60 * 1000 },
	{ "h", LVC_V_DURATION, 3600 * 1000 },
	{ "B", LVC_V_SIZE, 1 },
	{ "k", LVC_V_SIZE, 1024 }, { "K", LVC_V_SIZE, 1024 },
	{ "KB", LVC_V_SIZE, 1024 }, { "KiB", LVC_V_SIZE, 1024 },
	{ "M", LVC_V_SIZE, 1024 * 1024 }, { "MB", LVC_V_SIZE, 1024 * 1024 },
	{ "MiB", LVC_V_SIZE, 1024 * 1024 },
	{ "G", LVC_V_SIZE, 1024 * 1024 * 1024 }, { "GB", LVC_V_SIZE, 1024 * 1024 * 1024 },
	{ "GiB", LVC_V_SIZE, 1024 * 1024 * 1024 },
};

static const struct unit *
find_unit(lvc_str s)
{
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (lvc_str_eq(s, units[i].name))
			return &units[i];
	return NULL;
}

/* Integers are parsed by hand so that -9223372036854775808 is exact and
 * anything beyond int64 is an error, not a silent wrap. */
static bool
parse_int(lvc_str s, bool neg, int64_t *out)
{
	uint64_t limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	uint64_t v = 0;
	uint32_t i = 0;
	unsigned base = 10;
	if (s.n > 2 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X')) {
		base = 16;
		i = 2;
	}
	for (; i < s.n; i++) {
		unsigned d = (unsigned)lvc_hexval(s.p[i]);
		if (v > (limit - d) / base)
			return false;
		v = v * base + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

lvc_value *
lvc_ast_number(lvc_ctx *c, const lvc_token *minus, lvc_value_kind k, lvc_token t)
{
	lvc_value *v = lvc_ast_value(c, k, t);
	if (minus)
		v->loc = lvc_loc_span(lvc_tok_loc(c, *minus), v->loc);
	lvc_str s = v->s;
	char buf[64];

	if (k == LVC_V_INT) {
		if (!parse_int(s, minus != NULL, &v->i)) {
			lvc_error(c, v->loc, "integer literal does not fit in 64 bits");
			v->bad = true;
		}
		return v;
	}
	/* FLOAT, or a number with a unit: split off the unit first. */
	uint32_t n = 0;
	while (n < s.n && ((s.p[n] >= '0' && s.p[n] <= '9') || s.p[n] == '.' ||
	                   (k == LVC_V_FLOAT && (s.p[n] == 'e' || s.p[n] == 'E' ||
	                                         s.p[n] == '+' || s.p[n] == '-'))))
		n++;
	if (n >= sizeof buf) {
		lvc_error(c, v->loc, "number literal too long");
		v->bad = true;
		return v;
	}
	memcpy(buf, s.p, n);
	buf[n] = '\0';
	errno = 0;
	double f = strtod(buf, NULL);
	if (minus)
		f = -f;
	if (k == LVC_V_FLOAT) {
		v->f = f;
		if (!isfinite(f) || errno == ERANGE) {
			lvc_error(c, v->loc, "floating-point literal out of range");
			v->bad = true;
		}
		return v;
	}
	lvc_str unit = { s.p + n, s.n - n };
	const struct unit *u = find_unit(unit);
	if (!u) {
		lvc_error(c, v->loc,
		          "unknown unit '%.*s'; durations take ms, s, m (minutes) or h, and "
		          "sizes take B, k, M or G (1024-based)", (int)unit.n, unit.p);
		v->bad = true;
		return v;
	}
	v->kind = u->kind;
	if (minus) {
		lvc_error(c, v->loc, "a %s cannot be negative",
		          u->kind == LVC_V_DURATION ? "duration" : "size");
		v->bad = true;
		return v;
	}
	/* Exactly, in integers: 1.005s is 1005 ms, and a size above 2^53 keeps
	 * every digit. */
	uint64_t mant = 0;
	int frac = 0, digits = 0;
	bool seen_dot = false, overflow = false;
	for (uint32_t i = 0; i < n; i++) {
		if (s.p[i] == '.') {
			seen_dot = true;
			continue;
		}
		if (++digits > 19)
			overflow = true;
		else
			mant = mant * 10 + (uint64_t)(s.p[i] - '0');
		frac += seen_dot;
	}
	/* value = mant * scale / 10^frac, with the common factor taken out
	 * first so that nothing overflows on the way. */
	uint64_t pow10 = 1, scale = (uint64_t)u->scale;
	for (int i = 0; i < frac; i++)
		pow10 *= 10;
	uint64_t a = scale, b = pow10;
	while (b) {
		uint64_t r = a % b;
		a = b;
		b = r;
	}
	uint64_t den = pow10 / a, num = scale / a;
	if (!overflow && mant % den != 0) {
		lvc_error(c, v->loc, "'%.*s' is not a whole number of %s", (int)s.n, s.p,
		          u->kind == LVC_V_DURATION ? "milliseconds" : "bytes");
		v->bad = true;
	} else if (overflow || mant / den > (uint64_t)INT64_MAX / num) {
		lvc_error(c, v->loc, "'%.*s' is too large", (int)s.n, s.p);
		v->bad = true;
	} else {
		v->i = (int64_t)(mant / den * num);
	}
	(void)f;
	return v;
}

lvc_value *
lvc_ast_value_rate(lvc_ctx *c, lvc_token n, lvc_token unit)
{
	lvc_value *v = lvc_ast_number(c, NULL, LVC_V_INT, n);
	lvc_str u = lvc_tok_str(c, unit);
	bool bad = v->bad;
	v->kind = LVC_V_RATE;
	v->loc = lvc_loc_span(v->loc, lvc_tok_loc(c, unit));
	if (lvc_str_eq(u, "s"))
		v->per = 1000;
	else if (lvc_str_eq(u, "m"))
		v->per = 60 * 1000;
	else if (lvc_str_eq(u, "h"))
		v->per = 3600 * 1000;
	else {
		lvc_error(c, lvc_tok_loc(c, unit),
		          "unknown rate period '%.*s'; write N/s, N/m or N/h", (int)u.n, u.p);
		bad = true;
	}
	v->bad = bad;
	return v;
}

lvc_value *
lvc_ast_value_list(lvc_ctx *c, lvc_token open, lvc_value *items, lvc_token close)
{
	lvc_value *v = lvc_alloc(&c->arena, sizeof *v);
	v->kind = LVC_V_LIST;
	v->loc = lvc_loc_span(lvc_tok_loc(c, open), lvc_tok_loc(c, close));
	v->items = items;
	return v;
}

lvc_value *
lvc_ast_value_map(lvc_ctx *c, lvc_token open, lvc_token close)
{
	lvc_value *v = lvc_alloc(&c->arena, sizeof *v);
	v->kind = LVC_V_MAP;
	v->loc = lvc_loc_span(lvc_tok_loc(c, open), lvc_tok_loc(c, close));
	return v;
}

/* The type as a person writes it: "list<Message>?". */
const char *
lvc_type_str(lvc_ctx *c, const lvc_type *t)
{
	switch (t->kind) {
	case LVC_T_BOOL: return "bool";
	case LVC_T_INT: return "int";
	case LVC_T_FLOAT: return "float";
	case LVC_T_STRING: return "string";
	case LVC_T_BYTES: return "bytes";
	case LVC_T_JSON: return "json";
	case LVC_T_VOID: return "void";
	case LVC_T_LIST: return lvc_sprintf(&c->arena, "list<%s>", lvc_type_str(c, t->elem));
	case LVC_T_MAP: return lvc_sprintf(&c->arena, "map<%s>", lvc_type_str(c, t->elem));
	case LVC_T_OPTIONAL: return lvc_sprintf(&c->arena, "%s?", lvc_type_str(c, t->elem));
	case LVC_T_NAMED:
		return lvc_strndup(&c->arena, t->ref ? t->ref->name.p : t->name.p,
		                   t->ref ? t->ref->name.n : t->name.n);
	default: return "?";
	}
}

