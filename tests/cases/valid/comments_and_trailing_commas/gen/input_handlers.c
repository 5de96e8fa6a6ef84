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

/* lvc:begin modes */
lv_status
punctuation_modes(lv_call *call, punctuation_Mode_list preferred, punctuation_Mode fallback, punctuation_Mode_list *out)
{
	(void)preferred;
	(void)fallback;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in punctuation_modes()");
}
/* lvc:end modes */

/* lvc:begin none */
lv_status
punctuation_none(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in punctuation_none()");
}
/* lvc:end none */

/* lvc:begin pair */
lv_status
punctuation_pair(lv_call *call, int64_t a, int64_t b, punctuation_Pair *out)
{
	(void)a;
	(void)b;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in punctuation_pair()");
}
/* lvc:end pair */

/* lvc:begin poke */
lv_status
punctuation_poke(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in punctuation_poke()");
}
/* lvc:end poke */
