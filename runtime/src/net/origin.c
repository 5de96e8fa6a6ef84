/* origin.c - which browser origins may open a WebSocket or call over HTTP:
 * the same origin by default, an allow-list, or any. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net/net.h"

/* "host[:port]" or "[v6]:port" at p: the host's span and the port (dflt
 * when none). False when it is not that shape. */
static bool
split_authority(const char *p, size_t n, const char **host, size_t *hlen, long *port,
                long dflt)
{
	const char *end = p + n, *colon = NULL;
	if (n && *p == '[') {
		const char *close = memchr(p, ']', n);
		if (!close)
			return false;
		*host = p;
		*hlen = (size_t)(close - p) + 1;
		if (close + 1 < end) {
			if (close[1] != ':')
				return false;
			colon = close + 1;
		}
	} else {
		colon = memchr(p, ':', n);
		*host = p;
		*hlen = colon ? (size_t)(colon - p) : n;
	}
	if (!*hlen)
		return false;
	*port = dflt;
	if (colon) {
		if (colon + 1 == end)
			return false;
		long v = 0;
		for (const char *q = colon + 1; q < end; q++) {
			if (*q < '0' || *q > '9' || v > 65535)
				return false;
			v = v * 10 + (*q - '0');
		}
		*port = v;
	}
	return true;
}

/* Does Origin "scheme://host[:port]" name the host the request went to? */
static bool
same_origin(lv_server *s, const char *origin, const char *hosthdr)
{
	long dflt;
	const char *rest;
	if (strncasecmp(origin, "http://", 7) == 0) {
		dflt = 80;
		rest = origin + 7;
	} else if (strncasecmp(origin, "https://", 8) == 0) {
		dflt = 443;
		rest = origin + 8;
	} else {
		return false;   /* "null", or a scheme no page of ours has */
	}
	/* A page we serve is on our scheme. */
	if ((dflt == 443) != (s->opt.tls_cert != NULL))
		return false;
	const char *oh, *hh;
	size_t ohl, hhl;
	long op, hp;
	if (!split_authority(rest, strlen(rest), &oh, &ohl, &op, dflt) ||
	    !split_authority(hosthdr, strlen(hosthdr), &hh, &hhl, &hp, dflt))
		return false;
	return ohl == hhl && strncasecmp(oh, hh, ohl) == 0 && op == hp;
}

bool
lv__origin_allowed(lv_server *s, struct lws *wsi)
{
	char origin[256], host[256];
	int n = lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN);
	if (n <= 0)
		return !s->opt.require_origin && lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0;
	if (s->opt.origins) {
		for (const char *const *o = s->opt.origins; *o; o++)
			if (strcmp(*o, "*") == 0 || strcmp(*o, origin) == 0)
				return true;
		return false;
	}
	if (lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) <= 0)
		return false;
	return same_origin(s, origin, host);
}
