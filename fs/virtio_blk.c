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
 * SIZE_MAX, BLK_SIZE if offered; without SEG_MAX a request carries at
 * most VBLK_SEGMENTS_MAX segments, and never more than the ring can hold
 * besides its header and status), one queue, MSI-X vector 0 for the queue when the
 * function has MSI-X, else its shared INTx line (polling alone when it
 * has neither), DRIVER_OK.
 *
 * A dead device: posted requests are kept in posting order; when the
 * oldest has gone unanswered for disk_timeout_ms (re-kicks included) the
 * device is marked failed, every request waiting on it is completed with
 * -ETIMEDOUT, and later reads are refused with -ENODEV. The device is not
 * reset (QEMU drains outstanding requests in a reset, which would block
 * the CPU on a device that never answers), so the timed-out requests stay
 * the device's: their memory is never freed, and their late answers, if
 * any, are only counted.
 *
 * Several CPUs: any CPU may read. The ring, the waiting and posted lists,
 * `failed` and the counters are under the device lock (rank
 * LOCK_RANK_BLK), which is never held while a done() runs. A request
 * records the CPU that asked; whoever reaps it (the home CPU, where the
 * interrupt lands and the poller runs, or a CPU polling while it waits)
 * calls done() directly when it is the asker and otherwise hands the
 * completion over to the asker's main loop (kernel/sched/handover.h).
 * The stall timer is the home CPU's: another CPU that posts asks it to
 * arm the timer through a handover.
 *
 * Priorities (kernel/io/prio.h): each request carries its rank, a copy
 * of its requester's urgency. With prio=on the waiting requests are
 * posted most urgent first (fs/blkq.h), and the device holds at most
 * `prio_disk_depth` requests at once: a deep device queue is served in
 * the order it was filled, whatever the urgency of what waits behind
 * it, so ordering only works on a queue the driver keeps. The default,
 * 1, gave urgent cold requests a third of the latency of depth 4 on a
 * seek-bound disk (which was no better than prio=off), at about a fifth
 * less low-priority throughput (tests/integration/test_prio.py load). With
 * prio=off, arrival order and as many as the ring takes, as before.
 */
#define PR_PREFIX "vblk: "
#include "fs/virtio_blk.h"

#include <stdbool.h>

#include "fs/blkq.h"

#include "kernel/arch/time.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/printk.h"
#include "kernel/core/spinlock.h"
#include "kernel/cpu/percpu.h"
#include "kernel/io/prio.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/mm.h"
#include "kernel/param.h"
#include "kernel/sched/completion.h"
#include "kernel/sched/handover.h"
#include "kernel/sched/irq.h"
#include "kernel/sched/mainloop.h"
#include "kernel/sched/thread.h"
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
	struct blkq_node qn; /* [m] waiting list; its rank, always */
	bool waiting; /* [lock] on the waiting list (until the device fails) */
	uint64_t posted_ns; /* [m] when the device got it */
	bool timed_out; /* [lock] done() ran with -ETIMEDOUT, not again */
	bool handed; /* [lock] that done() went to another CPU */
	uint16_t cpu; /* [I] the CPU that asked: done() runs there */
	int err; /* [reaper] result, for a handed-over done() */
	struct handover ho; /* [queue] while handed over */
	struct vblk_req *posted_prev, *posted_next; /* [lock] posted list */
};

struct vblk_dev {
	struct vpci_dev vd; /* [I] after probe */
	struct virtq vq; /* [m] */
	uint64_t capacity; /* [I] sectors */
	uint32_t seg_max; /* [I] data segments per request */
	uint32_t size_max; /* [I] bytes per segment */
	int vector; /* [I] MSI-X or INTx vector, -1 when polled only */
	struct blkq waitq; /* [m] no descriptors (or depth) yet */
	struct vblk_req *posted_head, *posted_tail; /* [m] oldest first */
	bool failed; /* [m] a request timed out: refuse new ones */
	bool aged_last; /* [m] the last post was an aged request */
	struct timer stall_timer; /* [m] armed while requests are out */
	struct vblk_stats stats; /* [lock], interrupts [home CPU] */
	struct spinlock lock;
	uint16_t home_cpu; /* [I] interrupt, poller and stall timer */
	bool stall_arm_pending; /* [atomic] stall_ho queued */
	struct handover stall_ho; /* [queue] arm the stall timer at home */
};

static struct vblk_dev blk_dev;

static uint64_t disk_timeout_ms = 10000;
KPARAM_UINT(disk_timeout_ms, disk_timeout_ms, 100, 3600000,
	    "a disk request unanswered this long fails the device");
static uint64_t prio_disk_depth = 1;
KPARAM_UINT(prio_disk_depth, prio_disk_depth, 1, 1024,
	    "prio=on: disk requests in the device at once (more wait, ordered)");
static uint64_t prio_disk_age_ms = 4000;
KPARAM_UINT(prio_disk_age_ms, prio_disk_age_ms, 0, 600000,
	    "prio=on: a disk request waiting this long goes next (0: never)");

static void posted_add(struct vblk_dev *d, struct vblk_req *r)
{
	r->posted_next = NULL;
	r->posted_prev = d->posted_tail;
	if (d->posted_tail)
		d->posted_tail->posted_next = r;
	else
		d->posted_head = r;
	d->posted_tail = r;
}

static void posted_remove(struct vblk_dev *d, struct vblk_req *r)
{
	if (r->posted_prev)
		r->posted_prev->posted_next = r->posted_next;
	else
		d->posted_head = r->posted_next;
	if (r->posted_next)
		r->posted_next->posted_prev = r->posted_prev;
	else
		d->posted_tail = r->posted_prev;
}

/* The urgency class counting requests of `rank`; NULL for metadata
 * reads, which belong to no request in particular. */
static struct prio_class_stats *class_of(unsigned int rank)
{
	return rank == PRIO_DISK_RANK_META ?
		       NULL :
		       prio_class(PRIO_RANK_URGENCY(rank));
}

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
	r->posted_ns = time_ns();
	posted_add(d, r);
	if (class_of(r->qn.rank))
		class_of(r->qn.rank)->disk_requests++;
	d->stats.requests++;
	d->stats.bytes += bytes;
	d->stats.segments += r->nsegs;
	d->stats.segments_max = MAX(d->stats.segments_max, r->nsegs);
	d->stats.request_bytes_max = MAX(d->stats.request_bytes_max, bytes);
	if (++d->stats.in_flight > d->stats.max_in_flight)
		d->stats.max_in_flight = d->stats.in_flight;
	return 0;
}

/* Home CPU: the stall timer runs while requests are out. */
static void arm_stall_timer(struct vblk_dev *d)
{
	if (!timer_armed(&d->stall_timer) && READ_ONCE(d->posted_head))
		timer_arm_in(&d->stall_timer, VBLK_STALL_MS * 1000000ull);
}

static void stall_arm_handover(struct handover *h)
{
	struct vblk_dev *d = container_of(h, struct vblk_dev, stall_ho);

	__atomic_store_n(&d->stall_arm_pending, false, __ATOMIC_RELAXED);
	arm_stall_timer(d);
}

/* After posting (lock released): make sure the home CPU times it. */
static void watch_posted(struct vblk_dev *d)
{
	if (cpu_self() == d->home_cpu)
		arm_stall_timer(d);
	else if (!__atomic_exchange_n(&d->stall_arm_pending, true,
				      __ATOMIC_RELAXED))
		handover_to(d->home_cpu, &d->stall_ho, stall_arm_handover);
}

/* Whether one more request may go to the device (the ring's room is
 * post's to find out): with prio=on, only under the depth. */
static bool below_depth(const struct vblk_dev *d)
{
	return !prio_enforced() || d->stats.in_flight < prio_disk_depth;
}

static struct vblk_req *req_of(struct blkq_node *n)
{
	return container_of(n, struct vblk_req, qn);
}

static void post_waiting(struct vblk_dev *d)
{
	struct blkq_node *n;
	bool posted = false, aged;

	/* Aged requests take at most every other post: the starved make
	 * progress, and urgent requests still wait for one at most. */
	while ((n = blkq_next(&d->waitq, time_ns(),
			      d->aged_last ? 0 : prio_disk_age_ms * 1000000ull,
			      &aged)) &&
	       below_depth(d) && post(d, req_of(n)) == 0) {
		blkq_take(&d->waitq, n);
		req_of(n)->waiting = false;
		d->aged_last = aged;
		d->stats.waiting--;
		if (aged && class_of(n->rank))
			class_of(n->rank)->disk_aged++;
		if (class_of(n->rank))
			class_of(n->rank)->disk_wait_us +=
				(req_of(n)->posted_ns - n->queued_ns) / 1000;
		posted = true;
	}
	if (posted)
		virtq_kick(&d->vq);
}

/* r found no room: it waits, ahead of the less urgent with prio=on. */
static void enqueue(struct vblk_dev *d, struct vblk_req *r)
{
	uint32_t overtaken[PRIO_DISK_RANKS];
	struct prio_class_stats *pc = class_of(r->qn.rank);
	uint32_t passed;

	r->qn.queued_ns = time_ns();
	r->waiting = true;
	passed = blkq_add(&d->waitq, &r->qn, prio_enforced(), overtaken);
	for (unsigned int k = 1; pc && k < PRIO_DISK_RANKS; k++)
		class_of(k)->disk_overtaken += overtaken[k];
	if (pc && passed)
		pc->disk_jumped++;
	if (pc)
		pc->disk_queued++;
	d->stats.queued++;
	d->stats.waiting++;
}

int vblk_read(struct vblk_dev *d, uint64_t sector,
	      const struct vblk_segment *segs, unsigned int n,
	      unsigned int rank, vblk_done_fn done, void *arg,
	      struct vblk_req **req)
{
	struct vblk_req *r;
	uint64_t bytes = 0;

	if (vblk_usable(d))
		return -ENODEV;
	if (n == 0 || n > d->seg_max)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		if (segs[i].len > d->size_max)
			return -EINVAL;
		bytes += segs[i].len;
	}
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
	r->qn = (struct blkq_node){ .rank = (uint8_t)MIN(rank, PRIO_DISK_RANKS -
								       1u) };
	r->timed_out = false;
	r->handed = false;
	r->waiting = false;
	r->cpu = (uint16_t)cpu_self();
	if (req)
		*req = r;
	spin_lock(&d->lock);
	if (d->failed) { /* failed since the check above */
		d->stats.refused++;
		spin_unlock(&d->lock);
		kfree(r);
		return -ENODEV;
	}
	if (PRIO_RANK_READAHEAD(r->qn.rank))
		class_of(r->qn.rank)->disk_readahead++;
	if (!d->waitq.len && below_depth(d) && post(d, r) == 0)
		virtq_kick(&d->vq);
	else
		enqueue(d, r);
	spin_unlock(&d->lock);
	watch_posted(d);
	return 0;
}

bool vblk_raise(struct vblk_dev *d, struct vblk_req *r, unsigned int rank)
{
	bool moved;

	spin_lock(&d->lock);
	/* A failed device took its waiting list apart and told each
	 * request, unlocked: none of them is on d->waitq any more. */
	moved = r->waiting && !d->failed &&
		blkq_raise(&d->waitq, &r->qn, rank, prio_enforced());
	if (moved && class_of(rank))
		class_of(rank)->disk_raised++;
	spin_unlock(&d->lock);
	return moved;
}

/* A handed-over completion, now on the CPU that asked. */
static void done_here(struct handover *h)
{
	struct vblk_req *r = container_of(h, struct vblk_req, ho);

	r->done(r->arg, r->err);
	if (!r->timed_out)
		kfree(r); /* a posted one that timed out stays the device's */
}

/* Tell r's asker (lock not held): here, or on its CPU. `keep`: the
 * device may still own r (timed out), so do not free it. */
static void deliver(struct vblk_req *r, int err, bool keep)
{
	if (r->cpu != cpu_self()) {
		r->err = err;
		handover_to(r->cpu, &r->ho, done_here);
		return;
	}
	r->done(r->arg, err);
	if (!keep)
		kfree(r);
}

/* Complete everything the device has returned. */
static int reap(struct vblk_dev *d)
{
	struct vblk_req *r, *done = NULL, **tail = &done;
	uint32_t len;
	int n = 0;

	spin_lock(&d->lock);
	while ((r = virtq_get(&d->vq, &len))) {
		/* The status byte is device-written: read it once. */
		uint8_t status = READ_ONCE(r->status);

		d->stats.in_flight--;
		if (r->timed_out) {
			d->stats.late++; /* its caller was told long ago */
			if (!r->handed) /* else its handover may still run */
				kfree(r);
			continue;
		}
		posted_remove(d, r);
		r->err = status == VIRTIO_BLK_S_OK ? 0 : -EIO;
		if (r->err) {
			d->stats.errors++;
			pr_warn("read of sector %llu failed: status %u",
				(unsigned long long)r->hdr.sector, status);
		}
		r->posted_next = NULL; /* unlinked: the links chain `done` */
		*tail = r;
		tail = &r->posted_next;
	}
	spin_unlock(&d->lock);
	while ((r = done)) {
		done = r->posted_next;
		deliver(r, r->err, false);
		n++;
	}
	return n;
}

/*
 * The oldest request went unanswered too long: the device is dead. Fail
 * everything that waits on it; the posted requests keep their memory
 * (the device may still write it) and are only unlinked.
 */
static void fail_device(struct vblk_dev *d, uint64_t now)
{
	struct vblk_req *posted = d->posted_head, *r;
	struct blkq waiting = d->waitq;
	struct blkq_node *qn;
	unsigned int n = 0;

	for (r = posted; r; r = r->posted_next) {
		r->timed_out = true;
		r->handed = r->cpu != cpu_self();
		d->stats.timeouts++;
		n++;
	}
	d->stats.timeouts += waiting.len;
	pr_err("disk failed: sector %llu unanswered for %llu ms; failing %u posted and %llu queued requests",
	       (unsigned long long)posted->hdr.sector,
	       (unsigned long long)((now - posted->posted_ns) / 1000000), n,
	       (unsigned long long)d->stats.waiting);
	d->failed = true;
	d->stats.failed = 1;
	d->posted_head = d->posted_tail = NULL;
	blkq_init(&d->waitq);
	d->stats.waiting = 0;
	/* Detached first and told unlocked: a done() may read again
	 * (refused). The posted ones stay the device's. */
	spin_unlock(&d->lock);
	while ((r = posted)) {
		posted = r->posted_next;
		deliver(r, -ETIMEDOUT, true);
	}
	while ((qn = blkq_pop(&waiting)))
		deliver(req_of(qn), -ETIMEDOUT, false);
	spin_lock(&d->lock);
}

/* Wake the device if it sits on requests it was told about (virtq.c);
 * give up on it when the oldest has waited disk_timeout_ms. Lock held
 * (fail_device drops it while it tells the askers). */
static void check_stall(struct vblk_dev *d)
{
	uint64_t now = time_ns();

	if (d->failed)
		return; /* what it still holds it may keep */
	if (virtq_rekick_if_stalled(&d->vq, now, VBLK_STALL_MS * 1000000ull))
		d->stats.rekicks++;
	if (d->posted_head &&
	    now - d->posted_head->posted_ns > disk_timeout_ms * 1000000ull)
		fail_device(d, now);
}

static void stall_timer_fired(struct timer *t, void *arg)
{
	struct vblk_dev *d = arg;

	spin_lock(&d->lock);
	check_stall(d);
	spin_unlock(&d->lock);
	arm_stall_timer(d);
}

/* Post what waits for descriptors (lock not held). */
static void post_waiting_locked(struct vblk_dev *d)
{
	spin_lock(&d->lock);
	post_waiting(d);
	spin_unlock(&d->lock);
	watch_posted(d);
}

int vblk_poll(void *dev)
{
	struct vblk_dev *d = dev;
	int n = reap(d);
	bool raced;

	spin_lock(&d->lock);
	check_stall(d);
	spin_unlock(&d->lock);
	if (n)
		post_waiting_locked(d);
	/* Re-arm the interrupt; a completion that raced in is reaped now. */
	if (d->vector >= 0) {
		spin_lock(&d->lock);
		raced = virtq_enable_intr(&d->vq);
		spin_unlock(&d->lock);
		if (raced) {
			n += reap(d);
			post_waiting_locked(d);
		}
	}
	/* Without an interrupt, keep the loop from halting while the
	 * device owes us completions. */
	if (d->vector < 0 && READ_ONCE(d->posted_head))
		n++;
	return n;
}

int vblk_read_kmem(struct vblk_dev *d, uint64_t off, void *buf, size_t len,
		   unsigned int rank, vblk_done_fn done, void *arg)
{
	struct vblk_segment segs[VBLK_SEGMENTS_MAX];
	unsigned int n = 0;
	size_t pos = 0;

	if (off % VBLK_SECTOR_SIZE || len % VBLK_SECTOR_SIZE)
		return -EINVAL;
	/* Kernel memory is contiguous; split at page boundaries (and at
	 * size_max) so each segment stays within what the device allows. */
	while (pos < len) {
		uintptr_t va = (uintptr_t)buf + pos;
		size_t chunk =
			MIN(len - pos, PAGE_SIZE - (va & (PAGE_SIZE - 1)));

		chunk = MIN(chunk, d->size_max);

		if (n == d->seg_max)
			return -EINVAL;
		segs[n++] = (struct vblk_segment){ virt_to_phys((void *)va),
						   (uint32_t)chunk };
		pos += chunk;
	}
	return vblk_read(d, off / VBLK_SECTOR_SIZE, segs, n, rank, done, arg,
			 NULL);
}

/*
 * Read whole sectors into kernel memory `buf`, polling for the end. The
 * driver completes every request within disk_timeout_ms, if need be
 * with -ETIMEDOUT, so the wait is bounded without a deadline of its own.
 */
static int read_sectors_sync(struct vblk_dev *d, uint64_t sector, void *buf,
			     size_t len)
{
	struct completion w = { 0 };
	int err;

	d->stats.sync_reads++;
	/* The main loop (or a thread holding the volume) waits on it: it
	 * goes first. */
	err = vblk_read_kmem(d, sector * VBLK_SECTOR_SIZE, buf, len,
			     PRIO_DISK_RANK_META, completion_signal, &w);
	if (err)
		return err;
	if (!thread_current() && mainloop_running())
		d->stats.sync_in_loop++;
	return completion_wait(&w, UINT64_MAX, vblk_poll, d);
}

int vblk_read_sync(struct vblk_dev *d, uint64_t off, void *buf, size_t len)
{
	uint64_t first = off / VBLK_SECTOR_SIZE;
	uint64_t end = DIV_ROUND_UP(off + len, VBLK_SECTOR_SIZE);
	size_t span = (size_t)(end - first) * VBLK_SECTOR_SIZE;
	char *bounce;
	int err;

	if (len == 0 || off + len < off || end > d->capacity ||
	    span > VBLK_BOUNCE_MAX)
		return -EINVAL;
	/* Always through a bounce buffer: if the device times out, it may
	 * still write there, and that memory can be left to it. */
	bounce = kmalloc(span);
	if (!bounce)
		return -ENOMEM;
	err = read_sectors_sync(d, first, bounce, span);
	if (!err)
		memcpy(buf, bounce + off % VBLK_SECTOR_SIZE, len);
	if (err != -ETIMEDOUT)
		kfree(bounce);
	return err;
}

int vblk_usable(struct vblk_dev *d)
{
	if (!READ_ONCE(d->failed))
		return 0;
	spin_lock(&d->lock);
	d->stats.refused++;
	spin_unlock(&d->lock);
	return -ENODEV;
}

void vblk_limits(const struct vblk_dev *d, unsigned int *seg_max,
		 uint32_t *seg_bytes_max)
{
	*seg_max = d->seg_max;
	*seg_bytes_max = d->size_max;
}

uint64_t vblk_capacity(const struct vblk_dev *d)
{
	return d->capacity * VBLK_SECTOR_SIZE;
}

const char *vblk_irq_mode(const struct vblk_dev *d)
{
	return vpci_irq_mode_name(d->vd.irq_mode);
}

void vblk_get_stats(struct vblk_dev *d, struct vblk_stats *st)
{
	spin_lock(&d->lock);
	*st = d->stats;
	spin_unlock(&d->lock);
}

static void vblk_irq(void *arg)
{
	struct vblk_dev *d = arg;

	/* MSI-X needs no ISR read, and the ring is the main loop's: only
	 * count; the dispatcher marks work pending. */
	d->stats.interrupts++;
}

/* Shared INTx: reading the ISR acknowledges the device and tells
 * whether it was this one. */
static bool vblk_intx(void *arg)
{
	struct vblk_dev *d = arg;

	if (!vpci_isr(&d->vd))
		return false;
	d->stats.interrupts++;
	return true;
}

/* Route the queue's interrupt through MSI-X entry 0; -1 if unavailable. */
static int setup_msix(struct vblk_dev *d)
{
	struct pci_dev *pci = d->vd.pci;
	uint64_t addr;
	uint32_t data;
	int vector;

	if (!vpci_use_msix(&d->vd, MSIX_QUEUE_ENTRY + 1))
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
	d->vd.irq_mode = VPCI_IRQ_MSIX;
	return vector;
}

/* MSI-X, else INTx; -1 (polled) when neither can be had. */
static int setup_irq(struct vblk_dev *d)
{
	int vector = setup_msix(d);

	if (vector < 0)
		vector = vpci_attach_intx(&d->vd, vblk_intx, d, "vblk");
	return vector < 0 ? -1 : vector;
}

/* Undo setup_irq after a failed bring-up. */
static void release_irq(struct vblk_dev *d)
{
	if (d->vd.irq_mode == VPCI_IRQ_INTX) {
		irq_detach_shared(d->vector, vblk_intx, d);
	} else if (d->vd.irq_mode == VPCI_IRQ_MSIX) {
		pci_msix_disable(d->vd.pci);
		irq_free_vector(d->vector);
	}
	d->vector = -1;
	d->vd.irq_mode = VPCI_IRQ_POLLED;
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
	d->size_max = UINT32_MAX;
	if ((d->vd.features & VIRTIO_BLK_F_SIZE_MAX) &&
	    cfg.size_max >= VBLK_SECTOR_SIZE)
		d->size_max = cfg.size_max - cfg.size_max % VBLK_SECTOR_SIZE;
	qsize = MIN(vpci_queue_max_size(&d->vd, QUEUE_INDEX), VIRTQ_SIZE_MAX);
	if (qsize < 3) {
		err = -ENODEV;
		goto err_fail;
	}
	/* The ring needs a power of two; round the device maximum down. */
	while (qsize & (qsize - 1))
		qsize &= (uint16_t)(qsize - 1);
	/* A chain is header + segments + status, all in the ring at once:
	 * a longer one could never be posted. */
	d->seg_max = MIN(d->seg_max, (uint32_t)qsize - 2);
	err = virtq_init(&d->vq, QUEUE_INDEX, qsize,
			 d->vd.features & VIRTIO_F_EVENT_IDX, vpci_notify,
			 &d->vd);
	if (err)
		goto err_fail;
	d->vector = setup_irq(d);
	err = vpci_queue_setup(&d->vd, QUEUE_INDEX, qsize,
			       virtq_desc_pa(&d->vq), virtq_avail_pa(&d->vq),
			       virtq_used_pa(&d->vq),
			       d->vd.irq_mode == VPCI_IRQ_MSIX ?
				       MSIX_QUEUE_ENTRY :
				       VIRTIO_MSI_NO_VECTOR);
	if (err)
		goto err_free_vq;
	vpci_driver_ok(&d->vd);
	return 0;

err_free_vq:
	release_irq(d);
	virtq_destroy(&d->vq);
err_fail:
	vpci_fail(&d->vd);
	return err;
}

struct vblk_dev *vblk_probe(void)
{
	struct vblk_dev *d = &blk_dev;
	struct pci_dev *pci;
	char name[PCI_NAME_LEN];
	int err;

	pci = vpci_find(VIRTIO_ID_BLOCK, NULL);
	if (!pci) {
		pr_info("no virtio-blk device");
		return NULL;
	}
	memset(d, 0, sizeof(*d));
	spin_init(&d->lock, "vblk", LOCK_RANK_BLK);
	d->home_cpu = (uint16_t)cpu_self();
	blkq_init(&d->waitq);
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
	pr_info("%s: %llu MiB, queue of %u, %u segments/request%s, irq %s%s",
		pci_name(pci, name),
		(unsigned long long)(d->capacity * VBLK_SECTOR_SIZE >> 20),
		d->vq.size, d->seg_max,
		d->size_max == UINT32_MAX ? "" : " (size_max set)",
		vpci_irq_mode_name(d->vd.irq_mode),
		d->vd.features & VIRTIO_BLK_F_RO ? ", read-only" : "");
	return d;
}
