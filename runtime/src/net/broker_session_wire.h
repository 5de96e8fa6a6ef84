/* broker_session_wire.h - a session's record as Redis hands it to the node that takes it, parsed without trusting a byte (broker_session_wire.c).
 *
 * TAKE_LUA (broker_session.c) answers 0 (no such session), 'overflow',
 * or {fence, the record's HGETALL, the queue's LRANGE, the groups}; this
 * turns that reply into a struct, checking every count, length and
 * number, or says why it refuses it. Pure: no I/O, no server. */
#ifndef LV_BROKER_SESSION_WIRE_H
#define LV_BROKER_SESSION_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <hiredis.h>

enum {
	LV_BSW_IDENT_MAX = 65536,   /* bytes of an identity, of the roles */
	LV_BSW_ROLES_MAX = 1024,    /* roles of a session */
	LV_BSW_GROUP_MAX = 256,     /* bytes of a group's name */
	LV_BSW_GROUPS_MAX = 4096,   /* groups of a session */
};

/* Bytes inside the reply: NUL-terminated there (hiredis ends every string
 * with one), no NUL within. */
typedef struct {
	const char *p;
	size_t n;
} lv_bsw_str;

/* A message of a group's stream after the session's offset. */
typedef struct {
	uint64_t off;
	lv_bsw_str json;
} lv_bsw_entry;

typedef struct {
	lv_bsw_str name;            /* "lv.all": every page */
	uint64_t have;              /* the offset the session had */
	uint64_t top;               /* the group's offset in Redis now */
	lv_bsw_entry *e;            /* ascending, each above have */
	size_t ne;
} lv_bsw_group;

/* An unacknowledged reliable message: "SEQ JSON" in lv:sq:TOKEN. */
typedef struct {
	uint64_t seq;
	lv_bsw_str json;
} lv_bsw_queued;

typedef struct {
	uint64_t fence;
	lv_bsw_str id;              /* a connection id: 1 to 19 of A-Z a-z 0-9 */
	lv_bsw_str node;            /* the owner before: 1 to 64 of A-Z a-z 0-9 - _ . */
	lv_bsw_str ident;           /* "" when none */
	lv_bsw_str roles;           /* one a line */
	size_t nroles;              /* its lines that are not empty */
	bool inband;
	uint64_t in, out, ack;      /* ack <= out */
	int64_t *calls;             /* calls begun (r:ID), each > 0 */
	size_t ncalls;
	lv_bsw_queued *q;           /* seqs ascending, each <= out */
	size_t nq;
	lv_bsw_group *g;            /* every group the record has, with what came since */
	size_t ng;
} lv_bsw_take;

typedef enum {
	LV_BSW_TAKEN,               /* *out filled: lv__bsw_take_free it */
	LV_BSW_UNKNOWN,             /* no such session (or not this page's) */
	LV_BSW_OVERFLOW,            /* the page's last is outside what the record has */
	LV_BSW_BAD,                 /* not a record: *why says what is wrong */
	LV_BSW_NOMEM,
} lv_bsw_result;

/* A number as lv writes them: 1 to 20 decimal digits, no sign, no leading
 * zero (but "0"), at most UINT64_MAX. */
bool lv__bsw_num(const char *p, size_t n, uint64_t *out);
/* "SEQ JSON": SEQ a number above 0, JSON not empty and without NUL. */
bool lv__bsw_queued_parse(const char *p, size_t n, lv_bsw_queued *out);
/* A stream entry's id "OFF-N" (both numbers): OFF into *off. */
bool lv__bsw_stream_id(const char *p, size_t n, uint64_t *off);
/* TAKE_LUA's reply into *out (zeroed first). Anything but LV_BSW_TAKEN
 * leaves nothing to free. */
lv_bsw_result lv__bsw_take_parse(const redisReply *r, lv_bsw_take *out, const char **why);
void lv__bsw_take_free(lv_bsw_take *t);

#endif
