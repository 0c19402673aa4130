// SPDX-License-Identifier: MIT
/*
 * Unit tests for kernel/io/sfbuf.c over a fake page table that records every
 * PTE write and invalidation and lets the test check which page a virtual
 * address translates to (and whether the TLB could be stale).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/io/sfbuf.h"
#include "kernel/param.h"

#define WINDOW 0xFFFF800000000000ull
#define SLOTS (SFBUF_SHORT_RESERVE + 8)
#define POOL 0x10000000ull

static uint64_t pte[SLOTS]; /* 0 = unmapped */
static bool stale[SLOTS]; /* PTE changed without invalidation */
static bool writable[SLOTS]; /* the PTE allows writes */
static bool stale_write[SLOTS]; /* write removed, TLB not flushed */
static int writes, invalidations;
static uint64_t direct_protected; /* last identity page protect()ed */

static int slot_of(uintptr_t va)
{
	assert_true(va >= WINDOW && va < WINDOW + SLOTS * PAGE_SIZE);
	assert_int_equal(va % PAGE_SIZE, 0);
	return (int)((va - WINDOW) / PAGE_SIZE);
}

static int fake_map(uintptr_t va, uint64_t pa, bool w)
{
	int i = slot_of(va);

	writable[i] = w;
	if (pte[i] && pte[i] != pa)
		stale[i] = true;
	pte[i] = pa;
	writes++;
	return 0;
}

static void fake_unmap(uintptr_t va)
{
	int i = slot_of(va);

	if (pte[i])
		stale[i] = true;
	pte[i] = 0;
	writes++;
}

static void fake_invalidate(uintptr_t va)
{
	if (va >= WINDOW) {
		stale[slot_of(va)] = false;
		stale_write[slot_of(va)] = false;
	}
	invalidations++;
}

static int fake_protect(uintptr_t va, bool w)
{
	if (va < WINDOW) { /* direct mode: the pool's identity map */
		direct_protected = va;
		writes++;
		return 0;
	}
	int i = slot_of(va);

	assert_true(pte[i] != 0);
	if (writable[i] && !w)
		stale_write[i] = true;
	writable[i] = w;
	writes++;
	return 0;
}

static const struct sfbuf_pt_ops ops = { fake_map, fake_unmap, fake_invalidate,
					 fake_protect };

static uint64_t page(int n)
{
	return POOL + (uint64_t)n * PAGE_SIZE;
}

/* The translation the CPU would use must be the page asked for. */
static void *get_checked(uint64_t pa)
{
	void *va = sfbuf_get(pa);
	int i = slot_of((uintptr_t)va);

	assert_int_equal(pte[i], pa);
	assert_false(stale[i]);
	assert_int_equal(kva_to_phys((char *)va + 123), pa + 123);
	return va;
}

static struct sfbuf_stats stats(void)
{
	struct sfbuf_stats st;

	sfbuf_get_stats(&st);
	return st;
}

static void init(enum sfbuf_mode mode)
{
	memset(pte, 0, sizeof(pte));
	memset(stale, 0, sizeof(stale));
	memset(writable, 0, sizeof(writable));
	memset(stale_write, 0, sizeof(stale_write));
	writes = invalidations = 0;
	direct_protected = 0;
	assert_int_equal(sfbuf_init(mode, POOL, 64, WINDOW, SLOTS, &ops), 0);
}

static void test_hit_reuses_mapping(void **state)
{
	(void)state;
	init(SFBUF_MODE_SFBUF);
	void *a = get_checked(page(1));
	sfbuf_put(a);
	/* Serving the same page again: no PTE write, no invalidation. */
	for (int i = 0; i < 100; i++) {
		void *b = get_checked(page(1));
		assert_ptr_equal(b, a);
		sfbuf_put(b);
	}
	assert_int_equal(writes, 1);
	assert_int_equal(invalidations, 0);
	assert_int_equal(stats().hits, 100);
	assert_int_equal(stats().misses, 1);
}

static void test_lru_recycles_oldest_idle(void **state)
{
	void *va[SLOTS];

	(void)state;
	init(SFBUF_MODE_SFBUF);
	for (int i = 0; i < SLOTS; i++)
		va[i] = get_checked(page(i));
	for (int i = 0; i < SLOTS; i++)
		sfbuf_put(va[i]); /* idle in order 0..7 */
	get_checked(page(3)); /* revive 3: off the idle list */
	void *n = get_checked(page(100)); /* recycles the oldest: page 0 */
	assert_ptr_equal(n, va[0]);
	assert_int_equal(invalidations, 1);
	assert_int_equal(stats().recycled, 1);
	assert_int_equal(stats().shootdowns_avoided, 1);
	void *m = get_checked(page(101)); /* then page 1's slot */
	assert_ptr_equal(m, va[1]);
	/* Page 0 needs a new slot now: a miss, not a stale hit. */
	uint64_t misses = stats().misses;
	get_checked(page(0));
	assert_int_equal(stats().misses, misses + 1);
}

static void test_busy_slot_never_recycled(void **state)
{
	void *va[SLOTS];

	(void)state;
	init(SFBUF_MODE_SFBUF);
	for (int i = 0; i < SLOTS; i++)
		va[i] = get_checked(page(i));
	/* Every slot busy: one more distinct page has nowhere to go. */
	expect_assert_failure(sfbuf_get(page(50)));
	/* Release one; the new page takes exactly that slot, the busy ones
	 * keep their translations. */
	sfbuf_put(va[5]);
	assert_ptr_equal(get_checked(page(50)), va[5]);
	for (int i = 0; i < SLOTS; i++)
		if (i != 5)
			assert_int_equal(pte[slot_of((uintptr_t)va[i])],
					 page(i));
	assert_int_equal(stats().busy, SLOTS);
	assert_int_equal(stats().busy_max, SLOTS);
}

static void test_refcounts_nest(void **state)
{
	(void)state;
	init(SFBUF_MODE_SFBUF);
	void *a = get_checked(page(7));
	void *b = get_checked(page(7));
	assert_ptr_equal(a, b);
	sfbuf_put(a);
	/* Still referenced once: filling the rest must not take it. */
	for (int i = 0; i < SLOTS - 1; i++)
		sfbuf_put(get_checked(page(20 + i)));
	for (int i = 0; i < 20; i++)
		sfbuf_put(get_checked(page(40 + i)));
	assert_int_equal(pte[slot_of((uintptr_t)b)], page(7));
	sfbuf_put(b);
	expect_assert_failure(sfbuf_put(b)); /* over-release */
}

static void test_naive_maps_and_flushes_every_time(void **state)
{
	(void)state;
	init(SFBUF_MODE_NAIVE);
	for (int i = 0; i < 100; i++)
		sfbuf_put(get_checked(page(1)));
	/* One map and one unmap + invlpg per use. */
	assert_int_equal(writes, 200);
	assert_int_equal(invalidations, 100);
	assert_int_equal(stats().hits, 0);
	assert_int_equal(stats().misses, 100);
	for (int i = 0; i < SLOTS; i++)
		assert_int_equal(pte[i], 0);
}

/* Naive mode maps a page once per get: held mappings of one page fill
 * the window, then are refused while short ones still get the reserve. */
static void test_held_mappings_leave_the_reserve(void **state)
{
	void *held[SLOTS], *brief[SFBUF_SHORT_RESERVE];
	int n = 0;

	(void)state;
	init(SFBUF_MODE_NAIVE);
	while (n < SLOTS && (held[n] = sfbuf_get_held(page(2))))
		n++;
	assert_int_equal(n, SLOTS - SFBUF_SHORT_RESERVE);
	assert_int_equal(stats().held_refused, 1);
	for (int i = 0; i < SFBUF_SHORT_RESERVE; i++)
		brief[i] = get_checked(page(3));
	for (int i = 0; i < SFBUF_SHORT_RESERVE; i++)
		sfbuf_put(brief[i]);
	/* A put makes room for the next held mapping. */
	sfbuf_put(held[0]);
	held[0] = sfbuf_get_held(page(2));
	assert_non_null(held[0]);
	for (int i = 0; i < n; i++)
		sfbuf_put(held[i]);
	assert_int_equal(stats().busy, 0);
}

static void test_direct_touches_no_page_table(void **state)
{
	(void)state;
	init(SFBUF_MODE_DIRECT);
	void *va = sfbuf_get(page(3));
	assert_ptr_equal(va, (void *)(uintptr_t)page(3));
	assert_int_equal(kva_to_phys(va), page(3));
	sfbuf_put(va);
	assert_int_equal(writes + invalidations, 0);
}

/* Sealing a page whose idle mapping is cached makes that PTE read-only
 * at once, with one invalidation; the next get is still a free hit. */
static void test_seal_makes_cached_mapping_read_only(void **state)
{
	(void)state;
	init(SFBUF_MODE_SFBUF);
	void *a = get_checked(page(2));
	int i = slot_of((uintptr_t)a);

	assert_true(writable[i]);
	sfbuf_put(a);
	sfbuf_set_sealed(page(2), true);
	assert_false(writable[i]);
	assert_false(stale_write[i]); /* flushed: no stale write access */
	assert_int_equal(invalidations, 1);
	assert_int_equal(stats().seal_invalidations, 1);
	sfbuf_set_sealed(page(2), true); /* idempotent */
	assert_int_equal(invalidations, 1);
	void *b = get_checked(page(2));
	assert_ptr_equal(b, a);
	assert_false(writable[i]);
	sfbuf_put(b);
	/* A page sealed before any mapping is mapped read-only. */
	sfbuf_set_sealed(page(3), true);
	void *c = get_checked(page(3));
	assert_false(writable[slot_of((uintptr_t)c)]);
	sfbuf_put(c);
	assert_int_equal(invalidations, 1);
}

/* A freed (unsealed) page's read-only slot becomes writable again when
 * asked for, without an invalidation (a stale entry only faults once). */
static void test_unsealed_page_gets_write_access_back(void **state)
{
	(void)state;
	init(SFBUF_MODE_SFBUF);
	sfbuf_set_sealed(page(4), true);
	void *a = get_checked(page(4));
	int i = slot_of((uintptr_t)a);

	sfbuf_put(a);
	sfbuf_set_sealed(page(4), false);
	assert_false(writable[i]); /* nothing to do until a writer comes */
	void *b = get_checked(page(4));
	assert_ptr_equal(b, a);
	assert_true(writable[i]);
	assert_int_equal(invalidations, 0);
	assert_int_equal(stats().unseal_upgrades, 1);
	sfbuf_put(b);
}

static void test_naive_and_direct_respect_seals(void **state)
{
	(void)state;
	init(SFBUF_MODE_NAIVE);
	sfbuf_set_sealed(page(5), true);
	void *a = get_checked(page(5));
	assert_false(writable[slot_of((uintptr_t)a)]);
	sfbuf_put(a);
	void *b = get_checked(page(6));
	assert_true(writable[slot_of((uintptr_t)b)]);
	sfbuf_put(b);

	init(SFBUF_MODE_DIRECT);
	sfbuf_set_sealed(page(7), true);
	assert_int_equal(direct_protected, page(7));
	assert_int_equal(invalidations, 1);
	sfbuf_set_sealed(page(7), false);
	assert_int_equal(invalidations, 1); /* granting needs no flush */
	assert_int_equal(stats().unseal_upgrades, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_reuses_mapping),
		cmocka_unit_test(test_lru_recycles_oldest_idle),
		cmocka_unit_test(test_busy_slot_never_recycled),
		cmocka_unit_test(test_refcounts_nest),
		cmocka_unit_test(test_naive_maps_and_flushes_every_time),
		cmocka_unit_test(test_held_mappings_leave_the_reserve),
		cmocka_unit_test(test_direct_touches_no_page_table),
		cmocka_unit_test(test_seal_makes_cached_mapping_read_only),
		cmocka_unit_test(test_unsealed_page_gets_write_access_back),
		cmocka_unit_test(test_naive_and_direct_respect_seals),
	};
	return cmocka_run_group_tests_name("sfbuf", tests, NULL, NULL);
}
