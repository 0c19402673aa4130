// SPDX-License-Identifier: MIT
/*
 * Physical frame allocator (interface in pmm.h): one bit per 4 KiB frame
 * below the top of RAM, 1 = in use. Holes in the memory map, the first
 * MiB, the kernel and the loader's data start out used and stay so.
 * Searches are first-fit from a hint that trails the last single-page
 * allocation, which keeps early allocations (page tables, the heap) low
 * and thus inside the boot identity map of the first 4 GiB.
 */
#define PR_PREFIX "pmm: "
#include "kernel/pmm.h"

#include <stdbool.h>

#include "kernel/compiler.h"
#include "kernel/errno.h"
#include "kernel/lib/string.h"
#include "kernel/panic.h"
#include "kernel/param.h"
#include "kernel/printk.h"

#define BITS_PER_WORD 64

static struct {
	uint64_t *bitmap; /* [m] */
	uint64_t frames; /* [I] frames covered by the bitmap */
	uint64_t hint; /* [m] first frame worth searching from */
	struct pmm_stats stats; /* [m] */
} pmm;

static bool frame_used(uint64_t f)
{
	return pmm.bitmap[f / BITS_PER_WORD] & (1ull << (f % BITS_PER_WORD));
}

static void set_used(uint64_t f)
{
	pmm.bitmap[f / BITS_PER_WORD] |= 1ull << (f % BITS_PER_WORD);
}

static void set_free(uint64_t f)
{
	pmm.bitmap[f / BITS_PER_WORD] &= ~(1ull << (f % BITS_PER_WORD));
}

size_t pmm_bitmap_bytes(uint64_t ram_top)
{
	uint64_t frames = ram_top >> PAGE_SHIFT;

	return (size_t)DIV_ROUND_UP(frames, BITS_PER_WORD) * 8;
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
		for (uint64_t f = first; f < end; f++)
			set_free(f);
	}
	for (size_t i = 0; i < n_exclude; i++) {
		region_frames(&exclude[i], &first, &end);
		for (uint64_t f = first; f < end && f < top; f++)
			set_used(f);
	}
	for (uint64_t f = 0; f < top; f++)
		if (!frame_used(f))
			pmm.stats.free_pages++;
	pmm.stats.total_pages = pmm.stats.free_pages;
	return pmm.stats.free_pages ? (long)pmm.stats.free_pages : -EINVAL;
}

/* Length of the free run starting at f, capped at n. */
static size_t free_run(uint64_t f, size_t n)
{
	size_t len = 0;

	while (len < n && f + len < pmm.frames && !frame_used(f + len))
		len++;
	return len;
}

uint64_t pmm_alloc(size_t n, size_t align)
{
	uint64_t f;

	if (n == 0 || align == 0 || (align & (align - 1)))
		return 0;
	f = ALIGN_UP(n == 1 ? pmm.hint : 0, (uint64_t)align);
	while (f + n <= pmm.frames) {
		/* Skip full words quickly: most of a busy bitmap is used. */
		if (f % BITS_PER_WORD == 0 &&
		    pmm.bitmap[f / BITS_PER_WORD] == ~0ull) {
			f = ALIGN_UP(f + BITS_PER_WORD, (uint64_t)align);
			continue;
		}
		size_t run = free_run(f, n);

		if (run == n) {
			for (size_t i = 0; i < n; i++)
				set_used(f + i);
			pmm.stats.free_pages -= n;
			if (n == 1)
				pmm.hint = f + 1;
			return f << PAGE_SHIFT;
		}
		f = ALIGN_UP(f + run + 1, (uint64_t)align);
	}
	return 0;
}

void pmm_free(uint64_t pa, size_t n)
{
	uint64_t first = pa >> PAGE_SHIFT;

	if (!IS_ALIGNED(pa, PAGE_SIZE) || first + n > pmm.frames)
		panic("pmm_free: bad range %#llx + %zu pages",
		      (unsigned long long)pa, n);
	for (size_t i = 0; i < n; i++) {
		if (!frame_used(first + i))
			panic("pmm_free: frame %#llx already free",
			      (unsigned long long)((first + i) << PAGE_SHIFT));
		set_free(first + i);
	}
	pmm.stats.free_pages += n;
	if (first < pmm.hint)
		pmm.hint = first;
}

int pmm_reserve(uint64_t pa, size_t n)
{
	uint64_t first = pa >> PAGE_SHIFT;

	if (!IS_ALIGNED(pa, PAGE_SIZE) || first + n > pmm.frames ||
	    free_run(first, n) != n)
		return -EBUSY;
	for (size_t i = 0; i < n; i++)
		set_used(first + i);
	pmm.stats.free_pages -= n;
	pmm.stats.reserved_pages += n;
	return 0;
}

uint64_t pmm_ram_top(void)
{
	return pmm.frames << PAGE_SHIFT;
}

void pmm_get_stats(struct pmm_stats *st)
{
	*st = pmm.stats;
}
