/* models_random_handlers.c - the server side of models_random.lv: yours to edit.
 *
 * lvc made this file once and merges it when models_random.lv changes: new
 * endpoints get new functions at the end, changed ones get their new
 * signature (the old one stays above it in an "lvc:was" comment, yours to
 * delete), and the code between the braces is never touched. Keep the
 * "lvc:begin" and "lvc:end" lines; write anything you like around them.
 *
 * Arguments are borrowed until the handler returns. Fill *out with memory
 * that outlives the call: static data, or lv_call_alloc(call, size). */

/* Both handlers write many rows through the typed functions (m_Item_*)
 * in one call, so that every live query gets their changes as one batch.
 * A row another process changed between the read and the write is
 * refused (LV_EABORTED) and skipped: the answer counts what was done. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv_jansson.h>

#include "models_random.lv.h"

/* The rows of a query (JSON text as a page sends it) into *rows, an
 * array decoded into arena a; the number of rows, or a negative status. */
static int64_t
query_rows(lv_call *call, json_t *query, mrand_Item **rows, lv_arena *a)
{
	char *text = json_dumps(query, JSON_COMPACT);
	json_decref(query);
	if (!text)
		return -LV_ENOMEM;
	lv_json page;
	int rc = mrand_Item_query(lv_call_server(call), text, &page, a);
	free(text);
	if (rc)
		return -rc;
	json_t *p = lv_json_load(page);
	json_t *list = json_object_get(p, "rows");
	size_t n = json_array_size(list);
	*rows = lv_arena_alloc(a, (n ? n : 1) * sizeof **rows);
	if (!*rows) {
		json_decref(p);
		return -LV_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		lv_error e;
		rc = lv_decode_jansson(&mrand_Item_type, json_array_get(list, i), &(*rows)[i], a, NULL, &e);
		if (rc) {
			json_decref(p);
			return -rc;
		}
	}
	json_decref(p);
	return (int64_t)n;
}

/* lvc:begin bump */
/*
 * Adds delta to n of every item of owner, one update per row, all in
 * one handler; answers how many rows it changed.
 */
lv_status
mrand_bump(lv_call *call, lv_str owner, int64_t delta, int64_t *out)
{
	lv_arena a;
	lv_arena_init(&a);
	mrand_Item *rows;
	int64_t n = query_rows(call, json_pack("{s:{s:s%}}", "where", "owner", owner.ptr, owner.len),
	                       &rows, &a);
	int rc = n < 0 ? (int)-n : 0;
	int64_t done = 0;
	for (int64_t i = 0; i < n && rc == 0; i++) {
		mrand_Item row = rows[i], stored;
		row.n += delta;
		rc = mrand_Item_update(lv_call_server(call), &row, &stored, &a);
		if (rc == 0 && stored.rev != rows[i].rev + 1) {
			lv_arena_free(&a);
			return lv_call_fail(call, LV_EINTERNAL, "item %lld: rev %lld after %lld",
			                    (long long)row.id, (long long)stored.rev, (long long)rows[i].rev);
		}
		if (rc == LV_EABORTED || rc == LV_ENOT_FOUND)
			rc = 0;   /* changed or gone since the query: skipped */
		else if (rc == 0)
			done++;
	}
	lv_arena_free(&a);
	*out = done;
	return rc ? lv_call_fail(call, rc, "bump: %s", lv_strerror(rc)) : 0;
}
/* lvc:end bump */

/* lvc:begin churn */
/*
 * Makes count items of owner titled prefix and a number, then deletes
 * every item of owner whose n is below drop, all in one handler;
 * answers how many rows it made and deleted.
 */
lv_status
mrand_churn(lv_call *call, lv_str owner, int64_t count, lv_str prefix, int64_t drop, int64_t *out)
{
	lv_arena a;
	lv_arena_init(&a);
	int rc = 0;
	int64_t done = 0;
	for (int64_t i = 0; i < count && rc == 0; i++) {
		char title[160];
		snprintf(title, sizeof title, "%.*s %lld", (int)prefix.len, prefix.ptr, (long long)i);
		mrand_Item row = {
			.owner = owner, .kind = (mrand_Kind)(i % 4), .n = i, .score = (double)i / 2,
			.title = lv_cstr(title), .done = i % 2 == 1, .note = lv_cstr("churned"),
			.has_note = i % 2 == 0,
		}, stored;
		rc = mrand_Item_create(lv_call_server(call), &row, &stored, &a);
		done += rc == 0;
	}
	mrand_Item *rows = NULL;
	int64_t n = 0;
	if (rc == 0) {
		n = query_rows(call, json_pack("{s:{s:s%, s:{s:I}}}", "where", "owner", owner.ptr, owner.len,
		                               "n", "lt", (json_int_t)drop), &rows, &a);
		rc = n < 0 ? (int)-n : 0;
	}
	for (int64_t i = 0; i < n && rc == 0; i++) {
		rc = mrand_Item_delete(lv_call_server(call), rows[i].id, rows[i].rev);
		if (rc == LV_EABORTED || rc == LV_ENOT_FOUND)
			rc = 0;
		else if (rc == 0)
			done++;
	}
	lv_arena_free(&a);
	*out = done;
	return rc ? lv_call_fail(call, rc, "churn: %s", lv_strerror(rc)) : 0;
}
/* lvc:end churn */
