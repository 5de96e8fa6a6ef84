/* codec.h - the codec layer: reading JSON text in one pass, writing it,
 * and the typed codec over lv_type tables (lv_abi.h). Built on base only:
 * no sockets, no JSON library. */
#ifndef LV_CODEC_H
#define LV_CODEC_H

#include "base/base.h"

/* ---- reading JSON text (json_read.c) ------------------------------------------- */

/* A reader over JSON text. The first error stops it: err says what, err_at
 * where (a byte offset), and every later read fails. */
typedef struct {
	const char *p, *end, *start;
	const char *err;
	size_t err_at;
} lv_jr;

typedef enum {
	LV_JR_OBJECT, LV_JR_LIST, LV_JR_STRING, LV_JR_NUMBER, LV_JR_BOOL, LV_JR_NULL,
	LV_JR_END, LV_JR_BAD
} lv_jr_kind;

typedef struct {
	bool is_int;                /* no fraction and no exponent */
	bool big;                   /* an integer past int64: only d holds it */
	bool range;                 /* past what a double holds */
	int64_t i;
	double d;
} lv_jr_num;

void lv__jr_init(lv_jr *r, const char *p, size_t n);
/* Records the first error (at the reader's position); always false. */
bool lv__jr_fail(lv_jr *r, const char *what);
/* The kind of the next value, from its first byte (whitespace skipped). */
lv_jr_kind lv__jr_peek(lv_jr *r);
/* Fails with "expected a value" (or the end of input). */
bool lv__jr_expected_value(lv_jr *r);
bool lv__jr_bool(lv_jr *r, bool *v);
bool lv__jr_null(lv_jr *r);
/* Reads a number into *out; out NULL: only checks its grammar. */
bool lv__jr_number(lv_jr *r, lv_jr_num *out);
/* Reads a string, unescaped into dst (NULL: only checked), which may be
 * the string's own bytes: the output never overtakes the input. At most
 * cap bytes are stored, NUL-terminated when room; *len is the full
 * length, *nul (if given) whether it holds U+0000. */
bool lv__jr_string(lv_jr *r, char *dst, size_t cap, size_t *len, bool *nul);
/* Consumes `open` ('{' or '['). */
bool lv__jr_open(lv_jr *r, char open);
/* Between members of an object or list closed by `close`: 1 when another
 * member follows (for an object the reader is then at its key), 0 at the
 * end (consumed), -1 on an error. *first starts true. */
int lv__jr_more(lv_jr *r, char close, bool *first);
bool lv__jr_colon(lv_jr *r);
/* Checks and passes over one value. */
bool lv__jr_skip(lv_jr *r, uint32_t depth);
/* Only whitespace may remain; true if nothing went wrong. */
bool lv__jr_finish(lv_jr *r);

#endif
