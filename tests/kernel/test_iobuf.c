// SPDX-License-Identifier: MIT
/*
 * Unit tests for kernel/io/iobuf.c: pool accounting, reference counting and
 * owners, misuse detection, and aggregates checked byte for byte against
 * a flat reference copy.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/io/iobuf.h"
#include "kernel/io/sfbuf.h"
#include "kernel/lib/errno.h"
#include "kernel/param.h"

#define POOL_PAGES 64

static struct iobuf_stats stats(void)
{
	struct iobuf_stats st;

	iobuf_get_stats(&st);
	return st;
}

static int setup_pool(void **state)
{
	(void)state;
	return iobuf_pool_init(POOL_PAGES);
}

/* A sealed page whose byte i is (seed + i) & 0xff. */
static struct iobuf *patterned(unsigned seed, uint32_t len)
{
	struct iobuf *b = iobuf_alloc(len, NULL, NULL);
	unsigned char *p;

	assert_non_null(b);
	p = iobuf_map(b);
	for (uint32_t i = 0; i < len; i++)
		p[i] = (unsigned char)(seed + i);
	iobuf_unmap(b, p);
	iobuf_seal(b, len);
	return b;
}

static void test_pool_accounting(void **state)
{
	(void)state;
	assert_int_equal(iobuf_pool_init(8), -EINVAL); /* only once */
	struct iobuf_stats s0 = stats();
	assert_int_equal(s0.pool_pages, POOL_PAGES);

	struct iobuf *a = iobuf_alloc(1, NULL, NULL);
	struct iobuf *b = iobuf_alloc(3 * PAGE_SIZE, NULL, NULL);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(b->pages, 3);
	assert_true(iobuf_pool_contains(a->pa));
	assert_true(iobuf_pool_contains(b->pa + 3 * PAGE_SIZE - 1));
	assert_false(iobuf_pool_contains(b->pa + 1000 * PAGE_SIZE));
	assert_int_equal(a->pa % PAGE_SIZE, 0);
	assert_int_equal(stats().free_pages, s0.free_pages - 4);
	assert_int_equal(stats().pinned_pages, s0.pinned_pages + 4);
	iobuf_unref(a);
	iobuf_unref(b);
	assert_int_equal(stats().free_pages, s0.free_pages);
	assert_int_equal(stats().pinned_pages, s0.pinned_pages);
}

static void test_exhaustion(void **state)
{
	struct iobuf *all[POOL_PAGES];
	uint64_t failures = stats().alloc_failures;

	(void)state;
	for (int i = 0; i < POOL_PAGES; i++)
		assert_non_null(all[i] = iobuf_alloc(PAGE_SIZE, NULL, NULL));
	assert_null(iobuf_alloc(1, NULL, NULL));
	assert_int_equal(stats().alloc_failures, failures + 1);
	assert_int_equal(stats().free_pages, 0);
	for (int i = 0; i < POOL_PAGES; i += 2)
		iobuf_unref(all[i]);
	/* 32 free pages, none adjacent: no run of two. */
	assert_null(iobuf_alloc(2 * PAGE_SIZE, NULL, NULL));
	for (int i = 1; i < POOL_PAGES; i += 2)
		iobuf_unref(all[i]);
	assert_int_equal(stats().free_pages, POOL_PAGES);
}

static void test_reserve_only_for_reserve_allocs(void **state)
{
	struct iobuf *all[POOL_PAGES], *b;
	int n = 0;

	(void)state;
	iobuf_set_reserve(4);
	while ((b = iobuf_alloc(PAGE_SIZE, NULL, NULL)) != NULL)
		all[n++] = b;
	assert_int_equal(n, POOL_PAGES - 4);
	while ((b = iobuf_alloc_reserve(1, NULL, NULL)) != NULL)
		all[n++] = b;
	assert_int_equal(n, POOL_PAGES);
	iobuf_set_reserve(0);
	for (int i = 0; i < n; i++)
		iobuf_unref(all[i]);
	assert_int_equal(stats().free_pages, POOL_PAGES);
}

static int released;
static struct iobuf *released_buf;

static void cache_release(struct iobuf *b)
{
	released++;
	released_buf = b;
}

static const struct iobuf_owner cache_owner = {
	.name = "test cache",
	.release = cache_release,
};

static void test_owner_keeps_page_until_free(void **state)
{
	(void)state;
	uint64_t free0 = stats().free_pages;
	struct iobuf *b = iobuf_alloc(100, &cache_owner, (void *)0x1234);

	released = 0;
	iobuf_ref(b);
	iobuf_unref(b);
	assert_int_equal(released, 0);
	iobuf_unref(b);
	assert_int_equal(released, 1);
	assert_ptr_equal(released_buf, b);
	assert_ptr_equal(b->owner_data, (void *)0x1234);
	/* Reclaimable but still cached: pages not back in the pool, not
	 * pinned; a cache hit revives it. */
	assert_int_equal(stats().free_pages, free0 - 1);
	iobuf_ref(b);
	assert_int_equal(b->refcnt, 1);
	iobuf_unref(b);
	assert_int_equal(released, 2);
	iobuf_free(b);
	assert_int_equal(stats().free_pages, free0);
}

/* iobuf_poison=on: a freed run holds the tag in every word, an
 * allocated page is left alone, and with it off a free writes nothing. */
static void test_poison_fills_freed_pages(void **state)
{
	struct iobuf *kept = patterned(3, PAGE_SIZE);
	struct iobuf *b = iobuf_alloc(2 * PAGE_SIZE, NULL, NULL);
	uint64_t pa = b->pa;
	const uint64_t *words;
	const unsigned char *k;

	(void)state;
	iobuf_set_poison(true);
	iobuf_unref(b);
	iobuf_set_poison(false);
	words = iobuf_pool_contains(pa) ? sfbuf_get(pa) : NULL;
	assert_non_null(words);
	for (size_t w = 0; w < 2 * PAGE_SIZE / sizeof(*words); w++)
		assert_true(words[w] == IOBUF_POISON);
	sfbuf_put((void *)words);
	k = iobuf_map(kept);
	for (uint32_t i = 0; i < PAGE_SIZE; i++)
		assert_int_equal(k[i], (unsigned char)(3 + i));
	iobuf_unmap(kept, (void *)k);
	b = patterned(5, PAGE_SIZE);
	pa = b->pa;
	iobuf_unref(b); /* poisoning off: the bytes stay */
	k = sfbuf_get(pa);
	assert_int_equal(k[7], 12);
	sfbuf_put((void *)k);
	iobuf_unref(kept);
}

static void test_misuse_panics(void **state)
{
	(void)state;
	struct iobuf *o = iobuf_alloc(10, &cache_owner, NULL);
	iobuf_unref(o);
	expect_assert_failure(iobuf_unref(o)); /* double release */
	iobuf_free(o);
	expect_assert_failure(iobuf_ref(o)); /* use after free */

	struct iobuf *p = iobuf_alloc(10, &cache_owner, NULL);
	expect_assert_failure(iobuf_free(p)); /* still referenced */
	iobuf_unref(p);
	iobuf_free(p);
}

static void check_agg(const struct ioagg *a, const unsigned char *want,
		      size_t len)
{
	unsigned char *got = malloc(len + 1);

	assert_int_equal(ioagg_len(a), len);
	assert_int_equal(ioagg_copyout(a, 0, got, len + 1), len);
	assert_memory_equal(got, want, len);
	free(got);
}

extern unsigned fake_cpu_id; /* tests/fakes/fake_smp.c */

/* A one-page buffer freed on a CPU comes back whole to that CPU's next
 * one-page allocation, without the pool; other CPUs get other pages. */
static void test_cpu_cache_reuses_freed_page(void **state)
{
	(void)state;
	struct iobuf_stats s0 = stats();

	fake_cpu_id = 1;
	struct iobuf *a = iobuf_alloc(100, NULL, NULL);
	uint64_t pa = a->pa;
	iobuf_unref(a);
	assert_int_equal(stats().cpu_cached_pages, s0.cpu_cached_pages + 1);
	assert_int_equal(stats().free_pages, s0.free_pages);
	fake_cpu_id = 0;
	struct iobuf *other = iobuf_alloc(100, NULL, NULL);
	assert_true(other->pa != pa);
	fake_cpu_id = 1;
	uint64_t hits = stats().cpu_cache_hits;
	struct iobuf *again = iobuf_alloc(PAGE_SIZE, NULL, NULL);
	assert_int_equal(again->pa, pa);
	assert_int_equal(again->refcnt, 1);
	assert_int_equal(again->len, PAGE_SIZE);
	assert_int_equal(again->flags, 0);
	assert_ptr_equal(iobuf_from_pa(pa + 5), again);
	assert_int_equal(stats().cpu_cache_hits, hits + 1);
	assert_int_equal(stats().free_pages, s0.free_pages - 2);
	iobuf_unref(again);
	fake_cpu_id = 0;
	iobuf_unref(other);
	assert_int_equal(stats().free_pages, s0.free_pages);
	assert_null(iobuf_from_pa(pa));
}

/* Free pages kept in CPU caches are not lost to anyone: a CPU with none
 * cached, or a run of several pages, gets them back from the caches. */
static int by_pa(const void *x, const void *y)
{
	uint64_t a = (*(struct iobuf *const *)x)->pa;
	uint64_t b = (*(struct iobuf *const *)y)->pa;

	return a < b ? -1 : a > b;
}

static void test_cpu_caches_drain_when_pool_runs_out(void **state)
{
	struct iobuf *all[POOL_PAGES + 1];
	struct iobuf *run;
	int n = 0, first;

	(void)state;
	fake_cpu_id = 0;
	while ((all[n] = iobuf_alloc(1, NULL, NULL)) != NULL)
		n++;
	assert_int_equal(stats().free_pages, 0);
	assert_int_equal(stats().cpu_cached_pages, 0);
	qsort(all, (size_t)n, sizeof(all[0]), by_pa);
	for (first = 0; first + 3 < n; first++)
		if (all[first + 3]->pa == all[first]->pa + 3 * PAGE_SIZE)
			break;
	assert_true(first + 3 < n);
	uint64_t run_pa = all[first]->pa;

	/* four adjacent pages go to CPU 1's cache and CPU 2's */
	for (int i = 0; i < 4; i++) {
		fake_cpu_id = 1 + (unsigned)i / 2;
		iobuf_unref(all[first + i]);
	}
	assert_int_equal(stats().free_pages, 4);
	assert_int_equal(stats().cpu_cached_pages, 4);
	fake_cpu_id = 0;
	run = iobuf_alloc(4 * PAGE_SIZE, NULL, NULL);
	assert_non_null(run);
	assert_int_equal(run->pa, run_pa);
	assert_int_equal(stats().cpu_cached_pages, 0);
	assert_int_equal(stats().free_pages, 0);
	iobuf_unref(run);
	/* every free page in CPU 3's cache: still all usable by CPU 0 */
	fake_cpu_id = 3;
	for (int i = 0; i < n; i++)
		if (i < first || i >= first + 4)
			iobuf_unref(all[i]);
	fake_cpu_id = 0;
	for (int i = 0; i < n; i++)
		assert_non_null(all[i] = iobuf_alloc(1, NULL, NULL));
	assert_null(iobuf_alloc(1, NULL, NULL));
	for (int i = 0; i < n; i++)
		iobuf_unref(all[i]);
}

static void test_agg_build_and_merge(void **state)
{
	struct ioagg a;
	unsigned char want[64];
	struct iobuf *x = patterned(0, 100), *y = patterned(100, 50);

	(void)state;
	ioagg_init(&a);
	assert_int_equal(ioagg_append(&a, x, 10, 20), 0);
	assert_int_equal(ioagg_append(&a, x, 30, 5), 0); /* merges */
	assert_int_equal(ioagg_count(&a), 1);
	assert_int_equal(ioagg_prepend(&a, y, 0, 4), 0);
	assert_int_equal(ioagg_prepend(&a, x, 5, 5), 0); /* x[5..10) */
	assert_int_equal(ioagg_count(&a), 3);
	size_t n = 0;
	for (int i = 5; i < 10; i++)
		want[n++] = (unsigned char)i;
	for (int i = 0; i < 4; i++)
		want[n++] = (unsigned char)(100 + i);
	for (int i = 10; i < 35; i++)
		want[n++] = (unsigned char)i;
	check_agg(&a, want, n);
	assert_int_equal(ioagg_append(&a, x, 90, 11), -EINVAL);
	assert_int_equal(ioagg_append(&a, x, 100, 0), -EINVAL);
	assert_int_equal(x->refcnt, 3); /* ours + two slices */
	ioagg_release(&a);
	assert_int_equal(x->refcnt, 1);
	assert_int_equal(y->refcnt, 1);
	assert_int_equal(ioagg_len(&a), 0);
	iobuf_unref(x);
	iobuf_unref(y);
}

static void test_agg_slice_concat_consume(void **state)
{
	enum { NBUF = 6, LEN = 700 };
	struct iobuf *b[NBUF];
	struct ioagg a, s, c;
	unsigned char flat[NBUF * LEN];
	uint64_t pinned0 = stats().pinned_pages;

	(void)state;
	ioagg_init(&a);
	for (int i = 0; i < NBUF; i++) {
		b[i] = patterned((unsigned)i * 7, LEN);
		assert_int_equal(ioagg_append(&a, b[i], 0, LEN), 0);
		for (int j = 0; j < LEN; j++)
			flat[i * LEN + j] = (unsigned char)(i * 7 + j);
		iobuf_unref(b[i]); /* the aggregate holds them now */
	}
	check_agg(&a, flat, sizeof(flat));

	/* Every (off, len) on a coarse grid, including slice edges. */
	for (uint64_t off = 0; off <= sizeof(flat); off += 233) {
		for (uint64_t len = 0; off + len <= sizeof(flat); len += 311) {
			ioagg_init(&s);
			assert_int_equal(ioagg_slice(&s, &a, off, len), 0);
			check_agg(&s, flat + off, len);
			ioagg_release(&s);
		}
	}
	ioagg_init(&s);
	assert_int_equal(ioagg_slice(&s, &a, 1, sizeof(flat)), -EINVAL);
	assert_int_equal(ioagg_len(&s), 0);

	ioagg_init(&c);
	assert_int_equal(ioagg_concat(&c, &a), 0);
	assert_int_equal(ioagg_concat(&c, &a), 0);
	assert_int_equal(ioagg_len(&c), 2 * sizeof(flat));
	ioagg_consume(&c, sizeof(flat) + 1000);
	check_agg(&c, flat + 1000, sizeof(flat) - 1000);
	ioagg_consume(&c, UINT64_MAX);
	assert_int_equal(ioagg_len(&c), 0);
	assert_int_equal(ioagg_count(&c), 0);
	ioagg_release(&c);

	ioagg_release(&a);
	assert_int_equal(stats().pinned_pages, pinned0);
}

static void test_agg_grows_past_inline(void **state)
{
	struct ioagg a;
	struct iobuf *x = patterned(3, 4096);
	unsigned char *want = malloc(2000);

	(void)state;
	ioagg_init(&a);
	/* Alternate offsets so no two appends merge: 1000 slices. */
	for (int i = 0; i < 1000; i++) {
		uint32_t off = (uint32_t)(i % 2) * 2048;
		assert_int_equal(ioagg_append(&a, x, off, 2), 0);
		want[2 * i] = (unsigned char)(3 + off);
		want[2 * i + 1] = (unsigned char)(3 + off + 1);
	}
	assert_int_equal(ioagg_count(&a), 1000);
	for (int i = 0; i < 50; i++)
		assert_int_equal(ioagg_prepend(&a, x, 0, 1), 0);
	ioagg_consume(&a, 50);
	check_agg(&a, want, 2000);
	assert_int_equal(x->refcnt, 1001);
	ioagg_release(&a);
	assert_int_equal(x->refcnt, 1);
	iobuf_unref(x);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_accounting),
		cmocka_unit_test(test_exhaustion),
		cmocka_unit_test(test_reserve_only_for_reserve_allocs),
		cmocka_unit_test(test_owner_keeps_page_until_free),
		cmocka_unit_test(test_poison_fills_freed_pages),
		cmocka_unit_test(test_misuse_panics),
		cmocka_unit_test(test_cpu_cache_reuses_freed_page),
		cmocka_unit_test(test_cpu_caches_drain_when_pool_runs_out),
		cmocka_unit_test(test_agg_build_and_merge),
		cmocka_unit_test(test_agg_slice_concat_consume),
		cmocka_unit_test(test_agg_grows_past_inline),
	};
	return cmocka_run_group_tests_name("iobuf", tests, setup_pool, NULL);
}
