/* SPDX-License-Identifier: MIT */
/*
 * Multiprocessor support: the application processors (APs) listed in the
 * MADT are started with INIT-SIPI-SIPI through a real-mode trampoline at
 * SMP_TRAMPOLINE_PHYS, each with its own stack, GDT/TSS/IST stacks,
 * LAPIC and per-CPU data reached through GS (kernel/cpu/percpu.h). An AP
 * then idles in hlt and works only when an IPI asks it to.
 *
 * Interface for the layers above (io, fs, net, app):
 *   cpu_self()      this CPU, 0..cpu_count()-1 (0 is the boot CPU);
 *                   one %gs load (kernel/cpu/percpu.h)
 *   cpu_count()     CPUs online; CPU indexes are dense
 *   cpu_online_mask() every online CPU as a cpumask_t
 *   tlb_shootdown() invalidate a VA range on a set of CPUs, waiting for
 *                   every remote one to acknowledge
 *   smp_call()      run a function on a set of CPUs (IPI)
 *
 * Rules: tlb_shootdown() may be called with or without interrupts, with
 * spinlocks held and from an IPI handler (a CPU that waits or spins with
 * interrupts off serves shootdowns addressed to it, kernel/core/
 * spinlock.h). smp_call() should be called holding no spinlock that
 * `fn` takes. `fn` runs in interrupt context on the remote CPUs
 * (interrupts off: short, no sleeping), directly on this CPU if it is in
 * the set; it may call tlb_shootdown() but not smp_call(). A CPU that
 * never acknowledges within SMP_ACK_TIMEOUT_MS panics the initiator,
 * naming the CPU, with a backtrace. With one CPU all of this reduces to
 * local work: no IPI, no waiting, no AP code.
 */
#ifndef KERNEL_ARCH_SMP_H
#define KERNEL_ARCH_SMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/cpu/percpu.h"
#include "kernel/lib/statjson.h"
#include "kernel/param.h"

/* IPI vectors: above the device range kernel/sched/irq.c allocates. */
#define SMP_VECTOR_CALL 0xF0
#define SMP_VECTOR_SHOOTDOWN 0xF1
#define SMP_VECTOR_TICK 0xF2 /* an AP's own LAPIC timer */
#define SMP_VECTOR_LOCKTEST 0xF3 /* lockselftest's self-IPI */
#define SMP_VECTOR_KICK 0xF4 /* wake a CPU's main loop (smp_kick) */

/* Per-CPU counters (X-macro, kernel/lib/statjson.h: /_stats "cpus"):
 * IPIs sent and handled (call and shootdown), smp_call requests sent to
 * other CPUs and run here for others, shootdowns sent (one per target
 * CPU) and served here, pages those invalidated, tlb_shootdown() calls
 * that invalidated locally, this CPU's LAPIC timer interrupts (APs),
 * microseconds halted and wake-ups from hlt, main loop passes here. */
#define SMP_CPU_STATS(X)       \
	X(ipi_sent)            \
	X(ipi_received)        \
	X(calls_sent)          \
	X(calls_run)           \
	X(shootdowns_sent)     \
	X(shootdowns_received) \
	X(shootdown_pages)     \
	X(local_invalidations) \
	X(timer_ticks)         \
	X(idle_us)             \
	X(idle_wakeups)        \
	X(loop_passes)

struct smp_cpu_stats {
	SMP_CPU_STATS(STAT_U64)
	uint32_t online; /* 1 once the CPU runs its idle loop / main loop */
	uint32_t apic_id;
} __aligned(64); /* one CPU's counters share no line with another's */

/* Make the boot CPU CPU 0 (GS base); first thing in kmain. */
void smp_bsp_init(void);

/* Start every AP the MADT lists (smp=N caps the count); after
 * irq_init() and timer_init(). Returns the number of CPUs online. */
unsigned smp_boot_aps(void);

unsigned cpu_count(void);
cpumask_t cpu_online_mask(void);

/* Invalidate [va, va + pages * PAGE_SIZE) on every CPU in `cpus`:
 * invlpg here if this CPU is in the set, a shootdown IPI to the others,
 * then wait until each acknowledged. CPUs not online are ignored. */
void tlb_shootdown(cpumask_t cpus, uintptr_t va, size_t pages);

/* Run fn(arg) on every CPU in `cpus` (this one included, directly);
 * with `wait`, return only after all have run it. */
void smp_call(cpumask_t cpus, void (*fn)(void *), void *arg, bool wait);

/* Wake CPU `cpu` from hlt with an IPI that does nothing else: its main
 * loop then looks at its queues (kernel/sched/handover.c). Counted as an
 * IPI sent here and received there. Any context. */
void smp_kick(unsigned cpu);

/* Let every AP leave its idle loop and call main() (never returns): the
 * main loop on every CPU, once the boot CPU has run the initcalls. An
 * AP runs its idle hlt loop until then. Boot CPU, once. */
void smp_start_aps(void (*main)(void));

/* This CPU's counters, for its own code to count in (loop passes). */
struct smp_cpu_stats *smp_this_stats(void);

/* Halt until an interrupt, counting the time as idle (sti; hlt).
 * Interrupts must be off; they are on when it returns. */
void smp_idle_halt(void);

/* A copy of CPU `cpu`'s counters; false if cpu >= CPU_MAX. */
bool smp_get_cpu_stats(unsigned cpu, struct smp_cpu_stats *out);

/* The selftests chosen with smpselftest= and lockselftest= (after
 * smp_boot_aps(); kernel/arch/smp_selftest.c). */
void smp_selftest(void);

#endif
