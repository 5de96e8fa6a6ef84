/* presence.h - who is in a group on every node, and the join and leave events.
 *
 * The module behind lv_group_members and lv_presence_watch (presence.c),
 * the Redis broker's part of it (broker_presence.c) and what they write
 * in Redis (presence_wire.c).
 *
 * On one node presence reads the node's own groups (group.c) and raises
 * events from the local broker's join and leave. With Redis each member
 * is also an entry of the group's hash lv:pm:G (field: its connection id;
 * value: its node and identity), each join and leave is published on the
 * group's channel as a message of kind 'P', and the nodes sweep the
 * entries of nodes whose key expired, each once, as leaves "node died". */
#ifndef LV_PRESENCE_H
#define LV_PRESENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "lv.h"

/* ---- the wire (presence_wire.c): pure, no I/O -------------------------------- */

/* A hash entry's value: NODE "\n" ("-" | "=" IDENTITY). */
typedef struct {
	const char *node;
	size_t node_len;
	const char *identity;       /* NULL: anonymous */
	size_t identity_len;
} lv_pres_entry;

/* An event on a group's channel: "P" ORIGIN "\n" EV CONN "\n" ENTRY, EV
 * one of 'j' joined, 'l' left, 'd' disconnected, 'x' node died. */
typedef struct {
	const char *origin;
	size_t origin_len;
	lv_presence_kind kind;
	const char *conn;
	size_t conn_len;
	lv_pres_entry entry;
} lv_pres_wire;

/* Node ids as broker_redis.c takes them (1 to 64 of A-Z a-z 0-9 - _ .),
 * connection ids as conn.c makes them (1 to 19 of A-Z a-z 0-9). */
bool lv__pres_node_ok(const char *p, size_t n);
bool lv__pres_conn_ok(const char *p, size_t n);
/* false for anything that is not what the comment above says (no NUL
 * inside an identity, at most LV_PRES_IDENTITY_MAX bytes). */
bool lv__pres_entry_parse(const char *v, size_t len, lv_pres_entry *out);
bool lv__pres_wire_parse(const char *v, size_t len, lv_pres_wire *out);
/* The entry value for node and identity (NULL: anonymous), malloc'd and
 * NUL-terminated, its length in *len; NULL when out of memory. */
char *lv__pres_entry_make(const char *node, const char *identity, size_t *len);
char lv__pres_kind_char(lv_presence_kind k);

enum { LV_PRES_IDENTITY_MAX = 4096 };

/* ---- the module (presence.c) -------------------------------------------------- */

/* An event for the program's handler (if any), raised soon on the loop,
 * never inside the caller; none once the loop is ending. Strings are
 * copied. */
void lv__presence_event(lv_server *s, const char *group, lv_presence_kind kind,
                        const char *conn_id, const char *identity, bool local, bool origin);
/* This node's members of group into a new array (ids and identities
 * borrowed from the connections: valid until the loop turns); *n their
 * number. NULL with *n 0 when there are none; NULL with *n not 0 when out
 * of memory. */
lv_member *lv__presence_here(lv_server *s, const char *group, size_t *n);
/* The names of this node's groups into a new array (borrowed from the
 * groups: valid until the loop turns); *n their number, NULL as above. */
const char **lv__presence_groups_here(lv_server *s, size_t *n);
/* A group name presence takes: 1 to 256 bytes, no NUL, not "lv.". */
bool lv__presence_group_ok(const char *name, size_t len);

/* ---- the Redis broker's part (broker_presence.c) ------------------------------- */

typedef struct lv_bpres lv_bpres;
struct redisAsyncContext;   /* hiredis' async.h */
struct lv_bscript;          /* broker_script.h */

/* sc: the broker's scripts; node: this node's id (both borrowed for the
 * broker's life). */
lv_bpres *lv__bpres_new(lv_server *s, struct lv_bscript *sc, const char *node);
void lv__bpres_free(lv_bpres *p);
/* Redis is up on the command connection ac (first: the first time this
 * run); lost. */
void lv__bpres_up(lv_bpres *p, struct redisAsyncContext *ac, bool first);
void lv__bpres_down(lv_bpres *p);
/* c is registered in group in Redis (its channel answered); c left the
 * group (disconnected: its session ended). */
void lv__bpres_joined(lv_bpres *p, lv_conn *c, const char *group);
void lv__bpres_left(lv_bpres *p, const char *conn_id, const char *group, bool disconnected);
/* A message of kind 'P' on group's channel. */
void lv__bpres_received(lv_bpres *p, const char *group, const char *data, size_t len);
/* The loop ends: the sweep stops; when Redis is up (up), this node's
 * entries go as leaves (disconnected). */
void lv__bpres_stop(lv_bpres *p, bool up);
/* lv_group_members with Redis. */
int lv__bpres_members(lv_bpres *p, const char *group, lv_members_fn fn, void *user_data);
/* lv_group_list with Redis. */
int lv__bpres_groups(lv_bpres *p, lv_groups_fn fn, void *user_data);

#endif
