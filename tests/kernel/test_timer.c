// SPDX-License-Identifier: MIT
/*
 * Unit tests for kernel/sched/timer.c with a fake clock and a fake LAPIC timer:
 * ordering (FIFO among equal deadlines), cancel, re-arm, expiry batches,
 * callbacks that cancel or re-arm, and hardware programming.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernel/arch/lapic.h"
#include "kernel/arch/time.h"
#include "kernel/sched/irq.h"
#include "kernel/sched/timer.h"

extern unsigned fake_cpu_id; /* tests/fakes/fake_smp.c */

/* Fakes for timer.c's dependencies. tsc == ns + TSC_OFFSET. */
#define TSC_OFFSET 1000000
static uint64_t fake_now;
static uint64_t hw_deadline; /* 0: stopped */
static int hw_writes;

uint64_t time_ns(void)
{
	return fake_now;
}

uint64_t time_ns_to_tsc(uint64_t ns)
{
	return ns + TSC_OFFSET;
}

void lapic_timer_arm_tsc(uint64_t deadline)
{
	hw_deadline = deadline;
	hw_writes++;
}

void lapic_timer_stop(void)
{
	hw_deadline = 0;
	hw_writes++;
}

void lapic_timer_init_ap(uint8_t vector)
{
	(void)vector;
}

int lapic_timer_init(uint8_t vector)
{
	return 0;
}

int irq_alloc_vector(irq_handler_fn fn, void *arg, const char *name)
{
	return 48;
}

void irq_free_vector(int vector)
{
}

/* Recorder: each callback appends its id. */
#define LOG_MAX 32
static int log_ids[LOG_MAX];
static int n_log;
static struct timer tm[8];

static void record(struct timer *t, void *arg)
{
	if (n_log < LOG_MAX)
		log_ids[n_log++] = (int)(intptr_t)arg;
}

static void setup_all(void)
{
	fake_now = 0;
	n_log = 0;
	for (size_t i = 0; i < 8; i++) {
		fake_cpu_id = tm[i].cpu; /* its owner cancels it */
		timer_cancel(&tm[i]);
		timer_setup(&tm[i], record, (void *)(intptr_t)i);
	}
	fake_cpu_id = 0;
}

static int reset(void **state)
{
	(void)state;
	setup_all();
	return 0;
}

static void test_order_and_fifo(void **state)
{
	timer_arm_at(&tm[0], 50);
	timer_arm_at(&tm[1], 10);
	timer_arm_at(&tm[2], 20);
	timer_arm_at(&tm[3], 10); /* same as tm[1]: after it */
	timer_arm_at(&tm[4], 5);
	assert_int_equal(timer_next_deadline(), 5);
	fake_now = 100;
	assert_int_equal(timer_run_expired(), 5);
	int want[] = { 4, 1, 3, 2, 0 };
	assert_int_equal(n_log, 5);
	assert_memory_equal(log_ids, want, sizeof(want));
	assert_int_equal(timer_next_deadline(), TIMER_NONE);
}

static void test_expiry_is_by_deadline(void **state)
{
	timer_arm_at(&tm[0], 10);
	timer_arm_at(&tm[1], 20);
	fake_now = 9;
	assert_int_equal(timer_run_expired(), 0);
	fake_now = 10; /* deadline reached exactly: fires */
	assert_int_equal(timer_run_expired(), 1);
	assert_int_equal(log_ids[0], 0);
	assert_false(timer_armed(&tm[0]));
	assert_true(timer_armed(&tm[1]));
	fake_now = 19;
	assert_int_equal(timer_run_expired(), 0);
	fake_now = 25;
	assert_int_equal(timer_run_expired(), 1);
	assert_int_equal(log_ids[1], 1);
}

static void test_cancel(void **state)
{
	timer_arm_at(&tm[0], 10);
	timer_arm_at(&tm[1], 20);
	timer_arm_at(&tm[2], 30);
	assert_true(timer_cancel(&tm[1]));
	assert_false(timer_cancel(&tm[1]));
	assert_true(timer_cancel(&tm[0])); /* the head */
	assert_int_equal(timer_next_deadline(), 30);
	fake_now = 100;
	assert_int_equal(timer_run_expired(), 1);
	assert_int_equal(log_ids[0], 2);
	assert_false(timer_cancel(&tm[2])); /* already fired */
}

static void test_rearm_moves(void **state)
{
	timer_arm_at(&tm[0], 10);
	timer_arm_at(&tm[1], 20);
	timer_arm_at(&tm[0], 30); /* re-arm later: now after tm[1] */
	assert_int_equal(timer_next_deadline(), 20);
	fake_now = 25;
	assert_int_equal(timer_run_expired(), 1);
	assert_int_equal(log_ids[0], 1);
	fake_now = 30;
	assert_int_equal(timer_run_expired(), 1);
	assert_int_equal(log_ids[1], 0);
}

static void test_arm_in_relative_and_saturating(void **state)
{
	fake_now = 1000;
	timer_arm_in(&tm[0], 500);
	assert_int_equal(timer_next_deadline(), 1500);
	timer_arm_in(&tm[1], UINT64_MAX); /* no wrap into the past */
	fake_now = 2000;
	assert_int_equal(timer_run_expired(), 1);
	assert_true(timer_armed(&tm[1]));
	assert_true(timer_next_deadline() > 2000);
}

/* A callback cancelling a later member of the same expired batch. */
static void cancel_next(struct timer *t, void *arg)
{
	record(t, arg);
	timer_cancel(&tm[1]);
}

static void test_callback_cancels_batch_member(void **state)
{
	timer_setup(&tm[0], cancel_next, (void *)0);
	timer_arm_at(&tm[0], 10);
	timer_arm_at(&tm[1], 11);
	timer_arm_at(&tm[2], 12);
	fake_now = 20;
	assert_int_equal(timer_run_expired(), 2);
	int want[] = { 0, 2 };
	assert_int_equal(n_log, 2);
	assert_memory_equal(log_ids, want, sizeof(want));
}

/* A callback re-arming itself for "now": must not loop in one call. */
static void rearm_self(struct timer *t, void *arg)
{
	record(t, arg);
	timer_arm_at(t, fake_now);
}

static void test_rearm_in_callback_waits_next_call(void **state)
{
	timer_setup(&tm[0], rearm_self, (void *)0);
	timer_arm_at(&tm[0], 5);
	fake_now = 10;
	assert_int_equal(timer_run_expired(), 1);
	assert_true(timer_armed(&tm[0]));
	assert_int_equal(timer_run_expired(), 1);
	assert_int_equal(n_log, 2);
	timer_cancel(&tm[0]);
}

static void test_program_earliest_and_stop(void **state)
{
	timer_program(); /* sync with whatever earlier tests left */
	timer_arm_at(&tm[0], 300);
	timer_arm_at(&tm[1], 100);
	hw_writes = 0;
	timer_program();
	assert_int_equal(hw_deadline, 100 + TSC_OFFSET);
	assert_int_equal(hw_writes, 1);
	timer_program(); /* unchanged: no register write */
	assert_int_equal(hw_writes, 1);
	timer_cancel(&tm[1]);
	timer_program();
	assert_int_equal(hw_deadline, 300 + TSC_OFFSET);
	timer_cancel(&tm[0]);
	timer_program();
	assert_int_equal(hw_deadline, 0);
	assert_int_equal(hw_writes, 3);
}

/* Each CPU has its own list: a timer fires on the CPU that armed it,
 * and the earliest deadline is per CPU. */
static void test_timers_are_per_cpu(void **state)
{
	timer_arm_at(&tm[0], 30); /* CPU 0 */
	fake_cpu_id = 1;
	timer_arm_at(&tm[1], 10);
	assert_int_equal(timer_next_deadline(), 10);
	fake_cpu_id = 0;
	assert_int_equal(timer_next_deadline(), 30);
	fake_now = 100;
	assert_int_equal(timer_run_expired(), 1); /* only CPU 0's */
	assert_int_equal(n_log, 1);
	assert_int_equal(log_ids[0], 0);
	assert_true(timer_armed(&tm[1]));
	fake_cpu_id = 1;
	assert_int_equal(timer_run_expired(), 1);
	assert_int_equal(log_ids[1], 1);
	assert_int_equal(timer_next_deadline(), TIMER_NONE);
	fake_cpu_id = 0;
}

/* Re-arming or cancelling another CPU's armed timer is a bug. */
static void test_foreign_cancel_is_a_bug(void **state)
{
	fake_cpu_id = 1;
	timer_arm_at(&tm[2], 10);
	fake_cpu_id = 0;
	expect_assert_failure(timer_cancel(&tm[2]));
	expect_assert_failure(timer_arm_at(&tm[2], 20));
	fake_cpu_id = 1;
	assert_true(timer_cancel(&tm[2]));
	fake_cpu_id = 0;
}

static void test_stats(void **state)
{
	struct timer_stats a, b;

	timer_get_stats(&a);
	timer_arm_at(&tm[0], 1);
	timer_arm_at(&tm[1], 2);
	timer_cancel(&tm[1]);
	fake_now = 5;
	timer_run_expired();
	timer_get_stats(&b);
	assert_int_equal(b.armed - a.armed, 2);
	assert_int_equal(b.cancelled - a.cancelled, 1);
	assert_int_equal(b.fired - a.fired, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_order_and_fifo, reset),
		cmocka_unit_test_setup(test_expiry_is_by_deadline, reset),
		cmocka_unit_test_setup(test_cancel, reset),
		cmocka_unit_test_setup(test_rearm_moves, reset),
		cmocka_unit_test_setup(test_arm_in_relative_and_saturating,
				       reset),
		cmocka_unit_test_setup(test_callback_cancels_batch_member,
				       reset),
		cmocka_unit_test_setup(test_rearm_in_callback_waits_next_call,
				       reset),
		cmocka_unit_test_setup(test_program_earliest_and_stop, reset),
		cmocka_unit_test_setup(test_stats, reset),
		cmocka_unit_test_setup(test_timers_are_per_cpu, reset),
		cmocka_unit_test_setup(test_foreign_cancel_is_a_bug, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
