/* broker_session.h - sessions kept in Redis, so that a page whose node died resumes on any node: the Redis broker's hooks for them.
 *
 * A session's record (its owner and fencing token, identity, the last
 * sequence numbers each way, its groups with the offset each has had,
 * its unacknowledged reliable messages and the calls it has begun) is
 * written before what it records goes out: a message reaches the socket
 * once Redis has it, a call runs once Redis knows it arrived. A node that
 * resumes a session elsewhere takes it with a script that increments the
 * token; every write checks it, so the old owner's fail, and the old
 * owner is told (pub/sub) and lets the session go. After a lost link
 * the record is written again whole (broker_session_relink.c).
 * broker_redis.c calls these on the loop thread. */
#ifndef LV_BROKER_SESSION_H
#define LV_BROKER_SESSION_H

#include <async.h>

#include "net/broker_history.h"
#include "net/broker_script.h"

typedef struct lv_bsess lv_bsess;

/* How the broker joins a resumed session to a group whose messages it
 * had up to offset `from`. */
typedef int (*lv_bsess_join_fn)(lv_broker *b, lv_conn *c, const char *group, uint64_t from);

lv_bsess *lv__bsess_new(lv_server *s, lv_broker *b, lv_bhist *h, lv_bscript *sc,
                        const char *node, lv_bsess_join_fn join);
void lv__bsess_free(lv_bsess *st);
/* Redis is up on the command connection ac (each dirty session's record
 * is written again); it is lost (every session goes dirty: what its page
 * sends waits, broker_session_relink.c). */
void lv__bsess_up(lv_bsess *st, redisAsyncContext *ac);
void lv__bsess_down(lv_bsess *st);
/* Each heartbeat, also while Redis is away: the records of idle sessions
 * are kept alive, and dirty sessions that waited too long stay here. */
void lv__bsess_beat(lv_bsess *st);
/* A message of kind 'K' on this node's channel: another node took a
 * session. "K" NODE "\n" ID "\n" TOKEN. */
void lv__bsess_received(lv_bsess *st, const char *data, size_t len);
/* A session begins here; ends (its record goes, if it is still ours). */
void lv__bsess_create(lv_bsess *st, lv_conn *c);
void lv__bsess_end(lv_bsess *st, lv_conn *c);
/* The session joined or left a group. */
void lv__bsess_joined(lv_bsess *st, lv_conn *c, const char *group);
void lv__bsess_left(lv_bsess *st, lv_conn *c, const char *group);
/* The broker operations of the same names (broker.h). */
/* up: Redis is up. LV_EUNAVAILABLE (no answer yet, the page tries again)
 * while Redis has been away for less than the resume window, since the
 * node started or lost it: the record may still be there. */
int lv__bsess_take(lv_bsess *st, lv_conn *fresh, const char *token, uint64_t last, bool up);
bool lv__bsess_accept(lv_bsess *st, lv_conn *c, const lv_msg *m);
void lv__bsess_queued(lv_bsess *st, lv_conn *c, const lv_msg *m, uint64_t seq);
bool lv__bsess_inbound(lv_bsess *st, lv_conn *c, const char *text, size_t len, uint64_t seq,
                       uint64_t call_id);
void lv__bsess_acked(lv_bsess *st, lv_conn *c);
void lv__bsess_auth(lv_bsess *st, lv_conn *c);

#endif
