// SPDX-License-Identifier: MIT
/*
 * Unit tests for kernel/virtio/virtq.c. A fake device plays the other side of
 * the split ring the way virtio 1.2 2.7 describes it: it pops chains from
 * the available ring, records their descriptors, and pushes used entries
 * in whatever order a test asks for; it also publishes avail_event and
 * honours used_event like QEMU does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/errno.h"
#include "kernel/param.h"
#include "kernel/virtio/virtq.h"
#include "tests/fakes/fake_pmm.h"
#include "tests/fakes/fake_printk.h"

#define CHAIN_MAX 8

struct popped {
	uint16_t head;
	unsigned int n;
	struct virtq_desc d[CHAIN_MAX];
};

struct fake_dev {
	struct virtq *vq;
	uint16_t last_avail; /* avail entries consumed */
	uint16_t used_idx; /* used entries produced */
	uint16_t signalled; /* used_idx at the last interrupt decision */
	unsigned int notifies; /* doorbell writes seen */
	uint16_t notified_index;
};

static struct fake_dev dev;
static struct virtq vq;

static void fake_notify(void *arg, uint16_t index)
{
	struct fake_dev *fd = arg;

	fd->notifies++;
	fd->notified_index = index;
}

/* Pop the next available chain; false when the ring is empty. */
static bool dev_pop(struct popped *p)
{
	struct virtq *q = dev.vq;
	uint16_t idx;

	if (dev.last_avail == q->avail->idx)
		return false;
	p->head = q->avail->ring[dev.last_avail & (q->size - 1)];
	dev.last_avail++;
	assert_true(p->head < q->size);
	idx = p->head;
	for (p->n = 0;; p->n++) {
		assert_true(p->n < CHAIN_MAX);
		p->d[p->n] = q->desc[idx];
		if (!(q->desc[idx].flags & VIRTQ_DESC_F_NEXT))
			break;
		idx = q->desc[idx].next;
		assert_true(idx < q->size);
	}
	p->n++;
	return true;
}

/* Ask for a doorbell on the next chain the driver adds (2.7.10). */
static void dev_want_notify(void)
{
	*dev.vq->avail_event = dev.last_avail;
}

static void dev_push(uint16_t head, uint32_t len)
{
	struct virtq *q = dev.vq;

	q->used->ring[dev.used_idx & (q->size - 1)].id = head;
	q->used->ring[dev.used_idx & (q->size - 1)].len = len;
	dev.used_idx++;
	q->used->idx = dev.used_idx;
}

/* Whether the device would interrupt now (QEMU's should_notify). */
static bool dev_should_interrupt(void)
{
	struct virtq *q = dev.vq;
	uint16_t old = dev.signalled;

	dev.signalled = dev.used_idx;
	if (q->event_idx)
		return virtq_need_event(*q->used_event, dev.used_idx, old);
	return !(q->avail->flags & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

static int setup_size(uint16_t size, bool event_idx)
{
	memset(&dev, 0, sizeof(dev));
	if (virtq_init(&vq, 3, size, event_idx, fake_notify, &dev))
		return -1;
	dev.vq = &vq;
	fake_printk_reset();
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return setup_size(8, false);
}

static int setup_event(void **state)
{
	(void)state;
	return setup_size(8, true);
}

static int teardown(void **state)
{
	(void)state;
	virtq_destroy(&vq);
	assert_int_equal(fake_pmm_pages_outstanding(), 0);
	return 0;
}

static struct virtq_seg seg(uint64_t pa, uint32_t len)
{
	struct virtq_seg s = { .pa = pa, .len = len };
	return s;
}

static void test_init_rejects_bad_sizes(void **state)
{
	struct virtq q;

	(void)state;
	assert_int_equal(virtq_init(&q, 0, 0, false, fake_notify, &dev),
			 -EINVAL);
	assert_int_equal(virtq_init(&q, 0, 12, false, fake_notify, &dev),
			 -EINVAL);
	assert_int_equal(virtq_init(&q, 0, 2 * VIRTQ_SIZE_MAX, false,
				    fake_notify, &dev),
			 -EINVAL);
	assert_int_equal(virtq_init(&q, 0, 8, false, NULL, &dev), -EINVAL);
	fake_pmm_fail_after(0);
	assert_int_equal(virtq_init(&q, 0, 8, false, fake_notify, &dev),
			 -ENOMEM);
	fake_pmm_fail_after(-1);
	assert_int_equal(fake_pmm_pages_outstanding(), 0);
}

static void test_layout_alignment(void **state)
{
	(void)state;
	assert_int_equal(virtq_desc_pa(&vq) % 16, 0);
	assert_int_equal(virtq_avail_pa(&vq) % 2, 0);
	assert_int_equal(virtq_used_pa(&vq) % 4, 0);
	assert_true(virtq_avail_pa(&vq) >= virtq_desc_pa(&vq) + 16 * 8);
	assert_true(virtq_used_pa(&vq) >= virtq_avail_pa(&vq) + 4 + 2 * 9);
	/* Everything the ring needs starts zeroed. */
	assert_int_equal(vq.avail->idx, 0);
	assert_int_equal(vq.used->idx, 0);
	assert_int_equal(*vq.avail_event, 0);
	assert_int_equal(virtq_free_count(&vq), 8);
}

static void test_round_trip(void **state)
{
	struct virtq_seg out = seg(0x1000, 100);
	struct popped p;
	uint32_t len = 0;
	int cookie;

	(void)state;
	assert_int_equal(virtq_add(&vq, &out, 1, NULL, 0, &cookie), 0);
	assert_int_equal(virtq_free_count(&vq), 7);
	assert_true(virtq_kick(&vq));
	assert_int_equal(dev.notifies, 1);
	assert_int_equal(dev.notified_index, 3);
	assert_true(dev_pop(&p));
	assert_int_equal(p.n, 1);
	assert_int_equal(p.d[0].addr, 0x1000);
	assert_int_equal(p.d[0].len, 100);
	assert_int_equal(p.d[0].flags, 0);
	assert_false(dev_pop(&p));

	assert_null(virtq_get(&vq, &len));
	dev_push(p.head, 0);
	assert_ptr_equal(virtq_get(&vq, &len), &cookie);
	assert_int_equal(len, 0);
	assert_null(virtq_get(&vq, &len));
	assert_int_equal(virtq_free_count(&vq), 8);
	assert_int_equal(vq.stats.added, 1);
	assert_int_equal(vq.stats.completed, 1);
	assert_int_equal(vq.stats.bad_used, 0);
}

static void test_chain_of_segments(void **state)
{
	struct virtq_seg out[2] = { seg(0x10000, 10), seg(0x20000, 4096) };
	struct virtq_seg in[3] = { seg(0x30000, 1), seg(0x40000, 1500),
				   seg(0x50000, 7) };
	struct popped p;
	uint32_t len;
	unsigned int i;
	int cookie;

	(void)state;
	assert_int_equal(virtq_add(&vq, out, 2, in, 3, &cookie), 0);
	assert_int_equal(virtq_free_count(&vq), 3);
	assert_true(dev_pop(&p));
	assert_int_equal(p.n, 5);
	for (i = 0; i < 5; i++) {
		const struct virtq_seg *s = i < 2 ? &out[i] : &in[i - 2];

		assert_int_equal(p.d[i].addr, s->pa);
		assert_int_equal(p.d[i].len, s->len);
		assert_int_equal(!!(p.d[i].flags & VIRTQ_DESC_F_WRITE), i >= 2);
		assert_int_equal(!!(p.d[i].flags & VIRTQ_DESC_F_NEXT), i < 4);
	}
	dev_push(p.head, 1 + 1500 + 7);
	assert_ptr_equal(virtq_get(&vq, &len), &cookie);
	assert_int_equal(len, 1508);
	assert_int_equal(virtq_free_count(&vq), 8);
}

static void test_exhaustion(void **state)
{
	struct virtq_seg s[9];
	struct popped p;
	int cookies[8];
	uint32_t len;
	unsigned int i;

	(void)state;
	for (i = 0; i < 9; i++)
		s[i] = seg(0x1000 * (i + 1), 64);
	/* Bad requests: nothing may change. */
	assert_int_equal(virtq_add(&vq, s, 0, s, 0, &cookies[0]), -EINVAL);
	assert_int_equal(virtq_add(&vq, s, 1, NULL, 0, NULL), -EINVAL);
	assert_int_equal(virtq_add(&vq, s, 9, NULL, 0, &cookies[0]), -EINVAL);
	s[8].len = 0;
	assert_int_equal(virtq_add(&vq, s, 1, &s[8], 1, &cookies[0]), -EINVAL);
	assert_int_equal(virtq_free_count(&vq), 8);
	assert_int_equal(vq.avail->idx, 0);

	assert_int_equal(virtq_add(&vq, s, 3, NULL, 0, &cookies[0]), 0);
	assert_int_equal(virtq_add(&vq, s, 3, NULL, 0, &cookies[1]), 0);
	assert_int_equal(virtq_free_count(&vq), 2);
	assert_int_equal(virtq_add(&vq, s, 2, s, 1, &cookies[2]), -ENOSPC);
	assert_int_equal(virtq_free_count(&vq), 2);
	assert_int_equal(vq.avail->idx, 2);
	assert_int_equal(virtq_add(&vq, s, 1, s, 1, &cookies[2]), 0);
	assert_int_equal(virtq_free_count(&vq), 0);
	assert_int_equal(virtq_add(&vq, s, 1, NULL, 0, &cookies[3]), -ENOSPC);

	/* Completing the first chain frees exactly its three descriptors. */
	assert_true(dev_pop(&p));
	dev_push(p.head, 0);
	assert_ptr_equal(virtq_get(&vq, &len), &cookies[0]);
	assert_int_equal(virtq_free_count(&vq), 3);
	assert_int_equal(virtq_add(&vq, s, 3, NULL, 0, &cookies[3]), 0);
	assert_int_equal(virtq_add(&vq, s, 1, NULL, 0, &cookies[4]), -ENOSPC);
}

/* One in-flight chain of test_wraparound. */
struct tag {
	bool busy;
	uint32_t len; /* what the device will report */
};

/* Take back a completed chain and check it is the one we expect. */
static void check_get(struct tag *tags, unsigned int ntags)
{
	struct tag *t;
	uint32_t len;

	t = virtq_get(&vq, &len);
	assert_non_null(t);
	assert_true(t >= tags && t < tags + ntags);
	assert_true(t->busy);
	assert_int_equal(len, t->len);
	t->busy = false;
}

/* Many chains of 1..4 segments through a small ring, completed out of
 * order, for more than 2^16 operations: indices wrap, nothing leaks. */
static void test_wraparound(void **state)
{
	enum { OPS = 70000, SIZE = 16 };
	struct virtq_seg segs[4];
	struct popped pending[SIZE];
	struct tag tags[SIZE] = { 0 };
	unsigned int npending = 0, i, k, n, pick, done = 0;
	uint32_t rng = 12345;

	(void)state;
	virtq_destroy(&vq);
	assert_int_equal(setup_size(SIZE, true), 0);
	for (i = 0; i < OPS; i++) {
		rng = rng * 1103515245u + 12345u;
		n = 1 + (rng >> 16) % 4;
		while (virtq_free_count(&vq) < n) {
			/* Device: pop everything, complete a random one. */
			while (npending < SIZE && dev_pop(&pending[npending]))
				npending++;
			assert_true(npending > 0);
			rng = rng * 1103515245u + 12345u;
			pick = (rng >> 16) % npending;
			dev_push(pending[pick].head,
				 pending[pick].d[pending[pick].n - 1].len);
			pending[pick] = pending[--npending];
			check_get(tags, SIZE);
			done++;
		}
		for (k = 0; tags[k].busy; k++)
			assert_true(k + 1 < SIZE);
		tags[k].busy = true;
		tags[k].len = 64 + (i % 1000);
		segs[0] = seg(0x1000, 32);
		segs[1] = seg(0x2000, 32);
		segs[2] = seg(0x3000, 32);
		segs[n - 1] = seg(0x10000 + i, tags[k].len); /* writable */
		assert_int_equal(virtq_add(&vq, segs, n - 1, &segs[n - 1], 1,
					   &tags[k]),
				 0);
		virtq_kick(&vq);
	}
	/* Drain. */
	while (npending < SIZE && dev_pop(&pending[npending]))
		npending++;
	while (npending) {
		npending--;
		dev_push(pending[npending].head,
			 pending[npending].d[pending[npending].n - 1].len);
		check_get(tags, SIZE);
		done++;
	}
	assert_int_equal(done, OPS);
	for (k = 0; k < SIZE; k++)
		assert_false(tags[k].busy);
	assert_int_equal(virtq_free_count(&vq), SIZE);
	assert_int_equal(vq.stats.added, OPS);
	assert_int_equal(vq.avail->idx, (uint16_t)OPS);
	assert_int_equal(vq.used->idx, (uint16_t)OPS);
	assert_int_equal(vq.stats.bad_used, 0);
	assert_true(vq.stats.kicks > 0);
}

static void test_need_event(void **state)
{
	(void)state;
	/* event in [old, new) */
	assert_true(virtq_need_event(5, 6, 5));
	assert_true(virtq_need_event(5, 10, 0));
	assert_false(virtq_need_event(5, 5, 0));
	assert_false(virtq_need_event(5, 10, 6));
	/* across the 16-bit wrap */
	assert_true(virtq_need_event(0xffff, 2, 0xfff0));
	assert_true(virtq_need_event(1, 2, 0xfff0));
	assert_false(virtq_need_event(2, 2, 0xfff0));
	assert_false(virtq_need_event(0xffef, 2, 0xfff0));
}

static void test_kick_event_idx(void **state)
{
	struct virtq_seg s = seg(0x1000, 8);
	struct popped p;
	int c;

	(void)state;
	assert_false(virtq_kick(&vq)); /* nothing added */
	assert_int_equal(dev.notifies, 0);

	/* avail_event 0: the device wants a kick for entry 0. */
	assert_int_equal(virtq_add(&vq, &s, 1, NULL, 0, &c), 0);
	assert_true(virtq_kick(&vq));
	/* Device did not consume yet (avail_event still 0): no kick. */
	assert_int_equal(virtq_add(&vq, &s, 1, NULL, 0, &c), 0);
	assert_false(virtq_kick(&vq));
	assert_int_equal(dev.notifies, 1);
	assert_int_equal(vq.stats.kicks_suppressed, 1);

	/* Device drains both and re-arms at its position (2). */
	assert_true(dev_pop(&p));
	assert_true(dev_pop(&p));
	dev_want_notify();
	assert_int_equal(virtq_add(&vq, &s, 1, NULL, 0, &c), 0);
	assert_int_equal(virtq_add(&vq, &s, 1, NULL, 0, &c), 0);
	assert_true(virtq_kick(&vq)); /* one kick covers both */
	assert_int_equal(dev.notifies, 2);

	/* Device asks for a kick only once entry 5 is added. */
	*vq.avail_event = 5;
	assert_int_equal(virtq_add(&vq, &s, 1, NULL, 0, &c), 0); /* idx 4 */
	assert_false(virtq_kick(&vq));
	assert_int_equal(virtq_add(&vq, &s, 1, NULL, 0, &c), 0); /* idx 5 */
	assert_true(virtq_kick(&vq));
	assert_int_equal(dev.notifies, 3);
	/* The used ring's NO_NOTIFY flag is ignored with event idx. */
	vq.used->flags = VIRTQ_USED_F_NO_NOTIFY;
	*vq.avail_event = 6;
	assert_int_equal(virtq_add(&vq, &s, 1, NULL, 0, &c), 0);
	assert_true(virtq_kick(&vq));
}

static void test_kick_event_idx_wraps(void **state)
{
	struct virtq_seg s = seg(0x1000, 8);
	struct popped p;
	uint32_t len;
	unsigned int i;
	int c;

	(void)state;
	/* Move the indices to just before the wrap; the device keeps its
	 * avail_event at 0xfffe from then on. */
	for (i = 0; i < 0xfffe; i++) {
		assert_int_equal(virtq_add(&vq, &s, 1, NULL, 0, &c), 0);
		assert_true(dev_pop(&p));
		dev_push(p.head, 0);
		assert_non_null(virtq_get(&vq, &len));
	}
	virtq_kick(&vq);
	*vq.avail_event = 0xfffe;
	dev.notifies = 0;
	assert_int_equal(virtq_add(&vq, &s, 1, NULL, 0, &c), 0); /* 0xfffe */
	assert_int_equal(virtq_add(&vq, &s, 1, NULL, 0, &c), 0); /* 0xffff */
	assert_int_equal(virtq_add(&vq, &s, 1, NULL, 0, &c), 0); /* 0x0000 */
	assert_int_equal(vq.avail->idx, 1);
	assert_true(virtq_kick(&vq));
	assert_int_equal(virtq_add(&vq, &s, 1, NULL, 0, &c), 0);
	assert_false(virtq_kick(&vq));
	assert_int_equal(dev.notifies, 1);
}

static void test_kick_flags(void **state)
{
	struct virtq_seg s = seg(0x1000, 8);
	int c;

	(void)state;
	assert_int_equal(virtq_add(&vq, &s, 1, NULL, 0, &c), 0);
	assert_true(virtq_kick(&vq));
	vq.used->flags = VIRTQ_USED_F_NO_NOTIFY;
	assert_int_equal(virtq_add(&vq, &s, 1, NULL, 0, &c), 0);
	assert_false(virtq_kick(&vq));
	vq.used->flags = 0;
	assert_false(virtq_kick(&vq)); /* already decided for that chain */
	assert_int_equal(virtq_add(&vq, &s, 1, NULL, 0, &c), 0);
	assert_true(virtq_kick(&vq));
	assert_int_equal(dev.notifies, 2);
	assert_int_equal(vq.stats.kicks, 2);
	assert_int_equal(vq.stats.kicks_suppressed, 1);
}

static void test_out_of_order_cookies(void **state)
{
	static const unsigned int order[4] = { 2, 0, 3, 1 };
	struct virtq_seg in = seg(0x8000, 1000);
	struct popped p[4];
	int cookies[4];
	uint32_t len;
	unsigned int i, round;

	(void)state;
	for (round = 0; round < 3; round++) {
		for (i = 0; i < 4; i++)
			assert_int_equal(virtq_add(&vq, NULL, 0, &in, 1,
						   &cookies[i]),
					 0);
		for (i = 0; i < 4; i++)
			assert_true(dev_pop(&p[i]));
		for (i = 0; i < 4; i++)
			dev_push(p[order[i]].head, 100 + order[i]);
		for (i = 0; i < 4; i++) {
			assert_ptr_equal(virtq_get(&vq, &len),
					 &cookies[order[i]]);
			assert_int_equal(len, 100 + order[i]);
		}
		assert_null(virtq_get(&vq, &len));
		assert_int_equal(virtq_free_count(&vq), 8);
	}
}

static void test_bad_used_entries(void **state)
{
	struct virtq_seg in = seg(0x8000, 512);
	struct popped p;
	uint32_t len;
	int c;

	(void)state;
	assert_int_equal(virtq_add(&vq, NULL, 0, &in, 1, &c), 0);
	assert_true(dev_pop(&p));
	dev_push(200, 1); /* id out of range */
	dev_push((uint16_t)(p.head + 1), 1); /* never posted */
	dev_push(p.head, 4096); /* longer than the buffer */
	assert_ptr_equal(virtq_get(&vq, &len), &c);
	assert_int_equal(len, 512); /* clamped */
	assert_int_equal(vq.stats.bad_used, 3);
	assert_non_null(strstr(fake_printk_log(), "bad used entry id 200"));
	assert_int_equal(virtq_free_count(&vq), 8);
	dev_push(p.head, 1); /* duplicate completion */
	assert_null(virtq_get(&vq, &len));
	assert_int_equal(vq.stats.bad_used, 4);
}

static void test_intr_flags(void **state)
{
	struct virtq_seg in = seg(0x8000, 64);
	struct popped p;
	uint32_t len;
	int c;

	(void)state;
	virtq_disable_intr(&vq);
	assert_int_equal(vq.avail->flags, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_int_equal(virtq_add(&vq, NULL, 0, &in, 1, &c), 0);
	assert_true(dev_pop(&p));
	dev_push(p.head, 1);
	assert_false(dev_should_interrupt());
	/* The race: the completion came while interrupts were off. */
	assert_true(virtq_enable_intr(&vq));
	assert_int_equal(vq.avail->flags, 0);
	assert_ptr_equal(virtq_get(&vq, &len), &c);
	assert_false(virtq_enable_intr(&vq));
	assert_int_equal(virtq_add(&vq, NULL, 0, &in, 1, &c), 0);
	assert_true(dev_pop(&p));
	dev_push(p.head, 1);
	assert_true(dev_should_interrupt());
}

static void test_intr_event_idx(void **state)
{
	struct virtq_seg in = seg(0x8000, 64);
	struct popped p;
	uint32_t len;
	int c[3];

	(void)state;
	/* Enabled: the device interrupts for the first completion. */
	assert_int_equal(virtq_add(&vq, NULL, 0, &in, 1, &c[0]), 0);
	assert_true(dev_pop(&p));
	dev_push(p.head, 1);
	assert_true(dev_should_interrupt());
	assert_ptr_equal(virtq_get(&vq, &len), &c[0]);
	assert_int_equal(*vq.used_event, 1); /* next interrupt after 1 */
	assert_int_equal(vq.avail->flags, 0); /* must stay 0 (2.7.7.2) */

	/* Disabled: completions raise no interrupt. */
	virtq_disable_intr(&vq);
	assert_int_equal(vq.avail->flags, 0);
	assert_int_equal(virtq_add(&vq, NULL, 0, &in, 1, &c[1]), 0);
	assert_int_equal(virtq_add(&vq, NULL, 0, &in, 1, &c[2]), 0);
	assert_true(dev_pop(&p));
	dev_push(p.head, 1);
	assert_false(dev_should_interrupt());
	assert_ptr_equal(virtq_get(&vq, &len), &c[1]);
	assert_int_equal(*vq.used_event, 0); /* not re-armed by get */

	/* Re-enabled with nothing pending: the next completion interrupts. */
	assert_false(virtq_enable_intr(&vq));
	assert_int_equal(*vq.used_event, 2);
	assert_true(dev_pop(&p));
	dev_push(p.head, 1);
	assert_true(dev_should_interrupt());
	assert_ptr_equal(virtq_get(&vq, &len), &c[2]);
}

/* A device that missed a doorbell is notified again once the queue has
 * made no progress for the timeout, and only then. */
static void test_rekick_after_stall(void **state)
{
	const uint64_t ms = 1000000, timeout = 20 * ms;
	struct virtq_seg s = seg(0x1000, 8);
	struct popped p;
	uint32_t len;
	int c;

	(void)state;
	/* Nothing outstanding: never a kick, however long. */
	assert_false(virtq_rekick_if_stalled(&vq, 0, timeout));
	assert_false(virtq_rekick_if_stalled(&vq, 1000 * ms, timeout));
	assert_int_equal(virtq_add(&vq, &s, 1, NULL, 0, &c), 0);
	assert_true(virtq_kick(&vq));
	/* Outstanding, but not for long enough yet. */
	assert_false(virtq_rekick_if_stalled(&vq, 1010 * ms, timeout));
	assert_int_equal(dev.notifies, 1);
	assert_true(virtq_rekick_if_stalled(&vq, 1021 * ms, timeout));
	assert_int_equal(dev.notifies, 2);
	assert_int_equal(vq.stats.rekicks, 1);
	/* The next one waits a whole timeout again. */
	assert_false(virtq_rekick_if_stalled(&vq, 1030 * ms, timeout));
	/* A completion is progress: the clock restarts from it. */
	assert_true(dev_pop(&p));
	dev_push(p.head, 0);
	assert_ptr_equal(virtq_get(&vq, &len), &c);
	assert_int_equal(virtq_add(&vq, &s, 1, NULL, 0, &c), 0);
	assert_false(virtq_rekick_if_stalled(&vq, 1045 * ms, timeout));
	assert_false(virtq_rekick_if_stalled(&vq, 1060 * ms, timeout));
	assert_true(virtq_rekick_if_stalled(&vq, 1066 * ms, timeout));
	assert_int_equal(dev.notifies, 3);
	assert_int_equal(dev.notified_index, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects_bad_sizes),
		cmocka_unit_test(test_need_event),
		cmocka_unit_test_setup_teardown(test_layout_alignment, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_round_trip, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_chain_of_segments, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exhaustion, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wraparound, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_kick_event_idx,
						setup_event, teardown),
		cmocka_unit_test_setup_teardown(test_kick_event_idx_wraps,
						setup_event, teardown),
		cmocka_unit_test_setup_teardown(test_kick_flags, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_out_of_order_cookies,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_used_entries, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_intr_flags, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_intr_event_idx,
						setup_event, teardown),
		cmocka_unit_test_setup_teardown(test_rekick_after_stall,
						setup_event, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
