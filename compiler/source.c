/* source.c - reading source files, and the line map diagnostics use. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lvc.h"

static lvc_source *add_source(lvc_ctx *c, const char *path, const char *real,
                              char *text, uint32_t len);

/* Reads the whole file; a missing, unreadable or oversized file is reported
 * at `from` (the import that named it) or on its own line. */
lvc_source *
lvc_load(lvc_ctx *c, const char *path, lvc_loc from)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	const char *why = NULL;
	char *text = NULL;
	size_t len = 0;

	if (!f)
		why = strerror(errno);
	else if (fstat(fileno(f), &st) != 0)
		why = strerror(errno);
	else if (S_ISDIR(st.st_mode))
		why = "is a directory";
	else if (st.st_size > (off_t)LVC_MAX_FILE_BYTES)
		why = "file too large (the limit is 256 MiB)";
	else if (c->nfiles >= LVC_MAX_FILES)
		why = "too many files";
	else {
		size_t cap = (size_t)st.st_size + 1, n;
		text = malloc(cap + 1);
		while (text && (n = fread(text + len, 1, cap - len, f)) > 0) {
			len += n;
			if (len == cap) {
				if (cap > LVC_MAX_FILE_BYTES) {
					why = "file too large (the limit is 256 MiB)";
					break;
				}
				char *t = realloc(text, cap * 2 + 1);
				if (!t) {
					free(text);
					text = NULL;
					break;
				}
				text = t;
				cap *= 2;
			}
		}
		if (!text)
			why = "out of memory";
		else if (ferror(f))
			why = strerror(errno);
	}
	if (f)
		fclose(f);
	if (why) {
		free(text);
		if (from.file != UINT32_MAX)
			lvc_error(c, from, "cannot read '%s': %s", path, why);
		else
			lvc_error_plain(c, "cannot read '%s': %s", path, why);
		return NULL;
	}
	text[len] = '\0';

	char *real = realpath(path, NULL);
	lvc_source *s = add_source(c, path, real ? real : path, text, (uint32_t)len);
	free(real);
	return s;
}

static lvc_source *
add_source(lvc_ctx *c, const char *path, const char *real, char *text, uint32_t len)
{
	lvc_source *s = lvc_alloc(&c->arena, sizeof *s);
	s->path = lvc_strndup(&c->arena, path, strlen(path));
	s->real = lvc_strndup(&c->arena, real, strlen(real));
	s->text = text;
	s->len = len;
	if (c->nfiles % 16 == 0) {
		lvc_source **files = realloc(c->files, (c->nfiles + 16) * sizeof *files);
		if (!files) {
			fputs("lvc: out of memory\n", stderr);
			abort();
		}
		c->files = files;
	}
	c->files[c->nfiles++] = s;
	return s;
}

/* Takes a copy of an in-memory buffer as a source file named `name`. */
lvc_source *
lvc_load_buffer(lvc_ctx *c, const char *name, const char *data, size_t len)
{
	if (len > LVC_MAX_FILE_BYTES || c->nfiles >= LVC_MAX_FILES) {
		lvc_error_plain(c, "cannot read '%s': too large", name);
		return NULL;
	}
	char *text = malloc(len + 1);
	if (!text) {
		fputs("lvc: out of memory\n", stderr);
		abort();
	}
	memcpy(text, data, len);
	text[len] = '\0';
	return add_source(c, name, name, text, (uint32_t)len);
}

const char *
lvc_file_path(lvc_ctx *c, uint32_t file)
{
	return file < c->nfiles ? c->files[file]->path : "<command line>";
}

static void
build_lines(lvc_source *s)
{
	uint32_t n = 1;
	for (uint32_t i = 0; i < s->len; i++)
		n += s->text[i] == '\n';
	s->lines = malloc((size_t)n * sizeof *s->lines);
	if (!s->lines) {
		fputs("lvc: out of memory\n", stderr);
		abort();
	}
	s->lines[0] = 0;
	s->nlines = 1;
	for (uint32_t i = 0; i < s->len; i++)
		if (s->text[i] == '\n')
			s->lines[s->nlines++] = i + 1;
}

/* 1-based line and byte column of a location. */
void
lvc_line_col(lvc_ctx *c, lvc_loc at, uint32_t *line, uint32_t *col)
{
	*line = *col = 0;
	if (at.file >= c->nfiles)
		return;
	lvc_source *s = c->files[at.file];
	if (!s->lines)
		build_lines(s);
	uint32_t lo = 0, hi = s->nlines;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (s->lines[mid] <= at.off)
			lo = mid;
		else
			hi = mid;
	}
	*line = lo + 1;
	*col = at.off - s->lines[lo] + 1;
	if (lo == 0 && s->len >= 3 && memcmp(s->text, "\xef\xbb\xbf", 3) == 0 && *col > 3)
		*col -= 3;   /* the byte-order mark takes no column */
}
