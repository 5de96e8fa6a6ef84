/* event_wire.h - a custom server event raised on every node, as its frame on a Redis channel.
 *
 * 'E' ORIGIN "\n" NAME "\n" JSON on lv:all: ORIGIN the raising node (its
 * id as broker_redis.c takes them), NAME the event (`@server.on("NAME")`:
 * 1 to 64 of letters, digits, _ . : -), JSON its arguments as the
 * endpoint's codec wrote them. Pure (event_wire.c), no I/O: the fuzz
 * target fuzz_event compiles it alone. */
#ifndef LV_EVENT_WIRE_H
#define LV_EVENT_WIRE_H

#include <stdbool.h>
#include <stddef.h>

enum { LV_EVENT_NAME_MAX = 64, LV_EVENT_NODE_MAX = 64 };

typedef struct {
	const char *origin, *name, *json;   /* within the frame, not terminated */
	size_t origin_len, name_len, json_len;
} lv_event_wire;

/* The frame of len bytes at v into *out: false when it is not one (a
 * wrong kind, an origin or name outside the rules, no JSON). The JSON is
 * not read here: its bytes are the codec's to judge. */
bool lv__event_wire_parse(const char *v, size_t len, lv_event_wire *out);
/* The frame for node's event name with json (len bytes), malloc'd, its
 * length in *out_len; NULL when out of memory, or when node or name break
 * the rules (what would not parse is not made). */
char *lv__event_wire_make(const char *node, const char *name, const char *json, size_t len,
                          size_t *out_len);

#endif
