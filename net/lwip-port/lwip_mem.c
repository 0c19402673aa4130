// SPDX-License-Identifier: MIT
/*
 * lwIP's malloc (interface in lwip_mem.h; lwipopts.h points
 * mem_clib_malloc/calloc/free here). Each block carries its size in a
 * header of MEM_HDR bytes, which keeps the kernel heap's 16-byte
 * alignment, so a free knows what to give back to the budget.
 *
 * lwIP allocates a PBUF_RAM pbuf for every segment's headers and every
 * ACK: from the kernel heap that is its global lock on each packet,
 * taken by every CPU's instance. So small blocks come in size classes
 * and a freed one waits on this instance's free list of its class (at
 * most MEM_CACHE_MAX) for the next allocation: in steady state the
 * packet path does not reach the heap. This file is linked once per
 * instance, so the lists are the instance's own ([m], no lock).
 */
#include "net/lwip-port/lwip_mem.h"

#include <stddef.h>

#include "kernel/lib/compiler.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/param.h"
#include "net/lwip-port/pool_area.h"
#include "lwipopts.h"

#define MEM_HDR 16u
#define MEM_CLASS_NONE 0xffu /* beyond the classes: straight to the heap */
#define MEM_CACHE_MAX 32u /* free blocks kept per class */

/* Block sizes (header included): a header pbuf, an ACK with options, a
 * copied MSS of payload. */
static const uint32_t class_size[] = { 256, 512, 2048 };

/* What the header of every block holds. */
struct mem_hdr {
	uint32_t size; /* bytes asked for: what the budget counts */
	uint8_t class; /* index in class_size, or MEM_CLASS_NONE */
};
STATIC_ASSERT(sizeof(struct mem_hdr) <= MEM_HDR);

/* A cached block's first bytes link it to the next free one. */
struct mem_free {
	struct mem_free *next;
};

static struct mem_free *cache[ARRAY_SIZE(class_size)]; /* [m] */
static uint32_t cached[ARRAY_SIZE(class_size)]; /* [m] */
static struct lwip_mem_stats mem = { .limit = LWIP_MEM_MAX }; /* [m] */

void lwip_mem_set_limit(uint64_t bytes)
{
	mem.limit = bytes;
}

void lwip_mem_get_stats(struct lwip_mem_stats *st)
{
	*st = mem;
}

static uint8_t class_of(size_t size)
{
	for (uint8_t c = 0; c < ARRAY_SIZE(class_size); c++)
		if (size + MEM_HDR <= class_size[c])
			return c;
	return MEM_CLASS_NONE;
}

/* A block of class c (or of size + MEM_HDR bytes beyond the classes):
 * a cached one if there is one, else from the heap. */
static char *block_get(uint8_t c, size_t size)
{
	struct mem_free *f;

	if (c == MEM_CLASS_NONE)
		return kmalloc(size + MEM_HDR);
	f = cache[c];
	if (!f)
		return kmalloc(class_size[c]);
	cache[c] = f->next;
	cached[c]--;
	mem.cache_hits++;
	mem.cached_bytes -= class_size[c];
	return (char *)f;
}

void *lwip_port_malloc(size_t size)
{
	uint8_t c = class_of(size);
	struct mem_hdr *h;
	char *p;

	if (size > mem.limit - mem.used) {
		mem.refused++;
		return NULL;
	}
	p = block_get(c, size);
	if (!p) {
		mem.refused++;
		return NULL;
	}
	h = (struct mem_hdr *)p;
	h->size = (uint32_t)size;
	h->class = c;
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
	struct mem_hdr *h;
	struct mem_free *f;
	uint8_t c;

	if (!ptr)
		return;
	h = (struct mem_hdr *)((char *)ptr - MEM_HDR);
	mem.used -= h->size;
	c = h->class;
	if (c == MEM_CLASS_NONE || cached[c] >= MEM_CACHE_MAX) {
		kfree(h);
		return;
	}
	f = (struct mem_free *)h;
	f->next = cache[c];
	cache[c] = f;
	cached[c]++;
	mem.cached_bytes += class_size[c];
}
