// SPDX-License-Identifier: MIT
/*
 * Unit tests for app/http_parser.c: extraction, every status rule, every
 * prefix and every split of valid and invalid heads, pipelining, caps.
 * Inputs sit right before a PROT_NONE page, so an over-read faults.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/http_param.h"
#include "app/http_parser.h"
#include "tests/fakes/guard_page.h"

static struct http_request req;

/* Parse all of @s from a guard-page copy. */
static int parse_n(const char *s, size_t len)
{
	return http_parse_request(guard_copy(s, len), len, NULL, NULL, &req);
}

static int parse(const char *s)
{
	return parse_n(s, strlen(s));
}

/* Parse @s expecting HTTP_PARSE_BAD with @status. */
static void expect_bad(const char *s, int status)
{
	int r = parse(s);

	if (r != HTTP_PARSE_BAD || req.status != status)
		fail_msg("\"%s\": got %d status %d, want status %d", s, r,
			 req.status, status);
}

static bool str_is(struct http_str s, const char *want)
{
	return s.p && s.len == strlen(want) && !memcmp(s.p, want, s.len);
}

static void test_simple_get(void **state)
{
	const char *s = "GET /index.html?x=1 HTTP/1.1\r\n"
			"Host: example.com:8080\r\n"
			"User-Agent: t\r\n"
			"If-None-Match:  \"abc\", W/\"d\"  \r\n"
			"If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
			"range:bytes=0-99\r\n"
			"Content-Length: 0\r\n"
			"\r\n";

	(void)state;
	assert_int_equal(parse(s), strlen(s));
	assert_int_equal(req.method, HTTP_METHOD_GET);
	assert_int_equal(req.version_minor, 1);
	assert_true(str_is(req.target, "/index.html?x=1"));
	assert_true(str_is(req.host, "example.com:8080"));
	assert_true(str_is(req.if_none_match, "\"abc\", W/\"d\""));
	assert_true(
		str_is(req.if_modified_since, "Sun, 06 Nov 1994 08:49:37 GMT"));
	assert_true(str_is(req.range, "bytes=0-99"));
	assert_true(req.has_content_length);
	assert_int_equal(req.content_length, 0);
	assert_true(req.keep_alive);
	assert_int_equal(req.nfields, 6);
	assert_string_equal(http_method_name(req.method), "GET");
}

static void test_head_http10_minimal(void **state)
{
	(void)state;
	assert_int_equal(parse("HEAD / HTTP/1.0\r\n\r\n"), 19);
	assert_int_equal(req.method, HTTP_METHOD_HEAD);
	assert_int_equal(req.version_minor, 0);
	assert_null(req.host.p);
	assert_null(req.range.p);
	assert_false(req.keep_alive);
	assert_int_equal(req.nfields, 0);
}

static void test_empty_host_and_values(void **state)
{
	/* Present but empty: p is set, len is 0. */
	const char *s = "GET / HTTP/1.1\r\nHost:\r\nRange: \r\n\r\n";

	(void)state;
	assert_int_equal(parse(s), strlen(s));
	assert_non_null(req.host.p);
	assert_int_equal(req.host.len, 0);
	assert_non_null(req.range.p);
	assert_int_equal(req.range.len, 0);
}

static void test_connection_tokens(void **state)
{
	(void)state;
	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\n"
			  "Connection: close\r\n\r\n") > 0);
	assert_false(req.keep_alive);
	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\n"
			  "Connection: Upgrade, CLOSE\r\n\r\n") > 0);
	assert_false(req.keep_alive);
	assert_int_equal(req.connection, HTTP_CONN_CLOSE);
	assert_true(parse("GET / HTTP/1.0\r\n"
			  "Connection: ,Keep-Alive ,\r\n\r\n") > 0);
	assert_true(req.keep_alive);
	assert_true(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n"
			  "Connection: close\r\n\r\n") > 0);
	assert_false(req.keep_alive);
	assert_int_equal(req.connection,
			 HTTP_CONN_CLOSE | HTTP_CONN_KEEP_ALIVE);
	/* "closed" is not "close". */
	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\n"
			  "Connection: closed\r\n\r\n") > 0);
	assert_true(req.keep_alive);
}

static void test_leading_empty_lines(void **state)
{
	(void)state;
	assert_int_equal(parse("\r\nGET / HTTP/1.0\r\n\r\n"), 20);
	assert_int_equal(parse("\r\n\n\r\n\nGET / HTTP/1.0\r\n\r\n"), 24);
	expect_bad("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.0\r\n\r\n", 400);
	expect_bad("\rGET / HTTP/1.0\r\n\r\n", 400);
	assert_int_equal(parse("\r\n\r"), HTTP_PARSE_PARTIAL);
	assert_int_equal(parse(""), HTTP_PARSE_PARTIAL);
}

static void test_line_endings(void **state)
{
	(void)state;
	/* Bare LF is accepted, in any mix with CRLF. */
	assert_int_equal(parse("GET / HTTP/1.1\nHost: a\n\n"), 24);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\n\r\n"), 26);
	assert_int_equal(parse("GET / HTTP/1.0\n\r\n"), 17);
	/* A CR not followed by LF is not a line ending. */
	expect_bad("GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400);
	expect_bad("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect_bad("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n", 400);
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\n\r\r\n\r\n", 400);
}

static void test_malformed_request_line(void **state)
{
	static const char *const bad[] = {
		"GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /  HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
		" GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /\tx HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / http/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.10\r\nHost: a\r\n\r\n",
		"GET / HTTP/11\r\nHost: a\r\n\r\n",
		"GET / HTTP/1.x\r\nHost: a\r\n\r\n",
		"GET / HTTP/\r\nHost: a\r\n\r\n",
		"GET /\r\n\r\n",
		"GET\r\n\r\n",
		"GET / \r\n\r\n",
		"/ HTTP/1.1\r\n\r\n",
		"G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad(bad[i], 400);
	assert_int_equal(parse_n("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n", 29),
			 HTTP_PARSE_BAD);
	assert_int_equal(req.status, 400);
}

static void test_malformed_fields(void **state)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nName : v\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nN@me: v\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n",
		"GET / HTTP/1.1\r\n Host: a\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: a\x01\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_bad(bad[i], 400);
	assert_int_equal(parse_n("GET / HTTP/1.1\r\nHost: a\r\nX: \0\r\n\r\n",
				 33),
			 HTTP_PARSE_BAD);
	assert_int_equal(req.status, 400);
	/* obs-text and HTAB are fine in a value. */
	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\n"
			  "X: \xc3\xa9\tb\r\n\r\n") > 0);
}

static void test_versions(void **state)
{
	(void)state;
	expect_bad("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
	expect_bad("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505);
	expect_bad("GET / HTTP/0.9\r\n\r\n", 505);
	expect_bad("GET / HTTP/9.9\r\n\r\n", 505);
}

static void test_methods(void **state)
{
	static const char *const not_allowed[] = {
		"POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT",
	};
	char line[64];

	(void)state;
	for (size_t i = 0; i < sizeof(not_allowed) / sizeof(not_allowed[0]);
	     i++) {
		snprintf(line, sizeof(line), "%s / HTTP/1.1\r\nHost: a\r\n\r\n",
			 not_allowed[i]);
		expect_bad(line, 405);
		assert_string_equal(http_method_name(req.method),
				    not_allowed[i]);
	}
	expect_bad("FOO / HTTP/1.1\r\nHost: a\r\n\r\n", 501);
	expect_bad("get / HTTP/1.1\r\nHost: a\r\n\r\n", 501);
	expect_bad("GETS / HTTP/1.1\r\nHost: a\r\n\r\n", 501);
	expect_bad("PROPFIND / HTTP/1.1\r\nHost: a\r\n\r\n", 501);
	/* The method is judged on the request line: no need for the rest. */
	expect_bad("POST / HTTP/1.1\r\n", 405);
	/* The version is judged before the method. */
	expect_bad("FOO / HTTP/3.0\r\n\r\n", 505);
}

static void test_host_rules(void **state)
{
	(void)state;
	expect_bad("GET / HTTP/1.1\r\n\r\n", 400);
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);
	expect_bad("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n", 400);
	assert_true(parse("GET / HTTP/1.1\r\nHOST: [::1]:80\r\n\r\n") > 0);
	assert_true(str_is(req.host, "[::1]:80"));
}

static void test_body_framing(void **state)
{
	(void)state;
	const char *with_body = "GET / HTTP/1.1\r\nHost: a\r\n"
				"Content-Length: 5\r\n\r\nhelloGET";
	char *s;

	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\n"
			  "Content-Length: 000\r\n\r\n") > 0);
	/* A body is framed by its length: the head ends before it. */
	assert_int_equal(parse(with_body), strlen(with_body) - 8);
	assert_true(req.has_content_length);
	assert_int_equal(req.content_length, 5);
	s = malloc(128);
	snprintf(s, 128,
		 "GET / HTTP/1.1\r\nHost: a\r\n"
		 "Content-Length: %u\r\n\r\n",
		 HTTP_BODY_MAX);
	assert_true(parse(s) > 0);
	assert_int_equal(req.content_length, HTTP_BODY_MAX);
	snprintf(s, 128,
		 "GET / HTTP/1.1\r\nHost: a\r\n"
		 "Content-Length: %u\r\n\r\n",
		 HTTP_BODY_MAX + 1);
	expect_bad(s, 413);
	free(s);
	/* Every framing a smuggler could make ambiguous stays a 400. */
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
		   "Content-Length: 5\r\n\r\n",
		   400);
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
		   "Content-Length: 6\r\n\r\n",
		   400);
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
		   "Transfer-Encoding: chunked\r\n\r\n",
		   400);
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
		   "chunked\r\nContent-Length: 5\r\n\r\n",
		   400);
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n",
		   400);
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5a\r\n\r\n",
		   400);
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"
		   "Content-Length: 0\r\n\r\n",
		   400);
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0, 0\r\n\r\n",
		   400);
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -0\r\n\r\n",
		   400);
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400);
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\n"
		   "Content-Length: 18446744073709551616\r\n\r\n",
		   400);
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\n"
		   "Content-Length: 99999999999999999999999999\r\n\r\n",
		   400);
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\n"
		   "Transfer-Encoding: chunked\r\n\r\n",
		   400);
	expect_bad("GET / HTTP/1.1\r\nHost: a\r\n"
		   "transfer-encoding: identity\r\n\r\n",
		   400);
}

static void test_repeated_optional_fields_dropped(void **state)
{
	(void)state;
	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n"
			  "If-None-Match: \"a\"\r\nRange: bytes=2-3\r\n"
			  "If-Modified-Since: x\r\nIf-None-Match: \"b\"\r\n"
			  "Range: bytes=4-5\r\n\r\n") > 0);
	assert_null(req.range.p);
	assert_null(req.if_none_match.p);
	assert_true(str_is(req.if_modified_since, "x"));
}

static void test_if_range_field(void **state)
{
	(void)state;
	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=0-1\r\n"
			  "if-range:  \"abc\" \r\n\r\n") > 0);
	assert_true(str_is(req.if_range, "\"abc\""));
	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n") > 0);
	assert_null(req.if_range.p);
	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\nIf-Range: \"a\"\r\n"
			  "If-Range: \"b\"\r\n\r\n") > 0);
	assert_null(req.if_range.p); /* repeated: dropped */
}

#define TP "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

/* W3C traceparent: handed over trimmed (kernel/io/tracectx.c checks
 * it); a repeat leaves none, so the request starts a fresh trace. */
static void test_traceparent_field(void **state)
{
	(void)state;
	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\nTraceParent:  " TP
			  " \r\n\r\n") > 0);
	assert_true(str_is(req.traceparent, TP));
	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\n\r\n") > 0);
	assert_null(req.traceparent.p);
	assert_true(parse("GET / HTTP/1.1\r\nHost: a\r\ntraceparent: " TP
			  "\r\ntraceparent: " TP "\r\n\r\n") > 0);
	assert_null(req.traceparent.p);
}

/* A request line of exactly @n bytes ("GET /aaa... HTTP/1.1"). */
static char *long_line_request(size_t n)
{
	char *s = malloc(n + 64);
	size_t path = n - strlen("GET  HTTP/1.1");

	memcpy(s, "GET /", 5);
	memset(s + 5, 'a', path - 1);
	strcpy(s + 4 + path, " HTTP/1.1\r\nHost: a\r\n\r\n");
	return s;
}

static void test_line_cap_414(void **state)
{
	char *s;

	(void)state;
	s = long_line_request(HTTP_LINE_MAX);
	assert_int_equal(parse(s), strlen(s));
	assert_int_equal(req.target.len, HTTP_LINE_MAX - 13);
	free(s);
	s = long_line_request(HTTP_LINE_MAX + 1);
	expect_bad(s, 414);
	/* Known early, before the line ends; a trailing CR is not counted. */
	assert_int_equal(parse_n(s, HTTP_LINE_MAX), HTTP_PARSE_PARTIAL);
	assert_int_equal(parse_n(s, HTTP_LINE_MAX + 1), HTTP_PARSE_BAD);
	assert_int_equal(req.status, 414);
	free(s);
	s = long_line_request(HTTP_LINE_MAX);
	assert_int_equal(parse_n(s, HTTP_LINE_MAX + 1), HTTP_PARSE_PARTIAL);
	free(s);
}

/* A GET whose header section holds @nfields lines, @total bytes in all. */
static char *fields_request(unsigned nfields, size_t total)
{
	static const char line[] = "GET / HTTP/1.1\r\n";
	char *s = malloc(strlen(line) + total + 1), *p;
	size_t body = total - 2, each = body / nfields;

	strcpy(s, line);
	p = s + strlen(line);
	for (unsigned i = 0; i < nfields; i++) {
		size_t n = i == nfields - 1 ? body - each * i : each;

		/* "Host:" first, then "X-aaaa: v" lines of n bytes */
		if (i == 0) {
			memcpy(p, "Host:", 5);
			memset(p + 5, 'h', n - 7);
		} else {
			memcpy(p, "X-", 2);
			memset(p + 2, 'a', n - 6);
			memcpy(p + n - 4, ":v", 2);
		}
		memcpy(p + n - 2, "\r\n", 2);
		p += n;
	}
	strcpy(p, "\r\n");
	return s;
}

static void test_header_caps_431(void **state)
{
	char *s;

	(void)state;
	s = fields_request(HTTP_FIELDS_MAX, HTTP_HEADERS_MAX);
	assert_int_equal(parse(s), strlen(s));
	assert_int_equal(req.nfields, HTTP_FIELDS_MAX);
	free(s);
	s = fields_request(HTTP_FIELDS_MAX, HTTP_HEADERS_MAX + 1);
	expect_bad(s, 431);
	free(s);
	/* Known before the head ends, as soon as the cap is passed. */
	s = fields_request(HTTP_FIELDS_MAX, HTTP_HEADERS_MAX + 100);
	assert_int_equal(parse_n(s, 16 + HTTP_HEADERS_MAX), HTTP_PARSE_PARTIAL);
	assert_int_equal(parse_n(s, 16 + HTTP_HEADERS_MAX + 1), HTTP_PARSE_BAD);
	assert_int_equal(req.status, 431);
	free(s);
	s = fields_request(HTTP_FIELDS_MAX + 1, 2000);
	expect_bad(s, 431);
	free(s);
}

static void test_caller_limits(void **state)
{
	const struct http_limits lim = { .line_max = 16,
					 .headers_max = 20,
					 .fields_max = 2 };
	/* Line of 16 bytes, section of 20 (9 + 9 + 2) in 2 fields. */
	const char *ok = "GET /12 HTTP/1.1\r\nHost: a\r\nX: bcde\r\n\r\n";
	const char *b;

	(void)state;
	b = guard_copy(ok, strlen(ok));
	assert_int_equal(http_parse_request(b, strlen(ok), NULL, &lim, &req),
			 strlen(ok));
	ok = "GET /123 HTTP/1.1\r\nHost: a\r\n\r\n";
	b = guard_copy(ok, strlen(ok));
	assert_int_equal(http_parse_request(b, strlen(ok), NULL, &lim, &req),
			 HTTP_PARSE_BAD);
	assert_int_equal(req.status, 414);
	ok = "GET /12 HTTP/1.1\r\nHost: a\r\nX: bcdef\r\n\r\n";
	b = guard_copy(ok, strlen(ok));
	assert_int_equal(http_parse_request(b, strlen(ok), NULL, &lim, &req),
			 HTTP_PARSE_BAD);
	assert_int_equal(req.status, 431);
	ok = "GET /12 HTTP/1.1\r\nHost: a\r\nX:\r\nY:\r\n\r\n";
	b = guard_copy(ok, strlen(ok));
	assert_int_equal(http_parse_request(b, strlen(ok), NULL, &lim, &req),
			 HTTP_PARSE_BAD);
	assert_int_equal(req.status, 431);
}

static const char *const valid[] = {
	"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"HEAD /x/y.html?q HTTP/1.0\r\n\r\n",
	"\r\nGET /a HTTP/1.1\r\nhost:h\r\nRange: bytes=1-2\r\n"
	"If-None-Match: *\r\nConnection: close\r\n\r\n",
	"GET / HTTP/1.1\nHost: a\n\n",
	"GET / HTTP/1.1\r\nHost: a\n\r\n",
	"GET http://a/b HTTP/1.1\r\nHost: a\r\nX-Empty:\r\n"
	"Content-Length: 0\r\n\r\n",
};

/* Same outcome and same extracted fields. */
static void assert_same(const struct http_request *a,
			const struct http_request *b)
{
	assert_int_equal(a->method, b->method);
	assert_int_equal(a->version_minor, b->version_minor);
	assert_int_equal(a->target.len, b->target.len);
	assert_int_equal(a->host.len, b->host.len);
	assert_int_equal(a->range.len, b->range.len);
	assert_int_equal(a->if_none_match.len, b->if_none_match.len);
	assert_int_equal(a->keep_alive, b->keep_alive);
	assert_int_equal(a->nfields, b->nfields);
	assert_int_equal(a->status, b->status);
}

static void test_every_prefix_valid(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		size_t n = strlen(valid[i]);
		struct http_request full;

		assert_int_equal(parse_n(valid[i], n), n);
		full = req;
		for (size_t k = 0; k < n; k++) {
			int r = parse_n(valid[i], k);

			if (r != HTTP_PARSE_PARTIAL)
				fail_msg("request %zu prefix %zu: %d", i, k, r);
		}
		/* Trailing bytes (the next request) change nothing. */
		char more[256];

		snprintf(more, sizeof(more), "%sGET", valid[i]);
		assert_int_equal(parse(more), n);
		assert_same(&req, &full);
	}
}

/* Two reads split at every byte, the second resuming the first. */
static void test_split_reads(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		size_t n = strlen(valid[i]);
		struct http_request full;
		struct http_parse_state st;
		const char *b;

		assert_int_equal(parse_n(valid[i], n), n);
		full = req;
		for (size_t k = 0; k < n; k++) {
			b = guard_copy(valid[i], n);
			memset(&st, 0, sizeof(st));
			assert_int_equal(http_parse_request(b, k, &st, NULL,
							    &req),
					 HTTP_PARSE_PARTIAL);
			assert_true(st.scanned <= k);
			assert_int_equal(
				http_parse_request(b, n, &st, NULL, &req), n);
			assert_same(&req, &full);
		}
		/* And one byte at a time, each call resuming the last. */
		b = guard_copy(valid[i], n);
		memset(&st, 0, sizeof(st));
		for (size_t k = 0; k < n; k++)
			assert_int_equal(http_parse_request(b, k, &st, NULL,
							    &req),
					 HTTP_PARSE_PARTIAL);
		assert_int_equal(http_parse_request(b, n, &st, NULL, &req), n);
		assert_same(&req, &full);
	}
}

/* Resumed byte by byte, a bad head fails with the status of one read. */
static void test_split_reads_invalid(void **state)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\nHost: a\r\nX : y\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i]), k;
		struct http_parse_state st = { 0, 0 };
		const char *b;
		int status, r = HTTP_PARSE_PARTIAL;

		assert_int_equal(parse_n(bad[i], n), HTTP_PARSE_BAD);
		status = req.status;
		b = guard_copy(bad[i], n);
		for (k = 0; k <= n && r == HTTP_PARSE_PARTIAL; k++)
			r = http_parse_request(b, k, &st, NULL, &req);
		assert_int_equal(r, HTTP_PARSE_BAD);
		assert_int_equal(req.status, status);
	}
}

/* Bytes the parser handed to memchr (linked with --wrap=memchr). */
static size_t memchr_bytes;
void *__real_memchr(const void *s, int c, size_t n);
void *__wrap_memchr(const void *s, int c, size_t n);

void *__wrap_memchr(const void *s, int c, size_t n)
{
	void *r = __real_memchr(s, c, n);

	memchr_bytes += r ? (size_t)((const char *)r - (const char *)s) + 1 : n;
	return r;
}

/* Feed @n bytes of @b one at a time; the bytes memchr looked at in all. */
static size_t trickle(const char *b, size_t n, struct http_parse_state *st)
{
	memchr_bytes = 0;
	for (size_t k = 0; k < n; k++)
		if (http_parse_request(b, k, st, NULL, &req) !=
		    HTTP_PARSE_PARTIAL)
			fail_msg("prefix %zu: status %d", k, req.status);
	return memchr_bytes;
}

/*
 * A maximal head (8 KiB line, 16 KiB of fields) trickled one byte at a
 * time: with the state, the searches cover each byte about once; without,
 * every call rescans (quadratic).
 */
static void test_trickle_is_linear(void **state)
{
	char *s = fields_request(HTTP_FIELDS_MAX, HTTP_HEADERS_MAX);
	char *line = long_line_request(HTTP_LINE_MAX);
	size_t ln = strlen(line) - strlen("Host: a\r\n\r\n");
	size_t sn = strlen(s) - 16, n = ln + sn, scanned;
	char *all = malloc(n + 1);
	struct http_parse_state st = { 0, 0 };
	const char *b;

	(void)state;
	memcpy(all, line, ln);
	memcpy(all + ln, s + 16, sn + 1);
	b = guard_copy(all, n);
	free(all);
	free(line);
	free(s);
	scanned = trickle(b, n, &st);
	assert_true(scanned < 4 * n); /* the last 3 bytes are rechecked */
	assert_int_equal(http_parse_request(b, n, &st, NULL, &req), n);
	assert_int_equal(req.target.len, HTTP_LINE_MAX - 13);
	assert_int_equal(req.nfields, HTTP_FIELDS_MAX);
	/* The counter works: stateless calls rescan (first 2 KiB only). */
	scanned = trickle(b, 2048, NULL);
	assert_true(scanned > 2048 * 1000 / 2);
}

/* A bad head: each prefix is partial or already the final error. */
static void test_every_prefix_invalid(void **state)
{
	static const char *const bad[] = {
		"GET / HTTP/1.1\r\nHost: a\r\nX : y\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: a\r\n\r\n",
		"GET / HTTP/2.0\r\n\r\n",
		"GET / HTTP/1.1\r\n\r\n",
		"GET /\x01 HTTP/1.1\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
		"\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n\r\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t n = strlen(bad[i]);
		int status;

		assert_int_equal(parse_n(bad[i], n), HTTP_PARSE_BAD);
		status = req.status;
		for (size_t k = 0; k < n; k++) {
			int r = parse_n(bad[i], k);

			if (r == HTTP_PARSE_BAD && req.status != status)
				fail_msg("bad %zu prefix %zu: %d not %d", i, k,
					 req.status, status);
			assert_true(r == HTTP_PARSE_BAD ||
				    r == HTTP_PARSE_PARTIAL);
		}
	}
}

static void test_pipelined(void **state)
{
	const char *s = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
			"HEAD /2 HTTP/1.1\r\nHost: a\r\n\r\n"
			"GET /3 HTTP/1.1\r\nHost: a\r\n"
			"Connection: close\r\n\r\n"
			"GET /4 HTTP/1.1\r\n";
	size_t len = strlen(s), off = 0;
	const char *b = guard_copy(s, len);
	static const char *const targets[] = { "/1", "/2", "/3" };
	int r;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		r = http_parse_request(b + off, len - off, NULL, NULL, &req);
		assert_true(r > 0);
		assert_true(str_is(req.target, targets[i]));
		off += (size_t)r;
	}
	assert_false(req.keep_alive);
	assert_int_equal(http_parse_request(b + off, len - off, NULL, NULL,
					    &req),
			 HTTP_PARSE_PARTIAL);
}

/*
 * Random mutations of valid heads: whatever the bytes, one read and a
 * byte-by-byte resumed read agree on the result and the status, and every
 * prefix is either partial or that same error.
 */
static void test_mutations_agree(void **state)
{
	static const char alphabet[] = "\r\n :/%.-,\"*\t\x01\x7f\x80"
				       "aAHT019";
	uint64_t x = 0x9e3779b97f4a7c15ull;
	char m[128];

	(void)state;
	for (int iter = 0; iter < 20000; iter++) {
		const char *v =
			valid[iter % (sizeof(valid) / sizeof(valid[0]))];
		size_t n = strlen(v);
		struct http_parse_state st = { 0, 0 };
		const char *b;
		int full, status, r = HTTP_PARSE_PARTIAL;
		size_t k;

		memcpy(m, v, n);
		for (int j = 0; j < 1 + iter % 3; j++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			m[x % n] = alphabet[(x >> 32) % (sizeof(alphabet) - 1)];
		}
		full = parse_n(m, n);
		status = req.status;
		b = guard_copy(m, n);
		for (k = 0; k <= n && r == HTTP_PARSE_PARTIAL; k++)
			r = http_parse_request(b, k, &st, NULL, &req);
		if (full == HTTP_PARSE_PARTIAL)
			assert_int_equal(r, HTTP_PARSE_PARTIAL);
		else if (r != full || req.status != status)
			fail_msg("iteration %d: %d/%d resumed, %d/%d at once",
				 iter, r, req.status, full, status);
		if (full == HTTP_PARSE_BAD)
			assert_true(status >= 400 && status <= 505);
	}
}

/* A stale or bogus state is harmless. */
static void test_bogus_state(void **state)
{
	const char *s = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	size_t n = strlen(s);
	const char *b = guard_copy(s, n);
	struct http_parse_state st = { 1000, 0 };

	(void)state;
	assert_int_equal(http_parse_request(b, 10, &st, NULL, &req),
			 HTTP_PARSE_PARTIAL);
	st = (struct http_parse_state){ 1000, 1000 };
	assert_int_equal(http_parse_request(b, n, &st, NULL, &req), n);
	st = (struct http_parse_state){ 0, 1 };
	assert_int_equal(http_parse_request(b, n, &st, NULL, &req), n);
	st = (struct http_parse_state){ 20, 5 };
	assert_int_equal(http_parse_request(b, n, &st, NULL, &req), n);
	assert_true(str_is(req.target, "/"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_get),
		cmocka_unit_test(test_head_http10_minimal),
		cmocka_unit_test(test_empty_host_and_values),
		cmocka_unit_test(test_connection_tokens),
		cmocka_unit_test(test_leading_empty_lines),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_malformed_request_line),
		cmocka_unit_test(test_malformed_fields),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_methods),
		cmocka_unit_test(test_host_rules),
		cmocka_unit_test(test_body_framing),
		cmocka_unit_test(test_repeated_optional_fields_dropped),
		cmocka_unit_test(test_if_range_field),
		cmocka_unit_test(test_traceparent_field),
		cmocka_unit_test(test_line_cap_414),
		cmocka_unit_test(test_header_caps_431),
		cmocka_unit_test(test_caller_limits),
		cmocka_unit_test(test_every_prefix_valid),
		cmocka_unit_test(test_split_reads),
		cmocka_unit_test(test_every_prefix_invalid),
		cmocka_unit_test(test_pipelined),
		cmocka_unit_test(test_split_reads_invalid),
		cmocka_unit_test(test_trickle_is_linear),
		cmocka_unit_test(test_mutations_agree),
		cmocka_unit_test(test_bogus_state),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
