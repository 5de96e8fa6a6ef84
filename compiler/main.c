/* main.c - the lvc command line. */
#include <errno.h>
#include <getopt.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "emit.h"
#include "lvc.h"
#include "template.h"

/* asyncapi.c: the contract as an AsyncAPI 3.0.0 document at path ("-": stdout). */
int lvc_asyncapi(lvc_ctx *c, const char *path, const char *version);

static const char usage[] =
	"usage: lvc [options] FILE.lv...\n"
	"       lvc [options] --breaking OLD.lv NEW.lv\n"
	"\n"
	"Compiles an lv interface file into C and JavaScript, or reports the changes\n"
	"from OLD.lv to NEW.lv that break a page or a server built from OLD.lv.\n"
	"\n"
	"options:\n"
	"  -o DIR             write the generated files into DIR (default: .)\n"
	"  --check            check the files only; write nothing\n"
	"  -I DIR             also look for imported files in DIR (repeatable)\n"
	"  -M FILE, --depfile FILE\n"
	"                     write make-style dependencies to FILE\n"
	"  --dep-target NAME  the target named in the depfile (default: the\n"
	"                     generated files, or the depfile itself with --check)\n"
	"  --handlers DIR     keep the handler files (yours to edit) in DIR\n"
	"                     instead of the output folder\n"
	"  --js-handlers DIR  keep NAME_handlers.js in DIR (default: as above)\n"
	"  --js-runtime SPEC  the module NAME.lv.js and NAME.lv.d.ts import the\n"
	"                     browser runtime from, as written: a package such as\n"
	"                     @lv/runtime, or a path starting ./ or ../ (default:\n"
	"                     ./lv.js); the copy the server serves keeps ./lv.js\n"
	"  --no-line          no #line directives into the .lv file\n"
	"  --templates DIR    read the templates from DIR instead of the built-in\n"
	"                     ones (for working on lvc itself)\n"
	"  -Werror            treat warnings as errors\n"
	"  -WNAME, -Wno-NAME  turn warning NAME on or off (unused-type,\n"
	"                     dangling-doc, removed-endpoint)\n"
	"  --color=WHEN       colour diagnostics: auto (default), always, never\n"
	"  --dump-ast         print the checked syntax tree as JSON\n"
	"  --asyncapi FILE    write the contract as an AsyncAPI 3.0.0 document (JSON)\n"
	"                     to FILE ('-': standard output) instead of the code\n"
	"  --asyncapi-version V  the document's info.version (default: 0.0.0)\n"
	"  --breaking         check OLD.lv and NEW.lv, then report each change that\n"
	"                     breaks what was built from OLD.lv; write nothing\n"
	"  --version          print the version and exit\n"
	"  --help             print this help and exit\n"
	"\n"
	"Exit status: 0 on success, 1 when a file has errors or a change breaks,\n"
	"2 on a usage error.\n";

typedef struct {
	const char *outdir;
	const char *depfile;
	const char *dep_target;
	const char **include;
	int ninclude;
	bool check_only;
	bool no_line;
	const char *handlers;
	const char *js_handlers;
	const char *js_runtime;
	const char *templates;
	bool dump;
	const char *asyncapi;
	const char *asyncapi_version;
	bool breaking;
	bool werror;
	int color;               /* -1 never, 0 auto, 1 always */
	bool warn_on[LVC_WARN_COUNT];
} options;

/* Can s go between the quotes of an import as it is? Not empty, and no
 * quote, backslash or control character. */
static bool
module_specifier(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s == '"' || *s == '\\' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

/* Templates from a folder (--templates): every NAME.tmpl in it. */
static lvc_template *
load_templates(lvc_ctx *c, const char *dir, size_t *n)
{
	lvc_template *t = calloc(lvc_builtin_ntemplates + 1, sizeof *t);
	if (!t)
		abort();
	*n = 0;
	for (size_t i = 0; i < lvc_builtin_ntemplates; i++) {
		const char *name = lvc_builtin_templates[i].name;
		char *path = lvc_sprintf(&c->arena, "%s/%s.tmpl", dir, name);
		lvc_source *src = lvc_load(c, path, (lvc_loc){ UINT32_MAX, 0, 0 });
		if (!src)
			continue;
		/* In the file table, so the depfile lists it. */
		t[*n].name = name;
		t[*n].text = src->text;
		t[*n].len = src->len;
		(*n)++;
	}
	return t;
}

/* mkdir -p: the output folders are made as needed. */
static bool
make_dirs(lvc_ctx *c, const char *dir)
{
	char *p = lvc_strndup(&c->arena, dir, strlen(dir));
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;
		*s = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			lvc_error_plain(c, "cannot make folder '%s': %s", p, strerror(errno));
			return false;
		}
		*s = saved;
		if (!saved)
			return true;
	}
}

static void
generate(lvc_ctx *c, const options *o, const char *path, const char **written, int *nwritten)
{
	lvc_program p;
	lvc_emit e = { 0 };
	const char *slash = strrchr(path, '/');
	const char *file = slash ? slash + 1 : path;
	size_t n = strlen(file);
	if (n > 3 && strcmp(file + n - 3, ".lv") == 0)
		n -= 3;
	e.outdir = o->outdir;
	e.c_handlers = o->handlers ? o->handlers : o->outdir;
	e.js_handlers = o->js_handlers ? o->js_handlers : e.c_handlers;
	e.js_runtime = o->js_runtime;
	e.base = lvc_strndup(&c->arena, file, n);
	e.source = file;
	e.line_directives = !o->no_line;
	e.written = written;
	lvc_template *loaded = NULL;
	if (o->templates) {
		loaded = load_templates(c, o->templates, &e.ntemplates);
		e.templates = loaded;
	} else {
		e.templates = lvc_builtin_templates;
		e.ntemplates = lvc_builtin_ntemplates;
	}
	/* Both handler files must be mergeable before anything is written, so
	 * a refusal leaves every file as it was. */
	if (lvc_merge_check(c, lvc_sprintf(&c->arena, "%s/%s_handlers.c", e.c_handlers, e.base),
	                    LVC_MARK_C) != 0 ||
	    lvc_merge_check(c, lvc_sprintf(&c->arena, "%s/%s_handlers.js", e.js_handlers, e.base),
	                    LVC_MARK_JS) != 0) {
		free(loaded);
		return;
	}
	if (c->errors == 0) {
		lvc_program_collect(c, &p);
		lvc_schema_hash(c, &p, e.hash);
		lvc_tbuf js = { 0 };
		if (lvc_emit_js(c, &e, &p, &js) == 0)
			lvc_emit_c(c, &e, &p, js.data ? js.data : "", js.len);
		free(js.data);
		lvc_program_free(&p);
	}
	/* Everything is rendered and merged before a byte is written: a run
	 * that fails anywhere (a warning under -Werror included) writes no
	 * file, so the next run sees the same state and fails the same way. */
	if (c->errors == 0 && make_dirs(c, e.outdir) && make_dirs(c, e.c_handlers) &&
	    make_dirs(c, e.js_handlers))
		lvc_emit_commit(c, &e);
	lvc_emit_discard(&e);
	*nwritten = c->errors ? 0 : e.nwritten;
	free(loaded);
}

/* An option given that asks for output, or NULL. */
static const char *
output_option(const options *o)
{
	return strcmp(o->outdir, ".") != 0 ? "-o" : o->handlers ? "--handlers" :
	       o->js_handlers ? "--js-handlers" : o->js_runtime ? "--js-runtime" :
	       o->templates ? "--templates" :
	       o->no_line ? "--no-line" : o->depfile ? "-M" :
	       o->dep_target ? "--dep-target" : o->dump ? "--dump-ast" :
	       o->asyncapi ? "--asyncapi" : o->asyncapi_version ? "--asyncapi-version" : NULL;
}

/* Parses and checks the program of the file at path. */
static void
front_end(lvc_ctx *c, const options *o, const char *path)
{
	lvc_init(c);
	c->werror = o->werror;
	c->color = o->color > 0 || (o->color == 0 && isatty(fileno(stderr)));
	memcpy(c->warn_on, o->warn_on, sizeof c->warn_on);
	c->include_dirs = o->include;
	c->ninclude = o->ninclude;

	lvc_parse_program(c, path);
	if (!c->stop && c->root)
		lvc_check(c);
}

/* The line that ends a file's diagnostics. */
static void
summary(lvc_ctx *c, const char *path)
{
	lvc_diag_flush(c);
	if (c->errors || c->warnings)
		fprintf(stderr, "%d error%s and %d warning%s in %s\n", c->errors,
		        c->errors == 1 ? "" : "s", c->warnings, c->warnings == 1 ? "" : "s", path);
}

/* --breaking: both files are checked as --check checks them; when neither
 * has an error, the changes from the one to the other are errors of the
 * new one. */
static int
compare(const options *o, const char *old_path, const char *new_path)
{
	lvc_ctx from, to;
	front_end(&from, o, old_path);
	summary(&from, old_path);
	front_end(&to, o, new_path);
	summary(&to, new_path);
	int rc = from.errors || to.errors ? 1 : 0;
	if (rc == 0) {
		int n = lvc_breaking(&from, &to);
		lvc_diag_flush(&to);
		if (n)
			fprintf(stderr, "%d breaking change%s from %s to %s\n", n, n == 1 ? "" : "s",
			        old_path, new_path);
		rc = n ? 1 : 0;
	}
	lvc_free(&from);
	lvc_free(&to);
	return rc;
}

static int
compile(const options *o, const char *path)
{
	lvc_ctx c;
	front_end(&c, o, path);
	if (c.errors == 0 && o->dump)
		lvc_dump_ast(&c, stdout);
	const char *written[16];
	int nwritten = 0;
	if (c.errors == 0 && o->asyncapi && !o->check_only) {
		if (lvc_asyncapi(&c, o->asyncapi, o->asyncapi_version) == 0 &&
		    strcmp(o->asyncapi, "-") != 0)
			written[nwritten++] = o->asyncapi;
	} else if (c.errors == 0 && !o->check_only)
		generate(&c, o, path, written, &nwritten);
	if (c.errors == 0 && o->depfile) {
		if (o->dep_target || nwritten == 0) {
			const char *target = o->dep_target ? o->dep_target : o->depfile;
			lvc_write_depfile(&c, o->depfile, &target, 1);
		} else {
			lvc_write_depfile(&c, o->depfile, written, nwritten);
		}
	}
	summary(&c, path);
	int rc = c.errors ? 1 : 0;
	lvc_free(&c);
	return rc;
}

int
main(int argc, char **argv)
{
	options o = { .outdir = "." };
	for (int i = 0; i < LVC_WARN_COUNT; i++)
		o.warn_on[i] = true;
	o.include = calloc((size_t)argc, sizeof *o.include);
	if (!o.include)
		return 2;

	enum { OPT_CHECK = 256, OPT_DUMP, OPT_VERSION, OPT_HELP, OPT_COLOR, OPT_DEPTARGET,
	       OPT_NOLINE, OPT_TEMPLATES, OPT_HANDLERS, OPT_JS_HANDLERS, OPT_JS_RUNTIME,
	       OPT_ASYNCAPI, OPT_ASYNCAPI_VERSION, OPT_BREAKING };
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "depfile", required_argument, NULL, 'M' },
		{ "dep-target", required_argument, NULL, OPT_DEPTARGET },
		{ "dump-ast", no_argument, NULL, OPT_DUMP },
		{ "no-line", no_argument, NULL, OPT_NOLINE },
		{ "handlers", required_argument, NULL, OPT_HANDLERS },
		{ "js-handlers", required_argument, NULL, OPT_JS_HANDLERS },
		{ "js-runtime", required_argument, NULL, OPT_JS_RUNTIME },
		{ "templates", required_argument, NULL, OPT_TEMPLATES },
		{ "color", required_argument, NULL, OPT_COLOR },
		{ "asyncapi", required_argument, NULL, OPT_ASYNCAPI },
		{ "asyncapi-version", required_argument, NULL, OPT_ASYNCAPI_VERSION },
		{ "breaking", no_argument, NULL, OPT_BREAKING },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 }
	};
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, ":o:I:M:W:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': o.outdir = optarg; break;
		case 'I': o.include[o.ninclude++] = optarg; break;
		case 'M': o.depfile = optarg; break;
		case OPT_DEPTARGET: o.dep_target = optarg; break;
		case OPT_CHECK: o.check_only = true; break;
		case OPT_DUMP: o.dump = true; break;
		case OPT_NOLINE: o.no_line = true; break;
		case OPT_HANDLERS: o.handlers = optarg; break;
		case OPT_JS_HANDLERS: o.js_handlers = optarg; break;
		case OPT_JS_RUNTIME:
			if (!module_specifier(optarg)) {
				fprintf(stderr, "lvc: --js-runtime takes a module specifier, a package "
				        "name or a path such as ./lv.js, not '%s'\n", optarg);
				free(o.include);
				return 2;
			}
			o.js_runtime = optarg;
			break;
		case OPT_TEMPLATES: o.templates = optarg; break;
		case OPT_ASYNCAPI: o.asyncapi = optarg; break;
		case OPT_ASYNCAPI_VERSION: o.asyncapi_version = optarg; break;
		case OPT_BREAKING: o.breaking = true; break;
		case OPT_COLOR:
			if (strcmp(optarg, "always") == 0) o.color = 1;
			else if (strcmp(optarg, "never") == 0) o.color = -1;
			else if (strcmp(optarg, "auto") == 0) o.color = 0;
			else {
				fprintf(stderr, "lvc: --color takes auto, always or never, not '%s'\n", optarg);
				return 2;
			}
			break;
		case 'W': {
			bool on = strncmp(optarg, "no-", 3) != 0;
			const char *name = on ? optarg : optarg + 3;
			if (strcmp(name, "error") == 0) {
				o.werror = on;
				break;
			}
			int w = lvc_warning_by_name(name);
			if (w < 0) {
				fprintf(stderr, "lvc: unknown warning '-W%s'; the warnings are "
				        "unused-type, dangling-doc and removed-endpoint\n", optarg);
				return 2;
			}
			o.warn_on[w] = on;
			break;
		}
		case OPT_VERSION:
			printf("lvc %s\n", LVC_VERSION);
			return 0;
		case OPT_HELP:
			fputs(usage, stdout);
			return 0;
		case ':':
			fprintf(stderr, "lvc: option '%s' needs an argument\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "lvc: unknown option '%s'\nTry 'lvc --help'.\n",
			        argv[optind - 1]);
			return 2;
		}
	}
	if (optind >= argc) {
		fputs("lvc: no input files\nTry 'lvc --help'.\n", stderr);
		return 2;
	}
	if (o.breaking) {
		const char *output = output_option(&o);
		int rc = 2;
		if (output)
			fprintf(stderr, "lvc: --breaking writes nothing, so it takes no %s\n", output);
		else if (argc - optind != 2)
			fputs("lvc: --breaking compares two files: OLD.lv NEW.lv\n", stderr);
		else
			rc = compare(&o, argv[optind], argv[optind + 1]);
		free(o.include);
		return rc;
	}
	if (o.depfile && argc - optind > 1) {
		fputs("lvc: -M writes the dependencies of one input file\n", stderr);
		return 2;
	}
	if (o.asyncapi && argc - optind > 1) {
		fputs("lvc: --asyncapi describes one input file\n", stderr);
		free(o.include);
		return 2;
	}
	int rc = 0;
	for (int i = optind; i < argc; i++)
		if (compile(&o, argv[i]) != 0)
			rc = 1;
	free(o.include);
	return rc;
}
