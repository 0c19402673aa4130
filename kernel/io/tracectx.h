/* SPDX-License-Identifier: MIT */
/*
 * W3C Trace Context (https://www.w3.org/TR/trace-context/, section 3.2):
 * the `traceparent` header a front end sends so that this guest's work
 * joins its trace, and the same form written back. Pure functions on
 * pointer + length: no allocation, nothing read past `len`.
 *
 *   traceparent = version "-" trace-id "-" parent-id "-" trace-flags
 *                 2 hex      32 hex        16 hex         2 hex
 *
 * Lower-case hex only. Version 00 is exactly 55 bytes; a later version
 * (not "ff") is read by its version-00 prefix when the 56th byte is
 * absent or '-' (3.2.4). An all-zero trace-id or parent-id is invalid. A
 * malformed value means: ignore the header, start a fresh trace.
 */
#ifndef KERNEL_IO_TRACECTX_H
#define KERNEL_IO_TRACECTX_H

#include <stddef.h>
#include <stdint.h>

#define TRACECTX_LEN 55 /* a version-00 traceparent */
#define TRACECTX_FLAG_SAMPLED 0x01

struct tracectx {
	uint8_t trace_id[16];
	uint64_t parent_id;
	uint8_t flags;
};

/* Parse a traceparent value: 0 with *out set, or -EINVAL (out unchanged
 * or partly written: do not use it). */
int tracectx_parse(const char *p, size_t len, struct tracectx *out);

/* Write `n` bytes of `id` as 2n lower-case hex digits and a NUL into
 * buf (2n + 1 bytes). */
void tracectx_hex(char *buf, const uint8_t *id, size_t n);

/* A 64-bit span id as 16 hex digits and a NUL (17 bytes). */
void tracectx_hex64(char *buf, uint64_t v);

/* "00-<trace-id>-<span id>-<flags>" and a NUL into buf (TRACECTX_LEN + 1
 * bytes): a traceparent, or a traceresponse with our span. */
void tracectx_format(char *buf, const uint8_t trace_id[16], uint64_t span,
		     uint8_t flags);

#endif
