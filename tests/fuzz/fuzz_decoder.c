/* fuzz_decoder.c - libFuzzer target for the message decoder: bytes ->
 * lv_decode_fields_text for the arguments of every endpoint of
 * tests/codegen/codec.lv, and lv_decode_text for each of its types, as the
 * server reads a frame. Checked on the way:
 * - what decodes is encoded again, and must decode to the same encoding;
 * - text the decoder accepts is JSON to jansson too;
 * - where jansson parses the text, decoding its tree (lv_decode) gives the
 *   same status and, but for syntax errors, the same message and path.
 *   (Not for text with a NUL byte: jansson takes one as the end of the
 *   input and may accept what comes before it.)
 * Built by tests/fuzz/fuzz.mk. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.lv.h"

static const lv_limits lim = { 16, 1000, 1 << 16 };

static json_t *
jansson_parse(const uint8_t *data, size_t size)
{
	size_t flags = JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL;
	json_t *j = json_loadb((const char *)data, size, flags, NULL);
	if (!j)
		j = json_loadb((const char *)data, size, flags | JSON_DECODE_INT_AS_REAL, NULL);
	return j;
}

static void
check(const lv_type *t, bool fields, const uint8_t *data, size_t size, const json_t *j)
{
	lv_arena a;
	lv_error err;
	lv_arena_init(&a);
	void *v = lv_arena_alloc(&a, t->size ? t->size : 1);
	if (!v)
		abort();
	int rc = fields ? lv_decode_fields_text(t, (const char *)data, size, v, &a, &lim, &err)
	                : lv_decode_text(t, (const char *)data, size, v, &a, &lim, &err);
	if (rc == 0 && !j && !memchr(data, '\0', size))
		abort();   /* accepted what is not JSON */
	if (j) {
		lv_arena a2;
		lv_error err2;
		lv_arena_init(&a2);
		void *v2 = lv_arena_alloc(&a2, t->size ? t->size : 1);
		int rc2 = fields ? lv_decode_fields(t, j, v2, &a2, &lim, &err2)
		                 : lv_decode(t, j, v2, &a2, &lim, &err2);
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
			if (lv_decode_text(t, b.data, b.len, v2, &a2, &lim, &err) != 0)
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
	json_t *j = memchr(data, '\0', size) ? NULL : jansson_parse(data, size);
	const lv_app *app = &codec_app;
	for (uint32_t i = 0; i < app->nendpoints; i++)
		check(app->endpoints[i].args, true, data, size, j);
	static const lv_type *const types[] = {
		&codec_Point_type, &codec_Node_type, &codec_Everything_type,
		&codec_Optionals_type, &codec_Defaults_type,
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		check(types[i], false, data, size, j);
	json_decref(j);
	return 0;
}
