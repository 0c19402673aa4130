// SPDX-License-Identifier: MIT
/*
 * selftest=timers (interface in kernel/sched/timer_selftest.h). From the main
 * loop it arms timers of 50, 10 and 20 ms (in that order), starts two
 * threads that hand a token back and forth PINGPONG_ROUNDS times through
 * thread_sleep/thread_wakeup, and a third that sleeps SLEEP_MS with
 * thread_sleep_ns. Each event prints its elapsed time; when all are done
 * a summary (context switches, halts, TSC frequency) is printed and the
 * VM exits with success. The pytest side checks the numbers.
 */
#define PR_PREFIX "selftest: "
#include "kernel/sched/timer_selftest.h"

#include "kernel/arch/time.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/printk.h"
#include "kernel/core/qemu_exit.h"
#include "kernel/lib/string.h"
#include "kernel/sched/mainloop.h"
#include "kernel/sched/thread.h"
#include "kernel/sched/timer.h"

#define PINGPONG_ROUNDS 100
#define SLEEP_MS 30
#define N_TIMERS 3
#define N_EVENTS (N_TIMERS + 3) /* timers, two ping-pong threads, sleeper */
#define SELFTEST_NAME_MAX 16

static char selftest[SELFTEST_NAME_MAX];
KPARAM_STR(selftest, selftest, "boot self-test to run: timers");

static const unsigned timer_ms[N_TIMERS] = { 50, 10, 20 };
static struct timer timers[N_TIMERS];
static struct timer done_timer;
static uint64_t t0_ns, switches0;
static int fired_order, events;
static int turn; /* whose turn in the ping-pong: 0 or 1 */

static void event_done(void)
{
	if (++events == N_EVENTS)
		timer_arm_in(&done_timer, 0); /* after the threads are reaped */
}

static void timer_fired(struct timer *t, void *arg)
{
	unsigned ms = *(const unsigned *)arg;

	pr_info("timer %u ms fired at %lu us, order %d", ms,
		(unsigned long)((time_ns() - t0_ns) / NSEC_PER_USEC),
		fired_order++);
	event_done();
}

static void pingpong(void *arg)
{
	int me = (int)(intptr_t)arg;

	for (int i = 0; i < PINGPONG_ROUNDS; i++) {
		while (turn != me)
			thread_sleep(&turn);
		turn = !me;
		thread_wakeup(&turn);
	}
	pr_info("pingpong %d done after %d rounds", me, PINGPONG_ROUNDS);
	event_done();
}

static void sleeper(void *arg)
{
	uint64_t start = time_ns();

	thread_sleep_ns(SLEEP_MS * NSEC_PER_MSEC);
	pr_info("slept %u ms: %lu us", SLEEP_MS,
		(unsigned long)((time_ns() - start) / NSEC_PER_USEC));
	event_done();
}

static void finish(struct timer *t, void *arg)
{
	struct thread_stats ts;
	struct mainloop_stats ms;
	struct timer_stats tm;

	thread_get_stats(&ts);
	mainloop_get_stats(&ms);
	timer_get_stats(&tm);
	pr_info("switches %lu (rounds %d), threads live %lu, halts %lu, "
		"timer irqs %lu, tsc_hz %lu",
		(unsigned long)(ts.switches - switches0), PINGPONG_ROUNDS,
		(unsigned long)ts.live, (unsigned long)ms.halts,
		(unsigned long)tm.irqs, (unsigned long)time_tsc_hz());
	pr_info("timers: done");
	qemu_exit(QEMU_EXIT_SUCCESS);
}

bool timer_selftest_start(void)
{
	struct thread_stats ts;

	if (strcmp(selftest, "timers") != 0)
		return false;
	thread_get_stats(&ts);
	switches0 = ts.switches;
	timer_setup(&done_timer, finish, NULL);
	t0_ns = time_ns();
	for (int i = 0; i < N_TIMERS; i++) {
		timer_setup(&timers[i], timer_fired, (void *)&timer_ms[i]);
		timer_arm_at(&timers[i], t0_ns + timer_ms[i] * NSEC_PER_MSEC);
	}
	if (!thread_create(pingpong, (void *)0, "ping") ||
	    !thread_create(pingpong, (void *)1, "pong") ||
	    !thread_create(sleeper, NULL, "sleeper")) {
		pr_err("cannot create threads");
		qemu_exit(QEMU_EXIT_FAILURE);
	}
	pr_info("timers: started");
	return true;
}
