/* SPDX-License-Identifier: MIT */
/*
 * Boot entry. The loader (QEMU -kernel or GRUB) enters _start in 32-bit
 * protected mode with paging off, EAX = multiboot magic, EBX = physical
 * address of the multiboot info. We
 *   1. zero .bss (it holds the boot stack and the early page tables),
 *   2. check that the CPU has long mode, else report on COM1 and halt,
 *   3. identity-map the first 4 GiB with 2 MiB pages (the top GiB, where
 *      the LAPIC, IOAPIC and 32-bit PCI BARs live, uncached),
 *   4. enable PAE, long mode and paging, load a 64-bit GDT and
 *   5. jump to 64-bit code, which calls kmain(magic, info).
 * kernel/mm/paging.c replaces these tables once the memory map is known.
 */
#include "boot/multiboot.h"

#define CR0_PG (1 << 31)
#define CR0_WP (1 << 16)
#define CR4_PAE (1 << 5)
#define CR4_PGE (1 << 7)
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PWT 0x8
#define PTE_PCD 0x10
#define PTE_PS 0x80
#define BOOT_STACK_SIZE 16384
#define COM1 0x3F8

	.section .multiboot, "a"
	.align 4
multiboot_header:
	.long MULTIBOOT_HEADER_MAGIC
	.long MULTIBOOT_HEADER_FLAGS
	.long -(MULTIBOOT_HEADER_MAGIC + MULTIBOOT_HEADER_FLAGS)

	.section .boot.text, "ax"
	.code32
	.globl _start
_start:
	cli
	cld
	movl %eax, %esi			/* keep magic and info across the */
	movl %ebx, %ebp			/* bss clear (rep stos uses eax, edi) */

	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb

	movl $boot_stack_top, %esp
	movl %esi, boot_magic
	movl %ebp, boot_info

	/* Long mode present? CPUID 0x80000001 EDX bit 29. */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	testl $(1 << 29), %edx
	jz no_long_mode

	/* PML4[0] -> PDPT, PDPT[0..3] -> boot_pd[0..3]. */
	movl $boot_pdpt, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, boot_pml4
	movl $boot_pd, %edi
	movl $boot_pdpt, %ebx
	movl $4, %ecx
1:	movl %edi, %eax
	orl $(PTE_P | PTE_W), %eax
	movl %eax, (%ebx)
	addl $8, %ebx
	addl $4096, %edi
	loop 1b

	/* 2048 PD entries of 2 MiB cover 4 GiB; entries >= 1536 (3 GiB) are
	 * MMIO space on the PC and get cache-disable. */
	movl $boot_pd, %edi
	xorl %ecx, %ecx
2:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P | PTE_W | PTE_PS), %eax
	cmpl $1536, %ecx
	jb 3f
	orl $(PTE_PCD | PTE_PWT), %eax
3:	movl %eax, (%edi)
	movl $0, 4(%edi)
	addl $8, %edi
	incl %ecx
	cmpl $2048, %ecx
	jb 2b

	movl %cr4, %eax
	orl $(CR4_PAE | CR4_PGE), %eax
	movl %eax, %cr4
	movl $boot_pml4, %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $(EFER_LME | EFER_NXE), %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP), %eax
	movl %eax, %cr0

	lgdt boot_gdt_ptr
	ljmp $0x08, $long_mode_entry

no_long_mode:
	movl $no_lm_msg, %esi
4:	movb (%esi), %al
	testb %al, %al
	jz 6f
	movw $(COM1 + 5), %dx
5:	inb %dx, %al			/* bounded by the UART: THR empties */
	testb $0x20, %al
	jz 5b
	movb (%esi), %al
	movw $COM1, %dx
	outb %al, %dx
	incl %esi
	jmp 4b
6:	hlt
	jmp 6b

	.code64
long_mode_entry:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movabsq $boot_stack_top, %rsp
	xorq %rbp, %rbp			/* terminates frame-pointer backtraces */
	movl boot_magic, %edi
	movl boot_info, %esi
	call kmain
7:	cli
	hlt
	jmp 7b

	.section .rodata
no_lm_msg:
	.asciz "boot: CPU has no long mode (x86_64); halted\r\n"

	.align 16
boot_gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF	/* 0x08: 64-bit code, DPL 0 */
	.quad 0x00CF92000000FFFF	/* 0x10: data */
boot_gdt_end:
boot_gdt_ptr:
	.word boot_gdt_end - boot_gdt - 1
	.long boot_gdt

	.section .bss
	.align 4096
	.globl boot_pml4
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096
boot_pd:
	.skip 4 * 4096
	/* kmain makes the page below the stack not-present once its own page
	 * tables are up, so an overflow faults instead of corrupting .bss. */
	.align 4096
	.globl boot_stack_guard, boot_stack_bottom, boot_stack_top
boot_stack_guard:
	.skip 4096
boot_stack_bottom:
	.skip BOOT_STACK_SIZE
boot_stack_top:
	.align 4
boot_magic:
	.skip 4
boot_info:
	.skip 4
