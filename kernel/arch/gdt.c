// SPDX-License-Identifier: MIT
/*
 * GDT and TSS (interface in gdt.h). Built once by gdt_init() on the boot
 * CPU and never changed afterwards. The code and data selectors are the
 * ones boot/entry.S loaded, so the switch from the boot GDT is seamless;
 * the TSS supplies the IST stacks the IDT gates of #DF, NMI and #MC
 * name (kernel/arch/trap.c). Descriptor formats: Intel SDM vol. 3A, 3.4.5 and
 * 8.2.3.
 */
#include "kernel/arch/gdt.h"

#include "kernel/cpu/cpu.h"
#include "kernel/cpu/percpu.h"
#include "kernel/param.h"

/* Segment descriptor bits. */
#define SEG_LIMIT_LOW 0xFFFFull /* limit 15:0 (ignored in 64-bit mode) */
#define SEG_LIMIT_HIGH (0xFull << 48)
#define SEG_TYPE_CODE_XR (0xAull << 40) /* execute/read */
#define SEG_TYPE_DATA_RW (0x2ull << 40) /* read/write */
#define SEG_TYPE_TSS64 (0x9ull << 40) /* available 64-bit TSS */
#define SEG_S (1ull << 44) /* code or data, not system */
#define SEG_P (1ull << 47) /* present */
#define SEG_L (1ull << 53) /* 64-bit code */
#define SEG_DB (1ull << 54) /* 32-bit default size (data) */
#define SEG_G (1ull << 55) /* 4 KiB granularity */

#define GDT_CODE64                                                           \
	(SEG_LIMIT_LOW | SEG_LIMIT_HIGH | SEG_TYPE_CODE_XR | SEG_S | SEG_P | \
	 SEG_L | SEG_G)
#define GDT_DATA                                                             \
	(SEG_LIMIT_LOW | SEG_LIMIT_HIGH | SEG_TYPE_DATA_RW | SEG_S | SEG_P | \
	 SEG_DB | SEG_G)

/* The boot GDT in boot/entry.S holds the same two descriptors. */
STATIC_ASSERT(GDT_CODE64 == 0x00AF9A000000FFFFull);
STATIC_ASSERT(GDT_DATA == 0x00CF92000000FFFFull);

struct gdt_ptr {
	uint16_t limit;
	uint64_t base;
} __packed;

struct cpu_tables {
	uint64_t gdt[GDT_ENTRIES];
	struct tss tss;
} __aligned(64);

static struct cpu_tables tables[CPU_MAX];
static uint8_t boot_ist_stacks[IST_USED][TRAP_IST_STACK_SIZE] __aligned(16);

/* Low and high quadwords of the 16-byte TSS descriptor. */
static void set_tss_descriptor(uint64_t *desc, uint64_t base, uint32_t limit)
{
	desc[0] = (limit & 0xFFFFull) | ((base & 0xFFFFFFull) << 16) |
		  SEG_TYPE_TSS64 | SEG_P | ((uint64_t)(limit >> 16) << 48) |
		  ((base >> 24) & 0xFFull) << 56;
	desc[1] = base >> 32;
}

/* Reload CS with a far return (there is no far jmp to an immediate in
 * 64-bit mode), then the data segment registers. */
static void load_gdt(const uint64_t *gdt)
{
	struct gdt_ptr ptr = { GDT_ENTRIES * sizeof(uint64_t) - 1,
			       (uint64_t)(uintptr_t)gdt };

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "movw %w2, %%ds\n\t"
			 "movw %w2, %%es\n\t"
			 "movw %w2, %%ss\n\t"
			 "movw %w3, %%fs\n\t"
			 "movw %w3, %%gs"
			 :
			 : "m"(ptr), "i"(GDT_KERNEL_CODE), "r"(GDT_KERNEL_DATA),
			   "r"(0)
			 : "rax", "memory");
}

void gdt_init_cpu(unsigned cpu, uint8_t *ist_stacks)
{
	struct cpu_tables *t = &tables[cpu];
	uint64_t gs_base;

	t->gdt[0] = 0;
	t->gdt[GDT_KERNEL_CODE / 8] = GDT_CODE64;
	t->gdt[GDT_KERNEL_DATA / 8] = GDT_DATA;
	set_tss_descriptor(&t->gdt[GDT_TSS / 8], (uint64_t)(uintptr_t)&t->tss,
			   sizeof(t->tss) - 1);

	/* Stacks grow down: each IST entry is the top of its stack. */
	for (int i = 0; i < IST_USED; i++)
		t->tss.ist[i] =
			(uint64_t)(uintptr_t)(ist_stacks +
					      (i + 1) * TRAP_IST_STACK_SIZE);
	t->tss.iomap_base = sizeof(t->tss);

	/* Loading the null selector into GS clears its base on Intel and
	 * in QEMU: keep this CPU's per-CPU anchor (kernel/cpu/percpu.h). */
	gs_base = rdmsr(MSR_GS_BASE);
	load_gdt(t->gdt);
	wrmsr(MSR_GS_BASE, gs_base);
	__asm__ volatile("ltr %w0" : : "r"(GDT_TSS) : "memory");
}

void gdt_init(void)
{
	gdt_init_cpu(0, &boot_ist_stacks[0][0]);
}
