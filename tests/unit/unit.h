/* unit.h - what the compiler's unit tests share: one context per test,
 * diagnostics captured in memory, and short ways to parse, check and look
 * things up. Each test runs in its own process, so one static context is
 * enough; lvt_open() and lvt_close() are a suite's .init and .fini. */
#ifndef LV_UNIT_H
#define LV_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lvc.h"

static lvc_ctx c;
static FILE *lvt_err;
static char *lvt_buf;
static size_t lvt_len;

static inline void
lvt_open(void)
{
	lvc_init(&c);
	lvt_buf = NULL;
	lvt_len = 0;
	lvt_err = open_memstream(&lvt_buf, &lvt_len);
	c.err = lvt_err;
	c.color = false;
}

static inline void
lvt_close(void)
{
	lvc_free(&c);
	if (lvt_err)
		fclose(lvt_err);
	free(lvt_buf);
	lvt_err = NULL;
	lvt_buf = NULL;
}

/* Everything reported so far. */
static inline const char *
lvt_diags(void)
{
	fflush(lvt_err);
	return lvt_buf ? lvt_buf : "";
}

/* How many times `needle` occurs in the diagnostics. */
static inline int
lvt_count(const char *needle)
{
	int n = 0;
	for (const char *p = lvt_diags(); (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static inline lvc_source *
lvt_load(const char *text)
{
	return lvc_load_buffer(&c, "t.lv", text, strlen(text));
}

/* Parses `text` as the file named on the command line; true when clean. */
static inline bool
lvt_parse(const char *text)
{
	return lvc_parse_source(&c, lvt_load(text));
}

/* Parses and checks `text`; true when neither stage reported an error. */
static inline bool
lvt_check(const char *text)
{
	lvt_parse(text);
	if (!c.stop && c.root)
		lvc_check(&c);
	return c.errors == 0;
}

/* The declaration called `name` in any module, or NULL. */
static inline lvc_decl *
lvt_decl(const char *name)
{
	for (lvc_module *m = c.modules; m; m = m->next)
		for (lvc_decl *d = m->decls; d; d = d->next)
			if (lvc_str_eq(d->name, name))
				return d;
	return NULL;
}

/* The text of a slice as a NUL-terminated string in the arena. */
static inline const char *
lvt_str(lvc_str s)
{
	return s.p ? lvc_strndup(&c.arena, s.p, s.n) : "";
}

#define lvt_has(needle) (strstr(lvt_diags(), (needle)) != NULL)

/* ---- scratch folders for tests that read or write files ------------------ */

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

/* A fresh folder under $TMPDIR or /tmp; its path lives in the arena. */
static inline const char *
lvt_tmpdir(void)
{
	const char *tmp = getenv("TMPDIR");
	char *dir = lvc_sprintf(&c.arena, "%s/lvc-unit-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(dir);
}

/* Writes `text` to dir/name and returns the path. */
static inline const char *
lvt_file(const char *dir, const char *name, const char *text)
{
	const char *path = lvc_sprintf(&c.arena, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

/* The whole of a file, in the arena; NULL when it cannot be read. */
static inline char *
lvt_slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	int ch;
	while ((ch = fgetc(f)) != EOF)
		fputc(ch, mem);
	fclose(f);
	fclose(mem);
	char *out = lvc_strndup(&c.arena, buf, len);
	free(buf);
	return out;
}

/* Removes a folder and everything in it. */
static inline void
lvt_rmtree(const char *path)
{
	struct stat st;
	if (!path || lstat(path, &st) != 0)
		return;
	if (S_ISDIR(st.st_mode)) {
		DIR *d = opendir(path);
		struct dirent *e;
		while (d && (e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char *sub = malloc(strlen(path) + strlen(e->d_name) + 2);
			sprintf(sub, "%s/%s", path, e->d_name);
			lvt_rmtree(sub);
			free(sub);
		}
		if (d)
			closedir(d);
		rmdir(path);
	} else {
		unlink(path);
	}
}

#endif
