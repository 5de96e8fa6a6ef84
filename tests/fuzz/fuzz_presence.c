/* fuzz_presence.c - libFuzzer target for what presence reads from Redis (presence_wire.c).
 *
 * Bytes -> a join or leave event of a group's channel and a member's
 * entry of a group's hash. Checked on the way: what parses lies within
 * the input, its ids are what the node and connection id rules allow,
 * and an entry made again from what was parsed parses to the same.
 * presence_wire.c alone, no library. Built by tests/fuzz/fuzz.mk. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "net/presence.h"

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
within(const uint8_t *data, size_t size, const char *p, size_t n)
{
	check(p >= (const char *)data && p + n <= (const char *)data + size);
}

static void
entry_again(const lv_pres_entry *e)
{
	char node[65], *id = NULL;
	check(e->node_len < sizeof node && lv__pres_node_ok(e->node, e->node_len));
	memcpy(node, e->node, e->node_len);
	node[e->node_len] = '\0';
	if (e->identity) {
		id = malloc(e->identity_len + 1);
		check(id != NULL);
		memcpy(id, e->identity, e->identity_len);
		id[e->identity_len] = '\0';
	}
	size_t len;
	char *v = lv__pres_entry_make(node, id, &len);
	check(v != NULL);
	lv_pres_entry again;
	check(lv__pres_entry_parse(v, len, &again));
	check(again.node_len == e->node_len && memcmp(again.node, e->node, e->node_len) == 0);
	check((again.identity == NULL) == (e->identity == NULL));
	check(again.identity_len == e->identity_len);
	check(!e->identity || memcmp(again.identity, e->identity, e->identity_len) == 0);
	free(v);
	free(id);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes: a read past it is the sanitizer's */
	char *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	lv_pres_wire w;
	if (lv__pres_wire_parse(p, size, &w)) {
		within((const uint8_t *)p, size, w.origin, w.origin_len);
		within((const uint8_t *)p, size, w.conn, w.conn_len);
		within((const uint8_t *)p, size, w.entry.node, w.entry.node_len);
		check(lv__pres_node_ok(w.origin, w.origin_len));
		check(lv__pres_conn_ok(w.conn, w.conn_len));
		check(lv__pres_kind_char(w.kind) != 0);
		entry_again(&w.entry);
	}
	lv_pres_entry e;
	if (lv__pres_entry_parse(p, size, &e)) {
		within((const uint8_t *)p, size, e.node, e.node_len);
		if (e.identity)
			within((const uint8_t *)p, size, e.identity, e.identity_len);
		entry_again(&e);
	}
	free(p);
	return 0;
}
