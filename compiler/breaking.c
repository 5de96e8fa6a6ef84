/* breaking.c - lvc --breaking: the changes from an old contract to a new
 * one that break a page or a server built from the old one.
 *
 * The model is that of an API whose handlers are upgraded while its
 * callers lag: each endpoint's handler is built from the new contract, and
 * its callers may still be built from the old one. Pages call server.rpc,
 * server.realtime and client.callback; the server calls client.rpc,
 * client.realtime and custom client.on events (which travel by the
 * event's name, not the handler's). Arguments are written by an old
 * caller and read by the new handler (flow ARGS); a result is written by
 * the new handler and read by an old caller (flow RESULT). Both sides'
 * decoders refuse a member or an enum name they do not know and a missing
 * required member, so what may be added or removed depends on the flow.
 * server.on and lifecycle client.on handlers are run by their own side and
 * are not between the two, so they are not compared.
 *
 * Types are compared through their declarations, by structure: struct and
 * enum names do not travel, so a renamed struct that is used the same way
 * is the same type. docs/building.md has the table of every rule. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breaking.h"

/* ---- places, messages ---------------------------------------------------- */

/* A place in from's files, as a place in to's table (the file is copied
 * there the first time it is needed). */
lvc_loc
bk_at_from(bk *b, lvc_loc l)
{
	if (l.file >= b->from->nfiles)
		return (lvc_loc){ UINT32_MAX, 0, 0 };
	if (!b->files[l.file]) {
		const lvc_source *s = b->from->files[l.file];
		lvc_source *copy = lvc_load_buffer(b->to, s->path, s->text, s->len);
		if (!copy)
			return (lvc_loc){ UINT32_MAX, 0, 0 };
		copy->not_input = true;
		b->files[l.file] = b->to->nfiles;
	}
	l.file = b->files[l.file] - 1;
	return l;
}

/* True the first time key is seen. */
bool
bk_first_time(bk *b, const char *key)
{
	lvc_str k = { key, (uint32_t)strlen(key) };
	if (lvc_symtab_get(&b->done, k))
		return false;
	lvc_symtab_put(&b->done, k, b);
	return true;
}

/* Reports one breaking change, once per rule and place: a struct reached
 * twice (from two endpoints, or both ways) is judged once. Returns whether
 * it was reported, so that its notes follow only then. */
bool __attribute__((format(printf, 4, 5)))
bk_breaking(bk *b, const char *rule, lvc_loc at, const char *fmt, ...)
{
	if (!bk_first_time(b, lvc_sprintf(&b->to->arena, "%s@%u:%u", rule, at.file, at.off)))
		return false;
	va_list ap;
	va_start(ap, fmt);
	char *msg = lvc_vsprintf(&b->to->arena, NULL, fmt, ap);
	va_end(ap);
	lvc_error_tagged(b->to, lvc_sprintf(&b->to->arena, "breaking-%s", rule), at, "%s", msg);
	b->found++;
	return true;
}

static const char *
str(bk *b, lvc_str s)
{
	return lvc_strndup(&b->to->arena, s.p, s.n);
}

const char *
bk_endpoint_name(bk *b, const lvc_decl *e)
{
	return lvc_sprintf(&b->to->arena, "%s '%.*s'", lvc_endpoint_kind_name(e->ekind),
	                   (int)e->name.n, e->name.p);
}

/* Who calls the endpoint, built from the old contract, and who handles it. */
static const char *
old_caller(const lvc_decl *e)
{
	return lvc_endpoint_is_exposed(e->ekind) ? "an old page" : "an old server";
}

static const char *
handler(const lvc_decl *e)
{
	return lvc_endpoint_is_exposed(e->ekind) ? "the server" : "the page";
}

/* The note that says why a struct's or enum's change matters. */
static void
via_note(bk *b, flow fl, const char *type_name, const use *via)
{
	lvc_note(b->to, via->loc, "%s %s '%s' through %s %s", old_caller(via->ep),
	         fl == ARGS ? "writes" : "reads", type_name, via->where, bk_endpoint_name(b, via->ep));
}

/* ---- values ---------------------------------------------------------------- */

static bool
is_optional(const lvc_field *f)
{
	return f->type->kind == LVC_T_OPTIONAL;
}

/* The default that an absent member takes, or NULL: `= null` is none. */
static const lvc_value *
default_of(const lvc_field *f)
{
	return f->def && f->def->kind != LVC_V_NULL ? f->def : NULL;
}

/* Whether a member of this type may have a default: structs and bytes
 * take none. */
static bool
takes_default(const lvc_type *t)
{
	return t->kind != LVC_T_BYTES &&
	       !(t->kind == LVC_T_NAMED && t->ref && t->ref->kind == LVC_D_STRUCT);
}

static bool
same_value(const lvc_value *a, const lvc_value *b)
{
	if (!a || !b)
		return a == b;
	bool an = a->kind == LVC_V_INT || a->kind == LVC_V_FLOAT;
	bool bn = b->kind == LVC_V_INT || b->kind == LVC_V_FLOAT;
	if (an && bn && a->kind != b->kind)   /* float x = 1 and x = 1.0 */
		return (a->kind == LVC_V_INT ? (double)a->i : a->f) ==
		       (b->kind == LVC_V_INT ? (double)b->i : b->f);
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case LVC_V_FLOAT:
		return a->f == b->f;
	case LVC_V_STRING:
	case LVC_V_IDENT:
		return lvc_str_same(a->s, b->s);
	case LVC_V_LIST: {
		const lvc_value *x = a->items, *y = b->items;
		for (; x && y; x = x->next, y = y->next)
			if (!same_value(x, y))
				return false;
		return !x && !y;
	}
	case LVC_V_NULL:
	case LVC_V_MAP:
		return true;
	default:
		return a->i == b->i && a->per == b->per;
	}
}

/* A default as it is written in a .lv file; "none" for no default. */
static const char *
value_text(bk *b, const lvc_value *v)
{
	lvc_arena *a = &b->to->arena;
	if (!v)
		return "none";
	switch (v->kind) {
	case LVC_V_INT: return lvc_sprintf(a, "%lld", (long long)v->i);
	case LVC_V_FLOAT:
		for (int digits = 1; digits < 17; digits++) {   /* the shortest that reads back */
			char *t = lvc_sprintf(a, "%.*g", digits, v->f);
			if (strtod(t, NULL) == v->f)
				return t;
		}
		return lvc_sprintf(a, "%.17g", v->f);
	case LVC_V_BOOL: return v->i ? "true" : "false";
	case LVC_V_NULL: return "null";
	case LVC_V_IDENT: return str(b, v->s);
	case LVC_V_MAP: return "{}";
	case LVC_V_STRING: {
		/* Escaped again, so that a message stays on its line. */
		char *o = lvc_alloc(a, (size_t)v->s.n * 8 + 3), *p = o;
		*p++ = '"';
		for (uint32_t i = 0; i < v->s.n; i++) {
			unsigned char ch = (unsigned char)v->s.p[i];
			if (ch == '"' || ch == '\\') {
				*p++ = '\\';
				*p++ = (char)ch;
			} else if (ch == '\n' || ch == '\t' || ch == '\r') {
				*p++ = '\\';
				*p++ = ch == '\n' ? 'n' : ch == '\t' ? 't' : 'r';
			} else if (ch < 0x20 || ch == 0x7f) {
				p += sprintf(p, "\\u{%x}", ch);
			} else {
				*p++ = (char)ch;
			}
		}
		*p++ = '"';
		return o;
	}
	case LVC_V_LIST: {
		const char *out = "[";
		for (const lvc_value *i = v->items; i; i = i->next)
			out = lvc_sprintf(a, "%s%s%s", out, value_text(b, i), i->next ? ", " : "");
		return lvc_sprintf(a, "%s]", out);
	}
	default:
		return "?";   /* durations, sizes and rates are no default */
	}
}

static const char *
size_text(bk *b, int64_t n)
{
	static const struct { int64_t unit; const char *name; } units[] = {
		{ 1ll << 30, "G" }, { 1ll << 20, "M" }, { 1ll << 10, "k" },
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (n % units[i].unit == 0)
			return lvc_sprintf(&b->to->arena, "%lld%s", (long long)(n / units[i].unit),
			                   units[i].name);
	return lvc_sprintf(&b->to->arena, "%lldB", (long long)n);
}

static const char *
rate_text(bk *b, int64_t count, int64_t per_ms)
{
	const char *per = per_ms == 1000 ? "s" : per_ms == 60000 ? "m" : per_ms == 3600000 ? "h" :
	                  lvc_sprintf(&b->to->arena, "%lldms", (long long)per_ms);
	return lvc_sprintf(&b->to->arena, "%lld/%s", (long long)count, per);
}

/* ---- types ------------------------------------------------------------------ */

static const lvc_type *
base(const lvc_type *t)
{
	return t->kind == LVC_T_OPTIONAL ? t->elem : t;
}

/* An enum's members: in ARGS an old caller may send any of the old ones,
 * so none may go; in RESULT the new handler may send any of the new ones,
 * which an old caller must know, so none may come. Order does not matter:
 * a member travels as its name. */
static void
compare_enum(bk *b, flow fl, const lvc_decl *o, const lvc_decl *n, const use *via)
{
	if (!bk_first_time(b, lvc_sprintf(&b->to->arena, "enum:%p:%p:%d", (void *)o, (void *)n, fl)))
		return;
	const char *name = str(b, n->name);
	const lvc_decl *have = fl == ARGS ? o : n, *lacks = fl == ARGS ? n : o;
	for (const lvc_member *m = have->members; m; m = m->next) {
		const lvc_member *k = lacks->members;
		while (k && !lvc_str_same(k->name, m->name))
			k = k->next;
		if (k)
			continue;
		if (fl == ARGS) {
			if (bk_breaking(b, "enum-member-removed", bk_at_from(b, m->loc),
			             "member '%.*s' of enum '%s' was removed; %s may still send it",
			             (int)m->name.n, m->name.p, name, old_caller(via->ep))) {
				lvc_note(b->to, n->loc, "'%s' is declared here", name);
				via_note(b, fl, name, via);
			}
		} else if (bk_breaking(b, "enum-member-added", m->loc,
		                    "member '%.*s' was added to enum '%s'; %s refuses a name it "
		                    "does not know", (int)m->name.n, m->name.p, name,
		                    old_caller(via->ep))) {
			via_note(b, fl, name, via);
		}
	}
}

static void compare_members(bk *b, const members *mc, const lvc_field *olds,
                            const lvc_field *news);

static void
compare_struct(bk *b, flow fl, const lvc_decl *o, const lvc_decl *n, const use *via)
{
	if (!bk_first_time(b, lvc_sprintf(&b->to->arena, "struct:%p:%p:%d", (void *)o, (void *)n, fl)))
		return;
	const char *name = str(b, n->name);
	members mc = {
		.fl = fl, .what = "field", .owner = lvc_sprintf(&b->to->arena, "'%s'", name),
		.ep = via->ep, .via = via, .type_name = name, .to_owner = n->loc,
	};
	compare_members(b, &mc, o->fields, n->fields);
}

/* Whether every value the writer may send fits the reader's type: the
 * reader may be wider (json takes anything, float takes an int, T? takes
 * a T, string takes an enum's member, which travels as its name). Structs
 * and enums met on the way are compared member by member, and what
 * differs in them is reported there. */
static bool
fits(bk *b, flow fl, const lvc_type *w, const lvc_type *r, const use *via)
{
	if (r->kind == LVC_T_JSON)
		return true;
	if (w->kind == LVC_T_INT && r->kind == LVC_T_FLOAT)
		return true;
	if (r->kind == LVC_T_OPTIONAL && w->kind != LVC_T_OPTIONAL)
		return fits(b, fl, w, r->elem, via);
	if (w->kind == LVC_T_NAMED && w->ref && w->ref->kind == LVC_D_ENUM &&
	    r->kind == LVC_T_STRING)
		return true;
	if (w->kind != r->kind)
		return false;
	switch (w->kind) {
	case LVC_T_LIST:
	case LVC_T_MAP:
	case LVC_T_OPTIONAL:
		return fits(b, fl, w->elem, r->elem, via);
	case LVC_T_NAMED: {
		if (!w->ref || !r->ref || w->ref->kind != r->ref->kind)
			return false;
		const lvc_decl *o = fl == ARGS ? w->ref : r->ref, *n = fl == ARGS ? r->ref : w->ref;
		if (o->kind == LVC_D_STRUCT)
			compare_struct(b, fl, o, n, via);
		else
			compare_enum(b, fl, o, n, via);
		return true;
	}
	default:
		return true;
	}
}

/* The same for the old and the new type, whichever writes. */
bool
bk_same_shape(bk *b, flow fl, const lvc_type *o, const lvc_type *n, const use *via)
{
	return fl == ARGS ? fits(b, fl, o, n, via) : fits(b, fl, n, o, via);
}

/* ---- members: parameters and fields ---------------------------------------- */

/* A member's type with its default, as written: "int = 1", "string?". */
static const char *
member_text(bk *b, const lvc_field *f)
{
	const char *t = lvc_type_str(b->to, f->type);
	return default_of(f) ? lvc_sprintf(&b->to->arena, "%s = %s", t, value_text(b, default_of(f)))
	                     : t;
}

const lvc_field *
bk_find_field(const lvc_field *list, lvc_str name)
{
	while (list && !lvc_str_same(list->name, name))
		list = list->next;
	return list;
}

static const lvc_field *
nth_field(const lvc_field *list, int i)
{
	while (list && i-- > 0)
		list = list->next;
	return list;
}

/* The notes after a change of a member: the struct's use, for fields. */
static void
member_notes(bk *b, const members *mc)
{
	if (mc->via)
		via_note(b, mc->fl, mc->type_name, mc->via);
}

static void
compare_member(bk *b, const members *mc, const lvc_field *o, const lvc_field *n)
{
	const char *ob = lvc_type_str(b->to, o->type), *nb = lvc_type_str(b->to, n->type);
	use via = { mc->ep, lvc_sprintf(&b->to->arena, "%s '%.*s' of", mc->what, (int)n->name.n,
	                                n->name.p), n->type->loc };
	const use *v = mc->via ? mc->via : &via;
	if (!bk_same_shape(b, mc->fl, base(o->type), base(n->type), v)) {
		if (bk_breaking(b, "type-changed", n->type->loc, "%s '%.*s' of %s changed from %s to %s; "
		             "%s still %s %s", mc->what, (int)n->name.n, n->name.p, mc->owner, ob, nb,
		             old_caller(mc->ep), mc->fl == ARGS ? "sends" : "expects", ob)) {
			lvc_note(b->to, bk_at_from(b, o->type->loc), "it was %s here", ob);
			member_notes(b, mc);
		}
		return;
	}
	const lvc_field *w = mc->fl == ARGS ? o : n, *r = mc->fl == ARGS ? n : o;
	bool w_omits = is_optional(w) || default_of(w);
	bool w_null = is_optional(w);
	bool r_absent = is_optional(r) || default_of(r);
	bool r_null = is_optional(r) || base(r->type)->kind == LVC_T_JSON;
	if ((w_omits && !r_absent) || (w_null && !r_null)) {
		const char *od = member_text(b, o), *nd = member_text(b, n);
		bool rep = mc->fl == ARGS ?
			bk_breaking(b, "made-required", n->loc, "%s '%.*s' of %s is required now (%s, "
			         "%s before); %s may %s", mc->what, (int)n->name.n, n->name.p, mc->owner,
			         nd, od, old_caller(mc->ep),
			         w_omits && !r_absent ? "leave it out" : "send null") :
			bk_breaking(b, "made-optional", n->loc, "%s '%.*s' of %s may be %s now (%s, %s "
			         "before); %s requires it", mc->what, (int)n->name.n, n->name.p, mc->owner,
			         w_omits && !r_absent ? "left out" : "null", nd, od, old_caller(mc->ep));
		if (rep) {
			lvc_note(b->to, bk_at_from(b, o->loc), "it was %s here", od);
			member_notes(b, mc);
		}
		return;
	}
	if (w_omits && !same_value(default_of(o), default_of(n))) {
		const lvc_value *od = default_of(o);
		const char *was = od ? value_text(b, od) : "none";
		const char *meant = od ? value_text(b, od) : "no value";
		if (bk_breaking(b, "default-changed", default_of(n) ? n->def->loc : n->loc,
		             "the default of %s '%.*s' of %s is %s now, %s before; %s %s", mc->what,
		             (int)n->name.n, n->name.p, mc->owner,
		             default_of(n) ? value_text(b, default_of(n)) : "none", was,
		             old_caller(mc->ep), mc->fl == ARGS ?
		             lvc_sprintf(&b->to->arena, "that leaves it out means %s", meant) :
		             lvc_sprintf(&b->to->arena, "reads %s when it is left out", meant))) {
			if (od)
				lvc_note(b->to, bk_at_from(b, od->loc), "it was %s here", was);
			else
				lvc_note(b->to, bk_at_from(b, o->loc), "it had none here");
			member_notes(b, mc);
		}
	}
}

/* Members match by name, as they travel. A member that is gone, with one
 * of the same type new in its place, was renamed. */
static void
compare_members(bk *b, const members *mc, const lvc_field *olds, const lvc_field *news)
{
	int nnew = 0;
	for (const lvc_field *f = news; f; f = f->next)
		nnew++;
	bool *renamed = lvc_alloc(&b->to->arena, (size_t)nnew + 1);
	const char *who = old_caller(mc->ep), *to = handler(mc->ep);
	lvc_arena *a = &b->to->arena;
	int i = 0;
	for (const lvc_field *o = olds; o; o = o->next, i++) {
		const lvc_field *n = bk_find_field(news, o->name);
		if (n) {
			compare_member(b, mc, o, n);
			continue;
		}
		const lvc_field *at = nth_field(news, i);
		if (at && !bk_find_field(olds, at->name) &&
		    strcmp(lvc_type_str(b->to, o->type), lvc_type_str(b->to, at->type)) == 0) {
			renamed[i] = true;
			if (bk_breaking(b, mc->what[0] == 'p' ? "param-renamed" : "field-renamed", at->loc,
			             "%s '%.*s' of %s was renamed to '%.*s'; %ss travel by name, and %s "
			             "still %s '%.*s'", mc->what, (int)o->name.n, o->name.p, mc->owner,
			             (int)at->name.n, at->name.p, mc->what, who,
			             mc->fl == ARGS ? "sends" : "expects", (int)o->name.n, o->name.p)) {
				lvc_note(b->to, bk_at_from(b, o->loc), "it was '%.*s' here", (int)o->name.n,
				         o->name.p);
				member_notes(b, mc);
			}
			continue;
		}
		/* Gone. An old writer may still send it; an old reader finds it
		 * missing, which matters when it was required. */
		bool rep = false;
		if (mc->fl == ARGS)
			rep = bk_breaking(b, mc->what[0] == 'p' ? "param-removed" : "field-removed",
			               bk_at_from(b, o->loc), "%s '%.*s' of %s was removed; %s may still "
			               "send it, and %s refuses a %s it does not know", mc->what,
			               (int)o->name.n, o->name.p, mc->owner, who, to, mc->what);
		else if (!is_optional(o) && !default_of(o))
			rep = bk_breaking(b, "field-removed", bk_at_from(b, o->loc), "%s '%.*s' of %s was "
			               "removed; %s requires it", mc->what, (int)o->name.n, o->name.p,
			               mc->owner, who);
		if (rep) {
			lvc_note(b->to, mc->to_owner, "%s is declared here", mc->owner);
			member_notes(b, mc);
		}
	}
	i = 0;
	for (const lvc_field *n = news; n; n = n->next, i++) {
		if (renamed[i] || bk_find_field(olds, n->name))
			continue;
		bool rep = false;
		if (mc->fl == ARGS && !is_optional(n) && !default_of(n)) {
			rep = bk_breaking(b, mc->what[0] == 'p' ? "param-added" : "field-added", n->loc,
			               "%s '%.*s' of %s is new and required; %s does not send it",
			               mc->what, (int)n->name.n, n->name.p, mc->owner, who);
			const char *t = lvc_type_str(b->to, n->type);
			const char *optional = lvc_sprintf(a, "make it optional (%.*s: %s?)",
			                                   (int)n->name.n, n->name.p, t);
			if (rep && takes_default(n->type))
				lvc_note(b->to, n->loc, "give it a default (%.*s: %s = VALUE) or %s",
				         (int)n->name.n, n->name.p, t, optional);
			else if (rep)
				lvc_note(b->to, n->loc, "%s", optional);
		} else if (mc->fl == RESULT) {
			rep = bk_breaking(b, "field-added", n->loc, "%s '%.*s' was added to %s; %s refuses "
			               "a %s it does not know", mc->what, (int)n->name.n, n->name.p,
			               mc->owner, who, mc->what);
		}
		if (rep)
			member_notes(b, mc);
	}
}

/* ---- endpoints ----------------------------------------------------------------- */

/* A result: written by the new handler, read by an old caller. void is
 * null on the wire. Returns NULL when an old caller takes every value. */
static const char *
compare_result_type(bk *b, const lvc_type *o, const lvc_type *n, const use *via)
{
	bool w_null = n->kind == LVC_T_VOID || n->kind == LVC_T_OPTIONAL;
	bool w_values = n->kind != LVC_T_VOID;
	bool r_null = o->kind == LVC_T_VOID || o->kind == LVC_T_OPTIONAL ||
	              base(o)->kind == LVC_T_JSON;
	bool r_values = o->kind != LVC_T_VOID;
	/* Compared even when the answer is wrong already: what differs in
	 * the structs it holds is reported too. */
	if (w_values && r_values && !bk_same_shape(b, RESULT, base(o), base(n), via))
		return "now answers another type";
	if (w_null && !r_null)
		return "may now answer null";
	if (w_values && !r_values)
		return "now answers a value";
	return NULL;
}

static const lvc_decorator *
policy_decorator(const lvc_decorator *d)
{
	for (; d; d = d->next)
		if (lvc_str_eq(d->name, "auth") || lvc_str_eq(d->name, "public"))
			return d;
	return NULL;
}

static const char *
policy_text(bk *b, const lvc_policy *p)
{
	if (p->access != LVC_ACCESS_AUTH)
		return "@public";
	const char *out = "@auth(";
	for (int i = 0; i < p->nroles; i++)
		out = lvc_sprintf(&b->to->arena, "%s\"%.*s\"%s", out, (int)p->roles[i].n,
		                  p->roles[i].p, i + 1 < p->nroles ? ", " : "");
	return lvc_sprintf(&b->to->arena, "%s)", out);
}

static bool
has_role(const lvc_policy *p, lvc_str role)
{
	for (int i = 0; i < p->nroles; i++)
		if (lvc_str_same(p->roles[i], role))
			return true;
	return false;
}

/* Who (a "caller", a "page") an old policy admitted and the new one does
 * not, or NULL. Roles are alternatives: adding one admits more. */
static const char *
refused_now(bk *b, const lvc_policy *o, const lvc_policy *n, const char *who)
{
	if (n->access != LVC_ACCESS_AUTH || has_role(n, LVC_STR("*")))
		return NULL;
	if (o->access != LVC_ACCESS_AUTH)
		return lvc_sprintf(&b->to->arena, "a %s that is not authenticated", who);
	if (has_role(o, LVC_STR("*")))
		return lvc_sprintf(&b->to->arena, "an authenticated %s without %s", who,
		                   n->nroles == 1 ? "that role" : "one of those roles");
	for (int i = 0; i < o->nroles; i++)
		if (!has_role(n, o->roles[i]))
			return lvc_sprintf(&b->to->arena, "a %s with the role '%.*s'", who,
			                   (int)o->roles[i].n, o->roles[i].p);
	return NULL;
}

/* An endpoint's callers are refused (policy-tightened); a state's pages
 * no longer see it or may no longer write it (state-policy-tightened). */
void
bk_compare_policy(bk *b, const lvc_decl *o, const lvc_decl *n)
{
	bool state = n->kind == LVC_D_STATE;
	const char *why = refused_now(b, &o->policy, &n->policy, state ? "page" : "caller");
	if (!why)
		return;
	const lvc_decorator *own = policy_decorator(n->decorators);
	const lvc_decorator *mod = own ? NULL : policy_decorator(n->module->decorators);
	lvc_loc at = own ? own->loc : mod ? mod->loc : n->loc;
	if (!bk_breaking(b, state ? "state-policy-tightened" : "policy-tightened", at,
	              "access to %s is tightened from %s to %s; %s %s", bk_endpoint_name(b, n),
	              policy_text(b, &o->policy), policy_text(b, &n->policy), why,
	              !state ? "is refused now" : n->ekind == LVC_E_SERVER_STATE ?
	              "no longer sees it" : "may no longer write it"))
		return;
	if (mod)
		lvc_note(b->to, n->loc, "'%.*s' takes the policy of module '%.*s'", (int)n->name.n,
		         n->name.p, (int)n->module->name.n, n->module->name.p);
	const lvc_decorator *was = policy_decorator(o->decorators);
	if (!was)
		was = policy_decorator(o->module->decorators);
	if (was)
		lvc_note(b->to, bk_at_from(b, was->loc), "it was %s here", policy_text(b, &o->policy));
}

/* The argument `name` of an endpoint's kind decorator, or NULL. */
const lvc_arg *
bk_kind_arg(const lvc_decl *e, const char *name)
{
	for (const lvc_arg *a = e->kind_deco->args; a; a = a->next)
		if (lvc_str_eq(a->name, name) ||
		    (!a->name.n && a->value->kind == LVC_V_IDENT && lvc_str_eq(a->value->s, name)))
			return a;
	return NULL;
}

static void
limit_lowered(bk *b, const lvc_decl *o, const lvc_decl *n, const char *arg, const char *was,
              const char *now, const char *refused)
{
	const lvc_arg *a = bk_kind_arg(n, arg), *old = bk_kind_arg(o, arg);
	if (!bk_breaking(b, "limit-lowered", a ? a->loc : n->kind_deco->loc,
	              "'%s' of %s is %s now, %s before; the server refuses %s", arg,
	              bk_endpoint_name(b, n), now, was, refused))
		return;
	if (old)
		lvc_note(b->to, bk_at_from(b, old->loc), "it was %s here", was);
}

void
bk_compare_limits(bk *b, const lvc_decl *o, const lvc_decl *n)
{
	const lvc_policy *op = &o->policy, *np = &n->policy;
	if (np->max_bytes && (!op->max_bytes || np->max_bytes < op->max_bytes))
		limit_lowered(b, o, n, "max", op->max_bytes ? size_text(b, op->max_bytes) :
		              "unset (only the server's max_message)", size_text(b, np->max_bytes),
		              "an old page's messages over it");
	if (np->rate_count && (!op->rate_count || (long double)np->rate_count * op->rate_per_ms <
	                                          (long double)op->rate_count * np->rate_per_ms))
		limit_lowered(b, o, n, "rate", op->rate_count ?
		              rate_text(b, op->rate_count, op->rate_per_ms) : "unlimited",
		              rate_text(b, np->rate_count, np->rate_per_ms),
		              "an old page's calls over it");
	if (o->ekind == LVC_E_SERVER_RPC && op->http && !np->http &&
	    bk_breaking(b, "http-removed", n->kind_deco->loc, "%s is no longer callable over HTTP; "
	             "an old caller may still post to /lv/rpc/%.*s", bk_endpoint_name(b, n),
	             (int)n->name.n, n->name.p)) {
		const lvc_arg *was = bk_kind_arg(o, "http");
		lvc_note(b->to, bk_at_from(b, was ? was->loc : o->kind_deco->loc), "it had http here");
	}
}

/* Handled by one side for itself, not called across: server.on, and the
 * page runtime's lifecycle events. */
static bool
between_sides(const lvc_decl *e)
{
	return e->ekind != LVC_E_SERVER_ON && !(e->ekind == LVC_E_CLIENT_ON && e->policy.lifecycle);
}

/* A custom client.on event travels by its event's name; the handler's
 * name is the page's own. Every other endpoint travels by its name. */
static bool
by_event(const lvc_decl *e)
{
	return e->ekind == LVC_E_CLIENT_ON && !e->policy.lifecycle;
}

static void
removed(bk *b, const lvc_decl *o, const lvc_decl *same_name)
{
	if (by_event(o)) {
		if (bk_breaking(b, "event-removed", bk_at_from(b, o->kind_deco->loc), "the event \"%.*s\" "
		             "(client.on '%.*s') was removed; an old server may still raise it",
		             (int)o->policy.event.n, o->policy.event.p, (int)o->name.n, o->name.p) &&
		    same_name && by_event(same_name))
			lvc_note(b->to, same_name->kind_deco->loc, "'%.*s' handles the event \"%.*s\" now",
			         (int)same_name->name.n, same_name->name.p,
			         (int)same_name->policy.event.n, same_name->policy.event.p);
	} else if (o->ekind == LVC_E_CLIENT_REALTIME) {
		bk_breaking(b, "push-removed", bk_at_from(b, o->loc), "%s was removed; an old server may "
		         "still push it", bk_endpoint_name(b, o));
	} else {
		bk_breaking(b, "endpoint-removed", bk_at_from(b, o->loc), "%s was removed; %s may still "
		         "call it", bk_endpoint_name(b, o), old_caller(o));
	}
}

/* o is an endpoint of the old contract, n the one of the new that
 * travels under the same name (NULL: none). */
static void
compare_endpoint(bk *b, const lvc_decl *o, const lvc_decl *n, const lvc_decl *same_name)
{
	if (!n) {
		removed(b, o, same_name);
		return;
	}
	if (o->ekind != n->ekind) {
		if (bk_breaking(b, "kind-changed", n->kind_deco->loc, "'%.*s' is %s now, %s before; "
		             "%s may still send it as a %s", (int)n->name.n, n->name.p,
		             lvc_endpoint_kind_name(n->ekind), lvc_endpoint_kind_name(o->ekind),
		             old_caller(o), lvc_endpoint_kind_name(o->ekind)))
			lvc_note(b->to, bk_at_from(b, o->kind_deco->loc), "it was @%s here",
			         lvc_endpoint_kind_name(o->ekind));
		return;
	}
	members mc = {
		.fl = ARGS, .what = "parameter", .owner = bk_endpoint_name(b, n), .ep = n,
		.to_owner = n->loc,
	};
	compare_members(b, &mc, o->params, n->params);
	if (o->result && n->result) {
		use via = { n, "the result of", n->result->loc };
		const char *why = compare_result_type(b, o->result, n->result, &via);
		const char *ot = lvc_type_str(b->to, o->result), *nt = lvc_type_str(b->to, n->result);
		if (why && bk_breaking(b, "result-changed", n->result->loc, "the result of %s changed "
		                    "from %s to %s: %s expects %s, and %s %s", bk_endpoint_name(b, n),
		                    ot, nt, old_caller(n), ot, handler(n), why))
			lvc_note(b->to, bk_at_from(b, o->result->loc), "it was %s here", ot);
	}
	if (lvc_endpoint_is_exposed(n->ekind)) {
		bk_compare_policy(b, o, n);
		bk_compare_limits(b, o, n);
	}
}

/* ---- the program ------------------------------------------------------------------ */

int
lvc_breaking(lvc_ctx *from, lvc_ctx *to)
{
	bk b = { .from = from, .to = to };
	b.files = calloc(from->nfiles + 1, sizeof *b.files);
	if (!b.files) {
		fputs("lvc: out of memory\n", stderr);
		abort();
	}
	lvc_symtab_init(&b.done);

	/* The app's name is the root module's; a page says it in its hello. */
	if (from->root && to->root && !lvc_str_same(from->root->name, to->root->name) &&
	    bk_breaking(&b, "module-renamed", to->root->loc, "module '%.*s' was renamed to '%.*s'; "
	             "an old page says hello to the app '%.*s', and the server turns it away",
	             (int)from->root->name.n, from->root->name.p, (int)to->root->name.n,
	             to->root->name.p, (int)from->root->name.n, from->root->name.p))
		lvc_note(to, bk_at_from(&b, from->root->loc), "it was '%.*s' here",
		         (int)from->root->name.n, from->root->name.p);

	/* The new contract's names as they travel. */
	lvc_symtab names, events, states, bindings;
	lvc_symtab_init(&names);
	lvc_symtab_init(&events);
	lvc_symtab_init(&states);
	lvc_symtab_init(&bindings);
	for (lvc_module *m = to->modules; m; m = m->next)
		for (lvc_decl *d = m->decls; d; d = d->next)
			if (d->kind == LVC_D_STATE)
				lvc_symtab_put(&states, d->name, d);
			else if (d->kind == LVC_D_BINDING)
				lvc_symtab_put(&bindings, d->name, d);
			else if (d->kind == LVC_D_ENDPOINT) {
				lvc_symtab_put(&names, d->name, d);
				if (by_event(d))
					lvc_symtab_put(&events, d->policy.event, d);
			}
	/* Bindings first: a model's removed column is reported as such, not
	 * as a field an endpoint that uses the struct no longer has. */
	for (lvc_module *m = from->modules; m; m = m->next)
		for (lvc_decl *d = m->decls; d; d = d->next)
			if (d->kind == LVC_D_BINDING)
				bk_compare_binding(&b, d, lvc_symtab_get(&bindings, d->name));
	/* Past the error limit the changes are still counted, not shown. */
	for (lvc_module *m = from->modules; m; m = m->next)
		for (lvc_decl *d = m->decls; d; d = d->next) {
			if (d->kind == LVC_D_STATE) {
				bk_compare_state(&b, d, lvc_symtab_get(&states, d->name));
				continue;
			}
			if (d->kind == LVC_D_BINDING)
				continue;
			if (d->kind != LVC_D_ENDPOINT || !between_sides(d))
				continue;
			const lvc_decl *same_name = lvc_symtab_get(&names, d->name);
			compare_endpoint(&b, d, by_event(d) ? lvc_symtab_get(&events, d->policy.event) :
			                 same_name, same_name);
		}
	lvc_symtab_free(&bindings);
	lvc_symtab_free(&states);
	lvc_symtab_free(&events);
	lvc_symtab_free(&names);
	lvc_symtab_free(&b.done);
	free(b.files);
	return b.found;
}
