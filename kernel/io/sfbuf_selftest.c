// SPDX-License-Identifier: MIT
/*
 * Boot stress test of the mapping cache's shootdown protocol (sfbuf.c),
 * boot option sfbufselftest=on (interface in sfbuf_selftest.h).
 *
 * Pool pages, more than the window holds, each carry their own pattern.
 * Every CPU but the boot CPU (started by smp_call, so it runs with
 * interrupts off and serves shootdowns while it spins for the cache's
 * lock) maps random pages of the set, shared or private,
 * SFBUF_STRESS_ROUNDS times, and checks the pattern on every access; the
 * boot CPU meanwhile maps them all in turn, so slots that several CPUs
 * hold in their TLBs are recycled all the time, by every CPU. A stale
 * translation anywhere reads another page's pattern. One line reports checks, mismatches and how the
 * counters moved, "passed" or "FAILED". sfbufselftest=stale makes every
 * flush local only and must report mismatches: the proof the test can
 * fail. Needs two CPUs or more; a window (sfbuf_slots=) of a few hundred
 * slots keeps it short.
 */
#define PR_PREFIX "sfbuf selftest: "
#include "kernel/io/sfbuf_selftest.h"

#include "kernel/arch/smp.h"
#include "kernel/arch/time.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/printk.h"
#include "kernel/core/spinlock.h"
#include "kernel/cpu/cpu.h"
#include "kernel/io/iobuf.h"
#include "kernel/io/sfbuf.h"
#include "kernel/lib/compiler.h"
#include "kernel/param.h"

#define SFBUF_STRESS_ROUNDS 2000 /* gets per reader */
#define SFBUF_STRESS_EXTRA 64 /* pages beyond the window */
#define SFBUF_STRESS_STRIDE 16 /* words checked per access: every 16th */
#define SFBUF_STRESS_DEADLINE_US 150000000 /* 4 vCPUs on a busy host */
#define PATTERN(page, word) \
	(0x5FB0000000000000ull | ((uint64_t)(page) << 16) | (word))

static const char *const sfbufselftest_names[] = { "off", "on", "stale", NULL };
enum { SFBUF_TEST_OFF, SFBUF_TEST_ON, SFBUF_TEST_STALE };
static int sfbufselftest = SFBUF_TEST_OFF;
KPARAM_ENUM(sfbufselftest, sfbufselftest, sfbufselftest_names,
	    "boot stress test of mapping shootdowns: off|on|stale");

static struct {
	uint64_t base_pa; /* [I] first of `pages` contiguous pool pages */
	uint64_t pages; /* [I] */
	uint32_t rounds; /* [I] gets per reader, at most */
	bool stop_at_mismatch; /* [I] stale mode: one is the proof */
	uint64_t checks; /* [atomic] pattern words compared */
	uint64_t mismatches; /* [atomic] */
	uint64_t first_bad; /* [atomic] the first wrong word read */
	uint32_t readers_done; /* [atomic] */
} st;

/* Map page k on this CPU (shared or private), check its pattern. */
static void check_page(uint64_t k, bool private)
{
	uint64_t pa = st.base_pa + (k << PAGE_SHIFT);
	const volatile uint64_t *va = private ? sfbuf_get_private(pa) :
						sfbuf_get(pa);
	uint64_t bad = 0, n = 0;

	for (uint64_t w = 0; w < PAGE_SIZE / 8; w += SFBUF_STRESS_STRIDE) {
		uint64_t v = va[w];

		n++;
		if (v != PATTERN(k, w) && !bad++)
			__atomic_compare_exchange_n(&st.first_bad,
						    &(uint64_t){ 0 }, v, false,
						    __ATOMIC_RELAXED,
						    __ATOMIC_RELAXED);
	}
	sfbuf_put((void *)(uintptr_t)va);
	__atomic_fetch_add(&st.checks, n, __ATOMIC_RELAXED);
	if (bad)
		__atomic_fetch_add(&st.mismatches, bad, __ATOMIC_RELAXED);
}

/* A reader (call IPI on an AP): random pages, half of them private. */
static void reader(void *arg)
{
	uint64_t x = 0x9E3779B97F4A7C15ull * (cpu_self() + 1);

	(void)arg;
	for (uint32_t i = 0; i < st.rounds; i++) {
		if (st.stop_at_mismatch &&
		    __atomic_load_n(&st.mismatches, __ATOMIC_RELAXED))
			break;
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		check_page((x >> 8) % st.pages, x & 1);
	}
	__atomic_fetch_add(&st.readers_done, 1, __ATOMIC_RELEASE);
}

/* Give every page its pattern (private mappings: this CPU only). */
static void fill_patterns(void)
{
	for (uint64_t k = 0; k < st.pages; k++) {
		uint64_t *va =
			sfbuf_get_private(st.base_pa + (k << PAGE_SHIFT));

		for (uint64_t w = 0; w < PAGE_SIZE / 8; w++)
			va[w] = PATTERN(k, w);
		sfbuf_put(va);
	}
}

/* The boot CPU: cycle through all the pages (more than the window
 * holds) until the readers are done; false on the deadline. */
static bool recycle_until_done(unsigned readers)
{
	uint64_t deadline = time_us() + SFBUF_STRESS_DEADLINE_US;
	uint64_t k = 0;

	while (__atomic_load_n(&st.readers_done, __ATOMIC_ACQUIRE) < readers) {
		if (time_us() > deadline)
			return false;
		check_page(k, false);
		k = (k + 1) % st.pages;
	}
	return true;
}

static void report(const struct sfbuf_stats *a, const struct sfbuf_stats *b,
		   bool finished)
{
	bool passed = finished && st.mismatches == 0 &&
		      b->recycled > a->recycled &&
		      b->shootdowns > a->shootdowns;
	const char *lock_name;
	uint64_t contended = 0, cycles;

	/* since boot: how often the CPUs met on the cache's one lock */
	spinlock_contention(LOCK_RANK_SFBUF, &lock_name, &contended, &cycles);

	pr_info("%u CPUs, %llu slots, %llu pages: %llu checks, "
		"%llu mismatches (first %#llx), %llu recycled, "
		"%llu shootdowns, %llu IPIs sent, %llu received, "
		"%llu avoided, %llu stale flushes, %llu local invalidations, "
		"lock contended %llu times%s: %s",
		cpu_count(), (unsigned long long)b->slots,
		(unsigned long long)st.pages, (unsigned long long)st.checks,
		(unsigned long long)st.mismatches,
		(unsigned long long)st.first_bad,
		(unsigned long long)(b->recycled - a->recycled),
		(unsigned long long)(b->shootdowns - a->shootdowns),
		(unsigned long long)(b->shootdown_ipis_sent -
				     a->shootdown_ipis_sent),
		(unsigned long long)(b->shootdown_ipis_received -
				     a->shootdown_ipis_received),
		(unsigned long long)(b->shootdowns_avoided -
				     a->shootdowns_avoided),
		(unsigned long long)(b->stale_flushes - a->stale_flushes),
		(unsigned long long)(b->local_invalidations -
				     a->local_invalidations),
		(unsigned long long)contended,
		finished ? "" : " (readers not done by the deadline)",
		passed ? "passed" : "FAILED");
}

void sfbuf_selftest(void)
{
	struct sfbuf_stats before, after;
	struct iobuf *buf;
	unsigned readers = cpu_count() - 1;
	bool finished;

	if (sfbufselftest == SFBUF_TEST_OFF)
		return;
	sfbuf_get_stats(&before);
	if (sfbuf_mode() != SFBUF_MODE_SFBUF || readers == 0) {
		pr_info("needs mapping=sfbuf and two CPUs or more: FAILED");
		return;
	}
	st.pages = before.slots + SFBUF_STRESS_EXTRA;
	buf = iobuf_alloc(st.pages << PAGE_SHIFT, NULL, NULL);
	if (!buf) {
		pr_info("no %llu pool pages (sfbuf_slots= smaller?): FAILED",
			(unsigned long long)st.pages);
		return;
	}
	st.base_pa = buf->pa;
	fill_patterns();
	st.rounds = SFBUF_STRESS_ROUNDS;
	if (sfbufselftest == SFBUF_TEST_STALE) {
		/* A stale entry shows only while the reader's TLB still
		 * holds it: give it time to happen, stop once it did. */
		st.rounds *= 10;
		st.stop_at_mismatch = true;
		sfbuf_selftest_break_shootdowns();
	}
	sfbuf_get_stats(&before);
	smp_call(cpu_online_mask() & ~CPUMASK_BIT(cpu_self()), reader, NULL,
		 false);
	finished = recycle_until_done(readers);
	sfbuf_get_stats(&after);
	report(&before, &after, finished);
	if (finished)
		iobuf_unref(buf); /* a late reader could still map it */
}
