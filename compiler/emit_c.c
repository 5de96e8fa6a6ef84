/* emit_c.c - the C side: NAME.lv.h, NAME.lv.c and NAME_handlers.c.
 *
 * This file builds the view model: C spellings of types, descriptor
 * references, parameter lists. The layout of the files is in templates/. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit_c.h"

const char *
cg_S(cgen *g, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	const char *p = lvc_vsprintf(g->a, NULL, fmt, ap);
	va_end(ap);
	return p;
}

const char *
cg_decl_cname(cgen *g, const lvc_decl *d)
{
	return cg_S(g, "%.*s_%.*s", (int)d->module->name.n, d->module->name.p,
	         (int)d->name.n, d->name.p);
}

static bool
is_struct(const lvc_type *t)
{
	return t->kind == LVC_T_NAMED && t->ref && t->ref->kind == LVC_D_STRUCT;
}

static const char *c_value_type(cgen *g, const lvc_type *t);

/* The element part of a list or map type name: "lv_int", "chat_Message",
 * "lv_int_list". */
static const char *
elem_stem(cgen *g, const lvc_type *t)
{
	switch (t->kind) {
	case LVC_T_BOOL: return "lv_bool";
	case LVC_T_INT: return "lv_int";
	case LVC_T_FLOAT: return "lv_float";
	case LVC_T_STRING: return "lv_str";
	case LVC_T_BYTES: return "lv_bytes";
	case LVC_T_JSON: return "lv_json";
	default: return c_value_type(g, t);
	}
}

static const char *
collection_type(cgen *g, const lvc_type *t)
{
	const char *kind = t->kind == LVC_T_LIST ? "list" : "map";
	const char *name = cg_S(g, "%s_%s", elem_stem(g, t->elem), kind);
	bool builtin = t->elem->kind != LVC_T_LIST && t->elem->kind != LVC_T_MAP;
	if (!builtin) {
		lvc_str key = { name, (uint32_t)strlen(name) };
		if (!lvc_symtab_get(&g->nested_seen, key)) {
			lvc_symtab_put(&g->nested_seen, key, (void *)name);
			char *guard = lvc_sprintf(g->a, "LV_HAVE_%s", name);
			for (char *p = guard; *p; p++)
				if (*p >= 'a' && *p <= 'z')
					*p = (char)(*p - 'a' + 'A');
			lvc_vobj *o = lvc_vobj_new(g->a, 4);
			lvc_vobj_set(o, "name", lvc_v_cstr(name));
			lvc_vobj_set(o, "guard", lvc_v_cstr(guard));
			lvc_vobj_set(o, "elem", lvc_v_cstr(c_value_type(g, t->elem)));
			lvc_vobj_set(o, "list", lvc_v_bool(t->kind == LVC_T_LIST));
			lvc_vlist_push(g->nested, lvc_v_obj(o));
		}
	}
	return name;
}

/* How a value of type t is stored in a struct or an argument list. */
static const char *
c_value_type(cgen *g, const lvc_type *t)
{
	switch (t->kind) {
	case LVC_T_BOOL: return "bool";
	case LVC_T_INT: return "int64_t";
	case LVC_T_FLOAT: return "double";
	case LVC_T_STRING: return "lv_str";
	case LVC_T_BYTES: return "lv_bytes";
	case LVC_T_JSON: return "lv_json";
	case LVC_T_LIST: case LVC_T_MAP: return collection_type(g, t);
	case LVC_T_NAMED: return cg_decl_cname(g, t->ref);
	case LVC_T_OPTIONAL:
		if (is_struct(t->elem))
			return cg_S(g, "const %s *", cg_decl_cname(g, t->elem->ref));
		return c_value_type(g, t->elem);
	default: return "void";
	}
}

/* A pointer to type: "int64_t *", "const chat_Message **". */
static const char *
ptr_to(cgen *g, const char *type)
{
	size_t n = strlen(type);
	return cg_S(g, "%s%s*", type, type[n - 1] == '*' ? "" : " ");
}

/* "int64_t x", "lv_json x", "const chat_Message *next". */
static const char *
c_decl(cgen *g, const char *type, lvc_str name)
{
	size_t n = strlen(type);
	return cg_S(g, "%s%s%.*s", type, type[n - 1] == '*' ? "" : " ", (int)name.n, name.p);
}

/* The descriptor of a type, as a C expression. */
static const char *
type_ref(cgen *g, const lvc_type *t)
{
	switch (t->kind) {
	case LVC_T_BOOL: return "&lv_bool_type";
	case LVC_T_INT: return "&lv_int_type";
	case LVC_T_FLOAT: return "&lv_float_type";
	case LVC_T_STRING: return "&lv_str_type";
	case LVC_T_BYTES: return "&lv_bytes_type";
	case LVC_T_JSON: return "&lv_json_type";
	case LVC_T_VOID: return "&lv_void_type";
	case LVC_T_OPTIONAL: return type_ref(g, t->elem);
	case LVC_T_NAMED: return cg_S(g, "&%s_type", cg_decl_cname(g, t->ref));
	default: break;
	}
	const char *name = lvc_type_str(g->c, t);
	lvc_str key = { name, (uint32_t)strlen(name) };
	const char *var = lvc_symtab_get(&g->composite_vars, key);
	if (var)
		return cg_S(g, "&%s", var);
	const char *elem = type_ref(g, t->elem);   /* items first: C needs them declared */
	var = cg_S(g, "%s__t%u", g->mod, (unsigned)g->composites->n);
	lvc_symtab_put(&g->composite_vars, key, (void *)var);
	lvc_vobj *o = lvc_vobj_new(g->a, 5);
	lvc_vobj_set(o, "var", lvc_v_cstr(var));
	lvc_vobj_set(o, "kind", lvc_v_cstr(t->kind == LVC_T_LIST ? "LV_K_LIST" : "LV_K_MAP"));
	lvc_vobj_set(o, "name", lvc_v_cstr(name));
	lvc_vobj_set(o, "ctype", lvc_v_cstr(c_value_type(g, t)));
	lvc_vobj_set(o, "elem", lvc_v_cstr(elem));
	lvc_vlist_push(g->composites, lvc_v_obj(o));
	return cg_S(g, "&%s", var);
}

/* A C string literal holding JSON for a default value. */
static void
json_literal(lvc_tbuf *b, const lvc_value *v, const lvc_type *t)
{
	char num[64];
	switch (v->kind) {
	case LVC_V_INT:
		if (t->kind == LVC_T_FLOAT || (t->kind == LVC_T_OPTIONAL && t->elem->kind == LVC_T_FLOAT))
			lvc_tbuf_put(b, num, (size_t)snprintf(num, sizeof num, "%lld.0", (long long)v->i));
		else
			lvc_tbuf_put(b, num, (size_t)snprintf(num, sizeof num, "%lld", (long long)v->i));
		break;
	case LVC_V_FLOAT: {
		int n = snprintf(num, sizeof num, "%.17g", v->f);
		if (!strpbrk(num, ".eE"))
			n += snprintf(num + n, sizeof num - (size_t)n, ".0");
		lvc_tbuf_put(b, num, (size_t)n);
		break;
	}
	case LVC_V_BOOL: lvc_tbuf_put(b, v->i ? "true" : "false", v->i ? 4 : 5); break;
	case LVC_V_NULL: lvc_tbuf_put(b, "null", 4); break;
	case LVC_V_MAP: lvc_tbuf_put(b, "{}", 2); break;
	case LVC_V_LIST: {
		const lvc_type *et = t->kind == LVC_T_OPTIONAL ? t->elem : t;
		et = et->kind == LVC_T_LIST ? et->elem : et;
		lvc_tbuf_put(b, "[", 1);
		for (const lvc_value *i = v->items; i; i = i->next) {
			json_literal(b, i, et);
			if (i->next)
				lvc_tbuf_put(b, ",", 1);
		}
		lvc_tbuf_put(b, "]", 1);
		break;
	}
	case LVC_V_STRING:
	case LVC_V_IDENT:
		/* Non-ASCII as \u escapes, so the C literal stays ASCII. */
		lvc_json_string(b, v->s.p, v->s.n, true);
		break;
	default:
		lvc_tbuf_put(b, "null", 4);
	}
}

/* The JSON of a default as the C literal that holds it. */
static lvc_view
default_literal(cgen *g, const lvc_value *v, const lvc_type *t)
{
	if (!v || (v->kind == LVC_V_NULL && t->kind == LVC_T_OPTIONAL))
		return lvc_v_cstr("NULL");   /* for T?, absent is what null means */
	lvc_tbuf json = { 0 }, *j = &g->scratch;
	json_literal(&json, v, t);
	j->len = 0;
	lvc_tbuf_put(j, "\"", 1);
	lvc_c_escape(j, json.data, json.len);
	lvc_tbuf_put(j, "\"", 1);
	free(json.data);
	return lvc_v_copy(g->a, j->data, j->len);
}

/* Members of a struct-like C type and their descriptors: fields of a
 * struct, or the arguments of an endpoint. */
static lvc_view
c_fields(cgen *g, const char *owner, const lvc_field *f)
{
	lvc_vlist *a = lvc_vlist_new(g->a, 4);
	for (; f; f = f->next) {
		const lvc_type *t = f->type;
		bool opt = t->kind == LVC_T_OPTIONAL;
		bool ptr = opt && is_struct(t->elem);
		lvc_vobj *o = lvc_vobj_new(g->a, 9);
		lvc_vobj_set(o, "name", lvc_v_str(f->name));
		lvc_vobj_set(o, "decl", lvc_v_cstr(c_decl(g, c_value_type(g, t), f->name)));
		lvc_vobj_set(o, "type", lvc_v_cstr(type_ref(g, t)));
		lvc_vobj_set(o, "doc", lvc_doc_lines(g->a, f->doc));
		lvc_vobj_set(o, "default", default_literal(g, f->def, t));
		lvc_vobj_set(o, "has", lvc_v_bool(opt && !ptr));
		lvc_vobj_set(o, "ptr", lvc_v_bool(ptr));
		lvc_vobj_set(o, "has_offset", !opt ? lvc_v_cstr("LV_REQUIRED") :
		             ptr ? lvc_v_cstr("LV_OPT_POINTER") :
		             lvc_v_fmt(g->a, "(int32_t)offsetof(%s, has_%.*s)", owner,
		                       (int)f->name.n, f->name.p));
		lvc_vobj_set(o, "owner", lvc_v_cstr(owner));
		lvc_vlist_push(a, lvc_v_obj(o));
	}
	return lvc_v_list(a);
}

/* ---- types ------------------------------------------------------------------- */

static void
visit_struct(cgen *g, lvc_decl *d, lvc_vlist *out, lvc_symtab *done)
{
	if (lvc_symtab_get(done, d->name) == d)
		return;
	lvc_symtab_put(done, d->name, d);
	/* A struct held by value is complete before its holder. */
	for (lvc_field *f = d->fields; f; f = f->next)
		if (is_struct(f->type))
			visit_struct(g, f->type->ref, out, done);
	const char *cname = cg_decl_cname(g, d);
	lvc_vobj *o = lvc_vobj_new(g->a, 4);
	lvc_vobj_set(o, "cname", lvc_v_cstr(cname));
	lvc_vobj_set(o, "name", lvc_v_str(d->name));
	lvc_vobj_set(o, "doc", lvc_doc_lines(g->a, d->doc));
	lvc_vobj_set(o, "fields", c_fields(g, cname, d->fields));
	lvc_vlist_push(out, lvc_v_obj(o));
}

static void
add_types(cgen *g, const lvc_program *p, lvc_vobj *view)
{
	lvc_vlist *enums = lvc_vlist_new(g->a, 0), *fwd = lvc_vlist_new(g->a, (uint32_t)p->ntypes);
	lvc_vlist *structs = lvc_vlist_new(g->a, (uint32_t)p->ntypes);
	lvc_symtab done;
	lvc_symtab_init(&done);
	for (int i = 0; i < p->ntypes; i++) {
		lvc_decl *d = p->types[i];
		const char *cname = cg_decl_cname(g, d);
		if (d->kind == LVC_D_ENUM) {
			lvc_vlist *members = lvc_vlist_new(g->a, (uint32_t)d->nmembers);
			for (lvc_member *m = d->members; m; m = m->next) {
				lvc_vobj *mo = lvc_vobj_new(g->a, 4);
				lvc_vobj_set(mo, "cname", lvc_v_fmt(g->a, "%s_%.*s", cname,
				                                    (int)m->name.n, m->name.p));
				lvc_vobj_set(mo, "name", lvc_v_str(m->name));
				lvc_vobj_set(mo, "index", lvc_v_int(m->index));
				lvc_vobj_set(mo, "doc", lvc_doc_lines(g->a, m->doc));
				lvc_vlist_push(members, lvc_v_obj(mo));
			}
			lvc_vobj *o = lvc_vobj_new(g->a, 5);
			lvc_vobj_set(o, "cname", lvc_v_cstr(cname));
			lvc_vobj_set(o, "name", lvc_v_str(d->name));
			lvc_vobj_set(o, "doc", lvc_doc_lines(g->a, d->doc));
			lvc_vobj_set(o, "members", lvc_v_list(members));
			lvc_vobj_set(o, "count", lvc_v_int(d->nmembers));
			lvc_vlist_push(enums, lvc_v_obj(o));
		} else {
			lvc_vobj *o = lvc_vobj_new(g->a, 1);
			lvc_vobj_set(o, "cname", lvc_v_cstr(cname));
			lvc_vlist_push(fwd, lvc_v_obj(o));
		}
	}
	for (int i = 0; i < p->ntypes; i++)
		if (p->types[i]->kind == LVC_D_STRUCT)
			visit_struct(g, p->types[i], structs, &done);
	lvc_symtab_free(&done);
	lvc_vobj_set(view, "enums", lvc_v_list(enums));
	lvc_vobj_set(view, "forward", lvc_v_list(fwd));
	lvc_vobj_set(view, "structs", lvc_v_list(structs));
}

/* ---- endpoints ---------------------------------------------------------------- */

/* A parameter as the typed functions take it. */
static const char *
param_type(cgen *g, const lvc_type *t)
{
	if (t->kind == LVC_T_OPTIONAL) {
		if (is_struct(t->elem))
			return cg_S(g, "const %s *", cg_decl_cname(g, t->elem->ref));
		return cg_S(g, "const %s *", c_value_type(g, t->elem));
	}
	if (is_struct(t))
		return cg_S(g, "const %s *", cg_decl_cname(g, t->ref));
	return c_value_type(g, t);
}

static lvc_vlist *
endpoint_params(cgen *g, const lvc_decl *d)
{
	lvc_vlist *a = lvc_vlist_new(g->a, (uint32_t)d->nparams);
	for (const lvc_field *f = d->params; f; f = f->next) {
		const lvc_type *t = f->type;
		bool opt = t->kind == LVC_T_OPTIONAL;
		/* How the typed functions pass it (c_source.tmpl, c_pack.tmpl):
		 * an optional value as a pointer or NULL (has_NAME in the args),
		 * a struct by pointer, anything else (optional structs are
		 * pointers already) as it is. */
		bool has_flag = opt && !is_struct(t->elem);
		bool by_ref = !opt && is_struct(t);
		lvc_vobj *o = lvc_vobj_new(g->a, 8);
		lvc_vobj_set(o, "name", lvc_v_str(f->name));
		lvc_vobj_set(o, "decl", lvc_v_cstr(c_decl(g, param_type(g, t), f->name)));
		lvc_vobj_set(o, "opt", lvc_v_bool(has_flag));
		lvc_vobj_set(o, "by_ref", lvc_v_bool(by_ref));
		lvc_vobj_set(o, "direct", lvc_v_bool(!has_flag && !by_ref));
		lvc_vobj_set(o, "lv_type", lvc_v_cstr(lvc_type_str(g->c, t)));
		lvc_vobj_set(o, "doc", lvc_doc_lines(g->a, f->doc));
		lvc_vlist_push(a, lvc_v_obj(o));
	}
	return a;
}

static const char *const kind_consts[] = {
	[LVC_E_SERVER_RPC] = "LV_SERVER_RPC", [LVC_E_SERVER_REALTIME] = "LV_SERVER_REALTIME",
	[LVC_E_SERVER_ON] = "LV_SERVER_ON", [LVC_E_CLIENT_RPC] = "LV_CLIENT_RPC",
	[LVC_E_CLIENT_REALTIME] = "LV_CLIENT_REALTIME",
	[LVC_E_CLIENT_CALLBACK] = "LV_CLIENT_CALLBACK", [LVC_E_CLIENT_ON] = "LV_CLIENT_ON",
};

/* An out parameter of the typed call: {decl, take, name}. */
static lvc_view
out_param(cgen *g, const char *decl, const char *take, const char *name)
{
	lvc_vobj *o = lvc_vobj_new(g->a, 3);
	lvc_vobj_set(o, "decl", lvc_v_cstr(decl));
	lvc_vobj_set(o, "take", lvc_v_cstr(take));
	lvc_vobj_set(o, "name", lvc_v_cstr(name));
	return lvc_v_obj(o);
}

lvc_vobj *
cg_endpoint_view(cgen *g, const lvc_decl *d, const char *name, int index)
{
	const char *cname = cg_decl_cname(g, d);
	const lvc_policy *pol = &d->policy;
	lvc_vobj *o = lvc_vobj_new(g->a, 48);
	lvc_vlist *params = endpoint_params(g, d);
	lvc_vobj_set(o, "name", lvc_v_cstr(name));
	lvc_vobj_set(o, "cname", lvc_v_cstr(cname));
	lvc_vobj_set(o, "index", lvc_v_int(index));
	lvc_vobj_set(o, "kind", lvc_v_cstr(kind_consts[d->ekind]));
	lvc_vobj_set(o, "kind_name", lvc_v_cstr(lvc_endpoint_kind_name(d->ekind)));
	lvc_vobj_set(o, "doc", lvc_doc_lines(g->a, d->doc));
	const char *args_type = cg_S(g, "%s__%s_args", g->mod, name);
	lvc_vobj_set(o, "args_type", lvc_v_cstr(args_type));
	lvc_vobj_set(o, "args_fields", c_fields(g, args_type, d->params));
	lvc_vobj_set(o, "has_params", lvc_v_bool(d->params != NULL));

	/* flags */
	char flags[128] = "";
	if (pol->access == LVC_ACCESS_PUBLIC) strcat(flags, " | LV_EP_PUBLIC");
	if (pol->http) strcat(flags, " | LV_EP_HTTP");
	if (pol->volatile_delivery) strcat(flags, " | LV_EP_VOLATILE");
	if (pol->lifecycle) strcat(flags, " | LV_EP_LIFECYCLE");
	lvc_vobj_set(o, "flags", flags[0] ? lvc_v_copy(g->a, flags + 3, strlen(flags + 3)) :
	             lvc_v_cstr("0"));
	lvc_vlist *roles = lvc_vlist_new(g->a, (uint32_t)pol->nroles);
	for (int i = 0; i < pol->nroles; i++)
		lvc_vlist_push(roles, lvc_v_str(pol->roles[i]));
	lvc_vobj_set(o, "roles", lvc_v_list(roles));
	lvc_vobj_set(o, "nroles", lvc_v_int(pol->nroles));
	lvc_vobj_set(o, "roles_ref", pol->nroles ? lvc_v_fmt(g->a, "%s__%s_roles", g->mod, name) :
	             lvc_v_cstr("NULL"));
	lvc_vobj_set(o, "args_ref", d->params ? lvc_v_fmt(g->a, "&%s_type", args_type) :
	             lvc_v_cstr("&lv_no_args_type"));
	lvc_vobj_set(o, "invoke_ref", lvc_endpoint_is_server(d->ekind) ?
	             lvc_v_fmt(g->a, "%s__%s_invoke", g->mod, name) : lvc_v_cstr("NULL"));
	lvc_vobj_set(o, "model_op", lvc_v_bool(false));
	lvc_vobj_set(o, "allow", lvc_v_bool(false));
	lvc_vobj_set(o, "event", pol->event.n ?
	             lvc_v_fmt(g->a, "\"%.*s\"", (int)pol->event.n, pol->event.p) :
	             lvc_v_cstr("NULL"));
	lvc_vobj_set(o, "event_name", pol->event.n ? lvc_v_str(pol->event) : lvc_v_cstr(name));
	lvc_vobj_set(o, "timeout_ms", lvc_v_int(pol->timeout_ms));
	lvc_vobj_set(o, "max_bytes", lvc_v_int(pol->max_bytes));
	lvc_vobj_set(o, "rate_count", lvc_v_int(pol->rate_count));
	lvc_vobj_set(o, "rate_per_ms", lvc_v_int(pol->rate_per_ms));

	/* the result, held in a one-field struct "value" */
	const lvc_type *r = d->result;
	bool has_result = r && r->kind != LVC_T_VOID;
	lvc_vobj_set(o, "result", lvc_v_bool(has_result));
	lvc_vobj_set(o, "result_type", has_result ?
	             lvc_v_fmt(g->a, "&%s__%s_result_type", g->mod, name) : lvc_v_cstr("NULL"));
	lvc_vlist *out_params = lvc_vlist_new(g->a, 2);
	const char *reply_decl = NULL, *done_decl = "const void *value";
	enum { REPLY_NONE, REPLY_DIRECT, REPLY_BY_REF, REPLY_OPT } reply = REPLY_NONE;
	if (has_result) {
		bool opt = r->kind == LVC_T_OPTIONAL;
		bool ptr = opt && is_struct(r->elem);
		const char *rtype = cg_S(g, "%s__%s_result", g->mod, name);
		lvc_field value = { .name = LVC_STR("value"), .type = (lvc_type *)r };
		lvc_vobj_set(o, "result_ctype", lvc_v_cstr(rtype));
		lvc_vobj_set(o, "result_fields", c_fields(g, rtype, &value));
		const char *vt = c_value_type(g, r);
		if (ptr) {
			lvc_vlist_push(out_params, out_param(g, cg_S(g, "const %s **out",
			               cg_decl_cname(g, r->elem->ref)), "&r->value", "out"));
			done_decl = cg_S(g, "const %s *value", cg_decl_cname(g, r->elem->ref));
			reply_decl = cg_S(g, "const %s *value", cg_decl_cname(g, r->elem->ref));
			reply = REPLY_DIRECT;
		} else if (opt) {
			lvc_vlist_push(out_params, out_param(g, c_decl(g, ptr_to(g, vt), LVC_STR("out")),
			               "&r->value", "out"));
			lvc_vlist_push(out_params, out_param(g, "bool *has_out", "&r->has_value",
			               "has_out"));
			done_decl = cg_S(g, "const %svalue", ptr_to(g, vt));
			reply_decl = cg_S(g, "const %svalue", ptr_to(g, vt));
			reply = REPLY_OPT;
		} else {
			lvc_vlist_push(out_params, out_param(g, c_decl(g, ptr_to(g, vt), LVC_STR("out")),
			               "&r->value", "out"));
			done_decl = cg_S(g, "const %svalue", ptr_to(g, vt));
			if (is_struct(r)) {
				reply_decl = cg_S(g, "const %s *value", vt);
				reply = REPLY_BY_REF;
			} else {
				reply_decl = c_decl(g, vt, LVC_STR("value"));
				reply = REPLY_DIRECT;
			}
		}
		lvc_vobj_set(o, "result_lv_type", lvc_v_cstr(lvc_type_str(g->c, r)));
	}
	lvc_vobj_set(o, "done_value_decl", lvc_v_cstr(done_decl));
	lvc_vobj_set(o, "out_params", lvc_v_list(out_params));
	lvc_vobj_set(o, "reply_decl", reply_decl ? lvc_v_cstr(reply_decl) : lvc_v_null());
	/* How NAME_reply() puts its value in the result (c_source.tmpl). */
	lvc_vobj_set(o, "reply_opt", lvc_v_bool(reply == REPLY_OPT));
	lvc_vobj_set(o, "reply_by_ref", lvc_v_bool(reply == REPLY_BY_REF));
	lvc_vobj_set(o, "reply_direct", lvc_v_bool(reply == REPLY_DIRECT));

	/* The typed prototypes, as one list of C declarations each. */
	lvc_vlist *proto = lvc_vlist_new(g->a, 1 + params->n + out_params->n);
	lvc_vobj *call = lvc_vobj_new(g->a, 2);
	lvc_vobj_set(call, "decl", lvc_v_cstr("lv_call *call"));
	lvc_vobj_set(call, "name", lvc_v_cstr("call"));
	lvc_vlist_push(proto, lvc_v_obj(call));
	for (uint32_t i = 0; i < params->n; i++)
		lvc_vlist_push(proto, params->items[i]);
	for (uint32_t i = 0; i < out_params->n; i++)
		lvc_vlist_push(proto, out_params->items[i]);
	lvc_vobj_set(o, "handler_params", lvc_v_list(proto));
	lvc_vobj_set(o, "params", lvc_v_list(params));

	bool server = lvc_endpoint_is_server(d->ekind);
	bool push = d->ekind == LVC_E_CLIENT_REALTIME ||
	            (d->ekind == LVC_E_CLIENT_ON && !pol->lifecycle);
	lvc_vobj_set(o, "server", lvc_v_bool(server));
	lvc_vobj_set(o, "changed", lvc_v_bool(false));       /* a block of the handler file */
	lvc_vobj_set(o, "rpc", lvc_v_bool(d->ekind == LVC_E_SERVER_RPC));
	lvc_vobj_set(o, "raise", lvc_v_bool(d->ekind == LVC_E_SERVER_ON && !pol->lifecycle));
	lvc_vobj_set(o, "push", lvc_v_bool(push));
	lvc_vobj_set(o, "client_rpc", lvc_v_bool(d->ekind == LVC_E_CLIENT_RPC));
	lvc_vobj_set(o, "client_lifecycle", lvc_v_bool(d->ekind == LVC_E_CLIENT_ON && pol->lifecycle));
	if (g->e->line_directives) {
		uint32_t line, col;
		lvc_line_col(g->c, d->loc, &line, &col);
		lvc_vobj_set(o, "line", lvc_v_int(line));
	} else {
		lvc_vobj_set(o, "line", lvc_v_bool(false));
	}
	return o;
}

/* The generated module as C string literals of at most about 4000 bytes
 * each (ISO C guarantees 4095): split at line ends past 3000, and within a
 * line every 1024 bytes. */
static lvc_view
c_literals(cgen *g, const char *s, size_t n)
{
	lvc_vlist *parts = lvc_vlist_new(g->a, (uint32_t)(n / 3000 + 2));
	lvc_tbuf *b = &g->scratch;
	size_t part = 0;
	b->len = 0;
	lvc_tbuf_put(b, "\"", 1);
	for (size_t i = 0; i < n;) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (s + i)) + 1 : n - i;
		if (len > 1024)
			len = 1024;   /* a long line is split too: a part stays under 4095 */
		bool line_end = s[i + len - 1] == '\n';
		lvc_c_escape(b, s + i, len);
		part += len;
		i += len;
		if (!line_end && (part <= 3000 || i == n))
			continue;
		lvc_tbuf_put(b, "\"", 1);
		if (part > 3000 || i == n) {
			lvc_vlist_push(parts, lvc_v_copy(g->a, b->data, b->len));
			b->len = 0;
			part = 0;
			lvc_tbuf_put(b, "\"", 1);
		} else {
			lvc_tbuf_put(b, "\n\t \"", 4);
		}
	}
	if (part || parts->n == 0) {
		lvc_tbuf_put(b, "\"", 1);
		lvc_vlist_push(parts, lvc_v_copy(g->a, b->data, b->len));
	}
	return lvc_v_list(parts);
}

/* The shared base view, and what only the C templates use. */
static lvc_vobj *
base_view(cgen *g)
{
	lvc_emit *e = g->e;
	char *guard = lvc_sprintf(g->a, "%s_LV_H", e->base);
	for (char *p = guard; *p; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
		else if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			*p = '_';
	}
	char *upper = lvc_strndup(g->a, g->mod, strlen(g->mod));
	for (char *p = upper; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	lvc_vobj *o = lvc_base_view(g->c, e, g->a);
	lvc_vobj_set(o, "guard", lvc_v_cstr(guard));
	lvc_vobj_set(o, "module_upper", lvc_v_cstr(upper));
	lvc_vobj_set(o, "abi", lvc_v_int(LVC_RUNTIME_ABI));
	lvc_vobj_set(o, "line_directives", lvc_v_bool(e->line_directives));
	return o;
}

/* A value of type t handed to a generated state function: a struct by
 * pointer, anything else by value. *arg is the expression that points to
 * it, for the runtime. */
static const char *
value_param(cgen *g, const lvc_type *t, const char *name, const char **arg)
{
	if (is_struct(t)) {
		*arg = name;
		return cg_S(g, "const %s *%s", c_value_type(g, t), name);
	}
	*arg = cg_S(g, "&%s", name);
	return c_decl(g, c_value_type(g, t), (lvc_str){ name, (uint32_t)strlen(name) });
}

void
cg_state_fn(cgen *g, lvc_vlist *fns, const char *doc, const char *proto, const char *call)
{
	lvc_vobj *o = lvc_vobj_new(g->a, 3);
	lvc_vobj_set(o, "doc", lvc_v_cstr(doc));
	lvc_vobj_set(o, "proto", lvc_v_cstr(proto));
	lvc_vobj_set(o, "call", lvc_v_cstr(call));
	lvc_vlist_push(fns, lvc_v_obj(o));
}

/* The functions that change a map or a list at path (cname: their
 * prefix; what: the words for it in their comments). */
static void
collection_fns(cgen *g, lvc_vlist *fns, const char *cname, const char *path,
               const lvc_type *t, const char *what)
{
	const char *arg, *item = value_param(g, t->elem, "value", &arg);
	const char *et = type_ref(g, t->elem);
	if (t->kind == LVC_T_MAP) {
		cg_state_fn(g, fns, cg_S(g, "Sets the entry key of %s (adds it when missing).", what),
		         cg_S(g, "%s_put(lv_state *st, lv_str key, %s)", cname, item),
		         cg_S(g, "lv_state_put(st, \"%s\", key, %s, %s)", path, et, arg));
		cg_state_fn(g, fns, cg_S(g, "Removes the entry key of %s.", what),
		         cg_S(g, "%s_remove(lv_state *st, lv_str key)", cname),
		         cg_S(g, "lv_state_remove_key(st, \"%s\", key)", path));
		return;
	}
	cg_state_fn(g, fns, cg_S(g, "Inserts an item into %s before index (SIZE_MAX: at its end).", what),
	         cg_S(g, "%s_insert(lv_state *st, size_t index, %s)", cname, item),
	         cg_S(g, "lv_state_insert(st, \"%s\", index, %s, %s)", path, et, arg));
	cg_state_fn(g, fns, cg_S(g, "Removes item index of %s.", what),
	         cg_S(g, "%s_remove(lv_state *st, size_t index)", cname),
	         cg_S(g, "lv_state_remove_item(st, \"%s\", index)", path));
	cg_state_fn(g, fns, cg_S(g, "Moves item from of %s to index to.", what),
	         cg_S(g, "%s_move(lv_state *st, size_t from, size_t to)", cname),
	         cg_S(g, "lv_state_move(st, \"%s\", from, to)", path));
	cg_state_fn(g, fns, cg_S(g, "Replaces item index of %s.", what),
	         cg_S(g, "%s_set_item(lv_state *st, size_t index, %s)", cname, item),
	         cg_S(g, "lv_state_set_item(st, \"%s\", index, %s, %s)", path, et, arg));
}

/* The typed functions of a state: its copy, and each change its type
 * allows, by field for a struct. */
static lvc_vlist *
state_fns(cgen *g, const lvc_decl *d)
{
	const char *cname = cg_decl_cname(g, d), *name = lvc_strndup(g->a, d->name.p, d->name.n);
	const lvc_type *t = d->result;
	lvc_vlist *fns = lvc_vlist_new(g->a, 8);
	if (d->ekind == LVC_E_CLIENT_STATE) {
		cg_state_fn(g, fns, "The page's latest value, decoded into *out in arena a.",
		         cg_S(g, "%s_get(lv_conn *conn, %s *out, lv_arena *a)", cname, c_value_type(g, t)),
		         cg_S(g, "lv_state_read(conn, \"%s\", out, a)", name));
		return fns;
	}
	const char *doc = "The state's copy (made on first use).";
	if (d->policy.scope == LVC_SCOPE_GLOBAL)
		cg_state_fn(g, fns, doc, cg_S(g, "%s_state(lv_server *server, lv_state **out)", cname),
		         cg_S(g, "lv_state_global(server, \"%s\", out)", name));
	else if (d->policy.scope == LVC_SCOPE_GROUP)
		cg_state_fn(g, fns, "The group's copy of the state (made on first use).",
		         cg_S(g, "%s_state(lv_server *server, const char *group, lv_state **out)", cname),
		         cg_S(g, "lv_state_group(server, \"%s\", group, out)", name));
	else
		cg_state_fn(g, fns, "The connection's copy of the state (made on first use).",
		         cg_S(g, "%s_state(lv_conn *conn, lv_state **out)", cname),
		         cg_S(g, "lv_state_conn(conn, \"%s\", out)", name));
	cg_state_fn(g, fns, "Replaces the whole value (sending only what differs).",
	         cg_S(g, "%s_set(lv_state *st, const %s *value)", cname, c_value_type(g, t)),
	         cg_S(g, "lv_state_set(st, \"\", %s, value)", type_ref(g, t)));
	if (t->kind == LVC_T_LIST || t->kind == LVC_T_MAP)
		collection_fns(g, fns, cname, "", t, "the state");
	if (!is_struct(t))
		return fns;
	for (const lvc_field *f = t->ref->fields; f; f = f->next) {
		const char *fname = lvc_strndup(g->a, f->name.p, f->name.n);
		const char *path = cg_S(g, "/%s", fname), *arg;
		const lvc_type *ft = f->type;
		if (ft->kind == LVC_T_OPTIONAL) {
			const lvc_type *et = ft->elem;
			const char *p = cg_S(g, "const %s *value", c_value_type(g, et));
			cg_state_fn(g, fns, cg_S(g, "Sets %s (NULL: takes it out).", fname),
			         cg_S(g, "%s_set_%s(lv_state *st, %s)", cname, fname, p),
			         cg_S(g, "value ? lv_state_set(st, \"%s\", %s, value) : lv_state_remove(st, \"%s\")",
			           path, type_ref(g, et), path));
			continue;
		}
		const char *p = value_param(g, ft, "value", &arg);
		cg_state_fn(g, fns, cg_S(g, "Sets %s.", fname), cg_S(g, "%s_set_%s(lv_state *st, %s)", cname, fname, p),
		         cg_S(g, "lv_state_set(st, \"%s\", %s, %s)", path, type_ref(g, ft), arg));
		if (ft->kind == LVC_T_LIST || ft->kind == LVC_T_MAP)
			collection_fns(g, fns, cg_S(g, "%s_%s", cname, fname), path, ft, fname);
	}
	return fns;
}

/* A state's entry in the app's table of states. */
static lvc_view
state_view(cgen *g, const lvc_decl *d)
{
	static const char *const scopes[] = {
		[LVC_SCOPE_CONN] = "LV_SCOPE_CONN", [LVC_SCOPE_GROUP] = "LV_SCOPE_GROUP",
		[LVC_SCOPE_GLOBAL] = "LV_SCOPE_GLOBAL",
	};
	const lvc_policy *pol = &d->policy;
	lvc_vobj *o = lvc_vobj_new(g->a, 12);
	lvc_vobj_set(o, "name", lvc_v_str(d->name));
	lvc_vobj_set(o, "owner", lvc_v_cstr(d->ekind == LVC_E_SERVER_STATE ? "LV_STATE_SERVER" :
	                                    "LV_STATE_CLIENT"));
	lvc_vobj_set(o, "scope", lvc_v_cstr(scopes[pol->scope]));
	lvc_vobj_set(o, "flush_ms", pol->flush_ms == LVC_FLUSH_MANUAL ? lvc_v_cstr("LV_FLUSH_MANUAL")
	                                                              : lvc_v_int(pol->flush_ms));
	lvc_vobj_set(o, "flags", lvc_v_cstr(pol->access == LVC_ACCESS_PUBLIC ? "LV_EP_PUBLIC" : "0"));
	lvc_vlist *roles = lvc_vlist_new(g->a, (uint32_t)pol->nroles);
	for (int i = 0; i < pol->nroles; i++)
		lvc_vlist_push(roles, lvc_v_str(pol->roles[i]));
	lvc_vobj_set(o, "roles", lvc_v_list(roles));
	lvc_vobj_set(o, "nroles", lvc_v_int(pol->nroles));
	lvc_vobj_set(o, "max_bytes", lvc_v_int(pol->max_bytes));
	lvc_vobj_set(o, "type", lvc_v_cstr(type_ref(g, d->result)));
	lvc_vobj_set(o, "doc", lvc_doc_lines(g->a, d->doc));
	lvc_vobj_set(o, "kind_name", lvc_v_cstr(lvc_endpoint_kind_name(d->ekind)));
	lvc_vobj_set(o, "fns", lvc_v_list(state_fns(g, d)));
	lvc_vobj_set(o, "allow", lvc_v_bool(false));
	/* A state the page owns has a handler, run after each change. */
	bool client = d->ekind == LVC_E_CLIENT_STATE;
	lvc_vobj_set(o, "changed", lvc_v_bool(client));
	if (client) {
		const char *cname = cg_S(g, "%s_changed", cg_decl_cname(g, d));
		lvc_vobj_set(o, "changed_cname", lvc_v_cstr(cname));
		lvc_vobj_set(o, "cname_get", lvc_v_fmt(g->a, "%s_get()", cg_decl_cname(g, d)));
		lvc_vobj_set(o, "changed_sig", lvc_v_fmt(g->a, "%s(lv_conn *conn, const %s *value)",
		             cname, c_value_type(g, d->result)));
	}
	return lvc_v_obj(o);
}

typedef struct {
	const char *name;
	const lvc_decl *d;           /* a declared endpoint, or the binding */
	int bindex;                  /* the binding's index, or -1 */
	lvc_model_op op;
} table_entry;

static int
by_entry_name(const void *a, const void *b)
{
	return strcmp(((const table_entry *)a)->name, ((const table_entry *)b)->name);
}

/* The app's endpoint table: the declared endpoints and every binding's
 * operations, merged by name; blocks gets the handler file's block of each
 * endpoint handled in C. */
static lvc_vlist *
endpoint_table(cgen *g, const lvc_program *p, lvc_blockset *blocks)
{
	int n = p->nendpoints;
	for (int i = 0; i < p->nbindings; i++)
		n += LVC_NOPS;
	table_entry *t = calloc((size_t)n + 1, sizeof *t);
	if (!t)
		abort();
	int k = 0;
	for (int i = 0; i < p->nendpoints; i++) {
		const lvc_decl *d = p->endpoints[i];
		if (d->ekind == LVC_E_CLIENT_ON && d->policy.lifecycle)
			continue;     /* a page's own lifecycle events never reach the server */
		t[k++] = (table_entry){ lvc_strndup(g->a, d->name.p, d->name.n), d, -1, 0 };
	}
	for (int i = 0; i < p->nbindings; i++) {
		lvc_model_op ops[LVC_NOPS];
		int nops = lvc_binding_ops(p->bindings[i], ops);
		for (int j = 0; j < nops; j++)
			t[k++] = (table_entry){ lvc_op_endpoint_name(g->a, p->bindings[i], ops[j]),
			                        p->bindings[i], i, ops[j] };
	}
	qsort(t, (size_t)k, sizeof *t, by_entry_name);
	lvc_vlist *eps = lvc_vlist_new(g->a, (uint32_t)k);
	lvc_blockset_init(blocks, p->nendpoints + p->nstates + p->nbindings);
	for (int i = 0; i < k; i++) {
		lvc_vobj *o = t[i].bindex >= 0 ?
		              cg_op_endpoint_view(g, t[i].d, t[i].bindex, t[i].op, t[i].name, i) :
		              cg_endpoint_view(g, t[i].d, t[i].name, i);
		lvc_vlist_push(eps, lvc_v_obj(o));
		if (t[i].bindex < 0 && lvc_endpoint_is_server(t[i].d->ekind))
			lvc_blockset_add(blocks, t[i].name, o);
	}
	free(t);
	return eps;
}

int
lvc_emit_c(lvc_ctx *c, lvc_emit *e, const lvc_program *p, const char *js, size_t js_len)
{
	lvc_arena arena = { 0 };
	cgen g = { .c = c, .e = e, .a = &arena };
	g.mod = lvc_strndup(g.a, c->root->name.p, c->root->name.n);
	g.composites = lvc_vlist_new(g.a, 0);
	g.nested = lvc_vlist_new(g.a, 0);
	lvc_symtab_init(&g.composite_vars);
	lvc_symtab_init(&g.nested_seen);

	lvc_vobj *view = base_view(&g);
	add_types(&g, p, view);
	/* The handler file has a block for each endpoint handled in C, each
	 * state the page owns and each binding's row predicate. */
	lvc_blockset blocks;
	lvc_vlist *eps = endpoint_table(&g, p, &blocks);
	lvc_vobj_set(view, "endpoints", lvc_v_list(eps));
	lvc_vlist *states = lvc_vlist_new(g.a, (uint32_t)p->nstates);
	for (int i = 0; i < p->nstates; i++) {
		lvc_view sv = state_view(&g, p->states[i]);
		lvc_vlist_push(states, sv);
		if (p->states[i]->ekind == LVC_E_CLIENT_STATE)
			lvc_blockset_add(&blocks, lvc_strndup(g.a, p->states[i]->name.p,
			                 p->states[i]->name.n), sv.u.obj);
	}
	lvc_vobj_set(view, "states", lvc_v_list(states));
	lvc_vlist *models = lvc_vlist_new(g.a, (uint32_t)p->nmodels);
	for (int i = 0; i < p->nmodels; i++)
		lvc_vlist_push(models, cg_model_view(&g, p->models[i], i));
	lvc_vobj_set(view, "models", lvc_v_list(models));
	lvc_vlist *bindings = lvc_vlist_new(g.a, (uint32_t)p->nbindings);
	for (int i = 0; i < p->nbindings; i++) {
		lvc_vobj *bv = cg_binding_view(&g, p, p->bindings[i], i);
		lvc_vlist_push(bindings, lvc_v_obj(bv));
		if (p->bindings[i]->binding->allow)
			lvc_blockset_add(&blocks, lvc_strndup(g.a, p->bindings[i]->name.p,
			                 p->bindings[i]->name.n), bv);
	}
	lvc_vobj_set(view, "model_bindings", lvc_v_list(bindings));
	lvc_vobj_set(view, "composites", lvc_v_list(g.composites));
	lvc_vobj_set(view, "nested", lvc_v_list(g.nested));
	lvc_vobj_set(view, "app", lvc_v_fmt(g.a, "%s_app", g.mod));
	lvc_vobj_set(view, "js_parts", c_literals(&g, js, js_len));
	lvc_vobj_set(view, "js_len", lvc_v_int((int64_t)js_len));

	lvc_view top = lvc_v_obj(view);
	int rc = lvc_emit_file(c, e, "c_header", &top, cg_S(&g, "%s.lv.h", e->base));
	if (rc == 0)
		rc = lvc_emit_file(c, e, "c_source", &top, cg_S(&g, "%s.lv.c", e->base));

	/* The handler file: created once, merged afterwards. */
	if (rc == 0)
		rc = lvc_emit_handlers(c, e, &top, "c_handlers", "c_handler", &blocks,
		                       lvc_sprintf(&c->arena, "%s/%s_handlers.c", e->c_handlers,
		                       e->base), LVC_MARK_C);
	lvc_blockset_free(&blocks);
	free(g.scratch.data);
	lvc_symtab_free(&g.composite_vars);
	lvc_symtab_free(&g.nested_seen);
	lvc_arena_free(&arena);
	return rc;
}
