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

/* lvc:begin borrow_clicked */
/*
 * The borrow button.
 */
lv_status
library_borrow_clicked(lv_call *call, lv_str isbn)
{
	(void)isbn;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in library_borrow_clicked()");
}
/* lvc:end borrow_clicked */

/* lvc:begin find */
/*
 * Looks a book up.
 */
lv_status
library_find(lv_call *call, lv_str isbn, bool include_gone, const library_Book **out)
{
	(void)isbn;
	(void)include_gone;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in library_find()");
}
/* lvc:end find */

/* lvc:begin loan_due */
/*
 * A loan fell due.
 */
lv_status
library_loan_due(lv_call *call, lv_str isbn)
{
	(void)isbn;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in library_loan_due()");
}
/* lvc:end loan_due */

/* lvc:begin searching */
/*
 * A member is typing a search.
 */
lv_status
library_searching(lv_call *call, lv_str text)
{
	(void)text;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in library_searching()");
}
/* lvc:end searching */

/* lvc:begin started */
/*
 * The server has started.
 */
lv_status
library_started(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in library_started()");
}
/* lvc:end started */

/* lvc:begin where_is */
/*
 * Where is it?
 */
lv_status
library_where_is(lv_call *call, lv_str isbn, library_Shelf *out)
{
	(void)isbn;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in library_where_is()");
}
/* lvc:end where_is */
