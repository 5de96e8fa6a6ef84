/* ctx.c - the compiler context every stage shares. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lvc.h"

void
lvc_init(lvc_ctx *c)
{
	memset(c, 0, sizeof *c);
	c->err = stderr;
	for (int i = 0; i < LVC_WARN_COUNT; i++)
		c->warn_on[i] = true;
}

void
lvc_free(lvc_ctx *c)
{
	for (uint32_t i = 0; i < c->nfiles; i++) {
		free(c->files[i]->text);
		free(c->files[i]->lines);
	}
	free(c->files);
	free(c->chain);
	free(c->deps);
	lvc_arena_free(&c->arena);
}
