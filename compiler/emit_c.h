/* emit_c.h - what the C generator's parts share: the generator's state and the views each part builds. */
#ifndef LVC_EMIT_C_H
#define LVC_EMIT_C_H

#include "emit.h"
#include "symtab.h"

/* The C generator's state for one program. */
typedef struct {
	lvc_ctx *c;
	lvc_emit *e;
	lvc_arena *a;                 /* the view model and its strings */
	const char *mod;              /* the root module's name: the app's prefix */
	lvc_vlist *composites;        /* descriptors for list<T> and map<T> */
	lvc_symtab composite_vars;    /* "list<Message>" -> var name */
	lvc_vlist *nested;            /* typedefs for lists/maps of lists/maps */
	lvc_symtab nested_seen;
	lvc_tbuf scratch;             /* a default's JSON; the literals of the JS module */
} cgen;

/* emit_c.c: strings in the view model's arena, types, endpoints, states */
const char *cg_S(cgen *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *cg_decl_cname(cgen *g, const lvc_decl *d);
lvc_vobj *cg_endpoint_view(cgen *g, const lvc_decl *d, const char *name, int index);
void cg_state_fn(cgen *g, lvc_vlist *fns, const char *doc, const char *proto, const char *call);

/* emit_c_model.c: models, their bindings and the bindings' operations */
lvc_view cg_model_view(cgen *g, const lvc_decl *s, int i);
lvc_vobj *cg_binding_view(cgen *g, const lvc_program *p, const lvc_decl *d, int i);
lvc_vobj *cg_op_endpoint_view(cgen *g, const lvc_decl *d, int bindex, lvc_model_op op, const char *name, int index);

#endif
