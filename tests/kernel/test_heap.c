// SPDX-License-Identifier: MIT
/* Unit tests for kernel/mm/heap.c over the host fake frame allocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/mm/heap.h"
#include "kernel/param.h"
#include "tests/fakes/fake_pmm.h"

static void test_sizes_aligned_and_writable(void **state)
{
	static const size_t sizes[] = { 0,    1,    15,	  16,	 17,
					100,  512,  1000, 1009,	 2016,
					2017, 4000, 4096, 10000, 65536 };
	void *p[sizeof(sizes) / sizeof(sizes[0])];

	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		p[i] = kmalloc(sizes[i]);
		assert_non_null(p[i]);
		assert_int_equal((uintptr_t)p[i] % 16, 0);
		memset(p[i], (int)i, sizes[i]); /* ASan checks the bounds */
	}
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		for (size_t b = 0; b < sizes[i]; b++)
			assert_int_equal(((unsigned char *)p[i])[b], i);
		kfree(p[i]);
	}
}

static void test_no_overlap_many_objects(void **state)
{
	enum { N = 3000 };
	static unsigned char *p[N];

	(void)state;
	for (int i = 0; i < N; i++) {
		size_t sz = 1 + (size_t)(i * 37) % 700;
		p[i] = kmalloc(sz);
		assert_non_null(p[i]);
		memset(p[i], i & 0xFF, sz);
	}
	for (int i = 0; i < N; i++)
		assert_int_equal(p[i][0], i & 0xFF);
	for (int i = 0; i < N; i += 2)
		kfree(p[i]);
	for (int i = 1; i < N; i += 2)
		kfree(p[i]);
}

static void test_pages_return_when_empty(void **state)
{
	enum { N = 1000 };
	void *p[N];
	struct heap_stats st;
	uint64_t before = fake_pmm_pages_outstanding();

	(void)state;
	for (int i = 0; i < N; i++)
		p[i] = kmalloc(64);
	heap_get_stats(&st);
	assert_true(st.slab_pages >= N / 63);
	for (int i = 0; i < N; i++)
		kfree(p[i]);
	/* At most one empty slab per class is kept. */
	assert_true(fake_pmm_pages_outstanding() <= before + 1);
}

static void test_kzalloc_zeroes_reused_memory(void **state)
{
	(void)state;
	unsigned char *a = kmalloc(200);
	memset(a, 0xAA, 200);
	kfree(a);
	unsigned char *b = kzalloc(200);
	for (int i = 0; i < 200; i++)
		assert_int_equal(b[i], 0);
	kfree(b);
}

static void test_stats_balance(void **state)
{
	struct heap_stats a, b;

	(void)state;
	heap_get_stats(&a);
	void *x = kmalloc(100), *y = kmalloc(5000);
	heap_get_stats(&b);
	assert_int_equal(b.allocs - a.allocs, 2);
	assert_int_equal(b.bytes_in_use - a.bytes_in_use, 128 + 2 * PAGE_SIZE);
	assert_int_equal(b.large_pages - a.large_pages, 2);
	kfree(x);
	kfree(y);
	heap_get_stats(&b);
	assert_int_equal(b.bytes_in_use, a.bytes_in_use);
	assert_int_equal(b.frees - a.frees, 2);
}

static void test_bad_frees_panic(void **state)
{
	(void)state;
	char *p = kmalloc(32);
	char *big = kmalloc(8192);

	expect_assert_failure(kfree(p + 16 + 1)); /* not an object start */
	expect_assert_failure(kfree(big + 16)); /* inside a large block */
	kfree(p);
	expect_assert_failure(kfree(p)); /* double free */
	kfree(big);
	kfree(NULL);
}

static void test_out_of_memory(void **state)
{
	(void)state;
	fake_pmm_fail_after(0);
	assert_null(kmalloc(100000));
	assert_null(kmalloc((size_t)1 << 50));
	fake_pmm_fail_after(-1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_aligned_and_writable),
		cmocka_unit_test(test_no_overlap_many_objects),
		cmocka_unit_test(test_pages_return_when_empty),
		cmocka_unit_test(test_kzalloc_zeroes_reused_memory),
		cmocka_unit_test(test_stats_balance),
		cmocka_unit_test(test_bad_frees_panic),
		cmocka_unit_test(test_out_of_memory),
	};
	return cmocka_run_group_tests_name("heap", tests, NULL, NULL);
}
