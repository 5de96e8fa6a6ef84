/* lv_internal.h - what the runtime's modules share and users do not see. */
#ifndef LV_INTERNAL_H
#define LV_INTERNAL_H

#include "lv.h"

/* Is [p, p+n) valid UTF-8 (no overlongs, no surrogates)? */
bool lv__utf8_valid(const char *p, size_t n);

#endif
