/* fuzz_frontend.c - libFuzzer target for the compiler front end: one
 * in-memory .lv file through load, parse, check and --dump-ast, with every
 * diagnostic thrown away. Any crash, sanitizer report or leak is a finding.
 *
 * Imports are resolved with access(2); the fuzz build links this file with
 * -Wl,--wrap=access so that every lookup fails here. An input can name any
 * path ("/dev/stdin", "../../x.lv"), and an empty working folder alone would
 * not stop absolute or ".." paths from reading the machine's files. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "lvc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int __wrap_access(const char *path, int mode);

int
__wrap_access(const char *path, int mode)
{
	(void)path;
	(void)mode;
	errno = ENOENT;
	return -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *devnull;
	if (!devnull && !(devnull = fopen("/dev/null", "w"))) {
		perror("fuzz_frontend: /dev/null");
		abort();
	}

	lvc_ctx c;
	lvc_init(&c);
	c.err = devnull;
	c.color = false;
	lvc_source *src = lvc_load_buffer(&c, "fuzz.lv", (const char *)data, size);
	if (src) {
		lvc_parse_source(&c, src);
		if (!c.stop && c.root)
			lvc_check(&c);
		/* As the command line does: the dump is of a program that checked. */
		if (c.errors == 0)
			lvc_dump_ast(&c, devnull);
	}
	lvc_free(&c);
	return 0;
}
