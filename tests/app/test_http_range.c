// SPDX-License-Identifier: MIT
/*
 * Unit tests for app/http_range.c: the three range-spec forms, clamping,
 * 416 cases, values to ignore, 64-bit overflow and Content-Range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "app/http_range.h"
#include "kernel/lib/errno.h"
#include "tests/fakes/guard_page.h"

static struct http_range r;

static enum http_range_kind parse(const char *v, uint64_t size)
{
	size_t n = strlen(v);

	r.first = r.last = 0xdead;
	return http_range_parse(guard_copy(v, n), n, size, &r);
}

static void expect_partial(const char *v, uint64_t size, uint64_t first,
			   uint64_t last)
{
	enum http_range_kind k = parse(v, size);

	if (k != HTTP_RANGE_PARTIAL || r.first != first || r.last != last)
		fail_msg("\"%s\" size %llu: kind %d [%llu, %llu]", v,
			 (unsigned long long)size, k,
			 (unsigned long long)r.first,
			 (unsigned long long)r.last);
}

static void expect_kind(const char *v, uint64_t size, enum http_range_kind want)
{
	enum http_range_kind k = parse(v, size);

	if (k != want)
		fail_msg("\"%s\" size %llu: kind %d, want %d", v,
			 (unsigned long long)size, k, want);
}

static void test_forms(void **state)
{
	(void)state;
	expect_partial("bytes=0-99", 1000, 0, 99);
	expect_partial("bytes=0-0", 1000, 0, 0);
	expect_partial("bytes=999-999", 1000, 999, 999);
	expect_partial("bytes=500-", 1000, 500, 999);
	expect_partial("bytes=-1", 1000, 999, 999);
	expect_partial("bytes=-100", 1000, 900, 999);
	expect_partial("bytes=0-", 1, 0, 0);
	expect_partial("Bytes=1-2", 10, 1, 2);
	expect_partial("BYTES= 1-2 ", 10, 1, 2);
}

static void test_clamping(void **state)
{
	(void)state;
	expect_partial("bytes=0-1000", 1000, 0, 999);
	expect_partial("bytes=10-99999999", 100, 10, 99);
	expect_partial("bytes=-1000", 1000, 0, 999);
	expect_partial("bytes=-5000", 1000, 0, 999);
	expect_partial("bytes=-1", 1, 0, 0);
}

static void test_unsatisfiable(void **state)
{
	(void)state;
	expect_kind("bytes=1000-", 1000, HTTP_RANGE_UNSATISFIABLE);
	expect_kind("bytes=1000-2000", 1000, HTTP_RANGE_UNSATISFIABLE);
	expect_kind("bytes=5000-", 1000, HTTP_RANGE_UNSATISFIABLE);
	expect_kind("bytes=-0", 1000, HTTP_RANGE_UNSATISFIABLE);
	expect_kind("bytes=-000", 1000, HTTP_RANGE_UNSATISFIABLE);
	/* An empty file has no satisfiable range at all. */
	expect_kind("bytes=0-0", 0, HTTP_RANGE_UNSATISFIABLE);
	expect_kind("bytes=0-", 0, HTTP_RANGE_UNSATISFIABLE);
	expect_kind("bytes=-1", 0, HTTP_RANGE_UNSATISFIABLE);
}

static void test_ignored(void **state)
{
	static const char *const ignored[] = {
		"",
		"bytes",
		"bytes=",
		"bytes=-",
		"bytes=a-b",
		"bytes=5",
		"bytes=5-4",
		"bytes=1-2-3",
		"bytes=1 -2",
		"bytes=+1-2",
		"bytes=0x10-",
		"bytes=--1",
		"bytes=-1-",
		"bytes 0-1",
		"bits=0-1",
		"bytes =0-1",
		"items=0-1",
		"bytes=0-1,2-3",
		"bytes=0-1, 5-",
		"bytes=0-1,",
		"bytes=1-\t2",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		expect_kind(ignored[i], 1000, HTTP_RANGE_NONE);
	/* Absent. */
	assert_int_equal(http_range_parse(NULL, 0, 10, &r), HTTP_RANGE_NONE);
}

static void test_huge_numbers(void **state)
{
	const uint64_t big = UINT64_MAX - 1;

	(void)state;
	expect_partial("bytes=0-18446744073709551615", 10, 0, 9);
	expect_partial("bytes=0-99999999999999999999999999999999", 10, 0, 9);
	expect_partial("bytes=-99999999999999999999999999999999", 10, 0, 9);
	expect_kind("bytes=99999999999999999999999999999999-", 10,
		    HTTP_RANGE_UNSATISFIABLE);
	expect_kind("bytes=18446744073709551615-18446744073709551615",
		    UINT64_MAX, HTTP_RANGE_UNSATISFIABLE);
	expect_partial("bytes=18446744073709551614-", UINT64_MAX, big, big);
	expect_partial("bytes=-1", UINT64_MAX, big, big);
	expect_partial("bytes=-18446744073709551615", UINT64_MAX, 0, big);
	expect_partial("bytes=0-", UINT64_MAX, 0, big);
	/* first > last, both huge: invalid, not unsatisfiable. */
	expect_kind("bytes=99999999999999999999999-1", 10, HTTP_RANGE_NONE);
}

static void test_content_range(void **state)
{
	char buf[HTTP_CONTENT_RANGE_SIZE];
	struct http_range x = { 0, 99 };

	(void)state;
	assert_int_equal(http_range_content_range(buf, sizeof(buf),
						  HTTP_RANGE_PARTIAL, &x, 1000),
			 15);
	assert_string_equal(buf, "bytes 0-99/1000");
	assert_int_equal(http_range_content_range(buf, sizeof(buf),
						  HTTP_RANGE_UNSATISFIABLE,
						  NULL, 1000),
			 12);
	assert_string_equal(buf, "bytes */1000");
	x.first = UINT64_MAX - 1;
	x.last = UINT64_MAX - 1;
	assert_int_equal(http_range_content_range(buf, sizeof(buf),
						  HTTP_RANGE_PARTIAL, &x,
						  UINT64_MAX),
			 68);
	assert_string_equal(buf, "bytes 18446744073709551614-"
				 "18446744073709551614/18446744073709551615");
	assert_int_equal(http_range_content_range(buf, 10, HTTP_RANGE_PARTIAL,
						  &x, UINT64_MAX),
			 -ENOSPC);
	assert_int_equal(http_range_content_range(buf, sizeof(buf),
						  HTTP_RANGE_NONE, &x, 1),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_clamping),
		cmocka_unit_test(test_unsatisfiable),
		cmocka_unit_test(test_ignored),
		cmocka_unit_test(test_huge_numbers),
		cmocka_unit_test(test_content_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
