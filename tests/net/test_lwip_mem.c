// SPDX-License-Identifier: MIT
/*
 * Unit tests for net/lwip-port/lwip_mem.c: lwIP's budgeted heap and its
 * per-instance free lists. The kernel heap is played by this file, which
 * counts the calls, so a test can say when the packet path reached it:
 * a small block freed and asked for again must come from the free list,
 * the lists keep at most their cap, large blocks always go to the heap,
 * and the budget counts what lwIP asked for, cached or not.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "net/lwip-port/lwip_mem.h"
#include "net/lwip-port/pool_area.h"

void *lwip_port_malloc(size_t size);
void lwip_port_free(void *ptr);

static unsigned heap_allocs, heap_frees;

void *kmalloc(size_t size)
{
	heap_allocs++;
	return malloc(size);
}

void *kzalloc(size_t size)
{
	heap_allocs++;
	return calloc(1, size);
}

void kfree(void *p)
{
	if (p)
		heap_frees++;
	free(p);
}

void *lwip_port_pool_area(size_t size)
{
	(void)size;
	return NULL;
}

static void stats(struct lwip_mem_stats *st)
{
	lwip_mem_get_stats(st);
}

static void test_small_block_reused_without_heap(void **state)
{
	struct lwip_mem_stats st;
	void *a, *b;
	unsigned allocs;

	(void)state;
	lwip_mem_set_limit(1 << 20);
	a = lwip_port_malloc(100);
	assert_non_null(a);
	memset(a, 0xa5, 100);
	lwip_port_free(a);
	allocs = heap_allocs;
	b = lwip_port_malloc(120); /* same class */
	assert_ptr_equal(a, b);
	assert_int_equal(heap_allocs, allocs);
	stats(&st);
	assert_true(st.cache_hits >= 1);
	assert_int_equal(st.used, 120);
	lwip_port_free(b);
	stats(&st);
	assert_int_equal(st.used, 0);
	assert_true(st.cached_bytes > 0);
}

static void test_cache_capped_then_heap(void **state)
{
	enum { N = 100 };
	void *p[N];
	unsigned frees;

	(void)state;
	lwip_mem_set_limit(1 << 20);
	for (int i = 0; i < N; i++)
		assert_non_null(p[i] = lwip_port_malloc(400));
	frees = heap_frees;
	for (int i = 0; i < N; i++)
		lwip_port_free(p[i]);
	/* the list keeps its cap; the rest went back to the heap */
	assert_true(heap_frees - frees > 0);
	assert_true(heap_frees - frees < N);
}

static void test_large_block_always_heap(void **state)
{
	struct lwip_mem_stats st;
	unsigned allocs, frees;
	void *p;

	(void)state;
	lwip_mem_set_limit(1 << 20);
	allocs = heap_allocs;
	frees = heap_frees;
	p = lwip_port_malloc(30000);
	assert_non_null(p);
	lwip_port_free(p);
	assert_int_equal(heap_allocs - allocs, 1);
	assert_int_equal(heap_frees - frees, 1);
	stats(&st);
	assert_int_equal(st.used, 0);
}

static void test_budget_counts_cached_blocks_as_free(void **state)
{
	struct lwip_mem_stats st;
	uint64_t refused;
	void *a, *b;

	(void)state;
	lwip_mem_set_limit(300);
	a = lwip_port_malloc(200);
	assert_non_null(a);
	stats(&st);
	refused = st.refused;
	assert_null(lwip_port_malloc(200)); /* over the budget */
	stats(&st);
	assert_int_equal(st.refused, refused + 1);
	lwip_port_free(a);
	b = lwip_port_malloc(200);
	assert_non_null(b);
	lwip_port_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_block_reused_without_heap),
		cmocka_unit_test(test_cache_capped_then_heap),
		cmocka_unit_test(test_large_block_always_heap),
		cmocka_unit_test(test_budget_counts_cached_blocks_as_free),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
