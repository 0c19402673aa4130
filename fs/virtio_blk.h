/* SPDX-License-Identifier: MIT */
/*
 * virtio-blk driver (virtio 1.2, 5.2), read-only. Reads are asynchronous:
 * vblk_read() posts a request whose data segments point straight at the
 * caller's memory (page-cache pages: no bounce copy) and the completion
 * callback runs from the main loop when the device is done, with 0 or
 * -EIO (device status not OK). Requests beyond the ring's capacity wait
 * in a queue and are posted as descriptors free up, so any number may be
 * in flight: in arrival order, or by rank with prio=on (kernel/io/prio.h,
 * where the device also holds at most `prio_disk_depth` at once). Completions are found by the MSI-X interrupt (which only
 * marks work pending) and by polling from the main loop.
 * vblk_read_sync() is the blocking path for metadata: a thread sleeps,
 * the main loop polls the ring, until its request completes.
 *
 * A device that leaves a request unanswered for `disk_timeout_ms` (boot
 * switch, default 10 s; the ring re-kicks a stalled device every
 * VBLK_STALL_MS before that) is marked failed: every request waiting on
 * it completes with -ETIMEDOUT, and new reads are refused with -ENODEV.
 * After -ETIMEDOUT the device may still write the request's memory: the
 * caller must never reuse it (leak it).
 *
 * Any CPU may read (main loop or thread context): done() runs on the CPU
 * that posted the request, handed over there when another CPU reaped it
 * (the device lock, rank LOCK_RANK_BLK, is never held while it runs).
 */
#ifndef FS_VIRTIO_BLK_H
#define FS_VIRTIO_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VBLK_SECTOR_SIZE 512

struct vblk_dev;
struct vblk_req;

struct vblk_segment {
	uint64_t pa; /* physical address of the destination */
	uint32_t len; /* bytes; the request's total is a sector multiple */
};

typedef void (*vblk_done_fn)(void *arg, int err);

struct vblk_stats {
	uint64_t requests; /* posted to the device */
	uint64_t bytes;
	uint64_t segments; /* data segments of those requests */
	uint64_t segments_max; /* most in one request */
	uint64_t request_bytes_max; /* largest request */
	uint64_t errors; /* completed with a status other than OK */
	uint64_t queued; /* had to wait for free descriptors */
	uint64_t in_flight, max_in_flight;
	uint64_t waiting; /* now: queued for descriptors */
	uint64_t interrupts;
	uint64_t sync_reads;
	uint64_t sync_in_loop; /* of those, the main loop spun for */
	uint64_t rekicks; /* notified again after a stall (virtq.c) */
	uint64_t failed; /* 1 once a request timed out: device given up */
	uint64_t timeouts; /* requests completed with -ETIMEDOUT */
	uint64_t refused; /* reads refused (-ENODEV) since */
	uint64_t late; /* answers that came after their timeout */
};

/* Bring up the first virtio-blk device; NULL (and a log line) if none
 * or it cannot be driven. */
struct vblk_dev *vblk_probe(void);

/* 0, or -ENODEV (counted as refused) once the device has failed: lets a
 * caller refuse a read before preparing it. */
int vblk_usable(struct vblk_dev *d);

/* Capacity in bytes. */
uint64_t vblk_capacity(const struct vblk_dev *d);

/* What one request may carry: data segments (the device's seg_max, at
 * most VBLK_SEGMENTS_MAX and what the ring can ever hold) and bytes per
 * segment (the device's size_max, UINT32_MAX when it names none). */
void vblk_limits(const struct vblk_dev *d, unsigned int *seg_max,
		 uint32_t *seg_bytes_max);

/*
 * Read sectors starting at `sector` into `n` segments (their lengths add
 * up to a multiple of VBLK_SECTOR_SIZE; within vblk_limits()), at `rank`
 * (PRIO_DISK_RANK of the requester's urgency; a copy, kept with it).
 * Returns 0 and calls done(arg, err) later (err 0, -EIO for a device
 * error, -ETIMEDOUT: see above), or -EINVAL (beyond the capacity, bad
 * lengths) / -ENOMEM / -ENODEV (device failed) without calling it.
 * `req` (may be NULL) gets the request's handle for vblk_raise(), valid
 * from before any done() until done() returns.
 */
int vblk_read(struct vblk_dev *d, uint64_t sector,
	      const struct vblk_segment *segs, unsigned int n,
	      unsigned int rank, vblk_done_fn done, void *arg,
	      struct vblk_req **req);

/*
 * Priority inheritance: a reader of `rank` now waits on request r. If r
 * still waits in the driver's queue, with prio=on, at a less urgent rank,
 * it moves up to `rank` (counted in that urgency's `disk_raised`); one the
 * device already has cannot be hurried. Returns whether it moved.
 */
bool vblk_raise(struct vblk_dev *d, struct vblk_req *r, unsigned int rank);

/* vblk_read into kernel memory: `off` and `len` in bytes, both sector
 * multiples (the segments are made at page boundaries). */
int vblk_read_kmem(struct vblk_dev *d, uint64_t off, void *buf, size_t len,
		   unsigned int rank, vblk_done_fn done, void *arg);

/* Blocking read of any byte range into kernel memory (copies through a
 * sector-aligned bounce buffer), at the most urgent rank: its caller
 * waits with nothing else to do. 0, -EINVAL, -EIO, -ENOMEM, -ETIMEDOUT
 * or -ENODEV. */
int vblk_read_sync(struct vblk_dev *d, uint64_t off, void *buf, size_t len);

/* Process completions; returns how many. Registered as a poller. */
int vblk_poll(void *dev);

/* "msix", "intx" or "polled": how the device signals completions. */
const char *vblk_irq_mode(const struct vblk_dev *d);

void vblk_get_stats(struct vblk_dev *d, struct vblk_stats *st);

#endif
