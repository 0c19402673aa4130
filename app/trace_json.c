// SPDX-License-Identifier: MIT
/*
 * GET /_trace: spans as Chrome Trace Event JSON (format in trace_json.h).
 * The answer is written into one-page pool buffers appended to an
 * aggregate, within a page budget (TRACE_JSON_PAGES_MAX, and a quarter
 * of the pool pages not pinned), so a large trace never needs a large
 * heap allocation; rings are read with the copy-out protocol of
 * tracering.h, so spans recorded meanwhile on other CPUs do no harm.
 */
#include "app/trace_json.h"

#include "app/http_str.h"
#include "app/page_writer.h"

#include "kernel/arch/smp.h"
#include "kernel/arch/time.h"
#include "kernel/io/iobuf.h"
#include "kernel/io/trace.h"
#include "kernel/io/tracectx.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/stdio.h"
#include "kernel/lib/string.h"
#include "kernel/param.h"

#define EVENT_JSON_MAX 512 /* bytes of one event's JSON, at most */
#define EVENT_JSON_TYPICAL 300 /* ... usually: sizes the newest-first cut */
#define TRAILER_MAX 256 /* bytes after the last event */

/* s as the body of a JSON string: quotes, backslashes and control
 * bytes escaped. */
static void put_escaped(struct page_writer *w, const char *s)
{
	for (; *s; s++) {
		char esc[8];
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			page_writer_put(w, esc, 2);
		} else if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			page_writer_puts(w, esc);
		} else {
			page_writer_put(w, (const char *)&c, 1);
		}
	}
}

/* Microseconds with three decimals. */
static int fmt_us(char *buf, size_t size, uint64_t ns)
{
	return snprintf(buf, size, "%llu.%03u", (unsigned long long)(ns / 1000),
			(unsigned)(ns % 1000));
}

static void put_thread_name(struct page_writer *w,
			    const struct trace_request *rq)
{
	char buf[96];

	snprintf(
		buf, sizeof(buf),
		"{\"ph\":\"M\",\"pid\":1,\"tid\":%llu,\"name\":\"thread_name\","
		"\"args\":{\"name\":\"",
		(unsigned long long)rq->req);
	page_writer_puts(w, buf);
	put_escaped(w, rq->name);
	snprintf(buf, sizeof(buf), " #%llu\"}},\n",
		 (unsigned long long)rq->req);
	page_writer_puts(w, buf);
}

static void put_span(struct page_writer *w, const struct trace_event *ev,
		     const struct trace_request *rq)
{
	char buf[EVENT_JSON_MAX], ts[32], dur[32], tid[33], span[17],
		parent[40] = "";
	int n;

	fmt_us(ts, sizeof(ts), ev->start_ns);
	fmt_us(dur, sizeof(dur), ev->end_ns - ev->start_ns);
	tracectx_hex(tid, rq->trace_id, sizeof(rq->trace_id));
	tracectx_hex64(span, rq->span_id);
	if (rq->continued) {
		char hex[17];

		tracectx_hex64(hex, rq->parent_span);
		snprintf(parent, sizeof(parent), "\"parent_id\":\"%s\",", hex);
	}
	n = snprintf(buf, sizeof(buf),
		     "{\"ph\":\"X\",\"pid\":1,\"tid\":%llu,\"name\":\"%s\","
		     "\"cat\":\"%s\",\"ts\":%s,\"dur\":%s,\"args\":{"
		     "\"req\":%llu,\"trace_id\":\"%s\",%s\"span_id\":\"%s\","
		     "\"cpu\":%u,\"urgency\":%u}},\n",
		     (unsigned long long)ev->req, trace_kind_name(ev->kind),
		     trace_kind_cat(ev->kind), ts, dur,
		     (unsigned long long)ev->req, tid, parent, span, ev->cpu,
		     rq->urgency);
	page_writer_put(w, buf, (size_t)MIN(n, (int)sizeof(buf) - 1));
}

/* The request record of ev, looked up once per run of its spans. */
static bool request_of(const struct trace_event *ev, struct trace_request *rq,
		       bool *have)
{
	if (*have && rq->req == ev->req)
		return true;
	*have = trace_request_find(ev->req, rq);
	return *have;
}

/* The requests an answer is limited to: ?id=N (one) or ?last=N. */
struct pick {
	uint64_t req[TRACE_LAST_MAX];
	uint64_t start_ns[TRACE_LAST_MAX]; /* newest first */
	unsigned int n;
};

static bool picked(const struct pick *p, uint64_t req)
{
	for (unsigned int i = 0; i < p->n; i++)
		if (p->req[i] == req)
			return true;
	return false;
}

/* Keep rq in p if it is among the `max` newest seen so far. */
static void pick_if_newer(struct pick *p, unsigned int max,
			  const struct trace_request *rq)
{
	unsigned int i = p->n < max ? p->n++ : max;

	/* from the end, shift older ones down to make room */
	while (i > 0 && p->start_ns[i - 1] < rq->start_ns) {
		if (i < max) {
			p->req[i] = p->req[i - 1];
			p->start_ns[i] = p->start_ns[i - 1];
		}
		i--;
	}
	if (i < max) {
		p->req[i] = rq->req;
		p->start_ns[i] = rq->start_ns;
	}
}

/* The `max` held requests that began last, on every CPU. */
static void pick_last(struct pick *p, unsigned int max)
{
	struct trace_request rq;

	p->n = 0;
	for (unsigned cpu = 0; cpu < cpu_count(); cpu++) {
		uint64_t first, end;

		trace_request_bounds(cpu, &first, &end);
		for (uint64_t i = first; i < end; i++)
			if (trace_request_get(cpu, i, &rq))
				pick_if_newer(p, max, &rq);
	}
}

/* The spans of CPU cpu from index `from` (only those of the picked
 * requests if `p`); false once the budget is spent. */
static bool put_cpu_spans(struct page_writer *w, unsigned cpu, uint64_t from,
			  const struct pick *p, uint64_t *truncated)
{
	struct trace_request rq;
	bool have = false;
	uint64_t first, end;

	trace_event_bounds(cpu, &first, &end);
	for (uint64_t i = MAX(first, from); i < end; i++) {
		struct trace_event ev;

		if (!trace_event_get(cpu, i, &ev) ||
		    (p && !picked(p, ev.req)) || !request_of(&ev, &rq, &have))
			continue;
		if (w->bytes + EVENT_JSON_MAX > w->budget) {
			*truncated += end - i;
			return false;
		}
		put_span(w, &ev, &rq);
	}
	return true;
}

/* Where each CPU's spans start so that the newest fit the budget. */
static uint64_t newest_from(unsigned cpu, uint64_t budget)
{
	uint64_t first, end, keep = budget / EVENT_JSON_TYPICAL / cpu_count();

	trace_event_bounds(cpu, &first, &end);
	return end - first > keep ? end - keep : first;
}

/* The thread names of every held request, or of the picked ones. */
static void put_names(struct page_writer *w, const struct pick *p)
{
	struct trace_request rq;

	if (p) {
		for (unsigned int i = 0; i < p->n; i++)
			if (trace_request_find(p->req[i], &rq))
				put_thread_name(w, &rq);
		return;
	}
	for (unsigned cpu = 0; cpu < cpu_count(); cpu++) {
		uint64_t first, end;

		trace_request_bounds(cpu, &first, &end);
		for (uint64_t i = first; i < end; i++)
			if (trace_request_get(cpu, i, &rq))
				put_thread_name(w, &rq);
	}
}

static void put_trailer(struct page_writer *w, uint64_t truncated)
{
	struct trace_stats st;
	char buf[TRAILER_MAX], now[32], mode[32];

	trace_get_stats(&st);
	fmt_us(now, sizeof(now), time_ns());
	snprintf(
		buf, sizeof(buf),
		"{\"ph\":\"M\",\"pid\":1,\"name\":\"process_name\","
		"\"args\":{\"name\":\"petrel\"}}\n],\"displayTimeUnit\":\"ms\","
		"\"otherData\":{\"petrel_trace\":1,\"clock\":\"boot_us\","
		"\"now_us\":%s,\"dropped\":%llu,\"mode\":\"%s\","
		"\"truncated\":%llu}}\n",
		now, (unsigned long long)st.dropped,
		trace_mode_name(mode, sizeof(mode)),
		(unsigned long long)truncated);
	page_writer_puts(w, buf);
}

/* The answer for every held request (p NULL) or the picked ones. */
static int write_json(struct ioagg *out, const struct pick *p)
{
	struct page_writer w = {
		.out = out, .budget = page_writer_budget(TRACE_JSON_PAGES_MAX)
	};
	uint64_t truncated = 0;

	if (!w.budget)
		return -ENOMEM;
	page_writer_puts(&w, "{\"traceEvents\":[\n");
	put_names(&w, p);
	for (unsigned cpu = 0; cpu < cpu_count() && !w.err; cpu++)
		put_cpu_spans(&w, cpu, p ? 0 : newest_from(cpu, w.budget), p,
			      &truncated);
	put_trailer(&w, truncated);
	page_writer_flush(&w);
	return w.err;
}

int trace_json(struct ioagg *out, uint64_t only_req)
{
	struct trace_request rq;
	struct pick one = { .req = { only_req }, .n = 1 };

	if (!only_req)
		return write_json(out, NULL);
	if (!trace_request_find(only_req, &rq))
		return -ENOENT;
	return write_json(out, &one);
}

int trace_json_last(struct ioagg *out, unsigned int last)
{
	struct pick p;

	if (last < 1 || last > TRACE_LAST_MAX)
		return -EINVAL;
	pick_last(&p, last);
	return write_json(out, &p);
}

int trace_query_last(const char *target, size_t len, unsigned int *last)
{
	uint64_t v;
	int found = http_query_number(target, len, "last=", &v);

	*last = 0;
	if (found < 0 || (found && (v < 1 || v > TRACE_LAST_MAX)))
		return -EINVAL;
	*last = (unsigned int)v;
	return 0;
}

int trace_query_id(const char *target, size_t len, uint64_t *id)
{
	const char *q = memchr(target, '?', len), *end = target + len;

	*id = 0;
	if (!q)
		return 0;
	for (const char *p = q + 1; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		const char *stop = amp ? amp : end;

		if (stop - p > 3 && !memcmp(p, "id=", 3)) {
			uint64_t v = 0;

			for (p += 3; p < stop; p++) {
				if (*p < '0' || *p > '9' || v > UINT64_MAX / 10)
					return -EINVAL;
				v = v * 10 + (uint64_t)(*p - '0');
			}
			*id = v;
			return v ? 0 : -ENOENT; /* ids start at 1 */
		}
		p = stop + 1;
	}
	return 0;
}
