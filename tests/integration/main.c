/* main.c - the integration test server: app.lv on lv_server_new, with
 * every option the tests need taken from the environment.
 *
 *   LV_TEST_PORT           port; -1 (the default) picks a free one
 *   LV_TEST_STATIC         the static folder (tests/integration/static)
 *   LV_TEST_HEARTBEAT_MS   idle time before a ping (300)
 *   LV_TEST_SHUTDOWN_MS    time to flush queues on stop (2000)
 *   LV_TEST_RESUME_MS      how long a dropped page's session waits (runtime default)
 *   LV_TEST_MAX_MESSAGE    bytes in one message (65536)
 *   LV_TEST_MAX_PENDING    calls in flight per connection (8)
 *   LV_TEST_MAX_QUEUE      messages queued to one page (runtime default)
 *   LV_TEST_MAX_QUEUE_BYTES  bytes queued to one page (runtime default)
 *   LV_TEST_ORIGINS        allowed Origin values, comma-separated; "*": any
 *                          (default: the same origin only)
 *   LV_TEST_REQUIRE_ORIGIN 1: refuse requests without an Origin
 *   LV_TEST_MAX_CONNS, LV_TEST_MAX_DETACHED, LV_TEST_MAX_DETACHED_BYTES,
 *   LV_TEST_MAX_CONNS_PER_ADDR, LV_TEST_MAX_HANDSHAKES_PER_ADDR,
 *   LV_TEST_MAX_RX_BYTES, LV_TEST_MAX_RX_BYTES_PER_ADDR,
 *   LV_TEST_HANDSHAKE_MS, LV_TEST_BODY_MS, LV_TEST_MESSAGE_MS
 *                          the lv_options of the same names (runtime defaults)
 *   LV_TEST_METRICS        off | loopback | any | role:NAME (runtime default)
 *   LV_TEST_TLS_CERT, LV_TEST_TLS_KEY   PEM files for wss:// and https://
 *   LV_TEST_LOOP           poll | uv | ev (lv's own libuv or libev loop); unset: the runtime's
 *                          default (LV_LOOP_DEFAULT)
 *   LV_TEST_LOG_FORMAT     text (the default) | json: lines on stderr
 *   LV_TEST_LOG_CALLBACK   1: the log through a callback of the program's,
 *                          which writes "app-log LEVEL: MESSAGE" lines on stderr
 *   LV_TEST_NOFILE         N: lower the file limit (RLIMIT_NOFILE) to N first
 *   LV_TEST_BROKER         the broker option: local | redis://HOST:PORT |
 *                          unix:PATH (runtime default: local)
 *   LV_TEST_NODE_ID        the node_id option (runtime default: random)
 *   LV_TEST_BROKER_HISTORY the broker_history option (runtime default)
 *   LV_TEST_BROKER_HISTORY_MS the broker_history_ms option (runtime default)
 *   LV_TEST_BROKER_LOCAL_SESSIONS 1: the broker_local_sessions option
 *   LV_TEST_PRESENCE_SWEEP_MS  the presence_sweep_ms option (runtime default)
 *
 * It prints "schema HASH" and "port N" on stdout once it listens, and
 * "stopped" when its stop handler has run. Auth: a `token` query
 * parameter or cookie: "admin" is identity "root" with role "admin",
 * "user" is identity "u" with no roles, "deny" is refused, and anything
 * else (or nothing) is anonymous. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "app.lv.h"
#include "app_test.h"

static long
env_num(const char *name, long dflt)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return dflt;
	char *end;
	long n = strtol(v, &end, 10);
	if (*end) {
		fprintf(stderr, "app: %s is not a number: %s\n", name, v);
		exit(2);
	}
	return n;
}

static const char *
env_str(const char *name, const char *dflt)
{
	const char *v = getenv(name);
	return v && *v ? v : dflt;
}

static int
auth(lv_auth *a, const lv_request *req, void *user_data)
{
	(void)user_data;
	const char *token = lv_request_query(req, "token");
	if (!token)
		token = lv_request_cookie(req, "token");
	if (!token)
		return 0;
	if (strcmp(token, "admin") == 0) {
		static const char *const roles[] = { "admin" };
		return lv_auth_set(a, "root", roles, 1);
	}
	if (strcmp(token, "user") == 0)
		return lv_auth_set(a, "u", NULL, 0);
	if (strcmp(token, "deny") == 0)
		return LV_EPERMISSION_DENIED;
	return 0;
}

static void
log_line(void *user, lv_log_level level, const char *msg)
{
	static const char *const names[] = { "default", "error", "warn", "info", "debug" };
	(void)user;
	fprintf(stderr, "app-log %s: %s\n", names[level], msg);
}

/* "a,b,c" as a NULL-terminated list (the copy is kept for the run). */
static const char **
split_origins(char *list)
{
	size_t n = 1;
	for (char *p = list; *p; p++)
		n += *p == ',';
	const char **v = calloc(n + 1, sizeof *v);
	if (!v)
		return NULL;
	size_t i = 0;
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ","))
		v[i++] = tok;
	return v;
}

int
main(int argc, char **argv)
{
	lv_options o;
	memset(&o, 0, sizeof o);
	o.port = (int)env_num("LV_TEST_PORT", argc > 1 ? atol(argv[1]) : -1);
	o.static_dir = env_str("LV_TEST_STATIC", "tests/integration/static");
	o.heartbeat_ms = (uint32_t)env_num("LV_TEST_HEARTBEAT_MS", 300);
	o.shutdown_ms = (uint32_t)env_num("LV_TEST_SHUTDOWN_MS", 2000);
	o.resume_ms = (uint32_t)env_num("LV_TEST_RESUME_MS", 0);
	o.max_message = (size_t)env_num("LV_TEST_MAX_MESSAGE", 65536);
	o.max_pending = (uint32_t)env_num("LV_TEST_MAX_PENDING", 8);
	o.max_queue = (uint32_t)env_num("LV_TEST_MAX_QUEUE", 0);
	o.max_queue_bytes = (size_t)env_num("LV_TEST_MAX_QUEUE_BYTES", 0);
	o.max_conns = (uint32_t)env_num("LV_TEST_MAX_CONNS", 0);
	o.max_detached = (uint32_t)env_num("LV_TEST_MAX_DETACHED", 0);
	o.max_detached_bytes = (size_t)env_num("LV_TEST_MAX_DETACHED_BYTES", 0);
	o.max_conns_per_addr = (uint32_t)env_num("LV_TEST_MAX_CONNS_PER_ADDR", 0);
	o.max_handshakes_per_addr = (uint32_t)env_num("LV_TEST_MAX_HANDSHAKES_PER_ADDR", 0);
	o.max_rx_bytes = (size_t)env_num("LV_TEST_MAX_RX_BYTES", 0);
	o.max_rx_bytes_per_addr = (size_t)env_num("LV_TEST_MAX_RX_BYTES_PER_ADDR", 0);
	o.handshake_ms = (uint32_t)env_num("LV_TEST_HANDSHAKE_MS", 0);
	o.body_ms = (uint32_t)env_num("LV_TEST_BODY_MS", 0);
	o.message_ms = (uint32_t)env_num("LV_TEST_MESSAGE_MS", 0);
	o.require_origin = env_num("LV_TEST_REQUIRE_ORIGIN", 0) != 0;
	const char *metrics = env_str("LV_TEST_METRICS", NULL);
	if (metrics) {
		if (strcmp(metrics, "off") == 0)
			o.metrics = LV_METRICS_OFF;
		else if (strcmp(metrics, "loopback") == 0)
			o.metrics = LV_METRICS_LOOPBACK;
		else if (strcmp(metrics, "any") == 0)
			o.metrics = LV_METRICS_ANY;
		else if (strncmp(metrics, "role:", 5) == 0) {
			o.metrics = LV_METRICS_ROLE;
			o.metrics_role = metrics + 5;
		} else {
			fprintf(stderr, "app: LV_TEST_METRICS is off, loopback, any or role:NAME\n");
			return 2;
		}
	}
	o.tls_cert = env_str("LV_TEST_TLS_CERT", NULL);
	o.tls_key = env_str("LV_TEST_TLS_KEY", NULL);
	const char *loop = env_str("LV_TEST_LOOP", "");
	if (strcmp(loop, "uv") == 0) {
		o.loop = LV_LOOP_UV;
	} else if (strcmp(loop, "ev") == 0) {
		o.loop = LV_LOOP_EV;
	} else if (strcmp(loop, "poll") == 0) {
		o.loop = LV_LOOP_POLL;
	} else if (*loop) {
		fprintf(stderr, "app: LV_TEST_LOOP is poll, uv or ev\n");
		return 2;
	}
	const char *format = env_str("LV_TEST_LOG_FORMAT", "text");
	if (strcmp(format, "json") == 0) {
		o.log_format = LV_LOG_JSON;
	} else if (strcmp(format, "text") != 0) {
		fprintf(stderr, "app: LV_TEST_LOG_FORMAT is text or json\n");
		return 2;
	}
	if (env_num("LV_TEST_LOG_CALLBACK", 0))
		o.log = log_line;
	o.broker = env_str("LV_TEST_BROKER", NULL);
	o.node_id = env_str("LV_TEST_NODE_ID", NULL);
	o.broker_history = (uint32_t)env_num("LV_TEST_BROKER_HISTORY", 0);
	o.broker_history_ms = (uint32_t)env_num("LV_TEST_BROKER_HISTORY_MS", 0);
	o.broker_local_sessions = env_num("LV_TEST_BROKER_LOCAL_SESSIONS", 0) != 0;
	o.presence_sweep_ms = (uint32_t)env_num("LV_TEST_PRESENCE_SWEEP_MS", 0);
	o.auth = auth;
	o.handle_signals = true;
	char *origins = NULL;
	if (getenv("LV_TEST_ORIGINS")) {
		origins = strdup(getenv("LV_TEST_ORIGINS"));
		if (!origins || !(o.origins = split_origins(origins))) {
			fprintf(stderr, "app: out of memory\n");
			return 1;
		}
	}

	if (getenv("LV_TEST_NOFILE")) {
		struct rlimit rl = { (rlim_t)env_num("LV_TEST_NOFILE", 1024),
		                     (rlim_t)env_num("LV_TEST_NOFILE", 1024) };
		if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
			perror("app: setrlimit");
			return 1;
		}
	}

	lv_server *s;
	int err = lv_server_new(&s, &app_app, &o);
	if (err) {
		fprintf(stderr, "app: cannot start: %s\n", lv_strerror(err));
		free((void *)o.origins);
		free(origins);
		return 1;
	}
	printf("schema %s\nport %d\n", app_app.schema_hash, lv_server_port(s));
	fflush(stdout);
	int rc = lv_server_run(s);

	/* Threads of handlers may still hold calls: let them answer (their
	 * answers are freed with the server) before it goes. */
	for (int i = 0; i < 1000 && app_test_threads_running() > 0; i++)
		nanosleep(&(struct timespec){ 0, 10 * 1000000L }, NULL);
	lv_server_free(s);
	free((void *)o.origins);
	free(origins);
	return rc == 0 ? 0 : 1;
}
