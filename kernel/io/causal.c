// SPDX-License-Identifier: MIT
#include "kernel/io/causal.h"

#include "kernel/cpu/cpu.h"
#include "kernel/cpu/percpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/string.h"
#include "kernel/param.h"

/* Each CPU numbers its own requests, so no id is ever taken under a lock
 * or bounced between caches: CPU c hands out c+1, c+1+CPU_MAX, ... */
static struct {
	uint64_t next;
	uint64_t rng; /* xorshift64* state for trace and span ids; 0: unseeded */
} __aligned(64) causal_seq[CPU_MAX];

void causal_begin(struct causal *c, uint64_t now_ns)
{
	unsigned cpu = cpu_self();

	memset(c, 0, sizeof(*c));
	c->req_id = causal_seq[cpu].next++ * CPU_MAX + cpu + 1;
	c->start_ns = now_ns;
	c->urgency = CAUSAL_URGENCY_DEFAULT;
	c->cpu = (uint16_t)cpu;
}

/* This CPU's next random 64 bits (xorshift64*, seeded from the TSC at
 * first use): ids that do not collide across guests and boots. */
static uint64_t next_random(unsigned cpu)
{
	uint64_t x = causal_seq[cpu].rng;

	if (!x)
		x = (rdtsc() ^ 0x9e3779b97f4a7c15ull * (cpu + 1)) | 1;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	causal_seq[cpu].rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* A random value that is not 0 (W3C: all-zero ids are invalid). */
static uint64_t nonzero_random(unsigned cpu)
{
	uint64_t v;

	do
		v = next_random(cpu);
	while (!v);
	return v;
}

void causal_new_ids(struct causal *c)
{
	unsigned cpu = cpu_self();

	if (!c->continued) {
		uint64_t hi = nonzero_random(cpu), lo = next_random(cpu);

		for (int i = 0; i < 8; i++) {
			c->trace_id[i] = (uint8_t)(hi >> (56 - 8 * i));
			c->trace_id[8 + i] = (uint8_t)(lo >> (56 - 8 * i));
		}
	}
	c->span_id = nonzero_random(cpu);
}
