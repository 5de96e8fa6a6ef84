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

/* lvc:begin post */
lv_status
forum_post(lv_call *call, lv_str topic, lv_str text, int64_t *out)
{
	(void)topic;
	(void)text;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in forum_post()");
}
/* lvc:end post */

/* lvc:begin post_submitted */
lv_status
forum_post_submitted(lv_call *call, lv_str text)
{
	(void)text;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in forum_post_submitted()");
}
/* lvc:end post_submitted */

/* lvc:begin topics */
lv_status
forum_topics(lv_call *call, lv_str_list *out)
{
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in forum_topics()");
}
/* lvc:end topics */

/* lvc:begin typing */
lv_status
forum_typing(lv_call *call, lv_str topic)
{
	(void)topic;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in forum_typing()");
}
/* lvc:end typing */

/* lvc:begin whoami */
lv_status
forum_whoami(lv_call *call, lv_str *out)
{
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in forum_whoami()");
}
/* lvc:end whoami */
