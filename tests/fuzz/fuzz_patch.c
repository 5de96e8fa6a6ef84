/* fuzz_patch.c - libFuzzer target for the RFC 6902 applier a page's state
 * patches go through: the input is JSON text [DOC, PATCH]. Checked on the
 * way:
 * - a refused patch leaves the document exactly as it was (all or
 *   nothing), and names an operation inside the patch;
 * - the patch applied whole gives the same result as its operations
 *   applied one by one, which fails at the same operation.
 * Links the state layer, liblv-codec.a and jansson; no sockets. Built by
 * tests/fuzz/fuzz.mk. */
#include <stdint.h>
#include <stdlib.h>

#include "state/state.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *in = json_loadb((const char *)data, size, JSON_DECODE_ANY, NULL);
	if (!json_is_array(in) || json_array_size(in) != 2) {
		json_decref(in);
		return 0;
	}
	json_t *doc = json_deep_copy(json_array_get(in, 0));
	json_t *before = json_deep_copy(doc), *stepped = json_deep_copy(doc);
	const json_t *patch = json_array_get(in, 1);
	lv_patch_error err;
	int rc = lv__patch_apply(&doc, patch, &err);
	if (rc != 0 && rc != LV_EINVALID_ARGUMENT)
		abort();                 /* only memory may fail otherwise */
	if (rc != 0 && !json_equal(doc, before))
		abort();                 /* half applied */
	if (rc != 0 && json_is_array(patch) && err.op >= json_array_size(patch))
		abort();

	/* one by one */
	int step_rc = 0;
	size_t failed_at = 0;
	if (json_is_array(patch)) {
		for (size_t i = 0; i < json_array_size(patch) && step_rc == 0; i++) {
			json_t *one = json_pack("[O]", json_array_get(patch, i));
			lv_patch_error e1;
			step_rc = lv__patch_apply(&stepped, one, &e1);
			failed_at = i;
			json_decref(one);
		}
		if ((rc == 0) != (step_rc == 0))
			abort();
		if (rc == 0 && !json_equal(doc, stepped))
			abort();
		if (rc != 0 && err.op != failed_at)
			abort();
	}
	json_decref(doc);
	json_decref(before);
	json_decref(stepped);
	json_decref(in);
	return 0;
}
