/* SPDX-License-Identifier: MIT */
/*
 * CPU traps: GDT (with a TSS whose IST stacks catch double faults and NMIs
 * on a known-good stack), IDT with a stub for every vector, and dispatch.
 * Vectors 0-31 are exceptions: an unhandled one prints the vector, error
 * code, registers and a backtrace and ends the VM with a failure status.
 * Vectors 32-255 go to the handler installed with trap_set_handler();
 * kernel/sched/irq.c owns their allocation and the controllers' EOI.
 *
 * Every gate is an interrupt gate: handlers run with interrupts off, on
 * the interrupted stack (on an IST stack for #DF, NMI and #MC). The entry
 * code links a frame record {interrupted rbp, interrupted rip} below the
 * trap frame, so a backtrace taken inside a handler walks on into the
 * interrupted code.
 */
#ifndef KERNEL_ARCH_TRAP_H
#define KERNEL_ARCH_TRAP_H

#define TRAP_VECTORS 256
#define TRAP_FIRST_IRQ 32 /* 0..31 are CPU exceptions */

/* Entry stubs: one per vector, each in a slot of this many bytes at
 * trap_stubs + vector * TRAP_STUB_SIZE (kernel/arch/trap_entry.S). */
#define TRAP_STUB_SIZE 16

/* struct trap_frame offsets used by kernel/arch/trap_entry.S; trap.c checks
 * them against the struct. */
#define TRAP_FRAME_RBP 64
#define TRAP_FRAME_RIP 136
#define TRAP_FRAME_SIZE 176

#ifndef __ASSEMBLER__
#include <stdbool.h>
#include <stdint.h>

/* Saved by kernel/arch/trap_entry.S; layout shared with the assembly. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector;
	uint64_t error_code; /* 0 for vectors without one */
	uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

typedef void (*trap_handler_fn)(struct trap_frame *tf, void *arg);

/* Page-fault error code bits (Intel SDM vol. 3A, 4.7). */
#define TRAP_PF_PRESENT (1u << 0)
#define TRAP_PF_WRITE (1u << 1)
#define TRAP_PF_USER (1u << 2)
#define TRAP_PF_RESERVED (1u << 3)
#define TRAP_PF_IFETCH (1u << 4)

/* A higher layer's look at a page fault before it is fatal: returns true
 * when it resolved the fault (the access is retried), false otherwise
 * (having printed what it knows; the fault is then reported and ends
 * the run). Runs with interrupts off; must not fault itself. */
typedef bool (*trap_fault_fn)(uint64_t addr, uint64_t error_code);

/* Load the GDT, TSS and IDT; mask the legacy PIC. Once, early in kmain. */
void trap_init(void);

/* An AP's share of trap_init(): its GDT/TSS (gdt_init_cpu) and the
 * common IDT. */
void trap_init_ap(unsigned cpu, uint8_t *ist_stacks);

/* Install `fn` for `vector` (32..255), or remove it with NULL. Runs with
 * interrupts off, on the interrupted stack. */
void trap_set_handler(uint8_t vector, trap_handler_fn fn, void *arg);

/* The one fault hook (the buffer pool's: write-protected sealed pages). */
void trap_set_fault_hook(trap_fault_fn fn);

/* Interrupts that arrived on a vector with no handler. */
uint64_t trap_spurious_count(void);

/* Raise the fault chosen with the boot option panic= (default none), to
 * show the fault report; returns only for panic=none. Call after
 * paging_init() and the boot stack's guard page (panic=stack needs it). */
void trap_selftest(void);

#endif /* !__ASSEMBLER__ */
#endif
