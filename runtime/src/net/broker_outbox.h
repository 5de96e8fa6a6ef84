/* broker_outbox.h - the reliable group pushes a node has sent to Redis and not yet seen answered, in the order sent, to send again after a reconnect.
 *
 * Pushes on one connection run in the order they were sent, so an entry
 * is answered when it is the oldest; one the connection lost without an
 * answer may have run or not, and is sent again, once Redis is back, with
 * its id, which the publishing script compares with the last id it ran
 * for this process (broker_history.c): never twice, never lost unseen. */
#ifndef LV_BROKER_OUTBOX_H
#define LV_BROKER_OUTBOX_H

#include <stdint.h>

typedef struct lv_bpush {
	struct lv_bpush *next;
	uint64_t id;                /* this process's pushes: 1, 2, ... */
	int64_t at_us;              /* when the handler pushed it */
	lv_msg *m;                  /* a reference */
	char group[];               /* "" for every page */
} lv_bpush;

typedef struct {
	lv_bpush *head, *tail;
	uint32_t n;
	size_t bytes;
	uint64_t last_id;
} lv_boutbox;

/* Appends a push of m to group (NULL: every page): the entry, or NULL
 * when out of memory. */
lv_bpush *lv__boutbox_add(lv_boutbox *o, const char *group, lv_msg *m);
/* The oldest entry is answered: dropped, if it is id. */
void lv__boutbox_answered(lv_boutbox *o, uint64_t id);
/* Drops the oldest entry. */
void lv__boutbox_pop(lv_boutbox *o);
void lv__boutbox_clear(lv_boutbox *o);

#endif
