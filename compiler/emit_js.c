/* emit_js.c - the browser side: NAME.lv.js (an ES module), NAME.lv.d.ts and
 * NAME_handlers.js. The schema travels as data, so lv.js validates with the
 * same rules as the C codec; the layout of the files is in templates/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

typedef struct {
	lvc_ctx *c;
	lvc_emit *e;
	lvc_arena *a;                 /* the view model and its strings */
	lvc_tbuf json;                /* the schema entry being written */
} jsgen;

/* The TypeScript spelling of a type (also valid in JSDoc). */
static const char *
ts_type(jsgen *g, const lvc_type *t)
{
	switch (t->kind) {
	case LVC_T_BOOL: return "boolean";
	case LVC_T_INT: case LVC_T_FLOAT: return "number";
	case LVC_T_STRING: return "string";
	case LVC_T_BYTES: return "Uint8Array";
	case LVC_T_JSON: return "unknown";
	case LVC_T_VOID: return "void";
	case LVC_T_LIST: return lvc_sprintf(g->a, "Array<%s>", ts_type(g, t->elem));
	case LVC_T_MAP: return lvc_sprintf(g->a, "Record<string, %s>", ts_type(g, t->elem));
	case LVC_T_OPTIONAL: return lvc_sprintf(g->a, "%s | null", ts_type(g, t->elem));
	case LVC_T_NAMED: return lvc_strndup(g->a, t->ref->name.p, t->ref->name.n);
	default: return "unknown";
	}
}

/* ---- the schema as JSON text ------------------------------------------------ *
 * Compact JSON: no spaces, keys in the order written, UTF-8 as it is, and
 * only '"', '\' and control characters escaped; a float always has a '.'
 * or an exponent, and the exponent no '+' and no leading zeros. */

static void
put(lvc_tbuf *b, const char *z)
{
	lvc_tbuf_put(b, z, strlen(z));
}

static void
put_jstr(lvc_tbuf *b, const char *p, size_t n)
{
	lvc_json_string(b, p, n, false);
}

static void
put_jlstr(lvc_tbuf *b, lvc_str s)
{
	put_jstr(b, s.p, s.n);
}

static void
put_jint(lvc_tbuf *b, int64_t i)
{
	char num[32];
	lvc_tbuf_put(b, num, (size_t)snprintf(num, sizeof num, "%lld", (long long)i));
}

static void
put_jreal(lvc_tbuf *b, double f)
{
	char num[64];
	int n = snprintf(num, sizeof num - 2, "%.17g", f);
	if (!strchr(num, '.') && !strchr(num, 'e')) {
		memcpy(num + n, ".0", 3);
		n += 2;
	}
	char *e = strchr(num, 'e');
	if (e) {
		char *start = e + 1, *end = e + 2;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start) {
			memmove(start, end, (size_t)(num + n + 1 - end));
			n -= (int)(end - start);
		}
	}
	lvc_tbuf_put(b, num, (size_t)n);
}

/* A value for the schema (defaults). */
static void
put_jvalue(lvc_tbuf *b, const lvc_value *v)
{
	switch (v->kind) {
	case LVC_V_INT: put_jint(b, v->i); break;
	case LVC_V_FLOAT: put_jreal(b, v->f); break;
	case LVC_V_BOOL: put(b, v->i ? "true" : "false"); break;
	case LVC_V_STRING: case LVC_V_IDENT: put_jlstr(b, v->s); break;
	case LVC_V_MAP: put(b, "{}"); break;
	case LVC_V_LIST:
		put(b, "[");
		for (const lvc_value *i = v->items; i; i = i->next) {
			put_jvalue(b, i);
			if (i->next)
				put(b, ",");
		}
		put(b, "]");
		break;
	default: put(b, "null");
	}
}

/* Fields or parameters as the schema lists them. */
static void
schema_fields(jsgen *g, const lvc_field *f)
{
	lvc_tbuf *b = &g->json;
	put(b, "[");
	for (; f; f = f->next) {
		bool opt = f->type->kind == LVC_T_OPTIONAL;
		const lvc_type *t = opt ? f->type->elem : f->type;
		put(b, "{\"name\":");
		put_jlstr(b, f->name);
		put(b, ",\"type\":");
		const char *ts = lvc_type_str(g->c, t);
		put_jstr(b, ts, strlen(ts));
		if (opt)
			put(b, ",\"optional\":true");
		if (f->def) {
			put(b, ",\"default\":");
			put_jvalue(b, f->def);
		}
		put(b, f->next ? "}," : "}");
	}
	put(b, "]");
}

static void
schema_endpoint(jsgen *g, const lvc_decl *d)
{
	static const char *const models[] = { "serial", "parallel", "receive_serial" };
	const lvc_policy *pol = &d->policy;
	lvc_tbuf *b = &g->json;
	put(b, "{\"kind\":");
	const char *kind = lvc_endpoint_kind_name(d->ekind);
	put_jstr(b, kind, strlen(kind));
	put(b, ",\"params\":");
	schema_fields(g, d->params);
	if (d->result) {
		bool opt = d->result->kind == LVC_T_OPTIONAL;
		const char *rt = lvc_type_str(g->c, opt ? d->result->elem : d->result);
		put(b, ",\"result\":");
		put_jstr(b, rt, strlen(rt));
		if (opt)
			put(b, ",\"result_optional\":true");
	}
	if (pol->http)
		put(b, ",\"http\":true");
	if (pol->timeout_ms) {
		put(b, ",\"timeout\":");
		put_jint(b, pol->timeout_ms);
	}
	if (pol->volatile_delivery)
		put(b, ",\"volatile\":true");
	if (pol->event.n) {
		put(b, ",\"event\":");
		put_jlstr(b, pol->event);
		put(b, pol->lifecycle ? ",\"lifecycle\":true" : ",\"lifecycle\":false");
	}
	if (d->ekind == LVC_E_CLIENT_CALLBACK) {
		put(b, ",\"dom_event\":");
		put_jlstr(b, pol->dom_event);
		put(b, ",\"group\":");
		put_jlstr(b, pol->group);
		put(b, ",\"concurrency\":");
		put_jstr(b, models[pol->concurrency], strlen(models[pol->concurrency]));
		put(b, ",\"blocks\":[");
		for (int k = 0; k < pol->nblocks; k++) {
			put_jlstr(b, pol->blocks[k]);
			if (k + 1 < pol->nblocks)
				put(b, ",");
		}
		put(b, "]");
		if (pol->debounce_ms) {
			put(b, ",\"debounce\":");
			put_jint(b, pol->debounce_ms);
		}
		if (pol->confirm.n) {
			put(b, ",\"confirm\":");
			put_jlstr(b, pol->confirm);
		}
	}
	put(b, "}");
}

/* One schema line, {name, json}, for the JSON text in g->json. */
static lvc_view
schema_line(jsgen *g, const lvc_decl *d)
{
	lvc_vobj *o = lvc_vobj_new(g->a, 2);
	lvc_vobj_set(o, "name", lvc_v_str(d->name));
	lvc_vobj_set(o, "json", lvc_v_copy(g->a, g->json.data, g->json.len));
	return lvc_v_obj(o);
}

/* The schema, one line per type and endpoint: readable, and diffs stay
 * small. */
static void
add_schema(jsgen *g, const lvc_program *p, lvc_vobj *view)
{
	lvc_tbuf *b = &g->json;
	lvc_vlist *types = lvc_vlist_new(g->a, (uint32_t)p->ntypes);
	for (int i = 0; i < p->ntypes; i++) {
		const lvc_decl *d = p->types[i];
		b->len = 0;
		if (d->kind == LVC_D_STRUCT) {
			put(b, "{\"kind\":\"struct\",\"fields\":");
			schema_fields(g, d->fields);
		} else {
			put(b, "{\"kind\":\"enum\",\"members\":[");
			for (const lvc_member *x = d->members; x; x = x->next) {
				put_jlstr(b, x->name);
				if (x->next)
					put(b, ",");
			}
			put(b, "]");
		}
		put(b, "}");
		lvc_vlist_push(types, schema_line(g, d));
	}
	lvc_vlist *eps = lvc_vlist_new(g->a, (uint32_t)p->nendpoints);
	for (int i = 0; i < p->nendpoints; i++) {
		b->len = 0;
		schema_endpoint(g, p->endpoints[i]);
		lvc_vlist_push(eps, schema_line(g, p->endpoints[i]));
	}
	lvc_vobj_set(view, "schema_types", lvc_v_list(types));
	lvc_vobj_set(view, "schema_endpoints", lvc_v_list(eps));

	/* States: who owns each, its scope and flush, its type (and, for the
	 * .d.ts, the kind of store a client holds for it). */
	static const char *const scopes[] = { "conn", "group", "global" };
	lvc_vlist *states = lvc_vlist_new(g->a, (uint32_t)p->nstates);
	for (int i = 0; i < p->nstates; i++) {
		const lvc_decl *d = p->states[i];
		bool server = d->ekind == LVC_E_SERVER_STATE;
		b->len = 0;
		put(b, server ? "{\"owner\":\"server\",\"scope\":\"" : "{\"owner\":\"page\",\"scope\":\"");
		put(b, scopes[server ? d->policy.scope : LVC_SCOPE_CONN]);
		put(b, "\",\"flush\":");
		if (d->policy.flush_ms == LVC_FLUSH_MANUAL)
			put(b, "\"manual\"");
		else
			put_jint(b, d->policy.flush_ms);
		const char *t = lvc_type_str(g->c, d->result);
		put(b, ",\"type\":");
		put_jstr(b, t, strlen(t));
		put(b, "}");
		lvc_vobj *o = lvc_vobj_new(g->a, 4);
		lvc_vobj_set(o, "name", lvc_v_str(d->name));
		lvc_vobj_set(o, "json", lvc_v_copy(g->a, b->data, b->len));
		lvc_vobj_set(o, "doc", lvc_doc_lines(g->a, d->doc));
		const char *ts = ts_type(g, d->result);
		lvc_vobj_set(o, "store_ts", lvc_v_fmt(g->a, "%s<%s>", !server ? "PageState" :
		             d->policy.scope == LVC_SCOPE_GROUP ? "GroupState" : "ServerState", ts));
		lvc_vlist_push(states, lvc_v_obj(o));
	}
	lvc_vobj_set(view, "schema_states", lvc_v_list(states));

	/* Model bindings: what client.model.NAME may do, and on what a query
	 * filters and orders; with, for the .d.ts, the row's key. */
	lvc_vlist *models = lvc_vlist_new(g->a, (uint32_t)p->nbindings);
	for (int i = 0; i < p->nbindings; i++) {
		const lvc_decl *d = p->bindings[i];
		const lvc_binding *bd = d->binding;
		const lvc_decl *s = bd->model;
		const lvc_model *m = s->model;
		b->len = 0;
		put(b, "{\"model\":");
		put_jlstr(b, s->name);
		put(b, ",\"ops\":[");
		bool first = true;
		for (int op = 0; op < LVC_NOPS; op++)
			if (bd->ops & (1u << op)) {
				put(b, first ? "\"" : ",\"");
				put(b, lvc_model_op_name((lvc_model_op)op));
				put(b, "\"");
				first = false;
			}
		put(b, "],\"key\":");
		put_jlstr(b, m->key->name);
		put(b, ",\"version\":");
		put_jlstr(b, m->version->name);
		put(b, ",\"filter\":[");
		for (int j = 0; j < bd->nfilter; j++) {
			if (j)
				put(b, ",");
			put_jlstr(b, lvc_model_field(s, bd->filter[j])->name);
		}
		put(b, "],\"order\":[");
		for (int j = 0; j < bd->norder; j++) {
			if (j)
				put(b, ",");
			put_jlstr(b, lvc_model_field(s, bd->order[j])->name);
		}
		put(b, "],\"limit\":");
		put_jint(b, bd->limit);
		put(b, "}");
		lvc_vobj *o = lvc_vobj_new(g->a, 4);
		lvc_vobj_set(o, "name", lvc_v_str(d->name));
		lvc_vobj_set(o, "json", lvc_v_copy(g->a, b->data, b->len));
		lvc_vobj_set(o, "doc", lvc_doc_lines(g->a, d->doc));
		lvc_vobj_set(o, "binding_ts", lvc_v_fmt(g->a, "ModelBinding<%.*s, %s, \"%.*s\", \"%.*s\">",
		             (int)s->name.n, s->name.p, ts_type(g, m->key->type),
		             (int)m->key->name.n, m->key->name.p,
		             (int)m->version->name.n, m->version->name.p));
		lvc_vlist_push(models, lvc_v_obj(o));
	}
	lvc_vobj_set(view, "schema_models", lvc_v_list(models));
}

/* ---- the view ------------------------------------------------------------------ */

static lvc_view
js_params(jsgen *g, const lvc_field *f)
{
	lvc_vlist *a = lvc_vlist_new(g->a, 4);
	for (const lvc_field *x = f; x; x = x->next) {
		/* "name?: T" only where everything after it may be left out too. */
		bool tail_optional = true;
		for (const lvc_field *y = x; y; y = y->next)
			if (y->type->kind != LVC_T_OPTIONAL && !y->def)
				tail_optional = false;
		bool omittable = x->type->kind == LVC_T_OPTIONAL || x->def;
		const char *ts = ts_type(g, x->type);
		int nn = (int)x->name.n;
		lvc_vobj *o = lvc_vobj_new(g->a, 6);
		lvc_vobj_set(o, "name", lvc_v_str(x->name));
		lvc_vobj_set(o, "ts", lvc_v_cstr(ts));
		lvc_vobj_set(o, "optional", lvc_v_bool(omittable && tail_optional));
		lvc_vobj_set(o, "doc", lvc_doc_lines(g->a, x->doc));
		lvc_vobj_set(o, "ts_decl", omittable && tail_optional ?
		             lvc_v_fmt(g->a, "%.*s?: %s", nn, x->name.p, ts) :
		             omittable ? lvc_v_fmt(g->a, "%.*s: %s | undefined", nn, x->name.p, ts) :
		             lvc_v_fmt(g->a, "%.*s: %s", nn, x->name.p, ts));
		lvc_vobj_set(o, "jsdoc", omittable ?
		             lvc_v_fmt(g->a, "{%s} [%.*s]", ts, nn, x->name.p) :
		             lvc_v_fmt(g->a, "{%s} %.*s", ts, nn, x->name.p));
		lvc_vlist_push(a, lvc_v_obj(o));
	}
	return lvc_v_list(a);
}

static void
add_types(jsgen *g, const lvc_program *p, lvc_vobj *view)
{
	lvc_vlist *structs = lvc_vlist_new(g->a, (uint32_t)p->ntypes);
	lvc_vlist *enums = lvc_vlist_new(g->a, 0);
	for (int i = 0; i < p->ntypes; i++) {
		const lvc_decl *d = p->types[i];
		if (d->kind == LVC_D_STRUCT) {
			lvc_vlist *fields = lvc_vlist_new(g->a, (uint32_t)d->nfields);
			for (const lvc_field *f = d->fields; f; f = f->next) {
				bool opt = f->type->kind == LVC_T_OPTIONAL;
				/* "?" when it may be left out; "| null" only for T?, which
				 * is the one kind the decoders take null for. */
				const char *ts = ts_type(g, opt ? f->type->elem : f->type);
				lvc_vobj *fo = lvc_vobj_new(g->a, 6);
				lvc_vobj_set(fo, "name", lvc_v_str(f->name));
				lvc_vobj_set(fo, "ts", lvc_v_cstr(ts));
				lvc_vobj_set(fo, "optional", lvc_v_bool(opt || f->def));
				lvc_vobj_set(fo, "nullable", lvc_v_bool(opt));
				lvc_vobj_set(fo, "doc", lvc_doc_lines(g->a, f->doc));
				lvc_vobj_set(fo, "jsdoc", lvc_v_fmt(g->a, opt || f->def ? "{%s%s} [%.*s]" :
				             "{%s%s} %.*s", ts, opt ? " | null" : "",
				             (int)f->name.n, f->name.p));
				lvc_vlist_push(fields, lvc_v_obj(fo));
			}
			lvc_vobj *o = lvc_vobj_new(g->a, 3);
			lvc_vobj_set(o, "name", lvc_v_str(d->name));
			lvc_vobj_set(o, "doc", lvc_doc_lines(g->a, d->doc));
			lvc_vobj_set(o, "fields", lvc_v_list(fields));
			lvc_vlist_push(structs, lvc_v_obj(o));
		} else {
			lvc_vlist *members = lvc_vlist_new(g->a, (uint32_t)d->nmembers);
			lvc_tbuf *u = &g->json;
			u->len = 0;
			put(u, "{");
			for (const lvc_member *m = d->members; m; m = m->next) {
				lvc_vobj *mo = lvc_vobj_new(g->a, 2);
				lvc_vobj_set(mo, "name", lvc_v_str(m->name));
				lvc_vobj_set(mo, "doc", lvc_doc_lines(g->a, m->doc));
				lvc_vlist_push(members, lvc_v_obj(mo));
				put(u, "\"");
				lvc_tbuf_put(u, m->name.p, m->name.n);
				put(u, m->next ? "\" | " : "\"}");
			}
			lvc_vobj *o = lvc_vobj_new(g->a, 4);
			lvc_vobj_set(o, "name", lvc_v_str(d->name));
			lvc_vobj_set(o, "doc", lvc_doc_lines(g->a, d->doc));
			lvc_vobj_set(o, "members", lvc_v_list(members));
			lvc_vobj_set(o, "jsdoc", lvc_v_copy(g->a, u->data, u->len));
			lvc_vlist_push(enums, lvc_v_obj(o));
		}
	}
	lvc_vobj_set(view, "structs", lvc_v_list(structs));
	lvc_vobj_set(view, "enums", lvc_v_list(enums));
}

/* Is endpoint kind k handled in the page? */
static bool
page_handles(lvc_endpoint_kind k)
{
	return k == LVC_E_CLIENT_REALTIME || k == LVC_E_CLIENT_RPC ||
	       k == LVC_E_CLIENT_CALLBACK || k == LVC_E_CLIENT_ON;
}

static lvc_vobj *
endpoint_view(jsgen *g, const lvc_decl *d)
{
	lvc_endpoint_kind k = d->ekind;
	const lvc_type *r = d->result;
	bool handler = page_handles(k);
	lvc_vobj *o = lvc_vobj_new(g->a, 14);
	lvc_vobj_set(o, "name", lvc_v_str(d->name));
	lvc_vobj_set(o, "kind", lvc_v_cstr(lvc_endpoint_kind_name(k)));
	lvc_vobj_set(o, "doc", lvc_doc_lines(g->a, d->doc));
	lvc_vobj_set(o, "params", js_params(g, d->params));
	lvc_vobj_set(o, "rpc", lvc_v_bool(k == LVC_E_SERVER_RPC));
	lvc_vobj_set(o, "realtime", lvc_v_bool(k == LVC_E_SERVER_REALTIME));
	lvc_vobj_set(o, "callback", lvc_v_bool(k == LVC_E_CLIENT_CALLBACK));
	lvc_vobj_set(o, "client_rpc", lvc_v_bool(k == LVC_E_CLIENT_RPC));
	lvc_vobj_set(o, "handler", lvc_v_bool(handler));
	lvc_vobj_set(o, "result_ts", lvc_v_cstr(r ? ts_type(g, r) : "void"));
	lvc_vobj_set(o, "handler_result_ts", k == LVC_E_CLIENT_RPC ?
	             lvc_v_fmt(g->a, "%s | Promise<%s>", ts_type(g, r), ts_type(g, r)) :
	             lvc_v_cstr(k == LVC_E_CLIENT_CALLBACK ?
	                        "CallbackArgs | false | Promise<CallbackArgs | false>" : "void"));
	if (d->policy.dom_event.n)
		lvc_vobj_set(o, "dom_event", lvc_v_str(d->policy.dom_event));
	if (handler)
		lvc_vobj_set(o, "base", lvc_v_cstr(g->e->base));
	return o;
}

static lvc_vobj *
js_endpoint_view(void *gen, const lvc_decl *d, const char *name, int index)
{
	(void)name;
	(void)index;
	return endpoint_view(gen, d);
}

static bool
handled_in_page(const lvc_decl *d)
{
	return page_handles(d->ekind);
}

int
lvc_emit_js(lvc_ctx *c, lvc_emit *e, const lvc_program *p, lvc_tbuf *js)
{
	lvc_arena arena = { 0 };
	jsgen g = { c, e, &arena, { 0 } };
	lvc_vobj *view = lvc_base_view(c, e, g.a);
	add_schema(&g, p, view);
	add_types(&g, p, view);

	/* The handler file has a block for each endpoint the page handles. */
	lvc_blockset blocks;
	lvc_vlist *eps = lvc_endpoint_views(g.a, p, js_endpoint_view, &g, handled_in_page, &blocks);
	lvc_vobj_set(view, "endpoints", lvc_v_list(eps));

	/* The copy the server embeds and serves at /NAME.lv.js imports
	 * "./lv.js", which it serves beside it; the files written import the
	 * runtime as --js-runtime says (a package, for a bundler). */
	const char *runtime = e->js_runtime ? e->js_runtime : LVC_JS_RUNTIME;
	bool own_import = strcmp(runtime, LVC_JS_RUNTIME) != 0;
	lvc_tbuf file = { 0 };
	lvc_view top = lvc_v_obj(view);
	lvc_vobj_set(view, "js_runtime", lvc_v_cstr(LVC_JS_RUNTIME));
	int rc = lvc_render(c, e->templates, e->ntemplates, "js_module", &top, js);
	lvc_vobj_set(view, "js_runtime", lvc_v_cstr(runtime));
	if (rc == 0 && own_import)
		rc = lvc_render(c, e->templates, e->ntemplates, "js_module", &top, &file);
	const lvc_tbuf *written = own_import ? &file : js;
	if (rc == 0)
		lvc_emit_stage(c, e, lvc_sprintf(&c->arena, "%s/%s.lv.js", e->outdir, e->base),
		               written->data ? written->data : "", written->len);
	if (rc == 0)
		rc = lvc_emit_file(c, e, "js_dts", &top, lvc_sprintf(g.a, "%s.lv.d.ts", e->base));
	if (rc == 0)
		rc = lvc_emit_handlers(c, e, &top, "js_handlers", "js_handler", &blocks,
		                       lvc_sprintf(&c->arena, "%s/%s_handlers.js", e->js_handlers,
		                       e->base), LVC_MARK_JS);
	lvc_blockset_free(&blocks);
	free(file.data);
	free(g.json.data);
	lvc_arena_free(&arena);
	return rc;
}
