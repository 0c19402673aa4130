/* SPDX-License-Identifier: MIT */
/*
 * The boot memory map: turns the loader's multiboot map into frame
 * allocator regions, keeping out what must survive (first MiB, kernel
 * image, loader structures and modules).
 */
#ifndef KERNEL_MM_MEMMAP_H
#define KERNEL_MM_MEMMAP_H

#include <stddef.h>
#include <stdint.h>

struct multiboot_info;
struct pmm_region;

/* Initialise the frame allocator from the multiboot map. Panics when the
 * loader passed no usable map. Returns usable RAM in bytes. */
uint64_t memmap_init(const struct multiboot_info *mbi);

/* Memory the kernel identity-maps: usable RAM and the ACPI tables. */
const struct pmm_region *memmap_ram_regions(size_t *n);

#endif
