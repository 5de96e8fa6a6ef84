/* broker_health.h - how the Redis broker's link is doing: a command's round trip to Redis and pub/sub's lag, for /lv/metrics.
 *
 * With each heartbeat the node PUBLISHes a probe, 'L' NODE "\n" SENT_US
 * (its own clock, lv__now_us), on its own channel lv:n:NODE: the PUBLISH's
 * answer times a command's round trip, and the probe heard back on the
 * subscriptions connection times pub/sub, Redis' delivery included. While
 * one is waiting longer than the last took, its wait so far is what is
 * shown: a stalled Redis shows as a round trip and a lag that grow. The
 * broker (broker_redis.c) calls these hooks on the loop thread. */
#ifndef LV_BROKER_HEALTH_H
#define LV_BROKER_HEALTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct redisAsyncContext;   /* hiredis' <async.h>: not needed by the wire below */
typedef struct lv_bhealth lv_bhealth;

/* node: the broker's id, whose buffer may be filled in later, before
 * the broker starts. */
lv_bhealth *lv__bhealth_new(const char *node);
void lv__bhealth_free(lv_bhealth *h);
/* Redis is up on the command connection ac; it is lost. */
void lv__bhealth_up(lv_bhealth *h, struct redisAsyncContext *ac);
void lv__bhealth_down(lv_bhealth *h);
/* A heartbeat: a probe goes out. */
void lv__bhealth_beat(lv_bhealth *h);
/* A message of kind 'L' on this node's channel. */
void lv__bhealth_received(lv_bhealth *h, const char *data, size_t len);
/* In seconds: the round trip and the lag as above; false for each while
 * nothing was measured yet. */
bool lv__bhealth_rtt(const lv_bhealth *h, double *seconds);
bool lv__bhealth_lag(const lv_bhealth *h, double *seconds);

/* ---- the probe's wire (probe_wire.c): pure, no I/O ---------------------------- */

/* 'L' NODE "\n" SENT_US into *node (within v, not terminated) and
 * *sent_us: false when it is not one (NODE 1 to 64 of A-Z a-z 0-9 - _ .,
 * SENT_US 1 to 19 digits, not above INT64_MAX). */
bool lv__probe_parse(const char *v, size_t len, const char **node, size_t *node_len,
                     int64_t *sent_us);
/* The probe of node sent at sent_us (>= 0) into out (at least 88 bytes):
 * its length. */
size_t lv__probe_make(const char *node, int64_t sent_us, char *out, size_t n);

#endif
