/* embed.c - a build tool: writes the templates as a C array, so lvc is one
 * self-contained binary. Usage: embed FILE.tmpl... > templates.c */
#include <stdio.h>
#include <string.h>

int
main(int argc, char **argv)
{
	puts("/* templates.c - generated from templates/ by embed; do not edit. */");
	puts("#include \"template.h\"\n");
	puts("const lvc_template lvc_builtin_templates[] = {");
	for (int i = 1; i < argc; i++) {
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
		size_t len = 0, col = 0;
		while ((ch = fgetc(f)) != EOF) {
			len++;
			if (ch == '\n') {
				fputs("\\n\"\n\t  \"", stdout);
				col = 0;
				continue;
			}
			if (ch == '"' || ch == '\\')
				printf("\\%c", ch);
			else if (ch == '?')
				fputs("\\?", stdout);   /* no trigraphs */
			else if (ch < 0x20 || ch >= 0x7f)
				printf("\\%03o", ch);
			else
				putchar(ch);
			col++;
		}
		printf("\",\n\t  %zu },\n", len);
		fclose(f);
	}
	puts("};");
	printf("const size_t lvc_builtin_ntemplates = %d;\n", argc - 1);
	return 0;
}
