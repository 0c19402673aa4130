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
#include "kernel/arch/acpi.h"
#include "kernel/arch/rtc.h"
#include "kernel/arch/smp.h"
#include "kernel/arch/time.h"
#include "kernel/arch/trap.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/console.h"
#include "kernel/core/initcall.h"
#include "kernel/core/panic.h"
#include "kernel/core/printk.h"
#include "kernel/cpu/cpu.h"
#include "kernel/io/iobuf.h"
#include "kernel/io/sealguard.h"
#include "kernel/io/sfbuf.h"
#include "kernel/io/sfbuf_selftest.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/memmap.h"
#include "kernel/mm/memplan.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/paging.h"
#include "kernel/mm/pmm.h"
#include "kernel/param.h"
#include "kernel/sched/irq.h"
#include "kernel/sched/mainloop.h"
#include "kernel/sched/profile.h"
#include "kernel/sched/timer.h"
#include "kernel/sched/timer_selftest.h"
#include "kernel/virtio/pci.h"
#include "kernel/virtio/virtio_pci.h"

extern const struct kparam __kparam_start[], __kparam_end[];
extern char boot_stack_guard[]; /* boot/entry.S: page below the stack */

static char boot_cmdline[CMDLINE_MAX];

static const char *const mapping_names[] = { "sfbuf", "naive", "direct", NULL };
static int mapping = SFBUF_MODE_SFBUF;
KPARAM_ENUM(mapping, mapping, mapping_names,
	    "CPU access to pool pages: sfbuf|naive|direct");

static uint64_t sfbuf_slots; /* 0: the memory plan's window */
KPARAM_UINT(sfbuf_slots, sfbuf_slots, 0, KVA_WINDOW_SIZE / PAGE_SIZE,
	    "mapping window for mapping=sfbuf|naive, in pages (0: sized)");

static uint64_t pool_mb; /* 0: half of the memory free at boot */
KPARAM_UINT(pool_mb, pool_mb, 0, 1u << 20,
	    "buffer pool size in MiB (0: half of free memory)");

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

/* An overflow of the boot stack now faults (and is reported from the #DF
 * IST stack) instead of overwriting whatever lies below it. */
static void guard_boot_stack(void)
{
	int err = paging_set_guard((uintptr_t)boot_stack_guard, true);

	if (err)
		pr_warn("no guard page below the boot stack: %s", errname(err));
}

static int sfbuf_pt_map(uintptr_t va, uint64_t pa, bool writable)
{
	return paging_map(va, pa, (writable ? PTE_WRITE : 0) | PTE_NX);
}

/* cpu_self() is an inline %gs load; sfbuf takes it by pointer so its
 * host tests can play several CPUs. */
static unsigned sfbuf_cpu_self(void)
{
	return cpu_self();
}

static const struct sfbuf_pt_ops sfbuf_pt = {
	.map = sfbuf_pt_map,
	.unmap = paging_unmap,
	.invalidate = paging_invalidate,
	.protect = paging_set_writable,
	.shootdown = tlb_shootdown,
	.cpu_self = sfbuf_cpu_self,
	.cpu_count = cpu_count,
};

/* mapping=sfbuf|naive take the pool out of the permanent map, so every
 * CPU access must go through an ephemeral mapping in a window of `slots`
 * pages (the plan's, or sfbuf_slots=); direct leaves it. A window smaller
 * than the pool recycles idle mappings; when every slot is busy,
 * long-held mappings wait (short ones keep a reserve). */
static void setup_pool_mapping(uint64_t pages, uint64_t slots)
{
	uint64_t base = iobuf_pool_base();
	int err = 0;

	if (sfbuf_slots)
		slots = MAX(sfbuf_slots, 4 * (uint64_t)SFBUF_SHORT_RESERVE);
	slots = MIN(slots, KVA_WINDOW_SIZE / PAGE_SIZE);
	if (mapping != SFBUF_MODE_DIRECT)
		err = paging_unmap_identity(base, pages << PAGE_SHIFT);
	if (!err)
		err = sfbuf_init(mapping, base, pages, KVA_WINDOW_BASE, slots,
				 &sfbuf_pt);
	if (err)
		panic("kmain: no mappings for the pool: %s", errname(err));
}

/* The memory plan (kernel/mm/memplan.h) for what is free now, with the
 * pool from pool_mb= if that fits; below the floor, say so and stop. */
static struct memplan make_plan(uint64_t ram_bytes)
{
	struct pmm_stats st;
	struct memplan plan;
	uint64_t want = pool_mb << (20 - PAGE_SHIFT);

	pmm_get_stats(&st);
	if (want && want + MEMPLAN_FLOOR_PAGES / 2 > st.free_pages) {
		pr_warn("pool_mb=%llu does not fit in %llu free MiB; using half",
			(unsigned long long)pool_mb,
			(unsigned long long)(st.free_pages >>
					     (20 - PAGE_SHIFT)));
		want = 0;
	}
	if (!memplan_make(st.free_pages, want, &plan))
		refuse_to_run("too little memory: %llu KiB usable, %llu KiB "
			      "free after the kernel; petrel needs %u MiB of "
			      "RAM or more",
			      (unsigned long long)(ram_bytes >> 10),
			      (unsigned long long)(st.free_pages
						   << (PAGE_SHIFT - 10)),
			      MEM_MIN_MIB);
	return plan;
}

/* The IO-Lite pool: file pages, network buffers; then the one boot line
 * that says how the memory was shared out. */
static void setup_memory_plan(uint64_t ram_bytes)
{
	struct memplan plan = make_plan(ram_bytes);
	struct sfbuf_stats sf;
	int err;

	err = iobuf_pool_init(plan.pool_pages);
	if (err)
		panic("kmain: no buffer pool of %llu pages: %s",
		      (unsigned long long)plan.pool_pages, errname(err));
	memplan_set(&plan);
	setup_pool_mapping(plan.pool_pages, plan.map_slots);
	sfbuf_get_stats(&sf);
	pr_info("memory plan: %llu KiB free: pool %llu KiB (mapping=%s, "
		"%llu slots), RX %u pages (%u posted), lwIP %llu KiB, "
		"conn_max %u, heap the rest",
		(unsigned long long)(plan.free_pages << (PAGE_SHIFT - 10)),
		(unsigned long long)(plan.pool_pages << (PAGE_SHIFT - 10)),
		mapping_names[mapping], (unsigned long long)sf.slots,
		plan.rx_bufs, plan.rx_ring,
		(unsigned long long)(plan.lwip_bytes >> 10), plan.conn_max);
}

/* Entered from boot/entry.S in long mode on the boot stack. */
void kmain(uint32_t magic, uint32_t info_phys);
void kmain(uint32_t magic, uint32_t info_phys)
{
	const struct multiboot_info *mbi =
		(const struct multiboot_info *)(uintptr_t)info_phys;
	uint64_t boot_tsc = rdtsc(); /* time 0 of the monotonic clock */

	smp_bsp_init(); /* GS: cpu_self() and the lock checker work from here */
	console_init();
	if (magic != MULTIBOOT_BOOTLOADER_MAGIC)
		panic("kmain: not started by a multiboot loader (magic %#x)",
		      magic);
	save_cmdline(mbi);
	pr_info("%s %s, command line '%s'", KERNEL_NAME, KERNEL_VERSION,
		boot_cmdline);
	parse_options();
	time_init(boot_tsc); /* TSC calibration; timestamps from here on */
	rtc_init();
	trap_init();

	/* Memory: frames from the loader's map, then our own page tables. */
	const struct pmm_region *ram;
	size_t n_ram;
	uint64_t ram_bytes = memmap_init(mbi);

	ram = memmap_ram_regions(&n_ram);
	paging_init(ram, n_ram);
	guard_boot_stack();
	trap_selftest();
	setup_memory_plan(ram_bytes);
	sealguard_init(); /* sealed pool pages are read-only from here */

	/* Interrupts, timers, threads (kernel/sched/irq.h, timer.h, thread.h);
	 * trap_init has already remapped and masked the 8259 pair. */
	acpi_init();
	if (irq_init() != 0)
		panic("kmain: no usable local APIC / IOAPIC");
	if (timer_init() != 0)
		panic("kmain: no LAPIC timer");
	timer_selftest_start();
	smp_boot_aps();
	smp_selftest();
	sfbuf_selftest(); /* mapping=sfbuf shootdowns across the CPUs */
	profile_init(); /* profile=: a ring per CPU online */

	/* Devices: BARs are mapped with paging_map_mmio. */
	pci_init();
	vpci_probe_all();
	initcalls_run(); /* fs, net, app, self-tests */

	pr_info("ready in %lu us, %llu MiB usable, %zu PCI functions",
		(unsigned long)time_us(), (unsigned long long)(ram_bytes >> 20),
		pci_count());
	smp_start_aps(mainloop_run); /* every AP runs its own main loop */
	mainloop_run();
}
