// SPDX-License-Identifier: MIT
/* causal_begin for host tests: the kernel's reads the CPU through %gs,
 * which a host process does not have; the tests run as CPU 0. */
#include "kernel/io/causal.h"

#include <string.h>

static uint64_t fake_causal_next = 1;

void causal_begin(struct causal *c, uint64_t now_ns)
{
	memset(c, 0, sizeof(*c));
	c->req_id = fake_causal_next++;
	c->start_ns = now_ns;
	c->urgency = CAUSAL_URGENCY_DEFAULT;
}

uint64_t causal_ids_of(uint64_t req_id, uint8_t trace_id[16])
{
	if (trace_id) {
		memset(trace_id, 0, 16);
		trace_id[15] = (uint8_t)req_id;
		trace_id[0] = 0xfa;
	}
	return 0x5a5a000000000000ull | req_id;
}
