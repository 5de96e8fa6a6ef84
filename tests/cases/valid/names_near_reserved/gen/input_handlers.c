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

/* lvc:begin get */
lv_status
names_get(lv_call *call, const names_lvl *level, const names_lv2 *other, const names_Lvalue *value, const names_Promises *promises, const names_Room_lists *rooms, const names_Fields *fields, int64_t calls, lv_str output, lv_str connection, lv_str_list servers, bool grouped, bool finished, lv_json data, lv_str user, bool *out)
{
	(void)level;
	(void)other;
	(void)value;
	(void)promises;
	(void)rooms;
	(void)fields;
	(void)calls;
	(void)output;
	(void)connection;
	(void)servers;
	(void)grouped;
	(void)finished;
	(void)data;
	(void)user;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in names_get()");
}
/* lvc:end get */

/* lvc:begin message */
lv_status
names_message(lv_call *call, lv_str text, bool *out)
{
	(void)text;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in names_message()");
}
/* lvc:end message */

/* lvc:begin message_to */
lv_status
names_message_to(lv_call *call, lv_str user, lv_str text, bool *out)
{
	(void)user;
	(void)text;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in names_message_to()");
}
/* lvc:end message_to */
