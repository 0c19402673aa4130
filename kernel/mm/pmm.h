/* SPDX-License-Identifier: MIT */
/*
 * Physical frame allocator. Built from the multiboot memory map: usable
 * RAM minus the first MiB, the kernel image, the boot modules and the
 * loader's structures. One bit per 4 KiB frame; allocations of several
 * frames are physically contiguous (virtio rings, the buffer pool).
 * Main loop only ([m]); never from an IRQ handler.
 */
#ifndef KERNEL_MM_PMM_H
#define KERNEL_MM_PMM_H

#include <stddef.h>
#include <stdint.h>

struct pmm_region {
	uint64_t base; /* page aligned */
	uint64_t pages;
};

struct pmm_stats {
	uint64_t total_pages; /* usable RAM the allocator manages */
	uint64_t free_pages;
	uint64_t reserved_pages; /* taken out with pmm_reserve() */
};

/* Bytes of bitmap pmm_init needs to manage RAM up to `ram_top`. */
size_t pmm_bitmap_bytes(uint64_t ram_top);

/*
 * Set up from usable regions (any order; bases and ends are rounded
 * inwards to pages) and ranges to keep out (kernel image, loader data,
 * the bitmap itself). `bitmap` holds pmm_bitmap_bytes(top) bytes, where
 * top is the end of the highest usable region. Returns the number of
 * free pages, or -EINVAL if no usable page remains.
 */
long pmm_init(const struct pmm_region *usable, size_t n_usable,
	      const struct pmm_region *exclude, size_t n_exclude, void *bitmap);

/* Allocate `n` contiguous frames aligned to `align` pages (power of two);
 * returns the physical address or 0 when no such run is free. */
uint64_t pmm_alloc(size_t n, size_t align);
static inline uint64_t pmm_alloc_page(void)
{
	return pmm_alloc(1, 1);
}

/* Return frames from pmm_alloc; freeing a free frame panics. */
void pmm_free(uint64_t pa, size_t n);

/* Take a free range out for good (the buffer pool). 0 or -EBUSY. */
int pmm_reserve(uint64_t pa, size_t n);

/* Highest physical address of usable RAM, exclusive. */
uint64_t pmm_ram_top(void);

void pmm_get_stats(struct pmm_stats *st);

#endif
