/* metrics.c - the /lv/metrics page: counters and gauges in the Prometheus
 * text format. */
#include <stdio.h>
#include <stdlib.h>

#include "net/net.h"

char *
lv__metrics_text(lv_server *s, size_t *len)
{
	lv_buf b;
	char line[512];
	lv_buf_init(&b);
#define PUT(...) do { snprintf(line, sizeof line, __VA_ARGS__); lv_buf_puts(&b, line); } while (0)
	PUT("# HELP lv_connections Open connections.\n# TYPE lv_connections gauge\n");
	PUT("lv_connections %u\n", s->nconns);
	PUT("# HELP lv_pages Connections that said hello.\n# TYPE lv_pages gauge\n");
	PUT("lv_pages %u\n", s->npages);
	PUT("# TYPE lv_connections_total counter\nlv_connections_total %llu\n",
	    (unsigned long long)s->conns_total);
	PUT("# TYPE lv_messages_in_total counter\nlv_messages_in_total %llu\n",
	    (unsigned long long)s->msgs_in);
	PUT("# TYPE lv_messages_out_total counter\nlv_messages_out_total %llu\n",
	    (unsigned long long)s->msgs_out);
	PUT("# TYPE lv_bytes_in_total counter\nlv_bytes_in_total %llu\n",
	    (unsigned long long)s->bytes_in);
	PUT("# TYPE lv_bytes_out_total counter\nlv_bytes_out_total %llu\n",
	    (unsigned long long)s->bytes_out);
	PUT("# HELP lv_dropped_total Volatile messages dropped for slow pages.\n"
	    "# TYPE lv_dropped_total counter\nlv_dropped_total %llu\n",
	    (unsigned long long)s->dropped);
	PUT("# TYPE lv_closed_slow_total counter\nlv_closed_slow_total %llu\n",
	    (unsigned long long)s->closed_slow);
	PUT("# TYPE lv_refused_total counter\nlv_refused_total %llu\n",
	    (unsigned long long)s->refused);
	PUT("# HELP lv_sessions Sessions, attached or waiting for their page to resume.\n"
	    "# TYPE lv_sessions gauge\nlv_sessions %u\n", s->sessions.n);
	PUT("# TYPE lv_sessions_detached gauge\nlv_sessions_detached %u\n", s->ndetached);
	PUT("# TYPE lv_resumed_total counter\nlv_resumed_total %llu\n",
	    (unsigned long long)s->resumed);
	PUT("# TYPE lv_sessions_expired_total counter\nlv_sessions_expired_total %llu\n",
	    (unsigned long long)s->expired);
	PUT("# HELP lv_duplicates_total Reliable messages received twice and dropped.\n"
	    "# TYPE lv_duplicates_total counter\nlv_duplicates_total %llu\n",
	    (unsigned long long)s->duplicates);
	size_t depth = 0, qbytes = 0;
	for (lv_conn *c = s->conns; c; c = c->next) {
		depth += c->qlen;
		qbytes += c->qbytes;
	}
	PUT("# HELP lv_queue_messages Messages waiting to be written.\n"
	    "# TYPE lv_queue_messages gauge\nlv_queue_messages %zu\n", depth);
	PUT("# TYPE lv_queue_bytes gauge\nlv_queue_bytes %zu\n", qbytes);
	PUT("# HELP lv_limited_total Requests refused, connections closed and sessions ended "
	    "by a limit.\n# TYPE lv_limited_total counter\n");
	for (int i = 0; i < LV_LIMIT__COUNT; i++)
		PUT("lv_limited_total{limit=\"%s\"} %llu\n", lv__limit_names[i],
		    (unsigned long long)s->limited[i]);
	PUT("# HELP lv_addresses Remote addresses holding sockets or rate buckets.\n"
	    "# TYPE lv_addresses gauge\nlv_addresses %u\n", s->addrs.n);
	PUT("# HELP lv_rx_bytes Bytes held by unfinished incoming messages and bodies.\n"
	    "# TYPE lv_rx_bytes gauge\nlv_rx_bytes %zu\n", s->rx_bytes);
	PUT("# TYPE lv_sessions_detached_bytes gauge\nlv_sessions_detached_bytes %zu\n",
	    s->detached_bytes);
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
	PUT("# HELP lv_errors_total Errors answered, by code.\n# TYPE lv_errors_total counter\n");
	for (int i = 1; i < 16; i++)
		if (s->errors_by_code[i])
			PUT("lv_errors_total{code=\"%s\"} %llu\n", lv_errname(-i),
			    (unsigned long long)s->errors_by_code[i]);
#undef PUT
	*len = b.len;
	return b.data;
}

/* A static file under static_dir, or NULL: no "..", no hidden files, and
 * the resolved path must stay inside the folder (symlinks included). */
