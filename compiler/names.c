/* names.c - words the generated C and JavaScript cannot use, and the
 * identifiers each declaration generates, so clashes are caught in lvc
 * rather than by the C compiler or the browser. */
#include <stdlib.h>
#include <string.h>

#include "lvc.h"

/* Word lists are looked up once per name in every schema, so they are
 * hashed on first use rather than scanned. */
typedef struct {
	const char *const *words;
	lvc_str *slots;
	uint32_t cap;
} wordset;

static uint32_t
word_hash(const char *p, uint32_t n)
{
	uint32_t h = 2166136261u;
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)p[i]) * 16777619u;
	return h;
}

static bool
in_set(wordset *ws, lvc_str s)
{
	if (!ws->slots) {
		uint32_t n = 0;
		while (ws->words[n])
			n++;
		ws->cap = 16;
		while (ws->cap < n * 4)
			ws->cap *= 2;
		ws->slots = calloc(ws->cap, sizeof *ws->slots);
		if (!ws->slots)
			abort();
		for (uint32_t i = 0; i < n; i++) {
			uint32_t len = (uint32_t)strlen(ws->words[i]);
			uint32_t h = word_hash(ws->words[i], len) & (ws->cap - 1);
			while (ws->slots[h].p)
				h = (h + 1) & (ws->cap - 1);
			ws->slots[h] = (lvc_str){ ws->words[i], len };
		}
	}
	for (uint32_t h = word_hash(s.p, s.n) & (ws->cap - 1); ws->slots[h].p;
	     h = (h + 1) & (ws->cap - 1))
		if (lvc_str_same(ws->slots[h], s))
			return true;
	return false;
}

/* C11 and C23 keywords, and the macros and typedefs the generated code has
 * in scope from the standard headers it includes. */
static const char *const c_words[] = {
	"auto", "break", "case", "char", "const", "continue", "default", "do",
	"double", "else", "enum", "extern", "float", "for", "goto", "if", "inline",
	"int", "long", "register", "restrict", "return", "short", "signed",
	"sizeof", "static", "struct", "switch", "typedef", "union", "unsigned",
	"void", "volatile", "while", "alignas", "alignof", "bool", "constexpr",
	"false", "nullptr", "static_assert", "thread_local", "true", "typeof",
	"typeof_unqual", "NULL", "errno", "assert", "offsetof", "EOF", "stdin",
	"stdout", "stderr", "size_t", "ssize_t", "ptrdiff_t", "int8_t", "int16_t",
	"int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t",
	"intptr_t", "uintptr_t", "json_t", NULL
};

static const char *const js_words[] = {
	"await", "break", "case", "catch", "class", "const", "continue",
	"debugger", "default", "delete", "do", "else", "enum", "export",
	"extends", "false", "finally", "for", "function", "if", "implements",
	"import", "in", "instanceof", "interface", "let", "new", "null",
	"package", "private", "protected", "public", "return", "static", "super",
	"switch", "this", "throw", "true", "try", "typeof", "var", "void",
	"while", "with", "yield", "arguments", "eval", "undefined", "NaN",
	"Infinity", NULL
};

/* Type names TypeScript predefines, and globals the generated module uses. */
static const char *const ts_types[] = {
	"any", "unknown", "never", "void", "undefined", "null", "boolean",
	"number", "string", "symbol", "bigint", "object", "Object", "Array",
	"Promise", "Record", "Error", "JSON", "Map", "Set", "Symbol", "Date",
	"Number", "String", "Boolean", "Function", "RegExp", "ArrayBuffer",
	"Uint8Array", "AbortSignal", "LvError", NULL
};

static wordset c_set = { c_words, NULL, 0 };
static wordset js_set = { js_words, NULL, 0 };
static wordset ts_set = { ts_types, NULL, 0 };

bool lvc_is_c_keyword(lvc_str s) { return in_set(&c_set, s); }
bool lvc_is_js_reserved(lvc_str s) { return in_set(&js_set, s); }
bool lvc_is_ts_type_name(lvc_str s) { return in_set(&ts_set, s); }

/* Suffixes of the C identifiers a declaration generates after its module
 * prefix ("chat_" + name + suffix). The code generators use these same
 * tables, so the clash check and the output cannot drift apart. */
static const char *const struct_suffixes[] = { "", "_list", "_map", "_type", NULL };
static const char *const enum_suffixes[] = { "", "_list", "_map", "_type", "_name", NULL };
static const char *const rpc_suffixes[] = { "", "_reply", NULL };
static const char *const server_suffixes[] = { "", NULL };
static const char *const raise_suffixes[] = { "", "_raise", NULL };
static const char *const push_suffixes[] = { "_to", "_group", "_all", NULL };
static const char *const call_suffixes[] = { "_call", "_done", NULL };
static const char *const no_suffixes[] = { NULL };

const char *const *
lvc_c_suffixes(const lvc_decl *d)
{
	if (d->kind == LVC_D_STRUCT)
		return struct_suffixes;
	if (d->kind == LVC_D_ENUM)
		return enum_suffixes;
	switch (d->ekind) {
	case LVC_E_SERVER_RPC:
		return rpc_suffixes;
	case LVC_E_SERVER_REALTIME:
	case LVC_E_CLIENT_CALLBACK:
		return server_suffixes;
	case LVC_E_SERVER_ON:
		return d->policy.lifecycle ? server_suffixes : raise_suffixes;
	case LVC_E_CLIENT_REALTIME:
		return push_suffixes;
	case LVC_E_CLIENT_ON:
		return d->policy.lifecycle ? no_suffixes : push_suffixes;
	case LVC_E_CLIENT_RPC:
		return call_suffixes;
	default:
		return no_suffixes;
	}
}

/* Module-level identifiers: "chat_" + these. */
const char *const lvc_module_c_names[] = {
	"app", "schema_hash", NULL
};
