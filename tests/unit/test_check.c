/* test_check.c - names, types, decorators and endpoint policy
 * (compiler/check.c): the policy the checker fills in, and each family of
 * error it reports. */
#include <criterion/criterion.h>

#include "unit.h"

TestSuite(policy, .init = lvt_open, .fini = lvt_close);
TestSuite(decorators, .init = lvt_open, .fini = lvt_close);
TestSuite(events, .init = lvt_open, .fini = lvt_close);
TestSuite(types, .init = lvt_open, .fini = lvt_close);
TestSuite(defaults, .init = lvt_open, .fini = lvt_close);
TestSuite(names, .init = lvt_open, .fini = lvt_close);
TestSuite(structs, .init = lvt_open, .fini = lvt_close);
TestSuite(modules, .init = lvt_open, .fini = lvt_close);
TestSuite(warnings, .init = lvt_open, .fini = lvt_close);

/* Checks `text`, which must be clean, and returns the policy of `name`. */
static lvc_policy *
policy_of(const char *text, const char *name)
{
	cr_assert(lvt_check(text), "%s", lvt_diags());
	lvc_decl *d = lvt_decl(name);
	cr_assert_not_null(d, "no declaration '%s'", name);
	return &d->policy;
}

/* Checks `text`, which must fail with an error containing `msg`. */
static void
fails(const char *text, const char *msg)
{
	cr_assert_not(lvt_check(text), "no error for:\n%s", text);
	cr_assert(lvt_has(msg), "expected \"%s\" in:\n%s", msg, lvt_diags());
}

/* ---- policy ---------------------------------------------------------------- */

Test(policy, public_rpc_with_runtime_defaults)
{
	lvc_policy *p = policy_of("module m;\n@public @server.rpc\nf() -> void;\n", "f");
	lvc_decl *f = lvt_decl("f");
	cr_assert_eq(f->ekind, LVC_E_SERVER_RPC);
	cr_assert_not_null(f->kind_deco);
	cr_assert_eq(p->access, LVC_ACCESS_PUBLIC);
	cr_assert_eq(p->nroles, 0);
	cr_assert_not(p->http);
	cr_assert_eq(p->timeout_ms, 0, "0: the runtime's default");
	cr_assert_not(p->volatile_delivery);
	cr_assert_eq(p->max_bytes, 0);
	cr_assert_eq(p->rate_count, 0);
}

Test(policy, rpc_arguments_fill_the_policy)
{
	lvc_policy *p = policy_of("module m;\n@auth(\"admin\", \"ops\")\n"
	                          "@server.rpc(http, timeout: 5s, delivery: volatile, max: 64k, "
	                          "rate: 10/s)\nf() -> void;\n", "f");
	cr_assert_eq(p->access, LVC_ACCESS_AUTH);
	cr_assert_eq(p->nroles, 2);
	cr_assert_str_eq(lvt_str(p->roles[0]), "admin");
	cr_assert_str_eq(lvt_str(p->roles[1]), "ops");
	cr_assert(p->http);
	cr_assert_eq(p->timeout_ms, 5000);
	cr_assert(p->volatile_delivery);
	cr_assert_eq(p->max_bytes, 65536);
	cr_assert_eq(p->rate_count, 10);
	cr_assert_eq(p->rate_per_ms, 1000);
}

Test(policy, http_flag_in_both_spellings)
{
	cr_assert(policy_of("module m;\n@public @server.rpc(http: true)\nf() -> void;\n",
	                    "f")->http);
	lvt_close();
	lvt_open();
	cr_assert_not(policy_of("module m;\n@public @server.rpc(http: false)\ng() -> void;\n",
	                        "g")->http);
}

Test(policy, reliable_delivery_is_not_volatile)
{
	cr_assert_not(policy_of("module m;\n@public @server.realtime(delivery: reliable)\nf();\n",
	                        "f")->volatile_delivery);
}

Test(policy, module_auth_is_inherited_by_exposed_endpoints)
{
	cr_assert(lvt_check("@auth(\"member\")\nmodule m;\n@server.rpc\nf() -> void;\n"
	                    "@server.realtime\ng();\n@client.callback\nh();\n"), "%s",
	          lvt_diags());
	for (const char *const *n = (const char *const[]){ "f", "g", "h", NULL }; *n; n++) {
		lvc_policy *p = &lvt_decl(*n)->policy;
		cr_assert_eq(p->access, LVC_ACCESS_AUTH, "%s", *n);
		cr_assert_eq(p->nroles, 1, "%s", *n);
		cr_assert_str_eq(lvt_str(p->roles[0]), "member");
	}
}

Test(policy, module_public_is_inherited)
{
	cr_assert_eq(policy_of("@public\nmodule m;\n@server.rpc\nf() -> void;\n", "f")->access,
	             LVC_ACCESS_PUBLIC);
}

Test(policy, endpoint_policy_overrides_the_module)
{
	cr_assert_eq(policy_of("@auth(\"member\")\nmodule m;\n@public @server.rpc\n"
	                       "f() -> void;\n", "f")->access, LVC_ACCESS_PUBLIC);
}

Test(policy, endpoints_a_page_cannot_call_get_no_access_policy)
{
	cr_assert(lvt_check("@auth(\"member\")\nmodule m;\n@client.rpc\nask() -> bool;\n"
	                    "@client.realtime\npush();\n@server.on(connect)\nhello();\n"),
	          "%s", lvt_diags());
	cr_assert_eq(lvt_decl("ask")->policy.access, LVC_ACCESS_NONE);
	cr_assert_eq(lvt_decl("push")->policy.access, LVC_ACCESS_NONE);
	cr_assert_eq(lvt_decl("hello")->policy.access, LVC_ACCESS_NONE);
}

Test(policy, callback_defaults)
{
	lvc_policy *p = policy_of("module m;\n@public @client.callback\nsend_clicked(text: string);\n",
	                          "send_clicked");
	cr_assert_str_eq(lvt_str(p->dom_event), "click", "a callback fires on click");
	cr_assert_str_eq(lvt_str(p->group), "send_clicked", "each callback is its own group");
	cr_assert_eq(p->concurrency, 0, "serial");
	cr_assert_eq(p->nblocks, 0);
	cr_assert_eq(p->debounce_ms, 0);
	cr_assert_eq(p->confirm.n, 0);
}

Test(policy, callback_arguments)
{
	lvc_policy *p = policy_of(
		"module m;\n@public\n@client.callback(event: input, group: \"edit\", "
		"concurrency: parallel, blocks: [\"send\", \"load\"], debounce: 300ms, "
		"confirm: \"Sure?\", max: 1k, rate: 5/m)\nedited(text: string);\n", "edited");
	cr_assert_str_eq(lvt_str(p->dom_event), "input");
	cr_assert_str_eq(lvt_str(p->group), "edit");
	cr_assert_eq(p->concurrency, 1);
	cr_assert_eq(p->nblocks, 2);
	cr_assert_str_eq(lvt_str(p->blocks[0]), "send");
	cr_assert_str_eq(lvt_str(p->blocks[1]), "load");
	cr_assert_eq(p->debounce_ms, 300);
	cr_assert_str_eq(lvt_str(p->confirm), "Sure?");
	cr_assert_eq(p->max_bytes, 1024);
	cr_assert_eq(p->rate_count, 5);
	cr_assert_eq(p->rate_per_ms, 60000);
}

Test(policy, receive_serial_and_zero_debounce)
{
	lvc_policy *p = policy_of("module m;\n@public\n@client.callback(concurrency: "
	                          "receive_serial, debounce: 0ms)\nf();\n", "f");
	cr_assert_eq(p->concurrency, 2);
	cr_assert_eq(p->debounce_ms, 0, "a zero debounce is allowed: no debounce");
}

Test(policy, callbacks_sharing_a_group_and_its_model)
{
	cr_assert(lvt_check("module m;\n@public\n"
	                    "@client.callback(group: \"g\", concurrency: parallel)\na();\n"
	                    "@public @client.callback(group: \"g\", concurrency: parallel)\nb();\n"),
	          "%s", lvt_diags());
}

Test(policy, client_side_arguments)
{
	cr_assert(lvt_check("module m;\n@client.rpc(timeout: 2m)\nask() -> bool;\n"
	                    "@client.realtime(delivery: volatile)\npush();\n"), "%s", lvt_diags());
	cr_assert_eq(lvt_decl("ask")->policy.timeout_ms, 120000);
	cr_assert(lvt_decl("push")->policy.volatile_delivery);
	cr_assert_eq(lvt_decl("push")->ekind, LVC_E_CLIENT_REALTIME);
}

Test(policy, state_scope_and_flush)
{
	cr_assert(lvt_check("module m;\nstruct S { x: int; }\n"
	                    "@public @server.state(scope: group, flush: 50ms)\na: S;\n"
	                    "@public @server.state(flush: manual)\nb: list<S>;\n"
	                    "@public @server.state(scope: global, flush: 0ms)\nc: map<S>;\n"
	                    "@auth(\"u\") @client.state\nd: S;\n"), "%s", lvt_diags());
	cr_assert_eq(lvt_decl("a")->kind, LVC_D_STATE);
	cr_assert_eq(lvt_decl("a")->ekind, LVC_E_SERVER_STATE);
	cr_assert_eq(lvt_decl("a")->policy.scope, LVC_SCOPE_GROUP);
	cr_assert_eq(lvt_decl("a")->policy.flush_ms, 50);
	cr_assert_eq(lvt_decl("b")->policy.scope, LVC_SCOPE_CONN);
	cr_assert_eq(lvt_decl("b")->policy.flush_ms, LVC_FLUSH_MANUAL);
	cr_assert_eq(lvt_decl("c")->policy.scope, LVC_SCOPE_GLOBAL);
	cr_assert_eq(lvt_decl("c")->policy.flush_ms, 0);
	cr_assert_eq(lvt_decl("d")->ekind, LVC_E_CLIENT_STATE);
	cr_assert_eq(lvt_decl("d")->policy.flush_ms, LVC_FLUSH_DEFAULT_MS);
	cr_assert_eq(lvt_decl("d")->policy.access, LVC_ACCESS_AUTH);
}

Test(policy, endpoint_kind_helpers)
{
	cr_assert_str_eq(lvc_endpoint_kind_name(LVC_E_CLIENT_CALLBACK), "client.callback");
	cr_assert_str_eq(lvc_endpoint_kind_name(LVC_E_SERVER_ON), "server.on");
	cr_assert_str_eq(lvc_endpoint_kind_name(LVC_E_NONE), "endpoint");
	cr_assert(lvc_endpoint_is_server(LVC_E_CLIENT_CALLBACK), "a callback runs in C");
	cr_assert_not(lvc_endpoint_is_server(LVC_E_CLIENT_RPC));
	cr_assert(lvc_endpoint_is_exposed(LVC_E_SERVER_REALTIME));
	cr_assert_not(lvc_endpoint_is_exposed(LVC_E_SERVER_ON));
}

/* ---- decorators ----------------------------------------------------------- */

Test(decorators, endpoint_without_a_kind)
{
	fails("module m;\n@public\nf() -> void;\n",
	      "t.lv:3:1: error: endpoint 'f' has no kind; put one of @server.rpc,");
}

Test(decorators, two_kinds)
{
	fails("module m;\n@public @server.rpc @server.realtime\nf() -> void;\n",
	      "t.lv:2:21: error: 'f' already has a kind");
	cr_assert(lvt_has("t.lv:2:9: note: it is declared server.rpc here"), "%s", lvt_diags());
}

Test(decorators, unknown_decorator_with_a_suggestion)
{
	fails("module m;\n@public @server.rcp\nf() -> void;\n",
	      "t.lv:2:9: error: unknown decorator '@server.rcp'");
	cr_assert(lvt_has("note: did you mean '@server.rpc'?"), "%s", lvt_diags());
}

Test(decorators, unknown_decorator_lists_them_all)
{
	fails("module m;\n@public @server.rpc @frobnicate\nf() -> void;\n",
	      "t.lv:2:21: error: unknown decorator '@frobnicate'");
	cr_assert(lvt_has("t.lv:2:21: note: the decorators are @server.rpc"), "%s", lvt_diags());
	static const char *const all[] = {
		"server.realtime", "server.on", "client.rpc", "client.realtime",
		"client.callback", "client.on", "auth", "public",
	};
	for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
		cr_assert(lvt_has(all[i]), "'%s' missing from %s", all[i], lvt_diags());
}

/* Each name in the list carries its '@' (it once had only the first). */
Test(decorators, every_listed_decorator_has_its_at_sign)
{
	fails("module m;\n@public @server.rpc @frobnicate\nf() -> void;\n",
	      "note: the decorators are @server.rpc, @server.realtime, @server.on, "
	      "@client.rpc, @client.realtime, @client.callback, @client.on, @server.state, "
	      "@client.state, @server.model, @auth, @public\n");
}

Test(decorators, no_access_policy)
{
	fails("module m;\n@server.rpc\nf() -> void;\n",
	      "t.lv:3:1: error: server.rpc 'f' has no access policy; add @auth(\"ROLE\") or "
	      "@public to it or to its module");
}

Test(decorators, callback_needs_a_policy_too)
{
	fails("module m;\n@client.callback\nf();\n", "client.callback 'f' has no access policy");
}

Test(decorators, two_policies)
{
	fails("module m;\n@public @auth(\"a\") @server.rpc\nf() -> void;\n",
	      "t.lv:2:9: error: 'f' already has an access policy");
	cr_assert(lvt_has("t.lv:2:1: note: the policy is set here"), "%s", lvt_diags());
}

Test(decorators, policy_on_an_endpoint_a_page_cannot_call)
{
	fails("module m;\n@public @client.realtime\nf();\n",
	      "t.lv:2:1: error: @public does not apply to client.realtime 'f': a page cannot "
	      "call it");
}

Test(decorators, public_takes_no_arguments)
{
	fails("module m;\n@public() @server.rpc\nf() -> void;\n", "@public takes no arguments");
}

Test(decorators, auth_needs_roles)
{
	fails("module m;\n@auth @server.rpc\nf() -> void;\n",
	      "error: @auth names at least one role: @auth(\"member\"); @auth(\"*\") admits any "
	      "authenticated connection");
}

Test(decorators, auth_roles_are_non_empty_strings)
{
	fails("module m;\n@auth(role: \"a\", 1, \"\") @server.rpc\nf() -> void;\n",
	      "t.lv:2:7: error: @auth takes role names only, not 'role:'");
	cr_assert(lvt_has("t.lv:2:18: error: a role must be a string, got an integer"), "%s",
	          lvt_diags());
	cr_assert(lvt_has("t.lv:2:21: error: a role must not be empty"), "%s", lvt_diags());
	cr_assert_eq(c.errors, 3);
}

Test(decorators, unknown_argument_lists_the_known_ones)
{
	fails("module m;\n@public @server.rpc(retries: 3)\nf() -> void;\n",
	      "t.lv:2:21: error: unknown argument 'retries' for @server.rpc");
	cr_assert(lvt_has("note: @server.rpc takes http, timeout, delivery, max, rate"), "%s",
	          lvt_diags());
}

Test(decorators, flag_of_another_kind_is_unknown)
{
	fails("module m;\n@public @server.realtime(http)\nf();\n",
	      "unknown argument 'http' for @server.realtime");
}

Test(decorators, argument_given_twice)
{
	fails("module m;\n@public @server.rpc(timeout: 1s, timeout: 2s)\nf() -> void;\n",
	      "t.lv:2:34: error: argument 'timeout' given twice");
	cr_assert(lvt_has("t.lv:2:21: note: first given here"), "%s", lvt_diags());
}

Test(decorators, positional_value)
{
	fails("module m;\n@public @server.rpc(5s)\nf() -> void;\n",
	      "error: @server.rpc takes named arguments (name: value)");
}

Test(decorators, argument_needs_a_value)
{
	fails("module m;\n@public @server.rpc(timeout)\nf() -> void;\n",
	      "error: 'timeout' needs a value: timeout: VALUE");
}

Test(decorators, flag_with_a_non_boolean)
{
	fails("module m;\n@public @server.rpc(http: 1)\nf() -> void;\n",
	      "error: 'http' is a flag: write 'http' or 'http: true'");
}

Test(decorators, wrong_kind_of_value)
{
	fails("module m;\n@public @server.rpc(timeout: 5, max: 5s, rate: 10)\nf() -> void;\n",
	      "error: 'timeout' of @server.rpc takes a duration such as 250ms or 5s, got an "
	      "integer");
	cr_assert(lvt_has("error: 'max' of @server.rpc takes a size such as 64k or 1M, got a "
	                  "duration"), "%s", lvt_diags());
	cr_assert(lvt_has("error: 'rate' of @server.rpc takes a rate such as 10/s, got an "
	                  "integer"), "%s", lvt_diags());
}

Test(decorators, zero_is_not_a_limit)
{
	fails("module m;\n@public @server.rpc(timeout: 0s, max: 0B, rate: 0/s)\nf() -> void;\n",
	      "error: 'timeout' must be greater than zero");
	cr_assert(lvt_has("error: 'max' must be greater than zero"), "%s", lvt_diags());
	cr_assert(lvt_has("error: 'rate' must be greater than zero"), "%s", lvt_diags());
}

Test(decorators, choice_out_of_its_set)
{
	fails("module m;\n@public @server.rpc(delivery: fast)\nf() -> void;\n",
	      "t.lv:2:31: error: 'delivery' of @server.rpc is one of reliable, volatile");
	cr_assert_not(lvt_has("note"), "%s", lvt_diags());
}

Test(decorators, concurrency_out_of_its_set)
{
	fails("module m;\n@public @client.callback(concurrency: \"serial\")\nf();\n",
	      "'concurrency' of @client.callback is one of serial, parallel, receive_serial");
}

Test(decorators, callback_string_arguments)
{
	fails("module m;\n@public @client.callback(group: \"\", confirm: 3, blocks: \"a\", "
	      "event: \"click\")\nf();\n", "error: group must not be empty");
	cr_assert(lvt_has("error: confirm must be a string, got an integer"), "%s", lvt_diags());
	cr_assert(lvt_has("error: 'blocks' of @client.callback is a list of group names: "
	                  "[\"a\", \"b\"]"), "%s", lvt_diags());
	cr_assert(lvt_has("error: 'event' of @client.callback is a DOM event name such as "
	                  "click, input or submit"), "%s", lvt_diags());
}

Test(decorators, blocked_group_names_are_strings)
{
	fails("module m;\n@public @client.callback(blocks: [\"a\", b])\nf();\n",
	      "error: a group name must be a string, got a name");
}

Test(decorators, group_with_two_models)
{
	fails("module m;\n@public @client.callback(group: \"g\")\na();\n"
	      "@public @client.callback(group: \"g\", concurrency: parallel)\nb();\n",
	      "t.lv:5:1: error: group 'g' is parallel here but serial for 'a'");
	cr_assert(lvt_has("t.lv:3:1: note: 'a' is declared here"), "%s", lvt_diags());
}

Test(decorators, decorators_on_types)
{
	fails("module m;\n@public\nstruct A { a: int; }\n@public @server.rpc\nf(a: A) -> void;\n",
	      "t.lv:2:1: error: a struct takes no decorator but @model");
}

/* A broken module policy is reported once, not again for every endpoint
 * that inherits it (three endpoints once gave four copies). */
Test(decorators, bad_module_policy_is_reported_once)
{
	fails("@auth()\nmodule m;\n@server.rpc\nf() -> void;\n@server.rpc\ng() -> void;\n"
	      "@server.realtime\nh();\n", "@auth names at least one role");
	cr_assert_eq(lvt_count("@auth names at least one role"), 1, "%s", lvt_diags());
}

/* A literal already reported as malformed is not judged again: 1.5ms once
 * also drew "'timeout' must be greater than zero". */
Test(decorators, bad_literal_is_not_reported_twice)
{
	fails("module m;\n@public @server.rpc(timeout: 1.5ms)\nf() -> void;\n",
	      "'1.5ms' is not a whole number of milliseconds");
	cr_assert_eq(c.errors, 1, "%s", lvt_diags());
}

/* ---- events ---------------------------------------------------------------- */

Test(events, lifecycle_and_custom_events)
{
	cr_assert(lvt_check("module m;\n@server.on(connect)\nhello();\n"
	                    "@server.on(\"room_closed\")\nclosed(room: string);\n"
	                    "@client.on(ready)\nready();\n@client.on(\"app:tick-1.0\")\ntick();\n"),
	          "%s", lvt_diags());
	lvc_decl *hello = lvt_decl("hello"), *closed = lvt_decl("closed");
	cr_assert_eq(hello->ekind, LVC_E_SERVER_ON);
	cr_assert(hello->policy.lifecycle);
	cr_assert_str_eq(lvt_str(hello->policy.event), "connect");
	cr_assert_not(closed->policy.lifecycle);
	cr_assert_str_eq(lvt_str(closed->policy.event), "room_closed");
	cr_assert(lvt_decl("ready")->policy.lifecycle);
	cr_assert_str_eq(lvt_str(lvt_decl("tick")->policy.event), "app:tick-1.0");
}

Test(events, same_event_name_on_both_sides_is_fine)
{
	cr_assert(lvt_check("module m;\n@server.on(connect)\na();\n@client.on(connect)\nb();\n"),
	          "%s", lvt_diags());
}

Test(events, unknown_lifecycle_event_with_a_suggestion)
{
	fails("module m;\n@server.on(conect)\nf();\n",
	      "t.lv:2:12: error: unknown server lifecycle event 'conect'");
	cr_assert(lvt_has("note: did you mean 'connect'?"), "%s", lvt_diags());
}

Test(events, unknown_lifecycle_event_lists_them)
{
	fails("module m;\n@client.on(start)\nf();\n", "unknown client lifecycle event 'start'");
	cr_assert(lvt_has("note: lifecycle events are ready, connect, disconnect; a custom "
	                  "event is a string: @client.on(\"start\")"), "%s", lvt_diags());
}

Test(events, event_is_required)
{
	fails("module m;\n@server.on\nf();\n",
	      "error: @server.on needs an event: @server.on(connect) or @server.on(\"custom\")");
}

Test(events, second_handler)
{
	fails("module m;\n@server.on(\"x\")\na(n: int);\n@server.on(\"x\")\nb(n: int);\n",
	      "t.lv:4:12: error: a second handler for server event 'x'");
	cr_assert(lvt_has("t.lv:3:1: note: the first handler is 'a'"), "%s", lvt_diags());
}

Test(events, custom_event_name_characters)
{
	fails("module m;\n@server.on(\"has space\")\nf();\n",
	      "error: a custom event name is 1 to 64 letters, digits, '_', '.', ':' or '-'");
}

Test(events, event_of_the_wrong_kind)
{
	fails("module m;\n@server.on(5)\nf();\n",
	      "error: @server.on takes an event: a lifecycle name (start, stop, connect, "
	      "disconnect) or a custom event as a string");
}

Test(events, second_positional_event)
{
	fails("module m;\n@server.on(connect, stop)\nf();\n", "t.lv:2:21: error: ");
	cr_assert_eq(c.errors, 1, "%s", lvt_diags());
	cr_assert(lvt_has("stop"), "%s", lvt_diags());
}

Test(events, lifecycle_event_takes_no_parameters)
{
	fails("module m;\n@client.on(ready)\nf(x: int);\n",
	      "t.lv:3:3: error: lifecycle event 'ready' carries no data, so 'f' takes no "
	      "parameters");
}

Test(events, results_belong_to_rpcs)
{
	fails("module m;\n@public @server.rpc\nf();\n",
	      "t.lv:3:1: error: server.rpc 'f' has no result type; write '-> void' if it "
	      "answers with nothing");
	lvt_close();
	lvt_open();
	fails("module m;\n@client.realtime\ng() -> int;\n",
	      "t.lv:3:8: error: client.realtime 'g' is fire-and-forget and cannot return a "
	      "value");
}

/* ---- types -------------------------------------------------------------------- */

Test(types, builtins_resolve)
{
	cr_assert(lvt_check("module m;\nstruct A { a: bool; b: int; c: float; d: string; "
	                    "e: bytes; f: json; g: list<A>; h: map<int>; i: A?; }\n"
	                    "@public @server.rpc\nf(a: A) -> void;\n"), "%s", lvt_diags());
	static const lvc_type_kind want[] = {
		LVC_T_BOOL, LVC_T_INT, LVC_T_FLOAT, LVC_T_STRING, LVC_T_BYTES, LVC_T_JSON,
		LVC_T_LIST, LVC_T_MAP, LVC_T_OPTIONAL,
	};
	int i = 0;
	for (lvc_field *f = lvt_decl("A")->fields; f; f = f->next, i++)
		cr_assert_eq(f->type->kind, want[i], "field %d", i);
	lvc_decl *a = lvt_decl("A");
	cr_assert_eq(a->fields->next->next->next->next->next->next->type->elem->ref, a);
	cr_assert_eq(lvt_decl("f")->result->kind, LVC_T_VOID);
}

Test(types, unknown_type_suggests_a_declared_one)
{
	fails("module m;\nstruct Message { id: int; }\n@public @server.rpc\n"
	      "get(id: int) -> Mesage;\n", "t.lv:4:17: error: unknown type 'Mesage'");
	cr_assert(lvt_has("t.lv:2:8: note: did you mean 'Message'?"), "%s", lvt_diags());
}

Test(types, unknown_type_suggests_a_builtin)
{
	fails("module m;\n@public @server.rpc\nf(a: strng) -> void;\n", "unknown type 'strng'");
	cr_assert(lvt_has("t.lv:3:6: note: did you mean 'string'?"), "%s", lvt_diags());
}

Test(types, unknown_type_far_from_anything)
{
	fails("module m;\n@public @server.rpc\nf(a: Zebra) -> void;\n", "unknown type 'Zebra'");
	cr_assert_not(lvt_has("did you mean"), "%s", lvt_diags());
}

Test(types, generic_arguments)
{
	fails("module m;\nstruct A { a: list; b: map<string, int>; c: int<A>; "
	      "d: A<int>; e: list<int, int>; }\n",
	      "error: 'list' needs an element type: list<T>");
	cr_assert(lvt_has("error: map takes one type argument, its values' type; its keys "
	                  "are always strings: write map<T>"), "%s", lvt_diags());
	cr_assert(lvt_has("error: 'int' takes no type arguments\n"), "%s", lvt_diags());
	cr_assert(lvt_has("error: 'A' takes no type arguments; only list and map do"), "%s",
	          lvt_diags());
	cr_assert(lvt_has("error: list takes one type argument: list<T>"), "%s", lvt_diags());
}

Test(types, void_is_only_a_result)
{
	fails("module m;\nstruct A { a: void; b: list<void>; }\n",
	      "t.lv:2:15: error: 'void' is only a result type ('-> void')");
	cr_assert_eq(lvt_count("'void' is only a result type"), 2, "%s", lvt_diags());
	lvt_close();
	lvt_open();
	fails("module m;\n@public @server.rpc\nf() -> void?;\n", "'void' is only a result type");
}

Test(types, optional_of_optional)
{
	fails("module m;\nstruct A { a: int??; }\n",
	      "t.lv:2:15: error: an optional type cannot be optional again (T?\?)");
}

Test(types, qualified_names)
{
	cr_assert(lvt_check("module m;\nstruct A { a: int; }\nstruct B { b: m.A; }\n"
	                    "@public @server.rpc\nf(b: B) -> void;\n"), "%s", lvt_diags());
	cr_assert_eq(lvt_decl("B")->fields->type->ref, lvt_decl("A"));
	lvt_close();
	lvt_open();
	fails("module m;\nstruct A { a: int; }\nstruct B { b: other.A; c: a.b.A; }\n",
	      "error: unknown type 'other.A'");
	cr_assert(lvt_has("error: a type name is NAME or MODULE.NAME"), "%s", lvt_diags());
}

Test(types, endpoint_is_not_a_type)
{
	fails("module m;\n@public @server.rpc\nf() -> void;\nstruct A { a: f; }\n",
	      "t.lv:4:15: error: 'f' is an endpoint, not a type");
	cr_assert(lvt_has("t.lv:3:1: note: 'f' is declared here"), "%s", lvt_diags());
}

Test(types, optional_list_items_and_map_values)
{
	fails("module m;\nstruct A { a: list<int?>; b: map<string?>; }\n",
	      "error: list items cannot be optional");
	cr_assert(lvt_has("error: map values cannot be optional"), "%s", lvt_diags());
}

/* ---- defaults --------------------------------------------------------------------- */

Test(defaults, values_that_fit)
{
	cr_assert(lvt_check("module m;\nenum E { a, b }\nstruct S {\n  i: int = -3;\n"
	                    "  f: float = 2;\n  g: float = 2.5;\n  s: string = \"x\";\n"
	                    "  b: bool = false;\n  o: int? = null;\n  e: E = b;\n"
	                    "  l: list<int> = [1, 2];\n  m: map<int> = {};\n"
	                    "  j: json = [1, \"a\", null, {}];\n}\n"
	                    "@public @server.rpc\nf(s: S) -> void;\n"), "%s", lvt_diags());
}

Test(defaults, int_takes_no_fraction)
{
	fails("module m;\n@public @server.rpc\nf(a: int = 1.5) -> void;\n",
	      "t.lv:3:12: error: default for 'a' does not fit int: got a float");
	cr_assert(lvt_has("an int default is a whole number"), "%s", lvt_diags());
}

Test(defaults, null_needs_an_optional)
{
	fails("module m;\n@public @server.rpc\nf(a: string = null) -> void;\n",
	      "t.lv:3:15: error: default for 'a' does not fit string: got null");
	cr_assert(lvt_has("only an optional type (T?) takes null"), "%s", lvt_diags());
}

Test(defaults, enum_member)
{
	fails("module m;\nenum E { a, b }\n@public @server.rpc\nf(e: E = c) -> void;\n",
	      "t.lv:4:10: error: 'c' is not a member of enum E");
	cr_assert(lvt_has("t.lv:2:6: note: E is declared here"), "%s", lvt_diags());
}

Test(defaults, bytes_and_structs_take_none)
{
	fails("module m;\nstruct A { a: int; }\nstruct B { x: bytes = \"\"; y: A = {}; }\n",
	      "t.lv:3:23: error: default for 'x' does not fit bytes");
	cr_assert(lvt_has("bytes take no default"), "%s", lvt_diags());
	cr_assert(lvt_has("t.lv:3:34: error: default for 'y' does not fit A"), "%s", lvt_diags());
	cr_assert(lvt_has("a struct takes no default"), "%s", lvt_diags());
}

Test(defaults, list_items_are_checked_one_by_one)
{
	fails("module m;\nstruct A { l: list<int> = [1, \"two\", 3]; }\n",
	      "t.lv:2:31: error: an item of the default for 'l' does not fit int: got a string");
	cr_assert_eq(c.errors, 1, "%s", lvt_diags());
}

Test(defaults, json_takes_no_bare_name)
{
	fails("module m;\nstruct A { j: json = hello; }\n",
	      "t.lv:2:22: error: default for 'j' does not fit json: got a name");
}

/* ---- names ------------------------------------------------------------------------- */

Test(names, duplicate_declaration)
{
	fails("module m;\nstruct A { a: int; }\nenum A { x }\n",
	      "t.lv:3:6: error: 'A' is already declared");
	cr_assert(lvt_has("t.lv:2:8: note: the previous declaration is here"), "%s",
	          lvt_diags());
}

Test(names, duplicate_field_param_and_member)
{
	fails("module m;\nstruct A { a: int; a: string; }\nenum E { x, y, x }\n"
	      "@public @server.rpc\nf(p: A, p: E) -> void;\n",
	      "t.lv:2:20: error: duplicate field 'a'");
	cr_assert(lvt_has("t.lv:2:12: note: 'a' was first declared here"), "%s", lvt_diags());
	cr_assert(lvt_has("t.lv:3:16: error: duplicate member 'x' in enum E"), "%s",
	          lvt_diags());
	cr_assert(lvt_has("t.lv:5:9: error: duplicate parameter 'p'"), "%s", lvt_diags());
}

Test(names, empty_struct_and_enum)
{
	fails("module m;\nstruct A { }\nenum E { }\n", "t.lv:2:8: error: struct 'A' has no fields");
	cr_assert(lvt_has("t.lv:3:6: error: enum 'E' has no members"), "%s", lvt_diags());
}

Test(names, names_reserved_for_generated_code)
{
	fails("module m;\nstruct _A { a: int; }\nstruct B__c { a: int; }\nstruct lv_x { a: int; }\n"
	      "struct C { _f: int; }\nenum E { _m }\n",
	      "error: struct name '_A' may not begin with '_' or contain '__' (reserved for "
	      "generated code)");
	cr_assert(lvt_has("error: struct name 'B__c' may not begin"), "%s", lvt_diags());
	cr_assert(lvt_has("error: struct name 'lv_x' is reserved for the lv runtime"), "%s",
	          lvt_diags());
	cr_assert(lvt_has("error: field name '_f' may not begin with '_'"), "%s", lvt_diags());
	cr_assert(lvt_has("error: member name '_m' may not begin with '_'"), "%s", lvt_diags());
}

Test(names, reserved_module_name)
{
	fails("module lv;\n", "t.lv:1:8: error: module name 'lv' is reserved for the lv runtime");
}

Test(names, builtin_and_typescript_names)
{
	fails("module m;\nstruct int { a: int; }\nstruct Promise { a: int; }\n",
	      "t.lv:2:8: error: 'int' is a built-in type");
	cr_assert(lvt_has("t.lv:3:8: error: struct name 'Promise' is a type TypeScript "
	                  "already defines"), "%s", lvt_diags());
}

Test(names, words_c_and_javascript_reserve)
{
	fails("module m;\nstruct A { int: int; }\n@public @server.rpc\n"
	      "f(class: int, call: int) -> void;\n@public @server.rpc\ndelete() -> void;\n",
	      "t.lv:2:12: error: field name 'int' is a reserved word in C");
	cr_assert(lvt_has("error: parameter name 'class' is a reserved word in JavaScript"),
	          "%s", lvt_diags());
	cr_assert(lvt_has("error: parameter name 'call' is taken by the generated C functions"),
	          "%s", lvt_diags());
	cr_assert(lvt_has("error: endpoint name 'delete' is a reserved word in JavaScript"),
	          "%s", lvt_diags());
}

Test(names, javascript_words_are_fine_as_fields)
{
	cr_assert(lvt_check("module m;\nstruct A { class: int; }\n@public @server.rpc\n"
	                    "f(a: A) -> void;\n"), "%s", lvt_diags());
}

Test(names, presence_flag_clash)
{
	fails("module m;\nstruct A { x: int?; has_x: bool; }\n",
	      "t.lv:2:21: error: field 'has_x' clashes with the presence flag that optional 'x' "
	      "has in C");
	cr_assert(lvt_has("t.lv:2:12: note: 'x' is declared here"), "%s", lvt_diags());
}

Test(names, generated_c_names_clash)
{
	fails("module m;\nstruct A { a: int; }\nstruct A_list { a: int; }\n"
	      "@public @server.rpc\nf(a: A, b: A_list) -> void;\n",
	      "t.lv:3:8: error: 'A_list' would generate the C name 'm_A_list', which 'A' "
	      "generates too");
	cr_assert(lvt_has("t.lv:2:8: note: 'A' is declared here"), "%s", lvt_diags());
}

Test(names, enum_member_c_name_clash)
{
	fails("module m;\nenum Color { red }\nstruct Color_red { a: int; }\n"
	      "@public @server.rpc\nf(a: Color, b: Color_red) -> void;\n",
	      "would generate the C name 'm_Color_red'");
}

Test(names, module_level_c_name_clash)
{
	fails("module m;\nstruct schema_hash { a: int; }\n@public @server.rpc\n"
	      "f(a: schema_hash) -> void;\n",
	      "t.lv:2:8: error: 'schema_hash' would generate the C name 'm_schema_hash', which "
	      "module 'm' keeps for itself");
}

/* BUG (crash on a cross-module C name clash): check_c_names stores a
 * module's own identifiers with the module itself (cast to lvc_decl *) as
 * the value. claim() only recognises that when the clash is within the
 * same module; when a declaration of module "a" clashes with an identifier
 * of module "a_b" ("a_" "b_app" == "a_b" "_app"), it reads the module as a
 * declaration and prints prev->name from garbage: a segfault. */
Test(names, cross_module_clash_with_a_module_name)
{
	/* As with an import: the main file is file 0, the imported one file 1
	 * and first in the module order. */
	lvc_source *top = lvt_load("module a;\nstruct b_app { x: int; }\n@public @server.rpc\n"
	                           "g(x: b_app) -> void;\n");
	const char *lib = "module a_b;\n";
	lvc_parse_file(&c, lvc_load_buffer(&c, "lib.lv", lib, strlen(lib)));
	lvc_parse_source(&c, top);
	cr_assert_not(lvc_check(&c));
	cr_assert(lvt_has("t.lv:2:8: error: 'b_app' would generate the C name 'a_b_app', which "
	                  "module 'a_b' keeps for itself"), "%s", lvt_diags());
}

/* ---- structs ------------------------------------------------------------------------ */

Test(structs, contains_itself)
{
	fails("module m;\nstruct Node { next: Node; }\n",
	      "t.lv:2:8: error: struct 'Node' contains itself by value, so it would be "
	      "infinitely large");
	cr_assert(lvt_has("t.lv:2:15: note: 'Node.next' holds Node by value"), "%s",
	          lvt_diags());
	cr_assert(lvt_has("note: a list<Node> or an optional Node? field breaks the cycle"),
	          "%s", lvt_diags());
}

Test(structs, cycle_through_others_is_reported_once)
{
	fails("module m;\nstruct A { b: B; }\nstruct B { c: C; }\nstruct C { a: A; }\n",
	      "error: struct 'A' contains itself by value");
	cr_assert_eq(lvt_count("contains itself"), 1, "%s", lvt_diags());
	cr_assert(lvt_has("note: 'A.b' holds B by value"), "%s", lvt_diags());
	cr_assert(lvt_has("note: 'B.c' holds C by value"), "%s", lvt_diags());
	cr_assert(lvt_has("note: 'C.a' holds A by value"), "%s", lvt_diags());
}

Test(structs, cycle_not_through_the_first_struct)
{
	fails("module m;\nstruct Top { b: B; }\nstruct B { c: C; }\nstruct C { b: B; }\n"
	      "@public @server.rpc\nf(t: Top) -> void;\n", "error: struct 'B' contains itself");
	cr_assert_not(lvt_has("struct 'Top' contains itself"), "%s", lvt_diags());
}

Test(structs, lists_and_optionals_break_cycles)
{
	cr_assert(lvt_check("module m;\nstruct Node { kids: list<Node>; parent: Node?; "
	                    "byname: map<Node>; }\n@public @server.rpc\nf(n: Node) -> void;\n"),
	          "%s", lvt_diags());
}

/* The struct-cycle search is linear: it once cleared every mark before
 * each struct's search, and 40000 structs took some 20 seconds. */
Test(structs, many_structs_check_quickly, .timeout = 10)
{
	enum { N = 40000 };
	size_t cap = 32 + (size_t)N * 32, len = 0;
	char *text = lvc_alloc(&c.arena, cap);
	len += (size_t)sprintf(text, "module m;\n");
	for (int i = 0; i < N; i++)
		len += (size_t)sprintf(text + len, "struct S%d { a: int; }\n", i);
	c.warn_on[LVC_WARN_UNUSED_TYPE] = false;
	cr_assert(lvt_check(text), "%s", lvt_diags());
}

/* BUG (stack overflow on a long chain of structs): the struct-cycle search
 * recurses once per struct held by value, with no depth bound, so a valid
 * file of 300000 structs each holding the next (9 MB, well under the 256
 * MiB file limit) overflows an 8 MB stack and lvc dies with SIGSEGV. */
Test(structs, long_chain_of_structs_does_not_crash, .timeout = 60)
{
	enum { N = 300000 };
	size_t cap = 64 + (size_t)N * 40, len = 0;
	char *text = lvc_alloc(&c.arena, cap);
	len += (size_t)sprintf(text, "module m;\n");
	for (int i = 0; i < N; i++)
		len += (size_t)sprintf(text + len, "struct S%d { a: S%d; }\n", i, i + 1);
	sprintf(text + len, "struct S%d { a: int; }\n@public @server.rpc\nf(s: S0) -> void;\n", N);
	cr_assert(lvt_check(text), "%s", lvt_diags());
}

/* ---- modules ---------------------------------------------------------------------------- */

Test(modules, same_module_in_two_files)
{
	const char *lib = "module m;\n";
	lvc_parse_file(&c, lvc_load_buffer(&c, "lib.lv", lib, strlen(lib)));
	fails("module m;\n", "t.lv:1:8: error: module 'm' is declared in two files");
	cr_assert(lvt_has("lib.lv:1:8: note: it is also declared here"), "%s", lvt_diags());
}

Test(modules, same_type_name_in_two_modules)
{
	const char *lib = "module lib;\nstruct A { a: int; }\n";
	lvc_parse_file(&c, lvc_load_buffer(&c, "lib.lv", lib, strlen(lib)));
	fails("module m;\nstruct A { a: int; }\n", "t.lv:2:8: error: 'A' is already declared");
}

Test(modules, types_from_another_module)
{
	const char *lib = "module lib;\nstruct A { a: int; }\n";
	lvc_parse_file(&c, lvc_load_buffer(&c, "lib.lv", lib, strlen(lib)));
	cr_assert(lvt_check("module m;\n@public @server.rpc\nf(a: lib.A, b: A) -> void;\n"),
	          "%s", lvt_diags());
	cr_assert_eq(lvt_decl("f")->params->type->ref, lvt_decl("A"));
	lvt_close();
	lvt_open();
	lvc_parse_file(&c, lvc_load_buffer(&c, "lib.lv", lib, strlen(lib)));
	fails("module m;\n@public @server.rpc\nf(a: m.A) -> void;\n", "unknown type 'm.A'");
}

Test(modules, module_decorators)
{
	fails("@server.rpc\nmodule m;\n",
	      "t.lv:1:1: error: @server.rpc belongs on an endpoint; a module takes @auth or "
	      "@public");
	lvt_close();
	lvt_open();
	fails("@public @auth(\"a\")\nmodule m;\n", "t.lv:1:9: error: the module already has an "
	      "access policy");
	lvt_close();
	lvt_open();
	fails("@publik\nmodule m;\n", "error: unknown decorator '@publik'");
	cr_assert(lvt_has("did you mean '@public'?"), "%s", lvt_diags());
}

/* ---- warnings ---------------------------------------------------------------------------- */

Test(warnings, unused_type)
{
	cr_assert(lvt_check("module m;\nstruct A { a: int; }\nenum E { x }\n"), "%s",
	          lvt_diags());
	cr_assert_eq(c.warnings, 2);
	cr_assert(lvt_has("t.lv:2:8: warning: struct 'A' is never used [-Wunused-type]"), "%s",
	          lvt_diags());
	cr_assert(lvt_has("t.lv:3:6: warning: enum 'E' is never used [-Wunused-type]"), "%s",
	          lvt_diags());
}

Test(warnings, type_used_by_another_type_counts_as_used)
{
	cr_assert(lvt_check("module m;\nenum E { x }\nstruct A { e: E; }\n"
	                    "@public @server.rpc\nf(a: A) -> void;\n"), "%s", lvt_diags());
	cr_assert_eq(c.warnings, 0, "%s", lvt_diags());
}

Test(warnings, unused_types_of_imported_modules_are_not_reported)
{
	const char *lib = "module lib;\nstruct A { a: int; }\n";
	lvc_parse_file(&c, lvc_load_buffer(&c, "lib.lv", lib, strlen(lib)));
	cr_assert(lvt_check("module m;\n"), "%s", lvt_diags());
	cr_assert_eq(c.warnings, 0, "%s", lvt_diags());
}

Test(warnings, dangling_doc)
{
	cr_assert(lvt_check("module m;\n@public @server.rpc\nf() -> void;\n/// Left over.\n"),
	          "%s", lvt_diags());
	cr_assert_eq(c.warnings, 1);
	cr_assert(lvt_has("t.lv:4:1: warning: doc comment is not attached to a declaration, "
	                  "field, parameter or member [-Wdangling-doc]"), "%s", lvt_diags());
}

Test(warnings, attached_docs_are_not_dangling)
{
	cr_assert(lvt_check("/// M.\nmodule m;\n/// S.\nstruct S {\n  /// F.\n  f: int;\n}\n"
	                    "/// E.\nenum E {\n  /// X.\n  x,\n}\n/// Ep.\n@public @server.rpc\n"
	                    "g(\n  /// P.\n  s: S,\n  e: E,\n) -> void;\n"), "%s", lvt_diags());
	cr_assert_eq(c.warnings, 0, "%s", lvt_diags());
}
