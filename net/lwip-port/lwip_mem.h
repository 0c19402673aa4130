/* SPDX-License-Identifier: MIT */
/*
 * lwIP's heap, from the kernel heap under a budget. lwIP is built with
 * MEM_LIBC_MALLOC (lwipopts.h), so its PBUF_RAM pbufs come from here
 * instead of a static array sized for a large machine: the image stays
 * small and the budget (the memory plan's lwip_bytes) follows the RAM
 * found. Past the budget an allocation fails and lwIP sees ERR_MEM,
 * which it already handles (a send retried later). Small blocks are
 * reused from per-instance free lists (lwip_mem.c), not the kernel
 * heap. Main loop of the instance's CPU ([m]).
 */
#ifndef NET_LWIP_PORT_LWIP_MEM_H
#define NET_LWIP_PORT_LWIP_MEM_H

#include <stdint.h>

struct lwip_mem_stats {
	uint64_t limit; /* bytes lwIP may hold */
	uint64_t used, peak; /* bytes held now / at most */
	uint64_t refused; /* allocations failed: over budget or no heap */
	uint64_t cache_hits; /* allocations served from the free lists */
	uint64_t cached_bytes; /* now: freed blocks kept for reuse */
};

/* Set the budget (before lwip_init). */
void lwip_mem_set_limit(uint64_t bytes);

void lwip_mem_get_stats(struct lwip_mem_stats *st);

#endif
