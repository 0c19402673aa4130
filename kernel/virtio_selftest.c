// SPDX-License-Identifier: MIT
/*
 * virtio_selftest=on: read sector 0 of each virtio-blk device with one
 * request chain (16-byte header out, 512 data bytes in, status byte in;
 * virtio 1.2, 5.2.6) through kernel/virtq.c and kernel/virtio_pci.c,
 * polling the used ring with a bound, then reset the device. It proves
 * the ring layout, queue setup and doorbell work with QEMU before the
 * real drivers exist. Interface in kernel/virtio_selftest.h.
 */
#define PR_PREFIX "virtio: "
#include "kernel/virtio_selftest.h"

#include "kernel/cmdline.h"
#include "kernel/cpu.h"
#include "kernel/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm.h"
#include "kernel/param.h"
#include "kernel/pci.h"
#include "kernel/pmm.h"
#include "kernel/printk.h"
#include "kernel/virtio_pci.h"
#include "kernel/virtq.h"

#define BLK_T_IN 0
#define BLK_S_OK 0
#define BLK_SECTOR 512
#define SELFTEST_QSIZE 8
#define SELFTEST_POLLS 50000000 /* used-ring polls before giving up */
#define SHOW_BYTES 8

static bool selftest;
KPARAM_BOOL(virtio_selftest, selftest,
	    "read sector 0 of each virtio-blk disk at boot");

struct blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};
STATIC_ASSERT(sizeof(struct blk_req_hdr) == 16);

/* One request buffer: header, data and status in one page. */
struct blk_page {
	struct blk_req_hdr hdr;
	uint8_t data[BLK_SECTOR];
	uint8_t status;
};

/* Post the read, kick, and poll for the completion. */
static int read_sector0(struct virtq *vq, struct blk_page *pg)
{
	struct virtq_seg out = { virt_to_phys(&pg->hdr), sizeof(pg->hdr) };
	struct virtq_seg in[2] = {
		{ virt_to_phys(pg->data), BLK_SECTOR },
		{ virt_to_phys(&pg->status), 1 },
	};
	uint32_t len;
	void *cookie;
	long i;
	int err;

	pg->hdr.type = BLK_T_IN;
	pg->hdr.sector = 0;
	pg->status = 0xff;
	err = virtq_add(vq, &out, 1, in, 2, pg);
	if (err)
		return err;
	virtq_kick(vq);
	for (i = 0; i < SELFTEST_POLLS; i++) {
		cookie = virtq_get(vq, &len);
		if (cookie)
			return cookie == pg && len == BLK_SECTOR + 1 &&
					       pg->status == BLK_S_OK ?
				       0 :
				       -EIO;
		cpu_relax();
	}
	return -ETIMEDOUT;
}

/* Bring up queue 0 of a virtio-blk device and read one sector. */
static int test_blk(struct pci_dev *pci, struct blk_page *pg)
{
	static struct vpci_dev vd;
	struct virtq vq;
	int err;

	err = vpci_init(&vd, pci);
	if (err)
		return err;
	err = vpci_negotiate(&vd, VIRTIO_F_EVENT_IDX);
	if (err)
		return err;
	err = virtq_init(&vq, 0, SELFTEST_QSIZE,
			 vd.features & VIRTIO_F_EVENT_IDX, vpci_notify, &vd);
	if (err)
		goto err_fail;
	err = vpci_queue_setup(&vd, 0, SELFTEST_QSIZE, virtq_desc_pa(&vq),
			       virtq_avail_pa(&vq), virtq_used_pa(&vq),
			       VIRTIO_MSI_NO_VECTOR);
	if (err)
		goto err_free_vq;
	vpci_driver_ok(&vd);
	err = read_sector0(&vq, pg);
	vpci_reset(&vd); /* the device lets go of the ring */
	virtq_destroy(&vq);
	return err;

err_free_vq:
	virtq_destroy(&vq);
err_fail:
	vpci_fail(&vd);
	return err;
}

/* Run test_blk on every virtio-blk function. */
int vpci_selftest(void)
{
	struct pci_dev *pci = NULL;
	char name[PCI_NAME_LEN];
	struct blk_page *pg;
	uint64_t pa;
	int ok = 0, err;

	if (!selftest)
		return 0;
	pa = pmm_alloc(1, 1);
	if (!pa)
		return -ENOMEM;
	pg = phys_to_virt(pa);
	while ((pci = pci_find(VIRTIO_PCI_VENDOR, PCI_ANY_ID, pci))) {
		if (pci->device != VIRTIO_PCI_DEVICE_MODERN + VIRTIO_ID_BLOCK)
			continue;
		memset(pg, 0, sizeof(*pg));
		err = test_blk(pci, pg);
		if (err) {
			pr_err("%s selftest failed: %s", pci_name(pci, name),
			       errname(err));
			continue;
		}
		ok++;
		pr_info("%s selftest: sector 0 starts '%.*s'",
			pci_name(pci, name), SHOW_BYTES, (char *)pg->data);
	}
	pmm_free(pa, 1);
	return ok;
}
