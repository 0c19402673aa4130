/* SPDX-License-Identifier: MIT */
/*
 * Causeway tracing: timestamped spans recorded against a request's
 * context (struct causal) at the boundaries of every subsystem it passes
 * through, into a fixed-size ring per CPU (tracering.h): no allocation
 * and no lock on the hot path, the oldest spans overwritten and counted.
 *
 * `trace=off|on|sample:N` (boot switch, default on): off records nothing
 * (each hook costs one branch on a request that is not sampled); on
 * records every request; sample:N one request in N on each CPU, and
 * every request whose traceparent says "sampled" (the front end's
 * decision wins). The server's own endpoints ("/_stats", "/_trace") are
 * never recorded.
 *
 * A layer below the request keeps only trace_req(cause), a copy: the
 * request's id when its spans are recorded, 0 when not. Spans are
 * [start_ns, end_ns] in time_ns() (boot clock). trace_step() is for the
 * request's own sequence of steps: it records the wait since the last
 * step ended, then the step. Readers (GET /_trace) copy records out with
 * trace_event_get()/trace_request_get(). Main loop and threads ([m]).
 */
#ifndef KERNEL_IO_TRACE_H
#define KERNEL_IO_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/io/causal.h"
#include "kernel/lib/statjson.h"
#include "kernel/param.h"

struct tracectx;

/* What a span was: its name and subsystem in the trace (trace_kind_*). */
enum trace_kind {
	TRACE_PARSE, /* app: first byte of the head to the head parsed */
	TRACE_OPEN, /* fs: the file open, fast or through LAIO */
	TRACE_LAIO, /* laio: an operation that became a continuation */
	TRACE_READ, /* fs: one body window from the page cache */
	TRACE_DISK, /* disk: a request posted to completion handled */
	TRACE_WAIT, /* app: nothing of the request ran */
	TRACE_SEND, /* net: response bytes queued, first to last */
	TRACE_ECEM, /* ecem: the connection's event pair, added to removed */
	TRACE_SPLICE, /* ecem: a DNS splice, read started to delivered */
	TRACE_ACK, /* net: queued whole to the ACK that frees the last byte */
	TRACE_DONE, /* app: the whole request, head to last ACK */
	TRACE_KINDS,
};

struct trace_event {
	uint64_t seq; /* tracering.h */
	uint64_t req;
	uint64_t start_ns, end_ns;
	uint16_t cpu; /* where it was recorded */
	uint8_t kind; /* enum trace_kind */
	uint8_t pad[5];
};

/* A traced request's identity, recorded when its head is parsed. */
struct trace_request {
	uint64_t seq; /* tracering.h */
	uint64_t req;
	uint64_t start_ns;
	uint64_t parent_span, span_id;
	uint8_t trace_id[16];
	uint16_t cpu;
	uint8_t urgency;
	bool continued; /* parent_span came from traceparent */
	uint8_t pad[4];
	char name[TRACE_NAME_MAX]; /* "<METHOD> <path>" */
};

#define TRACE_STATS(X)                                                       \
	X(events) /* spans recorded */                                       \
	X(dropped) /* ... overwritten in a full ring */                      \
	X(requests_traced) /* requests (not /_*) whose spans are recorded */ \
	X(requests_skipped) /* not sampled by sample:N */                    \
	X(traceparent_continued) /* a valid traceparent was continued */     \
	X(traceparent_invalid) /* a malformed one was ignored */

struct trace_stats {
	TRACE_STATS(STAT_U64)
};

/* Whether trace= is not off: hooks test this before reading the clock. */
extern bool trace_on;

/* The request's id when its spans are recorded, else 0. */
static inline uint64_t trace_req(const struct causal *c)
{
	return c && c->sampled ? c->req_id : 0;
}

/*
 * Give the request c (just begun) its trace context: continue `tp` when
 * the request carried a valid traceparent (NULL: none; `tp_invalid`: one
 * was ignored), else a fresh trace; decide whether it is sampled and, if
 * so, record its name ("<method> <path>", cut to fit) and ids. `method`
 * must be a string that lives forever (http_method_name's): the record
 * keeps the pointer. `internal`: the server's own endpoint, never
 * sampled.
 */
void trace_request_begin(struct causal *c, const struct tracectx *tp,
			 bool tp_invalid, const char *method, const char *path,
			 size_t path_len, bool internal);

/* Record span `kind` [start_ns, end_ns] of request req (nothing if 0). */
void trace_span(uint64_t req, enum trace_kind kind, uint64_t start_ns,
		uint64_t end_ns);

/* Record the request's next step, [start_ns, now], after a `wait` span
 * from the end of its previous step if there was a gap. */
void trace_step(struct causal *c, enum trace_kind kind, uint64_t start_ns);

/* trace_step with `now` read by the caller (one clock read shared by
 * spans that end together). */
void trace_step_at(struct causal *c, enum trace_kind kind, uint64_t start_ns,
		   uint64_t now_ns);

const char *trace_kind_name(unsigned kind);
const char *trace_kind_cat(unsigned kind);

/* "off", "on" or "sample:N" into buf; returns buf. */
const char *trace_mode_name(char *buf, size_t size);

/* Valid record indexes of cpu's rings: [*first, *end). */
void trace_event_bounds(unsigned cpu, uint64_t *first, uint64_t *end);
void trace_request_bounds(unsigned cpu, uint64_t *first, uint64_t *end);
bool trace_event_get(unsigned cpu, uint64_t idx, struct trace_event *out);
bool trace_request_get(unsigned cpu, uint64_t idx, struct trace_request *out);

/* The record of traced request `req`, if still held. */
bool trace_request_find(uint64_t req, struct trace_request *out);

void trace_get_stats(struct trace_stats *st);

/* Replace the trace= switch after boot ("off", "on", "sample:N"; host
 * tests): 0 or -EINVAL. Rings once made stay. */
int trace_set_mode(const char *mode);

#endif
