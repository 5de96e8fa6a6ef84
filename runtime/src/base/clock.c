/* clock.c - the runtime's clock. */
#include <time.h>

#include "base/base.h"

int64_t
lv__now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
