/* models_main.c - the models test server: a Todo model bound as "todos"
 * with every operation, written out by hand as lvc will generate it (the
 * model's type, its lv_model_def, the binding, its seven endpoints whose
 * invoke calls lv_model_invoke), plus "bulk", a handler that writes with
 * the typed lv_model_* functions. Driven by models.test.mjs.
 *
 *   LV_TEST_STORE          the store: a SQLite file or a PostgreSQL URI (required)
 *   LV_TEST_POLL_MS        store_poll_ms (runtime default)
 *   LV_TEST_LOOP           poll | uv | ev (lv's own libuv or libev loop); unset: the runtime's
 *   LV_TEST_RESUME_MS      resume_ms (runtime default)
 *   LV_TEST_HEARTBEAT_MS   heartbeat_ms (runtime default)
 *
 * Prints "schema HASH" and "port N" once it listens. The row policy: a
 * Todo whose title begins "secret" is seen only by a page signed in with
 * the token "admin" (a `token` query parameter). */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lv_abi.h>

/* ---- the model ------------------------------------------------------------------ */

typedef struct {
	int64_t id;
	lv_str title;
	bool done;
	int64_t rank;
	lv_str note;
	bool has_note;
	int64_t rev;
} Todo;

static const lv_field todo_fields[] = {
	{ .name = "id", .type = &lv_int_type, .offset = offsetof(Todo, id), .has_offset = LV_REQUIRED },
	{ .name = "title", .type = &lv_str_type, .offset = offsetof(Todo, title), .has_offset = LV_REQUIRED },
	{ .name = "done", .type = &lv_bool_type, .offset = offsetof(Todo, done), .has_offset = LV_REQUIRED },
	{ .name = "rank", .type = &lv_int_type, .offset = offsetof(Todo, rank), .has_offset = LV_REQUIRED },
	{ .name = "note", .type = &lv_str_type, .offset = offsetof(Todo, note),
	  .has_offset = offsetof(Todo, has_note) },
	{ .name = "rev", .type = &lv_int_type, .offset = offsetof(Todo, rev), .has_offset = LV_REQUIRED },
};
static const lv_type todo_type = {
	.kind = LV_K_STRUCT, .name = "Todo", .size = sizeof(Todo), .fields = todo_fields, .nfields = 6,
};
static const unsigned todo_flags[] = { LV_MF_KEY, 0, LV_MF_INDEX, 0, 0, LV_MF_VERSION };
static const lv_model_def models[] = {
	{ .name = "Todo", .table = "todos", .type = &todo_type, .field_flags = todo_flags,
	  .key = 0, .version = 5 },
};

static bool
todo_allow(lv_conn *conn, lv_model_op op, const void *row)
{
	(void)op;
	const Todo *t = row;
	if (t->title.len >= 6 && memcmp(t->title.ptr, "secret", 6) == 0)
		return conn && lv_conn_has_role(conn, "admin");
	return true;
}

static const uint32_t todo_filter[] = { 1, 2, 3 };   /* title, done, rank */
static const uint32_t todo_order[] = { 1, 3 };       /* title, rank */
static const lv_model_binding bindings[] = {
	{ .name = "todos", .model = &models[0], .ops = (1u << LV_MODEL_NOPS) - 1,
	  .filter = todo_filter, .nfilter = 3, .order = todo_order, .norder = 2, .max_limit = 100,
	  .allow = todo_allow },
};

/* ---- the endpoints ------------------------------------------------------------------ */

#define THUNK(op, OP) \
	static int todos_##op(lv_call *call, const void *args, void *result) \
	{ return lv_model_invoke(call, &bindings[0], OP, args, result); }
THUNK(retrieve, LV_MODEL_RETRIEVE)
THUNK(list, LV_MODEL_LIST)
THUNK(create, LV_MODEL_CREATE)
THUNK(update, LV_MODEL_UPDATE)
THUNK(delete, LV_MODEL_DELETE)
THUNK(subscribe, LV_MODEL_SUBSCRIBE)
THUNK(unsubscribe, LV_MODEL_UNSUBSCRIBE)

/* bulk(n) -> int: n Todos made by the handler in one go (one batch for
 * every live query), the first one read back, renamed and updated, and
 * the whole table counted with lv_model_list; answers the rows made. */
typedef struct { int64_t n; } bulk_args;
typedef struct { int64_t value; } bulk_result;
static const lv_field bulk_arg_fields[] = {
	{ .name = "n", .type = &lv_int_type, .offset = offsetof(bulk_args, n), .has_offset = LV_REQUIRED },
};
static const lv_type bulk_args_type = {
	.kind = LV_K_STRUCT, .name = "bulk", .size = sizeof(bulk_args), .fields = bulk_arg_fields,
	.nfields = 1,
};
static const lv_field bulk_result_fields[] = {
	{ .name = "value", .type = &lv_int_type, .offset = offsetof(bulk_result, value),
	  .has_offset = LV_REQUIRED },
};
static const lv_type bulk_result_type = {
	.kind = LV_K_STRUCT, .name = "int", .size = sizeof(bulk_result), .fields = bulk_result_fields,
	.nfields = 1,
};

static int
bulk(lv_call *call, const void *args, void *result)
{
	const bulk_args *a = args;
	lv_server *s = lv_call_server(call);
	lv_arena arena;
	lv_arena_init(&arena);
	int rc = 0;
	Todo first = { 0 };
	for (int64_t i = 0; i < a->n && rc == 0; i++) {
		char title[32];
		snprintf(title, sizeof title, "bulk %lld", (long long)i);
		Todo t = { .title = lv_cstr(title), .rank = 1000 + i };
		Todo made;
		rc = lv_model_create(s, &models[0], &t, &made, &arena);
		if (rc == 0 && i == 0)
			first = made;
	}
	Todo got, renamed;
	if (rc == 0 && a->n > 0)
		rc = lv_model_get(s, &models[0], &first.id, &got, &arena);
	if (rc == 0 && a->n > 0) {
		got.title = lv_cstr("bulk first");
		rc = lv_model_update(s, &models[0], &got, &renamed, &arena);
		if (rc == 0 && renamed.rev != 2)
			rc = lv_call_fail(call, LV_EINTERNAL, "an update made rev %lld, not 2",
			                  (long long)renamed.rev);
		if (rc == 0 && lv_model_update(s, &models[0], &got, &renamed, &arena) != LV_EABORTED)
			rc = lv_call_fail(call, LV_EINTERNAL, "a stale update was not refused");
	}
	lv_json page;
	if (rc == 0)
		rc = lv_model_list(s, &models[0], "{\"where\":{\"title\":{\"contains\":\"bulk\"}},"
		                   "\"limit\":1}", &page, &arena);
	if (rc == 0 && !strstr(page.ptr, "\"limit\":1"))
		rc = lv_call_fail(call, LV_EINTERNAL, "lv_model_list answered %s", page.ptr);
	lv_arena_free(&arena);
	((bulk_result *)result)->value = a->n;
	return rc;
}

#define EP(n, op, fn) { .name = n, .kind = LV_SERVER_RPC, .flags = LV_EP_PUBLIC, \
                        .args = &lv_model_args_type[op], .result = &lv_json_type, .invoke = fn }
static const lv_endpoint endpoints[] = {   /* sorted by name */
	{ .name = "bulk", .kind = LV_SERVER_RPC, .flags = LV_EP_PUBLIC, .args = &bulk_args_type,
	  .result = &bulk_result_type, .invoke = bulk },
	EP("todos.create", LV_MODEL_CREATE, todos_create),
	EP("todos.delete", LV_MODEL_DELETE, todos_delete),
	EP("todos.list", LV_MODEL_LIST, todos_list),
	EP("todos.retrieve", LV_MODEL_RETRIEVE, todos_retrieve),
	EP("todos.subscribe", LV_MODEL_SUBSCRIBE, todos_subscribe),
	EP("todos.unsubscribe", LV_MODEL_UNSUBSCRIBE, todos_unsubscribe),
	EP("todos.update", LV_MODEL_UPDATE, todos_update),
};

static const lv_app app = {
	.abi = LV_ABI_VERSION, .name = "app", .base = "mtest", .schema_hash = "mtest-1",
	.endpoints = endpoints, .nendpoints = sizeof endpoints / sizeof *endpoints,
	.models = models, .nmodels = 1, .model_bindings = bindings, .nmodel_bindings = 1,
};

/* ---- the server ------------------------------------------------------------------ */

static int
auth(lv_auth *a, const lv_request *req, void *user_data)
{
	(void)user_data;
	const char *token = lv_request_query(req, "token");
	if (token && strcmp(token, "admin") == 0) {
		static const char *const roles[] = { "admin" };
		return lv_auth_set(a, "root", roles, 1);
	}
	return 0;
}

static uint32_t
env_ms(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? (uint32_t)strtoul(v, NULL, 10) : 0;
}

int
main(void)
{
	lv_options o;
	memset(&o, 0, sizeof o);
	o.port = -1;
	o.store = getenv("LV_TEST_STORE");
	o.store_poll_ms = env_ms("LV_TEST_POLL_MS");
	o.resume_ms = env_ms("LV_TEST_RESUME_MS");
	o.heartbeat_ms = env_ms("LV_TEST_HEARTBEAT_MS");
	o.handle_signals = true;
	o.auth = auth;
	if (!o.store) {
		fprintf(stderr, "models_server: LV_TEST_STORE names the store\n");
		return 2;
	}
	const char *loop = getenv("LV_TEST_LOOP");
	if (loop && strcmp(loop, "uv") == 0) {
		o.loop = LV_LOOP_UV;
	} else if (loop && strcmp(loop, "ev") == 0) {
		o.loop = LV_LOOP_EV;
	} else if (loop && strcmp(loop, "poll") == 0) {
		o.loop = LV_LOOP_POLL;
	} else if (loop && *loop) {
		fprintf(stderr, "models_server: LV_TEST_LOOP is poll, uv or ev\n");
		return 2;
	}
	lv_server *s;
	int rc = lv_server_new(&s, &app, &o);
	if (rc) {
		fprintf(stderr, "models_server: %s\n", lv_strerror(rc));
		return 1;
	}
	printf("schema %s\nport %d\n", app.schema_hash, lv_server_port(s));
	fflush(stdout);
	rc = lv_server_run(s);
	lv_server_free(s);
	return rc ? 1 : 0;
}
