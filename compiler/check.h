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
} checker;

/* check.c: "an integer", "a string", ... */
const char *lvc__value_kind_name(lvc_value_kind k);
/* check.c: the word of the NULL-terminated list closest to s, for "did you
 * mean", or NULL when none is close. */
const char *lvc__closest(lvc_str s, const char *const *words);

/* decorators.c: an endpoint's decorators into its kind and policy; a
 * module's into the policy its endpoints inherit (k->module_policy). */
void lvc__check_endpoint_decorators(checker *k, lvc_decl *e);
void lvc__check_module_decorators(checker *k, lvc_module *m);

/* names.c: every C identifier the program generates, claimed once. */
void lvc__check_c_names(checker *k);

#endif
