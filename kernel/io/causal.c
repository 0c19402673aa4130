// SPDX-License-Identifier: MIT
#include "kernel/io/causal.h"

#include "kernel/cpu/percpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/string.h"
#include "kernel/param.h"

/* Each CPU numbers its own requests, so no id is ever taken under a lock
 * or bounced between caches: CPU c hands out c+1, c+1+CPU_MAX, ... */
static struct {
	uint64_t next;
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
