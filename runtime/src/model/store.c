/* store.c - what every store shares: the models attached to it, by table,
 * and the one entry that opens a store by where it is (PostgreSQL or SQLite). */
#include <stdlib.h>
#include <string.h>

#include "model/model.h"

bool
lv__store_add_model(lv_store *s, const lv_model_desc *m)
{
	if (lv__store_model(s, m->table))
		return true;
	if (s->nmodels == s->capmodels) {
		size_t cap = s->capmodels ? s->capmodels * 2 : 8;
		const lv_model_desc **n = realloc(s->models, cap * sizeof *n);
		if (!n)
			return false;
		s->models = n;
		s->capmodels = cap;
	}
	s->models[s->nmodels++] = m;
	return true;
}

const lv_model_desc *
lv__store_model(const lv_store *s, const char *table)
{
	if (!table)
		return NULL;
	for (size_t i = 0; i < s->nmodels; i++)
		if (strcmp(s->models[i]->table, table) == 0)
			return s->models[i];
	return NULL;
}

lv_store *
lv__store_open(const char *where, lv_model_err *err)
{
	if (where && (strncmp(where, "postgresql://", 13) == 0 || strncmp(where, "postgres://", 11) == 0))
		return lv__store_pg(where, err);
	return lv__store_sqlite(where, err);
}
