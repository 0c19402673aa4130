// SPDX-License-Identifier: MIT
/*
 * Virtio 1.x modern PCI transport (interface in kernel/virtio/virtio_pci.h),
 * following virtio 1.2 section 4.1.
 *
 * Each configuration structure is found through a vendor-specific PCI
 * capability (struct virtio_pci_cap, 4.1.4) naming a BAR, an offset and
 * a length; the first capability of each type wins (4.1.4.1). All
 * registers are accessed with their natural width through kernel/cpu/mmio.h;
 * 64-bit ones as two 32-bit halves (4.1.3.1). The queue doorbell address
 * is notify_base + queue_notify_off * notify_off_multiplier (4.1.4.4).
 * Tested with QEMU 7.2 virtio-net-pci and virtio-blk-pci on q35 and pc,
 * both with and without disable-legacy=on, and with vectors=0 (no MSI-X).
 */
#define PR_PREFIX "virtio: "
#include "kernel/virtio/virtio_pci.h"

#include "kernel/core/cmdline.h"
#include "kernel/core/printk.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/mmio.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/virtio/pci.h"

/* struct virtio_pci_cap, as offsets from the capability (4.1.4) */
#define VCAP_CFG_TYPE 3
#define VCAP_BAR 4
#define VCAP_OFFSET 8
#define VCAP_LENGTH 12
#define VCAP_NOTIFY_MULT 16 /* virtio_pci_notify_cap only */
#define VCAP_LEN_MIN 16
#define VCAP_NOTIFY_LEN_MIN 20
#define VCAP_CAP_LEN 2

#define NOTIFY_REG_SIZE 2 /* a doorbell is a le16 */
#define CONFIG_GEN_TRIES 8 /* re-reads of a config that keeps changing */

#define COMMON(vd, field) (&(vd)->common->field)

static bool msix_allowed = true; /* [I] virtio_msix= */
KPARAM_BOOL(virtio_msix, msix_allowed,
	    "use MSI-X where a virtio function has it (off: INTx)");

static const char *const device_names[] = {
	[VIRTIO_ID_NET] = "net",
	[VIRTIO_ID_BLOCK] = "block",
	[3] = "console",
	[4] = "entropy",
	[5] = "balloon",
	[8] = "scsi",
	[9] = "9p",
	[16] = "gpu",
	[18] = "input",
	[19] = "vsock",
};

/* Printable name of a virtio device ID. */
const char *vpci_device_name(uint16_t device_id)
{
	if (device_id < ARRAY_SIZE(device_names) && device_names[device_id])
		return device_names[device_id];
	return "unknown";
}

/* Virtio device ID of a PCI function, 0 when it is not virtio. */
static uint16_t virtio_id(const struct pci_dev *pci)
{
	if (pci->vendor != VIRTIO_PCI_VENDOR)
		return 0;
	if (pci->device >= VIRTIO_PCI_DEVICE_MODERN &&
	    pci->device <= VIRTIO_PCI_DEVICE_MODERN_END)
		return pci->device - VIRTIO_PCI_DEVICE_MODERN;
	/* Transitional devices carry the ID in the subsystem ID (4.1.2.1). */
	if (pci->device >= VIRTIO_PCI_DEVICE_LEGACY &&
	    pci->device <= VIRTIO_PCI_DEVICE_LEGACY_END)
		return pci->subsys_id;
	return 0;
}

/* Next function of virtio device type `type`, modern or transitional. */
struct pci_dev *vpci_find(uint16_t type, struct pci_dev *from)
{
	struct pci_dev *pci = from;

	while ((pci = pci_find(VIRTIO_PCI_VENDOR, PCI_ANY_ID, pci)))
		if (type && virtio_id(pci) == type)
			return pci;
	return NULL;
}

/* Map the structure one capability describes; NULL if it is unusable. */
static volatile uint8_t *map_cap(struct vpci_dev *vd, uint8_t cap,
				 uint32_t min_len, uint32_t *len)
{
	uint8_t bar = pci_read8(vd->pci, cap + VCAP_BAR);
	uint32_t off = pci_read32(vd->pci, cap + VCAP_OFFSET);

	*len = pci_read32(vd->pci, cap + VCAP_LENGTH);
	if (bar >= PCI_BAR_COUNT || *len < min_len)
		return NULL; /* reserved BAR number, or too short */
	return pci_map_bar(vd->pci, bar, off, *len);
}

/* Record the structure of capability `cap` unless one of its type is
 * already known (4.1.4.1: use the first one the driver can handle). */
static void take_cap(struct vpci_dev *vd, uint8_t cap)
{
	uint8_t type = pci_read8(vd->pci, cap + VCAP_CFG_TYPE);
	uint8_t cap_len = pci_read8(vd->pci, cap + VCAP_CAP_LEN);
	uint32_t len;

	if (cap_len < VCAP_LEN_MIN)
		return;
	if (type == VIRTIO_PCI_CAP_COMMON_CFG && !vd->common) {
		vd->common = (volatile struct virtio_pci_common_cfg *)map_cap(
			vd, cap, sizeof(struct virtio_pci_common_cfg), &len);
	} else if (type == VIRTIO_PCI_CAP_NOTIFY_CFG && !vd->notify_base &&
		   cap_len >= VCAP_NOTIFY_LEN_MIN) {
		vd->notify_base = map_cap(vd, cap, NOTIFY_REG_SIZE, &len);
		vd->notify_len = len;
		vd->notify_off_multiplier =
			pci_read32(vd->pci, cap + VCAP_NOTIFY_MULT);
	} else if (type == VIRTIO_PCI_CAP_ISR_CFG && !vd->isr) {
		vd->isr = map_cap(vd, cap, 1, &len);
	} else if (type == VIRTIO_PCI_CAP_DEVICE_CFG && !vd->device_cfg) {
		vd->device_cfg = map_cap(vd, cap, 1, &len);
		vd->device_cfg_len = vd->device_cfg ? len : 0;
	}
}

/* Locate and map the configuration structures of a virtio function. */
int vpci_init(struct vpci_dev *vd, struct pci_dev *pci)
{
	char name[PCI_NAME_LEN];
	uint8_t cap = 0;

	memset(vd, 0, sizeof(*vd));
	vd->pci = pci;
	vd->device_id = virtio_id(pci);
	if (!vd->device_id)
		return -ENODEV;
	pci_enable_decode(pci, false);
	while ((cap = pci_find_cap(pci, PCI_CAP_ID_VENDOR, cap)))
		take_cap(vd, cap);
	if (!vd->common || !vd->notify_base || !vd->isr) {
		pr_err("%s: no usable virtio 1.x capabilities (common %d notify %d isr %d)",
		       pci_name(pci, name), !!vd->common, !!vd->notify_base,
		       !!vd->isr);
		return -ENODEV;
	}
	vd->num_queues = mmio_read16(COMMON(vd, num_queues));
	pci_enable_bus_master(pci);
	return 0;
}

/* Current device_status. */
uint8_t vpci_get_status(struct vpci_dev *vd)
{
	return mmio_read8(COMMON(vd, device_status));
}

/* Set more status bits; status bits are only ever added until reset. */
void vpci_add_status(struct vpci_dev *vd, uint8_t bits)
{
	mmio_write8(COMMON(vd, device_status), vpci_get_status(vd) | bits);
}

/* Tell the device the driver gave up (2.1.2). */
void vpci_fail(struct vpci_dev *vd)
{
	vpci_add_status(vd, VIRTIO_STATUS_FAILED);
}

/* Reset; the device signals completion by reading back 0 (4.1.4.3.2). */
int vpci_reset(struct vpci_dev *vd)
{
	char name[PCI_NAME_LEN];
	uint8_t status;
	int i;

	mmio_write8(COMMON(vd, device_status), 0);
	for (i = 0; i < VPCI_RESET_POLLS; i++) {
		status = vpci_get_status(vd);
		if (status == 0) {
			memset(vd->doorbell, 0, sizeof(vd->doorbell));
			return 0;
		}
		cpu_relax();
	}
	pr_err("%s: reset timed out, status %#x", pci_name(vd->pci, name),
	       status);
	return -ETIMEDOUT;
}

/* Both 32-bit halves of the device feature bits. */
uint64_t vpci_get_device_features(struct vpci_dev *vd)
{
	uint64_t f;

	mmio_write32(COMMON(vd, device_feature_select), 0);
	f = mmio_read32(COMMON(vd, device_feature));
	mmio_write32(COMMON(vd, device_feature_select), 1);
	return f | (uint64_t)mmio_read32(COMMON(vd, device_feature)) << 32;
}

/* Both 32-bit halves of the driver feature bits. */
void vpci_set_driver_features(struct vpci_dev *vd, uint64_t features)
{
	mmio_write32(COMMON(vd, driver_feature_select), 0);
	mmio_write32(COMMON(vd, driver_feature), (uint32_t)features);
	mmio_write32(COMMON(vd, driver_feature_select), 1);
	mmio_write32(COMMON(vd, driver_feature), (uint32_t)(features >> 32));
}

/* Steps 1-6 of the initialisation sequence (3.1.1). */
int vpci_negotiate(struct vpci_dev *vd, uint64_t wanted)
{
	char name[PCI_NAME_LEN];
	uint64_t dev;
	int err;

	err = vpci_reset(vd);
	if (err)
		goto err_fail;
	vpci_add_status(vd, VIRTIO_STATUS_ACKNOWLEDGE);
	vpci_add_status(vd, VIRTIO_STATUS_DRIVER);
	dev = vpci_get_device_features(vd);
	if (!(dev & VIRTIO_F_VERSION_1)) {
		pr_err("%s: no VIRTIO_F_VERSION_1 (features %#llx)",
		       pci_name(vd->pci, name), (unsigned long long)dev);
		err = -EOPNOTSUPP;
		goto err_fail;
	}
	vd->features = dev & (wanted | VIRTIO_F_VERSION_1);
	vpci_set_driver_features(vd, vd->features);
	vpci_add_status(vd, VIRTIO_STATUS_FEATURES_OK);
	if (!(vpci_get_status(vd) & VIRTIO_STATUS_FEATURES_OK)) {
		pr_err("%s: device refused features %#llx",
		       pci_name(vd->pci, name),
		       (unsigned long long)vd->features);
		err = -EIO;
		goto err_fail;
	}
	/* The count may depend on the features: QEMU's virtio-net adds its
	 * extra queue pairs once VIRTIO_NET_F_MQ is accepted. */
	vd->num_queues = mmio_read16(COMMON(vd, num_queues));
	return 0;

err_fail:
	vd->features = 0;
	vpci_fail(vd);
	return err;
}

/* Select queue `index` and return its maximum size (0: absent). */
uint16_t vpci_queue_max_size(struct vpci_dev *vd, uint16_t index)
{
	if (index >= vd->num_queues)
		return 0;
	mmio_write16(COMMON(vd, queue_select), index);
	return mmio_read16(COMMON(vd, queue_size));
}

/* Write an MSI-X vector register and check the device accepted it
 * (it reads back VIRTIO_MSI_NO_VECTOR when it could not, 4.1.5.1.2). */
static int set_vector(volatile uint16_t *reg, uint16_t vector)
{
	mmio_write16(reg, vector);
	return mmio_read16(reg) == vector ? 0 : -EIO;
}

/* Configure and enable one queue (4.1.5.1.3). */
int vpci_queue_setup(struct vpci_dev *vd, uint16_t index, uint16_t size,
		     uint64_t desc_pa, uint64_t driver_pa, uint64_t device_pa,
		     uint16_t vector)
{
	char name[PCI_NAME_LEN];
	uint16_t max;
	uint64_t off;

	if (index >= VPCI_QUEUES_MAX)
		return -EINVAL;
	max = vpci_queue_max_size(vd, index); /* also selects the queue */
	if (!max)
		return -ENOENT;
	if (size == 0 || size > max || (size & (size - 1)))
		return -EINVAL;
	mmio_write16(COMMON(vd, queue_size), size);
	mmio_write64_split(COMMON(vd, queue_desc), desc_pa);
	mmio_write64_split(COMMON(vd, queue_driver), driver_pa);
	mmio_write64_split(COMMON(vd, queue_device), device_pa);
	if (set_vector(COMMON(vd, queue_msix_vector), vector)) {
		pr_err("%s: queue %u refused MSI-X vector %u",
		       pci_name(vd->pci, name), index, vector);
		return -EIO;
	}
	off = (uint64_t)mmio_read16(COMMON(vd, queue_notify_off)) *
	      vd->notify_off_multiplier;
	if (off + NOTIFY_REG_SIZE > vd->notify_len) {
		pr_err("%s: queue %u doorbell %#llx outside notify region",
		       pci_name(vd->pci, name), index, (unsigned long long)off);
		return -EIO;
	}
	vd->doorbell[index] = (volatile uint16_t *)(vd->notify_base + off);
	mmio_write16(COMMON(vd, queue_enable), 1);
	return 0;
}

/* Route configuration-change notifications to an MSI-X vector. */
int vpci_set_config_vector(struct vpci_dev *vd, uint16_t vector)
{
	return set_vector(COMMON(vd, config_msix_vector), vector);
}

/* Step 8 of 3.1.1. */
void vpci_driver_ok(struct vpci_dev *vd)
{
	vpci_add_status(vd, VIRTIO_STATUS_DRIVER_OK);
}

/* Ring the doorbell of queue `index`: write its index (no
 * VIRTIO_F_NOTIFICATION_DATA). */
void vpci_notify(void *arg, uint16_t index)
{
	struct vpci_dev *vd = arg;

	if (index >= VPCI_QUEUES_MAX || !vd->doorbell[index])
		return;
	/*
	 * No barrier here: the caller (virtq_kick) has already made its
	 * ring stores (descriptors, avail ring entry, avail->idx) globally
	 * visible before deciding to notify (its mb()), and x86 does not
	 * let this uncached store pass earlier stores anyway.
	 */
	mmio_write16(vd->doorbell[index], index);
}

/* Reading the ISR register clears it and deasserts INTx (4.1.4.5). */
uint8_t vpci_isr(struct vpci_dev *vd)
{
	return mmio_read8(vd->isr);
}

/* MSI-X with `entries` entries is there and not switched off. */
bool vpci_use_msix(const struct vpci_dev *vd, uint16_t entries)
{
	return msix_allowed && vd->pci->msix.table_size >= entries;
}

/*
 * INTx instead of MSI-X: with MSI-X enabled the device would never raise
 * its pin (PCI 3.0, 6.8.2), and firmware may have left the command
 * register's INTx disable set.
 */
int vpci_attach_intx(struct vpci_dev *vd, irq_shared_fn fn, void *arg,
		     const char *name)
{
	struct pci_dev *pci = vd->pci;
	char pname[PCI_NAME_LEN];
	int vector;

	if (!pci->irq_pin) {
		pr_err("%s: no MSI-X and no INTx pin", pci_name(pci, pname));
		return -ENODEV;
	}
	pci_msix_disable(pci);
	pci_write16(pci, PCI_COMMAND,
		    pci_read16(pci, PCI_COMMAND) & ~PCI_COMMAND_INTX_DISABLE);
	vector = irq_attach_pci_intx(pci->irq_line, fn, arg, name);
	if (vector < 0) {
		pr_err("%s: INT%c line %u: %s", pci_name(pci, pname),
		       'A' + pci->irq_pin - 1, pci->irq_line, errname(vector));
		return vector;
	}
	vd->irq_mode = VPCI_IRQ_INTX;
	return vector;
}

/* Name of an interrupt mode for logs and /_stats. */
const char *vpci_irq_mode_name(enum vpci_irq_mode mode)
{
	switch (mode) {
	case VPCI_IRQ_MSIX:
		return "msix";
	case VPCI_IRQ_INTX:
		return "intx";
	default:
		return "polled";
	}
}

/* Copy device config bytes; retry while config_generation changes. */
int vpci_read_config(struct vpci_dev *vd, uint32_t off, void *buf, uint32_t len)
{
	uint8_t *out = buf, gen;
	uint32_t i;
	int tries;

	if (!vd->device_cfg || off > vd->device_cfg_len ||
	    len > vd->device_cfg_len - off)
		return -EINVAL;
	for (tries = 0; tries < CONFIG_GEN_TRIES; tries++) {
		gen = mmio_read8(COMMON(vd, config_generation));
		for (i = 0; i < len; i++)
			out[i] = mmio_read8(vd->device_cfg + off + i);
		if (mmio_read8(COMMON(vd, config_generation)) == gen)
			return 0;
	}
	return -EAGAIN;
}

/* Map one virtio function, read its features and leave it reset. */
static int probe_one(struct pci_dev *pci)
{
	static struct vpci_dev vd; /* boot-time scratch, main loop only */
	char name[PCI_NAME_LEN];
	uint64_t features;
	int err;

	err = vpci_init(&vd, pci);
	if (err)
		return err;
	err = vpci_reset(&vd);
	if (err)
		return err;
	vpci_add_status(&vd, VIRTIO_STATUS_ACKNOWLEDGE);
	vpci_add_status(&vd, VIRTIO_STATUS_DRIVER);
	features = vpci_get_device_features(&vd);
	pr_info("%s %s features %#llx queues %u (queue 0 max %u)%s",
		pci_name(pci, name), vpci_device_name(vd.device_id),
		(unsigned long long)features, vd.num_queues,
		vpci_queue_max_size(&vd, 0),
		features & VIRTIO_F_VERSION_1 ? "" : " no VERSION_1");
	return vpci_reset(&vd);
}

/* Probe every virtio function pci_init() found. */
int vpci_probe_all(void)
{
	struct pci_dev *pci = NULL;
	char name[PCI_NAME_LEN];
	int ok = 0, err;

	while ((pci = pci_find(VIRTIO_PCI_VENDOR, PCI_ANY_ID, pci))) {
		if (!virtio_id(pci))
			continue;
		err = probe_one(pci);
		if (err)
			pr_err("%s: probe failed: %s", pci_name(pci, name),
			       errname(err));
		else
			ok++;
	}
	return ok;
}
