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

/* lvc:begin hello */
lv_status
chat_hello(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in chat_hello()");
}
/* lvc:end hello */

/* lvc:begin join */
/*
 * Joins a room and returns the messages since `since`.
 */
lv_status
chat_join(lv_call *call, lv_str room, int64_t since, chat_Message_list *out)
{
	(void)room;
	(void)since;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in chat_join()");
}
/* lvc:end join */

/* lvc:begin post */
lv_status
chat_post(lv_call *call, lv_str room, lv_str text, chat_Message *out)
{
	(void)room;
	(void)text;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in chat_post()");
}
/* lvc:end post */

/* lvc:begin room_closed */
lv_status
chat_room_closed(lv_call *call, lv_str room)
{
	(void)room;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in chat_room_closed()");
}
/* lvc:end room_closed */

/* lvc:begin send_clicked */
lv_status
chat_send_clicked(lv_call *call, lv_str text)
{
	(void)text;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in chat_send_clicked()");
}
/* lvc:end send_clicked */

/* lvc:begin typing */
lv_status
chat_typing(lv_call *call, lv_str room)
{
	(void)room;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in chat_typing()");
}
/* lvc:end typing */
