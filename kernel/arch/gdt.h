/* SPDX-License-Identifier: MIT */
/*
 * The kernel's GDT and TSS, one pair per CPU (a TSS is busy once loaded,
 * and each CPU needs its own IST stacks). Ring 0 only: a 64-bit code segment, a data
 * segment (the selectors boot/entry.S already uses) and a 64-bit TSS
 * whose only job is the interrupt stack table: #DF, NMI and #MC switch to
 * their own stacks, so a fault on a broken stack can still be reported.
 */
#ifndef KERNEL_ARCH_GDT_H
#define KERNEL_ARCH_GDT_H

#include <stdint.h>

#include "kernel/lib/compiler.h"

#define GDT_KERNEL_CODE 0x08
#define GDT_KERNEL_DATA 0x10
#define GDT_TSS 0x18 /* 16-byte descriptor: entries 3 and 4 */
#define GDT_ENTRIES 5

/* IST slots (1..7; 0 in a gate means "no stack switch"). */
#define IST_DOUBLE_FAULT 1
#define IST_NMI 2
#define IST_MACHINE_CHECK 3
#define IST_USED 3

/* 64-bit task-state segment (Intel SDM vol. 3A, 8.7). */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3]; /* stacks for privilege changes: unused, ring 0 */
	uint64_t reserved1;
	uint64_t ist[7]; /* ist[n - 1] is IST slot n */
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base; /* >= limit: no I/O permission bitmap */
} __packed;
STATIC_ASSERT(sizeof(struct tss) == 104);

/* Load the GDT, reload every segment register and load the TSS: the boot
 * CPU's, with static IST stacks. */
void gdt_init(void);

/* The same for AP `cpu` (1..CPU_MAX-1): its own GDT and TSS, whose IST
 * stacks are the IST_USED stacks of TRAP_IST_STACK_SIZE bytes at
 * `ist_stacks` (the caller allocates them). */
void gdt_init_cpu(unsigned cpu, uint8_t *ist_stacks);

#endif
