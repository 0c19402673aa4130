// SPDX-License-Identifier: MIT
/*
 * W3C Trace Context traceparent parsing and hex output (interface and
 * the rules followed in tracectx.h).
 */
#include "kernel/io/tracectx.h"

#include <stdbool.h>

#include "kernel/lib/errno.h"

static const char hexdigits[] = "0123456789abcdef";

/* Lower-case hex digit value, or -1 (upper case is invalid: 3.2.2). */
static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Decode 2n hex digits at p into n bytes; false on a non-hex digit. */
static bool unhex(const char *p, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(p[2 * i]), lo = hexval(p[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

int tracectx_parse(const char *p, size_t len, struct tracectx *out)
{
	uint8_t version, parent[8];

	if (len < TRACECTX_LEN || !unhex(p, &version, 1) || p[2] != '-' ||
	    p[35] != '-' || p[52] != '-')
		return -EINVAL;
	if (version == 0xff)
		return -EINVAL;
	/* 00 has nothing after the flags; a later version may append
	 * fields, each after a '-'. */
	if (len > TRACECTX_LEN && (version == 0 || p[TRACECTX_LEN] != '-'))
		return -EINVAL;
	if (!unhex(p + 3, out->trace_id, 16) || !unhex(p + 36, parent, 8) ||
	    !unhex(p + 53, &out->flags, 1))
		return -EINVAL;
	if (all_zero(out->trace_id, 16) || all_zero(parent, 8))
		return -EINVAL;
	out->parent_id = 0;
	for (int i = 0; i < 8; i++)
		out->parent_id = out->parent_id << 8 | parent[i];
	return 0;
}

void tracectx_hex(char *buf, const uint8_t *id, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = hexdigits[id[i] >> 4];
		buf[2 * i + 1] = hexdigits[id[i] & 15];
	}
	buf[2 * n] = '\0';
}

void tracectx_format(char *buf, const uint8_t trace_id[16], uint64_t span,
		     uint8_t flags)
{
	buf[0] = buf[1] = '0';
	buf[2] = '-';
	tracectx_hex(buf + 3, trace_id, 16);
	buf[35] = '-';
	tracectx_hex64(buf + 36, span);
	buf[52] = '-';
	tracectx_hex(buf + 53, &flags, 1);
}

void tracectx_hex64(char *buf, uint64_t v)
{
	for (int i = 15; i >= 0; i--, v >>= 4)
		buf[i] = hexdigits[v & 15];
	buf[16] = '\0';
}
