/* SPDX-License-Identifier: MIT */
/*
 * One-shot timers on the time_ns() clock. A user embeds a struct timer,
 * sets it up once with timer_setup(), then arms it with an absolute
 * deadline or a relative delay and may cancel or re-arm it at any time.
 * Callbacks run from the main loop (timer_run_expired), never in IRQ
 * context, so they may do anything the main loop may (but not block).
 * A callback may re-arm its own timer or arm/cancel others.
 * Armed timers sit on a list sorted by deadline (FIFO among equal ones;
 * insertion scans from the latest end, where new deadlines usually go).
 * Before halting, the main loop calls timer_program() so the LAPIC timer
 * interrupt wakes the CPU at the earliest deadline.
 * Per CPU: a timer runs on the CPU that armed it, from that CPU's main
 * loop and LAPIC timer; while armed only that CPU may re-arm or cancel
 * it (a BUG otherwise). All [this CPU].
 */
#ifndef KERNEL_SCHED_TIMER_H
#define KERNEL_SCHED_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/list.h"

#define TIMER_NONE UINT64_MAX /* timer_next_deadline(): nothing armed */

struct timer;
typedef void (*timer_fn)(struct timer *t, void *arg);

struct timer {
	struct list_node link; /* [m] on the armed list (or a batch) */
	uint64_t deadline; /* [m] ns on the time_ns() clock */
	timer_fn fn; /* [m] */
	void *arg; /* [m] */
	bool armed; /* [m] */
	uint16_t cpu; /* [m] whose list it is on while armed */
};

struct timer_stats {
	uint64_t armed; /* timer_arm_* calls */
	uint64_t fired; /* callbacks run */
	uint64_t cancelled; /* cancels of an armed timer */
	uint64_t programs; /* LAPIC timer (re)programmings */
	uint64_t irqs; /* LAPIC timer interrupts */
};

/* Allocate the timer vector and start the LAPIC timer. 0 or errno. */
int timer_init(void);

/* Point this AP's LAPIC timer at the timer vector (its main loop's
 * start; the boot CPU's is set up by timer_init). */
void timer_start_cpu(void);

/* Prepare `t` (idle) to call fn(t, arg) when it expires. */
void timer_setup(struct timer *t, timer_fn fn, void *arg);

/* Arm (or re-arm) `t` for time_ns() >= deadline_ns / now + delay_ns. */
void timer_arm_at(struct timer *t, uint64_t deadline_ns);
void timer_arm_in(struct timer *t, uint64_t delay_ns);

/* Disarm `t`; returns whether it was armed (its callback will not run). */
bool timer_cancel(struct timer *t);

bool timer_armed(const struct timer *t);

/* Run the callbacks of every timer whose deadline has passed, earliest
 * first; a timer armed by a callback for the past waits for the next
 * call. Returns how many ran. */
int timer_run_expired(void);

/* Earliest armed deadline, or TIMER_NONE. */
uint64_t timer_next_deadline(void);

/* Program the LAPIC timer for the earliest deadline (or stop it); called
 * by the main loop with interrupts off just before it halts. */
void timer_program(void);

/* Totals over every CPU. */
void timer_get_stats(struct timer_stats *st);

#endif
