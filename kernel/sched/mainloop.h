/* SPDX-License-Identifier: MIT */
/*
 * The main loop, one per CPU (DESIGN.md, Execution model). Each CPU's
 * loop has its own pollers, timers, threads and handover queue
 * (kernel/sched/handover.h) and touches no other CPU's. Each pass:
 *   0. runs the work other CPUs handed to this one,
 *   1. calls every poller registered on this CPU (drivers: RX rings, completions;
 *      this is "soft-irq context" where lwIP and fs callbacks run),
 *   2. runs the callbacks of expired timers,
 *   3. runs each ready thread once,
 *   4. calls every pass-end hook registered on this CPU (a driver rings
 *      its device's doorbell once for everything the pass queued),
 * and when no poller did work, no interrupt arrived since the last check,
 * no thread is ready and no timer has expired, programs the LAPIC timer
 * for the next deadline and halts until an interrupt. The check is made
 * with interrupts off and `sti; hlt` re-enables them atomically, so an
 * interrupt after the check still wakes the halt. The boot CPU enters
 * its loop last in kmain; the APs enter theirs when smp_start_aps()
 * releases them.
 */
#ifndef KERNEL_SCHED_MAINLOOP_H
#define KERNEL_SCHED_MAINLOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"

/* A poller returns > 0 when it did work (it is then called again before
 * the CPU halts), 0 when it found nothing to do. */
typedef int (*mainloop_poll_fn)(void *arg);

struct mainloop_stats {
	uint64_t iterations; /* passes */
	uint64_t halts; /* hlt instructions executed */
	uint64_t busy_passes; /* passes in which a poller did work */
};

/* Register fn(arg) to be called on every pass of this CPU's loop. 0 or
 * -ENOSPC. */
int mainloop_add_poller(mainloop_poll_fn fn, void *arg);

/* ... of CPU `cpu`'s loop (before that CPU runs it: boot code). */
int mainloop_add_poller_on(unsigned cpu, mainloop_poll_fn fn, void *arg);

/* ... of every CPU's loop (CPU_MAX of them, online or not). */
int mainloop_add_poller_all(mainloop_poll_fn fn, void *arg);

/* Register fn(arg) to be called at the end of every pass of CPU `cpu`'s
 * loop, after its timers and threads (step 4; boot code). What it returns
 * counts as work, as a poller's does. 0 or -ENOSPC. */
int mainloop_add_pass_end_on(unsigned cpu, mainloop_poll_fn fn, void *arg);

/* Run one pass (steps 0-4 above); returns the work total. */
int mainloop_run_once(void);

/* Whether this CPU's mainloop_run has started: before it, boot code may
 * wait. */
bool mainloop_running(void);

/* Loop forever: the last call of kmain. */
void mainloop_run(void) __noreturn;

/* Totals over every CPU. */
void mainloop_get_stats(struct mainloop_stats *st);

/* CPU `cpu`'s counters; false if cpu >= CPU_MAX. */
bool mainloop_get_cpu_stats(unsigned cpu, struct mainloop_stats *st);

#endif
