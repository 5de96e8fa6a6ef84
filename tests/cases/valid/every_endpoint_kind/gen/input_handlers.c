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

/* lvc:begin clicked */
lv_status
kinds_clicked(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in kinds_clicked()");
}
/* lvc:end clicked */

/* lvc:begin connected */
lv_status
kinds_connected(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in kinds_connected()");
}
/* lvc:end connected */

/* lvc:begin disconnected */
lv_status
kinds_disconnected(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in kinds_disconnected()");
}
/* lvc:end disconnected */

/* lvc:begin fetch */
lv_status
kinds_fetch(lv_call *call, int64_t id, lv_str *out)
{
	(void)id;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in kinds_fetch()");
}
/* lvc:end fetch */

/* lvc:begin fetch_http */
lv_status
kinds_fetch_http(lv_call *call, int64_t id, lv_str *out)
{
	(void)id;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in kinds_fetch_http()");
}
/* lvc:end fetch_http */

/* lvc:begin fetch_ws */
lv_status
kinds_fetch_ws(lv_call *call, int64_t id)
{
	(void)id;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in kinds_fetch_ws()");
}
/* lvc:end fetch_ws */

/* lvc:begin job_done */
lv_status
kinds_job_done(lv_call *call, int64_t job, bool ok)
{
	(void)job;
	(void)ok;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in kinds_job_done()");
}
/* lvc:end job_done */

/* lvc:begin load_changed */
lv_status
kinds_load_changed(lv_call *call, lv_str which)
{
	(void)which;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in kinds_load_changed()");
}
/* lvc:end load_changed */

/* lvc:begin nothing */
lv_status
kinds_nothing(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in kinds_nothing()");
}
/* lvc:end nothing */

/* lvc:begin nudge */
lv_status
kinds_nudge(lv_call *call, lv_str target)
{
	(void)target;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in kinds_nudge()");
}
/* lvc:end nudge */

/* lvc:begin plain */
lv_status
kinds_plain(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in kinds_plain()");
}
/* lvc:end plain */

/* lvc:begin save_clicked */
lv_status
kinds_save_clicked(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in kinds_save_clicked()");
}
/* lvc:end save_clicked */

/* lvc:begin started */
lv_status
kinds_started(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in kinds_started()");
}
/* lvc:end started */

/* lvc:begin stopped */
lv_status
kinds_stopped(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in kinds_stopped()");
}
/* lvc:end stopped */

/* lvc:begin text_changed */
lv_status
kinds_text_changed(lv_call *call, lv_str text)
{
	(void)text;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in kinds_text_changed()");
}
/* lvc:end text_changed */
