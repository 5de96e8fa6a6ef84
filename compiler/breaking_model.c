/* breaking_model.c - lvc --breaking for states, models and model bindings: what an old page or server would no longer read or be allowed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "breaking.h"

/* A server state is written by the new server and read by old pages (as a
 * result is); a state the page owns is written by old pages and read by
 * the new server (as arguments are). */
void
bk_compare_state(bk *b, const lvc_decl *o, const lvc_decl *n)
{
	bool server = o->ekind == LVC_E_SERVER_STATE;
	if (!n) {
		bk_breaking(b, "state-removed", bk_at_from(b, o->loc), "%s was removed; an old page still "
		         "%s it", bk_endpoint_name(b, o), server ? "reads" : "writes");
		return;
	}
	if (o->ekind != n->ekind) {
		if (bk_breaking(b, "kind-changed", n->kind_deco->loc, "'%.*s' is %s now, %s before; "
		             "an old page still %s it", (int)n->name.n, n->name.p,
		             lvc_endpoint_kind_name(n->ekind), lvc_endpoint_kind_name(o->ekind),
		             server ? "reads" : "writes"))
			lvc_note(b->to, bk_at_from(b, o->kind_deco->loc), "it was @%s here",
			         lvc_endpoint_kind_name(o->ekind));
		return;
	}
	if (server && o->policy.scope != n->policy.scope &&
	    bk_breaking(b, "state-scope-changed", n->kind_deco->loc, "%s changed its scope; an old "
	             "page looks for its copy %s", bk_endpoint_name(b, n),
	             o->policy.scope == LVC_SCOPE_GROUP ? "by group" : "with no group"))
		lvc_note(b->to, bk_at_from(b, o->kind_deco->loc), "it was declared here");
	use via = { n, "the value of", n->result->loc };
	if (!bk_same_shape(b, server ? RESULT : ARGS, o->result, n->result, &via)) {
		const char *ot = lvc_type_str(b->to, o->result), *nt = lvc_type_str(b->to, n->result);
		if (bk_breaking(b, "state-type-changed", n->result->loc, "the type of %s changed from %s "
		             "to %s: an old page %s %s", bk_endpoint_name(b, n), ot, nt,
		             server ? "reads it as" : "writes", ot))
			lvc_note(b->to, bk_at_from(b, o->result->loc), "it was %s here", ot);
	}
	bk_compare_policy(b, o, n);
	if (!server)
		bk_compare_limits(b, o, n);   /* max: the largest change a page may send */
}

/* ---- models ----------------------------------------------------------------------- */

/* The argument `name` of a binding's @server.model, or its decorator. */
static lvc_loc
binding_arg_loc(const lvc_decl *d, const char *name)
{
	const lvc_arg *a = bk_kind_arg(d, name);
	return a ? a->loc : d->kind_deco->loc;
}

static bool
in_fields(const lvc_decl *s, const int *idx, int n, lvc_str name)
{
	for (int i = 0; i < n; i++)
		if (lvc_str_same(lvc_model_field(s, idx[i])->name, name))
			return true;
	return false;
}

/* A field an old query may filter or order on is gone from the list. */
static void
compare_query_fields(bk *b, const lvc_decl *o, const lvc_decl *n, const char *what)
{
	const lvc_binding *ob = o->binding, *nb = n->binding;
	bool filter = strcmp(what, "filter") == 0;
	const int *oi = filter ? ob->filter : ob->order, *ni = filter ? nb->filter : nb->order;
	int on = filter ? ob->nfilter : ob->norder, nn = filter ? nb->nfilter : nb->norder;
	/* One report per list, naming every field it lost. */
	const char *gone = NULL;
	int ngone = 0;
	for (int i = 0; i < on; i++) {
		lvc_str f = lvc_model_field(ob->model, oi[i])->name;
		if (in_fields(nb->model, ni, nn, f))
			continue;
		gone = lvc_sprintf(&b->to->arena, "%s%s'%.*s'", gone ? gone : "", gone ? ", " : "",
		                   (int)f.n, f.p);
		ngone++;
	}
	if (gone && bk_breaking(b, "query-field-removed", binding_arg_loc(n, what), "%s %s no longer "
	                     "in '%s' of %s; an old page may still %s %s", gone,
	                     ngone == 1 ? "is" : "are", what, bk_endpoint_name(b, n),
	                     filter ? "filter on" : "order by", ngone == 1 ? "it" : "them"))
		lvc_note(b->to, bk_at_from(b, binding_arg_loc(o, what)), "%s listed here",
		         ngone == 1 ? "it was" : "they were");
}

/* The model's table, key and columns: what the rows are, whoever reads or
 * writes them. */
void
bk_compare_model(bk *b, const lvc_decl *o, const lvc_decl *n, const lvc_decl *via)
{
	const lvc_model *om = o->model, *nm = n->model;
	if (!bk_first_time(b, lvc_sprintf(&b->to->arena, "model:%p:%p", (void *)o, (void *)n)))
		return;
	if (!lvc_str_same(om->table, nm->table) &&
	    bk_breaking(b, "model-table-changed", nm->deco->loc, "model '%.*s' is kept in table "
	             "'%.*s' now, '%.*s' before; the rows of the old table are not seen",
	             (int)n->name.n, n->name.p, (int)nm->table.n, nm->table.p,
	             (int)om->table.n, om->table.p))
		lvc_note(b->to, bk_at_from(b, om->deco->loc), "it was table '%.*s' here",
		         (int)om->table.n, om->table.p);
	if (om->key && nm->key && (!lvc_str_same(om->key->name, nm->key->name) ||
	                           om->key->type->kind != nm->key->type->kind) &&
	    bk_breaking(b, "model-key-changed", nm->key->loc, "the key of model '%.*s' is '%.*s: "
	             "%s' now, '%.*s: %s' before; an old page retrieves and deletes rows by the "
	             "old one", (int)n->name.n, n->name.p, (int)nm->key->name.n, nm->key->name.p,
	             lvc_type_str(b->to, nm->key->type), (int)om->key->name.n, om->key->name.p,
	             lvc_type_str(b->to, om->key->type)))
		lvc_note(b->to, bk_at_from(b, om->key->loc), "it was '%.*s' here", (int)om->key->name.n,
		         om->key->name.p);
	/* A column gone is data no longer read, whoever reads the rows; it is
	 * reported under this rule, not again as a struct's field-removed. */
	for (const lvc_field *f = o->fields; f; f = f->next) {
		if (bk_find_field(n->fields, f->name))
			continue;
		lvc_loc at = bk_at_from(b, f->loc);
		if (bk_breaking(b, "model-field-removed", at, "field '%.*s' of model '%.*s' was removed; "
		             "its column is no longer read, and %s may still send or expect it",
		             (int)f->name.n, f->name.p, (int)n->name.n, n->name.p,
		             via ? "an old page" : "an old server")) {
			lvc_note(b->to, n->loc, "'%.*s' is declared here", (int)n->name.n, n->name.p);
			if (via)
				lvc_note(b->to, via->loc, "%s binds it", bk_endpoint_name(b, via));
		}
		bk_first_time(b, lvc_sprintf(&b->to->arena, "field-removed@%u:%u", at.file, at.off));
	}
}

void
bk_compare_binding(bk *b, const lvc_decl *o, const lvc_decl *n)
{
	const lvc_binding *ob = o->binding;
	if (!n) {
		bk_breaking(b, "binding-removed", bk_at_from(b, o->loc), "%s was removed; an old page may "
		         "still call its operations (%.*s.list, ...)", bk_endpoint_name(b, o),
		         (int)o->name.n, o->name.p);
		return;
	}
	const lvc_binding *nb = n->binding;
	if (!ob->model || !nb->model)
		return;
	/* One report, naming every operation gone (unsubscribe goes with
	 * subscribe). */
	const char *gone = NULL, *calls = NULL;
	int ngone = 0;
	for (int op = 0; op < LVC_OP_UNSUBSCRIBE; op++) {
		if (!(ob->ops & (1u << op)) || (nb->ops & (1u << op)))
			continue;
		const char *word = lvc_model_op_name((lvc_model_op)op);
		gone = lvc_sprintf(&b->to->arena, "%s%s'%s'", gone ? gone : "", gone ? ", " : "", word);
		calls = lvc_sprintf(&b->to->arena, "%s%s%.*s.%s", calls ? calls : "", calls ? ", " : "",
		                    (int)n->name.n, n->name.p, word);
		ngone++;
	}
	if (gone && bk_breaking(b, "model-op-removed", binding_arg_loc(n, "ops"), "%s %s of %s %s "
	                     "removed; an old page may still call %s", ngone == 1 ? "operation" :
	                     "operations", gone, bk_endpoint_name(b, n), ngone == 1 ? "was" : "were",
	                     calls))
		lvc_note(b->to, bk_at_from(b, binding_arg_loc(o, "ops")), "%s allowed here",
		         ngone == 1 ? "it was" : "they were");
	bk_compare_model(b, ob->model, nb->model, n);
	/* Rows travel as the model's struct: old pages write them with create
	 * and update, and read them from retrieve, list and subscribe. */
	unsigned writes = (1u << LVC_OP_CREATE) | (1u << LVC_OP_UPDATE);
	unsigned reads = (1u << LVC_OP_RETRIEVE) | (1u << LVC_OP_LIST) | (1u << LVC_OP_SUBSCRIBE);
	use via = { n, "the rows of", n->result->loc };
	for (int fl = ARGS; fl <= RESULT; fl++) {
		unsigned ops = fl == ARGS ? writes : reads;
		if (!(ob->ops & nb->ops & ops))
			continue;
		if (!bk_same_shape(b, (flow)fl, o->result, n->result, &via)) {
			const char *ot = lvc_type_str(b->to, o->result), *nt = lvc_type_str(b->to, n->result);
			if (bk_breaking(b, "type-changed", n->result->loc, "%s binds %s now, %s before; an "
			             "old page %s %s rows", bk_endpoint_name(b, n), nt, ot,
			             fl == ARGS ? "writes" : "reads", ot))
				lvc_note(b->to, bk_at_from(b, o->result->loc), "it was %s here", ot);
		}
	}
	bk_compare_policy(b, o, n);
	if (nb->limit < ob->limit) {
		const lvc_arg *was = bk_kind_arg(o, "limit");
		if (bk_breaking(b, "limit-lowered", binding_arg_loc(n, "limit"), "'limit' of %s is %lld "
		             "now, %lld before; an old page may ask for pages of up to %lld rows",
		             bk_endpoint_name(b, n), (long long)nb->limit, (long long)ob->limit,
		             (long long)ob->limit) && was)
			lvc_note(b->to, bk_at_from(b, was->loc), "it was %lld here", (long long)ob->limit);
	}
	compare_query_fields(b, o, n, "filter");
	compare_query_fields(b, o, n, "order");
}

