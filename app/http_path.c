// SPDX-License-Identifier: MIT
/*
 * Request-target decoding and dot-segment removal (interface and rules
 * in http_path.h; RFC 9112 section 3.2, RFC 3986 sections 2.1 and 5.2.4).
 * The target is untrusted and not NUL-terminated: every read is bounded
 * by its length, every write by the output size. The output is built in
 * two passes over the caller's buffer: decode, then normalize in place
 * (the write index never passes the read index).
 */
#include "app/http_path.h"

#include <stdbool.h>

#include "app/http_str.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"

static int hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Drop "http://authority" or "https://authority" from an absolute-form;
 * true if there was one.
 */
static bool strip_scheme(const char **p, size_t *len)
{
	static const char *const schemes[] = { "http://", "https://" };

	for (size_t i = 0; i < ARRAY_SIZE(schemes); i++) {
		size_t n = strlen(schemes[i]);
		struct http_str s = { *p, n };

		if (*len < n || !http_str_eq_nocase(s, schemes[i]))
			continue;
		while (n < *len && (*p)[n] != '/' && (*p)[n] != '?')
			n++;
		*p += n;
		*len -= n;
		return true;
	}
	return false;
}

/* Percent-decode [p, p + len) into out. Returns the length or -errno. */
static long decode(const char *p, size_t len, char *out, size_t size)
{
	size_t w = 0;

	for (size_t r = 0; r < len; r++) {
		unsigned char c = (unsigned char)p[r];

		if (c == '#')
			return -EINVAL; /* a fragment is never sent */
		if (c == '%') {
			int hi, lo;

			if (len - r < 3)
				return -EINVAL;
			hi = hexval((unsigned char)p[r + 1]);
			lo = hexval((unsigned char)p[r + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (unsigned char)(hi << 4 | lo);
			r += 2;
		}
		if (c < ' ' || c == 0x7f || c == '\\')
			return -EINVAL;
		if (w + 1 >= size)
			return -ENAMETOOLONG;
		out[w++] = (char)c;
	}
	return (long)w;
}

/*
 * Remove "", "." and ".." segments from the decoded path s[0, len), which
 * starts with '/'. Returns the new length or -EINVAL if ".." would climb
 * above the root.
 */
static long remove_dots(char *s, size_t len)
{
	size_t r = 1, w = 1; /* s[0, w) is done and ends with '/' or a name */

	while (r < len) {
		size_t seg = r, n;
		bool last;

		while (r < len && s[r] != '/')
			r++;
		n = r - seg;
		last = r >= len;
		r++; /* past the '/' */
		if (n == 0 || (n == 1 && s[seg] == '.'))
			continue;
		if (n == 2 && s[seg] == '.' && s[seg + 1] == '.') {
			if (w == 1)
				return -EINVAL;
			w--; /* the '/' after the previous name */
			while (s[w - 1] != '/')
				w--;
			continue;
		}
		memmove(s + w, s + seg, n);
		w += n;
		if (!last)
			s[w++] = '/';
	}
	return (long)w;
}

/*
 * Normalize the request-target [target, target + len) into @out (@size
 * bytes, NUL-terminated, length in *out_len). Borrows @target. Returns 0,
 * -EINVAL (answer 400) or -ENAMETOOLONG (answer 414); @out is undefined
 * on failure.
 */
int http_path_normalize(const char *target, size_t len, char *out, size_t size,
			size_t *out_len)
{
	const char *q;
	long n;

	if (strip_scheme(&target, &len) && (!len || target[0] == '?')) {
		target = "/"; /* "http://host" and "http://host?q" */
		len = 1;
	}
	q = memchr(target, '?', len);
	if (q)
		len = (size_t)(q - target);
	if (!len || target[0] != '/')
		return -EINVAL;
	n = decode(target, len, out, size);
	if (n < 0)
		return (int)n;
	n = remove_dots(out, (size_t)n);
	if (n < 0)
		return (int)n;
	out[n] = '\0';
	*out_len = (size_t)n;
	return 0;
}
