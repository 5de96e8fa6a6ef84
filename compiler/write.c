/* write.c - output files: written to a temporary name and renamed into
 * place, and left alone (time stamp and all) when the content is the same,
 * so make does not rebuild what did not change. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lvc.h"

static bool
same_content(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	bool same = true;
	char buf[65536];
	size_t off = 0, n;
	while (same && (n = fread(buf, 1, sizeof buf, f)) > 0) {
		same = off + n <= len && memcmp(buf, data + off, n) == 0;
		off += n;
	}
	same = same && !ferror(f) && off == len;
	fclose(f);
	return same;
}

int
lvc_write_file(lvc_ctx *c, const char *path, const char *data, size_t len)
{
	if (same_content(path, data, len))
		return 0;
	char *tmp = lvc_sprintf(&c->arena, "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		lvc_error_plain(c, "cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	bool ok = fwrite(data, 1, len, f) == len;
	ok = (fclose(f) == 0) && ok;
	if (!ok || rename(tmp, path) != 0) {
		lvc_error_plain(c, "cannot write '%s': %s", path, strerror(errno));
		remove(tmp);
		return -1;
	}
	return 0;
}
