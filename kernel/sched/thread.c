// SPDX-License-Identifier: MIT
/*
 * Cooperative threads (interface and rules in kernel/sched/thread.h). Each
 * thread has THREAD_STACK_PAGES contiguous frames from the frame
 * allocator above one more frame made a guard page (not present), so an
 * overflow faults at once; a canary word at the stack's lowest address,
 * checked on every switch away and at reaping, catches a frame that
 * jumped over the guard.
 * Ready threads wait on a FIFO run queue; sleeping ones on one sleep
 * list that thread_wakeup() scans (fine for tens of threads; a hash by
 * channel would be the next step for thread-per-connection loads).
 * Per CPU: each CPU's main loop has its own run queue, sleep list,
 * current thread and counters ([this CPU], no lock). A thread is created
 * on the CPU that creates it and never migrates; thread_wakeup() wakes
 * sleepers of this CPU only (an event for another CPU's thread goes
 * there first, kernel/sched/handover.h).
 */
#define PR_PREFIX "thread: "
#include "kernel/sched/thread.h"

#include "kernel/core/panic.h"
#include "kernel/core/printk.h"
#include "kernel/cpu/percpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/list.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/paging.h"
#include "kernel/mm/pmm.h"
#include "kernel/param.h"
#include "kernel/sched/timer.h"

#define STACK_SIZE (THREAD_STACK_PAGES * PAGE_SIZE)
#define GUARD_PAGES 1
#define STACK_CANARY 0x5AFEC0DEDEADBEEFull
/* Initial frame: r15 r14 r13 r12 rbx rbp rip (see switch.S), placed so
 * that rsp is 16-byte aligned at thread_trampoline's call (SysV ABI). */
#define FRAME_WORDS 7
#define FRAME_R12 3
#define FRAME_RBP 5
#define FRAME_RIP 6
#define FRAME_OFFSET 72 /* top - FRAME_OFFSET is 8 mod 16 */

enum thread_state { T_READY, T_RUNNING, T_SLEEPING, T_ZOMBIE };

struct thread {
	void *sp; /* [m] saved stack pointer while switched out */
	struct fifo_node run_link; /* [m] on the run queue while T_READY */
	struct list_node sleep_link; /* [m] on `sleepers` while T_SLEEPING */
	enum thread_state state; /* [m] */
	const void *chan; /* [m] while T_SLEEPING */
	thread_fn fn; /* [I] */
	void *arg; /* [I] */
	uint64_t *stack; /* [I] lowest usable address; holds the canary */
	struct timer sleep_timer; /* [m] thread_sleep_ns */
	char name[THREAD_NAME_MAX]; /* [I] */
};

void thread_switch(void **save_sp, void *next_sp);
void thread_trampoline(void);
void thread_start(struct thread *t) __noreturn;

static struct sched_cpu {
	struct fifo runq; /* [this CPU] */
	struct list_node sleepers; /* [this CPU] */
	struct thread *current; /* [this CPU] NULL: main loop */
	void *mainloop_sp; /* [this CPU] main loop's stack while a thread runs */
	struct thread_stats stats; /* [this CPU] */
} __aligned(64) cpus[CPU_MAX];

/* This CPU's scheduler state; the sleep list is set up on first use. */
static struct sched_cpu *this_cpu(void)
{
	struct sched_cpu *c = &cpus[cpu_self()];

	if (!c->sleepers.next)
		list_init(&c->sleepers);
	return c;
}

/* This CPU's fields under the names the one-CPU code used. */
#define runq (this_cpu()->runq)
#define sleepers (this_cpu()->sleepers)
#define current (this_cpu()->current)
#define mainloop_sp (this_cpu()->mainloop_sp)
#define stats (this_cpu()->stats)

static void runq_push(struct thread *t)
{
	t->state = T_READY;
	fifo_push(&runq, &t->run_link);
}

static struct thread *runq_pop(void)
{
	struct fifo_node *n = fifo_pop(&runq);

	return n ? fifo_entry(n, struct thread, run_link) : NULL;
}

static void sleep_on(struct thread *t, const void *chan)
{
	t->state = T_SLEEPING;
	t->chan = chan;
	/* At the head: thread_wakeup wakes the newest sleeper first. */
	list_add_head(&sleepers, &t->sleep_link);
}

static void check_canary(const struct thread *t)
{
	if (t->stack[0] != STACK_CANARY)
		panic("thread: stack overflow in '%s'", t->name);
}

/* Switch from the current thread back to the main loop. */
static void to_mainloop(void)
{
	struct thread *t = current;

	ASSERT(t);
	check_canary(t);
	stats.switches++;
	thread_switch(&t->sp, mainloop_sp);
}

static struct thread *create(thread_fn fn, void *arg, const char *name)
{
	struct thread *t = kzalloc(sizeof(*t));
	uint64_t pa, *frame;

	if (!t)
		return NULL;
	pa = pmm_alloc(THREAD_STACK_PAGES + GUARD_PAGES, 1);
	if (!pa)
		goto err_free_thread;
	if (paging_set_guard((uintptr_t)phys_to_virt(pa), true))
		goto err_free_stack;
	t->stack = phys_to_virt(pa + GUARD_PAGES * PAGE_SIZE);
	t->stack[0] = STACK_CANARY;
	t->fn = fn;
	t->arg = arg;
	strlcpy(t->name, name, sizeof(t->name));
	timer_setup(&t->sleep_timer, NULL, NULL);
	frame = (uint64_t *)((uint8_t *)t->stack + STACK_SIZE - FRAME_OFFSET);
	memset(frame, 0, FRAME_OFFSET);
	frame[FRAME_R12] = (uint64_t)(uintptr_t)t;
	frame[FRAME_RBP] = 0; /* ends backtraces */
	frame[FRAME_RIP] = (uint64_t)(uintptr_t)thread_trampoline;
	t->sp = frame;
	stats.created++;
	stats.live++;
	return t;

err_free_stack:
	pmm_free(pa, THREAD_STACK_PAGES + GUARD_PAGES);
err_free_thread:
	kfree(t);
	return NULL;
}

struct thread *thread_create(thread_fn fn, void *arg, const char *name)
{
	struct thread *t = create(fn, arg, name);

	if (t)
		runq_push(t);
	return t;
}

struct thread *thread_create_parked(thread_fn fn, void *arg, const char *name,
				    const void *chan)
{
	struct thread *t = create(fn, arg, name);

	if (t)
		sleep_on(t, chan);
	return t;
}

/* First C code of a new thread (from thread_trampoline). */
void thread_start(struct thread *t)
{
	t->fn(t->arg);
	thread_exit();
}

void thread_yield(void)
{
	ASSERT(current);
	stats.yields++;
	runq_push(current);
	to_mainloop();
}

void thread_sleep(const void *chan)
{
	struct thread *t = current;

	ASSERT(t);
	sleep_on(t, chan);
	stats.sleeps++;
	to_mainloop();
}

int thread_wakeup(const void *chan)
{
	struct list_node *pos, *tmp;
	int n = 0;

	list_for_each_safe (pos, tmp, &sleepers) {
		struct thread *t = list_entry(pos, struct thread, sleep_link);

		if (t->chan != chan)
			continue;
		list_remove(&t->sleep_link);
		t->chan = NULL;
		runq_push(t);
		n++;
	}
	stats.wakeups += (uint64_t)n;
	return n;
}

static void sleep_timer_fn(struct timer *tm, void *arg)
{
	thread_wakeup(tm);
}

void thread_sleep_ns(uint64_t ns)
{
	struct thread *t = current;

	ASSERT(t);
	timer_setup(&t->sleep_timer, sleep_timer_fn, NULL);
	timer_arm_in(&t->sleep_timer, ns);
	thread_sleep(&t->sleep_timer);
}

void thread_exit(void)
{
	ASSERT(current);
	current->state = T_ZOMBIE;
	to_mainloop();
	panic("thread_exit: zombie '%s' was resumed", current->name);
}

struct thread *thread_current(void)
{
	return current;
}

const char *thread_name(const struct thread *t)
{
	return t ? t->name : "mainloop";
}

static void reap(struct thread *t)
{
	uint64_t pa = virt_to_phys(t->stack) - GUARD_PAGES * PAGE_SIZE;

	check_canary(t);
	timer_cancel(&t->sleep_timer);
	paging_set_guard((uintptr_t)phys_to_virt(pa), false);
	pmm_free(pa, THREAD_STACK_PAGES + GUARD_PAGES);
	kfree(t);
	stats.exited++;
	stats.live--;
}

/* Switch from the main loop to t until it gives the CPU back. */
static void run(struct thread *t)
{
	t->state = T_RUNNING;
	current = t;
	stats.switches++;
	thread_switch(&mainloop_sp, t->sp);
	current = NULL;
	if (t->state == T_ZOMBIE)
		reap(t);
}

void thread_run_now(struct thread *t, const void *chan)
{
	ASSERT(!current);
	if (t->state != T_SLEEPING || t->chan != chan)
		panic("thread_run_now: '%s' does not sleep on %p", t->name,
		      chan);
	list_remove(&t->sleep_link);
	t->chan = NULL;
	run(t);
}

int thread_run_ready(void)
{
	struct fifo_node *last = runq.tail;
	struct thread *t;
	int ran = 0;

	ASSERT(!current);
	/* Threads made ready while these run wait for the next pass. */
	while (last && (t = runq_pop())) {
		bool was_last = &t->run_link == last;

		run(t); /* may free t */
		ran++;
		if (was_last)
			break;
	}
	return ran;
}

bool thread_any_ready(void)
{
	return !fifo_empty(&runq);
}

#undef stats
/* Sums over the CPUs; each counter is one aligned word, never torn. */
void thread_get_stats(struct thread_stats *st)
{
	*st = (struct thread_stats){ 0 };
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++) {
		const struct thread_stats *c = &cpus[cpu].stats;

		st->created += READ_ONCE(c->created);
		st->exited += READ_ONCE(c->exited);
		st->live += READ_ONCE(c->live);
		st->switches += READ_ONCE(c->switches);
		st->wakeups += READ_ONCE(c->wakeups);
		st->yields += READ_ONCE(c->yields);
		st->sleeps += READ_ONCE(c->sleeps);
	}
}
