// SPDX-License-Identifier: MIT
/*
 * kmain: the boot sequence, in dependency order. Each step either works
 * or reports why it did not; only a broken environment (wrong loader, no
 * memory) panics. The last boot line is the "ready" report the tests and
 * users look for.
 */
#define PR_PREFIX "boot: "
#include <stdint.h>

#include "boot/multiboot.h"
#include "kernel/cmdline.h"
#include "kernel/console.h"
#include "kernel/cpu.h"
#include "kernel/heap.h"
#include "kernel/lib/string.h"
#include "kernel/memmap.h"
#include "kernel/paging.h"
#include "kernel/panic.h"
#include "kernel/param.h"
#include "kernel/printk.h"

extern const struct kparam __kparam_start[], __kparam_end[];

static char boot_cmdline[CMDLINE_MAX];

/* The loader's command line lives in memory the frame allocator will
 * reuse, so keep a copy. */
static void save_cmdline(const struct multiboot_info *mbi)
{
	const char *src;

	if (!(mbi->flags & MULTIBOOT_INFO_CMDLINE))
		return;
	src = (const char *)(uintptr_t)mbi->cmdline;
	if (strnlen(src, sizeof(boot_cmdline)) == sizeof(boot_cmdline))
		pr_warn("command line longer than %zu bytes, truncated",
			sizeof(boot_cmdline) - 1);
	strlcpy(boot_cmdline, src, sizeof(boot_cmdline));
}

static void parse_options(void)
{
	static char config[CMDLINE_MAX];
	size_t n = ((uintptr_t)__kparam_end - (uintptr_t)__kparam_start) /
		   sizeof(struct kparam);

	cmdline_parse(boot_cmdline, __kparam_start, n);
	cmdline_format(config, sizeof(config), __kparam_start, n);
	pr_info("config: %s", config);
}

/* Entered from boot/entry.S in long mode on the boot stack. */
void kmain(uint32_t magic, uint32_t info_phys);
void kmain(uint32_t magic, uint32_t info_phys)
{
	const struct multiboot_info *mbi =
		(const struct multiboot_info *)(uintptr_t)info_phys;

	console_init();
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
		panic("kmain: not started by a multiboot loader (magic %#x)",
		      magic);
	save_cmdline(mbi);
	pr_info("%s %s, command line '%s'", KERNEL_NAME, KERNEL_VERSION,
		boot_cmdline);
	parse_options();

	/* Memory: frames from the loader's map, then our own page tables. */
	const struct pmm_region *ram;
	size_t n_ram;

	memmap_init(mbi);
	ram = memmap_ram_regions(&n_ram);
	paging_init(ram, n_ram);

	pr_info("ready");
	for (;;)
		cpu_idle();
}
