// SPDX-License-Identifier: MIT
/*
 * The memory plan (interface in memplan.h). Half of the free frames go
 * to the buffer pool, as before; the rest is the kernel heap, a quarter
 * of which lwIP may use. RX pages are a quarter of the pool (at most
 * VNET_RX_BUFS_MAX), a quarter of those stay posted (at most the ring's
 * size), and the sf_buf window has a slot per pool page plus as many
 * again for naive mode's duplicates, up to SFBUF_WINDOW_SLOTS (16 MiB):
 * beyond that, mappings are recycled. On a large machine
 * this gives the old constants back; on a small one, each share shrinks
 * with the memory instead of not fitting.
 */
#include "kernel/mm/memplan.h"

#include "kernel/lib/compiler.h"
#include "kernel/param.h"

#define HUGE_PAGES (HUGE_PAGE_SIZE / PAGE_SIZE)
#define RX_BUFS_MIN 32
#define RX_RING_MIN 16
#define LWIP_BYTES_PER_CONN 2048 /* headers of a connection's segments */
/* LAIO keeps the spare stacks it made, so at most 1/LAIO_MEM_SHARE of the
 * memory outside the pool goes to them: a burst of blocked opens must not
 * take the heap a new connection needs (at -m 4M: 3 stacks, not 64). */
#define LAIO_MEM_SHARE 16
#define LAIO_WORKERS_MIN 2

static struct memplan plan_in_force = {
	.free_pages = 1u << 20,
	.pool_pages = 1u << 19,
	.map_slots = SFBUF_WINDOW_SLOTS,
	.rx_ring = VNET_QUEUE_SIZE,
	.rx_bufs = VNET_RX_BUFS_MAX,
	.lwip_bytes = LWIP_MEM_MAX,
	.conn_max = CONN_MAX_DEFAULT,
	.laio_workers = LAIO_WORKERS_MAX,
};

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi)
{
	return MIN(MAX(v, lo), hi);
}

bool memplan_make(uint64_t free_pages, uint64_t pool_pages,
		  struct memplan *plan)
{
	uint64_t pool = pool_pages, rest, rx_bufs, lwip;

	if (free_pages < MEMPLAN_FLOOR_PAGES)
		return false;
	if (!pool) {
		pool = free_pages / 2;
		/* Whole 2 MiB pages leave the identity map without
		 * splitting it; only a small pool takes the 4 KiB cost. */
		if (pool >= 2 * HUGE_PAGES)
			pool = ALIGN_DOWN(pool, HUGE_PAGES);
	}
	rest = free_pages > pool ? free_pages - pool : 0;
	lwip = clamp(rest * PAGE_SIZE / 4, LWIP_MEM_MIN, LWIP_MEM_MAX);
	rx_bufs = clamp(pool / 4, RX_BUFS_MIN, VNET_RX_BUFS_MAX);
	*plan = (struct memplan){
		.free_pages = free_pages,
		.pool_pages = pool,
		.map_slots = MIN(pool + MIN(pool, (uint64_t)SFBUF_EXTRA_SLOTS),
				 (uint64_t)SFBUF_WINDOW_SLOTS),
		.rx_ring = (uint32_t)clamp(rx_bufs / 4, RX_RING_MIN,
					   VNET_QUEUE_SIZE),
		.rx_bufs = (uint32_t)rx_bufs,
		.lwip_bytes = lwip,
		.conn_max = (uint32_t)clamp(lwip / LWIP_BYTES_PER_CONN,
					    CONN_MAX_MIN, CONN_MAX_DEFAULT),
		.laio_workers = (uint32_t)clamp(
			rest / LAIO_MEM_SHARE / THREAD_STACK_PAGES,
			LAIO_WORKERS_MIN, LAIO_WORKERS_MAX),
	};
	return true;
}

void memplan_set(const struct memplan *plan)
{
	plan_in_force = *plan;
}

const struct memplan *memplan(void)
{
	return &plan_in_force;
}
