// SPDX-License-Identifier: MIT
/*
 * What makes IO-Lite's immutability a fact rather than a convention: the
 * page-fault hook for sealed buffers (iobuf_seal maps them read-only, see
 * sfbuf_set_sealed). A write fault on a pool page is either a stale TLB
 * entry left behind when a freed page was made writable again (retried
 * after an invlpg: sfbuf grants write access without flushing) or a write
 * to a sealed buffer, which is reported with the buffer and its owner
 * before the trap code prints the writer's backtrace and ends the run.
 *
 * `seal_selftest=on` writes to a sealed buffer on purpose after boot, to
 * show (and test) that report. Kernel only: the host tests of iobuf.c run
 * without page tables.
 */
#define PR_PREFIX "iobuf: "
#include "kernel/io/sealguard.h"

#include "kernel/arch/trap.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/initcall.h"
#include "kernel/core/panic.h"
#include "kernel/core/printk.h"
#include "kernel/io/iobuf.h"
#include "kernel/io/sfbuf.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/string.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/paging.h"

static uint64_t stale_write_faults; /* [q] retried after an invlpg */

static bool selftest;
KPARAM_BOOL(seal_selftest, selftest,
	    "write to a sealed buffer after boot (debug: must fault)");

static bool write_fault(uint64_t addr, uint64_t error_code)
{
	uintptr_t page = ALIGN_DOWN((uintptr_t)addr, PAGE_SIZE);
	const struct iobuf *b;
	uint64_t pa;

	if ((error_code & (TRAP_PF_WRITE | TRAP_PF_PRESENT)) !=
	    (TRAP_PF_WRITE | TRAP_PF_PRESENT))
		return false;
	if (paging_writable(page)) {
		paging_invalidate(page);
		stale_write_faults++;
		return true;
	}
	pa = kva_to_phys((const void *)(uintptr_t)addr);
	b = iobuf_from_pa(pa);
	if (!b || !(b->flags & IOBUF_SEALED))
		return false;
	pr_err("write to sealed iobuf %p at %#llx: page %llu of %u, %u bytes, "
	       "%u references, owner %s",
	       (const void *)b, (unsigned long long)addr,
	       (unsigned long long)((pa - b->pa) >> PAGE_SHIFT), b->pages,
	       b->len, b->refcnt, b->owner ? b->owner->name : "none (pool)");
	return false;
}

void sealguard_init(void)
{
	trap_set_fault_hook(write_fault);
}

uint64_t sealguard_stale_write_faults(void)
{
	return READ_ONCE(stale_write_faults);
}

/* The writer, in a frame of its own (noinline, and not a leaf: the
 * panic call makes GCC keep the frame the backtrace walks). */
static __attribute__((noinline, noclone)) void write_sealed(char *p)
{
	/* asm: a plain store may be scheduled before the frame is set up. */
	__asm__ volatile("movb $0x78, 7(%0)" : : "r"(p) : "memory");
	panic("seal_selftest: a write to a sealed buffer did not fault");
}

static void seal_selftest(void)
{
	struct iobuf *b;
	char *va;

	if (!selftest)
		return;
	b = iobuf_alloc(PAGE_SIZE, NULL, NULL);
	if (!b)
		panic("seal_selftest: no buffer");
	va = iobuf_map(b);
	memcpy(va, "sealed!", 8);
	iobuf_unmap(b, va);
	iobuf_seal(b, 8);
	va = iobuf_map(b);
	pr_info("seal_selftest: writing to sealed iobuf %p", (void *)b);
	write_sealed(va);
	barrier(); /* no tail call: keep this frame in the backtrace */
}
INITCALL(seal_selftest, INIT_SELFTEST);
