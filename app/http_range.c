// SPDX-License-Identifier: MIT
/*
 * Range header evaluation and the Content-Range value (interface in
 * http_range.h; RFC 9110 sections 14.1.1, 14.2 and 14.4). The field value
 * is untrusted and not NUL-terminated; every read is bounded by its
 * length.
 */
#include "app/http_range.h"

#include <stdbool.h>

#include "app/http_str.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/num.h"
#include "kernel/lib/stdio.h"
#include "kernel/lib/string.h"

/*
 * Read 1*DIGIT at *p, saturating at UINT64_MAX. Returns false if there is
 * no digit.
 */
static bool read_num(const char **p, const char *end, uint64_t *out)
{
	return num_parse_u64(*p, end, 10, UINT64_MAX, out, p) != -EINVAL;
}

/* One range-spec in [p, end): "a-b", "a-" or "-n". */
static enum http_range_kind parse_spec(const char *p, const char *end,
				       uint64_t size, struct http_range *r)
{
	uint64_t first, last;

	if (p < end && *p == '-') {
		p++;
		if (!read_num(&p, end, &last) || p != end)
			return HTTP_RANGE_NONE;
		if (last == 0 || size == 0)
			return HTTP_RANGE_UNSATISFIABLE;
		r->first = last >= size ? 0 : size - last;
		r->last = size - 1;
		return HTTP_RANGE_PARTIAL;
	}
	if (!read_num(&p, end, &first) || p == end || *p != '-')
		return HTTP_RANGE_NONE;
	p++;
	last = UINT64_MAX;
	if (p < end && (!read_num(&p, end, &last) || p != end))
		return HTTP_RANGE_NONE;
	if (last < first)
		return HTTP_RANGE_NONE; /* invalid, RFC 9110 14.1.1 */
	if (first >= size)
		return HTTP_RANGE_UNSATISFIABLE;
	r->first = first;
	r->last = last >= size ? size - 1 : last;
	return HTTP_RANGE_PARTIAL;
}

/*
 * Evaluate the Range value [v, v + len) against a file of @size bytes;
 * on HTTP_RANGE_PARTIAL, *r holds the bytes to send. Borrows @v.
 */
enum http_range_kind http_range_parse(const char *v, size_t len, uint64_t size,
				      struct http_range *r)
{
	static const char unit[] = "bytes=";
	struct http_str s = { v, sizeof(unit) - 1 }, spec;

	if (!v || len < s.len || !http_str_eq_nocase(s, unit))
		return HTTP_RANGE_NONE;
	spec.p = v + s.len;
	spec.len = len - s.len;
	if (memchr(spec.p, ',', spec.len))
		return HTTP_RANGE_NONE; /* several ranges: serve it all */
	spec = http_str_trim(spec);
	return parse_spec(spec.p, spec.p + spec.len, size, r);
}

/*
 * Format the Content-Range value for a 206 ("bytes 0-99/1000") or a 416
 * ("bytes *\/1000") into @buf. Returns its length, -EINVAL for
 * HTTP_RANGE_NONE, -ENOSPC if @bufsize is too small.
 */
int http_range_content_range(char *buf, size_t bufsize,
			     enum http_range_kind kind,
			     const struct http_range *r, uint64_t size)
{
	int n;

	if (kind == HTTP_RANGE_PARTIAL)
		n = snprintf(buf, bufsize, "bytes %llu-%llu/%llu",
			     (unsigned long long)r->first,
			     (unsigned long long)r->last,
			     (unsigned long long)size);
	else if (kind == HTTP_RANGE_UNSATISFIABLE)
		n = snprintf(buf, bufsize, "bytes */%llu",
			     (unsigned long long)size);
	else
		return -EINVAL;
	if (n < 0 || (size_t)n >= bufsize)
		return -ENOSPC;
	return n;
}
