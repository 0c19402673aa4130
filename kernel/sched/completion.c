// SPDX-License-Identifier: MIT
/* completion_signal and completion_wait (interface in completion.h). */
#include "kernel/sched/completion.h"

#include "kernel/arch/time.h"
#include "kernel/cpu/cpu.h"
#include "kernel/lib/errno.h"
#include "kernel/sched/handover.h"
#include "kernel/sched/thread.h"

void completion_signal(void *arg, int err)
{
	struct completion *c = arg;

	c->err = err;
	c->done = true;
	thread_wakeup(c);
}

/*
 * A thread (a LAIO continuation) sleeps and lets the main loop run the
 * device; it has no deadline of its own, since the main loop's pollers
 * keep going. The main loop spins on poll() with a bounded wait, and
 * runs what other CPUs handed to this one meanwhile (the completion may
 * be among it).
 */
int completion_wait(struct completion *c, uint64_t deadline_ns,
		    mainloop_poll_fn poll, void *poll_arg)
{
	while (!c->done) {
		if (thread_current()) {
			thread_sleep(c);
			continue;
		}
		if (time_ns() > deadline_ns)
			return -ETIMEDOUT;
		poll(poll_arg);
		/* Another CPU may have reaped our completion and handed it
		 * here: our main loop is not running to take it. */
		handover_poll(NULL);
		cpu_relax();
	}
	return c->err;
}
