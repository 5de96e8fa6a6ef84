/* net.h - the network layer: connections, sessions, calls and the server,
 * on libwebsockets and jansson, built on the codec and base layers.
 *
 * Threads: the event loop owns every lv_conn, lv_call and group; other
 * threads reach them only through the inbox (inbox.c), which wakes the
 * loop with lws_cancel_service(). */
#ifndef LV_NET_H
#define LV_NET_H

#include <pthread.h>
#include <stdatomic.h>

#include <libwebsockets.h>

#include "codec/codec.h"
#include "lv_jansson.h"

/* ---- the log (log.c) ---------------------------------------------------------- */

/* Where a server's messages go: its level, and the callback or the format
 * of standard error. */
typedef struct {
	lv_log_level level;         /* messages above it are dropped */
	lv_log_format format;
	lv_log_fn fn;
	void *user;
} lv_log_sink;

/* The sink the options ask for (LV_LOG in the environment overriding the
 * level). */
void lv__log_sink_init(lv_log_sink *k, const lv_options *o);
/* One message of len bytes to the sink, whatever its level. */
void lv__log_emit(const lv_log_sink *k, lv_log_level level, const char *msg, size_t len);
/* A message of s (NULL: standard error, as text), if its level passes. */
void lv__log(lv_server *s, lv_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define LV_LOG(s, lvl, ...) lv__log((s), (lvl), __VA_ARGS__)
/* libwebsockets logs for the whole process: its level and its lines follow
 * the server made last, until that one is freed (then standard error). */
void lv__log_lws_follow(lv_server *s);
void lv__log_lws_release(lv_server *s);
/* The JSON line of a message at unix_ms (milliseconds since 1970), with
 * its newline: what LV_LOG_JSON writes. */
void lv__log_json_line(lv_buf *b, int64_t unix_ms, lv_log_level level, const char *msg,
                       size_t len);

/* ---- outbound messages ---------------------------------------------------- */

/* What a message is to the delivery machinery. */
typedef enum {
	LV_MSG_RELIABLE,            /* numbered, kept until acknowledged, replayed */
	LV_MSG_VOLATILE,            /* may be dropped for a slow or absent page */
	LV_MSG_CONTROL,             /* welcome, ack, ping: never numbered or dropped */
} lv_msg_kind;

/* One message's JSON text (an object), shared by every connection it is
 * queued on: a broadcast is encoded once. The frame header and the
 * per-session "seq" are put in front when it is written. */
typedef struct {
	atomic_int refs;
	lv_msg_kind kind;
	size_t len;
	/* A reliable group message between nodes: its group's offset and
	 * name (valid while it is being queued), else 0 and NULL. */
	uint64_t goff;
	const char *group;
	char data[];
} lv_msg;

typedef struct {
	lv_msg *m;
	uint64_t seq;               /* 0: not numbered */
} lv_qent;

/* A message of n bytes (and a NUL) for the caller to fill. */
lv_msg *lv__msg_alloc(size_t n, lv_msg_kind kind);
/* Copies payload (JSON text) into a new message with one reference. */
lv_msg *lv__msg_new(const char *payload, size_t n, lv_msg_kind kind);
lv_msg *lv__msg_ref(lv_msg *m);
void lv__msg_unref(lv_msg *m);
/* The WebSocket frame of a queued entry: its length, the "seq" prefix it
 * needs (prefix, at least 32 bytes), and the frame itself written to out. */
size_t lv__frame_len(const lv_qent *e, char *prefix, size_t *prefix_len);
void lv__put_frame(unsigned char *out, const lv_qent *e, const char *prefix,
                   size_t prefix_len);

/* ---- connections ------------------------------------------------------------ */

typedef struct lv_group lv_group;
typedef struct lv_ccall lv_ccall;

/* A connection is a page's session: it outlives a dropped socket for the
 * resume window, keeping its id, groups and unacknowledged messages, and
 * picks up the page's next socket when that one resumes. */
struct lv_conn {
	struct lws *wsi;            /* NULL while detached, and once ended */
	lv_server *server;
	atomic_int refs;
	char id[20];
	lv_conn *prev, *next;       /* the server's list */
	bool hello;                 /* said hello; counts as a page */
	bool ended;                 /* the session is over */
	bool closing;
	bool end_on_close;          /* this close ends the session (no resume) */
	int close_code;
	char close_reason[64];
	bool close_sent;            /* lv wrote the close frame itself (close_by_frame) */
	/* the session */
	char token[33];             /* resume token: 128 random bits, hex */
	lv_hnode snode;             /* in the server's sessions by token */
	uint64_t out_seq;           /* last number given to a reliable message */
	uint64_t out_acked;         /* the page has processed up to here */
	uint64_t in_last;           /* we have processed the page's up to here */
	bool ack_due;
	bool flush_queued;          /* in the server's early writes (flush.c) */
	lv_conn *fprev, *fnext;
	bool overflowed;            /* a reliable message was lost: no resume */
	/* kept in the broker too (broker_session.c): its state there, and
	 * the highest seq stored, which the socket may be written up to */
	struct lv_ssess *sst;
	uint64_t out_stored;
	uint64_t in_stored;         /* the page's seq the broker has: acks go no further */
	bool sst_pending;           /* its record is being made: nothing is written yet */
	bool taking;                /* a resume waits for the broker's answer */
	int64_t detached_us;        /* when the socket went; 0 while attached */
	/* the outbound ring: [qhead, +qsent) written and awaiting the page's
	 * ack, [+qsent, +qlen) still to write */
	lv_qent *q;                 /* q_first until it needs more */
	uint32_t qhead, qlen, qsent, qcap;
	lv_qent q_first[2];         /* an idle page's ring: no allocation */
	size_t qbytes;
	uint64_t dropped;
	double *buckets;            /* rate limits: tokens per endpoint */
	int64_t *bucket_us;
	/* an inbound message being assembled from fragments */
	char *rx;
	size_t rxlen, rxcap;
	/* who it is */
	char *identity;
	char **roles;
	size_t nroles;
	bool authenticated;
	bool auth_in_band;          /* who it is came from lv_conn_set_auth */
	void *data;
	/* groups it is in */
	lv_group **groups;
	uint32_t ngroups, capgroups;
	uint32_t pending;           /* calls in flight */
	int64_t rx_started_us;      /* when the unfinished message began */
	lv_conn *dprev, *dnext;     /* the server's waiting sessions, oldest first */
	int64_t last_rx_us;
	bool ping_sent;
	lv_ccall *ccalls;           /* client.rpc calls awaiting the page */
	uint64_t next_ccall;
	lv_state *live;             /* its copies of states (live.c) */
	struct lv_msub *msubs;      /* its live queries of models (model_net.c) */
	uint32_t nmsubs;
};

lv_conn *lv__conn_new(lv_server *s, struct lws *wsi);
/* The session of id (its n bytes) on this node, or NULL: a walk of the
 * server's connections. */
lv_conn *lv__conn_by_id(lv_server *s, const char *id, size_t n);
/* The socket is gone: the session waits for a resume (if it had begun and
 * may), or ends. */
void lv__conn_closed(lv_conn *c);
/* Ends the session: the disconnect handler, groups left, client calls
 * failed, queue dropped. */
void lv__conn_end(lv_conn *c);
/* Queues a message (taking a new reference) and asks for a write. On a
 * full queue: a volatile message is dropped and counted; a reliable one
 * closes the connection (4408) and the session can no longer resume. */
int lv__conn_queue(lv_conn *c, lv_msg *m);
/* The page has processed our messages up to seq. */
void lv__conn_acked(lv_conn *c, uint64_t seq);
/* Starts a session on c: a fresh token, registered for resume with the
 * broker (broker.c). */
int lv__session_begin(lv_conn *c);
lv_conn *lv__session_find(lv_server *s, const char *token);
/* Was token a session that ended lately (for "expired" over "unknown")? */
bool lv__session_ended(lv_server *s, const char *token);
/* Queues m on every member of group (NULL or "lv.all": every page), or
 * on one session, through the broker. */
int lv__publish(lv_server *s, const char *group, lv_msg *m);
int lv__deliver(lv_conn *c, lv_msg *m);
/* Moves the socket of `fresh` (a new connection that said hello with
 * resume) onto session s, which replays what the page has not processed
 * after `last`. Frees fresh. */
void lv__session_adopt(lv_conn *s, lv_conn *fresh, uint64_t last);
/* Queues m as the numbered message seq (taken from where the session was
 * kept, not numbered again, not stored again). */
int lv__conn_queue_seq(lv_conn *c, lv_msg *m, uint64_t seq);
/* Puts a control message at the front of what is to be written. */
int lv__conn_queue_first(lv_conn *c, lv_msg *m);
/* Writes as much of the queue as one write can take. -1: close it. */
int lv__conn_writable(lv_conn *c);
/* c has frames to write (flush.c): a writeable callback asked for, or,
 * where the loop writes early, c queued for lv__flush. */
void lv__conn_want_write(lv_conn *c);
/* Writes the queued connections (the loop, before it waits). */
void lv__flush(lv_server *s);
/* c ends: out of the queue. */
void lv__flush_forget(lv_conn *c);
/* Closes from the loop: sets the code and reason, asks for a write. */
void lv__conn_close(lv_conn *c, int code, const char *reason);
/* Has lv written the close frame itself? Then the page's close is its
 * answer, and the socket can go. */
bool lv__conn_close_sent(lv_conn *c);
/* Encodes and queues a JSON object. */
int lv__conn_send_json(lv_conn *c, json_t *msg, bool is_volatile);

/* Ends waiting sessions, oldest first, while there are more than the
 * options allow (count or bytes). */
void lv__detached_trim(lv_server *s);
/* The session has a socket again (it is no longer waiting). */
void lv__detached_remove(lv_conn *c);
/* Ends a waiting session for good: a later resume is told "expired". */
void lv__session_expire(lv_conn *c);

/* ---- groups -------------------------------------------------------------------- */

struct lv_group {
	lv_hnode node;              /* first: the server's table by name */
	char *name;
	lv_conn **members;
	uint32_t n, cap;
};

/* This node's groups (group.c): membership and delivery to the members
 * here; name NULL is every page. What the local broker is made of. */
int lv__groups_join(lv_server *s, lv_conn *c, const char *name);
int lv__groups_leave(lv_server *s, lv_conn *c, const char *name);
void lv__groups_leave_all(lv_conn *c);
size_t lv__groups_size(lv_server *s, const char *name);
int lv__groups_send(lv_server *s, const char *name, lv_msg *m);
/* The members of group name on this node, *n of them (NULL, 0: none).
 * Queueing to one does not change the list: a member leaves its groups
 * only once its socket is gone. */
lv_conn *const *lv__groups_members(lv_server *s, const char *name, uint32_t *n);
/* Is c a member of group name here? */
bool lv__groups_has(const lv_conn *c, const char *name);
void lv__groups_free(lv_server *s);

/* This node's sessions by token (session.c), for the local broker. */
int lv__sessions_put(lv_server *s, lv_conn *c);
lv_conn *lv__sessions_find(lv_server *s, const char *token);
void lv__sessions_remove(lv_server *s, lv_conn *c);
bool lv__sessions_ended(lv_server *s, const char *token);
void lv__sessions_free(lv_server *s);

#include "net/broker.h"

/* ---- calls ---------------------------------------------------------------------- */

typedef enum { LV_VIA_CALL, LV_VIA_SEND, LV_VIA_HTTP, LV_VIA_EVENT } lv_via;

typedef struct lv_http lv_http;

struct lv_call {
	lv_server *server;
	lv_conn *conn;              /* referenced; NULL for events and HTTP */
	lv_http *http;              /* the HTTP exchange, for LV_VIA_HTTP */
	/* Answers it (http.c): status code and JSON body (taken). */
	void (*http_answer)(lv_http *h, int status, char *body);
	const lv_endpoint *ep;
	lv_via via;
	int64_t id;                 /* the page's call id (LV_VIA_CALL) */
	lv_arena arena;
	json_t *args_json;          /* decoded arguments borrow from it */
	void *args;
	void *result;
	json_t *cmds;               /* commands for the page, or NULL */
	const char *identity;       /* HTTP: from the auth callback */
	char **roles;
	size_t nroles;
	int status;
	char message[256];          /* lv_call_fail's text */
	bool deferred;
	bool running;               /* its handler is on the stack */
	void *early;                /* an answer given before the handler returned */
	bool done;
	atomic_bool replied;        /* lv_call_reply was called (any thread) */
	lv_call *pool_next;         /* in the server's pool of calls for reuse */
};

/* A call (from the server's pool) for endpoint ep. */
lv_call *lv__call_new(lv_server *s, lv_conn *c, const lv_endpoint *ep, lv_via via);
void lv__call_pool_free(lv_server *s);

/* Runs a call's handler and answers it, unless the handler deferred. */
void lv__invoke(lv_call *call);
/* Handles one complete text message from a page. */
void lv__dispatch(lv_conn *c, const char *text, size_t len);
/* A numbered message the broker has recorded as received (its seq is
 * c->in_last already): run now. */
void lv__dispatch_recorded(lv_conn *c, const char *text, size_t len);
/* The end of a hello: a new session (resync: why a resume was not
 * honoured, or NULL), or the welcome of a session resumed here. */
void lv__hello_new(lv_conn *c, const char *resync);
void lv__welcome(lv_conn *c, bool resumed, const char *resync);
/* Runs a server endpoint whose arguments are JSON (HTTP, events). */
void lv__run_event(lv_server *s, const lv_endpoint *ep, json_t *args, lv_conn *conn);
/* A server event raised on every node, as the broker brought it (an 'E'
 * frame, event_wire.h): its handler runs here; a frame it cannot read, an
 * event this node has no handler for, arguments that are not JSON: logged
 * and dropped (raise_all.c). */
void lv__event_received(lv_server *s, const char *data, size_t len);
/* Finishes a deferred call in the loop; result_json is its encoded result
 * or NULL with an error status. */
void lv__finish_deferred(lv_call *call, int status, char *result_json, const char *msg);
void lv__ccall_answer(lv_conn *c, json_t *msg);
void lv__ccalls_fail(lv_conn *c, int status);
/* A page's answer to a client.rpc (a cret: ok, value or error) decoded
 * into ep's result in arena (*out, NULL on an error): 0 or the status;
 * misfit: the value does not fit the result type. */
int lv__ccall_decode(lv_server *s, const lv_endpoint *ep, json_t *msg, lv_arena *arena, void **out,
                     bool *misfit);
/* Asks conn's page (on the loop) with arguments already as JSON; raw is
 * told the answer as it came (status 0, msg the cret), or a status below
 * zero with msg NULL. 0, or the status of a call that never started. */
typedef void (*lv__ccall_raw_fn)(lv_conn *c, int status, json_t *msg, void *user_data);
int lv__ccall_raw(lv_conn *conn, const lv_endpoint *ep, const char *args_json,
                  lv__ccall_raw_fn raw, void *user_data);
/* The same for a typed caller (lv_conn_call's adapter), on the loop. */
int lv__ccall_json(lv_conn *conn, const lv_endpoint *ep, const char *args_json, lv_call_done adapter,
                   void (*fn)(void), void *user_data);

/* ---- client.rpc to a page on another node (rcall.c) ---------------------------- */

typedef struct lv_rcall lv_rcall;
/* What the broker brings from a node channel: a call to a page here
 * (kind 'Q') or an answer to one of this node's (kind 'A'), from node
 * origin (olen bytes); body as rcall.c describes it. */
void lv__rcall_received(lv_server *s, char kind, const char *origin, size_t olen, const char *body,
                        size_t len);
/* No node heard the call id: its page is nowhere. */
void lv__rcall_unheard(lv_server *s, uint64_t id);
/* The server stops: every call still waiting is told status. */
void lv__rcalls_fail(lv_server *s, int status);
/* Errors to the page: {"t":"error"} with no call to answer, or the error
 * answer of call id (with commands cmds, or NULL). */
json_t *lv__error_object(int status, const char *message, const char *path);
void lv__send_error(lv_conn *c, const char *fn, int status, const char *message,
                    const char *path);
void lv__send_ret_error(lv_conn *c, int64_t id, int status, const char *message,
                        const char *path);
void lv__send_ret_error_cmds(lv_conn *c, int64_t id, int status, const char *message,
                             const char *path, json_t *cmds);
/* The encoded arguments of an endpoint as a JSON object. */
int lv__encode_args(lv_buf *b, const lv_endpoint *ep, const void *args, lv_error *err);
void lv__call_free(lv_call *call);
/* The lifecycle handler for event (connect, disconnect, start, stop). */
void lv__lifecycle(lv_server *s, const char *event, lv_conn *conn);
/* What a session's end means to calls: the server's conn_ended hook. */
void lv__on_conn_ended(lv_conn *c);

/* ---- synchronised state (live.c) ---------------------------------------------- */

/* Global states are flushed before a page joins them (so that it starts
 * from a snapshot, not a patch), then it gets their snapshots; the same
 * for a group's states around a join; a page that leaves a group is told
 * its states are gone. */
void lv__states_before_hello(lv_server *s);
void lv__states_hello(lv_conn *c);
void lv__states_before_join(lv_server *s, const char *group);
void lv__states_joined(lv_conn *c, const char *group);
void lv__states_left(lv_conn *c, const char *group);
/* Around a change of who a page is (lv_conn_set_auth): which states it
 * sees (malloc'd, one per declared state; NULL when none is role-gated),
 * the role-gated copies flushed, then snapshots or ends as its new roles
 * say (saw is freed). */
bool *lv__states_visible(lv_conn *c);
void lv__states_before_auth(lv_server *s);
void lv__states_after_auth(lv_conn *c, bool *saw);
/* The session is over: its copies go. */
void lv__states_conn_ended(lv_conn *c);
void lv__states_free(lv_server *s);
/* {"t":"state"}: a change to a state the page owns (len: the message's
 * size); {"t":"state_sync"}: the page asks for a snapshot. */
void lv__state_from_page(lv_conn *c, json_t *msg, size_t len);
void lv__state_sync(lv_conn *c, json_t *msg);

/* ---- models (model_net.c) ------------------------------------------------------ */

/* A page's live query of a model, and a server's models. */
typedef struct lv_msub lv_msub;
typedef struct lv_models lv_models;

/* The live queries one session may hold: past it, subscribe is refused
 * with LV_ERESOURCE_EXHAUSTED (a replacing one, of a key it has, is not). */
#define LV_MODEL_MAX_LIVE 64

/* With the server, once its context is made: the store opened (opt.store,
 * else the SQLite file BASE.db), every model's table attached, the poll
 * timer started (store_poll_ms) and the store's wake-up, if it has one
 * (PostgreSQL's LISTEN socket), watched on the loop. Nothing for an app
 * without models. A failure is logged naming the table and why. */
int lv__models_open(lv_server *s);
/* The session is over: its live queries go. */
void lv__models_conn_ended(lv_conn *c);
/* Live queries held by sessions, or (distinct) the queries evaluated. */
uint64_t lv__models_live(lv_server *s, bool distinct);
/* The loop is ending (before lws' context goes, or libuv's handles
 * close): the store's wake-up is no longer watched, nor watched again. */
void lv__models_off(lv_server *s);
/* The models' store, or NULL (for tests: model/model.h). */
struct lv_store *lv__models_store(lv_server *s);
/* After every session has ended: the watch and the store closed. */
void lv__models_free(lv_server *s);

/* ---- peers: what each remote address holds (peer.c) ------------------------- */

typedef enum {
	LV_LIMIT_CONNS, LV_LIMIT_CONNS_PER_ADDR, LV_LIMIT_HANDSHAKES_PER_ADDR,
	LV_LIMIT_RX_BYTES, LV_LIMIT_RX_BYTES_PER_ADDR, LV_LIMIT_DETACHED,
	LV_LIMIT_HTTP_RATE, LV_LIMIT_MESSAGE_TIME, LV_LIMIT_BODY_TIME,
	LV_LIMIT__COUNT
} lv_limit;

extern const char *const lv__limit_names[LV_LIMIT__COUNT];

/* One remote address: an IPv4 address, or an IPv6 /64. It lives while it
 * has sockets, or a rate bucket that is not yet full again. */
typedef struct lv_addr lv_addr;
struct lv_addr {
	lv_hnode node;              /* first: the server's table by key */
	unsigned char key[16];
	bool loopback;
	uint32_t sockets;           /* open from it */
	uint32_t handshakes;        /* of those, not a WebSocket */
	uint32_t conns;             /* of those, WebSockets */
	size_t rx_bytes;            /* unfinished input its sockets hold */
	double *http_tokens;        /* HTTP rate limits, per endpoint */
	int64_t *http_token_us;
};

/* One socket's share of its address. */
typedef struct lv_peer lv_peer;
struct lv_peer {
	lv_hnode node;              /* first: the server's table by wsi */
	struct lws *wsi;
	lv_addr *addr;
	bool websocket;
	size_t rx_bytes;
};

/* A new TCP connection from sa: 0, or LV_ERESOURCE_EXHAUSTED when its
 * address has too many handshakes in progress. The socket lws makes next
 * is counted against that address (lv__peer_created). */
int lv__peer_accept(lv_server *s, const struct sockaddr *sa);
void lv__peer_created(lv_server *s, struct lws *wsi);
void lv__peer_destroyed(lv_server *s, struct lws *wsi);
lv_peer *lv__peer_of(struct lws *wsi);
/* May this socket's address open another WebSocket? */
int lv__peer_may_upgrade(lv_server *s, struct lws *wsi);
/* The socket is a WebSocket now (counted in ws_sockets until lws frees it). */
void lv__peer_established(lv_server *s, struct lws *wsi);
bool lv__peer_loopback(struct lws *wsi);
/* The socket holds `bytes` of unfinished input now: 0, or
 * LV_ERESOURCE_EXHAUSTED (nothing changed) when that is past a bound. */
int lv__peer_rx_set(lv_server *s, lv_peer *p, size_t bytes);
/* A token of ep's HTTP rate limit for this socket's address. */
bool lv__peer_http_token(lv_server *s, struct lws *wsi, const lv_endpoint *ep);
void lv__limit_hit(lv_server *s, lv_limit which);
void lv__peers_sweep(lv_server *s);
void lv__peers_free(lv_server *s);

/* ---- who may connect (auth.c, origin.c) -------------------------------------- */

/* What the auth callback decided: identity and roles, owned. */
struct lv_auth {
	char *identity;
	char **roles;
	size_t nroles;
	bool set;                   /* lv_auth_set was called */
};

void lv__auth_free(lv_auth *a);
/* The connection becomes who a says (its identity and roles are taken,
 * a is left empty). */
void lv__conn_take_auth(lv_conn *c, lv_auth *a);
/* Runs the application's auth callback; NULL when it refuses (*refused)
 * or memory ran out. */
lv_auth *lv__run_auth(lv_server *s, struct lws *wsi, const char *path, int *refused);
bool lv__auth_has_role(const lv_auth *a, const char *role);
/* The auth of an upgrade waits here until the socket is a WebSocket. */
void lv__pending_put(lv_server *s, struct lws *wsi, lv_auth *a);
lv_auth *lv__pending_take(lv_server *s, struct lws *wsi);
void lv__pending_free(lv_server *s);
/* Is the request's Origin (or its absence) one the options let in? */
bool lv__origin_allowed(lv_server *s, struct lws *wsi);

/* ---- HTTP (http.c) and metrics (metrics.c) ------------------------------------ */

/* Per socket. conn comes first: a session adopting a socket finds it as
 * the lv_conn * at lws_wsi_user(). */
typedef struct {
	lv_conn *conn;
	lv_http *http;
	lv_auth *auth;              /* between the upgrade and ESTABLISHED */
} lv_pss;

/* The lws callback's HTTP reasons; each returns what the callback should. */
int lv__http_request(lv_server *s, struct lws *wsi, lv_pss *pss, const char *uri);
int lv__http_body(lv_server *s, lv_pss *pss, const void *in, size_t len);
int lv__http_body_done(lv_server *s, lv_pss *pss);
int lv__http_writeable(lv_server *s, lv_pss *pss);
void lv__http_closed(lv_server *s, lv_pss *pss);
/* Answers bodies that took longer than body_ms. */
void lv__http_sweep(lv_server *s, int64_t now);
char *lv__metrics_text(lv_server *s, size_t *len);

/* ---- the server ---------------------------------------------------------------- */

typedef struct lv_inbox_item lv_inbox_item;

typedef struct {
	uint64_t calls, errors;
} lv_ep_stats;

struct lv_server {
	const lv_app *app;
	lv_options opt;
	struct lws_context *ctx;
	struct lws_vhost *vhost;
	int port;
	lv_conn *conns;
	uint32_t nconns;
	uint32_t npages;            /* conns that said hello */
	uint64_t conn_seq;
	lv_rcall *rcalls;           /* client.rpc calls waiting for another node's answer */
	uint64_t rcall_seq;
	lv_htab sessions;           /* by resume token (session.c) */
	uint32_t ndetached;
	char ended_tokens[256][33]; /* recently expired sessions: "expired" on resume */
	uint32_t ended_next;
	lv_htab groups;             /* by name (group.c) */
	/* the loop */
	pthread_t loop;
	atomic_bool in_loop;
	atomic_bool stop_requested;
	bool stopping;
	int64_t stop_deadline_us;
	pthread_mutex_t inbox_mu;
	lv_inbox_item *inbox, *inbox_tail;
	unsigned char *wbuf;        /* coalesced writes: LWS_PRE + LV_WBUF */
	lws_sorted_usec_list_t sweep;
	/* metrics */
	lv_ep_stats *ep_stats;      /* per endpoint, in app order */
	uint64_t errors_by_code[16];
	uint64_t msgs_in, msgs_out, bytes_in, bytes_out, dropped, conns_total;
	uint64_t closed_slow, refused, resumed, duplicates, expired;
	/* the lws setup, which must outlive the context */
	struct lws_protocols protocols[3];
	struct lws_http_mount mount_static;
	lv_log_sink log;
	/* waking the loop (inbox.c): off once the context is going */
	atomic_bool wake_off;
	atomic_int waking;          /* threads inside lv__wake */
	/* libuv (loop_uv.c), libev (loop_ev.c); NULL on the other loops */
	struct lv_uv *uv;
	struct lv_ev *ev;
	int in_lws;                 /* depth of lws' calls into lv on the stack */
	bool close_by_frame;        /* lv writes close frames itself (conn.c) */
	bool ran;                   /* lv_server_run was called */
	bool lws_stale;             /* lws was changed outside its calls: wake it */
	bool write_early;           /* the loop calls lv__flush before it waits */
	lv_conn *flush_head;        /* connections to write then (flush.c) */
	/* peers by address (peer.c) */
	lv_htab addrs;
	lv_addr *accepting;         /* the address of the socket being made */
	lv_htab peers;              /* sockets' shares, by wsi */
	uint32_t ws_sockets;        /* of those, WebSockets lws has not yet freed */
	size_t rx_bytes;            /* unfinished input held, all peers */
	double http_tokens_unknown; /* HTTP rate limit of sockets with no address */
	int64_t http_token_us_unknown;
	uint64_t limited[LV_LIMIT__COUNT];
	/* sessions waiting for their page, oldest first */
	lv_conn *detached_head, *detached_tail;
	size_t detached_bytes;
	lv_http *https;             /* HTTP exchanges in progress */
	lv_broker *broker;          /* groups, presence, sessions (broker.h) */
	lv_presence_fn presence_fn; /* lv_presence_watch (presence.c) */
	void *presence_user;
	bool presence_off;          /* the loop is ending: no more events */
	lv_htab live;               /* copies of states (live.c) */
	lv_timer *timers;           /* timer.c */
	struct lv_models *models;   /* the store and live queries (model_net.c);
	                               NULL for an app without models */
	bool timers_off;            /* being freed: none fires or starts */
	/* A session has ended: the layer above (calls, lifecycle handlers)
	 * hears of it through this hook, set by the server. */
	void (*conn_ended)(lv_conn *c);
	lv_call *call_pool;         /* freed calls kept for reuse */
	uint32_t ncall_pool;
	lv_buf scratch;             /* the loop's buffer for answers being encoded */
	struct lv_pending_auth *pending_auth; /* upgrades between their HTTP
	                                         request and ESTABLISHED */
};

#define LV_WBUF (64 * 1024)
/* libwebsockets' receive buffer, one per WebSocket connection (the
 * protocol's rx_buffer_size): most of what an idle connection costs. It
 * also bounds one read from the socket; a message longer than it arrives
 * in pieces, which ws.c gathers. */
#ifndef LV_RX_BUFFER
#define LV_RX_BUFFER 3072
#endif

bool lv__on_loop(lv_server *s);
/* Runs fn(arg) on the loop: now if this is the loop, else through the
 * inbox. fn takes ownership of arg. */
int lv__post(lv_server *s, void (*fn)(lv_server *, void *), void *arg);
void lv__count_error(lv_server *s, int status);
/* Runs what other threads posted, in order (ws.c, when lws wakes). */
void lv__inbox_drain(lv_server *s);
/* Wakes the loop (any thread, signal handlers); nothing once waking is
 * off. lv__wake_off waits for the threads inside lv__wake to leave: after
 * it, nobody touches the context to wake it. */
void lv__wake(lv_server *s);
void lv__wake_off(lv_server *s);

/* ---- the loop (loop.c), whichever runs it ----------------------------------------- */

/* The calling thread becomes the loop: posted work, the start handler,
 * the first sweep. */
void lv__loop_begin(lv_server *s);
/* After each turn of the loop: begins the stop once asked; true when the
 * stop is over (pages gone, or shutdown_ms spent). */
bool lv__loop_turn(lv_server *s);
/* The stop handler, the sweep cancelled, posted work run; the thread is
 * no longer the loop. */
void lv__loop_end(lv_server *s);

/* ---- a socket of someone else's on the loop (fdwatch.c) ---------------------- */

/* What a watch reports: readable, writable, or gone (lws closed its
 * duplicate on a hang-up or an error, or libuv or libev could not poll it:
 * nothing more will come). */
enum { LV_FD_READ = 1, LV_FD_WRITE = 2, LV_FD_GONE = 4 };
typedef struct lv_fdwatch lv_fdwatch;
typedef void (*lv_fdwatch_fn)(void *arg, int events);
/* The lws protocol the watches are adopted with on the poll loop, which
 * the server adds to its vhost when something may watch (the Redis
 * broker, a store's wake-up). */
#define LV_FDWATCH_PROTOCOL "lv-fdwatch"
int lv__fdwatch_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user,
                         void *in, size_t len);
/* Watches fd (which stays the caller's) for reading, on the server's
 * loop: lws' poll, libuv (LV_LOOP_UV) or libev (LV_LOOP_EV); NULL when the loop cannot. The
 * watch holds a duplicate, which the loop makes non-blocking (a flag the
 * two share: the client libraries' sockets are so already). */
lv_fdwatch *lv__fdwatch_new(lv_server *s, int fd, lv_fdwatch_fn fn, void *arg);
void lv__fdwatch_want(lv_fdwatch *w, bool read, bool write);
/* Stops watching; allowed from fn itself. On libuv a watch is a handle
 * that keeps the loop running: free it by the time the server's handles
 * close (loop_uv.c's close). */
void lv__fdwatch_free(lv_fdwatch *w);

/* ---- libuv (loop_uv.c) ------------------------------------------------------------ */

/* The loop of LV_LOOP_DEFAULT. Where it is LV_LOOP_UV or LV_LOOP_EV and
 * libwebsockets cannot run on it (lv__uv_available, lv__ev_available),
 * the server takes LV_LOOP_POLL. */
#define LV__LOOP_DEFAULT LV_LOOP_EV

/* Can libwebsockets run on libuv here (its libuv plugin installed)? When
 * not and say, logs why. */
bool lv__uv_available(lv_server *s, bool say);
/* Is libwebsockets' event-library plugin for lib ("libuv", "libev") there,
 * evlib_NAME.so, where lws loads it from when it makes the context? When
 * not and say, logs why, naming the loop and the Debian package (loop.c). */
bool lv__evlib_plugin(lv_server *s, const char *loop, const char *lib, const char *name, bool say);

/* Before lws_create_context: lv's own loop or the program's, and the
 * options that put lws on it. */
int lv__uv_new(lv_server *s, struct lws_context_creation_info *info);
/* After: lv's handle on the loop; on the program's loop the server is
 * the loop's now (lv__loop_begin). */
int lv__uv_attach(lv_server *s);
/* lv's own loop: runs it until the stop is over and lws has left it. */
int lv__uv_run(lv_server *s);
/* lws_create_context failed yet answered its context, which it is
 * destroying already: it does so on a loop it did not make (always, on
 * libuv). lv then only waits for the context to go. */
void lv__uv_ctx_failed(lv_server *s);
bool lv__uv_foreign(const lv_server *s);
void *lv__uv_loop(const lv_server *s);
/* Closes what lv holds on the loop (the stop handler first, if the server
 * still runs on the program's loop), then calls done(s): at once on lv's
 * own loop (it runs the loop to the end), or from the loop, once its last
 * handle has closed, on the program's. */
void lv__uv_close(lv_server *s, void (*done)(lv_server *s));

/* ---- libev (loop_ev.c) ------------------------------------------------------------ */

/* Can libwebsockets run on libev here (its libev plugin installed)? When
 * not and say, logs why. */
bool lv__ev_available(lv_server *s, bool say);
/* Before lws_create_context: lv's own loop, and the options that put lws
 * on it. */
int lv__ev_new(lv_server *s, struct lws_context_creation_info *info);
/* After: lv's watcher on the loop. */
int lv__ev_attach(lv_server *s);
/* Runs the loop until the stop is over. */
int lv__ev_run(lv_server *s);
struct ev_loop;
struct ev_loop *lv__ev_loop(const lv_server *s);
/* Destroys the context (outside the loop's run: at once), calls done(s),
 * which frees what else is on the loop, then the loop. */
void lv__ev_close(lv_server *s, void (*done)(lv_server *s));

/* lws was changed (a deadline scheduled, input resumed) perhaps outside
 * its own calls into lv: on libuv and libev lws sees it only when it
 * next wakes, so lv wakes it before the loop sleeps (loop_uv.c,
 * loop_ev.c). */
static inline void
lv__lws_touched(lv_server *s)
{
	if ((s->uv || s->ev) && !s->in_lws)
		s->lws_stale = true;
}
/* The protocol callback (ws.c). */
int lv__ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len);

/* lv_server_free: timers stop firing and none can start (before the
 * context goes, their deadlines being in its lists); the last handlers
 * may still stop theirs; then the rest are freed. */
void lv__timers_off(lv_server *s);
void lv__timers_free(lv_server *s);

/* The runtime's own script, served at /lv/lv.js (build/gen/lvjs.c). */
extern const char *const lv__js_runtime[];
extern const uint32_t lv__js_runtime_parts;

#endif
