/* emit_c.c - the C side: NAME.lv.h, NAME.lv.c and NAME_handlers.c.
 *
 * This file builds the view model: C spellings of types, descriptor
 * references, parameter lists. The layout of the files is in templates/. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "symtab.h"

typedef struct {
	lvc_ctx *c;
	lvc_emit *e;
	const char *mod;              /* the root module's name: the app's prefix */
	json_t *composites;           /* descriptors for list<T> and map<T> */
	lvc_symtab composite_vars;    /* "list<Message>" -> var name */
	json_t *nested;               /* typedefs for lists/maps of lists/maps */
	lvc_symtab nested_seen;
} cgen;

static const char *
S(cgen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *
S(cgen *g, const char *fmt, ...)
{
	char small[256];
	va_list ap, ap2;
	va_start(ap, fmt);
	va_copy(ap2, ap);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	char *p = lvc_alloc(&g->c->arena, (size_t)n + 1);
	if ((size_t)n < sizeof small)
		memcpy(p, small, (size_t)n + 1);
	else
		vsnprintf(p, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return p;
}

static const char *
decl_cname(cgen *g, const lvc_decl *d)
{
	return S(g, "%.*s_%.*s", (int)d->module->name.n, d->module->name.p,
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
	const char *name = S(g, "%s_%s", elem_stem(g, t->elem), kind);
	bool builtin = t->elem->kind != LVC_T_LIST && t->elem->kind != LVC_T_MAP;
	if (!builtin) {
		lvc_str key = { name, (uint32_t)strlen(name) };
		if (!lvc_symtab_get(&g->nested_seen, key)) {
			lvc_symtab_put(&g->nested_seen, key, (void *)name);
			char *guard = lvc_sprintf(&g->c->arena, "LV_HAVE_%s", name);
			for (char *p = guard; *p; p++)
				if (*p >= 'a' && *p <= 'z')
					*p = (char)(*p - 'a' + 'A');
			json_array_append_new(g->nested, json_pack("{s:s, s:s, s:s, s:b}",
			                      "name", name, "guard", guard,
			                      "elem", c_value_type(g, t->elem),
			                      "list", t->kind == LVC_T_LIST));
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
	case LVC_T_JSON: return "json_t *";
	case LVC_T_LIST: case LVC_T_MAP: return collection_type(g, t);
	case LVC_T_NAMED: return decl_cname(g, t->ref);
	case LVC_T_OPTIONAL:
		if (is_struct(t->elem))
			return S(g, "const %s *", decl_cname(g, t->elem->ref));
		return c_value_type(g, t->elem);
	default: return "void";
	}
}

/* A pointer to type: "int64_t *", "json_t **". */
static const char *
ptr_to(cgen *g, const char *type)
{
	size_t n = strlen(type);
	return S(g, "%s%s*", type, type[n - 1] == '*' ? "" : " ");
}

/* "int64_t x", "json_t *x", "const chat_Message *next". */
static const char *
c_decl(cgen *g, const char *type, lvc_str name)
{
	size_t n = strlen(type);
	return S(g, "%s%s%.*s", type, type[n - 1] == '*' ? "" : " ", (int)name.n, name.p);
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
	case LVC_T_NAMED: return S(g, "&%s_type", decl_cname(g, t->ref));
	default: break;
	}
	const char *name = lvc_type_str(g->c, t);
	lvc_str key = { name, (uint32_t)strlen(name) };
	const char *var = lvc_symtab_get(&g->composite_vars, key);
	if (var)
		return S(g, "&%s", var);
	const char *elem = type_ref(g, t->elem);   /* items first: C needs them declared */
	var = S(g, "%s__t%zu", g->mod, json_array_size(g->composites));
	lvc_symtab_put(&g->composite_vars, key, (void *)var);
	json_array_append_new(g->composites, json_pack("{s:s, s:s, s:s, s:s, s:s}",
	                      "var", var, "kind", t->kind == LVC_T_LIST ? "LV_K_LIST" : "LV_K_MAP",
	                      "name", name, "ctype", c_value_type(g, t), "elem", elem));
	return S(g, "&%s", var);
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
	case LVC_V_IDENT: {
		/* JSON string; non-ASCII as \u escapes so the C literal stays ASCII. */
		lvc_tbuf_put(b, "\"", 1);
		const unsigned char *p = (const unsigned char *)v->s.p, *end = p + v->s.n;
		while (p < end) {
			uint32_t cp = *p;
			int len = 1;
			if (cp >= 0xf0) { cp &= 0x07; len = 4; }
			else if (cp >= 0xe0) { cp &= 0x0f; len = 3; }
			else if (cp >= 0xc0) { cp &= 0x1f; len = 2; }
			for (int k = 1; k < len && p + k < end; k++)
				cp = cp << 6 | (p[k] & 0x3f);
			p += len;
			if (cp == '"' || cp == '\\') {
				char e2[2] = { '\\', (char)cp };
				lvc_tbuf_put(b, e2, 2);
			} else if (cp >= 0x20 && cp < 0x7f) {
				char ch = (char)cp;
				lvc_tbuf_put(b, &ch, 1);
			} else if (cp < 0x10000) {
				lvc_tbuf_put(b, num, (size_t)snprintf(num, sizeof num, "\\u%04x", cp));
			} else {
				cp -= 0x10000;
				lvc_tbuf_put(b, num, (size_t)snprintf(num, sizeof num, "\\u%04x\\u%04x",
				             0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff)));
			}
		}
		lvc_tbuf_put(b, "\"", 1);
		break;
	}
	default:
		lvc_tbuf_put(b, "null", 4);
	}
}

/* The JSON of a default as the C literal that holds it. */
static json_t *
default_literal(const lvc_value *v, const lvc_type *t)
{
	if (!v || (v->kind == LVC_V_NULL && t->kind == LVC_T_OPTIONAL))
		return json_string("NULL");   /* for T?, absent is what null means */
	lvc_tbuf j = { 0 }, out = { 0 };
	json_literal(&j, v, t);
	lvc_tbuf_put(&out, "\"", 1);
	for (size_t i = 0; i < j.len; i++) {
		if (j.data[i] == '"' || j.data[i] == '\\')
			lvc_tbuf_put(&out, "\\", 1);
		if (j.data[i] == '?')
			lvc_tbuf_put(&out, "\\", 1);   /* no trigraphs */
		lvc_tbuf_put(&out, &j.data[i], 1);
	}
	lvc_tbuf_put(&out, "\"", 1);
	json_t *s = json_string(out.data);
	free(j.data);
	free(out.data);
	return s;
}

/* Members of a struct-like C type and their descriptors: fields of a
 * struct, or the arguments of an endpoint. */
static json_t *
c_fields(cgen *g, const char *owner, const lvc_field *f)
{
	json_t *a = json_array();
	for (; f; f = f->next) {
		const lvc_type *t = f->type;
		bool opt = t->kind == LVC_T_OPTIONAL;
		bool ptr = opt && is_struct(t->elem);
		json_t *o = json_pack("{s:o, s:s, s:s, s:o, s:o}", "name", lvc_jstr(f->name),
		                      "decl", c_decl(g, c_value_type(g, t), f->name),
		                      "type", type_ref(g, t), "doc", lvc_doc_lines(f->doc),
		                      "default", default_literal(f->def, t));
		json_object_set_new(o, "has", json_boolean(opt && !ptr));
		json_object_set_new(o, "ptr", json_boolean(ptr));
		json_object_set_new(o, "has_offset", opt ? (ptr ? json_string("LV_OPT_POINTER") :
		                    lvc_jfmt("(int32_t)offsetof(%s, has_%.*s)", owner, (int)f->name.n,
		                             f->name.p)) : json_string("LV_REQUIRED"));
		json_object_set_new(o, "owner", json_string(owner));
		json_array_append_new(a, o);
	}
	return a;
}

/* ---- types ------------------------------------------------------------------- */

static void
visit_struct(cgen *g, lvc_decl *d, json_t *out, lvc_symtab *done)
{
	if (lvc_symtab_get(done, d->name) == d)
		return;
	lvc_symtab_put(done, d->name, d);
	/* A struct held by value is complete before its holder. */
	for (lvc_field *f = d->fields; f; f = f->next)
		if (is_struct(f->type))
			visit_struct(g, f->type->ref, out, done);
	const char *cname = decl_cname(g, d);
	json_array_append_new(out, json_pack("{s:s, s:o, s:o, s:o}", "cname", cname,
	                      "name", lvc_jstr(d->name), "doc", lvc_doc_lines(d->doc),
	                      "fields", c_fields(g, cname, d->fields)));
}

static void
add_types(cgen *g, const lvc_program *p, json_t *view)
{
	json_t *enums = json_array(), *fwd = json_array(), *structs = json_array();
	lvc_symtab done;
	lvc_symtab_init(&done);
	for (int i = 0; i < p->ntypes; i++) {
		lvc_decl *d = p->types[i];
		const char *cname = decl_cname(g, d);
		if (d->kind == LVC_D_ENUM) {
			json_t *members = json_array();
			for (lvc_member *m = d->members; m; m = m->next)
				json_array_append_new(members, json_pack("{s:s, s:o, s:i, s:o}",
				                      "cname", S(g, "%s_%.*s", cname, (int)m->name.n, m->name.p),
				                      "name", lvc_jstr(m->name), "index", m->index,
				                      "doc", lvc_doc_lines(m->doc)));
			json_array_append_new(enums, json_pack("{s:s, s:o, s:o, s:o, s:i}",
			                      "cname", cname, "name", lvc_jstr(d->name),
			                      "doc", lvc_doc_lines(d->doc), "members", members,
			                      "count", d->nmembers));
		} else {
			json_array_append_new(fwd, json_pack("{s:s}", "cname", cname));
		}
	}
	for (int i = 0; i < p->ntypes; i++)
		if (p->types[i]->kind == LVC_D_STRUCT)
			visit_struct(g, p->types[i], structs, &done);
	lvc_symtab_free(&done);
	json_object_set_new(view, "enums", enums);
	json_object_set_new(view, "forward", fwd);
	json_object_set_new(view, "structs", structs);
}

/* ---- endpoints ---------------------------------------------------------------- */

/* A parameter as the typed functions take it. */
static const char *
param_type(cgen *g, const lvc_type *t)
{
	if (t->kind == LVC_T_OPTIONAL) {
		if (is_struct(t->elem))
			return S(g, "const %s *", decl_cname(g, t->elem->ref));
		if (t->elem->kind == LVC_T_JSON)
			return "json_t *";
		return S(g, "const %s *", c_value_type(g, t->elem));
	}
	if (is_struct(t))
		return S(g, "const %s *", decl_cname(g, t->ref));
	return c_value_type(g, t);
}

static json_t *
endpoint_params(cgen *g, const lvc_decl *d)
{
	json_t *a = json_array();
	for (const lvc_field *f = d->params; f; f = f->next) {
		const lvc_type *t = f->type;
		bool opt = t->kind == LVC_T_OPTIONAL;
		const char *n = S(g, "%.*s", (int)f->name.n, f->name.p);
		const char *take, *pack;
		if (opt && is_struct(t->elem)) {
			take = S(g, "a->%s", n);
			pack = S(g, "a.%s = %s;", n, n);
		} else if (opt && t->elem->kind == LVC_T_JSON) {
			take = S(g, "a->has_%s ? a->%s : NULL", n, n);
			pack = S(g, "if (%s) {\n\t\ta.has_%s = true;\n\t\ta.%s = %s;\n\t}", n, n, n, n);
		} else if (opt) {
			take = S(g, "a->has_%s ? &a->%s : NULL", n, n);
			pack = S(g, "if (%s) {\n\t\ta.has_%s = true;\n\t\ta.%s = *%s;\n\t}", n, n, n, n);
		} else if (is_struct(t)) {
			take = S(g, "&a->%s", n);
			pack = S(g, "a.%s = *%s;", n, n);
		} else {
			take = S(g, "a->%s", n);
			pack = S(g, "a.%s = %s;", n, n);
		}
		json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o}", "name", n,
		                      "decl", c_decl(g, param_type(g, t), f->name),
		                      "take", take, "pack", pack,
		                      "lv_type", lvc_type_str(g->c, t), "doc", lvc_doc_lines(f->doc)));
	}
	return a;
}

static const char *const kind_consts[] = {
	[LVC_E_SERVER_RPC] = "LV_SERVER_RPC", [LVC_E_SERVER_REALTIME] = "LV_SERVER_REALTIME",
	[LVC_E_SERVER_ON] = "LV_SERVER_ON", [LVC_E_CLIENT_RPC] = "LV_CLIENT_RPC",
	[LVC_E_CLIENT_REALTIME] = "LV_CLIENT_REALTIME",
	[LVC_E_CLIENT_CALLBACK] = "LV_CLIENT_CALLBACK", [LVC_E_CLIENT_ON] = "LV_CLIENT_ON",
};

static json_t *
endpoint_view(cgen *g, const lvc_decl *d, int index)
{
	const char *cname = decl_cname(g, d);
	const char *name = S(g, "%.*s", (int)d->name.n, d->name.p);
	const lvc_policy *pol = &d->policy;
	json_t *o = json_object();
	json_t *params = endpoint_params(g, d);
	json_object_set_new(o, "name", json_string(name));
	json_object_set_new(o, "cname", json_string(cname));
	json_object_set_new(o, "index", json_integer(index));
	json_object_set_new(o, "kind", json_string(kind_consts[d->ekind]));
	json_object_set_new(o, "kind_name", json_string(lvc_endpoint_kind_name(d->ekind)));
	json_object_set_new(o, "doc", lvc_doc_lines(d->doc));
	json_object_set_new(o, "args_type", lvc_jfmt("%s__%s_args", g->mod, name));
	json_object_set_new(o, "args_fields", c_fields(g, S(g, "%s__%s_args", g->mod, name),
	                                               d->params));
	json_object_set_new(o, "has_params", json_boolean(d->params != NULL));

	/* flags */
	char flags[128] = "";
	if (pol->access == LVC_ACCESS_PUBLIC) strcat(flags, " | LV_EP_PUBLIC");
	if (pol->http) strcat(flags, " | LV_EP_HTTP");
	if (pol->volatile_delivery) strcat(flags, " | LV_EP_VOLATILE");
	if (pol->lifecycle) strcat(flags, " | LV_EP_LIFECYCLE");
	json_object_set_new(o, "flags", json_string(flags[0] ? flags + 3 : "0"));
	json_t *roles = json_array();
	for (int i = 0; i < pol->nroles; i++)
		json_array_append_new(roles, lvc_jstr(pol->roles[i]));
	json_object_set_new(o, "roles", roles);
	json_object_set_new(o, "nroles", json_integer(pol->nroles));
	json_object_set_new(o, "event", pol->event.n ? lvc_jfmt("\"%.*s\"", (int)pol->event.n,
	                                                        pol->event.p) : json_string("NULL"));
	json_object_set_new(o, "event_name", pol->event.n ? lvc_jstr(pol->event) : json_string(name));
	json_object_set_new(o, "timeout_ms", json_integer(pol->timeout_ms));
	json_object_set_new(o, "max_bytes", json_integer(pol->max_bytes));
	json_object_set_new(o, "rate_count", json_integer(pol->rate_count));
	json_object_set_new(o, "rate_per_ms", json_integer(pol->rate_per_ms));

	/* the result, held in a one-field struct "value" */
	const lvc_type *r = d->result;
	bool has_result = r && r->kind != LVC_T_VOID;
	json_object_set_new(o, "result", json_boolean(has_result));
	json_object_set_new(o, "result_type", has_result ?
	                    lvc_jfmt("&%s__%s_result_type", g->mod, name) : json_string("NULL"));
	json_t *out_params = json_array();
	const char *reply_decl = NULL, *reply_pack = NULL, *done_decl = "const void *value";
	if (has_result) {
		bool opt = r->kind == LVC_T_OPTIONAL;
		bool ptr = opt && is_struct(r->elem);
		const char *rtype = S(g, "%s__%s_result", g->mod, name);
		lvc_field value = { .name = LVC_STR("value"), .type = (lvc_type *)r };
		json_object_set_new(o, "result_ctype", json_string(rtype));
		json_object_set_new(o, "result_fields", c_fields(g, rtype, &value));
		const char *vt = c_value_type(g, r);
		if (ptr) {
			json_array_append_new(out_params, json_pack("{s:s, s:s, s:s}", "decl",
			                      S(g, "const %s **out", decl_cname(g, r->elem->ref)),
			                      "take", "&r->value", "name", "out"));
			done_decl = S(g, "const %s *value", decl_cname(g, r->elem->ref));
			reply_decl = S(g, "const %s *value", decl_cname(g, r->elem->ref));
			reply_pack = "r.value = value;";
		} else if (opt) {
			json_array_append_new(out_params, json_pack("{s:s, s:s, s:s}", "decl",
			                      c_decl(g, ptr_to(g, vt), LVC_STR("out")), "take",
			                      "&r->value", "name", "out"));
			json_array_append_new(out_params, json_pack("{s:s, s:s, s:s}", "decl",
			                      "bool *has_out", "take", "&r->has_value", "name", "has_out"));
			done_decl = r->elem->kind == LVC_T_JSON ? "json_t *const *value" :
			            S(g, "const %svalue", ptr_to(g, vt));
			reply_decl = r->elem->kind == LVC_T_JSON ? "json_t *value" :
			             S(g, "const %svalue", ptr_to(g, vt));
			reply_pack = r->elem->kind == LVC_T_JSON ?
			             "if (value) {\n\t\tr.has_value = true;\n\t\tr.value = value;\n\t}" :
			             "if (value) {\n\t\tr.has_value = true;\n\t\tr.value = *value;\n\t}";
		} else {
			json_array_append_new(out_params, json_pack("{s:s, s:s, s:s}", "decl",
			                      c_decl(g, ptr_to(g, vt), LVC_STR("out")), "take",
			                      "&r->value", "name", "out"));
			done_decl = r->kind == LVC_T_JSON ? "json_t *const *value" :
			            S(g, "const %svalue", ptr_to(g, vt));
			if (is_struct(r)) {
				reply_decl = S(g, "const %s *value", vt);
				reply_pack = "r.value = *value;";
			} else {
				reply_decl = c_decl(g, vt, LVC_STR("value"));
				reply_pack = "r.value = value;";
			}
		}
		json_object_set_new(o, "result_lv_type", json_string(lvc_type_str(g->c, r)));
	}
	json_object_set_new(o, "done_value_decl", json_string(done_decl));
	json_object_set_new(o, "out_params", out_params);
	json_object_set_new(o, "reply_decl", reply_decl ? json_string(reply_decl) : json_null());
	json_object_set_new(o, "reply_pack", reply_pack ? json_string(reply_pack) : json_null());

	/* The typed prototypes, as one list of C declarations each. */
	json_t *proto = json_array();
	json_array_append_new(proto, json_pack("{s:s, s:s}", "decl", "lv_call *call",
	                                       "name", "call"));
	for (size_t i = 0; i < json_array_size(params); i++)
		json_array_append(proto, json_array_get(params, i));
	for (size_t i = 0; i < json_array_size(out_params); i++)
		json_array_append(proto, json_array_get(out_params, i));
	json_object_set_new(o, "handler_params", proto);
	json_object_set_new(o, "params", params);

	bool server = lvc_endpoint_is_server(d->ekind);
	bool push = d->ekind == LVC_E_CLIENT_REALTIME ||
	            (d->ekind == LVC_E_CLIENT_ON && !pol->lifecycle);
	json_object_set_new(o, "server", json_boolean(server));
	json_object_set_new(o, "rpc", json_boolean(d->ekind == LVC_E_SERVER_RPC));
	json_object_set_new(o, "raise", json_boolean(d->ekind == LVC_E_SERVER_ON && !pol->lifecycle));
	json_object_set_new(o, "push", json_boolean(push));
	json_object_set_new(o, "client_rpc", json_boolean(d->ekind == LVC_E_CLIENT_RPC));
	json_object_set_new(o, "client_lifecycle",
	                    json_boolean(d->ekind == LVC_E_CLIENT_ON && pol->lifecycle));
	json_object_set_new(o, "line", json_false());
	if (g->e->line_directives) {
		uint32_t line, col;
		lvc_line_col(g->c, d->loc, &line, &col);
		json_object_set_new(o, "line", json_integer(line));
	}
	return o;
}

static json_t *
base_view(lvc_ctx *c, lvc_emit *e, const char *mod)
{
	char *guard = lvc_sprintf(&c->arena, "%s_LV_H", e->base);
	for (char *p = guard; *p; p++) {
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
		else if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			*p = '_';
	}
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:b}", "lvc_version", LVC_VERSION,
	                 "source", e->source, "base", e->base, "guard", guard, "module", mod,
	                 "hash", e->hash, "abi", 1, "line_directives", e->line_directives);
}

int
lvc_emit_c(lvc_ctx *c, lvc_emit *e, const lvc_program *p, json_t *js_parts)
{
	cgen g = { .c = c, .e = e };
	g.mod = lvc_strndup(&c->arena, c->root->name.p, c->root->name.n);
	g.composites = json_array();
	g.nested = json_array();
	lvc_symtab_init(&g.composite_vars);
	lvc_symtab_init(&g.nested_seen);

	json_t *view = base_view(c, e, g.mod);
	json_object_set_new(view, "doc", lvc_doc_lines(c->root->doc));
	add_types(&g, p, view);
	json_t *eps = json_array();
	/* A page's own lifecycle events never reach the server: no entry. */
	for (int i = 0, n = 0; i < p->nendpoints; i++)
		if (!(p->endpoints[i]->ekind == LVC_E_CLIENT_ON && p->endpoints[i]->policy.lifecycle))
			json_array_append_new(eps, endpoint_view(&g, p->endpoints[i], n++));
	json_object_set_new(view, "endpoints", eps);
	json_object_set_new(view, "composites", g.composites);
	json_object_set_new(view, "nested", g.nested);
	json_object_set_new(view, "app", json_string(S(&g, "%s_app", g.mod)));
	json_object_set(view, "js_parts", json_object_get(js_parts, "parts"));
	json_object_set(view, "js_len", json_object_get(js_parts, "len"));

	int rc = lvc_emit_file(c, e, "c_header", view, S(&g, "%s.lv.h", e->base));
	if (rc == 0)
		rc = lvc_emit_file(c, e, "c_source", view, S(&g, "%s.lv.c", e->base));

	/* The handler file: created once, merged afterwards. */
	if (rc == 0) {
		lvc_tbuf fresh = { 0 };
		rc = lvc_render(c, e->templates, e->ntemplates, "c_handlers", view, &fresh);
		int nblocks = 0;
		lvc_block *blocks = calloc(json_array_size(eps) + 1, sizeof *blocks);
		lvc_tbuf *texts = calloc(json_array_size(eps) + 1, sizeof *texts);
		for (size_t i = 0; rc == 0 && i < json_array_size(eps); i++) {
			json_t *ep = json_array_get(eps, i);
			if (!json_is_true(json_object_get(ep, "server")))
				continue;
			rc = lvc_render(c, e->templates, e->ntemplates, "c_handler", ep, &texts[nblocks]);
			blocks[nblocks].name = json_string_value(json_object_get(ep, "name"));
			blocks[nblocks].text = texts[nblocks].data ? texts[nblocks].data : "";
			nblocks++;
		}
		if (rc == 0) {
			const char *path = S(&g, "%s/%s_handlers.c", e->c_handlers, e->base);
			rc = lvc_merge_write(c, e, path, fresh.data ? fresh.data : "", blocks, nblocks,
			                     LVC_MARK_C);
		}
		for (int i = 0; i < nblocks; i++)
			free(texts[i].data);
		free(texts);
		free(blocks);
		free(fresh.data);
	}
	json_decref(view);
	lvc_symtab_free(&g.composite_vars);
	lvc_symtab_free(&g.nested_seen);
	return rc;
}
