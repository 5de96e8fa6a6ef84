/* lv_bench.c - the lv server of the runtime benchmark: bench.lv served by
 * liblv on 127.0.0.1. `lv_bench [--poll|--uv|--ev] [--max-conns N] [--store WHERE]
 * [--broker URI [--local-sessions]] [PORT]`
 * (0 or none: a free port; --poll: libwebsockets' poll() loop, --uv: lv's
 * own libuv loop, --ev: lv's own libev loop, else the default loop; N: connections held at most, 20,000 unless
 * given; WHERE: the models' store, a SQLite file or a PostgreSQL URI, else
 * a SQLite database in memory; URI: the Redis broker, else the in-process
 * one); prints "listening PORT SCHEMA" once it
 * listens, stops on SIGINT/SIGTERM. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bench.lv.h"

int
main(int argc, char **argv)
{
	lv_options o = { 0 };
	o.loop = LV_LOOP_DEFAULT;
	if (argc > 1 && strcmp(argv[1], "--poll") == 0) {
		o.loop = LV_LOOP_POLL;
		argc--, argv++;
	} else if (argc > 1 && strcmp(argv[1], "--uv") == 0) {
		o.loop = LV_LOOP_UV;
		argc--, argv++;
	} else if (argc > 1 && strcmp(argv[1], "--ev") == 0) {
		o.loop = LV_LOOP_EV;
		argc--, argv++;
	}
	int max_conns = 20000;       /* 10,000 subscribers and then some */
	if (argc > 2 && strcmp(argv[1], "--max-conns") == 0) {
		max_conns = atoi(argv[2]);
		argc -= 2, argv += 2;
	}
	/* bench.lv has a model: without a store named, one in memory, so that
	 * no file is made where the benchmark runs. */
	o.store = ":memory:";
	if (argc > 2 && strcmp(argv[1], "--store") == 0) {
		o.store = argv[2];
		argc -= 2, argv += 2;
	}
	/* --broker: groups and pushes shared through Redis with the other
	 * nodes started so ("redis://HOST:PORT" or "unix:PATH"). */
	if (argc > 2 && strcmp(argv[1], "--broker") == 0) {
		o.broker = argv[2];
		argc -= 2, argv += 2;
	}
	/* --local-sessions: sessions stay on their node (broker_local_sessions) */
	if (argc > 1 && strcmp(argv[1], "--local-sessions") == 0) {
		o.broker_local_sessions = true;
		argc--, argv++;
	}
	int port = argc > 1 ? atoi(argv[1]) : 0;
	/* liblv raises the soft file limit up to the hard one; past that (as
	 * root) the bench raises the hard one itself. */
	struct rlimit rl;
	rlim_t want = (rlim_t)max_conns + 256;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_max < want) {
		rl.rlim_max = want;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	o.host = "127.0.0.1";
	o.port = port > 0 ? port : -1;
	o.max_conns = (uint32_t)max_conns;
	/* The load generator opens thousands of connections from one peer
	 * address (or a handful, --src), which the per-address defaults (64
	 * sockets, 16 handshakes) exist to stop. */
	o.max_conns_per_addr = o.max_conns;
	o.max_handshakes_per_addr = o.max_conns;
	o.handle_signals = true;
	lv_server *s;
	int err = lv_server_new(&s, &bench_app, &o);
	if (err) {
		fprintf(stderr, "lv_bench: %s\n", lv_strerror(err));
		return 1;
	}
	printf("listening %d %s\n", lv_server_port(s), BENCH_SCHEMA_HASH);
	fflush(stdout);
	int rc = lv_server_run(s);
	lv_server_free(s);
	return rc ? 1 : 0;
}
