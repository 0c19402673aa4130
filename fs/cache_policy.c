// SPDX-License-Identifier: MIT
/*
 * Replacement policies of the page cache (interface in cache_policy.h).
 * One array-backed binary min-heap ordered by (priority, seq) serves both:
 * LRU sets priority to the release sequence, GDS to L + cost / size in
 * 32.32 fixed point. GDS's L only grows (each victim has the lowest H in
 * the heap), so a page released long ago falls behind fresh ones however
 * much credit its cost earned it: GreedyDual's aging.
 */
#include "fs/cache_policy.h"

#include "kernel/core/panic.h"
#include "kernel/lib/errno.h"
#include "kernel/mm/heap.h"

#define GDS_FRAC_BITS 32

static bool before(const struct cache_policy_node *a,
		   const struct cache_policy_node *b)
{
	if (a->priority != b->priority)
		return a->priority < b->priority;
	return a->seq < b->seq;
}

static void place(struct cache_policy *p, uint32_t i,
		  struct cache_policy_node *n)
{
	p->heap[i] = n;
	n->slot = i + 1;
}

static void sift_up(struct cache_policy *p, uint32_t i)
{
	struct cache_policy_node *n = p->heap[i];

	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!before(n, p->heap[parent]))
			break;
		place(p, i, p->heap[parent]);
		i = parent;
	}
	place(p, i, n);
}

static void sift_down(struct cache_policy *p, uint32_t i)
{
	struct cache_policy_node *n = p->heap[i];

	for (;;) {
		uint32_t child = 2 * i + 1;

		if (child >= p->count)
			break;
		if (child + 1 < p->count &&
		    before(p->heap[child + 1], p->heap[child]))
			child++;
		if (!before(p->heap[child], n))
			break;
		place(p, i, p->heap[child]);
		i = child;
	}
	place(p, i, n);
}

int cache_policy_init(struct cache_policy *p, enum cache_policy_kind kind,
		      uint32_t cap)
{
	*p = (struct cache_policy){ .kind = kind, .cap = cap };
	p->heap = kzalloc((cap ? cap : 1) * sizeof(*p->heap));
	return p->heap ? 0 : -ENOMEM;
}

/* H = L + cost / size; a file of 0 pages counts as 1. */
static uint64_t gds_priority(const struct cache_policy *p, uint64_t cost,
			     uint64_t pages)
{
	uint64_t credit = (cost << GDS_FRAC_BITS) / (pages ? pages : 1);

	return p->inflation + credit;
}

void cache_policy_add(struct cache_policy *p, struct cache_policy_node *n,
		      uint64_t refill_cost, uint64_t file_pages)
{
	if (n->slot)
		return;
	BUG_ON(p->count == p->cap); /* sized for every pool page */
	n->seq = ++p->seq;
	n->priority = p->kind == CACHE_POLICY_GDS ?
			      gds_priority(p, refill_cost, file_pages) :
			      n->seq;
	place(p, p->count++, n);
	sift_up(p, p->count - 1);
}

void cache_policy_remove(struct cache_policy *p, struct cache_policy_node *n)
{
	uint32_t i;
	struct cache_policy_node *last;

	if (!n->slot)
		return;
	i = n->slot - 1;
	n->slot = 0;
	last = p->heap[--p->count];
	if (i == p->count)
		return;
	place(p, i, last);
	if (i > 0 && before(last, p->heap[(i - 1) / 2]))
		sift_up(p, i);
	else
		sift_down(p, i);
}

struct cache_policy_node *cache_policy_victim(struct cache_policy *p)
{
	struct cache_policy_node *n;

	if (!p->count)
		return NULL;
	n = p->heap[0];
	cache_policy_remove(p, n);
	if (p->kind == CACHE_POLICY_GDS)
		p->inflation = n->priority;
	return n;
}
