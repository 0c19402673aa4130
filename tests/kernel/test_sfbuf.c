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

#include "kernel/cpu/percpu.h"
#include "kernel/io/sfbuf.h"
#include "kernel/param.h"
#include "kernel/sched/handover.h"

extern unsigned fake_kicks[CPU_MAX]; /* tests/fakes/fake_smp.c */

#define WINDOW 0xFFFF800000000000ull
#define SLOTS (SFBUF_SHORT_RESERVE + 8)
#define POOL 0x10000000ull
#define NCPU 4 /* CPUs the fake machine can have */

/* The fake MMU: one page table, and a TLB per CPU that keeps whatever
 * translation (and write permission) it loaded until it is flushed. */
static uint64_t pte[SLOTS]; /* 0 = unmapped */
static bool writable[SLOTS]; /* the PTE allows writes */
static uint64_t tlb[NCPU][SLOTS]; /* 0 = no entry */
static bool tlb_writable[NCPU][SLOTS];
static int writes, invalidations; /* PTE writes; local flushes + shootdowns */
static uint64_t direct_protected; /* last identity page protect()ed */

/* The fake CPUs and IPIs. */
static unsigned cur_cpu, ncpus = 1;
static int shootdown_calls;
static int interrupted[NCPU]; /* shootdown IPIs each CPU received */
static cpumask_t last_ipi_set; /* remote CPUs of the last shootdown */

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
	pte[i] = pa;
	writes++;
	return 0;
}

static void fake_unmap(uintptr_t va)
{
	pte[slot_of(va)] = 0;
	writes++;
}

static void flush_entry(unsigned cpu, uintptr_t va)
{
	if (va >= WINDOW) {
		tlb[cpu][slot_of(va)] = 0;
		tlb_writable[cpu][slot_of(va)] = false;
	}
}

static void fake_invalidate(uintptr_t va)
{
	flush_entry(cur_cpu, va);
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
	writable[i] = w;
	writes++;
	return 0;
}

static void fake_shootdown(cpumask_t cpus, uintptr_t va, size_t pages)
{
	assert_int_equal(pages, 1);
	assert_int_equal(cpus & ~((1ull << ncpus) - 1), 0); /* online only */
	last_ipi_set = cpus & ~CPUMASK_BIT(cur_cpu);
	assert_true(last_ipi_set != 0); /* a local flush is invalidate() */
	for (unsigned c = 0; c < ncpus; c++) {
		if (!(cpus & CPUMASK_BIT(c)))
			continue;
		flush_entry(c, va);
		if (c != cur_cpu)
			interrupted[c]++;
	}
	shootdown_calls++;
	invalidations++;
}

static unsigned fake_cpu_self(void)
{
	return cur_cpu;
}

static unsigned fake_cpu_count(void)
{
	return ncpus;
}

static const struct sfbuf_pt_ops ops = {
	fake_map,	fake_unmap,    fake_invalidate, fake_protect,
	fake_shootdown, fake_cpu_self, fake_cpu_count,
};

static uint64_t page(int n)
{
	return POOL + (uint64_t)n * PAGE_SIZE;
}

/* CPU `cpu` reads through va: the translation its TLB uses (a cached one
 * first) must be the page expected. Then the TLB holds it. */
static void touch(unsigned cpu, void *va, uint64_t pa)
{
	int i = slot_of((uintptr_t)va);

	if (tlb[cpu][i])
		assert_int_equal(tlb[cpu][i], pa); /* a stale read otherwise */
	assert_int_equal(pte[i], pa);
	tlb[cpu][i] = pte[i];
	tlb_writable[cpu][i] = writable[i];
}

/* Get pa on CPU `cpu` and read it there. */
static void *get_on(unsigned cpu, uint64_t pa)
{
	cur_cpu = cpu;
	void *va = sfbuf_get(pa);

	touch(cpu, va, pa);
	assert_int_equal(kva_to_phys((char *)va + 123), pa + 123);
	return va;
}

static void *get_private_on(unsigned cpu, uint64_t pa)
{
	cur_cpu = cpu;
	void *va = sfbuf_get_private(pa);

	touch(cpu, va, pa);
	return va;
}

static void put_on(unsigned cpu, void *va)
{
	cur_cpu = cpu;
	sfbuf_put(va);
}

/* The translation the CPU would use must be the page asked for. */
static void *get_checked(uint64_t pa)
{
	return get_on(cur_cpu, pa);
}

static struct sfbuf_stats stats(void)
{
	struct sfbuf_stats st;

	sfbuf_get_stats(&st);
	return st;
}

static struct sfbuf_cpu_stats cpu_stats(unsigned cpu)
{
	struct sfbuf_cpu_stats st;

	assert_true(sfbuf_get_cpu_stats(cpu, &st));
	return st;
}

/* A machine of `cpus` CPUs, running on CPU 0. */
static void init_smp(enum sfbuf_mode mode, unsigned cpus)
{
	memset(pte, 0, sizeof(pte));
	memset(writable, 0, sizeof(writable));
	memset(tlb, 0, sizeof(tlb));
	memset(tlb_writable, 0, sizeof(tlb_writable));
	memset(interrupted, 0, sizeof(interrupted));
	writes = invalidations = shootdown_calls = 0;
	last_ipi_set = 0;
	direct_protected = 0;
	ncpus = cpus;
	cur_cpu = 0;
	assert_int_equal(sfbuf_init(mode, POOL, 64, WINDOW, SLOTS, &ops), 0);
}

static void init(enum sfbuf_mode mode)
{
	init_smp(mode, 1);
}

/* No CPU may still write through a translation the PTE no longer
 * allows. */
static void assert_no_stale_write(int i)
{
	for (unsigned c = 0; c < NCPU; c++)
		assert_false(tlb[c][i] && tlb_writable[c][i] && !writable[i]);
}

static void assert_no_write_to_current_page(int i)
{
	for (unsigned c = 0; c < NCPU; c++)
		assert_false(tlb[c][i] && tlb[c][i] == pte[i] &&
			     tlb_writable[c][i] && !writable[i]);
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
	/* One CPU: nobody else to interrupt, or to spare. */
	assert_int_equal(stats().local_invalidations, 1);
	assert_int_equal(stats().shootdowns_avoided, 0);
	assert_int_equal(shootdown_calls, 0);
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

/* Run as CPU `cpu`: for sfbuf (ops) and for the handover queues
 * (cpu_self). */
static void run_on(unsigned cpu)
{
	cur_cpu = cpu;
	fake_cpu_id = cpu;
}

/* CPU `cpu`'s main loop makes a pass: how many handovers it ran. */
static int loop_pass(unsigned cpu)
{
	unsigned was = cur_cpu;
	int n;

	run_on(cpu);
	n = handover_poll(NULL);
	run_on(was);
	return n;
}

/*
 * The window is shared: when CPU 1's puts free the slots CPU 0 was
 * refused, CPU 0 is told (a wake counted, a handover that kicks it out of
 * hlt), once per refusal, and only when a held get could now succeed.
 * A CPU that frees its own refused slot is woken without an IPI.
 */
static void test_put_wakes_cpus_refused_held_gets(void **state)
{
	void *held[SLOTS], *brief, *mine;
	int n = 0;

	(void)state;
	init_smp(SFBUF_MODE_NAIVE, 2);
	/* Earlier tests' wakes of CPU 0 (by itself) were never run. */
	for (unsigned c = 0; c < NCPU; c++)
		loop_pass(c);
	memset(fake_kicks, 0, sizeof(fake_kicks));
	run_on(1); /* takes every held slot, never refused */
	for (; n < SLOTS - SFBUF_SHORT_RESERVE; n++) {
		held[n] = sfbuf_get_held(page(2));
		assert_non_null(held[n]);
	}
	run_on(0);
	assert_null(sfbuf_get_held(page(3)));
	assert_int_equal(sfbuf_held_wakes(0), 0);
	/* A short mapping given back leaves no spare held slot: no wake. */
	brief = get_on(1, page(4));
	put_on(1, brief);
	assert_int_equal(sfbuf_held_wakes(0), 0);
	assert_int_equal(fake_kicks[0], 0);
	/* CPU 1 frees a held slot: CPU 0, not CPU 1, is woken. */
	run_on(1);
	sfbuf_put(held[--n]);
	assert_int_equal(sfbuf_held_wakes(0), 1);
	assert_int_equal(cpu_stats(0).held_wakes, 1);
	assert_int_equal(fake_kicks[0], 1);
	assert_int_equal(sfbuf_held_wakes(1), 0);
	assert_int_equal(fake_kicks[1], 0);
	/* Woken once per refusal: the next put says nothing new. */
	sfbuf_put(held[--n]);
	assert_int_equal(sfbuf_held_wakes(0), 1);
	assert_int_equal(fake_kicks[0], 1);
	/* CPU 0's pass runs the wake; its retry succeeds. */
	assert_int_equal(loop_pass(0), 1);
	run_on(0);
	mine = sfbuf_get_held(page(3));
	assert_non_null(mine);
	held[n++] = sfbuf_get_held(page(3));
	assert_non_null(held[n - 1]);
	/* Refused again; CPU 0's own put wakes it: queued, no IPI. */
	assert_null(sfbuf_get_held(page(5)));
	sfbuf_put(mine);
	assert_int_equal(sfbuf_held_wakes(0), 2);
	assert_int_equal(fake_kicks[0], 1);
	assert_true(handover_pending());
	/* Refused and woken again before that pass: one handover is
	 * queued, the count still moves. */
	mine = sfbuf_get_held(page(5));
	assert_non_null(mine);
	assert_null(sfbuf_get_held(page(6)));
	run_on(1);
	sfbuf_put(held[--n]);
	assert_int_equal(sfbuf_held_wakes(0), 3);
	assert_int_equal(fake_kicks[0], 1);
	assert_int_equal(loop_pass(0), 1);
	assert_int_equal(loop_pass(0), 0);
	run_on(0);
	sfbuf_put(mine);
	run_on(1);
	while (n)
		sfbuf_put(held[--n]);
	assert_int_equal(stats().busy, 0);
	assert_int_equal(sfbuf_held_wakes(1), 0);
	run_on(0);
}

#define RX_RESERVE 4

/* RX refills keep slots of their own: senders' held gets leave
 * RX_RESERVE more than the short reserve, which RX gets may take; a
 * put that makes room only for RX wakes the CPU refused an RX get and
 * not the sender, which would be refused again. */
static void test_rx_gets_keep_a_reserve_senders_cannot_take(void **state)
{
	void *held[SLOTS], *rx[RX_RESERVE + 1];
	int n = 0;

	(void)state;
	init_smp(SFBUF_MODE_NAIVE, 2);
	for (unsigned c = 0; c < NCPU; c++)
		loop_pass(c);
	memset(fake_kicks, 0, sizeof(fake_kicks));
	sfbuf_set_rx_reserve(RX_RESERVE);
	run_on(1); /* the senders */
	while (n < SLOTS && (held[n] = sfbuf_get_held(page(2))))
		n++;
	assert_int_equal(n, SLOTS - SFBUF_SHORT_RESERVE - RX_RESERVE);
	run_on(0); /* its RX ring refills */
	for (int i = 0; i < RX_RESERVE; i++) {
		rx[i] = sfbuf_get_held_rx(page(3));
		assert_non_null(rx[i]);
	}
	assert_null(sfbuf_get_held_rx(page(3)));
	assert_non_null(rx[RX_RESERVE] = get_checked(page(4))); /* short */
	sfbuf_put(rx[RX_RESERVE]);
	/* A frame's page given back: room for RX only; CPU 0 is woken,
	 * the sender on CPU 1 (refused above) is not. */
	run_on(1);
	sfbuf_put(rx[0]);
	assert_int_equal(sfbuf_held_wakes(0), 1);
	assert_int_equal(sfbuf_held_wakes(1), 0);
	assert_null(sfbuf_get_held(page(2)));
	run_on(0);
	rx[0] = sfbuf_get_held_rx(page(3));
	assert_non_null(rx[0]);
	/* An ACK frees a sender's slot, but RX holds its reserve: the
	 * sender is not woken until the frames' pages come back too. */
	run_on(1);
	sfbuf_put(held[--n]);
	assert_int_equal(sfbuf_held_wakes(1), 0);
	run_on(0);
	for (int i = 0; i < RX_RESERVE; i++)
		sfbuf_put(rx[i]);
	assert_int_equal(sfbuf_held_wakes(1), 1);
	run_on(1);
	held[n] = sfbuf_get_held(page(2));
	assert_non_null(held[n]);
	n++;
	for (int i = 0; i < n; i++)
		sfbuf_put(held[i]);
	assert_int_equal(stats().busy, 0);
	sfbuf_set_rx_reserve(0);
	for (unsigned c = 0; c < NCPU; c++)
		loop_pass(c);
	run_on(0);
}

/* The batch calls are the single ones under one lock: the same slots,
 * the same refusal of the reserve, every mapping given back. */
static void test_batches_map_like_single_gets(void **state)
{
	uint64_t pas[SLOTS];
	void *vas[SLOTS];
	size_t n;

	(void)state;
	init(SFBUF_MODE_SFBUF);
	for (int i = 0; i < SLOTS; i++)
		pas[i] = page(i % 6); /* repeats: hits on busy slots */
	n = sfbuf_get_held_many(pas, 6, vas);
	assert_int_equal(n, 6);
	for (int i = 0; i < 6; i++) {
		touch(0, vas[i], pas[i]);
		assert_int_equal(kva_to_phys(vas[i]), pas[i]);
	}
	n = sfbuf_get_held_many(pas, 6, vas + 6); /* all hits */
	assert_int_equal(n, 6);
	for (int i = 0; i < 6; i++)
		assert_ptr_equal(vas[6 + i], vas[i]);
	assert_int_equal(stats().misses, 6);
	assert_int_equal(stats().hits, 6);
	sfbuf_put_many(vas, 12);
	assert_int_equal(stats().busy, 0);
	assert_int_equal(stats().puts, 12);
	/* distinct pages: stops where a held get would be refused */
	for (int i = 0; i < SLOTS; i++)
		pas[i] = page(10 + i);
	n = sfbuf_get_held_many(pas, SLOTS, vas);
	assert_int_equal(n, SLOTS - SFBUF_SHORT_RESERVE);
	assert_int_equal(stats().held_refused, 1);
	for (size_t i = 0; i < n; i++)
		touch(0, vas[i], pas[i]);
	sfbuf_put_many(vas, n);
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
	assert_no_stale_write(i); /* flushed: no stale write access */
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

/* Fill every free slot from `cpu` with pages first..: the next miss on
 * `cpu` must recycle an idle slot. */
static void use_free_slots(unsigned cpu, int first, int n)
{
	for (int k = 0; k < n; k++) {
		void *va = get_on(cpu, page(first + k));

		put_on(cpu, va);
	}
}

/* Page 1 taken on CPUs 0 and 2 (CPU 0 gives it back last, so it is on
 * CPU 0's idle list); its slot. The other slots are still free. */
static int share_page_on_0_and_2(void)
{
	void *a = get_on(2, page(1));
	void *b = get_on(0, page(1));

	assert_ptr_equal(a, b);
	put_on(2, a);
	put_on(0, b);
	return slot_of((uintptr_t)a);
}

/* A mapping only CPU 1 ever used is recycled on CPU 1 with a local
 * invlpg: no IPI at all, and each of the other 3 CPUs counted as spared. */
static void test_reuse_on_the_only_cpu_sends_nothing(void **state)
{
	(void)state;
	init_smp(SFBUF_MODE_SFBUF, 4);
	use_free_slots(1, 0, SLOTS); /* every slot mapped, idle on CPU 1 */
	use_free_slots(1, 100, 3 * SLOTS); /* recycles all of them 3 times */
	assert_int_equal(shootdown_calls, 0);
	for (unsigned c = 0; c < 4; c++)
		assert_int_equal(interrupted[c], 0);
	struct sfbuf_cpu_stats c1 = cpu_stats(1);
	assert_int_equal(c1.recycled, 3 * SLOTS);
	assert_int_equal(c1.local_invalidations, 3 * SLOTS);
	assert_int_equal(c1.shootdowns, 0);
	assert_int_equal(c1.shootdown_ipis_sent, 0);
	assert_int_equal(c1.shootdowns_avoided, 3 * 3 * SLOTS);
	assert_int_equal(cpu_stats(0).gets, 0);
}

/* Used on CPUs 0 and 2, reused on 0: exactly CPU 2 is interrupted. */
static void test_reuse_interrupts_exactly_the_other_users(void **state)
{
	(void)state;
	init_smp(SFBUF_MODE_SFBUF, 4);
	int i = share_page_on_0_and_2();

	use_free_slots(0, 10, SLOTS - 1); /* the free ones, no flush */
	assert_int_equal(invalidations, 0);
	void *n = get_on(0, page(50)); /* CPU 0's oldest idle: page 1's */
	assert_int_equal(slot_of((uintptr_t)n), i);
	assert_int_equal(shootdown_calls, 1);
	assert_int_equal(last_ipi_set, CPUMASK_BIT(2));
	assert_int_equal(interrupted[2], 1);
	assert_int_equal(interrupted[1] + interrupted[3], 0);
	assert_int_equal(tlb[2][i], 0); /* CPU 2's entry is gone */
	assert_int_equal(cpu_stats(0).shootdown_ipis_sent, 1);
	assert_int_equal(cpu_stats(2).shootdown_ipis_received, 1);
	assert_int_equal(cpu_stats(0).shootdowns_avoided, 2); /* CPUs 1, 3 */
	put_on(0, n);
	/* The set is {0} again: the next reuse of that slot is local. */
	use_free_slots(0, 200, SLOTS);
	assert_int_equal(shootdown_calls, 1);
	/* CPU 2 asks for page 1 again: a new mapping, read correctly. */
	put_on(2, get_on(2, page(1)));
}

/* A private mapping replaces a slot CPU 2 used without interrupting it;
 * CPU 2 flushes its own stale entry when it takes that slot, and a later
 * shared reuse still interrupts CPU 2, which may hold that entry. */
static void test_private_mapping_never_interrupts(void **state)
{
	(void)state;
	init_smp(SFBUF_MODE_SFBUF, 4);
	int i = share_page_on_0_and_2();

	for (int k = 0; k < SLOTS - 1; k++)
		put_on(0, get_private_on(0, page(10 + k)));
	void *p = get_private_on(0, page(50)); /* takes page 1's slot */
	assert_int_equal(slot_of((uintptr_t)p), i);
	assert_int_equal(tlb[2][i], page(1)); /* stale, and allowed to be */
	put_on(0, p);
	assert_int_equal(shootdown_calls, 0);
	assert_int_equal(cpu_stats(0).private_gets, SLOTS);
	assert_int_equal(cpu_stats(0).shootdowns_avoided, 2); /* 1, 3 */
	/* CPU 2 takes page 50 through the slot it has a stale entry for:
	 * touch() fails if it reads page 1 through it. */
	void *q = get_on(2, page(50));
	assert_ptr_equal(q, p);
	assert_int_equal(cpu_stats(2).stale_flushes, 1);
	put_on(2, q);
	put_on(0, get_on(0, page(50))); /* back on CPU 0's list, set {0,2} */
	assert_int_equal(shootdown_calls, 0);
	/* Shared reuses on CPU 0 until that slot is taken: then CPU 2. */
	use_free_slots(0, 300, SLOTS);
	assert_int_equal(shootdown_calls, 1);
	assert_int_equal(last_ipi_set, CPUMASK_BIT(2));
}

/* A private reuse leaves CPU 2 stale; if it never takes the slot, the
 * next shared reuse must still flush it. */
static void test_stale_cpu_flushed_by_next_shared_reuse(void **state)
{
	(void)state;
	init_smp(SFBUF_MODE_SFBUF, 4);
	int i = share_page_on_0_and_2();

	use_free_slots(0, 10, SLOTS - 1);
	put_on(0, get_private_on(0, page(50))); /* page 1's slot */
	assert_int_equal(shootdown_calls, 0);
	use_free_slots(0, 100, SLOTS - 1); /* the other slots, local */
	assert_int_equal(shootdown_calls, 0);
	void *n = get_on(0, page(60)); /* page 50's slot, shared */
	assert_int_equal(slot_of((uintptr_t)n), i);
	assert_int_equal(shootdown_calls, 1);
	assert_int_equal(last_ipi_set, CPUMASK_BIT(2));
	assert_int_equal(tlb[2][i], 0);
	put_on(0, n);
}

/* naive: every put unmaps and interrupts every other online CPU. */
static void test_naive_interrupts_all_others(void **state)
{
	(void)state;
	init_smp(SFBUF_MODE_NAIVE, 4);
	for (int k = 0; k < 10; k++)
		put_on(1, get_on(1, page(k)));
	put_on(3, get_private_on(3, page(1))); /* no exception */
	assert_int_equal(shootdown_calls, 11);
	assert_int_equal(interrupted[1], 1);
	assert_int_equal(interrupted[3], 10);
	assert_int_equal(interrupted[0], 11);
	assert_int_equal(interrupted[2], 11);
	assert_int_equal(cpu_stats(1).shootdown_ipis_sent, 30);
	assert_int_equal(cpu_stats(3).shootdown_ipis_sent, 3);
	assert_int_equal(stats().shootdown_ipis_received, 33);
	assert_int_equal(stats().shootdowns_avoided, 0);
	assert_int_equal(stats().hits, 0);
}

/* Sealing a page two CPUs used flushes its write permission on both. */
static void test_seal_flushes_every_cpu_in_the_set(void **state)
{
	(void)state;
	init_smp(SFBUF_MODE_SFBUF, 4);
	int i = share_page_on_0_and_2();

	cur_cpu = 3;
	sfbuf_set_sealed(page(1), true);
	assert_int_equal(last_ipi_set, CPUMASK_BIT(0) | CPUMASK_BIT(2));
	assert_int_equal(interrupted[1] + interrupted[3], 0);
	assert_no_stale_write(i);
	assert_int_equal(cpu_stats(3).seal_invalidations, 1);
	/* direct: any CPU may have the identity map, so all others. */
	init_smp(SFBUF_MODE_DIRECT, 3);
	cur_cpu = 1;
	sfbuf_set_sealed(page(7), true);
	assert_int_equal(last_ipi_set, CPUMASK_BIT(0) | CPUMASK_BIT(2));
}

/* The response-header pattern at -smp 2: CPU 1 writes a page, seals and
 * frees it; CPU 0 reuses it for its own header and seals it. CPU 1 can
 * only hold a read-only entry by then, so the second seal is a local
 * invlpg. But a CPU that holds the page while it turns writable again
 * may write through it, and is flushed when it is sealed. */
static void test_seal_flushes_only_cpus_that_could_write(void **state)
{
	(void)state;
	init_smp(SFBUF_MODE_SFBUF, 2);
	void *va = get_on(1, page(1));
	int i = slot_of((uintptr_t)va);

	cur_cpu = 1;
	sfbuf_set_sealed(page(1), true);
	touch(1, va, page(1)); /* CPU 1 reads it back: read-only entry */
	put_on(1, va);
	sfbuf_set_sealed(page(1), false); /* the buffer is freed */
	va = get_on(0, page(1)); /* CPU 0's header: write access back */
	assert_true(writable[i] && tlb_writable[0][i]);
	cur_cpu = 0;
	sfbuf_set_sealed(page(1), true);
	assert_int_equal(shootdown_calls, 0);
	assert_int_equal(cpu_stats(0).seal_invalidations, 1);
	assert_int_equal(cpu_stats(0).local_invalidations, 1);
	assert_no_stale_write(i);

	/* CPU 0 still holds it when CPU 1 takes it back writable. */
	sfbuf_set_sealed(page(1), false);
	void *again = get_on(1, page(1));
	touch(0, va, page(1)); /* CPU 0 now caches write access too */
	assert_true(tlb_writable[0][i] && tlb_writable[1][i]);
	cur_cpu = 1;
	sfbuf_set_sealed(page(1), true);
	assert_int_equal(shootdown_calls, 1);
	assert_int_equal(last_ipi_set, CPUMASK_BIT(0));
	assert_no_stale_write(i);
	put_on(0, va);
	put_on(1, again);
}

/* A random mix of gets (shared, private, held), puts and seals on four
 * CPUs: no CPU ever reads a stale translation (touch() checks every
 * get), and the counters add up. */
static void test_random_mix_never_reads_stale(void **state)
{
	struct held {
		void *va;
		uint64_t pa;
		unsigned cpu;
	} held[SLOTS];
	int n = 0;
	unsigned seed = 12345;

	(void)state;
	init_smp(SFBUF_MODE_SFBUF, 4);
	for (int step = 0; step < 20000; step++) {
		seed = seed * 1103515245u + 12345u;
		unsigned r = seed >> 8;
		unsigned cpu = r % 4;
		uint64_t pa = page((int)((r >> 2) % 40));

		if (n > 0 && (n == SLOTS - SFBUF_SHORT_RESERVE || r % 3 == 0)) {
			int k = (int)((r >> 9) % (unsigned)n);

			put_on(held[k].cpu, held[k].va);
			held[k] = held[--n];
		} else if (r % 50 == 1) {
			cur_cpu = cpu;
			sfbuf_set_sealed(pa, (r >> 12) & 1);
		} else {
			void *va = (r >> 7) & 1 ? get_private_on(cpu, pa) :
						  get_on(cpu, pa);
			held[n++] = (struct held){ va, pa, cpu };
		}
		/* Every mapping held is still read right by its CPU, and by
		 * any CPU that has it cached. */
		for (int k = 0; k < n; k++)
			touch(held[k].cpu, held[k].va, held[k].pa);
		/* No TLB allows a write to a page the page table forbids
		 * (an entry for a page the slot mapped before is stale by
		 * design: its CPU flushes it before it uses the slot). */
		for (int i = 0; i < SLOTS; i++)
			assert_no_write_to_current_page(i);
	}
	while (n > 0) {
		n--;
		put_on(held[n].cpu, held[n].va);
	}
	struct sfbuf_stats t = stats();
	struct sfbuf_cpu_stats sum = { 0 };
	for (unsigned c = 0; c < 4; c++) {
		struct sfbuf_cpu_stats cs = cpu_stats(c);
		sum.gets += cs.gets;
		sum.shootdown_ipis_sent += cs.shootdown_ipis_sent;
		sum.shootdown_ipis_received += cs.shootdown_ipis_received;
		assert_int_equal(cs.shootdown_ipis_received, interrupted[c]);
	}
	assert_int_equal(t.gets, sum.gets);
	assert_int_equal(t.gets, t.hits + t.misses);
	assert_int_equal(t.shootdown_ipis_sent, sum.shootdown_ipis_sent);
	assert_int_equal(t.shootdown_ipis_sent, t.shootdown_ipis_received);
	assert_int_equal(t.shootdowns, shootdown_calls);
	assert_int_equal(t.local_invalidations + t.shootdowns + t.stale_flushes,
			 invalidations);
	assert_int_equal(t.invalidations + t.seal_invalidations,
			 t.local_invalidations + t.shootdowns);
	assert_true(t.recycled > 1000 && t.shootdowns > 0);
	assert_true(t.private_gets > 0 && t.stale_flushes > 0);
	assert_int_equal(t.busy, 0);
	assert_false(sfbuf_get_cpu_stats(4, &sum)); /* not online */
}

/* Without private gets, every flush accounts for each other CPU once:
 * interrupted or spared. */
static void test_sent_plus_avoided_covers_every_flush(void **state)
{
	(void)state;
	init_smp(SFBUF_MODE_SFBUF, 3);
	for (int k = 0; k < 500; k++) {
		unsigned a = (unsigned)k % 3, b = (unsigned)(k * 7 / 5) % 3;
		void *x = get_on(a, page(k % 37));
		void *y = get_on(b, page(k % 37));

		put_on(a, x);
		put_on(b, y);
	}
	struct sfbuf_stats t = stats();
	assert_true(t.shootdowns > 0 && t.local_invalidations > 0);
	assert_int_equal(t.shootdown_ipis_sent + t.shootdowns_avoided,
			 2 * (t.local_invalidations + t.shootdowns));
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
		cmocka_unit_test(test_batches_map_like_single_gets),
		cmocka_unit_test(test_put_wakes_cpus_refused_held_gets),
		cmocka_unit_test(test_direct_touches_no_page_table),
		cmocka_unit_test(test_seal_makes_cached_mapping_read_only),
		cmocka_unit_test(test_unsealed_page_gets_write_access_back),
		cmocka_unit_test(test_naive_and_direct_respect_seals),
		cmocka_unit_test(test_reuse_on_the_only_cpu_sends_nothing),
		cmocka_unit_test(test_reuse_interrupts_exactly_the_other_users),
		cmocka_unit_test(test_private_mapping_never_interrupts),
		cmocka_unit_test(test_stale_cpu_flushed_by_next_shared_reuse),
		cmocka_unit_test(test_naive_interrupts_all_others),
		cmocka_unit_test(
			test_rx_gets_keep_a_reserve_senders_cannot_take),
		cmocka_unit_test(test_seal_flushes_every_cpu_in_the_set),
		cmocka_unit_test(test_seal_flushes_only_cpus_that_could_write),
		cmocka_unit_test(test_random_mix_never_reads_stale),
		cmocka_unit_test(test_sent_plus_avoided_covers_every_flush),
	};
	return cmocka_run_group_tests_name("sfbuf", tests, NULL, NULL);
}
