/* todo_handlers.c - the server side of todo.lv: signing a page in under a
 * name, and the row policy that keeps each person's items to them.
 *
 * lvc made this file once and merges it when todo.lv changes: new
 * endpoints get new functions at the end, changed ones get their new
 * signature (the old one stays above it in an "lvc:was" comment, yours to
 * delete), and the code between the braces is never touched. Keep the
 * "lvc:begin" and "lvc:end" lines; write anything you like around them.
 *
 * Arguments are borrowed until the handler returns. Fill *out with memory
 * that outlives the call: static data, or lv_call_alloc(call, size). */
#include <stdio.h>
#include <string.h>

#include "todo.lv.h"

/* A name is 1 to 32 letters, digits, '-' or '_'. */
static bool
good_name(lv_str name)
{
	if (name.len < 1 || name.len > 32)
		return false;
	for (size_t i = 0; i < name.len; i++) {
		char c = name.ptr[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_'))
			return false;
	}
	return true;
}

/* lvc:begin sign_in */
/*
 * Signs the page in under a name (1 to 32 letters, digits, `-` or `_`):
 * a demonstration without passwords.
 */
lv_status
todo_sign_in(lv_call *call, lv_str name)
{
	if (!good_name(name))
		return lv_call_fail(call, LV_EINVALID_ARGUMENT,
		                    "name: 1 to 32 letters, digits, '-' or '_'");
	char id[33];
	memcpy(id, name.ptr, name.len);
	id[name.len] = '\0';
	static const char *const roles[] = { "member" };
	return lv_conn_set_auth(lv_call_conn(call), id, roles, 1);
}
/* lvc:end sign_in */

/* lvc:begin whoami */
/*
 * Who the page is signed in as.
 */
lv_status
todo_whoami(lv_call *call, lv_str *out)
{
	const char *me = lv_call_identity(call);
	*out = lv_cstr(me);   /* NULL: "" */
	return LV_OK;
}
/* lvc:end whoami */

/* lvc:begin todos */
/* Whether conn may do op to row, a todo_Todo of todos; a list or a
 * live query leaves out the rows refused. Until written: none. */
bool
todo_todos_allow(lv_conn *conn, lv_model_op op, const todo_Todo *row)
{
	const char *me = conn ? lv_conn_identity(conn) : NULL;
	bool mine = me && lv_str_eq_cstr(row->owner, me);
	if (op == LV_MODEL_CREATE || op == LV_MODEL_DELETE)
		return mine;
	return mine || row->shared;
}
/* lvc:end todos */
