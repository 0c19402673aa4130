/* SPDX-License-Identifier: MIT */
/*
 * Lazy asynchronous I/O (Elmeleegy, Chanda, Cox, Zwaenepoel, "Lazy
 * Asynchronous I/O for Event-Driven Servers", USENIX 2004).
 *
 * laio_call(op, arg, done, done_arg) runs op(arg) at once on a spare
 * stack: a parked worker thread from a pool (at most LAIO_WORKERS_MAX,
 * made on demand, reused). op is ordinary blocking code (a synchronous
 * disk read, a file open that walks uncached directories).
 *
 *   - op returns without blocking: laio_call returns its result. Cost:
 *     two stack switches; no thread is made ready, nothing is notified,
 *     done is never called.
 *   - op blocks (thread_sleep): the worker stays with it as a
 *     continuation and laio_call returns -EINPROGRESS at once. When op
 *     returns, done(done_arg, result) runs from the main loop (the
 *     laio_poll poller), in the order the operations finished.
 *
 * No spare worker (all LAIO_WORKERS_MAX busy, or no memory for a new
 * one): the call waits for one and laio_call returns -EINPROGRESS; the
 * first worker that frees runs it (laio_call_ranked: the lowest rank
 * first, FIFO within a rank), and done() follows as above, also when
 * op then finishes at once. Only when even the small record for the wait
 * cannot be had does op run on the caller's stack, blocking it (a
 * fallback; never an error). From a thread, or with `laio=off`, op is
 * always called directly: the blocking baseline. op must not return
 * -EINPROGRESS. Main loop and threads only ([m]).
 */
#ifndef KERNEL_SCHED_LAIO_H
#define KERNEL_SCHED_LAIO_H

#include <stdbool.h>
#include <stdint.h>
#include "kernel/lib/statjson.h"

/* Ranks that may take the pool's reserved stacks (RFC 9218 urgencies
 * 0..3: urgent and default requests; above: less urgent ones). */
#define LAIO_RANK_RESERVED 3u

typedef int (*laio_op_fn)(void *arg);
typedef void (*laio_done_fn)(void *arg, int result);

#define LAIO_STATS(X)                                              \
	X(calls) /* laio_call with LAIO on, from the main loop */  \
	X(fast) /* completed without blocking */                   \
	X(blocked) /* became continuations */                      \
	X(completed) /* continuations whose done() ran */          \
	X(fallbacks) /* no spare stack, no memory: ran blocking */ \
	X(queued) /* no spare stack: waited for one */             \
	X(queue_jumped) /* ... ahead of a higher-ranked call */    \
	X(waiting) /* calls waiting for a stack now */             \
	X(busy) /* stacks running or holding a call now */         \
	X(reserve_used) /* calls that took a reserved stack */     \
	X(direct) /* laio=off or called from a thread */           \
	X(live) /* continuations now */                            \
	X(live_max) /* ... at most */                              \
	X(workers) /* spare stacks made */

struct laio_stats {
	LAIO_STATS(STAT_U64)
};

/* Run op(arg) lazily asynchronously; see above. op's result, or
 * -EINPROGRESS when done(done_arg, result) will follow. */
int laio_call(laio_op_fn op, void *arg, laio_done_fn done, void *done_arg);

/* laio_call whose wait for a spare worker, if it has one, goes by
 * `rank` (lower first; laio_call is rank 0), and which leaves the last
 * eighth of the pool to calls of rank at most LAIO_RANK_RESERVED when
 * its rank is above: a flood of low-ranked calls that each hold a stack
 * for seconds (reads queued behind each other at the disk) cannot keep
 * an urgent one waiting for the first of them to end. */
int laio_call_ranked(laio_op_fn op, void *arg, laio_done_fn done,
		     void *done_arg, unsigned int rank);

/* Deliver finished continuations' done() calls, oldest first; returns
 * how many (a main-loop poller, also callable directly). */
int laio_poll(void *unused);

/* Whether `laio=on` (the default). */
bool laio_enabled(void);

/* Replace the `laio=` switch (host tests). */
void laio_set_enabled(bool on);

void laio_get_stats(struct laio_stats *st);

#endif
