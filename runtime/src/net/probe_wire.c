/* probe_wire.c - the heartbeat's probe on a node's own Redis channel (broker_health.h): made, and read back without trusting a byte. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "net/broker_health.h"

bool
lv__probe_parse(const char *v, size_t len, const char **node, size_t *node_len, int64_t *sent_us)
{
	if (!v || len < 4 || v[0] != 'L')
		return false;
	const char *o = v + 1, *end = v + len;
	const char *nl = memchr(o, '\n', (size_t)(end - o));
	if (!nl || nl == o || nl - o > 64)
		return false;
	for (const char *p = o; p < nl; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.'))
			return false;
	const char *d = nl + 1;
	if (d == end || end - d > 19)
		return false;
	uint64_t t = 0;
	for (const char *p = d; p < end; p++) {
		if (*p < '0' || *p > '9')
			return false;
		t = t * 10 + (uint64_t)(*p - '0');   /* 19 digits: no wrap */
	}
	if (t > (uint64_t)INT64_MAX)
		return false;
	*node = o;
	*node_len = (size_t)(nl - o);
	*sent_us = (int64_t)t;
	return true;
}

size_t
lv__probe_make(const char *node, int64_t sent_us, char *out, size_t n)
{
	int k = snprintf(out, n, "L%s\n%lld", node, (long long)sent_us);
	return k < 0 ? 0 : (size_t)k < n ? (size_t)k : n - 1;
}
