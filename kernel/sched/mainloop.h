/* SPDX-License-Identifier: MIT */
/*
 * The CPU-0 main loop (DESIGN.md, Execution model). Each pass:
 *   1. calls every registered poller (drivers: RX rings, completions;
 *      this is "soft-irq context" where lwIP and fs callbacks run),
 *   2. runs the callbacks of expired timers,
 *   3. runs each ready thread once,
 * and when no poller did work, no interrupt arrived since the last check,
 * no thread is ready and no timer has expired, programs the LAPIC timer
 * for the next deadline and halts until an interrupt. The check is made
 * with interrupts off and `sti; hlt` re-enables them atomically, so an
 * interrupt after the check still wakes the halt.
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

/* Register fn(arg) to be called on every pass. 0 or -ENOSPC. */
int mainloop_add_poller(mainloop_poll_fn fn, void *arg);

/* Run one pass (steps 1-3 above); returns the pollers' work total. */
int mainloop_run_once(void);

/* Whether mainloop_run has started: before it, boot code may wait. */
bool mainloop_running(void);

/* Loop forever: the last call of kmain. */
void mainloop_run(void) __noreturn;

void mainloop_get_stats(struct mainloop_stats *st);

#endif
