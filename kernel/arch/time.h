/* SPDX-License-Identifier: MIT */
/*
 * Monotonic time from the TSC. time_init() calibrates the TSC frequency
 * against the PIT (channel 2, gated through port 0x61, no interrupt) and
 * checks CPUID for an invariant TSC (reported when absent; QEMU TCG's TSC
 * follows the host clock and works anyway). Time 0 is the TSC value
 * kmain passed in, so time_ns() is the time since the kernel started.
 * Readers need no lock: the conversion factors are [I] after time_init.
 */
#ifndef KERNEL_ARCH_TIME_H
#define KERNEL_ARCH_TIME_H

#include <stdbool.h>
#include <stdint.h>

#define NSEC_PER_USEC 1000ull
#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_SEC 1000000000ull
#define PIT_HZ 1193182u /* PIT input clock */

/* Calibrate the TSC and start the clock at TSC value `boot_tsc`; hooks
 * the clock into printk. Returns 0, or -EIO when calibration failed and
 * a CPUID-reported or fallback frequency is used (logged either way). */
int time_init(uint64_t boot_tsc);

/* Nanoseconds / microseconds since boot_tsc. */
uint64_t time_ns(void);
uint64_t time_us(void);

/* Calibrated TSC frequency in Hz. */
uint64_t time_tsc_hz(void);

/* Whether CPUID reports an invariant TSC. */
bool time_tsc_invariant(void);

/* TSC value at boot time `ns`, and ns for a count of TSC ticks. */
uint64_t time_ns_to_tsc(uint64_t ns);
uint64_t time_tsc_to_ns(uint64_t ticks);

/* Busy-wait at least `ns` / `us` (bounded by the TSC; for device
 * settle times, not for waiting on events). */
void ndelay(uint64_t ns);
void udelay(uint64_t us);

/* Replace the TSC frequency (>= 1 MHz): a hypervisor-reported value, or
 * the unit tests. */
void time_set_tsc_hz(uint64_t hz);

/* Pure helper, exposed for the unit tests: TSC Hz from `tsc_delta`
 * ticks measured over `pit_ticks` PIT ticks; 0 when meaningless. */
uint64_t time_tsc_hz_from_pit(uint64_t tsc_delta, uint32_t pit_ticks);

#endif
