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
