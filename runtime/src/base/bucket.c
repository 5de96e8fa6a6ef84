/* bucket.c - token buckets for rate limits. */
#include "base/base.h"

/* A token bucket: `count` tokens per `per_ms`, holding at most count (the
 * burst); *at_us 0 means never used (full). */
bool
lv__bucket_take(double *tokens, int64_t *at_us, int64_t count, int64_t per_ms, int64_t now_us)
{
	double cap = (double)count;
	if (!*at_us) {
		*tokens = cap;
	} else {
		double gained = (double)(now_us - *at_us) * cap / ((double)per_ms * 1000.0);
		*tokens = *tokens + gained > cap ? cap : *tokens + gained;
	}
	*at_us = now_us;
	/* Gains that add up to a whole token may round to a hair less (0.1
	 * ten times is 0.9999999999999999), which would hold each token back
	 * until the next take: a token is whole to within 1e-9. */
	if (*tokens < 1.0 - 1e-9)
		return false;
	*tokens = *tokens > 1.0 ? *tokens - 1.0 : 0.0;
	return true;
}
