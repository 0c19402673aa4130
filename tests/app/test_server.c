// SPDX-License-Identifier: MIT
/*
 * Unit tests for app/server.c: the request/response state machine over a
 * fake connection layer (tests/fakes/fake_conn.c), an in-memory volume
 * (tests/fakes/fake_fs.c), the real IO-Lite pool and the real timer list with
 * a fake clock. Responses are checked byte for byte. ECEM splicing on
 * ACKs needs the real ACK path: tests/net/test_conn.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/server.h"
#include "kernel/io/iobuf.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/sched/irq.h"
#include "kernel/sched/timer.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_conn.h"
#include "tests/fakes/fake_fs.h"

/* --- fakes for the kernel services the server uses --- */

int64_t rtc_now(void)
{
	return 1700000000;
}

int http_stats_json(char *buf, size_t size, const struct http_stats *http)
{
	(void)http;
	return snprintf(buf, size, "{\"test\":1}\n");
}

static void advance_ms(uint64_t ms)
{
	fake_clock_ns += ms * 1000000ull;
	timer_run_expired();
}

/* --- helpers --- */

static char big[1 << 20];
static const char index_html[] = "<h1>hello</h1>\n";

static int setup(void **state)
{
	(void)state;
	fake_fs_reset();
	fake_fs_add_file("/index.html", index_html, sizeof(index_html) - 1,
			 1600000000);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + i / 4096);
	fake_fs_add_file("/big.bin", big, sizeof(big), 1600000000);
	fake_fs_add_file("/empty.txt", "", 0, 1600000000);
	fake_fs_add_dir("/docs");
	fake_fs_add_file("/docs/index.html", "docs", 4, 1600000000);
	fake_fs_add_dir("/nodir");
	return 0;
}

static int teardown(void **state)
{
	struct iobuf_stats st;

	(void)state;
	assert_int_equal(fake_conn_live(), 0);
	iobuf_get_stats(&st);
	assert_int_equal(st.pinned_pages, 0); /* nothing leaked */
	return 0;
}

static char *take(struct conn *c)
{
	size_t len;

	return fake_conn_take_output(c, &len);
}

static void expect_status(const char *out, int status)
{
	char want[32];

	snprintf(want, sizeof(want), "HTTP/1.1 %d ", status);
	if (strncmp(out, want, strlen(want)))
		fail_msg("expected %d, got: %.80s", status, out);
}

static const char *body_of(const char *out)
{
	const char *p = strstr(out, "\r\n\r\n");

	assert_non_null(p);
	return p + 4;
}

/* One request on a fresh connection; returns the raw response. */
static char *one(const char *req)
{
	struct conn *c = fake_conn_open();
	char *out;

	assert_non_null(c);
	fake_conn_recv_str(c, req);
	out = take(c);
	fake_conn_finish(c, 0);
	return out;
}

/* --- tests --- */

static void test_get_file(void **state)
{
	char *out = one("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");

	(void)state;
	expect_status(out, 200);
	assert_non_null(strstr(out, "Content-Length: 15\r\n"));
	assert_non_null(strstr(out, "Content-Type: text/html"));
	assert_non_null(strstr(out, "ETag: \""));
	assert_non_null(strstr(out, "Last-Modified: Sun, 13 Sep 2020"));
	assert_non_null(strstr(out, "Date: Tue, 14 Nov 2023 22:13:20 GMT"));
	assert_string_equal(body_of(out), index_html);
	free(out);
}

static void test_head_and_directories(void **state)
{
	char *out;

	(void)state;
	out = one("HEAD /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_status(out, 200);
	assert_non_null(strstr(out, "Content-Length: 15\r\n"));
	assert_string_equal(body_of(out), "");
	free(out);

	out = one("GET /docs HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_status(out, 301);
	assert_non_null(strstr(out, "Location: /docs/\r\n"));
	free(out);

	out = one("GET /docs/ HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_status(out, 200);
	assert_string_equal(body_of(out), "docs");
	free(out);

	out = one("GET /nodir/ HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_status(out, 404);
	free(out);
	out = one("GET /missing HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_status(out, 404);
	free(out);
}

static void test_errors_close(void **state)
{
	static const struct {
		const char *req;
		int status;
	} cases[] = {
		{ "GET / HTTP/1.1\r\n\r\n", 400 }, /* no Host */
		{ "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505 },
		{ "BREW / HTTP/1.1\r\nHost: x\r\n\r\n", 501 },
		{ "POST / HTTP/1.1\r\nHost: x\r\n\r\n", 405 },
		{ "GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
		{ "GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct conn *c = fake_conn_open();
		char *out;

		fake_conn_recv_str(c, cases[i].req);
		out = take(c);
		expect_status(out, cases[i].status);
		if (cases[i].status == 405)
			assert_non_null(strstr(out, "Allow: GET, HEAD"));
		if (cases[i].status != 405)
			assert_true(fake_conn_closing(c));
		free(out);
		fake_conn_finish(c, 0);
	}
}

static void test_oversized_head(void **state)
{
	struct conn *c = fake_conn_open();
	char *line = malloc(20000);
	char *out;

	(void)state;
	memcpy(line, "GET /", 5);
	memset(line + 5, 'a', 9000);
	strcpy(line + 9005, " HTTP/1.1\r\nHost: x\r\n\r\n");
	fake_conn_recv_str(c, line);
	out = take(c);
	expect_status(out, 414);
	assert_true(fake_conn_closing(c));
	free(out);
	fake_conn_finish(c, 0);

	c = fake_conn_open();
	fake_conn_recv_str(c, "GET / HTTP/1.1\r\nHost: x\r\n");
	for (int i = 0; i < 101; i++)
		fake_conn_recv_str(c, "X-A: b\r\n");
	fake_conn_recv_str(c, "\r\n");
	out = take(c);
	expect_status(out, 431);
	free(out);
	free(line);
	fake_conn_finish(c, 0);
}

extern unsigned fake_alog_requests, fake_alog_responses;
extern int fake_alog_last_status;

static void test_pipelining_in_order(void **state)
{
	struct conn *c = fake_conn_open();
	unsigned logged = fake_alog_responses, asked = fake_alog_requests;
	char *out, *p;

	(void)state;
	fake_conn_recv_str(c, "GET /docs/ HTTP/1.1\r\nHost: x\r\n\r\n"
			      "GET /missing HTTP/1.1\r\nHost: x\r\n\r\n"
			      "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
	out = take(c);
	p = strstr(out, "HTTP/1.1 200");
	assert_ptr_equal(p, out);
	p = strstr(p + 1, "HTTP/1.1 404");
	assert_non_null(p);
	p = strstr(p + 1, "HTTP/1.1 200");
	assert_non_null(p);
	assert_string_equal(body_of(p), index_html);
	assert_false(fake_conn_closing(c));
	/* The access log heard of each request and each response once. */
	assert_int_equal(fake_alog_requests - asked, 3);
	assert_int_equal(fake_alog_responses - logged, 3);
	assert_int_equal(fake_alog_last_status, 200);
	free(out);
	fake_conn_finish(c, 0);
}

static void test_keep_alive_and_close(void **state)
{
	struct conn *c = fake_conn_open();
	char *out;

	(void)state;
	for (int i = 0; i < 100; i++) {
		fake_conn_recv_str(
			c, "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
		out = take(c);
		expect_status(out, 200);
		free(out);
	}
	assert_false(fake_conn_closing(c));
	fake_conn_recv_str(c, "GET /index.html HTTP/1.1\r\nHost: x\r\n"
			      "Connection: close\r\n\r\n");
	out = take(c);
	assert_non_null(strstr(out, "Connection: close"));
	assert_true(fake_conn_closing(c));
	free(out);
	fake_conn_finish(c, 0);

	/* HTTP/1.0 closes by default. */
	c = fake_conn_open();
	fake_conn_recv_str(c, "GET /index.html HTTP/1.0\r\n\r\n");
	free(take(c));
	assert_true(fake_conn_closing(c));
	fake_conn_finish(c, 0);
}

/* Each request's urgency comes from its own head and reaches the
 * connection; a bad Priority is no error and leaves the default. */
static void test_request_urgency(void **state)
{
	static const struct {
		const char *field;
		uint8_t urgency;
	} cases[] = {
		{ "Priority: u=0\r\n", 0 },
		{ "Priority: u=6, i\r\n", 6 },
		{ "", 3 },
		{ "Priority: u=9\r\n", 3 },
		{ "Priority: u=1,,\r\n", 3 },
		{ "Priority: (\r\n", 3 },
		{ "Priority: i\r\n", 3 },
		{ "priority: u=7\r\n", 7 },
	};
	struct conn *c = fake_conn_open();
	char head[128];
	char *out;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(head, sizeof(head),
			 "GET /index.html HTTP/1.1\r\nHost: x\r\n%s\r\n",
			 cases[i].field);
		fake_conn_recv_str(c, head);
		out = take(c);
		expect_status(out, 200);
		free(out);
		assert_int_equal(fake_conn_urgency(c), cases[i].urgency);
	}
	fake_conn_finish(c, 0);
}

static void test_ranges_and_conditionals(void **state)
{
	char *out, req[256], etag[80];
	const char *e;

	(void)state;
	out = one(
		"GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=10-19\r\n\r\n");
	expect_status(out, 206);
	assert_non_null(strstr(out, "Content-Range: bytes 10-19/1048576"));
	assert_memory_equal(body_of(out), big + 10, 10);
	free(out);

	out = one(
		"GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=-5\r\n\r\n");
	expect_status(out, 206);
	assert_memory_equal(body_of(out), big + sizeof(big) - 5, 5);
	free(out);

	out = one(
		"GET /index.html HTTP/1.1\r\nHost: x\r\nRange: bytes=99-\r\n\r\n");
	expect_status(out, 416);
	assert_non_null(strstr(out, "Content-Range: bytes */15"));
	free(out);

	out = one("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
	e = strstr(out, "ETag: ");
	assert_non_null(e);
	sscanf(e + 6, "%79[^\r]", etag);
	free(out);
	snprintf(
		req, sizeof(req),
		"GET /index.html HTTP/1.1\r\nHost: x\r\nIf-None-Match: %s\r\n\r\n",
		etag);
	out = one(req);
	expect_status(out, 304);
	assert_string_equal(body_of(out), "");
	free(out);

	out = one("GET /index.html HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: "
		  "Sun, 13 Sep 2020 12:26:40 GMT\r\n\r\n");
	expect_status(out, 304);
	free(out);
}

static void test_large_body_windows_follow_acks(void **state)
{
	struct conn *c = fake_conn_open();
	char *all = malloc(sizeof(big) + 4096);
	size_t got = 0, len;
	char *out;

	(void)state;
	fake_conn_recv_str(c, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
	for (int rounds = 0; rounds < 100; rounds++) {
		out = fake_conn_take_output(c, &len);
		memcpy(all + got, out, len);
		got += len;
		free(out);
		if (len == 0)
			break;
		/* Never more than two windows outstanding. */
		assert_true(len <= 2 * (256 << 10) + 4096);
		fake_conn_ack(c, UINT64_MAX);
	}
	all[got] = '\0';
	expect_status(all, 200);
	assert_int_equal(got - (size_t)(body_of(all) - all), sizeof(big));
	assert_memory_equal(body_of(all), big, sizeof(big));
	free(all);
	fake_conn_finish(c, 0);
}

/* A pipeline longer than the receive buffer, arriving in segments while
 * a large response is out: the server stops reading when its buffer is
 * full (taking part of a segment), reads on as it answers, and every
 * request gets its answer, in order. */
static void test_pipeline_longer_than_the_buffer(void **state)
{
	static const char small[] =
		"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";
	enum { SMALL = 1100, SEG = 1460 };
	size_t slen = sizeof(small) - 1, big_req, total, off = 0, got = 0;
	char *in, *all = malloc(sizeof(big) + SMALL * 1024 + 65536);
	struct conn *c = fake_conn_open();
	const char *p;
	int responses = 0;

	(void)state;
	in = malloc(64 + SMALL * slen);
	big_req =
		(size_t)sprintf(in, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
	for (int i = 0; i < SMALL; i++)
		memcpy(in + big_req + (size_t)i * slen, small, slen);
	total = big_req + SMALL * slen;
	for (int rounds = 0; rounds < 100000; rounds++) {
		size_t len;
		char *out;

		if (off < total && !fake_conn_paused(c)) {
			size_t n = MIN((size_t)SEG, total - off);

			off += fake_conn_recv(c, in + off, n);
			continue;
		}
		out = fake_conn_take_output(c, &len);
		memcpy(all + got, out, len);
		got += len;
		free(out);
		fake_conn_ack(c, 2920);
		if (off == total && len == 0 && !fake_conn_queued_bytes(c))
			break;
	}
	assert_int_equal(off, total);
	all[got] = '\0';
	/* The big body, then SMALL index pages, each a 200 with its body. */
	expect_status(all, 200);
	assert_memory_equal(body_of(all), big, sizeof(big));
	p = body_of(all) + sizeof(big);
	while ((p = strstr(p, "HTTP/1.1 "))) {
		assert_memory_equal(p, "HTTP/1.1 200", 12);
		p = strstr(p, "\r\n\r\n");
		assert_non_null(p);
		assert_memory_equal(p + 4, index_html, strlen(index_html));
		p += 4 + strlen(index_html);
		responses++;
	}
	assert_int_equal(responses, SMALL);
	free(in);
	free(all);
	fake_conn_finish(c, 0);
}

static void test_deferred_reads_and_early_close(void **state)
{
	struct conn *c;
	char *out;

	(void)state;
	fake_fs_set_deferred(true);
	c = fake_conn_open();
	fake_conn_recv_str(c, "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
	out = take(c);
	assert_string_equal(out, ""); /* head waits for the first window */
	free(out);
	assert_int_equal(fake_fs_complete(), 1);
	out = take(c);
	expect_status(out, 200);
	assert_string_equal(body_of(out), index_html);
	free(out);

	/* The peer goes away while a read is in flight: no leak, no
	 * use after free when the read completes. */
	fake_conn_recv_str(c, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
	fake_conn_finish(c, -ECONNRESET);
	assert_int_equal(fake_fs_complete(), 1);
	fake_fs_set_deferred(false);
}

static void test_read_errors(void **state)
{
	struct conn *c;
	char *out;

	(void)state;
	fake_fs_fail_next_read(-EIO);
	out = one("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_status(out, 500);
	free(out);

	/* A dead disk: timed out, or refused since, is a 503. */
	fake_fs_fail_next_read(-ETIMEDOUT);
	out = one("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_status(out, 503);
	free(out);
	fake_fs_fail_next_read(-ENODEV);
	out = one("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_status(out, 503);
	free(out);

	/* After the head went out, the only honest thing is to abort. */
	c = fake_conn_open();
	fake_conn_recv_str(c, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
	fake_fs_set_deferred(true);
	fake_fs_fail_next_read(-EIO);
	free(take(c));
	fake_conn_ack(c, UINT64_MAX);
	fake_fs_complete();
	assert_true(fake_conn_aborted(c));
	fake_conn_finish(c, -ECONNABORTED);
	fake_fs_set_deferred(false);
}

static void test_timeouts(void **state)
{
	struct http_stats before, after;
	struct conn *c;

	(void)state;
	http_get_stats(&before);
	c = fake_conn_open();
	fake_conn_recv_str(c, "GET / HTTP/1.1\r\nHo"); /* slowloris */
	advance_ms(4000);
	assert_false(fake_conn_aborted(c));
	advance_ms(2000);
	assert_true(fake_conn_aborted(c));
	fake_conn_finish(c, -ECONNABORTED);

	c = fake_conn_open(); /* idle keep-alive connection */
	advance_ms(16000);
	assert_true(fake_conn_aborted(c));
	fake_conn_finish(c, -ECONNABORTED);

	c = fake_conn_open(); /* a reader that stops reading */
	fake_conn_recv_str(c, "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n");
	free(take(c));
	advance_ms(16000);
	assert_true(fake_conn_aborted(c));
	fake_conn_finish(c, -ECONNABORTED);

	http_get_stats(&after);
	assert_int_equal(after.timeouts_header - before.timeouts_header, 1);
	assert_int_equal(after.timeouts_idle - before.timeouts_idle, 1);
	assert_int_equal(after.timeouts_send - before.timeouts_send, 1);
	assert_int_equal(after.active, 0);
}

static void test_no_volume_and_stats(void **state)
{
	char *out;

	(void)state;
	fake_fs_set_mounted(false);
	out = one("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_status(out, 503);
	free(out);
	out = one("GET /_stats HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_status(out, 200);
	assert_non_null(strstr(out, "Content-Type: application/json"));
	assert_string_equal(body_of(out), "{\"test\":1}\n");
	free(out);
	fake_fs_set_mounted(true);
}

/* GET /_health: 200 "ok" with a volume, 503 without, counted. */
static void test_health(void **state)
{
	struct http_stats st;
	uint64_t before;
	char *out;

	(void)state;
	http_get_stats(&st);
	before = st.health_checks;
	out = one("GET /_health HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_status(out, 200);
	assert_string_equal(body_of(out), "ok\n");
	free(out);
	fake_fs_set_mounted(false);
	out = one("GET /_health HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_status(out, 503);
	free(out);
	fake_fs_set_mounted(true);
	http_get_stats(&st);
	assert_int_equal(st.health_checks - before, 2);
}

static void test_status_counters(void **state)
{
	struct http_stats a, b;
	char *out;

	(void)state;
	http_get_stats(&a);
	free(one("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n"));
	free(one("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n"));
	out = one("GET /empty.txt HTTP/1.1\r\nHost: x\r\n\r\n");
	expect_status(out, 200);
	assert_non_null(strstr(out, "Content-Length: 0\r\n"));
	free(out);
	http_get_stats(&b);
	assert_int_equal(b.status[http_status_slot(200)] -
				 a.status[http_status_slot(200)],
			 2);
	assert_int_equal(b.status[http_status_slot(404)] -
				 a.status[http_status_slot(404)],
			 1);
	assert_int_equal(b.requests - a.requests, 3);
	assert_int_equal(b.connections - a.connections, 3);
}

/* A Range with an If-Range: the range only for the current validator
 * (strong ETag or the exact Last-Modified date), else the whole file. */
static void test_if_range(void **state)
{
	static const char lm[] = "Sun, 13 Sep 2020 12:26:40 GMT";
	static const struct {
		const char *if_range; /* %s: the file's ETag */
		int status;
	} cases[] = {
		{ "\"nope\"", 200 },
		{ "%s", 206 },
		{ "W/%s", 200 },
		{ "Sun, 13 Sep 2020 12:26:39 GMT", 200 }, /* older */
		{ "Sun, 13 Sep 2020 12:26:41 GMT", 200 }, /* newer */
		{ lm, 206 },
		{ "garbage", 200 },
	};
	char *out, req[256], etag[80], ir[96];
	const char *e;

	(void)state;
	out = one("GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n");
	e = strstr(out, "ETag: ");
	assert_non_null(e);
	sscanf(e + 6, "%79[^\r]", etag);
	assert_non_null(strstr(out, lm));
	free(out);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		snprintf(ir, sizeof(ir), cases[i].if_range, etag);
		snprintf(req, sizeof(req),
			 "GET /index.html HTTP/1.1\r\nHost: x\r\n"
			 "Range: bytes=0-9\r\nIf-Range: %s\r\n\r\n",
			 ir);
		out = one(req);
		expect_status(out, cases[i].status);
		if (cases[i].status == 206) {
			assert_non_null(
				strstr(out, "Content-Range: bytes 0-9/15"));
			assert_memory_equal(body_of(out), index_html, 10);
			assert_int_equal(strlen(body_of(out)), 10);
		} else {
			assert_null(strstr(out, "Content-Range"));
			assert_string_equal(body_of(out), index_html);
		}
		free(out);
	}
	/* An If-Range that does not match also lifts a 416. */
	out = one("GET /index.html HTTP/1.1\r\nHost: x\r\nRange: bytes=99-\r\n"
		  "If-Range: \"nope\"\r\n\r\n");
	expect_status(out, 200);
	assert_string_equal(body_of(out), index_html);
	free(out);
}

/* GET with a body, then a pipelined GET, delivered in pieces of `step`
 * bytes: the body (which looks like a request) is read past, never
 * parsed; both requests are answered, the second one exactly. */
static void get_with_body_then_get(const char *body, size_t body_len,
				   size_t step)
{
	struct conn *c = fake_conn_open();
	char head[128], *in, *out;
	const char *p;
	size_t hl, total, off = 0, len;

	hl = (size_t)snprintf(head, sizeof(head),
			      "GET /index.html HTTP/1.1\r\nHost: x\r\n"
			      "Content-Length: %zu\r\n\r\n",
			      body_len);
	in = malloc(hl + body_len + 64);
	memcpy(in, head, hl);
	memcpy(in + hl, body, body_len);
	total = hl + body_len;
	total += (size_t)sprintf(in + total,
				 "GET /docs/ HTTP/1.1\r\nHost: x\r\n\r\n");
	while (off < total) {
		size_t n = MIN(step, total - off);

		assert_int_equal(fake_conn_recv(c, in + off, n), n);
		off += n;
	}
	out = fake_conn_take_output(c, &len);
	expect_status(out, 200);
	assert_memory_equal(body_of(out), index_html, strlen(index_html));
	p = body_of(out) + strlen(index_html);
	expect_status(p, 200);
	assert_string_equal(body_of(p), "docs"); /* nothing after it */
	assert_false(fake_conn_closing(c));
	free(out);
	free(in);
	fake_conn_finish(c, 0);
}

static void test_get_with_body_is_read_past(void **state)
{
	static const char fake_req[] = "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n";
	size_t big_len = 100000; /* more than the receive buffer */
	char *big_body = malloc(big_len);

	(void)state;
	for (size_t i = 0; i < big_len; i++)
		big_body[i] = fake_req[i % (sizeof(fake_req) - 1)];
	get_with_body_then_get(fake_req, sizeof(fake_req) - 1, 4096);
	get_with_body_then_get(fake_req, sizeof(fake_req) - 1, 1);
	get_with_body_then_get(fake_req, sizeof(fake_req) - 1, 40);
	get_with_body_then_get(big_body, big_len, 1460);
	get_with_body_then_get(big_body, big_len, 65536);
	free(big_body);
}

/* A body over the bound: 413, and the connection closes. */
static void test_too_large_body_413(void **state)
{
	char *out;

	(void)state;
	out = one("GET /index.html HTTP/1.1\r\nHost: x\r\n"
		  "Content-Length: 1048577\r\n\r\n");
	expect_status(out, 413);
	free(out);
	out = one("GET /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n"
		  "Transfer-Encoding: chunked\r\n\r\nabcd");
	expect_status(out, 400);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_file),
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_head_and_directories),
		cmocka_unit_test(test_errors_close),
		cmocka_unit_test(test_oversized_head),
		cmocka_unit_test(test_pipelining_in_order),
		cmocka_unit_test(test_keep_alive_and_close),
		cmocka_unit_test(test_request_urgency),
		cmocka_unit_test(test_ranges_and_conditionals),
		cmocka_unit_test(test_large_body_windows_follow_acks),
		cmocka_unit_test(test_pipeline_longer_than_the_buffer),
		cmocka_unit_test(test_deferred_reads_and_early_close),
		cmocka_unit_test(test_read_errors),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_no_volume_and_stats),
		cmocka_unit_test(test_status_counters),
		cmocka_unit_test(test_if_range),
		cmocka_unit_test(test_get_with_body_is_read_past),
		cmocka_unit_test(test_too_large_body_413),
	};

	iobuf_pool_init(4096);
	http_init(); /* the kernel runs it as an init call */
	return cmocka_run_group_tests_name("server", tests, setup, teardown);
}
