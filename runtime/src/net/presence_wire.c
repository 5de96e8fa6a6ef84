/* presence_wire.c - what presence writes in Redis and reads back, parsed without trusting a byte.
 *
 * A member's entry (node and identity) and the join and leave events on a
 * group's channel. */
#include <stdlib.h>
#include <string.h>

#include "net/net.h"
#include "net/presence.h"

static bool
alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool
lv__pres_node_ok(const char *p, size_t n)
{
	if (n == 0 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!alnum(p[i]) && p[i] != '-' && p[i] != '_' && p[i] != '.')
			return false;
	return true;
}

bool
lv__pres_conn_ok(const char *p, size_t n)
{
	if (n == 0 || n > 19)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!alnum(p[i]))
			return false;
	return true;
}

bool
lv__pres_entry_parse(const char *v, size_t len, lv_pres_entry *out)
{
	const char *nl = v && len ? memchr(v, '\n', len) : NULL;
	if (!nl || !lv__pres_node_ok(v, (size_t)(nl - v)))
		return false;
	const char *rest = nl + 1;
	size_t rlen = len - (size_t)(rest - v);
	out->node = v;
	out->node_len = (size_t)(nl - v);
	if (rlen == 1 && rest[0] == '-') {
		out->identity = NULL;
		out->identity_len = 0;
		return true;
	}
	if (rlen < 1 || rest[0] != '=' || rlen - 1 > LV_PRES_IDENTITY_MAX ||
	    memchr(rest + 1, '\0', rlen - 1))
		return false;
	out->identity = rest + 1;
	out->identity_len = rlen - 1;
	return true;
}

static bool
kind_of(char c, lv_presence_kind *k)
{
	switch (c) {
	case 'j': *k = LV_PRESENCE_JOINED; return true;
	case 'l': *k = LV_PRESENCE_LEFT; return true;
	case 'd': *k = LV_PRESENCE_DISCONNECTED; return true;
	case 'x': *k = LV_PRESENCE_NODE_DIED; return true;
	default: return false;
	}
}

char
lv__pres_kind_char(lv_presence_kind k)
{
	switch (k) {
	case LV_PRESENCE_JOINED: return 'j';
	case LV_PRESENCE_LEFT: return 'l';
	case LV_PRESENCE_DISCONNECTED: return 'd';
	default: return 'x';
	}
}

bool
lv__pres_wire_parse(const char *v, size_t len, lv_pres_wire *out)
{
	if (!v || len < 2 || v[0] != 'P')
		return false;
	const char *o = v + 1, *end = v + len;
	const char *nl = memchr(o, '\n', (size_t)(end - o));
	if (!nl || !lv__pres_node_ok(o, (size_t)(nl - o)) || end - nl < 2 || !kind_of(nl[1], &out->kind))
		return false;
	out->origin = o;
	out->origin_len = (size_t)(nl - o);
	const char *c = nl + 2;
	const char *cnl = memchr(c, '\n', (size_t)(end - c));
	if (!cnl || !lv__pres_conn_ok(c, (size_t)(cnl - c)))
		return false;
	out->conn = c;
	out->conn_len = (size_t)(cnl - c);
	return lv__pres_entry_parse(cnl + 1, (size_t)(end - cnl - 1), &out->entry);
}

char *
lv__pres_entry_make(const char *node, const char *identity, size_t *len)
{
	size_t nl = strlen(node), il = identity ? strlen(identity) : 0;
	if (il > LV_PRES_IDENTITY_MAX) {
		/* what the parser takes: cut, at a character's beginning */
		il = LV_PRES_IDENTITY_MAX;
		while (il && ((unsigned char)identity[il] & 0xC0) == 0x80)
			il--;
	}
	char *p = malloc(nl + il + 3);
	if (!p)
		return NULL;
	memcpy(p, node, nl);
	p[nl] = '\n';
	p[nl + 1] = identity ? '=' : '-';
	memcpy(p + nl + 2, identity ? identity : "", il);
	p[nl + 2 + il] = '\0';
	*len = nl + 2 + il;
	return p;
}
