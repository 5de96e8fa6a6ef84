/* test_arena_buf.c - base/arena.c and base/buf.c: the bump allocator (reset keeping its first block, cleanups) and growable buffers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "base/base.h"

static bool
zeroed(const void *p, size_t n)
{
	const unsigned char *c = p;
	for (size_t i = 0; i < n; i++)
		if (c[i])
			return false;
	return true;
}

Test(arena, alloc_is_zeroed_aligned_and_counted)
{
	lv_arena a;
	lv_arena_init(&a);
	cr_expect_null(a.head);
	cr_expect_eq(a.used, 0);
	size_t sizes[] = { 1, 3, 8, 17, 100, 1000 };
	char *prev = NULL;
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		char *p = lv_arena_alloc(&a, sizes[i]);
		cr_assert_not_null(p);
		cr_expect_eq((uintptr_t)p % _Alignof(max_align_t), 0, "size %zu misaligned", sizes[i]);
		cr_expect(zeroed(p, sizes[i]));
		memset(p, 0xff, sizes[i]);           /* ASan: it is all ours */
		cr_expect(p != prev);
		prev = p;
	}
	/* Rounded up to the alignment: 1 + 3 + 8 + 17 + 100 + 1000 bytes. */
	size_t al = sizeof(max_align_t), want = 0;
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		want += (sizes[i] + al - 1) / al * al;
	cr_expect_eq(a.used, want);
	lv_arena_free(&a);
	cr_expect_null(a.head);
	cr_expect_eq(a.used, 0);
}

Test(arena, zero_bytes_still_give_a_distinct_pointer)
{
	lv_arena a;
	lv_arena_init(&a);
	void *p = lv_arena_alloc(&a, 0), *q = lv_arena_alloc(&a, 0);
	cr_assert(p && q);
	cr_expect(p != q);
	lv_arena_free(&a);
}

Test(arena, large_and_impossible_sizes)
{
	lv_arena a;
	lv_arena_init(&a);
	char *small = lv_arena_alloc(&a, 16);
	char *big = lv_arena_alloc(&a, 100000);   /* past a block: one of its own */
	cr_assert(small && big);
	cr_expect(zeroed(big, 100000));
	memset(big, 1, 100000);
	cr_expect_null(lv_arena_alloc(&a, SIZE_MAX));
	cr_expect_null(lv_arena_alloc(&a, SIZE_MAX / 2 + 1));
	cr_expect_null(lv__arena_take(&a, SIZE_MAX - 3));
	/* Still usable after refusing. */
	cr_expect_not_null(lv_arena_alloc(&a, 8));
	lv_arena_free(&a);
}

Test(arena, strdup_copies_and_terminates)
{
	lv_arena a;
	lv_arena_init(&a);
	char src[] = "hello world";
	lv_str s = lv_arena_strdup(&a, (lv_str){ src, 5 });
	cr_assert_not_null(s.ptr);
	cr_expect_eq(s.len, 5);
	cr_expect_str_eq(s.ptr, "hello");
	cr_expect(s.ptr != src);
	src[0] = 'J';
	cr_expect_eq(s.ptr[0], 'h');
	lv_str e = lv_arena_strdup(&a, (lv_str){ NULL, 0 });
	cr_assert_not_null(e.ptr);
	cr_expect_eq(e.len, 0);
	cr_expect_str_eq(e.ptr, "");
	lv_arena_free(&a);
}

static int order[8], norder;

static void
note(void *p)
{
	order[norder++] = (int)(intptr_t)p;
}

Test(arena, cleanups_run_newest_first_once)
{
	lv_arena a;
	lv_arena_init(&a);
	norder = 0;
	for (intptr_t i = 1; i <= 3; i++)
		cr_assert_eq(lv_arena_on_free(&a, note, (void *)i), 0);
	lv_arena_free(&a);
	cr_assert_eq(norder, 3);
	cr_expect(order[0] == 3 && order[1] == 2 && order[2] == 1);
	lv_arena_free(&a);                       /* twice: nothing more runs */
	cr_expect_eq(norder, 3);
}

Test(arena, reset_keeps_the_first_block)
{
	lv_arena a;
	lv_arena_init(&a);
	char *first = lv_arena_alloc(&a, 64);
	cr_assert_not_null(first);
	lv_arena_block *block = a.head;
	/* Enough for several more blocks. */
	for (int i = 0; i < 10; i++)
		cr_assert_not_null(lv_arena_alloc(&a, 3000));
	cr_expect(a.head != block);
	norder = 0;
	cr_assert_eq(lv_arena_on_free(&a, note, (void *)(intptr_t)7), 0);
	cr_expect(lv__arena_reset(&a, 8192));
	cr_expect_eq(norder, 1, "the cleanup did not run on reset");
	cr_expect_eq(a.head, block, "the first block was not the one kept");
	cr_expect_eq(a.used, 0);
	cr_expect_null(a.cleanups);
	/* The kept block is reused from its start, zeroed again. */
	memset(first, 0x5a, 64);
	char *again = lv_arena_alloc(&a, 64);
	cr_expect_eq(again, first);
	cr_expect(zeroed(again, 64));
	lv_arena_free(&a);
	cr_expect_eq(norder, 1, "a cleanup ran twice");
}

Test(arena, reset_frees_a_first_block_larger_than_keep)
{
	lv_arena a;
	lv_arena_init(&a);
	cr_assert_not_null(lv_arena_alloc(&a, 20000));  /* the first block is large */
	cr_assert_not_null(lv_arena_alloc(&a, 10));
	cr_expect_not(lv__arena_reset(&a, 8192));
	cr_expect_null(a.head);
	cr_expect_eq(a.used, 0);
	/* And a small first block with keep smaller than it. */
	cr_assert_not_null(lv_arena_alloc(&a, 10));
	cr_expect_not(lv__arena_reset(&a, 100));
	cr_expect_null(a.head);
	/* Usable after either. */
	cr_expect_not_null(lv_arena_alloc(&a, 10));
	lv_arena_free(&a);
}

Test(arena, reset_of_an_empty_arena)
{
	lv_arena a;
	lv_arena_init(&a);
	cr_expect(lv__arena_reset(&a, 0));
	cr_expect_null(a.head);
	lv_arena_free(&a);
}

/* ---- buffers ------------------------------------------------------------------ */

Test(buf, append_grows_and_terminates)
{
	lv_buf b;
	lv_buf_init(&b);
	cr_expect(b.data == NULL && b.len == 0 && b.cap == 0 && !b.failed);
	lv_buf_append(&b, "", 0);
	cr_expect_null(b.data, "an empty append allocated");
	lv_buf_puts(&b, "ab");
	lv_buf_append(&b, "cdef", 2);
	cr_expect_eq(b.len, 4);
	cr_expect_str_eq(b.data, "abcd");
	char chunk[1000];
	memset(chunk, 'x', sizeof chunk);
	for (int i = 0; i < 100; i++)
		lv_buf_append(&b, chunk, sizeof chunk);
	cr_expect_eq(b.len, 4 + 100 * sizeof chunk);
	cr_expect_gt(b.cap, b.len);
	cr_expect_eq(b.data[b.len], '\0');
	cr_expect_eq(b.data[b.len - 1], 'x');
	cr_expect_not(b.failed);
	lv_buf_free(&b);
	cr_expect(b.data == NULL && b.len == 0 && b.cap == 0);
}

Test(buf, reserve_leaves_room_for_the_nul)
{
	lv_buf b;
	lv_buf_init(&b);
	cr_assert(lv__buf_reserve(&b, 256));
	cr_expect_gt(b.cap, 256);
	size_t cap = b.cap;
	memset(b.data, 'y', 256);
	b.len = 256;
	b.data[256] = '\0';
	cr_assert(lv__buf_reserve(&b, cap - 257));   /* exactly fits, NUL included */
	cr_expect_eq(b.cap, cap);
	cr_assert(lv__buf_reserve(&b, cap - 256));   /* one more: it grows */
	cr_expect_gt(b.cap, cap);
	lv_buf_free(&b);
}

Test(buf, an_impossible_size_fails_for_good)
{
	lv_buf b;
	lv_buf_init(&b);
	lv_buf_puts(&b, "kept");
	cr_expect_not(lv__buf_reserve(&b, SIZE_MAX));
	cr_expect(b.failed);
	lv_buf_puts(&b, "more");
	cr_expect_eq(b.len, 4, "appended after failing");
	cr_expect_str_eq(b.data, "kept");
	cr_expect_not(lv__buf_reserve(&b, 1));
	lv_buf_free(&b);
	cr_expect_not(b.failed);
}
