/* lv_jansson.h - lv for programs that use jansson: json values, commands
 * and decoding from and to jansson's json_t. Optional; lv.h needs none of
 * it. */
#ifndef LV_JANSSON_H
#define LV_JANSSON_H

#include <jansson.h>

#include "lv_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The JSON text of v in the call's memory, for a json result or field;
 * ptr NULL (JSON null) when v is NULL or memory ran out. */
lv_json lv_call_json(lv_call *call, const json_t *v);
/* A new reference to the value j holds; NULL when j is null or not JSON. */
json_t *lv_json_load(lv_json j);

/* lv_cmd_send and lv_cmd_set_state with jansson values, which they take
 * (even on failure). */
int lv_cmd_send_jansson(lv_call *call, const char *name, json_t *args /* a list */);
int lv_cmd_set_state_jansson(lv_call *call, json_t *state);

/* lv_decode and lv_decode_fields for a value already parsed: j is written
 * out as text and decoded the same way, so nothing in *out borrows from j.
 * obj NULL is an empty object. */
int lv_decode_jansson(const lv_type *t, const json_t *j, void *out, lv_arena *a,
                      const lv_limits *lim, lv_error *err);
int lv_decode_fields_jansson(const lv_type *t, const json_t *obj, void *out, lv_arena *a,
                             const lv_limits *lim, lv_error *err);

#ifdef __cplusplus
}
#endif
#endif
