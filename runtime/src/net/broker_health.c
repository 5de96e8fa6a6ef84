/* broker_health.c - the Redis broker's round trip and pub/sub lag, from a probe sent with each heartbeat (broker_health.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <async.h>

#include "net/net.h"
#include "net/broker_health.h"

enum { SENT_KEPT = 8 };   /* probes a node waits to hear back, newest kept */

struct lv_bhealth {
	const char *node;           /* the broker's, filled in before it starts */
	redisAsyncContext *ac;      /* the command connection while Redis is up */
	uint64_t gen;               /* which connection a reply belongs to */
	int64_t rtt_us, lag_us;     /* the last measured; -1: none yet */
	int64_t unanswered_us;      /* when the oldest probe unanswered went; 0: none */
	int64_t unheard_us;         /* when the oldest probe not heard back went; 0: none */
	int64_t sent[SENT_KEPT];    /* the times of the probes not heard back: only they count */
	uint32_t next;
};

/* A probe's PUBLISH on its way. */
typedef struct {
	lv_bhealth *h;
	uint64_t gen;
	int64_t sent_us;
} hprobe;

lv_bhealth *
lv__bhealth_new(const char *node)
{
	lv_bhealth *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->node = node;
	h->rtt_us = h->lag_us = -1;
	return h;
}

void
lv__bhealth_free(lv_bhealth *h)
{
	free(h);
}

void
lv__bhealth_up(lv_bhealth *h, struct redisAsyncContext *ac)
{
	h->ac = ac;
	h->gen++;
}

/* What was waiting keeps its time: Redis has answered nothing since. */
void
lv__bhealth_down(lv_bhealth *h)
{
	h->ac = NULL;
	h->gen++;
}

static void
on_published(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	hprobe *q = arg;
	lv_bhealth *h = q->h;
	/* NULL: the connection is going (and the broker with it, maybe) */
	if (r && q->gen == h->gen) {
		h->rtt_us = lv__now_us() - q->sent_us;
		if (q->sent_us >= h->unanswered_us)
			h->unanswered_us = 0;   /* answers come in order: none older waits */
	}
	free(q);
}

void
lv__bhealth_beat(lv_bhealth *h)
{
	if (!h->ac)
		return;
	const char *node = h->node;
	hprobe *q = malloc(sizeof *q);
	if (!q)
		return;
	q->h = h;
	q->gen = h->gen;
	q->sent_us = lv__now_us();
	char probe[96];
	size_t len = lv__probe_make(node, q->sent_us, probe, sizeof probe);
	if (redisAsyncCommand(h->ac, on_published, q, "PUBLISH lv:n:%s %b", node, probe, len) !=
	    REDIS_OK) {
		free(q);
		return;
	}
	if (!h->unanswered_us)
		h->unanswered_us = q->sent_us;
	if (!h->unheard_us)
		h->unheard_us = q->sent_us;
	h->sent[h->next++ % SENT_KEPT] = q->sent_us;
}

void
lv__bhealth_received(lv_bhealth *h, const char *data, size_t len)
{
	const char *node;
	size_t nl;
	int64_t t;
	if (!lv__probe_parse(data, len, &node, &nl, &t) || nl != strlen(h->node) ||
	    memcmp(node, h->node, nl) != 0 || t <= 0)
		return;
	/* one this node sent and has not heard yet: a forged or repeated
	 * probe measures nothing */
	uint32_t i = 0;
	while (i < SENT_KEPT && h->sent[i] != t)
		i++;
	if (i == SENT_KEPT)
		return;
	h->sent[i] = 0;
	h->lag_us = lv__now_us() - t;
	if (t >= h->unheard_us)
		h->unheard_us = 0;   /* pub/sub keeps the order: what is older was lost */
}

/* The last measured, or longer: the wait of one still out. */
static bool
shown(int64_t last, int64_t waiting_since, double *seconds)
{
	int64_t v = last;
	if (waiting_since) {
		int64_t w = lv__now_us() - waiting_since;
		if (w > v)
			v = w;
	}
	if (v < 0)
		return false;
	*seconds = (double)v / 1e6;
	return true;
}

bool
lv__bhealth_rtt(const lv_bhealth *h, double *seconds)
{
	return shown(h->rtt_us, h->unanswered_us, seconds);
}

bool
lv__bhealth_lag(const lv_bhealth *h, double *seconds)
{
	return shown(h->lag_us, h->unheard_us, seconds);
}
