/* SPDX-License-Identifier: MIT */
/*
 * ACPI tables, read once at boot: the RSDP (EBDA or the BIOS area
 * 0xE0000-0xFFFFF), the RSDT or XSDT, the MADT (local APIC address,
 * IOAPICs, ISA interrupt source overrides) and the MCFG (PCI ECAM base).
 * The tables are firmware input: every length and checksum is checked and
 * a bad table is reported and skipped, never trusted. When no usable MADT
 * is found the PC defaults are used (LAPIC 0xFEE00000, one IOAPIC at
 * 0xFEC00000, IRQ0 on GSI2) and acpi_init() says so.
 * Tables follow ACPI 6.x, section 5.2 (RSDP 5.2.5, MADT 5.2.12) and the
 * PCI Firmware spec (MCFG). Main loop only, read-only after acpi_init().
 */
#ifndef KERNEL_ARCH_ACPI_H
#define KERNEL_ARCH_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"
#include "kernel/param.h"

#define ACPI_RSDP_SIG "RSD PTR "
#define ACPI_SIG_LEN 4

struct acpi_rsdp {
	char signature[8];
	uint8_t checksum; /* bytes 0..19 sum to 0 */
	char oem_id[6];
	uint8_t revision; /* 0: ACPI 1.0, RSDT only; >= 2: XSDT */
	uint32_t rsdt_address;
	/* revision >= 2 */
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t ext_checksum; /* all `length` bytes sum to 0 */
	uint8_t reserved[3];
} __packed;
STATIC_ASSERT(sizeof(struct acpi_rsdp) == 36);
#define ACPI_RSDP_V1_LEN 20

struct acpi_sdt_header {
	char signature[ACPI_SIG_LEN];
	uint32_t length; /* whole table, header included */
	uint8_t revision;
	uint8_t checksum; /* all `length` bytes sum to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} __packed;
STATIC_ASSERT(sizeof(struct acpi_sdt_header) == 36);

/* MADT interrupt source override flags (MPS INTI flags). */
#define ACPI_ISO_POLARITY_MASK 0x3
#define ACPI_ISO_POLARITY_HIGH 0x1
#define ACPI_ISO_POLARITY_LOW 0x3
#define ACPI_ISO_TRIGGER_MASK 0xC
#define ACPI_ISO_TRIGGER_EDGE 0x4
#define ACPI_ISO_TRIGGER_LEVEL 0xC

struct acpi_ioapic {
	uint32_t addr; /* physical MMIO base */
	uint32_t gsi_base; /* first GSI of its pins */
	uint8_t id;
};

struct acpi_iso {
	uint32_t gsi;
	uint16_t flags; /* ACPI_ISO_* */
	uint8_t irq; /* ISA IRQ (bus 0) */
};

struct acpi_info {
	bool from_firmware; /* false: PC defaults, no usable MADT */
	bool pcat_compat; /* MADT: legacy 8259 pair present */
	uint64_t lapic_addr;
	uint32_t n_cpus; /* enabled local APICs */
	/* APIC ids of the enabled xAPIC CPUs, in MADT order (the boot CPU
	 * among them); x2APIC-only CPUs and those past CPU_MAX are counted
	 * in n_cpus but cannot be started in xAPIC mode. */
	uint32_t n_lapic_ids;
	uint8_t lapic_ids[CPU_MAX];
	size_t n_ioapic;
	struct acpi_ioapic ioapic[ACPI_IOAPIC_MAX];
	size_t n_iso;
	struct acpi_iso iso[ACPI_ISO_MAX];
	bool has_ecam; /* MCFG found: PCI segment 0 ECAM */
	uint64_t ecam_base;
	uint8_t ecam_bus_start, ecam_bus_end;
};

/* Find and parse the tables; on failure use the defaults. 0 when the
 * firmware's MADT was used, else a negative errno (defaults in place). */
int acpi_init(void);

/* The parsed (or default) description; valid after acpi_init(). */
const struct acpi_info *acpi_get_info(void);

/* GSI and override flags (ACPI_ISO_*, 0 = bus default) of ISA `irq`. */
uint32_t acpi_isa_irq_to_gsi(uint8_t irq, uint16_t *flags);

/* Pure helpers, exposed for the unit tests. */
bool acpi_checksum_ok(const void *p, size_t len);
const struct acpi_rsdp *acpi_scan_rsdp(const void *area, size_t len);
void acpi_set_defaults(struct acpi_info *info);
int acpi_parse_madt(const struct acpi_sdt_header *t, size_t avail,
		    struct acpi_info *info);
int acpi_parse_mcfg(const struct acpi_sdt_header *t, size_t avail,
		    struct acpi_info *info);
int acpi_parse_rsdp(const struct acpi_rsdp *rsdp, struct acpi_info *info);

#endif
