/* SPDX-License-Identifier: MIT */
/*
 * The memory plan: how the RAM found at boot is split between the fixed
 * structures whose size used to be a compile-time constant (buffer pool,
 * RX pages, mapping window, lwIP's heap, connections). kmain makes the
 * plan once, from the frames free after the kernel image, before anything
 * is allocated; the subsystems read it when they start. Below
 * MEMPLAN_FLOOR_PAGES free frames nothing is planned: the caller says so
 * and stops. Pure arithmetic (unit-tested); immutable after boot ([I]).
 */
#ifndef KERNEL_MM_MEMPLAN_H
#define KERNEL_MM_MEMPLAN_H

#include <stdbool.h>
#include <stdint.h>

struct memplan {
	uint64_t free_pages; /* frames free when the plan was made */
	uint64_t pool_pages; /* IO-Lite buffer pool */
	uint64_t map_slots; /* sf_buf mappings of pool pages */
	uint32_t rx_ring; /* RX pages kept posted to the NIC */
	uint32_t rx_bufs; /* RX pages posted or held by the stack */
	uint64_t lwip_bytes; /* lwIP's heap (headers, copied data) */
	uint32_t conn_max; /* connections served at once */
	uint32_t laio_workers; /* LAIO spare stacks per CPU */
};

/* The plan for `free_pages` free frames; `pool_pages` 0 means size the
 * pool too (else it is the pool_mb= choice). false, with *plan
 * untouched, when free_pages is below the floor. */
bool memplan_make(uint64_t free_pages, uint64_t pool_pages,
		  struct memplan *plan);

/* Make this the plan in force (kmain). */
void memplan_set(const struct memplan *plan);

/* The plan in force; before memplan_set, the plan for a large machine
 * (the host unit tests never boot). */
const struct memplan *memplan(void);

#endif
