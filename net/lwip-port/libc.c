// SPDX-License-Identifier: MIT
/*
 * The libc functions lwIP's core uses that kernel/lib does not have:
 * atoi() for netif_find("en0"), which the host's <stdlib.h> inlines into
 * strtol(). Both are defined here for the kernel only; <stdlib.h> is not
 * included so its inline atoi does not clash with this one.
 */
#include <stdbool.h>
#include <stddef.h>

#include "kernel/lib/compiler.h"

#define LONG_MAX_ __LONG_MAX__
#define LONG_MIN_ (-__LONG_MAX__ - 1)
#define BASE_MAX 36

long strtol(const char *restrict s, char **restrict end, int base);
int atoi(const char *s);

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return BASE_MAX;
}

/* Base prefix handling of C11 7.22.1.4: "0x" for 16 (and 0), "0" for 0. */
static const char *skip_prefix(const char *s, int *base)
{
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
		   digit_value(s[2]) < 16;

	if ((*base == 0 || *base == 16) && hex) {
		*base = 16;
		return s + 2;
	}
	if (*base == 0)
		*base = s[0] == '0' ? 8 : 10;
	return s;
}

/* C11 strtol: leading blanks, sign, base 0 or 2..36; saturates at
 * LONG_MIN/LONG_MAX (no errno in the kernel). */
long strtol(const char *restrict s, char **restrict end, int base)
{
	const char *p = s, *digits;
	unsigned long v = 0, limit;
	bool neg = false, overflow = false;
	int d;

	if (base < 0 || base == 1 || base > BASE_MAX) {
		if (end)
			*end = (char *)s;
		return 0;
	}
	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	p = digits = skip_prefix(p, &base);
	limit = neg ? (unsigned long)LONG_MAX_ + 1 : (unsigned long)LONG_MAX_;
	for (; (d = digit_value(*p)) < base; p++) {
		if (v > (limit - (unsigned long)d) / (unsigned long)base)
			overflow = true;
		else
			v = v * (unsigned long)base + (unsigned long)d;
	}
	if (end)
		*end = (char *)(p == digits ? s : p);
	if (overflow)
		return neg ? LONG_MIN_ : LONG_MAX_;
	return neg ? (long)(0 - v) : (long)v;
}

int atoi(const char *s)
{
	return (int)strtol(s, NULL, 10);
}
