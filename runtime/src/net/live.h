/* live.h - what live.c and live_edit.c share of a state's copy: its
 * record, and the flush a recorded change asks for; and what a broker
 * that shares states between nodes (broker.h: state_open ...) calls back
 * with. Private to net/. */
#ifndef LV_NET_LIVE_H
#define LV_NET_LIVE_H

#include "net/net.h"
#include "state/state.h"

struct lv_state {
	lv_hnode node;              /* first: the server's table */
	lv_server *server;
	const lv_state_def *def;
	char *group;                /* scope group: its name */
	lv_conn *conn;              /* scope conn, and client states */
	lv_state *conn_next;        /* the connection's copies */
	lv_sdoc doc;
	lv_timer *timer;            /* the flush to come */
	bool shared;                /* kept in the broker too: its revisions are the broker's */
	bool loading;               /* shared: its value is on its way from the broker */
};

/* A change was recorded: starts the flush its declaration asks for. */
int lv__state_changed(lv_state *st);

/* ---- a shared copy, from the broker (on the loop thread) -------------------- */

/* The broker's value of st at rev (doc taken; NULL: the zero value)
 * replaces st's; the pages are not told. Changes recorded and not yet
 * flushed are appended to held (operations, comma-separated, no
 * brackets) and forgotten: lv__state_loaded records them again. */
void lv__state_reset(lv_state *st, uint64_t rev, json_t *doc, lv_buf *held);
/* Revision rev of st from the broker: ops applied to the copy (NULL: not
 * applied, as a patch of this node's own is already), then body (a page
 * message, NULL: none) queued on the pages here that see st. A patch that
 * does not apply is logged and skipped, and those pages get a snapshot
 * instead. */
void lv__state_remote(lv_state *st, uint64_t rev, const json_t *ops, const char *body, size_t len);
/* st is the broker's again: loading ends, the held operations (as
 * lv__state_reset left them; NULL: none) are recorded again on top (and
 * flushed as the state's declaration says), and the pages here that see
 * st get a snapshot when tell_pages. */
void lv__state_loaded(lv_state *st, const char *held, size_t len, bool tell_pages);

#endif
