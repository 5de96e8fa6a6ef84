/* breaking.h - what the parts of lvc --breaking share: the comparison's state and the checks each part uses. */
#ifndef LVC_BREAKING_H
#define LVC_BREAKING_H

#include "lvc.h"
#include "symtab.h"

typedef enum { ARGS, RESULT } flow;

/* How a struct or enum is reached: from which new endpoint, where. */
typedef struct {
	const lvc_decl *ep;
	const char *where;       /* "parameter 'x' of" or "the result of" */
	lvc_loc loc;             /* the type there, in the new files */
} use;

typedef struct {
	lvc_ctx *from, *to;
	uint32_t *files;         /* from's file i -> to's file index + 1, or 0 */
	lvc_symtab done;         /* pairs compared and diagnostics given */
	int found;
} bk;

/* A list of members being compared: an endpoint's parameters or a struct's
 * fields. */
typedef struct {
	flow fl;
	const char *what;        /* "parameter" or "field" */
	const char *owner;       /* "server.rpc 'join'" or "'Message'" */
	const lvc_decl *ep;      /* whose callers are old */
	const use *via;          /* fields: how the struct is reached */
	const char *type_name;   /* fields: the struct's name, for the note */
	lvc_loc to_owner;        /* the new endpoint's or struct's name */
} members;


/* breaking.c: places and messages, types, members, endpoints */
lvc_loc bk_at_from(bk *b, lvc_loc l);
bool bk_first_time(bk *b, const char *key);
bool __attribute__((format(printf, 4, 5))) bk_breaking(bk *b, const char *rule, lvc_loc at, const char *fmt, ...);
const char *bk_endpoint_name(bk *b, const lvc_decl *e);
bool bk_same_shape(bk *b, flow fl, const lvc_type *o, const lvc_type *n, const use *via);
const lvc_field *bk_find_field(const lvc_field *list, lvc_str name);
void bk_compare_policy(bk *b, const lvc_decl *o, const lvc_decl *n);
const lvc_arg *bk_kind_arg(const lvc_decl *e, const char *name);
void bk_compare_limits(bk *b, const lvc_decl *o, const lvc_decl *n);

/* breaking_model.c: states, models and bindings */
void bk_compare_state(bk *b, const lvc_decl *o, const lvc_decl *n);
void bk_compare_model(bk *b, const lvc_decl *o, const lvc_decl *n, const lvc_decl *via);
void bk_compare_binding(bk *b, const lvc_decl *o, const lvc_decl *n);

#endif
