/* SPDX-License-Identifier: MIT */
/*
 * GET /_trace: the recorded spans (kernel/io/trace.h) as Chrome Trace
 * Event JSON, the format Perfetto and chrome://tracing open (and that
 * tools/trace-report, tools/trace-merge and the live view read):
 *
 *   {"traceEvents":[...], "displayTimeUnit":"ms",
 *    "otherData":{"petrel_trace":1, "clock":"boot_us", "now_us":N,
 *                 "dropped":N, "mode":"on|sample:N", "truncated":N}}
 *
 * One track per request: "pid":1, "tid":<request id>, an "M" event
 * naming it "<METHOD> <target> #<id>"; each span an "X" event with "ts"
 * and "dur" in microseconds since boot, "name" (parse, open, laio, read,
 * disk, wait, send, ecem, splice, ack, done), "cat" (the subsystem) and
 * "args" {req, trace_id, parent_id (when continued), span_id, cpu,
 * urgency}. ?id=N answers one request, ?last=N the N that began last. The newest spans are kept when the answer would pass its
 * page budget ("truncated" counts the rest).
 */
#ifndef APP_TRACE_JSON_H
#define APP_TRACE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ioagg;

/* The id=N of a /_trace request-target ("/_trace?id=42"): 0 with *id
 * set (0 when there is none), -EINVAL for a malformed id, -ENOENT for
 * id=0 (no request has it). */
int trace_query_id(const char *target, size_t len, uint64_t *id);

/* Append the JSON of every held span (only_req 0) or of request
 * only_req to `out`, in one-page pool buffers. 0, -ENOENT (only_req is
 * not held) or -ENOMEM (out then holds a part: release it). */
int trace_json(struct ioagg *out, uint64_t only_req);

/* The most requests ?last=N may ask for. */
#define TRACE_LAST_MAX 100

/* The last=N of a /_trace request-target: 0 with *last (0 when there is
 * none), -EINVAL when N is empty, not a number, 0 or above
 * TRACE_LAST_MAX. */
int trace_query_last(const char *target, size_t len, unsigned int *last);

/* Append the JSON of the `last` held requests that began last (on any
 * CPU), as trace_json does for one. 0, -EINVAL (last not in
 * 1..TRACE_LAST_MAX) or -ENOMEM (out then holds a part: release it). */
int trace_json_last(struct ioagg *out, unsigned int last);

#endif
