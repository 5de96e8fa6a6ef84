/* test_template.c - the template engine that lays out the generated files:
 * variables, dotted and indexed names, sections over lists, objects and
 * booleans, inverted sections, -first/-last/-index, partials, comments,
 * standalone lines, and the errors for a missing name or a broken section. */
#include <criterion/criterion.h>
#include <jansson.h>

#include "template.h"
#include "unit.h"

TestSuite(template, .init = lvt_open, .fini = lvt_close);

/* The templates of one test; the first is the one rendered. */
static lvc_template tmpl[4];
static size_t ntmpl;

static void
add(const char *name, const char *text)
{
	cr_assert_lt(ntmpl, sizeof tmpl / sizeof tmpl[0]);
	tmpl[ntmpl++] = (lvc_template){ name, text, strlen(text) };
}

/* The view model for a JSON value, in the context's arena. A number with a
 * fraction becomes the string "%.17g" makes of it. */
static lvc_view
view_of(json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: {
		lvc_vobj *o = lvc_vobj_new(&c.arena, (uint32_t)json_object_size(j));
		const char *key;
		json_t *v;
		json_object_foreach(j, key, v)
			lvc_vobj_set(o, lvc_strndup(&c.arena, key, strlen(key)), view_of(v));
		return lvc_v_obj(o);
	}
	case JSON_ARRAY: {
		lvc_vlist *l = lvc_vlist_new(&c.arena, (uint32_t)json_array_size(j));
		size_t i;
		json_t *v;
		json_array_foreach(j, i, v)
			lvc_vlist_push(l, view_of(v));
		return lvc_v_list(l);
	}
	case JSON_STRING:
		return lvc_v_copy(&c.arena, json_string_value(j), json_string_length(j));
	case JSON_INTEGER:
		return lvc_v_int(json_integer_value(j));
	case JSON_REAL:
		return lvc_v_fmt(&c.arena, "%.17g", json_real_value(j));
	case JSON_TRUE:
		return lvc_v_bool(true);
	case JSON_FALSE:
		return lvc_v_bool(false);
	default:
		return lvc_v_null();
	}
}

/* Renders template "t" (text) against the view (JSON text, or NULL for an
 * empty object); returns the output, or NULL when rendering failed. */
static const char *
render_with(const char *text, const char *view_json)
{
	json_error_t jerr;
	json_t *json = view_json ? json_loads(view_json, 0, &jerr) : json_object();
	cr_assert_not_null(json, "bad test view: %s", jerr.text);
	lvc_view view = view_of(json);
	json_decref(json);
	lvc_template all[5] = { { "t", text, strlen(text) } };
	for (size_t i = 0; i < ntmpl; i++)
		all[i + 1] = tmpl[i];
	lvc_tbuf out = { 0 };
	int rc = lvc_render(&c, all, ntmpl + 1, "t", &view, &out);
	const char *s = rc == 0 ? lvt_str((lvc_str){ out.data ? out.data : "",
	                                             (uint32_t)out.len }) : NULL;
	free(out.data);
	return s;
}

#define renders(text, view, want) do {                                          \
		const char *got_ = render_with((text), (view));                        \
		cr_assert_not_null(got_, "render failed: %s", lvt_diags());             \
		cr_expect_str_eq(got_, (want));                                          \
	} while (0)

/* Rendering fails with one error, which says `message`. */
#define fails(text, view, message) do {                                          \
		size_t seen_ = strlen(lvt_diags());                                      \
		int errors_ = c.errors;                                                  \
		cr_expect_null(render_with((text), (view)), "rendered without an error");  \
		cr_expect(strstr(lvt_diags() + seen_, (message)) != NULL,                \
		          "diagnostics: %s", lvt_diags() + seen_);                       \
		cr_expect_eq(c.errors, errors_ + 1);                                     \
	} while (0)

/* ---- variables ------------------------------------------------------------- */

Test(template, plain_text_passes_through)
{
	renders("", NULL, "");
	renders("no tags at all\n", NULL, "no tags at all\n");
	renders("a { b } c {x} }} {", NULL, "a { b } c {x} }} {");
	renders("an open {{ tag never closed", "{}", "an open {{ tag never closed");
}

Test(template, variables)
{
	renders("Hello, {{name}}!", "{\"name\":\"world\"}", "Hello, world!");
	renders("{{ name }}|{{name}}", "{\"name\":\"x\"}", "x|x");
	renders("{{a}}{{b}}", "{\"a\":\"1\",\"b\":\"2\"}", "12");
	renders("[{{empty}}]", "{\"empty\":\"\"}", "[]");
}

Test(template, values_are_not_escaped)
{
	renders("{{s}}", "{\"s\":\"<a href=\\\"x\\\">&amp;</a> {{not a tag}}\"}",
	        "<a href=\"x\">&amp;</a> {{not a tag}}");
}

Test(template, numbers_booleans_and_null)
{
	renders("{{i}} {{n}} {{r}} {{t}} {{f}} [{{z}}]",
	        "{\"i\":42,\"n\":-9223372036854775808,\"r\":0.5,\"t\":true,\"f\":false,\"z\":null}",
	        "42 -9223372036854775808 0.5 true false []");
}

Test(template, a_list_or_object_is_not_text)
{
	fails("{{l}}", "{\"l\":[1]}", "not text: 'l'");
	fails("{{o}}", "{\"o\":{}}", "not text:");
}

Test(template, dotted_names)
{
	renders("{{a.b.c}}", "{\"a\":{\"b\":{\"c\":\"deep\"}}}", "deep");
	renders("{{a.b}}/{{a.c}}", "{\"a\":{\"b\":1,\"c\":2}}", "1/2");
}

Test(template, indexed_names)
{
	const char *view = "{\"l\":[\"zero\",\"one\"],\"p\":[{\"name\":\"x\"},{\"name\":\"y\"}]}";
	renders("{{l.0}} {{l.1}}", view, "zero one");
	renders("{{p.1.name}}", view, "y");
	/* Past the end of a list is nothing, not a typo. */
	renders("[{{l.5}}]", view, "[]");
	renders("{{#l.5}}never{{/l.5}}{{^l.5}}none{{/l.5}}", view, "none");
	renders("{{#l.0}}first is {{l.0}}{{/l.0}}", view, "first is zero");
}

Test(template, the_current_item)
{
	renders("{{#l}}<{{.}}>{{/l}}", "{\"l\":[\"a\",\"b\"]}", "<a><b>");
	renders("{{#l}}{{.}},{{/l}}", "{\"l\":[1,true,null]}", "1,true,,");
}

/* ---- sections ---------------------------------------------------------------- */

Test(template, section_over_a_list)
{
	renders("{{#l}}[{{n}}]{{/l}}", "{\"l\":[{\"n\":1},{\"n\":2},{\"n\":3}]}", "[1][2][3]");
	renders("a{{#l}}x{{/l}}b", "{\"l\":[]}", "ab");
}

Test(template, section_over_an_object)
{
	renders("{{#o}}{{x}}-{{y}}{{/o}}", "{\"o\":{\"x\":1,\"y\":2}}", "1-2");
	renders("{{#o}}in{{/o}}", "{\"o\":{}}", "in");
}

Test(template, names_resolve_outwards)
{
	const char *view = "{\"title\":\"T\",\"x\":\"outer\",\"l\":[{\"x\":\"inner\"},{\"y\":1}]}";
	renders("{{#l}}{{title}}:{{x}} {{/l}}", view, "T:inner T:outer ");
}

Test(template, section_over_scalars)
{
	renders("{{#b}}yes{{/b}}", "{\"b\":true}", "yes");
	renders("{{#b}}yes{{/b}}", "{\"b\":false}", "");
	renders("{{#b}}yes{{/b}}", "{\"b\":null}", "");
	renders("{{#s}}[{{s}}]{{/s}}", "{\"s\":\"text\"}", "[text]");
	renders("{{#s}}[{{s}}]{{/s}}", "{\"s\":\"\"}", "");
	/* Numbers are true, zero included. */
	renders("{{#n}}n={{n}}{{/n}}", "{\"n\":0}", "n=0");
}

Test(template, inverted_sections)
{
	static const char *const empty[] = {
		"{\"v\":false}", "{\"v\":null}", "{\"v\":\"\"}", "{\"v\":[]}",
	};
	for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++)
		renders("{{^v}}none{{/v}}", empty[i], "none");
	static const char *const full[] = {
		"{\"v\":true}", "{\"v\":\"x\"}", "{\"v\":[1]}", "{\"v\":{}}", "{\"v\":0}",
	};
	for (size_t i = 0; i < sizeof full / sizeof full[0]; i++)
		renders("{{^v}}none{{/v}}", full[i], "");
}

Test(template, nested_sections_of_the_same_name)
{
	renders("{{#a}}({{#a}}{{x}}{{/a}}){{/a}}",
	        "{\"a\":[{\"x\":1,\"a\":[{\"x\":2},{\"x\":3}]}]}", "(23)");
}

/* ---- list state ----------------------------------------------------------------- */

Test(template, first_last_and_index)
{
	const char *view = "{\"l\":[\"a\",\"b\",\"c\"]}";
	renders("{{#l}}{{.}}{{^-last}}, {{/-last}}{{/l}}", view, "a, b, c");
	renders("{{#l}}{{#-first}}>{{/-first}}{{.}}{{/l}}", view, ">abc");
	renders("{{#l}}{{-index}}{{/l}}", view, "012");
	renders("{{#l}}{{-first}}/{{-last}} {{/l}}", view, "true/false false/false false/true ");
	renders("{{#l}}{{#-first}}{{#-last}}only{{/-last}}{{/-first}}{{/l}}", "{\"l\":[1]}", "only");
}

Test(template, list_state_is_the_innermost_list)
{
	const char *view = "{\"rows\":[{\"cells\":[1,2]},{\"cells\":[3]}]}";
	renders("{{#rows}}{{#cells}}{{-index}}{{/cells}};{{/rows}}", view, "01;0;");
	/* An object section inside a list keeps the list's state. */
	renders("{{#l}}{{#o}}{{-index}}{{/o}}{{/l}}", "{\"l\":[{\"o\":{}},{\"o\":{}}]}", "01");
}

Test(template, list_state_outside_a_list_is_an_error)
{
	fails("{{-first}}", "{}", "no list around '-first'");
	fails("{{#o}}{{-index}}{{/o}}", "{\"o\":{}}", "no list around '-index'");
}

/* ---- partials and comments -------------------------------------------------------- */

Test(template, partials_share_the_context)
{
	add("item", "<{{name}}>");
	renders("{{#l}}{{>item}}{{/l}}", "{\"l\":[{\"name\":\"a\"},{\"name\":\"b\"}]}", "<a><b>");
}

Test(template, partials_nest)
{
	add("outer", "[{{>inner}}]");
	add("inner", "{{x}}");
	renders("{{>outer}}{{>outer}}", "{\"x\":1}", "[1][1]");
}

Test(template, an_unknown_partial_is_an_error)
{
	fails("a\n{{>nope}}\n", "{}", "template t:2: no template named 'nope'");
}

Test(template, a_partial_that_includes_itself_is_stopped)
{
	add("loop", "x{{>loop}}");
	fails("{{>loop}}", "{}", "partials nested too deeply at 'loop'");
}

Test(template, comments)
{
	renders("a{{! a comment }}b", NULL, "ab");
	renders("a{{!}}b{{! {{x}} }}c", NULL, "ab }}c");
}

/* ---- standalone lines ------------------------------------------------------------ */

Test(template, standalone_section_lines_vanish)
{
	renders("begin\n{{#l}}\n  item {{.}}\n{{/l}}\nend\n", "{\"l\":[1,2]}",
	        "begin\n  item 1\n  item 2\nend\n");
	renders("begin\n\t{{#l}}  \n\tx\n  {{/l}}\t\nend\n", "{\"l\":[1]}", "begin\n\tx\nend\n");
	renders("begin\n{{^l}}\nnone\n{{/l}}\nend\n", "{\"l\":[]}", "begin\nnone\nend\n");
	renders("begin\n{{#l}}\nnever\n{{/l}}\nend\n", "{\"l\":[]}", "begin\nend\n");
}

Test(template, standalone_comment_and_partial_lines_vanish)
{
	add("p", "partial\n");
	renders("a\n  {{! note }}\nb\n", NULL, "a\nb\n");
	renders("a\n  {{>p}}\nb\n", NULL, "a\npartial\nb\n");
}

Test(template, tags_among_text_keep_their_line)
{
	renders("x {{#b}}y{{/b}} z\n", "{\"b\":true}", "x y z\n");
	renders("x {{! c }} z\n", NULL, "x  z\n");
	/* A variable alone on its line is not standalone: its line stays. */
	renders("a\n{{v}}\nb\n", "{\"v\":\"\"}", "a\n\nb\n");
}

Test(template, standalone_at_the_edges_of_the_text)
{
	renders("{{#b}}\nx\n{{/b}}", "{\"b\":true}", "x\n");
	renders("{{#b}}\nx\n{{/b}}\n", "{\"b\":true}", "x\n");
}

/* ---- errors ------------------------------------------------------------------------ */

Test(template, a_missing_name_is_an_error)
{
	fails("line one\nline two {{nmae}}\n", "{\"name\":\"x\"}",
	      "template t:2: no value named 'nmae'");
	fails("{{#nope}}x{{/nope}}", "{}", "no value named 'nope'");
	fails("{{^nope}}x{{/nope}}", "{}", "no value named 'nope'");
	fails("{{nope.x}}", "{}", "no value named 'nope.x'");
}

/* BUG: after a dot, a key that is not there renders as nothing: {{doc.nmae}}
 * is a silent blank, although a typo in a template is meant to be an
 * error. Only an index past the end of a list is meant to be nothing. */
Test(template, a_typo_after_a_dot_is_an_error)
{
	fails("{{o.nmae}}", "{\"o\":{\"name\":\"x\"}}", "no value named 'o.nmae'");
}

Test(template, an_unclosed_section_is_an_error)
{
	fails("a\n{{#l}}x\n", "{\"l\":[1]}", "template t:2: unclosed section 'l'");
	fails("{{#a}}{{#b}}{{/a}}", "{\"a\":true,\"b\":true}", "unclosed section 'b'");
	fails("{{^l}}x{{/m}}", "{\"l\":[]}", "unclosed section 'l'");
}

Test(template, an_unopened_section_is_an_error)
{
	fails("x{{/l}}", "{\"l\":[]}", "unopened section 'l'");
}

Test(template, errors_in_partials_name_the_partial)
{
	add("p", "ok\n{{missing}}");
	fails("{{>p}}", "{}", "template p:2: no value named 'missing'");
}

Test(template, an_unknown_template_is_an_error)
{
	lvc_template t = { "t", "x", 1 };
	lvc_tbuf out = { 0 };
	lvc_view view = lvc_v_obj(lvc_vobj_new(&c.arena, 0));
	cr_expect_eq(lvc_render(&c, &t, 1, "nope", &view, &out), -1);
	cr_expect(lvt_has("no template named 'nope'"), "%s", lvt_diags());
	free(out.data);
}

Test(template, output_is_appended)
{
	lvc_template t = { "t", "{{x}}", 5 };
	lvc_tbuf out = { 0 };
	lvc_tbuf_put(&out, "before:", 7);
	lvc_vobj *o = lvc_vobj_new(&c.arena, 1);
	lvc_vobj_set(o, "x", lvc_v_cstr("after"));
	lvc_view view = lvc_v_obj(o);
	cr_assert_eq(lvc_render(&c, &t, 1, "t", &view, &out), 0);
	cr_expect_str_eq(out.data, "before:after");
	cr_expect_eq(out.len, 12);
	free(out.data);
}
