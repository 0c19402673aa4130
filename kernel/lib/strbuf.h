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
void strbuf_puts(struct strbuf *sb, const char *s);

#endif
