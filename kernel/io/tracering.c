// SPDX-License-Identifier: MIT
/*
 * Single-writer ring of fixed-size records with a sequence word per
 * slot (interface and rules in tracering.h).
 */
#include "kernel/io/tracering.h"

#include "kernel/core/panic.h"
#include "kernel/cpu/barrier.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/string.h"

void tracering_init(struct trace_ring *r, void *slots, uint32_t cap,
		    size_t size)
{
	BUG_ON(cap == 0 || (cap & (cap - 1)));
	r->head = 0;
	r->cap = cap;
	r->size = size;
	r->slots = slots;
	memset(slots, 0, (size_t)cap * size);
}

uint64_t tracering_put(struct trace_ring *r, const void *rec)
{
	uint64_t idx;
	uint64_t *slot = tracering_claim(r, &idx);

	memcpy(slot + 1, (const uint64_t *)rec + 1, r->size - sizeof(*slot));
	tracering_commit(r, slot, idx);
	return idx;
}

bool tracering_get(const struct trace_ring *r, uint64_t idx, void *out)
{
	const uint64_t *slot = tracering_slot(r, idx);
	uint64_t before, after;

	if (idx >= tracering_head(r) || idx < tracering_first(r))
		return false;
	before = READ_ONCE(*slot);
	rmb(); /* the sequence word before the body it vouches for */
	memcpy(out, slot, r->size);
	rmb(); /* the body before the second look at the sequence word */
	after = READ_ONCE(*slot);
	*(uint64_t *)out = after;
	return before == idx + 1 && after == before;
}
