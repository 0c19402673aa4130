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
#include "kernel/lib/errno.h"
#include "kernel/lib/num.h"

#define LONG_MAX_ __LONG_MAX__
#define LONG_MIN_ (-__LONG_MAX__ - 1)

long strtol(const char *restrict s, char **restrict end, int base);
int atoi(const char *s);

/* Base prefix handling of C11 7.22.1.4: "0x" for 16 (and 0), "0" for 0. */
static const char *skip_prefix(const char *s, int *base)
{
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
		   num_digit(s[2]) < 16;

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
	const char *p = s;
	uint64_t v, limit;
	bool neg = false;
	int err;

	if (base < 0 || base == 1 || base > NUM_BASE_MAX) {
		if (end)
			*end = (char *)s;
		return 0;
	}
	while (*p == ' ' || (*p >= '\t' && *p <= '\r'))
		p++;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	p = skip_prefix(p, &base);
	limit = neg ? (uint64_t)LONG_MAX_ + 1 : (uint64_t)LONG_MAX_;
	err = num_parse_u64(p, NULL, (unsigned int)base, limit, &v, &p);
	if (end)
		*end = (char *)(err == -EINVAL ? s : p);
	if (err == -ERANGE)
		return neg ? LONG_MIN_ : LONG_MAX_;
	return neg ? (long)(0 - v) : (long)v;
}

int atoi(const char *s)
{
	return (int)strtol(s, NULL, 10);
}
