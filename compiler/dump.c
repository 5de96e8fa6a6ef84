/* dump.c - the checked AST as JSON, for tests and tools (--dump-ast). */
#include <jansson.h>
#include <stdio.h>

#include "lvc.h"

static json_t *
str(lvc_str s)
{
	return json_stringn(s.p, s.n);
}

static json_t *
loc(lvc_ctx *c, lvc_loc at)
{
	uint32_t line, col;
	lvc_line_col(c, at, &line, &col);
	return json_pack("{s:s, s:i, s:i}", "file", lvc_file_path(c, at.file),
	                 "line", (json_int_t)line, "col", (json_int_t)col);
}

static void
set_doc(json_t *o, const lvc_doc *d)
{
	if (d)
		json_object_set_new(o, "doc", json_string(d->text));
}

static json_t *
value(const lvc_value *v)
{
	static const char *const kinds[] = {
		[LVC_V_INT] = "int", [LVC_V_FLOAT] = "float", [LVC_V_STRING] = "string",
		[LVC_V_BOOL] = "bool", [LVC_V_NULL] = "null", [LVC_V_IDENT] = "name",
		[LVC_V_DURATION] = "duration_ms", [LVC_V_SIZE] = "size_bytes",
		[LVC_V_RATE] = "rate", [LVC_V_LIST] = "list", [LVC_V_MAP] = "map",
	};
	json_t *o = json_pack("{s:s}", "kind", kinds[v->kind]);
	switch (v->kind) {
	case LVC_V_INT: case LVC_V_DURATION: case LVC_V_SIZE:
		json_object_set_new(o, "value", json_integer(v->i));
		break;
	case LVC_V_FLOAT:
		json_object_set_new(o, "value", json_real(v->f));
		break;
	case LVC_V_STRING: case LVC_V_IDENT:
		json_object_set_new(o, "value", str(v->s));
		break;
	case LVC_V_BOOL:
		json_object_set_new(o, "value", json_boolean(v->i));
		break;
	case LVC_V_RATE:
		json_object_set_new(o, "count", json_integer(v->i));
		json_object_set_new(o, "per_ms", json_integer(v->per));
		break;
	case LVC_V_LIST: {
		json_t *a = json_array();
		for (const lvc_value *i = v->items; i; i = i->next)
			json_array_append_new(a, value(i));
		json_object_set_new(o, "items", a);
		break;
	}
	default:
		break;
	}
	return o;
}

static json_t *
fields(lvc_ctx *c, const lvc_field *f)
{
	json_t *a = json_array();
	for (; f; f = f->next) {
		json_t *o = json_pack("{s:o, s:s, s:b, s:o}", "name", str(f->name),
		                      "type", lvc_type_str(c, f->type),
		                      "optional", f->type->kind == LVC_T_OPTIONAL,
		                      "loc", loc(c, f->loc));
		if (f->def)
			json_object_set_new(o, "default", value(f->def));
		if (f->mflags) {
			json_t *flags = json_array();
			if (f->mflags & LVC_MF_KEY)
				json_array_append_new(flags, json_string("key"));
			if (f->mflags & LVC_MF_VERSION)
				json_array_append_new(flags, json_string("version"));
			if (f->mflags & LVC_MF_INDEX)
				json_array_append_new(flags, json_string("index"));
			json_object_set_new(o, "model_flags", flags);
		}
		set_doc(o, f->doc);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *
strs(const lvc_str *s, int n)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, str(s[i]));
	return a;
}

static json_t *
policy(const lvc_decl *d)
{
	const lvc_policy *p = &d->policy;
	static const char *const access[] = { "none", "public", "auth" };
	json_t *o = json_pack("{s:s}", "access", access[p->access]);
	if (p->access == LVC_ACCESS_AUTH)
		json_object_set_new(o, "roles", strs(p->roles, p->nroles));
	if (d->ekind == LVC_E_SERVER_RPC)
		json_object_set_new(o, "http", json_boolean(p->http));
	if (p->timeout_ms)
		json_object_set_new(o, "timeout_ms", json_integer(p->timeout_ms));
	json_object_set_new(o, "delivery",
	                    json_string(p->volatile_delivery ? "volatile" : "reliable"));
	if (p->max_bytes)
		json_object_set_new(o, "max_bytes", json_integer(p->max_bytes));
	if (p->rate_count)
		json_object_set_new(o, "rate", json_pack("{s:I, s:I}", "count",
		                    (json_int_t)p->rate_count, "per_ms", (json_int_t)p->rate_per_ms));
	if (p->event.n) {
		json_object_set_new(o, "event", str(p->event));
		json_object_set_new(o, "lifecycle", json_boolean(p->lifecycle));
	}
	if (d->ekind == LVC_E_CLIENT_CALLBACK) {
		static const char *const models[] = { "serial", "parallel", "receive_serial" };
		json_object_set_new(o, "dom_event", str(p->dom_event));
		json_object_set_new(o, "group", str(p->group));
		json_object_set_new(o, "concurrency", json_string(models[p->concurrency]));
		json_object_set_new(o, "blocks", strs(p->blocks, p->nblocks));
		if (p->debounce_ms)
			json_object_set_new(o, "debounce_ms", json_integer(p->debounce_ms));
		if (p->confirm.n)
			json_object_set_new(o, "confirm", str(p->confirm));
	}
	return o;
}

static json_t *
decorators(lvc_ctx *c, const lvc_decorator *d)
{
	json_t *a = json_array();
	for (; d; d = d->next) {
		json_t *args = json_array();
		for (const lvc_arg *x = d->args; x; x = x->next) {
			json_t *o = json_pack("{s:o}", "value", value(x->value));
			if (x->name.n)
				json_object_set_new(o, "name", str(x->name));
			json_array_append_new(args, o);
		}
		json_array_append_new(a, json_pack("{s:o, s:o, s:o}", "name", str(d->name),
		                                   "args", args, "loc", loc(c, d->loc)));
	}
	return a;
}

static json_t *
decl(lvc_ctx *c, const lvc_decl *d)
{
	static const char *const kinds[] = { "struct", "enum", "endpoint", "state", "binding" };
	json_t *o = json_pack("{s:s, s:o, s:o}", "kind", kinds[d->kind], "name", str(d->name),
	                      "loc", loc(c, d->loc));
	set_doc(o, d->doc);
	if (d->kind == LVC_D_STRUCT) {
		json_object_set_new(o, "fields", fields(c, d->fields));
		if (d->model) {
			const lvc_model *m = d->model;
			json_t *mo = json_pack("{s:o}", "table", str(m->table));
			if (m->key)
				json_object_set_new(mo, "key", str(m->key->name));
			if (m->version)
				json_object_set_new(mo, "version", str(m->version->name));
			json_object_set_new(o, "model", mo);
		}
	} else if (d->kind == LVC_D_BINDING) {
		const lvc_binding *b = d->binding;
		json_t *ops = json_array(), *filter = json_array(), *order = json_array();
		for (int i = 0; b && i < LVC_NOPS; i++)
			if (b->ops & (1u << i))
				json_array_append_new(ops, json_string(lvc_model_op_name((lvc_model_op)i)));
		for (int i = 0; b && b->model && i < b->nfilter; i++)
			json_array_append_new(filter, str(lvc_model_field(b->model, b->filter[i])->name));
		for (int i = 0; b && b->model && i < b->norder; i++)
			json_array_append_new(order, str(lvc_model_field(b->model, b->order[i])->name));
		json_object_set_new(o, "model", json_string(lvc_type_str(c, d->result)));
		json_object_set_new(o, "binding", json_pack("{s:o, s:o, s:o, s:I, s:b}", "ops", ops,
		                    "filter", filter, "order", order, "limit",
		                    (json_int_t)(b ? b->limit : 0), "allow", b && b->allow));
		json_object_set_new(o, "policy", policy(d));
		json_object_set_new(o, "decorators", decorators(c, d->decorators));
	} else if (d->kind == LVC_D_ENUM) {
		json_t *a = json_array();
		for (const lvc_member *m = d->members; m; m = m->next) {
			json_t *mo = json_pack("{s:o, s:i}", "name", str(m->name), "index", m->index);
			set_doc(mo, m->doc);
			json_array_append_new(a, mo);
		}
		json_object_set_new(o, "members", a);
	} else if (d->kind == LVC_D_STATE) {
		static const char *const scopes[] = { "conn", "group", "global" };
		json_object_set_new(o, "state", json_string(lvc_endpoint_kind_name(d->ekind)));
		json_object_set_new(o, "type", json_string(lvc_type_str(c, d->result)));
		json_t *pol = policy(d);
		if (d->ekind == LVC_E_SERVER_STATE)
			json_object_set_new(pol, "scope", json_string(scopes[d->policy.scope]));
		if (d->policy.flush_ms == LVC_FLUSH_MANUAL)
			json_object_set_new(pol, "flush", json_string("manual"));
		else
			json_object_set_new(pol, "flush_ms", json_integer(d->policy.flush_ms));
		json_object_set_new(o, "policy", pol);
		json_object_set_new(o, "decorators", decorators(c, d->decorators));
	} else {
		json_object_set_new(o, "endpoint", json_string(lvc_endpoint_kind_name(d->ekind)));
		json_object_set_new(o, "params", fields(c, d->params));
		if (d->result)
			json_object_set_new(o, "result", json_string(lvc_type_str(c, d->result)));
		json_object_set_new(o, "policy", policy(d));
		json_object_set_new(o, "decorators", decorators(c, d->decorators));
	}
	return o;
}

int
lvc_dump_ast(lvc_ctx *c, void *out)
{
	json_t *mods = json_array();
	for (const lvc_module *m = c->modules; m; m = m->next) {
		json_t *imports = json_array(), *decls = json_array();
		for (const lvc_import *i = m->imports; i; i = i->next)
			json_array_append_new(imports, str(i->path));
		for (const lvc_decl *d = m->decls; d; d = d->next)
			json_array_append_new(decls, decl(c, d));
		json_t *mo = json_pack("{s:o, s:s, s:b, s:o, s:o, s:o}", "name", str(m->name),
		                       "file", lvc_file_path(c, m->file), "root", m == c->root,
		                       "decorators", decorators(c, m->decorators),
		                       "imports", imports, "decls", decls);
		set_doc(mo, m->doc);
		json_array_append_new(mods, mo);
	}
	json_t *root = json_pack("{s:s, s:o}", "lvc", LVC_VERSION, "modules", mods);
	int rc = json_dumpf(root, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
	fputc('\n', out);
	json_decref(root);
	return rc;
}
