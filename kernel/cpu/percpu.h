/* SPDX-License-Identifier: MIT */
/*
 * The per-CPU anchor reached through GS. Each CPU's IA32_GS_BASE points
 * at its own struct percpu, written once when the CPU comes up (the boot
 * CPU first thing in kmain, an AP in its entry path) and never changed:
 * ring 0 only, so there is no swapgs and interrupt entry sees the same GS.
 * cpu_self() is then one %gs-relative load, as cheap at -smp 1 as a
 * global. Everything else a module keeps per CPU lives in its own array
 * indexed by cpu_self() (cache-line aligned), not here: this struct is
 * only what the lowest layers need (the lock checker, interrupt depth).
 * No logging, no state: the storage is kernel/arch/smp.c's.
 */
#ifndef KERNEL_CPU_PERCPU_H
#define KERNEL_CPU_PERCPU_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"

#define MSR_GS_BASE 0xC0000101
#define MSR_KERNEL_GS_BASE 0xC0000102

/* A set of CPUs by index: bit i is CPU i (CPU_MAX <= 64). */
typedef uint64_t cpumask_t;
#define CPUMASK_BIT(cpu) ((cpumask_t)1 << (cpu))

/* CPUs in `m` (no libgcc popcount in a freestanding kernel). */
static inline unsigned cpumask_weight(cpumask_t m)
{
	unsigned n = 0;

	for (; m; m &= m - 1)
		n++;
	return n;
}

struct percpu {
	struct percpu *self; /* [I] %gs:0, for taking the address */
	uint32_t id; /* [I] index 0..cpu_count()-1; 0 is the boot CPU */
	uint32_t apic_id; /* [I] its local APIC id (MADT) */
	uint32_t irq_depth; /* [this CPU] interrupt handlers running */
	uint32_t lock_depth; /* [this CPU] spinlocks held */
} __aligned(64);

#define PERCPU_SELF_OFF 0
#define PERCPU_ID_OFF 8
#define PERCPU_IRQ_DEPTH_OFF 16
#define PERCPU_LOCK_DEPTH_OFF 20
STATIC_ASSERT(offsetof(struct percpu, self) == PERCPU_SELF_OFF);
STATIC_ASSERT(offsetof(struct percpu, id) == PERCPU_ID_OFF);
STATIC_ASSERT(offsetof(struct percpu, irq_depth) == PERCPU_IRQ_DEPTH_OFF);
STATIC_ASSERT(offsetof(struct percpu, lock_depth) == PERCPU_LOCK_DEPTH_OFF);

/* This CPU's anchor. */
static inline struct percpu *percpu_this(void)
{
	struct percpu *p;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

#ifdef PETREL_HOST_TEST
/* Host unit tests play several CPUs in one thread: they set the CPU
 * that is "running" (tests/fakes/fake_smp.c). */
extern unsigned fake_cpu_id;
static inline unsigned cpu_self(void)
{
	return fake_cpu_id;
}
#else
/* This CPU's index; volatile so it is not cached across a migration
 * point (there are none today: code never moves between CPUs). */
static inline unsigned cpu_self(void)
{
	uint32_t id;

	__asm__ volatile("movl %%gs:8, %0" : "=r"(id));
	return id;
}
#endif

/* Whether this CPU is inside an interrupt handler. */
static inline int percpu_in_irq(void)
{
	uint32_t d;

	__asm__ volatile("movl %%gs:16, %0" : "=r"(d));
	return d != 0;
}

static inline void percpu_irq_enter(void)
{
	__asm__ volatile("incl %%gs:16" ::: "memory");
}

static inline void percpu_irq_exit(void)
{
	__asm__ volatile("decl %%gs:16" ::: "memory");
}

/* Point this CPU's GS base at `p` (once, as the CPU comes up). */
static inline void percpu_install(struct percpu *p)
{
	p->self = p;
	__asm__ volatile("wrmsr"
			 :
			 : "c"(MSR_GS_BASE), "a"((uint32_t)(uintptr_t)p),
			   "d"((uint32_t)((uintptr_t)p >> 32))
			 : "memory");
}

#endif
