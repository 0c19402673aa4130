// SPDX-License-Identifier: MIT
/*
 * Device interrupt dispatch (interface and handler rules in
 * kernel/sched/irq.h). Each allocated vector has a slot; trap.c calls
 * dispatch() with the slot as argument, which counts, runs the driver's
 * handler, sets the pending flag and sends the EOI. Allocation and
 * routing run in the main loop; the counters and the pending flag are
 * written in IRQ context and read with READ_ONCE.
 *
 * A shared PCI INTx line is one vector whose slot handler (line_dispatch)
 * asks every attached irq_shared_fn in turn; handlers are added and
 * removed with interrupts off, so the dispatcher never sees a half-set
 * entry.
 */
#define PR_PREFIX "irq: "
#include "kernel/sched/irq.h"

#include "kernel/arch/acpi.h"
#include "kernel/arch/ioapic.h"
#include "kernel/arch/lapic.h"
#include "kernel/arch/smp.h"
#include "kernel/arch/trap.h"
#include "kernel/core/printk.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/percpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/stdio.h"
#include "kernel/lib/string.h"
#include "kernel/param.h"

#define MSI_ADDR_BASE 0xFEE00000ull /* Intel SDM 11.11.1 */
#define MSI_ADDR_DEST_SHIFT 12
#define MSI_DATA_VECTOR_MASK 0xFF /* fixed delivery, edge: other bits 0 */

#define N_VECTORS (IRQ_VECTOR_LAST - IRQ_VECTOR_FIRST + 1)

#define PCI_INTR_LINE_NONE 0xff /* firmware routed no interrupt */
#define ISA_IRQ_COUNT 16 /* lines below this are ISA IRQs */

struct irq_slot {
	irq_handler_fn fn; /* [m] NULL: free */
	void *arg; /* [m] */
	uint64_t count; /* [q] written in IRQ context */
	char name[IRQ_NAME_MAX]; /* [m] */
};

struct irq_shared {
	irq_shared_fn fn; /* [m], written with interrupts off; NULL: free */
	void *arg; /* [m] */
};

/* One level-triggered GSI shared by PCI functions. */
struct irq_line {
	int vector; /* [m] 0: unused */
	uint32_t gsi; /* [m] */
	uint32_t unclaimed_run; /* [q] unclaimed interrupts in a row */
	uint64_t unclaimed; /* [q] since boot */
	bool storm_masked; /* [q] masked after IRQ_UNCLAIMED_MAX in a row */
	struct irq_shared handlers[IRQ_SHARED_HANDLERS_MAX]; /* [m] */
};

static struct irq_slot slots[N_VECTORS];
static struct irq_line lines[IRQ_SHARED_LINES_MAX];
/* [q] per CPU: set by an interrupt on that CPU, taken by its main loop */
static struct {
	bool pending;
	const struct trap_frame *frame; /* [q] the interrupt being handled */
} __aligned(64) pending[CPU_MAX];
static uint64_t spurious; /* [q] */

static void dispatch(struct trap_frame *tf, void *arg)
{
	struct irq_slot *s = arg;

	__atomic_fetch_add(&s->count, 1, __ATOMIC_RELAXED); /* any CPU */
	pending[cpu_self()].frame = tf;
	s->fn(s->arg);
	pending[cpu_self()].frame = NULL;
	WRITE_ONCE(pending[cpu_self()].pending, true);
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

/*
 * Slot handler of a shared line. Every handler runs, since two devices
 * may have raised the line together; the line falls quiet only when each
 * has read its status. Masking after a long unclaimed run stops a storm
 * from a device no driver acknowledges.
 */
static void line_dispatch(void *arg)
{
	struct irq_line *l = arg;
	bool claimed = false;

	for (int i = 0; i < IRQ_SHARED_HANDLERS_MAX; i++) {
		struct irq_shared *h = &l->handlers[i];

		if (h->fn && h->fn(h->arg))
			claimed = true;
	}
	if (claimed) {
		l->unclaimed_run = 0;
		return;
	}
	l->unclaimed++;
	if (++l->unclaimed_run == IRQ_UNCLAIMED_MAX) {
		ioapic_mask(l->gsi, true);
		l->storm_masked = true;
	}
}

/*
 * GSI and polarity of PCI interrupt line `line`. Below 16 firmware
 * steered the PIRQ to that ISA input, so an override applies (QEMU's MADT
 * gives its PCI IRQs level, active-high ones); otherwise it is active-high
 * like every ISA input. From 16 on the line names a GSI, and PCI INTx is
 * active-low there.
 */
static uint32_t intx_gsi(uint8_t line, bool *active_low)
{
	uint16_t flags;
	uint32_t gsi;

	if (line >= ISA_IRQ_COUNT) {
		*active_low = true;
		return line;
	}
	gsi = acpi_isa_irq_to_gsi(line, &flags);
	*active_low = (flags & ACPI_ISO_POLARITY_MASK) == ACPI_ISO_POLARITY_LOW;
	return gsi;
}

/* The line already carrying `gsi`, or a free one (vector 0), or NULL. */
static struct irq_line *find_line(uint32_t gsi)
{
	struct irq_line *free_line = NULL;

	for (int i = 0; i < IRQ_SHARED_LINES_MAX; i++) {
		if (lines[i].vector && lines[i].gsi == gsi)
			return &lines[i];
		if (!lines[i].vector && !free_line)
			free_line = &lines[i];
	}
	return free_line;
}

/* Put fn(arg) in a free handler entry of `l`; 0 or -ENOSPC. */
static int add_handler(struct irq_line *l, irq_shared_fn fn, void *arg)
{
	for (int i = 0; i < IRQ_SHARED_HANDLERS_MAX; i++) {
		struct irq_shared *h = &l->handlers[i];
		uint64_t flags;

		if (h->fn)
			continue;
		flags = irq_save();
		h->arg = arg;
		h->fn = fn;
		irq_restore(flags);
		return 0;
	}
	return -ENOSPC;
}

int irq_attach_pci_intx(uint8_t line, irq_shared_fn fn, void *arg,
			const char *name)
{
	bool active_low, fresh;
	struct irq_line *l;
	char label[IRQ_NAME_MAX];
	uint32_t gsi;
	int err;

	/* 0 is the timer's IRQ: firmware that leaves the register at its
	 * reset value routed nothing. */
	if (line == PCI_INTR_LINE_NONE || line == 0)
		return -ENODEV;
	gsi = intx_gsi(line, &active_low);
	l = find_line(gsi);
	if (!l) {
		pr_warn("no free shared line for %s on GSI %u", name, gsi);
		return -ENOSPC;
	}
	fresh = !l->vector;
	if (fresh) {
		snprintf(label, sizeof(label), "intx-gsi%u", gsi);
		err = irq_alloc_vector(line_dispatch, l, label);
		if (err < 0)
			return err;
		l->vector = err;
		l->gsi = gsi;
	}
	/* The handler is in place before the line is unmasked: a device
	 * already asserting it is acknowledged on the first interrupt. */
	err = add_handler(l, fn, arg);
	if (!err && fresh)
		err = irq_route_gsi(gsi, l->vector, true, active_low);
	if (err) {
		if (fresh) {
			irq_free_vector(l->vector);
			memset(l, 0, sizeof(*l));
		}
		return err;
	}
	pr_info("%s: INTx line %u, GSI %u, level, active-%s, vector %d%s", name,
		line, gsi, active_low ? "low" : "high", l->vector,
		fresh ? "" : " (shared)");
	return l->vector;
}

void irq_detach_shared(int vector, irq_shared_fn fn, void *arg)
{
	bool empty = true;
	struct irq_line *l = NULL;

	for (int i = 0; i < IRQ_SHARED_LINES_MAX; i++)
		if (vector > 0 && lines[i].vector == vector)
			l = &lines[i];
	if (!l)
		return;
	for (int i = 0; i < IRQ_SHARED_HANDLERS_MAX; i++) {
		struct irq_shared *h = &l->handlers[i];
		uint64_t flags;

		if (h->fn == fn && h->arg == arg) {
			flags = irq_save();
			h->fn = NULL;
			irq_restore(flags);
		}
		if (h->fn)
			empty = false;
	}
	if (!empty)
		return;
	ioapic_mask(l->gsi, true);
	irq_free_vector(l->vector);
	memset(l, 0, sizeof(*l));
}

void irq_get_intx_stats(struct irq_intx_stats *st)
{
	*st = (struct irq_intx_stats){ 0 };
	for (int i = 0; i < IRQ_SHARED_LINES_MAX; i++) {
		if (!lines[i].vector)
			continue;
		st->lines++;
		st->unclaimed += READ_ONCE(lines[i].unclaimed);
		st->storm_masked += READ_ONCE(lines[i].storm_masked);
	}
}

void irq_msi_compose(uint8_t vector, uint64_t *addr, uint32_t *data)
{
	*addr = MSI_ADDR_BASE | ((uint64_t)lapic_id() << MSI_ADDR_DEST_SHIFT);
	*data = vector & MSI_DATA_VECTOR_MASK;
}

/* Physical destination mode: the address names one LAPIC id. Vectors
 * are the same on every CPU (one IDT), so only the address changes. */
void irq_msi_compose_cpu(uint8_t vector, unsigned cpu, uint64_t *addr,
			 uint32_t *data)
{
	struct smp_cpu_stats st;

	if (cpu >= cpu_count() || !smp_get_cpu_stats(cpu, &st)) {
		irq_msi_compose(vector, addr, data);
		return;
	}
	*addr = MSI_ADDR_BASE | ((uint64_t)st.apic_id << MSI_ADDR_DEST_SHIFT);
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

const struct trap_frame *irq_frame(void)
{
	return pending[cpu_self()].frame;
}

bool irq_take_pending(void)
{
	/* xchg: atomic against the IRQ that sets it. */
	return __atomic_exchange_n(&pending[cpu_self()].pending, false,
				   __ATOMIC_SEQ_CST);
}

void irq_dump_stats(void)
{
	for (int i = 0; i < N_VECTORS; i++)
		if (slots[i].fn)
			pr_info("vector %d %s: %lu", IRQ_VECTOR_FIRST + i,
				slots[i].name,
				(unsigned long)irq_count(IRQ_VECTOR_FIRST + i));
	for (int i = 0; i < IRQ_SHARED_LINES_MAX; i++)
		if (lines[i].vector)
			pr_info("GSI %u unclaimed: %lu%s", lines[i].gsi,
				(unsigned long)READ_ONCE(lines[i].unclaimed),
				READ_ONCE(lines[i].storm_masked) ? ", masked" :
								   "");
	pr_info("spurious: %lu", (unsigned long)irq_spurious_count());
}
