/* lvc.h - the compiler's one internal header: context, source, AST, stages.
 *
 * Pipeline: source (read, line map) -> lexer -> parser -> ast -> check ->
 * emitters. One struct lvc_ctx is threaded through every stage; the AST and
 * every string the compiler makes live in its arena and are freed at once.
 */
#ifndef LVC_H
#define LVC_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LVC_VERSION "0.1.0"
/* The LV_ABI_VERSION (runtime/include/lv_abi.h) of the code lvc generates. */
#define LVC_RUNTIME_ABI 4

/* Bounds that keep hostile input from costing more than it is worth. */
#define LVC_MAX_NESTING 256     /* brackets of any kind, open at once */
#define LVC_MAX_ERRORS 50       /* then "too many errors" and stop */
#define LVC_MAX_FILE_BYTES (256u << 20)
#define LVC_MAX_FILES 4096

/* ---- arena ------------------------------------------------------------ */

typedef struct lvc_arena_chunk lvc_arena_chunk;
typedef struct {
	lvc_arena_chunk *head;
} lvc_arena;

void *lvc_alloc(lvc_arena *a, size_t n);  /* zeroed; never NULL (aborts) */
char *lvc_strndup(lvc_arena *a, const char *s, size_t n);
char *lvc_sprintf(lvc_arena *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The same with a va_list; sets *len (when len is not NULL) to the length. */
char *lvc_vsprintf(lvc_arena *a, size_t *len, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
void lvc_arena_free(lvc_arena *a);

/* ---- strings and locations -------------------------------------------- */

/* A slice; usually into a source buffer, sometimes into the arena. */
typedef struct {
	const char *p;
	uint32_t n;
} lvc_str;

#define LVC_STR(lit) ((lvc_str){ (lit), sizeof(lit) - 1 })
bool lvc_str_eq(lvc_str a, const char *z);
bool lvc_str_same(lvc_str a, lvc_str b);

/* A place in a source file: file index, byte offset, byte length. Line and
 * column are computed only when a diagnostic needs them. */
typedef struct {
	uint32_t file;
	uint32_t off;
	uint32_t len;
} lvc_loc;

/* ---- source files ------------------------------------------------------ */

typedef struct lvc_module lvc_module;

typedef struct {
	char *path;        /* as given or resolved; owned by the arena */
	char *real;        /* realpath, for import identity */
	char *text;        /* NUL-terminated contents; owned (malloc) */
	uint32_t len;
	uint32_t *lines;   /* offsets of line starts, built lazily; owned */
	uint32_t nlines;
	lvc_module *module;
	int state;         /* 0 new, 1 being parsed, 2 done: import cycles */
	bool not_input;    /* an output shown in diagnostics (a merged handler
	                      file): not a dependency */
} lvc_source;

/* ---- text (text.c): UTF-8 and lv's string escapes ----------------------- */

/* The length of the valid UTF-8 sequence at p (at most n bytes), or 0:
 * overlong, surrogate, out-of-range and truncated sequences are invalid.
 * lvc_utf8_decode also gives the character. */
int lvc_utf8_len(const void *p, size_t n);
int lvc_utf8_decode(const void *p, size_t n, uint32_t *cp);
/* The value of a hex digit, or -1. */
int lvc_hexval(char ch);
/* Writes cp as UTF-8 at o (room for 4 bytes); returns the length. */
size_t lvc_utf8_put(char *o, uint32_t cp);

/* The escape at p (a backslash) in a string literal's body [p, end): *len
 * bytes of it (a wrong \u{HEX} whole, as far as it goes), *cp the
 * character (U+FFFD for a wrong \u). */
typedef enum { LVC_ESC_OK, LVC_ESC_UNKNOWN, LVC_ESC_BAD_UNICODE } lvc_escape_status;
lvc_escape_status lvc_escape_read(const char *p, const char *end, uint32_t *cp, size_t *len);

/* ---- diagnostics ------------------------------------------------------- */

enum { LVC_WARN_UNUSED_TYPE, LVC_WARN_DOC, LVC_WARN_REMOVED, LVC_WARN_COUNT };

typedef struct lvc_ctx lvc_ctx;

void lvc_error(lvc_ctx *c, lvc_loc at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void lvc_warning(lvc_ctx *c, int which, lvc_loc at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* An error that ends with " [TAG]", naming the rule that found it. */
void lvc_error_tagged(lvc_ctx *c, const char *tag, lvc_loc at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* A note belongs to the error or warning just reported; it is dropped when
 * that one was suppressed. */
void lvc_note(lvc_ctx *c, lvc_loc at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error with no place in a source file (command line, I/O). */
void lvc_error_plain(lvc_ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Says "too many errors" if that is still to be said (end of a run). */
void lvc_diag_flush(lvc_ctx *c);
const char *lvc_warning_name(int which);
int lvc_warning_by_name(const char *name);
void lvc_line_col(lvc_ctx *c, lvc_loc at, uint32_t *line, uint32_t *col);

/* ---- AST ---------------------------------------------------------------- */

typedef struct lvc_decl lvc_decl;

typedef enum {
	LVC_T_BOOL, LVC_T_INT, LVC_T_FLOAT, LVC_T_STRING, LVC_T_BYTES,
	LVC_T_JSON, LVC_T_VOID, LVC_T_LIST, LVC_T_MAP, LVC_T_OPTIONAL,
	LVC_T_NAMED, /* unresolved name, or a struct/enum once resolved */
	LVC_T_ERROR  /* resolution failed; already reported */
} lvc_type_kind;

typedef struct lvc_type lvc_type;
struct lvc_type {
	lvc_type_kind kind;
	lvc_loc loc;
	lvc_str name;      /* as written: "int", "list", "Message", "chat.Message" */
	lvc_type *elem;    /* list, map, optional; or the stray second argument */
	lvc_type *extra;   /* a second type argument, which is an error */
	lvc_decl *ref;     /* NAMED: the struct or enum once resolved */
};

typedef enum {
	LVC_V_INT, LVC_V_FLOAT, LVC_V_STRING, LVC_V_BOOL, LVC_V_NULL,
	LVC_V_IDENT,    /* a bare name: flag, enum member, event, mode */
	LVC_V_DURATION, /* i = milliseconds */
	LVC_V_SIZE,     /* i = bytes */
	LVC_V_RATE,     /* i = count, per = period in milliseconds */
	LVC_V_LIST, LVC_V_MAP
} lvc_value_kind;

typedef struct lvc_value lvc_value;
struct lvc_value {
	lvc_value_kind kind;
	lvc_loc loc;
	int64_t i;
	int64_t per;
	double f;
	lvc_str s;         /* STRING: decoded text; IDENT: the name */
	lvc_value *items;  /* LIST: first item */
	lvc_value *next;   /* next item in a list or argument list */
	lvc_value *tail;   /* on a list's first item: its last */
	bool bad;          /* already reported as malformed: check no further */
};

typedef struct lvc_doc lvc_doc;
struct lvc_doc {
	lvc_loc loc;
	char *text;        /* comment text without the slashes, lines joined */
	bool used;
	lvc_doc *next;
};

typedef struct lvc_arg lvc_arg;
struct lvc_arg {
	lvc_str name;      /* empty for a positional argument */
	lvc_loc loc;
	lvc_value *value;
	lvc_arg *next;
	lvc_arg *tail;
};

typedef struct lvc_decorator lvc_decorator;
struct lvc_decorator {
	lvc_str name;      /* dotted: "server.rpc", "auth" */
	lvc_loc loc;
	lvc_arg *args;
	bool has_parens;
	lvc_doc *doc;      /* the doc comment riding on its '@' */
	lvc_decorator *next;
	lvc_decorator *tail;
};

/* A struct field or an endpoint parameter. */
typedef struct lvc_field lvc_field;
struct lvc_field {
	lvc_str name;
	lvc_loc loc;
	lvc_type *type;
	lvc_value *def;    /* default, or NULL */
	lvc_decorator *decorators; /* after its type: @key, @version, @index */
	unsigned mflags;   /* LVC_MF_*, filled in by the model checker */
	lvc_doc *doc;
	lvc_field *next;
	lvc_field *tail;
};

typedef struct lvc_member lvc_member;
struct lvc_member {
	lvc_str name;
	lvc_loc loc;
	lvc_doc *doc;
	int index;
	lvc_member *next;
	lvc_member *tail;
};

typedef enum {
	LVC_D_STRUCT, LVC_D_ENUM, LVC_D_ENDPOINT,
	LVC_D_STATE,             /* NAME: TYPE; with @server.state or @client.state */
	LVC_D_BINDING            /* NAME: MODEL; with @server.model */
} lvc_decl_kind;

/* What an endpoint is: who calls whom, and how. */
typedef enum {
	LVC_E_NONE,
	LVC_E_SERVER_RPC, LVC_E_SERVER_REALTIME, LVC_E_SERVER_ON,
	LVC_E_CLIENT_RPC, LVC_E_CLIENT_REALTIME, LVC_E_CLIENT_CALLBACK,
	LVC_E_CLIENT_ON,
	LVC_E_SERVER_STATE,      /* a state declaration: the server owns it */
	LVC_E_CLIENT_STATE,      /* the page owns it */
	LVC_E_SERVER_MODEL       /* a model binding: its operations are endpoints */
} lvc_endpoint_kind;

/* ---- models (model.c) ---------------------------------------------------- */

/* What a page may do with a model's rows, in the order of lv_model_op
 * (runtime/include/lv_abi.h); the wire name of each is its word here. */
typedef enum {
	LVC_OP_RETRIEVE, LVC_OP_LIST, LVC_OP_CREATE, LVC_OP_UPDATE, LVC_OP_DELETE,
	LVC_OP_SUBSCRIBE, LVC_OP_UNSUBSCRIBE, LVC_NOPS
} lvc_model_op;

/* Per field of a @model struct, as LV_MF_* in lv_abi.h. */
enum { LVC_MF_KEY = 1 << 0, LVC_MF_INDEX = 1 << 1, LVC_MF_VERSION = 1 << 2 };

#define LVC_MODEL_LIMIT_DEFAULT 100
#define LVC_MODEL_LIMIT_MAX 10000

/* A struct declared with @model: a table, a column per field. */
typedef struct {
	lvc_decorator *deco;     /* the @model */
	lvc_str table;           /* as given, or the struct's name in lower case */
	lvc_field *key, *version;
	int key_index, version_index;
} lvc_model;

/* A declaration NAME: MODEL; with @server.model. */
typedef struct {
	lvc_decl *model;         /* the @model struct; NULL when that failed */
	unsigned ops;            /* 1 << lvc_model_op for each allowed */
	int *filter;             /* field indexes a query may compare */
	int nfilter;
	int *order;              /* field indexes a query may order by */
	int norder;
	int64_t limit;           /* the largest page */
	bool allow;              /* the handler file has a row predicate */
} lvc_binding;

/* Where a server state lives: one per connection, per group name, or one. */
typedef enum { LVC_SCOPE_CONN, LVC_SCOPE_GROUP, LVC_SCOPE_GLOBAL } lvc_scope;

/* A state's flush: flush_ms as given, LVC_FLUSH_MANUAL, or the default. */
#define LVC_FLUSH_DEFAULT_MS 200
#define LVC_FLUSH_MANUAL (-1)

typedef enum { LVC_ACCESS_NONE, LVC_ACCESS_PUBLIC, LVC_ACCESS_AUTH } lvc_access;

/* Endpoint policy, filled in by the checker from the decorators. */
typedef struct {
	lvc_access access;
	lvc_str *roles;          /* access AUTH: role names */
	int nroles;
	bool http;
	int64_t timeout_ms;      /* 0: the runtime's default */
	bool volatile_delivery;
	int64_t max_bytes;       /* 0: the runtime's default */
	int64_t rate_count;      /* 0: unlimited */
	int64_t rate_per_ms;
	lvc_str event;           /* server.on/client.on: the event name */
	bool lifecycle;          /* the event is a lifecycle one */
	lvc_str dom_event;       /* client.callback: DOM event, default click */
	lvc_str group;           /* client.callback: concurrency group */
	int concurrency;         /* 0 serial, 1 parallel, 2 receive_serial */
	lvc_str *blocks;         /* groups blocked while this one runs */
	int nblocks;
	int64_t debounce_ms;
	lvc_str confirm;
	lvc_scope scope;         /* states */
	int64_t flush_ms;        /* states: 0 at once, LVC_FLUSH_MANUAL */
} lvc_policy;

struct lvc_decl {
	lvc_decl_kind kind;
	lvc_str name;
	lvc_loc loc;             /* the name */
	lvc_doc *doc;
	lvc_module *module;
	lvc_decorator *decorators;
	/* struct */
	lvc_field *fields;
	int nfields;
	/* enum */
	lvc_member *members;
	int nmembers;
	/* endpoint */
	lvc_endpoint_kind ekind;
	lvc_decorator *kind_deco;
	lvc_field *params;
	int nparams;
	lvc_type *result;        /* NULL when no "-> T" was written; a state's type */
	lvc_policy policy;
	lvc_model *model;        /* a struct with @model */
	lvc_binding *binding;    /* a model binding */
	/* checker bookkeeping */
	int visit;               /* struct cycle search */
	bool used;
	lvc_decl *next;
};

typedef struct lvc_import lvc_import;
struct lvc_import {
	lvc_str path;            /* decoded string */
	lvc_loc loc;
	lvc_source *target;      /* resolved file, or NULL */
	lvc_import *next;
};

struct lvc_module {
	lvc_str name;            /* empty when the file has no module line */
	lvc_loc loc;
	lvc_doc *doc;
	lvc_decorator *decorators;
	uint32_t file;
	bool seen_module;
	bool module_broken;      /* its module line has a syntax error */
	lvc_import *imports;
	lvc_import *imports_tail;
	lvc_decl *decls;
	lvc_decl *decls_tail;
	lvc_module *next;        /* in dependency order: imports first */
};

/* ---- the context -------------------------------------------------------- */

struct lvc_ctx {
	lvc_arena arena;
	lvc_source **files;
	uint32_t nfiles;
	const char **include_dirs;
	int ninclude;
	lvc_module *modules;     /* every module, imports before importers */
	lvc_module *modules_tail;
	lvc_module *root;        /* the module of the file named on the command line */
	lvc_doc *docs;           /* every doc comment, to report stray ones */
	lvc_doc *docs_tail;
	/* diagnostics */
	void *err;               /* FILE * that diagnostics go to */
	int errors;
	int warnings;
	bool werror;
	bool color;
	bool warn_on[LVC_WARN_COUNT];
	bool note_dropped;       /* the last diagnostic was suppressed */
	bool stop;               /* too many errors: stop reporting, wind down */
	bool limit_pending;      /* "too many errors" is yet to be said */
	/* parser state for the file being parsed */
	uint32_t cur_file;
	lvc_module *cur;
	bool syntax_error;       /* set by the parser; the driver recovers */
	bool keyword_as_name;    /* that error was a keyword where a name goes */
	bool parse_done;         /* the parser accepted its input */
	struct {                 /* brackets open at this point of the file */
		int code;
		lvc_loc loc;
	} open[LVC_MAX_NESTING];
	int nopen;
	uint32_t prev_end;       /* end of the last token fed to the parser */
	uint32_t prev_start;
	int64_t lex_error_tok;   /* start of the last token the lexer found
	                            wrong, or -1 */
	bool incomplete;         /* a syntax error or a missing import: some
	                            declarations are missing, so "never used"
	                            would only be an echo */
	bool imports_missing;    /* an import was not found: any name may be
	                            declared there, so "unknown type" is not said */
	lvc_str *broken;         /* names of declarations cut short by a syntax
	                            error: known, so not "unknown type" (arena) */
	int nbroken, cap_broken;
	lvc_source **chain;      /* files being parsed, outermost first */
	int nchain;
	const char **deps;       /* other files read (templates), for -M */
	int ndeps;
};

/* ---- tokens (lexer -> parser) -------------------------------------------- */

typedef struct {
	uint32_t off;
	uint32_t len;
	lvc_doc *doc;            /* the /// block just before this token */
} lvc_token;

/* ---- stages ------------------------------------------------------------ */

void lvc_init(lvc_ctx *c);
void lvc_free(lvc_ctx *c);

/* source.c: load a file (reports its own errors); NULL on failure. */
lvc_source *lvc_load(lvc_ctx *c, const char *path, lvc_loc from);
lvc_source *lvc_load_buffer(lvc_ctx *c, const char *name, const char *data, size_t len);
const char *lvc_file_path(lvc_ctx *c, uint32_t file);

/* lexer.re: the next token of file f starting at *pos; returns its code
 * (0 at end). Reports lexical errors itself and never fails. */
typedef struct {
	lvc_ctx *c;
	uint32_t file;
	const char *buf;         /* NUL-terminated */
	uint32_t len;
	uint32_t pos;
	lvc_doc *pending_doc;
	lvc_str *doc_lines;      /* the pending block's lines (malloc) */
	uint32_t ndoc_lines, cap_doc_lines;
	size_t doc_bytes;
} lvc_lexer;
void lvc_lexer_init(lvc_lexer *lx, lvc_ctx *c, uint32_t file);
void lvc_lexer_free(lvc_lexer *lx);
int lvc_lex(lvc_lexer *lx, lvc_token *tok);
const char *lvc_token_name(int code);

/* parse.c: parse one file and everything it imports (depth first). */
lvc_module *lvc_parse_file(lvc_ctx *c, lvc_source *src);
/* parse.c: parse the file named on the command line, then its imports. */
bool lvc_parse_program(lvc_ctx *c, const char *path);
/* parse.c: the same for a source already loaded (tests, fuzzing). */
bool lvc_parse_source(lvc_ctx *c, lvc_source *src);
/* parse.c: was name declared by a declaration a syntax error cut short? */
bool lvc_is_broken_name(lvc_ctx *c, lvc_str name);

/* ast.c: constructors called from grammar actions. Lists are built by
 * append functions that keep the tail on the head node, so a long list is
 * built in linear time. */
typedef struct {
	lvc_str name;            /* "server.rpc", "chat.Message" */
	lvc_loc loc;
	lvc_doc *doc;            /* the doc riding on its first token */
} lvc_dname;

lvc_loc lvc_tok_loc(lvc_ctx *c, lvc_token t);
lvc_loc lvc_loc_span(lvc_loc a, lvc_loc b);
lvc_str lvc_tok_str(lvc_ctx *c, lvc_token t);
void lvc_ast_module(lvc_ctx *c, lvc_token kw, lvc_decorator *decos, lvc_token name);
void lvc_ast_import(lvc_ctx *c, lvc_token kw, lvc_token path);
void lvc_ast_decl(lvc_ctx *c, lvc_decl *d);
lvc_decl *lvc_ast_struct(lvc_ctx *c, lvc_decorator *decos, lvc_token kw,
                         lvc_token name, lvc_field *fields);
lvc_decl *lvc_ast_enum(lvc_ctx *c, lvc_decorator *decos, lvc_token kw,
                       lvc_token name, lvc_member *members);
lvc_decl *lvc_ast_endpoint(lvc_ctx *c, lvc_decorator *decos, lvc_token name,
                           lvc_field *params, lvc_type *result);
lvc_decl *lvc_ast_state(lvc_ctx *c, lvc_decorator *decos, lvc_token name, lvc_type *type);
lvc_field *lvc_ast_field(lvc_ctx *c, lvc_token name, lvc_type *type, lvc_value *def,
                         lvc_decorator *decos);
lvc_field *lvc_ast_field_append(lvc_field *list, lvc_field *f);
lvc_member *lvc_ast_member(lvc_ctx *c, lvc_token name);
lvc_member *lvc_ast_member_append(lvc_member *list, lvc_member *m);
lvc_dname lvc_ast_dname(lvc_ctx *c, const lvc_dname *prefix, lvc_token part);
lvc_decorator *lvc_ast_decorator(lvc_ctx *c, lvc_token at, lvc_dname name,
                                 const lvc_token *close, lvc_arg *args);
lvc_decorator *lvc_ast_decorator_append(lvc_decorator *list, lvc_decorator *d);
lvc_arg *lvc_ast_arg(lvc_ctx *c, const lvc_token *name, lvc_value *v);
lvc_arg *lvc_ast_arg_append(lvc_arg *list, lvc_arg *a);
lvc_type *lvc_ast_type_name(lvc_ctx *c, const lvc_dname *name);
lvc_type *lvc_ast_type_generic(lvc_ctx *c, const lvc_dname *name, lvc_type *a,
                               lvc_type *b, lvc_token close);
lvc_type *lvc_ast_type_optional(lvc_ctx *c, lvc_type *t, lvc_token q);
lvc_value *lvc_ast_value(lvc_ctx *c, lvc_value_kind k, lvc_token t);
lvc_value *lvc_ast_number(lvc_ctx *c, const lvc_token *minus, lvc_value_kind k,
                          lvc_token t);
lvc_value *lvc_ast_value_rate(lvc_ctx *c, lvc_token n, lvc_token unit);
lvc_value *lvc_ast_value_list(lvc_ctx *c, lvc_token open, lvc_value *items,
                              lvc_token close);
lvc_value *lvc_ast_value_map(lvc_ctx *c, lvc_token open, lvc_token close);
lvc_value *lvc_ast_value_append(lvc_value *list, lvc_value *v);
const char *lvc_type_str(lvc_ctx *c, const lvc_type *t);

/* check.c (with decorators.c and names.c): names, types, decorators,
 * policy, generated C names. Returns false on errors. */
bool lvc_check(lvc_ctx *c);
/* decorators.c: endpoint kinds. */
const char *lvc_endpoint_kind_name(lvc_endpoint_kind k);
bool lvc_endpoint_is_server(lvc_endpoint_kind k);   /* handled in C */
bool lvc_endpoint_is_exposed(lvc_endpoint_kind k);  /* callable by a page */

/* model.c: the wire word of an operation ("retrieve", ...); the field at
 * index i of struct s. */
const char *lvc_model_op_name(lvc_model_op op);
const lvc_field *lvc_model_field(const lvc_decl *s, int i);
/* model.c: operation op of binding b as the server.rpc endpoint it is on
 * the wire, "b.op", with the arguments lv_model_args_type[op] takes (the
 * key typed as the model's, rows as json) and a json result; its policy
 * is b's (arena). For the describers: --asyncapi, --breaking. */
lvc_decl *lvc_model_op_decl(lvc_ctx *c, const lvc_decl *b, lvc_model_op op);

/* names.c: identifiers the generators make, for the clash checks there. */
bool lvc_is_c_keyword(lvc_str s);
bool lvc_is_js_reserved(lvc_str s);
bool lvc_is_ts_type_name(lvc_str s);
const char *const *lvc_c_suffixes(const lvc_decl *d);
extern const char *const lvc_module_c_names[];

/* breaking.c: the changes from the checked program in `from` (the old
 * contract) to the one in `to` (the new) that break a page or a server
 * built from the old one, each reported as an error of `to` tagged
 * [breaking-RULE]; a place in from's files is shown through a copy of that
 * file in to's file table. Returns how many were found. */
int lvc_breaking(lvc_ctx *from, lvc_ctx *to);

/* dump.c: the checked AST as JSON (--dump-ast). */
int lvc_dump_ast(lvc_ctx *c, void *out);

/* write.c: write a file through a temporary name, unless it is unchanged. */
int lvc_write_file(lvc_ctx *c, const char *path, const char *data, size_t len);

/* depfile.c: make-style dependencies of the outputs on every input. */
int lvc_write_depfile(lvc_ctx *c, const char *path, const char **targets, int ntargets);

#endif
