/* app.c - finding an endpoint or a state in the tables lvc generated for
 * an app. */
#include <string.h>

#include "codec/codec.h"

/* The index of name in a table of n entries of `size` bytes sorted by
 * their first member, a name; or -1. */
static long
find(const void *table, size_t n, size_t size, const char *name, size_t len)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *m = *(const char *const *)((const char *)table + mid * size);
		int c = strncmp(m, name, len);
		if (c == 0 && m[len] != '\0')
			c = 1;
		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

const lv_endpoint *
lv_app_find(const lv_app *app, const char *name, size_t len)
{
	long i = find(app->endpoints, app->nendpoints, sizeof *app->endpoints, name, len);
	return i < 0 ? NULL : &app->endpoints[i];
}

const lv_state_def *
lv_app_find_state(const lv_app *app, const char *name, size_t len)
{
	long i = find(app->states, app->nstates, sizeof *app->states, name, len);
	return i < 0 ? NULL : &app->states[i];
}
