/* fuzz_protocol.c - libFuzzer target for the protocol path: frames (the
 * input split at newlines) -> JSON -> validation -> dispatch to the
 * handlers of an app, on a real server whose connection has no socket
 * (what it sends stays in its queue). Each run says hello first, so the
 * frames reach calls, sends, acks and answers; after each frame the work
 * posted to the loop runs, as the loop would run it.
 *
 * FUZZ_APP names the app: codec_app (tests/codegen/codec.lv and its stub
 * handlers, the default) or models_app (tests/fuzz/models.lv and
 * models_handlers.c: model endpoints, their SQL and live queries, on a
 * SQLite database in memory that the server opens). With models, each
 * run ends by emptying the tables through the typed model functions, so
 * that the next starts from none, and checks:
 * - every row the frames left in a table is a value of its model's type
 *   (what a page writes is checked before the database sees it);
 * - no live query outlives the session that held it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

#ifndef FUZZ_APP
#define FUZZ_APP codec_app
#endif
extern const lv_app FUZZ_APP;

static lv_server *server;

static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_protocol: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

/* Every row of def's table read back as a value of its type, then removed. */
static void
empty_table(const lv_model_def *def)
{
	lv_arena a;
	lv_arena_init(&a);
	lv_json page;
	if (lv_model_list(server, def, NULL, &page, &a) != 0)
		fail("listing a table", def->table);
	json_t *p = json_loadb(page.ptr, page.len, 0, NULL);
	json_t *rows = json_object_get(p, "rows");
	if (!json_is_array(rows))
		fail("a table's page has no rows", page.ptr);
	const lv_field *kf = &def->type->fields[def->key];
	const char *vname = def->type->fields[def->version].name;
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row) {
		json_t *k = json_object_get(row, kf->name);
		int64_t ikey = json_integer_value(k);
		lv_str skey = { json_string_value(k), json_string_length(k) };
		const void *key = kf->type->kind == LV_K_INT ? (const void *)&ikey : (const void *)&skey;
		void *v = lv_arena_alloc(&a, def->type->size);
		if (!v || lv_model_get(server, def, key, v, &a) != 0) {
			char *text = json_dumps(row, JSON_COMPACT);
			fprintf(stderr, "fuzz_protocol: %s holds a row that is no %s: %s\n", def->table,
			        def->name, text ? text : "?");
			abort();
		}
		if (lv_model_delete(server, def, key, json_integer_value(json_object_get(row, vname))))
			fail("removing a row of", def->table);
	}
	json_decref(p);
	lv_arena_free(&a);
}

static void
empty_tables(void)
{
	for (uint32_t i = 0; i < FUZZ_APP.nmodels; i++)
		empty_table(&FUZZ_APP.models[i]);
	lv__inbox_drain(server);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!server) {
		lv_options o;
		memset(&o, 0, sizeof o);
		o.port = -1;
		o.log_level = LV_LOG_ERROR;
		o.max_queue = 64;
		o.store = ":memory:";
		if (lv_server_new(&server, &FUZZ_APP, &o) != 0)
			abort();
		/* This thread is the loop: what handlers post runs at once. */
		atomic_store(&server->in_loop, true);
		server->loop = pthread_self();
	}
	lv_conn *c = lv__conn_new(server, NULL);
	if (!c)
		return 0;
	char hello[160];
	int n = snprintf(hello, sizeof hello, "{\"t\":\"hello\",\"app\":\"%s\",\"schema\":\"%s\"}",
	                 FUZZ_APP.name, FUZZ_APP.schema_hash);
	lv__dispatch(c, hello, (size_t)n);
	const char *p = (const char *)data, *end = p + size;
	while (p < end && !c->ended) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		lv__dispatch(c, p, len);
		lv__inbox_drain(server);
		p += len + (nl != NULL);
	}
	if (!c->ended)
		lv__conn_end(c);
	lv__inbox_drain(server);
	if (lv__models_live(server, false) || lv__models_live(server, true))
		fail("a live query outlived its session", NULL);
	empty_tables();
	return 0;
}
