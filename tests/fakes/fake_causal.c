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

void causal_new_ids(struct causal *c)
{
	if (!c->continued) {
		memset(c->trace_id, 0, sizeof(c->trace_id));
		c->trace_id[15] = (uint8_t)c->req_id;
		c->trace_id[0] = 0xfa;
	}
	c->span_id = 0x5a5a000000000000ull | c->req_id;
}
