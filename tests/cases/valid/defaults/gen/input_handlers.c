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

/* lvc:begin configure */
lv_status
defaults_configure(lv_call *call, const defaults_Options *options, int64_t limit, double scale, lv_str title, bool strict, defaults_Color color, lv_int_list ids, lv_json_map extra, const lv_str *parent, defaults_Options *out)
{
	(void)options;
	(void)limit;
	(void)scale;
	(void)title;
	(void)strict;
	(void)color;
	(void)ids;
	(void)extra;
	(void)parent;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in defaults_configure()");
}
/* lvc:end configure */
