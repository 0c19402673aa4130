/* SPDX-License-Identifier: MIT */
/*
 * Address-space layout. Kernel memory (image, heap, page tables, DMA
 * rings) is identity-mapped: virtual == physical, so a kernel pointer is
 * also the device-visible address. The buffer pool (kernel/io/iobuf) is the
 * exception: it is carved out of RAM and left unmapped except through
 * temporary mappings in the window below (sf_buf), or wholly mapped when
 * mapping=direct.
 *
 *   0 .. RAM top          identity map of usable RAM (2 MiB pages, WB)
 *   MMIO (any phys addr)  identity, 4 KiB or 2 MiB pages, uncached,
 *                         mapped on demand by paging_map_mmio()
 *   KVA_WINDOW_BASE ..    per-use 4 KiB mappings (paging_map/unmap)
 *
 * One low page is special: MM_TRAMPOLINE_PHYS (below 1 MiB, which the
 * frame allocator never hands out) holds the APs' real-mode start code
 * (kernel/arch/smp_trampoline.S) and is the only RAM page mapped both
 * writable and executable.
 */
#ifndef KERNEL_MM_MM_H
#define KERNEL_MM_MM_H

#include <stdint.h>

#include "kernel/param.h"

#define KVA_WINDOW_BASE 0xFFFF800000000000ull
#define KVA_WINDOW_SIZE (1ull << 30)
#define MM_TRAMPOLINE_PHYS 0x8000

static inline uint64_t virt_to_phys(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static inline void *phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)pa;
}

#endif
