/* names.c - words the generated C and JavaScript cannot use, and the
 * identifiers each declaration generates, so clashes are caught in lvc
 * rather than by the C compiler or the browser. */
#include <stdlib.h>
#include <string.h>

#include "check.h"

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
/* A model's typed operations for handlers (its list type keeps "_list",
 * so a page of a query is "_query"). */
static const char *const model_suffixes[] = {
	"", "_list", "_map", "_type", "_get", "_query", "_create", "_update", "_delete", NULL
};
static const char *const allow_suffixes[] = { "_allow", NULL };
static const char *const enum_suffixes[] = { "", "_list", "_map", "_type", "_name", NULL };
static const char *const rpc_suffixes[] = { "", "_reply", NULL };
static const char *const server_suffixes[] = { "", NULL };
static const char *const raise_suffixes[] = { "", "_raise", "_raise_all", NULL };
static const char *const push_suffixes[] = { "_to", "_to_id", "_group", "_all", NULL };
static const char *const call_suffixes[] = { "_call", "_call_id", "_done", NULL };
static const char *const no_suffixes[] = { NULL };
static const char *const server_state_suffixes[] = { "_state", "_set", NULL };
static const char *const client_state_suffixes[] = { "_get", "_changed", NULL };
static const char *const map_suffixes[] = { "_put", "_remove", NULL };
static const char *const list_suffixes[] = { "_insert", "_remove", "_move", "_set_item", NULL };

static const char *const *
collection_suffixes(const lvc_type *t)
{
	return t->kind == LVC_T_MAP ? map_suffixes : t->kind == LVC_T_LIST ? list_suffixes : no_suffixes;
}

const char *const *
lvc_c_suffixes(const lvc_decl *d)
{
	if (d->kind == LVC_D_STRUCT)
		return d->model ? model_suffixes : struct_suffixes;
	if (d->kind == LVC_D_BINDING)
		return d->binding && d->binding->allow ? allow_suffixes : no_suffixes;
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
	case LVC_E_SERVER_STATE:
		return server_state_suffixes;
	case LVC_E_CLIENT_STATE:
		return client_state_suffixes;
	default:
		return no_suffixes;
	}
}

/* Module-level identifiers: "chat_" + these. */
const char *const lvc_module_c_names[] = {
	"app", "schema_hash", NULL
};

/* ---- clashes between generated identifiers --------------------------------- */

/* Records the C identifier MODULE_ + prefix + name + suffix for d (NULL:
 * for the module itself); reports a clash and returns false. */
static bool
claim(checker *k, lvc_module *m, const char *suffix_of, lvc_str name, const char *suffix,
      lvc_decl *d)
{
	lvc_ctx *c = k->c;
	size_t a = strlen(suffix_of), b = strlen(suffix);
	char *id = lvc_alloc(&c->arena, m->name.n + 1 + a + name.n + b + 1), *o = id;
	memcpy(o, m->name.p, m->name.n);
	o += m->name.n;
	*o++ = '_';
	memcpy(o, suffix_of, a);
	o += a;
	memcpy(o, name.p, name.n);
	o += name.n;
	memcpy(o, suffix, b + 1);
	lvc_str s = { id, (uint32_t)(o + b - id) };
	lvc_module *owner = lvc_symtab_get(&k->modnames, s);
	lvc_decl *prev = lvc_symtab_get(&k->cnames, s);
	if (!d) {
		if (!owner)
			lvc_symtab_put(&k->modnames, s, m);
		return true;
	}
	if (owner) {
		lvc_error(c, d->loc, "'%.*s' would generate the C name '%s', which module "
		          "'%.*s' keeps for itself", (int)d->name.n, d->name.p, id,
		          (int)owner->name.n, owner->name.p);
		return false;
	}
	if (!prev) {
		lvc_symtab_put(&k->cnames, s, d);
		return true;
	}
	lvc_error(c, d->loc, "'%.*s' would generate the C name '%s', which '%.*s' "
	          "generates too", (int)d->name.n, d->name.p, id, (int)prev->name.n,
	          prev->name.p);
	lvc_note(c, prev->loc, "'%.*s' is declared here", (int)prev->name.n, prev->name.p);
	return false;
}

void
lvc__check_c_names(checker *k)
{
	for (lvc_module *m = k->c->modules; m; m = m->next) {
		if (!m->name.n)
			continue;
		for (const char *const *n = lvc_module_c_names; *n; n++)
			claim(k, m, "", (lvc_str){ *n, (uint32_t)strlen(*n) }, "", NULL);
	}
	for (lvc_module *m = k->c->modules; m; m = m->next) {
		if (!m->name.n)
			continue;
		for (lvc_decl *d = m->decls; d; d = d->next) {
			/* One report per declaration, not one per name it makes. */
			bool ok = true;
			for (const char *const *s = lvc_c_suffixes(d); *s && ok; s++)
				ok = claim(k, m, "", d->name, *s, d);
			/* A server state's mutators: by collection, and by field. */
			if (d->kind == LVC_D_STATE && d->ekind == LVC_E_SERVER_STATE) {
				const lvc_type *t = d->result;
				for (const char *const *s = collection_suffixes(t); *s && ok; s++)
					ok = claim(k, m, "", d->name, *s, d);
				const lvc_decl *sd = t->kind == LVC_T_NAMED ? t->ref : NULL;
				for (const lvc_field *f = sd && sd->kind == LVC_D_STRUCT ? sd->fields : NULL;
				     f && ok; f = f->next) {
					char *set = lvc_sprintf(&k->c->arena, "_set_%.*s", (int)f->name.n, f->name.p);
					ok = claim(k, m, "", d->name, set, d);
					for (const char *const *s = collection_suffixes(f->type); *s && ok; s++)
						ok = claim(k, m, "", d->name, lvc_sprintf(&k->c->arena, "_%.*s%s",
						           (int)f->name.n, f->name.p, *s), d);
				}
			}
			if (d->kind == LVC_D_ENUM)
				for (lvc_member *mem = d->members; mem && ok; mem = mem->next) {
					char *pre = lvc_sprintf(&k->c->arena, "%.*s_", (int)d->name.n,
					                        d->name.p);
					ok = claim(k, m, pre, mem->name, "", d);
				}
		}
	}
}

