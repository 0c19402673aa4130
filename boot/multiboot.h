/* SPDX-License-Identifier: MIT */
/*
 * Multiboot 1 information structure, as handed over by QEMU -kernel and
 * GRUB (Multiboot Specification 0.6.96, section 3.3). Only the fields the
 * kernel reads are named; the layout is checked below.
 */
#ifndef BOOT_MULTIBOOT_H
#define BOOT_MULTIBOOT_H

#define MULTIBOOT_HEADER_MAGIC 0x1BADB002
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002

/* Header flags: page-align modules, ask for the memory map. */
#define MULTIBOOT_HEADER_FLAGS 0x00000003

/* multiboot_info.flags bits */
#define MULTIBOOT_INFO_MEMORY (1u << 0)
#define MULTIBOOT_INFO_CMDLINE (1u << 2)
#define MULTIBOOT_INFO_MODS (1u << 3)
#define MULTIBOOT_INFO_MEM_MAP (1u << 6)
#define MULTIBOOT_INFO_BOOT_LOADER_NAME (1u << 9)

#define MULTIBOOT_MEMORY_AVAILABLE 1

#ifndef __ASSEMBLER__
#include <stdint.h>

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower;
	uint32_t mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count;
	uint32_t mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length;
	uint32_t mmap_addr;
	uint32_t drives_length;
	uint32_t drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
} __attribute__((packed));

/* One memory map entry; `size` does not count itself. */
struct multiboot_mmap_entry {
	uint32_t size;
	uint64_t addr;
	uint64_t len;
	uint32_t type;
} __attribute__((packed));

struct multiboot_module {
	uint32_t mod_start;
	uint32_t mod_end;
	uint32_t string;
	uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct multiboot_info) == 68, "multiboot_info layout");
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "mmap entry layout");
#endif

#endif
