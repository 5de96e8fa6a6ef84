/* broker_session_priv.h - what broker_session.c and broker_session_relink.c share: a session's part on this node and the module's own state. */
#ifndef LV_BROKER_SESSION_PRIV_H
#define LV_BROKER_SESSION_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "net/net.h"
#include "net/broker_session.h"

typedef struct {
	char *name;
	uint64_t off;
} sgroup;

/* A message of the page's, and what its record's answer needs. */
typedef struct lv_bss_wreq {
	lv_bsess *st;
	lv_conn *c;                 /* referenced (NULL while held) */
	uint32_t gen;
	char op;
	uint64_t seq, call_id;
	size_t len;
	char text[];                /* an inbound message, run once recorded */
} lv_bss_wreq;

typedef struct {
	uint64_t id, seq;
} lv_bss_call;

/* A session's part here. */
struct lv_ssess {
	lv_bsess *st;
	uint64_t fence;
	uint64_t acked_sent;
	int64_t touched_us;
	sgroup *g;
	uint32_t ng, capg;
	/* calls begun and not answered yet (the record's r:ID) */
	lv_bss_call *calls;
	uint32_t ncalls, capcalls;
	/* Redis may have missed writes (a link went): the record is written
	 * again whole once Redis is back (broker_session_relink.c) */
	bool dirty;
	bool rewriting;             /* that write is on its way */
	char epoch[72];             /* Redis' epoch when it went dirty ("": unknown) */
	int64_t dirty_us;
	lv_bss_wreq **held;         /* the page's messages meanwhile, oldest first */
	uint32_t nheld, capheld;
	size_t heldbytes;
};

struct lv_bsess {
	lv_server *s;
	lv_broker *b;
	lv_bhist *h;
	const char *node;
	lv_bsess_join_fn join;
	redisAsyncContext *ac;
	int64_t away_us;            /* since when Redis is away (0 while up) */
	uint32_t gen;
	lv_bscript *sc;             /* the broker's scripts */
};

/* broker_session.c */
sgroup *lv__bss_group_find(struct lv_ssess *ss, const char *name);
char *lv__bss_roles_text(const lv_conn *c);
uint32_t lv__bss_ttl_ms(const lv_bsess *st);
/* The session goes from here: another node has it (4409). */
void lv__bss_lost(lv_bsess *st, lv_conn *c, const char *why);
/* The session can no longer follow its record: it stays on this node
 * alone; what the page sent meanwhile runs here now. */
void lv__bss_unkept(lv_bsess *st, lv_conn *c, const char *why);
void lv__bss_free(lv_conn *c);
/* The conns with a session part or a token, each referenced; n of them. */
lv_conn **lv__bss_sessions(lv_bsess *st, uint32_t *n);

/* broker_session_relink.c */
/* What was on its way to Redis may be lost: from now until the record is
 * written again, nothing more is written for it, the socket is held, and
 * the page's messages wait (lv__bss_hold). */
void lv__bss_dirty(lv_bsess *st, lv_conn *c);
/* A message of the page's waits for the record; q is taken (beyond the
 * bound the session goes local and q runs here). */
void lv__bss_hold(lv_bsess *st, lv_conn *c, lv_bss_wreq *q);
/* Redis is back: the record is written again, or the session stays here. */
void lv__bss_relink(lv_bsess *st, lv_conn *c);
/* Runs (in order) and frees what waited: the record has it now, or the
 * session went local. */
void lv__bss_run_held(lv_conn *c, lv_bss_wreq **held, uint32_t n);
/* Dirty sessions that waited too long stay here (each heartbeat). */
void lv__bss_tick(lv_bsess *st);
/* A call begun; answered (its ret queued). */
void lv__bss_call_begun(struct lv_ssess *ss, uint64_t id, uint64_t seq);
void lv__bss_call_answered(struct lv_ssess *ss, uint64_t id);

#endif
