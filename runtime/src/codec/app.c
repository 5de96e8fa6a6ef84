/* app.c - finding an endpoint in the tables lvc generated for an app. */
#include <string.h>

#include "codec/codec.h"

const lv_endpoint *
lv_app_find(const lv_app *app, const char *name, size_t len)
{
	size_t lo = 0, hi = app->nendpoints;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *m = app->endpoints[mid].name;
		int c = strncmp(m, name, len);
		if (c == 0 && m[len] != '\0')
			c = 1;
		if (c == 0)
			return &app->endpoints[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}
