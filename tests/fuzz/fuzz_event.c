/* fuzz_event.c - libFuzzer target for the Redis broker's own frames: a server event raised on every node (event_wire.c) and the heartbeat's probe (probe_wire.c).
 *
 * Bytes -> 'E' ORIGIN "\n" NAME "\n" JSON as a node reads it from lv:all,
 * and 'L' NODE "\n" SENT_US as it reads it on its own channel. Checked on
 * the way: what parses lies within the input, its ids follow the rules,
 * and the frame made again from what was parsed is the input byte for
 * byte (for the probe: the same node and time). The two files alone, no
 * library. Built by tests/fuzz/fuzz.mk. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/broker_health.h"
#include "net/event_wire.h"

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
within(const char *base, size_t size, const char *p, size_t n)
{
	check(p >= base && p + n <= base + size);
}

static char *
cstr(const char *p, size_t n)
{
	char *s = malloc(n + 1);
	check(s != NULL);
	memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes: a read past it is the sanitizer's */
	char *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	lv_event_wire w;
	if (lv__event_wire_parse(p, size, &w)) {
		within(p, size, w.origin, w.origin_len);
		within(p, size, w.name, w.name_len);
		within(p, size, w.json, w.json_len);
		check(w.origin_len >= 1 && w.origin_len <= LV_EVENT_NODE_MAX);
		check(w.name_len >= 1 && w.name_len <= LV_EVENT_NAME_MAX);
		check(w.json_len >= 1);
		check(!memchr(w.origin, '\n', w.origin_len) && !memchr(w.name, '\n', w.name_len));
		char *origin = cstr(w.origin, w.origin_len), *name = cstr(w.name, w.name_len);
		size_t len;
		char *again = lv__event_wire_make(origin, name, w.json, w.json_len, &len);
		check(again != NULL && len == size && memcmp(again, p, size) == 0);
		free(again);
		free(origin);
		free(name);
	}
	const char *node;
	size_t nl;
	int64_t t;
	if (lv__probe_parse(p, size, &node, &nl, &t)) {
		within(p, size, node, nl);
		check(nl >= 1 && nl <= 64 && t >= 0);
		char *n = cstr(node, nl), again[96];
		size_t len = lv__probe_make(n, t, again, sizeof again);
		const char *node2;
		size_t nl2;
		int64_t t2;
		check(lv__probe_parse(again, len, &node2, &nl2, &t2));
		check(nl2 == nl && memcmp(node2, node, nl) == 0 && t2 == t);
		free(n);
	}
	free(p);
	return 0;
}
