/* store_wake.h - when a store's changes are read on the loop: every
 * period, and as soon as the store's wake-up (PostgreSQL's LISTEN socket)
 * is readable; store_wake.c. */
#ifndef LV_NET_STORE_WAKE_H
#define LV_NET_STORE_WAKE_H

#include "model/model.h"
#include "net/net.h"

typedef struct lv_store_wake lv_store_wake;

/* Calls read(arg) every ms and, on a store with a wake-up (wait_fd), as
 * soon as its descriptor is readable, watched on the server's loop (lws'
 * poll, libuv or libev, fdwatch.c). After each read the store is asked for the
 * descriptor again: a connection made again has another, which is then
 * watched instead, and while it has none the period alone reads. 0, or a
 * status (the timer could not start, out of memory). */
int lv__store_wake_new(lv_server *s, lv_store *st, uint32_t ms, void (*read)(void *arg),
                       void *arg, lv_store_wake **out);
/* Reads now, as the period and the wake-up do (a write through lv). */
void lv__store_wake_read(lv_store_wake *w);
/* The loop is ending: the descriptor is no longer watched, nor watched
 * again (reads still run when called). */
void lv__store_wake_off(lv_store_wake *w);
void lv__store_wake_free(lv_store_wake *w);

#endif
