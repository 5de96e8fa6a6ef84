/* test_write.c - writing output files (compiler/write.c): through a
 * temporary name and a rename, and not at all when nothing changed. */
#include <criterion/criterion.h>
#include <fcntl.h>

#include "unit.h"

static const char *dir;

static void
init(void)
{
	lvt_open();
	dir = lvt_tmpdir();
	cr_assert_not_null(dir);
}

static void
fini(void)
{
	lvt_rmtree(dir);
	lvt_close();
}

TestSuite(write, .init = init, .fini = fini);

static const char *
path_of(const char *name)
{
	return lvc_sprintf(&c.arena, "%s/%s", dir, name);
}

static int
write_str(const char *path, const char *s)
{
	return lvc_write_file(&c, path, s, strlen(s));
}

/* Sets a file's times far in the past, so that any rewrite shows. */
static void
age(const char *path)
{
	struct timespec old[2] = { { 1000000000, 0 }, { 1000000000, 0 } };
	cr_assert_eq(utimensat(AT_FDCWD, path, old, 0), 0);
}

static time_t
mtime(const char *path)
{
	struct stat st;
	cr_assert_eq(stat(path, &st), 0, "%s", path);
	return st.st_mtime;
}

/* How many entries the scratch folder holds: no temporary may linger. */
static int
entries(void)
{
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

Test(write, creates_a_new_file)
{
	const char *p = path_of("chat.c");
	cr_assert_eq(write_str(p, "int x;\n"), 0, "%s", lvt_diags());
	cr_assert_str_eq(lvt_slurp(p), "int x;\n");
	cr_assert_eq(entries(), 1, "the temporary file is gone");
	cr_assert_eq(c.errors, 0);
}

Test(write, binary_content_is_written_exactly)
{
	const char *p = path_of("blob");
	const char data[] = { 'a', '\0', 'b', '\n', '\r', (char)0xff };
	cr_assert_eq(lvc_write_file(&c, p, data, sizeof data), 0);
	struct stat st;
	stat(p, &st);
	cr_assert_eq(st.st_size, (off_t)sizeof data);
	FILE *f = fopen(p, "rb");
	char back[sizeof data];
	cr_assert_eq(fread(back, 1, sizeof back, f), sizeof back);
	fclose(f);
	cr_assert_eq(memcmp(back, data, sizeof data), 0);
}

Test(write, unchanged_file_keeps_its_mtime)
{
	const char *p = path_of("chat.c");
	cr_assert_eq(write_str(p, "same\n"), 0);
	age(p);
	struct stat before, after;
	stat(p, &before);
	cr_assert_eq(write_str(p, "same\n"), 0);
	stat(p, &after);
	cr_assert_eq(after.st_mtime, 1000000000, "an unchanged file was rewritten");
	cr_assert_eq(after.st_ino, before.st_ino);
	cr_assert_eq(entries(), 1);
}

Test(write, changed_file_is_replaced)
{
	const char *p = path_of("chat.c");
	cr_assert_eq(write_str(p, "old\n"), 0);
	age(p);
	cr_assert_eq(write_str(p, "new\n"), 0, "same length, other bytes");
	cr_assert_str_eq(lvt_slurp(p), "new\n");
	cr_assert_neq(mtime(p), 1000000000);
}

Test(write, longer_and_shorter_content)
{
	const char *p = path_of("chat.c");
	cr_assert_eq(write_str(p, "abc"), 0);
	age(p);
	cr_assert_eq(write_str(p, "abcdef"), 0, "old content is a prefix of the new");
	cr_assert_str_eq(lvt_slurp(p), "abcdef");
	age(p);
	cr_assert_eq(write_str(p, "abc"), 0, "new content is a prefix of the old");
	cr_assert_str_eq(lvt_slurp(p), "abc");
	cr_assert_neq(mtime(p), 1000000000);
}

Test(write, empty_content)
{
	const char *p = path_of("empty");
	cr_assert_eq(lvc_write_file(&c, p, "", 0), 0);
	cr_assert_str_eq(lvt_slurp(p), "");
	age(p);
	cr_assert_eq(lvc_write_file(&c, p, "", 0), 0);
	cr_assert_eq(mtime(p), 1000000000, "an empty file that stays empty is left alone");
}

Test(write, large_content_compared_in_pieces)
{
	size_t n = 300000;
	char *data = lvc_alloc(&c.arena, n);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)('a' + i % 26);
	const char *p = path_of("big");
	cr_assert_eq(lvc_write_file(&c, p, data, n), 0);
	age(p);
	cr_assert_eq(lvc_write_file(&c, p, data, n), 0);
	cr_assert_eq(mtime(p), 1000000000, "unchanged across several read buffers");
	data[n - 1] = '!';
	cr_assert_eq(lvc_write_file(&c, p, data, n), 0);
	cr_assert_neq(mtime(p), 1000000000, "a change in the last byte is seen");
	cr_assert_eq(lvt_slurp(p)[n - 1], '!');
}

Test(write, replacement_is_atomic)
{
	/* A reader that opened the old file keeps seeing all of the old file:
	 * the new one arrives by rename, not by truncating and refilling. */
	const char *p = path_of("chat.c");
	cr_assert_eq(write_str(p, "old content\n"), 0);
	struct stat before;
	stat(p, &before);
	FILE *reader = fopen(p, "rb");
	cr_assert_not_null(reader);
	cr_assert_eq(write_str(p, "new content, longer\n"), 0);
	char buf[64] = { 0 };
	size_t n = fread(buf, 1, sizeof buf - 1, reader);
	fclose(reader);
	cr_assert_eq(n, 12);
	cr_assert_str_eq(buf, "old content\n");
	struct stat after;
	stat(p, &after);
	cr_assert_neq(after.st_ino, before.st_ino, "a new file was renamed into place");
	cr_assert_str_eq(lvt_slurp(p), "new content, longer\n");
	cr_assert_eq(entries(), 1);
}

Test(write, missing_folder_is_an_error)
{
	const char *p = path_of("no/such/chat.c");
	cr_assert_eq(write_str(p, "x"), -1);
	cr_assert_eq(c.errors, 1);
	cr_assert(lvt_has("lvc: error: cannot write '"), "%s", lvt_diags());
	cr_assert(lvt_has("no/such/chat.c': No such file or directory\n"), "%s", lvt_diags());
	cr_assert_eq(entries(), 0);
}

Test(write, failed_rename_leaves_no_temporary)
{
	const char *p = path_of("taken");
	cr_assert_eq(mkdir(p, 0700), 0);
	lvt_file(p, "inside", "keep");
	cr_assert_eq(write_str(p, "data"), -1, "a folder cannot be replaced by a file");
	cr_assert_eq(c.errors, 1);
	cr_assert(lvt_has("cannot write '"), "%s", lvt_diags());
	cr_assert_eq(entries(), 1, "the temporary file was removed");
	cr_assert_str_eq(lvt_slurp(lvc_sprintf(&c.arena, "%s/inside", p)), "keep");
}
