/* event_wire.c - the frame of a server event raised on every node: made, and read back without trusting a byte. */
#include <stdlib.h>
#include <string.h>

#include "net/event_wire.h"

static bool
alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool
node_ok(const char *p, size_t n)
{
	if (n == 0 || n > LV_EVENT_NODE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!alnum(p[i]) && p[i] != '-' && p[i] != '_' && p[i] != '.')
			return false;
	return true;
}

static bool
name_ok(const char *p, size_t n)
{
	if (n == 0 || n > LV_EVENT_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!alnum(p[i]) && p[i] != '-' && p[i] != '_' && p[i] != '.' && p[i] != ':')
			return false;
	return true;
}

bool
lv__event_wire_parse(const char *v, size_t len, lv_event_wire *out)
{
	if (!v || len < 2 || v[0] != 'E')
		return false;
	const char *o = v + 1, *end = v + len;
	const char *onl = memchr(o, '\n', (size_t)(end - o));
	if (!onl || !node_ok(o, (size_t)(onl - o)))
		return false;
	const char *n = onl + 1;
	const char *nnl = memchr(n, '\n', (size_t)(end - n));
	if (!nnl || !name_ok(n, (size_t)(nnl - n)) || nnl + 1 == end)
		return false;
	out->origin = o;
	out->origin_len = (size_t)(onl - o);
	out->name = n;
	out->name_len = (size_t)(nnl - n);
	out->json = nnl + 1;
	out->json_len = (size_t)(end - out->json);
	return true;
}

char *
lv__event_wire_make(const char *node, const char *name, const char *json, size_t len,
                    size_t *out_len)
{
	size_t ol = strlen(node), nl = strlen(name);
	if (!node_ok(node, ol) || !name_ok(name, nl) || len == 0)
		return NULL;
	char *p = malloc(3 + ol + nl + len);
	if (!p)
		return NULL;
	p[0] = 'E';
	memcpy(p + 1, node, ol);
	p[1 + ol] = '\n';
	memcpy(p + 2 + ol, name, nl);
	p[2 + ol + nl] = '\n';
	memcpy(p + 3 + ol + nl, json, len);
	*out_len = 3 + ol + nl + len;
	return p;
}
