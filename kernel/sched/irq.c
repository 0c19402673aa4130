// SPDX-License-Identifier: MIT
/*
 * Device interrupt dispatch (interface and handler rules in
 * kernel/sched/irq.h). Each allocated vector has a slot; trap.c calls
 * dispatch() with the slot as argument, which counts, runs the driver's
 * handler, sets the pending flag and sends the EOI. Allocation and
 * routing run in the main loop; the counters and the pending flag are
 * written in IRQ context and read with READ_ONCE.
 */
#define PR_PREFIX "irq: "
#include "kernel/sched/irq.h"

#include "kernel/arch/acpi.h"
#include "kernel/arch/ioapic.h"
#include "kernel/arch/lapic.h"
#include "kernel/arch/trap.h"
#include "kernel/core/printk.h"
#include "kernel/cpu/cpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/param.h"

#define MSI_ADDR_BASE 0xFEE00000ull /* Intel SDM 11.11.1 */
#define MSI_ADDR_DEST_SHIFT 12
#define MSI_DATA_VECTOR_MASK 0xFF /* fixed delivery, edge: other bits 0 */

#define N_VECTORS (IRQ_VECTOR_LAST - IRQ_VECTOR_FIRST + 1)

struct irq_slot {
	irq_handler_fn fn; /* [m] NULL: free */
	void *arg; /* [m] */
	uint64_t count; /* [q] written in IRQ context */
	char name[IRQ_NAME_MAX]; /* [m] */
};

static struct irq_slot slots[N_VECTORS];
static bool pending; /* [q] set in IRQ context, taken with xchg */
static uint64_t spurious; /* [q] */

static void dispatch(struct trap_frame *tf, void *arg)
{
	struct irq_slot *s = arg;

	s->count++;
	s->fn(s->arg);
	WRITE_ONCE(pending, true);
	lapic_eoi();
}

/* A spurious LAPIC interrupt is not in service: no EOI (SDM 11.9). */
static void spurious_handler(struct trap_frame *tf, void *arg)
{
	spurious++;
}

int irq_init(void)
{
	const struct acpi_info *ai = acpi_get_info();
	int rc;

	rc = lapic_init(ai->lapic_addr);
	if (rc)
		return rc;
	trap_set_handler(LAPIC_SPURIOUS_VECTOR, spurious_handler, NULL);
	rc = ioapic_init();
	return rc < 0 ? rc : 0;
}

int irq_alloc_vector(irq_handler_fn fn, void *arg, const char *name)
{
	for (int i = 0; i < N_VECTORS; i++) {
		struct irq_slot *s = &slots[i];
		uint64_t flags;

		if (s->fn)
			continue;
		strlcpy(s->name, name, sizeof(s->name));
		flags = irq_save();
		s->fn = fn;
		s->arg = arg;
		s->count = 0;
		irq_restore(flags);
		trap_set_handler((uint8_t)(IRQ_VECTOR_FIRST + i), dispatch, s);
		return IRQ_VECTOR_FIRST + i;
	}
	pr_warn("no free vector for %s", name);
	return -ENOSPC;
}

void irq_free_vector(int vector)
{
	struct irq_slot *s;

	if (vector < IRQ_VECTOR_FIRST || vector > IRQ_VECTOR_LAST)
		return;
	s = &slots[vector - IRQ_VECTOR_FIRST];
	trap_set_handler((uint8_t)vector, NULL, NULL);
	s->fn = NULL;
}

int irq_route_gsi(uint32_t gsi, int vector, bool level, bool active_low)
{
	if (vector < IRQ_VECTOR_FIRST || vector > IRQ_VECTOR_LAST)
		return -EINVAL;
	return ioapic_route(gsi, (uint8_t)vector, (uint8_t)lapic_id(), level,
			    active_low);
}

/* ISA lines are edge/active-high unless the override says otherwise. */
int irq_route_isa(uint8_t irq, int vector)
{
	uint16_t flags;
	uint32_t gsi = acpi_isa_irq_to_gsi(irq, &flags);
	bool level = (flags & ACPI_ISO_TRIGGER_MASK) == ACPI_ISO_TRIGGER_LEVEL;
	bool low = (flags & ACPI_ISO_POLARITY_MASK) == ACPI_ISO_POLARITY_LOW;

	return irq_route_gsi(gsi, vector, level, low);
}

void irq_msi_compose(uint8_t vector, uint64_t *addr, uint32_t *data)
{
	*addr = MSI_ADDR_BASE | ((uint64_t)lapic_id() << MSI_ADDR_DEST_SHIFT);
	*data = vector & MSI_DATA_VECTOR_MASK;
}

uint64_t irq_count(int vector)
{
	if (vector < IRQ_VECTOR_FIRST || vector > IRQ_VECTOR_LAST)
		return 0;
	return READ_ONCE(slots[vector - IRQ_VECTOR_FIRST].count);
}

uint64_t irq_spurious_count(void)
{
	return READ_ONCE(spurious);
}

bool irq_take_pending(void)
{
	/* xchg: atomic against the IRQ that sets it. */
	return __atomic_exchange_n(&pending, false, __ATOMIC_SEQ_CST);
}

void irq_dump_stats(void)
{
	for (int i = 0; i < N_VECTORS; i++)
		if (slots[i].fn)
			pr_info("vector %d %s: %lu", IRQ_VECTOR_FIRST + i,
				slots[i].name,
				(unsigned long)irq_count(IRQ_VECTOR_FIRST + i));
	pr_info("spurious: %lu", (unsigned long)irq_spurious_count());
}
