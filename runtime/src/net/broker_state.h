/* broker_state.h - global and group states shared by every node: the Redis broker's per-state revision counters, patch streams and snapshots.
 *
 * A flush of a shared copy (live.h) runs one script in Redis that numbers
 * it, keeps it in the state's stream and publishes it on the group's
 * channel (lv:all for a global state); every node, the writer included,
 * takes the patches of its copies in revision order and queues them on
 * its pages, fetches what pub/sub did not bring from the stream, and
 * loads a copy from the snapshot and the patches after it when it makes
 * it, when its own order of changes differed from Redis' (a conflict), or
 * when Redis lost what it had. The broker (broker_redis.c) calls these
 * hooks on the loop thread; the command connection is given while Redis
 * is up. */
#ifndef LV_BROKER_STATE_H
#define LV_BROKER_STATE_H

#include <async.h>

#include "net/broker_script.h"

typedef struct lv_bstate lv_bstate;

/* keep: the patches each state's stream keeps (0: 1000). */
lv_bstate *lv__bstate_new(lv_server *s, lv_broker_stats *stats, lv_bscript *sc, const char *node,
                          uint32_t keep);
void lv__bstate_free(lv_bstate *t);
/* Redis is up on the command connection ac; lost. Each copy is checked
 * again once its channel is answered (lv__bstate_subscribed). */
void lv__bstate_up(lv_bstate *t, redisAsyncContext *ac);
void lv__bstate_down(lv_bstate *t);
/* The channel of group (NULL: lv:all) is answered: its copies here load,
 * or catch up with what they missed. */
void lv__bstate_subscribed(lv_bstate *t, const char *group);
/* A copy was made here (it loads once `listening`: its group's channel
 * is answered; a global copy's is lv:all's, known here); it goes. */
int lv__bstate_open(lv_bstate *t, lv_state *st, bool listening);
void lv__bstate_close(lv_bstate *t, lv_state *st);
/* broker.h's state_ready and state_publish. */
int lv__bstate_ready(lv_bstate *t, lv_state *st);
int lv__bstate_publish(lv_bstate *t, lv_state *st, const char *ops, size_t len);
/* Does this node hold a copy of a state of group? Then it follows the
 * group's channel, members here or not. */
bool lv__bstate_holds(lv_bstate *t, const char *group);
/* A 'T' frame (state_wire.h) on group's channel (NULL: lv:all). */
void lv__bstate_received(lv_bstate *t, const char *group, const char *data, size_t len);

#endif
