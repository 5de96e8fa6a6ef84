/* fuzz_decoder.c - libFuzzer target for the message decoder: bytes ->
 * JSON (jansson, as the server reads a frame) -> the arguments of every
 * endpoint of tests/codegen/codec.lv, and of each of its types, through
 * lv_decode -> whatever decodes is encoded again and must be valid JSON
 * that decodes to the same encoding. Built by tests/fuzz/fuzz.mk. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.lv.h"

static void
check_roundtrip(const lv_type *t, const json_t *j, const lv_limits *lim)
{
	lv_arena a;
	lv_error err;
	lv_arena_init(&a);
	void *v = lv_arena_alloc(&a, t->size ? t->size : 1);
	if (v && lv_decode(t, j, v, &a, lim, &err) == 0) {
		lv_buf b;
		lv_buf_init(&b);
		if (lv_encode(&b, t, v, &err) == 0 && !b.failed) {
			/* What we write, we must read back to the same bytes. */
			json_t *again = json_loadb(b.data, b.len, JSON_DECODE_ANY, NULL);
			if (!again)
				abort();
			lv_arena a2;
			lv_arena_init(&a2);
			void *v2 = lv_arena_alloc(&a2, t->size ? t->size : 1);
			if (lv_decode(t, again, v2, &a2, lim, &err) != 0)
				abort();
			lv_buf b2;
			lv_buf_init(&b2);
			if (lv_encode(&b2, t, v2, &err) != 0 || b2.len != b.len ||
			    memcmp(b2.data, b.data, b.len) != 0)
				abort();
			lv_buf_free(&b2);
			lv_arena_free(&a2);
			json_decref(again);
		}
		lv_buf_free(&b);
	}
	lv_arena_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const lv_limits lim = { 16, 1000, 1 << 16 };
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
	                       NULL);
	if (!j)
		return 0;
	const lv_app *app = &codec_app;
	for (uint32_t i = 0; i < app->nendpoints; i++) {
		const lv_endpoint *ep = &app->endpoints[i];
		lv_arena a;
		lv_error err;
		lv_arena_init(&a);
		void *args = lv_arena_alloc(&a, ep->args->size ? ep->args->size : 1);
		if (args)
			(void)lv_decode_fields(ep->args, j, args, &a, &lim, &err);
		lv_arena_free(&a);
	}
	static const lv_type *const types[] = {
		&codec_Point_type, &codec_Node_type, &codec_Everything_type,
		&codec_Optionals_type, &codec_Defaults_type,
	};
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		check_roundtrip(types[i], j, &lim);
	json_decref(j);
	return 0;
}
