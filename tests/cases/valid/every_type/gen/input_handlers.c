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

/* lvc:begin anything */
lv_status
types_demo_anything(lv_call *call, lv_json *out)
{
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in types_demo_anything()");
}
/* lvc:end anything */

/* lvc:begin echo */
lv_status
types_demo_echo(lv_call *call, bool flag, int64_t count, double ratio, lv_str label, lv_bytes blob, lv_json extra, lv_str_list tags, lv_int_map scores, const lv_str *note, types_demo_Level level, const types_demo_Point *origin, const types_demo_Sample_list *samples, types_demo_Sample_map *out)
{
	(void)flag;
	(void)count;
	(void)ratio;
	(void)label;
	(void)blob;
	(void)extra;
	(void)tags;
	(void)scores;
	(void)note;
	(void)level;
	(void)origin;
	(void)samples;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in types_demo_echo()");
}
/* lvc:end echo */

/* lvc:begin matrix */
lv_status
types_demo_matrix(lv_call *call, lv_int_list_list *out)
{
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in types_demo_matrix()");
}
/* lvc:end matrix */

/* lvc:begin maybe */
lv_status
types_demo_maybe(lv_call *call, types_demo_Level *out, bool *has_out)
{
	(void)out;
	(void)has_out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in types_demo_maybe()");
}
/* lvc:end maybe */

/* lvc:begin raw */
lv_status
types_demo_raw(lv_call *call, lv_bytes *out)
{
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in types_demo_raw()");
}
/* lvc:end raw */

/* lvc:begin sample */
lv_status
types_demo_sample(lv_call *call, int64_t id, types_demo_Sample *out)
{
	(void)id;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in types_demo_sample()");
}
/* lvc:end sample */
