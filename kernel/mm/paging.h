/* SPDX-License-Identifier: MIT */
/*
 * 4-level page tables (layout in kernel/mm/mm.h). paging_init() replaces
 * the boot tables with: identity map of RAM (2 MiB pages), nothing else.
 * Device registers are mapped with paging_map_mmio(); ephemeral mappings
 * of single pages are made in the KVA window with paging_map() and torn
 * down with paging_unmap(). Neither invalidates the TLB by itself: the
 * caller decides (that is what sf_buf saves), using paging_invalidate().
 */
#ifndef KERNEL_MM_PAGING_H
#define KERNEL_MM_PAGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PTE_PRESENT (1ull << 0)
#define PTE_WRITE (1ull << 1)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_ACCESSED (1ull << 5)
#define PTE_DIRTY (1ull << 6)
#define PTE_HUGE (1ull << 7)
#define PTE_GLOBAL (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR_MASK 0x000FFFFFFFFFF000ull

struct paging_stats {
	uint64_t maps; /* PTEs written by paging_map */
	uint64_t unmaps;
	uint64_t invalidations; /* invlpg issued */
	uint64_t protects; /* PTEs whose write permission was changed */
	uint64_t table_pages; /* page-table pages allocated */
};

struct pmm_region;

/*
 * Build and load the kernel's tables: identity map every 2 MiB chunk
 * that touches one of the `ram` regions, the kernel image with 4 KiB
 * pages and section permissions (text RX, rodata R, data RW, NX where
 * possible) and page 0 left unmapped so NULL dereferences fault.
 * Panics if the tables cannot be allocated.
 */
void paging_init(const struct pmm_region *ram, size_t n);

/* Identity-map [pa, pa+len) uncached; returns the virtual address (equal
 * to pa) or NULL on exhaustion or misuse. Idempotent. */
void *paging_map_mmio(uint64_t pa, size_t len);

/* Map the 4 KiB page `pa` at `va` (in the KVA window) with `flags`
 * (PTE_WRITE, PTE_NX...). Overwrites any previous mapping without
 * invalidating it. Returns 0 or -ENOMEM / -EINVAL. */
int paging_map(uintptr_t va, uint64_t pa, uint64_t flags);

/* Clear the PTE at va; no TLB invalidation. */
void paging_unmap(uintptr_t va);

/* Grant or remove write access to the 4 KiB page at `va` (an identity
 * mapping is split out of its 2 MiB page first). No TLB invalidation: a
 * caller removing access must invalidate; one granting it may leave the
 * stale read-only entry to fault once (see paging_writable). 0, -ENOMEM
 * or -EINVAL (not mapped). */
int paging_set_writable(uintptr_t va, bool writable);

/* Whether the page tables (not the TLB) allow writes at va: a write
 * fault there came from a stale TLB entry. */
bool paging_writable(uintptr_t va);

/* Flush the translation of one page from this CPU's TLB. */
void paging_invalidate(uintptr_t va);

/* Remove the page-aligned range [pa, pa + len) from the identity map
 * (the buffer pool in sfbuf/naive modes), splitting a 2 MiB mapping it
 * covers only in part. 0, -ENOMEM or -EINVAL. */
int paging_unmap_identity(uint64_t pa, uint64_t len);

/* Make the identity-mapped page at `va` a guard page (not present) or
 * undo that; splits a 2 MiB mapping when needed. 0, -ENOMEM, -EINVAL. */
int paging_set_guard(uintptr_t va, bool guard);

/* Physical address va translates to, or ~0 when unmapped. */
uint64_t paging_translate(uintptr_t va);

void paging_get_stats(struct paging_stats *st);

#endif
