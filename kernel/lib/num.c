// SPDX-License-Identifier: MIT
/* Bounded unsigned number parsing (interface in num.h). */
#include "kernel/lib/num.h"

#include <stdbool.h>

#include "kernel/lib/errno.h"

unsigned int num_digit(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned int)(c - '0');
	if (c >= 'a' && c <= 'z')
		return (unsigned int)(c - 'a' + 10);
	if (c >= 'A' && c <= 'Z')
		return (unsigned int)(c - 'A' + 10);
	return NUM_NOT_DIGIT;
}

/*
 * Read the run of base-`base` digits (2..36) at the start of [s, end)
 * (end NULL: the text is NUL-terminated) as an unsigned number. The
 * whole run is read even past `max`, and *stop (if not NULL) is set to
 * the first character after it, or to s when there is no digit.
 * Returns 0 with *out the value; -EINVAL with *out 0 when there is no
 * digit or the base is out of range; -ERANGE with *out = max when the
 * value is above max (or above UINT64_MAX), so a caller that saturates
 * simply carries on.
 */
int num_parse_u64(const char *s, const char *end, unsigned int base,
		  uint64_t max, uint64_t *out, const char **stop)
{
	const char *p = s;
	uint64_t v = 0;
	bool over = false;
	unsigned int d;

	if (base < 2 || base > NUM_BASE_MAX)
		p = end = s; /* reads nothing: -EINVAL below */
	for (; (!end || p < end) && (d = num_digit(*p)) < base; p++) {
		if (over || d > max || v > (max - d) / base)
			over = true;
		else
			v = v * base + d;
	}
	if (stop)
		*stop = p;
	*out = p == s ? 0 : over ? max : v;
	if (p == s)
		return -EINVAL;
	return over ? -ERANGE : 0;
}
