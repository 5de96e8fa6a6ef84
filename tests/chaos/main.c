/* main.c - the chaos test server: chaos.lv on lv_server_new, with the
 * options the tests need taken from the environment.
 *
 *   LV_TEST_PORT           port; -1 (the default) picks a free one
 *   LV_TEST_HEARTBEAT_MS   idle time before a ping (25000)
 *   LV_TEST_RESUME_MS      how long a dropped page's session waits (120000)
 *   LV_TEST_MAX_QUEUE      messages queued to one page (65536)
 *   LV_TEST_MAX_PENDING    calls in flight per connection (64)
 *   LV_TEST_MAX_MESSAGE    bytes in one message (65536)
 *   LV_TEST_SHUTDOWN_MS    time to flush queues on stop (500)
 *   LV_TEST_MAX_ITEMS      items in one list or map (runtime default)
 *   LV_TEST_MAX_STRING     bytes in one string (runtime default)
 *   LV_TEST_MAX_DEPTH      nesting the decoder accepts (runtime default)
 *   LV_TEST_STATIC         a folder of files served at / (none)
 *   LV_TEST_MAX_CONNS      open WebSockets (runtime default)
 *   LV_TEST_MAX_DETACHED, LV_TEST_MAX_DETACHED_BYTES,
 *   LV_TEST_MAX_CONNS_PER_ADDR, LV_TEST_MAX_HANDSHAKES_PER_ADDR,
 *   LV_TEST_MAX_RX_BYTES, LV_TEST_MAX_RX_BYTES_PER_ADDR,
 *   LV_TEST_HANDSHAKE_MS, LV_TEST_BODY_MS, LV_TEST_MESSAGE_MS
 *                          the lv_options of the same names (runtime defaults)
 *   LV_TEST_REQUIRE_ORIGIN 1: refuse requests without an Origin
 *
 * It prints "schema HASH" and "port N" on stdout once it listens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chaos.lv.h"
#include "chaos_test.h"

static long
env_num(const char *name, long dflt)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return dflt;
	char *end;
	long n = strtol(v, &end, 10);
	if (*end) {
		fprintf(stderr, "chaos: %s is not a number: %s\n", name, v);
		exit(2);
	}
	return n;
}

int
main(void)
{
	lv_options o;
	memset(&o, 0, sizeof o);
	o.port = (int)env_num("LV_TEST_PORT", -1);
	o.heartbeat_ms = (uint32_t)env_num("LV_TEST_HEARTBEAT_MS", 25000);
	o.resume_ms = (uint32_t)env_num("LV_TEST_RESUME_MS", 120000);
	o.max_queue = (uint32_t)env_num("LV_TEST_MAX_QUEUE", 65536);
	o.max_queue_bytes = 64u << 20;
	o.max_pending = (uint32_t)env_num("LV_TEST_MAX_PENDING", 64);
	o.max_message = (size_t)env_num("LV_TEST_MAX_MESSAGE", 65536);
	o.shutdown_ms = (uint32_t)env_num("LV_TEST_SHUTDOWN_MS", 500);
	o.limits.max_items = (uint32_t)env_num("LV_TEST_MAX_ITEMS", 0);
	o.limits.max_string = (uint32_t)env_num("LV_TEST_MAX_STRING", 0);
	o.limits.max_depth = (uint32_t)env_num("LV_TEST_MAX_DEPTH", 0);
	o.static_dir = getenv("LV_TEST_STATIC");
	o.max_conns = (uint32_t)env_num("LV_TEST_MAX_CONNS", 0);
	o.max_detached = (uint32_t)env_num("LV_TEST_MAX_DETACHED", 0);
	o.max_detached_bytes = (size_t)env_num("LV_TEST_MAX_DETACHED_BYTES", 0);
	o.max_conns_per_addr = (uint32_t)env_num("LV_TEST_MAX_CONNS_PER_ADDR", 0);
	o.max_handshakes_per_addr = (uint32_t)env_num("LV_TEST_MAX_HANDSHAKES_PER_ADDR", 0);
	o.max_rx_bytes = (size_t)env_num("LV_TEST_MAX_RX_BYTES", 0);
	o.max_rx_bytes_per_addr = (size_t)env_num("LV_TEST_MAX_RX_BYTES_PER_ADDR", 0);
	o.handshake_ms = (uint32_t)env_num("LV_TEST_HANDSHAKE_MS", 0);
	o.body_ms = (uint32_t)env_num("LV_TEST_BODY_MS", 0);
	o.message_ms = (uint32_t)env_num("LV_TEST_MESSAGE_MS", 0);
	o.require_origin = env_num("LV_TEST_REQUIRE_ORIGIN", 0) != 0;
	o.handle_signals = true;

	lv_server *s;
	int err = lv_server_new(&s, &chaos_app, &o);
	if (err) {
		fprintf(stderr, "chaos: cannot start: %s\n", lv_strerror(err));
		return 1;
	}
	printf("schema %s\nport %d\n", chaos_app.schema_hash, lv_server_port(s));
	fflush(stdout);
	int rc = lv_server_run(s);

	/* Pushers and deferred answers still running finish first. */
	chaos_test_stop();
	for (int i = 0; i < 1000 && chaos_test_threads_running() > 0; i++)
		nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	lv_server_free(s);
	return rc == 0 ? 0 : 1;
}
