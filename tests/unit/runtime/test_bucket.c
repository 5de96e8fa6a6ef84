/* test_bucket.c - base/bucket.c: token buckets, refilled over time given by the now_us parameter. */
#include <criterion/criterion.h>

#include "base/base.h"

#define MS 1000
#define SEC (1000 * MS)

typedef struct {
	double tokens;
	int64_t at;
} bucket;

static bool
take(bucket *b, int64_t count, int64_t per_ms, int64_t now)
{
	return lv__bucket_take(&b->tokens, &b->at, count, per_ms, now);
}

/* How many of n takes at `now` succeed. */
static int
burst(bucket *b, int64_t count, int64_t per_ms, int64_t now, int n)
{
	int got = 0;
	for (int i = 0; i < n; i++)
		got += take(b, count, per_ms, now);
	return got;
}

Test(bucket, starts_full)
{
	bucket b = { 0, 0 };
	cr_expect_eq(burst(&b, 5, 1000, 100 * SEC, 10), 5);
	cr_expect_eq(b.at, 100 * SEC);
	/* The tokens on the state are what is left. */
	cr_expect(b.tokens < 1.0);
}

Test(bucket, refills_at_the_rate)
{
	bucket b = { 0, 0 };
	int64_t t = 7 * SEC;
	cr_expect_eq(burst(&b, 10, 1000, t, 10), 10);   /* 10 per second */
	cr_expect_not(take(&b, 10, 1000, t));
	cr_expect_not(take(&b, 10, 1000, t + 99 * MS));   /* 0.99 of a token */
	cr_expect(take(&b, 10, 1000, t + 100 * MS));      /* one token each 100 ms */
	cr_expect_not(take(&b, 10, 1000, t + 100 * MS));
	cr_expect_eq(burst(&b, 10, 1000, t + 400 * MS, 10), 3);
}

Test(bucket, a_refused_take_keeps_what_was_gained)
{
	bucket b = { 0, 0 };
	int64_t t = SEC;
	cr_expect_eq(burst(&b, 1, 1000, t, 2), 1);
	/* Half a token at 500 ms: refused, but the half stays. */
	cr_expect_not(take(&b, 1, 1000, t + 500 * MS));
	cr_expect(take(&b, 1, 1000, t + 1000 * MS));
	/* Asked every 100 ms, one in ten succeeds. */
	int got = 0;
	for (int i = 1; i <= 100; i++)
		got += take(&b, 1, 1000, t + 1000 * MS + i * 100 * MS);
	cr_expect_eq(got, 10);
}

Test(bucket, never_holds_more_than_the_burst)
{
	bucket b = { 0, 0 };
	int64_t t = SEC;
	cr_expect_eq(burst(&b, 3, 1000, t, 3), 3);
	/* An hour idle refills three tokens, not 10800. */
	cr_expect_eq(burst(&b, 3, 1000, t + 3600LL * SEC, 10), 3);
	cr_expect(b.tokens >= 0.0 && b.tokens < 1.0);
}

Test(bucket, slow_rates_and_long_periods)
{
	bucket b = { 0, 0 };
	int64_t t = SEC;
	/* Two per minute. */
	cr_expect_eq(burst(&b, 2, 60 * 1000, t, 5), 2);
	cr_expect_not(take(&b, 2, 60 * 1000, t + 29 * SEC));
	cr_expect(take(&b, 2, 60 * 1000, t + 30 * SEC));
	cr_expect_not(take(&b, 2, 60 * 1000, t + 59 * SEC));
	cr_expect(take(&b, 2, 60 * 1000, t + 60 * SEC));
}

Test(bucket, fast_rates)
{
	bucket b = { 0, 0 };
	int64_t t = SEC;
	/* 1000 per millisecond: a million a second. */
	cr_expect_eq(burst(&b, 1000, 1, t, 1001), 1000);
	cr_expect_eq(burst(&b, 1000, 1, t + 1, 5), 1);    /* 1 us: one token */
	cr_expect_eq(burst(&b, 1000, 1, t + 1 + MS, 2000), 1000);
}

Test(bucket, buckets_are_independent)
{
	bucket a = { 0, 0 }, b = { 0, 0 };
	int64_t t = SEC;
	cr_expect_eq(burst(&a, 2, 1000, t, 5), 2);
	cr_expect_eq(burst(&b, 2, 1000, t, 1), 1);
	cr_expect_eq(burst(&b, 2, 1000, t, 5), 1);
	cr_expect_not(take(&a, 2, 1000, t));
}

/* The real clock moves forward and is what the runtime passes. */
Test(bucket, with_the_clock)
{
	int64_t t0 = lv__now_us();
	cr_expect_gt(t0, 0);
	cr_expect_geq(lv__now_us(), t0);
	bucket b = { 0, 0 };
	cr_expect(take(&b, 1, 3600 * 1000, lv__now_us()));
	cr_expect_not(take(&b, 1, 3600 * 1000, lv__now_us()));
}
