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

/* lvc:begin longest */
lv_status
events_longest(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in events_longest()");
}
/* lvc:end longest */

/* lvc:begin room_closed */
lv_status
events_room_closed(lv_call *call, lv_str room)
{
	(void)room;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in events_room_closed()");
}
/* lvc:end room_closed */

/* lvc:begin server_connect */
lv_status
events_server_connect(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in events_server_connect()");
}
/* lvc:end server_connect */

/* lvc:begin server_custom_ready */
lv_status
events_server_custom_ready(lv_call *call, double at)
{
	(void)at;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in events_server_custom_ready()");
}
/* lvc:end server_custom_ready */

/* lvc:begin server_disconnect */
lv_status
events_server_disconnect(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in events_server_disconnect()");
}
/* lvc:end server_disconnect */

/* lvc:begin single_letter */
lv_status
events_single_letter(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in events_single_letter()");
}
/* lvc:end single_letter */
