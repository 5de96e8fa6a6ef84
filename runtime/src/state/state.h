/* state.h - the state layer: RFC 6901 pointers and RFC 6902 patches on
 * jansson values, and the document a synchronised state lives in, which
 * records its changes as patch operations, coalesced until a flush. Built
 * on base and jansson; no sockets: the net layer sends what this writes. */
#ifndef LV_STATE_H
#define LV_STATE_H

#include <jansson.h>

#include "base/base.h"

/* Why a patch or an operation was refused: the index of the operation and
 * a sentence. */
typedef struct {
	size_t op;
	char why[160];
} lv_patch_error;

/* ---- patches (patch.c) ------------------------------------------------- */

/* Applies the RFC 6902 patch ops (a JSON array) to *doc, all or nothing:
 * 0, or LV_EINVALID_ARGUMENT with *doc as it was and err filled (the op
 * that failed and why), or LV_ENOMEM. *doc may be replaced (an operation
 * on the root); the caller owns the reference it holds. */
int lv__patch_apply(json_t **doc, const json_t *ops, lv_patch_error *err);

/* JSON equality as RFC 6902's test means it: numbers by value (1 equals
 * 1.0), objects whatever their order, arrays in order. */
bool lv__json_same(const json_t *a, const json_t *b);

/* ---- pointers and places ------------------------------------------------ */

/* Where a pointer leads: the root (parent NULL), a member of an object
 * (key, malloc'd: lv__place_done frees it) or an index of an array
 * (end: "-", one past the last item). */
typedef struct {
	json_t *parent;
	char *key;
	size_t index;
	bool end;
} lv_place;

/* Finds the place ptr names in doc; its parent must exist (the place
 * itself need not). false with *why when ptr is not well formed, its
 * parent does not exist or is not a container, or an index is not a
 * number or is past the end. */
bool lv__place_find(json_t *doc, const char *ptr, lv_place *pl, const char **why);
void lv__place_done(lv_place *pl);
/* The value at the place (borrowed), or NULL. */
json_t *lv__place_get(json_t *doc, const lv_place *pl);
/* The value at an RFC 6901 pointer ("" is the document), or NULL. */
json_t *lv__pointer_get(json_t *doc, const char *ptr);
/* Appends "/" and token, escaped (~0, ~1), to a pointer being built. */
void lv__ptr_append(lv_buf *b, const char *token);
/* Cuts the pointer in b back to len bytes. */
void lv__ptr_truncate(lv_buf *b, size_t len);

/* ---- a state document (sdoc.c) --------------------------------------------- */

typedef enum {
	LV_OP_ADD, LV_OP_REMOVE, LV_OP_REPLACE, LV_OP_MOVE
} lv_op_kind;

typedef struct lv_sop lv_sop;
typedef struct lv_snode lv_snode;

/* A state's value and the operations recorded since its last flush. Each
 * change is applied to the value at once and recorded as the operation
 * that makes it; a later change to the same place drops the ones it makes
 * moot (the last replace of a path wins, whatever was under a removed or
 * replaced value goes, a map entry added and removed again is no
 * operation at all). List insert, remove and move shift the places of
 * their list's items: nothing recorded before one under that list is
 * dropped by what comes after it. So a flush costs what changed, never
 * the size of the value. */
typedef struct {
	json_t *root;            /* the value; never NULL (JSON null at first) */
	uint64_t rev;            /* flushes so far */
	lv_sop *ops;             /* recorded, in order; dead ones skipped */
	size_t nops, capops, live;
	lv_htab nodes;           /* path -> lv_snode, for the pending ops */
	lv_snode *top;           /* the node of "" */
	lv_arena mem;            /* op texts and nodes; emptied by a flush */
} lv_sdoc;

/* root is taken (NULL: JSON null). */
void lv__sdoc_init(lv_sdoc *d, json_t *root);
void lv__sdoc_free(lv_sdoc *d);

/* One change. path is an RFC 6901 pointer; value is taken (even on
 * failure) for add and replace, NULL for remove; from is the source of a
 * move (the same list's item). An add at an array index inserts (at "-":
 * at the end); an add at an object member sets it. 0, or
 * LV_EINVALID_ARGUMENT (err says why; nothing changed), or LV_ENOMEM. */
int lv__sdoc_op(lv_sdoc *d, lv_op_kind kind, const char *path, const char *from,
                json_t *value, lv_patch_error *err);

/* Makes the value at path equal value (taken), recording only what
 * differs: members added, removed or changed, lists of one length item by
 * item (a list whose length changed is replaced whole). The parent of
 * path must exist. */
int lv__sdoc_set(lv_sdoc *d, const char *path, json_t *value, lv_patch_error *err);

/* Does a flush have anything to send? */
bool lv__sdoc_pending(const lv_sdoc *d);

/* Appends the recorded operations as one JSON array to out, forgets them
 * and counts a revision (d->rev). false when nothing was recorded (out
 * untouched, no revision). */
bool lv__sdoc_flush(lv_sdoc *d, lv_buf *out);

/* Appends the whole value as a patch: [{"op":"replace","path":"","value":...}]. */
void lv__sdoc_snapshot(const lv_sdoc *d, lv_buf *out);

#endif
