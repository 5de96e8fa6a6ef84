/* test_model.c - models and their bindings (compiler/model.c): what the
 * checker fills in for a @model struct and a @server.model binding, and
 * the defaults it takes. The messages are pinned by the case folders. */
#include <criterion/criterion.h>

#include "unit.h"

TestSuite(model, .init = lvt_open, .fini = lvt_close);

static const char todo[] =
	"@auth(\"user\")\nmodule m;\n"
	"@model(table: \"todos\")\n"
	"struct Todo {\n"
	"\tid: int @key;\n"
	"\towner: string @index;\n"
	"\ttitle: string;\n"
	"\tdone: bool = false;\n"
	"\trev: int @version;\n"
	"}\n";

static lvc_binding *
binding_of(const char *text, const char *name)
{
	cr_assert(lvt_check(text), "%s", lvt_diags());
	lvc_decl *d = lvt_decl(name);
	cr_assert_not_null(d, "no declaration '%s'", name);
	cr_assert_eq(d->kind, LVC_D_BINDING);
	cr_assert_eq(d->ekind, LVC_E_SERVER_MODEL);
	cr_assert_not_null(d->binding);
	return d->binding;
}

static char *
with(const char *tail)
{
	static char buf[2048];
	snprintf(buf, sizeof buf, "%s%s", todo, tail);
	return buf;
}

Test(model, struct_gets_its_table_key_version_and_flags)
{
	cr_assert(lvt_check(with("@server.model\ntodos: Todo;\n")), "%s", lvt_diags());
	lvc_decl *s = lvt_decl("Todo");
	cr_assert_not_null(s->model);
	cr_assert_str_eq(lvt_str(s->model->table), "todos");
	cr_assert_str_eq(lvt_str(s->model->key->name), "id");
	cr_assert_eq(s->model->key_index, 0);
	cr_assert_str_eq(lvt_str(s->model->version->name), "rev");
	cr_assert_eq(s->model->version_index, 4);
	unsigned want[] = { LVC_MF_KEY, LVC_MF_INDEX, 0, 0, LVC_MF_VERSION };
	int i = 0;
	for (lvc_field *f = s->fields; f; f = f->next, i++)
		cr_assert_eq(f->mflags, want[i], "field %d", i);
}

Test(model, table_defaults_to_the_name_in_lower_case)
{
	cr_assert(lvt_check("@public\nmodule m;\n@model\nstruct TodoItem { id: string @key; "
	                    "v: int @version; }\n@server.model\nitems: TodoItem;\n"), "%s",
	          lvt_diags());
	cr_assert_str_eq(lvt_str(lvt_decl("TodoItem")->model->table), "todoitem");
}

Test(model, binding_defaults_every_op_limit_100_no_allow)
{
	lvc_binding *b = binding_of(with("@server.model\ntodos: Todo;\n"), "todos");
	cr_assert_eq(b->ops, (1u << LVC_NOPS) - 1, "all six, and unsubscribe");
	cr_assert_eq(b->limit, LVC_MODEL_LIMIT_DEFAULT);
	cr_assert_not(b->allow);
	cr_assert_eq(b->nfilter, 0);
	cr_assert_eq(b->norder, 0);
	cr_assert_eq(b->model, lvt_decl("Todo"));
}

Test(model, subscribe_brings_unsubscribe)
{
	lvc_binding *b = binding_of(with("@server.model(ops: [subscribe])\ntodos: Todo;\n"), "todos");
	cr_assert_eq(b->ops, (1u << LVC_OP_SUBSCRIBE) | (1u << LVC_OP_UNSUBSCRIBE));
}

Test(model, ops_are_those_listed)
{
	lvc_binding *b = binding_of(with("@server.model(ops: [list, retrieve])\ntodos: Todo;\n"),
	                            "todos");
	cr_assert_eq(b->ops, (1u << LVC_OP_LIST) | (1u << LVC_OP_RETRIEVE));
}

Test(model, filter_and_order_are_field_indexes)
{
	lvc_binding *b = binding_of(with("@server.model(filter: [done, owner], order: [rev], "
	                                 "limit: 10000, allow)\ntodos: Todo;\n"), "todos");
	cr_assert_eq(b->nfilter, 2);
	cr_assert_eq(b->filter[0], 3);
	cr_assert_eq(b->filter[1], 1);
	cr_assert_eq(b->norder, 1);
	cr_assert_eq(b->order[0], 4);
	cr_assert_eq(b->limit, 10000);
	cr_assert(b->allow);
}

Test(model, binding_takes_the_module_policy_or_its_own)
{
	cr_assert(lvt_check(with("@server.model\ntodos: Todo;\n@public @server.model(ops: [list])\n"
	                         "pub: Todo;\n")), "%s", lvt_diags());
	lvc_decl *d = lvt_decl("todos");
	cr_assert_eq(d->policy.access, LVC_ACCESS_AUTH);
	cr_assert_eq(d->policy.nroles, 1);
	cr_assert_str_eq(lvt_str(d->policy.roles[0]), "user");
	cr_assert_eq(lvt_decl("pub")->policy.access, LVC_ACCESS_PUBLIC);
}

Test(model, a_binding_may_come_before_its_model)
{
	cr_assert(lvt_check("@public\nmodule m;\n@server.model(filter: [n])\nthings: Thing;\n"
	                    "@model\nstruct Thing { id: int @key; n: int; v: int @version; }\n"),
	          "%s", lvt_diags());
	cr_assert_eq(lvt_decl("things")->binding->filter[0], 1);
}

Test(model, op_names_are_the_wire_words)
{
	cr_assert_str_eq(lvc_model_op_name(LVC_OP_RETRIEVE), "retrieve");
	cr_assert_str_eq(lvc_model_op_name(LVC_OP_UNSUBSCRIBE), "unsubscribe");
	cr_assert_str_eq(lvc_model_op_name(LVC_NOPS), "?");
}

Test(model, one_report_for_a_wrong_key)
{
	cr_assert_not(lvt_check("@public\nmodule m;\n@model\nstruct T { id: float @key; "
	                        "v: int @version; }\n@server.model\nt: T;\n"));
	cr_assert_eq(lvt_count("error:"), 1, "no 'has no key' after the wrong one:\n%s",
	             lvt_diags());
}

Test(model, unbound_model_is_not_unused)
{
	cr_assert(lvt_check("@public\nmodule m;\n@model\nstruct T { id: int @key; "
	                    "v: int @version; }\n"), "%s", lvt_diags());
	cr_assert_eq(lvt_count("never used"), 0, "%s", lvt_diags());
}
