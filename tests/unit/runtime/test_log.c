/* test_log.c - net/log.c: the JSON line (timestamp, level, escaping, bytes that are not UTF-8), the level filter and LV_LOG, the application's callback, and libwebsockets' lines following the server made last. */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <jansson.h>

#include "net/net.h"

/* ---- what the callback was given ----------------------------------------------- */

static struct {
	int n;
	lv_log_level level[8];
	char msg[8][256];
	size_t len[8];
	void *user;
} got;

static void
capture(void *user, lv_log_level level, const char *msg)
{
	got.user = user;
	if (got.n < 8) {
		got.level[got.n] = level;
		snprintf(got.msg[got.n], sizeof got.msg[0], "%s", msg);
		got.len[got.n] = strlen(msg);
	}
	got.n++;
}

static void
reset(void)
{
	memset(&got, 0, sizeof got);
	unsetenv("LV_LOG");
}

static void
reset_redirect(void)
{
	reset();
	cr_redirect_stderr();
}

/* The JSON line of msg at unix_ms, parsed; the line must end in one newline. */
static json_t *
line_of(int64_t unix_ms, lv_log_level level, const char *msg, size_t len)
{
	lv_buf b;
	lv_buf_init(&b);
	lv__log_json_line(&b, unix_ms, level, msg, len);
	cr_assert(!b.failed);
	cr_assert_gt(b.len, 1);
	cr_assert_eq(b.data[b.len - 1], '\n', "the line ends with a newline");
	cr_assert_null(memchr(b.data, '\n', b.len - 1), "one line: %s", b.data);
	json_error_t err;
	json_t *j = json_loadb(b.data, b.len, JSON_ALLOW_NUL, &err);
	cr_assert_not_null(j, "not JSON (%s): %s", err.text, b.data);
	lv_buf_free(&b);
	return j;
}

Test(json_line, has_the_time_the_level_and_the_message)
{
	json_t *j = line_of(1714564800123, LV_LOG_WARN, "disk full", 9);
	cr_assert_eq(json_object_size(j), 3);
	cr_assert_str_eq(json_string_value(json_object_get(j, "ts")), "2024-05-01T12:00:00.123Z");
	cr_assert_str_eq(json_string_value(json_object_get(j, "level")), "warn");
	cr_assert_str_eq(json_string_value(json_object_get(j, "msg")), "disk full");
	json_decref(j);

	j = line_of(0, LV_LOG_ERROR, "", 0);
	cr_assert_str_eq(json_string_value(json_object_get(j, "ts")), "1970-01-01T00:00:00.000Z");
	cr_assert_str_eq(json_string_value(json_object_get(j, "level")), "error");
	cr_assert_str_eq(json_string_value(json_object_get(j, "msg")), "");
	json_decref(j);

	const char *names[] = { NULL, "error", "warn", "info", "debug" };
	for (int l = LV_LOG_ERROR; l <= LV_LOG_DEBUG; l++) {
		j = line_of(999, (lv_log_level)l, "x", 1);
		cr_assert_str_eq(json_string_value(json_object_get(j, "level")), names[l]);
		cr_assert_str_eq(json_string_value(json_object_get(j, "ts")), "1970-01-01T00:00:00.999Z");
		json_decref(j);
	}
}

Test(json_line, escapes_quotes_backslashes_and_control_characters)
{
	static const char msg[] = "say \"hi\" \\ then\nnext\tline\r\x01\x1f\x7f end";
	json_t *j = line_of(1, LV_LOG_INFO, msg, sizeof msg - 1);
	cr_assert_str_eq(json_string_value(json_object_get(j, "msg")), msg);
	json_decref(j);
}

Test(json_line, keeps_utf8_and_replaces_bytes_that_are_not)
{
	static const char ok[] = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
	json_t *j = line_of(1, LV_LOG_INFO, ok, sizeof ok - 1);
	cr_assert_str_eq(json_string_value(json_object_get(j, "msg")), ok);
	json_decref(j);
	/* a lone continuation byte, a truncated sequence, an overlong '/', a
	 * surrogate: each bad byte becomes U+FFFD */
	static const char bad[] = "a\x80" "b\xe2\x82" "c\xc0\xaf" "d\xed\xa0\x80";
	j = line_of(1, LV_LOG_INFO, bad, sizeof bad - 1);
	cr_assert_str_eq(json_string_value(json_object_get(j, "msg")),
	                 "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd" "c\xef\xbf\xbd\xef\xbf\xbd"
	                 "d\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	json_decref(j);
	/* a NUL inside the message is escaped, not the end of it */
	j = line_of(1, LV_LOG_INFO, "a\0b", 3);
	cr_assert_eq(json_string_length(json_object_get(j, "msg")), 3);
	json_decref(j);
}

/* ---- the sink --------------------------------------------------------------------- */

Test(sink, takes_the_options_and_lv_log_overrides_the_level, .init = reset)
{
	lv_options o;
	memset(&o, 0, sizeof o);
	lv_log_sink k;
	lv__log_sink_init(&k, &o);
	cr_assert_eq(k.level, LV_LOG_WARN, "the default level");
	cr_assert_eq(k.format, LV_LOG_TEXT);
	cr_assert_null(k.fn);
	int tag;
	o.log_level = LV_LOG_ERROR;
	o.log_format = LV_LOG_JSON;
	o.log = capture;
	o.log_user = &tag;
	lv__log_sink_init(&k, &o);
	cr_assert_eq(k.level, LV_LOG_ERROR);
	cr_assert_eq(k.format, LV_LOG_JSON);
	cr_assert_eq(k.fn, capture);
	cr_assert_eq(k.user, &tag);
	setenv("LV_LOG", "4", 1);
	lv__log_sink_init(&k, &o);
	cr_assert_eq(k.level, LV_LOG_DEBUG);
	setenv("LV_LOG", "9", 1);   /* not a level: the options' */
	lv__log_sink_init(&k, &o);
	cr_assert_eq(k.level, LV_LOG_ERROR);
}

Test(sink, a_server_message_goes_to_the_callback_if_its_level_passes, .init = reset)
{
	lv_server *s = calloc(1, sizeof *s);
	int tag;
	s->log = (lv_log_sink){ LV_LOG_INFO, LV_LOG_JSON, capture, &tag };
	LV_LOG(s, LV_LOG_WARN, "conn %d: %s", 7, "slow");
	LV_LOG(s, LV_LOG_DEBUG, "not this one");
	LV_LOG(s, LV_LOG_INFO, "bad byte \xff here");
	cr_assert_eq(got.n, 2);
	cr_assert_eq(got.user, &tag);
	cr_assert_eq(got.level[0], LV_LOG_WARN);
	cr_assert_str_eq(got.msg[0], "conn 7: slow", "the bare message, no prefix, no newline");
	cr_assert_str_eq(got.msg[1], "bad byte \xef\xbf\xbd here", "valid UTF-8 for the callback");
	/* longer than the runtime's small buffer: whole */
	char big[2000];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	got.n = 0;
	LV_LOG(s, LV_LOG_ERROR, "%s", big);
	cr_assert_eq(got.n, 1);
	cr_assert_eq(got.len[0], sizeof big - 1);
	free(s);
}

Test(sink, standard_error_gets_text_or_json_lines, .init = reset_redirect)
{
	lv_server *s = calloc(1, sizeof *s);
	s->log = (lv_log_sink){ LV_LOG_WARN, LV_LOG_TEXT, NULL, NULL };
	LV_LOG(s, LV_LOG_ERROR, "as text");
	LV_LOG(s, LV_LOG_INFO, "filtered");
	s->log.format = LV_LOG_JSON;
	LV_LOG(s, LV_LOG_WARN, "as \"json\"");
	fflush(stderr);
	FILE *f = cr_get_redirected_stderr();
	char line[512];
	cr_assert_not_null(fgets(line, sizeof line, f));
	cr_assert_str_eq(line, "lv: error: as text\n");
	cr_assert_not_null(fgets(line, sizeof line, f));
	json_error_t err;
	json_t *j = json_loads(line, 0, &err);
	cr_assert_not_null(j, "not JSON: %s", line);
	cr_assert_str_eq(json_string_value(json_object_get(j, "level")), "warn");
	cr_assert_str_eq(json_string_value(json_object_get(j, "msg")), "as \"json\"");
	const char *ts = json_string_value(json_object_get(j, "ts"));
	cr_assert(ts && strlen(ts) == 24 && ts[10] == 'T' && ts[23] == 'Z', "ts %s", ts);
	json_decref(j);
	cr_assert_null(fgets(line, sizeof line, f), "nothing more: %s", line);
	free(s);
}

Test(lws, lines_follow_the_server_made_last_until_it_is_freed, .init = reset_redirect)
{
	lv_server *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
	int ta, tb;
	a->log = (lv_log_sink){ LV_LOG_WARN, LV_LOG_TEXT, capture, &ta };
	b->log = (lv_log_sink){ LV_LOG_WARN, LV_LOG_TEXT, capture, &tb };
	lv__log_lws_follow(a);
	lwsl_err("first %d\n", 1);
	cr_assert_eq(got.n, 1);
	cr_assert_eq(got.user, &ta);
	cr_assert_eq(got.level[0], LV_LOG_ERROR);
	cr_assert_str_eq(got.msg[0], "lws: first 1", "lws' newline dropped");
	lv__log_lws_follow(b);
	lwsl_err("second\n");
	cr_assert_eq(got.n, 2);
	cr_assert_eq(got.user, &tb, "the newest server's callback");
	lv__log_lws_release(a);   /* not the one followed: nothing changes */
	lwsl_err("third\n");
	cr_assert_eq(got.n, 3);
	cr_assert_eq(got.user, &tb);
	lv__log_lws_release(b);   /* back to standard error */
	lwsl_err("fourth, on standard error\n");
	cr_assert_eq(got.n, 3);
	fflush(stderr);
	cr_assert_stderr_eq_str("lv: error: lws: fourth, on standard error\n");
	free(a);
	free(b);
}
