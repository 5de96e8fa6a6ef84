/* base.h - the runtime's bottom layer: strings, numbers, memory, the clock
 * and rate buckets. No sockets, no JSON library, no threads: everything
 * above builds on this, and this calls nothing above. */
#ifndef LV_BASE_H
#define LV_BASE_H

#include "lv_abi.h"

/* Is [p, p+n) valid UTF-8 (no overlongs, no surrogates)? */
bool lv__utf8_valid(const char *p, size_t n);
/* The length of the one character at p (1 to 4 bytes, within n), or 0
 * when the bytes there are not valid UTF-8. */
size_t lv__utf8_char(const char *p, size_t n);

/* Writes v in decimal (at most 20 bytes, no NUL); returns the length. */
size_t lv__u64_dec(char *out, uint64_t v);
size_t lv__i64_dec(char *out, int64_t v);

/* A hash of a C string, for the runtime's tables. */
uint32_t lv__hash_str(const char *s);

/* An intrusive hash table: a struct in it holds an lv_hnode (first, so a
 * node is the struct) and finds its kin by walking the chain of its hash,
 * comparing its own key. The table grows itself at three quarters full. */
typedef struct lv_hnode lv_hnode;
struct lv_hnode {
	lv_hnode *next;
	uint32_t hash;
};
typedef struct {
	lv_hnode **b;
	uint32_t n, cap;
} lv_htab;

/* 0, or LV_ENOMEM (n is then not in the table). */
int lv__htab_insert(lv_htab *t, lv_hnode *n, uint32_t hash);
/* The first node whose hash falls in hash's bucket; follow ->next and
 * compare (hash first, then the key). */
lv_hnode *lv__htab_chain(const lv_htab *t, uint32_t hash);
/* The node of that hash for which eq(node, key) holds, or NULL. */
lv_hnode *lv__htab_find(const lv_htab *t, uint32_t hash,
                        bool (*eq)(const lv_hnode *n, const void *key), const void *key);
void lv__htab_remove(lv_htab *t, lv_hnode *n);
/* Every node, in no order: n NULL starts; *bucket is the cursor. Do not
 * insert while walking; removing the node just returned is allowed only
 * after taking its successor. */
lv_hnode *lv__htab_next(const lv_htab *t, lv_hnode *n, uint32_t *bucket);
void lv__htab_free(lv_htab *t);

/* Takes node out of a doubly linked list through its prev and next
 * fields, whose first node is *head. */
#define LV_UNLINK(head, node, prev, next) do {                            \
		if ((node)->prev)                                                  \
			(node)->prev->next = (node)->next;                             \
		else                                                               \
			*(head) = (node)->next;                                        \
		if ((node)->next)                                                  \
			(node)->next->prev = (node)->prev;                             \
	} while (0)

/* Arena memory that is not zeroed. */
void *lv__arena_take(lv_arena *a, size_t n);
/* Empties the arena for reuse, keeping its first block if that holds at
 * most `keep` bytes; false when nothing was kept. */
bool lv__arena_reset(lv_arena *a, size_t keep);

/* Room for n more bytes (and a NUL); false (and b->failed) when out of
 * memory. */
bool lv__buf_reserve(lv_buf *b, size_t n);

/* Appends the base64 of [p, p+n). */
void lv__b64_encode(lv_buf *b, const uint8_t *p, size_t n);
/* The length [s, s+n) decodes to, or SIZE_MAX when it is not canonical
 * padded base64. */
size_t lv__b64_decoded_len(const char *s, size_t n);
/* Decodes checked base64 into out, which may be s itself. */
void lv__b64_decode(const char *s, size_t n, uint8_t *out);

/* The monotonic clock in microseconds. */
int64_t lv__now_us(void);
/* The same clock as of the kernel's last tick (a few ms behind, never
 * ahead of lv__now_us), far cheaper to read (4 ns against 38 on a KVM
 * guest): for what happens once per message and is only compared with
 * timeouts of seconds. */
int64_t lv__now_coarse_us(void);
/* The wall clock: milliseconds since 1970 (UTC). */
int64_t lv__wall_ms(void);
/* unix_ms as RFC 3339 in UTC with milliseconds, "2024-05-01T12:00:00.000Z",
 * NUL-terminated (out holds at least 32 bytes). */
void lv__rfc3339_ms(char *out, int64_t unix_ms);

/* Takes a token from a bucket of `count` tokens per `per_ms` if one is
 * there; *at_us 0 is a full bucket never used. */
bool lv__bucket_take(double *tokens, int64_t *at_us, int64_t count, int64_t per_ms,
                     int64_t now_us);

#endif
