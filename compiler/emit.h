/* emit.h - what the code generators share: the output set, the view-model
 * helpers, and the handler-file merge. */
#ifndef LVC_EMIT_H
#define LVC_EMIT_H

#include "lvc.h"
#include "template.h"
#include "view.h"

/* A rendered file, held until the run is known to succeed. */
typedef struct {
	const char *path;
	char *data;                  /* malloc */
	size_t len;
} lvc_output;

enum { LVC_MAX_OUTPUTS = 8 };

/* What NAME.lv.js imports the browser runtime as, unless --js-runtime says
 * otherwise: lv.js beside it, as the server serves them. */
#define LVC_JS_RUNTIME "./lv.js"

typedef struct {
	const char *outdir;
	const char *c_handlers;      /* where NAME_handlers.c lives (default outdir) */
	const char *js_handlers;     /* where NAME_handlers.js lives */
	const char *js_runtime;      /* what NAME.lv.js and NAME.lv.d.ts import the
	                                runtime as; NULL: LVC_JS_RUNTIME */
	const char *base;            /* file stem: "chat" for chat.lv */
	const char *source;          /* the .lv file name as shown in banners */
	bool line_directives;        /* #line back into the .lv file */
	const lvc_template *templates;
	size_t ntemplates;
	char hash[17];               /* schema hash, hex */
	const char **written;        /* every output path, for the depfile */
	int nwritten;
	lvc_output outputs[LVC_MAX_OUTPUTS];   /* written by lvc_emit_commit */
	int noutputs;
} lvc_emit;

/* Every declaration of the program, in a stable order. */
typedef struct {
	lvc_decl **types;            /* structs and enums, by module then source order */
	int ntypes;
	lvc_decl **endpoints;        /* sorted by name (the dispatch order) */
	int nendpoints;
	lvc_decl **states;           /* sorted by name */
	int nstates;
	lvc_decl **models;           /* the @model structs, in the order of types */
	int nmodels;
	lvc_decl **bindings;         /* model bindings, sorted by name */
	int nbindings;
} lvc_program;

/* The name of the endpoint of operation op of binding b: "todos.list"
 * (arena a). Every operation b allows, in name order, is op_order[i] for
 * i < lvc_binding_ops(b, op_order). */
const char *lvc_op_endpoint_name(lvc_arena *a, const lvc_decl *b, lvc_model_op op);
int lvc_binding_ops(const lvc_decl *b, lvc_model_op op_order[LVC_NOPS]);

void lvc_program_collect(lvc_ctx *c, lvc_program *p);
void lvc_program_free(lvc_program *p);

/* The schema hash: FNV-1a (64 bits) over a canonical text of everything
 * that reaches the wire. */
void lvc_schema_hash(lvc_ctx *c, const lvc_program *p, char out[17]);

/* text.c: s[0..n) as a JSON string, quotes included: '"', '\\' and control
 * characters escaped, and with ascii every other non-ASCII character too
 * (as \\u escapes, in pairs past U+FFFF). */
void lvc_json_string(lvc_tbuf *b, const char *s, size_t n, bool ascii);
/* text.c: s[0..n) as the inside of a C string literal: '"', '\\', '?' (no
 * trigraphs) and newlines escaped, other bytes outside printable ASCII in
 * octal. */
void lvc_c_escape(lvc_tbuf *b, const char *s, size_t n);

/* Doc comment lines, made safe for a C comment or JSDoc: a list of
 * strings in arena a. */
lvc_view lvc_doc_lines(lvc_arena *a, const lvc_doc *d);

/* Renders a template into the output set as filename (in outdir). */
int lvc_emit_file(lvc_ctx *c, lvc_emit *e, const char *tmpl, const lvc_view *view,
                  const char *filename);

/* Adds a copy of data to the output set as path. Nothing is written until
 * lvc_emit_commit, so a run that fails (an error, or a warning under
 * -Werror, found at any stage) leaves every file as it was. */
void lvc_emit_stage(lvc_ctx *c, lvc_emit *e, const char *path, const char *data, size_t len);
/* Writes every staged file (each unless unchanged) when the run has no
 * error; then, and after a failure, drops them. */
int lvc_emit_commit(lvc_ctx *c, lvc_emit *e);
void lvc_emit_discard(lvc_emit *e);

/* The JS module first: the C side embeds it. js receives the text of the
 * copy the server serves, which imports "./lv.js" (the server serves lv.js
 * beside it) whatever e->js_runtime says (malloc; the caller frees
 * js->data, after a failure too). */
int lvc_emit_js(lvc_ctx *c, lvc_emit *e, const lvc_program *p, lvc_tbuf *js);
int lvc_emit_c(lvc_ctx *c, lvc_emit *e, const lvc_program *p, const char *js, size_t js_len);

/* merge.c: handler files users edit. Blocks between marker lines hold one
 * endpoint each; their bodies are the user's and are kept byte for byte. */
typedef struct {
	const char *name;            /* endpoint */
	const char *text;            /* the freshly rendered block, markers included */
} lvc_block;

typedef enum { LVC_MARK_C, LVC_MARK_JS } lvc_mark_style;

/* Merges fresh blocks into the existing file text (NULL: no file yet, then
 * `fresh_file` is used as is). Returns the new text (malloc) or NULL after
 * reporting why the file cannot be merged safely. */
char *lvc_merge(lvc_ctx *c, const char *path, const char *old, const char *fresh_file,
                const lvc_block *blocks, int nblocks, lvc_mark_style style);

/* Can the handler file at path be merged (absent is fine)? Reports why
 * not; called for both before anything is written. */
int lvc_merge_check(lvc_ctx *c, const char *path, lvc_mark_style style);

/* Merges into the handler file at path (creating it from `fresh` when
 * absent) and stages the result (lvc_emit_stage). */
int lvc_merge_write(lvc_ctx *c, lvc_emit *e, const char *path, const char *fresh,
                    const lvc_block *blocks, int nblocks, lvc_mark_style style);

/* The view both sides start from: lvc_version, source, base, module, hash
 * and doc (the root module's doc comment). */
lvc_vobj *lvc_base_view(lvc_ctx *c, const lvc_emit *e, lvc_arena *a);

/* The blocks of a handler file and the view each is rendered from. */
typedef struct {
	lvc_block *blocks;
	const lvc_vobj **views;
	int n;
} lvc_blockset;

void lvc_blockset_init(lvc_blockset *b, int cap);
void lvc_blockset_add(lvc_blockset *b, const char *name, const lvc_vobj *view);
void lvc_blockset_free(lvc_blockset *b);

/* One side's view of an endpoint (index: its place among those kept), or
 * NULL to leave it out; and whether that side's handler file has a block
 * for it. */
typedef lvc_vobj *(*lvc_endpoint_view_fn)(void *gen, const lvc_decl *d, const char *name,
                                          int index);
typedef bool (*lvc_endpoint_handled_fn)(const lvc_decl *d);

/* The endpoints of p as one side sees them, in order, with a block in
 * blocks (initialised here) for each one it handles. */
lvc_vlist *lvc_endpoint_views(lvc_arena *a, const lvc_program *p, lvc_endpoint_view_fn view,
                              void *gen, lvc_endpoint_handled_fn handled, lvc_blockset *blocks);

/* The handler file pass both sides share: renders file_tmpl against top
 * (the file as lvc makes it once) and block_tmpl against each block's
 * view, sets each block's text, and merges them into the file at path. */
int lvc_emit_handlers(lvc_ctx *c, lvc_emit *e, const lvc_view *top, const char *file_tmpl,
                      const char *block_tmpl, lvc_blockset *blocks, const char *path,
                      lvc_mark_style style);

#endif
