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

/* lvc:begin place */
lv_status
shop_place(lv_call *call, const shop_Order *order, money_Money *out)
{
	(void)order;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in shop_place()");
}
/* lvc:end place */

/* lvc:begin products */
lv_status
shop_products(lv_call *call, money_Currency currency, catalog_Product_list *out)
{
	(void)currency;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in shop_products()");
}
/* lvc:end products */
