/* state_bench.c - what a state's flush costs, against a generic tree diff
 * of the same state (the way a differ that compares the whole value before
 * and after a flush works). Prints one JSON line per measurement:
 *
 *   field-N      one field of one row changed in a map of N rows
 *   prepend-N    one row put before the others in a list of N rows
 *
 * each with the state document's CPU time per flush and patch bytes, and
 * the generic diff's. Run by bench/state.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "state/state.h"

static double
now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* ---- the baseline: diff two whole trees ------------------------------------------- */

static void
put_op(lv_buf *out, const char *op, const char *path, const json_t *v)
{
	if (out->len > 1)
		lv_buf_puts(out, ",");
	lv_buf_puts(out, "{\"op\":\"");
	lv_buf_puts(out, op);
	lv_buf_puts(out, "\",\"path\":");
	lv_buf_json_str(out, path, strlen(path));
	if (v) {
		char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		lv_buf_puts(out, ",\"value\":");
		lv_buf_puts(out, t);
		free(t);
	}
	lv_buf_puts(out, "}");
}

/* Objects by member, arrays by position (a longer or shorter array: the
 * items past the shorter one added or removed), anything else by value. */
static void
tree_diff(lv_buf *out, lv_buf *path, const json_t *a, const json_t *b)
{
	size_t at = path->len;
	if (json_is_object(a) && json_is_object(b)) {
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)a, k, v) {
			lv__ptr_append(path, k);
			json_t *w = json_object_get(b, k);
			if (!w)
				put_op(out, "remove", path->data, NULL);
			else
				tree_diff(out, path, v, w);
			lv__ptr_truncate(path, at);
		}
		json_object_foreach((json_t *)b, k, v) {
			if (json_object_get(a, k))
				continue;
			lv__ptr_append(path, k);
			put_op(out, "add", path->data, v);
			lv__ptr_truncate(path, at);
		}
		return;
	}
	if (json_is_array(a) && json_is_array(b)) {
		size_t na = json_array_size(a), nb = json_array_size(b);
		char idx[24];
		for (size_t i = 0; i < na || i < nb; i++) {
			snprintf(idx, sizeof idx, "%zu", i < nb ? i : nb);
			lv__ptr_append(path, idx);
			if (i >= nb)
				put_op(out, "remove", path->data, NULL);
			else if (i >= na)
				put_op(out, "add", path->data, json_array_get(b, i));
			else
				tree_diff(out, path, json_array_get(a, i), json_array_get(b, i));
			lv__ptr_truncate(path, at);
		}
		return;
	}
	if (!lv__json_same(a, b))
		put_op(out, "replace", path->data ? path->data : "", b);
}

/* The baseline's flush: the patch from the last flushed copy to now, and
 * a copy of now for the next one. */
static size_t
baseline_flush(json_t **last, const json_t *now)
{
	lv_buf out, path;
	lv_buf_init(&out);
	lv_buf_init(&path);
	lv__buf_reserve(&path, 64);
	lv__ptr_truncate(&path, 0);
	lv_buf_puts(&out, "[");
	tree_diff(&out, &path, *last, now);
	lv_buf_puts(&out, "]");
	size_t n = out.len;
	lv_buf_free(&out);
	lv_buf_free(&path);
	json_decref(*last);
	*last = json_deep_copy(now);
	return n;
}

/* ---- the measurements ----------------------------------------------------------------- */

static json_t *
row(int i)
{
	char name[32];
	snprintf(name, sizeof name, "machine %d", i);
	return json_pack("{s:i,s:s,s:f,s:b}", "id", i, "name", name, "temp", 20.0 + i % 7, "on", 1);
}

static void
report(const char *what, int n, int reps, double sdoc_us, size_t sdoc_bytes, double base_us,
       size_t base_bytes)
{
	printf("{\"case\":\"%s\",\"rows\":%d,\"reps\":%d,\"state_us\":%.3f,\"state_bytes\":%zu,"
	       "\"diff_us\":%.3f,\"diff_bytes\":%zu}\n", what, n, reps, sdoc_us / reps,
	       sdoc_bytes, base_us / reps, base_bytes);
	fflush(stdout);
}

static void
field_case(int n, int reps)
{
	json_t *rows = json_object();
	char key[24];
	for (int i = 0; i < n; i++) {
		snprintf(key, sizeof key, "m%d", i);
		json_object_set_new(rows, key, row(i));
	}
	lv_sdoc d;
	lv__sdoc_init(&d, json_pack("{s:o}", "rows", rows));
	json_t *last = json_deep_copy(d.root);
	lv_buf out;
	lv_patch_error err;
	size_t bytes = 0, base_bytes = 0;
	double t_state = 0, t_base = 0;
	for (int r = 0; r < reps; r++) {
		char path[64];
		snprintf(path, sizeof path, "/rows/m%d/temp", (r * 7919) % n);
		double t0 = now_us();
		lv__sdoc_op(&d, LV_OP_REPLACE, path, NULL, json_real(30.0 + r), &err);
		lv_buf_init(&out);
		lv__sdoc_flush(&d, &out);
		double t1 = now_us();
		bytes = out.len;
		lv_buf_free(&out);
		t_state += t1 - t0;
		/* the baseline pays the same change, then its diff */
		double t2 = now_us();
		base_bytes = baseline_flush(&last, d.root);
		t_base += now_us() - t2;
	}
	report("field", n, reps, t_state, bytes, t_base, base_bytes);
	json_decref(last);
	lv__sdoc_free(&d);
}

static void
prepend_case(int n, int reps)
{
	json_t *rows = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(rows, row(i));
	lv_sdoc d;
	lv__sdoc_init(&d, json_pack("{s:o}", "rows", rows));
	json_t *last = json_deep_copy(d.root);
	lv_buf out;
	lv_patch_error err;
	size_t bytes = 0, base_bytes = 0;
	double t_state = 0, t_base = 0;
	for (int r = 0; r < reps; r++) {
		double t0 = now_us();
		lv__sdoc_op(&d, LV_OP_ADD, "/rows/0", NULL, row(-r), &err);
		lv_buf_init(&out);
		lv__sdoc_flush(&d, &out);
		double t1 = now_us();
		bytes = out.len;
		lv_buf_free(&out);
		t_state += t1 - t0;
		double t2 = now_us();
		base_bytes = baseline_flush(&last, d.root);
		t_base += now_us() - t2;
	}
	report("prepend", n, reps, t_state, bytes, t_base, base_bytes);
	json_decref(last);
	lv__sdoc_free(&d);
}

int
main(int argc, char **argv)
{
	int scale = argc > 1 ? atoi(argv[1]) : 1;   /* 0: a quick run */
	int reps = scale ? 50 : 5;
	field_case(1000, reps);
	field_case(10000, reps);
	if (scale)
		field_case(100000, reps / 5);
	prepend_case(10000, reps);
	return 0;
}
