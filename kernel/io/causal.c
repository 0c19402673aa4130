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
	uint64_t key; /* [I] once set: this CPU's id key; 0: not yet */
} __aligned(64) causal_seq[CPU_MAX];

/* Lanes of the id derivation: one per 64-bit id word. */
#define LANE_TRACE_HI 0x632be59bd9b4e019ull
#define LANE_TRACE_LO 0xd1b54a32d192ed03ull
#define LANE_SPAN 0x8cb92ba72f3d8dd7ull

void causal_begin(struct causal *c, uint64_t now_ns)
{
	unsigned cpu = cpu_self();

	if (unlikely(!causal_seq[cpu].key))
		/* seeded before the CPU's first request id is handed out:
		 * a reader that sees the id sees the key */
		WRITE_ONCE(causal_seq[cpu].key,
			   (rdtsc() ^ 0x9e3779b97f4a7c15ull * (cpu + 1)) | 1);
	memset(c, 0, sizeof(*c));
	c->req_id = causal_seq[cpu].next++ * CPU_MAX + cpu + 1;
	c->start_ns = now_ns;
	c->urgency = CAUSAL_URGENCY_DEFAULT;
	c->cpu = (uint16_t)cpu;
}

/* splitmix64's finaliser: a bijection of 64-bit words that mixes every
 * input bit into every output bit. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Word `lane` of request req_id's ids: for one key and lane a bijection
 * of req_id (distinct requests never share it), never 0 (W3C: all-zero
 * ids are invalid; the one req_id that would map there gets 1). */
static uint64_t derive(uint64_t req_id, uint64_t lane)
{
	unsigned cpu = req_id ? (unsigned)((req_id - 1) % CPU_MAX) : 0;
	uint64_t key = READ_ONCE(causal_seq[cpu].key);
	uint64_t v = mix64(req_id * 0x9e3779b97f4a7c15ull + (key ^ lane));

	return v ? v : 1;
}

static void put_be64(uint8_t *out, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		out[i] = (uint8_t)(v >> (56 - 8 * i));
}

uint64_t causal_ids_of(uint64_t req_id, uint8_t trace_id[16])
{
	if (trace_id) {
		put_be64(trace_id, derive(req_id, LANE_TRACE_HI));
		put_be64(trace_id + 8, derive(req_id, LANE_TRACE_LO));
	}
	return derive(req_id, LANE_SPAN);
}
