/* plant_handlers.c - the server side of plant.lv: yours to edit.
 *
 * lvc made this file once and merges it when plant.lv changes: new
 * endpoints get new functions at the end, changed ones get their new
 * signature (the old one stays above it in an "lvc:was" comment, yours to
 * delete), and the code between the braces is never touched. Keep the
 * "lvc:begin" and "lvc:end" lines; write anything you like around them.
 *
 * Arguments are borrowed until the handler returns. Fill *out with memory
 * that outlives the call: static data, or lv_call_alloc(call, size). */
#include <stdio.h>
#include <string.h>

#include "plant.lv.h"

/* lvc:begin ping */
lv_status
plant_ping(lv_call *call, lv_str *out)
{
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in plant_ping()");
}
/* lvc:end ping */
