/* broker_script.c - the Redis broker's Lua scripts loaded once per connection (SCRIPT LOAD) and run by SHA1 (EVALSHA), with EVAL until Redis has answered the load.
 *
 * A command is formatted by hiredis from the caller's arguments, then
 * "EVALSHA SHA 0" or "EVAL TEXT 0" is put in front of them. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis.h>

#include "net/net.h"
#include "net/broker_script.h"

enum { SCRIPTS_MAX = 32 };

typedef enum { S_NONE, S_LOADING, S_LOADED } sstate;

typedef struct {
	const char *text;
	char sha[41];
	sstate state;
} sentry;

struct lv_bscript {
	void (*lost)(void *arg);
	void *arg;
	bool told;                  /* lost was called for this connection */
	redisAsyncContext *ac;
	uint32_t gen;               /* the connection's: replies of an older one are stale */
	sentry s[SCRIPTS_MAX];
	size_t n;
};

/* What a reply of ours needs. */
typedef struct {
	lv_bscript *sc;
	uint32_t gen;
	size_t at;                  /* the script's entry */
	redisCallbackFn *fn;        /* the caller's, for an EVALSHA */
	void *priv;
} sreq;

lv_bscript *
lv__bscript_new(void (*lost)(void *arg), void *arg)
{
	lv_bscript *sc = calloc(1, sizeof *sc);
	if (sc) {
		sc->lost = lost;
		sc->arg = arg;
	}
	return sc;
}

void
lv__bscript_free(lv_bscript *sc)
{
	free(sc);
}

static void
forget(lv_bscript *sc)
{
	for (size_t i = 0; i < sc->n; i++) {
		sc->s[i].state = S_NONE;
		sc->s[i].sha[0] = '\0';
	}
}

void
lv__bscript_up(lv_bscript *sc, redisAsyncContext *ac)
{
	sc->ac = ac;
	sc->gen++;
	sc->told = false;
	forget(sc);
}

void
lv__bscript_down(lv_bscript *sc)
{
	sc->ac = NULL;
	sc->gen++;
	forget(sc);
}

static bool
is_sha(const redisReply *r)
{
	if (!r || r->type != REDIS_REPLY_STRING || r->len != 40)
		return false;
	for (size_t i = 0; i < 40; i++)
		if (!((r->str[i] >= '0' && r->str[i] <= '9') || (r->str[i] >= 'a' && r->str[i] <= 'f')))
			return false;
	return true;
}

static void
on_loaded(redisAsyncContext *ac, void *r, void *arg)
{
	(void)ac;
	sreq *q = arg;
	lv_bscript *sc = q->sc;
	if (q->gen == sc->gen && sc->s[q->at].state == S_LOADING) {
		sentry *e = &sc->s[q->at];
		if (is_sha(r)) {
			memcpy(e->sha, ((redisReply *)r)->str, 40);
			e->sha[40] = '\0';
			e->state = S_LOADED;
		} else {
			e->state = S_NONE;   /* loaded again on its next run */
		}
	}
	free(q);
}

static void
on_evalsha(redisAsyncContext *ac, void *r, void *arg)
{
	sreq *q = arg;
	lv_bscript *sc = q->sc;
	redisReply *reply = r;
	if (reply && reply->type == REDIS_REPLY_ERROR && reply->str &&
	    strncmp(reply->str, "NOSCRIPT", 8) == 0) {
		r = NULL;   /* as if the connection went: the caller sends it again */
		if (q->gen == sc->gen) {
			forget(sc);
			if (!sc->told && sc->lost) {
				sc->told = true;
				sc->lost(sc->arg);
			}
		}
	}
	if (q->fn)
		q->fn(ac, r, q->priv);
	free(q);
}

static sentry *
entry_of(lv_bscript *sc, const char *script)
{
	for (size_t i = 0; i < sc->n; i++)
		if (sc->s[i].text == script)
			return &sc->s[i];
	if (sc->n == SCRIPTS_MAX)
		return NULL;   /* more scripts than this holds: those run with EVAL */
	sc->s[sc->n] = (sentry){ .text = script };
	return &sc->s[sc->n++];
}

/* cmd: hiredis' formatting of the arguments ("*N\r\n" then each). */
static int
send_formatted(lv_bscript *sc, redisCallbackFn *fn, void *priv, const char *script,
               const char *cmd, size_t len)
{
	const char *nl = len > 1 && cmd[0] == '*' ? memchr(cmd, '\n', len) : NULL;
	if (!nl)
		return LV_EUNAVAILABLE;
	long argc = strtol(cmd + 1, NULL, 10);
	const char *args = nl + 1;
	size_t alen = len - (size_t)(args - cmd);
	sentry *e = entry_of(sc, script);
	if (e && e->state == S_NONE) {
		sreq *lq = malloc(sizeof *lq);
		if (lq) {
			*lq = (sreq){ sc, sc->gen, (size_t)(e - sc->s), NULL, NULL };
			if (redisAsyncCommand(sc->ac, on_loaded, lq, "SCRIPT LOAD %s", script) == REDIS_OK)
				e->state = S_LOADING;
			else
				free(lq);
		}
	}
	bool sha = e && e->state == S_LOADED;
	size_t tl = sha ? 40 : strlen(script);
	char head[96];
	int hl = snprintf(head, sizeof head, "*%ld\r\n$%s\r\n%s\r\n$%zu\r\n", argc + 3,
	                  sha ? "7" : "4", sha ? "EVALSHA" : "EVAL", tl);
	static const char keys[] = "\r\n$1\r\n0\r\n";
	size_t total = (size_t)hl + tl + sizeof keys - 1 + alen;
	char *out = malloc(total);
	if (!out)
		return LV_ENOMEM;
	memcpy(out, head, (size_t)hl);
	memcpy(out + hl, sha ? e->sha : script, tl);
	memcpy(out + hl + tl, keys, sizeof keys - 1);
	memcpy(out + hl + tl + sizeof keys - 1, args, alen);
	sreq *q = NULL;
	if (sha) {
		if (!(q = malloc(sizeof *q))) {
			free(out);
			return LV_ENOMEM;
		}
		*q = (sreq){ sc, sc->gen, (size_t)(e - sc->s), fn, priv };
	}
	int rc = sha ? redisAsyncFormattedCommand(sc->ac, on_evalsha, q, out, total)
	             : redisAsyncFormattedCommand(sc->ac, fn, priv, out, total);
	free(out);
	if (rc != REDIS_OK) {
		free(q);
		return LV_EUNAVAILABLE;
	}
	return 0;
}

int
lv__bscript_run(lv_bscript *sc, redisCallbackFn *fn, void *priv, const char *script,
                const char *fmt, ...)
{
	if (!sc || !sc->ac)
		return LV_EUNAVAILABLE;
	char *cmd = NULL;
	va_list ap;
	va_start(ap, fmt);
	int len = redisvFormatCommand(&cmd, fmt, ap);
	va_end(ap);
	if (len < 0 || !cmd)
		return LV_ENOMEM;
	int rc = send_formatted(sc, fn, priv, script, cmd, (size_t)len);
	redisFreeCommand(cmd);
	return rc;
}

int
lv__bscript_runv(lv_bscript *sc, redisCallbackFn *fn, void *priv, const char *script,
                 int argc, const char **argv, const size_t *lens)
{
	if (!sc || !sc->ac)
		return LV_EUNAVAILABLE;
	char *cmd = NULL;
	int len = redisFormatCommandArgv(&cmd, argc, argv, lens);
	if (len < 0 || !cmd)
		return LV_ENOMEM;
	int rc = send_formatted(sc, fn, priv, script, cmd, (size_t)len);
	redisFreeCommand(cmd);
	return rc;
}
