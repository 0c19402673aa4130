// SPDX-License-Identifier: MIT
/*
 * Unit tests for app/http_response.c: complete heads for the server's
 * cases, Location encoding, exact-size buffers and error bodies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "app/http_param.h"
#include "app/http_response.h"
#include "kernel/lib/errno.h"
#include "kernel/param.h"

#define SERVER "Server: " KERNEL_NAME "/" KERNEL_VERSION "\r\n"
#define DATE "Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"
#define T0 784111777

static char buf[1024];

static void test_200(void **state)
{
	const struct http_response r = {
		.status = 200,
		.date = T0,
		.content_type = "text/html; charset=utf-8",
		.content_length = 1234,
		.etag = "\"c-5f00-4d2\"",
		.has_last_modified = true,
		.last_modified = 0,
		.accept_ranges = true,
		.keep_alive = true,
	};
	const char *want = "HTTP/1.1 200 OK\r\n" DATE SERVER
			   "Content-Type: text/html; charset=utf-8\r\n"
			   "Content-Length: 1234\r\n"
			   "ETag: \"c-5f00-4d2\"\r\n"
			   "Last-Modified: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
			   "Accept-Ranges: bytes\r\n"
			   "Connection: keep-alive\r\n\r\n";

	(void)state;
	assert_int_equal(http_response_head(buf, sizeof(buf), &r),
			 strlen(want));
	assert_string_equal(buf, want);
}

static void test_206_and_416(void **state)
{
	struct http_response r = {
		.status = 206,
		.date = T0,
		.content_length = 100,
		.range = HTTP_RANGE_PARTIAL,
		.range_bounds = { 100, 199 },
		.file_size = 1000,
	};

	(void)state;
	assert_true(http_response_head(buf, sizeof(buf), &r) > 0);
	assert_string_equal(buf, "HTTP/1.1 206 Partial Content\r\n" DATE SERVER
				 "Content-Length: 100\r\n"
				 "Content-Range: bytes 100-199/1000\r\n"
				 "Connection: close\r\n\r\n");
	r.status = 416;
	r.range = HTTP_RANGE_UNSATISFIABLE;
	r.content_length = 0;
	assert_true(http_response_head(buf, sizeof(buf), &r) > 0);
	assert_string_equal(buf,
			    "HTTP/1.1 416 Range Not Satisfiable\r\n" DATE SERVER
			    "Content-Length: 0\r\n"
			    "Content-Range: bytes */1000\r\n"
			    "Connection: close\r\n\r\n");
	/* A range kind that does not fit the status is not sent. */
	r.status = 200;
	assert_true(http_response_head(buf, sizeof(buf), &r) > 0);
	assert_null(strstr(buf, "Content-Range"));
}

static void test_304_405_301(void **state)
{
	struct http_response r = {
		.status = 304, .date = T0, .content_length = 55, .etag = "\"x\""
	};

	(void)state;
	assert_true(http_response_head(buf, sizeof(buf), &r) > 0);
	assert_string_equal(buf, "HTTP/1.1 304 Not Modified\r\n" DATE SERVER
				 "ETag: \"x\"\r\nConnection: close\r\n\r\n");
	r = (struct http_response){ .status = 405, .date = T0 };
	assert_true(http_response_head(buf, sizeof(buf), &r) > 0);
	assert_non_null(strstr(buf, "HTTP/1.1 405 Method Not Allowed\r\n"));
	assert_non_null(strstr(buf, "\r\nAllow: GET, HEAD\r\n"));
	r = (struct http_response){ .status = 301,
				    .date = T0,
				    .location = "/a dir/\xc3\xa9%?#\"/" };
	assert_true(http_response_head(buf, sizeof(buf), &r) > 0);
	assert_non_null(strstr(buf, "\r\nLocation: "
				    "/a%20dir/%C3%A9%25%3F%23%22/\r\n"));
	assert_null(strstr(buf, "Allow"));
	assert_null(strstr(buf, "traceresponse"));
	r.traceresponse =
		"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
	assert_true(http_response_head(buf, sizeof(buf), &r) > 0);
	assert_non_null(strstr(buf, "\r\ntraceresponse: 00-4bf92f3577b34da6"
				    "a3ce929d0e0e4736-00f067aa0ba902b7-01\r\n"
				    "Connection: "));
}

static void test_buffer_bounds(void **state)
{
	const struct http_response r = { .status = 404,
					 .date = T0,
					 .content_type = "text/html",
					 .content_length = 9,
					 .keep_alive = true };
	char small[256];
	int len;

	(void)state;
	len = http_response_head(buf, sizeof(buf), &r);
	assert_true(len > 0);
	/* Exactly enough room (with the NUL), then one byte less. */
	memset(small, 'Z', sizeof(small));
	assert_int_equal(http_response_head(small, (size_t)len + 1, &r), len);
	assert_string_equal(small, buf);
	for (size_t n = 0; n <= (size_t)len; n++) {
		memset(small, 'Z', sizeof(small));
		assert_int_equal(http_response_head(small, n, &r), -ENOSPC);
		assert_int_equal(small[n], 'Z');
	}
}

static void test_dates_out_of_range_left_out(void **state)
{
	const struct http_response r = { .status = 200,
					 .date = INT64_MAX,
					 .has_last_modified = true,
					 .last_modified = INT64_MIN };

	(void)state;
	assert_true(http_response_head(buf, sizeof(buf), &r) > 0);
	assert_null(strstr(buf, "Date:"));
	assert_null(strstr(buf, "Last-Modified:"));
}

/* Each CPU keeps the last date it formatted per field: a new second, a
 * new mtime, another CPU and a date out of range between two good ones
 * all give what formatting afresh gives. */
extern unsigned fake_cpu_id; /* tests/fakes/fake_smp.c */

static void expect_dates(int64_t date, int64_t mtime, const char *want_date,
			 const char *want_mtime)
{
	const struct http_response r = { .status = 200,
					 .date = date,
					 .has_last_modified = true,
					 .last_modified = mtime };
	char line[64];

	assert_true(http_response_head(buf, sizeof(buf), &r) > 0);
	snprintf(line, sizeof(line), "Date: %s\r\n", want_date);
	assert_non_null(strstr(buf, line));
	snprintf(line, sizeof(line), "Last-Modified: %s\r\n", want_mtime);
	assert_non_null(strstr(buf, line));
}

static void test_cached_dates_follow_the_clock(void **state)
{
	static const char *const epoch = "Thu, 01 Jan 1970 00:00:00 GMT";
	static const char *const t0 = "Sun, 06 Nov 1994 08:49:37 GMT";
	static const char *const t1 = "Sun, 06 Nov 1994 08:49:38 GMT";
	const struct http_response bad = { .status = 200, .date = INT64_MAX };

	(void)state;
	expect_dates(T0, 0, t0, epoch);
	expect_dates(T0 + 1, 0, t1, epoch);
	expect_dates(T0 + 1, T0, t1, t0);
	fake_cpu_id = 1;
	expect_dates(T0, T0 + 1, t0, t1);
	fake_cpu_id = 0;
	assert_true(http_response_head(buf, sizeof(buf), &bad) > 0);
	assert_null(strstr(buf, "Date:"));
	expect_dates(T0 + 1, T0, t1, t0);
}

static void test_reasons_and_error_body(void **state)
{
	static const int codes[] = { 200, 206, 301, 304, 400, 403,
				     404, 405, 408, 413, 414, 416,
				     431, 500, 501, 503, 505 };
	char body[HTTP_ERROR_BODY_SIZE];

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		char want[64];

		assert_string_not_equal(http_reason(codes[i]), "Unknown");
		assert_true(http_error_body(body, sizeof(body), codes[i]) > 0);
		snprintf(want, sizeof(want), "<h1>%d %s</h1>", codes[i],
			 http_reason(codes[i]));
		assert_non_null(strstr(body, want));
	}
	assert_string_equal(http_reason(431),
			    "Request Header Fields Too Large");
	assert_string_equal(http_reason(299), "Unknown");
	assert_int_equal(http_error_body(body, 20, 404), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_200),
		cmocka_unit_test(test_206_and_416),
		cmocka_unit_test(test_304_405_301),
		cmocka_unit_test(test_buffer_bounds),
		cmocka_unit_test(test_cached_dates_follow_the_clock),
		cmocka_unit_test(test_dates_out_of_range_left_out),
		cmocka_unit_test(test_reasons_and_error_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
