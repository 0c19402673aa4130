// SPDX-License-Identifier: MIT
/*
 * Unit tests for kernel/io/trace.c and the /_trace JSON (app/trace_json.c)
 * on one CPU: trace=on records every request and its spans, which the
 * JSON shows on the request's track with its ids (a continued trace with
 * its parent) and an escaped name; sample:N records one request in N
 * and every one a front end marked sampled; off records nothing; the
 * server's own paths are never recorded; a full ring drops the oldest
 * spans, counts them, and a request whose record is gone is not found;
 * ?id= parsing. cpu_self() reads %gs: the test points %gs at a fake
 * per-CPU area (arch_prctl), CPU 0.
 */
#include <asm/prctl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include "app/trace_json.h"
#include "kernel/io/iobuf.h"
#include "kernel/io/trace.h"
#include "kernel/io/tracectx.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/param.h"
#include "tests/fakes/fake_clock.h"

#define POOL_PAGES 1024

static uint64_t fake_percpu[8]; /* %gs:8 is the CPU index: 0 */

static int group_setup(void **state)
{
	(void)state;
	if (syscall(SYS_arch_prctl, ARCH_SET_GS, fake_percpu))
		return -1;
	fake_clock_ns = 1000000;
	return iobuf_pool_init(POOL_PAGES);
}

/* A request begun now: its context, traced or not. */
static struct causal begin(const char *path, const struct tracectx *tp)
{
	struct causal c;

	causal_begin(&c, fake_clock_ns);
	trace_request_begin(&c, tp, false, "GET", path, strlen(path),
			    path[1] == '_');
	return c;
}

static struct trace_stats st(void)
{
	struct trace_stats s;

	trace_get_stats(&s);
	return s;
}

/* The JSON of `only` (0: all) as one NUL-terminated string. */
static char *json(uint64_t only, int *err)
{
	struct ioagg agg;
	char *out;
	size_t len;

	ioagg_init(&agg);
	*err = trace_json(&agg, only);
	len = ioagg_len(&agg);
	out = malloc(len + 1);
	assert_int_equal(ioagg_copyout(&agg, 0, out, len), len);
	out[len] = '\0';
	ioagg_release(&agg);
	return out;
}

static void test_on_records_requests_and_spans(void **state)
{
	struct trace_stats s0 = st();
	struct tracectx tp;
	struct trace_request rq;
	struct causal a, b, internal;
	char *doc, want[128];
	int err;

	(void)state;
	assert_int_equal(trace_set_mode("on"), 0);
	a = begin("/a\"b.html", NULL);
	assert_int_equal(tracectx_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-"
					"00f067aa0ba902b7-00",
					55, &tp),
			 0);
	b = begin("/b", &tp);
	internal = begin("/_stats", NULL);
	assert_true(a.sampled && b.sampled && !internal.sampled);
	fake_clock_ns += 5000;
	trace_step(&a, TRACE_PARSE, a.start_ns);
	fake_clock_ns += 2000;
	trace_step(&a, TRACE_OPEN, fake_clock_ns - 1000); /* 1 us waited */
	trace_span(trace_req(&b), TRACE_DISK, 1000000, 1003000);
	trace_span(trace_req(&internal), TRACE_DISK, 1000000, 1003000);
	assert_int_equal(st().requests_traced - s0.requests_traced, 2);
	assert_int_equal(st().events - s0.events, 4); /* parse wait open disk */
	assert_int_equal(st().traceparent_continued - s0.traceparent_continued,
			 1);

	assert_true(trace_request_find(b.req_id, &rq));
	assert_true(rq.continued && rq.parent_span == 0x00f067aa0ba902b7ull);
	assert_string_equal(rq.name, "GET /b");
	assert_false(trace_request_find(internal.req_id, &rq));

	doc = json(a.req_id, &err);
	assert_int_equal(err, 0);
	snprintf(want, sizeof(want),
		 "\"tid\":%llu,\"name\":\"thread_name\",\"args\":{\"name\":"
		 "\"GET /a\\\"b.html #%llu\"}",
		 (unsigned long long)a.req_id, (unsigned long long)a.req_id);
	assert_non_null(strstr(doc, want));
	assert_non_null(strstr(doc, "\"name\":\"parse\",\"cat\":\"app\","
				    "\"ts\":1000.000,\"dur\":5.000"));
	assert_non_null(strstr(doc, "\"name\":\"wait\",\"cat\":\"app\","
				    "\"ts\":1005.000,\"dur\":1.000"));
	assert_non_null(strstr(doc, "\"name\":\"open\",\"cat\":\"fs\""));
	assert_null(strstr(doc, "\"disk\"")); /* b's, not a's */
	assert_null(strstr(doc, "parent_id"));
	assert_non_null(strstr(doc, "\"otherData\":{\"petrel_trace\":1,"
				    "\"clock\":\"boot_us\""));
	free(doc);
	doc = json(b.req_id, &err);
	assert_non_null(strstr(doc, "\"trace_id\":\"4bf92f3577b34da6a3ce929d"
				    "0e0e4736\",\"parent_id\":\"00f067aa0ba9"
				    "02b7\""));
	assert_non_null(strstr(doc, "\"name\":\"disk\",\"cat\":\"disk\","
				    "\"ts\":1000.000,\"dur\":3.000"));
	free(doc);
	free(json(987654321, &err));
	assert_int_equal(err, -ENOENT);
}

static void test_sampling(void **state)
{
	struct trace_stats s0 = st();
	struct tracectx tp;
	int traced = 0;

	(void)state;
	assert_int_equal(trace_set_mode("sample:4"), 0);
	for (int i = 0; i < 40; i++)
		traced += begin("/s", NULL).sampled;
	assert_int_equal(traced, 10);
	assert_int_equal(st().requests_skipped - s0.requests_skipped, 30);
	/* The front end's decision wins. */
	assert_int_equal(tracectx_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-"
					"00f067aa0ba902b7-01",
					55, &tp),
			 0);
	for (int i = 0; i < 5; i++)
		assert_true(begin("/s", &tp).sampled);
	assert_int_equal(trace_set_mode("sample:0"), -EINVAL);
	assert_int_equal(trace_set_mode("sample:x"), -EINVAL);
	assert_int_equal(trace_set_mode("often"), -EINVAL);
}

static void test_off_records_nothing(void **state)
{
	struct trace_stats s0 = st();
	struct causal c;

	(void)state;
	assert_int_equal(trace_set_mode("off"), 0);
	c = begin("/x", NULL);
	assert_false(c.sampled);
	assert_int_equal(trace_req(&c), 0);
	trace_step(&c, TRACE_PARSE, c.start_ns);
	trace_span(trace_req(&c), TRACE_DISK, 1, 2);
	assert_int_equal(st().events, s0.events);
	assert_int_equal(st().requests_traced, s0.requests_traced);
	assert_int_equal(st().requests_skipped, s0.requests_skipped);
}

static void test_full_ring_drops_the_oldest(void **state)
{
	struct trace_request rq;
	struct causal first;
	uint64_t first_ev, end_ev;
	int err;
	char *doc;

	(void)state;
	assert_int_equal(trace_set_mode("on"), 0);
	first = begin("/old", NULL);
	for (int i = 0; i < TRACE_RING_REQUESTS + 5; i++) {
		struct causal c = begin("/new", NULL);

		trace_span(trace_req(&c), TRACE_SEND, 1, 2);
		trace_span(trace_req(&c), TRACE_ACK, 2, 3);
		trace_span(trace_req(&c), TRACE_DONE, 1, 3);
		trace_span(trace_req(&c), TRACE_PARSE, 1, 2);
		trace_span(trace_req(&c), TRACE_OPEN, 1, 2);
	}
	assert_false(trace_request_find(first.req_id, &rq));
	trace_event_bounds(0, &first_ev, &end_ev);
	assert_int_equal(end_ev - first_ev, TRACE_RING_EVENTS);
	assert_int_equal(st().dropped, first_ev);
	assert_true(st().dropped > 0);
	doc = json(0, &err);
	assert_int_equal(err, 0);
	assert_null(strstr(doc, "GET /old"));
	assert_non_null(strstr(doc, "GET /new"));
	free(doc);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* A fresh trace's ids are derived from the request id when asked, not
 * stored: what /_trace reads back equals what the request answers
 * itself (the access log's trace-id, traceresponse's span), no id is
 * zero and no two requests share one; a continued trace keeps the
 * client's trace-id. The name is joined from the method and the path
 * when read, cut to fit. */
static void test_ids_and_name(void **state)
{
	static const uint8_t zero[16];
	uint64_t spans[1000];
	struct trace_request rq;
	struct tracectx tp;
	struct causal a, b, c;
	uint8_t tid[16];
	char path[2 * TRACE_NAME_MAX], want[TRACE_NAME_MAX];

	(void)state;
	assert_int_equal(trace_set_mode("on"), 0);
	a = begin("/ida", NULL);
	b = begin("/idb", NULL);
	assert_true(trace_request_find(a.req_id, &rq));
	causal_trace_id(&a, tid);
	assert_memory_equal(rq.trace_id, tid, sizeof(tid));
	assert_memory_not_equal(tid, zero, sizeof(tid));
	assert_int_equal(rq.span_id, causal_span_id(&a));
	assert_int_not_equal(rq.span_id, 0);
	assert_string_equal(rq.name, "GET /ida");
	assert_true(trace_request_find(b.req_id, &rq));
	assert_int_not_equal(rq.span_id, causal_span_id(&a));
	assert_memory_not_equal(rq.trace_id, tid, sizeof(tid));

	for (size_t i = 0; i < ARRAY_SIZE(spans); i++)
		spans[i] = causal_ids_of(a.req_id + i * CPU_MAX, NULL);
	qsort(spans, ARRAY_SIZE(spans), sizeof(spans[0]), cmp_u64);
	for (size_t i = 1; i < ARRAY_SIZE(spans); i++)
		assert_true(spans[i - 1] < spans[i] && spans[0]);

	assert_int_equal(tracectx_parse("00-4bf92f3577b34da6a3ce929d0e0e4736-"
					"00f067aa0ba902b7-01",
					55, &tp),
			 0);
	c = begin("/idc", &tp);
	assert_true(trace_request_find(c.req_id, &rq));
	assert_memory_equal(rq.trace_id, tp.trace_id, sizeof(tid));
	causal_trace_id(&c, tid);
	assert_memory_equal(tid, tp.trace_id, sizeof(tid));
	assert_int_equal(rq.span_id, causal_span_id(&c));

	memset(path, 'p', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	c = begin(path, NULL);
	assert_true(trace_request_find(c.req_id, &rq));
	memcpy(want, "GET ", 4);
	memcpy(want + 4, path, TRACE_NAME_MAX - 5);
	want[TRACE_NAME_MAX - 1] = '\0';
	assert_int_equal(strlen(rq.name), TRACE_NAME_MAX - 1);
	assert_string_equal(rq.name, want);
}

static void test_query_id(void **state)
{
	uint64_t id;

	(void)state;
	assert_int_equal(trace_query_id("/_trace", 7, &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(trace_query_id("/_trace?id=42", 13, &id), 0);
	assert_int_equal(id, 42);
	assert_int_equal(trace_query_id("/_trace?x=1&id=7&y", 18, &id), 0);
	assert_int_equal(id, 7);
	assert_int_equal(trace_query_id("/_trace?id=4x", 13, &id), -EINVAL);
	assert_int_equal(trace_query_id("/_trace?id=", 11, &id), 0);
	assert_int_equal(trace_query_id("/_trace?id=0", 12, &id), -ENOENT);
	assert_int_equal(trace_query_id("/_trace?id=99999999999999999999", 31,
					&id),
			 -EINVAL);
}

static void test_query_last(void **state)
{
	unsigned int last;

	(void)state;
	assert_int_equal(trace_query_last("/_trace", 7, &last), 0);
	assert_int_equal(last, 0);
	assert_int_equal(trace_query_last("/_trace?last=12", 15, &last), 0);
	assert_int_equal(last, 12);
	assert_int_equal(trace_query_last("/_trace?id=3&last=100", 21, &last),
			 0);
	assert_int_equal(last, 100);
	assert_int_equal(trace_query_last("/_trace?blast=3", 15, &last), 0);
	assert_int_equal(last, 0);
	const char *bad[] = {
		"/_trace?last=",    "/_trace?last=0",
		"/_trace?last=101", "/_trace?last=-1",
		"/_trace?last=1x",  "/_trace?last=99999999999999999999"
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(trace_query_last(bad[i], strlen(bad[i]),
						  &last),
				 -EINVAL);
}

/* ?last=N: the N requests that began last, with their spans only. */
static void test_json_last(void **state)
{
	struct causal r[4];
	struct ioagg agg;
	char name[4][48], *doc;
	size_t len;

	(void)state;
	assert_int_equal(trace_set_mode("on"), 0);
	for (int i = 0; i < 4; i++) {
		char path[24];

		snprintf(path, sizeof(path), "/last%d", i);
		fake_clock_ns += 1000000;
		r[i] = begin(path, NULL);
		trace_step(&r[i], TRACE_PARSE, r[i].start_ns);
		snprintf(name[i], sizeof(name[i]), "\"GET /last%d #%llu\"", i,
			 (unsigned long long)r[i].req_id);
	}
	ioagg_init(&agg);
	assert_int_equal(trace_json_last(&agg, 2), 0);
	len = ioagg_len(&agg);
	doc = malloc(len + 1);
	assert_int_equal(ioagg_copyout(&agg, 0, doc, len), len);
	doc[len] = '\0';
	ioagg_release(&agg);
	assert_null(strstr(doc, name[0]));
	assert_null(strstr(doc, name[1]));
	assert_non_null(strstr(doc, name[2]));
	assert_non_null(strstr(doc, name[3]));
	/* the spans too: only those two requests' */
	for (int i = 0; i < 4; i++) {
		char req[32];

		snprintf(req, sizeof(req), "\"req\":%llu,",
			 (unsigned long long)r[i].req_id);
		assert_true((strstr(doc, req) != NULL) == (i >= 2));
	}
	free(doc);
	ioagg_init(&agg);
	assert_int_equal(trace_json_last(&agg, 0), -EINVAL);
	assert_int_equal(trace_json_last(&agg, TRACE_LAST_MAX + 1), -EINVAL);
	ioagg_release(&agg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_on_records_requests_and_spans),
		cmocka_unit_test(test_query_last),
		cmocka_unit_test(test_json_last),
		cmocka_unit_test(test_sampling),
		cmocka_unit_test(test_off_records_nothing),
		cmocka_unit_test(test_full_ring_drops_the_oldest),
		cmocka_unit_test(test_query_id),
		cmocka_unit_test(test_ids_and_name),
	};

	return cmocka_run_group_tests_name("trace", tests, group_setup, NULL);
}
