/* fuzz_state_wire.c - libFuzzer target for the patch frames of shared states that a node reads from Redis (state_wire.c).
 *
 * Bytes -> a 'T' frame. Checked on the way: what parses lies within the
 * input, in order, its name is a state's name, its revision is what its
 * digits say, and a frame made again from the parts parses to the same;
 * a key made from the name (with and without a group) is well formed.
 * state_wire.c alone, no library. Built by tests/fuzz/fuzz.mk. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/state_wire.h"

static void
check(int ok)
{
	if (!ok)
		abort();
}

static void
within(const char *data, size_t size, const char *p, size_t n)
{
	check(p >= data && p + n <= data + size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a copy of exactly size bytes: a read past it is the sanitizer's */
	char *p = malloc(size ? size : 1);
	if (!p)
		return 0;
	memcpy(p, data, size);
	lv_stw_frame f;
	if (lv__stw_parse(p, size, &f)) {
		within(p, size, f.origin, f.origin_len);
		within(p, size, f.name, f.name_len);
		within(p, size, f.body, f.body_len);
		check(f.origin < f.name && f.name < f.body && f.body_len > 0 && f.rev > 0);
		check(lv__stw_name_ok(f.name, f.name_len));
		char rev[24];
		int rl = snprintf(rev, sizeof rev, "%llu", (unsigned long long)f.rev);
		size_t n = 1 + f.origin_len + 1 + f.name_len + 1 + (size_t)rl + 1 + f.body_len;
		char *again = malloc(n);
		check(again != NULL);
		size_t at = 0;
		again[at++] = 'T';
		memcpy(again + at, f.origin, f.origin_len), at += f.origin_len, again[at++] = '\n';
		memcpy(again + at, f.name, f.name_len), at += f.name_len, again[at++] = '\n';
		memcpy(again + at, rev, (size_t)rl), at += (size_t)rl, again[at++] = '\n';
		memcpy(again + at, f.body, f.body_len);
		check(n == size && memcmp(again, p, n) == 0);   /* the digits were the revision's */
		lv_stw_frame g;
		check(lv__stw_parse(again, n, &g) && g.rev == f.rev && g.body_len == f.body_len);
		free(again);
		char name[129];
		memcpy(name, f.name, f.name_len);
		name[f.name_len] = '\0';
		char *k = lv__stw_key(name, NULL), *kg = lv__stw_key(name, "g");
		check(k && kg && strcmp(k, name) == 0 && strlen(kg) == f.name_len + 2 &&
		      kg[f.name_len] == '@');
		free(k);
		free(kg);
	}
	uint64_t r;
	if (lv__stw_rev(p, size, &r))
		check(r > 0 && size <= 19);
	free(p);
	return 0;
}
