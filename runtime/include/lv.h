/* lv.h - the lv runtime's API: the server that carries calls between a C
 * program and its web pages, and the values handlers see.
 *
 * This header is the reference. Conventions:
 * - Functions return 0 on success and a negative LV_E... code on failure;
 *   lv_strerror() names a code. A function that fails never calls its
 *   callback.
 * - "borrowed" memory belongs to someone else and is valid for the time
 *   stated; "owned" memory is the receiver's to free with the function named.
 * - Unless a function says otherwise, call it from the event loop's thread
 *   (inside a handler or callback). Functions marked "any thread" hand their
 *   work to the loop through a queue and wake it.
 */
#ifndef LV_H
#define LV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LV_VERSION "0.1.0"

/* ---- status codes ------------------------------------------------------ */

/* Each code has a wire name (the "code" of an error reply) and a message. */
#define LV_ERRNO_MAP(X)                                                          \
	X(INVALID_ARGUMENT, -1, "invalid_argument", "invalid argument")          \
	X(NOT_FOUND, -2, "not_found", "not found")                               \
	X(UNAUTHENTICATED, -3, "unauthenticated", "not authenticated")           \
	X(PERMISSION_DENIED, -4, "permission_denied", "permission denied")       \
	X(RESOURCE_EXHAUSTED, -5, "resource_exhausted", "resource exhausted")    \
	X(DEADLINE_EXCEEDED, -6, "deadline_exceeded", "deadline exceeded")       \
	X(UNAVAILABLE, -7, "unavailable", "unavailable")                         \
	X(INTERNAL, -8, "internal", "internal error")                            \
	X(UPGRADE_REQUIRED, -9, "upgrade_required", "the page must reload")      \
	X(NOMEM, -10, "internal", "out of memory")                               \
	X(CLOSED, -11, "unavailable", "connection closed")                       \
	X(TOO_LARGE, -12, "resource_exhausted", "message too large")             \
	X(QUEUE_FULL, -13, "resource_exhausted", "send queue full")              \
	X(IO, -14, "internal", "input/output error")                         \
	X(ABORTED, -15, "aborted", "changed since it was read")

typedef enum {
	LV_OK = 0,
#define LV__ERRNO(name, val, wire, msg) LV_E##name = (val),
	LV_ERRNO_MAP(LV__ERRNO)
#undef LV__ERRNO
		/* Not an error: what lv_call_defer returns, for the handler to return. */
	LV_DEFERRED = 1
} lv_status;

/* A short description of a status code ("permission denied"). */
const char *lv_strerror(int status);
/* The wire name of a status code ("permission_denied"). */
const char *lv_errname(int status);

/* ---- values -------------------------------------------------------------- */

/* A UTF-8 string and its length in bytes. Decoded strings are also
 * NUL-terminated and never contain NUL. */
typedef struct {
	const char *ptr;
	size_t len;
} lv_str;

#define LV_STR(literal) ((lv_str){ (literal), sizeof(literal) - 1 })
/* An lv_str over a C string (borrowed; NULL gives the empty string). */
lv_str lv_cstr(const char *s);
/* Whether a and b hold the same bytes; and the same against a C string. */
bool lv_str_eq(lv_str a, lv_str b);
bool lv_str_eq_cstr(lv_str a, const char *s);
/* An owned, NUL-terminated copy of s, freed with lv_str_free; its ptr is
 * NULL when out of memory. */
lv_str lv_str_dup(lv_str s);
void lv_str_free(lv_str s);

/* Binary data; base64 on the wire. */
typedef struct {
	const uint8_t *ptr;
	size_t len;
} lv_bytes;

/* A value of type `json`: its JSON text (any JSON value). Decoded values
 * are checked and NUL-terminated; a value being sent is checked before it
 * goes out. ptr NULL is JSON null (and an absent optional field). */
typedef struct { const char *ptr; size_t len; } lv_json;

#define LV_JSON(literal) ((lv_json){ (literal), sizeof(literal) - 1 })
/* An lv_json over JSON text in a C string (borrowed; NULL is null). */
lv_json lv_json_text(const char *text);

/* ---- limits ---------------------------------------------------------------- */

/* Bounds on what a decoder accepts. Zero in a field means its default. */
typedef struct {
	uint32_t max_depth;         /* nesting of lists, maps and structs; 32 */
	uint32_t max_items;         /* items in one list or map; 100000 */
	uint32_t max_string;        /* bytes in one string or bytes value; 1 MiB */
} lv_limits;

/* ---- the server ------------------------------------------------------------ */

typedef struct lv_server lv_server;
typedef struct lv_conn lv_conn;
typedef struct lv_call lv_call;
/* Descriptors of endpoints and of a whole app, written by lvc (lv_abi.h). */
typedef struct lv_endpoint lv_endpoint;
typedef struct lv_app lv_app;

/* The HTTP request of a WebSocket upgrade or an HTTP rpc, for the auth
 * callback. Borrowed for the duration of the callback. */
typedef struct lv_request lv_request;
/* A request header by name ("cookie", "authorization", "origin", "host",
 * "user-agent", "x-forwarded-for"); NULL when absent. The string lives
 * until the callback returns. */
const char *lv_request_header(const lv_request *req, const char *name);
/* The value of cookie `name`, or of query parameter `name`; NULL if none. */
const char *lv_request_cookie(const lv_request *req, const char *name);
const char *lv_request_query(const lv_request *req, const char *name);
const char *lv_request_path(const lv_request *req);

/* What an auth callback decides: who the peer is and what roles it has. */
typedef struct lv_auth lv_auth;
/* Sets the identity (copied) and roles (copied); an identity with no roles
 * still passes @auth("*"). */
int lv_auth_set(lv_auth *auth, const char *identity, const char *const *roles,
                size_t nroles);

/* Returns 0 to admit the peer (anonymous unless lv_auth_set was called),
 * or a negative code to refuse it: the upgrade or the HTTP rpc is answered
 * 403. Runs on the loop. */
typedef int (*lv_auth_fn)(lv_auth *auth, const lv_request *req, void *user_data);

typedef enum {
	LV_LOG_DEFAULT, LV_LOG_ERROR, LV_LOG_WARN, LV_LOG_INFO, LV_LOG_DEBUG
} lv_log_level;

/* Where the runtime's messages go instead of standard error: one message
 * (valid UTF-8, no trailing newline, borrowed for the call) and its level.
 * Called on the thread that logs (the loop, mostly; any thread that calls
 * the runtime), so it must be thread-safe. */
typedef void (*lv_log_fn)(void *user, lv_log_level level, const char *msg);

/* How messages look on standard error (with no log callback). */
typedef enum {
	LV_LOG_TEXT,                /* "lv: warn: message" */
	LV_LOG_JSON,                /* {"ts":"2024-05-01T12:00:00.000Z","level":"warn",
	                               "msg":"message"}, one object per line */
} lv_log_format;

/* The event loop that serves the server. */
typedef enum {
	LV_LOOP_DEFAULT,            /* the runtime's choice: LV_LOOP_EV where libwebsockets'
	                               libev plugin is installed, else LV_LOOP_POLL */
	LV_LOOP_POLL,               /* libwebsockets' poll() loop, run by lv_server_run */
	LV_LOOP_UV,                 /* libuv: lv's own loop, run by lv_server_run, or
	                               the program's (uv_loop), which the program runs */
	LV_LOOP_EV,                 /* libev (epoll on Linux): lv's own loop, run by
	                               lv_server_run; needs libwebsockets' libev plugin */
} lv_loop_kind;

/* Who may read /lv/metrics. The default is loopback: the counters name
 * every endpoint and show the traffic, which is for the machine's own
 * scraper, not for anyone on the network. Refused requests get 404. */
typedef enum {
	LV_METRICS_LOOPBACK,        /* peers on 127.0.0.0/8 and ::1 */
	LV_METRICS_OFF,             /* nobody: 404 */
	LV_METRICS_ROLE,            /* callers the auth callback gives metrics_role */
	LV_METRICS_ANY,             /* anyone who reaches the port */
} lv_metrics_access;

/* Server options. Zero in a field means its default. */
typedef struct {
	const char *host;           /* address to listen on; "127.0.0.1" */
	int port;                   /* 8080; -1 picks a free port (see lv_server_port) */
	const char *ws_path;        /* "/lv/ws" */
	const char *static_dir;     /* files served at "/"; NULL: none */
	const char *index;          /* the page for "/": "index.html" */
	const char *tls_cert;       /* PEM files: both or neither */
	const char *tls_key;
	const char *const *origins; /* who may open a WebSocket or call over HTTP
	                               from a browser, by Origin: NULL: the same
	                               origin only (the Origin's host and port are
	                               the Host header's); a NULL-terminated list
	                               of exact values ("https://app.example:8443");
	                               a list holding "*": any origin */
	bool require_origin;        /* refuse requests without an Origin (non-browser
	                               clients); false: they are let in */
	size_t max_message;         /* bytes in one message: 1 MiB */
	lv_limits limits;           /* what the decoder accepts */
	uint32_t max_pending;       /* calls in flight per connection: 64 */
	uint32_t max_queue;         /* messages queued to one page: 4096 */
	size_t max_queue_bytes;     /* bytes queued to one page: 8 MiB */
	uint32_t max_conns;         /* open WebSockets (sessions waiting for their
	                               page do not count): 10000 */
	uint32_t max_detached;      /* sessions waiting for their page to resume:
	                               10000; past it the oldest ends */
	size_t max_detached_bytes;  /* bytes queued to waiting sessions, in all:
	                               64 MiB; past it the oldest ends */
	/* What one peer address may hold (an IPv4 address, or an IPv6 /64). */
	uint32_t max_conns_per_addr;      /* open WebSockets: 64 */
	uint32_t max_handshakes_per_addr; /* sockets not (yet) a WebSocket: HTTP
	                                     requests and upgrades in progress: 16 */
	size_t max_rx_bytes;              /* bytes held by unfinished incoming
	                                     messages and HTTP bodies, all peers
	                                     together: 64 MiB */
	size_t max_rx_bytes_per_addr;     /* the same, from one address: 8 MiB */
	/* Deadlines on what waits for a peer. */
	uint32_t handshake_ms;      /* from the accept to a whole HTTP request
	                               (an upgrade included): 10000; whole seconds */
	uint32_t body_ms;           /* an HTTP request body, from its headers to its
	                               last byte: 10000 */
	uint32_t message_ms;        /* a WebSocket message, from its first byte to
	                               its last: 10000 */
	lv_metrics_access metrics;  /* who may read /lv/metrics: LV_METRICS_LOOPBACK */
	const char *metrics_role;   /* LV_METRICS_ROLE: the role the auth callback
	                               must give */
	uint32_t heartbeat_ms;      /* idle time before a ping: 25000 */
	uint32_t resume_ms;         /* how long a session waits for its page to
	                               come back after a drop: 120000 */
	uint32_t shutdown_ms;       /* time to flush queues on stop: 2000 */
	lv_auth_fn auth;            /* NULL: everyone is anonymous */
	void *user_data;            /* for auth and lv_server_data() */
	lv_log_level log_level;     /* LV_LOG_WARN; LV_LOG=1..4 in the
	                               environment overrides */
	lv_log_fn log;              /* NULL: standard error */
	void *log_user;             /* for log */
	lv_log_format log_format;   /* standard error's: LV_LOG_TEXT */
	bool handle_signals;        /* stop cleanly on SIGINT and SIGTERM (lv_server_run) */
	lv_loop_kind loop;          /* LV_LOOP_DEFAULT */
	const char *store;          /* where the models' tables are (apps with
	                               @model only): a SQLite file path,
	                               ":memory:", or a PostgreSQL URI
	                               ("postgresql://..."); NULL: the SQLite
	                               file BASE.db in the working directory */
	uint32_t store_poll_ms;     /* how often writes by other processes are
	                               looked for: 100 (PostgreSQL's wake-up
	                               is watched too: a fallback there) */
	void *uv_loop;              /* a uv_loop_t * of the program's, which it runs
	                               itself (implies LV_LOOP_UV); NULL: lv's own */
	/* Several nodes serving one application (docs/scaling.md). */
	const char *broker;         /* where groups and pushes live: NULL or "local":
	                               this process alone; "redis://HOST:PORT" or
	                               "unix:/PATH/TO/redis.sock": shared with every
	                               node on that Redis (pushes reach members on
	                               all of them, lv_group_size counts them all);
	                               sessions stay on their node. Borrowed for the
	                               server's life */
	const char *node_id;        /* this node's name in the broker: 1 to 64 of
	                               A-Z a-z 0-9 - _ . ; NULL: random per start */
	uint32_t broker_history;    /* reliable messages each group keeps in the
	                               shared broker for a node that missed them:
	                               1000 */
	bool broker_local_sessions; /* with a shared broker, keep each session on
	                               its node (a sticky load balancer), as on
	                               one machine: no round trip to the broker
	                               per message, no resume elsewhere; false */
	uint32_t broker_history_ms; /* and for how long, in ms: 600000 (10
	                               minutes); a group's history goes once it
	                               has had no push for as long */
	uint32_t presence_sweep_ms; /* how often a node looks for dead nodes'
	                               members in the shared broker: 5000 (a
	                               dead node's members go within its 5 s
	                               key TTL plus this) */
} lv_options;

/* Creates a server for app in *out (NULL on failure). Listens at once, so
 * lv_server_port() is known before lv_server_run. On the program's libuv
 * loop (uv_loop), call it on the loop's thread: the server is the loop's
 * from then on, its start handler runs before this returns, and it serves
 * as the program runs the loop; there is no lv_server_run. When it fails
 * there, what it had put on the loop closes as the loop runs. */
int lv_server_new(lv_server **out, const lv_app *app, const lv_options *opt);
/* The port it listens on. */
int lv_server_port(const lv_server *s);
void *lv_server_data(const lv_server *s);
/* The uv_loop_t * the server runs on with LV_LOOP_UV (lv's own, or the
 * program's); NULL on the other loops. */
void *lv_server_uv_loop(const lv_server *s);
/* Runs the event loop until lv_server_stop(); runs the start handler
 * first and the stop handler last. Returns 0 after a clean stop;
 * LV_EINVALID_ARGUMENT on the program's loop, or for a server run before. */
int lv_server_run(lv_server *s);
/* Asks the loop to stop: no new connections, queues flushed up to the
 * shutdown time, pages told the server is going away (1001). Any thread,
 * and signal handlers. On the program's loop, the stop handler runs and
 * lv closes what it holds on the loop once the queues are flushed. */
void lv_server_stop(lv_server *s);
/* Frees a stopped server (one on the program's loop: at any time, on the
 * loop's thread; what it holds on the loop closes as the loop runs, and
 * its memory goes after). */
void lv_server_free(lv_server *s);

/* ---- work on the loop ------------------------------------------------------ */

typedef void (*lv_work_fn)(lv_server *s, void *arg);
/* Runs fn(s, arg) on the loop thread, soon and in the order posted, never
 * inside the caller (also when called on the loop). Work posted after the
 * loop ended runs when the server is freed, so arg can always be freed by
 * fn. Any thread. */
int lv_server_post(lv_server *s, lv_work_fn fn, void *arg);

typedef struct lv_timer lv_timer;
typedef void (*lv_timer_fn)(lv_server *s, lv_timer *t, void *arg);
/* Calls fn(s, t, arg) on the loop after ms milliseconds, and then every ms
 * when repeat (ms > 0). *out (may be NULL) is the timer, for
 * lv_timer_stop; a timer that does not repeat is freed after it fires.
 * Loop thread, or before lv_server_run; from another thread, post the
 * start to the loop. Timers end with the server. */
int lv_timer_start(lv_server *s, uint32_t ms, bool repeat, lv_timer_fn fn, void *arg,
                   lv_timer **out);
/* Stops and frees a timer that has not fired (or repeats); also from its
 * own function. Loop thread. */
void lv_timer_stop(lv_timer *t);

/* ---- synchronised state ------------------------------------------------------ */

/* A server state's copy (declared with @server.state): its value, and the
 * changes made since its last flush, which go to every page that sees it
 * as one message of RFC 6902 operations (docs/runtime-c.md, "States").
 * Loop thread only: handlers, timers, work posted with lv_server_post. */
typedef struct lv_state lv_state;

/* The copy of state `name` for its scope: the one copy (scope global), a
 * group's (scope group), a connection's (scope conn). Made on first use
 * with the zero value of its type (empty lists and maps, zero numbers,
 * empty strings, the first enum member, absent optional fields). 0, or
 * LV_ENOT_FOUND (no server state of that name), LV_EINVALID_ARGUMENT (the
 * wrong scope, or not on the loop thread), LV_ENOMEM. */
int lv_state_global(lv_server *s, const char *name, lv_state **out);
int lv_state_group(lv_server *s, const char *name, const char *group, lv_state **out);
int lv_state_conn(lv_conn *c, const char *name, lv_state **out);

/* Changes at an RFC 6901 path of the state ("" is the whole value), with
 * values as JSON text, checked against the declared type at that path
 * (LV_EINVALID_ARGUMENT and nothing changed otherwise).
 * lv_state_set_json makes the value at path equal json, recording only
 * what differs (members added, removed or changed; a list of the same
 * length item by item, else whole); lv_state_insert_json inserts into the
 * list at path (index SIZE_MAX: at its end); lv_state_remove takes out a
 * map entry, an optional field or a list item; lv_state_move moves a list
 * item (the other items shift). */
int lv_state_set_json(lv_state *st, const char *path, const char *json, size_t len);
int lv_state_insert_json(lv_state *st, const char *path, size_t index, const char *json,
                         size_t len);
int lv_state_remove(lv_state *st, const char *path);
int lv_state_move(lv_state *st, const char *path, size_t from, size_t to);
/* Sends what changed now, whatever the state's flush says. */
int lv_state_flush(lv_state *st);
/* Flushes so far: the revision pages have (or are being sent). */
uint64_t lv_state_rev(const lv_state *st);
/* The whole value as JSON text (malloc'd; free it), or NULL. */
char *lv_state_json(const lv_state *st);

/* The beginner's server: listens on 127.0.0.1:port (all interfaces when
 * LV_HOST=0.0.0.0), serves ./static when it exists, keeps models in the
 * store LV_STORE names (else the default), shares groups with the nodes
 * of the broker LV_BROKER names (and LV_NODE_ID, the node_id option;
 * else one node alone), stops on Ctrl-C. */
int lv_app_run(const lv_app *app, int port);

/* ---- connections ---------------------------------------------------------- */

/* The id the server gave the connection ("c1f3a9..."). */
const char *lv_conn_id(const lv_conn *conn);
lv_server *lv_conn_server(const lv_conn *conn);
/* Identity from the auth callback, or NULL when anonymous. */
const char *lv_conn_identity(const lv_conn *conn);
bool lv_conn_has_role(const lv_conn *conn, const char *role);
/* Who the page is from now on, as an auth callback would say it with
 * lv_auth_set (copied): a login rpc signs its page in without a reload;
 * identity NULL signs it out (anonymous). Calls after it are checked
 * against the new roles; a resumed session keeps them. Loop thread. */
int lv_conn_set_auth(lv_conn *conn, const char *identity, const char *const *roles,
                     size_t nroles);
/* A pointer of the application's, kept with the connection. */
void lv_conn_set_data(lv_conn *conn, void *data);
void *lv_conn_data(const lv_conn *conn);
/* Keeps conn's memory valid (not its socket) until lv_conn_unref, so
 * other threads may hold it: sends to a closed connection fail with
 * LV_ECLOSED. Any thread. */
lv_conn *lv_conn_ref(lv_conn *conn);
void lv_conn_unref(lv_conn *conn);
/* Closes the connection with a WebSocket close code and reason. */
int lv_conn_close(lv_conn *conn, int code, const char *reason);

/* Groups: join and leave are idempotent; names beginning "lv." are
 * reserved (LV_EINVALID_ARGUMENT); a connection leaves all its groups
 * when it closes. Every page is in the implicit group "lv.all". */
int lv_group_join(lv_conn *conn, const char *group);
int lv_group_leave(lv_conn *conn, const char *group);
/* Number of connections in group (NULL: all). With a shared broker it
 * counts every node's: this node's exactly, the others' as last heard
 * (docs/scaling.md says how fresh). Loop thread. */
size_t lv_group_size(lv_server *s, const char *group);

/* Presence: who is in a group, on every node (docs/runtime-c.md#presence).
 * A page on two connections is two members (nothing is merged by
 * identity). */
typedef struct {
	const char *conn_id;        /* lv_conn_id of the member's connection */
	const char *identity;       /* lv_conn_identity (elsewhere: as it joined); NULL: anonymous */
	bool local;                 /* connected to this node */
} lv_member;
typedef void (*lv_members_fn)(lv_server *s, const char *group, int status,
                              const lv_member *members, size_t n, void *user_data);
/* Calls fn on the loop with the members of group (borrowed until fn
 * returns): status 0 and every node's members; with a shared broker
 * that cannot be reached, LV_EUNAVAILABLE and this node's only. On one
 * node fn runs before this returns; with a shared broker, a round trip
 * later. Returns 0, LV_EINVALID_ARGUMENT (no group) or LV_ENOMEM (fn
 * is then not called). Loop thread. */
int lv_group_members(lv_server *s, const char *group, lv_members_fn fn, void *user_data);

typedef void (*lv_groups_fn)(lv_server *s, int status, const char *const *groups, size_t n,
                             void *user_data);
/* Calls fn on the loop with the names of the groups that have members on
 * any node (borrowed until fn returns; this node's first), as
 * lv_group_members does: status 0, or LV_EUNAVAILABLE and this node's
 * only. Returns 0, LV_EINVALID_ARGUMENT or LV_ENOMEM. Loop thread. */
int lv_group_list(lv_server *s, lv_groups_fn fn, void *user_data);

typedef enum {
	LV_PRESENCE_JOINED,
	LV_PRESENCE_LEFT,           /* lv_group_leave */
	LV_PRESENCE_DISCONNECTED,   /* its session ended (or its node stopped) */
	LV_PRESENCE_NODE_DIED,      /* its node stopped answering (or restarted) */
} lv_presence_kind;
typedef struct {
	const char *group;
	lv_presence_kind kind;
	lv_member member;
	bool origin;                /* true on exactly one node for each event:
	                               push to the group from there */
} lv_presence_event;
typedef void (*lv_presence_fn)(lv_server *s, const lv_presence_event *ev, void *user_data);
/* fn (NULL: none) is told, on the loop, of every join and leave of the
 * groups this node has members in, on any node, and of those it made
 * itself. One handler a server; set it before lv_server_run or from the
 * loop (a start handler). */
void lv_presence_watch(lv_server *s, lv_presence_fn fn, void *user_data);
/* "joined", "left", "disconnected", "node died". */
const char *lv_presence_kind_name(lv_presence_kind kind);

/* ---- calls: what a handler gets ------------------------------------------ */

/* The connection that made the call; NULL for server events and lifecycle
 * start/stop. Borrowed until the handler returns. */
lv_conn *lv_call_conn(lv_call *call);
lv_server *lv_call_server(lv_call *call);
/* Memory that lives until the call's answer has been sent: for results. */
void *lv_call_alloc(lv_call *call, size_t n);
/* A copy of s, NUL-terminated, in the call's memory. */
lv_str lv_call_strdup(lv_call *call, const char *s);
/* Ends the call with an error: returns status, so a handler can write
 * `return lv_call_fail(call, LV_ENOT_FOUND, "no room %s", name);`. */
int lv_call_fail(lv_call *call, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Keeps the call open after the handler returns; return what this returns
 * from the handler, then answer later with the generated NAME_reply() or
 * lv_call_fail() (from any thread). Defer before handing the call to
 * another thread: an answer to a call not yet deferred is refused. */
int lv_call_defer(lv_call *call);
/* Used by the generated NAME_reply(): answers a deferred call with a
 * result of the endpoint's result type (NULL for void). Any thread. */
int lv_call_reply(lv_call *call, const void *result);
/* The identity of the caller, as lv_conn_identity (also for HTTP rpc). */
const char *lv_call_identity(lv_call *call);

/* ---- commands: what handlers answer pages with ------------------------- */

/* Commands collect on the call and reach the page with its answer (or,
 * for calls that have none, right after the handler returns). Each
 * returns 0, LV_ENOMEM, or LV_EINVALID_ARGUMENT for a string that is not
 * UTF-8 or JSON text that is not what it must be. Strings are copied. On a deferred call they may
 * be added by the thread that answers it, before it answers. */
/* Any command, the page's own included: args_json is a JSON array whose
 * items follow the name (NULL: none); LV_EINVALID_ARGUMENT when it is not
 * one. */
int lv_cmd_send(lv_call *call, const char *name, const char *args_json);
/* Replaces the element with id `id` by `html`, keeping focus, caret and
 * the value of the input being edited. */
int lv_cmd_morph(lv_call *call, const char *id, const char *html);
typedef struct {
	bool sticky;                /* stays until cleared */
	const char *group;          /* replaces an earlier one of the group */
	uint32_t throttle_ms;       /* at most one of the group per period */
	const char *level;          /* "info" (default), "success", "warning", "error" */
} lv_notify_opts;
int lv_cmd_notify(lv_call *call, const char *text, const lv_notify_opts *opts);
int lv_cmd_clear_notifications(lv_call *call, const char *group /* NULL: all */);
int lv_cmd_focus(lv_call *call, const char *id);
int lv_cmd_blur(lv_call *call, const char *id);
int lv_cmd_block(lv_call *call, const char *group);
int lv_cmd_release(lv_call *call, const char *group);
/* Replaces the page's state with state_json (any JSON text; NULL: null). */
int lv_cmd_set_state(lv_call *call, const char *state_json);
int lv_cmd_switch_mode(lv_call *call, const char *mode);
int lv_cmd_redirect(lv_call *call, const char *url);
/* Runs script in the page, if the page allowed eval. */
int lv_cmd_eval(lv_call *call, const char *script);

/* ---- sending to pages (used by the generated typed senders) ------------- */

/* Sends a client endpoint's message to one page; args point to the
 * endpoint's argument struct, encoded before this returns. Any thread. */
int lv_conn_push(lv_conn *conn, const lv_endpoint *ep, const void *args);
/* The same to the page whose connection id (lv_conn_id) is conn_id, on
 * this node or, with a shared broker, on the node it is connected to.
 * LV_ECLOSED: no such page here (one node); with a shared broker an id no
 * node knows is dropped there. Any thread. */
int lv_conn_push_id(lv_server *server, const char *conn_id, const lv_endpoint *ep,
                    const void *args);
/* The same to every member of group, or to every page when group is NULL.
 * The message is encoded once whatever the number of pages. Any thread.
 * From the loop it returns what the broker says: LV_EUNAVAILABLE when a
 * shared broker cannot be reached (the push went nowhere); from another
 * thread the push is posted to the loop and that is not seen. */
int lv_group_push(lv_server *server, const char *group, const lv_endpoint *ep,
                  const void *args);
/* Raises a custom server event: its handler runs on the loop. Any thread. */
int lv_server_raise(lv_server *server, const lv_endpoint *ep, const void *args);
/* The same on every node: with a shared broker the handler runs on each
 * node that hears the event, this one included, once; at most once (a
 * node cut off from the broker at that moment misses it). On one node it
 * is lv_server_raise. Any thread. From the loop it returns what the
 * broker says: LV_EUNAVAILABLE when it cannot be reached (the event ran
 * nowhere); from another thread that is logged, not returned. */
int lv_server_raise_all(lv_server *server, const lv_endpoint *ep, const void *args);

/* Generated adapter from the untyped answer to the typed callback fn. */
typedef void (*lv_call_done)(lv_conn *conn, int status, const void *result,
                             void (*fn)(void), void *user_data);
/* Calls a client.rpc endpoint on one page; done runs on the loop with its
 * answer, or a status below zero. Any thread. */
int lv_conn_call(lv_conn *conn, const lv_endpoint *ep, const void *args,
                   lv_call_done adapter, void (*fn)(void), void *user_data);
/* The same to the page whose connection id (lv_conn_id) is conn_id, on
 * this node or, with a shared broker, on the node it is connected to; the
 * answer comes back to this node, and done's conn is NULL when the page
 * was elsewhere. LV_ECLOSED on one node when no page has the id; with a
 * shared broker done is told LV_EUNAVAILABLE when no node holds it, and
 * LV_EDEADLINE_EXCEEDED when no answer came within the endpoint's timeout
 * and 2 s (its node died, say). Any thread. */
int lv_conn_call_id(lv_server *server, const char *conn_id, const lv_endpoint *ep,
                    const void *args, lv_call_done adapter, void (*fn)(void), void *user_data);

#ifdef __cplusplus
}
#endif
#endif
