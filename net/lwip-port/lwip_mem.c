// SPDX-License-Identifier: MIT
/*
 * lwIP's malloc (interface in lwip_mem.h; lwipopts.h points
 * mem_clib_malloc/calloc/free here). Each block carries its size in a
 * header of MEM_HDR bytes, which keeps the kernel heap's 16-byte
 * alignment, so a free knows what to give back to the budget.
 */
#include "net/lwip-port/lwip_mem.h"

#include <stddef.h>

#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/param.h"
#include "net/lwip-port/pool_area.h"
#include "lwipopts.h"

#define MEM_HDR 16u

static struct lwip_mem_stats mem = { .limit = LWIP_MEM_MAX }; /* [m] */

void lwip_mem_set_limit(uint64_t bytes)
{
	mem.limit = bytes;
}

void lwip_mem_get_stats(struct lwip_mem_stats *st)
{
	*st = mem;
}

void *lwip_port_malloc(size_t size)
{
	char *p;

	if (size > mem.limit - mem.used) {
		mem.refused++;
		return NULL;
	}
	p = kmalloc(size + MEM_HDR);
	if (!p) {
		mem.refused++;
		return NULL;
	}
	*(size_t *)p = size;
	mem.used += size;
	if (mem.used > mem.peak)
		mem.peak = mem.used;
	return p + MEM_HDR;
}

/* The fixed pools (not under the budget: they are lwIP's static
 * memory): the first instance's from the static area, as before,
 * the others' from the heap, so instances not started cost none.
 * Zeroed, as .bss was. NULL makes lwIP's memp_init assert. */
void *lwip_port_pool_storage(size_t size)
{
	void *p = lwip_port_pool_area(size);

	return p ? p : kzalloc(size);
}

void *lwip_port_calloc(size_t n, size_t size)
{
	void *p;

	if (size && n > SIZE_MAX / size)
		return NULL;
	p = lwip_port_malloc(n * size);
	if (p)
		memset(p, 0, n * size);
	return p;
}

void lwip_port_free(void *ptr)
{
	char *p;

	if (!ptr)
		return;
	p = (char *)ptr - MEM_HDR;
	mem.used -= *(size_t *)p;
	kfree(p);
}
