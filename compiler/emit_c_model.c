/* emit_c_model.c - the C side of models: each model's lv_model_def view, its bindings' and their operations' endpoints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit_c.h"

/* The C spelling of a model's key for its typed functions: int64_t or lv_str. */
static const char *
key_type(const lvc_decl *s)
{
	return s->model->key && s->model->key->type->kind == LVC_T_STRING ? "lv_str" : "int64_t";
}

/* A @model struct: its lv_model_def (index i of the app's models) and the
 * typed operations handlers call. */
lvc_view
cg_model_view(cgen *g, const lvc_decl *s, int i)
{
	const lvc_model *m = s->model;
	const char *cname = cg_decl_cname(g, s), *def = cg_S(g, "&%s__models[%d]", g->mod, i);
	lvc_vlist *flags = lvc_vlist_new(g->a, (uint32_t)s->nfields);
	for (const lvc_field *f = s->fields; f; f = f->next) {
		char buf[64] = "";
		if (f->mflags & LVC_MF_KEY) strcat(buf, " | LV_MF_KEY");
		if (f->mflags & LVC_MF_INDEX) strcat(buf, " | LV_MF_INDEX");
		if (f->mflags & LVC_MF_VERSION) strcat(buf, " | LV_MF_VERSION");
		lvc_vlist_push(flags, buf[0] ? lvc_v_copy(g->a, buf + 3, strlen(buf + 3)) :
		               lvc_v_cstr("0"));
	}
	const char *kt = key_type(s);
	lvc_vlist *fns = lvc_vlist_new(g->a, 5);
	cg_state_fn(g, fns, "The row whose key is key, decoded into *out in arena a; LV_ENOT_FOUND if none.",
	         cg_S(g, "%s_get(lv_server *server, %s key, %s *out, lv_arena *a)", cname, kt, cname),
	         cg_S(g, "lv_model_get(server, %s, &key, out, a)", def));
	cg_state_fn(g, fns, "A page of a query (JSON as a page sends it to list; NULL: every row, in key order) as JSON text in a.",
	         cg_S(g, "%s_query(lv_server *server, const char *query_json, lv_json *out, lv_arena *a)", cname),
	         cg_S(g, "lv_model_list(server, %s, query_json, out, a)", def));
	cg_state_fn(g, fns, "Adds row (its version is ignored); *out is the row stored.",
	         cg_S(g, "%s_create(lv_server *server, const %s *row, %s *out, lv_arena *a)", cname, cname, cname),
	         cg_S(g, "lv_model_create(server, %s, row, out, a)", def));
	cg_state_fn(g, fns, "Replaces the row with row's key, if its version is still row's (else LV_EABORTED); *out is the row stored.",
	         cg_S(g, "%s_update(lv_server *server, const %s *row, %s *out, lv_arena *a)", cname, cname, cname),
	         cg_S(g, "lv_model_update(server, %s, row, out, a)", def));
	cg_state_fn(g, fns, "Removes the row whose key is key, if its version is still version (else LV_EABORTED).",
	         cg_S(g, "%s_delete(lv_server *server, %s key, int64_t version)", cname, kt),
	         cg_S(g, "lv_model_delete(server, %s, &key, version)", def));
	lvc_vobj *o = lvc_vobj_new(g->a, 10);
	lvc_vobj_set(o, "name", lvc_v_str(s->name));
	lvc_vobj_set(o, "cname", lvc_v_cstr(cname));
	lvc_vobj_set(o, "table", lvc_v_str(m->table));
	lvc_vobj_set(o, "field_flags", lvc_v_list(flags));
	lvc_vobj_set(o, "key", lvc_v_int(m->key_index));
	lvc_vobj_set(o, "version", lvc_v_int(m->version_index));
	lvc_vobj_set(o, "fns", lvc_v_list(fns));
	return lvc_v_obj(o);
}

static int
model_index(const lvc_program *p, const lvc_decl *s)
{
	for (int i = 0; i < p->nmodels; i++)
		if (p->models[i] == s)
			return i;
	abort();
}

static lvc_view
int_list(cgen *g, const int *v, int n)
{
	lvc_vlist *l = lvc_vlist_new(g->a, (uint32_t)n);
	for (int i = 0; i < n; i++)
		lvc_vlist_push(l, lvc_v_int(v[i]));
	return lvc_v_list(l);
}

/* A binding's entry in the app's model_bindings (index i), and for the
 * handler file its row predicate when it has one. */
lvc_vobj *
cg_binding_view(cgen *g, const lvc_program *p, const lvc_decl *d, int i)
{
	const lvc_binding *b = d->binding;
	const lvc_policy *pol = &d->policy;
	const char *name = lvc_strndup(g->a, d->name.p, d->name.n);
	lvc_vobj *o = lvc_vobj_new(g->a, 20);
	lvc_vobj_set(o, "name", lvc_v_cstr(name));
	lvc_vobj_set(o, "index", lvc_v_int(i));
	lvc_vobj_set(o, "model_index", lvc_v_int(model_index(p, b->model)));
	lvc_vobj_set(o, "model_name", lvc_v_str(b->model->name));
	char ops[256] = "";
	for (int op = 0; op < LVC_NOPS; op++)
		if (b->ops & (1u << op)) {
			static const char *const consts[] = {
				"LV_MODEL_RETRIEVE", "LV_MODEL_LIST", "LV_MODEL_CREATE", "LV_MODEL_UPDATE",
				"LV_MODEL_DELETE", "LV_MODEL_SUBSCRIBE", "LV_MODEL_UNSUBSCRIBE",
			};
			strcat(ops, " | 1u << ");
			strcat(ops, consts[op]);
		}
	lvc_vobj_set(o, "ops", ops[0] ? lvc_v_copy(g->a, ops + 3, strlen(ops + 3)) : lvc_v_cstr("0"));
	lvc_vobj_set(o, "filter", int_list(g, b->filter, b->nfilter));
	lvc_vobj_set(o, "nfilter", lvc_v_int(b->nfilter));
	lvc_vobj_set(o, "has_filter", lvc_v_bool(b->nfilter > 0));
	lvc_vobj_set(o, "has_order", lvc_v_bool(b->norder > 0));
	lvc_vobj_set(o, "order", int_list(g, b->order, b->norder));
	lvc_vobj_set(o, "norder", lvc_v_int(b->norder));
	lvc_vobj_set(o, "limit", lvc_v_int(b->limit));
	lvc_vlist *roles = lvc_vlist_new(g->a, (uint32_t)pol->nroles);
	for (int r = 0; r < pol->nroles; r++)
		lvc_vlist_push(roles, lvc_v_str(pol->roles[r]));
	lvc_vobj_set(o, "roles", lvc_v_list(roles));
	lvc_vobj_set(o, "doc", lvc_doc_lines(g->a, d->doc));
	lvc_vobj_set(o, "allow", lvc_v_bool(b->allow));
	lvc_vobj_set(o, "changed", lvc_v_bool(false));
	const char *row = cg_decl_cname(g, b->model);
	lvc_vobj_set(o, "allow_cname", lvc_v_fmt(g->a, "%s_%s_allow", g->mod, name));
	lvc_vobj_set(o, "allow_sig", lvc_v_fmt(g->a, "%s_%s_allow(lv_conn *conn, lv_model_op op, "
	             "const %s *row)", g->mod, name, row));
	lvc_vobj_set(o, "row_ctype", lvc_v_cstr(row));
	return o;
}

/* The endpoint of one operation of a binding: an rpc whose invoke hands
 * the call to lv_model_invoke, with the binding's access policy. */
lvc_vobj *
cg_op_endpoint_view(cgen *g, const lvc_decl *d, int bindex, lvc_model_op op, const char *name,
                 int index)
{
	static const char *const consts[] = {
		"LV_MODEL_RETRIEVE", "LV_MODEL_LIST", "LV_MODEL_CREATE", "LV_MODEL_UPDATE",
		"LV_MODEL_DELETE", "LV_MODEL_SUBSCRIBE", "LV_MODEL_UNSUBSCRIBE",
	};
	const lvc_policy *pol = &d->policy;
	const char *bname = lvc_strndup(g->a, d->name.p, d->name.n);
	lvc_vobj *o = lvc_vobj_new(g->a, 32);
	lvc_vobj_set(o, "name", lvc_v_cstr(name));
	lvc_vobj_set(o, "index", lvc_v_int(index));
	lvc_vobj_set(o, "kind", lvc_v_cstr("LV_SERVER_RPC"));
	lvc_vobj_set(o, "kind_name", lvc_v_cstr("server.model"));
	lvc_vobj_set(o, "flags", lvc_v_cstr(pol->access == LVC_ACCESS_PUBLIC ? "LV_EP_PUBLIC" : "0"));
	lvc_vobj_set(o, "roles", lvc_v_list(&lvc_vlist_empty));
	lvc_vobj_set(o, "nroles", lvc_v_int(pol->nroles));
	lvc_vobj_set(o, "roles_ref", pol->nroles ? lvc_v_fmt(g->a, "%s__%s_roles", g->mod, bname) :
	             lvc_v_cstr("NULL"));
	lvc_vobj_set(o, "event", lvc_v_cstr("NULL"));
	lvc_vobj_set(o, "timeout_ms", lvc_v_int(0));
	lvc_vobj_set(o, "max_bytes", lvc_v_int(0));
	lvc_vobj_set(o, "rate_count", lvc_v_int(0));
	lvc_vobj_set(o, "rate_per_ms", lvc_v_int(0));
	lvc_vobj_set(o, "args_ref", lvc_v_fmt(g->a, "&lv_model_args_type[%s]", consts[op]));
	lvc_vobj_set(o, "result_type", lvc_v_cstr("&lv_json_type"));
	lvc_vobj_set(o, "invoke_ref", lvc_v_fmt(g->a, "%s__%s__%s_invoke", g->mod, bname,
	             lvc_model_op_name(op)));
	lvc_vobj_set(o, "binding_ref", lvc_v_fmt(g->a, "&%s__model_bindings[%d]", g->mod, bindex));
	lvc_vobj_set(o, "op_const", lvc_v_cstr(consts[op]));
	lvc_vobj_set(o, "model_op", lvc_v_bool(true));
	lvc_vobj_set(o, "has_params", lvc_v_bool(false));
	lvc_vobj_set(o, "result", lvc_v_bool(false));
	static const char *const off[] = { "server", "rpc", "raise", "push", "client_rpc",
	                                   "client_lifecycle", "changed", "allow" };
	for (size_t i = 0; i < sizeof off / sizeof off[0]; i++)
		lvc_vobj_set(o, off[i], lvc_v_bool(false));
	return o;
}

