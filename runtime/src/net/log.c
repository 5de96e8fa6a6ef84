/* log.c - the runtime's messages: filtered by level, then handed to the
 * application's callback or written to standard error as text or JSON
 * lines; libwebsockets' own lines go the same way. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

static const char *const level_names[] = { "default", "error", "warn", "info", "debug" };

void
lv__log_sink_init(lv_log_sink *k, const lv_options *o)
{
	k->level = o->log_level ? o->log_level : LV_LOG_WARN;
	const char *env = getenv("LV_LOG");
	if (env && *env >= '1' && *env <= '4')
		k->level = (lv_log_level)(*env - '0');
	k->format = o->log_format;
	k->fn = o->log;
	k->user = o->log_user;
}

/* [msg, +len) with every byte that is not part of valid UTF-8 replaced by
 * U+FFFD, NUL-terminated. */
static void
put_utf8(lv_buf *b, const char *msg, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t n = (unsigned char)msg[i] < 0x80 ? 1 : lv__utf8_char(msg + i, len - i);
		if (n) {
			lv_buf_append(b, msg + i, n);
			i += n;
		} else {
			lv_buf_append(b, "\xef\xbf\xbd", 3);
			i++;
		}
	}
	if (lv__buf_reserve(b, 0))
		b->data[b->len] = '\0';   /* a NUL even when empty */
}

void
lv__log_json_line(lv_buf *b, int64_t unix_ms, lv_log_level level, const char *msg, size_t len)
{
	char ts[32];
	lv__rfc3339_ms(ts, unix_ms);
	lv_buf clean;
	lv_buf_init(&clean);
	put_utf8(&clean, msg, len);
	lv_buf_puts(b, "{\"ts\":\"");
	lv_buf_puts(b, ts);
	lv_buf_puts(b, "\",\"level\":\"");
	lv_buf_puts(b, level_names[level]);
	lv_buf_puts(b, "\",\"msg\":");
	if (clean.failed)
		lv_buf_puts(b, "\"(out of memory)\"");
	else
		lv_buf_json_str(b, clean.data, clean.len);
	lv_buf_puts(b, "}\n");
	lv_buf_free(&clean);
}

void
lv__log_emit(const lv_log_sink *k, lv_log_level level, const char *msg, size_t len)
{
	if (level < LV_LOG_ERROR || level > LV_LOG_DEBUG)
		level = LV_LOG_ERROR;
	lv_buf b;
	lv_buf_init(&b);
	if (k->fn) {
		put_utf8(&b, msg, len);
		if (!b.failed)
			k->fn(k->user, level, b.data);
	} else if (k->format == LV_LOG_JSON) {
		lv__log_json_line(&b, lv__wall_ms(), level, msg, len);
	} else {
		lv_buf_puts(&b, "lv: ");
		lv_buf_puts(&b, level_names[level]);
		lv_buf_puts(&b, ": ");
		lv_buf_append(&b, msg, len);
		lv_buf_puts(&b, "\n");
	}
	/* One write per line, so that lines of threads do not mix. */
	if (!k->fn && !b.failed)
		fwrite(b.data, 1, b.len, stderr);
	lv_buf_free(&b);
}

void
lv__log(lv_server *s, lv_log_level level, const char *fmt, ...)
{
	static const lv_log_sink plain = { LV_LOG_DEBUG, LV_LOG_TEXT, NULL, NULL };
	const lv_log_sink *k = s ? &s->log : &plain;
	if (level > k->level)
		return;
	char small[512], *text = small;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof small && (text = malloc((size_t)n + 1)) != NULL) {
		va_start(ap, fmt);
		vsnprintf(text, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	if (!text) {
		text = small;   /* out of memory: the message cut short */
		n = sizeof small - 1;
	}
	lv__log_emit(k, level, text, (size_t)n);
	if (text != small)
		free(text);
}

/* ---- libwebsockets' lines ----------------------------------------------------------- */

/* lws has one log for the process: its lines go to the sink of the server
 * made last. The lock keeps that sink (and the application's pointer in
 * it) from changing while a line is written. */
static pthread_mutex_t lws_mu = PTHREAD_MUTEX_INITIALIZER;
static lv_log_sink lws_sink = { LV_LOG_DEBUG, LV_LOG_TEXT, NULL, NULL };
static const lv_server *lws_owner;

static void
lws_line(int lll, const char *line)
{
	lv_log_level level = lll & LLL_ERR ? LV_LOG_ERROR : lll & LLL_WARN ? LV_LOG_WARN :
	                     lll & LLL_NOTICE ? LV_LOG_INFO : LV_LOG_DEBUG;
	size_t len = strlen(line);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	char small[512];
	char *text = len + 6 <= sizeof small ? small : malloc(len + 6);
	if (!text)
		return;
	memcpy(text, "lws: ", 5);
	memcpy(text + 5, line, len);
	text[len + 5] = '\0';
	pthread_mutex_lock(&lws_mu);
	lv__log_emit(&lws_sink, level, text, len + 5);
	pthread_mutex_unlock(&lws_mu);
	if (text != small)
		free(text);
}

void
lv__log_lws_follow(lv_server *s)
{
	pthread_mutex_lock(&lws_mu);
	lws_sink = s->log;
	lws_sink.level = LV_LOG_DEBUG;   /* lws filters its own, by the mask below */
	lws_owner = s;
	pthread_mutex_unlock(&lws_mu);
	lv_log_level l = s->log.level;
	lws_set_log_level(l >= LV_LOG_DEBUG ? LLL_ERR | LLL_WARN | LLL_NOTICE :
	                  l >= LV_LOG_WARN ? LLL_ERR : 0, lws_line);
}

void
lv__log_lws_release(lv_server *s)
{
	pthread_mutex_lock(&lws_mu);
	if (lws_owner == s) {
		lws_sink = (lv_log_sink){ LV_LOG_DEBUG, LV_LOG_TEXT, NULL, NULL };
		lws_owner = NULL;
	}
	pthread_mutex_unlock(&lws_mu);
}
