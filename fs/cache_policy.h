/* SPDX-License-Identifier: MIT */
/*
 * The page cache's replacement policy: which unreferenced page goes when
 * the pool needs one. IO-Lite lets the server choose it (Flash-Lite used
 * GreedyDual-Size); `cache_policy=` picks one at boot:
 *
 *   lru  the page released longest ago goes first.
 *   gds  GreedyDual-Size (Cao, Irani): a page released with refill cost c
 *        in a file of s pages gets priority H = L + c / s, where L is the
 *        priority of the last page evicted; the lowest H goes first (ties:
 *        the one released first). Small files, expensive to refill per
 *        byte, stay longer; pages not used for a while age as L rises.
 *
 * Both keep the evictable pages in one binary min-heap of nodes embedded
 * by the caller; every operation is O(log n) and allocates nothing after
 * init. Main loop only ([m]).
 */
#ifndef FS_CACHE_POLICY_H
#define FS_CACHE_POLICY_H

#include <stdbool.h>
#include <stdint.h>

enum cache_policy_kind {
	CACHE_POLICY_LRU,
	CACHE_POLICY_GDS,
};

/* Embedded in each cached page. */
struct cache_policy_node {
	uint64_t priority; /* [m] LRU: release sequence; GDS: H, fixed point */
	uint64_t seq; /* [m] release sequence: ties go to the oldest */
	uint32_t slot; /* [m] heap index + 1; 0: not evictable */
};

struct cache_policy {
	enum cache_policy_kind kind; /* [I] */
	struct cache_policy_node **heap; /* [m] min-heap of evictable pages */
	uint32_t count, cap; /* [m], [I] */
	uint64_t inflation; /* [m] GDS: L, the H of the last victim */
	uint64_t seq; /* [m] releases so far */
};

/* Room for `cap` evictable pages. 0 or -ENOMEM. */
int cache_policy_init(struct cache_policy *p, enum cache_policy_kind kind,
		      uint32_t cap);

/* The page of `n` became evictable: it costs `refill_cost` disk reads to
 * load again the `file_pages` pages of its file. */
void cache_policy_add(struct cache_policy *p, struct cache_policy_node *n,
		      uint64_t refill_cost, uint64_t file_pages);

/* `n` is referenced again or destroyed: no longer evictable (no-op if
 * it was not). */
void cache_policy_remove(struct cache_policy *p, struct cache_policy_node *n);

/* Take the next page to evict out of the policy; NULL if none. */
struct cache_policy_node *cache_policy_victim(struct cache_policy *p);

static inline bool cache_policy_queued(const struct cache_policy_node *n)
{
	return n->slot != 0;
}

#endif
