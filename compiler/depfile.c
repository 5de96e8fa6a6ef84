/* depfile.c - make-style dependencies: every output depends on every .lv
 * file read and every template used; each input also gets an empty rule so
 * that deleting one does not break the build (as gcc -MP does). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lvc.h"

static void
put_path(char **buf, size_t *len, size_t *cap, const char *p)
{
	size_t need = strlen(p) * 2 + 4;
	if (*len + need >= *cap) {
		*cap = (*cap + need) * 2;
		*buf = realloc(*buf, *cap);
		if (!*buf)
			abort();
	}
	for (; *p; p++) {
		if (*p == ' ' || *p == '#' || *p == ':')
			(*buf)[(*len)++] = '\\';
		if (*p == '$')
			(*buf)[(*len)++] = '$';
		(*buf)[(*len)++] = *p;
	}
	(*buf)[*len] = '\0';
}

static void
put(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);
	if (*len + n + 1 >= *cap) {
		*cap = (*cap + n + 1) * 2;
		*buf = realloc(*buf, *cap);
		if (!*buf)
			abort();
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
}

int
lvc_write_depfile(lvc_ctx *c, const char *path, const char **targets, int ntargets)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	put(&buf, &len, &cap, "");
	for (int i = 0; i < ntargets; i++) {
		if (i)
			put(&buf, &len, &cap, " ");
		put_path(&buf, &len, &cap, targets[i]);
	}
	put(&buf, &len, &cap, ":");
	for (uint32_t i = 0; i < c->nfiles; i++) {
		if (c->files[i]->not_input)
			continue;
		put(&buf, &len, &cap, " \\\n  ");
		put_path(&buf, &len, &cap, c->files[i]->path);
	}
	for (int i = 0; i < c->ndeps; i++) {
		put(&buf, &len, &cap, " \\\n  ");
		put_path(&buf, &len, &cap, c->deps[i]);
	}
	put(&buf, &len, &cap, "\n");
	for (uint32_t i = 0; i < c->nfiles; i++) {
		if (c->files[i]->not_input)
			continue;
		put(&buf, &len, &cap, "\n");
		put_path(&buf, &len, &cap, c->files[i]->path);
		put(&buf, &len, &cap, ":\n");
	}
	for (int i = 0; i < c->ndeps; i++) {
		put(&buf, &len, &cap, "\n");
		put_path(&buf, &len, &cap, c->deps[i]);
		put(&buf, &len, &cap, ":\n");
	}
	int rc = lvc_write_file(c, path, buf, len);
	free(buf);
	return rc;
}
