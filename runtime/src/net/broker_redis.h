/* broker_redis.h - the Redis broker's state, private to broker_redis.c and broker_wire.c.
 *
 * broker_redis.c holds the connections to Redis and the node's groups;
 * broker_wire.c reads what arrives on the channels and makes the frames
 * sent on them. What one calls of the other is declared here. */
#ifndef LV_BROKER_REDIS_H
#define LV_BROKER_REDIS_H

#include <async.h>

#include "net/net.h"
#include "net/broker_health.h"
#include "net/broker_history.h"
#include "net/broker_script.h"
#include "net/broker_session.h"
#include "net/broker_state.h"
#include "net/presence.h"

typedef enum { DOWN, CONNECTING, UP } rstate;
/* A group's channel: not followed, SUBSCRIBE sent, answered, UNSUBSCRIBE
 * sent. Members are registered in Redis (and so counted elsewhere) only
 * once the channel is answered: a member other nodes count hears their
 * pushes. */
typedef enum { SUB_NONE, SUB_ASKED, SUB_ON, SUB_LEAVING } rsub;

typedef struct rbroker rbroker;

/* One connection to Redis: commands, or subscriptions. */
typedef struct {
	rbroker *rb;
	redisAsyncContext *ac;
	bool connected;
} rlink;

/* A group this node follows: it has members here, or group_size asked. */
typedef struct {
	lv_hnode node;              /* first: the broker's table by name */
	char *name;
	uint64_t others;            /* members on other nodes, last counted */
	int64_t asked_us;
	rsub sub;
	bool counting;              /* a count is on its way */
	bool recount;               /* and the size changed since it was asked */
} rgroup;

struct rbroker {
	lv_broker base;
	char *host, *path;          /* TCP or a Unix socket */
	int port;
	char node[65];
	rlink cmd, sub;
	rstate state;
	int64_t since_us;           /* the state's beginning */
	uint32_t backoff_ms;
	uint32_t beats_unanswered;
	lv_timer *beat, *retry, *drop;
	bool started, stopping, ever_up;
	uint64_t others_pages;
	lv_htab groups;             /* rgroup by name */
	lv_bhist *hist;             /* reliable group messages in order */
	lv_bsess *sess;             /* sessions kept in Redis */
	lv_bpres *pres;             /* presence */
	lv_bstate *states;          /* states shared by every node (broker_state.c) */
	lv_bscript *scripts;        /* on the command connection (broker_script.c) */
	lv_bhealth *health;         /* round trip and lag, for /lv/metrics */
};

/* broker_redis.c, for broker_wire.c: the group followed by that name
 * (NULL: none), counted again on other nodes, its channel subscribed,
 * one of its members registered in Redis; this node's members of group. */
rgroup *lv__rb_group(rbroker *rb, const char *name);
void lv__rb_count(rbroker *rb, rgroup *g);
void lv__rb_subscribe(rbroker *rb, rgroup *g);
int lv__rb_register_member(rbroker *rb, lv_conn *c, const char *group);
uint32_t lv__rb_members_here(rbroker *rb, const char *group);
/* The group's channel is to be heard: members here, or a copy of one of
 * its states. */
bool lv__rb_needed(rbroker *rb, const char *group);

/* broker_wire.c: hiredis' callback for everything the subscriptions
 * connection hears (SUBSCRIBE's answers and the channels' messages); and
 * m framed for a channel, KIND ORIGIN "\n" [ID "\n"] JSON, malloc'd, its
 * length in *len (NULL: out of memory). */
void lv__rb_on_sub(redisAsyncContext *ac, void *r, void *arg);
char *lv__rb_frame(rbroker *rb, const char *conn_id, const lv_msg *m, size_t *len);

#endif
