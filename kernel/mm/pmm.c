// SPDX-License-Identifier: MIT
/*
 * Physical frame allocator (interface in pmm.h): one bit per 4 KiB frame
 * below the top of RAM, 1 = in use. Holes in the memory map, the first
 * MiB, the kernel and the loader's data start out used and stay so.
 * Searches are first-fit from a hint that trails the last single-page
 * allocation, which keeps early allocations (page tables, the heap) low
 * and thus inside the boot identity map of the first 4 GiB.
 * Locking: pmm_lock (rank LOCK_RANK_PMM, kernel/core/spinlock.h) guards
 * the bitmap, the hint and the counters; any CPU may allocate.
 */
#define PR_PREFIX "pmm: "
#include "kernel/mm/pmm.h"

#include <stdbool.h>

#include "kernel/core/panic.h"
#include "kernel/core/printk.h"
#include "kernel/core/spinlock.h"
#include "kernel/lib/bitmap.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/param.h"

static struct {
	uint64_t *bitmap; /* [pmm_lock] */
	uint64_t frames; /* [I] frames covered by the bitmap */
	uint64_t hint; /* [pmm_lock] first frame worth searching from */
	struct pmm_stats stats; /* [pmm_lock] */
} pmm;

size_t pmm_bitmap_bytes(uint64_t ram_top)
{
	uint64_t frames = ram_top >> PAGE_SHIFT;

	return (size_t)BITMAP_WORDS(frames) * sizeof(uint64_t);
}

static void region_frames(const struct pmm_region *r, uint64_t *first,
			  uint64_t *end)
{
	*first = r->base >> PAGE_SHIFT;
	*end = *first + r->pages;
}

long pmm_init(const struct pmm_region *usable, size_t n_usable,
	      const struct pmm_region *exclude, size_t n_exclude, void *bitmap)
{
	uint64_t top = 0, first, end;

	for (size_t i = 0; i < n_usable; i++) {
		region_frames(&usable[i], &first, &end);
		top = MAX(top, end);
	}
	pmm.bitmap = bitmap;
	pmm.frames = top;
	pmm.hint = 0;
	pmm.stats = (struct pmm_stats){ 0 };
	memset(bitmap, 0xFF, pmm_bitmap_bytes(top << PAGE_SHIFT));

	for (size_t i = 0; i < n_usable; i++) {
		region_frames(&usable[i], &first, &end);
		bitmap_clear_range(bitmap, first, end - first);
	}
	for (size_t i = 0; i < n_exclude; i++) {
		region_frames(&exclude[i], &first, &end);
		end = MIN(end, top);
		if (first < end)
			bitmap_set_range(bitmap, first, end - first);
	}
	pmm.stats.free_pages = bitmap_count_clear(bitmap, 0, top);
	pmm.stats.total_pages = pmm.stats.free_pages;
	return pmm.stats.free_pages ? (long)pmm.stats.free_pages : -EINVAL;
}

static struct spinlock pmm_lock = SPINLOCK_INIT("pmm", LOCK_RANK_PMM);

uint64_t pmm_alloc(size_t n, size_t align)
{
	uint64_t f;

	spin_lock(&pmm_lock);
	f = bitmap_find_clear_run(pmm.bitmap, pmm.frames, n == 1 ? pmm.hint : 0,
				  n, align);
	if (f == UINT64_MAX) {
		spin_unlock(&pmm_lock);
		return 0;
	}
	bitmap_set_range(pmm.bitmap, f, n);
	pmm.stats.free_pages -= n;
	if (n == 1)
		pmm.hint = f + 1;
	spin_unlock(&pmm_lock);
	return f << PAGE_SHIFT;
}

void pmm_free(uint64_t pa, size_t n)
{
	uint64_t first = pa >> PAGE_SHIFT;

	if (!IS_ALIGNED(pa, PAGE_SIZE) || first + n > pmm.frames)
		panic("pmm_free: bad range %#llx + %zu pages",
		      (unsigned long long)pa, n);
	spin_lock(&pmm_lock);
	for (size_t i = 0; i < n; i++) {
		if (!bitmap_test(pmm.bitmap, first + i))
			panic("pmm_free: frame %#llx already free",
			      (unsigned long long)((first + i) << PAGE_SHIFT));
		bitmap_clear(pmm.bitmap, first + i);
	}
	pmm.stats.free_pages += n;
	if (first < pmm.hint)
		pmm.hint = first;
	spin_unlock(&pmm_lock);
}

int pmm_reserve(uint64_t pa, size_t n)
{
	uint64_t first = pa >> PAGE_SHIFT;
	int err = -EBUSY;

	spin_lock(&pmm_lock);
	if (IS_ALIGNED(pa, PAGE_SIZE) && first + n <= pmm.frames &&
	    bitmap_count_clear(pmm.bitmap, first, n) == n) {
		bitmap_set_range(pmm.bitmap, first, n);
		pmm.stats.free_pages -= n;
		pmm.stats.reserved_pages += n;
		err = 0;
	}
	spin_unlock(&pmm_lock);
	return err;
}

uint64_t pmm_ram_top(void)
{
	return pmm.frames << PAGE_SHIFT;
}

void pmm_get_stats(struct pmm_stats *st)
{
	spin_lock(&pmm_lock);
	*st = pmm.stats;
	spin_unlock(&pmm_lock);
}
