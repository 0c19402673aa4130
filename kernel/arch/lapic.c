// SPDX-License-Identifier: MIT
/*
 * Local APIC, xAPIC MMIO mode (interface in kernel/arch/lapic.h; Intel SDM
 * vol. 3A 11.4-11.5). The registers are 32-bit, 16-byte aligned, and are
 * accessed through volatile pointers into an uncached mapping.
 * Timer: TSC-deadline mode when CPUID offers it (one MSR write per arm),
 * else one-shot count mode with divide-by-16, whose tick rate is measured
 * against the TSC over LAPIC_CAL_NS at init. A count that does not fit in
 * 32 bits is clamped: the interrupt comes early and the main loop simply
 * re-arms, so no deadline is ever missed, only split.
 */
#define PR_PREFIX "lapic: "
#include "kernel/arch/lapic.h"

#include "kernel/arch/time.h"
#include "kernel/core/printk.h"
#include "kernel/cpu/cpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/mm/paging.h"
#include "kernel/param.h"

#define MSR_APIC_BASE 0x1B
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_X2APIC (1ull << 10)
#define MSR_TSC_DEADLINE 0x6E0
#define CPUID1_EDX_APIC (1u << 9)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)

/* Register offsets. */
#define LAPIC_ID 0x020
#define LAPIC_VERSION 0x030
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0B0
#define LAPIC_SVR 0x0F0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LOW 0x300 /* interrupt command: writing it sends */
#define LAPIC_ICR_HIGH 0x310 /* destination in bits 31:24 */
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_ERROR 0x370
#define LAPIC_TIMER_ICR 0x380 /* initial count */
#define LAPIC_TIMER_CCR 0x390 /* current count */
#define LAPIC_TIMER_DCR 0x3E0 /* divide configuration */
#define LAPIC_MMIO_SIZE 0x400

#define LAPIC_ID_SHIFT 24
#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_ONESHOT (0u << 17)
#define LVT_TIMER_TSC_DEADLINE (2u << 17)
#define DCR_DIVIDE_16 0x3
#define ICR_DEST_SHIFT 24
#define ICR_FIXED (0u << 8)
#define ICR_INIT (5u << 8)
#define ICR_STARTUP (6u << 8)
#define ICR_DELIVERY_PENDING (1u << 12)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_SPIN_MAX 1000000 /* status reads before an IPI times out */
#define COUNT_MAX 0xFFFFFFFFu
#define LAPIC_CAL_NS (10 * NSEC_PER_MSEC)
#define MULT_SHIFT 32 /* count = tsc_ticks * count_mult >> MULT_SHIFT */

static volatile uint32_t *regs; /* [I] */
static bool tsc_deadline; /* [I] */
static uint64_t count_mult; /* [I] timer ticks per TSC tick, fixed point */
static uint32_t lvt_timer; /* [I] */

static void enable_local(void);

static uint32_t rd(uint32_t reg)
{
	return regs[reg / sizeof(uint32_t)];
}

static void wr(uint32_t reg, uint32_t v)
{
	regs[reg / sizeof(uint32_t)] = v;
}

/* Map and software-enable the LAPIC; see the header. */
int lapic_init(uint64_t phys)
{
	uint32_t a, b, c, d;
	uint64_t base;

	cpuid(1, 0, &a, &b, &c, &d);
	if (!(d & CPUID1_EDX_APIC)) {
		pr_err("CPU has no local APIC");
		return -ENODEV;
	}
	tsc_deadline = c & CPUID1_ECX_TSC_DEADLINE;
	base = rdmsr(MSR_APIC_BASE);
	if (base & APIC_BASE_X2APIC) {
		pr_err("firmware left x2APIC mode on; xAPIC required");
		return -ENODEV;
	}
	regs = paging_map_mmio(phys, LAPIC_MMIO_SIZE);
	if (!regs)
		return -ENOMEM;
	enable_local();
	pr_info("id %u, version %#x at %#lx", lapic_id(),
		rd(LAPIC_VERSION) & 0xFF, (unsigned long)phys);
	return 0;
}

/* The local settings of lapic_init(), on the calling CPU. */
static void enable_local(void)
{
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE);
	wr(LAPIC_LVT_LINT0, LVT_MASKED); /* 8259 virtual wire: off */
	wr(LAPIC_LVT_ERROR, LVT_MASKED);
	wr(LAPIC_LVT_TIMER, LVT_MASKED);
	wr(LAPIC_ESR, 0); /* back-to-back writes clear it (SDM 11.5.3) */
	wr(LAPIC_ESR, 0);
	wr(LAPIC_TPR, 0); /* accept every priority class */
	wr(LAPIC_SVR, SVR_ENABLE | LAPIC_SPURIOUS_VECTOR);
	lapic_eoi(); /* drop anything the firmware left in service */
}

void lapic_init_ap(void)
{
	enable_local();
}

/* Wait until the ICR's last command was accepted; bounded. */
static int wait_icr_idle(void)
{
	for (int i = 0; i < ICR_SPIN_MAX; i++) {
		if (!(rd(LAPIC_ICR_LOW) & ICR_DELIVERY_PENDING))
			return 0;
		cpu_relax();
	}
	return -ETIMEDOUT;
}

static int send_icr(uint32_t apic_id, uint32_t low)
{
	int err = wait_icr_idle();

	if (err)
		return err;
	wr(LAPIC_ICR_HIGH, apic_id << ICR_DEST_SHIFT);
	wr(LAPIC_ICR_LOW, low); /* this write sends */
	return 0;
}

int lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
	return send_icr(apic_id, ICR_FIXED | ICR_LEVEL_ASSERT | vector);
}

int lapic_send_init(uint32_t apic_id)
{
	int err = send_icr(apic_id, ICR_INIT | ICR_LEVEL_ASSERT);

	return err ? err : wait_icr_idle();
}

int lapic_send_startup(uint32_t apic_id, uint32_t page_phys)
{
	int err = send_icr(apic_id, ICR_STARTUP | ICR_LEVEL_ASSERT |
					    (page_phys >> PAGE_SHIFT));

	return err ? err : wait_icr_idle();
}

void lapic_timer_init_ap(uint8_t vector)
{
	uint32_t mode = tsc_deadline ? LVT_TIMER_TSC_DEADLINE :
				       LVT_TIMER_ONESHOT;

	if (!tsc_deadline)
		wr(LAPIC_TIMER_DCR, DCR_DIVIDE_16);
	wr(LAPIC_LVT_TIMER, mode | vector);
}

void lapic_eoi(void)
{
	wr(LAPIC_EOI, 0);
}

uint32_t lapic_id(void)
{
	return rd(LAPIC_ID) >> LAPIC_ID_SHIFT;
}

bool lapic_timer_tsc_deadline(void)
{
	return tsc_deadline;
}

/* Count-mode ticks per TSC tick, measured over LAPIC_CAL_NS. */
static int calibrate_count(void)
{
	uint64_t t0, t1, end;
	uint32_t left;

	wr(LAPIC_TIMER_DCR, DCR_DIVIDE_16);
	wr(LAPIC_LVT_TIMER, LVT_MASKED | LVT_TIMER_ONESHOT);
	t0 = rdtsc();
	wr(LAPIC_TIMER_ICR, COUNT_MAX);
	end = t0 + (time_ns_to_tsc(LAPIC_CAL_NS) - time_ns_to_tsc(0));
	do {
		cpu_relax();
		t1 = rdtsc();
	} while ((int64_t)(t1 - end) < 0); /* bounded: the TSC advances */
	left = rd(LAPIC_TIMER_CCR);
	wr(LAPIC_TIMER_ICR, 0);
	if (left == 0 || left == COUNT_MAX || t1 == t0) {
		pr_err("timer did not count (left %u)", left);
		return -ENODEV;
	}
	count_mult = ((uint64_t)(COUNT_MAX - left) << MULT_SHIFT) / (t1 - t0);
	pr_info("timer: one-shot mode, %lu kHz",
		(unsigned long)((COUNT_MAX - left) * 1000000ull /
				(time_tsc_to_ns(t1 - t0) ?: 1)));
	return 0;
}

/* Set the timer up for `vector`; see the header. */
int lapic_timer_init(uint8_t vector)
{
	int rc;

	if (tsc_deadline) {
		lvt_timer = LVT_TIMER_TSC_DEADLINE | vector;
		wr(LAPIC_LVT_TIMER, lvt_timer);
		pr_info("timer: TSC-deadline mode");
		return 0;
	}
	rc = calibrate_count();
	if (rc)
		return rc;
	lvt_timer = LVT_TIMER_ONESHOT | vector;
	wr(LAPIC_LVT_TIMER, lvt_timer);
	return 0;
}

/* Timer ticks in `ticks` TSC ticks (rounded down). */
static uint64_t tsc_to_count(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * count_mult) >>
			  MULT_SHIFT);
}

void lapic_timer_arm_tsc(uint64_t deadline)
{
	uint64_t now, count;

	if (tsc_deadline) {
		/* SDM 11.5.4.1: the LVT write must be globally visible
		 * before the MSR write; it was done at init, long before. */
		wrmsr(MSR_TSC_DEADLINE, deadline ?: 1);
		return;
	}
	now = rdtsc();
	count = 1;
	if ((int64_t)(deadline - now) > 0)
		count += tsc_to_count(deadline - now);
	wr(LAPIC_TIMER_ICR, (uint32_t)MIN(count, COUNT_MAX));
}

void lapic_timer_stop(void)
{
	if (tsc_deadline)
		wrmsr(MSR_TSC_DEADLINE, 0);
	else
		wr(LAPIC_TIMER_ICR, 0);
}
