/* fuzz_decoder.c - libFuzzer target for the message decoder: bytes ->
 * lv_decode_fields for the arguments of every endpoint of
 * tests/codegen/codec.lv, and lv_decode for each of its types, as the
 * server reads a frame. Checked on the way:
 * - what decodes is encoded again, and must decode to the same encoding;
 * - text the decoder accepts is JSON to jansson too (duplicate names
 *   allowed: a json value keeps its text, repeated names and all);
 * - where jansson parses the text (refusing duplicate names, as the server
 *   once did), decoding the text jansson writes back from its tree, as
 *   lv_decode_jansson does, gives the same status and, but for syntax
 *   errors, the same message and path. (Not for text with a NUL byte:
 *   jansson takes one as the end of the input and may accept what comes
 *   before it.)
 * Links liblv-codec.a only (base and codec: no libwebsockets), jansson as
 * the oracle, and net_stubs.c for the few network calls the generated
 * code names. Built by tests/fuzz/fuzz.mk. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "codec.lv.h"

static const lv_limits lim = { 16, 1000, 1 << 16 };

static json_t *
jansson_parse(const uint8_t *data, size_t size, size_t flags)
{
	flags |= JSON_DECODE_ANY | JSON_ALLOW_NUL;
	json_t *j = json_loadb((const char *)data, size, flags, NULL);
	if (!j)
		j = json_loadb((const char *)data, size, flags | JSON_DECODE_INT_AS_REAL, NULL);
	return j;
}

/* What lv_decode_jansson does (net/jansson.c, not linked here): the tree
 * written out by jansson, decoded as text. */
static int
decode_tree(const lv_type *t, bool fields, const json_t *j, void *out, lv_arena *a,
            lv_error *err)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
	if (!text)
		abort();
	int rc = fields ? lv_decode_fields(t, text, strlen(text), out, a, &lim, err)
	                : lv_decode(t, text, strlen(text), out, a, &lim, err);
	free(text);
	return rc;
}

static void
check(const lv_type *t, bool fields, const uint8_t *data, size_t size, const json_t *j,
      bool is_json)
{
	lv_arena a;
	lv_error err;
	lv_arena_init(&a);
	void *v = lv_arena_alloc(&a, t->size ? t->size : 1);
	if (!v)
		abort();
	int rc = fields ? lv_decode_fields(t, (const char *)data, size, v, &a, &lim, &err)
	                : lv_decode(t, (const char *)data, size, v, &a, &lim, &err);
	if (rc == 0 && !is_json && !memchr(data, '\0', size))
		abort();   /* accepted what is not JSON */
	if (j) {
		lv_arena a2;
		lv_error err2;
		lv_arena_init(&a2);
		void *v2 = lv_arena_alloc(&a2, t->size ? t->size : 1);
		int rc2 = decode_tree(t, fields, j, v2, &a2, &err2);
		if (rc != rc2)
			abort();
		if (rc && strncmp(err.message, "malformed JSON", 14) != 0 &&
		    (strcmp(err.message, err2.message) != 0 || strcmp(err.path, err2.path) != 0))
			abort();
		lv_arena_free(&a2);
	}
	if (rc == 0) {
		lv_buf b;
		lv_buf_init(&b);
		if (lv_encode(&b, t, v, &err) == 0 && !b.failed) {
			/* What we write, we must read back to the same bytes. */
			lv_arena a2;
			lv_arena_init(&a2);
			void *v2 = lv_arena_alloc(&a2, t->size ? t->size : 1);
			if (lv_decode(t, b.data, b.len, v2, &a2, &lim, &err) != 0)
				abort();
			lv_buf b2;
			lv_buf_init(&b2);
			if (lv_encode(&b2, t, v2, &err) != 0 || b2.len != b.len ||
			    memcmp(b2.data, b.data, b.len) != 0)
				abort();
			lv_buf_free(&b2);
			lv_arena_free(&a2);
		}
		lv_buf_free(&b);
	}
	lv_arena_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool nul = memchr(data, '\0', size) != NULL;
	json_t *j = nul ? NULL : jansson_parse(data, size, JSON_REJECT_DUPLICATES);
	json_t *loose = nul || j ? NULL : jansson_parse(data, size, 0);
	bool is_json = j || loose;
	json_decref(loose);
	const lv_app *app = &codec_app;
	for (uint32_t i = 0; i < app->nendpoints; i++)
		check(app->endpoints[i].args, true, data, size, j, is_json);
	static const lv_type *const types[] = {
		&codec_Point_type, &codec_Node_type, &codec_Everything_type,
		&codec_Optionals_type, &codec_Defaults_type,
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		check(types[i], false, data, size, j, is_json);
	json_decref(j);
	return 0;
}
