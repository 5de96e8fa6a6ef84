/* symtab.h - a string-keyed hash table for the checker's name spaces. Keys
 * are borrowed slices; values are opaque pointers. */
#ifndef LVC_SYMTAB_H
#define LVC_SYMTAB_H

#include "lvc.h"

typedef struct {
	lvc_str *keys;
	void **vals;
	uint32_t cap;   /* a power of two, or 0 */
	uint32_t len;
} lvc_symtab;

void lvc_symtab_init(lvc_symtab *t);
void lvc_symtab_free(lvc_symtab *t);
void *lvc_symtab_get(const lvc_symtab *t, lvc_str key);
/* Sets key to val (never NULL: NULL marks a free slot), replacing any
 * earlier value. */
void lvc_symtab_put(lvc_symtab *t, lvc_str key, void *val);

#endif
