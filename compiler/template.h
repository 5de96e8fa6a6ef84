/* template.h - the template engine (template.c) and where templates come
 * from: compiled into lvc, or read from a folder given with --templates. */
#ifndef LVC_TEMPLATE_H
#define LVC_TEMPLATE_H

#include "lvc.h"
#include "view.h"

typedef struct {
	const char *name;       /* file name without .tmpl: "c_header" */
	const char *text;
	size_t len;
} lvc_template;

typedef struct {
	char *data;             /* owned (malloc) */
	size_t len, cap;
} lvc_tbuf;

void lvc_tbuf_put(lvc_tbuf *b, const char *p, size_t n);

/* Renders template `name` against view into out (appending). Template
 * errors are reported through c; returns -1 on error. */
int lvc_render(lvc_ctx *c, const lvc_template *all, size_t nall, const char *name,
               const lvc_view *view, lvc_tbuf *out);

/* The templates compiled into lvc (made from the templates folder). */
extern const lvc_template lvc_builtin_templates[];
extern const size_t lvc_builtin_ntemplates;

#endif
