/* asyncapi.h - what the parts of lvc --asyncapi share: the document's JSON writer and the pieces each part writes. */
#ifndef LVC_ASYNCAPI_H
#define LVC_ASYNCAPI_H

#include "emit.h"

/* The document being written. */
typedef struct {
	lvc_ctx *c;
	lvc_tbuf b;
	int depth;
	bool first;              /* nothing written yet in the open container */
	bool after_key;          /* a key was written: the value comes next */
	const lvc_program *p;    /* with every model operation among the endpoints */
	const lvc_program *contract; /* as declared: what the schema hash covers */
	lvc_str *roles;          /* every role named, in order of appearance */
	const char **role_keys;  /* its security scheme's key */
	int nroles;
} aw;

#define OBJ(w) aw_open(w, "{")
#define END(w) aw_close(w, "}")
#define ARR(w) aw_open(w, "[")
#define AEND(w) aw_close(w, "]")

/* asyncapi_json.c: the writer, doc comments, types as JSON Schema */
void aw_put(aw *w, const char *z);
void aw_newline(aw *w);
void aw_sep(aw *w);
void aw_open(aw *w, const char *ch);
void aw_close(aw *w, const char *ch);
void aw_strn(aw *w, const char *p, size_t n);
void aw_str(aw *w, const char *z);
void aw_lstr(aw *w, lvc_str s);
void aw_key(aw *w, const char *k);
void aw_kstr(aw *w, const char *k, const char *v);
void aw_raw(aw *w, const char *z);
void aw_kraw(aw *w, const char *k, const char *v);
void aw_integer(aw *w, long long i);
void aw_real(aw *w, double f);
void aw_ref(aw *w, const char *section, const char *name);
char *aw_summary_of(aw *w, const lvc_doc *d);
void aw_docs(aw *w, const lvc_doc *d, bool with_summary);
void aw_type_schema(aw *w, const lvc_type *t);
void aw_fields_schema(aw *w, const lvc_field *fl, const lvc_doc *doc);
void aw_decl_schema(aw *w, const lvc_decl *d);

/* asyncapi.c: the envelope, messages and operations of endpoints */
void aw_const_prop(aw *w, const char *k, const char *v);
void aw_const_lprop(aw *w, const char *k, lvc_str v);
void aw_counter_prop(aw *w, const char *k, const char *desc);
void aw_required(aw *w, const char *const *names);
const char *aw_ename(aw *w, const lvc_decl *d);
const char *aw_mkey(aw *w, const lvc_decl *d, const char *suffix);
void aw_message_head(aw *w, const char *k, const char *title, const char *summary);
void aw_security(aw *w, const lvc_decl *d);
void aw_op_messages(aw *w, const char *channel, const char *k);
/* What a message's "seq" is. */
#define AW_SEQ_DESC "The message's number in its session and direction (docs/protocol.md, sessions)."

/* asyncapi_state.c: the messages and operations of states, patches */
/* The messages of state d: a server state's snapshot, patch, the page's
 * state_sync and, by group, the end of a page's copy; a client state's
 * patch and the server's snapshot. */
enum { NSTATE_MSGS = 4 };
void aw_state_message_keys(aw *w, const lvc_decl *d, const char *k[NSTATE_MSGS]);
void aw_state_messages_of(aw *w, const lvc_decl *d);
void aw_state_operations(aw *w, const lvc_decl *d);
void aw_patch_schemas(aw *w);

#endif
