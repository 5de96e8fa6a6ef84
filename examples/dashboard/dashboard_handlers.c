/* dashboard_handlers.c - the server side of dashboard.lv: yours to edit.
 *
 * lvc made this file once and merges it when dashboard.lv changes: new
 * endpoints get new functions at the end, changed ones get their new
 * signature (the old one stays above it in an "lvc:was" comment, yours to
 * delete), and the code between the braces is never touched. Keep the
 * "lvc:begin" and "lvc:end" lines; write anything you like around them.
 *
 * Arguments are borrowed until the handler returns. Fill *out with memory
 * that outlives the call: static data, or lv_call_alloc(call, size). */

/* One plant, "north", of 1,000 machines. Ten times a second the
 * simulation changes 40 of them (temperature and load) and counts a tick;
 * a machine past 90 degrees raises an alarm, and the plant keeps the 20
 * latest. The program keeps its own model of the machines and tells the
 * plant's state what changed; the state sends the pages only that. All on
 * the loop thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dashboard.lv.h"

#define PLANT "north"
#define MACHINES 1000
#define PER_STEP 40
#define MAX_ALARMS 20

static struct {
	char name[24];
	double temp;
	int64_t load;
} machines[MACHINES];

static int64_t tick;
static size_t nalarms;
static bool is_paused;
static uint64_t rng = 0x2545f4914f6cdd1du;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static lv_str
key_of(int i)
{
	return (lv_str){ machines[i].name, strlen(machines[i].name) };
}

/* Tells the plant's state machine i as it is now. */
static int
put_machine(lv_state *st, int i)
{
	dashboard_Machine m = {
		.name = key_of(i), .temp = machines[i].temp, .load = machines[i].load,
		.ok = machines[i].temp <= 90.0,
	};
	return dashboard_plant_machines_put(st, key_of(i), &m);
}

static void
step(lv_server *s, lv_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	lv_state *st;
	if (is_paused || dashboard_plant_state(s, PLANT, &st) != 0)
		return;
	for (int k = 0; k < PER_STEP; k++) {
		int i = (int)rnd(MACHINES);
		bool was_ok = machines[i].temp <= 90.0;
		machines[i].temp += ((double)rnd(200) - 97.0) / 20.0;
		if (machines[i].temp < 15.0)
			machines[i].temp = 15.0;
		if (machines[i].temp > 110.0)
			machines[i].temp = 60.0;
		machines[i].load = (int64_t)rnd(101);
		put_machine(st, i);
		if (was_ok && machines[i].temp > 90.0) {
			char text[64];
			snprintf(text, sizeof text, "%s over 90 at tick %lld", machines[i].name,
			         (long long)tick);
			dashboard_plant_alarms_insert(st, 0, (lv_str){ text, strlen(text) });
			if (++nalarms > MAX_ALARMS) {
				dashboard_plant_alarms_remove(st, MAX_ALARMS);
				nalarms = MAX_ALARMS;
			}
		}
	}
	dashboard_plant_set_tick(st, ++tick);
}

/* lvc:begin my_view */
/*
 * The page's view as the server reads it.
 */
lv_status
dashboard_my_view(lv_call *call, dashboard_View *out)
{
	lv_arena a;
	lv_arena_init(&a);
	int rc = dashboard_view_get(lv_call_conn(call), out, &a);
	if (rc == 0) {          /* the strings into memory that outlives the call */
		out->sort = lv_call_strdup(call, out->sort.ptr);
		out->filter = lv_call_strdup(call, out->filter.ptr);
	}
	lv_arena_free(&a);
	return rc < 0 ? lv_call_fail(call, rc, "view: %s", lv_strerror(rc)) : LV_OK;
}
/* lvc:end my_view */

/* lvc:begin pause */
/*
 * Stops or restarts the simulation (a quiet plant, for comparing pages).
 */
lv_status
dashboard_pause(lv_call *call, bool paused, int64_t *out)
{
	is_paused = paused;
	lv_state *st;
	if (dashboard_plant_state(lv_call_server(call), PLANT, &st) == 0)
		lv_state_flush(st);   /* a quiet plant has sent everything */
	*out = tick;
	return LV_OK;
}
/* lvc:end pause */

/* lvc:begin plant_json */
/*
 * The whole plant as the server holds it, as JSON.
 */
lv_status
dashboard_plant_json(lv_call *call, lv_str plant, lv_str *out)
{
	lv_state *st;
	int rc = dashboard_plant_state(lv_call_server(call), plant.ptr, &st);
	char *text = rc == 0 ? lv_state_json(st) : NULL;
	if (!text)
		return lv_call_fail(call, rc ? rc : LV_ENOMEM, "plant %s: %s", plant.ptr,
		                    lv_strerror(rc ? rc : LV_ENOMEM));
	*out = lv_call_strdup(call, text);
	free(text);
	return LV_OK;
}
/* lvc:end plant_json */

/* lvc:begin watch */
/*
 * Starts watching a plant: the page joins its group and gets its copy.
 */
lv_status
dashboard_watch(lv_call *call, lv_str plant)
{
	if (!lv_str_eq_cstr(plant, PLANT))
		return lv_call_fail(call, LV_ENOT_FOUND, "no plant '%s' (there is \"" PLANT "\")",
		                    plant.ptr);
	int rc = lv_group_join(lv_call_conn(call), PLANT);
	return rc < 0 ? lv_call_fail(call, rc, "watch: %s", lv_strerror(rc)) : LV_OK;
}
/* lvc:end watch */

/* lvc:begin started */
/*
 * Makes the plant and starts its simulation.
 */
lv_status
dashboard_started(lv_call *call)
{
	lv_server *s = lv_call_server(call);
	lv_state *st;
	int rc = dashboard_plant_state(s, PLANT, &st);
	for (int i = 0; rc == 0 && i < MACHINES; i++) {
		snprintf(machines[i].name, sizeof machines[i].name, "m%04d", i);
		machines[i].temp = 40.0 + (double)rnd(300) / 10.0;
		machines[i].load = (int64_t)rnd(101);
		rc = put_machine(st, i);
	}
	if (rc == 0)
		rc = lv_state_flush(st);
	if (rc == 0)
		rc = lv_timer_start(s, 100, true, step, NULL, NULL);
	return rc < 0 ? lv_call_fail(call, rc, "the plant: %s", lv_strerror(rc)) : LV_OK;
}
/* lvc:end started */

/* lvc:begin view */
/* The page changed its view: value is the new one, borrowed for the
 * call (dashboard_view_get() reads it later). A status below zero is logged. */
lv_status
dashboard_view_changed(lv_conn *conn, const dashboard_View *value)
{
	(void)conn;
	(void)value;
	return LV_OK;
}
/* lvc:end view */
