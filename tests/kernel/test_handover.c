// SPDX-License-Identifier: MIT
/*
 * Unit tests for kernel/sched/handover.c, with CPUs played by
 * fake_cpu_id and IPIs recorded by the fake smp_kick: work handed to a
 * CPU runs only in that CPU's poll, oldest first; a CPU is kicked when
 * its queue goes from empty to not empty, never for its own handovers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernel/cpu/percpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/param.h"
#include "kernel/sched/handover.h"

extern unsigned fake_kicks[CPU_MAX]; /* tests/fakes/fake_smp.c */

struct job {
	struct handover h;
	int id;
	unsigned ran_on;
};

static int order[16];
static int n_order;

static void run_job(struct handover *h)
{
	struct job *j = container_of(h, struct job, h);

	j->ran_on = cpu_self();
	order[n_order++] = j->id;
}

static int reset(void **state)
{
	(void)state;
	for (unsigned cpu = 0; cpu < 4; cpu++) {
		fake_cpu_id = cpu;
		handover_poll(NULL);
		fake_kicks[cpu] = 0;
	}
	fake_cpu_id = 0;
	n_order = 0;
	return 0;
}

static void test_runs_on_target_in_order(void **state)
{
	struct job a = { .id = 1 }, b = { .id = 2 }, c = { .id = 3 };

	fake_cpu_id = 1; /* CPU 1 hands three jobs to CPU 0 */
	handover_to(0, &a.h, run_job);
	handover_to(0, &b.h, run_job);
	handover_to(0, &c.h, run_job);
	assert_int_equal(handover_poll(NULL), 0); /* not CPU 1's */
	assert_false(handover_pending());
	fake_cpu_id = 0;
	assert_true(handover_pending());
	assert_int_equal(handover_poll(NULL), 3);
	assert_int_equal(n_order, 3);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
	assert_int_equal(order[2], 3);
	assert_int_equal(a.ran_on, 0);
	assert_int_equal(c.ran_on, 0);
	assert_false(handover_pending());
	assert_int_equal(handover_poll(NULL), 0);
}

static void test_kick_only_when_queue_was_empty(void **state)
{
	struct job a = { .id = 1 }, b = { .id = 2 }, c = { .id = 3 };

	fake_cpu_id = 2;
	handover_to(3, &a.h, run_job);
	handover_to(3, &b.h, run_job);
	assert_int_equal(fake_kicks[3], 1); /* b found a queued: no IPI */
	fake_cpu_id = 3;
	handover_poll(NULL);
	fake_cpu_id = 2;
	handover_to(3, &c.h, run_job);
	assert_int_equal(fake_kicks[3], 2); /* empty again: kicked */
	fake_cpu_id = 3;
	handover_poll(NULL);
	assert_int_equal(c.ran_on, 3);
}

static void test_self_handover_is_queued_not_run(void **state)
{
	struct job a = { .id = 7 };
	struct handover_stats st0, st1;

	handover_get_cpu_stats(0, &st0);
	handover_to(0, &a.h, run_job);
	assert_int_equal(n_order, 0); /* never on the spot */
	assert_int_equal(fake_kicks[0], 0); /* no IPI to oneself */
	assert_int_equal(handover_poll(NULL), 1);
	assert_int_equal(a.ran_on, 0);
	handover_get_cpu_stats(0, &st1);
	assert_int_equal(st1.local, st0.local + 1);
	assert_int_equal(st1.run, st0.run + 1);
	assert_int_equal(st1.kicks, st0.kicks);
}

/* A handover run may hand over again (to itself: next poll). */
static struct job again = { .id = 9 };
static void requeue_once(struct handover *h)
{
	run_job(h);
	if (n_order == 1)
		handover_to(cpu_self(), h, requeue_once);
}

static void test_requeue_from_fn_waits_for_next_poll(void **state)
{
	fake_cpu_id = 1;
	handover_to(1, &again.h, requeue_once);
	assert_int_equal(handover_poll(NULL), 1);
	assert_int_equal(n_order, 1);
	assert_true(handover_pending());
	assert_int_equal(handover_poll(NULL), 1);
	assert_int_equal(n_order, 2);
	fake_cpu_id = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_runs_on_target_in_order, reset),
		cmocka_unit_test_setup(test_kick_only_when_queue_was_empty,
				       reset),
		cmocka_unit_test_setup(test_self_handover_is_queued_not_run,
				       reset),
		cmocka_unit_test_setup(test_requeue_from_fn_waits_for_next_poll,
				       reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
