/* check.h - what the checker's files share (check.c, decorators.c, names.c): its state and helpers. */
#ifndef LVC_CHECK_H
#define LVC_CHECK_H

#include "lvc.h"
#include "symtab.h"

typedef struct {
	lvc_ctx *c;
	lvc_symtab names;     /* bare top-level name -> decl */
	lvc_symtab cnames;    /* generated C identifier -> decl */
	lvc_symtab modnames;  /* C identifier a module keeps for itself -> module */
	lvc_symtab events;    /* "server:name" / "client:name" -> decl */
	lvc_symtab groups;    /* callback group -> decl that set its model */
	lvc_symtab module_policy; /* module name -> its lvc_policy (access, roles) */
	lvc_symtab modules;   /* module name -> module */
	lvc_symtab tables;    /* a model's table -> its struct */
} checker;

/* check.c: "an integer", "a string", ... */
const char *lvc__value_kind_name(lvc_value_kind k);
/* check.c: the word of the NULL-terminated list closest to s, for "did you
 * mean", or NULL when none is close. */
const char *lvc__closest(lvc_str s, const char *const *words);

/* check.c: resolves a type in place; top: an endpoint's result, where
 * void is allowed. */
void lvc__resolve_type(checker *k, lvc_type *t, bool top);

/* model.c: a struct's decorators (@model) and its fields' (@key,
 * @version, @index), after its fields are checked; field decorators where
 * they do not belong (where: "struct 'S'"); whether a model holds itself;
 * a binding (@server.model), once every struct is checked; and what spans
 * the whole program. */
void lvc__check_struct_decorators(checker *k, lvc_decl *s);
void lvc__check_field_decorators(checker *k, lvc_field *fields, const char *where);
void lvc__check_model_recursion(checker *k, lvc_decl *s);
void lvc__check_binding(checker *k, lvc_decl *b);
void lvc__check_models(checker *k);

/* decorators.c: an endpoint's decorators into its kind and policy; a
 * module's into the policy its endpoints inherit (k->module_policy). */
void lvc__check_endpoint_decorators(checker *k, lvc_decl *e);
void lvc__check_module_decorators(checker *k, lvc_module *m);

/* names.c: every C identifier the program generates, claimed once. */
void lvc__check_c_names(checker *k);

#endif
