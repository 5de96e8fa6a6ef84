/* store_wake.c - when a store's changes are read on the loop: a timer of
 * the period, and the store's wake-up descriptor watched with fdwatch.c,
 * watched again whenever the store has made its connection again.
 *
 * Invariants: fw, when set, watches the descriptor fd, which was the file
 * dev/ino when the watch began (a descriptor number closed and reused is
 * another socket: it is told apart by the file); off is for ever. */
#include <stdlib.h>
#include <sys/stat.h>

#include "net/store_wake.h"

struct lv_store_wake {
	lv_server *server;
	lv_store *store;
	void (*read)(void *arg);
	void *arg;
	lv_timer *timer;
	lv_fdwatch *fw;
	int fd;
	dev_t dev;
	ino_t ino;
	bool off;
	bool said;                  /* the warning that it cannot be watched is out */
};

static void on_fd(void *arg, int events);

/* Watches the store's descriptor, if it has one now, unless the watch is
 * on it already; one that went is no longer watched. */
static void
rewatch(lv_store_wake *w)
{
	if (w->off)
		return;
	const lv_store_ops *ops = w->store->ops;
	int fd = ops->wait_fd ? ops->wait_fd(w->store) : -1;
	struct stat st;
	bool is = fd >= 0 && fstat(fd, &st) == 0;
	if (w->fw && is && fd == w->fd && st.st_dev == w->dev && st.st_ino == w->ino)
		return;
	lv__fdwatch_free(w->fw);
	w->fw = NULL;
	if (!is)
		return;
	if (!(w->fw = lv__fdwatch_new(w->server, fd, on_fd, w))) {
		if (!w->said)
			LV_LOG(w->server, LV_LOG_WARN, "models: the %s store's wake-up cannot be watched "
			       "on the loop: other processes' writes are seen by polling", ops->name);
		w->said = true;
		return;
	}
	w->fd = fd;
	w->dev = st.st_dev;
	w->ino = st.st_ino;
}

void
lv__store_wake_read(lv_store_wake *w)
{
	w->read(w->arg);
	rewatch(w);   /* the read may have made the store's connection again */
}

/* Readable: another connection committed, or the store's connection
 * ended, which the read finds (and makes again). Gone: the loop watches
 * it no more; the read and rewatch watch what the store has then. */
static void
on_fd(void *arg, int events)
{
	lv_store_wake *w = arg;
	if (events & LV_FD_GONE) {
		lv__fdwatch_free(w->fw);
		w->fw = NULL;
	}
	lv__store_wake_read(w);
}

static void
tick(lv_server *s, lv_timer *t, void *arg)
{
	(void)s;
	(void)t;
	lv__store_wake_read(arg);
}

int
lv__store_wake_new(lv_server *s, lv_store *st, uint32_t ms, void (*read)(void *arg), void *arg,
                   lv_store_wake **out)
{
	*out = NULL;
	lv_store_wake *w = calloc(1, sizeof *w);
	if (!w)
		return LV_ENOMEM;
	w->server = s;
	w->store = st;
	w->read = read;
	w->arg = arg;
	int rc = lv_timer_start(s, ms, true, tick, w, &w->timer);
	if (rc) {
		free(w);
		return rc;
	}
	rewatch(w);
	*out = w;
	return 0;
}

void
lv__store_wake_off(lv_store_wake *w)
{
	if (!w)
		return;
	w->off = true;
	lv__fdwatch_free(w->fw);
	w->fw = NULL;
}

void
lv__store_wake_free(lv_store_wake *w)
{
	if (!w)
		return;
	lv__store_wake_off(w);
	lv_timer_stop(w->timer);
	free(w);
}
