/* SPDX-License-Identifier: MIT */
/*
 * Kernel heap. Size classes of 16 to 2048 bytes come from slabs of one
 * page each (the class is found from the slab header at the page start);
 * larger requests take whole contiguous pages from the frame allocator
 * and record their size in a header page-aligned before the data.
 * All memory is identity-mapped, so virt_to_phys() works on it.
 * Main loop and kernel threads only ([m]).
 */
#ifndef KERNEL_MM_HEAP_H
#define KERNEL_MM_HEAP_H

#include <stddef.h>
#include <stdint.h>

struct heap_stats {
	uint64_t allocs, frees;
	uint64_t bytes_in_use; /* rounded to class size */
	uint64_t slab_pages, large_pages;
};

void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

void heap_get_stats(struct heap_stats *st);

#endif
