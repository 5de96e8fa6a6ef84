/* decorators.c - the decorators lv knows, their arguments, and the checks that turn an endpoint's or module's decorators into its kind and policy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

/* ---- endpoint kinds and their decorators -------------------------------- */

typedef enum {
	ARG_FLAG, ARG_DURATION, ARG_SIZE, ARG_RATE, ARG_STRING, ARG_CHOICE,
	ARG_STRINGS, ARG_NAME,
	ARG_FLUSH                /* a duration (0ms: at once) or manual */
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
static const char *const scope_choices[] = { "conn", "group", "global", NULL };
static const arg_spec server_state_args[] = {
	{ "scope", ARG_CHOICE, scope_choices }, { "flush", ARG_FLUSH, NULL },
	{ NULL, 0, NULL }
};
static const arg_spec client_state_args[] = {
	{ "flush", ARG_FLUSH, NULL }, { "max", ARG_SIZE, NULL }, { NULL, 0, NULL }
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
	{ "server.state", LVC_E_SERVER_STATE, POS_NONE, server_state_args },
	{ "client.state", LVC_E_CLIENT_STATE, POS_NONE, client_state_args },
	/* No table: model.c reads its arguments. */
	{ "server.model", LVC_E_SERVER_MODEL, POS_NONE, NULL },
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
	case LVC_E_SERVER_STATE: return "server.state";
	case LVC_E_CLIENT_STATE: return "client.state";
	case LVC_E_SERVER_MODEL: return "server.model";
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

/* Something a page can make the server run, or a state a page reads or
 * writes, so it needs an access policy. */
bool
lvc_endpoint_is_exposed(lvc_endpoint_kind k)
{
	return k == LVC_E_SERVER_RPC || k == LVC_E_SERVER_REALTIME ||
	       k == LVC_E_CLIENT_CALLBACK || k == LVC_E_SERVER_STATE ||
	       k == LVC_E_CLIENT_STATE || k == LVC_E_SERVER_MODEL;
}

/* The declaration a kind decorator belongs on. */
static lvc_decl_kind
decl_kind_of(lvc_endpoint_kind k)
{
	return k == LVC_E_SERVER_STATE || k == LVC_E_CLIENT_STATE ? LVC_D_STATE :
	       k == LVC_E_SERVER_MODEL ? LVC_D_BINDING : LVC_D_ENDPOINT;
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


/* ---- decorators --------------------------------------------------------------- */

static const deco_spec *
find_deco(lvc_str name)
{
	for (const deco_spec *s = decorators; s->name; s++)
		if (lvc_str_eq(name, s->name))
			return s;
	return NULL;
}

/* @model and the field decorators, where they do not belong: said as such
 * rather than as unknown. */
static bool
misplaced_model_deco(checker *k, lvc_decorator *d, const char *where)
{
	if (lvc_str_eq(d->name, "model")) {
		lvc_error(k->c, d->loc, "@model belongs on a struct, which it makes a table; "
		          "not on %s", where);
		return true;
	}
	if (lvc_str_eq(d->name, "key") || lvc_str_eq(d->name, "version") ||
	    lvc_str_eq(d->name, "index")) {
		lvc_error(k->c, d->loc, "@%.*s is a field decorator: it goes after the type of a "
		          "field of a @model struct, not on %s", (int)d->name.n, d->name.p, where);
		return true;
	}
	return false;
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
	const char *hint = lvc__closest(d->name, names);
	if (hint)
		lvc_note(k->c, d->loc, "did you mean '@%s'?", hint);
	else
		lvc_note(k->c, d->loc, "the decorators are %s", join_words(k->c, at_names));
}

static bool
non_empty_string(checker *k, const lvc_value *v, const char *what)
{
	if (v->kind != LVC_V_STRING) {
		lvc_error(k->c, v->loc, "%s must be a string, got %s", what, lvc__value_kind_name(v->kind));
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
			          spec->name, examples[a->kind], v ? lvc__value_kind_name(v->kind) : "nothing");
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
		else if (lvc_str_eq(arg->name, "scope"))
			p->scope = lvc_str_eq(v->s, "conn") ? LVC_SCOPE_CONN :
			           lvc_str_eq(v->s, "group") ? LVC_SCOPE_GROUP : LVC_SCOPE_GLOBAL;
		else
			p->concurrency = lvc_str_eq(v->s, "serial") ? 0 :
			                 lvc_str_eq(v->s, "parallel") ? 1 : 2;
		return;
	case ARG_FLUSH:
		if (v && v->kind == LVC_V_IDENT && lvc_str_eq(v->s, "manual")) {
			p->flush_ms = LVC_FLUSH_MANUAL;
			return;
		}
		if (!v || v->kind != LVC_V_DURATION) {
			lvc_error(c, v ? v->loc : arg->loc, "'flush' of @%s takes a duration such as "
			          "200ms (0ms: at once) or manual, got %s", spec->name,
			          v ? lvc__value_kind_name(v->kind) : "nothing");
			return;
		}
		if (v->i < 0) {
			lvc_error(c, v->loc, "'flush' must not be negative");
			return;
		}
		p->flush_ms = v->i;
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
			const char *hint = lvc__closest(v->s, life);
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
void
lvc__check_endpoint_decorators(checker *k, lvc_decl *e)
{
	lvc_ctx *c = k->c;
	lvc_decorator *policy = NULL;
	bool unknown = false;

	/* Unknown decorators first: one of them may be the kind or the policy
	 * misspelt, and then "no kind" or "no policy" would only echo it. */
	const char *where = lvc_sprintf(&c->arena, "%s '%.*s'",
	                                e->kind == LVC_D_ENDPOINT ? "endpoint" :
	                                e->kind == LVC_D_STATE ? "state" : "model binding",
	                                (int)e->name.n, e->name.p);
	for (lvc_decorator *d = e->decorators; d; d = d->next)
		if (!find_deco(d->name)) {
			if (!misplaced_model_deco(k, d, where))
				unknown_deco(k, d);
			unknown = true;
		}

	/* The kind next, so the other decorators can be judged against it. */
	for (lvc_decorator *d = e->decorators; d; d = d->next) {
		const deco_spec *s = find_deco(d->name);
		if (!s || s->kind == LVC_E_NONE)
			continue;
		if (decl_kind_of(s->kind) != e->kind) {
			if (e->kind == LVC_D_BINDING)
				lvc_error(c, d->loc, "'%.*s' is a model binding (it has @server.model), "
				          "so it cannot also be @%s", (int)e->name.n, e->name.p, s->name);
			else if (s->kind == LVC_E_SERVER_MODEL)
				lvc_error(c, d->loc, "@server.model belongs on a binding (NAME: MODEL;), "
				          "not on endpoint '%.*s'", (int)e->name.n, e->name.p);
			else if (e->kind == LVC_D_STATE)
				lvc_error(c, d->loc, "'%.*s' is a state (NAME: TYPE;), so its kind is "
				          "@server.state or @client.state, not @%s", (int)e->name.n,
				          e->name.p, s->name);
			else
				lvc_error(c, d->loc, "@%s belongs on a state (NAME: TYPE;), not on "
				          "endpoint '%.*s'", s->name, (int)e->name.n, e->name.p);
			unknown = true;      /* no "has no kind" after this */
			continue;
		}
		if (e->kind_deco) {
			lvc_error(c, d->loc, "'%.*s' already has a kind", (int)e->name.n, e->name.p);
			lvc_note(c, e->kind_deco->loc, "it is declared %s here",
			         lvc_endpoint_kind_name(e->ekind));
			continue;
		}
		e->kind_deco = d;
		e->ekind = s->kind;
	}
	if (!e->kind_deco && !unknown && e->kind == LVC_D_STATE) {
		lvc_error(c, e->loc, "state '%.*s' has no kind; put @server.state (the server "
		          "owns it) or @client.state (the page owns it) before it",
		          (int)e->name.n, e->name.p);
	} else if (!e->kind_deco && !unknown) {
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
		if (!s->args)
			continue;             /* its own checker's (model.c) */
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


/* A module's decorators: its access policy, which its endpoints take. */
void
lvc__check_module_decorators(checker *k, lvc_module *m)
{
	lvc_ctx *c = k->c;
	lvc_decorator *policy = NULL;
	lvc_policy *mp = lvc_alloc(&c->arena, sizeof *mp);
	for (lvc_decorator *d = m->decorators; d; d = d->next) {
		const deco_spec *s = find_deco(d->name);
		if (!s) {
			if (misplaced_model_deco(k, d, "a module"))
				continue;
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
