/* SPDX-License-Identifier: MIT */
/*
 * Local APIC of the boot CPU, in xAPIC (MMIO) mode: enable with a
 * spurious vector, end-of-interrupt, and the timer used by kernel/sched/timer.c
 * (one-shot count mode calibrated against the TSC, or TSC-deadline mode
 * when CPUID.1:ECX.24 offers it). Intel SDM vol. 3A chapter 11.
 * Registers are touched with interrupts off or from the main loop only.
 */
#ifndef KERNEL_ARCH_LAPIC_H
#define KERNEL_ARCH_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#define LAPIC_SPURIOUS_VECTOR 0xFF

/* Map the LAPIC at `phys`, enable it and mask its local interrupts.
 * 0 or -ENODEV (no APIC) / -ENOMEM (mapping failed). */
int lapic_init(uint64_t phys);

/* Enable this CPU's LAPIC (an AP's, after lapic_init() on the boot CPU
 * mapped the shared MMIO address) with the same settings. */
void lapic_init_ap(void);

/* Send a fixed IPI with `vector` to the CPU with APIC id `apic_id`.
 * 0, or -ETIMEDOUT if the previous IPI never left (bounded wait).
 * Interrupts must be off (the ICR is two writes). */
int lapic_send_ipi(uint32_t apic_id, uint8_t vector);

/* INIT, then the STARTUP IPI with the real-mode page `page_phys`
 * (4 KiB aligned, below 1 MiB), to CPU `apic_id` (Intel SDM vol. 3A
 * 8.4.4.1). 0 or -ETIMEDOUT. */
int lapic_send_init(uint32_t apic_id);
int lapic_send_startup(uint32_t apic_id, uint32_t page_phys);

/* Program this CPU's timer LVT for `vector` with the mode and rate the
 * boot CPU calibrated (lapic_timer_init must have run there). */
void lapic_timer_init_ap(uint8_t vector);

/* Signal end of interrupt for the vector being serviced. */
void lapic_eoi(void);

/* This CPU's APIC id. */
uint32_t lapic_id(void);

/* Set the timer up to raise `vector`; calibrates count mode against the
 * TSC (time_init() must have run). 0 or -ENODEV. */
int lapic_timer_init(uint8_t vector);

/* One interrupt at (or shortly after) TSC value `deadline`; a deadline in
 * the past fires at once. Replaces any earlier programming. */
void lapic_timer_arm_tsc(uint64_t deadline);

/* Cancel a programmed timer interrupt. */
void lapic_timer_stop(void);

/* Whether the timer uses TSC-deadline mode. */
bool lapic_timer_tsc_deadline(void);

#endif
