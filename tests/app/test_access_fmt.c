// SPDX-License-Identifier: MIT
/*
 * Unit tests for app/access_fmt.c: Combined Log Format lines (checked
 * field by field and against the host's gmtime), CLF escaping and its
 * cut, the RFC 5424 wrapping, and the access_log= parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "app/access_fmt.h"
#include "kernel/lib/errno.h"

#define T0 1796304915LL /* 2026-12-03T13:35:15Z */

static struct alog_entry sample(void)
{
	struct alog_entry e = {
		.start_s = T0,
		.done_us = T0 * 1000000 + 1234,
		.req_id = 17,
		.dur_us = 523,
		.body_bytes = 1024,
		.bytes = 1260,
		.status = 200,
		.version_minor = 1,
	};

	strcpy(e.peer, "10.77.0.1");
	strcpy(e.method, "GET");
	strcpy(e.target, "/a/b.html?x=1");
	strcpy(e.referer, "http://h/");
	strcpy(e.agent, "curl/7.88.1");
	for (int i = 0; i < 16; i++)
		e.trace_id[i] = (uint8_t)(0xa0 + i);
	return e;
}

static void test_line_all_fields(void **state)
{
	struct alog_entry e = sample();
	char buf[ALOG_LINE_MAX];
	int n = alog_format_line(buf, sizeof(buf), &e);

	(void)state;
	assert_string_equal(
		buf,
		"10.77.0.1 - - [03/Dec/2026:13:35:15 +0000] "
		"\"GET /a/b.html?x=1 HTTP/1.1\" 200 1024 \"http://h/\" "
		"\"curl/7.88.1\" id=17 trace=a0a1a2a3a4a5a6a7a8a9aaabacadaeaf "
		"us=523 bytes=1260");
	assert_int_equal(n, (int)strlen(buf));
}

static void test_line_absent_fields(void **state)
{
	struct alog_entry e = sample();
	char buf[ALOG_LINE_MAX];

	(void)state;
	e.referer[0] = e.agent[0] = '\0';
	e.body_bytes = 0;
	e.status = 304;
	e.version_minor = 0;
	memset(e.trace_id, 0, sizeof(e.trace_id));
	assert_true(alog_format_line(buf, sizeof(buf), &e) > 0);
	assert_non_null(strstr(buf, "\"GET /a/b.html?x=1 HTTP/1.0\" 304 - "
				    "\"-\" \"-\" id=17 trace=- us=523"));
	e.method[0] = '\0'; /* the head did not parse */
	e.status = 400;
	assert_true(alog_format_line(buf, sizeof(buf), &e) > 0);
	assert_non_null(strstr(buf, "] \"-\" 400 "));
}

/* Every field at its cap still makes a line that fits. */
static void test_line_fits_at_caps(void **state)
{
	struct alog_entry e = sample();
	char buf[ALOG_LINE_MAX], big[1000];

	(void)state;
	memset(big, '"', sizeof(big));
	alog_escape(e.target, sizeof(e.target), big, sizeof(big));
	alog_escape(e.referer, sizeof(e.referer), big, sizeof(big));
	alog_escape(e.agent, sizeof(e.agent), big, sizeof(big));
	strcpy(e.peer, "255.255.255.255");
	strcpy(e.method, "OPTIONS");
	e.req_id = e.dur_us = e.bytes = e.body_bytes = UINT64_MAX;
	e.status = 599;
	assert_true(alog_format_line(buf, sizeof(buf), &e) > 0);
	assert_int_equal(alog_format_line(buf, 100, &e), -ENOSPC);
}

/* The date part agrees with the host's gmtime over many years. */
static void test_line_dates(void **state)
{
	struct alog_entry e = sample();
	char buf[ALOG_LINE_MAX], want[64];

	(void)state;
	for (int64_t t = 0; t < 4102444800LL; t += 86400 * 37 + 3671) {
		time_t tt = (time_t)t;
		struct tm tm;

		e.start_s = t;
		assert_true(alog_format_line(buf, sizeof(buf), &e) > 0);
		gmtime_r(&tt, &tm);
		strftime(want, sizeof(want), "[%d/%b/%Y:%H:%M:%S +0000]", &tm);
		assert_non_null(strstr(buf, want));
	}
}

static void test_escape(void **state)
{
	char buf[64];

	(void)state;
	alog_escape(buf, sizeof(buf), "a\"b\\c\x01\x7f\xff d", 10);
	assert_string_equal(buf, "a\\\"b\\\\c\\x01\\x7f\\xff d");
	alog_escape(buf, sizeof(buf), NULL, 0);
	assert_string_equal(buf, "");
	/* An embedded NUL is escaped, not an end. */
	alog_escape(buf, sizeof(buf), "a\0b", 3);
	assert_string_equal(buf, "a\\x00b");
}

/* A value that does not fit is cut at a whole escape, ends in "..."
 * and never overruns; one that fits exactly is not cut. */
static void test_escape_cut(void **state)
{
	char buf[12];

	(void)state;
	alog_escape(buf, sizeof(buf), "0123456789a", 11);
	assert_string_equal(buf, "0123456789a");
	alog_escape(buf, sizeof(buf), "0123456789ab", 12);
	assert_string_equal(buf, "01234567...");
	alog_escape(buf, sizeof(buf), "\x01\x02\x03", 3);
	assert_string_equal(buf, "\\x01\\x02...");
	alog_escape(buf, sizeof(buf), "abcdefg\x01", 8);
	assert_string_equal(buf, "abcdefg\\x01"); /* 11 bytes: fits */
	alog_escape(buf, sizeof(buf), "abcdefgh\x01", 9);
	assert_string_equal(buf, "abcdefgh..."); /* no half escape */
	for (size_t size = 1; size < sizeof(buf); size++) {
		char small[12];

		memset(small, 'Z', sizeof(small));
		alog_escape(small, size, "\"\"\"\"\"\"\"\"\"\"\"", 11);
		assert_true(strlen(small) < size);
		assert_int_equal(small[size], 'Z'); /* no overrun */
	}
}

static void test_syslog(void **state)
{
	struct alog_entry e = sample();
	char line[ALOG_LINE_MAX], msg[ALOG_SYSLOG_MAX];
	int n = alog_format_line(line, sizeof(line), &e);
	int m = alog_format_syslog(msg, sizeof(msg), "g1", &e, line, (size_t)n);
	const char *want_head =
		"<134>1 2026-12-03T13:35:15.001234Z g1 petrel - access "
		"[petrel@32473 id=\"17\" "
		"trace=\"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\"] ";

	(void)state;
	assert_int_equal(m, (int)strlen(msg));
	assert_memory_equal(msg, want_head, strlen(want_head));
	assert_string_equal(msg + strlen(want_head), line);
	assert_int_equal(alog_format_syslog(msg, 40, "g1", &e, line, (size_t)n),
			 -ENOSPC);
	assert_int_equal(alog_format_syslog(msg, strlen(want_head) + 5, "g1",
					    &e, line, (size_t)n),
			 -ENOSPC);
	/* An empty host is RFC 5424's NILVALUE. */
	alog_format_syslog(msg, sizeof(msg), "", &e, line, (size_t)n);
	assert_non_null(strstr(msg, ".001234Z - petrel - access "));
}

static void test_parse_target(void **state)
{
	struct alog_target t = { .mode = ALOG_CONSOLE };
	static const char *const bad[] = {
		"",
		"on",
		"consol",
		"console2",
		"syslog",
		"syslog:",
		"syslog:10.77.0.1",
		"syslog:10.77.0.1:",
		"syslog:10.77.0.1:0",
		"syslog:10.77.0.1:65536",
		"syslog:10.77.0.1:51x",
		"syslog:10.77.0:514",
		"syslog:0.0.0.0:514",
		"syslog::514",
		"syslog:10.77.0.1.1.1.1.1.1.1.1:514",
	};

	(void)state;
	assert_int_equal(alog_parse_target("off", &t), 0);
	assert_int_equal(t.mode, ALOG_OFF);
	assert_int_equal(alog_parse_target("console", &t), 0);
	assert_int_equal(t.mode, ALOG_CONSOLE);
	assert_int_equal(alog_parse_target("syslog:10.77.0.1:5514", &t), 0);
	assert_int_equal(t.mode, ALOG_SYSLOG);
	assert_int_equal(t.addr, 0x0a4d0001);
	assert_int_equal(t.port, 5514);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct alog_target before = t;

		assert_int_equal(alog_parse_target(bad[i], &t), -EINVAL);
		assert_memory_equal(&t, &before, sizeof(t)); /* unchanged */
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_all_fields),
		cmocka_unit_test(test_line_absent_fields),
		cmocka_unit_test(test_line_fits_at_caps),
		cmocka_unit_test(test_line_dates),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_escape_cut),
		cmocka_unit_test(test_syslog),
		cmocka_unit_test(test_parse_target),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
