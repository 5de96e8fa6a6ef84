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
	case LVC_T_LIST: return lvc_sprintf(&g->c->arena, "Array<%s>", ts_type(g, t->elem));
	case LVC_T_MAP: return lvc_sprintf(&g->c->arena, "Record<string, %s>", ts_type(g, t->elem));
	case LVC_T_OPTIONAL: return lvc_sprintf(&g->c->arena, "%s | null", ts_type(g, t->elem));
	case LVC_T_NAMED: return lvc_strndup(&g->c->arena, t->ref->name.p, t->ref->name.n);
	default: return "unknown";
	}
}

/* A value for the schema (defaults), as JSON. */
static json_t *
value_json(const lvc_value *v)
{
	switch (v->kind) {
	case LVC_V_INT: return json_integer(v->i);
	case LVC_V_FLOAT: return json_real(v->f);
	case LVC_V_BOOL: return json_boolean(v->i);
	case LVC_V_STRING: case LVC_V_IDENT: return lvc_jstr(v->s);
	case LVC_V_MAP: return json_object();
	case LVC_V_LIST: {
		json_t *a = json_array();
		for (const lvc_value *i = v->items; i; i = i->next)
			json_array_append_new(a, value_json(i));
		return a;
	}
	default: return json_null();
	}
}

/* Fields or parameters as the schema lists them: [name, type, flags...]. */
static json_t *
schema_fields(jsgen *g, const lvc_field *f)
{
	json_t *a = json_array();
	for (; f; f = f->next) {
		bool opt = f->type->kind == LVC_T_OPTIONAL;
		const lvc_type *t = opt ? f->type->elem : f->type;
		json_t *o = json_pack("{s:o, s:s}", "name", lvc_jstr(f->name),
		                      "type", lvc_type_str(g->c, t));
		if (opt)
			json_object_set_new(o, "optional", json_true());
		if (f->def)
			json_object_set_new(o, "default", value_json(f->def));
		json_array_append_new(a, o);
	}
	return a;
}

static const char *
qualified(jsgen *g, const lvc_decl *d)
{
	return lvc_sprintf(&g->c->arena, "%.*s", (int)d->name.n, d->name.p);
}

static json_t *
build_schema(jsgen *g, const lvc_program *p)
{
	json_t *types = json_object(), *eps = json_object();
	for (int i = 0; i < p->ntypes; i++) {
		const lvc_decl *d = p->types[i];
		if (d->kind == LVC_D_STRUCT) {
			json_object_set_new(types, qualified(g, d), json_pack("{s:s, s:o}", "kind",
			                    "struct", "fields", schema_fields(g, d->fields)));
		} else {
			json_t *m = json_array();
			for (const lvc_member *x = d->members; x; x = x->next)
				json_array_append_new(m, lvc_jstr(x->name));
			json_object_set_new(types, qualified(g, d), json_pack("{s:s, s:o}", "kind",
			                    "enum", "members", m));
		}
	}
	for (int i = 0; i < p->nendpoints; i++) {
		const lvc_decl *d = p->endpoints[i];
		const lvc_policy *pol = &d->policy;
		json_t *o = json_pack("{s:s, s:o}", "kind", lvc_endpoint_kind_name(d->ekind),
		                      "params", schema_fields(g, d->params));
		if (d->result) {
			bool opt = d->result->kind == LVC_T_OPTIONAL;
			json_object_set_new(o, "result", json_string(lvc_type_str(g->c,
			                    opt ? d->result->elem : d->result)));
			if (opt)
				json_object_set_new(o, "result_optional", json_true());
		}
		if (pol->http)
			json_object_set_new(o, "http", json_true());
		if (pol->timeout_ms)
			json_object_set_new(o, "timeout", json_integer(pol->timeout_ms));
		if (pol->volatile_delivery)
			json_object_set_new(o, "volatile", json_true());
		if (pol->event.n) {
			json_object_set_new(o, "event", lvc_jstr(pol->event));
			json_object_set_new(o, "lifecycle", json_boolean(pol->lifecycle));
		}
		if (d->ekind == LVC_E_CLIENT_CALLBACK) {
			static const char *const models[] = { "serial", "parallel", "receive_serial" };
			json_t *blocks = json_array();
			for (int k = 0; k < pol->nblocks; k++)
				json_array_append_new(blocks, lvc_jstr(pol->blocks[k]));
			json_object_set_new(o, "dom_event", lvc_jstr(pol->dom_event));
			json_object_set_new(o, "group", lvc_jstr(pol->group));
			json_object_set_new(o, "concurrency", json_string(models[pol->concurrency]));
			json_object_set_new(o, "blocks", blocks);
			if (pol->debounce_ms)
				json_object_set_new(o, "debounce", json_integer(pol->debounce_ms));
			if (pol->confirm.n)
				json_object_set_new(o, "confirm", lvc_jstr(pol->confirm));
		}
		json_object_set_new(eps, qualified(g, d), o);
	}
	return json_pack("{s:s%, s:s, s:o, s:o}", "module", g->c->root->name.p,
	                 (size_t)g->c->root->name.n, "hash", g->e->hash, "types", types,
	                 "endpoints", eps);
}

static json_t *
js_params(jsgen *g, const lvc_field *f)
{
	json_t *a = json_array();
	for (const lvc_field *x = f; x; x = x->next) {
		/* "name?: T" only where everything after it may be left out too. */
		bool tail_optional = true;
		for (const lvc_field *y = x; y; y = y->next)
			if (y->type->kind != LVC_T_OPTIONAL && !y->def)
				tail_optional = false;
		bool omittable = x->type->kind == LVC_T_OPTIONAL || x->def;
		const char *ts = ts_type(g, x->type);
		json_t *o = json_pack("{s:o, s:s, s:b, s:o}", "name", lvc_jstr(x->name), "ts", ts,
		                      "optional", omittable && tail_optional, "doc", lvc_doc_lines(x->doc));
		json_object_set_new(o, "ts_decl", omittable && tail_optional ?
		                    lvc_jfmt("%.*s?: %s", (int)x->name.n, x->name.p, ts) :
		                    omittable ? lvc_jfmt("%.*s: %s | undefined", (int)x->name.n,
		                                         x->name.p, ts) :
		                    lvc_jfmt("%.*s: %s", (int)x->name.n, x->name.p, ts));
		json_object_set_new(o, "jsdoc", omittable ?
		                    lvc_jfmt("{%s} [%.*s]", ts, (int)x->name.n, x->name.p) :
		                    lvc_jfmt("{%s} %.*s", ts, (int)x->name.n, x->name.p));
		json_array_append_new(a, o);
	}
	return a;
}

/* The generated module as C string literals of at most about 3000 bytes
 * each (ISO C guarantees 4095), split at line ends. */
static json_t *
c_literals(const char *s, size_t n)
{
	json_t *parts = json_array();
	lvc_tbuf b = { 0 };
	size_t part = 0;
	lvc_tbuf_put(&b, "\"", 1);
	for (size_t i = 0; i < n;) {
		/* A run of bytes that need no escape goes in at once. */
		size_t run = i;
		while (run < n && s[run] != '\n' && s[run] != '"' && s[run] != '\\' && s[run] != '?' &&
		       (unsigned char)s[run] >= 0x20 && (unsigned char)s[run] < 0x7f)
			run++;
		if (run > i) {
			lvc_tbuf_put(&b, s + i, run - i);
			part += run - i;
			i = run;
			continue;
		}
		unsigned char ch = (unsigned char)s[i++];
		if (ch == '\n') {
			lvc_tbuf_put(&b, "\\n\"", 3);
			part += 1;
			if (part > 3000 || i == n) {
				json_array_append_new(parts, json_string(b.data));
				b.len = 0;
				part = 0;
				lvc_tbuf_put(&b, "\"", 1);
			} else {
				lvc_tbuf_put(&b, "\n\t \"", 4);
			}
			continue;
		}
		char esc[8];
		if (ch == '"' || ch == '\\' || ch == '?') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			lvc_tbuf_put(&b, esc, 2);
		} else {
			lvc_tbuf_put(&b, esc, (size_t)snprintf(esc, sizeof esc, "\\%03o", ch));
		}
		part++;
	}
	if (part || json_array_size(parts) == 0) {
		lvc_tbuf_put(&b, "\"", 1);
		json_array_append_new(parts, json_string(b.data));
	}
	free(b.data);
	return parts;
}

int
lvc_emit_js(lvc_ctx *c, lvc_emit *e, const lvc_program *p, json_t **js_parts)
{
	jsgen g = { c, e };
	json_t *view = json_pack("{s:s, s:s, s:s, s:s%, s:s}", "lvc_version", LVC_VERSION,
	                         "source", e->source, "base", e->base, "module",
	                         c->root->name.p, (size_t)c->root->name.n, "hash", e->hash);
	json_t *schema = build_schema(&g, p);
	/* One line per type and endpoint: readable, and diffs stay small. */
	json_t *lines = json_object();
	const char *sect;
	json_t *entries;
	json_object_foreach(schema, sect, entries) {
		if (!json_is_object(entries))
			continue;
		json_t *list = json_array();
		const char *name;
		json_t *entry;
		json_object_foreach(entries, name, entry) {
			char *text = json_dumps(entry, JSON_COMPACT | JSON_PRESERVE_ORDER);
			json_array_append_new(list, json_pack("{s:s, s:s}", "name", name, "json", text));
			free(text);
		}
		json_object_set_new(lines, sect, list);
	}
	json_object_set_new(view, "schema_types", json_incref(json_object_get(lines, "types")));
	json_object_set_new(view, "schema_endpoints", json_incref(json_object_get(lines, "endpoints")));
	json_decref(lines);
	json_decref(schema);
	json_object_set_new(view, "doc", lvc_doc_lines(c->root->doc));

	json_t *structs = json_array(), *enums = json_array();
	for (int i = 0; i < p->ntypes; i++) {
		const lvc_decl *d = p->types[i];
		if (d->kind == LVC_D_STRUCT) {
			json_t *fields = json_array();
			for (const lvc_field *f = d->fields; f; f = f->next) {
				bool opt = f->type->kind == LVC_T_OPTIONAL;
				/* "?" when it may be left out; "| null" only for T?, which
				 * is the one kind the decoders take null for. */
				const char *ts = ts_type(&g, opt ? f->type->elem : f->type);
				json_t *fo = json_pack("{s:o, s:s, s:b, s:b, s:o}",
				                      "name", lvc_jstr(f->name), "ts", ts,
				                      "optional", opt || f->def, "nullable", opt,
				                      "doc", lvc_doc_lines(f->doc));
				json_object_set_new(fo, "jsdoc", lvc_jfmt(opt || f->def ? "{%s%s} [%.*s]" :
				                    "{%s%s} %.*s", ts, opt ? " | null" : "",
				                    (int)f->name.n, f->name.p));
				json_array_append_new(fields, fo);
			}
			json_array_append_new(structs, json_pack("{s:o, s:o, s:o}", "name",
			                      lvc_jstr(d->name), "doc", lvc_doc_lines(d->doc),
			                      "fields", fields));
		} else {
			json_t *members = json_array();
			lvc_tbuf u = { 0 };
			lvc_tbuf_put(&u, "{", 1);
			for (const lvc_member *m = d->members; m; m = m->next) {
				json_array_append_new(members, json_pack("{s:o, s:o}", "name",
				                      lvc_jstr(m->name), "doc", lvc_doc_lines(m->doc)));
				lvc_tbuf_put(&u, "\"", 1);
				lvc_tbuf_put(&u, m->name.p, m->name.n);
				lvc_tbuf_put(&u, m->next ? "\" | " : "\"}", m->next ? 4 : 2);
			}
			json_array_append_new(enums, json_pack("{s:o, s:o, s:o, s:s}", "name",
			                      lvc_jstr(d->name), "doc", lvc_doc_lines(d->doc),
			                      "members", members, "jsdoc", u.data));
			free(u.data);
		}
	}
	json_object_set_new(view, "structs", structs);
	json_object_set_new(view, "enums", enums);

	json_t *eps = json_array();
	for (int i = 0; i < p->nendpoints; i++) {
		const lvc_decl *d = p->endpoints[i];
		lvc_endpoint_kind k = d->ekind;
		const lvc_type *r = d->result;
		bool handler = k == LVC_E_CLIENT_REALTIME || k == LVC_E_CLIENT_RPC ||
		               k == LVC_E_CLIENT_CALLBACK || k == LVC_E_CLIENT_ON;
		json_t *o = json_pack("{s:o, s:s, s:o, s:o}", "name", lvc_jstr(d->name),
		                      "kind", lvc_endpoint_kind_name(k), "doc", lvc_doc_lines(d->doc),
		                      "params", js_params(&g, d->params));
		json_object_set_new(o, "rpc", json_boolean(k == LVC_E_SERVER_RPC));
		json_object_set_new(o, "realtime", json_boolean(k == LVC_E_SERVER_REALTIME));
		json_object_set_new(o, "callback", json_boolean(k == LVC_E_CLIENT_CALLBACK));
		json_object_set_new(o, "client_rpc", json_boolean(k == LVC_E_CLIENT_RPC));
		json_object_set_new(o, "handler", json_boolean(handler));
		json_object_set_new(o, "result_ts", json_string(r ? ts_type(&g, r) : "void"));
		json_object_set_new(o, "handler_result_ts", json_string(k == LVC_E_CLIENT_RPC ?
		                    lvc_sprintf(&c->arena, "%s | Promise<%s>", ts_type(&g, r),
		                                ts_type(&g, r)) : k == LVC_E_CLIENT_CALLBACK ?
		                    "CallbackArgs | false | Promise<CallbackArgs | false>" : "void"));
		json_object_set_new(o, "dom_event", lvc_jstr(d->policy.dom_event));
		json_array_append_new(eps, o);
	}
	json_object_set_new(view, "endpoints", eps);

	int rc = 0;
	lvc_tbuf js = { 0 };
	rc = lvc_render(c, e->templates, e->ntemplates, "js_module", view, &js);
	if (rc == 0) {
		char *path = lvc_sprintf(&c->arena, "%s/%s.lv.js", e->outdir, e->base);
		rc = lvc_write_file(c, path, js.data, js.len);
		e->written[e->nwritten++] = path;
		*js_parts = json_pack("{s:o, s:I}", "parts", c_literals(js.data, js.len),
		                      "len", (json_int_t)js.len);
	}
	free(js.data);
	if (rc == 0)
		rc = lvc_emit_file(c, e, "js_dts", view, lvc_sprintf(&c->arena, "%s.lv.d.ts", e->base));
	if (rc == 0) {
		lvc_tbuf fresh = { 0 };
		size_t n = json_array_size(eps);
		lvc_block *blocks = calloc(n + 1, sizeof *blocks);
		lvc_tbuf *texts = calloc(n + 1, sizeof *texts);
		int nblocks = 0;
		rc = lvc_render(c, e->templates, e->ntemplates, "js_handlers", view, &fresh);
		for (size_t i = 0; rc == 0 && i < n; i++) {
			json_t *ep = json_array_get(eps, i);
			if (!json_is_true(json_object_get(ep, "handler")))
				continue;
			json_object_set_new(ep, "base", json_string(e->base));
			rc = lvc_render(c, e->templates, e->ntemplates, "js_handler", ep, &texts[nblocks]);
			blocks[nblocks].name = json_string_value(json_object_get(ep, "name"));
			blocks[nblocks].text = texts[nblocks].data ? texts[nblocks].data : "";
			nblocks++;
		}
		if (rc == 0)
			rc = lvc_merge_write(c, e, lvc_sprintf(&c->arena, "%s/%s_handlers.js",
			                     e->js_handlers, e->base), fresh.data ? fresh.data : "",
			                     blocks, nblocks, LVC_MARK_JS);
		for (int i = 0; i < nblocks; i++)
			free(texts[i].data);
		free(texts);
		free(blocks);
		free(fresh.data);
	}
	json_decref(view);
	return rc;
}
