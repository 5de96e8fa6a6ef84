/* peer.c - what each remote address holds (sockets, WebSockets, handshakes,
 * unfinished input, HTTP rate buckets) and the limits that keep one
 * address from crowding out the others. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

const char *const lv__limit_names[LV_LIMIT__COUNT] = {
	[LV_LIMIT_CONNS] = "conns",
	[LV_LIMIT_CONNS_PER_ADDR] = "conns_per_addr",
	[LV_LIMIT_HANDSHAKES_PER_ADDR] = "handshakes_per_addr",
	[LV_LIMIT_RX_BYTES] = "rx_bytes",
	[LV_LIMIT_RX_BYTES_PER_ADDR] = "rx_bytes_per_addr",
	[LV_LIMIT_DETACHED] = "detached",
	[LV_LIMIT_HTTP_RATE] = "http_rate",
	[LV_LIMIT_MESSAGE_TIME] = "message_time",
	[LV_LIMIT_BODY_TIME] = "body_time",
};

/* An address as a 16-byte key: IPv4 as ::ffff:a.b.c.d, IPv6 by its /64. */
static bool
addr_key(const struct sockaddr *sa, unsigned char key[16], bool *loopback)
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &in->sin_addr, 4);
		*loopback = key[12] == 127;
		return true;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		const unsigned char *a = in6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			key[10] = key[11] = 0xff;
			memcpy(key + 12, a + 12, 4);
			*loopback = key[12] == 127;
			return true;
		}
		*loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
		memcpy(key, a, *loopback ? 16 : 8);
		return true;
	}
	return false;
}

static uint32_t
key_hash(const unsigned char key[16])
{
	uint32_t h = 2166136261u;
	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h;
}

static bool
has_key(const lv_hnode *n, const void *key)
{
	return memcmp(((const lv_addr *)n)->key, key, 16) == 0;
}

static lv_addr *
addr_get(lv_server *s, const unsigned char key[16], bool loopback, bool create)
{
	uint32_t h = key_hash(key);
	lv_addr *a = (lv_addr *)lv__htab_find(&s->addrs, h, has_key, key);
	if (a || !create)
		return a;
	a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	memcpy(a->key, key, 16);
	a->loopback = loopback;
	if (lv__htab_insert(&s->addrs, &a->node, h) != 0) {
		free(a);
		return NULL;
	}
	return a;
}

static void
addr_free(lv_addr *a)
{
	free(a->http_tokens);
	free(a->http_token_us);
	free(a);
}

/* An address with no socket and no rate bucket still refilling goes. */
static bool
addr_idle(const lv_server *s, const lv_addr *a, int64_t now)
{
	if (a->sockets)
		return false;
	if (!a->http_token_us)
		return true;
	for (uint32_t i = 0; i < s->app->nendpoints; i++) {
		const lv_endpoint *ep = &s->app->endpoints[i];
		if (a->http_token_us[i] && now - a->http_token_us[i] < ep->rate_per_ms * 1000)
			return false;
	}
	return true;
}

static void
addr_drop_if_idle(lv_server *s, lv_addr *a)
{
	if (!addr_idle(s, a, lv__now_us()))
		return;
	lv__htab_remove(&s->addrs, &a->node);
	addr_free(a);
}

void
lv__limit_hit(lv_server *s, lv_limit which)
{
	s->limited[which]++;
}

int
lv__peer_accept(lv_server *s, const struct sockaddr *sa)
{
	unsigned char key[16];
	bool loopback;
	s->accepting = NULL;
	if (!sa || !addr_key(sa, key, &loopback))
		return 0;   /* not an IP socket: nothing to count it by */
	lv_addr *a = addr_get(s, key, loopback, true);
	if (!a)
		return LV_ENOMEM;
	if (a->handshakes >= s->opt.max_handshakes_per_addr) {
		lv__limit_hit(s, LV_LIMIT_HANDSHAKES_PER_ADDR);
		s->refused++;
		addr_drop_if_idle(s, a);
		return LV_ERESOURCE_EXHAUSTED;
	}
	s->accepting = a;
	return 0;
}

/* Sockets by their lws handle. (lws resets a new socket's opaque user
 * data after it announces it, so the share cannot live there.) */
static uint32_t
wsi_hash(const struct lws *wsi)
{
	uintptr_t v = (uintptr_t)wsi;
	return (uint32_t)((v >> 4) ^ (v >> 20)) * 2654435761u;
}

static bool
is_wsi(const lv_hnode *n, const void *wsi)
{
	return ((const lv_peer *)n)->wsi == wsi;
}

void
lv__peer_created(lv_server *s, struct lws *wsi)
{
	lv_addr *a = s->accepting;
	s->accepting = NULL;
	if (!a)
		return;
	lv_peer *p = calloc(1, sizeof *p);
	if (!p || lv__htab_insert(&s->peers, &p->node, wsi_hash(wsi)) != 0) {
		free(p);
		addr_drop_if_idle(s, a);
		return;
	}
	p->addr = a;
	p->wsi = wsi;
	a->sockets++;
	a->handshakes++;
}

lv_peer *
lv__peer_of(struct lws *wsi)
{
	if (!wsi)
		return NULL;
	lv_server *s = lws_context_user(lws_get_context(wsi));
	if (!s)
		return NULL;
	return (lv_peer *)lv__htab_find(&s->peers, wsi_hash(wsi), is_wsi, wsi);
}

void
lv__peer_destroyed(lv_server *s, struct lws *wsi)
{
	lv_peer *p = lv__peer_of(wsi);
	if (!p)
		return;
	lv__htab_remove(&s->peers, &p->node);
	lv__peer_rx_set(s, p, 0);
	lv_addr *a = p->addr;
	if (p->websocket) {
		a->conns--;
		s->ws_sockets--;
	} else
		a->handshakes--;
	a->sockets--;
	free(p);
	addr_drop_if_idle(s, a);
}

int
lv__peer_may_upgrade(lv_server *s, struct lws *wsi)
{
	lv_peer *p = lv__peer_of(wsi);
	if (p && p->addr->conns >= s->opt.max_conns_per_addr) {
		lv__limit_hit(s, LV_LIMIT_CONNS_PER_ADDR);
		return LV_ERESOURCE_EXHAUSTED;
	}
	return 0;
}

void
lv__peer_established(lv_server *s, struct lws *wsi)
{
	lv_peer *p = lv__peer_of(wsi);
	if (!p || p->websocket)
		return;
	p->websocket = true;
	s->ws_sockets++;
	p->addr->handshakes--;
	p->addr->conns++;
}

bool
lv__peer_loopback(struct lws *wsi)
{
	lv_peer *p = lv__peer_of(wsi);
	return p && p->addr->loopback;
}

int
lv__peer_rx_set(lv_server *s, lv_peer *p, size_t bytes)
{
	if (!p)
		return 0;
	lv_addr *a = p->addr;
	if (bytes > p->rx_bytes) {
		size_t more = bytes - p->rx_bytes;
		if (a->rx_bytes + more > s->opt.max_rx_bytes_per_addr) {
			lv__limit_hit(s, LV_LIMIT_RX_BYTES_PER_ADDR);
			return LV_ERESOURCE_EXHAUSTED;
		}
		if (s->rx_bytes + more > s->opt.max_rx_bytes) {
			lv__limit_hit(s, LV_LIMIT_RX_BYTES);
			return LV_ERESOURCE_EXHAUSTED;
		}
		a->rx_bytes += more;
		s->rx_bytes += more;
	} else {
		size_t less = p->rx_bytes - bytes;
		a->rx_bytes -= less;
		s->rx_bytes -= less;
	}
	p->rx_bytes = bytes;
	return 0;
}

bool
lv__peer_http_token(lv_server *s, struct lws *wsi, const lv_endpoint *ep)
{
	lv_peer *p = lv__peer_of(wsi);
	double *tokens = &s->http_tokens_unknown;
	int64_t *at_us = &s->http_token_us_unknown;
	if (p) {
		lv_addr *a = p->addr;
		if (!a->http_tokens) {
			a->http_tokens = calloc(s->app->nendpoints + 1, sizeof *a->http_tokens);
			a->http_token_us = calloc(s->app->nendpoints + 1, sizeof *a->http_token_us);
			if (!a->http_tokens || !a->http_token_us) {
				free(a->http_tokens);
				free(a->http_token_us);
				a->http_tokens = NULL;
				a->http_token_us = NULL;
				return false;
			}
		}
		size_t i = (size_t)(ep - s->app->endpoints);
		tokens = &a->http_tokens[i];
		at_us = &a->http_token_us[i];
	}
	if (lv__bucket_take(tokens, at_us, ep->rate_count, ep->rate_per_ms, lv__now_us()))
		return true;
	lv__limit_hit(s, LV_LIMIT_HTTP_RATE);
	return false;
}

void
lv__peers_sweep(lv_server *s)
{
	int64_t now = lv__now_us();
	uint32_t at = 0;
	for (lv_hnode *n = lv__htab_next(&s->addrs, NULL, &at), *next; n; n = next) {
		uint32_t at_next = at;
		next = lv__htab_next(&s->addrs, n, &at_next);
		if (addr_idle(s, (lv_addr *)n, now)) {
			lv__htab_remove(&s->addrs, n);
			addr_free((lv_addr *)n);
		}
		at = at_next;
	}
}

void
lv__peers_free(lv_server *s)
{
	uint32_t at = 0;
	for (lv_hnode *n = lv__htab_next(&s->addrs, NULL, &at), *next; n; n = next) {
		next = lv__htab_next(&s->addrs, n, &at);
		addr_free((lv_addr *)n);
	}
	lv__htab_free(&s->addrs);
	at = 0;
	for (lv_hnode *n = lv__htab_next(&s->peers, NULL, &at), *next; n; n = next) {
		next = lv__htab_next(&s->peers, n, &at);
		free(n);
	}
	lv__htab_free(&s->peers);
}
