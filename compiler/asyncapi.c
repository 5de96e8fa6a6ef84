/* asyncapi.c - lvc --asyncapi FILE: the contract as an AsyncAPI 3.0.0 document (JSON), as the wire protocol carries it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncapi.h"

/* ---- the envelope ---------------------------------------------------------------- */

void
aw_const_prop(aw *w, const char *k, const char *v)
{
	aw_key(w, k);
	OBJ(w);
	aw_kstr(w, "const", v);
	END(w);
}

void
aw_const_lprop(aw *w, const char *k, lvc_str v)
{
	aw_key(w, k);
	OBJ(w);
	aw_key(w, "const");
	aw_lstr(w, v);
	END(w);
}

void
aw_counter_prop(aw *w, const char *k, const char *desc)
{
	aw_key(w, k);
	OBJ(w);
	aw_kstr(w, "type", "integer");
	aw_kraw(w, "minimum", "1");
	aw_kstr(w, "description", desc);
	END(w);
}

void
aw_required(aw *w, const char *const *names)
{
	aw_key(w, "required");
	ARR(w);
	for (; *names; names++)
		aw_str(w, *names);
	AEND(w);
}

/* {"t":T,"fn":NAME (or "name":EVENT),"id":N,"args":{...},"seq":N}: a
 * message that carries arguments. */
static void
args_payload(aw *w, const lvc_decl *d, const char *t, bool with_id, bool with_seq)
{
	OBJ(w);
	aw_kstr(w, "type", "object");
	aw_key(w, "properties");
	OBJ(w);
	aw_const_prop(w, "t", t);
	bool event = d->ekind == LVC_E_CLIENT_ON;
	if (with_id)
		aw_counter_prop(w, "id", d->ekind == LVC_E_CLIENT_RPC ?
		             "The server's id for the call, echoed by the answer." :
		             "The page's id for the call, unique among its calls in flight; "
		             "echoed by the answer.");
	if (event)
		aw_const_lprop(w, "name", d->policy.event);
	else
		aw_const_lprop(w, "fn", d->name);
	aw_key(w, "args");
	aw_fields_schema(w, d->params, NULL);
	if (with_seq)
		aw_counter_prop(w, "seq", AW_SEQ_DESC);
	END(w);
	const char *req[6] = { "t", event ? "name" : "fn" };
	int n = 2;
	if (with_id)
		req[n++] = "id";
	if (with_seq)
		req[n++] = "seq";
	req[n] = NULL;
	aw_required(w, req);
	END(w);
}

/* The answer to a call: {"t":T,"id":N,"ok":true,"value":V} or
 * {"t":T,"id":N,"ok":false,"error":{...}}. */
static void
answer_payload(aw *w, const lvc_type *result, const char *t, bool cmds, bool envelope)
{
	OBJ(w);
	aw_key(w, "oneOf");
	ARR(w);
	for (int ok = 1; ok >= 0; ok--) {
		OBJ(w);
		aw_kstr(w, "type", "object");
		aw_key(w, "properties");
		OBJ(w);
		if (envelope) {
			aw_const_prop(w, "t", t);
			aw_counter_prop(w, "id", "The id of the call this answers.");
		}
		aw_key(w, "ok");
		OBJ(w);
		aw_kraw(w, "const", ok ? "true" : "false");
		END(w);
		if (ok) {
			aw_key(w, "value");
			if (result)
				aw_type_schema(w, result);
			else {
				OBJ(w);
				aw_kstr(w, "type", "null");
				END(w);
			}
		} else {
			aw_key(w, "error");
			aw_ref(w, "components/schemas", "lv.Error");
		}
		if (cmds) {
			aw_key(w, "cmds");
			aw_ref(w, "components/schemas", "lv.Commands");
		}
		if (envelope)
			aw_counter_prop(w, "seq", AW_SEQ_DESC);
		END(w);
		const char *req[] = { "t", "id", "ok", ok ? "value" : "error", "seq", NULL };
		aw_required(w, envelope ? req : req + 2);
		END(w);
	}
	AEND(w);
	END(w);
}

/* ---- messages and operations ------------------------------------------------------ */

const char *
aw_ename(aw *w, const lvc_decl *d)
{
	return lvc_strndup(&w->c->arena, d->name.p, d->name.n);
}

const char *
aw_mkey(aw *w, const lvc_decl *d, const char *suffix)
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
		k[0] = aw_mkey(w, d, "call");
		k[1] = aw_mkey(w, d, "ret");
		break;
	case LVC_E_SERVER_REALTIME: k[0] = aw_mkey(w, d, "send"); break;
	case LVC_E_CLIENT_REALTIME: k[0] = aw_mkey(w, d, "push"); break;
	case LVC_E_CLIENT_ON: k[0] = aw_mkey(w, d, "event"); break;
	case LVC_E_CLIENT_RPC:
		k[0] = aw_mkey(w, d, "ccall");
		k[1] = aw_mkey(w, d, "cret");
		break;
	default: k[0] = NULL;
	}
}

static void
correlation(aw *w)
{
	aw_key(w, "correlationId");
	OBJ(w);
	aw_kstr(w, "description", "A call and its answer carry the same id.");
	aw_kstr(w, "location", "$message.payload#/id");
	END(w);
}

void
aw_message_head(aw *w, const char *k, const char *title, const char *summary)
{
	aw_key(w, k);
	OBJ(w);
	aw_kstr(w, "name", k);
	aw_kstr(w, "title", title);
	aw_kstr(w, "summary", summary);
	aw_kstr(w, "contentType", "application/json");
}

static void
messages_of(aw *w, const lvc_decl *d)
{
	const char *k[2];
	message_keys(w, d, k);
	if (!k[0])
		return;
	const char *n = aw_ename(w, d);
	bool vol = d->policy.volatile_delivery;
	switch (d->ekind) {
	case LVC_E_SERVER_RPC: case LVC_E_CLIENT_CALLBACK:
		aw_message_head(w, k[0], lvc_sprintf(&w->c->arena, "%s: call", n),
		             d->ekind == LVC_E_SERVER_RPC ?
		             lvc_sprintf(&w->c->arena, "A page calls %s.", n) :
		             lvc_sprintf(&w->c->arena, "A DOM event in a page calls %s.", n));
		aw_key(w, "payload");
		args_payload(w, d, "call", true, true);
		correlation(w);
		END(w);
		aw_message_head(w, k[1], lvc_sprintf(&w->c->arena, "%s: ret", n),
		             lvc_sprintf(&w->c->arena, "The server's answer to a call of %s; "
		                         "its commands run before the call settles.", n));
		aw_key(w, "payload");
		answer_payload(w, d->ekind == LVC_E_SERVER_RPC ? d->result : NULL, "ret", true, true);
		correlation(w);
		END(w);
		break;
	case LVC_E_SERVER_REALTIME:
		aw_message_head(w, k[0], lvc_sprintf(&w->c->arena, "%s: send", n),
		             lvc_sprintf(&w->c->arena, "A page sends %s; no answer when it succeeds.", n));
		aw_key(w, "payload");
		args_payload(w, d, "send", false, !vol);
		END(w);
		break;
	case LVC_E_CLIENT_REALTIME:
		aw_message_head(w, k[0], lvc_sprintf(&w->c->arena, "%s: push", n),
		             lvc_sprintf(&w->c->arena, "The server pushes %s to a page, a group "
		                         "or every page.", n));
		aw_key(w, "payload");
		args_payload(w, d, "push", false, !vol);
		END(w);
		break;
	case LVC_E_CLIENT_ON:
		aw_message_head(w, k[0], lvc_sprintf(&w->c->arena, "%s: event", n),
		             lvc_sprintf(&w->c->arena, "The server raises the page event '%.*s'.",
		                         (int)d->policy.event.n, d->policy.event.p));
		aw_key(w, "payload");
		args_payload(w, d, "event", false, true);
		END(w);
		break;
	case LVC_E_CLIENT_RPC:
		aw_message_head(w, k[0], lvc_sprintf(&w->c->arena, "%s: ccall", n),
		             lvc_sprintf(&w->c->arena, "The server calls %s in one page.", n));
		aw_key(w, "payload");
		args_payload(w, d, "ccall", true, true);
		correlation(w);
		END(w);
		aw_message_head(w, k[1], lvc_sprintf(&w->c->arena, "%s: cret", n),
		             lvc_sprintf(&w->c->arena, "The page's answer to a call of %s.", n));
		aw_key(w, "payload");
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
	const char *n = aw_ename(w, d);
	aw_message_head(w, aw_mkey(w, d, "http.request"), lvc_sprintf(&w->c->arena, "POST /lv/rpc/%s", n),
	             lvc_sprintf(&w->c->arena, "The arguments of %s, as the body of an HTTP POST.", n));
	aw_key(w, "payload");
	aw_fields_schema(w, d->params, NULL);
	aw_key(w, "bindings");
	OBJ(w);
	aw_key(w, "http");
	OBJ(w);
	aw_key(w, "headers");
	OBJ(w);
	aw_kstr(w, "type", "object");
	aw_key(w, "properties");
	OBJ(w);
	aw_key(w, "Content-Type");
	OBJ(w);
	aw_kstr(w, "type", "string");
	aw_kstr(w, "description", "application/json (parameters allowed); anything else is "
	     "answered 415.");
	END(w);
	END(w);
	aw_required(w, (const char *const[]){ "Content-Type", NULL });
	END(w);
	aw_kstr(w, "bindingVersion", "0.3.0");
	END(w);
	END(w);
	END(w);
	aw_message_head(w, aw_mkey(w, d, "http.response"),
	             lvc_sprintf(&w->c->arena, "POST /lv/rpc/%s: the answer", n),
	             "200 with ok:true, or the error's HTTP status (docs/protocol.md, error "
	             "codes) with ok:false.");
	aw_key(w, "payload");
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

void
aw_security(aw *w, const lvc_decl *d)
{
	const lvc_policy *pol = &d->policy;
	if (!lvc_endpoint_is_exposed(d->ekind))
		return;
	if (pol->access != LVC_ACCESS_AUTH) {
		aw_kraw(w, "x-lv-public", "true");
		return;
	}
	/* Any one of the schemes admits the caller: any one of the roles. */
	aw_key(w, "security");
	ARR(w);
	for (int r = 0; r < pol->nroles; r++)
		aw_ref(w, "components/securitySchemes", role_key(w, pol->roles[r]));
	AEND(w);
	aw_key(w, "x-lv-roles");
	ARR(w);
	for (int r = 0; r < pol->nroles; r++)
		aw_lstr(w, pol->roles[r]);
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
	aw_key(w, "x-lv-policy");
	OBJ(w);
	if (pol->http)
		aw_kraw(w, "http", "true");
	if (pol->timeout_ms) {
		aw_key(w, "timeout_ms");
		aw_integer(w, (long long)pol->timeout_ms);
	}
	if (pol->volatile_delivery)
		aw_kstr(w, "delivery", "volatile");
	if (pol->max_bytes) {
		aw_key(w, "max_bytes");
		aw_integer(w, (long long)pol->max_bytes);
	}
	if (pol->rate_count) {
		aw_key(w, "rate");
		OBJ(w);
		aw_key(w, "count");
		aw_integer(w, (long long)pol->rate_count);
		aw_key(w, "per_ms");
		aw_integer(w, (long long)pol->rate_per_ms);
		END(w);
	}
	if (d->ekind == LVC_E_CLIENT_CALLBACK) {
		aw_key(w, "dom_event");
		aw_lstr(w, pol->dom_event);
		aw_key(w, "group");
		aw_lstr(w, pol->group);
		aw_kstr(w, "concurrency", models[pol->concurrency]);
		if (pol->nblocks) {
			aw_key(w, "blocks");
			ARR(w);
			for (int k = 0; k < pol->nblocks; k++)
				aw_lstr(w, pol->blocks[k]);
			AEND(w);
		}
		if (pol->debounce_ms) {
			aw_key(w, "debounce_ms");
			aw_integer(w, (long long)pol->debounce_ms);
		}
		if (pol->confirm.n) {
			aw_key(w, "confirm");
			aw_lstr(w, pol->confirm);
		}
	}
	END(w);
}

void
aw_op_messages(aw *w, const char *channel, const char *k)
{
	aw_key(w, "messages");
	ARR(w);
	aw_ref(w, channel, k);
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
	aw_key(w, aw_ename(w, d));
	OBJ(w);
	aw_kstr(w, "action", receive ? "receive" : "send");
	aw_key(w, "channel");
	aw_ref(w, "channels", "socket");
	aw_kstr(w, "title", lvc_sprintf(&w->c->arena, "%s (%s)", aw_ename(w, d),
	                             lvc_endpoint_kind_name(d->ekind)));
	aw_docs(w, d->doc, true);
	aw_op_messages(w, "channels/socket/messages", k[0]);
	if (k[1]) {
		aw_key(w, "reply");
		OBJ(w);
		aw_key(w, "channel");
		aw_ref(w, "channels", "socket");
		aw_op_messages(w, "channels/socket/messages", k[1]);
		END(w);
	}
	aw_security(w, d);
	aw_kstr(w, "x-lv-kind", lvc_endpoint_kind_name(d->ekind));
	policy(w, d);
	END(w);
}

static void
http_operation(aw *w, const lvc_decl *d)
{
	const char *chan = lvc_sprintf(&w->c->arena, "channels/%s", aw_mkey(w, d, "http"));
	aw_key(w, aw_mkey(w, d, "http"));
	OBJ(w);
	aw_kstr(w, "action", "receive");
	aw_key(w, "channel");
	aw_ref(w, "channels", aw_mkey(w, d, "http"));
	aw_kstr(w, "title", lvc_sprintf(&w->c->arena, "%s (server.rpc over HTTP)", aw_ename(w, d)));
	aw_docs(w, d->doc, true);
	aw_op_messages(w, lvc_sprintf(&w->c->arena, "%s/messages", chan), aw_mkey(w, d, "http.request"));
	aw_key(w, "reply");
	OBJ(w);
	aw_key(w, "channel");
	aw_ref(w, "channels", aw_mkey(w, d, "http"));
	aw_op_messages(w, lvc_sprintf(&w->c->arena, "%s/messages", chan), aw_mkey(w, d, "http.response"));
	END(w);
	aw_key(w, "bindings");
	OBJ(w);
	aw_key(w, "http");
	OBJ(w);
	aw_kstr(w, "method", "POST");
	aw_kstr(w, "bindingVersion", "0.3.0");
	END(w);
	END(w);
	aw_security(w, d);
	aw_kstr(w, "x-lv-kind", lvc_endpoint_kind_name(d->ekind));
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
	aw_key(w, "lv.Error");
	OBJ(w);
	aw_kstr(w, "type", "object");
	aw_kstr(w, "description", "Why a call failed (docs/protocol.md, error codes).");
	aw_key(w, "properties");
	OBJ(w);
	aw_key(w, "code");
	OBJ(w);
	aw_kstr(w, "type", "string");
	aw_key(w, "enum");
	ARR(w);
	for (const char *const *e = error_codes; *e; e++)
		aw_str(w, *e);
	AEND(w);
	END(w);
	aw_key(w, "message");
	OBJ(w);
	aw_kstr(w, "type", "string");
	aw_kstr(w, "description", "What went wrong; starts with the endpoint's name.");
	END(w);
	aw_key(w, "path");
	OBJ(w);
	aw_kstr(w, "type", "string");
	aw_kstr(w, "description", "The argument at fault, for invalid_argument.");
	END(w);
	END(w);
	aw_required(w, (const char *const[]){ "code", "message", NULL });
	END(w);

	aw_key(w, "lv.Commands");
	OBJ(w);
	aw_kstr(w, "type", "array");
	aw_kstr(w, "description", "Client commands, run by the page in order: each "
	     "[NAME, ARG..., {KWARGS}] (docs/protocol.md, commands).");
	aw_key(w, "items");
	OBJ(w);
	aw_kstr(w, "type", "array");
	aw_kraw(w, "minItems", "1");
	END(w);
	END(w);
}

static void
security_schemes(aw *w)
{
	for (int i = 0; i < w->nroles; i++) {
		aw_key(w, w->role_keys[i]);
		OBJ(w);
		aw_kstr(w, "type", "httpApiKey");
		aw_kstr(w, "in", "cookie");
		aw_kstr(w, "name", "session");
		const lvc_str r = w->roles[i];
		aw_kstr(w, "description", lvc_str_eq(r, "*") ?
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
			aw_key(w, "x-lv-local-events");
			ARR(w);
			any = true;
		}
		OBJ(w);
		aw_key(w, "endpoint");
		aw_lstr(w, d->name);
		aw_kstr(w, "kind", lvc_endpoint_kind_name(d->ekind));
		aw_key(w, "event");
		aw_lstr(w, d->policy.event);
		aw_kraw(w, "lifecycle", d->policy.lifecycle ? "true" : "false");
		aw_docs(w, d->doc, false);
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
	aw_kstr(w, "asyncapi", "3.0.0");
	aw_key(w, "info");
	OBJ(w);
	aw_key(w, "title");
	aw_lstr(w, w->c->root->name);
	aw_kstr(w, "version", version);
	if (w->c->root->doc && w->c->root->doc->text[0])
		aw_kstr(w, "description", w->c->root->doc->text);
	END(w);
	aw_kstr(w, "defaultContentType", "application/json");
	aw_kstr(w, "x-lv-schema-hash", hash);

	aw_key(w, "servers");
	OBJ(w);
	aw_key(w, "ws");
	OBJ(w);
	aw_kstr(w, "host", "{host}");
	aw_kstr(w, "pathname", "/lv/ws");
	aw_kstr(w, "protocol", "ws");
	aw_kstr(w, "description", "The lv server's WebSocket: one per page, JSON text frames, one "
	     "message each (docs/protocol.md). Before the messages below, the page sends hello "
	     "with the schema hash (x-lv-schema-hash) and the server answers welcome.");
	aw_key(w, "variables");
	OBJ(w);
	aw_key(w, "host");
	OBJ(w);
	aw_kstr(w, "default", "localhost:8080");
	aw_kstr(w, "description", "The server's address and port.");
	END(w);
	END(w);
	END(w);
	if (http) {
		aw_key(w, "http");
		OBJ(w);
		aw_kstr(w, "host", "{host}");
		aw_kstr(w, "pathname", "/lv/rpc");
		aw_kstr(w, "protocol", "http");
		aw_kstr(w, "description", "The same server's HTTP side: rpc endpoints marked "
		     "@server.rpc(http) answer POST /lv/rpc/NAME.");
		aw_key(w, "variables");
		OBJ(w);
		aw_key(w, "host");
		OBJ(w);
		aw_kstr(w, "default", "localhost:8080");
		aw_kstr(w, "description", "The server's address and port.");
		END(w);
		END(w);
		END(w);
	}
	END(w);

	aw_key(w, "channels");
	OBJ(w);
	aw_key(w, "socket");
	OBJ(w);
	aw_kstr(w, "address", "/");
	aw_kstr(w, "title", "The page's WebSocket");
	aw_kstr(w, "description", "Every message between the server and one page.");
	aw_key(w, "servers");
	ARR(w);
	aw_ref(w, "servers", "ws");
	AEND(w);
	aw_key(w, "messages");
	OBJ(w);
	for (int i = 0; i < p->nendpoints; i++) {
		const char *k[2];
		message_keys(w, p->endpoints[i], k);
		for (int j = 0; j < 2; j++)
			if (k[j]) {
				aw_key(w, k[j]);
				aw_ref(w, "components/messages", k[j]);
			}
	}
	for (int i = 0; i < p->nstates; i++) {
		const char *k[NSTATE_MSGS];
		aw_state_message_keys(w, p->states[i], k);
		for (int j = 0; j < NSTATE_MSGS; j++)
			if (k[j]) {
				aw_key(w, k[j]);
				aw_ref(w, "components/messages", k[j]);
			}
	}
	if (errors) {
		aw_key(w, "lv.error");
		aw_ref(w, "components/messages", "lv.error");
	}
	END(w);
	aw_key(w, "bindings");
	OBJ(w);
	aw_key(w, "ws");
	OBJ(w);
	aw_kstr(w, "method", "GET");
	aw_kstr(w, "bindingVersion", "0.1.0");
	END(w);
	END(w);
	END(w);
	for (int i = 0; i < p->nendpoints; i++) {
		const lvc_decl *d = p->endpoints[i];
		if (d->ekind != LVC_E_SERVER_RPC || !d->policy.http)
			continue;
		aw_key(w, aw_mkey(w, d, "http"));
		OBJ(w);
		aw_kstr(w, "address", lvc_sprintf(&w->c->arena, "/%s", aw_ename(w, d)));
		aw_kstr(w, "title", lvc_sprintf(&w->c->arena, "POST /lv/rpc/%s", aw_ename(w, d)));
		aw_key(w, "servers");
		ARR(w);
		aw_ref(w, "servers", "http");
		AEND(w);
		aw_key(w, "messages");
		OBJ(w);
		const char *ks[] = { aw_mkey(w, d, "http.request"), aw_mkey(w, d, "http.response") };
		for (int j = 0; j < 2; j++) {
			aw_key(w, ks[j]);
			aw_ref(w, "components/messages", ks[j]);
		}
		END(w);
		END(w);
	}
	END(w);

	aw_key(w, "operations");
	OBJ(w);
	for (int i = 0; i < p->nendpoints; i++)
		if (on_socket(p->endpoints[i]))
			operation(w, p->endpoints[i]);
	for (int i = 0; i < p->nstates; i++)
		aw_state_operations(w, p->states[i]);
	if (errors) {
		aw_key(w, "lv.error");
		OBJ(w);
		aw_kstr(w, "action", "send");
		aw_key(w, "channel");
		aw_ref(w, "channels", "socket");
		aw_kstr(w, "title", "lv.error");
		aw_kstr(w, "summary", !p->nstates ? "A message sent with t:send failed." :
		     realtime ? "A message sent with t:send, a page's change to a state or a "
		     "state_sync failed." : "A page's change to a state or a state_sync failed.");
		aw_op_messages(w, "channels/socket/messages", "lv.error");
		END(w);
	}
	for (int i = 0; i < p->nendpoints; i++)
		if (p->endpoints[i]->ekind == LVC_E_SERVER_RPC && p->endpoints[i]->policy.http)
			http_operation(w, p->endpoints[i]);
	END(w);

	aw_key(w, "components");
	OBJ(w);
	aw_key(w, "schemas");
	OBJ(w);
	for (int i = 0; i < p->ntypes; i++) {
		aw_key(w, lvc_strndup(&w->c->arena, p->types[i]->name.p, p->types[i]->name.n));
		aw_decl_schema(w, p->types[i]);
	}
	lv_schemas(w);
	if (p->nstates)
		aw_patch_schemas(w);
	END(w);
	aw_key(w, "messages");
	OBJ(w);
	for (int i = 0; i < p->nendpoints; i++)
		messages_of(w, p->endpoints[i]);
	for (int i = 0; i < p->nstates; i++)
		aw_state_messages_of(w, p->states[i]);
	if (errors) {
		aw_message_head(w, "lv.error", "error", !p->nstates ?
		             "The server refuses a message sent with t:send (bad arguments, unknown "
		             "endpoint, permission), naming the endpoint." :
		             realtime ? "The server refuses a message sent with t:send (bad arguments, "
		             "unknown endpoint, permission), naming the endpoint in fn; or a page's "
		             "change to a state (error.path names the state) or a state_sync it "
		             "cannot answer." :
		             "The server refuses a page's change to a state (error.path names the "
		             "state) or a state_sync it cannot answer.");
		aw_key(w, "payload");
		OBJ(w);
		aw_kstr(w, "type", "object");
		aw_key(w, "properties");
		OBJ(w);
		aw_const_prop(w, "t", "error");
		aw_key(w, "fn");
		OBJ(w);
		aw_kstr(w, "type", "string");
		END(w);
		aw_key(w, "error");
		aw_ref(w, "components/schemas", "lv.Error");
		aw_counter_prop(w, "seq", AW_SEQ_DESC);
		END(w);
		aw_required(w, (const char *const[]){ "t", "error", NULL });
		END(w);
		END(w);
	}
	for (int i = 0; i < p->nendpoints; i++)
		if (p->endpoints[i]->ekind == LVC_E_SERVER_RPC && p->endpoints[i]->policy.http)
			http_messages_of(w, p->endpoints[i]);
	END(w);
	if (w->nroles) {
		aw_key(w, "securitySchemes");
		OBJ(w);
		security_schemes(w);
		END(w);
	}
	END(w);
	local_events(w);
	END(w);
	aw_put(w, "\n");
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

