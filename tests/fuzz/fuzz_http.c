// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the pure HTTP modules. One input is parsed as a
 * request head twice (at once, and resumed from a split point taken from
 * the input) and the two results must agree; a valid head's target goes
 * through http_path_normalize() (the result must stay inside the root),
 * its Range through http_range_parse() (bounds must be inside the file),
 * its conditionals through http_not_modified(). Any disagreement aborts.
 *
 *   clang -g -O1 -I. -fsanitize=fuzzer,address,undefined \
 *	-Dvsnprintf=k_vsnprintf -Dsnprintf=k_snprintf tests/fuzz/fuzz_http.c \
 *	app/http_parser.c app/http_path.c app/http_range.c app/http_cond.c \
 *	app/http_str.c kernel/lib/vsnprintf.c -o build/fuzz_http
 *   build/fuzz_http -max_total_time=60
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "app/http_cond.h"
#include "app/http_param.h"
#include "app/http_parser.h"
#include "app/http_path.h"
#include "app/http_range.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_path(const struct http_str *target)
{
	char out[HTTP_PATH_MAX + 1];
	size_t n;

	if (http_path_normalize(target->p, target->len, out, sizeof(out), &n))
		return;
	if (out[0] != '/' || strlen(out) != n || strstr(out, "//") ||
	    strstr(out, "/./") || strstr(out, "/../") || strchr(out, '\\') ||
	    (n >= 3 && !strcmp(out + n - 3, "/..")) ||
	    (n >= 2 && !strcmp(out + n - 2, "/.")))
		abort();
}

static void check_range(const struct http_str *v, uint64_t fsize)
{
	struct http_range r;

	if (http_range_parse(v->p, v->len, fsize, &r) == HTTP_RANGE_PARTIAL &&
	    (r.first > r.last || r.last >= fsize))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct http_parse_state st = { 0, 0 };
	struct http_request a, b;
	size_t split = size ? data[0] % (size + 1) : 0;
	int ra, rb;
	int64_t t;

	ra = http_parse_request(buf, size, NULL, NULL, &a);
	rb = http_parse_request(buf, split, &st, NULL, &b);
	if (rb == HTTP_PARSE_PARTIAL)
		rb = http_parse_request(buf, size, &st, NULL, &b);
	if (ra != rb || (ra == HTTP_PARSE_BAD && a.status != b.status))
		abort();
	if (ra == HTTP_PARSE_BAD && (a.status < 400 || a.status > 505))
		abort();
	if (ra <= 0)
		return 0;
	if ((size_t)ra > size || a.target.len != b.target.len)
		abort();
	check_path(&a.target);
	if (a.range.p) {
		check_range(&a.range, size);
		check_range(&a.range, UINT64_MAX);
		check_range(&a.range, 0);
	}
	http_not_modified(a.if_none_match, a.if_modified_since,
			  (struct http_str){ "\"1-2-3\"", 7 }, 0, 1 << 30);
	if (a.if_modified_since.p &&
	    !http_date_parse(a.if_modified_since.p, a.if_modified_since.len,
			     &t)) {
		char d[HTTP_DATE_SIZE];
		int64_t back;

		if (http_date_format(d, sizeof(d), t) != HTTP_DATE_LEN ||
		    http_date_parse(d, HTTP_DATE_LEN, &back) || back != t)
			abort();
	}
	return 0;
}
