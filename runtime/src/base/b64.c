/* b64.c - base64 (RFC 4648, with padding), the wire form of bytes values. */
#include "base/base.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
lv__b64_encode(lv_buf *b, const uint8_t *p, size_t n)
{
	if (!n || !lv__buf_reserve(b, (n + 2) / 3 * 4))
		return;
	char *o = b->data + b->len;
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = alphabet[(v >> 6) & 63];
		*o++ = alphabet[v & 63];
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);
		*o++ = alphabet[v >> 18];
		*o++ = alphabet[(v >> 12) & 63];
		*o++ = i + 1 < n ? alphabet[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	b->len = (size_t)(o - b->data);
	b->data[b->len] = '\0';
}

static int
sextet(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z') return ch - 'A';
	if (ch >= 'a' && ch <= 'z') return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9') return ch - '0' + 52;
	if (ch == '+') return 62;
	if (ch == '/') return 63;
	return -1;
}

size_t
lv__b64_decoded_len(const char *s, size_t n)
{
	if (n % 4)
		return SIZE_MAX;
	size_t pad = n && s[n - 1] == '=' ? 1 + (s[n - 2] == '=') : 0;
	for (size_t i = 0; i < n - pad; i++)
		if (sextet((unsigned char)s[i]) < 0)
			return SIZE_MAX;
	/* The bits that padding leaves over must be zero: one text per value. */
	if (pad && (sextet((unsigned char)s[n - pad - 1]) & (pad == 1 ? 3 : 15)))
		return SIZE_MAX;
	return n / 4 * 3 - pad;
}

void
lv__b64_decode(const char *s, size_t n, uint8_t *out)
{
	size_t pad = n && s[n - 1] == '=' ? 1 + (s[n - 2] == '=') : 0;
	for (size_t i = 0; i < n; i += 4) {
		uint32_t v = 0;
		for (size_t k = 0; k < 4; k++) {
			int x = i + k < n - pad ? sextet((unsigned char)s[i + k]) : 0;
			v = v << 6 | (uint32_t)x;
		}
		size_t left = i + 4 < n ? 3 : 3 - pad;
		*out++ = (uint8_t)(v >> 16);
		if (left > 1)
			*out++ = (uint8_t)(v >> 8);
		if (left > 2)
			*out++ = (uint8_t)v;
	}
}
