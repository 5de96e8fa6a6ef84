/* model.c - models: @model structs (a table, a column per field, @key,
 * @version and @index on fields) and the @server.model bindings that give
 * pages operations on them. Checks them and fills decl->model and
 * decl->binding for the generators. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static const char *const op_names[] = {
	[LVC_OP_RETRIEVE] = "retrieve", [LVC_OP_LIST] = "list", [LVC_OP_CREATE] = "create",
	[LVC_OP_UPDATE] = "update", [LVC_OP_DELETE] = "delete",
	[LVC_OP_SUBSCRIBE] = "subscribe", [LVC_OP_UNSUBSCRIBE] = "unsubscribe", NULL
};

/* What ops may list: every op but unsubscribe, which comes with subscribe. */
static const char *const listable_ops[] = {
	"retrieve", "list", "create", "update", "delete", "subscribe", NULL
};

static const char *const field_decos[] = { "key", "version", "index", NULL };
static const char *const binding_args[] = { "ops", "filter", "order", "limit", "allow", NULL };

const char *
lvc_model_op_name(lvc_model_op op)
{
	return (unsigned)op < LVC_NOPS ? op_names[op] : "?";
}

const lvc_field *
lvc_model_field(const lvc_decl *s, int i)
{
	const lvc_field *f = s->fields;
	while (f && i-- > 0)
		f = f->next;
	return f;
}

/* int, float, string, bool or an enum: what a query compares and orders. */
static bool
is_scalar(const lvc_type *t)
{
	switch (t->kind) {
	case LVC_T_INT: case LVC_T_FLOAT: case LVC_T_STRING: case LVC_T_BOOL:
		return true;
	case LVC_T_NAMED:
		return t->ref && t->ref->kind == LVC_D_ENUM;
	default:
		return false;
	}
}

static bool
is_sql_identifier(lvc_str s)
{
	if (s.n == 0 || s.n > 64)
		return false;
	for (uint32_t i = 0; i < s.n; i++) {
		char ch = s.p[i];
		bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
		if (!alpha && !(i > 0 && ch >= '0' && ch <= '9'))
			return false;
	}
	return true;
}

static const char *
word_list(lvc_ctx *c, const char *const *words)
{
	size_t n = 1;
	for (const char *const *p = words; *p; p++)
		n += strlen(*p) + 2;
	char *out = lvc_alloc(&c->arena, n), *o = out;
	for (const char *const *p = words; *p; p++)
		o += sprintf(o, "%s%s", p == words ? "" : ", ", *p);
	return out;
}

/* ---- field decorators -------------------------------------------------------- */

/* One field's @key, @version and @index into f->mflags. */
static void
field_decorators(checker *k, lvc_decl *s, lvc_field *f)
{
	lvc_ctx *c = k->c;
	lvc_decorator *seen[3] = { NULL, NULL, NULL };
	for (lvc_decorator *d = f->decorators; d; d = d->next) {
		int which = lvc_str_eq(d->name, "key") ? 0 : lvc_str_eq(d->name, "version") ? 1 :
		            lvc_str_eq(d->name, "index") ? 2 : -1;
		if (which < 0) {
			lvc_error(c, d->loc, "unknown field decorator '@%.*s'", (int)d->name.n, d->name.p);
			const char *hint = lvc__closest(d->name, field_decos);
			if (hint)
				lvc_note(c, d->loc, "did you mean '@%s'?", hint);
			else
				lvc_note(c, d->loc, "a field of a @model struct takes @key, @version "
				         "or @index");
			continue;
		}
		if (d->args || d->has_parens) {
			lvc_error(c, d->loc, "@%s takes no arguments", field_decos[which]);
			continue;
		}
		if (seen[which]) {
			lvc_error(c, d->loc, "'%.*s' is already @%s", (int)f->name.n, f->name.p,
			          field_decos[which]);
			continue;
		}
		seen[which] = d;
		const lvc_type *t = f->type;
		if (t->kind == LVC_T_ERROR)
			continue;
		const char *type = lvc_type_str(c, t);
		if (which == 0) {
			if (t->kind == LVC_T_OPTIONAL)
				lvc_error(c, t->loc, "key '%.*s' cannot be optional: every row has one",
				          (int)f->name.n, f->name.p);
			else if (t->kind != LVC_T_INT && t->kind != LVC_T_STRING)
				lvc_error(c, t->loc, "key '%.*s' is %s; a key is an int or a string",
				          (int)f->name.n, f->name.p, type);
			else if (f->def)
				lvc_error(c, f->def->loc, "key '%.*s' takes no default: each row has its "
				          "own", (int)f->name.n, f->name.p);
			else
				f->mflags |= LVC_MF_KEY;
		} else if (which == 1) {
			if (t->kind == LVC_T_OPTIONAL)
				lvc_error(c, t->loc, "version '%.*s' cannot be optional: every row has one",
				          (int)f->name.n, f->name.p);
			else if (t->kind != LVC_T_INT)
				lvc_error(c, t->loc, "version '%.*s' is %s; a version is an int",
				          (int)f->name.n, f->name.p, type);
			else
				f->mflags |= LVC_MF_VERSION;
		} else {
			const lvc_type *base = t->kind == LVC_T_OPTIONAL ? t->elem : t;
			if (!is_scalar(base))
				lvc_error(c, t->loc, "@index on '%.*s', which is %s; an index is on an "
				          "int, float, string, bool or enum field", (int)f->name.n,
				          f->name.p, type);
			else
				f->mflags |= LVC_MF_INDEX;
		}
	}
	if (seen[0] && seen[1])
		lvc_error(c, seen[1]->loc, "'%.*s' is the key, so it cannot be the version too",
		          (int)f->name.n, f->name.p);
	else if (seen[0] && seen[2])
		lvc_error(c, seen[2]->loc, "'%.*s' is the key, which is indexed already",
		          (int)f->name.n, f->name.p);
	(void)s;
}

void
lvc__check_field_decorators(checker *k, lvc_field *fields, const char *where)
{
	for (lvc_field *f = fields; f; f = f->next)
		for (lvc_decorator *d = f->decorators; d; d = d->next)
			lvc_error(k->c, d->loc, "@%.*s on '%.*s': field decorators belong on the "
			          "fields of a @model struct, and %s is not one", (int)d->name.n,
			          d->name.p, (int)f->name.n, f->name.p, where);
}

/* ---- @model structs ------------------------------------------------------------ */

static void
model_args(checker *k, lvc_decl *s, lvc_decorator *d, lvc_model *m)
{
	lvc_ctx *c = k->c;
	bool have_table = false;
	for (lvc_arg *a = d->args; a; a = a->next) {
		if (!a->name.n) {
			lvc_error(c, a->loc, "@model takes named arguments: @model(table: \"NAME\")");
			continue;
		}
		if (!lvc_str_eq(a->name, "table")) {
			lvc_error(c, a->loc, "unknown argument '%.*s' for @model", (int)a->name.n,
			          a->name.p);
			lvc_note(c, d->loc, "@model takes table");
			continue;
		}
		if (have_table) {
			lvc_error(c, a->loc, "argument 'table' given twice");
			continue;
		}
		have_table = true;
		const lvc_value *v = a->value;
		if (v->bad)
			continue;
		if (v->kind != LVC_V_STRING) {
			lvc_error(c, v->loc, "'table' of @model is a string, got %s",
			          lvc__value_kind_name(v->kind));
			continue;
		}
		if (!is_sql_identifier(v->s)) {
			lvc_error(c, v->loc, "table name \"%.*s\" is not a plain SQL identifier: "
			          "1 to 64 letters, digits and '_', not starting with a digit",
			          (int)v->s.n, v->s.p);
			continue;
		}
		m->table = v->s;
	}
	if (!m->table.n) {
		char *t = lvc_strndup(&c->arena, s->name.p, s->name.n);
		for (char *p = t; *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		m->table = (lvc_str){ t, s->name.n };
	}
	if (m->table.n >= 7 && strncasecmp(m->table.p, "sqlite_", 7) == 0)
		lvc_error(c, have_table ? d->loc : s->loc, "table name '%.*s': names beginning "
		          "with sqlite_ are SQLite's own", (int)m->table.n, m->table.p);
}

void
lvc__check_struct_decorators(checker *k, lvc_decl *s)
{
	lvc_ctx *c = k->c;
	lvc_decorator *model = NULL;
	for (lvc_decorator *d = s->decorators; d; d = d->next) {
		if (!lvc_str_eq(d->name, "model")) {
			lvc_error(c, d->loc, "a struct takes no decorator but @model; @%.*s does not "
			          "apply to struct '%.*s'", (int)d->name.n, d->name.p, (int)s->name.n,
			          s->name.p);
			continue;
		}
		if (model) {
			lvc_error(c, d->loc, "struct '%.*s' is already a model", (int)s->name.n,
			          s->name.p);
			lvc_note(c, model->loc, "its @model is here");
			continue;
		}
		model = d;
	}
	if (!model) {
		lvc__check_field_decorators(k, s->fields, lvc_sprintf(&c->arena, "struct '%.*s'",
		                            (int)s->name.n, s->name.p));
		return;
	}
	lvc_model *m = lvc_alloc(&c->arena, sizeof *m);
	m->deco = model;
	model_args(k, s, model, m);
	s->model = m;
	s->used = true;       /* a table, even before a binding names it */

	int i = 0;
	lvc_field *key2 = NULL, *version2 = NULL;
	bool flagged_key = false, flagged_version = false;
	for (lvc_field *f = s->fields; f; f = f->next, i++) {
		field_decorators(k, s, f);
		for (lvc_decorator *d = f->decorators; d; d = d->next) {
			flagged_key |= lvc_str_eq(d->name, "key");
			flagged_version |= lvc_str_eq(d->name, "version");
		}
		if (f->mflags & LVC_MF_KEY) {
			if (m->key && !key2) {
				key2 = f;
				lvc_error(c, f->loc, "model '%.*s' has two keys, '%.*s' and '%.*s'",
				          (int)s->name.n, s->name.p, (int)m->key->name.n, m->key->name.p,
				          (int)f->name.n, f->name.p);
				lvc_note(c, m->key->loc, "the first key is here; a model has exactly one");
			} else if (!m->key) {
				m->key = f;
				m->key_index = i;
			}
		}
		if (f->mflags & LVC_MF_VERSION) {
			if (m->version && !version2) {
				version2 = f;
				lvc_error(c, f->loc, "model '%.*s' has two versions, '%.*s' and '%.*s'",
				          (int)s->name.n, s->name.p, (int)m->version->name.n,
				          m->version->name.p, (int)f->name.n, f->name.p);
				lvc_note(c, m->version->loc, "the first version is here; a model has "
				         "exactly one");
			} else if (!m->version) {
				m->version = f;
				m->version_index = i;
			}
		}
	}
	/* A key or version that was written but wrong is reported already. */
	if (!m->key && !flagged_key && s->fields)
		lvc_error(c, s->loc, "model '%.*s' has no key; mark one int or string field "
		          "@key: 'id: int @key;'", (int)s->name.n, s->name.p);
	if (!m->version && !flagged_version && s->fields)
		lvc_error(c, s->loc, "model '%.*s' has no version; add an int field marked "
		          "@version, which every change raises: 'rev: int @version;'",
		          (int)s->name.n, s->name.p);
	lvc_decl *prev = lvc_symtab_get(&k->tables, m->table);
	if (prev) {
		lvc_error(c, model->loc, "models '%.*s' and '%.*s' have the same table '%.*s'",
		          (int)prev->name.n, prev->name.p, (int)s->name.n, s->name.p,
		          (int)m->table.n, m->table.p);
		lvc_note(c, prev->model->deco->loc, "'%.*s' is declared here", (int)prev->name.n,
		         prev->name.p);
	} else {
		lvc_symtab_put(&k->tables, m->table, s);
	}
}

/* Does type t hold struct s anywhere inside (through lists, maps, optionals
 * and other structs)? seen: structs already searched. */
static bool
holds(const lvc_type *t, const lvc_decl *s, lvc_symtab *seen)
{
	while (t->kind == LVC_T_LIST || t->kind == LVC_T_MAP || t->kind == LVC_T_OPTIONAL)
		t = t->elem;
	if (t->kind != LVC_T_NAMED || !t->ref || t->ref->kind != LVC_D_STRUCT)
		return false;
	if (t->ref == s)
		return true;
	if (lvc_symtab_get(seen, t->ref->name))
		return false;
	lvc_symtab_put(seen, t->ref->name, t->ref);
	for (const lvc_field *f = t->ref->fields; f; f = f->next)
		if (holds(f->type, s, seen))
			return true;
	return false;
}

void
lvc__check_model_recursion(checker *k, lvc_decl *s)
{
	if (!s->model)
		return;
	for (const lvc_field *f = s->fields; f; f = f->next) {
		lvc_symtab seen;
		lvc_symtab_init(&seen);
		bool in = holds(f->type, s, &seen);
		lvc_symtab_free(&seen);
		if (in) {
			lvc_error(k->c, f->loc, "field '%.*s' of model '%.*s' holds a %.*s: a row "
			          "cannot contain rows of its own table", (int)f->name.n, f->name.p,
			          (int)s->name.n, s->name.p, (int)s->name.n, s->name.p);
			lvc_note(k->c, f->loc, "store the key of the other row instead");
		}
	}
}

/* ---- @server.model bindings ------------------------------------------------------ */

/* A list of field names of model s into idx; what: "filter" or "order". */
static int
field_list(checker *k, const lvc_decl *s, const lvc_value *v, const char *what, int **idx)
{
	lvc_ctx *c = k->c;
	if (v->kind != LVC_V_LIST) {
		lvc_error(c, v->loc, "'%s' of @server.model is a list of field names of %.*s: "
		          "%s: [a, b]", what, (int)s->name.n, s->name.p, what);
		return 0;
	}
	int n = 0, cap = 0;
	for (const lvc_value *i = v->items; i; i = i->next)
		cap++;
	*idx = lvc_alloc(&c->arena, sizeof **idx * (size_t)(cap ? cap : 1));
	const char **names = lvc_alloc(&c->arena, sizeof *names * (size_t)(s->nfields + 1));
	int nn = 0;
	for (const lvc_field *f = s->fields; f; f = f->next)
		names[nn++] = lvc_strndup(&c->arena, f->name.p, f->name.n);
	names[nn] = NULL;
	for (const lvc_value *i = v->items; i; i = i->next) {
		if (i->bad)
			continue;
		if (i->kind != LVC_V_IDENT) {
			lvc_error(c, i->loc, "'%s' lists field names, got %s", what,
			          lvc__value_kind_name(i->kind));
			continue;
		}
		int at = 0;
		const lvc_field *f = s->fields;
		while (f && !lvc_str_same(f->name, i->s)) {
			f = f->next;
			at++;
		}
		if (!f) {
			lvc_error(c, i->loc, "unknown field '%.*s' in '%s': model %.*s has no such "
			          "field", (int)i->s.n, i->s.p, what, (int)s->name.n, s->name.p);
			const char *hint = lvc__closest(i->s, names);
			if (hint)
				lvc_note(c, i->loc, "did you mean '%s'?", hint);
			else
				lvc_note(c, s->loc, "its fields are %s", word_list(c, names));
			continue;
		}
		if (!is_scalar(f->type)) {
			if (f->type->kind != LVC_T_ERROR)
				lvc_error(c, i->loc, "'%s' cannot use field '%.*s', which is %s; a query "
				          "%s only int, float, string, bool and enum fields (not optional)",
				          what, (int)f->name.n, f->name.p, lvc_type_str(c, f->type),
				          strcmp(what, "filter") == 0 ? "compares" : "orders by");
			continue;
		}
		bool dup = false;
		for (int j = 0; j < n; j++)
			dup |= (*idx)[j] == at;
		if (dup) {
			lvc_error(c, i->loc, "'%.*s' is listed twice in '%s'", (int)i->s.n, i->s.p, what);
			continue;
		}
		(*idx)[n++] = at;
	}
	return n;
}

static void
binding_ops(checker *k, lvc_binding *b, const lvc_value *v)
{
	lvc_ctx *c = k->c;
	if (v->kind != LVC_V_LIST) {
		lvc_error(c, v->loc, "'ops' of @server.model is a list of operations: [%s]",
		          word_list(c, listable_ops));
		return;
	}
	if (!v->items)
		lvc_error(c, v->loc, "'ops' lists at least one operation of %s",
		          word_list(c, listable_ops));
	for (const lvc_value *i = v->items; i; i = i->next) {
		if (i->bad)
			continue;
		int op = -1;
		if (i->kind == LVC_V_IDENT)
			for (int j = 0; listable_ops[j]; j++)
				if (lvc_str_eq(i->s, listable_ops[j]))
					op = j;
		if (op < 0) {
			if (i->kind == LVC_V_IDENT && lvc_str_eq(i->s, "unsubscribe")) {
				lvc_error(c, i->loc, "'unsubscribe' is not listed: it comes with "
				          "'subscribe'");
				continue;
			}
			if (i->kind == LVC_V_IDENT)
				lvc_error(c, i->loc, "unknown operation '%.*s'", (int)i->s.n, i->s.p);
			else
				lvc_error(c, i->loc, "'ops' lists operations by name, got %s",
				          lvc__value_kind_name(i->kind));
			const char *hint = i->kind == LVC_V_IDENT ? lvc__closest(i->s, listable_ops) : NULL;
			if (hint)
				lvc_note(c, i->loc, "did you mean '%s'?", hint);
			else
				lvc_note(c, i->loc, "the operations are %s", word_list(c, listable_ops));
			continue;
		}
		if (b->ops & (1u << op)) {
			lvc_error(c, i->loc, "operation '%s' is listed twice", listable_ops[op]);
			continue;
		}
		b->ops |= 1u << op;
	}
	if (b->ops & (1u << LVC_OP_SUBSCRIBE))
		b->ops |= 1u << LVC_OP_UNSUBSCRIBE;
}

/* The model a binding's type names, or NULL after saying why not. */
static lvc_decl *
binding_model(checker *k, lvc_decl *b)
{
	lvc_ctx *c = k->c;
	lvc_type *t = b->result;
	lvc__resolve_type(k, t, false);
	if (t->kind == LVC_T_ERROR)
		return NULL;
	if (t->kind == LVC_T_OPTIONAL) {
		lvc_error(c, t->loc, "a binding's type is a @model struct, which cannot be "
		          "optional");
		return NULL;
	}
	if (t->kind == LVC_T_NAMED && t->ref && t->ref->kind == LVC_D_STRUCT) {
		if (t->ref->model)
			return t->ref;
		lvc_error(c, t->loc, "@server.model binds a @model struct, and struct '%.*s' is "
		          "not one", (int)t->ref->name.n, t->ref->name.p);
		lvc_note(c, t->ref->loc, "put @model(table: \"NAME\") before struct '%.*s' to "
		         "make it a table", (int)t->ref->name.n, t->ref->name.p);
		return NULL;
	}
	lvc_error(c, t->loc, "@server.model binds a @model struct, not %s%s",
	          t->kind == LVC_T_NAMED ? "enum " : "", lvc_type_str(c, t));
	return NULL;
}

void
lvc__check_binding(checker *k, lvc_decl *b)
{
	lvc_ctx *c = k->c;
	lvc_binding *bd = lvc_alloc(&c->arena, sizeof *bd);
	bd->limit = LVC_MODEL_LIMIT_DEFAULT;
	b->binding = bd;
	lvc__check_endpoint_decorators(k, b);
	lvc_decl *s = binding_model(k, b);
	bd->model = s;
	if (!b->kind_deco || b->ekind != LVC_E_SERVER_MODEL)
		return;

	lvc_decorator *d = b->kind_deco;
	lvc_symtab seen;
	lvc_symtab_init(&seen);
	bool have_ops = false;
	lvc_arg *filter = NULL, *order = NULL;
	for (lvc_arg *a = d->args; a; a = a->next) {
		lvc_str name = a->name;
		const lvc_value *v = a->value;
		if (!name.n && v->kind == LVC_V_IDENT && lvc_str_eq(v->s, "allow")) {
			name = v->s;      /* a bare flag: @server.model(allow) */
			v = NULL;
		} else if (!name.n) {
			lvc_error(c, a->loc, "@server.model takes named arguments (name: value)");
			continue;
		}
		int which = -1;
		for (int j = 0; binding_args[j]; j++)
			if (lvc_str_eq(name, binding_args[j]))
				which = j;
		if (which < 0) {
			lvc_error(c, a->loc, "unknown argument '%.*s' for @server.model", (int)name.n,
			          name.p);
			const char *hint = lvc__closest(name, binding_args);
			if (hint)
				lvc_note(c, a->loc, "did you mean '%s'?", hint);
			else
				lvc_note(c, d->loc, "@server.model takes %s", word_list(c, binding_args));
			continue;
		}
		lvc_arg *prev = lvc_symtab_get(&seen, name);
		if (prev) {
			lvc_error(c, a->loc, "argument '%.*s' given twice", (int)name.n, name.p);
			lvc_note(c, prev->loc, "first given here");
			continue;
		}
		lvc_symtab_put(&seen, name, a);
		if (v && v->bad)
			continue;
		switch (which) {
		case 0:
			have_ops = true;
			binding_ops(k, bd, v);
			break;
		case 1:
		case 2:
			if (!s)
				break;
			if (which == 1) {
				filter = a;
				bd->nfilter = field_list(k, s, v, "filter", &bd->filter);
			} else {
				order = a;
				bd->norder = field_list(k, s, v, "order", &bd->order);
			}
			break;
		case 3:
			if (v->kind != LVC_V_INT) {
				lvc_error(c, v->loc, "'limit' of @server.model is a whole number of rows, "
				          "got %s", lvc__value_kind_name(v->kind));
			} else if (v->i < 1 || v->i > LVC_MODEL_LIMIT_MAX) {
				lvc_error(c, v->loc, "'limit' is %lld; the largest page is 1 to %d rows",
				          (long long)v->i, LVC_MODEL_LIMIT_MAX);
			} else {
				bd->limit = v->i;
			}
			break;
		case 4:
			if (v && v->kind != LVC_V_BOOL)
				lvc_error(c, v->loc, "'allow' is a flag: write 'allow: true' or 'allow'");
			else
				bd->allow = v ? v->i != 0 : true;
			break;
		}
	}
	lvc_symtab_free(&seen);
	if (!have_ops)
		bd->ops = (1u << LVC_NOPS) - 1;
	/* A query's filter and order are for list and subscribe alone. */
	unsigned queries = (1u << LVC_OP_LIST) | (1u << LVC_OP_SUBSCRIBE);
	if (have_ops && bd->ops && !(bd->ops & queries)) {
		lvc_arg *a = filter ? filter : order;
		if (a)
			lvc_error(c, a->loc, "'%.*s' is for queries, and '%.*s' allows neither list "
			          "nor subscribe", (int)a->name.n, a->name.p, (int)b->name.n, b->name.p);
	}
}

/* After every declaration: the operation endpoints are client.model.NAME
 * in a page, beside what client.model itself is. */
void
lvc__check_models(checker *k)
{
	lvc_ctx *c = k->c;
	lvc_decl *first = NULL;
	for (lvc_module *m = c->modules; m && !first; m = m->next)
		for (lvc_decl *d = m->decls; d && !first; d = d->next)
			if (d->kind == LVC_D_BINDING)
				first = d;
	lvc_decl *model = lvc_symtab_get(&k->names, LVC_STR("model"));
	if (first && model && model->kind == LVC_D_ENDPOINT) {
		lvc_error(c, model->loc, "endpoint 'model' would be client.model, which holds "
		          "the model bindings in a page");
		lvc_note(c, first->loc, "binding '%.*s' is declared here", (int)first->name.n,
		         first->name.p);
	}
}

/* ---- operations as endpoints ------------------------------------------------------- */

static lvc_type *
new_type(lvc_ctx *c, lvc_type_kind kind, lvc_type *elem, lvc_loc loc)
{
	lvc_type *t = lvc_alloc(&c->arena, sizeof *t);
	t->kind = kind;
	t->elem = elem;
	t->loc = loc;
	return t;
}

static void
add_param(lvc_ctx *c, lvc_decl *e, const char *name, lvc_type *t)
{
	lvc_field *f = lvc_alloc(&c->arena, sizeof *f);
	f->name = (lvc_str){ name, (uint32_t)strlen(name) };
	f->loc = e->loc;
	f->type = t;
	e->params = lvc_ast_field_append(e->params, f);
	e->nparams++;
}

/* A query's arguments: where?: json, order?: list<string>, page?: int, limit?: int. */
static void
query_params(lvc_ctx *c, lvc_decl *e)
{
	lvc_loc l = e->loc;
	add_param(c, e, "where", new_type(c, LVC_T_OPTIONAL, new_type(c, LVC_T_JSON, NULL, l), l));
	add_param(c, e, "order", new_type(c, LVC_T_OPTIONAL, new_type(c, LVC_T_LIST,
	          new_type(c, LVC_T_STRING, NULL, l), l), l));
	add_param(c, e, "page", new_type(c, LVC_T_OPTIONAL, new_type(c, LVC_T_INT, NULL, l), l));
	add_param(c, e, "limit", new_type(c, LVC_T_OPTIONAL, new_type(c, LVC_T_INT, NULL, l), l));
}

lvc_decl *
lvc_model_op_decl(lvc_ctx *c, const lvc_decl *b, lvc_model_op op)
{
	static const char *const what[] = {
		[LVC_OP_RETRIEVE] = "the row whose key is id",
		[LVC_OP_LIST] = "a page of a query: {page, limit, count, rows}",
		[LVC_OP_CREATE] = "adds row (without its version); answers the row stored",
		[LVC_OP_UPDATE] = "replaces the row with row's key if its version is still row's "
		                  "(else aborted); answers the row stored",
		[LVC_OP_DELETE] = "removes the row whose key is id if its version is still version "
		                  "(else aborted)",
		[LVC_OP_SUBSCRIBE] = "a live query under the page's name key: its first page, "
		                     "then its changes",
		[LVC_OP_UNSUBSCRIBE] = "ends the live query named key",
	};
	const lvc_decl *s = b->binding->model;
	lvc_decl *e = lvc_alloc(&c->arena, sizeof *e);
	e->kind = LVC_D_ENDPOINT;
	e->ekind = LVC_E_SERVER_RPC;
	const char *name = lvc_sprintf(&c->arena, "%.*s.%s", (int)b->name.n, b->name.p,
	                               lvc_model_op_name(op));
	e->name = (lvc_str){ name, (uint32_t)strlen(name) };
	e->loc = b->loc;
	e->module = b->module;
	e->policy = b->policy;
	e->used = true;
	lvc_doc *doc = lvc_alloc(&c->arena, sizeof *doc);
	doc->loc = b->loc;
	doc->used = true;
	doc->text = lvc_sprintf(&c->arena, "%s of model binding %.*s (%.*s rows): %s.%s%s",
	                        lvc_model_op_name(op), (int)b->name.n, b->name.p,
	                        (int)s->name.n, s->name.p, what[op], b->doc ? "\n" : "",
	                        b->doc ? b->doc->text : "");
	e->doc = doc;
	lvc_loc l = b->loc;
	lvc_type *key = s->model->key ? s->model->key->type : new_type(c, LVC_T_JSON, NULL, l);
	switch (op) {
	case LVC_OP_RETRIEVE:
		add_param(c, e, "id", key);
		break;
	case LVC_OP_LIST:
		query_params(c, e);
		break;
	case LVC_OP_CREATE:
	case LVC_OP_UPDATE:
		add_param(c, e, "row", new_type(c, LVC_T_JSON, NULL, l));
		break;
	case LVC_OP_DELETE:
		add_param(c, e, "id", key);
		add_param(c, e, "version", new_type(c, LVC_T_INT, NULL, l));
		break;
	case LVC_OP_SUBSCRIBE:
		add_param(c, e, "key", new_type(c, LVC_T_STRING, NULL, l));
		query_params(c, e);
		break;
	case LVC_OP_UNSUBSCRIBE:
		add_param(c, e, "key", new_type(c, LVC_T_STRING, NULL, l));
		break;
	default:
		break;
	}
	e->result = new_type(c, LVC_T_JSON, NULL, l);
	return e;
}
