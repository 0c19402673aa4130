// SPDX-License-Identifier: MIT
/*
 * Unit tests for kernel/sched/completion.c: the main loop polls until the
 * completion is signalled or the deadline passes; a thread sleeps. The
 * thread calls are stubbed here: "in a thread" is a flag, and sleeping
 * runs what the main loop would (the device completing).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/errno.h"
#include "kernel/sched/completion.h"
#include "kernel/sched/thread.h"
#include "tests/fakes/fake_clock.h"

#define POLL_STEP_NS 1000

static bool in_thread;
static int sleeps, wakeups, polls;
static int complete_after; /* polls or sleeps before the device answers */
static struct completion *pending;

struct thread *thread_current(void)
{
	return in_thread ? (struct thread *)&in_thread : NULL;
}

int thread_wakeup(const void *chan)
{
	assert_ptr_equal(chan, pending);
	wakeups++;
	return 0;
}

/* The main loop runs while the thread sleeps; the device may answer. */
void thread_sleep(const void *chan)
{
	assert_ptr_equal(chan, pending);
	if (++sleeps == complete_after)
		completion_signal(pending, -EIO);
}

static int device_poll(void *arg)
{
	assert_ptr_equal(arg, &polls);
	fake_clock_ns += POLL_STEP_NS;
	if (++polls == complete_after)
		completion_signal(pending, 0);
	return 1;
}

static void wait_setup(struct completion *c, bool thread, int after)
{
	*c = (struct completion){ 0 };
	pending = c;
	in_thread = thread;
	complete_after = after;
	sleeps = wakeups = polls = 0;
	fake_clock_ns = 1000000;
}

static void test_mainloop_polls_until_done(void **state)
{
	struct completion c;

	(void)state;
	wait_setup(&c, false, 5);
	assert_int_equal(completion_wait(&c, fake_clock_ns + 100 * POLL_STEP_NS,
					 device_poll, &polls),
			 0);
	assert_true(c.done);
	assert_int_equal(polls, 5);
	assert_int_equal(sleeps, 0);
	assert_int_equal(wakeups, 1);
}

static void test_mainloop_deadline(void **state)
{
	struct completion c;
	uint64_t start;

	(void)state;
	wait_setup(&c, false, 1000000);
	start = fake_clock_ns;
	assert_int_equal(completion_wait(&c, start + 10 * POLL_STEP_NS,
					 device_poll, &polls),
			 -ETIMEDOUT);
	assert_false(c.done);
	/* Polled until the clock passed the deadline, then no more. */
	assert_int_equal(polls, 11);
	assert_true(fake_clock_ns > start + 10 * POLL_STEP_NS);
}

static void test_already_done(void **state)
{
	struct completion c;

	(void)state;
	wait_setup(&c, false, 1);
	completion_signal(&c, -ENOSPC);
	assert_int_equal(completion_wait(&c, 0, device_poll, &polls), -ENOSPC);
	assert_int_equal(polls, 0);
}

static void test_thread_sleeps_without_deadline(void **state)
{
	struct completion c;

	(void)state;
	wait_setup(&c, true, 3);
	/* A deadline already past does not matter to a sleeping thread. */
	assert_int_equal(completion_wait(&c, 0, device_poll, &polls), -EIO);
	assert_int_equal(sleeps, 3);
	assert_int_equal(polls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mainloop_polls_until_done),
		cmocka_unit_test(test_mainloop_deadline),
		cmocka_unit_test(test_already_done),
		cmocka_unit_test(test_thread_sleeps_without_deadline),
	};
	return cmocka_run_group_tests_name("completion", tests, NULL, NULL);
}
