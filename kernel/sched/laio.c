// SPDX-License-Identifier: MIT
/*
 * LAIO over the cooperative threads (interface and rules in laio.h). A
 * worker parks by sleeping on itself; laio_call hands it an operation
 * and switches to it with thread_run_now. When the worker parks again
 * before switching back, op finished without blocking (the fast path);
 * if it switched back for any other sleep, op blocked and the worker
 * carries on later as an ordinary thread woken by whatever op waits for.
 * A finished continuation waits on `finished` (FIFO) until laio_poll has
 * called its done(); only then does the worker rejoin the idle list, so
 * its record cannot be overwritten first.
 * Per CPU ([this CPU], no lock): each CPU has its own workers (they are
 * threads, which never migrate), idle list, finished queue and counters,
 * so a continuation finishes and calls done() on the CPU that started it
 * (the connection's CPU). laio_poll is a poller on every CPU.
 * No spare worker: the call waits on `waiting` (lowest rank first, FIFO
 * within a rank) and laio_poll hands it the next worker that frees. It
 * used to run blocking on the caller's stack, which is the main loop:
 * with every worker held by a disk-bound flood, one more open stopped
 * the whole CPU (no packet, no SYN answered) for as long as that disk
 * read queued, seconds on a slow disk.
 */
#define PR_PREFIX "laio: "
#include "kernel/sched/laio.h"

#include "kernel/core/cmdline.h"
#include "kernel/core/initcall.h"
#include "kernel/core/printk.h"
#include "kernel/cpu/percpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/list.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/memplan.h"
#include "kernel/param.h"
#include "kernel/sched/mainloop.h"
#include "kernel/sched/thread.h"

struct worker {
	struct thread *thread; /* [I] */
	laio_op_fn op; /* [m] set while an operation is handed over */
	void *arg; /* [m] */
	laio_done_fn done; /* [m] */
	void *done_arg; /* [m] */
	int result; /* [m] */
	bool continued; /* [m] op blocked: done() owed */
	struct worker *next_idle; /* [m] idle list */
	struct fifo_node finished_link; /* [m] on `finished` */
};

/* A call that found no spare worker, until one frees. */
struct laio_wait {
	laio_op_fn op;
	void *arg;
	laio_done_fn done;
	void *done_arg;
	unsigned int rank; /* lower runs first */
	struct list_node link; /* [this CPU] on `waiting` */
};

static bool enabled = true;
KPARAM_BOOL(laio, enabled,
	    "lazy asynchronous I/O for file operations (off: blocking)");

static struct laio_cpu {
	struct worker *idle; /* [this CPU] parked, nothing to do */
	struct fifo finished; /* [this CPU] done() owed */
	struct list_node waiting; /* [this CPU] struct laio_wait, by rank */
	struct laio_stats stats; /* [this CPU] */
} __aligned(64) cpus[CPU_MAX];

/* This CPU's fields under the names the one-CPU code used. */
#define idle (cpus[cpu_self()].idle)
#define finished (cpus[cpu_self()].finished)
#define stats (cpus[cpu_self()].stats)

bool laio_enabled(void)
{
	return enabled;
}

void laio_set_enabled(bool on)
{
	enabled = on;
}

static void make_idle(struct worker *w)
{
	w->next_idle = idle;
	idle = w;
	stats.busy--;
}

/* A worker: run what is handed over, park, forever. */
static void worker_main(void *arg)
{
	struct worker *w = arg;

	for (;;) {
		while (!w->op)
			thread_sleep(w);
		w->result = w->op(w->arg);
		w->op = NULL;
		if (w->continued)
			/* laio_poll calls done(), then idles it */
			fifo_push(&finished, &w->finished_link);
	}
}

/* This CPU's waiting calls (a zeroed list head is made empty here, so
 * host tests need no init call). */
static struct list_node *wait_list(void)
{
	struct list_node *head = &cpus[cpu_self()].waiting;

	if (!head->next)
		list_init(head);
	return head;
}

/* Stacks kept for calls of rank at most LAIO_RANK_RESERVED: an eighth
 * of the pool (none in a pool of fewer than 8). */
static uint64_t reserve(void)
{
	return memplan()->laio_workers / 8;
}

/* A spare worker for a call of `rank`, or NULL: none is idle and no
 * more may be made, or the rest are reserved for lower ranks. */
static struct worker *get_worker(unsigned int rank)
{
	uint64_t limit = memplan()->laio_workers;
	struct worker *w = idle;

	if (rank > LAIO_RANK_RESERVED)
		limit -= reserve();
	if (stats.busy >= limit)
		return NULL;
	if (w) {
		idle = w->next_idle;
	} else {
		w = kzalloc(sizeof(*w));
		if (!w)
			return NULL;
		w->thread = thread_create_parked(worker_main, w, "laio", w);
		if (!w->thread) {
			kfree(w);
			return NULL;
		}
		stats.workers++;
	}
	if (++stats.busy > memplan()->laio_workers - reserve())
		stats.reserve_used++;
	return w;
}

/* Hand op to worker w and switch to it: op's result when it ran to the
 * end, -EINPROGRESS when it became a continuation (done() owed). */
static int run_on(struct worker *w, laio_op_fn op, void *arg, laio_done_fn done,
		  void *done_arg)
{
	*w = (struct worker){ .thread = w->thread,
			      .op = op,
			      .arg = arg,
			      .done = done,
			      .done_arg = done_arg };
	thread_run_now(w->thread, w);
	if (!w->op) {
		/* Parked again: op ran to the end on the spare stack. */
		stats.fast++;
		make_idle(w);
		return w->result;
	}
	w->continued = true;
	stats.blocked++;
	if (++stats.live > stats.live_max)
		stats.live_max = stats.live;
	return -EINPROGRESS;
}

/* Queue a call for the next spare worker, behind every call of a rank
 * no higher; false when there is no memory for the record. */
static bool wait_for_worker(laio_op_fn op, void *arg, laio_done_fn done,
			    void *done_arg, unsigned int rank)
{
	struct laio_wait *lw = kzalloc(sizeof(*lw));
	struct list_node *pos;

	if (!lw)
		return false;
	*lw = (struct laio_wait){ .op = op,
				  .arg = arg,
				  .done = done,
				  .done_arg = done_arg,
				  .rank = rank };
	list_for_each (pos, wait_list()) {
		if (list_entry(pos, struct laio_wait, link)->rank > rank) {
			list_insert_before(&lw->link, pos);
			stats.queue_jumped++;
			goto queued;
		}
	}
	list_add_tail(wait_list(), &lw->link);
queued:
	stats.queued++;
	stats.waiting++;
	return true;
}

/* Give waiting calls the workers that are spare; returns how many ran.
 * A call that finishes at once gets its done() here. */
static int run_waiting(void)
{
	int n = 0;

	while (!list_empty(wait_list())) {
		struct laio_wait *lw =
			list_entry(wait_list()->next, struct laio_wait, link);
		struct worker *w = get_worker(lw->rank);
		int err;

		if (!w)
			break; /* the head has the lowest rank: none fits */
		list_remove(&lw->link);
		stats.waiting--;
		err = run_on(w, lw->op, lw->arg, lw->done, lw->done_arg);
		if (err != -EINPROGRESS)
			lw->done(lw->done_arg, err);
		kfree(lw);
		n++;
	}
	return n;
}

int laio_call_ranked(laio_op_fn op, void *arg, laio_done_fn done,
		     void *done_arg, unsigned int rank)
{
	struct worker *w = NULL;

	if (!enabled || thread_current()) {
		stats.direct++;
		return op(arg);
	}
	stats.calls++;
	/* Calls already waiting keep their turn over this one, unless it
	 * ranks below them all (it would be first in line anyway). */
	if (list_empty(wait_list()) ||
	    rank < list_entry(wait_list()->next, struct laio_wait, link)->rank)
		w = get_worker(rank);
	if (w)
		return run_on(w, op, arg, done, done_arg);
	if (wait_for_worker(op, arg, done, done_arg, rank))
		return -EINPROGRESS;
	stats.fallbacks++;
	return op(arg);
}

int laio_call(laio_op_fn op, void *arg, laio_done_fn done, void *done_arg)
{
	return laio_call_ranked(op, arg, done, done_arg, 0);
}

int laio_poll(void *unused)
{
	struct fifo_node *f;
	int n = 0;

	(void)unused;
	while ((f = fifo_pop(&finished))) {
		struct worker *w = fifo_entry(f, struct worker, finished_link);

		w->continued = false;
		stats.live--;
		stats.completed++;
		n++;
		w->done(w->done_arg, w->result);
		make_idle(w);
	}
	return n + run_waiting();
}

#undef stats
/* Sums over the CPUs (live_max: the largest of any one CPU). */
void laio_get_stats(struct laio_stats *st)
{
	uint64_t live_max = 0;

	*st = (struct laio_stats){ 0 };
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++) {
		const struct laio_stats *c = &cpus[cpu].stats;

#define LAIO_SUM(name) st->name += READ_ONCE(c->name);
		LAIO_STATS(LAIO_SUM)
#undef LAIO_SUM
		live_max = MAX(live_max, READ_ONCE(c->live_max));
	}
	st->live_max = live_max;
}

static void laio_init(void)
{
	mainloop_add_poller_all(laio_poll, NULL);
}
INITCALL(laio_init, INIT_FS);
