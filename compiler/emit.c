/* emit.c - what every generator needs: the program in a stable order, the
 * schema hash, view-model helpers, and writing a rendered file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"

static int
by_name(const void *a, const void *b)
{
	const lvc_decl *x = *(lvc_decl *const *)a, *y = *(lvc_decl *const *)b;
	uint32_t n = x->name.n < y->name.n ? x->name.n : y->name.n;
	int c = memcmp(x->name.p, y->name.p, n);
	return c ? c : (int)x->name.n - (int)y->name.n;
}

void
lvc_program_collect(lvc_ctx *c, lvc_program *p)
{
	int nt = 0, ne = 0, ns = 0, nm = 0, nb = 0;
	memset(p, 0, sizeof *p);
	for (lvc_module *m = c->modules; m; m = m->next)
		for (lvc_decl *d = m->decls; d; d = d->next)
			if (d->kind == LVC_D_ENDPOINT)
				ne++;
			else if (d->kind == LVC_D_STATE)
				ns++;
			else if (d->kind == LVC_D_BINDING)
				nb++;
			else
				nt++, nm += d->model != NULL;
	p->types = calloc((size_t)nt + 1, sizeof *p->types);
	p->endpoints = calloc((size_t)ne + 1, sizeof *p->endpoints);
	p->states = calloc((size_t)ns + 1, sizeof *p->states);
	p->models = calloc((size_t)nm + 1, sizeof *p->models);
	p->bindings = calloc((size_t)nb + 1, sizeof *p->bindings);
	if (!p->types || !p->endpoints || !p->states || !p->models || !p->bindings)
		abort();
	for (lvc_module *m = c->modules; m; m = m->next)
		for (lvc_decl *d = m->decls; d; d = d->next) {
			if (d->kind == LVC_D_ENDPOINT)
				p->endpoints[p->nendpoints++] = d;
			else if (d->kind == LVC_D_STATE)
				p->states[p->nstates++] = d;
			else if (d->kind == LVC_D_BINDING)
				p->bindings[p->nbindings++] = d;
			else
				p->types[p->ntypes++] = d;
			if (d->model)
				p->models[p->nmodels++] = d;
		}
	/* The runtime finds endpoints, states and bindings by binary search
	 * over this order. */
	qsort(p->endpoints, (size_t)p->nendpoints, sizeof *p->endpoints, by_name);
	qsort(p->states, (size_t)p->nstates, sizeof *p->states, by_name);
	qsort(p->bindings, (size_t)p->nbindings, sizeof *p->bindings, by_name);
}

const char *
lvc_op_endpoint_name(lvc_arena *a, const lvc_decl *b, lvc_model_op op)
{
	return lvc_sprintf(a, "%.*s.%s", (int)b->name.n, b->name.p, lvc_model_op_name(op));
}

int
lvc_binding_ops(const lvc_decl *b, lvc_model_op op_order[LVC_NOPS])
{
	/* The operations' words in byte order: so are their endpoints' names. */
	static const lvc_model_op by_word[LVC_NOPS] = {
		LVC_OP_CREATE, LVC_OP_DELETE, LVC_OP_LIST, LVC_OP_RETRIEVE, LVC_OP_SUBSCRIBE,
		LVC_OP_UNSUBSCRIBE, LVC_OP_UPDATE,
	};
	int n = 0;
	for (int i = 0; i < LVC_NOPS; i++)
		if (b->binding->ops & (1u << by_word[i]))
			op_order[n++] = by_word[i];
	return n;
}

void
lvc_program_free(lvc_program *p)
{
	free(p->types);
	free(p->endpoints);
	free(p->states);
	free(p->models);
	free(p->bindings);
}

/* ---- schema hash ---------------------------------------------------------- */

typedef struct {
	uint64_t h;
} fnv;

static void
feed(fnv *f, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		f->h = (f->h ^ (unsigned char)p[i]) * 1099511628211ull;
}

static void
feeds(fnv *f, const char *s)
{
	feed(f, s, strlen(s) + 1);   /* the NUL separates items */
}

static void
feed_str(fnv *f, lvc_str s)
{
	feed(f, s.p, s.n);
	feed(f, "", 1);
}

static void
feed_value(fnv *f, const lvc_value *v)
{
	char buf[64];
	if (!v) {
		feeds(f, "-");
		return;
	}
	snprintf(buf, sizeof buf, "%d:%lld:%lld:%.17g", (int)v->kind, (long long)v->i,
	         (long long)v->per, v->f);
	feeds(f, buf);
	feed_str(f, v->s);
	for (const lvc_value *i = v->items; i; i = i->next)
		feed_value(f, i);
	feeds(f, "]");
}

static void
feed_fields(lvc_ctx *c, fnv *f, const lvc_field *fl)
{
	for (; fl; fl = fl->next) {
		feed_str(f, fl->name);
		feeds(f, lvc_type_str(c, fl->type));
		feed_value(f, fl->def);
		if (fl->mflags) {     /* only on models: other hashes stay as they were */
			char flags[16];
			snprintf(flags, sizeof flags, "mf%u", fl->mflags);
			feeds(f, flags);
		}
	}
	feeds(f, "}");
}

void
lvc_schema_hash(lvc_ctx *c, const lvc_program *p, char out[17])
{
	fnv f = { 14695981039346656037ull };
	for (int i = 0; i < p->ntypes; i++) {
		const lvc_decl *d = p->types[i];
		feed_str(&f, d->module->name);
		feed_str(&f, d->name);
		if (d->kind == LVC_D_STRUCT) {
			feeds(&f, "struct");
			if (d->model) {
				feeds(&f, "model");
				feed_str(&f, d->model->table);
			}
			feed_fields(c, &f, d->fields);
		} else {
			feeds(&f, "enum");
			for (const lvc_member *m = d->members; m; m = m->next)
				feed_str(&f, m->name);
			feeds(&f, "}");
		}
	}
	for (int i = 0; i < p->nendpoints; i++) {
		const lvc_decl *d = p->endpoints[i];
		char flags[64];
		feed_str(&f, d->name);
		snprintf(flags, sizeof flags, "%d:%d:%d", (int)d->ekind, d->policy.http,
		         d->policy.volatile_delivery);
		feeds(&f, flags);
		feed_str(&f, d->policy.event);
		feed_fields(c, &f, d->params);
		feeds(&f, d->result ? lvc_type_str(c, d->result) : "-");
	}
	/* States change the hash only when there are some, so contracts
	 * without any keep the hash they had. */
	for (int i = 0; i < p->nstates; i++) {
		const lvc_decl *d = p->states[i];
		char flags[64];
		feeds(&f, "state");
		feed_str(&f, d->name);
		snprintf(flags, sizeof flags, "%d:%d", (int)d->ekind, (int)d->policy.scope);
		feeds(&f, flags);
		feeds(&f, lvc_type_str(c, d->result));
	}
	/* Bindings likewise: their model, operations, queries and access. */
	for (int i = 0; i < p->nbindings; i++) {
		const lvc_decl *d = p->bindings[i];
		const lvc_binding *b = d->binding;
		char buf[96];
		feeds(&f, "binding");
		feed_str(&f, d->name);
		feeds(&f, b->model ? lvc_type_str(c, d->result) : "-");
		snprintf(buf, sizeof buf, "%u:%lld:%d:%d", b->ops, (long long)b->limit, b->allow,
		         (int)d->policy.access);
		feeds(&f, buf);
		for (int j = 0; j < b->nfilter; j++) {
			snprintf(buf, sizeof buf, "f%d", b->filter[j]);
			feeds(&f, buf);
		}
		for (int j = 0; j < b->norder; j++) {
			snprintf(buf, sizeof buf, "o%d", b->order[j]);
			feeds(&f, buf);
		}
		for (int j = 0; j < d->policy.nroles; j++)
			feed_str(&f, d->policy.roles[j]);
	}
	snprintf(out, 17, "%016llx", (unsigned long long)f.h);
}

/* ---- view-model helpers -------------------------------------------------- */

/* A doc comment as lines, with anything that would end the comment it
 * is placed in ("*" followed by "/") broken apart. */
lvc_view
lvc_doc_lines(lvc_arena *a, const lvc_doc *d)
{
	if (!d)
		return lvc_v_list(&lvc_vlist_empty);
	lvc_vlist *l = lvc_vlist_new(a, 4);
	const char *p = d->text;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p), breaks = 0;
		for (size_t i = 0; i + 1 < n; i++)
			breaks += p[i] == '*' && p[i + 1] == '/';
		char *line = lvc_alloc(a, n + breaks + 1), *o = line;
		for (size_t i = 0; i < n; i++) {
			*o++ = p[i];
			if (p[i] == '*' && i + 1 < n && p[i + 1] == '/')
				*o++ = ' ';
		}
		while (o > line && (o[-1] == ' ' || o[-1] == '\t' || o[-1] == '\r'))
			o--;
		lvc_vlist_push(l, lvc_v_strn(line, (size_t)(o - line)));
		p += n + (nl != NULL);
	}
	return lvc_v_list(l);
}

lvc_vlist *
lvc_endpoint_views(lvc_arena *a, const lvc_program *p, lvc_endpoint_view_fn view, void *gen,
                   lvc_endpoint_handled_fn handled, lvc_blockset *blocks)
{
	lvc_vlist *eps = lvc_vlist_new(a, (uint32_t)p->nendpoints);
	lvc_blockset_init(blocks, p->nendpoints);
	for (int i = 0; i < p->nendpoints; i++) {
		const lvc_decl *d = p->endpoints[i];
		const char *name = lvc_strndup(a, d->name.p, d->name.n);
		lvc_vobj *o = view(gen, d, name, (int)eps->n);
		if (!o)
			continue;
		lvc_vlist_push(eps, lvc_v_obj(o));
		if (handled(d))
			lvc_blockset_add(blocks, name, o);
	}
	return eps;
}

/* Templates write `#line 0 "__self__"` to return to the generated file
 * after a #line into the .lv; this puts in the real line and name. */
static void
fix_line_directives(lvc_tbuf *out, const char *filename)
{
	static const char mark[] = "#line 0 \"__self__\"";
	if (!out->data || !strstr(out->data, mark))
		return;
	lvc_tbuf fixed = { 0 };
	const char *p = out->data;
	long line = 1;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p + 1) : strlen(p);
		if (n >= sizeof mark - 1 && memcmp(p, mark, sizeof mark - 1) == 0) {
			char buf[512];
			int k = snprintf(buf, sizeof buf, "#line %ld \"%s\"\n", line + 1, filename);
			lvc_tbuf_put(&fixed, buf, (size_t)k);
		} else {
			lvc_tbuf_put(&fixed, p, n);
		}
		line++;
		p += n;
	}
	free(out->data);
	*out = fixed;
}

int
lvc_emit_file(lvc_ctx *c, lvc_emit *e, const char *tmpl, const lvc_view *view,
              const char *filename)
{
	lvc_tbuf out = { 0 };
	int rc = lvc_render(c, e->templates, e->ntemplates, tmpl, view, &out);
	if (rc == 0)
		fix_line_directives(&out, filename);
	if (rc == 0)
		lvc_emit_stage(c, e, lvc_sprintf(&c->arena, "%s/%s", e->outdir, filename),
		               out.data ? out.data : "", out.len);
	free(out.data);
	return rc;
}

void
lvc_emit_stage(lvc_ctx *c, lvc_emit *e, const char *path, const char *data, size_t len)
{
	if (e->noutputs == LVC_MAX_OUTPUTS)
		abort();
	char *copy = malloc(len + 1);
	if (!copy)
		abort();
	memcpy(copy, data, len);
	copy[len] = '\0';
	path = lvc_strndup(&c->arena, path, strlen(path));
	e->outputs[e->noutputs++] = (lvc_output){ path, copy, len };
	e->written[e->nwritten++] = path;
}

int
lvc_emit_commit(lvc_ctx *c, lvc_emit *e)
{
	int rc = c->errors ? -1 : 0;
	for (int i = 0; rc == 0 && i < e->noutputs; i++)
		rc = lvc_write_file(c, e->outputs[i].path, e->outputs[i].data, e->outputs[i].len);
	lvc_emit_discard(e);
	return rc;
}

void
lvc_emit_discard(lvc_emit *e)
{
	for (int i = 0; i < e->noutputs; i++)
		free(e->outputs[i].data);
	e->noutputs = 0;
}

lvc_vobj *
lvc_base_view(lvc_ctx *c, const lvc_emit *e, lvc_arena *a)
{
	lvc_vobj *o = lvc_vobj_new(a, 24);
	lvc_vobj_set(o, "lvc_version", lvc_v_cstr(LVC_VERSION));
	lvc_vobj_set(o, "source", lvc_v_cstr(e->source));
	lvc_vobj_set(o, "base", lvc_v_cstr(e->base));
	lvc_vobj_set(o, "module", lvc_v_str(c->root->name));
	lvc_vobj_set(o, "hash", lvc_v_cstr(e->hash));
	lvc_vobj_set(o, "doc", lvc_doc_lines(a, c->root->doc));
	return o;
}

void
lvc_blockset_init(lvc_blockset *b, int cap)
{
	b->blocks = calloc((size_t)cap + 1, sizeof *b->blocks);
	b->views = calloc((size_t)cap + 1, sizeof *b->views);
	b->n = 0;
	if (!b->blocks || !b->views)
		abort();
}

void
lvc_blockset_add(lvc_blockset *b, const char *name, const lvc_vobj *view)
{
	b->blocks[b->n].name = name;
	b->views[b->n++] = view;
}

void
lvc_blockset_free(lvc_blockset *b)
{
	free(b->blocks);
	free(b->views);
}

int
lvc_emit_handlers(lvc_ctx *c, lvc_emit *e, const lvc_view *top, const char *file_tmpl,
                  const char *block_tmpl, lvc_blockset *set, const char *path,
                  lvc_mark_style style)
{
	lvc_block *blocks = set->blocks;
	const lvc_vobj **views = set->views;
	int nblocks = set->n;
	lvc_tbuf fresh = { 0 };
	lvc_tbuf *texts = calloc((size_t)nblocks + 1, sizeof *texts);
	if (!texts)
		abort();
	int rc = lvc_render(c, e->templates, e->ntemplates, file_tmpl, top, &fresh);
	for (int i = 0; rc == 0 && i < nblocks; i++) {
		lvc_view ep = lvc_v_obj(views[i]);
		rc = lvc_render(c, e->templates, e->ntemplates, block_tmpl, &ep, &texts[i]);
		blocks[i].text = texts[i].data ? texts[i].data : "";
	}
	if (rc == 0)
		rc = lvc_merge_write(c, e, path, fresh.data ? fresh.data : "", blocks, nblocks,
		                     style);
	for (int i = 0; i < nblocks; i++)
		free(texts[i].data);
	free(texts);
	free(fresh.data);
	return rc;
}
