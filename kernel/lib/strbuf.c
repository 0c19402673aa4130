// SPDX-License-Identifier: MIT
/*
 * Formatted appends to a bounded buffer (interface in strbuf.h).
 */
#include "kernel/lib/strbuf.h"

#include <stdarg.h>

#include "kernel/lib/stdio.h"

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
