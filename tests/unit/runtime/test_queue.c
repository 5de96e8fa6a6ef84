/* test_queue.c - net/msg.c and net/conn.c: messages and their frames, the outbound queue ring (wrap-around, growth, acks, overflow of volatile and reliable messages, control messages first), the writer, and detached sessions with their bounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "net/net.h"

/* ---- libwebsockets, stood in for at link time ------------------------------------
 * The queue asks lws for writes and writes through it; these definitions
 * in the test binary take the place of the shared library's, so a
 * connection can have a "socket" (WSI) with no context behind it. */

static char fake_socket;
#define WSI ((struct lws *)&fake_socket)

static int writable_asks;        /* lws_callback_on_writable calls */
static unsigned char wire[1 << 18]; /* what lws_write was given, in order */
static size_t wire_len;
static int writes;
static int close_status;
static lv_conn *wsi_owner;       /* what lws_wsi_user(WSI) points at */

size_t
lws_get_random(struct lws_context *context, void *buf, size_t len)
{
	static uint64_t x = 0x9e3779b97f4a7c15u;
	(void)context;
	for (size_t i = 0; i < len; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		((unsigned char *)buf)[i] = (unsigned char)x;
	}
	return len;
}

int
lws_callback_on_writable(struct lws *wsi)
{
	cr_assert_eq(wsi, WSI);
	writable_asks++;
	return 1;
}

int
lws_write(struct lws *wsi, unsigned char *buf, size_t len, enum lws_write_protocol wp)
{
	cr_assert_eq(wsi, WSI);
	cr_assert_eq(wp, LWS_WRITE_RAW);
	cr_assert_leq(wire_len + len, sizeof wire);
	memcpy(wire + wire_len, buf, len);
	wire_len += len;
	writes++;
	return (int)len;
}

void
lws_close_reason(struct lws *wsi, enum lws_close_status status, unsigned char *buf, size_t len)
{
	(void)wsi, (void)buf, (void)len;
	close_status = (int)status;
}

void *
lws_wsi_user(struct lws *wsi)
{
	cr_assert_eq(wsi, WSI);
	return &wsi_owner;
}

/* ---- a server and pages, built by hand ------------------------------------------ */

static lv_server *
server(uint32_t max_queue, size_t max_queue_bytes)
{
	lv_server *s = calloc(1, sizeof *s);
	cr_assert(s);
	s->opt.max_queue = max_queue ? max_queue : 4096;
	s->opt.max_queue_bytes = max_queue_bytes ? max_queue_bytes : 8u << 20;
	s->opt.max_detached = 10000;
	s->opt.max_detached_bytes = 64u << 20;
	s->log.level = LV_LOG_DEFAULT;   /* quiet: the overflow warning is expected */
	s->wbuf = malloc(LWS_PRE + LV_WBUF);
	s->broker = lv__broker_local(s);
	cr_assert(s->wbuf && s->broker);
	writable_asks = writes = close_status = 0;
	wire_len = 0;
	wsi_owner = NULL;
	return s;
}

static void
server_free(lv_server *s)
{
	while (s->conns)
		lv__conn_end(s->conns);
	cr_expect_eq(s->nconns, 0);
	cr_expect_eq(s->npages, 0);
	cr_expect_eq(s->ndetached, 0);
	cr_expect_eq(s->detached_bytes, 0);
	s->broker->ops->free(s->broker);
	free(s->wbuf);
	free(s);
}

/* A page that said hello and has a session (a resume token). */
static lv_conn *
page(lv_server *s, struct lws *wsi)
{
	lv_conn *c = lv__conn_new(s, wsi);
	cr_assert(c);
	c->hello = true;
	s->npages++;
	cr_assert_eq(lv__session_begin(c), 0);
	return c;
}

static lv_msg *
msg(lv_msg_kind kind, const char *text)
{
	lv_msg *m = lv__msg_new(text, strlen(text), kind);
	cr_assert(m);
	return m;
}

/* Queues a new message of that kind and text, keeping no reference. */
static int
queue(lv_conn *c, lv_msg_kind kind, const char *text)
{
	lv_msg *m = msg(kind, text);
	int rc = lv__conn_queue(c, m);
	lv__msg_unref(m);
	return rc;
}

static lv_qent *
ent(lv_conn *c, uint32_t i)
{
	cr_assert_lt(i, c->qlen);
	return &c->q[(c->qhead + i) % c->qcap];
}

static int
refs(lv_msg *m)
{
	return atomic_load(&m->refs);
}

/* What the frames written so far say, one text per frame, "|" between. */
static const char *
frames(void)
{
	static char out[1 << 18];
	size_t o = 0, i = 0;
	out[0] = '\0';
	while (i < wire_len) {
		cr_assert_eq(wire[i], 0x81, "a FIN text frame");
		size_t n = wire[i + 1], h = 2;
		if (n == 126) {
			n = (size_t)wire[i + 2] << 8 | wire[i + 3];
			h = 4;
		} else if (n == 127) {
			n = 0;
			for (int k = 0; k < 8; k++)
				n = n << 8 | wire[i + 2 + k];
			h = 10;
		}
		if (o)
			out[o++] = '|';
		cr_assert_lt(o + n, sizeof out);
		memcpy(out + o, wire + i + h, n);
		o += n;
		out[o] = '\0';
		i += h + n;
	}
	cr_assert_eq(i, wire_len, "frames end where the writes do");
	return out;
}

static void
written(void)
{
	wire_len = 0;
	writes = 0;
}

/* ---- messages and frames --------------------------------------------------------- */

Test(msg, copies_the_payload_and_counts_references)
{
	char text[] = "{\"t\":\"x\"}";
	lv_msg *m = lv__msg_new(text, strlen(text), LV_MSG_VOLATILE);
	text[1] = '!';
	cr_expect_str_eq(m->data, "{\"t\":\"x\"}");
	cr_expect_eq(m->len, 9);
	cr_expect_eq(m->kind, LV_MSG_VOLATILE);
	cr_expect_eq(refs(m), 1);
	cr_expect_eq(lv__msg_ref(m), m);
	cr_expect_eq(refs(m), 2);
	lv__msg_unref(m);
	cr_expect_eq(refs(m), 1);
	lv__msg_unref(m);
	lv__msg_unref(NULL);   /* allowed */

	lv_msg *a = lv__msg_alloc(3, LV_MSG_CONTROL);
	memcpy(a->data, "{ }", 3);
	cr_expect_eq(a->data[3], '\0', "a NUL after the bytes");
	lv__msg_unref(a);
}

/* The frame of entry e, decoded by the test's reader. */
static const char *
frame_of(lv_msg *m, uint64_t seq, size_t *len, size_t *header)
{
	static unsigned char out[70000 + 64];
	char prefix[32];
	size_t plen;
	lv_qent e = { m, seq };
	*len = lv__frame_len(&e, prefix, &plen);
	cr_assert_leq(*len, sizeof out);
	lv__put_frame(out, &e, prefix, plen);
	written();
	memcpy(wire, out, *len);
	wire_len = *len;
	*header = out[1] < 126 ? 2 : out[1] == 126 ? 4 : 10;
	return frames();
}

Test(msg, frames_put_the_seq_in_front_of_a_numbered_message)
{
	lv_msg *m = msg(LV_MSG_RELIABLE, "{\"t\":\"push\",\"v\":1}");
	size_t len, h;
	cr_expect_str_eq(frame_of(m, 0, &len, &h), "{\"t\":\"push\",\"v\":1}");
	cr_expect_eq(len, 2 + m->len);
	cr_expect_str_eq(frame_of(m, 7, &len, &h), "{\"seq\":7,\"t\":\"push\",\"v\":1}");
	cr_expect_str_eq(frame_of(m, UINT64_MAX, &len, &h),
	                 "{\"seq\":18446744073709551615,\"t\":\"push\",\"v\":1}");
	cr_expect_eq(len, 2 + strlen("{\"seq\":18446744073709551615,\"t\":\"push\",\"v\":1}"));
	lv__msg_unref(m);
	/* An empty object numbered is still JSON: no comma after the number. */
	lv_msg *e = msg(LV_MSG_RELIABLE, "{}");
	cr_expect_str_eq(frame_of(e, 3, &len, &h), "{\"seq\":3}");
	cr_expect_eq(len, 2 + strlen("{\"seq\":3}"));
	lv__msg_unref(e);
}

Test(msg, frame_headers_at_the_length_bounds)
{
	/* 125 bytes: a 2-byte header; 126 and 65535: 4; 65536: 10. */
	size_t sizes[] = { 2, 125, 126, 127, 65535, 65536, 70000 };
	size_t heads[] = { 2, 2, 4, 4, 4, 10, 10 };
	char *text = malloc(70001);
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		size_t n = sizes[i];
		text[0] = '{';
		memset(text + 1, ' ', n - 2);
		text[n - 1] = '}';
		lv_msg *m = lv__msg_new(text, n, LV_MSG_VOLATILE);
		size_t len, h;
		const char *f = frame_of(m, 0, &len, &h);
		cr_expect_eq(h, heads[i], "%zu bytes: header %zu", n, h);
		cr_expect_eq(len, h + n);
		cr_expect_eq(strlen(f), n);
		cr_expect_eq(memcmp(f, text, n), 0);
		lv__msg_unref(m);
	}
	/* A numbered message crosses the bound by its prefix: {"seq":1, is 9
	 * bytes in place of the brace, so 117 bytes make 125 and 118 make 126. */
	for (size_t n = 117; n <= 118; n++) {
		text[0] = '{';
		memset(text + 1, ' ', n - 2);
		text[n - 1] = '}';
		lv_msg *m = lv__msg_new(text, n, LV_MSG_RELIABLE);
		size_t len, h;
		const char *f = frame_of(m, 1, &len, &h);
		cr_expect_eq(h, n == 117 ? 2 : 4);
		cr_expect_eq(len, h + n + 8);
		cr_expect_eq(strncmp(f, "{\"seq\":1, ", 10), 0);
		lv__msg_unref(m);
	}
	free(text);
}

/* ---- the ring ------------------------------------------------------------------ */

Test(queue, numbers_reliable_messages_of_a_session_only)
{
	lv_server *s = server(0, 0);
	lv_conn *c = page(s, WSI);
	cr_expect_eq(queue(c, LV_MSG_RELIABLE, "{\"a\":1}"), 0);
	cr_expect_eq(queue(c, LV_MSG_VOLATILE, "{\"b\":1}"), 0);
	cr_expect_eq(queue(c, LV_MSG_CONTROL, "{\"c\":1}"), 0);
	cr_expect_eq(queue(c, LV_MSG_RELIABLE, "{\"d\":1}"), 0);
	cr_expect_eq(c->qlen, 4);
	cr_expect_eq(ent(c, 0)->seq, 1);
	cr_expect_eq(ent(c, 1)->seq, 0);
	cr_expect_eq(ent(c, 2)->seq, 0);
	cr_expect_eq(ent(c, 3)->seq, 2);
	cr_expect_eq(c->out_seq, 2);
	cr_expect_eq(c->qbytes, 4 * 7);

	/* Without a token (no session yet) nothing is numbered. */
	lv_conn *bare = lv__conn_new(s, WSI);
	cr_expect_eq(queue(bare, LV_MSG_RELIABLE, "{\"a\":1}"), 0);
	cr_expect_eq(ent(bare, 0)->seq, 0);
	cr_expect_eq(bare->out_seq, 0);
	server_free(s);
}

Test(queue, asks_for_a_write_when_the_first_unwritten_message_arrives)
{
	lv_server *s = server(0, 0);
	lv_conn *c = page(s, WSI);
	queue(c, LV_MSG_RELIABLE, "{\"a\":1}");
	cr_expect_eq(writable_asks, 1);
	queue(c, LV_MSG_RELIABLE, "{\"a\":2}");
	cr_expect_eq(writable_asks, 1, "one ask covers the rest");
	cr_expect_eq(lv__conn_writable(c), 0);
	cr_expect_eq(c->qsent, 2);
	int asks = writable_asks;
	queue(c, LV_MSG_RELIABLE, "{\"a\":3}");
	cr_expect_eq(writable_asks, asks + 1);
	server_free(s);
}

Test(queue, the_ring_wraps_past_its_capacity)
{
	lv_server *s = server(0, 0);
	lv_conn *c = page(s, WSI);
	char text[64];
	uint64_t next_write = 1;
	/* 1000 messages, never more than 6 in the ring: it keeps 8 slots,
	 * its head going round and round. */
	for (int i = 1; i <= 1000; i++) {
		snprintf(text, sizeof text, "{\"i\":%d}", i);
		cr_assert_eq(queue(c, LV_MSG_RELIABLE, text), 0);
		if (i % 6 == 0) {
			written();
			cr_assert_eq(lv__conn_writable(c), 0);
			/* What went out is numbered in order, from where the last write stopped. */
			char want[64];
			snprintf(want, sizeof want, "{\"seq\":%llu,\"i\":%llu}",
			         (unsigned long long)next_write, (unsigned long long)next_write);
			cr_assert_eq(strncmp(frames(), want, strlen(want)), 0, "%s", frames());
			next_write = (uint64_t)i + 1;
			lv__conn_acked(c, (uint64_t)i);
			cr_assert_eq(c->qlen, 0);
		}
	}
	cr_expect_eq(c->qcap, 8, "never grown");
	cr_expect_eq(c->out_seq, 1000);
	cr_expect_eq(c->out_acked, 996);
	cr_expect_eq(c->qlen, 4);
	cr_expect_eq(ent(c, 0)->seq, 997);
	cr_expect_eq(ent(c, 3)->seq, 1000);
	cr_expect_eq(c->qbytes, strlen("{\"i\":997}") * 3 + strlen("{\"i\":1000}"));
	server_free(s);
}

Test(queue, grows_in_order_while_wrapped)
{
	lv_server *s = server(0, 0);
	lv_conn *c = page(s, WSI);
	char text[64];
	for (int i = 1; i <= 6; i++) {
		snprintf(text, sizeof text, "{\"i\":%d}", i);
		queue(c, LV_MSG_RELIABLE, text);
	}
	cr_assert_eq(lv__conn_writable(c), 0);
	lv__conn_acked(c, 5);
	cr_assert_eq(c->qhead, 5);
	cr_assert_eq(c->qlen, 1);
	/* 20 more: they wrap past slot 7, then the ring grows (twice) and
	 * must unwrap them in order. */
	for (int i = 7; i <= 26; i++) {
		snprintf(text, sizeof text, "{\"i\":%d}", i);
		cr_assert_eq(queue(c, LV_MSG_RELIABLE, text), 0);
		for (uint32_t k = 0; k < c->qlen; k++)
			cr_assert_eq(ent(c, k)->seq, 6 + k, "after %d: slot %u", i, k);
	}
	cr_expect_eq(c->qcap, 32);
	cr_expect_eq(c->qlen, 21);
	cr_expect_eq(c->qsent, 1);
	for (uint32_t k = 0; k < c->qlen; k++) {
		snprintf(text, sizeof text, "{\"i\":%u}", 6 + k);
		cr_expect_str_eq(ent(c, k)->m->data, text);
	}
	/* The rest go out in order. */
	written();
	cr_assert_eq(lv__conn_writable(c), 0);
	cr_expect_eq(c->qsent, 21);
	cr_expect_eq(strncmp(frames(), "{\"seq\":7,\"i\":7}|{\"seq\":8,\"i\":8}|", 32), 0, "%s", frames());
	server_free(s);
}

Test(queue, acked_entries_are_freed_and_their_bytes_uncounted)
{
	lv_server *s = server(0, 0);
	lv_conn *c = page(s, WSI);
	lv_msg *m[5];
	const char *texts[] = { "{\"a\":1}", "{\"bb\":22}", "{\"ccc\":333}", "{\"d\":4444}", "{\"e\":0}" };
	size_t total = 0;
	for (int i = 0; i < 5; i++) {
		m[i] = msg(LV_MSG_RELIABLE, texts[i]);
		cr_assert_eq(lv__conn_queue(c, m[i]), 0);
		cr_expect_eq(refs(m[i]), 2, "the queue holds one");
		total += m[i]->len;
	}
	cr_expect_eq(c->qbytes, total);
	cr_expect_eq(lv__conn_writable(c), 0);
	lv__conn_acked(c, 3);
	cr_expect_eq(c->qlen, 2);
	cr_expect_eq(c->qsent, 2);
	cr_expect_eq(c->qbytes, m[3]->len + m[4]->len);
	for (int i = 0; i < 3; i++)
		cr_expect_eq(refs(m[i]), 1, "message %d let go", i);
	cr_expect_eq(refs(m[3]), 2);

	/* An older ack changes nothing; an ack past what was sent counts
	 * only up to it. */
	lv__conn_acked(c, 1);
	cr_expect_eq(c->out_acked, 3);
	cr_expect_eq(c->qlen, 2);
	lv__conn_acked(c, 1000);
	cr_expect_eq(c->out_acked, 5);
	cr_expect_eq(c->qlen, 0);
	cr_expect_eq(c->qsent, 0);
	cr_expect_eq(c->qbytes, 0);
	for (int i = 0; i < 5; i++) {
		cr_expect_eq(refs(m[i]), 1);
		lv__msg_unref(m[i]);
	}
	/* Numbers go on from where they were. */
	queue(c, LV_MSG_RELIABLE, "{\"e\":5}");
	cr_expect_eq(ent(c, 0)->seq, 6);
	server_free(s);
}

Test(queue, an_ack_ahead_of_the_writes_lets_go_only_once_written)
{
	lv_server *s = server(0, 0);
	lv_conn *c = page(s, WSI);
	queue(c, LV_MSG_RELIABLE, "{\"a\":1}");
	queue(c, LV_MSG_RELIABLE, "{\"a\":2}");
	/* Numbers not yet given cannot be acknowledged: clamped to out_seq. */
	lv__conn_acked(c, 99);
	cr_expect_eq(c->out_acked, 2);
	/* Nothing unwritten is dropped by it... */
	cr_expect_eq(c->qlen, 2);
	cr_expect_eq(c->qbytes, 14);
	/* ...until it has gone out. */
	cr_expect_eq(lv__conn_writable(c), 0);
	cr_expect_str_eq(frames(), "{\"seq\":1,\"a\":1}|{\"seq\":2,\"a\":2}");
	cr_expect_eq(c->qlen, 0);
	cr_expect_eq(c->qbytes, 0);
	server_free(s);
}

Test(queue, written_volatile_and_control_messages_go_without_an_ack)
{
	lv_server *s = server(0, 0);
	lv_conn *c = page(s, WSI);
	lv_msg *v = msg(LV_MSG_VOLATILE, "{\"v\":1}");
	queue(c, LV_MSG_VOLATILE, "{\"v\":0}");
	queue(c, LV_MSG_RELIABLE, "{\"r\":1}");
	lv__conn_queue(c, v);
	queue(c, LV_MSG_CONTROL, "{\"t\":\"ping\"}");
	cr_expect_eq(lv__conn_writable(c), 0);
	cr_expect_str_eq(frames(), "{\"v\":0}|{\"seq\":1,\"r\":1}|{\"v\":1}|{\"t\":\"ping\"}");
	/* The first volatile went; the reliable one waits for its ack and
	 * holds back what follows it. */
	cr_expect_eq(c->qlen, 3);
	cr_expect_eq(ent(c, 0)->seq, 1);
	lv__conn_acked(c, 1);
	cr_expect_eq(c->qlen, 0);
	cr_expect_eq(c->qbytes, 0);
	cr_expect_eq(refs(v), 1);
	lv__msg_unref(v);
	cr_expect_eq(s->msgs_out, 4);
	server_free(s);
}

/* ---- overflow -------------------------------------------------------------------- */

Test(queue, a_reliable_message_into_a_full_queue_overflows_the_session)
{
	lv_server *s = server(4, 0);
	lv_conn *c = page(s, WSI);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(queue(c, LV_MSG_RELIABLE, "{\"r\":1}"), 0);
	lv_msg *m = msg(LV_MSG_RELIABLE, "{\"r\":5}");
	cr_expect_eq(lv__conn_queue(c, m), LV_EQUEUE_FULL);
	cr_expect_eq(refs(m), 1, "not kept");
	cr_expect(c->overflowed);
	cr_expect_eq(s->closed_slow, 1);
	cr_expect_eq(c->qlen, 4);
	cr_expect_eq(c->out_seq, 4, "no number spent on it");
	/* Closed for cause: 4408, and the session ends with the socket. */
	cr_expect(c->closing);
	cr_expect(c->end_on_close);
	cr_expect_eq(c->close_code, 4408);
	cr_expect_str_eq(c->close_reason, "send queue overflowed: the page reads too slowly");
	/* Nothing more gets in. */
	cr_expect_eq(lv__conn_queue(c, m), LV_ECLOSED);
	cr_expect_eq(queue(c, LV_MSG_VOLATILE, "{}"), LV_ECLOSED);
	cr_expect_eq(c->qlen, 4);
	cr_expect_eq(s->closed_slow, 1);
	/* What is queued is written, then the close. */
	cr_expect_eq(lv__conn_writable(c), 0);
	cr_expect_eq(c->qsent, 4);
	cr_expect_eq(lv__conn_writable(c), -1);
	cr_expect_eq(close_status, 4408);
	/* The socket goes: an overflowed session does not wait to resume. */
	lv__conn_closed(c);
	cr_expect_eq(s->nconns, 0);
	cr_expect_eq(s->ndetached, 0);
	lv__msg_unref(m);
	server_free(s);
}

Test(queue, the_byte_bound_counts_too)
{
	lv_server *s = server(0, 20);
	lv_conn *c = page(s, WSI);
	cr_expect_eq(queue(c, LV_MSG_RELIABLE, "{\"a\":\"123456\"}"), 0);   /* 14 */
	cr_expect_eq(queue(c, LV_MSG_VOLATILE, "{\"b\":1}"), LV_EQUEUE_FULL); /* 21 > 20 */
	cr_expect_not(c->overflowed);
	cr_expect_eq(queue(c, LV_MSG_RELIABLE, "{\"b\":}"), 0);               /* 20: fits */
	cr_expect_eq(queue(c, LV_MSG_RELIABLE, "{}"), LV_EQUEUE_FULL);
	cr_expect(c->overflowed);
	cr_expect_eq(c->qbytes, 20);
	server_free(s);
}

Test(queue, a_volatile_message_into_a_full_queue_is_dropped_and_counted)
{
	lv_server *s = server(3, 0);
	lv_conn *a = page(s, WSI), *b = page(s, WSI);
	for (int i = 0; i < 3; i++)
		queue(a, LV_MSG_RELIABLE, "{\"r\":1}");
	lv_msg *v = msg(LV_MSG_VOLATILE, "{\"v\":1}");
	for (int i = 0; i < 5; i++)
		cr_expect_eq(lv__conn_queue(a, v), LV_EQUEUE_FULL);
	cr_expect_eq(lv__conn_queue(b, v), 0);
	cr_expect_eq(a->dropped, 5);
	cr_expect_eq(b->dropped, 0);
	cr_expect_eq(s->dropped, 5);
	cr_expect_not(a->overflowed);
	cr_expect_not(a->closing);
	cr_expect_eq(a->qlen, 3);
	cr_expect_eq(refs(v), 2, "only b holds it");
	/* Room again after an ack: it gets in. */
	cr_expect_eq(lv__conn_writable(a), 0);
	lv__conn_acked(a, 1);
	cr_expect_eq(lv__conn_queue(a, v), 0);
	cr_expect_eq(a->dropped, 5);
	lv__msg_unref(v);
	server_free(s);
}

Test(queue, a_volatile_message_with_no_socket_is_dropped_and_counted)
{
	lv_server *s = server(0, 0);
	lv_conn *c = page(s, NULL);
	cr_expect_eq(queue(c, LV_MSG_VOLATILE, "{\"v\":1}"), LV_EQUEUE_FULL);
	cr_expect_eq(queue(c, LV_MSG_RELIABLE, "{\"r\":1}"), 0);
	cr_expect_eq(c->dropped, 1);
	cr_expect_eq(s->dropped, 1);
	cr_expect_eq(c->qlen, 1);
	cr_expect_eq(writable_asks, 0, "no socket to ask");
	server_free(s);
}

Test(queue, control_messages_pass_a_full_queue)
{
	lv_server *s = server(2, 0);
	lv_conn *c = page(s, WSI);
	queue(c, LV_MSG_RELIABLE, "{\"r\":1}");
	queue(c, LV_MSG_RELIABLE, "{\"r\":2}");
	cr_expect_eq(queue(c, LV_MSG_CONTROL, "{\"t\":\"ping\"}"), 0);
	cr_expect_eq(c->qlen, 3);
	cr_expect_not(c->overflowed);
	cr_expect_eq(queue(c, LV_MSG_VOLATILE, "{}"), LV_EQUEUE_FULL);
	server_free(s);
}

Test(queue, an_ended_connection_takes_nothing)
{
	lv_server *s = server(0, 0);
	lv_conn *c = lv_conn_ref(page(s, WSI));
	lv_msg *m = msg(LV_MSG_RELIABLE, "{\"r\":1}");
	cr_expect_eq(lv__conn_queue(c, m), 0);
	lv__conn_end(c);
	cr_expect(c->ended);
	cr_expect_eq(c->qlen, 0);
	cr_expect_eq(c->qbytes, 0);
	cr_expect_eq(refs(m), 1, "the queue let go at the end");
	cr_expect_eq(lv__conn_queue(c, m), LV_ECLOSED);
	cr_expect_eq(lv__conn_queue_first(c, m), LV_ECLOSED);
	cr_expect_eq(refs(m), 1);
	lv__conn_end(c);   /* twice: nothing more */
	cr_expect_eq(s->nconns, 0);
	lv_conn_unref(c);
	lv__msg_unref(m);
	server_free(s);
}

/* ---- control messages first ---------------------------------------------------- */

Test(queue, a_control_message_goes_before_everything_unwritten)
{
	lv_server *s = server(0, 0);
	lv_conn *c = page(s, WSI);
	queue(c, LV_MSG_RELIABLE, "{\"r\":1}");
	queue(c, LV_MSG_RELIABLE, "{\"r\":2}");
	cr_assert_eq(lv__conn_writable(c), 0);
	written();
	queue(c, LV_MSG_RELIABLE, "{\"r\":3}");
	queue(c, LV_MSG_VOLATILE, "{\"v\":4}");
	int asks = writable_asks;
	lv_msg *w = msg(LV_MSG_CONTROL, "{\"t\":\"welcome\"}");
	cr_expect_eq(lv__conn_queue_first(c, w), 0);
	cr_expect_eq(writable_asks, asks + 1);
	cr_expect_eq(refs(w), 2);
	/* After the written, unacknowledged two; before the rest. */
	cr_expect_eq(c->qlen, 5);
	cr_expect_eq(ent(c, 0)->seq, 1);
	cr_expect_eq(ent(c, 1)->seq, 2);
	cr_expect_eq(ent(c, 2)->m, w);
	cr_expect_eq(ent(c, 2)->seq, 0);
	cr_expect_eq(ent(c, 3)->seq, 3);
	cr_expect_eq(c->qbytes, 4 * 7 + w->len);
	cr_assert_eq(lv__conn_writable(c), 0);
	cr_expect_str_eq(frames(), "{\"t\":\"welcome\"}|{\"seq\":3,\"r\":3}|{\"v\":4}");
	lv__conn_acked(c, 3);
	cr_expect_eq(c->qlen, 0);
	cr_expect_eq(refs(w), 1);
	lv__msg_unref(w);
	server_free(s);
}

Test(queue, control_first_into_a_full_wrapped_ring)
{
	lv_server *s = server(0, 0);
	lv_conn *c = page(s, WSI);
	char text[32];
	/* Head at 5 of 8, then 8 entries: the ring is full and wrapped. */
	for (int i = 1; i <= 5; i++) {
		snprintf(text, sizeof text, "{\"i\":%d}", i);
		queue(c, LV_MSG_RELIABLE, text);
	}
	lv__conn_writable(c);
	lv__conn_acked(c, 5);
	for (int i = 6; i <= 13; i++) {
		snprintf(text, sizeof text, "{\"i\":%d}", i);
		queue(c, LV_MSG_RELIABLE, text);
	}
	cr_assert_eq(c->qlen, c->qcap);
	cr_assert_eq(c->qhead, 5);
	lv_msg *p = msg(LV_MSG_CONTROL, "{\"t\":\"ack\",\"seq\":9}");
	cr_expect_eq(lv__conn_queue_first(c, p), 0);
	lv__msg_unref(p);
	cr_expect_eq(c->qcap, 16);
	cr_expect_eq(c->qlen, 9);
	written();
	cr_assert_eq(lv__conn_writable(c), 0);
	const char *head = "{\"t\":\"ack\",\"seq\":9}|{\"seq\":6,\"i\":6}|";
	cr_expect_eq(strncmp(frames(), head, strlen(head)), 0, "%s", frames());
	cr_expect_eq(strcmp(strrchr(frames(), '|'), "|{\"seq\":13,\"i\":13}"), 0);
	server_free(s);
}

/* ---- the writer -------------------------------------------------------------------- */

Test(writer, an_ack_then_the_queue_in_one_write)
{
	lv_server *s = server(0, 0);
	lv_conn *c = page(s, WSI);
	c->ack_due = true;
	c->in_last = 42;
	queue(c, LV_MSG_RELIABLE, "{\"t\":\"push\"}");
	queue(c, LV_MSG_VOLATILE, "{\"t\":\"v\"}");
	cr_expect_eq(lv__conn_writable(c), 0);
	cr_expect_eq(writes, 1);
	cr_expect_str_eq(frames(), "{\"t\":\"ack\",\"seq\":42}|{\"seq\":1,\"t\":\"push\"}|{\"t\":\"v\"}");
	cr_expect_not(c->ack_due);
	cr_expect_eq(s->bytes_out, wire_len);
	cr_expect_eq(s->msgs_out, 2);
	/* Nothing left: no further write asked. */
	int asks = writable_asks;
	cr_expect_eq(lv__conn_writable(c), 0);
	cr_expect_eq(writes, 1);
	cr_expect_eq(writable_asks, asks);
	server_free(s);
}

Test(writer, what_does_not_fit_waits_for_the_next_write)
{
	lv_server *s = server(0, 0);
	lv_conn *c = page(s, WSI);
	/* Three frames of 30000 bytes: two fit in one 64 KiB write. */
	char *text = malloc(30000);
	text[0] = '{';
	memset(text + 1, ' ', 29998);
	text[29999] = '}';
	for (int i = 0; i < 3; i++) {
		lv_msg *m = lv__msg_new(text, 29996, LV_MSG_VOLATILE);
		m->data[29995] = '}';
		lv__conn_queue(c, m);
		lv__msg_unref(m);
	}
	int asks = writable_asks;
	cr_expect_eq(lv__conn_writable(c), 0);
	cr_expect_eq(writes, 1);
	cr_expect_eq(wire_len, 2 * 30000);
	cr_expect_eq(c->qlen, 1, "the two written volatile ones are gone");
	cr_expect_eq(writable_asks, asks + 1, "asks again for the rest");
	cr_expect_eq(lv__conn_writable(c), 0);
	cr_expect_eq(writes, 2);
	cr_expect_eq(c->qlen, 0);
	/* A frame larger than the buffer goes on its own. */
	written();
	char *big = malloc(100000);
	big[0] = '{';
	memset(big + 1, ' ', 99998);
	big[99999] = '}';
	queue(c, LV_MSG_CONTROL, "{\"t\":\"ping\"}");
	lv_msg *m = lv__msg_new(big, 100000, LV_MSG_RELIABLE);
	lv__conn_queue(c, m);
	lv__msg_unref(m);
	queue(c, LV_MSG_CONTROL, "{\"t\":\"ping\"}");
	cr_expect_eq(lv__conn_writable(c), 0);
	cr_expect_eq(writes, 1);
	cr_expect_str_eq(frames(), "{\"t\":\"ping\"}", "the big one waits for an empty write");
	written();
	cr_expect_eq(lv__conn_writable(c), 0);
	cr_expect_eq(writes, 1);
	cr_expect_eq(wire_len, 10 + 100000 + 8);
	cr_expect_eq(memcmp(wire + 10, "{\"seq\":1,", 9), 0);
	written();
	cr_expect_eq(lv__conn_writable(c), 0);
	cr_expect_str_eq(frames(), "{\"t\":\"ping\"}");
	cr_expect_eq(c->qlen, 2, "the big one waits for its ack, the ping behind it too");
	lv__conn_acked(c, 1);
	cr_expect_eq(c->qlen, 0);
	cr_expect_eq(c->qbytes, 0);
	free(big);
	free(text);
	server_free(s);
}

/* ---- detached sessions ------------------------------------------------------------- */

Test(detached, a_dropped_socket_keeps_the_numbered_messages_unwritten)
{
	lv_server *s = server(0, 0);
	lv_conn *c = page(s, WSI);
	queue(c, LV_MSG_RELIABLE, "{\"r\":1}");
	queue(c, LV_MSG_VOLATILE, "{\"v\":1}");
	queue(c, LV_MSG_RELIABLE, "{\"r\":2}");
	lv__conn_writable(c);
	queue(c, LV_MSG_CONTROL, "{\"t\":\"ping\"}");
	queue(c, LV_MSG_RELIABLE, "{\"r\":3}");
	queue(c, LV_MSG_VOLATILE, "{\"v\":2}");
	cr_assert_eq(c->qlen, 6);
	lv__conn_closed(c);
	cr_expect_null(c->wsi);
	cr_expect_neq(c->detached_us, 0);
	cr_expect_not(c->ended);
	cr_expect_eq(s->ndetached, 1);
	cr_expect_eq(s->detached_head, c);
	cr_expect_eq(c->qlen, 3);
	cr_expect_eq(c->qsent, 0, "all to be written again");
	for (uint32_t i = 0; i < 3; i++)
		cr_expect_eq(ent(c, i)->seq, i + 1);
	cr_expect_eq(c->qbytes, 3 * 7);
	cr_expect_eq(s->detached_bytes, 3 * 7);
	/* Reliable messages still queue, counted against the waiting bound;
	 * volatile ones are dropped. */
	cr_expect_eq(queue(c, LV_MSG_RELIABLE, "{\"r\":4}"), 0);
	cr_expect_eq(queue(c, LV_MSG_VOLATILE, "{\"v\":3}"), LV_EQUEUE_FULL);
	cr_expect_eq(s->detached_bytes, 4 * 7);
	cr_expect_eq(lv__session_find(s, c->token), c);
	/* Ending it uncounts it all. */
	lv__conn_end(c);
	cr_expect_eq(s->ndetached, 0);
	cr_expect_eq(s->detached_bytes, 0);
	cr_expect_null(s->detached_head);
	cr_expect_null(s->detached_tail);
	server_free(s);
}

Test(detached, a_socket_without_a_session_ends_when_it_goes)
{
	lv_server *s = server(0, 0);
	lv_conn *a = lv__conn_new(s, WSI);           /* no hello */
	lv_conn *b = page(s, WSI);
	b->end_on_close = true;                      /* closed for cause */
	lv_conn *c = page(s, WSI);
	lv__sessions_remove(s, c);
	c->token[0] = '\0';                          /* no token */
	cr_expect_eq(s->nconns, 3);
	lv__conn_closed(a);
	lv__conn_closed(b);
	lv__conn_closed(c);
	cr_expect_eq(s->nconns, 0);
	cr_expect_eq(s->ndetached, 0);
	cr_expect_eq(s->npages, 0);
	cr_expect_eq(s->expired, 0, "ended, not expired");
	server_free(s);
}

Test(detached, the_oldest_expire_past_the_count_bound)
{
	lv_server *s = server(0, 0);
	s->opt.max_detached = 3;
	char tokens[5][33];
	for (int i = 0; i < 5; i++) {
		lv_conn *c = page(s, WSI);
		queue(c, LV_MSG_RELIABLE, "{\"r\":1}");
		memcpy(tokens[i], c->token, 33);
		lv__conn_closed(c);
	}
	cr_expect_eq(s->ndetached, 3);
	cr_expect_eq(s->nconns, 3);
	cr_expect_eq(s->expired, 2);
	cr_expect_eq(s->limited[LV_LIMIT_DETACHED], 2);
	cr_expect_eq(s->detached_bytes, 3 * 7);
	for (int i = 0; i < 2; i++) {
		cr_expect_null(lv__session_find(s, tokens[i]));
		cr_expect(lv__session_ended(s, tokens[i]), "told expired on resume");
	}
	for (int i = 2; i < 5; i++) {
		lv_conn *c = lv__session_find(s, tokens[i]);
		cr_expect(c && c->detached_us);
		cr_expect_not(lv__session_ended(s, tokens[i]));
	}
	cr_expect_str_eq(s->detached_head->token, tokens[2]);
	cr_expect_str_eq(s->detached_tail->token, tokens[4]);
	server_free(s);
}

Test(detached, the_oldest_expire_past_the_byte_bound)
{
	lv_server *s = server(0, 0);
	s->opt.max_detached_bytes = 100;
	lv_conn *c[4];
	for (int i = 0; i < 4; i++) {
		c[i] = lv_conn_ref(page(s, WSI));
		for (int k = 0; k < 4; k++)
			queue(c[i], LV_MSG_RELIABLE, "{\"r\":1}");   /* 28 bytes each */
		lv__conn_closed(c[i]);
	}
	/* 4 x 28 = 112 > 100: the first goes. */
	cr_expect(c[0]->ended);
	cr_expect_not(c[1]->ended);
	cr_expect_eq(s->ndetached, 3);
	cr_expect_eq(s->detached_bytes, 84);
	/* Waiting sessions' queues still count: the next to grow past the
	 * bound is trimmed at the next sweep (lv__detached_trim). */
	for (int k = 0; k < 2; k++)
		queue(c[3], LV_MSG_RELIABLE, "{\"r\":1}");
	cr_expect_eq(s->detached_bytes, 98);
	queue(c[3], LV_MSG_RELIABLE, "{\"r\":1}");
	cr_expect_eq(s->detached_bytes, 105);
	lv__detached_trim(s);
	cr_expect(c[1]->ended);
	cr_expect_not(c[2]->ended);
	cr_expect_eq(s->detached_bytes, 77);
	cr_expect_eq(s->expired, 2);
	for (int i = 0; i < 4; i++)
		lv_conn_unref(c[i]);
	server_free(s);
}

Test(detached, a_reliable_message_into_a_full_waiting_queue_overflows_it)
{
	lv_server *s = server(2, 0);
	lv_conn *c = page(s, NULL);
	queue(c, LV_MSG_RELIABLE, "{\"r\":1}");
	lv__conn_closed(c);
	cr_assert(c->detached_us);
	cr_expect_eq(queue(c, LV_MSG_RELIABLE, "{\"r\":2}"), 0);
	cr_expect_eq(queue(c, LV_MSG_RELIABLE, "{\"r\":3}"), LV_EQUEUE_FULL);
	cr_expect(c->overflowed);
	cr_expect_eq(s->closed_slow, 1);
	cr_expect_not(c->closing, "no socket to close");
	cr_expect_not(c->ended, "ended by the sweep, not while a group may be walked");
	cr_expect_eq(s->ndetached, 1);
	cr_expect_eq(writable_asks, 0);
	server_free(s);
}

Test(detached, a_resume_replays_what_the_page_has_not_processed)
{
	lv_server *s = server(0, 0);
	lv_conn *sess = page(s, WSI);
	char text[32];
	for (int i = 1; i <= 5; i++) {
		snprintf(text, sizeof text, "{\"i\":%d}", i);
		queue(sess, LV_MSG_RELIABLE, text);
	}
	lv__conn_writable(sess);
	lv__conn_acked(sess, 1);
	lv__conn_closed(sess);
	cr_assert_eq(sess->qlen, 4);
	cr_assert_eq(s->detached_bytes, 4 * 7);

	/* The page comes back on a new socket, having processed up to 3. */
	lv_conn *fresh = lv__conn_new(s, WSI);
	wsi_owner = fresh;
	written();
	lv__session_adopt(sess, fresh, 3);
	cr_expect_eq(wsi_owner, sess, "the socket is the session's now");
	cr_expect_eq(sess->wsi, WSI);
	cr_expect_eq(sess->detached_us, 0);
	cr_expect_eq(s->ndetached, 0);
	cr_expect_eq(s->detached_bytes, 0);
	cr_expect_eq(s->nconns, 1, "fresh is gone");
	cr_expect_eq(sess->out_acked, 3);
	cr_expect_eq(sess->qlen, 2);
	cr_expect_eq(sess->qbytes, 2 * 7);
	cr_expect_eq(lv__conn_writable(sess), 0);
	cr_expect_str_eq(frames(), "{\"seq\":4,\"i\":4}|{\"seq\":5,\"i\":5}");
	/* And numbering goes on. */
	queue(sess, LV_MSG_RELIABLE, "{\"i\":6}");
	cr_expect_eq(ent(sess, 2)->seq, 6);
	server_free(s);
}
