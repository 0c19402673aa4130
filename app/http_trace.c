// SPDX-License-Identifier: MIT
/*
 * HTTP/1.1 server: the request's spans (kernel/io/trace.h), recorded at
 * the boundaries the request crosses in app/: its head (parse), the
 * file open (and its LAIO continuation), each body window read from the
 * page cache (or DNS splice), the response queued (send), the ECEM
 * pair's life, and, handed to the connection, the ACK that frees the
 * last byte (ack, and the whole request: done). The disk spans come from
 * fs/file.c, which gets the context with the read. A request that is not
 * traced costs one branch per hook; marks live in hc->marks ([m]).
 */
#include <stdbool.h>

#include "app/http_conn.h"
#include "kernel/arch/time.h"
#include "kernel/io/trace.h"
#include "kernel/io/tracectx.h"
#include "kernel/lib/string.h"
#include "net/conn.h"

#define INTERNAL_PREFIX "/_" /* the server's own endpoints */

/* Bytes of a request head arrive while none is buffered. */
void hc_trace_arrival(struct http_conn *hc)
{
	if (trace_on && !hc->in_len && !hc->marks.head_ns)
		hc->marks.head_ns = time_ns();
}

/* The server's own endpoints ("/_..."), never traced. Two compares, not
 * a memcmp call: this runs for every request. */
static bool is_internal(const char *target, size_t len)
{
	return len >= 2 && target[0] == INTERNAL_PREFIX[0] &&
	       target[1] == INTERNAL_PREFIX[1];
}

/* The head of a new request was parsed: its trace context (trace-id,
 * span id, sampling) and its `parse` span. */
void hc_trace_begin(struct http_conn *hc, const struct http_request *req)
{
	struct causal *c = &hc->cause;
	struct tracectx tp;
	bool has_tp = false, tp_invalid = false;
	uint64_t head_ns = hc->marks.head_ns;

	hc->marks = (struct hc_trace_marks){ 0 };
	if (!trace_on)
		return; /* trace=off: no trace context, nothing recorded */
	if (req->traceparent.p) {
		has_tp = !tracectx_parse(req->traceparent.p,
					 req->traceparent.len, &tp);
		tp_invalid = !has_tp;
	}
	trace_request_begin(c, has_tp ? &tp : NULL, tp_invalid,
			    http_method_name(req->method), req->target.p,
			    req->target.len,
			    is_internal(req->target.p, req->target.len));
	if (!c->sampled)
		return;
	/* Only a client that takes part in tracing (it sent traceparent)
	 * gets traceresponse: formatting and sending it for every answer
	 * was a third of what tracing cost a request. */
	if (c->continued)
		tracectx_format(hc->marks.traceresponse, c->trace_id,
				causal_span_id(c), c->trace_flags);
	hc->marks.head_ns = head_ns && head_ns <= c->start_ns ? head_ns :
								c->start_ns;
	/* The head was parsed when the request began: one clock read. */
	trace_step_at(c, TRACE_PARSE, hc->marks.head_ns, c->start_ns);
}

static uint64_t now_if_traced(const struct http_conn *hc)
{
	return hc->cause.sampled ? time_ns() : 0;
}

void hc_trace_open_start(struct http_conn *hc)
{
	hc->marks.open_ns = now_if_traced(hc);
	hc->marks.laio_ns = 0;
}

/* The open or read just started went on as a LAIO continuation. */
void hc_trace_blocked(struct http_conn *hc)
{
	hc->marks.laio_ns = now_if_traced(hc);
}

/* Record the step that began at start_ns and ended now: first, if it
 * became a LAIO continuation, the continuation, which spans the whole
 * operation (the disk requests it posted before it blocked nest inside
 * it); both end at the same clock read. */
static void step_done(struct http_conn *hc, enum trace_kind kind,
		      uint64_t start_ns)
{
	uint64_t now = time_ns();

	if (hc->marks.laio_ns) {
		trace_span(trace_req(&hc->cause), TRACE_LAIO, start_ns, now);
		hc->marks.laio_ns = 0;
	}
	trace_step_at(&hc->cause, kind, start_ns, now);
}

void hc_trace_opened(struct http_conn *hc)
{
	if (!hc->cause.sampled || !hc->marks.open_ns)
		return;
	step_done(hc, TRACE_OPEN, hc->marks.open_ns);
	hc->marks.open_ns = 0;
}

void hc_trace_read_start(struct http_conn *hc)
{
	hc->marks.read_ns = now_if_traced(hc);
	hc->marks.laio_ns = 0;
}

/* A body window is in: a page-cache `read`, or a DNS `splice`. */
void hc_trace_read_done(struct http_conn *hc, bool splice)
{
	if (!hc->cause.sampled || !hc->marks.read_ns)
		return;
	step_done(hc, splice ? TRACE_SPLICE : TRACE_READ, hc->marks.read_ns);
	hc->marks.read_ns = 0;
}

/* Response bytes are being queued; the first time starts `send`, from
 * the end of the step that produced them. */
void hc_trace_send(struct http_conn *hc)
{
	if (!hc->cause.sampled || hc->marks.send_ns)
		return;
	hc->marks.send_ns = hc->cause.mark_ns ? hc->cause.mark_ns : time_ns();
}

/* The connection's ECEM pair was added (true) or removed. */
void hc_trace_pair(struct http_conn *hc, bool added)
{
	if (!hc->cause.sampled)
		return;
	if (added) {
		/* From the end of the last step: the wait before the first
		 * body read then lies inside the pair's span, not across. */
		hc->marks.ecem_ns = hc->cause.mark_ns ? hc->cause.mark_ns :
							time_ns();
	} else if (hc->marks.ecem_ns) {
		trace_span(hc->cause.req_id, TRACE_ECEM, hc->marks.ecem_ns,
			   time_ns());
		hc->marks.ecem_ns = 0;
	}
}

/* The response is queued whole: `send` (and the pair's `ecem`) end, the
 * connection records the ACK of its last byte. A pipelined next head is
 * already here. */
void hc_trace_done(struct http_conn *hc)
{
	uint64_t req = trace_req(&hc->cause);
	uint64_t now = trace_on && (req || hc->in_len) ? time_ns() : 0;

	if (req && hc->marks.send_ns)
		trace_span(req, TRACE_SEND, hc->marks.send_ns, now);
	if (req && hc->marks.ecem_ns) /* ends with send: the spans nest */
		trace_span(req, TRACE_ECEM, hc->marks.ecem_ns, now);
	hc->marks.ecem_ns = 0;
	if (req && hc->c)
		conn_trace_ack(hc->c, req, hc->marks.head_ns, now);
	hc->marks.send_ns = 0;
	hc->marks.head_ns = hc->in_len ? now : 0;
}
