// SPDX-License-Identifier: MIT
/*
 * Causeway tracing: the per-CPU span rings, the trace= switch and the
 * sampling decision (interface and rules in trace.h). Each CPU owns one
 * ring of spans and one of request records, allocated at boot for the
 * CPUs online; a CPU writes only its own, so nothing is locked.
 */
#define PR_PREFIX "trace: "
#include "kernel/io/trace.h"

#include "kernel/arch/smp.h"
#include "kernel/arch/time.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/initcall.h"
#include "kernel/core/printk.h"
#include "kernel/cpu/percpu.h"
#include "kernel/io/tracectx.h"
#include "kernel/io/tracering.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/stdio.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/memplan.h"

STATIC_ASSERT(sizeof(struct trace_event) % 8 == 0);
STATIC_ASSERT(sizeof(struct trace_request) % 8 == 0);

struct trace_config {
	uint64_t sample_n; /* 0: off, 1: on, N: one request in N */
};

static struct trace_config config = { .sample_n = 1 };
bool trace_on = true; /* [I] after boot: config.sample_n != 0 */

/* A request record as its ring holds it (struct trace_request is what
 * readers get): the name's parts, the trace-id only when continued. */
struct request_slot {
	uint64_t seq; /* tracering.h */
	uint64_t req;
	uint64_t start_ns;
	uint64_t parent_span;
	const char *method; /* static: "GET", ... */
	uint8_t trace_id[16]; /* when continued: else causal_ids_of(req) */
	uint16_t cpu;
	uint8_t urgency;
	bool continued;
	uint8_t path_len;
	uint8_t pad[3];
	char path[TRACE_NAME_MAX]; /* the first path_len bytes, cut to fit */
};

STATIC_ASSERT(sizeof(struct request_slot) % 8 == 0);

struct trace_cpu {
	struct trace_ring events; /* [this CPU] */
	struct trace_ring requests; /* [this CPU] */
	uint64_t sample_skip; /* [this CPU] under sample:N, requests to skip
			       * before the next one recorded */
	uint64_t traced, skipped, continued, invalid; /* [this CPU] */
	uint16_t cpu; /* [I] whose */
};

static struct trace_cpu *per_cpu[CPU_MAX]; /* [I] after trace_init */
static uint32_t ring_events, ring_requests; /* [I] slots per CPU */

static const struct {
	const char *name, *cat;
} kinds[TRACE_KINDS] = {
	[TRACE_PARSE] = { "parse", "app" },
	[TRACE_OPEN] = { "open", "fs" },
	[TRACE_LAIO] = { "laio", "laio" },
	[TRACE_READ] = { "read", "fs" },
	[TRACE_DISK] = { "disk", "disk" },
	[TRACE_WAIT] = { "wait", "app" },
	[TRACE_SEND] = { "send", "net" },
	[TRACE_ECEM] = { "ecem", "ecem" },
	[TRACE_SPLICE] = { "splice", "ecem" },
	[TRACE_ACK] = { "ack", "net" },
	[TRACE_DONE] = { "done", "app" },
};

/* trace=off|on|sample:N */
static int parse_mode(const char *value, void *var)
{
	struct trace_config *cfg = var;
	uint64_t n;

	if (!strcmp(value, "off")) {
		cfg->sample_n = 0;
		return 0;
	}
	if (!strcmp(value, "on")) {
		cfg->sample_n = 1;
		return 0;
	}
	if (strncmp(value, "sample:", 7) || cmdline_parse_u64(value + 7, &n) ||
	    n < 1 || n > 1000000000)
		return -EINVAL;
	cfg->sample_n = n;
	return 0;
}

const char *trace_mode_name(char *buf, size_t size)
{
	if (config.sample_n <= 1)
		snprintf(buf, size, "%s", config.sample_n ? "on" : "off");
	else
		snprintf(buf, size, "sample:%llu",
			 (unsigned long long)config.sample_n);
	return buf;
}

static int show_mode(char *buf, size_t size, const void *var)
{
	(void)var;
	trace_mode_name(buf, size);
	return (int)strlen(buf);
}

KPARAM_FUNC(trace, config, parse_mode, show_mode,
	    "off|on|sample:N: record request spans (N: one request in N)");

const char *trace_kind_name(unsigned kind)
{
	return kind < TRACE_KINDS ? kinds[kind].name : "?";
}

const char *trace_kind_cat(unsigned kind)
{
	return kind < TRACE_KINDS ? kinds[kind].cat : "?";
}

/* This CPU's rings when spans are recorded (NULL: trace=off, or no
 * memory for them). */
static struct trace_cpu *ring_cpu(void)
{
	return likely(trace_on) ? per_cpu[cpu_self()] : NULL;
}

/* Write span [start_ns, end_ns] of req in place in tc's ring. */
static inline void put_span(struct trace_cpu *tc, uint64_t req,
			    enum trace_kind kind, uint64_t start_ns,
			    uint64_t end_ns)
{
	uint64_t idx;
	struct trace_event *ev = tracering_claim(&tc->events, &idx);

	ev->req = req;
	ev->start_ns = start_ns;
	ev->end_ns = MAX(start_ns, end_ns);
	ev->cpu = tc->cpu;
	ev->kind = (uint8_t)kind;
	tracering_commit(&tc->events, ev, idx);
}

void trace_span(uint64_t req, enum trace_kind kind, uint64_t start_ns,
		uint64_t end_ns)
{
	struct trace_cpu *tc;

	if (req && (tc = ring_cpu()))
		put_span(tc, req, kind, start_ns, end_ns);
}

void trace_step_at(struct causal *c, enum trace_kind kind, uint64_t start_ns,
		   uint64_t now_ns)
{
	struct trace_cpu *tc;

	if (!c->sampled || !(tc = ring_cpu()))
		return;
	if (c->mark_ns && start_ns > c->mark_ns)
		put_span(tc, c->req_id, TRACE_WAIT, c->mark_ns, start_ns);
	put_span(tc, c->req_id, kind, start_ns, now_ns);
	c->mark_ns = now_ns;
}

void trace_step(struct causal *c, enum trace_kind kind, uint64_t start_ns)
{
	if (c->sampled)
		trace_step_at(c, kind, start_ns, time_ns());
}

/* Whether the request c, begun on this CPU, is recorded. */
static bool sampled(struct trace_cpu *tc, const struct tracectx *tp,
		    bool internal)
{
	if (!tc || internal || !config.sample_n)
		return false;
	if (config.sample_n == 1 || (tp && (tp->flags & TRACECTX_FLAG_SAMPLED)))
		return true;
	/* A countdown, not a count modulo N: a division is a helper call
	 * per request under TCG. */
	if (tc->sample_skip) {
		tc->sample_skip--;
		return false;
	}
	tc->sample_skip = config.sample_n - 1;
	return true;
}

/* Record the traced request c in place. Its name is kept as the method
 * (a static string) and the path, and joined when read: nothing is
 * formatted on the request's path. */
static void put_request(struct trace_cpu *tc, const struct causal *c,
			const char *method, const char *path, size_t path_len)
{
	uint64_t idx;
	struct request_slot *rs = tracering_claim(&tc->requests, &idx);

	rs->req = c->req_id;
	rs->start_ns = c->start_ns;
	rs->parent_span = c->parent_span;
	rs->method = method;
	if (c->continued) /* else derived from req when read */
		memcpy(rs->trace_id, c->trace_id, sizeof(rs->trace_id));
	rs->cpu = c->cpu;
	rs->urgency = c->urgency;
	rs->continued = c->continued;
	rs->path_len = (uint8_t)MIN(path_len, sizeof(rs->path));
	memcpy(rs->path, path, rs->path_len);
	tracering_commit(&tc->requests, rs, idx);
}

void trace_request_begin(struct causal *c, const struct tracectx *tp,
			 bool tp_invalid, const char *method, const char *path,
			 size_t path_len, bool internal)
{
	struct trace_cpu *tc = ring_cpu();

	if (tp) {
		memcpy(c->trace_id, tp->trace_id, sizeof(c->trace_id));
		c->parent_span = tp->parent_id;
		c->trace_flags = tp->flags;
		c->continued = true;
	}
	causal_new_ids(c);
	c->sampled = sampled(tc, tp, internal);
	if (tc && !internal) {
		tc->continued += tp != NULL;
		tc->invalid += tp_invalid;
		*(c->sampled ? &tc->traced : &tc->skipped) += 1;
	}
	if (!c->sampled)
		return;
	c->trace_flags |= TRACECTX_FLAG_SAMPLED;
	put_request(tc, c, method, path, path_len);
}

void trace_event_bounds(unsigned cpu, uint64_t *first, uint64_t *end)
{
	struct trace_cpu *tc = cpu < CPU_MAX ? per_cpu[cpu] : NULL;

	*first = tc ? tracering_first(&tc->events) : 0;
	*end = tc ? tracering_head(&tc->events) : 0;
}

void trace_request_bounds(unsigned cpu, uint64_t *first, uint64_t *end)
{
	struct trace_cpu *tc = cpu < CPU_MAX ? per_cpu[cpu] : NULL;

	*first = tc ? tracering_first(&tc->requests) : 0;
	*end = tc ? tracering_head(&tc->requests) : 0;
}

bool trace_event_get(unsigned cpu, uint64_t idx, struct trace_event *out)
{
	struct trace_cpu *tc = cpu < CPU_MAX ? per_cpu[cpu] : NULL;

	return tc && tracering_get(&tc->events, idx, out);
}

/* "<method> <path>" into buf (TRACE_NAME_MAX bytes), cut to fit. */
static void request_name(char *buf, const char *method, const char *path,
			 size_t path_len)
{
	size_t m = strlcpy(buf, method, TRACE_NAME_MAX);
	size_t room;

	if (m + 2 > TRACE_NAME_MAX)
		return;
	buf[m++] = ' ';
	room = TRACE_NAME_MAX - 1 - m;
	path_len = MIN(path_len, room);
	memcpy(buf + m, path, path_len);
	buf[m + path_len] = '\0';
}

bool trace_request_get(unsigned cpu, uint64_t idx, struct trace_request *out)
{
	struct trace_cpu *tc = cpu < CPU_MAX ? per_cpu[cpu] : NULL;
	struct request_slot rs;
	uint64_t span;

	if (!tc || !tracering_get(&tc->requests, idx, &rs))
		return false;
	*out = (struct trace_request){ .seq = rs.seq,
				       .req = rs.req,
				       .start_ns = rs.start_ns,
				       .parent_span = rs.parent_span,
				       .cpu = rs.cpu,
				       .urgency = rs.urgency,
				       .continued = rs.continued };
	span = causal_ids_of(rs.req, rs.continued ? NULL : out->trace_id);
	out->span_id = span;
	if (rs.continued)
		memcpy(out->trace_id, rs.trace_id, sizeof(out->trace_id));
	request_name(out->name, rs.method, rs.path, rs.path_len);
	return true;
}

/* A CPU's request records are in increasing id order (causal_begin
 * numbers them per CPU): binary search. The request's CPU is in its id. */
bool trace_request_find(uint64_t req, struct trace_request *out)
{
	unsigned cpu = req ? (unsigned)((req - 1) % CPU_MAX) : 0;
	uint64_t lo, hi;

	trace_request_bounds(cpu, &lo, &hi);
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (!trace_request_get(cpu, mid, out))
			return false; /* overwritten meanwhile: too old */
		if (out->req == req)
			return true;
		if (out->req < req)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

void trace_get_stats(struct trace_stats *st)
{
	*st = (struct trace_stats){ 0 };
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++) {
		struct trace_cpu *tc = per_cpu[cpu];

		if (!tc)
			continue;
		st->events += tracering_head(&tc->events);
		st->dropped += tracering_dropped(&tc->events);
		st->requests_traced += tc->traced;
		st->requests_skipped += tc->skipped;
		st->traceparent_continued += tc->continued;
		st->traceparent_invalid += tc->invalid;
	}
}

/* Ring sizes for a machine with `free_pages` frames: the rings of all
 * CPUs take at most 1/TRACE_MEM_SHARE of them (a small guest keeps its
 * memory for connections), up to TRACE_RING_EVENTS/_REQUESTS a CPU. */
/* The largest power of two not above n (0 for 0): ring slots are found
 * by mask. */
static uint32_t pow2_floor(uint64_t n)
{
	uint32_t p = 1;

	if (!n)
		return 0;
	while ((uint64_t)p * 2 <= n && p < (1u << 31))
		p *= 2;
	return p;
}

static void ring_sizes(uint64_t free_pages, unsigned cpus, uint32_t *events,
		       uint32_t *requests)
{
	uint64_t bytes = free_pages * PAGE_SIZE / TRACE_MEM_SHARE / cpus;

	*events = pow2_floor(MIN((uint64_t)TRACE_RING_EVENTS,
				 bytes * 5 / 8 / sizeof(struct trace_event)));
	*requests =
		pow2_floor(MIN((uint64_t)TRACE_RING_REQUESTS,
			       bytes * 3 / 8 / sizeof(struct request_slot)));
}

/* One CPU's rings; false when memory is short (that CPU records none). */
static bool setup_cpu(unsigned cpu, uint32_t events, uint32_t requests)
{
	struct trace_cpu *tc;
	void *ev, *rq;

	if (!events || !requests)
		return false;
	tc = kzalloc(sizeof(*tc));
	ev = kmalloc(events * sizeof(struct trace_event));
	rq = kmalloc(requests * sizeof(struct request_slot));
	if (!tc || !ev || !rq) {
		kfree(tc);
		kfree(ev);
		kfree(rq);
		return false;
	}
	tracering_init(&tc->events, ev, events, sizeof(struct trace_event));
	tracering_init(&tc->requests, rq, requests,
		       sizeof(struct request_slot));
	tc->cpu = (uint16_t)cpu;
	per_cpu[cpu] = tc;
	return true;
}

/* Apply config: the rings of the CPUs online, once, unless trace=off. */
static void apply(void)
{
	unsigned cpus = MIN(cpu_count(), (unsigned)CPU_MAX);

	trace_on = config.sample_n != 0;
	if (!trace_on)
		return;
	ring_sizes(memplan()->free_pages, cpus, &ring_events, &ring_requests);
	if (ring_events < TRACE_RING_MIN || ring_requests < 2) {
		pr_warn("too little memory for trace rings: nothing recorded");
		trace_on = false;
		return;
	}
	for (unsigned cpu = 0; cpu < cpus; cpu++) {
		if (!per_cpu[cpu] &&
		    !setup_cpu(cpu, ring_events, ring_requests))
			pr_warn("no memory for CPU %u's trace rings", cpu);
		if (per_cpu[cpu]) /* a new N counts from its first request */
			per_cpu[cpu]->sample_skip = 0;
	}
}

int trace_set_mode(const char *mode)
{
	int err = parse_mode(mode, &config);

	if (!err)
		apply();
	return err;
}

static void trace_init(void)
{
	char mode[32];

	apply();
	if (!trace_on)
		return;
	pr_info("trace=%s, %u spans and %u requests kept per CPU",
		trace_mode_name(mode, sizeof(mode)), ring_events,
		ring_requests);
}
INITCALL(trace_init, INIT_FS);
