/* models_handlers.c - the handlers of tests/fuzz/models.lv, for the
 * protocol fuzzer's model target: finish() writes through the typed model
 * functions, and the todos binding's row policy refuses some rows, so
 * that both sides of every check are reachable from the frames. */
#include <string.h>

#include "models.lv.h"

lv_status
models_finish(lv_call *call, int64_t id, int64_t *out)
{
	lv_server *s = lv_call_server(call);
	lv_arena a;
	lv_arena_init(&a);
	models_Todo t, done;
	int rc = models_Todo_get(s, id, &t, &a);
	if (rc == 0) {
		t.done = true;
		rc = models_Todo_update(s, &t, &done, &a);
	}
	if (rc == 0)
		*out = done.rev;
	lv_arena_free(&a);
	return rc ? lv_call_fail(call, rc, "finish %lld", (long long)id) : 0;
}

/* A todo owned by "root" is no page's, whatever it does; a high priority
 * one may not be deleted; one whose title begins "secret" may be written
 * but not read. */
bool
models_todos_allow(lv_conn *conn, lv_model_op op, const models_Todo *row)
{
	(void)conn;
	if (row->owner.len == 4 && memcmp(row->owner.ptr, "root", 4) == 0)
		return false;
	if (op == LV_MODEL_DELETE && row->priority == models_Priority_high)
		return false;
	if (op == LV_MODEL_RETRIEVE || op == LV_MODEL_LIST || op == LV_MODEL_SUBSCRIBE)
		return !(row->title.len >= 6 && memcmp(row->title.ptr, "secret", 6) == 0);
	return true;
}
