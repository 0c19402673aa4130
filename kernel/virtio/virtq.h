/* SPDX-License-Identifier: MIT */
/*
 * Split virtqueue (virtio 1.2, 2.7), independent of the transport.
 *
 *   virtq_init      allocate and zero the rings (pmm_alloc, identity-
 *                   mapped, so ring addresses are physical addresses);
 *                   hand virtq_*_pa() to the transport's queue setup
 *   virtq_add       post one chain: device-readable `out` segments, then
 *                   device-writable `in` segments, plus an owner cookie
 *   virtq_kick      notify the device if it asked for it (event index
 *                   or the used ring's NO_NOTIFY flag)
 *   virtq_get       take one completed chain: its cookie and the bytes
 *                   the device wrote
 *   virtq_enable_intr / virtq_disable_intr   interrupt suppression
 *
 * Ownership: a buffer posted with virtq_add() belongs to the device until
 * virtq_get() returns its cookie; a failed virtq_add() took nothing.
 * The transport is reached only through the notify hook, so the unit
 * test drives the ring with a fake device (tests/kernel/test_virtq.c).
 * Locking: [m] main loop only; IRQ handlers never touch a virtq.
 */
#ifndef KERNEL_VIRTIO_VIRTQ_H
#define KERNEL_VIRTIO_VIRTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"

/* ring feature bits (6) */
#define VIRTIO_F_INDIRECT_DESC (1ull << 28)
#define VIRTIO_F_EVENT_IDX (1ull << 29)

#define VIRTQ_DESC_F_NEXT 1 /* chain continues in `next` */
#define VIRTQ_DESC_F_WRITE 2 /* device-writable */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY 1

#define VIRTQ_SIZE_LIMIT 32768 /* split ring maximum (2.7) */

/* Device-visible layouts (2.7.5, 2.7.6, 2.7.8); little-endian. */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
STATIC_ASSERT(sizeof(struct virtq_desc) == 16);

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[]; /* [size], then uint16_t used_event */
};
STATIC_ASSERT(sizeof(struct virtq_avail) == 4);

struct virtq_used_elem {
	uint32_t id; /* head descriptor of the chain */
	uint32_t len; /* bytes written into the chain */
};
STATIC_ASSERT(sizeof(struct virtq_used_elem) == 8);

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[]; /* [size], then uint16_t avail_event */
};
STATIC_ASSERT(sizeof(struct virtq_used) == 4);

/* One buffer segment: physical address and length (> 0). */
struct virtq_seg {
	uint64_t pa;
	uint32_t len;
};

/* Doorbell of queue `index` (vpci_notify for the PCI transport). */
typedef void (*virtq_notify_fn)(void *arg, uint16_t index);

struct virtq_stats {
	uint64_t added; /* chains posted */
	uint64_t completed; /* chains returned by virtq_get */
	uint64_t kicks; /* notifications sent */
	uint64_t kicks_suppressed; /* virtq_kick calls the device waived */
	uint64_t bad_used; /* device errors: bad id or length */
	uint64_t rekicks; /* virtq_rekick_if_stalled notifications */
};

struct virtq {
	/* [I] after virtq_init */
	uint16_t index;
	uint16_t size; /* power of two */
	bool event_idx; /* VIRTIO_F_EVENT_IDX negotiated */
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t *used_event; /* tail of avail: written by us */
	uint16_t *avail_event; /* tail of used: written by the device */
	void **cookie; /* per chain head; NULL = free */
	uint16_t *chain_len; /* per chain head: descriptors */
	uint32_t *in_bytes; /* per chain head: device-writable bytes */
	uint64_t mem_pa;
	size_t mem_pages;
	virtq_notify_fn notify;
	void *notify_arg;

	/* [m] */
	uint16_t free_head; /* first free descriptor, linked by `next` */
	uint16_t num_free;
	uint16_t avail_idx; /* our copy of avail->idx */
	uint16_t last_used; /* used entries consumed so far (mod 2^16) */
	uint32_t num_added; /* chains published since the last kick */
	bool intr_enabled;
	bool bad_reported; /* first device error was logged */
	uint64_t stall_completed; /* stats.completed at the last progress */
	uint64_t stall_since; /* ns: time of that progress */
	struct virtq_stats stats;
};

/*
 * The event index test of 2.7.7.2/2.7.10: whether moving an index from
 * `old` to `new` crossed `event`, i.e. event is in [old, new) mod 2^16.
 */
static inline bool virtq_need_event(uint16_t event, uint16_t new_idx,
				    uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

/* Bytes of ring memory for `size` descriptors (for sizing decisions). */
size_t virtq_mem_bytes(uint16_t size);

/* Allocate queue `index` with `size` (power of two <= VIRTQ_SIZE_MAX)
 * descriptors, interrupts enabled. 0, -EINVAL or -ENOMEM. */
int virtq_init(struct virtq *vq, uint16_t index, uint16_t size, bool event_idx,
	       virtq_notify_fn notify, void *notify_arg);

/* Free the rings. The device must be reset first; chains still posted
 * are forgotten (their buffers are the caller's again). */
void virtq_destroy(struct virtq *vq);

/* Ring addresses for the transport. */
uint64_t virtq_desc_pa(const struct virtq *vq);
uint64_t virtq_avail_pa(const struct virtq *vq);
uint64_t virtq_used_pa(const struct virtq *vq);

/* Post out[0..n_out) then in[0..n_in) as one chain owned by `cookie`
 * (non-NULL). Borrows the segment arrays, gives the buffers to the
 * device. 0; -ENOSPC if fewer than n_out + n_in descriptors are free;
 * -EINVAL for an empty chain, a zero-length segment, a NULL cookie or a
 * chain longer than the ring. On error nothing was posted. */
int virtq_add(struct virtq *vq, const struct virtq_seg *out, unsigned int n_out,
	      const struct virtq_seg *in, unsigned int n_in, void *cookie);

/* Notify the device of chains added since the last kick, unless it
 * suppressed notifications. Returns whether the doorbell was rung. */
bool virtq_kick(struct virtq *vq);

/* Notify again if chains are outstanding and none completed for
 * `timeout_ns` up to `now_ns`; true if it did (see virtq.c). */
bool virtq_rekick_if_stalled(struct virtq *vq, uint64_t now_ns,
			     uint64_t timeout_ns);

/* Take the next completed chain: returns its cookie and sets *len to the
 * bytes the device wrote, or NULL when none is ready. The chain's buffers
 * are the caller's again. */
void *virtq_get(struct virtq *vq, uint32_t *len);

/* Whether virtq_get() would return a chain now. */
bool virtq_has_used(const struct virtq *vq);

/* Ask the device not to interrupt for completions (a hint). */
void virtq_disable_intr(struct virtq *vq);

/* Ask for an interrupt on the next completion. Returns true if some
 * completion is already pending: the caller must poll again before it
 * sleeps, or it may wait for an interrupt that will never come. */
bool virtq_enable_intr(struct virtq *vq);

/* Descriptors free for virtq_add(). */
static inline uint16_t virtq_free_count(const struct virtq *vq)
{
	return vq->num_free;
}

#endif
