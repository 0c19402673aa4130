// SPDX-License-Identifier: MIT
/*
 * Kernel page tables (interface in paging.h, layout in mm.h). Tables are
 * frames from the pmm, reached through the identity map. paging_lock
 * (rank LOCK_RANK_PAGING, held across the pmm's calls) serialises every
 * change; lookups (paging_writable, paging_translate) walk without it,
 * since tables are never freed and an entry is one aligned store. A
 * changed entry needs an invalidation, which paging_map/unmap leave to
 * the caller (tlb_shootdown() when other CPUs may hold it).
 */
#define PR_PREFIX "paging: "
#include "kernel/mm/paging.h"

#include "kernel/core/panic.h"
#include "kernel/core/printk.h"
#include "kernel/core/spinlock.h"
#include "kernel/cpu/cpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/pmm.h"

#define ENTRIES 512
#define LEVEL_SHIFT(level) (PAGE_SHIFT + 9 * ((level)-1))
#define INDEX(va, level) (((va) >> LEVEL_SHIFT(level)) & (ENTRIES - 1))
#define TABLE_FLAGS (PTE_PRESENT | PTE_WRITE)
#define RAM_FLAGS (PTE_PRESENT | PTE_WRITE | PTE_GLOBAL | PTE_NX)
#define MMIO_FLAGS (PTE_PRESENT | PTE_WRITE | PTE_PCD | PTE_PWT | PTE_NX)

extern char __kernel_start[], __text_end[], __kernel_end[];
extern char __rodata_start[], __rodata_end[];

static uint64_t *pml4; /* [I] after paging_init */

static struct paging_stats stats; /* [paging_lock], invalidations atomic */
static struct spinlock paging_lock = SPINLOCK_INIT("paging", LOCK_RANK_PAGING);

static uint64_t *table_alloc(void)
{
	uint64_t pa = pmm_alloc_page();

	if (!pa)
		return NULL;
	memset(phys_to_virt(pa), 0, PAGE_SIZE);
	stats.table_pages++;
	return phys_to_virt(pa);
}

/*
 * The entry mapping `va` at `level` (1 = PT ... 4 = PML4), creating the
 * tables above it when `create`. NULL when a table is missing (or cannot
 * be allocated) or a huge page sits above the wanted level.
 */
static uint64_t *walk(uintptr_t va, int level, bool create)
{
	uint64_t *table = pml4;

	for (int l = 4; l > level; l--) {
		uint64_t *e = &table[INDEX(va, l)];

		if (!(*e & PTE_PRESENT)) {
			uint64_t *next;

			if (!create || !(next = table_alloc()))
				return NULL;
			*e = virt_to_phys(next) | TABLE_FLAGS;
		} else if (*e & PTE_HUGE) {
			return NULL;
		}
		table = phys_to_virt(*e & PTE_ADDR_MASK);
	}
	return &table[INDEX(va, level)];
}

static uint64_t kernel_page_flags(uintptr_t va)
{
	if (va < PAGE_SIZE)
		return 0; /* NULL page: fault on use */
	if (va == MM_TRAMPOLINE_PHYS)
		return PTE_PRESENT | PTE_WRITE | PTE_GLOBAL; /* AP start code */
	if (va >= (uintptr_t)__kernel_start && va < (uintptr_t)__text_end)
		return PTE_PRESENT | PTE_GLOBAL;
	if (va >= (uintptr_t)__rodata_start && va < (uintptr_t)__rodata_end)
		return PTE_PRESENT | PTE_GLOBAL | PTE_NX;
	return RAM_FLAGS;
}

static void map_small(uintptr_t va, uint64_t flags)
{
	uint64_t *pte = walk(va, 1, true);

	if (!pte)
		panic("paging_init: out of memory for page tables");
	*pte = flags ? (va | flags) : 0;
}

static void map_huge(uintptr_t va)
{
	uint64_t *pde = walk(va, 2, true);

	if (!pde)
		panic("paging_init: out of memory for page tables");
	if (!(*pde & PTE_PRESENT))
		*pde = va | RAM_FLAGS | PTE_HUGE;
}

void paging_init(const struct pmm_region *ram, size_t n)
{
	uintptr_t small_end = ALIGN_UP((uintptr_t)__kernel_end, HUGE_PAGE_SIZE);

	pml4 = table_alloc();
	if (!pml4)
		panic("paging_init: no frame for the PML4");
	/* Below the end of the kernel: 4 KiB pages with permissions. */
	for (uintptr_t va = 0; va < small_end; va += PAGE_SIZE)
		map_small(va, kernel_page_flags(va));
	for (size_t i = 0; i < n; i++) {
		uint64_t first = ALIGN_DOWN(ram[i].base, HUGE_PAGE_SIZE);
		uint64_t end =
			ALIGN_UP(ram[i].base + (ram[i].pages << PAGE_SHIFT),
				 HUGE_PAGE_SIZE);

		for (uint64_t va = MAX(first, small_end); va < end;
		     va += HUGE_PAGE_SIZE)
			map_huge(va);
	}
	write_cr3(virt_to_phys(pml4));
	pr_info("kernel tables loaded, %llu table pages",
		(unsigned long long)stats.table_pages);
}

void *paging_map_mmio(uint64_t pa, size_t len)
{
	uint64_t first = ALIGN_DOWN(pa, PAGE_SIZE);
	uint64_t end = ALIGN_UP(pa + len, PAGE_SIZE);

	if (len == 0 || end < first || end > (1ull << 47))
		return NULL;
	spin_lock(&paging_lock);
	for (uint64_t va = first; va < end; va += PAGE_SIZE) {
		uint64_t *pte = walk(va, 1, true);

		if (!pte) {
			spin_unlock(&paging_lock);
			pr_err("cannot map MMIO %#llx (RAM or no memory)",
			       (unsigned long long)va);
			return NULL;
		}
		if (!(*pte & PTE_PRESENT)) {
			*pte = va | MMIO_FLAGS;
			paging_invalidate(va);
		}
	}
	spin_unlock(&paging_lock);
	return phys_to_virt(pa);
}

static bool in_window(uintptr_t va)
{
	return va >= KVA_WINDOW_BASE &&
	       va < KVA_WINDOW_BASE + KVA_WINDOW_SIZE &&
	       IS_ALIGNED(va, PAGE_SIZE);
}

int paging_map(uintptr_t va, uint64_t pa, uint64_t flags)
{
	uint64_t *pte;

	if (!in_window(va) || !IS_ALIGNED(pa, PAGE_SIZE) ||
	    (pa & ~PTE_ADDR_MASK))
		return -EINVAL;
	spin_lock(&paging_lock);
	pte = walk(va, 1, true);
	if (pte) {
		*pte = pa | flags | PTE_PRESENT;
		stats.maps++;
	}
	spin_unlock(&paging_lock);
	return pte ? 0 : -ENOMEM;
}

void paging_unmap(uintptr_t va)
{
	uint64_t *pte;

	spin_lock(&paging_lock);
	pte = in_window(va) ? walk(va, 1, false) : NULL;
	if (pte) {
		*pte = 0;
		stats.unmaps++;
	}
	spin_unlock(&paging_lock);
}

void paging_invalidate(uintptr_t va)
{
	invlpg(va);
	__atomic_add_fetch(&stats.invalidations, 1, __ATOMIC_RELAXED);
}

/* Replace the 2 MiB mapping holding va by a table of 4 KiB pages with
 * the same attributes. */
static int split_huge(uintptr_t va)
{
	uint64_t *pde = walk(va, 2, false);
	uint64_t *pt, base, flags;

	if (!pde || !(*pde & PTE_HUGE))
		return 0;
	pt = table_alloc();
	if (!pt)
		return -ENOMEM;
	base = *pde & PTE_ADDR_MASK & ~(uint64_t)(HUGE_PAGE_SIZE - 1);
	flags = *pde & ~PTE_ADDR_MASK & ~PTE_HUGE;
	for (int i = 0; i < ENTRIES; i++)
		pt[i] = (base + ((uint64_t)i << PAGE_SHIFT)) | flags;
	*pde = virt_to_phys(pt) | TABLE_FLAGS;
	/* Global entries survive a CR3 reload; flush the range page by
	 * page (only the one 2 MiB TLB entry exists, but invlpg of any
	 * address in it drops it). */
	paging_invalidate(ALIGN_DOWN(va, HUGE_PAGE_SIZE));
	return 0;
}

/* The 4 KiB PTE that maps page-aligned va (never page 0), splitting its
 * 2 MiB page if need be. 0 with *out set, -ENOMEM or -EINVAL. */
static int small_pte(uintptr_t va, uint64_t **out)
{
	int err;

	if (!IS_ALIGNED(va, PAGE_SIZE) || va < PAGE_SIZE)
		return -EINVAL;
	err = split_huge(va);
	if (err)
		return err;
	*out = walk(va, 1, false);
	return *out ? 0 : -EINVAL;
}

static int unmap_identity(uint64_t pa, uint64_t len)
{
	uint64_t end = pa + len;

	for (uint64_t va = pa; va < end;) {
		uint64_t *pde = walk(va, 2, false);
		uint64_t *pte;
		int err;

		if (!pde || !(*pde & PTE_PRESENT))
			return -EINVAL;
		/* Whole 2 MiB pages go at once; a partly covered one is
		 * split (a pool smaller than 2 MiB, on a small machine). */
		if ((*pde & PTE_HUGE) && IS_ALIGNED(va, HUGE_PAGE_SIZE) &&
		    end - va >= HUGE_PAGE_SIZE) {
			*pde = 0;
			paging_invalidate(va);
			va += HUGE_PAGE_SIZE;
			continue;
		}
		err = small_pte(va, &pte);
		if (err)
			return err;
		*pte = 0;
		paging_invalidate(va);
		va += PAGE_SIZE;
	}
	return 0;
}

int paging_unmap_identity(uint64_t pa, uint64_t len)
{
	int err;

	if (!IS_ALIGNED(pa, PAGE_SIZE) || !IS_ALIGNED(len, PAGE_SIZE))
		return -EINVAL;
	spin_lock(&paging_lock);
	err = unmap_identity(pa, len);
	spin_unlock(&paging_lock);
	return err;
}

int paging_set_guard(uintptr_t va, bool guard)
{
	uint64_t *pte;
	int err;

	spin_lock(&paging_lock);
	err = small_pte(va, &pte);
	if (!err) {
		*pte = guard ? (*pte & ~PTE_PRESENT) : (*pte | PTE_PRESENT);
		paging_invalidate(va);
	}
	spin_unlock(&paging_lock);
	return err;
}

int paging_set_writable(uintptr_t va, bool writable)
{
	uint64_t *pte;
	int err;

	spin_lock(&paging_lock);
	err = small_pte(va, &pte);
	if (!err && !(*pte & PTE_PRESENT))
		err = -EINVAL;
	if (!err) {
		*pte = writable ? (*pte | PTE_WRITE) : (*pte & ~PTE_WRITE);
		stats.protects++;
	}
	spin_unlock(&paging_lock);
	return err;
}

/* The entry that maps va (a 4 KiB PTE or a huge page's), with its level
 * in *level; 0 if va is not mapped. */
static uint64_t leaf_entry(uintptr_t va, int *level)
{
	uint64_t *table = pml4;

	for (int l = 4; l >= 1; l--) {
		uint64_t e = table[INDEX(va, l)];

		if (!(e & PTE_PRESENT))
			return 0;
		if (l == 1 || (l <= 3 && (e & PTE_HUGE))) {
			*level = l;
			return e;
		}
		table = phys_to_virt(e & PTE_ADDR_MASK);
	}
	return 0;
}

bool paging_writable(uintptr_t va)
{
	int level;

	/* Upper levels are always writable here; the leaf decides. */
	return (leaf_entry(va, &level) & PTE_WRITE) != 0;
}

uint64_t paging_translate(uintptr_t va)
{
	int level;
	uint64_t e = leaf_entry(va, &level), mask;

	if (!e)
		return ~0ull;
	mask = (1ull << LEVEL_SHIFT(level)) - 1;
	return ((e & PTE_ADDR_MASK) & ~mask) | (va & mask);
}

void paging_get_stats(struct paging_stats *st)
{
	spin_lock(&paging_lock);
	*st = stats;
	spin_unlock(&paging_lock);
}
