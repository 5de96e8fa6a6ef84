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

/* lvc:begin c_units */
lv_status
units_c_units(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_c_units()");
}
/* lvc:end c_units */

/* lvc:begin d_h */
lv_status
units_d_h(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_d_h()");
}
/* lvc:end d_h */

/* lvc:begin d_h_fraction */
lv_status
units_d_h_fraction(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_d_h_fraction()");
}
/* lvc:end d_h_fraction */

/* lvc:begin d_m */
lv_status
units_d_m(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_d_m()");
}
/* lvc:end d_m */

/* lvc:begin d_m_fraction */
lv_status
units_d_m_fraction(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_d_m_fraction()");
}
/* lvc:end d_m_fraction */

/* lvc:begin d_ms */
lv_status
units_d_ms(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_d_ms()");
}
/* lvc:end d_ms */

/* lvc:begin d_s */
lv_status
units_d_s(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_d_s()");
}
/* lvc:end d_s */

/* lvc:begin d_s_fraction */
lv_status
units_d_s_fraction(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_d_s_fraction()");
}
/* lvc:end d_s_fraction */

/* lvc:begin r_h */
lv_status
units_r_h(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_r_h()");
}
/* lvc:end r_h */

/* lvc:begin r_m */
lv_status
units_r_m(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_r_m()");
}
/* lvc:end r_m */

/* lvc:begin r_s */
lv_status
units_r_s(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_r_s()");
}
/* lvc:end r_s */

/* lvc:begin s_g */
lv_status
units_s_g(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_s_g()");
}
/* lvc:end s_g */

/* lvc:begin s_gb */
lv_status
units_s_gb(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_s_gb()");
}
/* lvc:end s_gb */

/* lvc:begin s_gib */
lv_status
units_s_gib(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_s_gib()");
}
/* lvc:end s_gib */

/* lvc:begin s_k */
lv_status
units_s_k(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_s_k()");
}
/* lvc:end s_k */

/* lvc:begin s_k_fraction */
lv_status
units_s_k_fraction(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_s_k_fraction()");
}
/* lvc:end s_k_fraction */

/* lvc:begin s_kib */
lv_status
units_s_kib(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_s_kib()");
}
/* lvc:end s_kib */

/* lvc:begin s_m */
lv_status
units_s_m(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_s_m()");
}
/* lvc:end s_m */

/* lvc:begin s_mb */
lv_status
units_s_mb(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_s_mb()");
}
/* lvc:end s_mb */

/* lvc:begin s_mib */
lv_status
units_s_mib(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_s_mib()");
}
/* lvc:end s_mib */

/* lvc:begin s_upper_b */
lv_status
units_s_upper_b(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_s_upper_b()");
}
/* lvc:end s_upper_b */

/* lvc:begin s_upper_k */
lv_status
units_s_upper_k(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_s_upper_k()");
}
/* lvc:end s_upper_k */

/* lvc:begin s_upper_kb */
lv_status
units_s_upper_kb(lv_call *call)
{
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in units_s_upper_kb()");
}
/* lvc:end s_upper_kb */
