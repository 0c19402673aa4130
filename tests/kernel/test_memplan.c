// SPDX-License-Identifier: MIT
/*
 * Unit tests for kernel/mm/memplan.c: a large machine gets the old
 * constants back, a small one gets every share scaled down but usable,
 * and below the floor there is no plan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "kernel/mm/memplan.h"
#include "kernel/param.h"

#define MIB_PAGES(n) ((uint64_t)(n) << (20 - PAGE_SHIFT))

static void test_large_machine_keeps_the_old_sizes(void **state)
{
	struct memplan p;

	(void)state;
	assert_true(memplan_make(MIB_PAGES(126), 0, &p));
	assert_int_equal(p.pool_pages, MIB_PAGES(62)); /* half, 2 MiB runs */
	assert_int_equal(p.rx_bufs, VNET_RX_BUFS_MAX);
	assert_int_equal(p.rx_ring, VNET_QUEUE_SIZE);
	assert_int_equal(p.lwip_bytes, LWIP_MEM_MAX);
	assert_int_equal(p.conn_max, CONN_MAX_DEFAULT);
	assert_int_equal(p.laio_workers, LAIO_WORKERS_MAX);
	/* The window is bounded well below the pool: mappings recycle. */
	assert_int_equal(p.map_slots, SFBUF_WINDOW_SLOTS);
	assert_true(p.map_slots < p.pool_pages / 2);
}

static void test_small_machine_scales_down(void **state)
{
	struct memplan p;
	uint64_t free = 640; /* a 4 MiB guest, after the kernel */

	(void)state;
	assert_true(memplan_make(free, 0, &p));
	assert_int_equal(p.pool_pages, free / 2); /* not rounded to 2 MiB */
	assert_true(p.rx_bufs <= p.pool_pages / 2);
	assert_true(p.rx_ring < p.rx_bufs);
	assert_true(p.lwip_bytes < (free - p.pool_pages) * PAGE_SIZE);
	assert_true(p.lwip_bytes >= LWIP_MEM_MIN);
	assert_true(p.conn_max >= CONN_MAX_MIN && p.conn_max < 1024);
	assert_int_equal(p.map_slots, 2 * p.pool_pages);
	/* Spare LAIO stacks: a sixteenth of what the pool leaves, at most. */
	assert_true(p.laio_workers >= 2);
	assert_true((uint64_t)p.laio_workers * THREAD_STACK_PAGES <=
		    (free - p.pool_pages) / 16);
}

static void test_pool_choice_is_kept(void **state)
{
	struct memplan p;

	(void)state;
	assert_true(memplan_make(MIB_PAGES(30), MIB_PAGES(2), &p));
	assert_int_equal(p.pool_pages, MIB_PAGES(2));
	assert_int_equal(p.rx_bufs, MIB_PAGES(2) / 4);
}

static void test_below_the_floor_no_plan(void **state)
{
	struct memplan p = { .pool_pages = 77 };

	(void)state;
	assert_false(memplan_make(MEMPLAN_FLOOR_PAGES - 1, 0, &p));
	assert_int_equal(p.pool_pages, 77);
	assert_true(memplan_make(MEMPLAN_FLOOR_PAGES, 0, &p));
}

static void test_default_plan_before_boot(void **state)
{
	struct memplan p;

	(void)state;
	assert_int_equal(memplan()->conn_max, CONN_MAX_DEFAULT);
	assert_true(memplan_make(600, 0, &p));
	memplan_set(&p);
	assert_int_equal(memplan()->conn_max, p.conn_max);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_large_machine_keeps_the_old_sizes),
		cmocka_unit_test(test_small_machine_scales_down),
		cmocka_unit_test(test_pool_choice_is_kept),
		cmocka_unit_test(test_below_the_floor_no_plan),
		cmocka_unit_test(test_default_plan_before_boot),
	};

	return cmocka_run_group_tests_name("memplan", tests, NULL, NULL);
}
