// SPDX-License-Identifier: MIT
/*
 * Multiprocessor support (interface in smp.h).
 *
 * Start-up: the boot CPU copies the trampoline (smp_trampoline.S) below
 * 1 MiB and starts the MADT's other CPUs one at a time with INIT, STARTUP,
 * STARTUP (Intel SDM vol. 3A 8.4.4.1), each with its own stack and IST
 * stacks from the frame allocator, its own GDT/TSS (gdt.c), the common
 * IDT, its LAPIC and a per-CPU anchor in GS. An AP that is not online
 * within SMP_AP_START_MS is given up (and no later one is tried, since
 * it might still wake up and read the parameter block). CPU indexes are
 * dense: the n-th CPU online is CPU n-1.
 *
 * IPIs: each CPU owns one request slot (requests[self]) with a shootdown
 * half and a call half. An initiator fills its slot, publishes the set
 * of target CPUs with a release store, sends one IPI per target and
 * waits (bounded) until every target cleared its bit. A target scans
 * every online CPU's slot for its bit, so requests from several CPUs
 * proceed at once without a global lock. Anyone waiting with interrupts
 * off (here, or in spin_lock through the spin hook) serves shootdowns
 * addressed to it, so two CPUs shooting at each other, or one spinning
 * on a lock the other holds, cannot deadlock.
 *
 * Counters are per CPU and written only by their CPU (plain stores);
 * readers on other CPUs see aligned 64-bit values, never torn ones.
 */
#define PR_PREFIX "smp: "
#include "kernel/arch/smp.h"

#include "kernel/arch/acpi.h"
#include "kernel/arch/gdt.h"
#include "kernel/arch/lapic.h"
#include "kernel/arch/smp_trampoline.h"
#include "kernel/arch/time.h"
#include "kernel/arch/trap.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/panic.h"
#include "kernel/core/printk.h"
#include "kernel/core/spinlock.h"
#include "kernel/cpu/barrier.h"
#include "kernel/cpu/cpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/pmm.h"

STATIC_ASSERT(SMP_TRAMPOLINE_PHYS == MM_TRAMPOLINE_PHYS);
STATIC_ASSERT(CPU_MAX <= 64); /* one bit per CPU in cpumask_t */

#define MSR_EFER 0xC0000080
#define EFER_LMA (1ull << 10) /* read-only status: not written back */
#define IST_BYTES (IST_USED * TRAP_IST_STACK_SIZE)
#define INIT_SETTLE_US 10000 /* INIT to STARTUP (SDM 8.4.4.1) */
#define STARTUP_SETTLE_US 200 /* between the two STARTUPs */
#define FLUSH_ALL_PAGES 64 /* larger ranges reload CR3 instead */
#define CR4_PGE (1ull << 7)

static uint64_t smp_max = CPU_MAX;
KPARAM_UINT(smp, smp_max, 1, CPU_MAX,
	    "CPUs to run at most (1: the boot CPU only; default all)");

/* One request slot per initiating CPU (see the file comment). */
struct ipi_request {
	uintptr_t va; /* [owner] shootdown range, read by targets */
	size_t pages; /* [owner] */
	cpumask_t shoot_pending; /* targets still to invalidate */
	void (*fn)(void *); /* [owner] call */
	void *arg; /* [owner] */
	cpumask_t call_pending; /* targets still to run fn */
} __aligned(64);

static struct percpu percpu_area[CPU_MAX];
static struct smp_cpu_stats cpu_stats[CPU_MAX]; /* [its CPU] */
/* [its CPU] at [cpu * 8], a line each: TSC ticks halted, and when the
 * current halt began (0: running), so a reader counts a halt in progress */
static uint64_t idle_tsc[CPU_MAX * 8];
static uint64_t idle_since[CPU_MAX * 8];
static struct ipi_request requests[CPU_MAX];
static uint8_t *ap_ist[CPU_MAX]; /* [I] IST stacks of each AP */
static unsigned n_online = 1; /* written by the boot CPU only */
static bool in_call[CPU_MAX * 64]; /* [its CPU] at [cpu * 64]: running one */
static void (*ap_main)(void); /* [boot CPU] then read by the APs */

void smp_bsp_init(void)
{
	percpu_area[0].id = 0;
	percpu_install(&percpu_area[0]);
	cpu_stats[0].online = 1;
}

unsigned cpu_count(void)
{
	return READ_ONCE(n_online);
}

cpumask_t cpu_online_mask(void)
{
	unsigned n = cpu_count();

	return n >= 64 ? ~(cpumask_t)0 : CPUMASK_BIT(n) - 1;
}

struct smp_cpu_stats *smp_this_stats(void)
{
	return &cpu_stats[cpu_self()];
}

bool smp_get_cpu_stats(unsigned cpu, struct smp_cpu_stats *out)
{
	uint64_t since, idle;

	if (cpu >= CPU_MAX)
		return false;
	*out = cpu_stats[cpu];
	since = READ_ONCE(idle_since[cpu * 8]);
	idle = READ_ONCE(idle_tsc[cpu * 8]);
	if (since)
		idle += rdtsc() - since;
	out->idle_us = time_tsc_to_ns(idle) / 1000;
	return true;
}

/* Halt until an interrupt, counting the time as idle. Interrupts must
 * be off; they are on when it returns (sti; hlt). */
void smp_idle_halt(void)
{
	unsigned self = cpu_self();
	uint64_t t0 = rdtsc();

	WRITE_ONCE(idle_since[self * 8], t0);
	cpu_idle();
	WRITE_ONCE(idle_tsc[self * 8], idle_tsc[self * 8] + rdtsc() - t0);
	WRITE_ONCE(idle_since[self * 8], 0);
	cpu_stats[self].idle_wakeups++;
}

static void invalidate_range(uintptr_t va, size_t pages)
{
	if (pages > FLUSH_ALL_PAGES) {
		/* Global pages survive a CR3 reload: toggle PGE instead. */
		uint64_t cr4 = read_cr4();

		__asm__ volatile("mov %0, %%cr4"
				 :
				 : "r"(cr4 & ~CR4_PGE)
				 : "memory");
		__asm__ volatile("mov %0, %%cr4" : : "r"(cr4) : "memory");
		return;
	}
	for (size_t i = 0; i < pages; i++)
		invlpg(va + i * PAGE_SIZE);
}

/* Serve the shootdowns other CPUs addressed to this one. Any context
 * with interrupts off. */
static void serve_shootdowns(void)
{
	unsigned self = cpu_self(), n = cpu_count();
	cpumask_t bit = CPUMASK_BIT(self);

	for (unsigned i = 0; i < n; i++) {
		struct ipi_request *r = &requests[i];

		/* acquire: va and pages were written before the mask */
		if (!(__atomic_load_n(&r->shoot_pending, __ATOMIC_ACQUIRE) &
		      bit))
			continue;
		invalidate_range(r->va, r->pages);
		cpu_stats[self].shootdowns_received++;
		cpu_stats[self].shootdown_pages += r->pages;
		/* release: our reads of va/pages are done before the ack */
		__atomic_fetch_and(&r->shoot_pending, ~bit, __ATOMIC_RELEASE);
	}
}

/* Run the calls other CPUs addressed to this one. Not nested: a call
 * that waits for a shootdown serves only shootdowns meanwhile (its own
 * request is still pending and would run again). */
static void serve_calls(void)
{
	unsigned self = cpu_self(), n = cpu_count();
	cpumask_t bit = CPUMASK_BIT(self);

	if (in_call[self * 64])
		return;
	in_call[self * 64] = true;
	for (unsigned i = 0; i < n; i++) {
		struct ipi_request *r = &requests[i];

		if (!(__atomic_load_n(&r->call_pending, __ATOMIC_ACQUIRE) &
		      bit))
			continue;
		r->fn(r->arg);
		cpu_stats[self].calls_run++;
		__atomic_fetch_and(&r->call_pending, ~bit, __ATOMIC_RELEASE);
	}
	in_call[self * 64] = false;
}

static void shootdown_ipi(struct trap_frame *tf, void *arg)
{
	cpu_stats[cpu_self()].ipi_received++;
	serve_shootdowns();
	lapic_eoi();
}

static void call_ipi(struct trap_frame *tf, void *arg)
{
	cpu_stats[cpu_self()].ipi_received++;
	serve_shootdowns(); /* cheap, and a shootdown may wait behind us */
	serve_calls();
	lapic_eoi();
}

/* Waking the CPU from hlt was the point: its main loop does the rest. */
static void kick_ipi(struct trap_frame *tf, void *arg)
{
	cpu_stats[cpu_self()].ipi_received++;
	lapic_eoi();
}

static void tick_ipi(struct trap_frame *tf, void *arg)
{
	cpu_stats[cpu_self()].timer_ticks++;
	lapic_eoi();
}

/* Lowest CPU index in a non-empty mask. */
static unsigned first_cpu(cpumask_t m)
{
	return (unsigned)__builtin_ctzll(m);
}

/*
 * Wait until every bit of *pending is clear, serving requests addressed
 * to this CPU meanwhile (interrupts may be off). A CPU that does not
 * answer within SMP_ACK_TIMEOUT_MS is a broken invariant: panic naming it.
 */
static void wait_acked(cpumask_t *pending, const char *what, uintptr_t va)
{
	uint64_t deadline = rdtsc() +
			    time_ns_to_tsc(SMP_ACK_TIMEOUT_MS * NSEC_PER_MSEC) -
			    time_ns_to_tsc(0);
	cpumask_t left;

	while ((left = __atomic_load_n(pending, __ATOMIC_ACQUIRE)) != 0) {
		/* Interrupts off while serving: an IPI handler serving the
		 * same request in the middle would make us ack a newer one. */
		uint64_t flags = irq_save();

		serve_shootdowns();
		percpu_irq_enter();
		serve_calls();
		percpu_irq_exit();
		irq_restore(flags);
		cpu_relax();
		if ((int64_t)(rdtsc() - deadline) > 0)
			panic("smp: CPU %u (APIC id %u) did not acknowledge "
			      "the %s IPI from CPU %u (va %#lx) within %u ms; "
			      "waiting on %#llx",
			      first_cpu(left),
			      percpu_area[first_cpu(left)].apic_id, what,
			      cpu_self(), (unsigned long)va, SMP_ACK_TIMEOUT_MS,
			      (unsigned long long)left);
	}
}

static void send_ipis(cpumask_t targets, uint8_t vector)
{
	struct smp_cpu_stats *st = &cpu_stats[cpu_self()];

	for (cpumask_t m = targets; m; m &= m - 1) {
		unsigned cpu = first_cpu(m);

		if (lapic_send_ipi(percpu_area[cpu].apic_id, vector))
			panic("smp: IPI %#x to CPU %u never left the LAPIC",
			      vector, cpu);
		st->ipi_sent++;
	}
}

/* Wake one CPU; see smp.h. */
void smp_kick(unsigned cpu)
{
	uint64_t flags = irq_save(); /* our counters: no handler between */

	send_ipis(CPUMASK_BIT(cpu), SMP_VECTOR_KICK);
	irq_restore(flags);
}

/* Release the APs into main(); see smp.h. */
void smp_start_aps(void (*main)(void))
{
	/* release: what the boot CPU set up is visible to main() */
	__atomic_store_n(&ap_main, main, __ATOMIC_RELEASE);
	for (unsigned cpu = 1; cpu < cpu_count(); cpu++)
		smp_kick(cpu);
}

/* Invalidate a range on a set of CPUs and wait for them; see smp.h. */
void tlb_shootdown(cpumask_t cpus, uintptr_t va, size_t pages)
{
	unsigned self = cpu_self();
	cpumask_t others = cpus & cpu_online_mask() & ~CPUMASK_BIT(self);
	struct ipi_request *r = &requests[self];
	uint64_t flags;

	if (cpus & CPUMASK_BIT(self)) {
		invalidate_range(va, pages);
		cpu_stats[self].local_invalidations++;
	}
	if (!others || pages == 0)
		return;
	flags = irq_save(); /* our slot: no nested use from a handler */
	r->va = va;
	r->pages = pages;
	__atomic_store_n(&r->shoot_pending, others, __ATOMIC_RELEASE);
	send_ipis(others, SMP_VECTOR_SHOOTDOWN);
	cpu_stats[self].shootdowns_sent += cpumask_weight(others);
	wait_acked(&r->shoot_pending, "shootdown", va);
	irq_restore(flags);
}

/* Run fn(arg) on a set of CPUs; see smp.h. */
void smp_call(cpumask_t cpus, void (*fn)(void *), void *arg, bool wait)
{
	unsigned self = cpu_self();
	cpumask_t others = cpus & cpu_online_mask() & ~CPUMASK_BIT(self);
	struct ipi_request *r = &requests[self];
	uint64_t flags;

	if (others) {
		flags = irq_save();
		/* A call sent without waiting may still own the slot. */
		wait_acked(&r->call_pending, "call", 0);
		r->fn = fn;
		r->arg = arg;
		__atomic_store_n(&r->call_pending, others, __ATOMIC_RELEASE);
		send_ipis(others, SMP_VECTOR_CALL);
		cpu_stats[self].calls_sent += cpumask_weight(others);
		irq_restore(flags);
	}
	if (cpus & CPUMASK_BIT(self))
		fn(arg);
	if (others && wait)
		wait_acked(&r->call_pending, "call", 0);
}

/* ---- start-up ---- */

/* An AP's life after the trampoline: its tables, LAPIC, then idle. */
static void __noreturn ap_entry(unsigned cpu)
{
	percpu_install(&percpu_area[cpu]);
	trap_init_ap(cpu, ap_ist[cpu]);
	lapic_init_ap();
	lapic_timer_init_ap(SMP_VECTOR_TICK);
	cpu_stats[cpu].apic_id = lapic_id();
	/* release: everything above is done before the boot CPU sees it */
	__atomic_store_n(&cpu_stats[cpu].online, 1, __ATOMIC_RELEASE);
	for (;;) {
		void (*main)(void);

		irq_disable();
		main = __atomic_load_n(&ap_main, __ATOMIC_ACQUIRE);
		if (main)
			main(); /* the main loop: never returns */
		smp_idle_halt(); /* woken by IPIs; handlers do the work */
	}
}

static bool ap_online(unsigned cpu)
{
	return __atomic_load_n(&cpu_stats[cpu].online, __ATOMIC_ACQUIRE);
}

static bool wait_online(unsigned cpu, uint64_t us)
{
	uint64_t end = time_us() + us;

	while (!ap_online(cpu)) {
		if (time_us() > end)
			return false;
		cpu_relax();
	}
	return true;
}

/* Stacks for AP `cpu`: 0 or -ENOMEM. */
static int alloc_stacks(unsigned cpu, uint64_t *stack_top)
{
	uint64_t stack = pmm_alloc(AP_STACK_PAGES, 1);
	uint64_t ist = pmm_alloc(IST_BYTES / PAGE_SIZE, 1);

	if (!stack || !ist) {
		if (stack)
			pmm_free(stack, AP_STACK_PAGES);
		if (ist)
			pmm_free(ist, IST_BYTES / PAGE_SIZE);
		return -ENOMEM;
	}
	ap_ist[cpu] = phys_to_virt(ist);
	*stack_top = stack + AP_STACK_PAGES * PAGE_SIZE;
	return 0;
}

/* INIT-SIPI-SIPI to `apic_id` as CPU `cpu`; 0, -ENOMEM or -ETIMEDOUT. */
static int start_ap(unsigned cpu, uint8_t apic_id)
{
	struct smp_boot_params *p = phys_to_virt(
		SMP_TRAMPOLINE_PHYS + ((uintptr_t)smp_trampoline_params -
				       (uintptr_t)smp_trampoline_start));
	uint64_t stack_top;
	int err = alloc_stacks(cpu, &stack_top);

	if (err)
		return err;
	percpu_area[cpu].id = cpu;
	percpu_area[cpu].apic_id = apic_id;
	p->cr0 = read_cr0();
	p->cr3 = read_cr3();
	p->cr4 = read_cr4();
	p->efer = rdmsr(MSR_EFER) & ~EFER_LMA;
	p->stack_top = stack_top;
	p->entry = (uint64_t)(uintptr_t)ap_entry;
	p->cpu = cpu;
	mb(); /* the parameters are in memory before the AP can run */
	err = lapic_send_init(apic_id);
	udelay(INIT_SETTLE_US);
	for (int i = 0; !err && i < 2 && !ap_online(cpu); i++) {
		err = lapic_send_startup(apic_id, SMP_TRAMPOLINE_PHYS);
		if (!err && wait_online(cpu, STARTUP_SETTLE_US))
			return 0;
	}
	if (!err && !wait_online(cpu, SMP_AP_START_MS * 1000ull))
		err = -ETIMEDOUT;
	return err;
}

/* Copy the trampoline down; false (with the reason) when we cannot. */
static bool prepare_trampoline(void)
{
	size_t len =
		(uintptr_t)smp_trampoline_end - (uintptr_t)smp_trampoline_start;

	if (len > SMP_TRAMPOLINE_MAX) {
		pr_err("trampoline is %zu bytes, more than a page", len);
		return false;
	}
	if (read_cr3() >> 32) {
		pr_err("page tables above 4 GiB (%#llx): APs cannot load them "
		       "in real mode",
		       (unsigned long long)read_cr3());
		return false;
	}
	memcpy(phys_to_virt(SMP_TRAMPOLINE_PHYS), smp_trampoline_start, len);
	trap_set_handler(SMP_VECTOR_CALL, call_ipi, NULL);
	trap_set_handler(SMP_VECTOR_SHOOTDOWN, shootdown_ipi, NULL);
	trap_set_handler(SMP_VECTOR_TICK, tick_ipi, NULL);
	trap_set_handler(SMP_VECTOR_KICK, kick_ipi, NULL);
	spinlock_set_spin_hook(serve_shootdowns);
	return true;
}

/* Start the MADT's other CPUs; see smp.h. */
unsigned smp_boot_aps(void)
{
	const struct acpi_info *ai = acpi_get_info();
	uint32_t self_id = lapic_id();

	percpu_area[0].apic_id = self_id;
	cpu_stats[0].apic_id = self_id;
	if (ai->n_lapic_ids <= 1 || smp_max <= 1) {
		pr_info("1 CPU online (%u listed, smp=%llu)", ai->n_cpus,
			(unsigned long long)smp_max);
		return 1;
	}
	if (!prepare_trampoline())
		return 1;
	for (uint32_t i = 0; i < ai->n_lapic_ids; i++) {
		unsigned cpu = n_online;
		int err;

		if (ai->lapic_ids[i] == self_id)
			continue;
		if (cpu >= smp_max)
			break;
		err = start_ap(cpu, ai->lapic_ids[i]);
		if (err) {
			pr_err("CPU with APIC id %u did not start: %s; "
			       "running with %u CPU(s)",
			       ai->lapic_ids[i], errname(err), n_online);
			break;
		}
		WRITE_ONCE(n_online, cpu + 1);
		pr_info("CPU %u online (APIC id %u)", cpu, ai->lapic_ids[i]);
	}
	pr_info("%u CPUs online (%u listed, smp=%llu)", n_online, ai->n_cpus,
		(unsigned long long)smp_max);
	return n_online;
}
