// SPDX-License-Identifier: MIT
/*
 * Formatted appends to a bounded buffer (interface in strbuf.h).
 */
#include "kernel/lib/strbuf.h"

#include <stdarg.h>

#include "kernel/lib/stdio.h"
#include "kernel/lib/string.h"

/* Append to sb what snprintf would write (see struct strbuf). */
void strbuf_printf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (sb->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(sb->buf + sb->len, sb->size - sb->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sb->size - sb->len)
		sb->overflow = true;
	else
		sb->len += (size_t)n;
}

/* Append the n bytes at s (no formatting: a fraction of the cost of
 * strbuf_printf's "%s" under TCG). */
void strbuf_put(struct strbuf *sb, const char *s, size_t n)
{
	if (sb->overflow)
		return;
	if (n >= sb->size - sb->len) {
		sb->overflow = true;
		return;
	}
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void strbuf_put_uint(struct strbuf *sb, uint64_t v, unsigned int base)
{
	char digits[20]; /* UINT64_MAX has 20 decimal digits */
	size_t i = sizeof(digits);

	do {
		digits[--i] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	strbuf_put(sb, digits + i, sizeof(digits) - i);
}
