// SPDX-License-Identifier: MIT
/* Unit tests for kernel/mm/pmm.c: regions, exclusions, runs, alignment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/errno.h"
#include "kernel/mm/pmm.h"
#include "kernel/param.h"

#define MiB (1ull << 20)

static uint64_t bitmap[4096];

/* A PC-like map: 0-640K, 1M-32M, a hole, 64M-96M (unaligned edges). */
static long init_pc(void)
{
	static const struct pmm_region usable[] = {
		{ .base = 0, .pages = 160 },
		{ .base = 1 * MiB, .pages = (31 * MiB) >> PAGE_SHIFT },
		{ .base = 64 * MiB, .pages = (32 * MiB) >> PAGE_SHIFT },
	};
	static const struct pmm_region exclude[] = {
		{ .base = 0, .pages = 256 }, /* first MiB */
		{ .base = 1 * MiB, .pages = 512 }, /* kernel: 2 MiB */
	};

	assert_true(pmm_bitmap_bytes(96 * MiB) <= sizeof(bitmap));
	return pmm_init(usable, 3, exclude, 2, bitmap);
}

static void test_init_counts(void **state)
{
	struct pmm_stats st;

	(void)state;
	long free = init_pc();
	/* 31 MiB - 2 MiB kernel + 32 MiB */
	assert_int_equal(free, ((29 + 32) * MiB) >> PAGE_SHIFT);
	pmm_get_stats(&st);
	assert_int_equal(st.free_pages, free);
	assert_int_equal(st.total_pages, free);
	assert_int_equal(pmm_ram_top(), 96 * MiB);
}

static void test_never_returns_excluded_or_holes(void **state)
{
	uint64_t pa;
	size_t n = 0;

	(void)state;
	init_pc();
	while ((pa = pmm_alloc_page()) != 0) {
		assert_true(pa >= 3 * MiB);
		assert_false(pa >= 32 * MiB && pa < 64 * MiB);
		assert_true(pa < 96 * MiB);
		assert_int_equal(pa % PAGE_SIZE, 0);
		n++;
	}
	assert_int_equal(n, ((29 + 32) * MiB) >> PAGE_SHIFT);
}

static void test_contiguous_and_aligned(void **state)
{
	(void)state;
	init_pc();
	uint64_t a = pmm_alloc(3, 1);
	uint64_t b = pmm_alloc(512, 512); /* 2 MiB aligned run */

	assert_int_equal(a, 3 * MiB);
	assert_int_equal(b % (2 * MiB), 0);
	assert_true(b >= a + 3 * PAGE_SIZE);
	/* A run larger than any region cannot be found. */
	assert_int_equal(pmm_alloc((40 * MiB) >> PAGE_SHIFT, 1), 0);
	/* Spanning the hole is not a run. */
	assert_int_equal(pmm_alloc((33 * MiB) >> PAGE_SHIFT, 1), 0);
	assert_int_equal(pmm_alloc(0, 1), 0);
	assert_int_equal(pmm_alloc(1, 3), 0); /* align not a power of 2 */
}

static void test_free_reuse_and_stats(void **state)
{
	struct pmm_stats st;

	(void)state;
	long free = init_pc();
	uint64_t p[10];

	for (int i = 0; i < 10; i++)
		p[i] = pmm_alloc_page();
	pmm_get_stats(&st);
	assert_int_equal(st.free_pages, free - 10);
	pmm_free(p[4], 1);
	assert_int_equal(pmm_alloc_page(), p[4]); /* lowest first */
	for (int i = 0; i < 10; i++)
		pmm_free(p[i], 1);
	pmm_get_stats(&st);
	assert_int_equal(st.free_pages, free);
}

static void test_double_free_panics(void **state)
{
	(void)state;
	init_pc();
	uint64_t p = pmm_alloc_page();

	pmm_free(p, 1);
	expect_assert_failure(pmm_free(p, 1));
	expect_assert_failure(pmm_free(p + 1, 1)); /* unaligned */
	expect_assert_failure(pmm_free(200 * MiB, 1)); /* past the top */
}

static void test_reserve(void **state)
{
	struct pmm_stats st;

	(void)state;
	long free = init_pc();

	assert_int_equal(pmm_reserve(64 * MiB, 1024), 0);
	assert_int_equal(pmm_reserve(64 * MiB, 1), -EBUSY);
	assert_int_equal(pmm_reserve(32 * MiB, 1), -EBUSY); /* hole */
	pmm_get_stats(&st);
	assert_int_equal(st.reserved_pages, 1024);
	assert_int_equal(st.free_pages, free - 1024);
}

static void test_empty_map(void **state)
{
	static const struct pmm_region usable[] = { { .base = 0,
						      .pages = 16 } };
	static const struct pmm_region exclude[] = { { .base = 0,
						       .pages = 16 } };

	(void)state;
	assert_int_equal(pmm_init(usable, 1, exclude, 1, bitmap), -EINVAL);
	assert_int_equal(pmm_alloc_page(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_counts),
		cmocka_unit_test(test_never_returns_excluded_or_holes),
		cmocka_unit_test(test_contiguous_and_aligned),
		cmocka_unit_test(test_free_reuse_and_stats),
		cmocka_unit_test(test_double_free_panics),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_empty_map),
	};
	return cmocka_run_group_tests_name("pmm", tests, NULL, NULL);
}
