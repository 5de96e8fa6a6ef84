/* models_random_main.c - the server of models_random.test.mjs: the app lvc
 * generated from models_random.lv (its handlers in
 * models_random_handlers.c) on lv_server_new, with the options the test
 * sets in the environment.
 *
 *   LV_TEST_STORE          the store: a SQLite file or a postgresql:// URI (required)
 *   LV_TEST_POLL_MS        store_poll_ms (runtime default)
 *   LV_TEST_RESUME_MS      resume_ms (runtime default)
 *   LV_TEST_HEARTBEAT_MS   heartbeat_ms (runtime default)
 *   LV_TEST_LOOP           poll | uv | ev (lv's own libuv or libev loop); unset: the runtime's default
 *
 * Prints "schema HASH" and "port N" once it listens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models_random.lv.h"

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
	const char *loop = getenv("LV_TEST_LOOP");
	if (loop && strcmp(loop, "uv") == 0) {
		o.loop = LV_LOOP_UV;
	} else if (loop && strcmp(loop, "ev") == 0) {
		o.loop = LV_LOOP_EV;
	} else if (loop && strcmp(loop, "poll") == 0) {
		o.loop = LV_LOOP_POLL;
	} else if (loop && *loop) {
		fprintf(stderr, "models_random_server: LV_TEST_LOOP is poll, uv or ev\n");
		return 2;
	}
	if (!o.store || !*o.store) {
		fprintf(stderr, "models_random_server: LV_TEST_STORE names the store "
		                "(a SQLite file or a postgresql:// URI)\n");
		return 2;
	}
	lv_server *s;
	int rc = lv_server_new(&s, &mrand_app, &o);
	if (rc) {
		fprintf(stderr, "models_random_server: %s\n", lv_strerror(rc));
		return 1;
	}
	printf("schema %s\nport %d\n", mrand_app.schema_hash, lv_server_port(s));
	fflush(stdout);
	rc = lv_server_run(s);
	lv_server_free(s);
	return rc ? 1 : 0;
}
