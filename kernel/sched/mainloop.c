// SPDX-License-Identifier: MIT
/*
 * The main loop (interface and pass structure in kernel/sched/mainloop.h).
 * Every CPU runs its own: its own table of pollers (MAINLOOP_POLLERS_MAX,
 * filled at init time; mainloop_add_poller_on may fill another CPU's
 * before that CPU enters its loop), its own counters, timers, threads
 * and handover queue. Everything here is [this CPU] except the tables of
 * CPUs that have not started yet, which boot code fills.
 */
#define PR_PREFIX "mainloop: "
#include "kernel/arch/smp.h"
#include "kernel/sched/mainloop.h"

#include "kernel/arch/time.h"
#include "kernel/core/printk.h"
#include "kernel/cpu/cpu.h"
#include "kernel/lib/errno.h"
#include "kernel/param.h"
#include "kernel/sched/handover.h"
#include "kernel/sched/irq.h"
#include "kernel/sched/profile.h"
#include "kernel/sched/thread.h"
#include "kernel/sched/timer.h"

struct poller {
	mainloop_poll_fn fn;
	void *arg;
};

static struct loop {
	struct poller pollers[MAINLOOP_POLLERS_MAX]; /* [this CPU, boot] */
	size_t n_pollers; /* [this CPU, boot] */
	struct poller pass_ends[MAINLOOP_PASS_ENDS_MAX]; /* [this CPU, boot] */
	size_t n_pass_ends; /* [this CPU, boot] */
	struct mainloop_stats stats; /* [this CPU] */
	bool running; /* [this CPU] */
} __aligned(64) loops[CPU_MAX];

/* Append fn(arg) to a CPU's list of `max` slots (`n` used so far). */
static int add_call(struct poller *list, size_t *n, size_t max,
		    const char *what, unsigned cpu, mainloop_poll_fn fn,
		    void *arg)
{
	if (*n == max) {
		pr_err("CPU %u: no %s slot left (max %zu)", cpu, what, max);
		return -ENOSPC;
	}
	list[*n] = (struct poller){ .fn = fn, .arg = arg };
	(*n)++;
	return 0;
}

int mainloop_add_poller_on(unsigned cpu, mainloop_poll_fn fn, void *arg)
{
	struct loop *l;

	if (cpu >= CPU_MAX)
		return -ENOSPC;
	l = &loops[cpu];
	return add_call(l->pollers, &l->n_pollers, ARRAY_SIZE(l->pollers),
			"poller", cpu, fn, arg);
}

int mainloop_add_pass_end_on(unsigned cpu, mainloop_poll_fn fn, void *arg)
{
	struct loop *l;

	if (cpu >= CPU_MAX)
		return -ENOSPC;
	l = &loops[cpu];
	return add_call(l->pass_ends, &l->n_pass_ends, ARRAY_SIZE(l->pass_ends),
			"pass-end", cpu, fn, arg);
}

int mainloop_add_poller(mainloop_poll_fn fn, void *arg)
{
	return mainloop_add_poller_on(cpu_self(), fn, arg);
}

int mainloop_add_poller_all(mainloop_poll_fn fn, void *arg)
{
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++) {
		int err = mainloop_add_poller_on(cpu, fn, arg);

		if (err)
			return err;
	}
	return 0;
}

int mainloop_run_once(void)
{
	struct loop *l = &loops[cpu_self()];
	int work = handover_poll(NULL);

	l->stats.iterations++;
	smp_this_stats()->loop_passes++;
	for (size_t i = 0; i < l->n_pollers; i++)
		work += l->pollers[i].fn(l->pollers[i].arg);
	if (work)
		l->stats.busy_passes++;
	timer_run_expired();
	thread_run_ready();
	for (size_t i = 0; i < l->n_pass_ends; i++)
		work += l->pass_ends[i].fn(l->pass_ends[i].arg);
	return work;
}

/* With interrupts off: whether the next pass has something to do. */
static bool work_pending(void)
{
	return irq_take_pending() || handover_pending() || thread_any_ready() ||
	       timer_next_deadline() <= time_ns();
}

bool mainloop_running(void)
{
	return loops[cpu_self()].running;
}

void mainloop_run(void)
{
	struct loop *l = &loops[cpu_self()];

	if (cpu_self() != 0)
		timer_start_cpu(); /* this CPU's LAPIC timer: our deadlines */
	profile_start_cpu();
	l->running = true;
	pr_info("CPU %u running, %zu poller(s)", cpu_self(), l->n_pollers);
	irq_enable();
	for (;;) {
		if (mainloop_run_once() > 0)
			continue;
		irq_disable();
		if (work_pending()) {
			irq_enable();
			continue;
		}
		timer_program();
		l->stats.halts++;
		smp_idle_halt(); /* sti; hlt: an interrupt from here wakes us */
	}
}

bool mainloop_get_cpu_stats(unsigned cpu, struct mainloop_stats *st)
{
	if (cpu >= CPU_MAX)
		return false;
	*st = loops[cpu].stats;
	return true;
}

/* Sums over the CPUs: each counter is an aligned word, never torn. */
void mainloop_get_stats(struct mainloop_stats *st)
{
	*st = (struct mainloop_stats){ 0 };
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++) {
		const struct mainloop_stats *c = &loops[cpu].stats;

		st->iterations += READ_ONCE(c->iterations);
		st->halts += READ_ONCE(c->halts);
		st->busy_passes += READ_ONCE(c->busy_passes);
	}
}
