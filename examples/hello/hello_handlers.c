/* hello_handlers.c - the server side of hello.lv: yours to edit.
 *
 * lvc made this file once and merges it when hello.lv changes: new
 * endpoints get new functions at the end, changed ones get their new
 * signature, and the code between the braces is never touched. Keep the
 * "lvc:begin" and "lvc:end" lines; write anything you like around them.
 *
 * Arguments are borrowed until the handler returns. Fill *out with memory
 * that outlives the call: static data, or lv_call_alloc(call, size). */
#include <stdio.h>

#include "hello.lv.h"

/* lvc:begin greet */
/*
 * Greets someone by name.
 */
lv_status
hello_greet(lv_call *call, lv_str name, lv_str *out)
{
	static int64_t count;
	if (name.len == 0 || name.len > 100)
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "a name is 1 to 100 bytes");
	char text[128];
	snprintf(text, sizeof text, "Hello, %.*s!", (int)name.len, name.ptr);
	*out = lv_call_strdup(call, text);
	/* Tell every page, this one included. */
	hello_greeted_all(lv_call_server(call), name, ++count);
	return LV_OK;
}
/* lvc:end greet */
