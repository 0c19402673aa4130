/* SPDX-License-Identifier: MIT */
/*
 * Causeway metadata (Elmeleegy et al.): what one unit of work, an HTTP
 * request, carries along its causal path through every subsystem and
 * across machines. It travels with the work, not through globals: the
 * request owns a struct causal and each layer it calls down into (file
 * open, page-cache miss, disk request, its completion, the LAIO
 * continuation, the ECEM pair, the splice, the TCP send and the ACK that
 * frees it) is handed a pointer to it, or a copy of the fields it needs
 * once the request may be gone.
 *
 * Identity: `req_id` names the request inside this guest (unique per
 * boot, never 0); `trace_id`/`parent_span` are the W3C Trace Context of
 * a front end that sent `traceparent`, or a fresh trace. `urgency` is
 * RFC 9218's: 0 (most urgent) to 7, 3 when nobody said.
 *
 * A fresh trace-id and this guest's span id are not drawn per request:
 * they are a keyed bijection of req_id (the key random per CPU and
 * boot), computed when someone asks (causal_trace_id, causal_span_id,
 * causal_ids_of for a request known only by its id). They look random,
 * differ across guests and boots, and never repeat within a boot; the
 * request path pays nothing for them.
 */
#ifndef KERNEL_IO_CAUSAL_H
#define KERNEL_IO_CAUSAL_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/string.h"

#define CAUSAL_URGENCY_DEFAULT 3 /* RFC 9218, 4.1 */
#define CAUSAL_URGENCY_MAX 7

struct causal {
	uint64_t req_id; /* this guest's request number, never 0 */
	uint8_t trace_id[16]; /* W3C trace-id, all zero: none yet */
	uint64_t parent_span; /* W3C parent-id from traceparent, 0: none */
	uint64_t start_ns; /* time_ns() when the request head was parsed */
	uint8_t urgency; /* 0..CAUSAL_URGENCY_MAX, lower is more urgent */
	bool sampled; /* events of this request are recorded */
	uint16_t cpu; /* the CPU the request is served on */
	/* Tracing (kernel/io/trace.h) */
	uint64_t mark_ns; /* end of the request's last step: a wait begins */
	uint8_t trace_flags; /* W3C trace-flags: as received, or sampled */
	bool continued; /* trace_id/parent_span came from traceparent */
	bool has_ids; /* causal_new_ids ran: it has a trace and a span */
};

/* Start the metadata of a request whose head was parsed at `now_ns` on
 * this CPU: a fresh id, default urgency, no trace context yet. */
void causal_begin(struct causal *c, uint64_t now_ns);

/* Give c its W3C ids: a fresh trace-id (unless it continues one) and a
 * span id, both derived from req_id on demand (no lock, no work now). */
static inline void causal_new_ids(struct causal *c)
{
	c->has_ids = true;
}

/* The derived ids of request `req_id` (begun on any CPU): the trace-id a
 * fresh trace of it has (into trace_id, unless NULL) and its span id. */
uint64_t causal_ids_of(uint64_t req_id, uint8_t trace_id[16]);

/* c's trace-id into out: the continued one, the derived one, or all
 * zero when causal_new_ids never ran (trace=off). Inline over
 * causal_ids_of, which is all a host test's fake has to provide. */
static inline void causal_trace_id(const struct causal *c, uint8_t out[16])
{
	if (c->continued)
		memcpy(out, c->trace_id, 16);
	else if (c->has_ids)
		causal_ids_of(c->req_id, out);
	else
		memset(out, 0, 16);
}

/* c's span id (never 0), or 0 when causal_new_ids never ran. */
static inline uint64_t causal_span_id(const struct causal *c)
{
	return c->has_ids ? causal_ids_of(c->req_id, NULL) : 0;
}

#endif
