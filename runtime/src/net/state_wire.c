/* state_wire.c - a shared state's key and its patch frames from Redis (state_wire.h), parsed without trusting a byte. */
#include <stdlib.h>
#include <string.h>

#include "net/state_wire.h"

enum { NAME_MAX_LEN = 128, ORIGIN_MAX_LEN = 64 };

bool
lv__stw_name_ok(const char *p, size_t n)
{
	if (!p || n == 0 || n > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
			return false;
	}
	return true;
}

char *
lv__stw_key(const char *name, const char *group)
{
	size_t nl = name ? strlen(name) : 0, gl = group ? strlen(group) : 0;
	if (!lv__stw_name_ok(name, nl) || (group && gl == 0))
		return NULL;
	char *k = malloc(nl + (group ? gl + 1 : 0) + 1);
	if (!k)
		return NULL;
	memcpy(k, name, nl);
	if (group) {
		k[nl] = '@';
		memcpy(k + nl + 1, group, gl);
		k[nl + 1 + gl] = '\0';
	} else {
		k[nl] = '\0';
	}
	return k;
}

bool
lv__stw_rev(const char *p, size_t n, uint64_t *rev)
{
	if (!p || n == 0 || n > 19 || p[0] == '0')
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*rev = v;
	return true;
}

static bool
origin_ok(const char *p, size_t n)
{
	if (n == 0 || n > ORIGIN_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

bool
lv__stw_parse(const char *data, size_t len, lv_stw_frame *out)
{
	if (!data || len < 2 || data[0] != 'T')
		return false;
	const char *p = data + 1, *end = data + len;
	const char *parts[3];
	size_t lens[3];
	for (int i = 0; i < 3; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return false;
		parts[i] = p;
		lens[i] = (size_t)(nl - p);
		p = nl + 1;
	}
	if (!origin_ok(parts[0], lens[0]) || !lv__stw_name_ok(parts[1], lens[1]) ||
	    !lv__stw_rev(parts[2], lens[2], &out->rev) || p == end)
		return false;
	out->origin = parts[0];
	out->origin_len = lens[0];
	out->name = parts[1];
	out->name_len = lens[1];
	out->body = p;
	out->body_len = (size_t)(end - p);
	return true;
}
