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

/* lvc:begin load_clicked */
lv_status
groups_load_clicked(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in groups_load_clicked()");
}
/* lvc:end load_clicked */

/* lvc:begin reload_clicked */
lv_status
groups_reload_clicked(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in groups_reload_clicked()");
}
/* lvc:end reload_clicked */

/* lvc:begin save_clicked */
lv_status
groups_save_clicked(lv_call *call, lv_str text)
{
	(void)text;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in groups_save_clicked()");
}
/* lvc:end save_clicked */

/* lvc:begin save_submitted */
lv_status
groups_save_submitted(lv_call *call, lv_str text)
{
	(void)text;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in groups_save_submitted()");
}
/* lvc:end save_submitted */

/* lvc:begin undo_clicked */
lv_status
groups_undo_clicked(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in groups_undo_clicked()");
}
/* lvc:end undo_clicked */

/* lvc:begin undo_keyed */
lv_status
groups_undo_keyed(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in groups_undo_keyed()");
}
/* lvc:end undo_keyed */
