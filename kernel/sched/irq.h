/* SPDX-License-Identifier: MIT */
/*
 * Device interrupts: vector allocation (IRQ_VECTOR_FIRST..LAST), routing
 * of GSIs through the IOAPIC, MSI/MSI-X message composition, per-vector
 * counters, and the LAPIC EOI.
 *
 * Handler convention (STYLE.md Concurrency): an irq_handler_fn runs in
 * IRQ context with interrupts off, on the interrupted stack. It only
 * acknowledges the device (reads/writes its ISR register) and records
 * pending work in a [q] field of its own; no allocation, no logging, no
 * lwIP, no wakeup(). The dispatcher counts the interrupt, marks the main
 * loop pending (irq_take_pending) and sends the EOI after the handler,
 * so a level-triggered line is quiet by then. The main loop's pollers do
 * the work.
 *
 * PCI INTx (a function without MSI-X): the line is level-triggered and
 * may be shared, so it gets one vector whose handlers (irq_shared_fn) all
 * run on every interrupt; each reads its device's status register (which
 * deasserts the device's request) and returns whether the device raised
 * it. A line no handler claims IRQ_UNCLAIMED_MAX times in a row is masked,
 * so a device nobody drives cannot hold the CPU in an interrupt storm.
 */
#ifndef KERNEL_SCHED_IRQ_H
#define KERNEL_SCHED_IRQ_H

#include <stdbool.h>
#include <stdint.h>

struct trap_frame;

typedef void (*irq_handler_fn)(void *arg);
/* A handler on a shared line: true when its device raised the interrupt. */
typedef bool (*irq_shared_fn)(void *arg);

/* Bring up the LAPIC and IOAPICs (after acpi_init and pic_disable) and
 * install the spurious-vector handler. 0 or a negative errno. */
int irq_init(void);

/* Inside an irq_handler_fn: the registers of the code it interrupted
 * (NULL outside one). */
const struct trap_frame *irq_frame(void);

/* Install `fn(arg)` on a free device vector; `name` (copied) labels its
 * counter. Returns the vector, or -ENOSPC when none is free. */
int irq_alloc_vector(irq_handler_fn fn, void *arg, const char *name);

/* Uninstall and free a vector from irq_alloc_vector. */
void irq_free_vector(int vector);

/* Route GSI `gsi` to `vector` on the boot CPU and unmask it. PCI INTx is
 * level/active-low; ISA lines use irq_route_isa. 0 or -ENOENT/-EINVAL. */
int irq_route_gsi(uint32_t gsi, int vector, bool level, bool active_low);

/* Route ISA `irq`, honouring the MADT's source overrides. 0 or errno. */
int irq_route_isa(uint8_t irq, int vector);

/* Attach fn(arg) to the PCI INTx line that firmware routed to interrupt
 * line `line` (the configuration register: an ISA IRQ, mapped through the
 * MADT's source overrides, or 16.. a GSI). The line is routed
 * level-triggered on first use and shared after that. Returns the vector,
 * -ENODEV when `line` is 0xff or 0 (not routed), -ENOSPC or -ENOENT. */
int irq_attach_pci_intx(uint8_t line, irq_shared_fn fn, void *arg,
			const char *name);

/* Remove a handler irq_attach_pci_intx() added; the line is masked and
 * its vector freed when the last one goes. */
void irq_detach_shared(int vector, irq_shared_fn fn, void *arg);

struct irq_intx_stats {
	uint64_t lines; /* shared INTx GSIs in use */
	uint64_t unclaimed; /* interrupts no handler on its line claimed */
	uint64_t storm_masked; /* lines masked for an unclaimed storm */
};

/* Totals over the shared INTx lines. */
void irq_get_intx_stats(struct irq_intx_stats *st);

/* MSI / MSI-X address and data that deliver `vector` (fixed, edge) to
 * the boot CPU's LAPIC. */
void irq_msi_compose(uint8_t vector, uint64_t *addr, uint32_t *data);

/* The same, delivering to CPU `cpu`'s LAPIC (the boot CPU's when `cpu`
 * is not online), so that a queue's completions reach the CPU that
 * polls the queue. */
void irq_msi_compose_cpu(uint8_t vector, unsigned cpu, uint64_t *addr,
			 uint32_t *data);

/* Interrupts taken on `vector` since boot (0 for an invalid vector). */
uint64_t irq_count(int vector);

/* LAPIC spurious interrupts since boot. */
uint64_t irq_spurious_count(void);

/* Whether any device interrupt arrived on this CPU since its last call;
 * clears this CPU's flag. Check with interrupts off before cpu_idle()
 * to close the race. */
bool irq_take_pending(void);

/* Print each allocated vector's name and count (info level). */
void irq_dump_stats(void);

#endif
