/* SPDX-License-Identifier: MIT */
/*
 * A bounded output buffer built by formatted appends, for text whose
 * parts are written one after another (response heads, /_stats): one
 * overflow check at the end instead of one per part.
 */
#ifndef KERNEL_LIB_STRBUF_H
#define KERNEL_LIB_STRBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"

/* A bounded output buffer built by appends: buf[0, len) is written and
 * NUL-terminated; the first append that does not fit sets `overflow`,
 * and every later append is dropped. */
struct strbuf {
	char *buf;
	size_t size, len;
	bool overflow;
};

void strbuf_printf(struct strbuf *sb, const char *fmt, ...) __printf(2, 3);
/* Append n bytes at s, or the string s, as they are. */
void strbuf_put(struct strbuf *sb, const char *s, size_t n);

/* Inline, and __builtin_strlen (the kernel builds with -fno-builtin):
 * a literal's length is counted at compile time. */
static inline void strbuf_puts(struct strbuf *sb, const char *s)
{
	strbuf_put(sb, s, __builtin_strlen(s));
}

/* Append v in decimal (base 10) or lower-case hexadecimal (base 16),
 * without a printf format to interpret. */
void strbuf_put_uint(struct strbuf *sb, uint64_t v, unsigned int base);

#endif
