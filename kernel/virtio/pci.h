/* SPDX-License-Identifier: MIT */
/*
 * PCI: configuration space through the legacy 0xCF8/0xCFC mechanism,
 * enumeration of every bus reachable from bus 0 through PCI-PCI bridges,
 * BAR decoding and sizing, capability walking, MSI-X table programming
 * and bus mastering.
 *
 * pci_init() runs once at boot (main loop, before any driver) and fills a
 * static table of at most PCI_DEV_MAX functions; the struct pci_dev
 * pointers it hands out stay valid forever. Drivers find their device
 * with pci_find() or iterate with pci_get(i) for i < pci_count().
 * Configuration accesses disable interrupts around the address/data pair
 * so an IRQ handler may use them too. MSI-X: the irq code allocates the
 * vector and composes the message; this module only writes it into the
 * device's table (PCI Local Bus 3.0, 6.8.2).
 */
#ifndef KERNEL_VIRTIO_PCI_H
#define KERNEL_VIRTIO_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PCI_BAR_COUNT 6 /* type 0 header; bridges have 2 */

/* configuration space registers (type 0 and 1 headers) */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION 0x08 /* then prog-if, subclass, class */
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYS_VENDOR 0x2c
#define PCI_SUBSYS_ID 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_INTR_LINE 0x3c
#define PCI_INTR_PIN 0x3d
#define PCI_SECONDARY_BUS 0x19 /* type 1 header */

#define PCI_COMMAND_IO (1u << 0)
#define PCI_COMMAND_MEMORY (1u << 1)
#define PCI_COMMAND_MASTER (1u << 2)
#define PCI_COMMAND_INTX_DISABLE (1u << 10)
#define PCI_STATUS_CAP_LIST (1u << 4)

#define PCI_VENDOR_NONE 0xffff /* no function at this address */
#define PCI_ANY_ID 0xffff /* wildcard for pci_find() */

/* capability IDs */
#define PCI_CAP_ID_MSI 0x05
#define PCI_CAP_ID_VENDOR 0x09
#define PCI_CAP_ID_PCIE 0x10
#define PCI_CAP_ID_MSIX 0x11

enum pci_bar_type {
	PCI_BAR_NONE = 0, /* unimplemented, or the upper half of a 64-bit BAR */
	PCI_BAR_IO,
	PCI_BAR_MEM32,
	PCI_BAR_MEM64,
};

struct pci_bar {
	uint64_t base; /* bus address or I/O port; 0 if firmware left it */
	uint64_t size; /* bytes decoded */
	enum pci_bar_type type;
	bool prefetchable;
};

/* MSI-X capability, decoded (all zero when the function has none). */
struct pci_msix {
	uint8_t cap; /* config offset of the capability, 0 = none */
	uint16_t table_size; /* entries */
	uint8_t table_bar;
	uint32_t table_offset;
	uint8_t pba_bar;
	uint32_t pba_offset;
	volatile void *table; /* mapped by pci_msix_enable(), else NULL */
};

/*
 * One function. Everything is [I] after pci_init() except msix.table,
 * which pci_msix_enable() sets once ([m]).
 */
struct pci_dev {
	uint8_t bus, dev, fn;
	uint8_t header_type; /* without the multi-function bit */
	uint16_t vendor, device;
	uint16_t subsys_vendor, subsys_id; /* type 0 only */
	uint8_t class, subclass, prog_if, revision;
	uint8_t irq_pin; /* 1 = INTA .. 4 = INTD, 0 = none */
	uint8_t irq_line; /* as firmware routed it */
	struct pci_bar bar[PCI_BAR_COUNT];
	struct pci_msix msix;
};

/* Scan all buses, size the BARs, log each function; returns the count. */
size_t pci_init(void);

/* Number of functions found by pci_init(). */
size_t pci_count(void);

/* The i-th function found (i < pci_count()), else NULL. */
struct pci_dev *pci_get(size_t i);

/* Next function after `from` (NULL: from the start) matching vendor and
 * device; PCI_ANY_ID in either matches any. NULL when there is none. */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device,
			 struct pci_dev *from);

/* Configuration space accessors; `off` must be naturally aligned. */
uint8_t pci_read8(const struct pci_dev *d, uint16_t off);
uint16_t pci_read16(const struct pci_dev *d, uint16_t off);
uint32_t pci_read32(const struct pci_dev *d, uint16_t off);
void pci_write8(const struct pci_dev *d, uint16_t off, uint8_t v);
void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v);
void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v);

/* Offset of the next capability with `id` after offset `prev` (0: from
 * the start of the list); 0 when there is none. */
uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t prev);

/* Turn on memory decoding (and I/O decoding when `io`). */
void pci_enable_decode(const struct pci_dev *d, bool io);

/* Let the function master the bus (DMA, MSI writes). */
void pci_enable_bus_master(const struct pci_dev *d);

/* Map [off, off+len) of memory BAR `bar` uncached; NULL (logged) if the
 * BAR is not memory, unassigned, too small, or cannot be mapped. */
volatile void *pci_map_bar(const struct pci_dev *d, unsigned int bar,
			   uint64_t off, uint64_t len);

/* Map the MSI-X table, mask every entry and enable MSI-X (INTx off).
 * 0, or -ENODEV without MSI-X, -ENOMEM if the table cannot be mapped. */
int pci_msix_enable(struct pci_dev *d);

/* Disable MSI-X; the function falls back to INTx. */
void pci_msix_disable(struct pci_dev *d);

/* Write entry `idx` (message address and data from the irq code) and
 * unmask it. 0, or -EINVAL if idx is out of range or MSI-X is off. */
int pci_msix_set_entry(struct pci_dev *d, uint16_t idx, uint64_t addr,
		       uint32_t data);

/* Mask or unmask entry `idx`. 0 or -EINVAL as above. */
int pci_msix_mask_entry(struct pci_dev *d, uint16_t idx, bool mask);

/* "0000:00:02.0" into buf (at least PCI_NAME_LEN bytes). */
#define PCI_NAME_LEN 16
const char *pci_name(const struct pci_dev *d, char *buf);

#endif
