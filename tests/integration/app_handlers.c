/* app_handlers.c - the server side of app.lv: yours to edit.
 *
 * lvc made this file once and merges it when app.lv changes: new
 * endpoints get new functions at the end, changed ones get their new
 * signature, and the code between the braces is never touched. Keep the
 * "lvc:begin" and "lvc:end" lines; write anything you like around them.
 *
 * Arguments are borrowed until the handler returns. Fill *out with memory
 * that outlives the call: static data, or lv_call_alloc(call, size). */

/* These handlers serve the integration tests: each does one thing the
 * tests check on the wire, several of them wrong on purpose (a failing
 * code, a NaN result, a string that is not UTF-8, a stub left as lvc
 * wrote it). Everything runs on the loop but the threads started by
 * `later`, `broadcast` and `poke`, which reach the server only through
 * the functions lv.h marks "any thread". */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lv_jansson.h>

#include "app.lv.h"
#include "app_test.h"

/* What the server has seen (loop thread only). */
static app_Stats seen;
static char *last_poke;            /* owned */
static int64_t limited_calls;
static int64_t prefs_calls;        /* app_prefs_changed, on the loop */
static char prefs_last[128];
static int64_t hits_calls;
static int64_t limited_http_calls;

/* Threads still running, so main can wait for them before freeing the
 * server. */
static atomic_int threads_running;

int
app_test_threads_running(void)
{
	return atomic_load(&threads_running);
}

static void
sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0)
		;
}

/* Starts fn(arg) on a detached thread; 0 or -1. */
static int
spawn(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	atomic_fetch_add(&threads_running, 1);
	int rc = pthread_create(&t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	if (rc != 0) {
		atomic_fetch_sub(&threads_running, 1);
		return -1;
	}
	return 0;
}

static char *
dup_str(lv_str s)
{
	char *p = malloc(s.len + 1);
	if (p) {
		memcpy(p, s.ptr, s.len);
		p[s.len] = '\0';
	}
	return p;
}

/* The status named by its wire name, or by a few names of the runtime's
 * own codes; 1 for "positive" (not a status: the runtime must make it
 * internal), 0 for "ok". */
static int
status_named(const char *name, bool *known)
{
	static const struct { const char *name; int status; } names[] = {
		{ "ok", 0 }, { "positive", 1 },
		{ "invalid_argument", LV_EINVALID_ARGUMENT }, { "not_found", LV_ENOT_FOUND },
		{ "unauthenticated", LV_EUNAUTHENTICATED },
		{ "permission_denied", LV_EPERMISSION_DENIED },
		{ "resource_exhausted", LV_ERESOURCE_EXHAUSTED },
		{ "deadline_exceeded", LV_EDEADLINE_EXCEEDED }, { "unavailable", LV_EUNAVAILABLE },
		{ "internal", LV_EINTERNAL }, { "upgrade_required", LV_EUPGRADE_REQUIRED },
		{ "nomem", LV_ENOMEM }, { "closed", LV_ECLOSED }, { "too_large", LV_ETOO_LARGE },
		{ "queue_full", LV_EQUEUE_FULL }, { "io", LV_EIO }, { "deferred", LV_DEFERRED },
		{ "unknown_negative", -1000 },
	};
	*known = true;
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(name, names[i].name) == 0)
			return names[i].status;
	*known = false;
	return 0;
}

/* ---- later: an answer from another thread ------------------------------------ */

typedef struct {
	lv_call *call;
	int64_t ms;
	double value;
	app_Outcome how;
} later_job;

static void *
later_thread(void *arg)
{
	later_job *j = arg;
	sleep_ms(j->ms);
	switch (j->how) {
	case app_Outcome_ok:
	case app_Outcome_sync:
		app_later_reply(j->call, j->value);
		break;
	case app_Outcome_fail:
		lv_call_fail(j->call, LV_ENOT_FOUND, "nothing at %g", j->value);
		break;
	case app_Outcome_nan:
		app_later_reply(j->call, NAN);
		break;
	case app_Outcome_twice:
		app_later_reply(j->call, j->value);
		/* The second answer must be refused, not sent. */
		if (app_later_reply(j->call, j->value + 1) == 0)
			fprintf(stderr, "app: later: a second reply was accepted\n");
		break;
	}
	free(j);
	atomic_fetch_sub(&threads_running, 1);
	return NULL;
}

/* ---- broadcast and poke from another thread ----------------------------------- */

typedef struct {
	lv_server *server;
	char *group;                 /* NULL: every page */
	char *text;
	int64_t ms;
} push_job;

static void *
push_thread(void *arg)
{
	push_job *j = arg;
	sleep_ms(j->ms);
	lv_str to = lv_cstr(j->group);
	if (j->group)
		app_note_group(j->server, j->group, lv_cstr(j->text), &to);
	else
		app_note_all(j->server, lv_cstr(j->text), NULL);
	free(j->group);
	free(j->text);
	free(j);
	atomic_fetch_sub(&threads_running, 1);
	return NULL;
}

typedef struct {
	lv_server *server;
	char *by;
} poke_job;

typedef struct {
	lv_server *server;
	char *by;
	int64_t n;
} poke_all_job;

static void *
poke_all_thread(void *arg)
{
	poke_all_job *j = arg;
	sleep_ms(20);
	app_poked_all_raise_all(j->server, lv_cstr(j->by), j->n);
	free(j->by);
	free(j);
	atomic_fetch_sub(&threads_running, 1);
	return NULL;
}

/* What poked_all ran with here, "BY:N;" each (loop thread only). */
static char poked_all_log[4096];

static void *
poke_thread(void *arg)
{
	poke_job *j = arg;
	sleep_ms(20);
	app_poked_raise(j->server, lv_cstr(j->by));
	free(j->by);
	free(j);
	atomic_fetch_sub(&threads_running, 1);
	return NULL;
}

/* ---- ask_me: the server asks the page ------------------------------------------- */

typedef struct {
	lv_call *call;
	bool in_handler;             /* the handler has not returned yet */
	bool answered;               /* ... and the answer came meanwhile */
	int status;
	int (*reply)(lv_call *call, lv_str value);   /* the endpoint's: ask_me's unless set */
} ask_job;

static void
asked(lv_conn *conn, int status, const int64_t *value, void *user_data)
{
	ask_job *j = user_data;
	(void)conn;
	if (status == LV_EUNAVAILABLE)
		seen.asks_unavailable++;
	if (j->in_handler) {
		/* Told at once (no page to ask): the handler answers. */
		j->answered = true;
		j->status = status;
		return;
	}
	char text[64];
	if (status == 0 && value)
		snprintf(text, sizeof text, "ok:%lld", (long long)*value);
	else
		snprintf(text, sizeof text, "error:%s", lv_errname(status));
	(j->reply ? j->reply : app_ask_me_reply)(j->call, lv_cstr(text));
	free(j);
}

/* lvc:begin add */
/*
 * a + b; also POST /lv/rpc/add.
 */
lv_status
app_add(lv_call *call, int64_t a, int64_t b, int64_t *out)
{
	(void)call;
	if ((b > 0 && a > INT64_MAX - b) || (b < 0 && a < INT64_MIN - b))
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "%lld + %lld overflows", (long long)a,
		                    (long long)b);
	*out = a + b;
	return LV_OK;
}
/* lvc:end add */

/* lvc:begin admin_only */
/*
 * Only for admins; also over HTTP.
 */
lv_status
app_admin_only(lv_call *call, lv_str *out)
{
	const char *who = lv_call_identity(call);
	*out = lv_call_strdup(call, who ? who : "");
	return LV_OK;
}
/* lvc:end admin_only */

/* lvc:begin admin_tap */
/*
 * Admins only.
 */
lv_status
app_admin_tap(lv_call *call)
{
	(void)call;
	seen.taps++;
	return LV_OK;
}
/* lvc:end admin_tap */

/* lvc:begin ask_me */
/*
 * Asks the caller (client.rpc ask) and answers with what it said.
 */
lv_status
app_ask_me(lv_call *call, lv_str question, lv_str *out)
{
	(void)out;   /* answered by asked() */
	lv_conn *conn = lv_call_conn(call);
	if (!conn)
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "a page must ask");
	ask_job *j = calloc(1, sizeof *j);
	if (!j)
		return LV_ENOMEM;
	j->call = call;
	j->in_handler = true;
	int rc = app_ask_call(conn, question, asked, j);
	j->in_handler = false;
	if (rc < 0 || j->answered) {
		int status = rc < 0 ? rc : j->status;
		free(j);
		return lv_call_fail(call, status, "cannot ask the page: %s", lv_strerror(status));
	}
	return lv_call_defer(call);
}
/* lvc:end ask_me */

/* lvc:begin bad_text */
/*
 * A result JSON cannot carry: a string that is not UTF-8.
 */
lv_status
app_bad_text(lv_call *call, lv_str *out)
{
	(void)call;
	*out = (lv_str){ "ok\xff\xfe", 4 };
	return LV_OK;
}
/* lvc:end bad_text */

/* lvc:begin broadcast */
/*
 * Pushes note(text) to the group `to` (null: every page), now or from another
 * thread after `ms`.
 */
lv_status
app_broadcast(lv_call *call, const lv_str *to, lv_str text, int64_t ms, int64_t *out)
{
	lv_server *s = lv_call_server(call);
	if (ms < 0 || ms > 60000)
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "ms is 0 to 60000");
	if (ms == 0) {
		int rc = to ? app_note_group(s, to->ptr, text, to) : app_note_all(s, text, NULL);
		if (rc < 0)
			return lv_call_fail(call, rc, "push failed: %s", lv_strerror(rc));
	} else {
		push_job *j = calloc(1, sizeof *j);
		if (!j || !(j->text = dup_str(text)) || (to && !(j->group = dup_str(*to)))) {
			if (j)
				free(j->text);
			free(j);
			return LV_ENOMEM;
		}
		j->server = s;
		j->ms = ms;
		if (spawn(push_thread, j) != 0) {
			free(j->group);
			free(j->text);
			free(j);
			return lv_call_fail(call, LV_EINTERNAL, "cannot start a thread");
		}
	}
	*out = (int64_t)lv_group_size(s, to ? to->ptr : NULL);
	return LV_OK;
}
/* lvc:end broadcast */

/* lvc:begin clicked */
/*
 * A click, answered with a morph.
 */
lv_status
app_clicked(lv_call *call, int64_t x, int64_t y)
{
	char html[96];
	seen.clicks++;
	snprintf(html, sizeof html, "<i>%lld,%lld</i>", (long long)x, (long long)y);
	lv_cmd_morph(call, "pos", html);
	return LV_OK;
}
/* lvc:end clicked */

/* lvc:begin cmd_fail */
/*
 * Adds a command and then fails.
 */
lv_status
app_cmd_fail(lv_call *call)
{
	lv_cmd_morph(call, "status", "<b>failed</b>");
	return lv_call_fail(call, LV_EPERMISSION_DENIED, "not today");
}
/* lvc:end cmd_fail */

/* lvc:begin colors */
/*
 * A list and a map of enums.
 */
lv_status
app_colors(lv_call *call, int64_t n, app_Color_list_map *out)
{
	if (n < 0 || n > 1000)
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "n is 0 to 1000");
	size_t k = (size_t)n;
	out->n = k;
	out->keys = lv_call_alloc(call, sizeof *out->keys * (k ? k : 1));
	out->values = lv_call_alloc(call, sizeof *out->values * (k ? k : 1));
	if (!out->keys || !out->values)
		return LV_ENOMEM;
	for (size_t i = 0; i < k; i++) {
		char key[32];
		snprintf(key, sizeof key, "k%zu", i);
		out->keys[i] = lv_call_strdup(call, key);
		out->values[i].n = i + 1;
		out->values[i].items = lv_call_alloc(call, sizeof(app_Color) * (i + 1));
		if (!out->values[i].items)
			return LV_ENOMEM;
		for (size_t c = 0; c <= i; c++)
			out->values[i].items[c] = (app_Color)(c % 3);
	}
	return LV_OK;
}
/* lvc:end colors */

/* lvc:begin commands */
/*
 * Answers with every command there is.
 */
lv_status
app_commands(lv_call *call)
{
	lv_notify_opts opts = { .sticky = true, .group = "g", .throttle_ms = 500,
	                        .level = "warning" };
	if (lv_cmd_morph(call, "count", "<b>3</b>") ||
	    lv_cmd_notify(call, "hello", &opts) ||
	    lv_cmd_notify(call, "plain", NULL) ||
	    lv_cmd_clear_notifications(call, NULL) ||
	    lv_cmd_clear_notifications(call, "g") ||
	    lv_cmd_focus(call, "name") ||
	    lv_cmd_blur(call, "name") ||
	    lv_cmd_block(call, "send") ||
	    lv_cmd_release(call, "send") ||
	    lv_cmd_set_state(call, "{\"a\": 1, \"b\": [\"c\"]}") ||
	    lv_cmd_switch_mode(call, "OFFLINE") ||
	    lv_cmd_redirect(call, "/next") ||
	    lv_cmd_eval(call, "1+1") ||
	    lv_cmd_send(call, "app.custom", "[1, \"two\", {\"three\": true}]") ||
	    lv_cmd_send_jansson(call, "app.custom2", json_pack("[i]", 2)))
		return LV_ENOMEM;
	/* Arguments that are not a JSON list are refused, and add nothing. */
	if (lv_cmd_send(call, "app.bad", "{\"a\": 1}") != LV_EINVALID_ARGUMENT ||
	    lv_cmd_send(call, "app.bad", "[1,") != LV_EINVALID_ARGUMENT ||
	    lv_cmd_set_state(call, "{oops") != LV_EINVALID_ARGUMENT)
		return lv_call_fail(call, LV_EINTERNAL, "bad command arguments were taken");
	return LV_OK;
}
/* lvc:end commands */

/* lvc:begin connected */
lv_status
app_connected(lv_call *call)
{
	lv_conn *conn = lv_call_conn(call);
	seen.connects++;
	/* A connect handler may push to its page already. */
	app_greeted_to(conn, lv_cstr(lv_conn_id(conn)));
	return LV_OK;
}
/* lvc:end connected */

/* lvc:begin depth */
/*
 * The depth of a tree.
 */
lv_status
app_depth(lv_call *call, const app_Tree *t, int64_t *out)
{
	(void)call;
	int64_t deepest = 0;
	for (size_t i = 0; i < t->kids.n; i++) {
		int64_t d = 0;
		app_depth(call, &t->kids.items[i], &d);
		if (d > deepest)
			deepest = d;
	}
	*out = deepest + 1;
	return LV_OK;
}
/* lvc:end depth */

/* lvc:begin disconnected */
lv_status
app_disconnected(lv_call *call)
{
	lv_conn *conn = lv_call_conn(call);
	seen.disconnects++;
	app_gone_group(lv_call_server(call), "watchers", lv_cstr(lv_conn_id(conn)));
	return LV_OK;
}
/* lvc:end disconnected */

/* lvc:begin echo_args */
/*
 * Echoes one value of each scalar type and the defaults it got.
 */
lv_status
app_echo_args(lv_call *call, int64_t i, double f, lv_str s, bool b, lv_bytes raw, lv_json any, lv_int_list ints, lv_int_map counts, app_Color color, const int64_t *opt, int64_t def_i, lv_str def_s, app_Color def_c, lv_int_list def_l, const lv_str *def_o, lv_json *out)
{
	(void)call;
	json_t *ilist = json_array(), *cmap = json_object(), *dlist = json_array(),
	       *bytes = json_array();
	for (size_t k = 0; k < ints.n; k++)
		json_array_append_new(ilist, json_integer(ints.items[k]));
	for (size_t k = 0; k < counts.n; k++)
		json_object_setn_new(cmap, counts.keys[k].ptr, counts.keys[k].len,
		                     json_integer(counts.values[k]));
	for (size_t k = 0; k < def_l.n; k++)
		json_array_append_new(dlist, json_integer(def_l.items[k]));
	for (size_t k = 0; k < raw.len; k++)
		json_array_append_new(bytes, json_integer(raw.ptr[k]));
	json_t *r = json_pack("{s:I, s:f, s:s%, s:b, s:o, s:o, s:o, s:o, s:s, s:o, s:I, s:s%, "
	                      "s:s, s:o, s:o}",
	                      "i", (json_int_t)i, "f", f, "s", s.ptr, s.len, "b", b,
	                      "raw", bytes, "any", any.ptr ? lv_json_load(any) : json_null(), "ints", ilist,
	                      "counts", cmap, "color", app_Color_name(color),
	                      "opt", opt ? json_integer(*opt) : json_null(),
	                      "def_i", (json_int_t)def_i, "def_s", def_s.ptr, def_s.len,
	                      "def_c", app_Color_name(def_c), "def_l", dlist,
	                      "def_o", def_o ? json_stringn(def_o->ptr, def_o->len) : json_null());
	if (!r)
		return LV_ENOMEM;
	/* A json result is text in the call's memory. */
	*out = lv_call_json(call, r);
	json_decref(r);
	return out->ptr ? LV_OK : LV_ENOMEM;
}
/* lvc:end echo_args */

/* lvc:begin echo_item */
/*
 * Echoes a struct of every type.
 */
lv_status
app_echo_item(lv_call *call, const app_Item *item, app_Item *out)
{
	(void)call;
	*out = *item;
	return LV_OK;
}
/* lvc:end echo_item */

/* lvc:begin fail */
/*
 * Fails with the error code named, through lv_call_fail or by returning
 * the status alone.
 */
lv_status
app_fail(lv_call *call, lv_str code, bool bare)
{
	bool known;
	int status = status_named(code.ptr, &known);
	if (!known)
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "no status named '%s'", code.ptr);
	if (bare)
		return status;
	return lv_call_fail(call, status, "failing with %s on purpose", code.ptr);
}
/* lvc:end fail */

/* lvc:begin flood */
/*
 * Pushes `n` messages of `size` bytes to group `to`, or to the caller when
 * it is null: `blob_v` when `vol`, `blob` when not. Returns how many
 * pushes failed.
 */
lv_status
app_flood(lv_call *call, const lv_str *to, int64_t n, int64_t size, bool vol, int64_t *out)
{
	if (n < 0 || n > 100000 || size < 0 || size > (1 << 20))
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "n is 0 to 100000, size 0 to 1 MiB");
	char *data = malloc((size_t)size + 1);
	if (!data)
		return LV_ENOMEM;
	memset(data, 'x', (size_t)size);
	data[size] = '\0';
	lv_str d = { data, (size_t)size };
	lv_server *s = lv_call_server(call);
	lv_conn *conn = lv_call_conn(call);
	int64_t failed = 0;
	for (int64_t i = 0; i < n; i++) {
		int rc;
		if (to)
			rc = vol ? app_blob_v_group(s, to->ptr, i, d) : app_blob_group(s, to->ptr, i, d);
		else
			rc = vol ? app_blob_v_to(conn, i, d) : app_blob_to(conn, i, d);
		failed += rc != 0;
	}
	free(data);
	*out = failed;
	return LV_OK;
}
/* lvc:end flood */

/* lvc:begin group_size */
/*
 * The size of a group (null: every page).
 */
lv_status
app_group_size(lv_call *call, const lv_str *name, int64_t *out)
{
	*out = (int64_t)lv_group_size(lv_call_server(call), name ? name->ptr : NULL);
	return LV_OK;
}
/* lvc:end group_size */

/* lvc:begin join */
/*
 * Joins a group; returns its size.
 */
lv_status
app_join(lv_call *call, lv_str name, int64_t *out)
{
	int rc = lv_group_join(lv_call_conn(call), name.ptr);
	if (rc < 0)
		return lv_call_fail(call, rc, "cannot join '%s': %s", name.ptr, lv_strerror(rc));
	*out = (int64_t)lv_group_size(lv_call_server(call), name.ptr);
	return LV_OK;
}
/* lvc:end join */

/* lvc:begin later */
/*
 * Answers from another thread after `ms` milliseconds; also over HTTP.
 */
lv_status
app_later(lv_call *call, int64_t ms, double value, app_Outcome how, double *out)
{
	(void)out;   /* answered by later_thread() */
	if (ms < 0 || ms > 60000)
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "ms is 0 to 60000");
	int rc = lv_call_defer(call);
	if (how == app_Outcome_sync) {
		/* Answered before the handler returns, on the loop. */
		app_later_reply(call, value);
		return rc;
	}
	later_job *j = malloc(sizeof *j);
	if (!j) {
		lv_call_fail(call, LV_ENOMEM, "out of memory");
		return rc;
	}
	*j = (later_job){ call, ms, value, how };
	if (spawn(later_thread, j) != 0) {
		free(j);
		lv_call_fail(call, LV_EINTERNAL, "cannot start a thread");
	}
	return rc;
}
/* lvc:end later */

/* lvc:begin leave */
/*
 * Leaves a group; returns its size.
 */
lv_status
app_leave(lv_call *call, lv_str name, int64_t *out)
{
	int rc = lv_group_leave(lv_call_conn(call), name.ptr);
	if (rc < 0)
		return lv_call_fail(call, rc, "cannot leave '%s': %s", name.ptr, lv_strerror(rc));
	*out = (int64_t)lv_group_size(lv_call_server(call), name.ptr);
	return LV_OK;
}
/* lvc:end leave */

/* lvc:begin limited */
/*
 * A rate limit: five a second.
 */
lv_status
app_limited(lv_call *call, int64_t *out)
{
	(void)call;
	*out = ++limited_calls;
	return LV_OK;
}
/* lvc:end limited */

/* lvc:begin maybe */
/*
 * Returns its argument, or nothing.
 */
lv_status
app_maybe(lv_call *call, const int64_t *v, int64_t *out, bool *has_out)
{
	(void)call;
	if (v) {
		*out = *v;
		*has_out = true;
	}
	return LV_OK;
}
/* lvc:end maybe */

/* lvc:begin nan */
/*
 * A result JSON cannot carry: NaN.
 */
lv_status
app_nan(lv_call *call, double *out)
{
	(void)call;
	*out = NAN;
	return LV_OK;
}
/* lvc:end nan */

/* lvc:begin ping */
/*
 * Answers "pong".
 */
lv_status
app_ping(lv_call *call, lv_str *out)
{
	(void)call;
	*out = LV_STR("pong");
	return LV_OK;
}
/* lvc:end ping */

/* lvc:begin poke */
/*
 * Raises the custom server event "poke", from here or another thread.
 */
lv_status
app_poke(lv_call *call, lv_str by, bool thread)
{
	lv_server *s = lv_call_server(call);
	if (!thread) {
		int rc = app_poked_raise(s, by);
		return rc < 0 ? lv_call_fail(call, rc, "cannot raise: %s", lv_strerror(rc)) : LV_OK;
	}
	poke_job *j = calloc(1, sizeof *j);
	if (!j || !(j->by = dup_str(by))) {
		free(j);
		return LV_ENOMEM;
	}
	j->server = s;
	if (spawn(poke_thread, j) != 0) {
		free(j->by);
		free(j);
		return lv_call_fail(call, LV_EINTERNAL, "cannot start a thread");
	}
	return LV_OK;
}
/* lvc:end poke */

/* lvc:begin poked */
/*
 * Raised by poke.
 */
lv_status
app_poked(lv_call *call, lv_str by)
{
	(void)call;
	seen.pokes++;
	free(last_poke);
	last_poke = dup_str(by);
	return LV_OK;
}
/* lvc:end poked */

/* lvc:begin small */
/*
 * A size limit: the whole message must fit in 1 KiB.
 */
lv_status
app_small(lv_call *call, lv_str text, int64_t *out)
{
	(void)call;
	*out = (int64_t)text.len;
	return LV_OK;
}
/* lvc:end small */

/* lvc:begin started */
lv_status
app_started(lv_call *call)
{
	seen.starts++;
	lv_presence_watch(lv_call_server(call), app_on_presence, NULL);
	return LV_OK;
}
/* lvc:end started */

/* lvc:begin stats */
/*
 * What the server has seen.
 */
lv_status
app_stats(lv_call *call, app_Stats *out)
{
	(void)call;
	*out = seen;
	out->last_poke = lv_cstr(last_poke);
	return LV_OK;
}
/* lvc:end stats */

/* lvc:begin stopped */
lv_status
app_stopped(lv_call *call)
{
	(void)call;
	printf("stopped\n");
	fflush(stdout);
	free(last_poke);
	last_poke = NULL;
	return LV_OK;
}
/* lvc:end stopped */

/* lvc:begin stub */
/*
 * A stub left as lvc wrote it.
 */
lv_status
app_stub(lv_call *call, int64_t *out)
{
	(void)call;
	(void)out;
	return lv_call_fail(call, LV_EUNAVAILABLE, "no code yet: write it in app_stub()");
}
/* lvc:end stub */

/* lvc:begin tap */
/*
 * Counts; a negative n is an error; n = 99 answers with a command.
 */
lv_status
app_tap(lv_call *call, int64_t n)
{
	if (n < 0)
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "n must not be negative");
	seen.taps++;
	seen.tap_sum += n;
	if (n == 99)
		lv_cmd_notify(call, "tapped 99", NULL);
	return LV_OK;
}
/* lvc:end tap */

/* lvc:begin tick */
/*
 * Sends the custom page event "tick" to the caller, a group or all.
 */
lv_status
app_tick(lv_call *call, int64_t n, const lv_str *to)
{
	lv_server *s = lv_call_server(call);
	int rc;
	if (!to)
		rc = app_ticked_to(lv_call_conn(call), n);
	else if (strcmp(to->ptr, "*") == 0)
		rc = app_ticked_all(s, n);
	else
		rc = app_ticked_group(s, to->ptr, n);
	return rc < 0 ? lv_call_fail(call, rc, "cannot send: %s", lv_strerror(rc)) : LV_OK;
}
/* lvc:end tick */

/* lvc:begin where */
/*
 * An optional struct result.
 */
lv_status
app_where(lv_call *call, int64_t x, int64_t y, bool none, const app_Point **out)
{
	if (none)
		return LV_OK;
	app_Point *p = lv_call_alloc(call, sizeof *p);
	if (!p)
		return LV_ENOMEM;
	p->x = x;
	p->y = y;
	*out = p;
	return LV_OK;
}
/* lvc:end where */

/* lvc:begin whoami */
/*
 * Any signed-in connection: who it is.
 */
lv_status
app_whoami(lv_call *call, lv_str *out, bool *has_out)
{
	const char *who = lv_call_identity(call);
	if (who) {
		*out = lv_call_strdup(call, who);
		*has_out = true;
	}
	return LV_OK;
}
/* lvc:end whoami */

/* lvc:begin hits */
/*
 * How many times it has been called; over HTTP too, with no arguments
 * (edge.test.mjs: a POST without a body).
 */
lv_status
app_hits(lv_call *call, int64_t *out)
{
	(void)call;
	*out = ++hits_calls;
	return LV_OK;
}
/* lvc:end hits */

/* lvc:begin tally */
/*
 * Prints "tally KEY" on the server's output and answers with the server's
 * count of tallies: a test counts how often a call ran, on every node, even
 * one killed since (sessions_nodes.test.mjs).
 */
lv_status
app_tally(lv_call *call, lv_str key, int64_t *out)
{
	(void)call;
	static int64_t tallies;
	printf("tally %.*s\n", (int)key.len, key.ptr);
	fflush(stdout);
	*out = ++tallies;
	return LV_OK;
}
/* lvc:end tally */

/* lvc:begin limited_http */
/*
 * A rate limit over HTTP: three a second, per address (edge.test.mjs).
 */
lv_status
app_limited_http(lv_call *call, int64_t *out)
{
	(void)call;
	*out = ++limited_http_calls;
	return LV_OK;
}
/* lvc:end limited_http */

/* lvc:begin login */
/*
 * Signs the page in as `name`, with `role` unless it is "", without a
 * reload (lv_conn_set_auth); name "" signs it out.
 */
lv_status
app_login(lv_call *call, lv_str name, lv_str role)
{
	const char *roles[] = { role.ptr };
	return lv_conn_set_auth(lv_call_conn(call), name.len ? name.ptr : NULL,
	                        roles, role.len ? 1 : 0);
}
/* lvc:end login */

struct posting {
	lv_conn *conn;                 /* referenced */
	int64_t i;
};

static void
post_note(lv_server *s, void *arg)
{
	(void)s;
	struct posting *p = arg;
	char text[32];
	snprintf(text, sizeof text, "posted %lld", (long long)p->i);
	app_note_to(p->conn, lv_cstr(text), NULL);
	lv_conn_unref(p->conn);
	free(p);
}

struct poster {
	lv_server *server;
	lv_conn *conn;                 /* referenced */
	int64_t n;
};

static void *
poster_thread(void *arg)
{
	struct poster *q = arg;
	for (int64_t i = 1; i <= q->n; i++) {
		struct posting *p = malloc(sizeof *p);
		if (!p)
			break;
		p->conn = lv_conn_ref(q->conn);
		p->i = i;
		if (lv_server_post(q->server, post_note, p) != 0) {
			lv_conn_unref(p->conn);
			free(p);
		}
	}
	lv_conn_unref(q->conn);
	free(q);
	return NULL;
}

static void
set_flag(lv_server *s, void *arg)
{
	(void)s;
	*(bool *)arg = true;
}

/* lvc:begin posted */
/*
 * A thread posts `n` pieces of work to the loop, each sending the caller
 * the note "posted I", in order. True if work posted from the loop itself
 * ran inside lv_server_post (it must not).
 */
lv_status
app_posted(lv_call *call, int64_t n, bool *out)
{
	static bool ran;
	ran = false;
	if (lv_server_post(lv_call_server(call), set_flag, &ran) != 0)
		return LV_ENOMEM;
	*out = ran;   /* still false: posted work waits for the loop */
	struct poster *q = malloc(sizeof *q);
	if (!q)
		return LV_ENOMEM;
	q->server = lv_call_server(call);
	q->conn = lv_conn_ref(lv_call_conn(call));
	q->n = n;
	pthread_t th;
	if (pthread_create(&th, NULL, poster_thread, q) != 0) {
		lv_conn_unref(q->conn);
		free(q);
		return LV_EUNAVAILABLE;
	}
	pthread_detach(th);
	return LV_OK;
}
/* lvc:end posted */

static void
never(lv_server *s, lv_timer *t, void *arg)
{
	(void)t;
	app_note_to(arg, LV_STR("the stopped timer fired"), NULL);
	(void)s;
}

/* lvc:begin tick_cancelled */
/*
 * Starts a timer of `ms` and stops it at once: no note comes from it.
 */
lv_status
app_tick_cancelled(lv_call *call, int64_t ms)
{
	lv_timer *t;
	int rc = lv_timer_start(lv_call_server(call), (uint32_t)ms, false, never,
	                        lv_call_conn(call), &t);
	if (rc == 0)
		lv_timer_stop(t);
	return rc;
}
/* lvc:end tick_cancelled */

struct ticking {
	lv_conn *conn;                 /* referenced */
	int64_t left, n;
};

static void
tick(lv_server *s, lv_timer *t, void *arg)
{
	(void)s;
	struct ticking *k = arg;
	char text[32];
	snprintf(text, sizeof text, "tick %lld", (long long)++k->n);
	app_note_to(k->conn, lv_cstr(text), NULL);
	if (--k->left == 0) {
		lv_timer_stop(t);   /* from its own function */
		lv_conn_unref(k->conn);
		free(k);
	}
}

/* lvc:begin ticks */
/*
 * Sends the caller `times` notes "tick N", one every `ms` milliseconds,
 * from a repeating timer that stops itself after the last.
 */
lv_status
app_ticks(lv_call *call, int64_t ms, int64_t times)
{
	if (ms < 1 || ms > 10000 || times < 1 || times > 100)
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "ms 1..10000, times 1..100");
	struct ticking *k = calloc(1, sizeof *k);
	if (!k)
		return LV_ENOMEM;
	k->conn = lv_conn_ref(lv_call_conn(call));
	k->left = times;
	int rc = lv_timer_start(lv_call_server(call), (uint32_t)ms, true, tick, k, NULL);
	if (rc != 0) {
		lv_conn_unref(k->conn);
		free(k);
	}
	return rc;
}
/* lvc:end ticks */

/* lvc:begin prefs_read */
/*
 * The page's prefs as the server reads them, as JSON.
 */
lv_status
app_prefs_read(lv_call *call, lv_str *out)
{
	app_Prefs prefs;
	lv_arena a;
	lv_buf b;
	lv_error err = { 0 };
	lv_arena_init(&a);
	lv_buf_init(&b);
	int rc = lv_state_read(lv_call_conn(call), "prefs", &prefs, &a);
	if (rc == 0)
		rc = lv_encode(&b, &app_Prefs_type, &prefs, &err);
	if (rc == 0)
		*out = lv_call_strdup(call, b.data);
	lv_buf_free(&b);
	lv_arena_free(&a);
	return rc < 0 ? lv_call_fail(call, rc, "prefs: %s", lv_strerror(rc)) : LV_OK;
}
/* lvc:end prefs_read */

/* lvc:begin state_op */
/*
 * One change to a server state: which is board or vault (of group in_group),
 * counter, mine or secrets; op is set, insert, remove, move or flush. Returns the
 * state's revision, or fails with the runtime's error.
 */
lv_status
app_state_op(lv_call *call, lv_str which, const lv_str *in_group, lv_str op, lv_str path, const lv_str *json, int64_t index, int64_t to, int64_t *out)
{
	lv_server *srv = lv_call_server(call);
	lv_state *st = NULL;
	int rc;
	if (lv_str_eq_cstr(which, "board") || lv_str_eq_cstr(which, "vault"))
		rc = lv_state_group(srv, which.ptr, in_group ? in_group->ptr : NULL, &st);
	else if (lv_str_eq_cstr(which, "mine"))
		rc = lv_state_conn(lv_call_conn(call), "mine", &st);
	else
		rc = lv_state_global(srv, which.ptr, &st);
	if (rc == 0) {
		if (lv_str_eq_cstr(op, "set"))
			rc = json ? lv_state_set_json(st, path.ptr, json->ptr, json->len) : LV_EINVALID_ARGUMENT;
		else if (lv_str_eq_cstr(op, "insert"))
			rc = json ? lv_state_insert_json(st, path.ptr, index < 0 ? SIZE_MAX : (size_t)index,
			                                 json->ptr, json->len) : LV_EINVALID_ARGUMENT;
		else if (lv_str_eq_cstr(op, "remove"))
			rc = lv_state_remove(st, path.ptr);
		else if (lv_str_eq_cstr(op, "move"))
			rc = lv_state_move(st, path.ptr, (size_t)index, (size_t)to);
		else if (lv_str_eq_cstr(op, "flush"))
			rc = lv_state_flush(st);
		else if (!lv_str_eq_cstr(op, "get"))
			rc = LV_EINVALID_ARGUMENT;
	}
	if (rc < 0)
		return lv_call_fail(call, rc, "%.*s %.*s: %s", (int)which.len, which.ptr, (int)op.len,
		                    op.ptr, lv_strerror(rc));
	*out = (int64_t)lv_state_rev(st);
	return LV_OK;
}
/* lvc:end state_op */

/* lvc:begin board_cell */
/*
 * Through the generated typed functions: puts cell key of the group's
 * board and logs who did it at the end of the log. Returns the revision.
 */
lv_status
app_board_cell(lv_call *call, lv_str in_group, lv_str key, int64_t v, lv_str by, int64_t *out)
{
	lv_state *st;
	app_Cell cell = { .v = v, .by = by };
	int rc = app_board_state(lv_call_server(call), in_group.ptr, &st);
	if (rc == 0)
		rc = app_board_cells_put(st, key, &cell);
	if (rc == 0)
		rc = app_board_log_insert(st, SIZE_MAX, by);
	if (rc < 0)
		return lv_call_fail(call, rc, "board_cell: %s", lv_strerror(rc));
	*out = (int64_t)lv_state_rev(st);
	return LV_OK;
}
/* lvc:end board_cell */

/* lvc:begin state_value */
/*
 * The whole value of a server state (as state_op names it), as JSON.
 */
lv_status
app_state_value(lv_call *call, lv_str which, const lv_str *in_group, lv_str *out)
{
	lv_server *srv = lv_call_server(call);
	lv_state *st = NULL;
	int rc;
	if (lv_str_eq_cstr(which, "board"))
		rc = lv_state_group(srv, "board", in_group ? in_group->ptr : NULL, &st);
	else if (lv_str_eq_cstr(which, "mine"))
		rc = lv_state_conn(lv_call_conn(call), "mine", &st);
	else
		rc = lv_state_global(srv, which.ptr, &st);
	char *text = rc == 0 ? lv_state_json(st) : NULL;
	if (!text)
		return lv_call_fail(call, rc ? rc : LV_ENOMEM, "%.*s: %s", (int)which.len, which.ptr,
		                    lv_strerror(rc ? rc : LV_ENOMEM));
	*out = lv_call_strdup(call, text);
	free(text);
	return LV_OK;
}
/* lvc:end state_value */

/* lvc:begin prefs */
/* The page changed its prefs: value is the new one, borrowed for the
 * call (app_prefs_get() reads it later). A status below zero is logged. */
lv_status
app_prefs_changed(lv_conn *conn, const app_Prefs *value)
{
	(void)conn;
	prefs_calls++;
	snprintf(prefs_last, sizeof prefs_last, "%zu %.*s", value->tags.n,
	         (int)value->sort.len, value->sort.ptr);
	return LV_OK;
}
/* lvc:end prefs */

/* lvc:begin prefs_seen */
/*
 * What the changed handler of prefs saw: "CALLS TAGS SORT" (calls since the
 * server started, and the value it was last given).
 */
lv_status
app_prefs_seen(lv_call *call, lv_str *out)
{
	char buf[160];
	snprintf(buf, sizeof buf, "%lld %s", (long long)prefs_calls, prefs_last);
	*out = lv_call_strdup(call, buf);
	return LV_OK;
}
/* lvc:end prefs_seen */

/* lvc:begin note_id */
/*
 * Pushes note(text) to the page whose connection id is `to_conn`, on this
 * node or another one sharing its broker.
 */
lv_status
app_note_id(lv_call *call, lv_str to_conn, lv_str text)
{
	int rc = app_note_to_id(lv_call_server(call), to_conn.ptr, text, NULL);
	if (rc < 0)
		return lv_call_fail(call, rc, "push failed: %s", lv_strerror(rc));
	return LV_OK;
}
/* lvc:end note_id */

/* lvc:begin ask_id */
/*
 * Asks the page whose connection id is `id` (client.rpc ask), on
 * whichever node it is connected to, and answers with what it said.
 */
lv_status
app_ask_id(lv_call *call, lv_str id, lv_str question, lv_str *out)
{
	(void)out;   /* answered by asked() */
	char cid[64];
	if (id.len >= sizeof cid)
		return lv_call_fail(call, LV_EINVALID_ARGUMENT, "id: too long");
	memcpy(cid, id.ptr, id.len);
	cid[id.len] = '\0';
	ask_job *j = calloc(1, sizeof *j);
	if (!j)
		return LV_ENOMEM;
	j->call = call;
	j->reply = app_ask_id_reply;
	j->in_handler = true;
	int rc = app_ask_call_id(lv_call_server(call), cid, question, asked, j);
	j->in_handler = false;
	if (rc < 0 || j->answered) {
		int status = rc < 0 ? rc : j->status;
		free(j);
		return lv_call_fail(call, status, "cannot ask the page: %s", lv_strerror(status));
	}
	return lv_call_defer(call);
}
/* lvc:end ask_id */

static void
members_known(lv_server *s, const char *group, int status, const lv_member *m, size_t n,
              void *user_data)
{
	(void)s, (void)group;
	lv_call *call = user_data;
	if (status < 0) {
		lv_call_fail(call, status, "members: %s", lv_strerror(status));
		return;
	}
	app_Member_list list = { 0, lv_call_alloc(call, sizeof *list.items * (n ? n : 1)) };
	if (!list.items) {
		lv_call_fail(call, LV_ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++) {
		app_Member *it = &list.items[list.n++];
		it->conn = lv_call_strdup(call, m[i].conn_id);
		it->has_identity = m[i].identity != NULL;
		it->identity = m[i].identity ? lv_call_strdup(call, m[i].identity) : LV_STR("");
		it->here = m[i].local;
	}
	app_members_reply(call, list);
}

/* lvc:begin members */
/*
 * The members of a group on every node (lv_group_members): answered once
 * the broker has; fails with its status when the broker could not say.
 */
lv_status
app_members(lv_call *call, lv_str name, app_Member_list *out)
{
	(void)out;   /* answered by members_known() */
	int rc = lv_call_defer(call);
	int err = lv_group_members(lv_call_server(call), name.ptr, members_known, call);
	if (err < 0)
		lv_call_fail(call, err, "members: %s", lv_strerror(err));
	return rc;
}
/* lvc:end members */

enum { PRESENCE_LOG = 200 };
static char *presence_lines[PRESENCE_LOG];   /* a ring, owned */
static size_t presence_first, presence_count;

/* The handler lv_presence_watch calls (set by started()): each event of a
 * "p-" group is logged, and pushed to the group by its origin. */
void
app_on_presence(lv_server *s, const lv_presence_event *ev, void *user_data)
{
	(void)user_data;
	if (strncmp(ev->group, "p-", 2) != 0)
		return;
	const char *kind = lv_presence_kind_name(ev->kind);
	char line[512];
	snprintf(line, sizeof line, "%s %s %s %s %s %s",
	         ev->kind == LV_PRESENCE_NODE_DIED ? "died" : kind, ev->group, ev->member.conn_id,
	         ev->member.identity ? ev->member.identity : "-", ev->member.local ? "here" : "there",
	         ev->origin ? "origin" : "-");
	char *copy = strdup(line);
	if (!copy)
		return;
	if (presence_count == PRESENCE_LOG) {
		free(presence_lines[presence_first]);
		presence_lines[presence_first] = copy;
		presence_first = (presence_first + 1) % PRESENCE_LOG;
	} else {
		presence_lines[(presence_first + presence_count++) % PRESENCE_LOG] = copy;
	}
	if (ev->origin) {
		lv_str identity = ev->member.identity ? lv_cstr(ev->member.identity) : LV_STR("");
		app_presence_group(s, ev->group, lv_cstr(ev->group), lv_cstr(kind),
		                   lv_cstr(ev->member.conn_id), ev->member.identity ? &identity : NULL);
	}
}

/* lvc:begin presence_log */
/*
 * The presence events this node's handler was told of, for groups whose
 * name begins "p-": "KIND GROUP CONN IDENTITY here|there origin|-", oldest
 * first (the last 200).
 */
lv_status
app_presence_log(lv_call *call, lv_str_list *out)
{
	out->items = lv_call_alloc(call, sizeof *out->items * (presence_count ? presence_count : 1));
	if (!out->items)
		return LV_ENOMEM;
	for (size_t i = 0; i < presence_count; i++)
		out->items[out->n++] = lv_cstr(presence_lines[(presence_first + i) % PRESENCE_LOG]);
	return LV_OK;
}
/* lvc:end presence_log */

static int
by_name(const void *a, const void *b)
{
	return strcmp(((const lv_str *)a)->ptr, ((const lv_str *)b)->ptr);
}

static void
groups_known(lv_server *s, int status, const char *const *groups, size_t n, void *user_data)
{
	(void)s;
	lv_call *call = user_data;
	if (status < 0) {
		lv_call_fail(call, status, "group_list: %s", lv_strerror(status));
		return;
	}
	lv_str_list list = { 0, lv_call_alloc(call, sizeof *list.items * (n ? n : 1)) };
	if (!list.items) {
		lv_call_fail(call, LV_ENOMEM, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		list.items[list.n++] = lv_call_strdup(call, groups[i]);
	qsort(list.items, list.n, sizeof *list.items, by_name);
	app_group_list_reply(call, list);
}

/* lvc:begin group_list */
/*
 * The groups with members on any node (lv_group_list), sorted.
 */
lv_status
app_group_list(lv_call *call, lv_str_list *out)
{
	(void)out;   /* answered by groups_known() */
	int rc = lv_call_defer(call);
	int err = lv_group_list(lv_call_server(call), groups_known, call);
	if (err < 0)
		lv_call_fail(call, err, "group_list: %s", lv_strerror(err));
	return rc;
}
/* lvc:end group_list */

/* lvc:begin poke_all */
/*
 * Raises the custom server event "poke.all" on every node, from here or
 * another thread (raise.test.mjs).
 */
lv_status
app_poke_all(lv_call *call, lv_str by, int64_t n, bool thread)
{
	lv_server *s = lv_call_server(call);
	if (!thread) {
		int rc = app_poked_all_raise_all(s, by, n);
		return rc < 0 ? lv_call_fail(call, rc, "cannot raise: %s", lv_strerror(rc)) : LV_OK;
	}
	poke_all_job *j = calloc(1, sizeof *j);
	if (!j || !(j->by = dup_str(by))) {
		free(j);
		return LV_ENOMEM;
	}
	j->server = s;
	j->n = n;
	if (spawn(poke_all_thread, j) != 0) {
		free(j->by);
		free(j);
		return lv_call_fail(call, LV_EINTERNAL, "cannot start a thread");
	}
	return LV_OK;
}
/* lvc:end poke_all */

/* lvc:begin poked_all */
/*
 * Raised on every node by poke_all.
 */
lv_status
app_poked_all(lv_call *call, lv_str by, int64_t n)
{
	(void)call;
	size_t used = strlen(poked_all_log);
	snprintf(poked_all_log + used, sizeof poked_all_log - used, "%.*s:%lld;", (int)by.len, by.ptr,
	         (long long)n);
	return LV_OK;
}
/* lvc:end poked_all */

/* lvc:begin poked_all_seen */
/*
 * What poked_all ran with on this node, in order: "BY:N;" each.
 */
lv_status
app_poked_all_seen(lv_call *call, lv_str *out)
{
	*out = lv_call_strdup(call, poked_all_log);
	return LV_OK;
}
/* lvc:end poked_all_seen */
