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

/* lvc:begin rename_tag */
/*
 * Renames a tag; its handler uses the typed model functions.
 */
lv_status
todo_rename_tag(lv_call *call, lv_str from, lv_str to)
{
	(void)from;
	(void)to;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in todo_rename_tag()");
}
/* lvc:end rename_tag */

/* lvc:begin todos */
/* Whether conn may do op to row, a todo_Todo of todos; a list or a
 * live query leaves out the rows refused. Until written: none. */
bool
todo_todos_allow(lv_conn *conn, lv_model_op op, const todo_Todo *row)
{
	(void)conn;
	(void)op;
	(void)row;
	return false;
}
/* lvc:end todos */
