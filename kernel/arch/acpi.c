// SPDX-License-Identifier: MIT
/*
 * ACPI table discovery (interface in kernel/arch/acpi.h). The walk is
 * RSDP -> XSDT (revision >= 2) or RSDT -> MADT and MCFG. Each table is
 * made readable twice (identity map if RAM, else paging_map_mmio): first
 * its header, to learn the length, then the whole table, whose length is bounded by ACPI_TABLE_MAX
 * and whose checksum must be 0 before any field past the header is read.
 * MADT entries are walked with the entry's own length, which must be at
 * least its type's size and stay inside the table; a bad entry ends the
 * walk with -EINVAL and the caller keeps the defaults.
 */
#define PR_PREFIX "acpi: "
#include "kernel/arch/acpi.h"

#include "kernel/core/printk.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/paging.h"
#include "kernel/param.h"

/* Where the RSDP may live (ACPI 6.x 5.2.5.1). */
#define BDA_EBDA_SEGMENT 0x40E /* word: EBDA segment */
#define EBDA_SCAN_LEN 1024
#define EBDA_MIN 0x80000 /* EBDA below this is not a real one */
#define BIOS_AREA_START 0xE0000
#define BIOS_AREA_LEN 0x20000
#define RSDP_ALIGN 16

/* PC defaults when no MADT is usable. */
#define DEFAULT_LAPIC_ADDR 0xFEE00000u
#define DEFAULT_IOAPIC_ADDR 0xFEC00000u
#define DEFAULT_TIMER_GSI 2 /* PIT on IOAPIC pin 2 on PC chipsets */

#define MADT_FLAG_PCAT_COMPAT (1u << 0)
#define MADT_LAPIC_ENABLED (1u << 0)

enum madt_type {
	MADT_LAPIC = 0,
	MADT_IOAPIC = 1,
	MADT_ISO = 2,
	MADT_LAPIC_OVERRIDE = 5,
	MADT_X2APIC = 9,
};

struct madt {
	struct acpi_sdt_header h;
	uint32_t lapic_addr;
	uint32_t flags;
} __packed;
STATIC_ASSERT(sizeof(struct madt) == 44);

struct madt_entry {
	uint8_t type;
	uint8_t length;
} __packed;

struct madt_lapic {
	struct madt_entry e;
	uint8_t acpi_id;
	uint8_t apic_id;
	uint32_t flags;
} __packed;
STATIC_ASSERT(sizeof(struct madt_lapic) == 8);

struct madt_ioapic {
	struct madt_entry e;
	uint8_t id;
	uint8_t reserved;
	uint32_t addr;
	uint32_t gsi_base;
} __packed;
STATIC_ASSERT(sizeof(struct madt_ioapic) == 12);

struct madt_iso {
	struct madt_entry e;
	uint8_t bus;
	uint8_t source;
	uint32_t gsi;
	uint16_t flags;
} __packed;
STATIC_ASSERT(sizeof(struct madt_iso) == 10);

struct madt_lapic_override {
	struct madt_entry e;
	uint16_t reserved;
	uint64_t addr;
} __packed;
STATIC_ASSERT(sizeof(struct madt_lapic_override) == 12);

struct madt_x2apic {
	struct madt_entry e;
	uint16_t reserved;
	uint32_t x2apic_id;
	uint32_t flags;
	uint32_t acpi_uid;
} __packed;
STATIC_ASSERT(sizeof(struct madt_x2apic) == 16);

struct mcfg {
	struct acpi_sdt_header h;
	uint64_t reserved;
} __packed;
STATIC_ASSERT(sizeof(struct mcfg) == 44);

struct mcfg_entry {
	uint64_t base;
	uint16_t segment;
	uint8_t bus_start;
	uint8_t bus_end;
	uint32_t reserved;
} __packed;
STATIC_ASSERT(sizeof(struct mcfg_entry) == 16);

static struct acpi_info acpi; /* [I] after acpi_init */

/* Whether the `len` bytes at p sum to 0 modulo 256. */
bool acpi_checksum_ok(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + b[i]);
	return sum == 0;
}

/* Validate an RSDP candidate: signature, v1 checksum, and for revision
 * >= 2 a sane length and the extended checksum. */
static bool rsdp_ok(const struct acpi_rsdp *r, size_t avail)
{
	if (avail < ACPI_RSDP_V1_LEN ||
	    memcmp(r->signature, ACPI_RSDP_SIG, sizeof(r->signature)) != 0)
		return false;
	if (!acpi_checksum_ok(r, ACPI_RSDP_V1_LEN))
		return false;
	if (r->revision < 2)
		return true;
	return avail >= sizeof(*r) && r->length >= sizeof(*r) &&
	       r->length <= avail && acpi_checksum_ok(r, r->length);
}

/* First valid RSDP on a 16-byte boundary in [area, area+len), or NULL. */
const struct acpi_rsdp *acpi_scan_rsdp(const void *area, size_t len)
{
	const uint8_t *p = area;

	for (size_t off = 0; off + ACPI_RSDP_V1_LEN <= len; off += RSDP_ALIGN)
		if (rsdp_ok((const void *)(p + off), len - off))
			return (const void *)(p + off);
	return NULL;
}

/* Fill `info` with the PC defaults (see the header). */
void acpi_set_defaults(struct acpi_info *info)
{
	memset(info, 0, sizeof(*info));
	info->pcat_compat = true;
	info->lapic_addr = DEFAULT_LAPIC_ADDR;
	info->n_cpus = 1;
	info->n_ioapic = 1;
	info->ioapic[0].addr = DEFAULT_IOAPIC_ADDR;
	info->n_iso = 1;
	info->iso[0].irq = 0;
	info->iso[0].gsi = DEFAULT_TIMER_GSI;
}

static void madt_ioapic(const struct madt_ioapic *e, struct acpi_info *info)
{
	struct acpi_ioapic *io;

	if (info->n_ioapic == ARRAY_SIZE(info->ioapic)) {
		pr_warn("IOAPIC id %u ignored: more than %zu", e->id,
			ARRAY_SIZE(info->ioapic));
		return;
	}
	io = &info->ioapic[info->n_ioapic++];
	io->id = e->id;
	io->addr = e->addr;
	io->gsi_base = e->gsi_base;
}

static void madt_iso(const struct madt_iso *e, struct acpi_info *info)
{
	struct acpi_iso *iso;

	if (e->bus != 0) /* only ISA overrides are defined */
		return;
	if (info->n_iso == ARRAY_SIZE(info->iso)) {
		pr_warn("override IRQ%u ignored: more than %zu", e->source,
			ARRAY_SIZE(info->iso));
		return;
	}
	iso = &info->iso[info->n_iso++];
	iso->irq = e->source;
	iso->gsi = e->gsi;
	iso->flags = e->flags;
}

/* Minimum length of each entry type we read; 0 for types we skip. */
static size_t madt_entry_min(uint8_t type)
{
	switch (type) {
	case MADT_LAPIC:
		return sizeof(struct madt_lapic);
	case MADT_IOAPIC:
		return sizeof(struct madt_ioapic);
	case MADT_ISO:
		return sizeof(struct madt_iso);
	case MADT_LAPIC_OVERRIDE:
		return sizeof(struct madt_lapic_override);
	case MADT_X2APIC:
		return sizeof(struct madt_x2apic);
	default:
		return sizeof(struct madt_entry);
	}
}

static void madt_entry(const struct madt_entry *e, struct acpi_info *info)
{
	const struct madt_lapic *l = (const void *)e;
	const struct madt_x2apic *x = (const void *)e;
	const struct madt_lapic_override *o = (const void *)e;

	switch (e->type) {
	case MADT_LAPIC:
		if (!(l->flags & MADT_LAPIC_ENABLED))
			break;
		info->n_cpus++;
		if (info->n_lapic_ids < ARRAY_SIZE(info->lapic_ids))
			info->lapic_ids[info->n_lapic_ids++] = l->apic_id;
		break;
	case MADT_X2APIC:
		if (x->flags & MADT_LAPIC_ENABLED)
			info->n_cpus++;
		break;
	case MADT_IOAPIC:
		madt_ioapic((const void *)e, info);
		break;
	case MADT_ISO:
		madt_iso((const void *)e, info);
		break;
	case MADT_LAPIC_OVERRIDE:
		info->lapic_addr = o->addr;
		break;
	default:
		break;
	}
}

/*
 * Parse the MADT `t` of which `avail` bytes are readable into `info`
 * (lapic_addr, n_cpus, IOAPICs and overrides are replaced). Returns 0, or
 * -EINVAL for a bad length, checksum, entry or a MADT without IOAPIC;
 * `info` is left untouched on failure.
 */
int acpi_parse_madt(const struct acpi_sdt_header *t, size_t avail,
		    struct acpi_info *info)
{
	const struct madt *m = (const void *)t;
	struct acpi_info tmp = *info;
	size_t off;

	if (avail < sizeof(*m) || t->length < sizeof(*m) || t->length > avail ||
	    !acpi_checksum_ok(t, t->length))
		return -EINVAL;
	tmp.lapic_addr = m->lapic_addr;
	tmp.pcat_compat = m->flags & MADT_FLAG_PCAT_COMPAT;
	tmp.n_cpus = 0;
	tmp.n_lapic_ids = 0;
	tmp.n_ioapic = 0;
	tmp.n_iso = 0;
	for (off = sizeof(*m); off < t->length;) {
		const struct madt_entry *e =
			(const void *)((const uint8_t *)t + off);

		if (t->length - off < sizeof(*e) || e->length < sizeof(*e) ||
		    e->length > t->length - off ||
		    e->length < madt_entry_min(e->type)) {
			pr_warn("MADT entry at offset %zu: bad length", off);
			return -EINVAL;
		}
		madt_entry(e, &tmp);
		off += e->length;
	}
	if (tmp.n_ioapic == 0) {
		pr_warn("MADT lists no IOAPIC");
		return -EINVAL;
	}
	if (tmp.n_cpus == 0)
		tmp.n_cpus = 1; /* we are running on one */
	tmp.from_firmware = true;
	*info = tmp;
	return 0;
}

/* Parse the MCFG: keep the first segment-0 ECAM window. 0 or -EINVAL. */
int acpi_parse_mcfg(const struct acpi_sdt_header *t, size_t avail,
		    struct acpi_info *info)
{
	const struct mcfg_entry *e;
	size_t n;

	if (avail < sizeof(struct mcfg) || t->length < sizeof(struct mcfg) ||
	    t->length > avail || !acpi_checksum_ok(t, t->length))
		return -EINVAL;
	n = (t->length - sizeof(struct mcfg)) / sizeof(*e);
	e = (const void *)((const uint8_t *)t + sizeof(struct mcfg));
	for (size_t i = 0; i < n; i++) {
		if (e[i].segment != 0 || e[i].bus_end < e[i].bus_start)
			continue;
		info->has_ecam = true;
		info->ecam_base = e[i].base;
		info->ecam_bus_start = e[i].bus_start;
		info->ecam_bus_end = e[i].bus_end;
		return 0;
	}
	return -EINVAL;
}

/* [pa, pa+len) readable: RAM (the ACPI tables are in the kernel's
 * identity map) as it is, anything else through an uncached mapping. */
static const void *map_phys(uint64_t pa, size_t len)
{
	uint64_t first = ALIGN_DOWN(pa, PAGE_SIZE);

	for (uint64_t va = first; va < pa + len; va += PAGE_SIZE)
		if (paging_translate(va) != va)
			return paging_map_mmio(pa, len);
	return phys_to_virt(pa);
}

/* Map the table at `pa` after checking its length and checksum; NULL
 * (reported) when it is absent or bad. *len gets its length. */
static const struct acpi_sdt_header *map_table(uint64_t pa, uint32_t *len)
{
	const struct acpi_sdt_header *h;

	if (pa == 0)
		return NULL;
	h = map_phys(pa, sizeof(*h));
	if (!h)
		return NULL;
	*len = h->length;
	if (*len < sizeof(*h) || *len > ACPI_TABLE_MAX) {
		pr_warn("table '%.4s' at %#lx: bad length %u", h->signature,
			(unsigned long)pa, *len);
		return NULL;
	}
	h = map_phys(pa, *len);
	if (!h)
		return NULL;
	if (!acpi_checksum_ok(h, *len)) {
		pr_warn("table '%.4s' at %#lx: bad checksum", h->signature,
			(unsigned long)pa);
		return NULL;
	}
	return h;
}

/* Hand one table found in the root table to its parser. */
static void parse_table(uint64_t pa, struct acpi_info *info, int *madt_rc)
{
	const struct acpi_sdt_header *t;
	uint32_t len;

	t = map_table(pa, &len);
	if (!t)
		return;
	if (memcmp(t->signature, "APIC", ACPI_SIG_LEN) == 0 && *madt_rc != 0)
		*madt_rc = acpi_parse_madt(t, len, info);
	else if (memcmp(t->signature, "MCFG", ACPI_SIG_LEN) == 0 &&
		 acpi_parse_mcfg(t, len, info) != 0)
		pr_warn("MCFG unusable, no ECAM");
}

/*
 * Walk the RSDT or XSDT the (validated) RSDP names and parse the tables
 * we use. Returns 0 when a MADT was parsed, else -ENOENT or -EINVAL with
 * `info` keeping whatever it held.
 */
int acpi_parse_rsdp(const struct acpi_rsdp *rsdp, struct acpi_info *info)
{
	bool xsdt = rsdp->revision >= 2 && rsdp->xsdt_address != 0;
	size_t esize = xsdt ? sizeof(uint64_t) : sizeof(uint32_t);
	const struct acpi_sdt_header *root;
	const uint8_t *ents;
	int madt_rc = -ENOENT;
	uint32_t len;
	size_t n;

	root = map_table(xsdt ? rsdp->xsdt_address : rsdp->rsdt_address, &len);
	if (!root)
		return -EINVAL;
	if (memcmp(root->signature, xsdt ? "XSDT" : "RSDT", ACPI_SIG_LEN)) {
		pr_warn("root table has signature '%.4s'", root->signature);
		return -EINVAL;
	}
	n = (len - sizeof(*root)) / esize;
	if (n > ACPI_SDT_MAX) {
		pr_warn("root table lists %zu tables, reading %d", n,
			ACPI_SDT_MAX);
		n = ACPI_SDT_MAX;
	}
	ents = (const uint8_t *)(root + 1);
	for (size_t i = 0; i < n; i++) {
		uint64_t pa = 0;

		memcpy(&pa, ents + i * esize, esize); /* little endian */
		parse_table(pa, info, &madt_rc);
	}
	return madt_rc;
}

static const struct acpi_rsdp *find_rsdp(void)
{
	const struct acpi_rsdp *r = NULL;
	const uint8_t *area;
	uint16_t seg = 0;
	uint64_t ebda;

	/* Page 0 (the BDA) is unmapped to catch NULL dereferences. */
	if (paging_translate(BDA_EBDA_SEGMENT) == BDA_EBDA_SEGMENT)
		memcpy(&seg, phys_to_virt(BDA_EBDA_SEGMENT), sizeof(seg));
	ebda = (uint64_t)seg << 4;
	if (ebda >= EBDA_MIN && ebda < BIOS_AREA_START) {
		area = map_phys(ebda, EBDA_SCAN_LEN);
		if (area)
			r = acpi_scan_rsdp(area, EBDA_SCAN_LEN);
	}
	if (!r) {
		area = map_phys(BIOS_AREA_START, BIOS_AREA_LEN);
		if (area)
			r = acpi_scan_rsdp(area, BIOS_AREA_LEN);
	}
	return r;
}

/* Find and parse the tables (see the header); logs the result. */
int acpi_init(void)
{
	const struct acpi_rsdp *rsdp = find_rsdp();
	int rc = -ENOENT;

	acpi_set_defaults(&acpi);
	if (rsdp)
		rc = acpi_parse_rsdp(rsdp, &acpi);
	else
		pr_warn("no RSDP found");
	if (rc != 0) {
		acpi_set_defaults(&acpi);
		pr_warn("no usable MADT (%s): using PC defaults", errname(rc));
	}
	pr_info("%s: %u CPU(s), LAPIC %#lx, %zu IOAPIC(s), %zu override(s)",
		acpi.from_firmware ? "MADT" : "defaults", acpi.n_cpus,
		(unsigned long)acpi.lapic_addr, acpi.n_ioapic, acpi.n_iso);
	for (size_t i = 0; i < acpi.n_ioapic; i++)
		pr_info("IOAPIC id %u at %#x, GSI base %u", acpi.ioapic[i].id,
			acpi.ioapic[i].addr, acpi.ioapic[i].gsi_base);
	for (size_t i = 0; i < acpi.n_iso; i++)
		pr_debug("IRQ%u -> GSI %u flags %#x", acpi.iso[i].irq,
			 acpi.iso[i].gsi, acpi.iso[i].flags);
	if (acpi.has_ecam)
		pr_info("PCI ECAM at %#lx, buses %u-%u",
			(unsigned long)acpi.ecam_base, acpi.ecam_bus_start,
			acpi.ecam_bus_end);
	return rc;
}

const struct acpi_info *acpi_get_info(void)
{
	return &acpi;
}

/* ISA IRQs are identity-mapped to GSIs unless an override says otherwise. */
uint32_t acpi_isa_irq_to_gsi(uint8_t irq, uint16_t *flags)
{
	for (size_t i = 0; i < acpi.n_iso; i++) {
		if (acpi.iso[i].irq == irq) {
			*flags = acpi.iso[i].flags;
			return acpi.iso[i].gsi;
		}
	}
	*flags = 0;
	return irq;
}
