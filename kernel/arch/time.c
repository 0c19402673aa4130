// SPDX-License-Identifier: MIT
/*
 * TSC clock (interface in kernel/arch/time.h). Calibration: PIT channel 2 in
 * mode 0 counts down PIT_CAL_TICKS with its gate held high through port
 * 0x61; the TSC is read before the count is loaded and when OUT2 (port
 * 0x61 bit 5) goes high. Delays only ever make the measured TSC delta too
 * large, so the smallest of PIT_CAL_RUNS runs is kept. Conversions use
 * fixed-point factors and a 128-bit product (no division on the fast
 * path, no libgcc).
 */
#define PR_PREFIX "time: "
#include "kernel/arch/time.h"

#include "kernel/core/printk.h"
#include "kernel/cpu/cpu.h"
#include "kernel/lib/errno.h"

#define PIT_CH2_DATA 0x42
#define PIT_MODE 0x43
#define PIT_MODE_CH2_LOHI_MODE0 0xB0 /* channel 2, lo/hi byte, mode 0 */
#define PORT_61 0x61
#define PORT_61_GATE2 0x01 /* channel 2 gate */
#define PORT_61_SPEAKER 0x02 /* speaker data enable */
#define PORT_61_OUT2 0x20 /* channel 2 output (read) */

#define PIT_CAL_TICKS 11932 /* 10 ms of PIT ticks */
#define PIT_CAL_RUNS 3
#define PIT_POLL_MAX 5000000 /* polls of port 0x61 before giving up */

#define CPUID_EXT_POWER 0x80000007
#define CPUID_EXT_POWER_INVARIANT_TSC (1u << 8)
#define CPUID_TSC_LEAF 0x15
#define CPUID_FREQ_LEAF 0x16
#define TSC_HZ_MIN 1000000ull /* below this a measurement is rejected */
#define TSC_HZ_FALLBACK 1000000000ull

#define NS_SHIFT 32 /* ns = ticks * ns_mult >> NS_SHIFT */
#define TSC_SHIFT 24 /* ticks = ns * tsc_mult >> TSC_SHIFT */

static uint64_t boot_tsc; /* [I] */
static uint64_t tsc_hz = TSC_HZ_FALLBACK; /* [I] */
/* Before calibration the clock reads 0 and delays assume a fast TSC, so
 * they wait too long rather than too short. */
#define TSC_HZ_DELAY_ASSUMED 8000000000ull
static uint64_t ns_mult; /* [I] */
static uint64_t tsc_mult = (TSC_HZ_DELAY_ASSUMED << TSC_SHIFT) / NSEC_PER_SEC;
static bool tsc_invariant; /* [I] */

uint64_t time_tsc_hz_from_pit(uint64_t tsc_delta, uint32_t pit_ticks)
{
	if (pit_ticks == 0 || tsc_delta == 0 || tsc_delta > UINT64_MAX / PIT_HZ)
		return 0;
	return tsc_delta * PIT_HZ / pit_ticks;
}

uint64_t time_tsc_to_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * ns_mult) >> NS_SHIFT);
}

uint64_t time_ns_to_tsc(uint64_t ns)
{
	return boot_tsc +
	       (uint64_t)(((unsigned __int128)ns * tsc_mult) >> TSC_SHIFT);
}

uint64_t time_ns(void)
{
	return time_tsc_to_ns(rdtsc() - boot_tsc);
}

uint64_t time_us(void)
{
	return time_ns() / NSEC_PER_USEC;
}

uint64_t time_tsc_hz(void)
{
	return tsc_hz;
}

bool time_tsc_invariant(void)
{
	return tsc_invariant;
}

void ndelay(uint64_t ns)
{
	uint64_t end = rdtsc() + (time_ns_to_tsc(ns) - boot_tsc);

	while ((int64_t)(rdtsc() - end) < 0)
		cpu_relax();
}

void udelay(uint64_t us)
{
	ndelay(us * NSEC_PER_USEC);
}

/* Use `hz` from now on: time_init, or a frequency known otherwise. */
void time_set_tsc_hz(uint64_t hz)
{
	tsc_hz = hz;
	ns_mult = (NSEC_PER_SEC << NS_SHIFT) / hz;
	tsc_mult = (hz << TSC_SHIFT) / NSEC_PER_SEC;
}

/* One PIT measurement: TSC ticks over PIT_CAL_TICKS, or 0 on timeout. */
static uint64_t pit_measure(void)
{
	uint8_t ctl = inb(PORT_61);
	uint64_t t0, t1;
	long i;

	/* Gate low (stop), speaker off, then program mode 0. */
	outb(PORT_61, ctl & ~(PORT_61_GATE2 | PORT_61_SPEAKER));
	outb(PIT_MODE, PIT_MODE_CH2_LOHI_MODE0);
	outb(PIT_CH2_DATA, PIT_CAL_TICKS & 0xFF);
	outb(PIT_CH2_DATA, PIT_CAL_TICKS >> 8);
	/* Raising the gate starts the count; OUT2 stays low until 0. */
	t0 = rdtsc();
	outb(PORT_61, (ctl & ~PORT_61_SPEAKER) | PORT_61_GATE2);
	for (i = 0; i < PIT_POLL_MAX; i++)
		if (inb(PORT_61) & PORT_61_OUT2)
			break;
	t1 = rdtsc();
	outb(PORT_61, ctl & ~PORT_61_SPEAKER);
	return i == PIT_POLL_MAX ? 0 : t1 - t0;
}

/* CPUID leaves 0x15/0x16 as a second opinion; 0 when not reported. */
static uint64_t cpuid_tsc_hz(void)
{
	uint32_t max, a, b, c, d;

	cpuid(0, 0, &max, &b, &c, &d);
	if (max >= CPUID_TSC_LEAF) {
		cpuid(CPUID_TSC_LEAF, 0, &a, &b, &c, &d);
		if (a && b && c)
			return (uint64_t)c * b / a;
	}
	if (max >= CPUID_FREQ_LEAF) {
		cpuid(CPUID_FREQ_LEAF, 0, &a, &b, &c, &d);
		if (a & 0xFFFF)
			return (uint64_t)(a & 0xFFFF) * 1000000;
	}
	return 0;
}

static bool cpuid_invariant_tsc(void)
{
	uint32_t max, a, b, c, d;

	cpuid(CPUID_EXT_POWER & 0x80000000, 0, &max, &b, &c, &d);
	if (max < CPUID_EXT_POWER)
		return false;
	cpuid(CPUID_EXT_POWER, 0, &a, &b, &c, &d);
	return d & CPUID_EXT_POWER_INVARIANT_TSC;
}

int time_init(uint64_t tsc_at_boot)
{
	uint64_t best = 0, hz;
	int rc = 0;

	boot_tsc = tsc_at_boot;
	tsc_invariant = cpuid_invariant_tsc();
	for (int i = 0; i < PIT_CAL_RUNS; i++) {
		uint64_t d = pit_measure();

		if (d && (best == 0 || d < best))
			best = d;
	}
	hz = time_tsc_hz_from_pit(best, PIT_CAL_TICKS);
	if (hz < TSC_HZ_MIN) {
		hz = cpuid_tsc_hz();
		pr_warn("PIT calibration failed (%lu ticks); TSC %s",
			(unsigned long)best,
			hz ? "from CPUID" : "frequency guessed");
		if (hz < TSC_HZ_MIN)
			hz = TSC_HZ_FALLBACK;
		rc = -EIO;
	}
	time_set_tsc_hz(hz);
	printk_set_clock(time_ns);
	pr_info("TSC %lu.%03lu MHz (PIT calibrated: %s), invariant: %s",
		(unsigned long)(hz / 1000000),
		(unsigned long)(hz / 1000 % 1000), rc ? "no" : "yes",
		tsc_invariant ? "yes" : "no (TSC may drift with power states)");
	return rc;
}
