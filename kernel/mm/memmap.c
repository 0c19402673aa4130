// SPDX-License-Identifier: MIT
/*
 * Multiboot memory map -> pmm_init (interface in memmap.h). The map is
 * loader-provided and may have overlapping, unaligned or zero-length
 * entries; each is clamped to whole pages and capped at MEMMAP_MAX
 * entries. The frame bitmap is placed in the first usable run below
 * 4 GiB (still covered by the boot identity map) that avoids every
 * excluded range.
 */
#define PR_PREFIX "mem: "
#include "kernel/mm/memmap.h"

#include <stdbool.h>

#include "boot/multiboot.h"
#include "kernel/core/panic.h"
#include "kernel/core/printk.h"
#include "kernel/lib/compiler.h"
#include "kernel/mm/pmm.h"
#include "kernel/param.h"

#define LOW_MEMORY_END (1ull << 20) /* BIOS data, EBDA, ROMs */
#define BOOT_MAP_LIMIT (4ull << 30) /* what boot/entry.S maps */
#define EXCLUDE_MAX (8 + 2 * MEMMAP_MAX)

extern char __kernel_start[], __kernel_end[];

#define MULTIBOOT_MEMORY_ACPI_RECLAIMABLE 3
#define MULTIBOOT_MEMORY_NVS 4

static struct pmm_region usable[MEMMAP_MAX];
static struct pmm_region ram[MEMMAP_MAX];
static struct pmm_region exclude[EXCLUDE_MAX];
static size_t n_usable, n_ram, n_exclude;

static bool is_ram(uint32_t type)
{
	return type == MULTIBOOT_MEMORY_AVAILABLE ||
	       type == MULTIBOOT_MEMORY_ACPI_RECLAIMABLE ||
	       type == MULTIBOOT_MEMORY_NVS;
}

/* Append [first, last) to list unless full; false when full. */
static bool add_region(struct pmm_region *list, size_t *n, uint64_t first,
		       uint64_t last)
{
	if (last <= first)
		return true;
	if (*n == MEMMAP_MAX)
		return false;
	list[(*n)++] =
		(struct pmm_region){ .base = first,
				     .pages = (last - first) >> PAGE_SHIFT };
	return true;
}

static void add_exclude(uint64_t base, uint64_t len)
{
	uint64_t first = ALIGN_DOWN(base, PAGE_SIZE);
	uint64_t end = ALIGN_UP(base + len, PAGE_SIZE);

	if (len == 0 || n_exclude == EXCLUDE_MAX)
		return;
	exclude[n_exclude++] =
		(struct pmm_region){ .base = first,
				     .pages = (end - first) >> PAGE_SHIFT };
}

static void read_map(const struct multiboot_info *mbi)
{
	uintptr_t p = mbi->mmap_addr, end = p + mbi->mmap_length;

	while (p + sizeof(struct multiboot_mmap_entry) <= end) {
		const struct multiboot_mmap_entry *e = (const void *)p;
		uint64_t first = ALIGN_UP(e->addr, PAGE_SIZE);
		uint64_t last = ALIGN_DOWN(e->addr + e->len, PAGE_SIZE);

		if (e->size < sizeof(*e) - sizeof(e->size))
			break; /* malformed: would not advance sanely */
		pr_debug("map %#llx-%#llx type %u", (unsigned long long)e->addr,
			 (unsigned long long)(e->addr + e->len), e->type);
		if (e->len > UINT64_MAX - e->addr) {
			pr_warn("map entry %#llx+%#llx wraps, ignored",
				(unsigned long long)e->addr,
				(unsigned long long)e->len);
		} else if ((is_ram(e->type) &&
			    !add_region(ram, &n_ram, first, last)) ||
			   (e->type == MULTIBOOT_MEMORY_AVAILABLE &&
			    !add_region(usable, &n_usable, first, last))) {
			pr_warn("more than %d regions, rest ignored",
				MEMMAP_MAX);
			break;
		}
		p += e->size + sizeof(e->size);
	}
}

static void exclude_loader_data(const struct multiboot_info *mbi)
{
	add_exclude(0, LOW_MEMORY_END);
	add_exclude((uintptr_t)__kernel_start,
		    (uintptr_t)__kernel_end - (uintptr_t)__kernel_start);
	add_exclude((uintptr_t)mbi, sizeof(*mbi));
	add_exclude(mbi->mmap_addr, mbi->mmap_length);
	if (mbi->flags & MULTIBOOT_INFO_MODS) {
		const struct multiboot_module *m =
			(const void *)(uintptr_t)mbi->mods_addr;

		add_exclude(mbi->mods_addr, mbi->mods_count * sizeof(*m));
		for (uint32_t i = 0; i < mbi->mods_count && i < MEMMAP_MAX; i++)
			add_exclude(m[i].mod_start,
				    m[i].mod_end - m[i].mod_start);
	}
}

static bool overlaps_exclude(uint64_t base, uint64_t len)
{
	for (size_t i = 0; i < n_exclude; i++) {
		uint64_t eb = exclude[i].base;
		uint64_t ee = eb + (exclude[i].pages << PAGE_SHIFT);

		if (base < ee && eb < base + len)
			return true;
	}
	return false;
}

/* First page-aligned spot of `bytes` in usable RAM below 4 GiB that
 * overlaps nothing excluded; 0 if none. */
static uint64_t place_bitmap(uint64_t bytes)
{
	uint64_t len = ALIGN_UP(bytes, PAGE_SIZE);

	for (size_t i = 0; i < n_usable; i++) {
		uint64_t end = usable[i].base + (usable[i].pages << PAGE_SHIFT);

		for (uint64_t b = usable[i].base;
		     b + len <= end && b + len <= BOOT_MAP_LIMIT;
		     b += PAGE_SIZE)
			if (!overlaps_exclude(b, len))
				return b;
	}
	return 0;
}

uint64_t memmap_init(const struct multiboot_info *mbi)
{
	uint64_t top = 0, bitmap;
	size_t bytes;
	long free;

	if (!(mbi->flags & MULTIBOOT_INFO_MEM_MAP))
		panic("memmap_init: the loader passed no memory map");
	read_map(mbi);
	exclude_loader_data(mbi);
	for (size_t i = 0; i < n_usable; i++)
		top = MAX(top,
			  usable[i].base + (usable[i].pages << PAGE_SHIFT));
	bytes = pmm_bitmap_bytes(top);
	bitmap = place_bitmap(bytes);
	if (!bitmap)
		refuse_to_run("too little memory: no room for a %zu-byte frame "
			      "bitmap beside the kernel; petrel needs %u MiB "
			      "of RAM or more",
			      bytes, MEM_MIN_MIB);
	add_exclude(bitmap, bytes);
	free = pmm_init(usable, n_usable, exclude, n_exclude,
			(void *)(uintptr_t)bitmap);
	if (free < 0)
		refuse_to_run("no usable memory beside the kernel; petrel "
			      "needs %u MiB of RAM or more",
			      MEM_MIN_MIB);
	pr_info("%llu MiB usable in %zu regions, top %#llx, %ld pages free",
		(unsigned long long)((uint64_t)free << PAGE_SHIFT >> 20),
		n_usable, (unsigned long long)top, free);
	return (uint64_t)free << PAGE_SHIFT;
}

const struct pmm_region *memmap_ram_regions(size_t *n)
{
	*n = n_ram;
	return ram;
}
