/* test_names.c - reserved words and generated C identifiers
 * (compiler/names.c). */
#include <criterion/criterion.h>
#include <string.h>

#include "lvc.h"

static lvc_str
S(const char *z)
{
	return (lvc_str){ z, (uint32_t)strlen(z) };
}

static bool
has_suffix(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

static int
count(const char *const *list)
{
	int n = 0;
	while (list[n])
		n++;
	return n;
}

Test(names, c_keywords_and_standard_names)
{
	static const char *const yes[] = {
		"int", "struct", "while", "sizeof", "restrict", "bool", "nullptr",
		"typeof", "static_assert", "NULL", "errno", "size_t", "int64_t",
		"uint8_t", "json_t", "stdin", "EOF",
	};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		cr_assert(lvc_is_c_keyword(S(yes[i])), "'%s' should be reserved in C", yes[i]);
	static const char *const no[] = { "id", "room", "Int", "structs", "", "_Bool2" };
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		cr_assert_not(lvc_is_c_keyword(S(no[i])), "'%s' is not a C keyword", no[i]);
}

Test(names, js_reserved_words)
{
	static const char *const yes[] = {
		"delete", "await", "yield", "class", "function", "arguments", "eval",
		"undefined", "NaN", "Infinity", "import", "export", "let", "this",
	};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		cr_assert(lvc_is_js_reserved(S(yes[i])), "'%s' should be reserved in JS", yes[i]);
	static const char *const no[] = { "send", "join", "message", "Delete", "self" };
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		cr_assert_not(lvc_is_js_reserved(S(no[i])), "'%s' is not reserved in JS", no[i]);
}

Test(names, typescript_type_names)
{
	static const char *const yes[] = {
		"string", "number", "Promise", "Record", "Array", "Map", "Date",
		"Uint8Array", "LvError",
	};
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		cr_assert(lvc_is_ts_type_name(S(yes[i])), "'%s' is a TypeScript type", yes[i]);
	cr_assert_not(lvc_is_ts_type_name(S("Message")));
	cr_assert_not(lvc_is_ts_type_name(S("promise")), "the match is case-sensitive");
}

Test(names, lookups_respect_the_slice_length)
{
	cr_assert(lvc_is_c_keyword((lvc_str){ "intx", 3 }), "\"int\" within a longer buffer");
	cr_assert_not(lvc_is_c_keyword((lvc_str){ "int", 2 }));
	cr_assert(lvc_is_js_reserved((lvc_str){ "newer", 3 }));
	cr_assert(lvc_is_ts_type_name((lvc_str){ "Mapping", 3 }));
	cr_assert_not(lvc_is_ts_type_name((lvc_str){ "Mapping", 4 }));
}

/* Every list is NULL-terminated, without repeats, and each suffix is empty
 * or starts with '_' so that "chat_" NAME SUFFIX stays one identifier. */
static void
assert_well_formed(const char *const *list, const char *what)
{
	for (int i = 0; list[i]; i++) {
		cr_assert(list[i][0] == '\0' || list[i][0] == '_',
		          "%s suffix '%s' does not start with '_'", what, list[i]);
		for (int j = 0; j < i; j++)
			cr_assert_str_neq(list[i], list[j], "%s lists '%s' twice", what, list[i]);
	}
}

Test(names, suffixes_of_types)
{
	lvc_decl s = { .kind = LVC_D_STRUCT }, e = { .kind = LVC_D_ENUM };
	assert_well_formed(lvc_c_suffixes(&s), "struct");
	assert_well_formed(lvc_c_suffixes(&e), "enum");
	cr_assert(has_suffix(lvc_c_suffixes(&s), ""), "a struct is a C type of its own name");
	cr_assert(has_suffix(lvc_c_suffixes(&e), ""), "an enum is a C type of its own name");
	cr_assert(has_suffix(lvc_c_suffixes(&s), "_list"));
	cr_assert(has_suffix(lvc_c_suffixes(&e), "_list"));
}

Test(names, suffixes_of_every_endpoint_kind)
{
	static const lvc_endpoint_kind kinds[] = {
		LVC_E_SERVER_RPC, LVC_E_SERVER_REALTIME, LVC_E_SERVER_ON, LVC_E_CLIENT_RPC,
		LVC_E_CLIENT_REALTIME, LVC_E_CLIENT_CALLBACK, LVC_E_CLIENT_ON,
	};
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		lvc_decl d = { .kind = LVC_D_ENDPOINT, .ekind = kinds[i] };
		const char *const *list = lvc_c_suffixes(&d);
		cr_assert_not_null(list);
		assert_well_formed(list, lvc_endpoint_kind_name(kinds[i]));
	}
	/* A server handler is a C function named after the endpoint. */
	lvc_decl rpc = { .kind = LVC_D_ENDPOINT, .ekind = LVC_E_SERVER_RPC };
	cr_assert(has_suffix(lvc_c_suffixes(&rpc), ""));
	/* An endpoint with no kind generates nothing. */
	lvc_decl none = { .kind = LVC_D_ENDPOINT, .ekind = LVC_E_NONE };
	cr_assert_eq(count(lvc_c_suffixes(&none)), 0);
}

Test(names, lifecycle_events_generate_less_than_custom_ones)
{
	lvc_decl life = { .kind = LVC_D_ENDPOINT, .ekind = LVC_E_CLIENT_ON };
	lvc_decl custom = life;
	life.policy.lifecycle = true;
	cr_assert_eq(count(lvc_c_suffixes(&life)), 0,
	             "a client lifecycle handler is called by the runtime, nothing to push");
	cr_assert_gt(count(lvc_c_suffixes(&custom)), 0, "a custom client event is pushed");

	lvc_decl slife = { .kind = LVC_D_ENDPOINT, .ekind = LVC_E_SERVER_ON };
	lvc_decl scustom = slife;
	slife.policy.lifecycle = true;
	cr_assert(has_suffix(lvc_c_suffixes(&scustom), "_raise"),
	          "a custom server event can be raised");
	cr_assert_not(has_suffix(lvc_c_suffixes(&slife), "_raise"),
	              "a lifecycle event is raised by the runtime only");
}

Test(names, module_level_names)
{
	cr_assert_gt(count(lvc_module_c_names), 0);
	cr_assert(has_suffix(lvc_module_c_names, "schema_hash"));
	for (int i = 0; lvc_module_c_names[i]; i++)
		cr_assert_neq(lvc_module_c_names[i][0], '\0');
}
