// SPDX-License-Identifier: MIT
/*
 * The main loop (interface and pass structure in kernel/sched/mainloop.h).
 * Pollers are a fixed table (MAINLOOP_POLLERS_MAX) filled at init time by
 * drivers; everything here is [m] except the IRQ pending flag, which
 * kernel/sched/irq.c owns.
 */
#define PR_PREFIX "mainloop: "
#include "kernel/arch/smp.h"
#include "kernel/sched/mainloop.h"

#include "kernel/arch/time.h"
#include "kernel/core/printk.h"
#include "kernel/cpu/cpu.h"
#include "kernel/lib/errno.h"
#include "kernel/param.h"
#include "kernel/sched/irq.h"
#include "kernel/sched/thread.h"
#include "kernel/sched/timer.h"

struct poller {
	mainloop_poll_fn fn; /* [m] */
	void *arg; /* [m] */
};

static struct poller pollers[MAINLOOP_POLLERS_MAX]; /* [m] */
static size_t n_pollers; /* [m] */
static struct mainloop_stats stats; /* [m] */
static bool running; /* [m] */

int mainloop_add_poller(mainloop_poll_fn fn, void *arg)
{
	if (n_pollers == ARRAY_SIZE(pollers)) {
		pr_err("no poller slot left (max %d)", MAINLOOP_POLLERS_MAX);
		return -ENOSPC;
	}
	pollers[n_pollers].fn = fn;
	pollers[n_pollers].arg = arg;
	n_pollers++;
	return 0;
}

int mainloop_run_once(void)
{
	int work = 0;

	stats.iterations++;
	smp_this_stats()->loop_passes++;
	for (size_t i = 0; i < n_pollers; i++)
		work += pollers[i].fn(pollers[i].arg);
	if (work)
		stats.busy_passes++;
	timer_run_expired();
	thread_run_ready();
	return work;
}

/* With interrupts off: whether the next pass has something to do. */
static bool work_pending(void)
{
	return irq_take_pending() || thread_any_ready() ||
	       timer_next_deadline() <= time_ns();
}

bool mainloop_running(void)
{
	return running;
}

void mainloop_run(void)
{
	running = true;
	pr_info("running, %zu poller(s)", n_pollers);
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
		stats.halts++;
		smp_idle_halt(); /* sti; hlt: an interrupt from here wakes us */
	}
}

void mainloop_get_stats(struct mainloop_stats *st)
{
	*st = stats;
}
