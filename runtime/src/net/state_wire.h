/* state_wire.h - how a shared state travels through Redis: its key, and the patch frames on a channel, parsed without trusting a byte.
 *
 * KEY is the state's name for a global state and NAME "@" GROUP for a
 * group's (a state's name is an identifier: it holds no "@"). A patch on
 * the channel of its group (lv:g:GROUP) or of every page (lv:all) is
 * "T" ORIGIN "\n" NAME "\n" REV "\n" BODY: ORIGIN the node that made it,
 * REV the revision Redis gave it (1 or more, decimal, no leading zero),
 * BODY the page message {"t":"state",...,"rev":REV,"ops":[...]} as every
 * node sends it. Private to net/. */
#ifndef LV_NET_STATE_WIRE_H
#define LV_NET_STATE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A state's name as the wire takes it: 1 to 128 of A-Z a-z 0-9 _. */
bool lv__stw_name_ok(const char *p, size_t n);

/* KEY of (name, group: NULL for a global state), malloc'd; NULL when
 * name is not a state's name or out of memory. */
char *lv__stw_key(const char *name, const char *group);

/* A decimal revision of 1 or more in [p, p + n): false when it is not. */
bool lv__stw_rev(const char *p, size_t n, uint64_t *rev);

typedef struct {
	const char *origin, *name, *body;   /* within the frame parsed */
	size_t origin_len, name_len, body_len;
	uint64_t rev;
} lv_stw_frame;

/* A 'T' frame: false when it is not one (the pointers then mean nothing). */
bool lv__stw_parse(const char *data, size_t len, lv_stw_frame *out);

#endif
