/* SPDX-License-Identifier: MIT */
/*
 * Handing work to another CPU's main loop. Each CPU owns the things that
 * live on it (its main loop, timers, threads, connections, LAIO
 * continuations); an event that concerns one of them but happens
 * elsewhere (a disk completion polled on the CPU the interrupt reached,
 * a page fill another CPU started) is handed over: handover_to(cpu, h,
 * fn) queues h on that CPU and, if its queue was empty, wakes it with
 * smp_kick(); that CPU's main loop runs fn(h) in its next pass (the
 * handover_poll poller), in the order the handovers were queued by any
 * one sender. To this CPU it is queued too (never run on the spot), so
 * the caller's locks and call chain are never re-entered.
 *
 * The queue is a lock-free multi-producer stack per CPU (push with
 * compare-and-swap, drained by its CPU with one exchange, then reversed):
 * no spinlock, so it may be used holding any lock and from interrupt
 * handlers. `h` is embedded in the caller's record; it belongs to the
 * queue from handover_to() until fn(h) is called. -smp 1: no IPI ever.
 */
#ifndef KERNEL_SCHED_HANDOVER_H
#define KERNEL_SCHED_HANDOVER_H

#include <stdbool.h>
#include <stdint.h>

struct handover;
typedef void (*handover_fn)(struct handover *h);

struct handover {
	struct handover *next; /* [queue] */
	handover_fn fn; /* [queue] */
};

struct handover_stats {
	uint64_t sent; /* queued for another CPU */
	uint64_t local; /* queued for the sending CPU itself */
	uint64_t run; /* fn(h) run here */
	uint64_t kicks; /* IPIs sent: the target's queue was empty */
};

/* Queue fn(h) to run in CPU `cpu`'s main loop; any context. */
void handover_to(unsigned cpu, struct handover *h, handover_fn fn);

/* Run this CPU's queued handovers (a main-loop poller on every CPU).
 * Returns how many ran. */
int handover_poll(void *unused);

/* Whether this CPU has handovers queued (the main loop's halt check). */
bool handover_pending(void);

/* CPU `cpu`'s counters; false if cpu >= CPU_MAX. */
bool handover_get_cpu_stats(unsigned cpu, struct handover_stats *st);

#endif
