/* fuzz_protocol.c - libFuzzer target for the protocol path: frames (the
 * input split at newlines) -> JSON -> validation -> dispatch to the stub
 * handlers of tests/codegen/codec.lv, on a real server whose connection
 * has no socket (what it sends stays in its queue). Each run says hello
 * first, so the frames reach calls, sends, acks and answers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.lv.h"
#include "net/net.h"

static lv_server *server;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!server) {
		lv_options o;
		memset(&o, 0, sizeof o);
		o.port = -1;
		o.log_level = LV_LOG_ERROR;
		o.max_queue = 64;
		if (lv_server_new(&server, &codec_app, &o) != 0)
			abort();
		/* This thread is the loop: what handlers post runs at once. */
		atomic_store(&server->in_loop, true);
		server->loop = pthread_self();
	}
	lv_conn *c = lv__conn_new(server, NULL);
	if (!c)
		return 0;
	char hello[160];
	int n = snprintf(hello, sizeof hello, "{\"t\":\"hello\",\"app\":\"codec\",\"schema\":\"%s\"}",
	                 codec_app.schema_hash);
	lv__dispatch(c, hello, (size_t)n);
	const char *p = (const char *)data, *end = p + size;
	while (p < end && !c->ended) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		lv__dispatch(c, p, len);
		p += len + (nl != NULL);
	}
	if (!c->ended)
		lv__conn_end(c);
	return 0;
}
