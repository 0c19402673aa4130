// SPDX-License-Identifier: MIT
/*
 * virtio-blk driver (interface in virtio_blk.h; virtio 1.2, 5.2).
 *
 * A request is one descriptor chain: the 16-byte header (device-readable),
 * the data segments and the status byte (device-writable). Header and
 * status live in the heap-allocated struct vblk_req, which is also the
 * chain's cookie, so a completion finds its request without a table. The
 * request memory is identity-mapped kernel memory, hence DMA-able as is.
 *
 * Setup follows 3.1.1: negotiate (VERSION_1, EVENT_IDX, RO, SEG_MAX,
 * BLK_SIZE if offered), one queue, MSI-X vector 0 for the queue when the
 * function has MSI-X (polling alone otherwise), DRIVER_OK.
 */
#define PR_PREFIX "vblk: "
#include "fs/virtio_blk.h"

#include <stdbool.h>

#include "kernel/arch/time.h"
#include "kernel/core/panic.h"
#include "kernel/core/printk.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/mm.h"
#include "kernel/param.h"
#include "kernel/sched/completion.h"
#include "kernel/sched/irq.h"
#include "kernel/sched/mainloop.h"
#include "kernel/sched/timer.h"
#include "kernel/virtio/pci.h"
#include "kernel/virtio/virtio_pci.h"
#include "kernel/virtio/virtq.h"

/* Feature bits (5.2.3) */
#define VIRTIO_BLK_F_SIZE_MAX (1ull << 1)
#define VIRTIO_BLK_F_SEG_MAX (1ull << 2)
#define VIRTIO_BLK_F_RO (1ull << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ull << 6)

/* Request types and status (5.2.6) */
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_S_OK 0
#define VIRTIO_BLK_S_IOERR 1
#define VIRTIO_BLK_S_UNSUPP 2

#define QUEUE_INDEX 0
#define MSIX_QUEUE_ENTRY 0
#define STATUS_UNSET 0xFF

/* Device configuration layout (5.2.4), the fields we read. */
struct virtio_blk_config {
	uint64_t capacity; /* in 512-byte sectors */
	uint32_t size_max;
	uint32_t seg_max;
	uint8_t geometry[4];
	uint32_t blk_size;
} __packed;
STATIC_ASSERT(sizeof(struct virtio_blk_config) == 24);

struct virtio_blk_req_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};
STATIC_ASSERT(sizeof(struct virtio_blk_req_hdr) == 16);

struct vblk_req {
	struct virtio_blk_req_hdr hdr; /* device reads */
	uint8_t status; /* device writes */
	unsigned int nsegs; /* [m] */
	struct vblk_segment segs[VBLK_SEGMENTS_MAX]; /* [m] */
	vblk_done_fn done; /* [m] */
	void *arg; /* [m] */
	struct vblk_req *next; /* [m] waiting list */
};

struct vblk_dev {
	struct vpci_dev vd; /* [I] after probe */
	struct virtq vq; /* [m] */
	uint64_t capacity; /* [I] sectors */
	uint32_t seg_max; /* [I] data segments per request */
	int vector; /* [I] MSI-X vector, -1 when polled only */
	struct vblk_req *wait_head, *wait_tail; /* [m] no descriptors yet */
	struct timer stall_timer; /* [m] armed while requests are out */
	struct vblk_stats stats; /* [m] */
};

static struct vblk_dev blk_dev;

/* Post a request; -ENOSPC when the ring has no room for it now. */
static int post(struct vblk_dev *d, struct vblk_req *r)
{
	struct virtq_seg out = { virt_to_phys(&r->hdr), sizeof(r->hdr) };
	struct virtq_seg in[VBLK_SEGMENTS_MAX + 1];
	uint64_t bytes = 0;
	int err;

	for (unsigned int i = 0; i < r->nsegs; i++) {
		in[i] = (struct virtq_seg){ r->segs[i].pa, r->segs[i].len };
		bytes += r->segs[i].len;
	}
	in[r->nsegs] = (struct virtq_seg){ virt_to_phys(&r->status), 1 };
	err = virtq_add(&d->vq, &out, 1, in, r->nsegs + 1, r);
	if (err)
		return err;
	d->stats.requests++;
	d->stats.bytes += bytes;
	if (!timer_armed(&d->stall_timer))
		timer_arm_in(&d->stall_timer, VBLK_STALL_MS * 1000000ull);
	if (++d->stats.in_flight > d->stats.max_in_flight)
		d->stats.max_in_flight = d->stats.in_flight;
	return 0;
}

static void post_waiting(struct vblk_dev *d)
{
	bool posted = false;

	while (d->wait_head && post(d, d->wait_head) == 0) {
		d->wait_head = d->wait_head->next;
		d->stats.waiting--;
		posted = true;
	}
	if (!d->wait_head)
		d->wait_tail = NULL;
	if (posted)
		virtq_kick(&d->vq);
}

int vblk_read(struct vblk_dev *d, uint64_t sector,
	      const struct vblk_segment *segs, unsigned int n,
	      vblk_done_fn done, void *arg)
{
	struct vblk_req *r;
	uint64_t bytes = 0;

	if (n == 0 || n > d->seg_max)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		bytes += segs[i].len;
	if (bytes == 0 || bytes % VBLK_SECTOR_SIZE || sector > d->capacity ||
	    bytes / VBLK_SECTOR_SIZE > d->capacity - sector)
		return -EINVAL;
	r = kmalloc(sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->hdr = (struct virtio_blk_req_hdr){ .type = VIRTIO_BLK_T_IN,
					      .sector = sector };
	r->status = STATUS_UNSET;
	r->nsegs = n;
	memcpy(r->segs, segs, n * sizeof(*segs));
	r->done = done;
	r->arg = arg;
	r->next = NULL;
	if (!d->wait_head && post(d, r) == 0) {
		virtq_kick(&d->vq);
		return 0;
	}
	d->stats.queued++;
	d->stats.waiting++;
	if (d->wait_tail)
		d->wait_tail->next = r;
	else
		d->wait_head = r;
	d->wait_tail = r;
	return 0;
}

/* Complete everything the device has returned. */
static int reap(struct vblk_dev *d)
{
	struct vblk_req *r;
	uint32_t len;
	int n = 0;

	while ((r = virtq_get(&d->vq, &len))) {
		/* The status byte is device-written: read it once. */
		uint8_t status = READ_ONCE(r->status);
		int err = status == VIRTIO_BLK_S_OK ? 0 : -EIO;

		if (err) {
			d->stats.errors++;
			pr_warn("read of sector %llu failed: status %u",
				(unsigned long long)r->hdr.sector, status);
		}
		d->stats.in_flight--;
		r->done(r->arg, err);
		kfree(r);
		n++;
	}
	return n;
}

/* Wake the device if it sits on requests it was told about (virtq.c). */
static void check_stall(struct vblk_dev *d)
{
	if (virtq_rekick_if_stalled(&d->vq, time_ns(),
				    VBLK_STALL_MS * 1000000ull))
		d->stats.rekicks++;
}

static void stall_timer_fired(struct timer *t, void *arg)
{
	struct vblk_dev *d = arg;

	check_stall(d);
	if (d->stats.in_flight)
		timer_arm_in(t, VBLK_STALL_MS * 1000000ull);
}

int vblk_poll(void *dev)
{
	struct vblk_dev *d = dev;
	int n = reap(d);

	check_stall(d);

	if (n)
		post_waiting(d);
	/* Re-arm the interrupt; a completion that raced in is reaped now. */
	if (d->vector >= 0 && virtq_enable_intr(&d->vq)) {
		n += reap(d);
		post_waiting(d);
	}
	/* Without an interrupt, keep the loop from halting while the
	 * device owes us completions. */
	if (d->vector < 0 && d->stats.in_flight)
		n++;
	return n;
}

/* Read whole sectors into kernel memory `buf`, polling for the end. */
static int read_sectors_sync(struct vblk_dev *d, uint64_t sector, void *buf,
			     size_t len)
{
	struct vblk_segment segs[VBLK_SEGMENTS_MAX];
	uint64_t deadline = time_ns() + VBLK_SYNC_TIMEOUT_MS * 1000000ull;
	struct completion w = { 0 };
	unsigned int n = 0;
	size_t off = 0;
	int err;

	/* Kernel memory is contiguous; split at page boundaries only so
	 * each segment stays within what size_max allows on any device. */
	while (off < len) {
		uintptr_t va = (uintptr_t)buf + off;
		size_t chunk =
			MIN(len - off, PAGE_SIZE - (va & (PAGE_SIZE - 1)));

		if (n == d->seg_max)
			return -EINVAL;
		segs[n++] = (struct vblk_segment){ virt_to_phys((void *)va),
						   (uint32_t)chunk };
		off += chunk;
	}
	d->stats.sync_reads++;
	err = vblk_read(d, sector, segs, n, completion_signal, &w);
	if (err)
		return err;
	err = completion_wait(&w, deadline, vblk_poll, d);
	/* The request still owns `buf` and `w`: a device that never
	 * completes it leaves nothing safe to return to. */
	if (!w.done)
		panic("vblk_read_sync: sector %llu not completed in %u ms",
		      (unsigned long long)sector, VBLK_SYNC_TIMEOUT_MS);
	return err;
}

int vblk_read_sync(struct vblk_dev *d, uint64_t off, void *buf, size_t len)
{
	uint64_t first = off / VBLK_SECTOR_SIZE;
	uint64_t end = DIV_ROUND_UP(off + len, VBLK_SECTOR_SIZE);
	size_t span = (size_t)(end - first) * VBLK_SECTOR_SIZE;
	char *bounce;
	int err;

	if (len == 0 || off + len < off || end > d->capacity)
		return -EINVAL;
	if (off % VBLK_SECTOR_SIZE == 0 && len % VBLK_SECTOR_SIZE == 0)
		return read_sectors_sync(d, first, buf, len);
	if (span > VBLK_BOUNCE_MAX)
		return -EINVAL;
	bounce = kmalloc(span);
	if (!bounce)
		return -ENOMEM;
	err = read_sectors_sync(d, first, bounce, span);
	if (!err)
		memcpy(buf, bounce + off % VBLK_SECTOR_SIZE, len);
	kfree(bounce);
	return err;
}

uint64_t vblk_capacity(const struct vblk_dev *d)
{
	return d->capacity * VBLK_SECTOR_SIZE;
}

void vblk_get_stats(const struct vblk_dev *d, struct vblk_stats *st)
{
	*st = d->stats;
}

static void vblk_irq(void *arg)
{
	struct vblk_dev *d = arg;

	/* MSI-X needs no ISR read, and the ring is the main loop's: only
	 * count; the dispatcher marks work pending. */
	d->stats.interrupts++;
}

/* Route the queue's interrupt through MSI-X entry 0; -1 if unavailable. */
static int setup_msix(struct vblk_dev *d)
{
	struct pci_dev *pci = d->vd.pci;
	uint64_t addr;
	uint32_t data;
	int vector;

	if (!pci->msix.cap || pci->msix.table_size < 1)
		return -1;
	vector = irq_alloc_vector(vblk_irq, d, "vblk");
	if (vector < 0)
		return -1;
	if (pci_msix_enable(pci)) {
		irq_free_vector(vector);
		return -1;
	}
	irq_msi_compose((uint8_t)vector, &addr, &data);
	pci_msix_set_entry(pci, MSIX_QUEUE_ENTRY, addr, data);
	pci_msix_mask_entry(pci, MSIX_QUEUE_ENTRY, false);
	return vector;
}

/* Steps 3.1.1 4-8 for one queue; 0 or a negative errno (FAILED set). */
static int bring_up(struct vblk_dev *d)
{
	struct virtio_blk_config cfg = { 0 };
	uint16_t qsize;
	int err;

	err = vpci_negotiate(&d->vd, VIRTIO_F_EVENT_IDX | VIRTIO_BLK_F_RO |
					     VIRTIO_BLK_F_SEG_MAX |
					     VIRTIO_BLK_F_BLK_SIZE |
					     VIRTIO_BLK_F_SIZE_MAX);
	if (err)
		return err;
	err = vpci_read_config(&d->vd, 0, &cfg,
			       MIN(sizeof(cfg), d->vd.device_cfg_len));
	if (err)
		goto err_fail;
	d->capacity = cfg.capacity;
	d->seg_max = VBLK_SEGMENTS_MAX;
	if ((d->vd.features & VIRTIO_BLK_F_SEG_MAX) && cfg.seg_max)
		d->seg_max = MIN(d->seg_max, cfg.seg_max);
	qsize = MIN(vpci_queue_max_size(&d->vd, QUEUE_INDEX), VIRTQ_SIZE_MAX);
	if (qsize < 3) {
		err = -ENODEV;
		goto err_fail;
	}
	/* The ring needs a power of two; round the device maximum down. */
	while (qsize & (qsize - 1))
		qsize &= (uint16_t)(qsize - 1);
	err = virtq_init(&d->vq, QUEUE_INDEX, qsize,
			 d->vd.features & VIRTIO_F_EVENT_IDX, vpci_notify,
			 &d->vd);
	if (err)
		goto err_fail;
	d->vector = setup_msix(d);
	err = vpci_queue_setup(
		&d->vd, QUEUE_INDEX, qsize, virtq_desc_pa(&d->vq),
		virtq_avail_pa(&d->vq), virtq_used_pa(&d->vq),
		d->vector >= 0 ? MSIX_QUEUE_ENTRY : VIRTIO_MSI_NO_VECTOR);
	if (err)
		goto err_free_vq;
	vpci_driver_ok(&d->vd);
	return 0;

err_free_vq:
	virtq_destroy(&d->vq);
err_fail:
	vpci_fail(&d->vd);
	return err;
}

struct vblk_dev *vblk_probe(void)
{
	struct vblk_dev *d = &blk_dev;
	struct pci_dev *pci = NULL;
	char name[PCI_NAME_LEN];
	int err;

	while ((pci = pci_find(VIRTIO_PCI_VENDOR, PCI_ANY_ID, pci))) {
		if (pci->device == VIRTIO_PCI_DEVICE_MODERN + VIRTIO_ID_BLOCK)
			break;
	}
	if (!pci) {
		pr_info("no virtio-blk device");
		return NULL;
	}
	memset(d, 0, sizeof(*d));
	d->vector = -1;
	timer_setup(&d->stall_timer, stall_timer_fired, d);
	err = vpci_init(&d->vd, pci);
	if (!err)
		err = bring_up(d);
	if (err) {
		pr_err("%s: cannot drive the device: %s", pci_name(pci, name),
		       errname(err));
		return NULL;
	}
	mainloop_add_poller(vblk_poll, d);
	pr_info("%s: %llu MiB, queue of %u, %u segments/request, %s%s",
		pci_name(pci, name),
		(unsigned long long)(d->capacity * VBLK_SECTOR_SIZE >> 20),
		d->vq.size, d->seg_max, d->vector >= 0 ? "MSI-X" : "polled",
		d->vd.features & VIRTIO_BLK_F_RO ? ", read-only" : "");
	return d;
}
