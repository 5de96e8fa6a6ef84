/* broker.h - the seam between this node and where groups, presence,
 * publishing and sessions live.
 *
 * One node keeps everything in its own memory (broker_local.c, the
 * default). Several nodes share them through a broker such as Redis: a
 * join subscribes this node to the group, a publish reaches the members on
 * every node, the group's size counts them all, and a session can be
 * found by a node other than the one it began on. The network layer calls
 * only these operations, never a table behind them; the operations run on
 * the loop thread and deliver to this node's members with lv__conn_queue.
 * Modelled on Centrifugo's engine (a broker, a presence manager and the
 * history of a channel, here the session's queue). */
#ifndef LV_BROKER_H
#define LV_BROKER_H

typedef struct lv_broker lv_broker;

/* What /lv/metrics shows of a broker. */
typedef struct {
	uint64_t connected;         /* 1 while it can reach the other nodes */
	uint64_t reconnects;        /* connected again after a loss */
	uint64_t published;         /* messages sent to other nodes */
	uint64_t received;          /* messages from other nodes */
	uint64_t unavailable;       /* publishes and deliveries refused: no broker */
	uint64_t gaps_repaired;     /* holes in a group's messages filled from its history */
	uint64_t recovered;         /* messages those brought */
	uint64_t resyncs;           /* a group's members told they missed messages */
	uint64_t resent;            /* reliable pushes sent again: a lost connection left them unanswered */
	uint64_t lost;              /* reliable pushes given up: unanswered for too long */
	uint64_t sessions_taken;    /* sessions resumed here that began elsewhere */
	uint64_t sessions_lost;     /* sessions another node took from this one */
	uint64_t sessions_unkept;   /* sessions whose record could not follow them: local from then on */
	uint64_t sessions_relinked; /* records written again whole after Redis came back */
	uint64_t fenced;            /* writes for a session refused: another node owns it */
	uint64_t sessions_refused;  /* records of sessions in Redis refused as not valid */
	uint64_t state_conflicts;   /* shared states changed here and elsewhere at once */
	uint64_t state_reloads;     /* shared states' copies loaded again from the broker */
} lv_broker_stats;

/* What /lv/metrics shows of a shared broker's link, when it is known. */
typedef struct {
	bool has_rtt, has_lag;
	double rtt_s;               /* a command's round trip to the broker */
	double lag_s;               /* from publishing to hearing it back */
	uint64_t waiting;           /* reliable pushes the broker has not answered yet */
	double oldest_s;            /* the oldest of them: how long it has waited (0: none) */
} lv_broker_health;

typedef struct {
	const char *name;           /* "local", "redis": for the log and metrics */
	/* The loop begins and ends (lv__loop_begin, lv__loop_end): what the
	 * broker holds on it (connections, timers) begins and goes with it.
	 * NULL: nothing. */
	int (*start)(lv_broker *b);
	void (*stop)(lv_broker *b);
	/* Groups and presence. join and leave are idempotent; leave_all runs
	 * when the session ends. */
	int (*join)(lv_broker *b, lv_conn *c, const char *group);
	int (*leave)(lv_broker *b, lv_conn *c, const char *group);
	void (*leave_all)(lv_broker *b, lv_conn *c);
	/* Members of group (NULL: every page), on every node. */
	size_t (*group_size)(lv_broker *b, const char *group);
	/* lv_group_members: fn, on the loop, with every node's members of
	 * group (presence.h). NULL: this node's alone, at once. */
	int (*members)(lv_broker *b, const char *group, lv_members_fn fn, void *user_data);
	/* lv_group_list: the groups with members on any node. NULL: this
	 * node's, at once. */
	int (*groups)(lv_broker *b, lv_groups_fn fn, void *user_data);
	/* Publishing: m reaches every member of group (NULL: every page)
	 * wherever it is connected; or the session conn_id, which is `local`
	 * when it lives on this node (NULL when it may be elsewhere). */
	int (*publish)(lv_broker *b, const char *group, lv_msg *m);
	int (*deliver)(lv_broker *b, const char *conn_id, lv_conn *local, lv_msg *m);
	/* Sessions by resume token: registered when they begin, found by a
	 * resuming page, removed when they end; ended tells a resume "expired"
	 * rather than "unknown". */
	int (*session_put)(lv_broker *b, lv_conn *c);
	lv_conn *(*session_find)(lv_broker *b, const char *token);
	void (*session_remove)(lv_broker *b, lv_conn *c);
	bool (*session_ended)(lv_broker *b, const char *token);
	/* Calls to a page on another node (rcall.c): ask sends body (CONNID
	 * "\n" ID "\n" JSON) to the node of session conn_id; answer sends
	 * body (ID "\n" JSON) to node. NULL where the broker is this process
	 * alone. */
	int (*ask)(lv_broker *b, const char *conn_id, uint64_t id, const char *body, size_t len);
	int (*answer)(lv_broker *b, const char *node, const char *body, size_t len);
	/* lv_server_raise_all: the custom server event name with its
	 * arguments (json, len bytes) to every node, this one included, each
	 * running it when it hears it (lv__event_received). NULL: this node
	 * alone (lv_server_raise). */
	int (*raise_all)(lv_broker *b, const char *name, const char *json, size_t len);
	/* /lv/metrics: the link's health (broker_health.c). NULL: one node,
	 * nothing to show. */
	void (*health)(lv_broker *b, lv_broker_health *out);
	/* Sessions kept in the broker, so that another node can resume them
	 * (NULL: sessions stay on their node). session_take looks for token
	 * elsewhere: 0 when it asked (the hello of `fresh` is finished later,
	 * lv__welcome or lv__hello_new); LV_EUNAVAILABLE when it cannot ask
	 * now but the session may still be there (the page is to try again);
	 * else nothing was asked. */
	int (*session_take)(lv_broker *b, lv_conn *fresh, const char *token, uint64_t last);
	/* m is about to be queued on c: false to drop it (a group message
	 * the session had). Then, once numbered seq, it is stored. */
	bool (*session_accept)(lv_broker *b, lv_conn *c, const lv_msg *m);
	void (*session_queued)(lv_broker *b, lv_conn *c, const lv_msg *m, uint64_t seq);
	/* The page's numbered message seq (a call's id, or 0): true when it
	 * runs later, once recorded (lv__dispatch_recorded). */
	bool (*session_inbound)(lv_broker *b, lv_conn *c, const char *text, size_t len,
	                        uint64_t seq, uint64_t call_id);
	/* The page acknowledged (c->out_acked); its identity changed. */
	void (*session_acked)(lv_broker *b, lv_conn *c);
	void (*session_auth)(lv_broker *b, lv_conn *c);
	/* States shared by every node (NULL: each node's copy is its own).
	 * state_open: a global or group copy was made here; it is `loading`
	 * (live.h) until the broker has its value (lv__state_reset ...
	 * lv__state_loaded). state_ready: 0 when a flush of it can be taken
	 * now, 1 when later (the broker flushes it then), LV_EUNAVAILABLE.
	 * state_publish: its flushed operations ops (a JSON array), to be
	 * numbered and brought back to every node's pages, this one's too
	 * (lv__state_remote). state_close: the copy goes. */
	int (*state_open)(lv_broker *b, lv_state *st);
	int (*state_ready)(lv_broker *b, lv_state *st);
	int (*state_publish)(lv_broker *b, lv_state *st, const char *ops, size_t len);
	void (*state_close)(lv_broker *b, lv_state *st);
	void (*free)(lv_broker *b);
} lv_broker_ops;

struct lv_broker {
	const lv_broker_ops *ops;
	lv_server *server;
	lv_broker_stats stats;
};

/* The broker the options ask for (lv_options.broker) in *out: 0, or
 * LV_EINVALID_ARGUMENT (logged) for a broker or node id it cannot be. */
int lv__broker_new(lv_server *s, lv_broker **out);
/* The in-process broker: groups and sessions in this node's memory. */
lv_broker *lv__broker_local(lv_server *s);
/* The Redis broker (broker_redis.c) at url: redis://HOST[:PORT] or
 * unix:PATH. */
int lv__broker_redis(lv_server *s, const char *url, lv_broker **out);
/* The node's id in the broker's channels, or NULL (one node). */
const char *lv__broker_node(const lv_broker *b);

#endif
