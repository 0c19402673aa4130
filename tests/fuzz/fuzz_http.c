// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the HTTP request-head parser (app/http_parser.c).
 *
 * Input: 2 bytes choosing a split point, then the bytes a client sent.
 * Each request head in the bytes (up to PIPELINE_MAX pipelined ones) is
 * parsed three ways, which must agree field for field:
 *   - at once, without a parse state;
 *   - in two calls with one struct http_parse_state, the first on a copy
 *     of only the bytes before the split point (also with low caps on
 *     line, header and field count, against a parse at once with them);
 *   - byte by byte with one state (short inputs only), every prefix in
 *     its own exact-size copy so ASan sees any read past the length.
 * A complete head must satisfy the contract in http_parser.h (slices
 * inside the head, GET or HEAD, Host for HTTP/1.1, a body of at most
 * HTTP_BODY_MAX bytes, which the next request follows), and its target,
 * Range, If-Modified-Since and If-Range are passed on to the path, range
 * and date modules as the server would.
 */
#include "tests/fuzz/fuzz.h"

#include "app/http_cond.h"
#include "app/http_param.h"
#include "app/http_parser.h"
#include "app/http_path.h"
#include "app/http_range.h"

#define PIPELINE_MAX 8 /* requests parsed from one input */
#define TRICKLE_MAX 256 /* longest input also fed byte by byte */

/* Low caps, so that 414 and 431 are within the fuzzer's reach. */
static const struct http_limits small_limits = {
	.line_max = 40,
	.headers_max = 200,
	.fields_max = 4,
};

static bool same_str(struct http_str a, struct http_str b)
{
	return a.p == b.p && a.len == b.len;
}

/* Two parses of the same bytes gave the same result and request. */
static void check_same(int ra, const struct http_request *a, int rb,
		       const struct http_request *b)
{
	FUZZ_CHECK(ra == rb);
	if (ra == HTTP_PARSE_BAD)
		FUZZ_CHECK(a->status == b->status);
	if (ra <= 0)
		return;
	FUZZ_CHECK(a->method == b->method);
	FUZZ_CHECK(a->version_minor == b->version_minor);
	FUZZ_CHECK(same_str(a->target, b->target));
	FUZZ_CHECK(same_str(a->host, b->host));
	FUZZ_CHECK(same_str(a->if_none_match, b->if_none_match));
	FUZZ_CHECK(same_str(a->if_modified_since, b->if_modified_since));
	FUZZ_CHECK(same_str(a->range, b->range));
	FUZZ_CHECK(same_str(a->if_range, b->if_range));
	FUZZ_CHECK(a->content_length == b->content_length);
	FUZZ_CHECK(a->has_content_length == b->has_content_length);
	FUZZ_CHECK(a->connection == b->connection);
	FUZZ_CHECK(a->keep_alive == b->keep_alive);
	FUZZ_CHECK(a->nfields == b->nfields);
}

/* A slice is absent or lies inside the head buf[0, len). */
static void check_inside(struct http_str s, const char *buf, size_t len)
{
	if (!s.p)
		return;
	FUZZ_CHECK(s.p >= buf && s.len <= len &&
		   s.p - buf <= (long)(len - s.len));
}

/* The contract of a complete head of length n. */
static void check_request(const char *buf, int n, const struct http_request *r)
{
	FUZZ_CHECK(n > 0 && buf[n - 1] == '\n');
	FUZZ_CHECK(r->method == HTTP_METHOD_GET ||
		   r->method == HTTP_METHOD_HEAD);
	FUZZ_CHECK(r->version_minor <= 1);
	FUZZ_CHECK(r->target.p && r->target.len);
	check_inside(r->target, buf, (size_t)n);
	check_inside(r->host, buf, (size_t)n);
	check_inside(r->if_none_match, buf, (size_t)n);
	check_inside(r->if_modified_since, buf, (size_t)n);
	check_inside(r->range, buf, (size_t)n);
	check_inside(r->if_range, buf, (size_t)n);
	FUZZ_CHECK(r->version_minor == 0 || r->host.p);
	FUZZ_CHECK(r->has_content_length || r->content_length == 0);
	FUZZ_CHECK(r->content_length <= HTTP_BODY_MAX);
	FUZZ_CHECK(r->nfields <= HTTP_FIELDS_MAX);
	FUZZ_CHECK(!(r->connection & HTTP_CONN_CLOSE) || !r->keep_alive);
}

/* Move a slice from a copy of the bytes at @from to the bytes at @to. */
static void rebase(struct http_str *s, const char *from, const char *to)
{
	if (s->p)
		s->p = to + (s->p - from);
}

/* Point the slices of @r, parsed from a copy @from, into @to. */
static void rebase_request(struct http_request *r, const char *from,
			   const char *to)
{
	rebase(&r->target, from, to);
	rebase(&r->host, from, to);
	rebase(&r->if_none_match, from, to);
	rebase(&r->if_modified_since, from, to);
	rebase(&r->range, from, to);
	rebase(&r->if_range, from, to);
}

/* Parse in two calls: first only buf[0, split) (its own copy), then all. */
static int parse_split(const char *buf, size_t len, size_t split,
		       const struct http_limits *lim, struct http_request *req)
{
	struct http_parse_state st = { 0, 0 };
	char *head = fuzz_dup(buf, split);
	int r;

	r = http_parse_request(head, split, &st, lim, req);
	rebase_request(req, head, buf);
	free(head);
	if (r != HTTP_PARSE_PARTIAL)
		return r; /* a prefix that is already complete or bad */
	return http_parse_request(buf, len, &st, lim, req);
}

/* Feed buf one byte more per call, each prefix in an exact-size copy. */
static int parse_trickle(const char *buf, size_t len, struct http_request *req)
{
	struct http_parse_state st = { 0, 0 };
	int r = HTTP_PARSE_PARTIAL;

	for (size_t i = 1; i <= len && r == HTTP_PARSE_PARTIAL; i++) {
		char *head = fuzz_dup(buf, i);

		r = http_parse_request(head, i, &st, NULL, req);
		rebase_request(req, head, buf);
		free(head);
	}
	return r;
}

/* What the server does next with the fields of a good request. */
static void use_request(const struct http_request *r, uint64_t fsize)
{
	char out[HTTP_PATH_MAX + 1];
	struct http_range range;
	size_t n;
	int64_t t;

	if (!http_path_normalize(r->target.p, r->target.len, out, sizeof(out),
				 &n))
		FUZZ_CHECK(out[0] == '/' && strlen(out) == n);
	if (http_range_parse(r->range.p, r->range.len, fsize, &range) ==
	    HTTP_RANGE_PARTIAL)
		FUZZ_CHECK(range.first <= range.last && range.last < fsize);
	if (!http_date_parse(r->if_modified_since.p, r->if_modified_since.len,
			     &t)) {
		char d[HTTP_DATE_SIZE];

		FUZZ_CHECK(http_date_format(d, sizeof(d), t) == HTTP_DATE_LEN);
	}
	http_not_modified(r->if_none_match, r->if_modified_since,
			  (struct http_str){ "\"1-2-3\"", 7 }, 0, 1 << 30);
	http_if_range_holds(r->if_range, (struct http_str){ "\"1-2-3\"", 7 }, 0,
			    1 << 30);
}

/* Parse the head at buf three ways; returns the result of all three
 * and the length of the body that follows the head in *body. */
static int parse_one(const char *buf, size_t len, size_t split, uint64_t *body)
{
	struct http_request a, b, c;
	int ra, rb, rc;

	ra = http_parse_request(buf, len, NULL, NULL, &a);
	split = split > len ? len : split;
	rb = parse_split(buf, len, split, NULL, &b);
	check_same(ra, &a, rb, &b);
	rb = http_parse_request(buf, len, NULL, &small_limits, &b);
	rc = parse_split(buf, len, split, &small_limits, &c);
	check_same(rb, &b, rc, &c);
	if (rb > 0)
		check_same(ra, &a, rb, &b); /* the caps only ever reject */
	if (len <= TRICKLE_MAX) {
		rc = parse_trickle(buf, len, &c);
		check_same(ra, &a, rc, &c);
	}
	if (ra == HTTP_PARSE_BAD)
		FUZZ_CHECK(a.status >= 400 && a.status <= 505);
	if (ra <= 0)
		return ra;
	FUZZ_CHECK((size_t)ra <= len);
	check_request(buf, ra, &a);
	use_request(&a, len);
	*body = a.content_length;
	return ra;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t split = (size_t)fuzz_take(&data, &size, 2);
	char *buf = fuzz_dup(data, size);
	size_t off = 0;

	for (int i = 0; i < PIPELINE_MAX && off < size; i++) {
		uint64_t body = 0;
		int n = parse_one(buf + off, size - off, split, &body);

		if (n <= 0 || body > size - off - (size_t)n)
			break; /* the server would wait for the body */
		off += (size_t)n + (size_t)body;
	}
	free(buf);
	return 0;
}
