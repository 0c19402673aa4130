// SPDX-License-Identifier: MIT
/*
 * Deliberate faults for testing the trap path (boot option panic=, see
 * trap_selftest() in trap.h). Each kind faults inside its own named,
 * non-inlined function, so the report's backtrace must show that name
 * and, below it, kmain. tests/integration/test_traps.py boots each kind.
 *
 * panic=stack recurses on the boot stack into the guard page below it
 * (boot/entry.S, made not-present by kmain): the CPU cannot push the #PF
 * frame on the overflowed stack, raises #DF instead, and the #DF gate's
 * IST stack is what lets the report run. panic=doublefault takes the
 * same path with a stack pointer that was never mapped. Both run after
 * paging_init(), which the guard needs.
 */
#define PR_PREFIX "selftest: "
#include <stdint.h>

#include "kernel/arch/gdt.h"
#include "kernel/arch/trap.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/panic.h"
#include "kernel/core/printk.h"
#include "kernel/lib/compiler.h"
#include "kernel/mm/paging.h"
#include "kernel/param.h"

/* Canonical, far above the identity map of RAM and below the KVA window
 * (kernel/mm/mm.h): never mapped. */
#define UNMAPPED_VA 0x00007F0000000000ull

/* panic=stack: bytes of each recursion frame, and a bound on the depth
 * far beyond what the boot stack holds, so a missing guard ends the
 * recursion instead of running through memory. */
#define OVERFLOW_FRAME_BYTES 1024
#define OVERFLOW_DEPTH_MAX 256

extern char boot_stack_guard[]; /* boot/entry.S */

/* First selector past the end of the GDT: loading it raises #GP(sel). */
#define SELECTOR_BEYOND_GDT (GDT_ENTRIES * 8)

enum selftest_kind {
	SELFTEST_NONE,
	SELFTEST_PAGEFAULT,
	SELFTEST_UD,
	SELFTEST_DIVIDE,
	SELFTEST_GP,
	SELFTEST_DOUBLEFAULT,
	SELFTEST_ASSERT,
	SELFTEST_STACK,
};

static const char *const kind_names[] = {
	[SELFTEST_NONE] = "none",
	[SELFTEST_PAGEFAULT] = "pagefault",
	[SELFTEST_UD] = "ud",
	[SELFTEST_DIVIDE] = "divide",
	[SELFTEST_GP] = "gp",
	[SELFTEST_DOUBLEFAULT] = "doublefault",
	[SELFTEST_ASSERT] = "assert",
	[SELFTEST_STACK] = "stack",
	NULL,
};

static int selftest_kind = SELFTEST_NONE;
KPARAM_ENUM(panic, selftest_kind, kind_names,
	    "fault deliberately after trap setup: "
	    "none|pagefault|ud|divide|gp|doublefault|assert|stack");

/*
 * The fault functions. Each ends in a call to missed(), which is both the
 * honest outcome if the fault did not happen and what makes the function
 * a non-leaf: GCC drops the frame of leaf functions that need no stack,
 * and without a frame the backtrace would skip the caller. noclone keeps
 * the symbol name exact.
 */
#define SELFTEST_FN static __attribute__((noinline, noclone))

static void __noreturn missed(const char *kind)
{
	panic("trap_selftest: panic=%s raised no fault", kind);
}

/* A write to an unmapped page: #PF, CR2 = UNMAPPED_VA. */
SELFTEST_FN void selftest_fault_pagefault(void)
{
	__asm__ volatile("movq $0, (%0)" : : "r"(UNMAPPED_VA) : "memory");
	missed("pagefault");
}

SELFTEST_FN void selftest_fault_ud(void)
{
	__asm__ volatile("ud2");
	missed("ud");
}

SELFTEST_FN void selftest_fault_divide(void)
{
	__asm__ volatile("xorl %%ecx, %%ecx\n\t"
			 "divl %%ecx"
			 :
			 :
			 : "rax", "rcx", "rdx");
	missed("divide");
}

SELFTEST_FN void selftest_fault_gp(void)
{
	__asm__ volatile("movw %w0, %%ds" : : "r"(SELECTOR_BEYOND_GDT));
	missed("gp");
}

/* Push onto an unmapped stack: the #PF cannot be delivered on it. rbp
 * is untouched, so the backtrace still walks the real stack. */
SELFTEST_FN void selftest_fault_doublefault(void)
{
	__asm__ volatile("movq %0, %%rsp\n\t"
			 "pushq $0"
			 :
			 : "r"(UNMAPPED_VA)
			 : "memory");
	missed("doublefault");
}

SELFTEST_FN void selftest_fault_assert(int kind)
{
	ASSERT(kind != SELFTEST_ASSERT);
	missed("assert");
}

/* Big frames, so the backtrace's BACKTRACE_MAX frames reach past the
 * recursion to its caller and kmain. */
SELFTEST_FN unsigned selftest_stack_recurse(unsigned depth)
{
	volatile char frame[OVERFLOW_FRAME_BYTES];

	frame[0] = (char)depth; /* lowest address first: hits the guard */
	if (depth >= OVERFLOW_DEPTH_MAX)
		return depth;
	return selftest_stack_recurse(depth + 1) + (unsigned)frame[0];
}

SELFTEST_FN void selftest_fault_stack(void)
{
	uintptr_t guard = (uintptr_t)boot_stack_guard;

	if (paging_translate(guard) != ~0ull)
		missed("stack (no guard page below the boot stack)");
	pr_info("panic=stack: recursing into the guard page at %#lx",
		(unsigned long)guard);
	selftest_stack_recurse(0);
	missed("stack");
}

/* Raise the fault panic= asked for; returns only for panic=none. */
void trap_selftest(void)
{
	int kind = selftest_kind;

	switch (kind) {
	case SELFTEST_NONE:
		return;
	case SELFTEST_PAGEFAULT:
		selftest_fault_pagefault();
		break;
	case SELFTEST_UD:
		selftest_fault_ud();
		break;
	case SELFTEST_DIVIDE:
		selftest_fault_divide();
		break;
	case SELFTEST_GP:
		selftest_fault_gp();
		break;
	case SELFTEST_DOUBLEFAULT:
		selftest_fault_doublefault();
		break;
	case SELFTEST_ASSERT:
		selftest_fault_assert(kind);
		break;
	case SELFTEST_STACK:
		selftest_fault_stack();
		break;
	}
}
