/* status.c - status codes: their messages and wire names. */
#include "base/base.h"

const char *
lv_strerror(int status)
{
	switch (status) {
	case LV_OK: return "success";
	case LV_DEFERRED: return "answer deferred";
#define LV__MSG(name, val, wire, msg) case LV_E##name: return msg;
	LV_ERRNO_MAP(LV__MSG)
#undef LV__MSG
	default: return "unknown error";
	}
}

const char *
lv_errname(int status)
{
	switch (status) {
	case LV_OK: return "ok";
#define LV__WIRE(name, val, wire, msg) case LV_E##name: return wire;
	LV_ERRNO_MAP(LV__WIRE)
#undef LV__WIRE
	default: return "internal";
	}
}
