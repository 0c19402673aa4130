// SPDX-License-Identifier: MIT
/*
 * I/O APIC programming (interface in kernel/arch/ioapic.h). Each chip has an
 * index register (IOREGSEL) and a data window (IOWIN); redirection entry
 * n is the 64-bit pair of registers 0x10 + 2n. The high half (destination)
 * is written before the low half so the entry is never live half-written.
 */
#define PR_PREFIX "ioapic: "
#include "kernel/arch/ioapic.h"

#include "kernel/arch/acpi.h"
#include "kernel/core/printk.h"
#include "kernel/lib/errno.h"
#include "kernel/mm/paging.h"

#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_MMIO_SIZE 0x20
#define IOAPIC_REG_VER 0x01
#define IOAPIC_REG_REDTBL 0x10
#define VER_MAX_REDIR_SHIFT 16
#define VER_MAX_REDIR_MASK 0xFF

#define REDIR_ACTIVE_LOW (1u << 13)
#define REDIR_LEVEL (1u << 15)
#define REDIR_MASKED (1u << 16)
#define REDIR_DEST_SHIFT 24 /* in the high half */

struct ioapic {
	volatile uint32_t *regs; /* [I] */
	uint32_t gsi_base; /* [I] */
	uint32_t pins; /* [I] */
};

static struct ioapic chips[ACPI_IOAPIC_MAX]; /* [I] */
static size_t n_chips; /* [I] */

static uint32_t rd(struct ioapic *c, uint32_t reg)
{
	c->regs[IOREGSEL / sizeof(uint32_t)] = reg;
	return c->regs[IOWIN / sizeof(uint32_t)];
}

static void wr(struct ioapic *c, uint32_t reg, uint32_t v)
{
	c->regs[IOREGSEL / sizeof(uint32_t)] = reg;
	c->regs[IOWIN / sizeof(uint32_t)] = v;
}

/* Index of the last redirection entry, from the version register. */
static uint32_t max_redir(uint32_t ver)
{
	return (ver >> VER_MAX_REDIR_SHIFT) & VER_MAX_REDIR_MASK;
}

/* The chip serving `gsi` and the pin index, or NULL. */
static struct ioapic *find(uint32_t gsi, uint32_t *pin)
{
	for (size_t i = 0; i < n_chips; i++) {
		struct ioapic *c = &chips[i];

		if (gsi >= c->gsi_base && gsi - c->gsi_base < c->pins) {
			*pin = gsi - c->gsi_base;
			return c;
		}
	}
	return NULL;
}

int ioapic_init(void)
{
	const struct acpi_info *ai = acpi_get_info();

	for (size_t i = 0; i < ai->n_ioapic; i++) {
		struct ioapic *c = &chips[n_chips];

		c->regs = paging_map_mmio(ai->ioapic[i].addr, IOAPIC_MMIO_SIZE);
		if (!c->regs) {
			pr_err("cannot map IOAPIC at %#x", ai->ioapic[i].addr);
			continue;
		}
		c->gsi_base = ai->ioapic[i].gsi_base;
		c->pins = max_redir(rd(c, IOAPIC_REG_VER)) + 1;
		for (uint32_t p = 0; p < c->pins; p++)
			wr(c, IOAPIC_REG_REDTBL + 2 * p, REDIR_MASKED);
		pr_info("GSI %u-%u at %#x", c->gsi_base,
			c->gsi_base + c->pins - 1, ai->ioapic[i].addr);
		n_chips++;
	}
	return n_chips ? (int)n_chips : -ENODEV;
}

int ioapic_route(uint32_t gsi, uint8_t vector, uint8_t dest, bool level,
		 bool active_low)
{
	uint32_t pin, lo = vector;
	struct ioapic *c = find(gsi, &pin);

	if (!c)
		return -ENOENT;
	if (level)
		lo |= REDIR_LEVEL;
	if (active_low)
		lo |= REDIR_ACTIVE_LOW;
	wr(c, IOAPIC_REG_REDTBL + 2 * pin, REDIR_MASKED);
	wr(c, IOAPIC_REG_REDTBL + 2 * pin + 1,
	   (uint32_t)dest << REDIR_DEST_SHIFT);
	wr(c, IOAPIC_REG_REDTBL + 2 * pin, lo);
	return 0;
}

int ioapic_mask(uint32_t gsi, bool masked)
{
	uint32_t pin, lo;
	struct ioapic *c = find(gsi, &pin);

	if (!c)
		return -ENOENT;
	lo = rd(c, IOAPIC_REG_REDTBL + 2 * pin);
	lo = masked ? lo | REDIR_MASKED : lo & ~REDIR_MASKED;
	wr(c, IOAPIC_REG_REDTBL + 2 * pin, lo);
	return 0;
}
