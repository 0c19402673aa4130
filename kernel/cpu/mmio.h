/* SPDX-License-Identifier: MIT */
/*
 * Device register access: one volatile load or store of the given width
 * at a mapped MMIO address (from paging_map_mmio or pci_map_bar). The
 * registers are little-endian like the CPU, so no conversion is needed.
 * Each access is emitted exactly once and in program order; x86 keeps
 * uncached accesses in order with each other and with earlier stores.
 */
#ifndef KERNEL_CPU_MMIO_H
#define KERNEL_CPU_MMIO_H

#include <stdint.h>

static inline uint8_t mmio_read8(const volatile void *p)
{
	return *(const volatile uint8_t *)p;
}

static inline uint16_t mmio_read16(const volatile void *p)
{
	return *(const volatile uint16_t *)p;
}

static inline uint32_t mmio_read32(const volatile void *p)
{
	return *(const volatile uint32_t *)p;
}

static inline void mmio_write8(volatile void *p, uint8_t v)
{
	*(volatile uint8_t *)p = v;
}

static inline void mmio_write16(volatile void *p, uint16_t v)
{
	*(volatile uint16_t *)p = v;
}

static inline void mmio_write32(volatile void *p, uint32_t v)
{
	*(volatile uint32_t *)p = v;
}

/* Two 32-bit stores, low half first, as virtio 4.1.3.1 allows for its
 * 64-bit fields (not every device accepts a single 64-bit store). */
static inline void mmio_write64_split(volatile void *p, uint64_t v)
{
	mmio_write32(p, (uint32_t)v);
	mmio_write32((volatile uint8_t *)p + 4, (uint32_t)(v >> 32));
}

#endif
