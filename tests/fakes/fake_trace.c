// SPDX-License-Identifier: MIT
/* kernel/io/trace.c for the host tests of the server: trace=off (the
 * real one reads the CPU through %gs, which a host process does not
 * have). A traceparent is continued as in the kernel and nothing is
 * recorded; the rings themselves are tested in test_tracering. */
#include "kernel/io/trace.h"

#include <stdio.h>
#include <string.h>

#include "kernel/io/tracectx.h"

bool trace_on;

void trace_request_begin(struct causal *c, const struct tracectx *tp,
			 bool tp_invalid, const char *method, const char *path,
			 size_t path_len, bool internal)
{
	(void)tp_invalid, (void)method, (void)path, (void)path_len;
	(void)internal;
	if (tp) {
		memcpy(c->trace_id, tp->trace_id, sizeof(c->trace_id));
		c->parent_span = tp->parent_id;
		c->trace_flags = tp->flags;
		c->continued = true;
	}
}

void trace_span(uint64_t req, enum trace_kind kind, uint64_t start_ns,
		uint64_t end_ns)
{
	(void)req, (void)kind, (void)start_ns, (void)end_ns;
}

void trace_step(struct causal *c, enum trace_kind kind, uint64_t start_ns)
{
	(void)c, (void)kind, (void)start_ns;
}

void trace_step_at(struct causal *c, enum trace_kind kind, uint64_t start_ns,
		   uint64_t now_ns)
{
	(void)c, (void)kind, (void)start_ns, (void)now_ns;
}

const char *trace_kind_name(unsigned kind)
{
	(void)kind;
	return "?";
}

const char *trace_kind_cat(unsigned kind)
{
	(void)kind;
	return "?";
}

const char *trace_mode_name(char *buf, size_t size)
{
	snprintf(buf, size, "off");
	return buf;
}

void trace_event_bounds(unsigned cpu, uint64_t *first, uint64_t *end)
{
	(void)cpu;
	*first = *end = 0;
}

void trace_request_bounds(unsigned cpu, uint64_t *first, uint64_t *end)
{
	(void)cpu;
	*first = *end = 0;
}

bool trace_event_get(unsigned cpu, uint64_t idx, struct trace_event *out)
{
	(void)cpu, (void)idx, (void)out;
	return false;
}

bool trace_request_get(unsigned cpu, uint64_t idx, struct trace_request *out)
{
	(void)cpu, (void)idx, (void)out;
	return false;
}

bool trace_request_find(uint64_t req, struct trace_request *out)
{
	(void)req, (void)out;
	return false;
}

void trace_get_stats(struct trace_stats *st)
{
	memset(st, 0, sizeof(*st));
}
