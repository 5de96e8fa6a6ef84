/* asyncapi_json.c - the AsyncAPI document's pretty JSON writer, its doc comments and lv's types as JSON Schema. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncapi.h"

/* ---- a small pretty JSON writer ---------------------------------------------- */

void
aw_put(aw *w, const char *z)
{
	lvc_tbuf_put(&w->b, z, strlen(z));
}

void
aw_newline(aw *w)
{
	aw_put(w, "\n");
	for (int i = 0; i < w->depth; i++)
		aw_put(w, "  ");
}

void
aw_sep(aw *w)
{
	if (w->after_key) {
		w->after_key = false;
		return;
	}
	if (w->depth == 0)
		return;
	if (!w->first)
		aw_put(w, ",");
	aw_newline(w);
	w->first = false;
}

void
aw_open(aw *w, const char *ch)
{
	aw_sep(w);
	aw_put(w, ch);
	w->depth++;
	w->first = true;
}

void
aw_close(aw *w, const char *ch)
{
	w->depth--;
	if (!w->first)
		aw_newline(w);
	aw_put(w, ch);
	w->first = false;
}

void
aw_strn(aw *w, const char *p, size_t n)
{
	aw_sep(w);
	lvc_json_string(&w->b, p, n, false);
}

void
aw_str(aw *w, const char *z)
{
	aw_strn(w, z, strlen(z));
}

void
aw_lstr(aw *w, lvc_str s)
{
	aw_strn(w, s.p, s.n);
}

void
aw_key(aw *w, const char *k)
{
	aw_str(w, k);
	aw_put(w, ": ");
	w->after_key = true;
}

void
aw_kstr(aw *w, const char *k, const char *v)
{
	aw_key(w, k);
	aw_str(w, v);
}

void
aw_raw(aw *w, const char *z)
{
	aw_sep(w);
	aw_put(w, z);
}

void
aw_kraw(aw *w, const char *k, const char *v)
{
	aw_key(w, k);
	aw_raw(w, v);
}

void
aw_integer(aw *w, long long i)
{
	char num[32];
	snprintf(num, sizeof num, "%lld", i);
	aw_raw(w, num);
}

void
aw_real(aw *w, double f)
{
	char num[64];
	int n = snprintf(num, sizeof num - 2, "%.17g", f);
	if (!strchr(num, '.') && !strchr(num, 'e') && !strchr(num, 'n') && !strchr(num, 'i'))
		memcpy(num + n, ".0", 3);
	aw_raw(w, num);
}

/* {"$ref": "#/SECTION/NAME"}; names hold no '~' or '/'. */
void
aw_ref(aw *w, const char *section, const char *name)
{
	OBJ(w);
	aw_kstr(w, "$ref", lvc_sprintf(&w->c->arena, "#/%s/%s", section, name));
	END(w);
}

/* ---- docs ---------------------------------------------------------------------- */

/* The first sentence of a doc comment, on one line: the summary. */
char *
aw_summary_of(aw *w, const lvc_doc *d)
{
	const char *t = d->text;
	size_t n = 0;
	while (t[n] && !(t[n] == '.' && (t[n + 1] == ' ' || t[n + 1] == '\n' || !t[n + 1])) &&
	       !(t[n] == '\n' && t[n + 1] == '\n'))
		n++;
	if (t[n] == '.')
		n++;
	char *s = lvc_strndup(&w->c->arena, t, n);
	for (char *q = s; *q; q++)
		if (*q == '\n')
			*q = ' ';
	return s;
}

/* "summary" (the first sentence) and "description" (all of it). */
void
aw_docs(aw *w, const lvc_doc *d, bool with_summary)
{
	if (!d || !d->text[0])
		return;
	if (with_summary)
		aw_kstr(w, "summary", aw_summary_of(w, d));
	aw_kstr(w, "description", d->text);
}

/* ---- types as JSON Schema ------------------------------------------------------------ */

static void
value(aw *w, const lvc_value *v)
{
	switch (v->kind) {
	case LVC_V_INT: aw_integer(w, (long long)v->i); break;
	case LVC_V_FLOAT: aw_real(w, v->f); break;
	case LVC_V_BOOL: aw_raw(w, v->i ? "true" : "false"); break;
	case LVC_V_STRING: case LVC_V_IDENT: aw_lstr(w, v->s); break;
	case LVC_V_MAP: OBJ(w); END(w); break;
	case LVC_V_LIST:
		ARR(w);
		for (const lvc_value *i = v->items; i; i = i->next)
			value(w, i);
		AEND(w);
		break;
	default: aw_raw(w, "null");
	}
}

/* The keys of t's schema, inside an object already open. */
static void
type_body(aw *w, const lvc_type *t)
{
	switch (t->kind) {
	case LVC_T_BOOL: aw_kstr(w, "type", "boolean"); break;
	case LVC_T_INT:
		aw_kstr(w, "type", "integer");
		aw_kraw(w, "minimum", "-9223372036854775808");
		aw_kraw(w, "maximum", "9223372036854775807");
		break;
	case LVC_T_FLOAT: aw_kstr(w, "type", "number"); break;
	case LVC_T_STRING: aw_kstr(w, "type", "string"); break;
	case LVC_T_BYTES:
		aw_kstr(w, "type", "string");
		aw_kstr(w, "contentEncoding", "base64");
		break;
	case LVC_T_VOID: aw_kstr(w, "type", "null"); break;
	case LVC_T_LIST:
		aw_kstr(w, "type", "array");
		aw_key(w, "items");
		aw_type_schema(w, t->elem);
		break;
	case LVC_T_MAP:
		aw_kstr(w, "type", "object");
		aw_key(w, "additionalProperties");
		aw_type_schema(w, t->elem);
		break;
	case LVC_T_OPTIONAL:
		/* T?: the value, or null (which the decoders take for absent). */
		aw_key(w, "anyOf");
		ARR(w);
		aw_type_schema(w, t->elem);
		OBJ(w);
		aw_kstr(w, "type", "null");
		END(w);
		AEND(w);
		break;
	case LVC_T_NAMED: {
		char *name = lvc_strndup(&w->c->arena, t->ref->name.p, t->ref->name.n);
		aw_key(w, "allOf");
		ARR(w);
		aw_ref(w, "components/schemas", name);
		AEND(w);
		break;
	}
	default: break;   /* json: anything */
	}
}

void
aw_type_schema(aw *w, const lvc_type *t)
{
	if (t->kind == LVC_T_NAMED) {
		aw_ref(w, "components/schemas",
		    lvc_strndup(&w->c->arena, t->ref->name.p, t->ref->name.n));
		return;
	}
	OBJ(w);
	type_body(w, t);
	END(w);
}

/* Fields or parameters: an object of named values. Required: those that
 * are neither optional nor defaulted; an unknown name is refused, as the
 * decoders do. */
void
aw_fields_schema(aw *w, const lvc_field *fl, const lvc_doc *doc)
{
	OBJ(w);
	aw_kstr(w, "type", "object");
	aw_docs(w, doc, false);
	if (fl) {
		aw_key(w, "properties");
		OBJ(w);
		for (const lvc_field *f = fl; f; f = f->next) {
			char *name = lvc_strndup(&w->c->arena, f->name.p, f->name.n);
			aw_key(w, name);
			bool extra = (f->doc && f->doc->text[0]) || f->def;
			if (!extra) {
				aw_type_schema(w, f->type);
				continue;
			}
			OBJ(w);
			type_body(w, f->type);   /* a struct or enum as allOf: keys beside a $ref are ignored */
			if (f->doc && f->doc->text[0])
				aw_kstr(w, "description", f->doc->text);
			if (f->def) {
				aw_key(w, "default");
				value(w, f->def);
			}
			END(w);
		}
		END(w);
		bool any = false;
		for (const lvc_field *f = fl; f; f = f->next)
			if (f->type->kind != LVC_T_OPTIONAL && !f->def) {
				if (!any) {
					aw_key(w, "required");
					ARR(w);
					any = true;
				}
				aw_lstr(w, f->name);
			}
		if (any)
			AEND(w);
	}
	aw_kraw(w, "additionalProperties", "false");
	END(w);
}

void
aw_decl_schema(aw *w, const lvc_decl *d)
{
	if (d->kind == LVC_D_STRUCT) {
		aw_fields_schema(w, d->fields, d->doc);
		return;
	}
	OBJ(w);
	aw_kstr(w, "type", "string");
	/* The members' docs go into the description, one line each. */
	lvc_tbuf t = { 0 };
	if (d->doc && d->doc->text[0])
		lvc_tbuf_put(&t, d->doc->text, strlen(d->doc->text));
	for (const lvc_member *m = d->members; m; m = m->next)
		if (m->doc && m->doc->text[0]) {
			if (t.len)
				lvc_tbuf_put(&t, "\n", 1);
			lvc_tbuf_put(&t, "- `", 3);
			lvc_tbuf_put(&t, m->name.p, m->name.n);
			lvc_tbuf_put(&t, "`: ", 3);
			for (const char *q = m->doc->text; *q; q++)
				lvc_tbuf_put(&t, *q == '\n' ? " " : q, 1);
		}
	if (t.len) {
		aw_key(w, "description");
		aw_strn(w, t.data, t.len);
	}
	free(t.data);
	aw_key(w, "enum");
	ARR(w);
	for (const lvc_member *m = d->members; m; m = m->next)
		aw_lstr(w, m->name);
	AEND(w);
	END(w);
}
