/* broker_script.h - the Redis broker's Lua scripts, each loaded once per command connection and then run by its SHA1 (EVALSHA) rather than sent whole.
 *
 * broker_redis.c makes one lv_bscript and gives it the command
 * connection while Redis is up; every file that runs a script does it
 * through lv__bscript_run. The first run of a script on a connection
 * sends SCRIPT LOAD for it and runs it with EVAL; once Redis answered the
 * load, runs are EVALSHA. A Redis that restarted is a new connection,
 * where each script loads again. A NOSCRIPT answer (Redis lost its
 * scripts under a live connection: SCRIPT FLUSH, a proxy that moved to
 * another server) is taken as a lost connection: the caller's callback
 * gets no reply (NULL), as when the connection goes, and `lost` is called
 * once, for the broker to drop the connection and connect again; what
 * it had on its way is then sent again as after any lost connection. */
#ifndef LV_BROKER_SCRIPT_H
#define LV_BROKER_SCRIPT_H

#include <stddef.h>

#include <async.h>

typedef struct lv_bscript lv_bscript;

lv_bscript *lv__bscript_new(void (*lost)(void *arg), void *arg);
/* After the connection it had is freed (its callbacks ran). */
void lv__bscript_free(lv_bscript *sc);
/* The command connection is up; it is lost (what was loaded is forgotten). */
void lv__bscript_up(lv_bscript *sc, redisAsyncContext *ac);
void lv__bscript_down(lv_bscript *sc);
/* Runs `script` (a string that lives as long as the program: its address
 * is its name here) with no keys and the arguments fmt makes, as
 * redisAsyncCommand's fmt does (at least one). fn gets the reply, as
 * from redisAsyncCommand. 0, or LV_EUNAVAILABLE: Redis is not up, or the
 * command could not be queued (fn is not called). */
int lv__bscript_run(lv_bscript *sc, redisCallbackFn *fn, void *priv, const char *script,
                    const char *fmt, ...);
/* The same with the arguments given as argv and their lengths (NULL:
 * strlen). */
int lv__bscript_runv(lv_bscript *sc, redisCallbackFn *fn, void *priv, const char *script,
                     int argc, const char **argv, const size_t *lens);

#endif
