/* SPDX-License-Identifier: MIT */
/*
 * Virtio 1.x modern PCI transport (virtio 1.2, 4.1). vpci_init() finds
 * the common, notify, ISR and device-specific configuration structures
 * through vendor capabilities and maps them; the calls below then follow
 * the driver initialisation sequence of 3.1.1:
 *
 *   vpci_init -> vpci_negotiate (reset, ACKNOWLEDGE, DRIVER, features,
 *   FEATURES_OK) -> vpci_queue_setup per queue -> vpci_driver_ok
 *
 * and vpci_fail() on any error after vpci_negotiate. The transport does
 * not know the ring layout: kernel/virtio/virtq.c owns that and rings the
 * doorbell through vpci_notify(), which matches virtq_notify_fn.
 * A struct vpci_dev is owned by one driver and used from the main loop,
 * except vpci_isr() and vpci_notify(), which an IRQ handler may call.
 *
 * Drivers find their function with vpci_find(), which accepts the modern
 * ID (0x1040 + type) and the transitional one (0x1000-0x103f, type in the
 * subsystem ID) that QEMU gives by default (-drive if=virtio, a device
 * on a conventional PCI bus or the q35 root complex); vpci_init() then
 * insists on the modern capabilities. Interrupts: MSI-X when the function
 * has it, else vpci_attach_intx() (shared, level-triggered INTx, whose
 * handler must read vpci_isr()).
 */
#ifndef KERNEL_VIRTIO_VIRTIO_PCI_H
#define KERNEL_VIRTIO_VIRTIO_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"
#include "kernel/param.h"
#include "kernel/sched/irq.h"

struct pci_dev;

#define VIRTIO_PCI_VENDOR 0x1af4
#define VIRTIO_PCI_DEVICE_MODERN 0x1040 /* + virtio device ID (4.1.2.1) */
#define VIRTIO_PCI_DEVICE_MODERN_END 0x107f
#define VIRTIO_PCI_DEVICE_LEGACY 0x1000 /* transitional IDs ... */
#define VIRTIO_PCI_DEVICE_LEGACY_END 0x103f

/* virtio device IDs (5) */
#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2

/* device_status bits (2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* transport feature bits (6); ring feature bits are in kernel/virtio/virtq.h */
#define VIRTIO_F_VERSION_1 (1ull << 32)
#define VIRTIO_F_ACCESS_PLATFORM (1ull << 33)

#define VIRTIO_MSI_NO_VECTOR 0xffff

/* ISR status bits (4.1.4.5) */
#define VIRTIO_ISR_QUEUE 1
#define VIRTIO_ISR_CONFIG 2

/* virtio_pci_cap.cfg_type (4.1.4) */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG 3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4

/* Common configuration structure (4.1.4.3); little-endian fields. */
struct virtio_pci_common_cfg {
	uint32_t device_feature_select;
	uint32_t device_feature; /* read-only */
	uint32_t driver_feature_select;
	uint32_t driver_feature;
	uint16_t config_msix_vector;
	uint16_t num_queues; /* read-only */
	uint8_t device_status;
	uint8_t config_generation; /* read-only */
	uint16_t queue_select;
	uint16_t queue_size;
	uint16_t queue_msix_vector;
	uint16_t queue_enable;
	uint16_t queue_notify_off; /* read-only */
	uint64_t queue_desc;
	uint64_t queue_driver;
	uint64_t queue_device;
};
STATIC_ASSERT(sizeof(struct virtio_pci_common_cfg) == 0x38);
STATIC_ASSERT(offsetof(struct virtio_pci_common_cfg, device_status) == 0x14);
STATIC_ASSERT(offsetof(struct virtio_pci_common_cfg, queue_desc) == 0x20);

/* How a driver is told about completions (for logs and /_stats). */
enum vpci_irq_mode {
	VPCI_IRQ_POLLED = 0, /* no interrupt: the main loop polls */
	VPCI_IRQ_MSIX,
	VPCI_IRQ_INTX, /* shared level-triggered line, ISR acknowledges */
};

struct vpci_dev {
	struct pci_dev *pci; /* [I] */
	uint16_t device_id; /* [I] VIRTIO_ID_* */
	volatile struct virtio_pci_common_cfg *common; /* [I] */
	volatile uint8_t *notify_base; /* [I] */
	uint64_t notify_len; /* [I] bytes mapped at notify_base */
	uint32_t notify_off_multiplier; /* [I] */
	volatile uint8_t *isr; /* [I] */
	volatile uint8_t *device_cfg; /* [I] NULL if the device has none */
	uint32_t device_cfg_len; /* [I] */
	uint64_t features; /* [m] negotiated, valid after vpci_negotiate */
	uint16_t num_queues; /* [I] */
	enum vpci_irq_mode irq_mode; /* [m] set by the driver's bring-up */
	volatile uint16_t *doorbell[VPCI_QUEUES_MAX]; /* [m] set up queues */
};

/* Next virtio function after `from` (NULL: from the start) of virtio
 * device type `type` (VIRTIO_ID_*), by modern or transitional ID. */
struct pci_dev *vpci_find(uint16_t type, struct pci_dev *from);

/* Find and map the capabilities of virtio function `pci`, enable memory
 * decoding and bus mastering. 0, -ENODEV (not virtio 1.x) or -ENOMEM. */
int vpci_init(struct vpci_dev *vd, struct pci_dev *pci);

/* Write 0 to device_status and wait for the reset to complete.
 * 0 or -ETIMEDOUT. */
int vpci_reset(struct vpci_dev *vd);

uint8_t vpci_get_status(struct vpci_dev *vd);
/* OR `bits` into device_status. */
void vpci_add_status(struct vpci_dev *vd, uint8_t bits);
/* Set FAILED: the driver gave up on the device. */
void vpci_fail(struct vpci_dev *vd);

/* All 64 device feature bits. */
uint64_t vpci_get_device_features(struct vpci_dev *vd);
/* Write all 64 driver feature bits. */
void vpci_set_driver_features(struct vpci_dev *vd, uint64_t features);

/* Reset, ACKNOWLEDGE, DRIVER, accept device & `wanted` (VERSION_1 is
 * required and always asked for), FEATURES_OK and check it stuck.
 * 0 with vd->features set; -EOPNOTSUPP, -EIO or -ETIMEDOUT with FAILED
 * set. */
int vpci_negotiate(struct vpci_dev *vd, uint64_t wanted);

/* Largest size of queue `index`, 0 if the queue does not exist. */
uint16_t vpci_queue_max_size(struct vpci_dev *vd, uint16_t index);

/* Program queue `index` with `size` entries at the given ring addresses
 * and MSI-X `vector` (VIRTIO_MSI_NO_VECTOR: none), then enable it.
 * 0, -EINVAL (bad index/size), -ENOENT (no such queue), -EIO (vector
 * refused, or notify offset outside the notify region). */
int vpci_queue_setup(struct vpci_dev *vd, uint16_t index, uint16_t size,
		     uint64_t desc_pa, uint64_t driver_pa, uint64_t device_pa,
		     uint16_t vector);

/* Route configuration-change interrupts to MSI-X `vector`. 0 or -EIO. */
int vpci_set_config_vector(struct vpci_dev *vd, uint16_t vector);

/* Set DRIVER_OK: the device is live. */
void vpci_driver_ok(struct vpci_dev *vd);

/* Doorbell for queue `index` of device `arg` (a struct vpci_dev *);
 * a virtq_notify_fn. */
void vpci_notify(void *arg, uint16_t index);

/* Read (and thereby clear) the ISR status: VIRTIO_ISR_* bits. */
uint8_t vpci_isr(struct vpci_dev *vd);

/* Whether to drive the function with MSI-X: it has at least `entries`
 * table entries and the boot option virtio_msix= is not off. */
bool vpci_use_msix(const struct vpci_dev *vd, uint16_t entries);

/* Use the function's INTx pin instead of MSI-X (which is switched off):
 * fn(arg) runs on every interrupt of the shared line, must read
 * vpci_isr() and returns whether the ISR was non-zero. Sets irq_mode.
 * The vector, or -ENODEV (no pin, or firmware routed none), -ENOSPC. */
int vpci_attach_intx(struct vpci_dev *vd, irq_shared_fn fn, void *arg,
		     const char *name);

/* "msix", "intx" or "polled". */
const char *vpci_irq_mode_name(enum vpci_irq_mode mode);

/* Device-specific configuration bytes, generation-checked (4.1.4.3.1).
 * 0, -EINVAL if out of range, -EAGAIN if it kept changing. */
int vpci_read_config(struct vpci_dev *vd, uint32_t off, void *buf,
		     uint32_t len);

/* "net", "block" ... for logs. */
const char *vpci_device_name(uint16_t device_id);

/* Boot-time check of every virtio function: map, read features, reset.
 * Returns the number of devices that answered. */
int vpci_probe_all(void);

#endif
