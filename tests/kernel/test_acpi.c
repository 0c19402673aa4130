// SPDX-License-Identifier: MIT
/*
 * Unit tests for kernel/arch/acpi.c over hand-built tables: a QEMU-like MADT,
 * corrupt lengths and checksums (rejected, never crash; run under ASan
 * with exact-size buffers so an overread is caught), RSDP scanning, and
 * the RSDP -> XSDT -> MADT/MCFG walk with host pointers as "physical"
 * addresses (the fake paging layer maps identically).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/arch/acpi.h"
#include "kernel/lib/errno.h"
#include "kernel/mm/paging.h"
#include "tests/fakes/fake_printk.h"

/* Fake paging: everything is identity-mapped host memory. */
void *paging_map_mmio(uint64_t pa, size_t len)
{
	return (void *)(uintptr_t)pa;
}

uint64_t paging_translate(uintptr_t va)
{
	return va;
}

/* Table builder. */
struct tb {
	uint8_t buf[512];
	size_t len;
};

static void put(struct tb *t, const void *p, size_t n)
{
	assert_true(t->len + n <= sizeof(t->buf));
	memcpy(t->buf + t->len, p, n);
	t->len += n;
}

static void put8(struct tb *t, uint8_t v)
{
	put(t, &v, 1);
}

static void put16(struct tb *t, uint16_t v)
{
	put(t, &v, 2);
}

static void put32(struct tb *t, uint32_t v)
{
	put(t, &v, 4);
}

static void put64(struct tb *t, uint64_t v)
{
	put(t, &v, 8);
}

static void header(struct tb *t, const char *sig)
{
	struct acpi_sdt_header h = { 0 };

	memcpy(h.signature, sig, 4);
	h.revision = 1;
	t->len = 0;
	put(t, &h, sizeof(h));
}

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s;
}

/* Set length and checksum; return an exact-size heap copy (ASan). */
static struct acpi_sdt_header *finish(struct tb *t)
{
	struct acpi_sdt_header *h = (void *)t->buf;
	uint8_t *copy;

	h->length = (uint32_t)t->len;
	h->checksum = 0;
	h->checksum = (uint8_t)(0 - sum(t->buf, t->len));
	copy = malloc(t->len);
	memcpy(copy, t->buf, t->len);
	return (void *)copy;
}

static void fix_checksum(struct acpi_sdt_header *h)
{
	h->checksum = 0;
	h->checksum = (uint8_t)(0 - sum((uint8_t *)h, h->length));
}

/* QEMU q35's MADT: one CPU, one IOAPIC, overrides IRQ0->2 and IRQ9. */
static void madt_body(struct tb *t)
{
	header(t, "APIC");
	put32(t, 0xFEE00000); /* LAPIC address */
	put32(t, 1); /* PCAT_COMPAT */
	put8(t, 0), put8(t, 8), put8(t, 0), put8(t, 0), put32(t, 1); /* LAPIC */
	put8(t, 1), put8(t, 12), put8(t, 0), put8(t, 0); /* IOAPIC id 0 */
	put32(t, 0xFEC00000), put32(t, 0);
	put8(t, 2), put8(t, 10), put8(t, 0), put8(t, 0); /* ISO IRQ0 */
	put32(t, 2), put16(t, 0);
	put8(t, 2), put8(t, 10), put8(t, 0), put8(t, 9); /* ISO IRQ9 */
	put32(t, 9), put16(t, ACPI_ISO_POLARITY_HIGH | ACPI_ISO_TRIGGER_LEVEL);
	/* LAPIC NMI: all CPUs, LINT1 */
	put8(t, 4), put8(t, 6), put8(t, 0xFF), put16(t, 0), put8(t, 1);
}

static struct acpi_info fresh(void)
{
	struct acpi_info info;

	acpi_set_defaults(&info);
	return info;
}

static void test_madt_qemu(void **state)
{
	struct tb t;
	struct acpi_info info = fresh();
	struct acpi_sdt_header *m;

	madt_body(&t);
	m = finish(&t);
	assert_int_equal(acpi_parse_madt(m, m->length, &info), 0);
	assert_true(info.from_firmware);
	assert_true(info.pcat_compat);
	assert_int_equal(info.lapic_addr, 0xFEE00000);
	assert_int_equal(info.n_cpus, 1);
	assert_int_equal(info.n_lapic_ids, 1);
	assert_int_equal(info.lapic_ids[0], 0);
	assert_int_equal(info.n_ioapic, 1);
	assert_int_equal(info.ioapic[0].addr, 0xFEC00000);
	assert_int_equal(info.ioapic[0].gsi_base, 0);
	assert_int_equal(info.n_iso, 2);
	assert_int_equal(info.iso[0].irq, 0);
	assert_int_equal(info.iso[0].gsi, 2);
	assert_int_equal(info.iso[1].irq, 9);
	assert_int_equal(info.iso[1].flags & ACPI_ISO_TRIGGER_MASK,
			 ACPI_ISO_TRIGGER_LEVEL);
	free(m);
}

/* Every failure leaves `info` exactly as it was. */
static void expect_rejected(struct acpi_sdt_header *m, size_t avail)
{
	struct acpi_info before = fresh(), info = before;

	assert_int_equal(acpi_parse_madt(m, avail, &info), -EINVAL);
	assert_memory_equal(&info, &before, sizeof(info));
}

static void test_madt_bad_checksum(void **state)
{
	struct tb t;
	struct acpi_sdt_header *m;

	madt_body(&t);
	m = finish(&t);
	((uint8_t *)m)[40] ^= 1;
	expect_rejected(m, m->length);
	free(m);
}

static void test_madt_bad_lengths(void **state)
{
	struct tb t;
	struct acpi_sdt_header *m;
	uint32_t real;

	madt_body(&t);
	m = finish(&t);
	real = m->length;
	expect_rejected(m, real - 1); /* table longer than readable */
	expect_rejected(m, 10); /* not even a header */
	m->length = 20; /* shorter than the MADT header */
	fix_checksum(m);
	expect_rejected(m, real);
	m->length = 0xFFFFFFFF;
	expect_rejected(m, real);
	free(m);
}

/* Patch the length byte of the entry at `off` and re-checksum. */
static void expect_entry_len_rejected(size_t off, uint8_t len)
{
	struct tb t;
	struct acpi_sdt_header *m;

	madt_body(&t);
	m = finish(&t);
	((uint8_t *)m)[off + 1] = len;
	fix_checksum(m);
	expect_rejected(m, m->length);
	free(m);
}

static void test_madt_bad_entries(void **state)
{
	expect_entry_len_rejected(44, 0); /* zero: would loop forever */
	expect_entry_len_rejected(44, 1); /* shorter than the entry header */
	expect_entry_len_rejected(52, 8); /* IOAPIC entry shorter than 12 */
	expect_entry_len_rejected(64, 200); /* runs past the table's end */
}

static void test_madt_truncated_entry_header(void **state)
{
	struct tb t;
	struct acpi_sdt_header *m;

	madt_body(&t);
	put8(&t, 1); /* one dangling byte: half an entry header */
	m = finish(&t);
	expect_rejected(m, m->length);
	free(m);
}

static void test_madt_without_ioapic(void **state)
{
	struct tb t;
	struct acpi_sdt_header *m;

	header(&t, "APIC");
	put32(&t, 0xFEE00000);
	put32(&t, 0);
	m = finish(&t);
	expect_rejected(m, m->length);
	free(m);
}

static void test_madt_caps_and_override(void **state)
{
	struct tb t;
	struct acpi_info info = fresh();
	struct acpi_sdt_header *m;

	header(&t, "APIC");
	put32(&t, 0xFEE00000);
	put32(&t, 0);
	for (int i = 0; i < ACPI_IOAPIC_MAX + 2; i++) {
		put8(&t, 1), put8(&t, 12), put8(&t, (uint8_t)i), put8(&t, 0);
		put32(&t, 0xFEC00000 + 0x1000 * i), put32(&t, 24 * i);
	}
	put8(&t, 5), put8(&t, 12), put16(&t, 0), put64(&t, 0x123456000ull);
	put8(&t, 0x7F), put8(&t, 3), put8(&t, 0); /* unknown type: skipped */
	m = finish(&t);
	assert_int_equal(acpi_parse_madt(m, m->length, &info), 0);
	assert_int_equal(info.n_ioapic, ACPI_IOAPIC_MAX);
	assert_int_equal(info.ioapic[3].gsi_base, 72);
	assert_int_equal(info.lapic_addr, 0x123456000ull);
	assert_int_equal(info.n_cpus, 1); /* none listed: the one we run on */
	free(m);
}

/* Four CPUs, one disabled, one x2APIC-only: the three enabled are
 * counted, the two xAPIC ones are recorded with their ids. */
static void test_madt_cpu_ids(void **state)
{
	struct tb t;
	struct acpi_info info = fresh();
	struct acpi_sdt_header *m;

	header(&t, "APIC");
	put32(&t, 0xFEE00000);
	put32(&t, 0);
	put8(&t, 0), put8(&t, 8), put8(&t, 0), put8(&t, 0), put32(&t, 1);
	put8(&t, 0), put8(&t, 8), put8(&t, 1), put8(&t, 3), put32(&t, 0);
	put8(&t, 0), put8(&t, 8), put8(&t, 2), put8(&t, 5), put32(&t, 1);
	put8(&t, 9), put8(&t, 16), put16(&t, 0), put32(&t, 300);
	put32(&t, 1), put32(&t, 3);
	put8(&t, 1), put8(&t, 12), put8(&t, 0), put8(&t, 0);
	put32(&t, 0xFEC00000), put32(&t, 0);
	m = finish(&t);
	assert_int_equal(acpi_parse_madt(m, m->length, &info), 0);
	assert_int_equal(info.n_cpus, 3);
	assert_int_equal(info.n_lapic_ids, 2);
	assert_int_equal(info.lapic_ids[0], 0);
	assert_int_equal(info.lapic_ids[1], 5);
	free(m);
}

static void make_rsdp(struct acpi_rsdp *r, int rev, uint64_t xsdt)
{
	memset(r, 0, sizeof(*r));
	memcpy(r->signature, ACPI_RSDP_SIG, 8);
	r->revision = (uint8_t)rev;
	r->length = sizeof(*r);
	r->xsdt_address = xsdt;
	r->checksum = (uint8_t)(0 - sum((uint8_t *)r, ACPI_RSDP_V1_LEN));
	r->ext_checksum = (uint8_t)(0 - sum((uint8_t *)r, sizeof(*r)));
}

static void test_rsdp_scan(void **state)
{
	static uint8_t area[256] __attribute__((aligned(16)));
	struct acpi_rsdp r;

	memset(area, 0, sizeof(area));
	make_rsdp(&r, 0, 0);
	memcpy(area + 8, &r, ACPI_RSDP_V1_LEN); /* misaligned: ignored */
	assert_null(acpi_scan_rsdp(area, sizeof(area)));
	memcpy(area + 32, &r, ACPI_RSDP_V1_LEN);
	area[32 + 9] ^= 1; /* bad checksum */
	assert_null(acpi_scan_rsdp(area, sizeof(area)));
	memcpy(area + 64, &r, ACPI_RSDP_V1_LEN);
	assert_ptr_equal(acpi_scan_rsdp(area, sizeof(area)), area + 64);
	/* A v1 RSDP cut by the end of the area is not read past it. */
	memset(area, 0, sizeof(area));
	memcpy(area + 240, &r, 16);
	assert_null(acpi_scan_rsdp(area, sizeof(area)));
}

static void test_rsdp_v2_ext_checksum(void **state)
{
	static uint8_t area[64] __attribute__((aligned(16)));
	struct acpi_rsdp r;

	make_rsdp(&r, 2, 0x1000);
	r.ext_checksum ^= 0x55;
	memcpy(area, &r, sizeof(r));
	assert_null(acpi_scan_rsdp(area, sizeof(area)));
	make_rsdp(&r, 2, 0x1000);
	memcpy(area, &r, sizeof(r));
	assert_ptr_equal(acpi_scan_rsdp(area, sizeof(area)), area);
	/* v2 whose extended part does not fit in the area */
	assert_null(acpi_scan_rsdp(area, 32));
}

static struct acpi_sdt_header *make_mcfg(void)
{
	struct tb t;

	header(&t, "MCFG");
	put64(&t, 0);
	put64(&t, 0xB0000000ull), put16(&t, 0), put8(&t, 0), put8(&t, 255);
	put32(&t, 0);
	return finish(&t);
}

static struct acpi_sdt_header *make_xsdt(const void *a, const void *b,
					 const void *c)
{
	struct tb t;

	header(&t, "XSDT");
	put64(&t, (uintptr_t)a);
	put64(&t, (uintptr_t)b);
	put64(&t, (uintptr_t)c);
	return finish(&t);
}

static void test_walk_xsdt(void **state)
{
	struct acpi_info info = fresh();
	struct acpi_sdt_header *madt, *mcfg, *bad, *xsdt;
	struct acpi_rsdp r;
	struct tb t;

	madt_body(&t);
	madt = finish(&t);
	mcfg = make_mcfg();
	header(&t, "FACP");
	bad = finish(&t);
	bad->checksum ^= 1; /* a corrupt unrelated table is skipped */
	xsdt = make_xsdt(bad, mcfg, madt);
	make_rsdp(&r, 2, (uintptr_t)xsdt);
	fake_printk_reset();
	assert_int_equal(acpi_parse_rsdp(&r, &info), 0);
	assert_true(info.from_firmware);
	assert_int_equal(info.n_iso, 2);
	assert_true(info.has_ecam);
	assert_int_equal(info.ecam_base, 0xB0000000ull);
	assert_int_equal(info.ecam_bus_end, 255);
	assert_non_null(strstr(fake_printk_log(), "bad checksum"));
	free(madt), free(mcfg), free(bad), free(xsdt);
}

static void test_walk_failures(void **state)
{
	struct acpi_info info = fresh();
	struct acpi_sdt_header *mcfg, *xsdt;
	struct acpi_rsdp r;

	mcfg = make_mcfg();
	xsdt = make_xsdt(mcfg, NULL, NULL); /* null entries are skipped */
	make_rsdp(&r, 2, (uintptr_t)xsdt);
	assert_int_equal(acpi_parse_rsdp(&r, &info), -ENOENT); /* no MADT */
	memcpy(xsdt->signature, "RSDT", 4); /* wrong root signature */
	fix_checksum(xsdt);
	assert_int_equal(acpi_parse_rsdp(&r, &info), -EINVAL);
	xsdt->length = 0x7FFFFFFF; /* absurd root length */
	assert_int_equal(acpi_parse_rsdp(&r, &info), -EINVAL);
	free(mcfg), free(xsdt);
}

static void test_mcfg_bad(void **state)
{
	struct acpi_info info = fresh();
	struct acpi_sdt_header *m = make_mcfg();

	assert_int_equal(acpi_parse_mcfg(m, m->length - 1, &info), -EINVAL);
	((uint8_t *)m)[52] = 1; /* segment 1 only: no segment-0 window */
	fix_checksum(m);
	assert_int_equal(acpi_parse_mcfg(m, m->length, &info), -EINVAL);
	assert_false(info.has_ecam);
	free(m);
}

static void test_defaults(void **state)
{
	struct acpi_info info;

	acpi_set_defaults(&info);
	assert_false(info.from_firmware);
	assert_int_equal(info.lapic_addr, 0xFEE00000);
	assert_int_equal(info.n_ioapic, 1);
	assert_int_equal(info.ioapic[0].addr, 0xFEC00000);
	assert_int_equal(info.iso[0].gsi, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_madt_qemu),
		cmocka_unit_test(test_madt_bad_checksum),
		cmocka_unit_test(test_madt_bad_lengths),
		cmocka_unit_test(test_madt_bad_entries),
		cmocka_unit_test(test_madt_truncated_entry_header),
		cmocka_unit_test(test_madt_without_ioapic),
		cmocka_unit_test(test_madt_caps_and_override),
		cmocka_unit_test(test_madt_cpu_ids),
		cmocka_unit_test(test_rsdp_scan),
		cmocka_unit_test(test_rsdp_v2_ext_checksum),
		cmocka_unit_test(test_walk_xsdt),
		cmocka_unit_test(test_walk_failures),
		cmocka_unit_test(test_mcfg_bad),
		cmocka_unit_test(test_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
