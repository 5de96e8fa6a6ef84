/* broker_history.h - reliable group messages between nodes in offset order, once each, or a resync: the Redis broker's per-group offsets and streams.
 *
 * Each reliable group push gets the group's next offset in Redis and is
 * kept in the group's stream (PUBLISH_LUA); every node delivers a group's
 * messages to its members in offset order, fetches what pub/sub did not
 * bring from the stream, and tells its members {"t":"resync"} when what
 * they missed is gone (retention, or Redis lost its data: the epoch). The
 * broker (broker_redis.c) calls these hooks on the loop thread; the
 * command connection is given while Redis is up. */
#ifndef LV_BROKER_HISTORY_H
#define LV_BROKER_HISTORY_H

#include <async.h>

#include "net/broker_script.h"

typedef struct lv_bhist lv_bhist;

/* keep: the messages each group's stream keeps (0: 1000), keep_ms: for
 * how long (0: 10 minutes); sc: the broker's scripts. */
lv_bhist *lv__bhist_new(lv_server *s, lv_broker_stats *stats, lv_bscript *sc, const char *node,
                        uint32_t keep, uint32_t keep_ms);
void lv__bhist_free(lv_bhist *h);
/* Redis is up on the command connection ac: the epoch is read, and each
 * followed group catches up once its channel is answered again. */
void lv__bhist_up(lv_bhist *h, redisAsyncContext *ac);
/* Redis is lost: replies on their way are no longer awaited. */
void lv__bhist_down(lv_bhist *h);
/* This node has members in group (idempotent); they no longer are. */
int lv__bhist_follow(lv_bhist *h, const char *group);
void lv__bhist_unfollow(lv_bhist *h, const char *group);
/* Follows group (NULL: every page) from offset `from` when it is not
 * followed yet: a session resumed here had up to there. */
int lv__bhist_follow_from(lv_bhist *h, const char *group, uint64_t from);
/* Redis' epoch as last read ("" until read). */
const char *lv__bhist_epoch(const lv_bhist *h);
/* The offset this node's members of group (NULL: every page) have had,
 * when it is known. */
bool lv__bhist_last(lv_bhist *h, const char *group, uint64_t *last);
/* Queues on c the messages of group (NULL: every page) this node
 * delivered after offset `after`: 0, or LV_ENOT_FOUND when it no longer has
 * them all. */
int lv__bhist_since(lv_bhist *h, const char *group, uint64_t after, lv_conn *c);
/* Below, group NULL is every page, which every node follows. */
/* The group's channel is answered: messages on it now reach this node. */
void lv__bhist_subscribed(lv_bhist *h, const char *group);
/* m, a reliable message, to every member of group on every node,
 * this node's included (once its offset comes up): 0 once taken (sent;
 * should the connection go before Redis answers, sent again once it is
 * back, in order, and run once), or LV_EUNAVAILABLE (Redis is away, or
 * 10,000 pushes await their answer) / LV_ENOMEM. */
int lv__bhist_publish(lv_bhist *h, const char *group, const lv_msg *m);
/* The reliable pushes sent and not answered yet, and when the oldest of
 * them was taken (lv__now_us) in *oldest_us when there is one. */
size_t lv__bhist_waiting(const lv_bhist *h, int64_t *oldest_us);
/* A message of kind 'H' on group's channel: "H" ORIGIN "\n" EPOCH " "
 * OFFSET "\n" JSON. */
void lv__bhist_received(lv_bhist *h, const char *group, const char *data, size_t len);

#endif
