// SPDX-License-Identifier: MIT
/*
 * Lexical helpers of RFC 9110 section 5.6 over byte slices (interface in
 * http_str.h). Pure functions: every read is bounded by the slice length.
 */
#include "app/http_str.h"

#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* True if @s equals the kernel-owned string @lit, ignoring ASCII case. */
bool http_str_eq_nocase(struct http_str s, const char *lit)
{
	size_t i;

	for (i = 0; i < s.len; i++) {
		if (!lit[i] || lower((unsigned char)s.p[i]) !=
				       lower((unsigned char)lit[i]))
			return false;
	}
	return lit[i] == '\0';
}

/* @s without leading and trailing OWS. */
struct http_str http_str_trim(struct http_str s)
{
	while (s.len && http_is_ows((unsigned char)s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && http_is_ows((unsigned char)s.p[s.len - 1]))
		s.len--;
	return s;
}

/*
 * Take the next non-empty element of the comma-separated list in @rest
 * into @elem (OWS-trimmed) and advance @rest past it; false at the end.
 * Empty elements (", ,") are skipped as RFC 9110 section 5.6.1 requires.
 */
bool http_list_next(struct http_str *rest, struct http_str *elem)
{
	while (rest->len) {
		size_t n = 0;

		while (n < rest->len && rest->p[n] != ',')
			n++;
		elem->p = rest->p;
		elem->len = n;
		*elem = http_str_trim(*elem);
		rest->p += n < rest->len ? n + 1 : n;
		rest->len -= n < rest->len ? n + 1 : n;
		if (elem->len)
			return true;
	}
	return false;
}

/* The decimal value of query parameter `key` ("id=") in a
 * request-target: 1 with *v, 0 when absent, -EINVAL when its value is
 * empty, not all digits or too large. */
int http_query_number(const char *target, size_t len, const char *key,
		      uint64_t *v)
{
	const char *q = memchr(target, '?', len), *end = target + len;
	size_t klen = strlen(key);

	*v = 0;
	if (!q)
		return 0;
	for (const char *p = q + 1; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;

		if ((size_t)(stop - p) >= klen && !memcmp(p, key, klen)) {
			if ((size_t)(stop - p) == klen)
				return -EINVAL;
			for (p += klen; p < stop; p++) {
				if (*p < '0' || *p > '9' ||
				    *v > UINT64_MAX / 10 ||
				    *v * 10 > UINT64_MAX - (uint64_t)(*p - '0'))
					return -EINVAL;
				*v = *v * 10 + (uint64_t)(*p - '0');
			}
			return 1;
		}
		p = stop + 1;
	}
	return 0;
}
