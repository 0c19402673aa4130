// SPDX-License-Identifier: MIT
/*
 * Split virtqueue (interface in kernel/virtio/virtq.h), virtio 1.2 section 2.7.
 *
 * One physically contiguous allocation holds, in order: the descriptor
 * table, the available ring (with used_event at its tail), the used ring
 * (with avail_event), and the driver-only per-head arrays (cookie, chain
 * length, writable bytes). Free descriptors are linked through their own
 * `next` fields, as the device never looks at a descriptor it was not
 * given. The driver writes desc/avail/used_event; the device writes the
 * used ring and avail_event, which are read here only with READ_ONCE.
 *
 * Barriers (kernel/cpu/barrier.h) pair with the device's as in 2.7.13:
 * descriptors and the ring entry before avail->idx (wmb), avail->idx
 * before reading the device's notification request (mb), used->idx
 * before the used entry it covers (rmb), and our interrupt request
 * before re-reading used->idx (mb).
 */
#define PR_PREFIX "virtq: "
#include "kernel/virtio/virtq.h"

#include "kernel/core/printk.h"
#include "kernel/cpu/barrier.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/pmm.h"
#include "kernel/param.h"

#define RING_ALIGN 64 /* cache line: keep device- and driver-written apart */
#define KICK_FORCE 0x8000u /* more unkicked chains than event idx can tell */

struct layout {
	size_t avail, used, cookie, chain_len, in_bytes, total;
};

static void get_layout(uint16_t size, struct layout *l)
{
	l->avail = sizeof(struct virtq_desc) * size;
	l->used = ALIGN_UP(l->avail + sizeof(struct virtq_avail) +
				   sizeof(uint16_t) * (size + 1u),
			   (size_t)RING_ALIGN);
	l->cookie = ALIGN_UP(l->used + sizeof(struct virtq_used) +
				     sizeof(struct virtq_used_elem) * size +
				     sizeof(uint16_t),
			     sizeof(void *));
	l->chain_len = l->cookie + sizeof(void *) * size;
	l->in_bytes = ALIGN_UP(l->chain_len + sizeof(uint16_t) * size,
			       sizeof(uint32_t));
	l->total = l->in_bytes + sizeof(uint32_t) * size;
}

/* Total bytes virtq_init allocates for `size` descriptors. */
size_t virtq_mem_bytes(uint16_t size)
{
	struct layout l;

	get_layout(size, &l);
	return l.total;
}

/* Allocate zeroed rings and put every descriptor on the free list. */
int virtq_init(struct virtq *vq, uint16_t index, uint16_t size, bool event_idx,
	       virtq_notify_fn notify, void *notify_arg)
{
	struct layout l;
	uint8_t *mem;
	uint16_t i;

	if (size == 0 || size > VIRTQ_SIZE_MAX || size > VIRTQ_SIZE_LIMIT ||
	    (size & (size - 1)) || !notify)
		return -EINVAL;
	memset(vq, 0, sizeof(*vq));
	get_layout(size, &l);
	vq->mem_pages = DIV_ROUND_UP(l.total, (size_t)PAGE_SIZE);
	vq->mem_pa = pmm_alloc(vq->mem_pages, 1);
	if (!vq->mem_pa)
		return -ENOMEM;
	mem = phys_to_virt(vq->mem_pa);
	memset(mem, 0, vq->mem_pages * PAGE_SIZE);
	vq->index = index;
	vq->size = size;
	vq->event_idx = event_idx;
	vq->desc = (struct virtq_desc *)mem;
	vq->avail = (struct virtq_avail *)(mem + l.avail);
	vq->used = (struct virtq_used *)(mem + l.used);
	vq->used_event = &vq->avail->ring[size];
	vq->avail_event = (uint16_t *)&vq->used->ring[size];
	vq->cookie = (void **)(mem + l.cookie);
	vq->chain_len = (uint16_t *)(mem + l.chain_len);
	vq->in_bytes = (uint32_t *)(mem + l.in_bytes);
	vq->notify = notify;
	vq->notify_arg = notify_arg;
	for (i = 0; i + 1 < size; i++)
		vq->desc[i].next = i + 1;
	vq->num_free = size;
	vq->intr_enabled = true;
	return 0;
}

/* Give the ring memory back to the frame allocator. */
void virtq_destroy(struct virtq *vq)
{
	if (vq->mem_pa)
		pmm_free(vq->mem_pa, vq->mem_pages);
	memset(vq, 0, sizeof(*vq));
}

/* Descriptor table address for queue_desc. */
uint64_t virtq_desc_pa(const struct virtq *vq)
{
	return virt_to_phys(vq->desc);
}

/* Available ring address for queue_driver. */
uint64_t virtq_avail_pa(const struct virtq *vq)
{
	return virt_to_phys(vq->avail);
}

/* Used ring address for queue_device. */
uint64_t virtq_used_pa(const struct virtq *vq)
{
	return virt_to_phys(vq->used);
}

static int check_segs(const struct virtq_seg *s, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (s[i].len == 0)
			return -EINVAL;
	return 0;
}

/* Fill free descriptors with one chain and publish its head. */
int virtq_add(struct virtq *vq, const struct virtq_seg *out, unsigned int n_out,
	      const struct virtq_seg *in, unsigned int n_in, void *cookie)
{
	unsigned int n = n_out + n_in, i;
	const struct virtq_seg *s;
	uint16_t head, idx;
	uint32_t in_bytes = 0;
	struct virtq_desc *d;

	if (n_out > vq->size || n_in > vq->size || n == 0 || n > vq->size ||
	    !cookie || check_segs(out, n_out) || check_segs(in, n_in))
		return -EINVAL;
	if (n > vq->num_free)
		return -ENOSPC;
	head = idx = vq->free_head;
	for (i = 0; i < n; i++) {
		s = i < n_out ? &out[i] : &in[i - n_out];
		d = &vq->desc[idx];
		d->addr = s->pa;
		d->len = s->len;
		d->flags = (i >= n_out ? VIRTQ_DESC_F_WRITE : 0) |
			   (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0);
		if (i >= n_out)
			in_bytes += s->len;
		idx = d->next; /* free-list link doubles as chain link */
	}
	vq->free_head = idx;
	vq->num_free -= n;
	vq->cookie[head] = cookie;
	vq->chain_len[head] = (uint16_t)n;
	vq->in_bytes[head] = in_bytes;
	vq->avail->ring[vq->avail_idx & (vq->size - 1)] = head;
	/* The descriptors and the ring entry before avail->idx: once the
	 * device sees the new index it may read both. */
	wmb();
	vq->avail_idx++;
	WRITE_ONCE(vq->avail->idx, vq->avail_idx);
	vq->num_added++;
	vq->stats.added++;
	return 0;
}

/* Ring the doorbell unless the device said it does not need it. */
bool virtq_kick(struct virtq *vq)
{
	uint16_t new_idx = vq->avail_idx;
	uint16_t old_idx = (uint16_t)(new_idx - vq->num_added);
	bool need;

	if (vq->num_added == 0)
		return false;
	/* avail->idx (virtq_add) before reading avail_event/used->flags: a
	 * device that is just going idle either sees our new index or has
	 * already published the request we are about to read. */
	mb();
	if (vq->num_added >= KICK_FORCE)
		need = true; /* index distance no longer meaningful */
	else if (vq->event_idx)
		need = virtq_need_event(READ_ONCE(*vq->avail_event), new_idx,
					old_idx);
	else
		need = !(READ_ONCE(vq->used->flags) & VIRTQ_USED_F_NO_NOTIFY);
	vq->num_added = 0;
	if (need) {
		vq->stats.kicks++;
		vq->notify(vq->notify_arg, vq->index);
	} else {
		vq->stats.kicks_suppressed++;
	}
	return need;
}

/*
 * A missed notification leaves the device idle with chains published past
 * its avail_event, forever: seen with QEMU 7.2 (TCG, loaded host) on
 * virtio-blk, where 85 requests sat unread while the device had completed
 * everything before them. Notifying again costs one exit and is always
 * allowed (2.7.13.3), so a queue whose outstanding chains made no
 * progress for `timeout_ns` is kicked regardless of the event index.
 */
bool virtq_rekick_if_stalled(struct virtq *vq, uint64_t now_ns,
			     uint64_t timeout_ns)
{
	if (vq->num_free == vq->size ||
	    vq->stats.completed != vq->stall_completed) {
		vq->stall_completed = vq->stats.completed;
		vq->stall_since = now_ns;
		return false;
	}
	if (now_ns - vq->stall_since < timeout_ns)
		return false;
	vq->stall_since = now_ns;
	vq->stats.rekicks++;
	vq->notify(vq->notify_arg, vq->index);
	return true;
}

/* Return a chain's descriptors to the free list. */
static void free_chain(struct virtq *vq, uint16_t head)
{
	uint16_t last = head, n = vq->chain_len[head];

	while (--n)
		last = vq->desc[last].next;
	vq->desc[last].next = vq->free_head;
	vq->free_head = head;
	vq->num_free += vq->chain_len[head];
	vq->cookie[head] = NULL;
}

static void report_bad(struct virtq *vq, uint32_t id, uint32_t len)
{
	vq->stats.bad_used++;
	if (vq->bad_reported)
		return;
	vq->bad_reported = true;
	pr_err("queue %u: device returned bad used entry id %u len %u",
	       vq->index, id, len);
}

/* Whether a completed chain is waiting. */
bool virtq_has_used(const struct virtq *vq)
{
	return READ_ONCE(vq->used->idx) != vq->last_used;
}

/* Consume used entries until a valid one is found or none is left. */
void *virtq_get(struct virtq *vq, uint32_t *len)
{
	struct virtq_used_elem *e;
	uint32_t id, n;
	void *cookie;

	while (virtq_has_used(vq)) {
		/* used->idx before the entry it covers. */
		rmb();
		e = &vq->used->ring[vq->last_used & (vq->size - 1)];
		id = READ_ONCE(e->id);
		n = READ_ONCE(e->len);
		vq->last_used++;
		if (id >= vq->size || !vq->cookie[id]) {
			report_bad(vq, id, n); /* skip: never posted */
			continue;
		}
		if (n > vq->in_bytes[id]) {
			report_bad(vq, id, n);
			n = vq->in_bytes[id];
		}
		cookie = vq->cookie[id];
		free_chain(vq, id);
		if (vq->event_idx && vq->intr_enabled) {
			WRITE_ONCE(*vq->used_event, vq->last_used);
			/* used_event before the next used->idx read, so a
			 * completion the device adds meanwhile is either seen
			 * by our next poll or interrupts. */
			mb();
		}
		vq->stats.completed++;
		*len = n;
		return cookie;
	}
	return NULL;
}

/* Suppress completion interrupts: flags without event index; with it,
 * an event index the device has already passed (it fires again only
 * after 2^16 completions, long after virtq_enable_intr). */
void virtq_disable_intr(struct virtq *vq)
{
	vq->intr_enabled = false;
	if (vq->event_idx)
		WRITE_ONCE(*vq->used_event, (uint16_t)(vq->last_used - 1));
	else
		WRITE_ONCE(vq->avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
}

/* Re-arm completion interrupts and re-check for a racing completion. */
bool virtq_enable_intr(struct virtq *vq)
{
	vq->intr_enabled = true;
	if (vq->event_idx)
		WRITE_ONCE(*vq->used_event, vq->last_used);
	else
		WRITE_ONCE(vq->avail->flags, 0);
	/* Our request before re-reading used->idx: a completion the device
	 * published before it saw the request raised no interrupt, so it
	 * must be found by this read. */
	mb();
	return virtq_has_used(vq);
}
