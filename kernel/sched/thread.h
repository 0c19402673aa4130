/* SPDX-License-Identifier: MIT */
/*
 * Cooperative kernel threads with their own stacks. The main loop is the
 * scheduler: thread_run_ready() switches to each ready thread in FIFO
 * order, and the thread runs until it yields, sleeps or exits, which
 * switches back to the main loop. Nothing preempts a thread, so state
 * shared between threads and the main loop needs no lock; IRQ handlers
 * never touch threads (they mark work pending; the main loop wakes).
 *
 * Sleep/wakeup are xv6's: thread_sleep(chan) blocks the caller until
 * some thread or main-loop code calls thread_wakeup(chan). Because there
 * is no preemption, "check condition, then sleep" cannot lose a wakeup.
 * A thread that returns from its function exits; its stack and struct
 * are freed by the main loop once it has switched away (reaping).
 * Context switches (either direction) are counted. All [m].
 */
#ifndef KERNEL_SCHED_THREAD_H
#define KERNEL_SCHED_THREAD_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"

struct thread;
typedef void (*thread_fn)(void *arg);

struct thread_stats {
	uint64_t created;
	uint64_t exited; /* reaped, resources freed */
	uint64_t live; /* created and not yet reaped */
	uint64_t switches; /* stack switches, to or from a thread */
	uint64_t wakeups; /* threads made ready by thread_wakeup */
	uint64_t yields;
	uint64_t sleeps;
};

/* Create a ready thread running fn(arg) on a fresh stack. Returns it, or
 * NULL when memory is short (nothing allocated). `name` is copied. */
struct thread *thread_create(thread_fn fn, void *arg, const char *name);

/* Create a thread as if it slept on `chan`: it starts only when woken
 * (thread_wakeup) or run at once (thread_run_now). NULL when short of
 * memory. */
struct thread *thread_create_parked(thread_fn fn, void *arg, const char *name,
				    const void *chan);

/* Main loop only: switch to `t`, which sleeps on `chan`, now (ahead of
 * the run queue), and return when it sleeps, yields or exits again. */
void thread_run_now(struct thread *t, const void *chan);

/* Give the CPU back to the main loop; run again after the threads and
 * pollers already waiting. Threads only. */
void thread_yield(void);

/* Block until thread_wakeup(chan). Threads only. */
void thread_sleep(const void *chan);

/* Make every thread sleeping on `chan` ready; returns how many. */
int thread_wakeup(const void *chan);

/* Block for at least `ns` nanoseconds (a timer wakes the thread). */
void thread_sleep_ns(uint64_t ns);

/* End the calling thread. Threads only. */
void thread_exit(void) __noreturn;

/* The running thread, or NULL in main-loop context. */
struct thread *thread_current(void);
const char *thread_name(const struct thread *t);

/* Main loop: run each thread that is ready now once and reap exited
 * ones. Returns the number of threads run. */
int thread_run_ready(void);

/* Whether a thread is ready to run. */
bool thread_any_ready(void);

void thread_get_stats(struct thread_stats *st);

#endif
