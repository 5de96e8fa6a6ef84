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

/* lvc:begin ping */
lv_status
plant_ping(lv_call *call, lv_str *out)
{
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in plant_ping()");
}
/* lvc:end ping */

/* lvc:begin prefs */
/* The page changed its prefs: value is the new one, borrowed for the
 * call (plant_prefs_get() reads it later). A status below zero is logged. */
lv_status
plant_prefs_changed(lv_conn *conn, const plant_Prefs *value)
{
	(void)conn;
	(void)value;
	return LV_OK;
}
/* lvc:end prefs */
