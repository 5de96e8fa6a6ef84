/* asyncapi.c - lvc --asyncapi FILE: the contract as an AsyncAPI 3.0.0 document (JSON), as the wire protocol carries it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

/* ---- a small pretty JSON writer ---------------------------------------------- */

typedef struct {
	lvc_ctx *c;
	lvc_tbuf b;
	int depth;
	bool first;              /* nothing written yet in the open container */
	bool after_key;          /* a key was written: the value comes next */
	const lvc_program *p;    /* with every model operation among the endpoints */
	const lvc_program *contract; /* as declared: what the schema hash covers */
	lvc_str *roles;          /* every role named, in order of appearance */
	const char **role_keys;  /* its security scheme's key */
	int nroles;
} aw;

static void
put(aw *w, const char *z)
{
	lvc_tbuf_put(&w->b, z, strlen(z));
}

static void
newline(aw *w)
{
	put(w, "\n");
	for (int i = 0; i < w->depth; i++)
		put(w, "  ");
}

static void
sep(aw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth == 0)
		return;
	if (!w->first)
		put(w, ",");
	newline(w);
	w->first = false;
}

static void
open_(aw *w, const char *ch)
{
	sep(w);
	put(w, ch);
	w->depth++;
	w->first = true;
}

static void
close_(aw *w, const char *ch)
{
	w->depth--;
	if (!w->first)
		newline(w);
	put(w, ch);
	w->first = false;
}

#define OBJ(w) open_(w, "{")
#define END(w) close_(w, "}")
#define ARR(w) open_(w, "[")
#define AEND(w) close_(w, "]")

static void
strn(aw *w, const char *p, size_t n)
{
	sep(w);
	lvc_json_string(&w->b, p, n, false);
}

static void
str(aw *w, const char *z)
{
	strn(w, z, strlen(z));
}

static void
lstr(aw *w, lvc_str s)
{
	strn(w, s.p, s.n);
}

static void
key(aw *w, const char *k)
{
	str(w, k);
	put(w, ": ");
	w->after_key = true;
}

static void
kstr(aw *w, const char *k, const char *v)
{
	key(w, k);
	str(w, v);
}

static void
raw(aw *w, const char *z)
{
	sep(w);
	put(w, z);
}

static void
kraw(aw *w, const char *k, const char *v)
{
	key(w, k);
	raw(w, v);
}

static void
integer(aw *w, long long i)
{
	char num[32];
	snprintf(num, sizeof num, "%lld", i);
	raw(w, num);
}

static void
real(aw *w, double f)
{
	char num[64];
	int n = snprintf(num, sizeof num - 2, "%.17g", f);
	if (!strchr(num, '.') && !strchr(num, 'e') && !strchr(num, 'n') && !strchr(num, 'i'))
		memcpy(num + n, ".0", 3);
	raw(w, num);
}

/* {"$ref": "#/SECTION/NAME"}; names hold no '~' or '/'. */
static void
ref(aw *w, const char *section, const char *name)
{
	OBJ(w);
	kstr(w, "$ref", lvc_sprintf(&w->c->arena, "#/%s/%s", section, name));
	END(w);
}

/* ---- docs ---------------------------------------------------------------------- */

/* The first sentence of a doc comment, on one line: the summary. */
static char *
summary_of(aw *w, const lvc_doc *d)
{
	const char *t = d->text;
	size_t n = 0;
	while (t[n] && !(t[n] == '.' && (t[n + 1] == ' ' || t[n + 1] == '\n' || !t[n + 1])) &&
	       !(t[n] == '\n' && t[n + 1] == '\n'))
		n++;
	if (t[n] == '.')
		n++;
	char *s = lvc_strndup(&w->c->arena, t, n);
	for (char *q = s; *q; q++)
		if (*q == '\n')
			*q = ' ';
	return s;
}

/* "summary" (the first sentence) and "description" (all of it). */
static void
docs(aw *w, const lvc_doc *d, bool with_summary)
{
	if (!d || !d->text[0])
		return;
	if (with_summary)
		kstr(w, "summary", summary_of(w, d));
	kstr(w, "description", d->text);
}

/* ---- types as JSON Schema ------------------------------------------------------------ */

static void type_schema(aw *w, const lvc_type *t);

static void
value(aw *w, const lvc_value *v)
{
	switch (v->kind) {
	case LVC_V_INT: integer(w, (long long)v->i); break;
	case LVC_V_FLOAT: real(w, v->f); break;
	case LVC_V_BOOL: raw(w, v->i ? "true" : "false"); break;
	case LVC_V_STRING: case LVC_V_IDENT: lstr(w, v->s); break;
	case LVC_V_MAP: OBJ(w); END(w); break;
	case LVC_V_LIST:
		ARR(w);
		for (const lvc_value *i = v->items; i; i = i->next)
			value(w, i);
		AEND(w);
		break;
	default: raw(w, "null");
	}
}

/* The keys of t's schema, inside an object already open. */
static void
type_body(aw *w, const lvc_type *t)
{
	switch (t->kind) {
	case LVC_T_BOOL: kstr(w, "type", "boolean"); break;
	case LVC_T_INT:
		kstr(w, "type", "integer");
		kraw(w, "minimum", "-9223372036854775808");
		kraw(w, "maximum", "9223372036854775807");
		break;
	case LVC_T_FLOAT: kstr(w, "type", "number"); break;
	case LVC_T_STRING: kstr(w, "type", "string"); break;
	case LVC_T_BYTES:
		kstr(w, "type", "string");
		kstr(w, "contentEncoding", "base64");
		break;
	case LVC_T_VOID: kstr(w, "type", "null"); break;
	case LVC_T_LIST:
		kstr(w, "type", "array");
		key(w, "items");
		type_schema(w, t->elem);
		break;
	case LVC_T_MAP:
		kstr(w, "type", "object");
		key(w, "additionalProperties");
		type_schema(w, t->elem);
		break;
	case LVC_T_OPTIONAL:
		/* T?: the value, or null (which the decoders take for absent). */
		key(w, "anyOf");
		ARR(w);
		type_schema(w, t->elem);
		OBJ(w);
		kstr(w, "type", "null");
		END(w);
		AEND(w);
		break;
	case LVC_T_NAMED: {
		char *name = lvc_strndup(&w->c->arena, t->ref->name.p, t->ref->name.n);
		key(w, "allOf");
		ARR(w);
		ref(w, "components/schemas", name);
		AEND(w);
		break;
	}
	default: break;   /* json: anything */
	}
}

static void
type_schema(aw *w, const lvc_type *t)
{
	if (t->kind == LVC_T_NAMED) {
		ref(w, "components/schemas",
		    lvc_strndup(&w->c->arena, t->ref->name.p, t->ref->name.n));
		return;
	}
	OBJ(w);
	type_body(w, t);
	END(w);
}

/* Fields or parameters: an object of named values. Required: those that
 * are neither optional nor defaulted; an unknown name is refused, as the
 * decoders do. */
static void
fields_schema(aw *w, const lvc_field *fl, const lvc_doc *doc)
{
	OBJ(w);
	kstr(w, "type", "object");
	docs(w, doc, false);
	if (fl) {
		key(w, "properties");
		OBJ(w);
		for (const lvc_field *f = fl; f; f = f->next) {
			char *name = lvc_strndup(&w->c->arena, f->name.p, f->name.n);
			key(w, name);
			bool extra = (f->doc && f->doc->text[0]) || f->def;
			if (!extra) {
				type_schema(w, f->type);
				continue;
			}
			OBJ(w);
			type_body(w, f->type);   /* a struct or enum as allOf: keys beside a $ref are ignored */
			if (f->doc && f->doc->text[0])
				kstr(w, "description", f->doc->text);
			if (f->def) {
				key(w, "default");
				value(w, f->def);
			}
			END(w);
		}
		END(w);
		bool any = false;
		for (const lvc_field *f = fl; f; f = f->next)
			if (f->type->kind != LVC_T_OPTIONAL && !f->def) {
				if (!any) {
					key(w, "required");
					ARR(w);
					any = true;
				}
				lstr(w, f->name);
			}
		if (any)
			AEND(w);
	}
	kraw(w, "additionalProperties", "false");
	END(w);
}

static void
decl_schema(aw *w, const lvc_decl *d)
{
	if (d->kind == LVC_D_STRUCT) {
		fields_schema(w, d->fields, d->doc);
		return;
	}
	OBJ(w);
	kstr(w, "type", "string");
	/* The members' docs go into the description, one line each. */
	lvc_tbuf t = { 0 };
	if (d->doc && d->doc->text[0])
		lvc_tbuf_put(&t, d->doc->text, strlen(d->doc->text));
	for (const lvc_member *m = d->members; m; m = m->next)
		if (m->doc && m->doc->text[0]) {
			if (t.len)
				lvc_tbuf_put(&t, "\n", 1);
			lvc_tbuf_put(&t, "- `", 3);
			lvc_tbuf_put(&t, m->name.p, m->name.n);
			lvc_tbuf_put(&t, "`: ", 3);
			for (const char *q = m->doc->text; *q; q++)
				lvc_tbuf_put(&t, *q == '\n' ? " " : q, 1);
		}
	if (t.len) {
		key(w, "description");
		strn(w, t.data, t.len);
	}
	free(t.data);
	key(w, "enum");
	ARR(w);
	for (const lvc_member *m = d->members; m; m = m->next)
		lstr(w, m->name);
	AEND(w);
	END(w);
}

/* ---- the envelope ---------------------------------------------------------------- */

static void
const_prop(aw *w, const char *k, const char *v)
{
	key(w, k);
	OBJ(w);
	kstr(w, "const", v);
	END(w);
}

static void
const_lprop(aw *w, const char *k, lvc_str v)
{
	key(w, k);
	OBJ(w);
	key(w, "const");
	lstr(w, v);
	END(w);
}

static void
counter_prop(aw *w, const char *k, const char *desc)
{
	key(w, k);
	OBJ(w);
	kstr(w, "type", "integer");
	kraw(w, "minimum", "1");
	kstr(w, "description", desc);
	END(w);
}

static const char seq_desc[] =
	"The message's number in its session and direction (docs/protocol.md, sessions).";

static void
required(aw *w, const char *const *names)
{
	key(w, "required");
	ARR(w);
	for (; *names; names++)
		str(w, *names);
	AEND(w);
}

/* {"t":T,"fn":NAME (or "name":EVENT),"id":N,"args":{...},"seq":N}: a
 * message that carries arguments. */
static void
args_payload(aw *w, const lvc_decl *d, const char *t, bool with_id, bool with_seq)
{
	OBJ(w);
	kstr(w, "type", "object");
	key(w, "properties");
	OBJ(w);
	const_prop(w, "t", t);
	bool event = d->ekind == LVC_E_CLIENT_ON;
	if (with_id)
		counter_prop(w, "id", d->ekind == LVC_E_CLIENT_RPC ?
		             "The server's id for the call, echoed by the answer." :
		             "The page's id for the call, unique among its calls in flight; "
		             "echoed by the answer.");
	if (event)
		const_lprop(w, "name", d->policy.event);
	else
		const_lprop(w, "fn", d->name);
	key(w, "args");
	fields_schema(w, d->params, NULL);
	if (with_seq)
		counter_prop(w, "seq", seq_desc);
	END(w);
	const char *req[6] = { "t", event ? "name" : "fn" };
	int n = 2;
	if (with_id)
		req[n++] = "id";
	if (with_seq)
		req[n++] = "seq";
	req[n] = NULL;
	required(w, req);
	END(w);
}

/* The answer to a call: {"t":T,"id":N,"ok":true,"value":V} or
 * {"t":T,"id":N,"ok":false,"error":{...}}. */
static void
answer_payload(aw *w, const lvc_type *result, const char *t, bool cmds, bool envelope)
{
	OBJ(w);
	key(w, "oneOf");
	ARR(w);
	for (int ok = 1; ok >= 0; ok--) {
		OBJ(w);
		kstr(w, "type", "object");
		key(w, "properties");
		OBJ(w);
		if (envelope) {
			const_prop(w, "t", t);
			counter_prop(w, "id", "The id of the call this answers.");
		}
		key(w, "ok");
		OBJ(w);
		kraw(w, "const", ok ? "true" : "false");
		END(w);
		if (ok) {
			key(w, "value");
			if (result)
				type_schema(w, result);
			else {
				OBJ(w);
				kstr(w, "type", "null");
				END(w);
			}
		} else {
			key(w, "error");
			ref(w, "components/schemas", "lv.Error");
		}
		if (cmds) {
			key(w, "cmds");
			ref(w, "components/schemas", "lv.Commands");
		}
		if (envelope)
			counter_prop(w, "seq", seq_desc);
		END(w);
		const char *req[] = { "t", "id", "ok", ok ? "value" : "error", "seq", NULL };
		required(w, envelope ? req : req + 2);
		END(w);
	}
	AEND(w);
	END(w);
}

/* ---- messages and operations ------------------------------------------------------ */

static const char *
ename(aw *w, const lvc_decl *d)
{
	return lvc_strndup(&w->c->arena, d->name.p, d->name.n);
}

static const char *
mkey(aw *w, const lvc_decl *d, const char *suffix)
{
	return lvc_sprintf(&w->c->arena, "%.*s.%s", (int)d->name.n, d->name.p, suffix);
}

/* On the socket: a page calls (server.rpc, client.callback), sends
 * (server.realtime), or the server pushes, raises an event, calls a page. */
static bool
on_socket(const lvc_decl *d)
{
	switch (d->ekind) {
	case LVC_E_SERVER_RPC: case LVC_E_SERVER_REALTIME: case LVC_E_CLIENT_RPC:
	case LVC_E_CLIENT_REALTIME: case LVC_E_CLIENT_CALLBACK:
		return true;
	case LVC_E_CLIENT_ON:
		return !d->policy.lifecycle;
	default:
		return false;
	}
}

/* The messages of endpoint d: [0] what starts it, [1] the answer. */
static void
message_keys(aw *w, const lvc_decl *d, const char *k[2])
{
	k[0] = k[1] = NULL;
	if (!on_socket(d))
		return;
	switch (d->ekind) {
	case LVC_E_SERVER_RPC: case LVC_E_CLIENT_CALLBACK:
		k[0] = mkey(w, d, "call");
		k[1] = mkey(w, d, "ret");
		break;
	case LVC_E_SERVER_REALTIME: k[0] = mkey(w, d, "send"); break;
	case LVC_E_CLIENT_REALTIME: k[0] = mkey(w, d, "push"); break;
	case LVC_E_CLIENT_ON: k[0] = mkey(w, d, "event"); break;
	case LVC_E_CLIENT_RPC:
		k[0] = mkey(w, d, "ccall");
		k[1] = mkey(w, d, "cret");
		break;
	default: k[0] = NULL;
	}
}

static void
correlation(aw *w)
{
	key(w, "correlationId");
	OBJ(w);
	kstr(w, "description", "A call and its answer carry the same id.");
	kstr(w, "location", "$message.payload#/id");
	END(w);
}

static void
message_head(aw *w, const char *k, const char *title, const char *summary)
{
	key(w, k);
	OBJ(w);
	kstr(w, "name", k);
	kstr(w, "title", title);
	kstr(w, "summary", summary);
	kstr(w, "contentType", "application/json");
}

static void
messages_of(aw *w, const lvc_decl *d)
{
	const char *k[2];
	message_keys(w, d, k);
	if (!k[0])
		return;
	const char *n = ename(w, d);
	bool vol = d->policy.volatile_delivery;
	switch (d->ekind) {
	case LVC_E_SERVER_RPC: case LVC_E_CLIENT_CALLBACK:
		message_head(w, k[0], lvc_sprintf(&w->c->arena, "%s: call", n),
		             d->ekind == LVC_E_SERVER_RPC ?
		             lvc_sprintf(&w->c->arena, "A page calls %s.", n) :
		             lvc_sprintf(&w->c->arena, "A DOM event in a page calls %s.", n));
		key(w, "payload");
		args_payload(w, d, "call", true, true);
		correlation(w);
		END(w);
		message_head(w, k[1], lvc_sprintf(&w->c->arena, "%s: ret", n),
		             lvc_sprintf(&w->c->arena, "The server's answer to a call of %s; "
		                         "its commands run before the call settles.", n));
		key(w, "payload");
		answer_payload(w, d->ekind == LVC_E_SERVER_RPC ? d->result : NULL, "ret", true, true);
		correlation(w);
		END(w);
		break;
	case LVC_E_SERVER_REALTIME:
		message_head(w, k[0], lvc_sprintf(&w->c->arena, "%s: send", n),
		             lvc_sprintf(&w->c->arena, "A page sends %s; no answer when it succeeds.", n));
		key(w, "payload");
		args_payload(w, d, "send", false, !vol);
		END(w);
		break;
	case LVC_E_CLIENT_REALTIME:
		message_head(w, k[0], lvc_sprintf(&w->c->arena, "%s: push", n),
		             lvc_sprintf(&w->c->arena, "The server pushes %s to a page, a group "
		                         "or every page.", n));
		key(w, "payload");
		args_payload(w, d, "push", false, !vol);
		END(w);
		break;
	case LVC_E_CLIENT_ON:
		message_head(w, k[0], lvc_sprintf(&w->c->arena, "%s: event", n),
		             lvc_sprintf(&w->c->arena, "The server raises the page event '%.*s'.",
		                         (int)d->policy.event.n, d->policy.event.p));
		key(w, "payload");
		args_payload(w, d, "event", false, true);
		END(w);
		break;
	case LVC_E_CLIENT_RPC:
		message_head(w, k[0], lvc_sprintf(&w->c->arena, "%s: ccall", n),
		             lvc_sprintf(&w->c->arena, "The server calls %s in one page.", n));
		key(w, "payload");
		args_payload(w, d, "ccall", true, true);
		correlation(w);
		END(w);
		message_head(w, k[1], lvc_sprintf(&w->c->arena, "%s: cret", n),
		             lvc_sprintf(&w->c->arena, "The page's answer to a call of %s.", n));
		key(w, "payload");
		answer_payload(w, d->result, "cret", false, true);
		correlation(w);
		END(w);
		break;
	default: break;
	}
}

static void
http_messages_of(aw *w, const lvc_decl *d)
{
	const char *n = ename(w, d);
	message_head(w, mkey(w, d, "http.request"), lvc_sprintf(&w->c->arena, "POST /lv/rpc/%s", n),
	             lvc_sprintf(&w->c->arena, "The arguments of %s, as the body of an HTTP POST.", n));
	key(w, "payload");
	fields_schema(w, d->params, NULL);
	key(w, "bindings");
	OBJ(w);
	key(w, "http");
	OBJ(w);
	key(w, "headers");
	OBJ(w);
	kstr(w, "type", "object");
	key(w, "properties");
	OBJ(w);
	key(w, "Content-Type");
	OBJ(w);
	kstr(w, "type", "string");
	kstr(w, "description", "application/json (parameters allowed); anything else is "
	     "answered 415.");
	END(w);
	END(w);
	required(w, (const char *const[]){ "Content-Type", NULL });
	END(w);
	kstr(w, "bindingVersion", "0.3.0");
	END(w);
	END(w);
	END(w);
	message_head(w, mkey(w, d, "http.response"),
	             lvc_sprintf(&w->c->arena, "POST /lv/rpc/%s: the answer", n),
	             "200 with ok:true, or the error's HTTP status (docs/protocol.md, error "
	             "codes) with ok:false.");
	key(w, "payload");
	answer_payload(w, d->result, NULL, false, false);
	END(w);
}

/* The role's security scheme key: role.NAME, NAME reduced to the
 * characters a component key may hold; "*" is "authenticated". */
static const char *
role_key(aw *w, lvc_str role)
{
	for (int i = 0; i < w->nroles; i++)
		if (lvc_str_same(w->roles[i], role))
			return w->role_keys[i];
	return NULL;
}

/* Endpoints first, then states: the i-th declaration with a policy. */
static const lvc_decl *
with_policy(aw *w, int i)
{
	return i < w->p->nendpoints ? w->p->endpoints[i] : w->p->states[i - w->p->nendpoints];
}

static void
collect_roles(aw *w)
{
	int cap = 0, n = w->p->nendpoints + w->p->nstates;
	for (int i = 0; i < n; i++)
		cap += with_policy(w, i)->policy.nroles;
	w->roles = lvc_alloc(&w->c->arena, sizeof *w->roles * (size_t)(cap + 1));
	w->role_keys = lvc_alloc(&w->c->arena, sizeof *w->role_keys * (size_t)(cap + 1));
	for (int i = 0; i < n; i++) {
		const lvc_policy *pol = &with_policy(w, i)->policy;
		if (pol->access != LVC_ACCESS_AUTH)
			continue;
		for (int r = 0; r < pol->nroles; r++) {
			lvc_str role = pol->roles[r];
			if (role_key(w, role))
				continue;
			char *k;
			if (lvc_str_eq(role, "*")) {
				k = lvc_sprintf(&w->c->arena, "authenticated");
			} else {
				k = lvc_sprintf(&w->c->arena, "role.%.*s", (int)role.n, role.p);
				for (char *q = k + 5; *q; q++)
					if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
					      (*q >= '0' && *q <= '9') || *q == '_' || *q == '.' || *q == '-'))
						*q = '_';
			}
			for (int j = 0; j < w->nroles; j++)
				if (strcmp(w->role_keys[j], k) == 0) {
					k = lvc_sprintf(&w->c->arena, "%s.%d", k, w->nroles);
					break;
				}
			w->roles[w->nroles] = role;
			w->role_keys[w->nroles++] = k;
		}
	}
}

static void
security(aw *w, const lvc_decl *d)
{
	const lvc_policy *pol = &d->policy;
	if (!lvc_endpoint_is_exposed(d->ekind))
		return;
	if (pol->access != LVC_ACCESS_AUTH) {
		kraw(w, "x-lv-public", "true");
		return;
	}
	/* Any one of the schemes admits the caller: any one of the roles. */
	key(w, "security");
	ARR(w);
	for (int r = 0; r < pol->nroles; r++)
		ref(w, "components/securitySchemes", role_key(w, pol->roles[r]));
	AEND(w);
	key(w, "x-lv-roles");
	ARR(w);
	for (int r = 0; r < pol->nroles; r++)
		lstr(w, pol->roles[r]);
	AEND(w);
}

/* What the runtime enforces beyond the types, as lvc --dump-ast shows it. */
static void
policy(aw *w, const lvc_decl *d)
{
	static const char *const models[] = { "serial", "parallel", "receive_serial" };
	const lvc_policy *pol = &d->policy;
	bool any = pol->timeout_ms || pol->volatile_delivery || pol->max_bytes ||
	           pol->rate_count || pol->http || d->ekind == LVC_E_CLIENT_CALLBACK;
	if (!any)
		return;
	key(w, "x-lv-policy");
	OBJ(w);
	if (pol->http)
		kraw(w, "http", "true");
	if (pol->timeout_ms) {
		key(w, "timeout_ms");
		integer(w, (long long)pol->timeout_ms);
	}
	if (pol->volatile_delivery)
		kstr(w, "delivery", "volatile");
	if (pol->max_bytes) {
		key(w, "max_bytes");
		integer(w, (long long)pol->max_bytes);
	}
	if (pol->rate_count) {
		key(w, "rate");
		OBJ(w);
		key(w, "count");
		integer(w, (long long)pol->rate_count);
		key(w, "per_ms");
		integer(w, (long long)pol->rate_per_ms);
		END(w);
	}
	if (d->ekind == LVC_E_CLIENT_CALLBACK) {
		key(w, "dom_event");
		lstr(w, pol->dom_event);
		key(w, "group");
		lstr(w, pol->group);
		kstr(w, "concurrency", models[pol->concurrency]);
		if (pol->nblocks) {
			key(w, "blocks");
			ARR(w);
			for (int k = 0; k < pol->nblocks; k++)
				lstr(w, pol->blocks[k]);
			AEND(w);
		}
		if (pol->debounce_ms) {
			key(w, "debounce_ms");
			integer(w, (long long)pol->debounce_ms);
		}
		if (pol->confirm.n) {
			key(w, "confirm");
			lstr(w, pol->confirm);
		}
	}
	END(w);
}

static void
op_messages(aw *w, const char *channel, const char *k)
{
	key(w, "messages");
	ARR(w);
	ref(w, channel, k);
	AEND(w);
}

static void
operation(aw *w, const lvc_decl *d)
{
	const char *k[2];
	message_keys(w, d, k);
	/* The document describes the server: it receives what a page sends. */
	bool receive = d->ekind == LVC_E_SERVER_RPC || d->ekind == LVC_E_SERVER_REALTIME ||
	               d->ekind == LVC_E_CLIENT_CALLBACK;
	key(w, ename(w, d));
	OBJ(w);
	kstr(w, "action", receive ? "receive" : "send");
	key(w, "channel");
	ref(w, "channels", "socket");
	kstr(w, "title", lvc_sprintf(&w->c->arena, "%s (%s)", ename(w, d),
	                             lvc_endpoint_kind_name(d->ekind)));
	docs(w, d->doc, true);
	op_messages(w, "channels/socket/messages", k[0]);
	if (k[1]) {
		key(w, "reply");
		OBJ(w);
		key(w, "channel");
		ref(w, "channels", "socket");
		op_messages(w, "channels/socket/messages", k[1]);
		END(w);
	}
	security(w, d);
	kstr(w, "x-lv-kind", lvc_endpoint_kind_name(d->ekind));
	policy(w, d);
	END(w);
}

static void
http_operation(aw *w, const lvc_decl *d)
{
	const char *chan = lvc_sprintf(&w->c->arena, "channels/%s", mkey(w, d, "http"));
	key(w, mkey(w, d, "http"));
	OBJ(w);
	kstr(w, "action", "receive");
	key(w, "channel");
	ref(w, "channels", mkey(w, d, "http"));
	kstr(w, "title", lvc_sprintf(&w->c->arena, "%s (server.rpc over HTTP)", ename(w, d)));
	docs(w, d->doc, true);
	op_messages(w, lvc_sprintf(&w->c->arena, "%s/messages", chan), mkey(w, d, "http.request"));
	key(w, "reply");
	OBJ(w);
	key(w, "channel");
	ref(w, "channels", mkey(w, d, "http"));
	op_messages(w, lvc_sprintf(&w->c->arena, "%s/messages", chan), mkey(w, d, "http.response"));
	END(w);
	key(w, "bindings");
	OBJ(w);
	key(w, "http");
	OBJ(w);
	kstr(w, "method", "POST");
	kstr(w, "bindingVersion", "0.3.0");
	END(w);
	END(w);
	security(w, d);
	kstr(w, "x-lv-kind", lvc_endpoint_kind_name(d->ekind));
	END(w);
}

/* ---- states ---------------------------------------------------------------------------- */

static const char *const scope_names[] = { "conn", "group", "global" };

static bool
is_server_state(const lvc_decl *d)
{
	return d->ekind == LVC_E_SERVER_STATE;
}

/* A server state of group scope: its messages name the group. */
static bool
by_group(const lvc_decl *d)
{
	return is_server_state(d) && d->policy.scope == LVC_SCOPE_GROUP;
}

static const char *
flush_text(aw *w, const lvc_decl *d)
{
	if (d->policy.flush_ms == LVC_FLUSH_MANUAL)
		return "manual";
	return lvc_sprintf(&w->c->arena, "%lldms", (long long)d->policy.flush_ms);
}

/* When gathered changes leave, in words. */
static const char *
flush_words(aw *w, const lvc_decl *d)
{
	if (d->policy.flush_ms == LVC_FLUSH_MANUAL)
		return is_server_state(d) ? "flush: manual, when the server program flushes it" :
		                            "flush: manual, when the page flushes it";
	if (d->policy.flush_ms == 0)
		return "flush: 0ms, at once";
	return lvc_sprintf(&w->c->arena, "flush: %s, sent that long after the first change",
	                   flush_text(w, d));
}

static const char *
scope_words(const lvc_decl *d)
{
	switch (d->policy.scope) {
	case LVC_SCOPE_GROUP: return "scope: group, one copy per group, seen by its members";
	case LVC_SCOPE_GLOBAL: return "scope: global, one copy, seen by every page";
	default: return "scope: conn, one copy per connection";
	}
}

/* The messages of state d: a server state's snapshot, patch, the page's
 * state_sync and, by group, the end of a page's copy; a client state's
 * patch and the server's snapshot. */
enum { NSTATE_MSGS = 4 };

static void
state_message_keys(aw *w, const lvc_decl *d, const char *k[NSTATE_MSGS])
{
	k[0] = mkey(w, d, "snapshot");
	k[1] = mkey(w, d, "patch");
	k[2] = is_server_state(d) ? mkey(w, d, "sync") : NULL;
	k[3] = by_group(d) ? mkey(w, d, "left") : NULL;
}

static void
group_prop(aw *w)
{
	key(w, "group");
	OBJ(w);
	kstr(w, "type", "string");
	kstr(w, "description", "The group whose copy this is.");
	END(w);
}

static void
rev_prop(aw *w, long long min, const char *desc)
{
	key(w, "rev");
	OBJ(w);
	kstr(w, "type", "integer");
	key(w, "minimum");
	integer(w, min);
	kstr(w, "description", desc);
	END(w);
}

static void
patch_ops(aw *w, bool from_page)
{
	OBJ(w);
	kstr(w, "type", "array");
	if (from_page)
		kraw(w, "minItems", "1");
	key(w, "items");
	ref(w, "components/schemas", "lv.PatchOperation");
	END(w);
}

/* {"t":"state","name":NAME,"group":G,"rev":N,"ops":[...],"seq":N}: the
 * whole value as one replace (a snapshot), the changes (a patch), or
 * (left) null. */
enum { SNAPSHOT, PATCH, LEFT };

static void
state_payload(aw *w, const lvc_decl *d, int what)
{
	bool snapshot = what == SNAPSHOT;
	bool server = is_server_state(d), group = by_group(d);
	OBJ(w);
	kstr(w, "type", "object");
	key(w, "properties");
	OBJ(w);
	const_prop(w, "t", "state");
	const_lprop(w, "name", d->name);
	if (group)
		group_prop(w);
	if (what == LEFT)
		rev_prop(w, 0, "The copy's revision.");
	else if (snapshot)
		rev_prop(w, 0, server ? "The copy's revision (its flushes so far); the page's copy "
		         "takes it." : "The revision of the server's copy (the changes it took); the "
		         "page takes it.");
	else
		rev_prop(w, 1, server ? "One more than the page's revision: a patch that does not "
		         "follow it, or does not apply, makes the page ask for a snapshot." :
		         "The page's count of its changes, from 1: one more than the last.");
	key(w, "ops");
	if (snapshot) {
		OBJ(w);
		kstr(w, "type", "array");
		kstr(w, "description", "One replace of the whole value.");
		kraw(w, "minItems", "1");
		kraw(w, "maxItems", "1");
		key(w, "items");
		OBJ(w);
		kstr(w, "type", "object");
		key(w, "properties");
		OBJ(w);
		const_prop(w, "op", "replace");
		const_prop(w, "path", "");
		key(w, "value");
		type_schema(w, d->result);
		END(w);
		required(w, (const char *const[]){ "op", "path", "value", NULL });
		END(w);
		END(w);
	} else if (what == LEFT) {
		OBJ(w);
		kstr(w, "type", "null");
		kstr(w, "description", "The page left the group: its copy is gone.");
		END(w);
	} else {
		patch_ops(w, !server);
	}
	counter_prop(w, "seq", seq_desc);
	END(w);
	const char *req[7] = { "t", "name" };
	int r = 2;
	if (group)
		req[r++] = "group";
	req[r++] = "rev";
	req[r++] = "ops";
	req[r++] = "seq";
	req[r] = NULL;
	required(w, req);
	END(w);
}

/* {"t":"state_sync","name":NAME,"group":G}: the page asks for a snapshot. */
static void
sync_payload(aw *w, const lvc_decl *d)
{
	OBJ(w);
	kstr(w, "type", "object");
	key(w, "properties");
	OBJ(w);
	const_prop(w, "t", "state_sync");
	const_lprop(w, "name", d->name);
	if (by_group(d))
		group_prop(w);
	END(w);
	const char *req[] = { "t", "name", by_group(d) ? "group" : NULL, NULL };
	required(w, req);
	END(w);
}

static void
state_messages_of(aw *w, const lvc_decl *d)
{
	const char *k[NSTATE_MSGS];
	state_message_keys(w, d, k);
	const char *n = ename(w, d);
	lvc_arena *a = &w->c->arena;
	if (is_server_state(d)) {
		message_head(w, k[0], lvc_sprintf(a, "%s: snapshot", n),
		             lvc_sprintf(a, "The whole value of %s (%s): the first message of a "
		                         "page's copy, and the answer to state_sync.", n, scope_words(d)));
		key(w, "payload");
		state_payload(w, d, SNAPSHOT);
		END(w);
		message_head(w, k[1], lvc_sprintf(a, "%s: patch", n),
		             lvc_sprintf(a, "The changes to %s since its last flush (%s), as RFC 6902 "
		                         "operations.", n, flush_words(w, d)));
		key(w, "payload");
		state_payload(w, d, PATCH);
		END(w);
		if (k[3]) {
			message_head(w, k[3], lvc_sprintf(a, "%s: left", n),
			             lvc_sprintf(a, "The page left the group: its copy of %s is gone "
			                         "(ops is null).", n));
			key(w, "payload");
			state_payload(w, d, LEFT);
			END(w);
		}
		message_head(w, k[2], lvc_sprintf(a, "%s: state_sync", n),
		             lvc_sprintf(a, "The page's copy of %s is out of step (a patch that does "
		                         "not apply, a revision skipped): it asks for a snapshot.", n));
		key(w, "payload");
		sync_payload(w, d);
		END(w);
		return;
	}
	message_head(w, k[1], lvc_sprintf(a, "%s: patch", n),
	             lvc_sprintf(a, "The page's changes to %s, gathered for its flush (%s), as RFC "
	                         "6902 operations.", n, flush_words(w, d)));
	kstr(w, "description", d->policy.max_bytes ?
	     lvc_sprintf(a, "The server takes a change of at most %lld bytes (max). One that is "
	                 "larger, does not follow the last, does not apply, or leaves a value not "
	                 "of the state's type is refused: lv.error, then %s.",
	                 (long long)d->policy.max_bytes, k[0]) :
	     lvc_sprintf(a, "The server takes a change of at most its max_message (no max is "
	                 "declared). One that is larger, does not follow the last, does not apply, "
	                 "or leaves a value not of the state's type is refused: lv.error, then %s.",
	                 k[0]));
	key(w, "payload");
	state_payload(w, d, PATCH);
	END(w);
	message_head(w, k[0], lvc_sprintf(a, "%s: snapshot", n),
	             lvc_sprintf(a, "The server's copy of %s, after it refused a change; the page "
	                         "takes it.", n));
	key(w, "payload");
	state_payload(w, d, SNAPSHOT);
	END(w);
}

/* What the runtime keeps of the declaration: its owner, scope, flush, max. */
static void
state_ext(aw *w, const lvc_decl *d)
{
	key(w, "x-lv-state");
	OBJ(w);
	kstr(w, "owner", is_server_state(d) ? "server" : "page");
	if (is_server_state(d))
		kstr(w, "scope", scope_names[d->policy.scope]);
	kstr(w, "flush", flush_text(w, d));
	if (!is_server_state(d) && d->policy.max_bytes) {
		key(w, "max_bytes");
		integer(w, (long long)d->policy.max_bytes);
	}
	kstr(w, "type", lvc_type_str(w->c, d->result));
	END(w);
}

static void
state_op_head(aw *w, const char *id, const char *action, const char *title)
{
	key(w, id);
	OBJ(w);
	kstr(w, "action", action);
	key(w, "channel");
	ref(w, "channels", "socket");
	kstr(w, "title", title);
}

static void
state_operations(aw *w, const lvc_decl *d)
{
	const char *k[NSTATE_MSGS];
	state_message_keys(w, d, k);
	const char *n = ename(w, d), *kind = lvc_endpoint_kind_name(d->ekind);
	lvc_arena *a = &w->c->arena;
	bool server = is_server_state(d);
	/* The server sends its states' snapshots and patches; it receives the
	 * page's patches of a client state. */
	state_op_head(w, n, server ? "send" : "receive", lvc_sprintf(a, "%s (%s)", n, kind));
	docs(w, d->doc, true);
	key(w, "messages");
	ARR(w);
	if (server)
		ref(w, "channels/socket/messages", k[0]);
	ref(w, "channels/socket/messages", k[1]);
	if (k[3])
		ref(w, "channels/socket/messages", k[3]);
	AEND(w);
	security(w, d);
	kstr(w, "x-lv-kind", kind);
	state_ext(w, d);
	END(w);
	if (server) {
		state_op_head(w, mkey(w, d, "sync"), "receive",
		              lvc_sprintf(a, "%s.sync (state_sync)", n));
		kstr(w, "summary", lvc_sprintf(a, "A page asks for a snapshot of %s.", n));
		op_messages(w, "channels/socket/messages", k[2]);
		key(w, "reply");
		OBJ(w);
		key(w, "channel");
		ref(w, "channels", "socket");
		op_messages(w, "channels/socket/messages", k[0]);
		END(w);
	} else {
		state_op_head(w, mkey(w, d, "resync"), "send",
		              lvc_sprintf(a, "%s.resync (%s)", n, kind));
		kstr(w, "summary", lvc_sprintf(a, "The server's copy of %s, after it refused a "
		                               "change from the page.", n));
		op_messages(w, "channels/socket/messages", k[0]);
	}
	security(w, d);
	kstr(w, "x-lv-kind", kind);
	END(w);
}

/* ---- the document -------------------------------------------------------------------- */

static const char *const error_codes[] = {
	"invalid_argument", "not_found", "unauthenticated", "permission_denied",
	"resource_exhausted", "deadline_exceeded", "unavailable", "internal",
	"upgrade_required", NULL
};

static void
lv_schemas(aw *w)
{
	key(w, "lv.Error");
	OBJ(w);
	kstr(w, "type", "object");
	kstr(w, "description", "Why a call failed (docs/protocol.md, error codes).");
	key(w, "properties");
	OBJ(w);
	key(w, "code");
	OBJ(w);
	kstr(w, "type", "string");
	key(w, "enum");
	ARR(w);
	for (const char *const *e = error_codes; *e; e++)
		str(w, *e);
	AEND(w);
	END(w);
	key(w, "message");
	OBJ(w);
	kstr(w, "type", "string");
	kstr(w, "description", "What went wrong; starts with the endpoint's name.");
	END(w);
	key(w, "path");
	OBJ(w);
	kstr(w, "type", "string");
	kstr(w, "description", "The argument at fault, for invalid_argument.");
	END(w);
	END(w);
	required(w, (const char *const[]){ "code", "message", NULL });
	END(w);

	key(w, "lv.Commands");
	OBJ(w);
	kstr(w, "type", "array");
	kstr(w, "description", "Client commands, run by the page in order: each "
	     "[NAME, ARG..., {KWARGS}] (docs/protocol.md, commands).");
	key(w, "items");
	OBJ(w);
	kstr(w, "type", "array");
	kraw(w, "minItems", "1");
	END(w);
	END(w);
}

/* One RFC 6902 operation, as the states' patches carry them. */
static void
patch_op_variant(aw *w, const char *const *ops, bool from, bool value)
{
	OBJ(w);
	kstr(w, "type", "object");
	key(w, "properties");
	OBJ(w);
	key(w, "op");
	OBJ(w);
	if (!ops[1]) {
		kstr(w, "const", ops[0]);
	} else {
		key(w, "enum");
		ARR(w);
		for (; *ops; ops++)
			str(w, *ops);
		AEND(w);
	}
	END(w);
	if (from) {
		key(w, "from");
		ref(w, "components/schemas", "lv.JsonPointer");
	}
	key(w, "path");
	ref(w, "components/schemas", "lv.JsonPointer");
	if (value) {
		key(w, "value");
		OBJ(w);
		END(w);
	}
	END(w);
	required(w, from ? (const char *const[]){ "op", "from", "path", NULL } :
	            value ? (const char *const[]){ "op", "path", "value", NULL } :
	            (const char *const[]){ "op", "path", NULL });
	END(w);
}

static void
patch_schemas(aw *w)
{
	key(w, "lv.PatchOperation");
	OBJ(w);
	kstr(w, "description", "One RFC 6902 JSON Patch operation on a state's value "
	     "(docs/protocol.md, states).");
	key(w, "oneOf");
	ARR(w);
	patch_op_variant(w, (const char *const[]){ "add", "replace", "test", NULL }, false, true);
	patch_op_variant(w, (const char *const[]){ "remove", NULL }, false, false);
	patch_op_variant(w, (const char *const[]){ "move", "copy", NULL }, true, false);
	AEND(w);
	END(w);

	key(w, "lv.JsonPointer");
	OBJ(w);
	kstr(w, "type", "string");
	kstr(w, "description", "An RFC 6901 JSON Pointer into the state's value; \"\" is the "
	     "whole value.");
	kstr(w, "pattern", "^(/|$)");
	END(w);
}

static void
security_schemes(aw *w)
{
	for (int i = 0; i < w->nroles; i++) {
		key(w, w->role_keys[i]);
		OBJ(w);
		kstr(w, "type", "httpApiKey");
		kstr(w, "in", "cookie");
		kstr(w, "name", "session");
		const lvc_str r = w->roles[i];
		kstr(w, "description", lvc_str_eq(r, "*") ?
		     lvc_sprintf(&w->c->arena, "Any authenticated connection: the server's auth "
		                 "callback gave the peer an identity when its WebSocket opened (or "
		                 "a handler did, with lv_conn_set_auth). The credential is the "
		                 "application's: a cookie, a header or a query parameter of the "
		                 "upgrade request; the cookie named here stands for it.") :
		     lvc_sprintf(&w->c->arena, "A connection with the role \"%.*s\", given by the "
		                 "server's auth callback when its WebSocket opened (or by a handler, "
		                 "with lv_conn_set_auth). The credential is the application's: a "
		                 "cookie, a header or a query parameter of the upgrade request; the "
		                 "cookie named here stands for it.", (int)r.n, r.p));
		END(w);
	}
}

/* Endpoints that never cross the wire: lifecycle handlers on both sides,
 * and server events raised by server code. */
static void
local_events(aw *w)
{
	bool any = false;
	for (int i = 0; i < w->p->nendpoints; i++) {
		const lvc_decl *d = w->p->endpoints[i];
		if (on_socket(d))
			continue;
		if (!any) {
			key(w, "x-lv-local-events");
			ARR(w);
			any = true;
		}
		OBJ(w);
		key(w, "endpoint");
		lstr(w, d->name);
		kstr(w, "kind", lvc_endpoint_kind_name(d->ekind));
		key(w, "event");
		lstr(w, d->policy.event);
		kraw(w, "lifecycle", d->policy.lifecycle ? "true" : "false");
		docs(w, d->doc, false);
		END(w);
	}
	if (any)
		AEND(w);
}

static void
document(aw *w, const char *version)
{
	const lvc_program *p = w->p;
	bool http = false, realtime = false;
	for (int i = 0; i < p->nendpoints; i++) {
		http |= p->endpoints[i]->ekind == LVC_E_SERVER_RPC && p->endpoints[i]->policy.http;
		realtime |= p->endpoints[i]->ekind == LVC_E_SERVER_REALTIME;
	}
	/* lv.error: a send that failed; a state change or state_sync refused. */
	bool errors = realtime || p->nstates > 0;
	char hash[17];
	lvc_schema_hash(w->c, w->contract, hash);

	OBJ(w);
	kstr(w, "asyncapi", "3.0.0");
	key(w, "info");
	OBJ(w);
	key(w, "title");
	lstr(w, w->c->root->name);
	kstr(w, "version", version);
	if (w->c->root->doc && w->c->root->doc->text[0])
		kstr(w, "description", w->c->root->doc->text);
	END(w);
	kstr(w, "defaultContentType", "application/json");
	kstr(w, "x-lv-schema-hash", hash);

	key(w, "servers");
	OBJ(w);
	key(w, "ws");
	OBJ(w);
	kstr(w, "host", "{host}");
	kstr(w, "pathname", "/lv/ws");
	kstr(w, "protocol", "ws");
	kstr(w, "description", "The lv server's WebSocket: one per page, JSON text frames, one "
	     "message each (docs/protocol.md). Before the messages below, the page sends hello "
	     "with the schema hash (x-lv-schema-hash) and the server answers welcome.");
	key(w, "variables");
	OBJ(w);
	key(w, "host");
	OBJ(w);
	kstr(w, "default", "localhost:8080");
	kstr(w, "description", "The server's address and port.");
	END(w);
	END(w);
	END(w);
	if (http) {
		key(w, "http");
		OBJ(w);
		kstr(w, "host", "{host}");
		kstr(w, "pathname", "/lv/rpc");
		kstr(w, "protocol", "http");
		kstr(w, "description", "The same server's HTTP side: rpc endpoints marked "
		     "@server.rpc(http) answer POST /lv/rpc/NAME.");
		key(w, "variables");
		OBJ(w);
		key(w, "host");
		OBJ(w);
		kstr(w, "default", "localhost:8080");
		kstr(w, "description", "The server's address and port.");
		END(w);
		END(w);
		END(w);
	}
	END(w);

	key(w, "channels");
	OBJ(w);
	key(w, "socket");
	OBJ(w);
	kstr(w, "address", "/");
	kstr(w, "title", "The page's WebSocket");
	kstr(w, "description", "Every message between the server and one page.");
	key(w, "servers");
	ARR(w);
	ref(w, "servers", "ws");
	AEND(w);
	key(w, "messages");
	OBJ(w);
	for (int i = 0; i < p->nendpoints; i++) {
		const char *k[2];
		message_keys(w, p->endpoints[i], k);
		for (int j = 0; j < 2; j++)
			if (k[j]) {
				key(w, k[j]);
				ref(w, "components/messages", k[j]);
			}
	}
	for (int i = 0; i < p->nstates; i++) {
		const char *k[NSTATE_MSGS];
		state_message_keys(w, p->states[i], k);
		for (int j = 0; j < NSTATE_MSGS; j++)
			if (k[j]) {
				key(w, k[j]);
				ref(w, "components/messages", k[j]);
			}
	}
	if (errors) {
		key(w, "lv.error");
		ref(w, "components/messages", "lv.error");
	}
	END(w);
	key(w, "bindings");
	OBJ(w);
	key(w, "ws");
	OBJ(w);
	kstr(w, "method", "GET");
	kstr(w, "bindingVersion", "0.1.0");
	END(w);
	END(w);
	END(w);
	for (int i = 0; i < p->nendpoints; i++) {
		const lvc_decl *d = p->endpoints[i];
		if (d->ekind != LVC_E_SERVER_RPC || !d->policy.http)
			continue;
		key(w, mkey(w, d, "http"));
		OBJ(w);
		kstr(w, "address", lvc_sprintf(&w->c->arena, "/%s", ename(w, d)));
		kstr(w, "title", lvc_sprintf(&w->c->arena, "POST /lv/rpc/%s", ename(w, d)));
		key(w, "servers");
		ARR(w);
		ref(w, "servers", "http");
		AEND(w);
		key(w, "messages");
		OBJ(w);
		const char *ks[] = { mkey(w, d, "http.request"), mkey(w, d, "http.response") };
		for (int j = 0; j < 2; j++) {
			key(w, ks[j]);
			ref(w, "components/messages", ks[j]);
		}
		END(w);
		END(w);
	}
	END(w);

	key(w, "operations");
	OBJ(w);
	for (int i = 0; i < p->nendpoints; i++)
		if (on_socket(p->endpoints[i]))
			operation(w, p->endpoints[i]);
	for (int i = 0; i < p->nstates; i++)
		state_operations(w, p->states[i]);
	if (errors) {
		key(w, "lv.error");
		OBJ(w);
		kstr(w, "action", "send");
		key(w, "channel");
		ref(w, "channels", "socket");
		kstr(w, "title", "lv.error");
		kstr(w, "summary", !p->nstates ? "A message sent with t:send failed." :
		     realtime ? "A message sent with t:send, a page's change to a state or a "
		     "state_sync failed." : "A page's change to a state or a state_sync failed.");
		op_messages(w, "channels/socket/messages", "lv.error");
		END(w);
	}
	for (int i = 0; i < p->nendpoints; i++)
		if (p->endpoints[i]->ekind == LVC_E_SERVER_RPC && p->endpoints[i]->policy.http)
			http_operation(w, p->endpoints[i]);
	END(w);

	key(w, "components");
	OBJ(w);
	key(w, "schemas");
	OBJ(w);
	for (int i = 0; i < p->ntypes; i++) {
		key(w, lvc_strndup(&w->c->arena, p->types[i]->name.p, p->types[i]->name.n));
		decl_schema(w, p->types[i]);
	}
	lv_schemas(w);
	if (p->nstates)
		patch_schemas(w);
	END(w);
	key(w, "messages");
	OBJ(w);
	for (int i = 0; i < p->nendpoints; i++)
		messages_of(w, p->endpoints[i]);
	for (int i = 0; i < p->nstates; i++)
		state_messages_of(w, p->states[i]);
	if (errors) {
		message_head(w, "lv.error", "error", !p->nstates ?
		             "The server refuses a message sent with t:send (bad arguments, unknown "
		             "endpoint, permission), naming the endpoint." :
		             realtime ? "The server refuses a message sent with t:send (bad arguments, "
		             "unknown endpoint, permission), naming the endpoint in fn; or a page's "
		             "change to a state (error.path names the state) or a state_sync it "
		             "cannot answer." :
		             "The server refuses a page's change to a state (error.path names the "
		             "state) or a state_sync it cannot answer.");
		key(w, "payload");
		OBJ(w);
		kstr(w, "type", "object");
		key(w, "properties");
		OBJ(w);
		const_prop(w, "t", "error");
		key(w, "fn");
		OBJ(w);
		kstr(w, "type", "string");
		END(w);
		key(w, "error");
		ref(w, "components/schemas", "lv.Error");
		counter_prop(w, "seq", seq_desc);
		END(w);
		required(w, (const char *const[]){ "t", "error", NULL });
		END(w);
		END(w);
	}
	for (int i = 0; i < p->nendpoints; i++)
		if (p->endpoints[i]->ekind == LVC_E_SERVER_RPC && p->endpoints[i]->policy.http)
			http_messages_of(w, p->endpoints[i]);
	END(w);
	if (w->nroles) {
		key(w, "securitySchemes");
		OBJ(w);
		security_schemes(w);
		END(w);
	}
	END(w);
	local_events(w);
	END(w);
	put(w, "\n");
}

static int
by_name(const void *a, const void *b)
{
	const lvc_decl *x = *(lvc_decl *const *)a, *y = *(lvc_decl *const *)b;
	uint32_t n = x->name.n < y->name.n ? x->name.n : y->name.n;
	int r = memcmp(x->name.p, y->name.p, n);
	return r ? r : (int)x->name.n - (int)y->name.n;
}

int
lvc_asyncapi(lvc_ctx *c, const char *path, const char *version)
{
	lvc_program p;
	lvc_program_collect(c, &p);
	/* A model operation is the server.rpc it is on the wire. */
	lvc_program wire = p;
	wire.endpoints = calloc((size_t)p.nendpoints + (size_t)p.nbindings * LVC_NOPS + 1,
	                        sizeof *wire.endpoints);
	if (!wire.endpoints)
		abort();
	memcpy(wire.endpoints, p.endpoints, sizeof *p.endpoints * (size_t)p.nendpoints);
	for (int i = 0; i < p.nbindings; i++) {
		lvc_model_op ops[LVC_NOPS];
		int n = lvc_binding_ops(p.bindings[i], ops);
		for (int j = 0; j < n; j++)
			wire.endpoints[wire.nendpoints++] = lvc_model_op_decl(c, p.bindings[i], ops[j]);
	}
	qsort(wire.endpoints, (size_t)wire.nendpoints, sizeof *wire.endpoints, by_name);
	aw w = { .c = c, .first = true, .p = &wire, .contract = &p };
	collect_roles(&w);
	document(&w, version ? version : "0.0.0");
	free(wire.endpoints);
	lvc_program_free(&p);
	int rc = 0;
	if (strcmp(path, "-") == 0) {
		if (fwrite(w.b.data, 1, w.b.len, stdout) != w.b.len || fflush(stdout) != 0) {
			lvc_error_plain(c, "cannot write the AsyncAPI document to standard output");
			rc = -1;
		}
	} else {
		rc = lvc_write_file(c, path, w.b.data, w.b.len);
	}
	free(w.b.data);
	return rc;
}
