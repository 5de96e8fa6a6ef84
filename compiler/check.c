/* check.c - names, types, defaults, struct cycles and the whole program's
 * checks; decorators are checked in decorators.c and generated C names in
 * names.c. Every problem is reported with its place; checking goes on after
 * an error so one run shows them all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* ---- helpers -------------------------------------------------------------- */

const char *
lvc__value_kind_name(lvc_value_kind k)
{
	switch (k) {
	case LVC_V_INT: return "an integer";
	case LVC_V_FLOAT: return "a float";
	case LVC_V_STRING: return "a string";
	case LVC_V_BOOL: return "a boolean";
	case LVC_V_NULL: return "null";
	case LVC_V_IDENT: return "a name";
	case LVC_V_DURATION: return "a duration";
	case LVC_V_SIZE: return "a size";
	case LVC_V_RATE: return "a rate";
	case LVC_V_LIST: return "a list";
	case LVC_V_MAP: return "a map";
	}
	return "a value";
}

/* Levenshtein distance, capped: for "did you mean" hints. */
static unsigned
distance(lvc_str a, const char *b)
{
	size_t bn = strlen(b);
	if (a.n > 64 || bn > 64)
		return 99;
	unsigned row[65];
	for (size_t j = 0; j <= bn; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= a.n; i++) {
		unsigned prev = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= bn; j++) {
			unsigned cur = row[j];
			unsigned best = prev + (a.p[i - 1] != b[j - 1]);
			if (row[j] + 1 < best) best = row[j] + 1;
			if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	return row[bn];
}

const char *
lvc__closest(lvc_str s, const char *const *words)
{
	const char *best = NULL;
	unsigned bd = s.n <= 3 ? 1 : s.n <= 6 ? 2 : 3;
	for (; *words; words++) {
		unsigned d = distance(s, *words);
		if (d <= bd && d < strlen(*words) / 2 + 1 && (!best || d < bd)) {
			best = *words;
			bd = d;
		}
	}
	return best;
}

static bool
is_valid_name(lvc_str s)
{
	if (s.n == 0 || s.p[0] == '_')
		return false;
	for (uint32_t i = 0; i + 1 < s.n; i++)
		if (s.p[i] == '_' && s.p[i + 1] == '_')
			return false;
	return true;
}

/* A name that becomes part of a C identifier and a JS name. */
static bool
check_name(lvc_ctx *c, lvc_str name, lvc_loc loc, const char *what)
{
	if (!is_valid_name(name)) {
		lvc_error(c, loc, "%s name '%.*s' may not begin with '_' or contain '__' "
		          "(reserved for generated code)", what, (int)name.n, name.p);
		return false;
	}
	if (name.n >= 2 && (name.p[0] == 'l' || name.p[0] == 'L') &&
	    (name.p[1] == 'v' || name.p[1] == 'V') && (name.n == 2 || name.p[2] == '_')) {
		lvc_error(c, loc, "%s name '%.*s' is reserved for the lv runtime",
		          what, (int)name.n, name.p);
		return false;
	}
	return true;
}

/* ---- types ------------------------------------------------------------------ */

static const struct {
	const char *name;
	lvc_type_kind kind;
} builtins[] = {
	{ "bool", LVC_T_BOOL }, { "int", LVC_T_INT }, { "float", LVC_T_FLOAT },
	{ "string", LVC_T_STRING }, { "bytes", LVC_T_BYTES }, { "json", LVC_T_JSON },
	{ "void", LVC_T_VOID }, { "list", LVC_T_LIST }, { "map", LVC_T_MAP },
};

static const char *const builtin_names[] = {
	"bool", "int", "float", "string", "bytes", "json", "void", "list", "map", NULL
};

static void
suggest_type(checker *k, lvc_type *t)
{
	const char *hint = lvc__closest(t->name, builtin_names);
	lvc_decl *best = NULL;
	unsigned bd = t->name.n <= 3 ? 1 : t->name.n <= 6 ? 2 : 3;
	for (lvc_module *m = k->c->modules; m; m = m->next)
		for (lvc_decl *d = m->decls; d; d = d->next) {
			if (d->kind == LVC_D_ENDPOINT || d->kind == LVC_D_STATE ||
			    d->kind == LVC_D_BINDING)
				continue;
			char *z = lvc_strndup(&k->c->arena, d->name.p, d->name.n);
			unsigned dd = distance(t->name, z);
			if (dd <= bd && dd < d->name.n / 2 + 1 && (!best || dd < bd)) {
				best = d;
				bd = dd;
			}
		}
	if (best)
		lvc_note(k->c, best->loc, "did you mean '%.*s'?", (int)best->name.n, best->name.p);
	else if (hint)
		lvc_note(k->c, t->loc, "did you mean '%s'?", hint);
}

/* Resolves a type in place. `top` is true for an endpoint's result, the one
 * place void is allowed. */
void
lvc__resolve_type(checker *k, lvc_type *t, bool top)
{
	lvc_ctx *c = k->c;
	if (t->kind == LVC_T_OPTIONAL) {
		lvc__resolve_type(k, t->elem, false);
		if (t->elem->kind == LVC_T_OPTIONAL) {
			lvc_error(c, t->loc, "an optional type cannot be optional again (T?\?)");
			t->kind = LVC_T_ERROR;
		}
		return;
	}
	if (t->kind != LVC_T_NAMED)
		return;
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++) {
		if (!lvc_str_eq(t->name, builtins[i].name))
			continue;
		t->kind = builtins[i].kind;
		bool generic = t->kind == LVC_T_LIST || t->kind == LVC_T_MAP;
		if (generic && !t->elem) {
			lvc_error(c, t->loc, "'%s' needs an element type: %s<T>", builtins[i].name,
			          builtins[i].name);
			t->kind = LVC_T_ERROR;
			return;
		}
		if (!generic && t->elem) {
			lvc_error(c, t->loc, "'%s' takes no type arguments", builtins[i].name);
			t->kind = LVC_T_ERROR;
			return;
		}
		if (t->extra) {
			if (t->kind == LVC_T_MAP)
				lvc_error(c, t->extra->loc, "map takes one type argument, its values' "
				          "type; its keys are always strings: write map<T>");
			else
				lvc_error(c, t->extra->loc, "list takes one type argument: list<T>");
			t->kind = LVC_T_ERROR;
			return;
		}
		if (t->kind == LVC_T_VOID && !top) {
			lvc_error(c, t->loc, "'void' is only a result type ('-> void')");
			t->kind = LVC_T_ERROR;
		}
		if (generic) {
			lvc__resolve_type(k, t->elem, false);
			if (t->elem->kind == LVC_T_VOID) {
				t->kind = LVC_T_ERROR;
			} else if (t->elem->kind == LVC_T_OPTIONAL) {
				if (t->kind == LVC_T_LIST)
					lvc_error(c, t->elem->loc, "list items cannot be optional; leave "
					          "the item out, or make it a struct with an optional field");
				else
					lvc_error(c, t->elem->loc, "map values cannot be optional; leave "
					          "the key out instead");
				t->kind = LVC_T_ERROR;
			}
		}
		return;
	}
	if (t->elem) {
		lvc_error(c, t->loc, "'%.*s' takes no type arguments; only list and map do",
		          (int)t->name.n, t->name.p);
		t->kind = LVC_T_ERROR;
		return;
	}
	/* A named type, bare or qualified with its module: "Message", "chat.Message". */
	lvc_str name = t->name, mod = { NULL, 0 };
	const char *dot = memchr(name.p, '.', name.n);
	if (dot) {
		mod = (lvc_str){ name.p, (uint32_t)(dot - name.p) };
		name = (lvc_str){ dot + 1, (uint32_t)(name.n - mod.n - 1) };
		if (memchr(name.p, '.', name.n)) {
			lvc_error(c, t->loc, "a type name is NAME or MODULE.NAME");
			t->kind = LVC_T_ERROR;
			return;
		}
	}
	lvc_decl *d = lvc_symtab_get(&k->names, name);
	if (d && mod.p && !lvc_str_same(d->module->name, mod))
		d = NULL;
	if (!d) {
		t->kind = LVC_T_ERROR;
		if (c->imports_missing || lvc_is_broken_name(c, name))
			return;   /* declared in what failed to parse or load */
		if (mod.p && !lvc_symtab_get(&k->modules, mod)) {
			lvc_error(c, t->loc, "unknown type '%.*s': there is no module '%.*s'",
			          (int)t->name.n, t->name.p, (int)mod.n, mod.p);
			lvc_decl *other = lvc_symtab_get(&k->names, name);
			if (other)
				lvc_note(c, other->loc, "'%.*s' is declared in module '%.*s'",
				         (int)name.n, name.p, (int)other->module->name.n,
				         other->module->name.p);
			return;
		}
		lvc_error(c, t->loc, "unknown type '%.*s'", (int)t->name.n, t->name.p);
		suggest_type(k, t);
		return;
	}
	if (d->kind == LVC_D_ENDPOINT || d->kind == LVC_D_STATE || d->kind == LVC_D_BINDING) {
		lvc_error(c, t->loc, "'%.*s' is %s, not a type", (int)name.n, name.p,
		          d->kind == LVC_D_STATE ? "a state" : d->kind == LVC_D_BINDING ?
		          "a model binding" : "an endpoint");
		lvc_note(c, d->loc, "'%.*s' is declared here", (int)name.n, name.p);
		t->kind = LVC_T_ERROR;
		return;
	}
	t->ref = d;
	d->used = true;
}

/* Does literal v fit type t? On failure, says why at v. */
static bool
value_fits(checker *k, const lvc_value *v, const lvc_type *t, lvc_str what)
{
	lvc_ctx *c = k->c;
	const char *why = NULL;
	if (v->bad)
		return true;
	switch (t->kind) {
	case LVC_T_ERROR:
		return true;
	case LVC_T_OPTIONAL:
		return v->kind == LVC_V_NULL || value_fits(k, v, t->elem, what);
	case LVC_T_BOOL:
		if (v->kind == LVC_V_BOOL) return true;
		break;
	case LVC_T_INT:
		if (v->kind == LVC_V_INT) return true;
		if (v->kind == LVC_V_FLOAT) why = "an int default is a whole number";
		break;
	case LVC_T_FLOAT:
		if (v->kind == LVC_V_INT || v->kind == LVC_V_FLOAT) return true;
		break;
	case LVC_T_STRING:
		if (v->kind == LVC_V_STRING) return true;
		break;
	case LVC_T_BYTES:
		why = "bytes take no default";
		break;
	case LVC_T_JSON:
		switch (v->kind) {
		case LVC_V_INT: case LVC_V_FLOAT: case LVC_V_STRING: case LVC_V_BOOL:
		case LVC_V_NULL: case LVC_V_MAP:
			return true;
		case LVC_V_LIST: {
			bool ok = true;
			for (const lvc_value *i = v->items; i; i = i->next)
				ok &= value_fits(k, i, t, what);
			return ok;
		}
		default:
			break;
		}
		break;
	case LVC_T_LIST:
		if (v->kind == LVC_V_LIST) {
			bool ok = true;
			bool nested = what.n > 11 && memcmp(what.p, "an item of ", 11) == 0;
			char *item = nested ? lvc_sprintf(&c->arena, "an item of %.*s", (int)what.n, what.p)
			                    : lvc_sprintf(&c->arena, "an item of the default for '%.*s'",
			                                  (int)what.n, what.p);
			for (const lvc_value *i = v->items; i; i = i->next)
				ok &= value_fits(k, i, t->elem, (lvc_str){ item, (uint32_t)strlen(item) });
			return ok;
		}
		break;
	case LVC_T_MAP:
		if (v->kind == LVC_V_MAP) return true;
		break;
	case LVC_T_NAMED:
		if (t->ref && t->ref->kind == LVC_D_ENUM) {
			if (v->kind == LVC_V_IDENT) {
				for (lvc_member *m = t->ref->members; m; m = m->next)
					if (lvc_str_same(m->name, v->s))
						return true;
				lvc_error(c, v->loc, "'%.*s' is not a member of enum %.*s",
				          (int)v->s.n, v->s.p, (int)t->ref->name.n, t->ref->name.p);
				lvc_note(c, t->ref->loc, "%.*s is declared here", (int)t->ref->name.n,
				         t->ref->name.p);
				return false;
			}
		} else {
			why = "a struct takes no default";
		}
		break;
	default:
		break;
	}
	if (v->kind == LVC_V_NULL && !why)
		why = "only an optional type (T?) takes null";
	bool item = what.n > 11 && memcmp(what.p, "an item of ", 11) == 0;
	lvc_error(c, v->loc, "%s%.*s%s does not fit %s: got %s%s%s",
	          item ? "" : "default for '", (int)what.n, what.p, item ? "" : "'",
	          lvc_type_str(c, t), lvc__value_kind_name(v->kind), why ? "; " : "", why ? why : "");
	return false;
}

/* ---- fields and parameters ----------------------------------------------- */

static void
check_fields(checker *k, lvc_field *list, const char *what, bool params)
{
	lvc_ctx *c = k->c;
	lvc_symtab seen;
	lvc_symtab_init(&seen);
	for (lvc_field *f = list; f; f = f->next) {
		lvc__resolve_type(k, f->type, false);
		lvc_field *prev = lvc_symtab_get(&seen, f->name);
		if (prev) {
			lvc_error(c, f->loc, "duplicate %s '%.*s'", what, (int)f->name.n, f->name.p);
			lvc_note(c, prev->loc, "'%.*s' was first declared here", (int)prev->name.n,
			         prev->name.p);
		} else {
			lvc_symtab_put(&seen, f->name, f);
		}
		if (!is_valid_name(f->name))
			lvc_error(c, f->loc, "%s name '%.*s' may not begin with '_' or contain '__' "
			          "(reserved for generated code)", what, (int)f->name.n, f->name.p);
		else if (lvc_is_c_keyword(f->name))
			lvc_error(c, f->loc, "%s name '%.*s' is a reserved word in C", what,
			          (int)f->name.n, f->name.p);
		else if (params && lvc_is_js_reserved(f->name))
			lvc_error(c, f->loc, "%s name '%.*s' is a reserved word in JavaScript",
			          what, (int)f->name.n, f->name.p);
		else if (params && (lvc_str_eq(f->name, "call") || lvc_str_eq(f->name, "out") ||
		                    lvc_str_eq(f->name, "conn") || lvc_str_eq(f->name, "server") ||
		                    lvc_str_eq(f->name, "group") || lvc_str_eq(f->name, "done") ||
		                    lvc_str_eq(f->name, "user_data") || lvc_str_eq(f->name, "conn_id")))
			lvc_error(c, f->loc, "parameter name '%.*s' is taken by the generated C "
			          "functions (call, out, conn, conn_id, server, group, done, user_data)",
			          (int)f->name.n, f->name.p);
		if (f->def)
			value_fits(k, f->def, f->type, f->name);
	}
	/* An optional x carries a presence flag has_x in C. */
	for (lvc_field *f = list; f; f = f->next) {
		if (f->type->kind != LVC_T_OPTIONAL)
			continue;
		char *flag = lvc_sprintf(&c->arena, "has_%.*s", (int)f->name.n, f->name.p);
		lvc_field *other = lvc_symtab_get(&seen, (lvc_str){ flag, (uint32_t)strlen(flag) });
		if (other) {
			lvc_error(c, other->loc, "%s '%s' clashes with the presence flag that "
			          "optional '%.*s' has in C", what, flag, (int)f->name.n, f->name.p);
			lvc_note(c, f->loc, "'%.*s' is declared here", (int)f->name.n, f->name.p);
		}
	}
	lvc_symtab_free(&seen);
}

/* ---- endpoints ---------------------------------------------------------------- */

static void
check_endpoint(checker *k, lvc_decl *e)
{
	lvc_ctx *c = k->c;
	lvc__check_endpoint_decorators(k, e);
	check_fields(k, e->params, "parameter", true);
	lvc__check_field_decorators(k, e->params, lvc_sprintf(&c->arena, "endpoint '%.*s'",
	                            (int)e->name.n, e->name.p));
	if (e->result)
		lvc__resolve_type(k, e->result, true);

	bool rpc = e->ekind == LVC_E_SERVER_RPC || e->ekind == LVC_E_CLIENT_RPC;
	if (rpc && !e->result)
		lvc_error(c, e->loc, "%s '%.*s' has no result type; write '-> void' if it "
		          "answers with nothing", lvc_endpoint_kind_name(e->ekind),
		          (int)e->name.n, e->name.p);
	if (!rpc && e->result && e->kind_deco) {
		const char *hint = e->ekind == LVC_E_SERVER_REALTIME ? "; make it @server.rpc to answer" :
		                   e->ekind == LVC_E_CLIENT_REALTIME ? "; make it @client.rpc to answer" :
		                   e->ekind == LVC_E_CLIENT_CALLBACK ? "; its handler answers with commands" : "";
		lvc_error(c, e->result->loc, "%s '%.*s' is fire-and-forget and cannot return "
		          "a value%s", lvc_endpoint_kind_name(e->ekind), (int)e->name.n, e->name.p, hint);
	}
	if ((e->ekind == LVC_E_SERVER_ON || e->ekind == LVC_E_CLIENT_ON) &&
	    e->policy.lifecycle && e->params)
		lvc_error(c, e->params->loc, "lifecycle event '%.*s' carries no data, so '%.*s' "
		          "takes no parameters", (int)e->policy.event.n, e->policy.event.p,
		          (int)e->name.n, e->name.p);
}

/* ---- states ------------------------------------------------------------------- */

static void
check_state(checker *k, lvc_decl *s)
{
	lvc_ctx *c = k->c;
	s->policy.flush_ms = LVC_FLUSH_DEFAULT_MS;
	lvc__check_endpoint_decorators(k, s);
	lvc__resolve_type(k, s->result, false);
	if (s->result->kind == LVC_T_OPTIONAL)
		lvc_error(c, s->result->loc, "a state always has a value, so its type cannot be "
		          "optional; make a field of it optional instead");
}

/* ---- structs: a struct may not contain itself by value ------------------- */

static lvc_decl *
by_value(lvc_type *t)
{
	/* Lists and maps hold their items out of line, and an optional struct is
	 * a pointer in C, so only a plain struct field nests. */
	return t->kind == LVC_T_NAMED && t->ref && t->ref->kind == LVC_D_STRUCT ? t->ref : NULL;
}

/* One depth-first search over all structs (white 0, on the path 1, done 2),
 * so the check is linear in the schema; an explicit stack, so a chain of
 * any length is fine. A field leading back to a struct on the path closes
 * a cycle, reported once. */
static void
report_cycle(checker *k, lvc_decl **owners, lvc_field **path, int n, lvc_decl *t)
{
	lvc_ctx *c = k->c;
	int from = 0;
	while (owners[from] != t)
		from++;
	lvc_error(c, t->loc, "struct '%.*s' contains itself by value, so it would be "
	          "infinitely large", (int)t->name.n, t->name.p);
	for (int i = from; i < n; i++) {
		lvc_decl *held = by_value(path[i]->type);
		lvc_note(c, path[i]->loc, "'%.*s.%.*s' holds %.*s by value",
		         (int)owners[i]->name.n, owners[i]->name.p, (int)path[i]->name.n,
		         path[i]->name.p, (int)held->name.n, held->name.p);
	}
	lvc_note(c, path[n - 1]->loc, "a list<%.*s> or an optional %.*s? field breaks the "
	         "cycle", (int)t->name.n, t->name.p, (int)t->name.n, t->name.p);
}

static void
check_struct_cycles(checker *k)
{
	lvc_ctx *c = k->c;
	int nstructs = 0;
	for (lvc_module *m = c->modules; m; m = m->next)
		for (lvc_decl *d = m->decls; d; d = d->next)
			nstructs += d->kind == LVC_D_STRUCT;
	/* The path: owners[i] holds via[i] by value, which leads to
	 * owners[i + 1]; iter[i] is the next field of owners[i] to try. */
	size_t cap = (size_t)nstructs + 1;
	lvc_decl **owners = malloc(sizeof *owners * cap);
	lvc_field **via = malloc(sizeof *via * cap), **iter = malloc(sizeof *iter * cap);
	if (!owners || !via || !iter)
		abort();
	for (lvc_module *m = c->modules; m && !c->stop; m = m->next)
		for (lvc_decl *d = m->decls; d && !c->stop; d = d->next) {
			if (d->kind != LVC_D_STRUCT || d->visit != 0)
				continue;
			owners[0] = d;
			iter[0] = d->fields;
			d->visit = 1;
			int n = 1;
			while (n > 0 && !c->stop) {
				lvc_field *f = iter[n - 1];
				if (!f) {
					owners[--n]->visit = 2;
					continue;
				}
				iter[n - 1] = f->next;
				via[n - 1] = f;
				lvc_decl *t = by_value(f->type);
				if (!t || t->visit == 2)
					continue;
				if (t->visit == 1) {
					report_cycle(k, owners, via, n, t);
					continue;
				}
				t->visit = 1;
				owners[n] = t;
				iter[n] = t->fields;
				n++;
			}
		}
	free(owners);
	free(via);
	free(iter);
}

/* ---- the whole program ------------------------------------------------------- */

static void
check_module(checker *k, lvc_module *m)
{
	lvc_ctx *c = k->c;
	if (m->name.n) {
		check_name(c, m->name, m->loc, "module");
		lvc_module *prev = lvc_symtab_get(&k->modules, m->name);
		if (prev) {
			lvc_error(c, m->loc, "module '%.*s' is declared in two files",
			          (int)m->name.n, m->name.p);
			lvc_note(c, prev->loc, "it is also declared here");
		} else {
			lvc_symtab_put(&k->modules, m->name, m);
		}
	}
	lvc__check_module_decorators(k, m);
}

/* What the generated module and its clients already name: the module's
 * exports (createClient, connect, argsFrom, schema, LvError) and a
 * client's own members (register, dispose, lv). */
static bool
taken_by_js_module(lvc_str name)
{
	static const char *const taken[] = {
		"schema", "register", "lv", "dispose", "connect", "createClient", "argsFrom",
		"LvError",
	};
	for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++)
		if (lvc_str_eq(name, taken[i]))
			return true;
	return false;
}

static void
declare(checker *k, lvc_decl *d)
{
	lvc_ctx *c = k->c;
	const char *what = d->kind == LVC_D_STRUCT ? "struct" :
	                   d->kind == LVC_D_ENUM ? "enum" :
	                   d->kind == LVC_D_STATE ? "state" :
	                   d->kind == LVC_D_BINDING ? "model binding" : "endpoint";
	bool builtin = false;
	for (size_t i = 0; i < sizeof builtins / sizeof builtins[0]; i++)
		builtin |= lvc_str_eq(d->name, builtins[i].name);
	/* A declaration with a bad name is still declared, so that its uses
	 * do not add "unknown type" to the one error about its name. */
	if (builtin) {
		lvc_error(c, d->loc, "'%.*s' is a built-in type", (int)d->name.n, d->name.p);
		d->used = true;
		return;
	}
	if (!check_name(c, d->name, d->loc, what))
		d->used = true;
	else if (lvc_is_js_reserved(d->name))
		lvc_error(c, d->loc, "%s name '%.*s' is a reserved word in JavaScript", what,
		          (int)d->name.n, d->name.p);
	else if ((d->kind == LVC_D_STRUCT || d->kind == LVC_D_ENUM) &&
	         lvc_is_ts_type_name(d->name))
		lvc_error(c, d->loc, "%s name '%.*s' is a type TypeScript already defines",
		          what, (int)d->name.n, d->name.p);
	else if (taken_by_js_module(d->name))
		lvc_error(c, d->loc, "'%.*s' is taken by the generated JavaScript module",
		          (int)d->name.n, d->name.p);
	lvc_decl *prev = lvc_symtab_get(&k->names, d->name);
	if (prev) {
		lvc_error(c, d->loc, "'%.*s' is already declared", (int)d->name.n, d->name.p);
		lvc_note(c, prev->loc, "the previous declaration is here");
		d->used = prev->used = true;
		return;
	}
	lvc_symtab_put(&k->names, d->name, d);
}

static void
check_enum(checker *k, lvc_decl *d)
{
	lvc_ctx *c = k->c;
	if (!d->members) {
		lvc_error(c, d->loc, "enum '%.*s' has no members", (int)d->name.n, d->name.p);
		return;
	}
	lvc_symtab seen;
	lvc_symtab_init(&seen);
	for (lvc_member *m = d->members; m; m = m->next) {
		lvc_member *prev = lvc_symtab_get(&seen, m->name);
		if (prev) {
			lvc_error(c, m->loc, "duplicate member '%.*s' in enum %.*s", (int)m->name.n,
			          m->name.p, (int)d->name.n, d->name.p);
			lvc_note(c, prev->loc, "'%.*s' was first declared here", (int)prev->name.n,
			         prev->name.p);
			continue;
		}
		lvc_symtab_put(&seen, m->name, m);
		if (!is_valid_name(m->name))
			lvc_error(c, m->loc, "member name '%.*s' may not begin with '_' or "
			          "contain '__' (reserved for generated code)", (int)m->name.n, m->name.p);
	}
	lvc_symtab_free(&seen);
}

bool
lvc_check(lvc_ctx *c)
{
	checker k = { .c = c };
	int before = c->errors;
	lvc_symtab_init(&k.names);
	lvc_symtab_init(&k.cnames);
	lvc_symtab_init(&k.modnames);
	lvc_symtab_init(&k.events);
	lvc_symtab_init(&k.groups);
	lvc_symtab_init(&k.modules);
	lvc_symtab_init(&k.module_policy);
	lvc_symtab_init(&k.tables);

	for (lvc_module *m = c->modules; m; m = m->next) {
		check_module(&k, m);
		for (lvc_decl *d = m->decls; d; d = d->next)
			declare(&k, d);
	}
	for (lvc_module *m = c->modules; m && !c->stop; m = m->next)
		for (lvc_decl *d = m->decls; d && !c->stop; d = d->next) {
			if (d->kind == LVC_D_ENUM && d->decorators) {
				if (lvc_str_eq(d->decorators->name, "model"))
					lvc_error(c, d->decorators->loc, "@model belongs on a struct; enum "
					          "'%.*s' cannot be a table", (int)d->name.n, d->name.p);
				else
					lvc_error(c, d->decorators->loc, "an enum takes no decorators");
			}
			if (d->kind == LVC_D_STRUCT) {
				if (!d->fields)
					lvc_error(c, d->loc, "struct '%.*s' has no fields", (int)d->name.n,
					          d->name.p);
				check_fields(&k, d->fields, "field", false);
				lvc__check_struct_decorators(&k, d);
			} else if (d->kind == LVC_D_BINDING) {
				continue;        /* once every model is known, below */
			} else if (d->kind == LVC_D_ENUM) {
				check_enum(&k, d);
			} else if (d->kind == LVC_D_STATE) {
				check_state(&k, d);
			} else {
				check_endpoint(&k, d);
			}
		}
	for (lvc_module *m = c->modules; m && !c->stop; m = m->next)
		for (lvc_decl *d = m->decls; d && !c->stop; d = d->next)
			if (d->kind == LVC_D_BINDING)
				lvc__check_binding(&k, d);
	if (!c->stop)
		check_struct_cycles(&k);
	for (lvc_module *m = c->modules; m && !c->stop; m = m->next)
		for (lvc_decl *d = m->decls; d && !c->stop; d = d->next)
			if (d->kind == LVC_D_STRUCT)
				lvc__check_model_recursion(&k, d);
	if (!c->stop)
		lvc__check_models(&k);
	if (!c->stop && c->errors == before)
		lvc__check_c_names(&k);

	/* Types nobody uses, in the file being compiled; after errors that is
	 * more likely an echo of them than news. */
	if (c->root && c->errors == before && !c->incomplete)
		for (lvc_decl *d = c->root->decls; d; d = d->next)
			if ((d->kind == LVC_D_STRUCT || d->kind == LVC_D_ENUM) && !d->used)
				lvc_warning(c, LVC_WARN_UNUSED_TYPE, d->loc, "%s '%.*s' is never used",
				            d->kind == LVC_D_STRUCT ? "struct" : "enum",
				            (int)d->name.n, d->name.p);
	for (lvc_doc *doc = c->docs; doc; doc = doc->next)
		if (!doc->used)
			lvc_warning(c, LVC_WARN_DOC, doc->loc, "doc comment is not attached to a "
			            "declaration, field, parameter or member");

	lvc_symtab_free(&k.names);
	lvc_symtab_free(&k.cnames);
	lvc_symtab_free(&k.modnames);
	lvc_symtab_free(&k.events);
	lvc_symtab_free(&k.groups);
	lvc_symtab_free(&k.modules);
	lvc_symtab_free(&k.module_policy);
	lvc_symtab_free(&k.tables);
	return c->errors == before;
}
