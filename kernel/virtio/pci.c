// SPDX-License-Identifier: MIT
/*
 * PCI enumeration and configuration (interface in kernel/virtio/pci.h).
 *
 * Configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2): write the
 * address of a dword to CONFIG_ADDRESS (0xCF8), then access it through
 * CONFIG_DATA (0xCFC..0xCFF). This reaches the first 256 bytes of each
 * function, which hold every capability we use (QEMU q35 places the
 * virtio and MSI-X capabilities there).
 *
 * The scan starts at bus 0 and follows PCI-PCI bridges to the secondary
 * bus numbers firmware (SeaBIOS) assigned; a visited bitmap bounds it.
 * BARs are sized with decoding switched off (write all ones, read back
 * the mask, restore), so the device never decodes a bogus address.
 * The device table is filled once at boot and read-only afterwards.
 */
#define PR_PREFIX "pci: "
#include "kernel/virtio/pci.h"

#include "kernel/core/printk.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/mmio.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/stdio.h"
#include "kernel/mm/paging.h"
#include "kernel/param.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define PCI_CONFIG_DATA 0xcfc
#define PCI_CONFIG_ENABLE (1u << 31)

#define PCI_BUS_COUNT 256
#define PCI_DEV_PER_BUS 32
#define PCI_FN_PER_DEV 8

#define PCI_HEADER_TYPE_MASK 0x7f
#define PCI_HEADER_MULTIFN 0x80
#define PCI_HEADER_NORMAL 0
#define PCI_HEADER_BRIDGE 1
#define PCI_CLASS_BRIDGE 0x06
#define PCI_SUBCLASS_PCI_BRIDGE 0x04

#define PCI_BAR_IS_IO 0x1u
#define PCI_BAR_MEM_TYPE_MASK 0x6u
#define PCI_BAR_MEM_TYPE_64 0x4u
#define PCI_BAR_PREFETCH 0x8u
#define PCI_BAR_IO_MASK 0xfffffffcu
#define PCI_BAR_MEM_MASK 0xfffffff0u

#define PCI_CAP_LIST_MIN 0x40 /* capabilities live above the header */
#define PCI_CAP_MAX 48 /* (256 - 64) / 4: bound on a looping list */

/* MSI-X capability (PCI 3.0, 6.8.2) and table entry layout */
#define MSIX_CTRL 2
#define MSIX_TABLE 4
#define MSIX_PBA 8
#define MSIX_CTRL_SIZE_MASK 0x7ffu
#define MSIX_CTRL_FMASK (1u << 14)
#define MSIX_CTRL_ENABLE (1u << 15)
#define MSIX_BIR_MASK 0x7u
#define MSIX_ENTRY_SIZE 16
#define MSIX_ENTRY_ADDR_LO 0
#define MSIX_ENTRY_ADDR_HI 4
#define MSIX_ENTRY_DATA 8
#define MSIX_ENTRY_CTRL 12
#define MSIX_ENTRY_MASKED 1u

static struct pci_dev devs[PCI_DEV_MAX]; /* [I] after pci_init */
static size_t ndevs; /* [I] */
static size_t ndropped; /* functions beyond PCI_DEV_MAX */
static uint8_t bus_seen[PCI_BUS_COUNT / 8];

static uint32_t cfg_addr(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	return PCI_CONFIG_ENABLE | (uint32_t)bus << 16 | (uint32_t)dev << 11 |
	       (uint32_t)fn << 8 | (off & 0xfcu);
}

static uint32_t cfg_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off)
{
	uint64_t flags = irq_save();
	uint32_t v;

	outl(PCI_CONFIG_ADDRESS, cfg_addr(bus, dev, fn, off));
	v = inl(PCI_CONFIG_DATA);
	irq_restore(flags);
	return v;
}

static void cfg_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off,
			uint32_t v)
{
	uint64_t flags = irq_save();

	outl(PCI_CONFIG_ADDRESS, cfg_addr(bus, dev, fn, off));
	outl(PCI_CONFIG_DATA, v);
	irq_restore(flags);
}

/* Read a dword of config space. */
uint32_t pci_read32(const struct pci_dev *d, uint16_t off)
{
	return cfg_read32(d->bus, d->dev, d->fn, off);
}

/* Read a word of config space (the containing dword, shifted). */
uint16_t pci_read16(const struct pci_dev *d, uint16_t off)
{
	return (uint16_t)(pci_read32(d, off) >> ((off & 2) * 8));
}

/* Read a byte of config space. */
uint8_t pci_read8(const struct pci_dev *d, uint16_t off)
{
	return (uint8_t)(pci_read32(d, off) >> ((off & 3) * 8));
}

/* Write a dword of config space. */
void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v)
{
	cfg_write32(d->bus, d->dev, d->fn, off, v);
}

/* Write a word with a word-sized data access, so neighbouring registers
 * (e.g. the status word's write-1-to-clear bits) are left alone. */
void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v)
{
	uint64_t flags = irq_save();

	outl(PCI_CONFIG_ADDRESS, cfg_addr(d->bus, d->dev, d->fn, off));
	outw((uint16_t)(PCI_CONFIG_DATA + (off & 2)), v);
	irq_restore(flags);
}

/* Write a byte with a byte-sized data access. */
void pci_write8(const struct pci_dev *d, uint16_t off, uint8_t v)
{
	uint64_t flags = irq_save();

	outl(PCI_CONFIG_ADDRESS, cfg_addr(d->bus, d->dev, d->fn, off));
	outb((uint16_t)(PCI_CONFIG_DATA + (off & 3)), v);
	irq_restore(flags);
}

/* Name a function the way Linux does: domain:bus:device.function. */
const char *pci_name(const struct pci_dev *d, char *buf)
{
	snprintf(buf, PCI_NAME_LEN, "0000:%02x:%02x.%u", d->bus, d->dev, d->fn);
	return buf;
}

/*
 * Size BAR `i` of `d` (decoding must be off) and record it. Returns the
 * number of BAR registers it used: 2 for a 64-bit BAR, else 1.
 */
static unsigned int size_bar(struct pci_dev *d, unsigned int i)
{
	uint16_t off = (uint16_t)(PCI_BAR0 + 4 * i);
	struct pci_bar *b = &d->bar[i];
	uint32_t orig = pci_read32(d, off), mask, orig_hi, mask_hi = ~0u;

	pci_write32(d, off, ~0u);
	mask = pci_read32(d, off);
	pci_write32(d, off, orig);
	if (orig & PCI_BAR_IS_IO) {
		mask &= PCI_BAR_IO_MASK & 0xffffu;
		if (mask) {
			b->type = PCI_BAR_IO;
			b->base = orig & PCI_BAR_IO_MASK;
			b->size = (uint64_t)(~mask & 0xffffu) + 1;
		}
		return 1;
	}
	b->prefetchable = orig & PCI_BAR_PREFETCH;
	b->base = orig & PCI_BAR_MEM_MASK;
	if ((orig & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64 &&
	    i + 1 < PCI_BAR_COUNT) {
		orig_hi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, ~0u);
		mask_hi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, orig_hi);
		b->base |= (uint64_t)orig_hi << 32;
		b->type = PCI_BAR_MEM64;
	} else {
		b->type = PCI_BAR_MEM32;
	}
	mask &= PCI_BAR_MEM_MASK;
	if (!mask && !(b->type == PCI_BAR_MEM64 && mask_hi)) {
		b->type = PCI_BAR_NONE; /* not implemented */
		b->base = 0;
	} else {
		b->size = ~((uint64_t)mask_hi << 32 | mask) + 1;
	}
	return b->type == PCI_BAR_MEM64 ? 2 : 1;
}

static void size_bars(struct pci_dev *d, unsigned int nbars)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	unsigned int i = 0;

	pci_write16(d, PCI_COMMAND,
		    cmd & ~(PCI_COMMAND_IO | PCI_COMMAND_MEMORY));
	while (i < nbars)
		i += size_bar(d, i);
	pci_write16(d, PCI_COMMAND, cmd);
}

/* Find the next capability with `id` after `prev` (0: from the start). */
uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t prev)
{
	uint8_t off;
	int n;

	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	off = prev ? pci_read8(d, prev + 1) : pci_read8(d, PCI_CAP_PTR);
	for (n = 0; n < PCI_CAP_MAX && off >= PCI_CAP_LIST_MIN; n++) {
		off &= 0xfc;
		if (pci_read8(d, off) == id)
			return off;
		off = pci_read8(d, off + 1);
	}
	return 0;
}

static void parse_msix(struct pci_dev *d)
{
	struct pci_msix *m = &d->msix;
	uint8_t cap = pci_find_cap(d, PCI_CAP_ID_MSIX, 0);
	uint32_t table, pba;

	if (!cap)
		return;
	table = pci_read32(d, cap + MSIX_TABLE);
	pba = pci_read32(d, cap + MSIX_PBA);
	m->cap = cap;
	m->table_size =
		(pci_read16(d, cap + MSIX_CTRL) & MSIX_CTRL_SIZE_MASK) + 1;
	m->table_bar = table & MSIX_BIR_MASK;
	m->table_offset = table & ~MSIX_BIR_MASK;
	m->pba_bar = pba & MSIX_BIR_MASK;
	m->pba_offset = pba & ~MSIX_BIR_MASK;
}

static void log_dev(const struct pci_dev *d)
{
	static const char *const bar_kind[] = { [PCI_BAR_IO] = "io",
						[PCI_BAR_MEM32] = "mem32",
						[PCI_BAR_MEM64] = "mem64" };
	char name[PCI_NAME_LEN];
	unsigned int i;

	pr_info("%s %04x:%04x class %02x%02x%02x%s", pci_name(d, name),
		d->vendor, d->device, d->class, d->subclass, d->prog_if,
		d->msix.cap ? " msix" : "");
	for (i = 0; i < PCI_BAR_COUNT; i++) {
		const struct pci_bar *b = &d->bar[i];

		if (b->type == PCI_BAR_NONE)
			continue;
		pr_debug("%s bar%u %s%s %#llx size %#llx", name, i,
			 bar_kind[b->type], b->prefetchable ? " pf" : "",
			 (unsigned long long)b->base,
			 (unsigned long long)b->size);
	}
	if (d->msix.cap)
		pr_debug("%s msix %u entries, table bar%u+%#x, pba bar%u+%#x",
			 name, d->msix.table_size, d->msix.table_bar,
			 d->msix.table_offset, d->msix.pba_bar,
			 d->msix.pba_offset);
}

static void scan_bus(uint8_t bus);

/* Record function bus:dev.fn (present) and descend into bridges. */
static void add_function(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t id)
{
	struct pci_dev *d;
	uint32_t cls;
	uint8_t secondary;

	if (ndevs == PCI_DEV_MAX) {
		ndropped++;
		return;
	}
	d = &devs[ndevs++];
	d->bus = bus;
	d->dev = dev;
	d->fn = fn;
	d->vendor = (uint16_t)id;
	d->device = (uint16_t)(id >> 16);
	cls = pci_read32(d, PCI_REVISION);
	d->revision = (uint8_t)cls;
	d->prog_if = (uint8_t)(cls >> 8);
	d->subclass = (uint8_t)(cls >> 16);
	d->class = (uint8_t)(cls >> 24);
	d->header_type = pci_read8(d, PCI_HEADER_TYPE) & PCI_HEADER_TYPE_MASK;
	d->irq_line = pci_read8(d, PCI_INTR_LINE);
	d->irq_pin = pci_read8(d, PCI_INTR_PIN);
	if (d->header_type == PCI_HEADER_NORMAL) {
		d->subsys_vendor = pci_read16(d, PCI_SUBSYS_VENDOR);
		d->subsys_id = pci_read16(d, PCI_SUBSYS_ID);
		size_bars(d, PCI_BAR_COUNT);
	} else if (d->header_type == PCI_HEADER_BRIDGE) {
		size_bars(d, 2);
	}
	parse_msix(d);
	log_dev(d);
	if (d->header_type == PCI_HEADER_BRIDGE &&
	    d->class == PCI_CLASS_BRIDGE &&
	    d->subclass == PCI_SUBCLASS_PCI_BRIDGE) {
		secondary = pci_read8(d, PCI_SECONDARY_BUS);
		if (secondary) /* 0: firmware did not configure it */
			scan_bus(secondary);
	}
}

static void scan_bus(uint8_t bus)
{
	uint8_t dev, fn, nfn;
	uint32_t id;

	if (bus_seen[bus / 8] & (1u << (bus % 8)))
		return; /* misconfigured bridges pointing back */
	bus_seen[bus / 8] |= (uint8_t)(1u << (bus % 8));
	for (dev = 0; dev < PCI_DEV_PER_BUS; dev++) {
		id = cfg_read32(bus, dev, 0, PCI_VENDOR_ID);
		if ((uint16_t)id == PCI_VENDOR_NONE)
			continue;
		nfn = (cfg_read32(bus, dev, 0, PCI_HEADER_TYPE & ~3u) >> 16) &
				      PCI_HEADER_MULTIFN ?
			      PCI_FN_PER_DEV :
			      1;
		for (fn = 0; fn < nfn; fn++) {
			if (fn)
				id = cfg_read32(bus, dev, fn, PCI_VENDOR_ID);
			if ((uint16_t)id != PCI_VENDOR_NONE)
				add_function(bus, dev, fn, id);
		}
	}
}

/* Enumerate every function reachable from bus 0 and log each once. */
size_t pci_init(void)
{
	scan_bus(0);
	if (ndropped)
		pr_warn("%zu functions beyond PCI_DEV_MAX (%d) ignored",
			ndropped, PCI_DEV_MAX);
	pr_info("%zu functions", ndevs);
	return ndevs;
}

/* Number of functions pci_init() recorded. */
size_t pci_count(void)
{
	return ndevs;
}

/* The i-th recorded function, or NULL past the end. */
struct pci_dev *pci_get(size_t i)
{
	return i < ndevs ? &devs[i] : NULL;
}

/* Next function after `from` with matching IDs (PCI_ANY_ID = any). */
struct pci_dev *pci_find(uint16_t vendor, uint16_t device, struct pci_dev *from)
{
	size_t i = from ? (size_t)(from - devs) + 1 : 0;

	for (; i < ndevs; i++) {
		if ((vendor == PCI_ANY_ID || devs[i].vendor == vendor) &&
		    (device == PCI_ANY_ID || devs[i].device == device))
			return &devs[i];
	}
	return NULL;
}

/* Set memory (and optionally I/O) decoding in the command register. */
void pci_enable_decode(const struct pci_dev *d, bool io)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);

	cmd |= PCI_COMMAND_MEMORY | (io ? PCI_COMMAND_IO : 0);
	pci_write16(d, PCI_COMMAND, cmd);
}

/* Set bus mastering, needed for DMA and for MSI/MSI-X messages. */
void pci_enable_bus_master(const struct pci_dev *d)
{
	pci_write16(d, PCI_COMMAND,
		    pci_read16(d, PCI_COMMAND) | PCI_COMMAND_MASTER);
}

/* Map part of a memory BAR after checking it lies inside the BAR. */
volatile void *pci_map_bar(const struct pci_dev *d, unsigned int bar,
			   uint64_t off, uint64_t len)
{
	const struct pci_bar *b;
	char name[PCI_NAME_LEN];
	volatile void *p;

	if (bar >= PCI_BAR_COUNT)
		return NULL;
	b = &d->bar[bar];
	if (b->type != PCI_BAR_MEM32 && b->type != PCI_BAR_MEM64) {
		pr_err("%s bar%u is not a memory BAR", pci_name(d, name), bar);
		return NULL;
	}
	if (!b->base || len == 0 || off > b->size || len > b->size - off) {
		pr_err("%s bar%u base %#llx size %#llx: cannot map %#llx+%#llx",
		       pci_name(d, name), bar, (unsigned long long)b->base,
		       (unsigned long long)b->size, (unsigned long long)off,
		       (unsigned long long)len);
		return NULL;
	}
	p = paging_map_mmio(b->base + off, len);
	if (!p)
		pr_err("%s bar%u: mapping %#llx+%#llx failed",
		       pci_name(d, name), bar,
		       (unsigned long long)(b->base + off),
		       (unsigned long long)len);
	return p;
}

static volatile uint8_t *msix_entry(const struct pci_dev *d, uint16_t idx)
{
	return (volatile uint8_t *)d->msix.table +
	       (size_t)idx * MSIX_ENTRY_SIZE;
}

/* Map the table, mask all entries, then enable MSI-X and disable INTx. */
int pci_msix_enable(struct pci_dev *d)
{
	struct pci_msix *m = &d->msix;
	uint16_t ctrl, i;

	if (!m->cap)
		return -ENODEV;
	if (!m->table) {
		pci_enable_decode(d, false);
		m->table =
			pci_map_bar(d, m->table_bar, m->table_offset,
				    (uint64_t)m->table_size * MSIX_ENTRY_SIZE);
		if (!m->table)
			return -ENOMEM;
	}
	for (i = 0; i < m->table_size; i++)
		mmio_write32(msix_entry(d, i) + MSIX_ENTRY_CTRL,
			     MSIX_ENTRY_MASKED);
	pci_write16(d, PCI_COMMAND,
		    pci_read16(d, PCI_COMMAND) | PCI_COMMAND_INTX_DISABLE);
	ctrl = pci_read16(d, m->cap + MSIX_CTRL);
	ctrl = (ctrl | MSIX_CTRL_ENABLE) & ~MSIX_CTRL_FMASK;
	pci_write16(d, m->cap + MSIX_CTRL, ctrl);
	return 0;
}

/* Clear the MSI-X enable bit and re-allow INTx. */
void pci_msix_disable(struct pci_dev *d)
{
	if (!d->msix.cap)
		return;
	pci_write16(d, d->msix.cap + MSIX_CTRL,
		    pci_read16(d, d->msix.cap + MSIX_CTRL) & ~MSIX_CTRL_ENABLE);
	pci_write16(d, PCI_COMMAND,
		    pci_read16(d, PCI_COMMAND) & ~PCI_COMMAND_INTX_DISABLE);
}

static bool msix_entry_ok(const struct pci_dev *d, uint16_t idx)
{
	return d->msix.table && idx < d->msix.table_size;
}

/* Program entry idx (masked while it is written) and unmask it. */
int pci_msix_set_entry(struct pci_dev *d, uint16_t idx, uint64_t addr,
		       uint32_t data)
{
	volatile uint8_t *e;

	if (!msix_entry_ok(d, idx))
		return -EINVAL;
	e = msix_entry(d, idx);
	/* Masked first, so the device never sees a half-written message. */
	mmio_write32(e + MSIX_ENTRY_CTRL, MSIX_ENTRY_MASKED);
	mmio_write32(e + MSIX_ENTRY_ADDR_LO, (uint32_t)addr);
	mmio_write32(e + MSIX_ENTRY_ADDR_HI, (uint32_t)(addr >> 32));
	mmio_write32(e + MSIX_ENTRY_DATA, data);
	mmio_write32(e + MSIX_ENTRY_CTRL, 0);
	return 0;
}

/* Set or clear the per-vector mask bit of entry idx. */
int pci_msix_mask_entry(struct pci_dev *d, uint16_t idx, bool mask)
{
	if (!msix_entry_ok(d, idx))
		return -EINVAL;
	mmio_write32(msix_entry(d, idx) + MSIX_ENTRY_CTRL,
		     mask ? MSIX_ENTRY_MASKED : 0);
	return 0;
}
