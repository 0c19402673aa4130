// SPDX-License-Identifier: MIT
/* The lock-order checker's decisions (kernel/core/lockcheck.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernel/core/lockcheck.h"

static struct lockcheck_cpu cpu;
static struct spinlock heap = SPINLOCK_INIT("heap", LOCK_RANK_HEAP);
static struct spinlock pmm = SPINLOCK_INIT("pmm", LOCK_RANK_PMM);
static struct spinlock console = SPINLOCK_INIT("console", LOCK_RANK_CONSOLE);

static int setup(void **state)
{
	struct spinlock *all[] = { &heap, &pmm, &console };

	cpu = (struct lockcheck_cpu){ 0 };
	for (size_t i = 0; i < 3; i++) {
		all[i]->seen_in_irq = 0;
		all[i]->seen_irqs_on = 0;
		all[i]->reported = 0;
	}
	return 0;
}

static enum lockcheck_verdict take(struct spinlock *l, bool irqs_on,
				   bool in_irq, const struct spinlock **other)
{
	return lockcheck_acquire(&cpu, l, irqs_on, in_irq, other);
}

static void test_increasing_order_is_fine(void **state)
{
	const struct spinlock *other;

	assert_int_equal(take(&heap, false, false, &other), LOCKCHECK_OK);
	assert_int_equal(take(&pmm, false, false, &other), LOCKCHECK_OK);
	assert_int_equal(take(&console, false, false, &other), LOCKCHECK_OK);
	assert_int_equal(cpu.n_held, 3);
	assert_true(lockcheck_release(&cpu, &console));
	assert_true(lockcheck_release(&cpu, &pmm));
	assert_true(lockcheck_release(&cpu, &heap));
	assert_int_equal(cpu.n_held, 0);
}

static void test_inversion_names_the_held_lock(void **state)
{
	const struct spinlock *other;

	assert_int_equal(take(&pmm, false, false, &other), LOCKCHECK_OK);
	assert_int_equal(take(&heap, false, false, &other), LOCKCHECK_RANK);
	assert_ptr_equal(other, &pmm);
	/* The violating lock is still recorded, so releases stay paired. */
	assert_int_equal(cpu.n_held, 2);
	assert_true(lockcheck_release(&cpu, &heap));
	assert_true(lockcheck_release(&cpu, &pmm));
}

static void test_same_lock_twice_is_an_inversion(void **state)
{
	const struct spinlock *other;

	take(&heap, false, false, &other);
	assert_int_equal(take(&heap, false, false, &other), LOCKCHECK_RANK);
	assert_ptr_equal(other, &heap);
}

static void test_release_out_of_order(void **state)
{
	const struct spinlock *other;

	take(&heap, false, false, &other);
	take(&pmm, false, false, &other);
	assert_false(lockcheck_release(&cpu, &heap)); /* not innermost */
	assert_int_equal(cpu.n_held, 1);
	assert_ptr_equal(cpu.held[0], &pmm);
	/* Now only pmm is held: heap after it is an inversion, console not. */
	assert_int_equal(take(&console, false, false, &other), LOCKCHECK_OK);
	assert_false(lockcheck_release(&cpu, &heap)); /* not held at all */
}

static void test_irq_unsafe_once(void **state)
{
	const struct spinlock *other;

	/* In a handler only: fine. */
	assert_int_equal(take(&console, false, true, &other), LOCKCHECK_OK);
	lockcheck_release(&cpu, &console);
	/* With interrupts off outside a handler (irqsave): still fine. */
	assert_int_equal(take(&console, false, false, &other), LOCKCHECK_OK);
	lockcheck_release(&cpu, &console);
	/* With interrupts on: the handler could deadlock on it. */
	assert_int_equal(take(&console, true, false, &other),
			 LOCKCHECK_IRQ_UNSAFE);
	lockcheck_release(&cpu, &console);
	/* Reported once per lock. */
	assert_int_equal(take(&console, true, false, &other), LOCKCHECK_OK);
	lockcheck_release(&cpu, &console);
}

static void test_irqs_on_first_then_handler(void **state)
{
	const struct spinlock *other;

	assert_int_equal(take(&pmm, true, false, &other), LOCKCHECK_OK);
	lockcheck_release(&cpu, &pmm);
	assert_int_equal(take(&pmm, false, true, &other), LOCKCHECK_IRQ_UNSAFE);
	lockcheck_release(&cpu, &pmm);
}

static void test_deeper_than_the_stack(void **state)
{
	struct spinlock locks[LOCKCHECK_HELD_MAX + 2];
	const struct spinlock *other;

	for (int i = 0; i < LOCKCHECK_HELD_MAX + 2; i++) {
		locks[i] = (struct spinlock)SPINLOCK_INIT("deep", 10 + i);
		assert_int_equal(take(&locks[i], false, false, &other),
				 LOCKCHECK_OK);
	}
	assert_int_equal(cpu.n_held, LOCKCHECK_HELD_MAX + 2);
	for (int i = LOCKCHECK_HELD_MAX + 2; i-- > 0;)
		lockcheck_release(&cpu, &locks[i]);
	assert_int_equal(cpu.n_held, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_increasing_order_is_fine, setup),
		cmocka_unit_test_setup(test_inversion_names_the_held_lock,
				       setup),
		cmocka_unit_test_setup(test_same_lock_twice_is_an_inversion,
				       setup),
		cmocka_unit_test_setup(test_release_out_of_order, setup),
		cmocka_unit_test_setup(test_irq_unsafe_once, setup),
		cmocka_unit_test_setup(test_irqs_on_first_then_handler, setup),
		cmocka_unit_test_setup(test_deeper_than_the_stack, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
