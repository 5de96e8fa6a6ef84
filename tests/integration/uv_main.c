/* uv_main.c - a program that owns a libuv loop, with a timer and a TCP
 * line server of its own on it, and app.lv's server attached to the same
 * loop (lv_options.uv_loop), for uv.test.mjs.
 *
 * It prints "schema HASH", "port N" (lv's) and "echo N" (its own server)
 * on stdout, then serves until SIGTERM or SIGINT, which it handles
 * itself (uv_signal): it asks lv to stop (lv_server_stop, or, with
 * UV_TEST_FREE_AT_SIGNAL=1, frees the server at once with lv_server_free)
 * and closes its own handles; uv_run then returns once lv is done too. It
 * prints "uv_run returned", frees the server, and exits 0 only if
 * uv_loop_close finds no handle left on the loop. When lv_server_new
 * fails, it closes its own handles, runs the loop, prints "loop closed"
 * if uv_loop_close then finds nothing left, and exits 1.
 *
 * Its line server answers each line:
 *   ticks        "ticks N": how often the program's own 10 ms timer fired
 *   lvtimer MS   starts an lv timer of MS ms from this (the program's) callback;
 *                "lvtimer MS fired" when it fires
 *   post         lv_server_post from this callback; "posted" when the work runs
 *   push TEXT    app_note_all(TEXT) to every page from this callback; "pushed RC"
 *   anything else: the line itself
 *
 * Environment: LV_TEST_PORT (-1), LV_TEST_STATIC, LV_TEST_HEARTBEAT_MS,
 * LV_TEST_SHUTDOWN_MS, as main.c. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uv.h>

#include "app.lv.h"
#include "app_test.h"

static uv_loop_t loop;
static uv_timer_t ticker;
static uv_tcp_t listener;
static uv_signal_t sigterm, sigint;
static unsigned long ticks;
static lv_server *server;

/* One client of the line server. */
typedef struct client client;
struct client {
	uv_tcp_t tcp;               /* first: the handle is the client */
	unsigned long id;
	char line[512];
	size_t len;
	client *next;
};
static client *clients;
static unsigned long next_id;

static long
env_num(const char *name, long dflt)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return dflt;
	char *end;
	long n = strtol(v, &end, 10);
	if (*end) {
		fprintf(stderr, "uv_server: %s is not a number: %s\n", name, v);
		exit(2);
	}
	return n;
}

static client *
client_find(unsigned long id)
{
	for (client *c = clients; c; c = c->next)
		if (c->id == id)
			return c;
	return NULL;
}

static void
written(uv_write_t *w, int status)
{
	(void)status;
	free(w);
}

/* Writes text and a newline to client id, if it is still there. */
static void
say(unsigned long id, const char *text)
{
	client *c = client_find(id);
	if (!c)
		return;
	size_t n = strlen(text);
	uv_write_t *w = malloc(sizeof *w + n + 1);
	if (!w)
		return;
	char *copy = (char *)(w + 1);
	memcpy(copy, text, n);
	copy[n] = '\n';
	uv_buf_t b = uv_buf_init(copy, (unsigned)(n + 1));
	if (uv_write(w, (uv_stream_t *)&c->tcp, &b, 1, written) != 0)
		free(w);
}

static void
client_closed(uv_handle_t *h)
{
	client *c = (client *)h;
	for (client **p = &clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	free(c);
}

typedef struct {
	unsigned long id;
	uint32_t ms;
} lv_timer_arg;

static void
lv_timer_fired(lv_server *s, lv_timer *t, void *arg)
{
	(void)s, (void)t;
	lv_timer_arg *a = arg;
	char text[64];
	snprintf(text, sizeof text, "lvtimer %u fired", (unsigned)a->ms);
	say(a->id, text);
	free(a);
}

static void
posted(lv_server *s, void *arg)
{
	(void)s;
	say((unsigned long)(uintptr_t)arg, "posted");
}

static void
answer(client *c, char *line)
{
	char text[600];
	if (strcmp(line, "ticks") == 0) {
		snprintf(text, sizeof text, "ticks %lu", ticks);
		say(c->id, text);
	} else if (strncmp(line, "lvtimer ", 8) == 0) {
		lv_timer_arg *a = malloc(sizeof *a);
		if (!a)
			return;
		a->id = c->id;
		a->ms = (uint32_t)atol(line + 8);
		int rc = server ? lv_timer_start(server, a->ms, false, lv_timer_fired, a, NULL) : -1;
		if (rc != 0) {
			free(a);
			snprintf(text, sizeof text, "lvtimer failed: %d", rc);
			say(c->id, text);
		}
	} else if (strcmp(line, "post") == 0) {
		if (!server || lv_server_post(server, posted, (void *)(uintptr_t)c->id) != 0)
			say(c->id, "post failed");
	} else if (strncmp(line, "push ", 5) == 0) {
		int rc = server ? app_note_all(server, lv_cstr(line + 5), NULL) : -1;
		snprintf(text, sizeof text, "pushed %d", rc);
		say(c->id, text);
	} else {
		say(c->id, line);
	}
}

static void
alloc_buf(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)h, (void)hint;
	static char buf[4096];
	*b = uv_buf_init(buf, sizeof buf);
}

static void
on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	client *c = (client *)st;
	if (n < 0) {
		if (!uv_is_closing((uv_handle_t *)st))
			uv_close((uv_handle_t *)st, client_closed);
		return;
	}
	for (ssize_t i = 0; i < n; i++) {
		char ch = b->base[i];
		if (ch == '\n') {
			c->line[c->len] = '\0';
			c->len = 0;
			answer(c, c->line);
		} else if (c->len + 1 < sizeof c->line) {
			c->line[c->len++] = ch;
		}
	}
}

static void
on_connection(uv_stream_t *l, int status)
{
	if (status < 0)
		return;
	client *c = calloc(1, sizeof *c);
	if (!c)
		return;
	uv_tcp_init(&loop, &c->tcp);
	c->id = ++next_id;
	c->next = clients;
	clients = c;
	if (uv_accept(l, (uv_stream_t *)&c->tcp) != 0 ||
	    uv_read_start((uv_stream_t *)&c->tcp, alloc_buf, on_read) != 0)
		uv_close((uv_handle_t *)&c->tcp, client_closed);
}

static void
on_tick(uv_timer_t *t)
{
	(void)t;
	ticks++;
}

static void
close_own_handles(void)
{
	uv_timer_stop(&ticker);
	uv_close((uv_handle_t *)&ticker, NULL);
	uv_close((uv_handle_t *)&listener, NULL);
	for (client *c = clients; c; c = c->next)
		if (!uv_is_closing((uv_handle_t *)&c->tcp))
			uv_close((uv_handle_t *)&c->tcp, client_closed);
	uv_signal_stop(&sigterm);
	uv_close((uv_handle_t *)&sigterm, NULL);
	uv_signal_stop(&sigint);
	uv_close((uv_handle_t *)&sigint, NULL);
}

/* The program's own: lv stops (or goes), and the program closes its
 * handles, and only those. */
static void
on_signal(uv_signal_t *h, int sig)
{
	(void)h;
	printf("program: signal %d\n", sig);
	fflush(stdout);
	if (getenv("UV_TEST_FREE_AT_SIGNAL") && server) {
		lv_server_free(server);
		server = NULL;
	} else if (server) {
		lv_server_stop(server);
	}
	close_own_handles();
}

int
main(void)
{
	int rc = uv_loop_init(&loop);
	if (rc) {
		fprintf(stderr, "uv_server: uv_loop_init: %s\n", uv_strerror(rc));
		return 1;
	}
	uv_timer_init(&loop, &ticker);
	uv_timer_start(&ticker, on_tick, 10, 10);
	uv_signal_init(&loop, &sigterm);
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	uv_signal_init(&loop, &sigint);
	uv_signal_start(&sigint, on_signal, SIGINT);

	struct sockaddr_in addr;
	uv_ip4_addr("127.0.0.1", 0, &addr);
	uv_tcp_init(&loop, &listener);
	if ((rc = uv_tcp_bind(&listener, (const struct sockaddr *)&addr, 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&listener, 16, on_connection)) != 0) {
		fprintf(stderr, "uv_server: cannot listen: %s\n", uv_strerror(rc));
		return 1;
	}
	struct sockaddr_in bound;
	int blen = sizeof bound;
	uv_tcp_getsockname(&listener, (struct sockaddr *)&bound, &blen);

	lv_options o;
	memset(&o, 0, sizeof o);
	o.port = (int)env_num("LV_TEST_PORT", -1);
	o.static_dir = getenv("LV_TEST_STATIC") ? getenv("LV_TEST_STATIC") : "tests/integration/static";
	o.heartbeat_ms = (uint32_t)env_num("LV_TEST_HEARTBEAT_MS", 300);
	o.shutdown_ms = (uint32_t)env_num("LV_TEST_SHUTDOWN_MS", 2000);
	o.max_pending = 8;
	o.uv_loop = &loop;
	if ((rc = lv_server_new(&server, &app_app, &o)) != 0) {
		/* What lv and libwebsockets had put on the loop closes as it
		 * runs: after that, nothing of theirs is left. */
		fprintf(stderr, "uv_server: cannot start: %s\n", lv_strerror(rc));
		close_own_handles();
		uv_run(&loop, UV_RUN_DEFAULT);
		rc = uv_loop_close(&loop);
		printf("%s\n", rc ? "handles left on the loop" : "loop closed");
		return 1;
	}
	if (lv_server_uv_loop(server) != &loop) {
		fprintf(stderr, "uv_server: lv_server_uv_loop is not the program's loop\n");
		return 1;
	}
	printf("schema %s\nport %d\necho %d\n", app_app.schema_hash, lv_server_port(server),
	       ntohs(bound.sin_port));
	fflush(stdout);

	uv_run(&loop, UV_RUN_DEFAULT);
	printf("uv_run returned\n");
	fflush(stdout);

	/* Threads of handlers may still hold calls (as in main.c). */
	for (int i = 0; i < 1000 && app_test_threads_running() > 0; i++)
		nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	lv_server_free(server);   /* NULL when freed at the signal */
	rc = uv_loop_close(&loop);
	if (rc) {
		fprintf(stderr, "uv_server: uv_loop_close: %s: handles are left on the loop\n",
		        uv_strerror(rc));
		return 1;
	}
	printf("loop closed\n");
	return 0;
}
