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
	const lvc_program *p;
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

static void
collect_roles(aw *w)
{
	int cap = 0;
	for (int i = 0; i < w->p->nendpoints; i++)
		cap += w->p->endpoints[i]->policy.nroles;
	w->roles = lvc_alloc(&w->c->arena, sizeof *w->roles * (size_t)(cap + 1));
	w->role_keys = lvc_alloc(&w->c->arena, sizeof *w->role_keys * (size_t)(cap + 1));
	for (int i = 0; i < w->p->nendpoints; i++) {
		const lvc_policy *pol = &w->p->endpoints[i]->policy;
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
	char hash[17];
	lvc_schema_hash(w->c, p, hash);

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
	if (realtime) {
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
	if (realtime) {
		key(w, "lv.error");
		OBJ(w);
		kstr(w, "action", "send");
		key(w, "channel");
		ref(w, "channels", "socket");
		kstr(w, "title", "lv.error");
		kstr(w, "summary", "A message sent with t:send failed.");
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
	END(w);
	key(w, "messages");
	OBJ(w);
	for (int i = 0; i < p->nendpoints; i++)
		messages_of(w, p->endpoints[i]);
	if (realtime) {
		message_head(w, "lv.error", "error", "The server refuses a message sent with t:send "
		             "(bad arguments, unknown endpoint, permission), naming the endpoint.");
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

int
lvc_asyncapi(lvc_ctx *c, const char *path, const char *version)
{
	lvc_program p;
	lvc_program_collect(c, &p);
	aw w = { .c = c, .first = true, .p = &p };
	collect_roles(&w);
	document(&w, version ? version : "0.0.0");
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
