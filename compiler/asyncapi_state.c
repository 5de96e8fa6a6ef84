/* asyncapi_state.c - the states' part of the AsyncAPI document: their messages, operations and the patches they carry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncapi.h"

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

void
aw_state_message_keys(aw *w, const lvc_decl *d, const char *k[NSTATE_MSGS])
{
	k[0] = aw_mkey(w, d, "snapshot");
	k[1] = aw_mkey(w, d, "patch");
	k[2] = is_server_state(d) ? aw_mkey(w, d, "sync") : NULL;
	k[3] = by_group(d) ? aw_mkey(w, d, "left") : NULL;
}

static void
group_prop(aw *w)
{
	aw_key(w, "group");
	OBJ(w);
	aw_kstr(w, "type", "string");
	aw_kstr(w, "description", "The group whose copy this is.");
	END(w);
}

static void
rev_prop(aw *w, long long min, const char *desc)
{
	aw_key(w, "rev");
	OBJ(w);
	aw_kstr(w, "type", "integer");
	aw_key(w, "minimum");
	aw_integer(w, min);
	aw_kstr(w, "description", desc);
	END(w);
}

static void
patch_ops(aw *w, bool from_page)
{
	OBJ(w);
	aw_kstr(w, "type", "array");
	if (from_page)
		aw_kraw(w, "minItems", "1");
	aw_key(w, "items");
	aw_ref(w, "components/schemas", "lv.PatchOperation");
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
	aw_kstr(w, "type", "object");
	aw_key(w, "properties");
	OBJ(w);
	aw_const_prop(w, "t", "state");
	aw_const_lprop(w, "name", d->name);
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
	aw_key(w, "ops");
	if (snapshot) {
		OBJ(w);
		aw_kstr(w, "type", "array");
		aw_kstr(w, "description", "One replace of the whole value.");
		aw_kraw(w, "minItems", "1");
		aw_kraw(w, "maxItems", "1");
		aw_key(w, "items");
		OBJ(w);
		aw_kstr(w, "type", "object");
		aw_key(w, "properties");
		OBJ(w);
		aw_const_prop(w, "op", "replace");
		aw_const_prop(w, "path", "");
		aw_key(w, "value");
		aw_type_schema(w, d->result);
		END(w);
		aw_required(w, (const char *const[]){ "op", "path", "value", NULL });
		END(w);
		END(w);
	} else if (what == LEFT) {
		OBJ(w);
		aw_kstr(w, "type", "null");
		aw_kstr(w, "description", "The page left the group: its copy is gone.");
		END(w);
	} else {
		patch_ops(w, !server);
	}
	aw_counter_prop(w, "seq", AW_SEQ_DESC);
	END(w);
	const char *req[7] = { "t", "name" };
	int r = 2;
	if (group)
		req[r++] = "group";
	req[r++] = "rev";
	req[r++] = "ops";
	req[r++] = "seq";
	req[r] = NULL;
	aw_required(w, req);
	END(w);
}

/* {"t":"state_sync","name":NAME,"group":G}: the page asks for a snapshot. */
static void
sync_payload(aw *w, const lvc_decl *d)
{
	OBJ(w);
	aw_kstr(w, "type", "object");
	aw_key(w, "properties");
	OBJ(w);
	aw_const_prop(w, "t", "state_sync");
	aw_const_lprop(w, "name", d->name);
	if (by_group(d))
		group_prop(w);
	END(w);
	const char *req[] = { "t", "name", by_group(d) ? "group" : NULL, NULL };
	aw_required(w, req);
	END(w);
}

void
aw_state_messages_of(aw *w, const lvc_decl *d)
{
	const char *k[NSTATE_MSGS];
	aw_state_message_keys(w, d, k);
	const char *n = aw_ename(w, d);
	lvc_arena *a = &w->c->arena;
	if (is_server_state(d)) {
		aw_message_head(w, k[0], lvc_sprintf(a, "%s: snapshot", n),
		             lvc_sprintf(a, "The whole value of %s (%s): the first message of a "
		                         "page's copy, and the answer to state_sync.", n, scope_words(d)));
		aw_key(w, "payload");
		state_payload(w, d, SNAPSHOT);
		END(w);
		aw_message_head(w, k[1], lvc_sprintf(a, "%s: patch", n),
		             lvc_sprintf(a, "The changes to %s since its last flush (%s), as RFC 6902 "
		                         "operations.", n, flush_words(w, d)));
		aw_key(w, "payload");
		state_payload(w, d, PATCH);
		END(w);
		if (k[3]) {
			aw_message_head(w, k[3], lvc_sprintf(a, "%s: left", n),
			             lvc_sprintf(a, "The page left the group: its copy of %s is gone "
			                         "(ops is null).", n));
			aw_key(w, "payload");
			state_payload(w, d, LEFT);
			END(w);
		}
		aw_message_head(w, k[2], lvc_sprintf(a, "%s: state_sync", n),
		             lvc_sprintf(a, "The page's copy of %s is out of step (a patch that does "
		                         "not apply, a revision skipped): it asks for a snapshot.", n));
		aw_key(w, "payload");
		sync_payload(w, d);
		END(w);
		return;
	}
	aw_message_head(w, k[1], lvc_sprintf(a, "%s: patch", n),
	             lvc_sprintf(a, "The page's changes to %s, gathered for its flush (%s), as RFC "
	                         "6902 operations.", n, flush_words(w, d)));
	aw_kstr(w, "description", d->policy.max_bytes ?
	     lvc_sprintf(a, "The server takes a change of at most %lld bytes (max). One that is "
	                 "larger, does not follow the last, does not apply, or leaves a value not "
	                 "of the state's type is refused: lv.error, then %s.",
	                 (long long)d->policy.max_bytes, k[0]) :
	     lvc_sprintf(a, "The server takes a change of at most its max_message (no max is "
	                 "declared). One that is larger, does not follow the last, does not apply, "
	                 "or leaves a value not of the state's type is refused: lv.error, then %s.",
	                 k[0]));
	aw_key(w, "payload");
	state_payload(w, d, PATCH);
	END(w);
	aw_message_head(w, k[0], lvc_sprintf(a, "%s: snapshot", n),
	             lvc_sprintf(a, "The server's copy of %s, after it refused a change; the page "
	                         "takes it.", n));
	aw_key(w, "payload");
	state_payload(w, d, SNAPSHOT);
	END(w);
}

/* What the runtime keeps of the declaration: its owner, scope, flush, max. */
static void
state_ext(aw *w, const lvc_decl *d)
{
	aw_key(w, "x-lv-state");
	OBJ(w);
	aw_kstr(w, "owner", is_server_state(d) ? "server" : "page");
	if (is_server_state(d))
		aw_kstr(w, "scope", scope_names[d->policy.scope]);
	aw_kstr(w, "flush", flush_text(w, d));
	if (!is_server_state(d) && d->policy.max_bytes) {
		aw_key(w, "max_bytes");
		aw_integer(w, (long long)d->policy.max_bytes);
	}
	aw_kstr(w, "type", lvc_type_str(w->c, d->result));
	END(w);
}

static void
state_op_head(aw *w, const char *id, const char *action, const char *title)
{
	aw_key(w, id);
	OBJ(w);
	aw_kstr(w, "action", action);
	aw_key(w, "channel");
	aw_ref(w, "channels", "socket");
	aw_kstr(w, "title", title);
}

void
aw_state_operations(aw *w, const lvc_decl *d)
{
	const char *k[NSTATE_MSGS];
	aw_state_message_keys(w, d, k);
	const char *n = aw_ename(w, d), *kind = lvc_endpoint_kind_name(d->ekind);
	lvc_arena *a = &w->c->arena;
	bool server = is_server_state(d);
	/* The server sends its states' snapshots and patches; it receives the
	 * page's patches of a client state. */
	state_op_head(w, n, server ? "send" : "receive", lvc_sprintf(a, "%s (%s)", n, kind));
	aw_docs(w, d->doc, true);
	aw_key(w, "messages");
	ARR(w);
	if (server)
		aw_ref(w, "channels/socket/messages", k[0]);
	aw_ref(w, "channels/socket/messages", k[1]);
	if (k[3])
		aw_ref(w, "channels/socket/messages", k[3]);
	AEND(w);
	aw_security(w, d);
	aw_kstr(w, "x-lv-kind", kind);
	state_ext(w, d);
	END(w);
	if (server) {
		state_op_head(w, aw_mkey(w, d, "sync"), "receive",
		              lvc_sprintf(a, "%s.sync (state_sync)", n));
		aw_kstr(w, "summary", lvc_sprintf(a, "A page asks for a snapshot of %s.", n));
		aw_op_messages(w, "channels/socket/messages", k[2]);
		aw_key(w, "reply");
		OBJ(w);
		aw_key(w, "channel");
		aw_ref(w, "channels", "socket");
		aw_op_messages(w, "channels/socket/messages", k[0]);
		END(w);
	} else {
		state_op_head(w, aw_mkey(w, d, "resync"), "send",
		              lvc_sprintf(a, "%s.resync (%s)", n, kind));
		aw_kstr(w, "summary", lvc_sprintf(a, "The server's copy of %s, after it refused a "
		                               "change from the page.", n));
		aw_op_messages(w, "channels/socket/messages", k[0]);
	}
	aw_security(w, d);
	aw_kstr(w, "x-lv-kind", kind);
	END(w);
}

/* One RFC 6902 operation, as the states' patches carry them. */
static void
patch_op_variant(aw *w, const char *const *ops, bool from, bool value)
{
	OBJ(w);
	aw_kstr(w, "type", "object");
	aw_key(w, "properties");
	OBJ(w);
	aw_key(w, "op");
	OBJ(w);
	if (!ops[1]) {
		aw_kstr(w, "const", ops[0]);
	} else {
		aw_key(w, "enum");
		ARR(w);
		for (; *ops; ops++)
			aw_str(w, *ops);
		AEND(w);
	}
	END(w);
	if (from) {
		aw_key(w, "from");
		aw_ref(w, "components/schemas", "lv.JsonPointer");
	}
	aw_key(w, "path");
	aw_ref(w, "components/schemas", "lv.JsonPointer");
	if (value) {
		aw_key(w, "value");
		OBJ(w);
		END(w);
	}
	END(w);
	aw_required(w, from ? (const char *const[]){ "op", "from", "path", NULL } :
	            value ? (const char *const[]){ "op", "path", "value", NULL } :
	            (const char *const[]){ "op", "path", NULL });
	END(w);
}

void
aw_patch_schemas(aw *w)
{
	aw_key(w, "lv.PatchOperation");
	OBJ(w);
	aw_kstr(w, "description", "One RFC 6902 JSON Patch operation on a state's value "
	     "(docs/protocol.md, states).");
	aw_key(w, "oneOf");
	ARR(w);
	patch_op_variant(w, (const char *const[]){ "add", "replace", "test", NULL }, false, true);
	patch_op_variant(w, (const char *const[]){ "remove", NULL }, false, false);
	patch_op_variant(w, (const char *const[]){ "move", "copy", NULL }, true, false);
	AEND(w);
	END(w);

	aw_key(w, "lv.JsonPointer");
	OBJ(w);
	aw_kstr(w, "type", "string");
	aw_kstr(w, "description", "An RFC 6901 JSON Pointer into the state's value; \"\" is the "
	     "whole value.");
	aw_kstr(w, "pattern", "^(/|$)");
	END(w);
}
