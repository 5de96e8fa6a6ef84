/* net_stubs.c - the network calls that generated code names (typed
 * senders, rpc answers, the stub handlers' lv_call_fail), for targets that
 * link only liblv-codec.a: nothing in them runs, so each aborts. */
#include <stdlib.h>

#include "lv_abi.h"

int
lv_call_fail(lv_call *call, int status, const char *fmt, ...)
{
	(void)call, (void)status, (void)fmt;
	abort();
}

int
lv_call_reply(lv_call *call, const void *result)
{
	(void)call, (void)result;
	abort();
}

int
lv_conn_push(lv_conn *conn, const lv_endpoint *ep, const void *args)
{
	(void)conn, (void)ep, (void)args;
	abort();
}

int
lv_conn_push_id(lv_server *server, const char *conn_id, const lv_endpoint *ep, const void *args)
{
	(void)server, (void)conn_id, (void)ep, (void)args;
	abort();
}

int
lv_group_push(lv_server *server, const char *group, const lv_endpoint *ep, const void *args)
{
	(void)server, (void)group, (void)ep, (void)args;
	abort();
}
