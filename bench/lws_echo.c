/* lws_echo.c - the bare libwebsockets baseline of the runtime benchmark:
 * a WebSocket echo server with no protocol and no JSON, in two forms.
 *
 *   lws_echo --naive [PORT]     one lws_write per frame: each message is
 *                               queued and answered from its own writeable
 *                               callback (the shape of the lws examples)
 *   lws_echo --batched [PORT]   replies are framed when queued, and every
 *                               writeable callback writes all queued frames
 *                               (up to 64 KiB) in one lws_write, as liblv does
 *
 * 127.0.0.1 only; PORT 0 or none picks a free port. Prints "listening PORT"
 * once it listens; stops on SIGINT/SIGTERM. What it does with a message:
 *
 *   "!..."   nothing (a sink, for the realtime-into-the-server scenario)
 *   "+..."   subscribes the connection to broadcasts, and is echoed
 *   "*K"     sends "tK" to every subscriber, and is echoed
 *   else     echoed
 *
 * The lws options are liblv's (UTF-8 validation, one service thread, the
 * same receive buffer), so the difference to lv is lv's own work;
 * --rx N sets another receive buffer, to compare with. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <libwebsockets.h>

#define WBUF (64 * 1024)
static int max_conns = 20000;   /* --max-conns N */
/* the protocol's rx_buffer_size: liblv's LV_RX_BUFFER (runtime/src/net/net.h) */
static int rx_buffer = 3072;    /* --rx N */

typedef struct pss {
	struct lws *wsi;
	/* batched: framed bytes; naive: records of [uint32 length][payload] */
	unsigned char *q;
	size_t qlen, qoff, qcap;
	int sub;                    /* index in subs + 1, or 0 */
	/* a message that came in pieces (lws hands over what it has read) */
	char *rx;
	size_t rxlen, rxcap;
} pss;

static bool naive;
static volatile sig_atomic_t stop;
static struct lws_context *ctx;
static unsigned char *wbuf;     /* LWS_PRE + WBUF */
static pss **subs;
static size_t nsubs, capsubs;

static int
q_reserve(pss *p, size_t n)
{
	if (p->qoff && p->qoff == p->qlen)
		p->qoff = p->qlen = 0;
	if (p->qlen + n <= p->qcap)
		return 0;
	if (p->qoff) {
		memmove(p->q, p->q + p->qoff, p->qlen - p->qoff);
		p->qlen -= p->qoff;
		p->qoff = 0;
		if (p->qlen + n <= p->qcap)
			return 0;
	}
	size_t cap = p->qcap ? p->qcap * 2 : 1024;
	while (cap < p->qlen + n)
		cap *= 2;
	unsigned char *q = realloc(p->q, cap);
	if (!q)
		return -1;
	p->q = q;
	p->qcap = cap;
	return 0;
}

/* Queues one message for p and asks for a writeable callback. */
static int
queue(pss *p, const void *payload, size_t n)
{
	bool was_empty = p->qlen == p->qoff;
	if (q_reserve(p, n + 10))
		return -1;
	unsigned char *h = p->q + p->qlen;
	if (naive) {
		uint32_t len = (uint32_t)n;
		memcpy(h, &len, 4);
		memcpy(h + 4, payload, n);
		p->qlen += 4 + n;
	} else {
		size_t hl;
		h[0] = 0x81;   /* FIN, text */
		if (n < 126) {
			h[1] = (unsigned char)n;
			hl = 2;
		} else if (n < 65536) {
			h[1] = 126;
			h[2] = (unsigned char)(n >> 8);
			h[3] = (unsigned char)n;
			hl = 4;
		} else {
			h[1] = 127;
			for (int i = 0; i < 8; i++)
				h[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
			hl = 10;
		}
		memcpy(h + hl, payload, n);
		p->qlen += hl + n;
	}
	if (was_empty)
		lws_callback_on_writable(p->wsi);
	return 0;
}

static int
writeable(pss *p)
{
	if (p->qoff == p->qlen)
		return 0;
	if (naive) {
		uint32_t len;
		memcpy(&len, p->q + p->qoff, 4);
		if (len > WBUF)
			return -1;
		memcpy(wbuf + LWS_PRE, p->q + p->qoff + 4, len);
		p->qoff += 4 + len;
		if (lws_write(p->wsi, wbuf + LWS_PRE, len, LWS_WRITE_TEXT) < (int)len)
			return -1;
	} else {
		/* whole frames only, up to WBUF at a time */
		size_t used = 0, off = p->qoff;
		while (off < p->qlen) {
			unsigned char *h = p->q + off;
			size_t n = h[1] & 0x7f, hl = 2;
			if (n == 126) {
				n = (size_t)h[2] << 8 | h[3];
				hl = 4;
			} else if (n == 127) {
				n = 0;
				for (int i = 0; i < 8; i++)
					n = n << 8 | h[2 + i];
				hl = 10;
			}
			if (used && used + hl + n > WBUF)
				break;
			used += hl + n;
			off += hl + n;
		}
		if (used > WBUF)
			return -1;   /* no message here is that big */
		memcpy(wbuf + LWS_PRE, p->q + p->qoff, used);
		p->qoff = off;
		if (lws_write(p->wsi, wbuf + LWS_PRE, used, LWS_WRITE_RAW) < 0)
			return -1;
	}
	if (p->qoff == p->qlen) {
		p->qoff = p->qlen = 0;
		if (p->qcap > 65536) {   /* an idle connection keeps little */
			free(p->q);
			p->q = NULL;
			p->qcap = 0;
		}
	} else {
		lws_callback_on_writable(p->wsi);
	}
	return 0;
}

static void
unsubscribe(pss *p)
{
	if (!p->sub)
		return;
	size_t i = (size_t)p->sub - 1;
	subs[i] = subs[--nsubs];
	subs[i]->sub = (int)i + 1;
	p->sub = 0;
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	pss *p = user;
	switch (reason) {
	case LWS_CALLBACK_ESTABLISHED:
		memset(p, 0, sizeof *p);
		p->wsi = wsi;
		return 0;
	case LWS_CALLBACK_RECEIVE: {
		const char *m = in;
		bool last = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
		if (!last || p->rxlen) {
			if (p->rxlen + len > p->rxcap) {
				size_t cap = p->rxcap ? p->rxcap * 2 : 1024;
				while (cap < p->rxlen + len)
					cap *= 2;
				if (cap > (1u << 20))
					return -1;
				char *rx = realloc(p->rx, cap);
				if (!rx)
					return -1;
				p->rx = rx;
				p->rxcap = cap;
			}
			memcpy(p->rx + p->rxlen, in, len);
			p->rxlen += len;
			if (!last)
				return 0;
			m = p->rx;
			len = p->rxlen;
			p->rxlen = 0;   /* the buffer is kept: it is rare */
		}
		if (len && m[0] == '!')
			return 0;
		if (len && m[0] == '+' && !p->sub) {
			if (nsubs == capsubs) {
				size_t cap = capsubs ? capsubs * 2 : 64;
				pss **s = realloc(subs, cap * sizeof *s);
				if (!s)
					return -1;
				subs = s;
				capsubs = cap;
			}
			subs[nsubs++] = p;
			p->sub = (int)nsubs;
		}
		if (len > 1 && m[0] == '*') {
			char t[32];
			int n = snprintf(t, sizeof t, "t%.*s", (int)(len - 1 < 20 ? len - 1 : 20), m + 1);
			for (size_t i = 0; i < nsubs; i++)
				queue(subs[i], t, (size_t)n);
		}
		return queue(p, m, len);
	}
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return writeable(p);
	case LWS_CALLBACK_CLOSED:
		unsubscribe(p);
		free(p->q);
		p->q = NULL;
		free(p->rx);
		p->rx = NULL;
		return 0;
	case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
		return 0;
	default:
		return 0;
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
	if (ctx)
		lws_cancel_service(ctx);
}

int
main(int argc, char **argv)
{
	int port = 0, argi = 1;
	if (argi < argc && strcmp(argv[argi], "--naive") == 0) {
		naive = true;
		argi++;
	} else if (argi < argc && strcmp(argv[argi], "--batched") == 0) {
		argi++;
	} else {
		fprintf(stderr, "usage: lws_echo --naive|--batched [--max-conns N] [--rx N] [PORT]\n");
		return 2;
	}
	for (;;) {
		if (argi + 1 < argc && strcmp(argv[argi], "--max-conns") == 0)
			max_conns = atoi(argv[argi + 1]);
		else if (argi + 1 < argc && strcmp(argv[argi], "--rx") == 0)
			rx_buffer = atoi(argv[argi + 1]);
		else
			break;
		argi += 2;
	}
	if (argi < argc)
		port = atoi(argv[argi]);

	/* Enough descriptors for max_conns: the hard limit is raised too where
	 * that is allowed (as root), else the soft one goes as far as it can. */
	struct rlimit rl;
	rlim_t want = (rlim_t)max_conns + 256;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < want) {
		struct rlimit up = { want, rl.rlim_max > want ? rl.rlim_max : want };
		if (setrlimit(RLIMIT_NOFILE, &up) != 0) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	wbuf = malloc(LWS_PRE + WBUF);
	if (!wbuf)
		return 1;
	lws_set_log_level(LLL_ERR, NULL);
	static struct lws_protocols protocols[] = {
		{ "echo", callback, sizeof(pss), 0, 0, NULL, 0 },
		{ NULL, NULL, 0, 0, 0, NULL, 0 },
	};
	protocols[0].rx_buffer_size = rx_buffer > 0 ? (size_t)rx_buffer : 3072;
	struct lws_context_creation_info info;
	memset(&info, 0, sizeof info);
	info.port = port;
	info.iface = "127.0.0.1";
	info.protocols = protocols;
	info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6;
	/* As liblv sets them (runtime/src/net/server.c): the descriptor table
	 * as large as the file limit, so a socket's connection is found by
	 * index rather than by a walk of the table, and no per-connection
	 * validity timer, whose re-arming on every frame received walks a
	 * sorted list of every connection's. Either would make the baseline
	 * O(connections) per message. */
	static const lws_retry_bo_t no_validity = { .secs_since_valid_ping = 0,
	                                            .secs_since_valid_hangup = 0 };
	info.fd_limit_per_thread = (unsigned)max_conns + 64;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur > info.fd_limit_per_thread && rl.rlim_cur <= UINT32_MAX)
		info.fd_limit_per_thread = (unsigned)rl.rlim_cur;
	info.retry_and_idle_policy = &no_validity;
	info.timeout_secs = 10;
	ctx = lws_create_context(&info);
	if (!ctx) {
		fprintf(stderr, "lws_echo: cannot listen on 127.0.0.1:%d\n", port);
		return 1;
	}
	struct lws_vhost *vh = lws_get_vhost_by_name(ctx, "default");
	printf("listening %d\n", vh ? lws_get_vhost_listen_port(vh) : port);
	fflush(stdout);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);
	while (!stop && lws_service(ctx, 0) >= 0)
		;
	lws_context_destroy(ctx);
	free(wbuf);
	free(subs);
	return 0;
}
