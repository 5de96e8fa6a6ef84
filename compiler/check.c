/* check.c - names, types, decorators and access policy. Every problem is
 * reported with its place; checking goes on after an error so one run shows
 * them all. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lvc.h"
#include "symtab.h"

/* ---- endpoint kinds and their decorators -------------------------------- */

typedef enum {
	ARG_FLAG, ARG_DURATION, ARG_SIZE, ARG_RATE, ARG_STRING, ARG_CHOICE,
	ARG_STRINGS, ARG_NAME
} arg_kind;

typedef struct {
	const char *name;
	arg_kind kind;
	const char *const *choices;
} arg_spec;

static const char *const delivery_choices[] = { "reliable", "volatile", NULL };
static const char *const concurrency_choices[] = {
	"serial", "parallel", "receive_serial", NULL
};

static const arg_spec rpc_args[] = {
	{ "http", ARG_FLAG, NULL }, { "timeout", ARG_DURATION, NULL },
	{ "delivery", ARG_CHOICE, delivery_choices }, { "max", ARG_SIZE, NULL },
	{ "rate", ARG_RATE, NULL }, { NULL, 0, NULL }
};
static const arg_spec realtime_args[] = {
	{ "delivery", ARG_CHOICE, delivery_choices }, { "max", ARG_SIZE, NULL },
	{ "rate", ARG_RATE, NULL }, { NULL, 0, NULL }
};
static const arg_spec client_rpc_args[] = {
	{ "timeout", ARG_DURATION, NULL }, { NULL, 0, NULL }
};
static const arg_spec client_realtime_args[] = {
	{ "delivery", ARG_CHOICE, delivery_choices }, { NULL, 0, NULL }
};
static const arg_spec callback_args[] = {
	{ "event", ARG_NAME, NULL }, { "group", ARG_STRING, NULL },
	{ "concurrency", ARG_CHOICE, concurrency_choices },
	{ "blocks", ARG_STRINGS, NULL }, { "debounce", ARG_DURATION, NULL },
	{ "confirm", ARG_STRING, NULL }, { "max", ARG_SIZE, NULL },
	{ "rate", ARG_RATE, NULL }, { NULL, 0, NULL }
};
static const arg_spec no_args[] = { { NULL, 0, NULL } };

enum positional { POS_NONE, POS_EVENT, POS_ROLES };

typedef struct {
	const char *name;
	lvc_endpoint_kind kind;      /* NONE: a policy decorator */
	enum positional positional;
	const arg_spec *args;
} deco_spec;

static const deco_spec decorators[] = {
	{ "server.rpc", LVC_E_SERVER_RPC, POS_NONE, rpc_args },
	{ "server.realtime", LVC_E_SERVER_REALTIME, POS_NONE, realtime_args },
	{ "server.on", LVC_E_SERVER_ON, POS_EVENT, no_args },
	{ "client.rpc", LVC_E_CLIENT_RPC, POS_NONE, client_rpc_args },
	{ "client.realtime", LVC_E_CLIENT_REALTIME, POS_NONE, client_realtime_args },
	{ "client.callback", LVC_E_CLIENT_CALLBACK, POS_NONE, callback_args },
	{ "client.on", LVC_E_CLIENT_ON, POS_EVENT, no_args },
	{ "auth", LVC_E_NONE, POS_ROLES, no_args },
	{ "public", LVC_E_NONE, POS_NONE, no_args },
	{ NULL, 0, 0, NULL }
};

static const char *const server_events[] = { "start", "stop", "connect", "disconnect", NULL };
static const char *const client_events[] = { "ready", "connect", "disconnect", NULL };

const char *
lvc_endpoint_kind_name(lvc_endpoint_kind k)
{
	switch (k) {
	case LVC_E_SERVER_RPC: return "server.rpc";
	case LVC_E_SERVER_REALTIME: return "server.realtime";
	case LVC_E_SERVER_ON: return "server.on";
	case LVC_E_CLIENT_RPC: return "client.rpc";
	case LVC_E_CLIENT_REALTIME: return "client.realtime";
	case LVC_E_CLIENT_CALLBACK: return "client.callback";
	case LVC_E_CLIENT_ON: return "client.on";
	default: return "endpoint";
	}
}

/* Handled by a C function on the server. */
bool
lvc_endpoint_is_server(lvc_endpoint_kind k)
{
	return k == LVC_E_SERVER_RPC || k == LVC_E_SERVER_REALTIME ||
	       k == LVC_E_SERVER_ON || k == LVC_E_CLIENT_CALLBACK;
}

/* Something a page can make the server run, so it needs an access policy. */
bool
lvc_endpoint_is_exposed(lvc_endpoint_kind k)
{
	return k == LVC_E_SERVER_RPC || k == LVC_E_SERVER_REALTIME ||
	       k == LVC_E_CLIENT_CALLBACK;
}

static bool
in_words(lvc_str s, const char *const *list)
{
	for (; *list; list++)
		if (lvc_str_eq(s, *list))
			return true;
	return false;
}

static const char *
join_words(lvc_ctx *c, const char *const *list)
{
	size_t n = 0;
	for (const char *const *p = list; *p; p++)
		n += strlen(*p) + 2;
	char *out = lvc_alloc(&c->arena, n + 1), *o = out;
	for (const char *const *p = list; *p; p++)
		o += sprintf(o, "%s%s", p == list ? "" : ", ", *p);
	return out;
}

static const char *
arg_names(lvc_ctx *c, const arg_spec *args)
{
	const char *names[16];
	int n = 0;
	for (; args->name && n < 15; args++)
		names[n++] = args->name;
	names[n] = NULL;
	return n ? join_words(c, names) : NULL;
}

/* ---- helpers -------------------------------------------------------------- */

static const char *
value_kind_name(lvc_value_kind k)
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

static const char *
closest(lvc_str s, const char *const *words)
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

/* ---- the checker state ---------------------------------------------------- */

typedef struct {
	lvc_ctx *c;
	lvc_symtab names;     /* bare top-level name -> decl */
	lvc_symtab cnames;    /* generated C identifier -> decl */
	lvc_symtab modnames;  /* C identifier a module keeps for itself -> module */
	lvc_symtab events;    /* "server:name" / "client:name" -> decl */
	lvc_symtab groups;    /* callback group -> decl that set its model */
	lvc_symtab module_policy; /* module name -> its lvc_policy (access, roles) */
	lvc_symtab modules;   /* module name -> module */
} checker;

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
	const char *hint = closest(t->name, builtin_names);
	lvc_decl *best = NULL;
	unsigned bd = t->name.n <= 3 ? 1 : t->name.n <= 6 ? 2 : 3;
	for (lvc_module *m = k->c->modules; m; m = m->next)
		for (lvc_decl *d = m->decls; d; d = d->next) {
			if (d->kind == LVC_D_ENDPOINT)
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
static void
resolve_type(checker *k, lvc_type *t, bool top)
{
	lvc_ctx *c = k->c;
	if (t->kind == LVC_T_OPTIONAL) {
		resolve_type(k, t->elem, false);
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
			resolve_type(k, t->elem, false);
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
		if (c->incomplete)
			return;   /* likely declared in what failed to parse or load */
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
	if (d->kind == LVC_D_ENDPOINT) {
		lvc_error(c, t->loc, "'%.*s' is an endpoint, not a type", (int)name.n, name.p);
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
	          lvc_type_str(c, t), value_kind_name(v->kind), why ? "; " : "", why ? why : "");
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
		resolve_type(k, f->type, false);
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
		                    lvc_str_eq(f->name, "user_data")))
			lvc_error(c, f->loc, "parameter name '%.*s' is taken by the generated C "
			          "functions (call, out, conn, server, group, done, user_data)",
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

/* ---- decorators --------------------------------------------------------------- */

static const deco_spec *
find_deco(lvc_str name)
{
	for (const deco_spec *s = decorators; s->name; s++)
		if (lvc_str_eq(name, s->name))
			return s;
	return NULL;
}

static void
unknown_deco(checker *k, lvc_decorator *d)
{
	const char *names[16], *at_names[16];
	int n = 0;
	for (const deco_spec *s = decorators; s->name; s++) {
		at_names[n] = lvc_sprintf(&k->c->arena, "@%s", s->name);
		names[n++] = s->name;
	}
	names[n] = at_names[n] = NULL;
	lvc_error(k->c, d->loc, "unknown decorator '@%.*s'", (int)d->name.n, d->name.p);
	const char *hint = closest(d->name, names);
	if (hint)
		lvc_note(k->c, d->loc, "did you mean '@%s'?", hint);
	else
		lvc_note(k->c, d->loc, "the decorators are %s", join_words(k->c, at_names));
}

static bool
non_empty_string(checker *k, const lvc_value *v, const char *what)
{
	if (v->kind != LVC_V_STRING) {
		lvc_error(k->c, v->loc, "%s must be a string, got %s", what, value_kind_name(v->kind));
		return false;
	}
	if (v->s.n == 0) {
		lvc_error(k->c, v->loc, "%s must not be empty", what);
		return false;
	}
	return true;
}

/* Applies one named argument of a kind decorator to the endpoint's policy. */
static void
apply_arg(checker *k, lvc_decl *e, const deco_spec *spec, const arg_spec *a,
          lvc_arg *arg, const lvc_value *v)
{
	lvc_ctx *c = k->c;
	lvc_policy *p = &e->policy;
	if (v && v->bad)
		return;
	static const lvc_value_kind want_kind[] = {
		[ARG_DURATION] = LVC_V_DURATION, [ARG_SIZE] = LVC_V_SIZE,
		[ARG_RATE] = LVC_V_RATE,
	};
	switch (a->kind) {
	case ARG_FLAG:
		if (v && v->kind != LVC_V_BOOL) {
			lvc_error(c, v->loc, "'%s' is a flag: write '%s' or '%s: true'", a->name,
			          a->name, a->name);
			return;
		}
		p->http = v ? v->i != 0 : true;
		return;
	case ARG_DURATION:
	case ARG_SIZE:
	case ARG_RATE:
		if (!v || v->kind != want_kind[a->kind]) {
			static const char *const examples[] = {
				[ARG_DURATION] = "a duration such as 250ms or 5s",
				[ARG_SIZE] = "a size such as 64k or 1M",
				[ARG_RATE] = "a rate such as 10/s",
			};
			lvc_error(c, v ? v->loc : arg->loc, "'%s' of @%s takes %s, got %s", a->name,
			          spec->name, examples[a->kind], v ? value_kind_name(v->kind) : "nothing");
			return;
		}
		if (v->i <= 0 && !(a->kind == ARG_DURATION && lvc_str_eq(arg->name, "debounce"))) {
			lvc_error(c, v->loc, "'%s' must be greater than zero", a->name);
			return;
		}
		if (lvc_str_eq(arg->name, "timeout")) p->timeout_ms = v->i;
		else if (lvc_str_eq(arg->name, "debounce")) p->debounce_ms = v->i;
		else if (lvc_str_eq(arg->name, "max")) p->max_bytes = v->i;
		else if (lvc_str_eq(arg->name, "rate")) {
			p->rate_count = v->i;
			p->rate_per_ms = v->per;
		}
		return;
	case ARG_CHOICE:
		if (!v || v->kind != LVC_V_IDENT || !in_words(v->s, a->choices)) {
			lvc_error(c, v ? v->loc : arg->loc, "'%s' of @%s is one of %s", a->name,
			          spec->name, join_words(c, a->choices));
			return;
		}
		if (lvc_str_eq(arg->name, "delivery"))
			p->volatile_delivery = lvc_str_eq(v->s, "volatile");
		else
			p->concurrency = lvc_str_eq(v->s, "serial") ? 0 :
			                 lvc_str_eq(v->s, "parallel") ? 1 : 2;
		return;
	case ARG_NAME:
		if (!v || v->kind != LVC_V_IDENT) {
			lvc_error(c, v ? v->loc : arg->loc, "'%s' of @%s is a DOM event name such "
			          "as click, input or submit", a->name, spec->name);
			return;
		}
		p->dom_event = v->s;
		return;
	case ARG_STRING:
		if (!v || !non_empty_string(k, v, a->name))
			return;
		if (lvc_str_eq(arg->name, "group")) p->group = v->s;
		else p->confirm = v->s;
		return;
	case ARG_STRINGS: {
		if (!v || v->kind != LVC_V_LIST) {
			lvc_error(c, v ? v->loc : arg->loc, "'%s' of @%s is a list of group names: "
			          "[\"a\", \"b\"]", a->name, spec->name);
			return;
		}
		int n = 0;
		for (const lvc_value *i = v->items; i; i = i->next)
			n++;
		p->blocks = lvc_alloc(&c->arena, sizeof *p->blocks * (size_t)(n ? n : 1));
		for (const lvc_value *i = v->items; i; i = i->next)
			if (non_empty_string(k, i, "a group name"))
				p->blocks[p->nblocks++] = i->s;
		return;
	}
	}
}

static bool
valid_event_name(lvc_str s)
{
	if (s.n == 0 || s.n > 64)
		return false;
	for (uint32_t i = 0; i < s.n; i++) {
		char ch = s.p[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '.' || ch == ':' || ch == '-'))
			return false;
	}
	return true;
}

static void
apply_event(checker *k, lvc_decl *e, lvc_decorator *d, const lvc_value *v)
{
	lvc_ctx *c = k->c;
	bool server = e->ekind == LVC_E_SERVER_ON;
	const char *const *life = server ? server_events : client_events;
	if (v->kind == LVC_V_IDENT) {
		if (!in_words(v->s, life)) {
			lvc_error(c, v->loc, "unknown %s lifecycle event '%.*s'",
			          server ? "server" : "client", (int)v->s.n, v->s.p);
			const char *hint = closest(v->s, life);
			if (hint)
				lvc_note(c, v->loc, "did you mean '%s'?", hint);
			else
				lvc_note(c, v->loc, "lifecycle events are %s; a custom event is a "
				         "string: @%.*s(\"%.*s\")", join_words(c, life), (int)d->name.n,
				         d->name.p, (int)v->s.n, v->s.p);
			return;
		}
		e->policy.lifecycle = true;
	} else if (v->kind == LVC_V_STRING) {
		if (!valid_event_name(v->s)) {
			lvc_error(c, v->loc, "a custom event name is 1 to 64 letters, digits, "
			          "'_', '.', ':' or '-'");
			return;
		}
	} else {
		lvc_error(c, v->loc, "@%.*s takes an event: a lifecycle name (%s) or a "
		          "custom event as a string", (int)d->name.n, d->name.p, join_words(c, life));
		return;
	}
	e->policy.event = v->s;
	char *key = lvc_sprintf(&c->arena, "%s:%.*s", server ? "server" : "client",
	                        (int)v->s.n, v->s.p);
	lvc_str ks = { key, (uint32_t)strlen(key) };
	lvc_decl *prev = lvc_symtab_get(&k->events, ks);
	if (prev) {
		lvc_error(c, v->loc, "a second handler for %s event '%.*s'",
		          server ? "server" : "client", (int)v->s.n, v->s.p);
		lvc_note(c, prev->loc, "the first handler is '%.*s'", (int)prev->name.n,
		         prev->name.p);
	} else {
		lvc_symtab_put(&k->events, ks, e);
	}
}

static void
apply_roles(checker *k, lvc_decorator *d, lvc_policy *p)
{
	lvc_ctx *c = k->c;
	int n = 0;
	for (lvc_arg *a = d->args; a; a = a->next)
		n++;
	if (n == 0) {
		lvc_error(c, d->loc, "@auth names at least one role: @auth(\"member\"); "
		          "@auth(\"*\") admits any authenticated connection");
		return;
	}
	p->access = LVC_ACCESS_AUTH;
	p->roles = lvc_alloc(&c->arena, sizeof *p->roles * (size_t)n);
	for (lvc_arg *a = d->args; a; a = a->next) {
		if (a->name.n) {
			lvc_error(c, a->loc, "@auth takes role names only, not '%.*s:'",
			          (int)a->name.n, a->name.p);
			continue;
		}
		if (non_empty_string(k, a->value, "a role"))
			p->roles[p->nroles++] = a->value->s;
	}
}

/* Checks the decorators of an endpoint and fills its kind and policy. */
static void
check_endpoint_decorators(checker *k, lvc_decl *e)
{
	lvc_ctx *c = k->c;
	lvc_decorator *policy = NULL;
	bool unknown = false;

	/* Unknown decorators first: one of them may be the kind or the policy
	 * misspelt, and then "no kind" or "no policy" would only echo it. */
	for (lvc_decorator *d = e->decorators; d; d = d->next)
		if (!find_deco(d->name)) {
			unknown_deco(k, d);
			unknown = true;
		}

	/* The kind next, so the other decorators can be judged against it. */
	for (lvc_decorator *d = e->decorators; d; d = d->next) {
		const deco_spec *s = find_deco(d->name);
		if (!s || s->kind == LVC_E_NONE)
			continue;
		if (e->kind_deco) {
			lvc_error(c, d->loc, "'%.*s' already has a kind", (int)e->name.n, e->name.p);
			lvc_note(c, e->kind_deco->loc, "it is declared %s here",
			         lvc_endpoint_kind_name(e->ekind));
			continue;
		}
		e->kind_deco = d;
		e->ekind = s->kind;
	}
	if (!e->kind_deco && !unknown) {
		lvc_error(c, e->loc, "endpoint '%.*s' has no kind; put one of @server.rpc, "
		          "@server.realtime, @server.on(EVENT), @client.rpc, @client.realtime, "
		          "@client.callback or @client.on(EVENT) before it",
		          (int)e->name.n, e->name.p);
	}

	for (lvc_decorator *d = e->decorators; d; d = d->next) {
		const deco_spec *s = find_deco(d->name);
		if (!s)
			continue;
		if (s->kind != LVC_E_NONE && d != e->kind_deco)
			continue;
		if (s->kind == LVC_E_NONE) {
			if (e->kind_deco && !lvc_endpoint_is_exposed(e->ekind)) {
				lvc_error(c, d->loc, "@%s does not apply to %s '%.*s': a page cannot "
				          "call it", s->name, lvc_endpoint_kind_name(e->ekind),
				          (int)e->name.n, e->name.p);
				continue;
			}
			if (policy) {
				lvc_error(c, d->loc, "'%.*s' already has an access policy",
				          (int)e->name.n, e->name.p);
				lvc_note(c, policy->loc, "the policy is set here");
				continue;
			}
			policy = d;
			if (s->positional == POS_ROLES) {
				apply_roles(k, d, &e->policy);
			} else {
				e->policy.access = LVC_ACCESS_PUBLIC;
				if (d->args || d->has_parens)
					lvc_error(c, d->loc, "@public takes no arguments");
			}
			continue;
		}
		/* The kind decorator's arguments. */
		bool have_event = false;
		lvc_symtab seen;
		lvc_symtab_init(&seen);
		for (lvc_arg *a = d->args; a; a = a->next) {
			lvc_str name = a->name;
			const lvc_value *v = a->value;
			if (!name.n && s->positional == POS_EVENT && !have_event) {
				have_event = true;
				apply_event(k, e, d, v);
				continue;
			}
			if (s->positional == POS_EVENT) {
				lvc_error(c, a->loc, "@%s takes one event, nothing more", s->name);
				have_event = true;
				continue;
			}
			if (!name.n && v->kind == LVC_V_IDENT) {
				/* A bare name is a flag: @server.rpc(http). */
				name = v->s;
				v = NULL;
			} else if (!name.n) {
				lvc_error(c, a->loc, "@%s takes %s", s->name,
				          s->positional == POS_EVENT ? "one event" :
				          "named arguments (name: value)");
				continue;
			}
			const arg_spec *as = s->args;
			while (as->name && !lvc_str_eq(name, as->name))
				as++;
			if (!as->name) {
				const char *names = arg_names(c, s->args);
				lvc_error(c, a->loc, "unknown argument '%.*s' for @%s", (int)name.n,
				          name.p, s->name);
				if (names)
					lvc_note(c, d->loc, "@%s takes %s", s->name, names);
				else
					lvc_note(c, d->loc, "@%s takes no named arguments", s->name);
				continue;
			}
			lvc_arg *prev = lvc_symtab_get(&seen, name);
			if (prev) {
				lvc_error(c, a->loc, "argument '%.*s' given twice", (int)name.n, name.p);
				lvc_note(c, prev->loc, "first given here");
				continue;
			}
			lvc_symtab_put(&seen, name, a);
			if (!v && as->kind != ARG_FLAG) {
				lvc_error(c, a->loc, "'%.*s' needs a value: %.*s: VALUE", (int)name.n,
				          name.p, (int)name.n, name.p);
				continue;
			}
			apply_arg(k, e, s, as, a, v);
		}
		lvc_symtab_free(&seen);
		if (s->positional == POS_EVENT && !have_event)
			lvc_error(c, d->loc, "@%s needs an event: @%s(%s) or @%s(\"custom\")",
			          s->name, s->name, e->ekind == LVC_E_SERVER_ON ? "connect" : "ready",
			          s->name);
	}

	/* Access is never implicit: the endpoint or its module says who may call. */
	if (e->kind_deco && lvc_endpoint_is_exposed(e->ekind) && !policy && !unknown) {
		const lvc_policy *mp = lvc_symtab_get(&k->module_policy, e->module->name);
		if (mp) {
			e->policy.access = mp->access;
			e->policy.roles = mp->roles;
			e->policy.nroles = mp->nroles;
		} else {
			lvc_error(c, e->loc, "%s '%.*s' has no access policy; add @auth(\"ROLE\") "
			          "or @public to it or to its module", lvc_endpoint_kind_name(e->ekind),
			          (int)e->name.n, e->name.p);
		}
	}

	if (e->ekind == LVC_E_CLIENT_CALLBACK) {
		lvc_policy *p = &e->policy;
		if (!p->dom_event.n)
			p->dom_event = LVC_STR("click");
		if (!p->group.n)
			p->group = e->name;
		static const char *const models[] = { "serial", "parallel", "receive_serial" };
		lvc_decl *prev = lvc_symtab_get(&k->groups, p->group);
		if (!prev)
			lvc_symtab_put(&k->groups, p->group, e);
		else if (prev->policy.concurrency != p->concurrency) {
			lvc_error(c, e->loc, "group '%.*s' is %s here but %s for '%.*s'",
			          (int)p->group.n, p->group.p, models[p->concurrency],
			          models[prev->policy.concurrency], (int)prev->name.n, prev->name.p);
			lvc_note(c, prev->loc, "'%.*s' is declared here", (int)prev->name.n,
			         prev->name.p);
		}
	}
}

/* ---- endpoints ---------------------------------------------------------------- */

static void
check_endpoint(checker *k, lvc_decl *e)
{
	lvc_ctx *c = k->c;
	check_endpoint_decorators(k, e);
	check_fields(k, e->params, "parameter", true);
	if (e->result)
		resolve_type(k, e->result, true);

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

/* ---- clashes between generated identifiers --------------------------------- */

/* Records the C identifier MODULE_ + prefix + name + suffix for d (NULL:
 * for the module itself); reports a clash and returns false. */
static bool
claim(checker *k, lvc_module *m, const char *suffix_of, lvc_str name, const char *suffix,
      lvc_decl *d)
{
	lvc_ctx *c = k->c;
	size_t a = strlen(suffix_of), b = strlen(suffix);
	char *id = lvc_alloc(&c->arena, m->name.n + 1 + a + name.n + b + 1), *o = id;
	memcpy(o, m->name.p, m->name.n);
	o += m->name.n;
	*o++ = '_';
	memcpy(o, suffix_of, a);
	o += a;
	memcpy(o, name.p, name.n);
	o += name.n;
	memcpy(o, suffix, b + 1);
	lvc_str s = { id, (uint32_t)(o + b - id) };
	lvc_module *owner = lvc_symtab_get(&k->modnames, s);
	lvc_decl *prev = lvc_symtab_get(&k->cnames, s);
	if (!d) {
		if (!owner)
			lvc_symtab_put(&k->modnames, s, m);
		return true;
	}
	if (owner) {
		lvc_error(c, d->loc, "'%.*s' would generate the C name '%s', which module "
		          "'%.*s' keeps for itself", (int)d->name.n, d->name.p, id,
		          (int)owner->name.n, owner->name.p);
		return false;
	}
	if (!prev) {
		lvc_symtab_put(&k->cnames, s, d);
		return true;
	}
	lvc_error(c, d->loc, "'%.*s' would generate the C name '%s', which '%.*s' "
	          "generates too", (int)d->name.n, d->name.p, id, (int)prev->name.n,
	          prev->name.p);
	lvc_note(c, prev->loc, "'%.*s' is declared here", (int)prev->name.n, prev->name.p);
	return false;
}

static void
check_c_names(checker *k)
{
	for (lvc_module *m = k->c->modules; m; m = m->next) {
		if (!m->name.n)
			continue;
		for (const char *const *n = lvc_module_c_names; *n; n++)
			claim(k, m, "", (lvc_str){ *n, (uint32_t)strlen(*n) }, "", NULL);
	}
	for (lvc_module *m = k->c->modules; m; m = m->next) {
		if (!m->name.n)
			continue;
		for (lvc_decl *d = m->decls; d; d = d->next) {
			/* One report per declaration, not one per name it makes. */
			bool ok = true;
			for (const char *const *s = lvc_c_suffixes(d); *s && ok; s++)
				ok = claim(k, m, "", d->name, *s, d);
			if (d->kind == LVC_D_ENUM)
				for (lvc_member *mem = d->members; mem && ok; mem = mem->next) {
					char *pre = lvc_sprintf(&k->c->arena, "%.*s_", (int)d->name.n,
					                        d->name.p);
					ok = claim(k, m, pre, mem->name, "", d);
				}
		}
	}
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
	lvc_decorator *policy = NULL;
	lvc_policy *mp = lvc_alloc(&c->arena, sizeof *mp);
	for (lvc_decorator *d = m->decorators; d; d = d->next) {
		const deco_spec *s = find_deco(d->name);
		if (!s) {
			unknown_deco(k, d);
			policy = d;   /* whatever it meant, do not also say "no policy" */
		} else if (s->kind != LVC_E_NONE) {
			lvc_error(c, d->loc, "@%s belongs on an endpoint; a module takes @auth or "
			          "@public", s->name);
		} else if (policy) {
			lvc_error(c, d->loc, "the module already has an access policy");
			lvc_note(c, policy->loc, "the policy is set here");
		} else {
			policy = d;
			if (s->positional == POS_ROLES) {
				apply_roles(k, d, mp);
			} else {
				mp->access = LVC_ACCESS_PUBLIC;
				if (d->args || d->has_parens)
					lvc_error(c, d->loc, "@public takes no arguments");
			}
		}
	}
	/* A module whose policy is broken has been reported once; its endpoints
	 * take it as given rather than repeating the error. */
	if (policy && m->name.n) {
		if (mp->access == LVC_ACCESS_NONE)
			mp->access = LVC_ACCESS_AUTH;
		lvc_symtab_put(&k->module_policy, m->name, mp);
	}
}

static void
declare(checker *k, lvc_decl *d)
{
	lvc_ctx *c = k->c;
	const char *what = d->kind == LVC_D_STRUCT ? "struct" :
	                   d->kind == LVC_D_ENUM ? "enum" : "endpoint";
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
	else if (d->kind != LVC_D_ENDPOINT && lvc_is_ts_type_name(d->name))
		lvc_error(c, d->loc, "%s name '%.*s' is a type TypeScript already defines",
		          what, (int)d->name.n, d->name.p);
	else if (lvc_str_eq(d->name, "schema") || lvc_str_eq(d->name, "register"))
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

	for (lvc_module *m = c->modules; m; m = m->next) {
		check_module(&k, m);
		for (lvc_decl *d = m->decls; d; d = d->next)
			declare(&k, d);
	}
	for (lvc_module *m = c->modules; m && !c->stop; m = m->next)
		for (lvc_decl *d = m->decls; d && !c->stop; d = d->next) {
			if (d->kind != LVC_D_ENDPOINT && d->decorators)
				lvc_error(c, d->decorators->loc, "%s takes no decorators",
				          d->kind == LVC_D_STRUCT ? "a struct" : "an enum");
			if (d->kind == LVC_D_STRUCT) {
				if (!d->fields)
					lvc_error(c, d->loc, "struct '%.*s' has no fields", (int)d->name.n,
					          d->name.p);
				check_fields(&k, d->fields, "field", false);
			} else if (d->kind == LVC_D_ENUM) {
				check_enum(&k, d);
			} else {
				check_endpoint(&k, d);
			}
		}
	if (!c->stop)
		check_struct_cycles(&k);
	if (!c->stop && c->errors == before)
		check_c_names(&k);

	/* Types nobody uses, in the file being compiled; after errors that is
	 * more likely an echo of them than news. */
	if (c->root && c->errors == before && !c->incomplete)
		for (lvc_decl *d = c->root->decls; d; d = d->next)
			if (d->kind != LVC_D_ENDPOINT && !d->used)
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
	return c->errors == before;
}
