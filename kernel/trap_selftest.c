// SPDX-License-Identifier: MIT
/*
 * Deliberate faults for testing the trap path (boot option panic=, see
 * trap_selftest() in trap.h). Each kind faults inside its own named,
 * non-inlined function, so the report's backtrace must show that name
 * and, below it, kmain. tests/integration/test_traps.py boots each kind.
 *
 * panic=stack (overflow into a guard page) is not offered yet: there are
 * no guard pages until kernel/paging.c can map 4 KiB pages. `doublefault`
 * exercises the path such an overflow takes: the stack pointer is
 * unusable, the CPU cannot deliver the #PF, and the #DF gate's IST stack
 * is what lets the report run.
 */
#define PR_PREFIX "selftest: "
#include <stdint.h>

#include "kernel/cmdline.h"
#include "kernel/compiler.h"
#include "kernel/gdt.h"
#include "kernel/panic.h"
#include "kernel/trap.h"

/* Canonical, far above the identity map of RAM and below the KVA window
 * (kernel/mm.h): never mapped. */
#define UNMAPPED_VA 0x00007F0000000000ull

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
};

static const char *const kind_names[] = {
	[SELFTEST_NONE] = "none",
	[SELFTEST_PAGEFAULT] = "pagefault",
	[SELFTEST_UD] = "ud",
	[SELFTEST_DIVIDE] = "divide",
	[SELFTEST_GP] = "gp",
	[SELFTEST_DOUBLEFAULT] = "doublefault",
	[SELFTEST_ASSERT] = "assert",
	NULL,
};

static int selftest_kind = SELFTEST_NONE;
KPARAM_ENUM(panic, selftest_kind, kind_names,
	    "fault deliberately after trap setup: "
	    "none|pagefault|ud|divide|gp|doublefault|assert");

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
	}
}
