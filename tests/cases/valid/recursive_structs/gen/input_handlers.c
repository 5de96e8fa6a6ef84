/* input_handlers.c - the server side of input.lv: yours to edit.
 *
 * lvc made this file once and merges it when input.lv changes: new
 * endpoints get new functions at the end, changed ones get their new
 * signature (the old one stays above it in an "lvc:was" comment, yours to
 * delete), and the code between the braces is never touched. Keep the
 * "lvc:begin" and "lvc:end" lines; write anything you like around them.
 *
 * Arguments are borrowed until the handler returns. Fill *out with memory
 * that outlives the call: static data, or lv_call_alloc(call, size). */
#include <stdio.h>
#include <string.h>

#include "input.lv.h"

/* lvc:begin root */
lv_status
tree_root(lv_call *call, tree_Node *out)
{
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in tree_root()");
}
/* lvc:end root */

/* lvc:begin team */
lv_status
tree_team(lv_call *call, lv_str name, tree_Team *out)
{
	(void)name;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in tree_team()");
}
/* lvc:end team */
