/* loadgen.c - the load generator of the runtime benchmark.
 *
 * One thread, one epoll set, many WebSocket client connections to
 * 127.0.0.1 (no other address can be given; --src spreads their source
 * addresses over 127.0.1.0/24 when one address has too few ports). It does the opening
 * handshake itself and masks every frame it sends, as a client must. It
 * speaks four protocols, one per kind of server measured:
 *
 *   lv     liblv's: hello with the schema hash, then
 *          {"t":"call","id":N,"fn":"echo","args":{"n":N}} -> {"t":"ret","id":N,...}
 *   json   a hand-written JSON rpc (the Node `ws` server):
 *          {"id":N,"fn":"echo","args":{"n":N}} -> {"id":N,"value":N}
 *   echo   raw text frames echoed back (the bare libwebsockets server)
 *   sio    Socket.IO 4 over its WebSocket transport: Engine.IO open
 *          packet, namespace connect "40", events with acks
 *          42N["echo",{"n":N}] -> 43N[N], pings "2" answered "3"
 *
 * Modes (see usage()): rpc (N calls in flight per connection), send
 * (fire-and-forget messages into the server, each batch closed by a call so
 * that only processed messages count), fanout (one publisher, many
 * subscribers: deliveries per second and the time until the last one
 * arrives), idle (opens connections and holds them, for memory), state
 * (one driver, many pages in a group: each round one change to a state,
 * flushed to every page, either to the group's one copy or to each page's
 * own; the time until the last page has it and the server's CPU time of
 * the flush, which the bump call answers), models (one writer, --conns
 * live sessions each holding a different live query of bench.lv's items,
 * and as many polling sessions that list the same queries again after each
 * write instead; rounds take turns (--live-rounds live ones, then a
 * polling one): the time from the
 * write until the last session whose list holds the written row has its
 * model message, or until every polling session has its list again).
 *
 * Latencies go into a log-linear histogram in the manner of HdrHistogram:
 * exact below 256 ns, then 128 linear buckets per power of two (under 0.8 %
 * error), up to 17 s. The result is one JSON line on stdout.
 *
 * Every loop is bounded: the set-up by --setup-timeout, the run by
 * --warmup + --duration, a fanout round by --round-timeout. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- time and the histogram ------------------------------------------- */

static uint64_t
now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#define H_SUB_BITS 7
#define H_SUB (1u << H_SUB_BITS)           /* linear buckets per octave */
#define H_MAX_SHIFT 27                     /* up to 2^35 ns, about 34 s */
#define H_BUCKETS (2 * H_SUB + H_MAX_SHIFT * H_SUB)

typedef struct {
	uint64_t n, min, max;
	double sum;
	uint64_t counts[H_BUCKETS];
} hist;

static unsigned
h_index(uint64_t v)
{
	if (v < 2 * H_SUB)
		return (unsigned)v;
	unsigned msb = 63 - (unsigned)__builtin_clzll(v);
	unsigned shift = msb - H_SUB_BITS;
	if (shift > H_MAX_SHIFT) {
		shift = H_MAX_SHIFT;
		v = ((uint64_t)(2 * H_SUB) << shift) - 1;
	}
	return 2 * H_SUB + (shift - 1) * H_SUB + (unsigned)((v >> shift) - H_SUB);
}

/* The middle of bucket i. */
static double
h_value(unsigned i)
{
	if (i < 2 * H_SUB)
		return i;
	unsigned shift = (i - 2 * H_SUB) / H_SUB + 1;
	uint64_t top = H_SUB + (i - 2 * H_SUB) % H_SUB;
	return (double)(top << shift) + (double)(1ull << shift) / 2;
}

static void
h_add(hist *h, uint64_t v)
{
	if (!h->n || v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
	h->n++;
	h->sum += (double)v;
	h->counts[h_index(v)]++;
}

/* The value at quantile q (0..1), in ns. */
static double
h_quantile(const hist *h, double q)
{
	if (!h->n)
		return 0;
	uint64_t rank = (uint64_t)(q * (double)h->n + 0.5);
	if (rank < 1)
		rank = 1;
	if (rank > h->n)
		rank = h->n;
	uint64_t seen = 0;
	for (unsigned i = 0; i < H_BUCKETS; i++) {
		seen += h->counts[i];
		if (seen >= rank) {
			double v = h_value(i);
			if (v > (double)h->max)
				v = (double)h->max;
			if (v < (double)h->min)
				v = (double)h->min;
			return v;
		}
	}
	return (double)h->max;
}

/* ---- options -------------------------------------------------------------- */

enum proto { P_LV, P_JSON, P_ECHO, P_SIO };
enum mode { M_RPC, M_SEND, M_FANOUT, M_IDLE, M_STATE, M_MODELS };

static struct {
	enum proto proto;
	enum mode mode;
	int port;
	const char *path;
	const char *schema;
	int conns;
	int inflight;
	int batch;
	double warmup, duration, setup_timeout, round_timeout;
	int burst;
	int stage;
	int echo_size;
	int server_pid;
	int src;                    /* source addresses 127.0.1.1 .. 127.0.1.src; 0: the kernel's */
	int ports[16], nports;      /* --ports: connection i to ports[i % nports]; 0: --port alone */
	int groups;                 /* models: owners watched, --conns / groups sessions each */
	int live_rounds;            /* models: live rounds before each polling one */
	long rows;                  /* models: the rows of the items table */
	double ack_ms;              /* lv: an ack this long after the first unacknowledged message */
	int ack_every;              /* lv: or at once after this many */
	const char *label;
} opt = {
	.proto = P_LV, .mode = M_RPC, .path = NULL, .schema = "", .conns = 1, .inflight = 1,
	.batch = 32, .warmup = 1, .duration = 5, .setup_timeout = 120, .round_timeout = 10,
	.burst = 128, .echo_size = 52, .groups = 100, .live_rounds = 4, .rows = 100000, .label = "",
	.ack_ms = 1000, .ack_every = 128,   /* lv.js's ackDelay and ackEvery (runtime/js/options.js) */
};

static void
usage(void)
{
	fprintf(stderr,
	        "usage: loadgen --proto lv|json|echo|sio --port PORT [options]\n"
	        "  --mode rpc|send|fanout|idle|state|models   what to do (rpc)\n"
	        "  --path PATH          WebSocket path (lv: /lv/ws, sio: /socket.io/..., else /)\n"
	        "  --schema HASH        lv: the schema hash for hello\n"
	        "  --conns N            connections; fanout, state: subscribers, plus one publisher (1)\n"
	        "  --inflight N         rpc: calls in flight per connection; send: batches (1)\n"
	        "  --batch N            send: messages per batch, each batch closed by a call (32)\n"
	        "  --warmup S           seconds of load before measuring (1)\n"
	        "  --duration S         seconds measured; idle: the longest hold (5)\n"
	        "  --setup-timeout S    the longest time to open every connection (120)\n"
	        "  --round-timeout S    fanout, state: the longest wait for one round (10)\n"
	        "  --burst N            handshakes under way at once (128)\n"
	        "  --stage N            idle: open N, say \"stage N\", wait for a line on stdin\n"
	        "  --echo-size N        echo: bytes per message, padded (52)\n"
	        "  --server-pid PID     report that process's CPU use over the measured time\n"
	        "  --src N              spread connections over source addresses 127.0.1.1 .. 127.0.1.N (0)\n"
	        "  --ports P,P,...      servers (nodes of one app) taking turns: connection i, the\n"
	        "                       publisher first, to the i-th modulo their number (--port alone)\n"
	        "  --groups N           models: owners whose lists are watched (100)\n"
	        "  --live-rounds N      models: live rounds before each polling one (4)\n"
	        "  --rows N             models: rows in the items table (100000)\n"
	        "  --ack-ms MS          lv: ack this long after the first unacknowledged message (1000,\n"
	        "                       as lv.js; a quarter of the welcome's window acks at once)\n"
	        "  --ack-every N        lv: or at once after N messages (128, as lv.js)\n"
	        "  --label TEXT         copied into the result line\n");
	exit(2);
}

/* ---- connections ----------------------------------------------------------- */

enum state {
	S_IDLE,          /* not opened yet */
	S_CONNECTING,    /* TCP connect under way */
	S_UPGRADING,     /* GET sent, waiting for 101 */
	S_OPENING,       /* protocol greeting: lv welcome, sio open + connect */
	S_READY,
	S_SUBSCRIBING,   /* fanout subscriber: subscribe sent */
	S_SUBSCRIBED,
	S_CLOSED
};

typedef struct {
	int fd;
	enum state st;
	bool want_out;           /* EPOLLOUT is set */
	bool publisher;
	unsigned char *in;       /* an incomplete frame (or the HTTP answer) */
	size_t inlen, incap;
	unsigned char *out;      /* frames not yet written */
	size_t outlen, outoff, outcap;
	uint32_t next_id;
	uint32_t pending;        /* calls (rpc) or batches (send) in flight */
	uint64_t *sent_at;       /* by id & ring_mask */
	/* lv sessions: our reliable messages are numbered; the server's are
	 * acknowledged in batches by lv.js's rule (see send_acks): unacked
	 * counts what came since the last ack, win the welcome's window */
	uint64_t out_seq, in_last, in_acked, ack_since;
	bool ack_listed;
	uint64_t unacked_msgs, unacked_bytes, win_msgs, win_bytes;
	/* models: a live (0) or polling (1) session, its query, the round it
	 * was last counted in, and a hash of the last list it was answered */
	int role, group, nth;
	uint32_t counted;
	uint64_t value_hash;
} conn;

static conn *conns;
static int nconns;
static int ep;
static uint32_t ring_mask;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

/* run state */
static bool running;             /* the load phase has begun */
static bool stopping;            /* past the end: issue nothing new */
static uint64_t t_warm, t_end;   /* measuring window */
static hist lat;                 /* rpc: call latency; fanout: each delivery */
static hist last;                /* fanout: time until the last delivery */
static uint64_t ops, errors, closed, fails, frags, sent_msgs;
static int opened, ready, subscribed;
static int stage_ready;          /* idle: ready when the second stage began */
static uint64_t t_go, t_grown;   /* idle: that stage's start and end */
static char last_error[160];

/* fanout */
static uint32_t round_no;
static uint64_t round_t0;
static int round_got;
static uint64_t rounds, deliveries, missing;

/* state: rounds alternate between the group's copy (kind 0, board_bump)
 * and every page's own (kind 1, mine_bump) */
static int round_kind;
static bool round_ret;           /* the bump has answered */
static int64_t round_cpu_ns;     /* what it answered */
static uint64_t round_last;      /* when the last page got the change */
static hist st_last[2];          /* time until the last page has it */
static hist st_cpu[2];           /* the server's CPU time of the flush */
static uint64_t st_rounds[2], st_wall_ns[2];
static hist push_cpu;            /* fanout, lv: the server's CPU time of each push */

/* models: rounds alternate between the live sessions (kind 0) and the
 * polling ones (kind 1); each writes one owner's hot row */
static int m_owner;              /* the owner written this round */
static int m_per;                /* sessions of each kind per owner */
static int m_polled, m_changed;  /* kind 1: lists answered, and changed */
static uint64_t m_ret_t;         /* when the write answered (0: not yet) */
static uint64_t m_last_t;        /* the last delivery or list of the round */
static int64_t *m_revs;          /* each owner's hot row's version */
static int m_kind;               /* this round's */
static uint32_t m_k[2];          /* rounds of each kind begun */
static uint64_t m_rounds[2], m_bad;
static hist m_last[2];           /* from the write sent to the last delivery / list */
static hist m_after_ret;         /* kind 0: from the write's answer to the last delivery */
static hist m_write[2];          /* the write's round trip */

/* one publisher and many subscribers */
#define ONE_TO_MANY (opt.mode == M_FANOUT || opt.mode == M_STATE || opt.mode == M_MODELS)

/* connections with an ack to send */
static uint32_t *ackq;
static int nackq;

static uint32_t
rnd32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static void
die(const char *what)
{
	fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
note_error(const unsigned char *p, size_t n)
{
	errors++;
	if (!last_error[0])
		snprintf(last_error, sizeof last_error, "%.*s", (int)(n < 120 ? n : 120), (const char *)p);
}

static void
set_events(conn *c)
{
	struct epoll_event ev = { .events = EPOLLIN | (c->want_out ? EPOLLOUT : 0),
	                          .data.u32 = (uint32_t)(c - conns) };
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void
out_reserve(conn *c, size_t n)
{
	if (c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	if (c->outlen + n <= c->outcap)
		return;
	if (c->outoff) {
		memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
		c->outlen -= c->outoff;
		c->outoff = 0;
		if (c->outlen + n <= c->outcap)
			return;
	}
	size_t cap = c->outcap ? c->outcap * 2 : 512;
	while (cap < c->outlen + n)
		cap *= 2;
	unsigned char *o = realloc(c->out, cap);
	if (!o)
		die("out of memory");
	c->out = o;
	c->outcap = cap;
}

static void
put_raw(conn *c, const void *p, size_t n)
{
	out_reserve(c, n);
	memcpy(c->out + c->outlen, p, n);
	c->outlen += n;
}

/* Frames and masks one message (text, or opcode op) into c's output. */
static void
put_frame(conn *c, int op, const void *payload, size_t n)
{
	out_reserve(c, n + 14);
	unsigned char *h = c->out + c->outlen;
	size_t hl;
	h[0] = (unsigned char)(0x80 | op);
	if (n < 126) {
		h[1] = (unsigned char)(0x80 | n);
		hl = 2;
	} else if (n < 65536) {
		h[1] = 0x80 | 126;
		h[2] = (unsigned char)(n >> 8);
		h[3] = (unsigned char)n;
		hl = 4;
	} else {
		h[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
		hl = 10;
	}
	uint32_t key = rnd32();
	memcpy(h + hl, &key, 4);
	const unsigned char *m = h + hl;
	unsigned char *d = h + hl + 4;
	const unsigned char *s = payload;
	for (size_t i = 0; i < n; i++)
		d[i] = s[i] ^ m[i & 3];
	c->outlen += hl + 4 + n;
}

static void
put_text(conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put_text(conn *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= (int)sizeof buf)
		n = (int)sizeof buf - 1;
	put_frame(c, 1, buf, (size_t)n);
}

static void
conn_close(conn *c, bool failed)
{
	if (c->st == S_CLOSED || c->st == S_IDLE)
		return;
	if (failed && c->st < S_READY)
		fails++;
	else
		closed++;
	if (c->st >= S_READY)
		ready--;
	if (c->st == S_SUBSCRIBED)
		subscribed--;
	epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->st = S_CLOSED;
	free(c->in);
	c->in = NULL;
	c->inlen = c->incap = 0;
}

/* Writes what it can; asks for EPOLLOUT when the socket is full. */
static void
flush(conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t w = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				if (!c->want_out) {
					c->want_out = true;
					set_events(c);
				}
				return;
			}
			conn_close(c, true);
			return;
		}
		c->outoff += (size_t)w;
	}
	c->outoff = c->outlen = 0;
	if (c->want_out && c->st != S_CONNECTING) {
		c->want_out = false;
		set_events(c);
	}
}

/* ---- what is sent --------------------------------------------------------- */

/* One call of fn with argument n; returns its id. */
static uint32_t
send_call(conn *c, const char *fn, long long n, bool has_arg)
{
	uint32_t id = ++c->next_id;
	switch (opt.proto) {
	case P_LV:
		if (has_arg)
			put_text(c, "{\"t\":\"call\",\"id\":%u,\"fn\":\"%s\",\"args\":{\"n\":%lld},"
			         "\"seq\":%llu}", id, fn, n, (unsigned long long)++c->out_seq);
		else
			put_text(c, "{\"t\":\"call\",\"id\":%u,\"fn\":\"%s\",\"args\":{},\"seq\":%llu}", id,
			         fn, (unsigned long long)++c->out_seq);
		break;
	case P_JSON:
		if (has_arg)
			put_text(c, "{\"id\":%u,\"fn\":\"%s\",\"args\":{\"n\":%lld}}", id, fn, n);
		else
			put_text(c, "{\"id\":%u,\"fn\":\"%s\",\"args\":{}}", id, fn);
		break;
	case P_SIO:
		if (has_arg)
			put_text(c, "42%u[\"%s\",{\"n\":%lld}]", id, fn, n);
		else
			put_text(c, "42%u[\"%s\"]", id, fn);
		break;
	case P_ECHO: {
		char buf[256];
		int len;
		if (strcmp(fn, "subscribe") == 0)
			len = snprintf(buf, sizeof buf, "+%u", id);
		else if (strcmp(fn, "fanout") == 0)
			len = snprintf(buf, sizeof buf, "*%lld", n);
		else
			len = snprintf(buf, sizeof buf, "%u ", id);
		while (len < opt.echo_size && len < (int)sizeof buf)
			buf[len++] = 'x';
		put_frame(c, 1, buf, (size_t)len);
		break;
	}
	}
	sent_msgs++;
	return id;
}

/* A fire-and-forget message. */
static void
send_note(conn *c, long long n)
{
	switch (opt.proto) {
	case P_LV:
		put_text(c, "{\"t\":\"send\",\"fn\":\"note\",\"args\":{\"n\":%lld},\"seq\":%llu}", n,
		         (unsigned long long)++c->out_seq);
		break;
	case P_JSON:
		put_text(c, "{\"fn\":\"note\",\"args\":{\"n\":%lld}}", n);
		break;
	case P_SIO:
		put_text(c, "42[\"note\",{\"n\":%lld}]", n);
		break;
	case P_ECHO: {
		char buf[256];
		int len = snprintf(buf, sizeof buf, "!%lld ", n);
		while (len < opt.echo_size && len < (int)sizeof buf)
			buf[len++] = 'x';
		put_frame(c, 1, buf, (size_t)len);
		break;
	}
	}
	sent_msgs++;
}

static void
send_rpc(conn *c, uint64_t t)
{
	uint32_t id = send_call(c, "echo", c->next_id + 1, true);
	c->sent_at[id & ring_mask] = t;
	c->pending++;
}

static void
send_batch(conn *c, uint64_t t)
{
	for (int i = 0; i < opt.batch; i++)
		send_note(c, 1);
	send_rpc(c, t);
}

static long long num_after(const unsigned char *p, size_t n, const char *key);

/* models: the hot row of owner o, the last of the rows with id % 1000 == o
 * (bench/models_bench.c fills the table so). */
static long
hot_id(int o)
{
	long base = opt.rows - 1000 + 1;
	return base + ((o - base % 1000) % 1000 + 1000) % 1000;
}

/* models: the query of session nth of an owner's, as models_bench's
 * subscribers have (windows only): the owner's rows, with another filter
 * or none, ordered by score going down, a window of 5 + nth rows. */
static void
models_query(char *out, size_t n, int owner, int nth)
{
	static const char *const order[] = { "\"-score\"", "\"-score\",\"title\"", "\"-score\",\"-id\"" };
	char extra[64];
	switch (nth % 4) {
	case 1: snprintf(extra, sizeof extra, ",\"done\":false"); break;
	case 2: snprintf(extra, sizeof extra, ",\"score\":{\"ge\":%d}", nth % 500); break;
	case 3: snprintf(extra, sizeof extra, ",\"title\":{\"contains\":\"hot\"}"); break;
	default: extra[0] = 0;
	}
	snprintf(out, n, "\"where\":{\"owner\":\"u%d\"%s},\"order\":[%s],\"limit\":%d", owner, extra,
	         order[nth % 3], 5 + nth);
}

static void
models_call(conn *c, const char *fn, const char *args)
{
	uint32_t id = ++c->next_id;
	put_text(c, "{\"t\":\"call\",\"id\":%u,\"fn\":\"%s\",\"args\":{%s},\"seq\":%llu}", id, fn,
	         args, (unsigned long long)++c->out_seq);
	sent_msgs++;
}

/* A session's query: subscribed (live) or listed (polling). */
static void
models_ask(conn *c)
{
	char q[256], args[320];
	int owner = c->group + (c->role ? opt.groups : 0);
	models_query(q, sizeof q, owner, c->nth);
	if (c->role == 0) {
		snprintf(args, sizeof args, "\"key\":\"q\",%s", q);
		models_call(c, "items.subscribe", args);
	} else {
		models_call(c, "items.list", q);
	}
}

/* The round's write: a new title and a score above every other row's
 * for one owner's hot row; the live sessions' owners are 0 .. groups-1,
 * the polling ones' groups .. 2 groups-1. */
static void
models_write(conn *pub)
{
	/* --live-rounds live rounds, then a polling one */
	int kind = m_kind = round_no % (uint32_t)(opt.live_rounds + 1) == 0;
	uint32_t k = m_k[kind]++;
	m_owner = (int)((k * 7 + 3) % (uint32_t)opt.groups) + (kind ? opt.groups : 0);
	m_polled = m_changed = 0;
	m_ret_t = m_last_t = 0;
	long id = hot_id(m_owner);
	char args[320];
	snprintf(args, sizeof args, "\"row\":{\"id\":%ld,\"team\":%ld,\"owner\":\"u%d\",\"title\":"
	         "\"hot %d %u\",\"done\":false,\"score\":%u,\"rev\":%lld}", id, id % 100, m_owner,
	         m_owner, round_no, 2000 + round_no, (long long)m_revs[m_owner]);
	models_call(pub, "items.update", args);
}

static void start_round(uint64_t t);

/* models: the round is over once the write answered and every session
 * that must has its delivery (kind 0) or its list (kind 1). */
static void
models_round_done(uint64_t t)
{
	int kind = m_kind;
	if (!m_ret_t || (kind == 0 ? round_got < m_per : m_polled < opt.conns))
		return;
	if (round_t0 >= t_warm && t <= t_end) {
		h_add(&m_last[kind], m_last_t - round_t0);
		h_add(&m_write[kind], m_ret_t - round_t0);
		if (kind == 0)
			h_add(&m_after_ret, m_last_t > m_ret_t ? m_last_t - m_ret_t : 0);
		if (kind == 1 && m_changed != m_per)
			m_bad++;
		m_rounds[kind]++;
		rounds++;
	}
	if (!stopping)
		start_round(t);
}

/* models: the writer's answer. */
static void
models_write_ret(const unsigned char *p, size_t n, uint64_t t)
{
	if (m_ret_t)
		return;
	m_ret_t = t;
	if (memmem(p, n, "\"ok\":true", 9))
		m_revs[m_owner]++;
	if (m_kind == 1) {
		/* Every polling session lists its query again. */
		for (int i = 1 + opt.conns; i < nconns; i++) {
			conn *c = &conns[i];
			if (c->st != S_SUBSCRIBED)
				continue;
			models_ask(c);
			flush(c);
		}
	}
	models_round_done(t);
}

static uint64_t
fnv1a(const unsigned char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

/* models: a polling session's list; the value compared with its last. */
static void
models_list_ret(conn *c, const unsigned char *p, size_t n, uint64_t t)
{
	const unsigned char *v = memmem(p, n, "\"value\":", 8);
	uint64_t h = v ? fnv1a(v, (size_t)(p + n - v)) : 0;
	bool changed = h != c->value_hash;
	c->value_hash = h;
	if (m_kind != 1 || c->counted == round_no)
		return;
	c->counted = round_no;
	m_polled++;
	m_changed += changed;
	m_last_t = t;
	models_round_done(t);
}

/* models: a live session's model message; counted once a round, when it
 * carries this round's write (its score). */
static void
models_delivery(conn *c, const unsigned char *p, size_t n, uint64_t t)
{
	if (m_kind != 0 || c->counted == round_no ||
	    num_after(p, n, "\"score\":") != 2000 + (long long)round_no)
		return;
	c->counted = round_no;
	round_got++;
	if (round_t0 >= t_warm && t <= t_end)
		deliveries++;
	m_last_t = t;
	models_round_done(t);
}

static void
start_round(uint64_t t)
{
	conn *pub = &conns[0];
	if (pub->st != S_READY)
		return;
	round_no++;
	round_got = 0;
	round_t0 = t;
	if (opt.mode == M_MODELS) {
		models_write(pub);
		flush(pub);
		return;
	}
	if (opt.mode == M_STATE) {
		round_kind = (int)(round_no & 1) ? 0 : 1;
		round_ret = false;
		round_cpu_ns = -1;
		send_call(pub, round_kind ? "mine_bump" : "board_bump", round_no, true);
	} else {
		send_call(pub, "fanout", round_no, true);
	}
	flush(pub);
}

/* state: a round is over once every page has the change and the bump has
 * answered. */
static void
state_round_done(uint64_t t)
{
	if (round_got < subscribed || !round_ret)
		return;
	if (round_t0 >= t_warm && t <= t_end) {
		h_add(&st_last[round_kind], round_last - round_t0);
		if (round_cpu_ns >= 0)
			h_add(&st_cpu[round_kind], (uint64_t)round_cpu_ns);
		st_rounds[round_kind]++;
		st_wall_ns[round_kind] += t - round_t0;
		rounds++;
	}
	if (!stopping)
		start_round(t);
}

/* state: a patch of board (kind 0) or mine (kind 1) setting n. */
static void
on_state(int kind, long long n, uint64_t t)
{
	if (opt.mode != M_STATE || kind != round_kind || n != (long long)round_no)
		return;
	round_got++;
	if (round_t0 >= t_warm && t <= t_end)
		deliveries++;
	if (round_got == subscribed) {
		round_last = t;
		state_round_done(t);
	}
}

static void
on_bump_ret(long long value, uint64_t t)
{
	if (round_ret)
		return;
	round_ret = true;
	round_cpu_ns = value;
	state_round_done(t);
}

/* ---- what is received ------------------------------------------------------- */

static long long
num_after(const unsigned char *p, size_t n, const char *key)
{
	size_t kl = strlen(key);
	const unsigned char *k = memmem(p, n, key, kl);
	if (!k)
		return -1;
	const unsigned char *d = k + kl, *e = p + n;
	while (d < e && *d == ' ')
		d++;
	long long v = 0;
	bool any = false;
	while (d < e && *d >= '0' && *d <= '9') {
		v = v * 10 + (*d++ - '0');
		any = true;
	}
	return any ? v : -1;
}

static long long
leading_num(const unsigned char *p, size_t n)
{
	long long v = 0;
	size_t i = 0;
	while (i < n && p[i] >= '0' && p[i] <= '9')
		v = v * 10 + (p[i++] - '0');
	return i ? v : -1;
}

static void set_ready(conn *c);

/* An answer to call id arrived on c. */
static void
on_ret(conn *c, long long id, uint64_t t)
{
	if (c->st == S_SUBSCRIBING) {
		c->st = S_SUBSCRIBED;
		subscribed++;
		return;
	}
	if (opt.mode == M_MODELS)
		return;
	if (ONE_TO_MANY)
		return;   /* the publisher's fanout answered: the ticks count */
	if (opt.mode != M_RPC && opt.mode != M_SEND)
		return;
	if (!c->pending)
		return;
	c->pending--;
	if (t >= t_warm && t <= t_end) {
		uint64_t t0 = c->sent_at[(uint32_t)id & ring_mask];
		h_add(&lat, t - t0);
		ops += opt.mode == M_SEND ? (uint64_t)opt.batch : 1;
	}
	if (!stopping) {
		if (opt.mode == M_RPC)
			send_rpc(c, t);
		else
			send_batch(c, t);
	}
}

static void
on_tick(long long n, uint64_t t)
{
	if (opt.mode != M_FANOUT || n != (long long)round_no)
		return;
	round_got++;
	bool counted = round_t0 >= t_warm && t <= t_end;
	if (counted) {
		h_add(&lat, t - round_t0);
		deliveries++;
	}
	if (round_got == subscribed) {
		if (counted) {
			h_add(&last, t - round_t0);
			rounds++;
		}
		if (!stopping)
			start_round(t);
	}
}

/* An ack of everything processed so far. */
static void
send_ack(conn *c)
{
	put_text(c, "{\"t\":\"ack\",\"seq\":%llu}", (unsigned long long)(c->in_acked = c->in_last));
	c->unacked_msgs = c->unacked_bytes = 0;
}

static void
on_message(conn *c, const unsigned char *p, size_t n, uint64_t t)
{
	switch (opt.proto) {
	case P_LV: {
		/* {"seq":N,"t":"ret",...}: numbered messages start with their seq */
		long long seq = n > 7 && memcmp(p, "{\"seq\":", 7) == 0 ? leading_num(p + 7, n - 7) : -1;
		const unsigned char *ty = memmem(p, n < 48 ? n : 48, "\"t\":\"", 5);
		if (!ty) {
			note_error(p, n);
			break;
		}
		ty += 5;
		size_t tl = (size_t)(p + n - ty);
#define IS(word) (tl > sizeof word - 1 && memcmp(ty, word "\"", sizeof word) == 0)
		if (seq > 0 && !IS("ack") && (uint64_t)seq > c->in_last) {
			c->in_last = (uint64_t)seq;
			if (c->unacked_msgs == 0)
				c->ack_since = t;   /* the first since the last ack starts the delay */
			if (!c->ack_listed) {
				c->ack_listed = true;
				ackq[nackq++] = (uint32_t)(c - conns);
			}
			c->unacked_msgs++;
			c->unacked_bytes += n;
			if (c->win_msgs && (c->unacked_msgs >= (uint64_t)opt.ack_every ||
			                    c->unacked_msgs >= c->win_msgs / 4 ||
			                    c->unacked_bytes >= c->win_bytes / 4))
				send_ack(c);
		}
		if (IS("ret")) {
			if (memmem(p, n, "\"ok\":false", 10))
				note_error(p, n);
			else if (opt.mode == M_STATE && c->publisher)
				on_bump_ret(num_after(p, n, "\"value\":"), t);
			else if (opt.mode == M_MODELS && c->publisher && running)
				models_write_ret(p, n, t);
			else if (opt.mode == M_MODELS && c->role == 1)
				models_list_ret(c, p, n, t);
			else if (opt.mode == M_FANOUT && c->publisher && t >= t_warm && t <= t_end) {
				long long v = num_after(p, n, "\"value\":");
				if (v >= 0)
					h_add(&push_cpu, (uint64_t)v);
			}
			on_ret(c, num_after(p, n, "\"id\":"), t);
		} else if (IS("state")) {
			/* a patch that sets /n; snapshots (path "") and ends (ops null) are not counted */
			int kind = memmem(p, n, "\"name\":\"board\"", 14) ? 0 :
			           memmem(p, n, "\"name\":\"mine\"", 13) ? 1 : -1;
			on_state(kind, num_after(p, n, "\"path\":\"/n\",\"value\":"), t);
		} else if (IS("push")) {
			on_tick(num_after(p, n, "\"n\":"), t);
		} else if (IS("model")) {
			if (opt.mode == M_MODELS && c->role == 0)
				models_delivery(c, p, n, t);
		} else if (IS("ack") || IS("pong")) {
			/* the server has our messages; activity */
		} else if (IS("welcome")) {
			/* the server's replay buffer, whose quarter bounds an ack's delay */
			long long wm = num_after(p, n, "\"messages\":"), wb = num_after(p, n, "\"bytes\":");
			c->win_msgs = wm > 0 ? (uint64_t)wm : 4096;
			c->win_bytes = wb > 0 ? (uint64_t)wb : 8u << 20;
			if (c->st == S_OPENING)
				set_ready(c);
		} else if (IS("ping")) {
			put_text(c, "{\"t\":\"pong\"}");
		} else {
			note_error(p, n);
		}
#undef IS
		break;
	}
	case P_JSON:
		if (n > 5 && memcmp(p, "{\"id\":", 6) == 0) {
			if (memmem(p, n, "\"error\"", 7))
				note_error(p, n);
			on_ret(c, num_after(p, n, "\"id\":"), t);
		} else if (memmem(p, n, "\"fn\":\"tick\"", 11)) {
			on_tick(num_after(p, n, "\"n\":"), t);
		} else {
			note_error(p, n);
		}
		break;
	case P_ECHO:
		if (n && p[0] >= '0' && p[0] <= '9')
			on_ret(c, leading_num(p, n), t);
		else if (n && p[0] == 't')
			on_tick(leading_num(p + 1, n - 1), t);
		else if (n && p[0] == '+')
			on_ret(c, leading_num(p + 1, n - 1), t);
		else if (!(n && p[0] == '*'))
			note_error(p, n);
		break;
	case P_SIO:
		if (n >= 2 && p[0] == '4' && p[1] == '3') {
			on_ret(c, leading_num(p + 2, n - 2), t);
		} else if (n >= 2 && p[0] == '4' && p[1] == '2') {
			if (memmem(p, n, "\"tick\"", 6))
				on_tick(num_after(p, n, "\"n\":"), t);
		} else if (n == 1 && p[0] == '2') {
			put_frame(c, 1, "3", 1);
		} else if (n >= 1 && p[0] == '0') {
			put_frame(c, 1, "40", 2);   /* Engine.IO open: join namespace / */
		} else if (n >= 2 && p[0] == '4' && p[1] == '0') {
			if (c->st == S_OPENING)
				set_ready(c);
		} else {
			note_error(p, n);
		}
		break;
	}
}

/* Parses whole frames in [p, p+n); returns the bytes consumed. */
static size_t
parse_frames(conn *c, const unsigned char *p, size_t n, uint64_t t)
{
	size_t off = 0;
	while (c->st != S_CLOSED && n - off >= 2) {
		const unsigned char *h = p + off;
		int op = h[0] & 0x0f;
		bool fin = h[0] & 0x80;
		uint64_t len = h[1] & 0x7f;
		size_t hl = 2;
		if (h[1] & 0x80) {   /* a server never masks */
			snprintf(last_error, sizeof last_error, "masked frame from the server");
			conn_close(c, true);
			return n;
		}
		if (len == 126) {
			if (n - off < 4)
				break;
			len = (uint64_t)h[2] << 8 | h[3];
			hl = 4;
		} else if (len == 127) {
			if (n - off < 10)
				break;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | h[2 + i];
			hl = 10;
		}
		if (len > (64u << 20)) {
			snprintf(last_error, sizeof last_error, "frame of %llu bytes", (unsigned long long)len);
			conn_close(c, true);
			return n;
		}
		if (n - off < hl + len)
			break;
		const unsigned char *d = h + hl;
		switch (op) {
		case 1:
		case 2:
			if (!fin)
				frags++;
			else
				on_message(c, d, (size_t)len, t);
			break;
		case 0:
			frags++;
			break;
		case 8:
			if (len >= 2 && !last_error[0])
				snprintf(last_error, sizeof last_error, "closed by the server: %u %.*s",
				         (unsigned)(d[0] << 8 | d[1]), (int)(len - 2 < 100 ? len - 2 : 100),
				         (const char *)d + 2);
			conn_close(c, true);
			return n;
		case 9:
			put_frame(c, 10, d, (size_t)len);
			break;
		default:
			break;
		}
		off += hl + (size_t)len;
	}
	return off;
}

static void
keep_rest(conn *c, const unsigned char *p, size_t n)
{
	if (c->st == S_CLOSED)
		return;
	if (n > c->incap) {
		size_t cap = c->incap ? c->incap : 256;
		while (cap < n)
			cap *= 2;
		unsigned char *b = realloc(c->in, cap);
		if (!b)
			die("out of memory");
		c->in = b;
		c->incap = cap;
	}
	memmove(c->in, p, n);
	c->inlen = n;
}

/* ---- opening ------------------------------------------------------------------- */

static void
set_ready(conn *c)
{
	c->st = S_READY;
	ready++;
	if (ONE_TO_MANY && !c->publisher) {
		c->st = S_SUBSCRIBING;
		if (opt.mode == M_MODELS)
			models_ask(c);
		else
			send_call(c, opt.mode == M_STATE ? "board_join" : "subscribe", 0, false);
	}
}

static void
upgraded(conn *c)
{
	switch (opt.proto) {
	case P_LV:
		c->st = S_OPENING;
		put_text(c, "{\"t\":\"hello\",\"schema\":\"%s\"}", opt.schema);
		break;
	case P_SIO:
		c->st = S_OPENING;   /* the server speaks first */
		break;
	default:
		set_ready(c);
		break;
	}
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* The server port connection c goes to. */
static int
port_of(const conn *c)
{
	return opt.nports ? opt.ports[(c - conns) % opt.nports] : opt.port;
}

static void
send_upgrade(conn *c)
{
	unsigned char key[16];
	char k64[25];
	for (int i = 0; i < 16; i += 4) {
		uint32_t r = rnd32();
		memcpy(key + i, &r, 4);
	}
	int j = 0;
	for (int i = 0; i < 15; i += 3) {
		uint32_t v = (uint32_t)key[i] << 16 | (uint32_t)key[i + 1] << 8 | key[i + 2];
		k64[j++] = b64[v >> 18 & 63];
		k64[j++] = b64[v >> 12 & 63];
		k64[j++] = b64[v >> 6 & 63];
		k64[j++] = b64[v & 63];
	}
	uint32_t v = (uint32_t)key[15] << 16;
	k64[j++] = b64[v >> 18 & 63];
	k64[j++] = b64[v >> 12 & 63];
	k64[j++] = '=';
	k64[j++] = '=';
	k64[j] = 0;
	char req[512];
	int n = snprintf(req, sizeof req,
	                 "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
	                 "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
	                 "Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:%d\r\n\r\n",
	                 opt.path, port_of(c), k64, port_of(c));
	put_raw(c, req, (size_t)n);
	c->st = S_UPGRADING;
	flush(c);
}

static void
open_one(conn *c)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(last_error, sizeof last_error, "socket: %s", strerror(errno));
		fails++;
		c->st = S_CLOSED;
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (opt.src) {
		/* One source address has about 28,000 ephemeral ports: past that,
		 * connections take turns over 127.0.1.1 .. 127.0.1.src, each bound
		 * to its address with the port left to connect(). */
		struct sockaddr_in src = { .sin_family = AF_INET };
		src.sin_addr.s_addr = htonl(0x7f000101u + (uint32_t)((c - conns) % opt.src));
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
		if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0) {
			snprintf(last_error, sizeof last_error, "bind: %s", strerror(errno));
			close(fd);
			fails++;
			c->st = S_CLOSED;
			return;
		}
	}
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port_of(c)) };
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);   /* to 127.0.0.1, always */
	c->fd = fd;
	c->st = S_CONNECTING;
	c->want_out = true;
	opened++;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)(c - conns) };
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		die("epoll_ctl");
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
		snprintf(last_error, sizeof last_error, "connect: %s", strerror(errno));
		conn_close(c, true);
	}
}

static void
on_readable(conn *c, unsigned char *buf, size_t bufsize, uint64_t t)
{
	for (int rounds_left = 8; rounds_left-- && c->st != S_CLOSED;) {
		ssize_t r = recv(c->fd, buf, bufsize, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				conn_close(c, true);
			break;
		}
		if (r == 0) {
			if (!last_error[0])
				snprintf(last_error, sizeof last_error, "the server closed a connection");
			conn_close(c, true);
			break;
		}
		const unsigned char *p = buf;
		size_t n = (size_t)r;
		if (c->inlen) {
			/* the start of a frame came before: append, parse from c->in
			 * (keep_rest then moves the rest within it, no realloc) */
			if (c->inlen + n > c->incap) {
				size_t cap = c->incap * 2;
				while (cap < c->inlen + n)
					cap *= 2;
				unsigned char *b = realloc(c->in, cap);
				if (!b)
					die("out of memory");
				c->in = b;
				c->incap = cap;
			}
			memcpy(c->in + c->inlen, buf, n);
			n += c->inlen;
			c->inlen = 0;
			p = c->in;
		}
		if (c->st == S_UPGRADING) {
			const unsigned char *end = memmem(p, n, "\r\n\r\n", 4);
			if (!end) {
				if (n > 8192) {
					snprintf(last_error, sizeof last_error, "no end to the HTTP answer");
					conn_close(c, true);
					break;
				}
				keep_rest(c, p, n);
				continue;
			}
			if (n < 12 || memcmp(p, "HTTP/1.1 101", 12) != 0) {
				snprintf(last_error, sizeof last_error, "upgrade refused: %.*s",
				         (int)(end - p < 80 ? end - p : 80), (const char *)p);
				conn_close(c, true);
				break;
			}
			size_t hdr = (size_t)(end - p) + 4;
			p += hdr;
			n -= hdr;
			upgraded(c);
		}
		size_t used = parse_frames(c, p, n, t);
		if (used < n)
			keep_rest(c, p + used, n - used);
		if ((size_t)r < bufsize)
			break;
	}
	if (c->st != S_CLOSED)
		flush(c);
}

static void
on_writable(conn *c)
{
	if (c->st == S_CONNECTING) {
		int err = 0;
		socklen_t l = sizeof err;
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err) {
			snprintf(last_error, sizeof last_error, "connect: %s", strerror(err));
			conn_close(c, true);
			return;
		}
		send_upgrade(c);
		if (c->st != S_CLOSED && c->outoff == c->outlen && c->want_out) {
			c->want_out = false;
			set_events(c);
		}
		return;
	}
	flush(c);
}

/* Sends the acks that are due, by lv.js's rule (runtime/js/session.js):
 * --ack-ms (1000) after the first unacknowledged message, or at once after
 * --ack-every (128) or when a quarter of the welcome's window (messages or
 * bytes) is unacknowledged (on_message). */
static void
send_acks(uint64_t t, bool all)
{
	int kept = 0;
	for (int i = 0; i < nackq; i++) {
		conn *c = &conns[ackq[i]];
		if (c->st == S_CLOSED || c->in_last == c->in_acked) {
			c->ack_listed = false;   /* gone, or acked at a quarter of the window */
			continue;
		}
		if (!all && t - c->ack_since < (uint64_t)(opt.ack_ms * 1e6)) {
			ackq[kept++] = ackq[i];
			continue;
		}
		c->ack_listed = false;
		if (c->in_last > c->in_acked) {
			send_ack(c);
			flush(c);
		}
	}
	nackq = kept;
}

/* ---- process CPU -------------------------------------------------------------- */

static double
self_cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* utime + stime of a process, in seconds; -1 if unknown. */
static double
proc_cpu_s(int pid)
{
	if (pid <= 0)
		return -1;
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	unsigned long ut = 0, st = 0;
	/* after ")": state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- main ------------------------------------------------------------------------ */

static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

static double
num_arg(const char *s, const char *name, double lo, double hi)
{
	char *e;
	double v = strtod(s, &e);
	if (*e || v < lo || v > hi) {
		fprintf(stderr, "loadgen: --%s must be a number from %g to %g\n", name, lo, hi);
		exit(2);
	}
	return v;
}

static void
print_result(double window_s, double cpu_s, double srv_cpu_s)
{
	static const char *const pn[] = { "lv", "json", "echo", "sio" };
	static const char *const mn[] = { "rpc", "send", "fanout", "idle", "state", "models" };
	printf("{\"label\":\"%s\",\"proto\":\"%s\",\"mode\":\"%s\",\"conns\":%d,\"inflight\":%d,"
	       "\"opened\":%d,\"ready\":%d,\"failed\":%llu,\"closed\":%llu,\"window_s\":%.3f,",
	       opt.label, pn[opt.proto], mn[opt.mode], opt.conns, opt.inflight, opened, ready,
	       (unsigned long long)fails, (unsigned long long)closed, window_s);
	if (opt.mode == M_RPC || opt.mode == M_SEND)
		printf("\"ops\":%llu,\"ops_per_s\":%.1f,", (unsigned long long)ops,
		       window_s > 0 ? (double)ops / window_s : 0);
	if (opt.mode == M_SEND)
		printf("\"batch\":%d,", opt.batch);
	if (opt.mode == M_IDLE && t_grown > t_go) {
		/* the second stage: connections accepted while the first are held */
		double s = (double)(t_grown - t_go) / 1e9;
		printf("\"held\":%d,\"grown\":%d,\"grow_s\":%.3f,\"grow_per_s\":%.1f,", stage_ready,
		       ready - stage_ready, s, (double)(ready - stage_ready) / s);
	}
	if (opt.mode == M_FANOUT)
		printf("\"subscribers\":%d,\"rounds\":%llu,\"deliveries\":%llu,\"missing\":%llu,"
		       "\"deliveries_per_s\":%.1f,\"last_p50_us\":%.1f,\"last_p99_us\":%.1f,"
		       "\"last_max_us\":%.1f,", subscribed, (unsigned long long)rounds,
		       (unsigned long long)deliveries, (unsigned long long)missing,
		       window_s > 0 ? (double)deliveries / window_s : 0, h_quantile(&last, 0.5) / 1e3,
		       h_quantile(&last, 0.99) / 1e3, (double)last.max / 1e3);
	if (opt.mode == M_FANOUT && push_cpu.n)
		printf("\"push_cpu_us_p50\":%.2f,\"push_cpu_us_mean\":%.2f,", h_quantile(&push_cpu, 0.5) / 1e3,
		       push_cpu.sum / (double)push_cpu.n / 1e3);
	if (opt.mode == M_STATE) {
		printf("\"subscribers\":%d,\"rounds\":%llu,\"deliveries\":%llu,\"missing\":%llu,",
		       subscribed, (unsigned long long)rounds, (unsigned long long)deliveries,
		       (unsigned long long)missing);
		static const char *const kn[] = { "group", "conn" };
		double mean[2];
		for (int k = 0; k < 2; k++) {
			mean[k] = st_cpu[k].n ? st_cpu[k].sum / (double)st_cpu[k].n / 1e3 : 0;
			printf("\"%s_flushes\":%llu,\"%s_flushes_per_s\":%.1f,\"%s_last_p50_us\":%.1f,"
			       "\"%s_last_p99_us\":%.1f,\"%s_cpu_us_p50\":%.2f,\"%s_cpu_us_mean\":%.2f,",
			       kn[k], (unsigned long long)st_rounds[k], kn[k],
			       st_wall_ns[k] ? (double)st_rounds[k] * 1e9 / (double)st_wall_ns[k] : 0,
			       kn[k], h_quantile(&st_last[k], 0.5) / 1e3, kn[k],
			       h_quantile(&st_last[k], 0.99) / 1e3, kn[k], h_quantile(&st_cpu[k], 0.5) / 1e3,
			       kn[k], mean[k]);
		}
		printf("\"cpu_ratio\":%.2f,", mean[0] > 0 ? mean[1] / mean[0] : 0);
	}
	if (opt.mode == M_MODELS)
		printf("\"sessions\":%d,\"groups\":%d,\"told\":%d,\"live_rounds\":%llu,"
		       "\"poll_rounds\":%llu,\"bad_rounds\":%llu,\"missing\":%llu,"
		       "\"live_last_p50_us\":%.1f,\"live_last_p99_us\":%.1f,"
		       "\"live_after_ret_p50_us\":%.1f,\"poll_last_p50_us\":%.1f,"
		       "\"poll_last_p99_us\":%.1f,\"live_write_p50_us\":%.1f,\"poll_write_p50_us\":%.1f,",
		       subscribed, opt.groups, m_per,
		       (unsigned long long)m_rounds[0], (unsigned long long)m_rounds[1],
		       (unsigned long long)m_bad, (unsigned long long)missing,
		       h_quantile(&m_last[0], 0.5) / 1e3, h_quantile(&m_last[0], 0.99) / 1e3,
		       h_quantile(&m_after_ret, 0.5) / 1e3, h_quantile(&m_last[1], 0.5) / 1e3,
		       h_quantile(&m_last[1], 0.99) / 1e3, h_quantile(&m_write[0], 0.5) / 1e3,
		       h_quantile(&m_write[1], 0.5) / 1e3);
	double load = -1;
	FILE *lf = fopen("/proc/loadavg", "r");
	if (lf) {
		if (fscanf(lf, "%lf", &load) != 1)
			load = -1;
		fclose(lf);
	}
	printf("\"load1\":%.2f,", load);   /* other work on the machine skews a run */
	printf("\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,\"mean_us\":%.1f,"
	       "\"errors\":%llu,\"fragments\":%llu,\"cpu_pct\":%.1f,\"server_cpu_pct\":%.1f,"
	       "\"last_error\":\"",
	       h_quantile(&lat, 0.5) / 1e3, h_quantile(&lat, 0.99) / 1e3, h_quantile(&lat, 0.999) / 1e3,
	       (double)lat.max / 1e3, lat.n ? lat.sum / (double)lat.n / 1e3 : 0,
	       (unsigned long long)errors, (unsigned long long)frags,
	       window_s > 0 ? 100 * cpu_s / window_s : 0,
	       window_s > 0 && srv_cpu_s >= 0 ? 100 * srv_cpu_s / window_s : -1);
	for (const char *s = last_error; *s; s++)
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s >= 0x20)
			putchar(*s);
	printf("\"}\n");
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "proto", 1, 0, 'P' }, { "mode", 1, 0, 'm' }, { "port", 1, 0, 'p' },
		{ "path", 1, 0, 'a' }, { "schema", 1, 0, 's' }, { "conns", 1, 0, 'c' },
		{ "inflight", 1, 0, 'i' }, { "batch", 1, 0, 'b' }, { "warmup", 1, 0, 'w' },
		{ "duration", 1, 0, 'd' }, { "setup-timeout", 1, 0, 'T' },
		{ "round-timeout", 1, 0, 'R' }, { "burst", 1, 0, 'B' }, { "stage", 1, 0, 'S' },
		{ "echo-size", 1, 0, 'e' }, { "server-pid", 1, 0, 'x' }, { "label", 1, 0, 'l' },
		{ "src", 1, 0, 'A' }, { "ports", 1, 0, 'O' }, { "groups", 1, 0, 'G' }, { "live-rounds", 1, 0, 'L' }, { "rows", 1, 0, 'r' },
		{ "ack-ms", 1, 0, 'K' }, { "ack-every", 1, 0, 'E' }, { "help", 0, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int o;
	while ((o = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (o) {
		case 'P':
			if (!strcmp(optarg, "lv")) opt.proto = P_LV;
			else if (!strcmp(optarg, "json")) opt.proto = P_JSON;
			else if (!strcmp(optarg, "echo")) opt.proto = P_ECHO;
			else if (!strcmp(optarg, "sio")) opt.proto = P_SIO;
			else usage();
			break;
		case 'm':
			if (!strcmp(optarg, "rpc")) opt.mode = M_RPC;
			else if (!strcmp(optarg, "send")) opt.mode = M_SEND;
			else if (!strcmp(optarg, "fanout")) opt.mode = M_FANOUT;
			else if (!strcmp(optarg, "idle")) opt.mode = M_IDLE;
			else if (!strcmp(optarg, "state")) opt.mode = M_STATE;
			else if (!strcmp(optarg, "models")) opt.mode = M_MODELS;
			else usage();
			break;
		case 'p': opt.port = (int)num_arg(optarg, "port", 1, 65535); break;
		case 'a': opt.path = optarg; break;
		case 's': opt.schema = optarg; break;
		case 'c': opt.conns = (int)num_arg(optarg, "conns", 1, 200000); break;
		case 'A': opt.src = (int)num_arg(optarg, "src", 0, 254); break;
		case 'O':
			for (char *p = optarg, *tok; (tok = strsep(&p, ","));) {
				if (opt.nports == (int)(sizeof opt.ports / sizeof opt.ports[0]))
					usage();
				opt.ports[opt.nports++] = (int)num_arg(tok, "ports", 1, 65535);
			}
			opt.port = opt.ports[0];
			break;
		case 'i': opt.inflight = (int)num_arg(optarg, "inflight", 1, 4096); break;
		case 'b': opt.batch = (int)num_arg(optarg, "batch", 1, 4096); break;
		case 'w': opt.warmup = num_arg(optarg, "warmup", 0, 600); break;
		case 'd': opt.duration = num_arg(optarg, "duration", 0.1, 600); break;
		case 'T': opt.setup_timeout = num_arg(optarg, "setup-timeout", 1, 600); break;
		case 'R': opt.round_timeout = num_arg(optarg, "round-timeout", 0.1, 600); break;
		case 'B': opt.burst = (int)num_arg(optarg, "burst", 1, 60000); break;
		case 'S': opt.stage = (int)num_arg(optarg, "stage", 0, 200000); break;
		case 'e': opt.echo_size = (int)num_arg(optarg, "echo-size", 1, 200); break;
		case 'x': opt.server_pid = (int)num_arg(optarg, "server-pid", 1, 1e9); break;
		case 'l': opt.label = optarg; break;
		case 'K': opt.ack_ms = num_arg(optarg, "ack-ms", 0, 60000); break;
		case 'E': opt.ack_every = (int)num_arg(optarg, "ack-every", 1, 1e9); break;
		case 'G': opt.groups = (int)num_arg(optarg, "groups", 1, 500); break;
		case 'L': opt.live_rounds = (int)num_arg(optarg, "live-rounds", 1, 1000); break;
		case 'r': opt.rows = (long)num_arg(optarg, "rows", 10000, 1e9); break;
		default: usage();
		}
	}
	if (!opt.port || optind != argc)
		usage();
	if (!opt.path)
		opt.path = opt.proto == P_LV ? "/lv/ws" :
		           opt.proto == P_SIO ? "/socket.io/?EIO=4&transport=websocket" : "/";
	if ((opt.mode == M_STATE || opt.mode == M_MODELS) && opt.proto != P_LV) {
		fprintf(stderr, "loadgen: --mode state and models need --proto lv\n");
		exit(2);
	}
	if (opt.mode == M_MODELS && opt.conns % opt.groups) {
		fprintf(stderr, "loadgen: --mode models needs --conns a multiple of --groups\n");
		exit(2);
	}
	if (opt.stage >= opt.conns)
		opt.stage = 0;

	nconns = opt.conns + ONE_TO_MANY;
	if (opt.mode == M_MODELS) {
		nconns += opt.conns;   /* the polling sessions */
		m_per = opt.conns / opt.groups;
		m_revs = calloc(2 * (size_t)opt.groups, sizeof *m_revs);
		if (!m_revs)
			die("out of memory");
		for (int i = 0; i < 2 * opt.groups; i++)
			m_revs[i] = 1;   /* a table just filled: every row at version 1 */
	}
	struct rlimit rl;
	rlim_t want = (rlim_t)nconns + 64;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
		if (rl.rlim_max < want)
			rl.rlim_max = want;   /* may fail unless privileged; then try the hard limit */
		rl.rlim_cur = want;
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			getrlimit(RLIMIT_NOFILE, &rl);
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < want)
		fprintf(stderr, "loadgen: the file limit is %llu, under the %llu needed: some "
		        "connections will fail\n", (unsigned long long)rl.rlim_cur,
		        (unsigned long long)want);

	uint32_t ring = 4;
	while (ring < 2u * (uint32_t)opt.inflight + 2)
		ring *= 2;
	ring_mask = ring - 1;
	conns = calloc((size_t)nconns, sizeof *conns);
	ackq = calloc((size_t)nconns, sizeof *ackq);
	uint64_t *times = calloc((size_t)nconns * ring, sizeof *times);
	size_t bufsize = 256 * 1024;
	unsigned char *buf = malloc(bufsize);
	if (!conns || !ackq || !times || !buf)
		die("out of memory");
	for (int i = 0; i < nconns; i++) {
		conns[i].fd = -1;
		conns[i].sent_at = times + (size_t)i * ring;
	}
	if (ONE_TO_MANY)
		conns[0].publisher = true;
	if (opt.mode == M_MODELS)
		for (int i = 1; i < nconns; i++) {
			/* interleaved, as models_bench's: session k watches owner k % groups */
			int k = (i - 1) % opt.conns;
			conns[i].role = i > opt.conns;
			conns[i].group = k % opt.groups;
			conns[i].nth = k / opt.groups;
		}
	rng ^= (uint64_t)getpid() << 32 ^ now_ns();
	signal(SIGPIPE, SIG_IGN);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0)
		die("epoll_create1");
	if (opt.mode == M_IDLE) {
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = UINT32_MAX };
		epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);   /* a line on stdin: go on */
	}

	struct epoll_event evs[512];
	uint64_t t = now_ns();
	uint64_t setup_deadline = t + (uint64_t)(opt.setup_timeout * 1e9);
	int next_open = 0, target = opt.stage ? opt.stage : nconns;
	bool staged = false, go = false, stdin_eof = false;
	double cpu0 = 0, srv0 = -1, cpu1 = 0, srv1 = -1;
	uint64_t hold_until = 0;

	/* the set-up: open, upgrade, greet (and subscribe), in bursts */
	while (!interrupted) {
		int settled = ready + (int)fails + (int)closed;
		if (ONE_TO_MANY)
			settled = subscribed + (conns[0].st == S_READY) + (int)fails + (int)closed;
		if (settled >= target) {
			if (opt.mode == M_IDLE && opt.stage && !staged) {
				staged = true;
				printf("stage %d\n", ready);
				fflush(stdout);
				/* wait for a line on stdin, serving the connections */
				go = false;
				uint64_t until = now_ns() + (uint64_t)(opt.setup_timeout * 1e9);
				while (!go && !stdin_eof && !interrupted && now_ns() < until) {
					int k = epoll_wait(ep, evs, 512, 100);
					uint64_t tt = now_ns();
					for (int i = 0; i < k; i++) {
						if (evs[i].data.u32 == UINT32_MAX) {
							char line[64];
							ssize_t r = read(0, line, sizeof line);
							if (r <= 0)
								stdin_eof = true;
							go = true;
							continue;
						}
						conn *c = &conns[evs[i].data.u32];
						if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
							on_readable(c, buf, bufsize, tt);
						if (c->st != S_CLOSED && (evs[i].events & EPOLLOUT))
							on_writable(c);
					}
				}
				if (stdin_eof) {
					struct epoll_event ev;
					epoll_ctl(ep, EPOLL_CTL_DEL, 0, &ev);
				}
				target = nconns;
				stage_ready = ready;
				t_go = now_ns();
				setup_deadline = t_go + (uint64_t)(opt.setup_timeout * 1e9);
				continue;
			}
			if (staged)
				t_grown = now_ns();
			break;
		}
		t = now_ns();
		if (t > setup_deadline) {
			snprintf(last_error + strlen(last_error), sizeof last_error - strlen(last_error),
			         "%sset-up timed out: %d of %d ready", last_error[0] ? "; " : "", ready,
			         nconns);
			break;
		}
		int underway = opened - ready - (int)fails - (int)closed;
		if (ONE_TO_MANY)
			underway = opened - subscribed - (conns[0].st == S_READY) - (int)fails - (int)closed;
		while (next_open < target && underway < opt.burst) {
			open_one(&conns[next_open++]);
			underway++;
		}
		int k = epoll_wait(ep, evs, 512, 10);
		t = now_ns();
		for (int i = 0; i < k; i++) {
			if (evs[i].data.u32 == UINT32_MAX) {
				char line[64];
				if (read(0, line, sizeof line) <= 0) {
					stdin_eof = true;
					struct epoll_event ev;
					epoll_ctl(ep, EPOLL_CTL_DEL, 0, &ev);
				}
				continue;
			}
			conn *c = &conns[evs[i].data.u32];
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				on_readable(c, buf, bufsize, t);
			if (c->st != S_CLOSED && (evs[i].events & EPOLLOUT))
				on_writable(c);
		}
		if (nackq)
			send_acks(t, false);
	}
	if (ready == 0) {
		print_result(0, 0, -1);
		fprintf(stderr, "loadgen: no connection opened: %s\n", last_error);
		return 1;
	}

	/* the load */
	t = now_ns();
	t_warm = t + (uint64_t)(opt.warmup * 1e9);
	t_end = t_warm + (uint64_t)(opt.duration * 1e9);
	running = true;
	if (opt.mode == M_IDLE) {
		printf("ready %d\n", ready);
		fflush(stdout);
		t_warm = t;
		hold_until = t + (uint64_t)(opt.duration * 1e9);
	} else if (ONE_TO_MANY) {
		start_round(t);
	} else {
		for (int i = 0; i < nconns; i++) {
			conn *c = &conns[i];
			if (c->st != S_READY)
				continue;
			for (int j = 0; j < opt.inflight; j++) {
				if (opt.mode == M_RPC)
					send_rpc(c, t);
				else
					send_batch(c, t);
			}
			flush(c);
		}
	}
	bool measuring = false;
	while (!interrupted) {
		t = now_ns();
		if (!measuring && t >= t_warm) {
			measuring = true;
			cpu0 = self_cpu_s();
			srv0 = proc_cpu_s(opt.server_pid);
		}
		if (opt.mode == M_IDLE) {
			if (t >= hold_until || stdin_eof)
				break;
		} else if (t >= t_end) {
			break;
		}
		if (ONE_TO_MANY && conns[0].st == S_READY &&
		    t - round_t0 > (uint64_t)(opt.round_timeout * 1e9)) {
			if (opt.mode == M_MODELS) {
				int want = m_kind ? opt.conns : m_per, got = m_kind ? m_polled : round_got;
				missing += (uint64_t)(want - got);
				snprintf(last_error, sizeof last_error, "round %u: %d of %d %s in %gs%s", round_no,
				         got, want, m_kind ? "lists" : "deliveries", opt.round_timeout,
				         m_ret_t ? "" : ", the write unanswered");
			} else {
				missing += (uint64_t)(subscribed - round_got);
				snprintf(last_error, sizeof last_error, "round %u: %d of %d deliveries in %gs",
				         round_no, round_got, subscribed, opt.round_timeout);
			}
			start_round(t);
		}
		int k = epoll_wait(ep, evs, 512, 5);
		t = now_ns();
		for (int i = 0; i < k; i++) {
			if (evs[i].data.u32 == UINT32_MAX) {
				char line[64];
				if (read(0, line, sizeof line) <= 0)
					stdin_eof = true;
				else
					stdin_eof = true;   /* any line ends the hold too */
				continue;
			}
			conn *c = &conns[evs[i].data.u32];
			if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				on_readable(c, buf, bufsize, t);
			if (c->st != S_CLOSED && (evs[i].events & EPOLLOUT))
				on_writable(c);
		}
		if (nackq)
			send_acks(t, false);
	}
	stopping = true;
	uint64_t t_stop = now_ns();
	if (t_stop > t_end)
		t_stop = t_end;
	if (opt.mode == M_IDLE)
		t_stop = now_ns();
	cpu1 = self_cpu_s();
	srv1 = proc_cpu_s(opt.server_pid);
	double window = t_stop > t_warm ? (double)(t_stop - t_warm) / 1e9 : 0;
	if (!measuring) {
		cpu0 = cpu1;
		srv0 = srv1;
	}
	print_result(window, cpu1 - cpu0, srv0 >= 0 && srv1 >= 0 ? srv1 - srv0 : -1);

	/* close with a reset: no TIME_WAIT left behind by thousands of sockets */
	for (int i = 0; i < nconns; i++)
		if (conns[i].fd >= 0) {
			struct linger lg = { 1, 0 };
			setsockopt(conns[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
			close(conns[i].fd);
		}
	return 0;
}
