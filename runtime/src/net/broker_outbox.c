/* broker_outbox.c - the reliable group pushes sent to Redis and not yet answered, oldest first (broker_outbox.h). */
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "net/broker_outbox.h"

lv_bpush *
lv__boutbox_add(lv_boutbox *o, const char *group, lv_msg *m)
{
	size_t gl = group ? strlen(group) : 0;
	lv_bpush *p = malloc(sizeof *p + gl + 1);
	if (!p)
		return NULL;
	p->next = NULL;
	p->id = ++o->last_id;
	p->at_us = lv__now_us();
	p->m = lv__msg_ref(m);
	memcpy(p->group, group ? group : "", gl + 1);
	if (o->tail)
		o->tail->next = p;
	else
		o->head = p;
	o->tail = p;
	o->n++;
	o->bytes += m->len;
	return p;
}

void
lv__boutbox_pop(lv_boutbox *o)
{
	lv_bpush *p = o->head;
	if (!p)
		return;
	o->head = p->next;
	if (!o->head)
		o->tail = NULL;
	o->n--;
	o->bytes -= p->m->len;
	lv__msg_unref(p->m);
	free(p);
}

void
lv__boutbox_answered(lv_boutbox *o, uint64_t id)
{
	if (o->head && o->head->id == id)
		lv__boutbox_pop(o);
}

void
lv__boutbox_clear(lv_boutbox *o)
{
	while (o->head)
		lv__boutbox_pop(o);
}
