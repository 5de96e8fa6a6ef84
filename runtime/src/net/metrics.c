/* metrics.c - the /lv/metrics page: counters and gauges in the Prometheus
 * text format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

/* One number of the page: its name, kind, help (NULL: none) and value. */
typedef struct {
	const char *name, *type, *help;
	unsigned long long value;
} metric;

static void
put_metric(lv_buf *b, const metric *m)
{
	char line[512];
	if (m->help) {
		snprintf(line, sizeof line, "# HELP %s %s\n", m->name, m->help);
		lv_buf_puts(b, line);
	}
	snprintf(line, sizeof line, "# TYPE %s %s\n%s %llu\n", m->name, m->type, m->name, m->value);
	lv_buf_puts(b, line);
}

char *
lv__metrics_text(lv_server *s, size_t *len)
{
	lv_buf b;
	char line[512];
	lv_buf_init(&b);
	size_t depth = 0, qbytes = 0;
	for (lv_conn *c = s->conns; c; c = c->next) {
		depth += c->qlen;
		qbytes += c->qbytes;
	}
	const metric plain[] = {
		{ "lv_connections", "gauge", "Open connections, and sessions waiting for their "
		  "page to resume.", s->nconns },
		{ "lv_pages", "gauge", "Connections that said hello.", s->npages },
		{ "lv_connections_total", "counter", NULL, s->conns_total },
		{ "lv_messages_in_total", "counter", NULL, s->msgs_in },
		{ "lv_messages_out_total", "counter", NULL, s->msgs_out },
		{ "lv_bytes_in_total", "counter", NULL, s->bytes_in },
		{ "lv_bytes_out_total", "counter", NULL, s->bytes_out },
		{ "lv_dropped_total", "counter", "Volatile messages dropped for slow pages.",
		  s->dropped },
		{ "lv_closed_slow_total", "counter", NULL, s->closed_slow },
		{ "lv_refused_total", "counter", NULL, s->refused },
		{ "lv_sessions", "gauge", "Sessions, attached or waiting for their page to resume.",
		  s->sessions.n },
		{ "lv_sessions_detached", "gauge", NULL, s->ndetached },
		{ "lv_resumed_total", "counter", NULL, s->resumed },
		{ "lv_sessions_expired_total", "counter", NULL, s->expired },
		{ "lv_duplicates_total", "counter", "Reliable messages received twice and dropped.",
		  s->duplicates },
		{ "lv_queue_messages", "gauge", "Messages queued to pages: to be written, or "
		  "written and waiting for the page's acknowledgement.", depth },
		{ "lv_queue_bytes", "gauge", NULL, qbytes },
		{ "lv_addresses", "gauge", "Remote addresses holding sockets or rate buckets.",
		  s->addrs.n },
		{ "lv_rx_bytes", "gauge", "Bytes held by unfinished incoming messages and bodies.",
		  s->rx_bytes },
		{ "lv_sessions_detached_bytes", "gauge", NULL, s->detached_bytes },
		{ "lv_model_live_queries", "gauge", "Live queries of models held by sessions.",
		  lv__models_live(s, false) },
		{ "lv_model_queries", "gauge", "Distinct live queries evaluated (equal ones once).",
		  lv__models_live(s, true) },
	};
	for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
		put_metric(&b, &plain[i]);
#define PUT(...) do { snprintf(line, sizeof line, __VA_ARGS__); lv_buf_puts(&b, line); } while (0)
	const lv_broker_stats *bs = &s->broker->stats;
	const char *node = lv__broker_node(s->broker);
	PUT("# HELP lv_broker_info The broker of groups and pushes, and this node's id in it.\n"
	    "# TYPE lv_broker_info gauge\nlv_broker_info{broker=\"%s\",node=\"%s\"} 1\n",
	    s->broker->ops->name, node ? node : "");
	const metric broker[] = {
		{ "lv_broker_connected", "gauge", "1 while the broker reaches the other nodes.",
		  bs->connected },
		{ "lv_broker_reconnects_total", "counter", NULL, bs->reconnects },
		{ "lv_broker_published_total", "counter", "Messages sent to other nodes.", bs->published },
		{ "lv_broker_received_total", "counter", "Messages from other nodes.", bs->received },
		{ "lv_broker_unavailable_total", "counter", "Pushes refused: the broker was "
		  "unreachable.", bs->unavailable },
		{ "lv_broker_gaps_repaired_total", "counter", "Holes in a group's reliable messages "
		  "filled from its history in the broker.", bs->gaps_repaired },
		{ "lv_broker_recovered_total", "counter", "Reliable group messages delivered from the "
		  "history rather than as they were published.", bs->recovered },
		{ "lv_broker_resyncs_total", "counter", "Times a group's members here were told to "
		  "resync: what they missed was gone.", bs->resyncs },
		{ "lv_broker_resent_total", "counter", "Reliable group pushes sent to the broker again: "
		  "a lost connection left them unanswered.", bs->resent },
		{ "lv_broker_lost_total", "counter", "Reliable group pushes given up: unanswered by "
		  "the broker for too long.", bs->lost },
		{ "lv_broker_sessions_taken_total", "counter", "Sessions resumed here that another "
		  "node held.", bs->sessions_taken },
		{ "lv_broker_sessions_lost_total", "counter", "Sessions another node took from this "
		  "one.", bs->sessions_lost },
		{ "lv_broker_sessions_unkept_total", "counter", "Sessions whose record could not "
		  "follow them: they resume on this node only.", bs->sessions_unkept },
		{ "lv_broker_sessions_relinked_total", "counter", "Session records written again whole "
		  "after Redis came back.", bs->sessions_relinked },
		{ "lv_broker_fenced_total", "counter", "Writes for a session refused: another node "
		  "holds it now.", bs->fenced },
		{ "lv_broker_sessions_refused_total", "counter", "Sessions whose record in Redis was "
		  "not valid: the page started a new one.", bs->sessions_refused },
		{ "lv_broker_state_conflicts_total", "counter", "Shared states changed here while "
		  "another node's change of them came: loaded again.", bs->state_conflicts },
		{ "lv_broker_state_reloads_total", "counter", "Copies of shared states loaded again "
		  "from the broker (conflicts, holes, Redis' data lost).", bs->state_reloads },
	};
	for (size_t i = 0; i < sizeof broker / sizeof broker[0]; i++)
		put_metric(&b, &broker[i]);
	if (s->broker->ops->health) {
		lv_broker_health h = { 0 };
		s->broker->ops->health(s->broker, &h);
		if (h.has_rtt)
			PUT("# HELP lv_broker_rtt_seconds Round trip of the heartbeat's command to the "
			    "broker: the last, or longer, the wait of one not answered yet.\n"
			    "# TYPE lv_broker_rtt_seconds gauge\nlv_broker_rtt_seconds %.6f\n", h.rtt_s);
		if (h.has_lag)
			PUT("# HELP lv_broker_lag_seconds From publishing the heartbeat's probe on this "
			    "node's channel to hearing it back: the last, or longer, the wait of one not "
			    "heard yet.\n# TYPE lv_broker_lag_seconds gauge\nlv_broker_lag_seconds %.6f\n",
			    h.lag_s);
		PUT("# HELP lv_broker_outbox_pushes Reliable group pushes sent to the broker and not "
		    "answered yet.\n# TYPE lv_broker_outbox_pushes gauge\nlv_broker_outbox_pushes %llu\n",
		    (unsigned long long)h.waiting);
		PUT("# HELP lv_broker_outbox_oldest_seconds How long the oldest of them has waited "
		    "(0: none).\n# TYPE lv_broker_outbox_oldest_seconds gauge\n"
		    "lv_broker_outbox_oldest_seconds %.6f\n", h.oldest_s);
	}
	PUT("# HELP lv_limited_total Requests refused, connections closed and sessions ended "
	    "by a limit.\n# TYPE lv_limited_total counter\n");
	for (int i = 0; i < LV_LIMIT__COUNT; i++)
		PUT("lv_limited_total{limit=\"%s\"} %llu\n", lv__limit_names[i],
		    (unsigned long long)s->limited[i]);
	PUT("# HELP lv_calls_total Handler runs by endpoint.\n# TYPE lv_calls_total counter\n");
	for (uint32_t i = 0; i < s->app->nendpoints; i++)
		if (s->app->endpoints[i].invoke)
			PUT("lv_calls_total{endpoint=\"%s\"} %llu\n", s->app->endpoints[i].name,
			    (unsigned long long)s->ep_stats[i].calls);
	PUT("# TYPE lv_call_errors_total counter\n");
	for (uint32_t i = 0; i < s->app->nendpoints; i++)
		if (s->app->endpoints[i].invoke)
			PUT("lv_call_errors_total{endpoint=\"%s\"} %llu\n", s->app->endpoints[i].name,
			    (unsigned long long)s->ep_stats[i].errors);
	/* By wire name, which codes share ("internal"): one series each. */
	PUT("# HELP lv_errors_total Errors answered, by code.\n# TYPE lv_errors_total counter\n");
	for (int i = 1; i < 16; i++) {
		const char *wire = lv_errname(-i);
		bool first = true;
		unsigned long long n = 0;
		for (int k = 1; k < 16; k++) {
			if (strcmp(lv_errname(-k), wire) != 0)
				continue;
			first = first && k >= i;
			n += s->errors_by_code[k];
		}
		if (first && n)
			PUT("lv_errors_total{code=\"%s\"} %llu\n", wire, n);
	}
#undef PUT
	*len = b.len;
	return b.data;
}
