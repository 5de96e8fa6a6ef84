/* parse_internal.h - what the generated parser and its driver share. */
#ifndef LVC_PARSE_INTERNAL_H
#define LVC_PARSE_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "lvc.h"

/* Called from the grammar's %syntax_error with the offending token and the
 * set of token codes that could have come instead (bit i: code i). */
void lvc__syntax_error(lvc_ctx *c, int major, lvc_token tok, uint64_t expected);

void *lvcParseAlloc(void *(*alloc)(size_t), lvc_ctx *c);
void lvcParse(void *parser, int major, lvc_token minor);
void lvcParseFree(void *parser, void (*dealloc)(void *));

#endif
