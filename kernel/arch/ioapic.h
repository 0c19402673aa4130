/* SPDX-License-Identifier: MIT */
/*
 * I/O APICs (82093AA datasheet; ACPI MADT gives their addresses and GSI
 * ranges). Every pin starts masked; ioapic_route() programs one GSI to a
 * vector on the boot CPU (fixed delivery, physical destination) and
 * unmasks it. Main loop only, or with interrupts off.
 */
#ifndef KERNEL_ARCH_IOAPIC_H
#define KERNEL_ARCH_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

/* Map every IOAPIC acpi_init() found and mask all pins. Returns the number
 * of IOAPICs usable (>= 1), or -ENODEV. */
int ioapic_init(void);

/* Send `gsi` to `vector` on APIC id `dest` with the given trigger and
 * polarity, unmasked. 0, or -ENOENT when no IOAPIC serves `gsi`. */
int ioapic_route(uint32_t gsi, uint8_t vector, uint8_t dest, bool level,
		 bool active_low);

/* Mask or unmask a routed GSI. 0 or -ENOENT. */
int ioapic_mask(uint32_t gsi, bool masked);

#endif
