/* cmd.c - commands: what handlers send pages to do with an answer. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/net.h"

static bool
utf8_ok(const char *s)
{
	return !s || lv__utf8_valid(s, strlen(s));
}

int
lv_cmd_send_jansson(lv_call *call, const char *name, json_t *args)
{
	if (!name || !utf8_ok(name) || (args && !json_is_array(args))) {
		json_decref(args);
		return LV_EINVALID_ARGUMENT;
	}
	if (!call->cmds && !(call->cmds = json_array())) {
		json_decref(args);
		return LV_ENOMEM;
	}
	json_t *cmd = json_array();
	if (!cmd || json_array_append_new(cmd, json_string(name)) != 0 ||
	    (args && json_array_extend(cmd, args) != 0)) {
		json_decref(cmd);
		json_decref(args);
		return LV_ENOMEM;
	}
	json_decref(args);
	return json_array_append_new(call->cmds, cmd) == 0 ? 0 : LV_ENOMEM;
}

int
lv_cmd_send(lv_call *call, const char *name, const char *args_json)
{
	json_t *args = NULL;
	if (args_json) {
		args = json_loads(args_json, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, NULL);
		if (!args || !json_is_array(args)) {
			json_decref(args);
			return LV_EINVALID_ARGUMENT;
		}
	}
	return lv_cmd_send_jansson(call, name, args);
}

/* The built-in commands are lv_cmd_send with arguments built here, from
 * strings checked first: NULL arguments then mean memory ran out. */
static int
builtin(lv_call *call, const char *name, json_t *args)
{
	return args ? lv_cmd_send_jansson(call, name, args) : LV_ENOMEM;
}

static json_t *
s_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* A command whose one argument is a string (or null). */
static int
one_string(lv_call *call, const char *name, const char *s)
{
	if (!utf8_ok(s))
		return LV_EINVALID_ARGUMENT;
	return builtin(call, name, json_pack("[o]", s_or_null(s)));
}

int
lv_cmd_morph(lv_call *call, const char *id, const char *html)
{
	if (!utf8_ok(id) || !utf8_ok(html))
		return LV_EINVALID_ARGUMENT;
	return builtin(call, "lv.morph", json_pack("[o, o, {}]", s_or_null(id), s_or_null(html)));
}

int
lv_cmd_notify(lv_call *call, const char *text, const lv_notify_opts *o)
{
	if (!utf8_ok(text) || (o && (!utf8_ok(o->group) || !utf8_ok(o->level))))
		return LV_EINVALID_ARGUMENT;
	json_t *kw = json_object();
	if (!kw)
		return LV_ENOMEM;
	if (o && o->sticky)
		json_object_set_new(kw, "sticky", json_true());
	if (o && o->group)
		json_object_set_new(kw, "group", json_string(o->group));
	if (o && o->throttle_ms)
		json_object_set_new(kw, "throttle", json_integer(o->throttle_ms));
	if (o && o->level)
		json_object_set_new(kw, "level", json_string(o->level));
	return builtin(call, "lv.notify", json_pack("[o, o]", s_or_null(text), kw));
}

int
lv_cmd_clear_notifications(lv_call *call, const char *group)
{
	if (!utf8_ok(group))
		return LV_EINVALID_ARGUMENT;
	return builtin(call, "lv.clear_notifications", group ?
	               json_pack("[{s:s}]", "group", group) : json_array());
}

int lv_cmd_focus(lv_call *call, const char *id) { return one_string(call, "lv.focus", id); }
int lv_cmd_blur(lv_call *call, const char *id) { return one_string(call, "lv.blur", id); }
int lv_cmd_block(lv_call *call, const char *g) { return one_string(call, "lv.block", g); }
int lv_cmd_release(lv_call *call, const char *g) { return one_string(call, "lv.release", g); }
int lv_cmd_switch_mode(lv_call *call, const char *mode) { return one_string(call, "lv.switch_mode", mode); }
int lv_cmd_redirect(lv_call *call, const char *url) { return one_string(call, "lv.redirect", url); }
int lv_cmd_eval(lv_call *call, const char *script) { return one_string(call, "lv.eval", script); }

int
lv_cmd_set_state_jansson(lv_call *call, json_t *state)
{
	return builtin(call, "lv.set_state", json_pack("[o]", state ? state : json_null()));
}

int
lv_cmd_set_state(lv_call *call, const char *state_json)
{
	json_t *state = NULL;
	if (state_json) {
		state = json_loads(state_json, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES |
		                   JSON_ALLOW_NUL, NULL);
		if (!state)
			return LV_EINVALID_ARGUMENT;
	}
	return lv_cmd_set_state_jansson(call, state);
}
