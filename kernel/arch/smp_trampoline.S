/* SPDX-License-Identifier: MIT */
/*
 * AP start code. kernel/arch/smp.c copies smp_trampoline_start ..
 * smp_trampoline_end to SMP_TRAMPOLINE_PHYS and sends a STARTUP IPI
 * naming that page: the AP begins here in real mode at CS:IP =
 * (SMP_TRAMPOLINE_PHYS >> 4):0. It goes straight to long mode (Intel SDM
 * vol. 3A 9.8.5, with PE and PG set in one CR0 write) on the kernel's own
 * page tables, which identity-map this page executable, then jumps to
 * the C entry with its own stack. Addresses are computed for the copy
 * (ADDR), never for the link address; only the parameter block
 * (struct smp_boot_params) changes between APs.
 */
#include "kernel/arch/smp_trampoline.h"

#define MSR_EFER 0xC0000080
#define SEL_CODE64 0x08 /* same selectors as kernel/arch/gdt.h */
#define SEL_DATA 0x10
#define ADDR(sym) ((sym) - smp_trampoline_start + SMP_TRAMPOLINE_PHYS)

	.section .rodata
	.p2align 12
	.globl smp_trampoline_start
smp_trampoline_start:
	.code16
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds			/* ADDR() is an offset from 0 */
	lgdtl ADDR(tramp_gdt_ptr)
	movl ADDR(p_cr4), %eax		/* PAE (and PGE) before paging */
	movl %eax, %cr4
	movl ADDR(p_cr3), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx		/* LME: paging on means long mode */
	movl ADDR(p_efer), %eax
	xorl %edx, %edx
	wrmsr
	movl ADDR(p_cr0), %eax		/* PE | PG: long mode, compat code */
	movl %eax, %cr0
	ljmpl $SEL_CODE64, $ADDR(tramp_long)

	.code64
tramp_long:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movq ADDR(p_stack), %rsp
	movl ADDR(p_cpu), %edi		/* entry(cpu) */
	movq ADDR(p_entry), %rax
	xorl %ebp, %ebp			/* ends the backtrace's frame chain */
	pushq $0			/* a return address, as after a call */
	jmp *%rax

	.p2align 3
tramp_gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF	/* 64-bit code, as GDT_CODE64 */
	.quad 0x00CF92000000FFFF	/* data, as GDT_DATA */
tramp_gdt_ptr:
	.word 3 * 8 - 1
	.long ADDR(tramp_gdt)

	.p2align 3
	.globl smp_trampoline_params
smp_trampoline_params:			/* struct smp_boot_params */
p_cr0:	.quad 0
p_cr3:	.quad 0
p_cr4:	.quad 0
p_efer:	.quad 0
p_stack: .quad 0
p_entry: .quad 0
p_cpu:	.quad 0
	.globl smp_trampoline_end
smp_trampoline_end:
