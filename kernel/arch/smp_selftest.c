// SPDX-License-Identifier: MIT
/*
 * Boot selftests of the multiprocessor code (interface in smp.h).
 *
 * smpselftest=on: (1) smp_call on every CPU, SELFTEST_CALLS times, each
 * CPU recording that it ran; (2) each AP's LAPIC timer fires once;
 * (3) the shootdown storm: a window page is switched between two frames
 * with different patterns SELFTEST_STORM times; after each switch
 * tlb_shootdown() hits every CPU and every CPU reads the page back
 * through its own TLB (smp_call), so a stale entry anywhere shows as the
 * old pattern; (4) every CPU at once shoots down at all the others
 * (concurrent initiators) and the per-CPU counters must match exactly.
 * smpselftest=stale runs (3) with local invalidation only and must see
 * stale reads: the proof that (3) can fail. smpselftest=deaf makes the
 * last CPU spin with interrupts off and then shoots down at it: the
 * bounded wait must panic, naming that CPU (the VM stops).
 * lockselftest=on provokes a rank inversion and an irq-unsafe lock (taken
 * with interrupts on and from a self-IPI's handler) and checks that the
 * lock checker reported both.
 * Each prints one "smp selftest: ... passed" or "... FAILED" line.
 */
#define PR_PREFIX "smp selftest: "
#include "kernel/arch/lapic.h"
#include "kernel/arch/smp.h"
#include "kernel/arch/time.h"
#include "kernel/arch/trap.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/printk.h"
#include "kernel/core/spinlock.h"
#include "kernel/cpu/cpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/paging.h"
#include "kernel/mm/pmm.h"

#define SELFTEST_CALLS 100
#define SELFTEST_STORM 300
#define SELFTEST_CONCURRENT 50 /* shootdowns per CPU, all CPUs at once */
#define SELFTEST_VA (KVA_WINDOW_BASE + KVA_WINDOW_SIZE - PAGE_SIZE)
#define SELFTEST_TICK_WAIT_US 200000
#define PATTERN(frame) (0x5E1F7E5700000000ull | (frame))

static const char *const smpselftest_names[] = { "off", "on", "stale", "deaf",
						 NULL };
enum { SMPTEST_OFF, SMPTEST_ON, SMPTEST_STALE, SMPTEST_DEAF };
static int smpselftest = SMPTEST_OFF;
KPARAM_ENUM(smpselftest, smpselftest, smpselftest_names,
	    "boot test of IPIs and TLB shootdowns: off|on|stale|deaf");

static bool lockselftest;
KPARAM_BOOL(lockselftest, lockselftest,
	    "provoke lock-order violations and check they are reported");

static cpumask_t ran; /* CPUs that ran record_cpu */
static uint64_t seen[CPU_MAX]; /* what each CPU read at SELFTEST_VA */

static void record_cpu(void *arg)
{
	__atomic_fetch_or(&ran, CPUMASK_BIT(cpu_self()), __ATOMIC_RELAXED);
}

static void read_page(void *arg)
{
	seen[cpu_self()] = READ_ONCE(*(volatile uint64_t *)SELFTEST_VA);
}

static void arm_tick(void *arg)
{
	lapic_timer_arm_tsc(rdtsc());
}

static void shoot_all(void *arg)
{
	for (int i = 0; i < SELFTEST_CONCURRENT; i++)
		tlb_shootdown(cpu_online_mask(), SELFTEST_VA, 1);
}

static volatile bool deaf;

static void go_deaf(void *arg)
{
	deaf = true;
	for (;;) /* in the call IPI's handler: interrupts stay off */
		cpu_relax();
}

static void run_deaf(void)
{
	unsigned last = cpu_count() - 1;
	uint64_t end;

	if (last == 0) {
		pr_info("deaf: needs two CPUs");
		return;
	}
	pr_info("deaf: CPU %u stops answering; a shootdown must panic", last);
	smp_call(CPUMASK_BIT(last), go_deaf, NULL, false);
	/* Until it spins, it would still serve the shootdown (legitimately,
	 * first thing in the call IPI's handler). */
	end = time_us() + SELFTEST_TICK_WAIT_US;
	while (!deaf && time_us() < end)
		cpu_relax();
	tlb_shootdown(cpu_online_mask(), SELFTEST_VA, 1);
	pr_err("deaf: the shootdown returned: FAILED");
}

static void snapshot(struct smp_cpu_stats *st)
{
	for (unsigned c = 0; c < cpu_count(); c++)
		smp_get_cpu_stats(c, &st[c]);
}

static bool test_calls(void)
{
	unsigned n = cpu_count();
	static struct smp_cpu_stats before[CPU_MAX], after[CPU_MAX];
	bool ok = true;

	snapshot(before);
	for (int i = 0; i < SELFTEST_CALLS; i++) {
		ran = 0;
		smp_call(cpu_online_mask(), record_cpu, NULL, true);
		ok &= READ_ONCE(ran) == cpu_online_mask();
	}
	snapshot(after);
	for (unsigned c = 1; c < n; c++)
		ok &= after[c].calls_run - before[c].calls_run ==
		      SELFTEST_CALLS;
	pr_info("calls: %d x smp_call on %u CPUs, every CPU ran each: %s",
		SELFTEST_CALLS, n, ok ? "yes" : "NO");
	return ok;
}

static bool test_ticks(void)
{
	static struct smp_cpu_stats before[CPU_MAX], now[CPU_MAX];
	uint64_t end = time_us() + SELFTEST_TICK_WAIT_US;
	unsigned n = cpu_count(), fired;

	snapshot(before);
	smp_call(cpu_online_mask() & ~CPUMASK_BIT(0), arm_tick, NULL, true);
	do {
		snapshot(now);
		fired = 0;
		for (unsigned c = 1; c < n; c++)
			fired += now[c].timer_ticks > before[c].timer_ticks;
	} while (fired < n - 1 && time_us() < end);
	pr_info("timers: %u of %u APs took a LAPIC timer interrupt", fired,
		n - 1);
	return fired == n - 1;
}

/* Read the page on every CPU; the number of CPUs that saw other than
 * `want`. */
static unsigned read_everywhere(uint64_t want)
{
	unsigned stale = 0;

	smp_call(cpu_online_mask(), read_page, NULL, true);
	for (unsigned c = 0; c < cpu_count(); c++)
		stale += seen[c] != want;
	return stale;
}

/* The storm: remap, shoot down (or only invalidate here), read back. */
static unsigned storm(const uint64_t frame[2], bool shoot)
{
	unsigned stale = 0;

	for (int i = 0; i < SELFTEST_STORM; i++) {
		int next = (i + 1) & 1;

		stale += read_everywhere(PATTERN(frame[i & 1]));
		paging_map(SELFTEST_VA, frame[next], PTE_WRITE | PTE_NX);
		if (shoot)
			tlb_shootdown(cpu_online_mask(), SELFTEST_VA, 1);
		else
			invlpg(SELFTEST_VA);
	}
	return stale + read_everywhere(PATTERN(frame[SELFTEST_STORM & 1]));
}

static bool test_storm(bool shoot)
{
	static struct smp_cpu_stats before[CPU_MAX], after[CPU_MAX];
	uint64_t frame[2] = { pmm_alloc_page(), pmm_alloc_page() };
	unsigned n = cpu_count(), stale;
	uint64_t t0;
	bool ok = true;

	if (!frame[0] || !frame[1]) {
		pr_err("storm: no frames");
		return false;
	}
	for (int f = 0; f < 2; f++)
		*(uint64_t *)phys_to_virt(frame[f]) = PATTERN(frame[f]);
	paging_map(SELFTEST_VA, frame[0], PTE_WRITE | PTE_NX);
	invlpg(SELFTEST_VA);
	snapshot(before);
	t0 = time_us();
	stale = storm(frame, shoot);
	t0 = time_us() - t0;
	snapshot(after);
	for (unsigned c = 1; c < n && shoot; c++)
		ok &= after[c].shootdowns_received -
			      before[c].shootdowns_received ==
		      SELFTEST_STORM;
	if (shoot) {
		ok &= stale == 0;
		pr_info("storm: %d remaps shot down on %u CPUs, %u stale "
			"reads, each AP acknowledged %d, %llu us",
			SELFTEST_STORM, n, stale, ok ? SELFTEST_STORM : -1,
			(unsigned long long)t0);
	} else {
		ok = n == 1 || stale > 0;
		pr_info("stale: %d remaps without shootdown on %u CPUs: %u "
			"stale reads (expected some)",
			SELFTEST_STORM, n, stale);
	}
	paging_unmap(SELFTEST_VA);
	tlb_shootdown(cpu_online_mask(), SELFTEST_VA, 1);
	pmm_free(frame[0], 1);
	pmm_free(frame[1], 1);
	return ok;
}

static bool test_concurrent(void)
{
	static struct smp_cpu_stats before[CPU_MAX], after[CPU_MAX];
	unsigned n = cpu_count();
	uint64_t t0 = time_us(), sent = 0, received = 0;
	bool ok = true;

	snapshot(before);
	smp_call(cpu_online_mask(), shoot_all, NULL, true);
	t0 = time_us() - t0;
	snapshot(after);
	for (unsigned c = 0; c < n; c++) {
		uint64_t s =
			after[c].shootdowns_sent - before[c].shootdowns_sent;
		uint64_t r = after[c].shootdowns_received -
			     before[c].shootdowns_received;

		ok &= s == (uint64_t)SELFTEST_CONCURRENT * (n - 1);
		ok &= r == (uint64_t)SELFTEST_CONCURRENT * (n - 1);
		sent += s;
		received += r;
	}
	pr_info("concurrent: %u CPUs x %d shootdowns to all: %llu sent, "
		"%llu acknowledged, %llu us (%llu ns each)",
		n, SELFTEST_CONCURRENT, (unsigned long long)sent,
		(unsigned long long)received, (unsigned long long)t0,
		(unsigned long long)(sent ? t0 * 1000 / sent : 0));
	return ok;
}

static struct spinlock test_outer = SPINLOCK_INIT("test.outer", LOCK_RANK_TEST);
static struct spinlock test_inner = SPINLOCK_INIT("test.inner", LOCK_RANK_HEAP);
static struct spinlock test_irq = SPINLOCK_INIT("test.irq", LOCK_RANK_TEST);
static volatile bool locktest_irq_ran;

static void locktest_ipi(struct trap_frame *tf, void *arg)
{
	spin_lock(
		&test_irq); /* in a handler: irq-unsafe if taken with irqs on */
	spin_unlock(&test_irq);
	locktest_irq_ran = true;
	lapic_eoi();
}

static void run_lockselftest(void)
{
	uint64_t rank0 = spinlock_rank_violations();
	uint64_t irq0 = spinlock_irq_violations();
	uint64_t end;
	bool rank_ok, irq_ok;

	if (lockcheck_mode() == LOCKCHECK_OFF) {
		pr_info("lockselftest: turning lockcheck on for the test");
		lockcheck_set_mode(LOCKCHECK_ON);
	}
	spin_lock(&test_outer); /* rank TEST, then HEAP: an inversion */
	spin_lock(&test_inner);
	spin_unlock(&test_inner);
	spin_unlock(&test_outer);

	irq_enable();
	spin_lock(&test_irq); /* with interrupts on, outside a handler */
	spin_unlock(&test_irq);
	trap_set_handler(SMP_VECTOR_LOCKTEST, locktest_ipi, NULL);
	lapic_send_ipi(lapic_id(), SMP_VECTOR_LOCKTEST);
	end = time_us() + SELFTEST_TICK_WAIT_US;
	while (!locktest_irq_ran && time_us() < end)
		cpu_relax();
	irq_disable();
	trap_set_handler(SMP_VECTOR_LOCKTEST, NULL, NULL);
	rank_ok = spinlock_rank_violations() == rank0 + 1;
	irq_ok = spinlock_irq_violations() == irq0 + 1;
	pr_info("lockcheck: rank inversion reported: %s, irq-unsafe lock "
		"reported: %s: %s",
		rank_ok ? "yes" : "NO", irq_ok ? "yes" : "NO",
		rank_ok && irq_ok ? "passed" : "FAILED");
}

void smp_selftest(void)
{
	bool ok;

	if (lockselftest)
		run_lockselftest();
	if (smpselftest == SMPTEST_OFF)
		return;
	irq_enable(); /* the APs' timers and the IPIs need no more */
	if (smpselftest == SMPTEST_DEAF) {
		run_deaf();
		ok = false;
	} else if (smpselftest == SMPTEST_STALE) {
		ok = test_storm(false);
	} else {
		ok = test_calls();
		ok &= cpu_count() == 1 || test_ticks();
		ok &= test_storm(true);
		ok &= test_concurrent();
	}
	irq_disable();
	pr_info("%s on %u CPUs: %s", smpselftest_names[smpselftest],
		cpu_count(), ok ? "passed" : "FAILED");
}
