/* msg.c - outbound messages: shared, reference-counted JSON text, and
 * the frame each becomes on one session. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

/* ---- messages --------------------------------------------------------------- */

lv_msg *
lv__msg_alloc(size_t n, lv_msg_kind kind)
{
	lv_msg *m = malloc(sizeof *m + n + 1);
	if (!m)
		return NULL;
	atomic_init(&m->refs, 1);
	m->kind = kind;
	m->len = n;
	m->goff = 0;
	m->group = NULL;
	m->data[n] = '\0';
	return m;
}

lv_msg *
lv__msg_new(const char *payload, size_t n, lv_msg_kind kind)
{
	lv_msg *m = lv__msg_alloc(n, kind);
	if (m)
		memcpy(m->data, payload, n);
	return m;
}

lv_msg *
lv__msg_ref(lv_msg *m)
{
	atomic_fetch_add(&m->refs, 1);
	return m;
}

void
lv__msg_unref(lv_msg *m)
{
	if (m && atomic_fetch_sub(&m->refs, 1) == 1)
		free(m);
}

/* The frame of a queued message: header, then {"seq":N, and the message
 * from its second byte when it is numbered. Returns the bytes written. */
size_t
lv__frame_len(const lv_qent *e, char *prefix, size_t *prefix_len)
{
	*prefix_len = 0;
	if (e->seq) {
		memcpy(prefix, "{\"seq\":", 7);
		size_t n = 7 + lv__u64_dec(prefix + 7, e->seq);
		if (e->m->len > 2)
			prefix[n++] = ',';   /* "{}" takes no comma after the number */
		*prefix_len = n;
	}
	size_t n = e->seq ? *prefix_len + e->m->len - 1 : e->m->len;
	return (n < 126 ? 2 : n < 65536 ? 4 : 10) + n;
}

void
lv__put_frame(unsigned char *out, const lv_qent *e, const char *prefix, size_t prefix_len)
{
	size_t n = e->seq ? prefix_len + e->m->len - 1 : e->m->len;
	size_t h = 2;
	out[0] = 0x81;               /* FIN, text */
	if (n < 126) {
		out[1] = (unsigned char)n;
	} else if (n < 65536) {
		out[1] = 126;
		out[2] = (unsigned char)(n >> 8);
		out[3] = (unsigned char)n;
		h = 4;
	} else {
		out[1] = 127;
		for (int i = 0; i < 8; i++)
			out[2 + i] = (unsigned char)((uint64_t)n >> (56 - 8 * i));
		h = 10;
	}
	if (e->seq) {
		memcpy(out + h, prefix, prefix_len);
		memcpy(out + h + prefix_len, e->m->data + 1, e->m->len - 1);
	} else {
		memcpy(out + h, e->m->data, e->m->len);
	}
}

