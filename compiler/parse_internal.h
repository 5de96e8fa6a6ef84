/* parse_internal.h - what the generated parser and its driver share. */
#ifndef LVC_PARSE_INTERNAL_H
#define LVC_PARSE_INTERNAL_H

#include <stdint.h>
#include <stdio.h>

#include "lvc.h"

/* Called from the grammar's %syntax_error with the offending token and the
 * parser, whose state says which tokens could have come instead. */
void lvc__syntax_error(lvc_ctx *c, int major, lvc_token tok, const void *parser);

/* The parser's state and tables (parser.y's %code), for that. */
enum { LVC_PARSER_ERROR, LVC_PARSER_SHIFT, LVC_PARSER_REDUCE };
int lvc__parser_ntokens(void);
int lvc__parser_depth(const void *parser);        /* index of the top entry */
int lvc__parser_state(const void *parser, int i); /* state of entry i */
/* What the parser does with token in state: shift (or accept), reduce
 * (*nrhs: minus the rule's length, *lhs: its symbol), or fail. */
int lvc__parser_action(int state, int token, int *nrhs, int *lhs);
int lvc__parser_goto(int state, int lhs);         /* the state after a reduce */

void *lvcParseAlloc(void *(*alloc)(size_t), lvc_ctx *c);
void lvcParse(void *parser, int major, lvc_token minor);
void lvcParseFree(void *parser, void (*dealloc)(void *));

#endif
