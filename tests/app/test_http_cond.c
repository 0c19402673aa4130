// SPDX-License-Identifier: MIT
/*
 * Unit tests for app/http_cond.c: HTTP-date formatting checked against
 * the host's gmtime for many timestamps, parsing of the three date forms,
 * ETags, If-None-Match lists, the 304 decision and If-Range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "app/http_cond.h"
#include "app/http_param.h"
#include "kernel/lib/errno.h"
#include "tests/fakes/guard_page.h"

#define YEAR1_START (-62135596800LL) /* 0001-01-01T00:00:00Z */
#define YEAR9999_END 253402300799LL /* 9999-12-31T23:59:59Z */

static struct http_str S(const char *s) {
	struct http_str r = { s, strlen(s) };

	return r;
}

static const struct http_str absent = { NULL, 0 };

/* The host's rendering of @t as an IMF-fixdate. */
static void host_format(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	assert_non_null(gmtime_r(&tt, &tm));
	char head[16], tail[16];

	/* strftime's %Y does not pad years below 1000. */
	assert_true(strftime(head, sizeof(head), "%a, %d %b", &tm) > 0);
	assert_true(strftime(tail, sizeof(tail), "%H:%M:%S", &tm) > 0);
	snprintf(buf, size, "%s %04d %s GMT", head, tm.tm_year + 1900, tail);
}

static int parse(const char *s, int64_t *t)
{
	size_t n = strlen(s);

	return http_date_parse(guard_copy(s, n), n, t);
}

static void check_round_trip(int64_t t)
{
	char ours[HTTP_DATE_SIZE], host[64];
	int64_t back = 0;

	assert_int_equal(http_date_format(ours, sizeof(ours), t),
			 HTTP_DATE_LEN);
	host_format(t, host, sizeof(host));
	if (strcmp(ours, host))
		fail_msg("%lld: \"%s\" != host \"%s\"", (long long)t, ours,
			 host);
	assert_int_equal(parse(ours, &back), 0);
	assert_int_equal(back, t);
}

static void test_date_known(void **state)
{
	char buf[HTTP_DATE_SIZE];
	int64_t t;

	(void)state;
	assert_int_equal(http_date_format(buf, sizeof(buf), 784111777), 29);
	assert_string_equal(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
	assert_int_equal(http_date_format(buf, sizeof(buf), 0), 29);
	assert_string_equal(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
	assert_int_equal(http_date_format(buf, sizeof(buf), 951782400), 29);
	assert_string_equal(buf, "Tue, 29 Feb 2000 00:00:00 GMT");
	assert_int_equal(http_date_format(buf, sizeof(buf), -1), 29);
	assert_string_equal(buf, "Wed, 31 Dec 1969 23:59:59 GMT");
	assert_int_equal(parse("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(parse("Sunday, 06-Nov-94 08:49:37 GMT", &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(parse("Sun Nov  6 08:49:37 1994", &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(parse("Sun Nov 06 08:49:37 1994", &t), 0);
	assert_int_equal(t, 784111777);
	assert_int_equal(parse("Wed Nov 16 08:49:37 1994", &t), 0);
	assert_int_equal(t, 784111777 + 10 * 86400);
	/* RFC 850 two-digit years: 00..69 are 20xx. */
	assert_int_equal(parse("Thursday, 01-Jan-70 00:00:00 GMT", &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(parse("Saturday, 01-Jan-00 00:00:00 GMT", &t), 0);
	assert_int_equal(t, 946684800);
	assert_int_equal(parse("Tuesday, 31-Dec-69 00:00:00 GMT", &t), 0);
	assert_int_equal(t, 3155673600LL);
	/* A leap second is read as :59. */
	assert_int_equal(parse("Sat, 31 Dec 2016 23:59:60 GMT", &t), 0);
	assert_int_equal(t, 1483228799);
}

static void test_date_round_trips(void **state)
{
	uint64_t x = 88172645463325252ULL; /* xorshift64 state */
	const int64_t span = YEAR9999_END - YEAR1_START + 1;

	(void)state;
	check_round_trip(YEAR1_START);
	check_round_trip(YEAR9999_END);
	check_round_trip(INT32_MAX);
	check_round_trip((int64_t)INT32_MAX + 1);
	check_round_trip(4102444800LL); /* 2100-01-01, not a leap year */
	check_round_trip(4107542399LL); /* 2100-02-28T23:59:59 */
	/* Every day around the epoch and around 2000 and 2100. */
	for (int64_t d = -1000; d <= 1000; d++) {
		check_round_trip(d * 86400 + 43210);
		check_round_trip(946684800 + d * 86400 - 1);
		check_round_trip(4102444800LL + d * 86400);
	}
	for (int i = 0; i < 20000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		check_round_trip(YEAR1_START + (int64_t)(x % (uint64_t)span));
	}
}

static void test_date_out_of_range(void **state)
{
	char buf[HTTP_DATE_SIZE];

	(void)state;
	assert_int_equal(http_date_format(buf, sizeof(buf), YEAR1_START - 1),
			 -ERANGE);
	assert_int_equal(http_date_format(buf, sizeof(buf), YEAR9999_END + 1),
			 -ERANGE);
	assert_int_equal(http_date_format(buf, sizeof(buf), INT64_MAX),
			 -ERANGE);
	assert_int_equal(http_date_format(buf, sizeof(buf), INT64_MIN),
			 -ERANGE);
	assert_int_equal(http_date_format(buf, HTTP_DATE_SIZE - 1, 0), -ENOSPC);
}

static void test_date_invalid(void **state)
{
	static const char *const bad[] = {
		"",
		"Sun, 06 Nov 1994 08:49:37 GMT ",
		" Sun, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 06 Nov 1994 08:49:37",
		"Sun, 6 Nov 1994 08:49:37 GMT",
		"Sun, 06 nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 94 08:49:37 GMT",
		"Sun,06 Nov 1994 08:49:37 GMT",
		"Sux, 06 Nov 1994 08:49:37 GMT",
		"Sun, 31 Nov 1994 08:49:37 GMT",
		"Sun, 29 Feb 1900 08:49:37 GMT",
		"Sun, 00 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 24:00:00 GMT",
		"Sun, 06 Nov 1994 08:60:37 GMT",
		"Sun, 06 Nov 1994 08:49:61 GMT",
		"Sun, 06 Nov 0000 08:49:37 GMT",
		"Sun, 06 Nov 1994 8:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:3x GMT",
		"Sunday, 06-Nov-1994 08:49:37 GMT",
		"Sunday, 06 Nov 94 08:49:37 GMT",
		"Sun Nov 6 08:49:37 1994",
		"Sun Nov  6 08:49:37 94",
		"Sun Nov   6 08:49:37 1994",
		"Sun Nov  6 08:49:37 1994 ",
		"1994-11-06T08:49:37Z",
		"784111777",
	};
	int64_t t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (parse(bad[i], &t) != -EINVAL)
			fail_msg("accepted \"%s\"", bad[i]);
	assert_int_equal(http_date_parse(NULL, 0, &t), -EINVAL);
	/* Every prefix of a valid date is invalid, and reads stay inside. */
	const char *d = "Sunday, 06-Nov-94 08:49:37 GMT";

	for (size_t k = 0; k < strlen(d); k++)
		assert_int_equal(http_date_parse(guard_copy(d, k), k, &t),
				 -EINVAL);
}

static void test_etag_make(void **state)
{
	char buf[HTTP_ETAG_SIZE];

	(void)state;
	assert_int_equal(
		http_etag_make(buf, sizeof(buf), 12, 4096, 0x5f00, false), 13);
	assert_string_equal(buf, "\"c-5f00-1000\"");
	assert_int_equal(
		http_etag_make(buf, sizeof(buf), 12, 4096, 0x5f00, true), 15);
	assert_string_equal(buf, "W/\"c-5f00-1000\"");
	assert_true(http_etag_make(buf, sizeof(buf), UINT64_MAX, UINT64_MAX,
				   INT64_MIN, true) > 0);
	assert_int_equal(http_etag_make(buf, 7, 1, 2, 3, false), -ENOSPC);
	assert_int_equal(http_etag_make(buf, 8, 1, 2, 3, false), 7);
	assert_string_equal(buf, "\"1-3-2\"");
}

static bool match(const char *inm, const char *etag)
{
	size_t n = strlen(inm);

	return http_etag_match((struct http_str){ guard_copy(inm, n), n },
			       S(etag));
}

static void test_if_none_match(void **state)
{
	(void)state;
	assert_true(match("\"a\"", "\"a\""));
	assert_true(match("*", "\"a\""));
	assert_true(match(" * ", "\"a\""));
	assert_true(match("W/\"a\"", "\"a\""));
	assert_true(match("\"a\"", "W/\"a\""));
	assert_true(match("W/\"a\"", "W/\"a\""));
	assert_true(match("\"x\", \"y\" ,W/\"a\"", "\"a\""));
	assert_true(match(",,\"x\",,\"a\",", "\"a\""));
	assert_true(match("\"a,b\"", "\"a,b\""));
	assert_false(match("\"a\"", "\"b\""));
	assert_false(match("\"a\"", "\"ab\""));
	assert_false(match("\"ab\"", "\"a\""));
	assert_false(match("\"x\", \"y\"", "\"a\""));
	assert_false(match("", "\"a\""));
	/* Malformed: no quotes, no end quote, junk, "*" inside a list. */
	assert_false(match("a", "a"));
	assert_false(match("\"a", "\"a\""));
	assert_false(match("w/\"a\"", "\"a\""));
	assert_false(match("\"x\" \"a\"", "\"a\""));
	assert_false(match("\"x\", *", "\"a\""));
	assert_false(match("\"x\"junk, \"a\"", "\"a\""));
	assert_false(match("\"a b\"", "\"a b\""));
	assert_false(http_etag_match(absent, S("\"a\"")));
	/* Every prefix of a list is handled without reading past it. */
	const char *l = "\"x\", W/\"a\"";

	for (size_t k = 0; k < strlen(l); k++)
		assert_false(http_etag_match(
			(struct http_str){ guard_copy(l, k), k }, S("\"a\"")));
}

static void test_not_modified(void **state)
{
	const char *ims = "Sun, 06 Nov 1994 08:49:37 GMT";
	const int64_t t = 784111777, now = 2000000000;
	struct http_str tag = S("\"a\"");

	(void)state;
	assert_false(http_not_modified(absent, absent, tag, t, now));
	assert_true(http_not_modified(S("\"a\""), absent, tag, t, now));
	assert_false(http_not_modified(S("\"b\""), absent, tag, t, now));
	/* If-Modified-Since: not modified at or before the date. */
	assert_true(http_not_modified(absent, S(ims), tag, t, now));
	assert_true(http_not_modified(absent, S(ims), tag, t - 1, now));
	assert_false(http_not_modified(absent, S(ims), tag, t + 1, now));
	/* If-None-Match takes precedence, whatever the date says. */
	assert_false(http_not_modified(S("\"b\""), S(ims), tag, t, now));
	assert_true(http_not_modified(S("\"a\""), S(ims), tag, t + 9, now));
	/* An invalid date or one in the future is ignored. */
	assert_false(http_not_modified(absent, S("yesterday"), tag, t, now));
	assert_false(http_not_modified(absent, S(ims), tag, t, t - 1));
	assert_true(http_not_modified(absent, S(ims), tag, t, t));
}

/* If-Range from a guard-page copy against the strong tag "a". */
static bool if_range(const char *ir, int64_t mtime, int64_t now)
{
	size_t n = strlen(ir);

	return http_if_range_holds((struct http_str){ guard_copy(ir, n), n },
				   S("\"a\""), mtime, now);
}

static void test_if_range(void **state)
{
	const char *date = "Sun, 06 Nov 1994 08:49:37 GMT";
	const int64_t t = 784111777, now = 2000000000;

	(void)state;
	/* Absent: the Range stands. */
	assert_true(http_if_range_holds(absent, S("\"a\""), t, now));
	/* Entity-tags: strong comparison only. */
	assert_true(if_range("\"a\"", t, now));
	assert_true(if_range(" \"a\" ", t, now));
	assert_false(if_range("\"nope\"", t, now));
	assert_false(if_range("\"ab\"", t, now));
	assert_false(if_range("W/\"a\"", t, now)); /* weak never matches */
	assert_false(http_if_range_holds(S("\"a\""), S("W/\"a\""), t, now));
	assert_false(if_range("\"a\", \"b\"", t, now)); /* one tag, no list */
	assert_false(if_range("\"a", t, now));
	assert_false(if_range("*", t, now));
	assert_false(if_range("", t, now));
	/* Dates: exactly Last-Modified, in any of the three forms. */
	assert_true(if_range(date, t, now));
	assert_true(if_range("Sunday, 06-Nov-94 08:49:37 GMT", t, now));
	assert_true(if_range("Sun Nov  6 08:49:37 1994", t, now));
	assert_false(if_range(date, t + 1, now)); /* modified since */
	assert_false(if_range(date, t - 1, now)); /* older, not equal */
	assert_false(if_range("Wed, 21 Oct 2015 07:28:00 GMT", t, now));
	/* Not strong: the file changed within the second the date names. */
	assert_false(if_range(date, t, t));
	assert_true(if_range(date, t, t + 1));
	assert_false(if_range("yesterday", t, now));
	/* Every prefix is read without running past it. */
	for (size_t k = 0; k < strlen(date); k++)
		assert_false(http_if_range_holds(
			(struct http_str){ guard_copy(date, k), k }, S("\"a\""),
			t, now));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_date_known),
		cmocka_unit_test(test_date_round_trips),
		cmocka_unit_test(test_date_out_of_range),
		cmocka_unit_test(test_date_invalid),
		cmocka_unit_test(test_etag_make),
		cmocka_unit_test(test_if_none_match),
		cmocka_unit_test(test_not_modified),
		cmocka_unit_test(test_if_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
