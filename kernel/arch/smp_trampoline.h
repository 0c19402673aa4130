/* SPDX-License-Identifier: MIT */
/*
 * Layout shared by the AP start code (kernel/arch/smp_trampoline.S) and
 * kernel/arch/smp.c, which copies it to SMP_TRAMPOLINE_PHYS and fills in
 * the parameter block before each STARTUP IPI.
 */
#ifndef KERNEL_ARCH_SMP_TRAMPOLINE_H
#define KERNEL_ARCH_SMP_TRAMPOLINE_H

#define SMP_TRAMPOLINE_PHYS 0x8000 /* == MM_TRAMPOLINE_PHYS (smp.c checks) */
#define SMP_TRAMPOLINE_MAX 4096 /* the code and its parameters: one page */

#ifndef __ASSEMBLER__
#include <stdint.h>

/* The parameter block at smp_trampoline_params, all quadwords. */
struct smp_boot_params {
	uint64_t cr0; /* the boot CPU's: PE and PG set at once */
	uint64_t cr3; /* kernel page tables, below 4 GiB */
	uint64_t cr4;
	uint64_t efer; /* LME, NXE as on the boot CPU */
	uint64_t stack_top; /* 16-byte aligned */
	uint64_t entry; /* void entry(unsigned cpu), never returns */
	uint64_t cpu; /* the AP's index */
};

extern const char smp_trampoline_start[], smp_trampoline_end[];
extern const char smp_trampoline_params[];
#endif

#endif
