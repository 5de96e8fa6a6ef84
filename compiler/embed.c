/* embed.c - a build tool that turns files into C data, so that lvc and
 * liblv are self-contained binaries.
 *
 *   embed -t FILE.tmpl...     the templates, as lvc_template entries
 *   embed -p NAME FILE        one file as string parts: NAME[], NAME_parts
 *
 * ISO C guarantees string literals of 4095 bytes, so files are cut into
 * parts of at most 3000 source bytes; the parts are written out in order. */
#include <stdio.h>
#include <string.h>

static void
put_byte(int ch)
{
	if (ch == '\n')
		fputs("\\n", stdout);
	else if (ch == '"' || ch == '\\')
		printf("\\%c", ch);
	else if (ch == '?')
		fputs("\\?", stdout);   /* no trigraphs */
	else if (ch < 0x20 || ch >= 0x7f)
		printf("\\%03o", ch);
	else
		putchar(ch);
}

static int
templates(int argc, char **argv)
{
	puts("/* templates.c - made from the templates folder by embed; do not edit. */");
	puts("#include \"template.h\"\n");
	puts("const lvc_template lvc_builtin_templates[] = {");
	for (int i = 0; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		if (!f) {
			perror(argv[i]);
			return 1;
		}
		const char *base = strrchr(argv[i], '/');
		base = base ? base + 1 : argv[i];
		size_t n = strlen(base);
		if (n > 5 && strcmp(base + n - 5, ".tmpl") == 0)
			n -= 5;
		printf("\t{ \"%.*s\",\n\t  \"", (int)n, base);
		int ch;
		size_t len = 0;
		while ((ch = fgetc(f)) != EOF) {
			len++;
			put_byte(ch);
			if (ch == '\n')
				fputs("\"\n\t  \"", stdout);
		}
		printf("\",\n\t  %zu },\n", len);
		fclose(f);
	}
	puts("};");
	printf("const size_t lvc_builtin_ntemplates = %d;\n", argc);
	return 0;
}

static int
parts(const char *name, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		perror(path);
		return 1;
	}
	puts("/* made by embed; do not edit. */");
	puts("#include <stdint.h>\n");
	printf("const char *const %s[] = {\n\t\"", name);
	int ch, nparts = 1;
	size_t in_part = 0;
	while ((ch = fgetc(f)) != EOF) {
		put_byte(ch);
		in_part++;
		if (ch == '\n' || in_part >= 3000) {
			if (in_part >= 2000) {
				fputs("\",\n\t\"", stdout);
				nparts++;
				in_part = 0;
			} else if (ch == '\n') {
				fputs("\"\n\t\"", stdout);
			}
		}
	}
	puts("\",\n};");
	printf("const uint32_t %s_parts = %d;\n", name, nparts);
	fclose(f);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "-t") == 0)
		return templates(argc - 2, argv + 2);
	if (argc == 4 && strcmp(argv[1], "-p") == 0)
		return parts(argv[2], argv[3]);
	fputs("usage: embed -t FILE.tmpl... | embed -p NAME FILE\n", stderr);
	return 2;
}
