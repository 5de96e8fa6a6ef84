/* live.h - what live.c and live_edit.c share of a state's copy: its
 * record, and the flush a recorded change asks for. Private to net/. */
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
};

/* A change was recorded: starts the flush its declaration asks for. */
int lv__state_changed(lv_state *st);

#endif
