// SPDX-License-Identifier: MIT
/*
 * Unit tests for fs/pcache.c with a fake backing whose reads complete when
 * the test says so. Checks hits and misses, waiters, readahead accounting,
 * LRU eviction order, that pinned pages are never evicted, and error paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fs/pcache.h"
#include "kernel/io/causal.h"
#include "kernel/io/prio.h"
#include "kernel/cpu/percpu.h"
#include "kernel/sched/handover.h"
#include "kernel/io/iobuf.h"
#include "kernel/lib/errno.h"
#include "kernel/param.h"

#define POOL_PAGES 16
#define MAX_PENDING 64

struct pending {
	struct pcache_file *f;
	uint64_t index;
	struct iobuf *buf;
};

static struct pending pending[MAX_PENDING];
static int npending;
static int reads;
static int fail_sync; /* read_page returns this */
static int sync_mode; /* complete inside read_page */

static void fill(struct pcache_file *f, uint64_t index, struct iobuf *buf)
{
	unsigned char *p = iobuf_map(buf);

	for (int i = 0; i < PAGE_SIZE; i++)
		p[i] = (unsigned char)(f->id * 31 + index * 7 + (uint64_t)i);
	iobuf_unmap(buf, p);
}

static int fake_read(struct pcache_file *f, uint64_t index, struct iobuf *b,
		     unsigned int rank)
{
	(void)rank;
	reads++;
	if (fail_sync)
		return fail_sync;
	fill(f, index, b);
	if (sync_mode) {
		pcache_fill_done(f, index, b, 0);
		return 0;
	}
	assert_true(npending < MAX_PENDING);
	pending[npending++] = (struct pending){ f, index, b };
	return 0;
}

static const struct pcache_backing_ops ops = { .read_page = fake_read };

static int last_read_rank = -1;
static int raises, raised_rank = -1;
static uint64_t raised_index;

static int ranked_read(struct pcache_file *f, uint64_t index, struct iobuf *b,
		       unsigned int rank)
{
	last_read_rank = (int)rank;
	return fake_read(f, index, b, rank);
}

static void fake_raise(struct pcache_file *f, uint64_t index, unsigned int rank)
{
	(void)f;
	raises++;
	raised_index = index;
	raised_rank = (int)rank;
}

static const struct pcache_backing_ops raising_ops = {
	.read_page = ranked_read,
	.raise = fake_raise,
};

/* Complete every pending read, in order, with err. */
static void complete_all(int err)
{
	while (npending) {
		struct pending p = pending[0];

		memmove(pending, pending + 1, --npending * sizeof(pending[0]));
		pcache_fill_done(p.f, p.index, p.buf, err);
	}
}

struct result {
	int calls;
	int err;
	struct iobuf *buf;
};

static void on_done(void *arg, struct iobuf *buf, int err)
{
	struct result *r = arg;

	r->calls++;
	r->err = err;
	r->buf = buf;
}

static struct pcache_stats st(void)
{
	struct pcache_stats s;

	pcache_get_stats(&s);
	return s;
}

static int group_setup(void **state)
{
	(void)state;
	if (iobuf_pool_init(POOL_PAGES))
		return -1;
	return pcache_init(POOL_PAGES, 8, CACHE_POLICY_LRU);
}

static int reset(void **state)
{
	(void)state;
	pcache_reclaim(UINT64_MAX);
	npending = 0;
	reads = 0;
	fail_sync = 0;
	sync_mode = 0;
	return 0;
}

static void test_miss_then_hit(void **state)
{
	static struct pcache_file f;
	struct pcache_waiter w;
	struct result r = { 0 };
	struct iobuf *b;

	(void)state;
	pcache_file_init(&f, 1, 3 * PAGE_SIZE + 10, &ops, NULL);
	w = (struct pcache_waiter){ .fn = on_done, .arg = &r };
	/* Random access pattern (page 2 first): no readahead. */
	assert_int_equal(pcache_get(&f, 2, &b, &w), -EINPROGRESS);
	assert_int_equal(reads, 1);
	assert_int_equal(r.calls, 0);
	complete_all(0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.err, 0);
	assert_int_equal(r.buf->len, PAGE_SIZE);
	assert_int_equal(r.buf->refcnt, 1); /* the waiter's reference */
	iobuf_unref(r.buf);

	/* Last page is short; a hit hands out the same buffer. */
	assert_int_equal(pcache_get(&f, 3, &b, &w), -EINPROGRESS);
	complete_all(0);
	assert_int_equal(r.buf->len, 10);
	struct iobuf *again;
	assert_int_equal(pcache_get(&f, 3, &again, &w), 0);
	assert_ptr_equal(again, r.buf);
	assert_int_equal(again->refcnt, 2);
	unsigned char *p = iobuf_map(again);
	assert_int_equal(p[5], (unsigned char)(31 + 3 * 7 + 5));
	iobuf_unref(again);
	iobuf_unref(r.buf);
	assert_int_equal(pcache_get(&f, 4, &b, &w), -EINVAL);
	assert_true(st().hits >= 1);
}

/* Priority inheritance: a more urgent demand reader joining a page being
 * read for a less urgent one asks the backing to raise that fill, once
 * per more urgent rank; an equal or less urgent one does not. */
static void test_urgent_waiter_raises_the_fill(void **state)
{
	static struct pcache_file f;
	static const struct causal low = { .urgency = 7 },
				   urgent = { .urgency = 0 },
				   mid = { .urgency = 3 };
	struct result r[4] = { 0 };
	struct pcache_waiter w[4];
	const struct causal *who[4] = { &low, &mid, &urgent, &urgent };
	struct iobuf *b;
	uint64_t before = st().waits_raised;

	(void)state;
	raises = 0;
	pcache_file_init(&f, 11, 100 * PAGE_SIZE, &raising_ops, NULL);
	for (int i = 0; i < 4; i++)
		w[i] = (struct pcache_waiter){ .fn = on_done,
					       .arg = &r[i],
					       .cause = who[i] };
	/* Page 50 (random: alone) missed at u=7. */
	assert_int_equal(pcache_get(&f, 50, &b, &w[0]), -EINPROGRESS);
	assert_int_equal(last_read_rank, PRIO_DISK_RANK(7, false));
	/* u=3 joins: raised to its rank. */
	assert_int_equal(pcache_get(&f, 50, &b, &w[1]), -EINPROGRESS);
	assert_int_equal(raises, 1);
	assert_int_equal(raised_index, 50);
	assert_int_equal(raised_rank, PRIO_DISK_RANK(3, false));
	/* u=0 joins: raised again; a second u=0 finds it raised already. */
	assert_int_equal(pcache_get(&f, 50, &b, &w[2]), -EINPROGRESS);
	assert_int_equal(pcache_get(&f, 50, &b, &w[3]), -EINPROGRESS);
	assert_int_equal(raises, 2);
	assert_int_equal(raised_rank, PRIO_DISK_RANK(0, false));
	assert_int_equal(st().waits_raised - before, 2);
	assert_int_equal(reads, 1);
	complete_all(0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(r[i].calls, 1);
		iobuf_unref(r[i].buf);
	}
	/* Missed at u=0 first: a u=7 joiner raises nothing. */
	w[0].cause = &urgent;
	w[1].cause = &low;
	assert_int_equal(pcache_get(&f, 70, &b, &w[0]), -EINPROGRESS);
	assert_int_equal(pcache_get(&f, 70, &b, &w[1]), -EINPROGRESS);
	assert_int_equal(raises, 2);
	complete_all(0);
	iobuf_unref(r[0].buf);
	iobuf_unref(r[1].buf);
}

static void test_waiters_share_one_read(void **state)
{
	static struct pcache_file f;
	struct result r[3] = { 0 };
	struct pcache_waiter w[3];
	struct iobuf *b;

	(void)state;
	pcache_file_init(&f, 2, 100 * PAGE_SIZE, &ops, NULL);
	for (int i = 0; i < 3; i++) {
		w[i] = (struct pcache_waiter){ .fn = on_done, .arg = &r[i] };
		assert_int_equal(pcache_get(&f, 50, &b, &w[i]), -EINPROGRESS);
	}
	assert_int_equal(reads, 1);
	assert_int_equal(pcache_cancel(&f, 50, &w[1]), 1);
	assert_int_equal(pcache_cancel(&f, 50, &w[1]), 0);
	complete_all(0);
	assert_int_equal(r[0].calls, 1);
	assert_int_equal(r[1].calls, 0);
	assert_int_equal(r[2].calls, 1);
	assert_ptr_equal(r[0].buf, r[2].buf);
	assert_int_equal(r[0].buf->refcnt, 2);
	iobuf_unref(r[0].buf);
	iobuf_unref(r[2].buf);
}

/* A waiter queued from CPU 1 on a page CPU 0 fills is not called on
 * CPU 0: it is handed to CPU 1, holding its reference, and runs in CPU
 * 1's loop (with the cache lock free by then on CPU 0). */
static void test_waiter_runs_on_its_cpu(void **state)
{
	static struct pcache_file f;
	struct result r0 = { 0 }, r1 = { 0 };
	struct pcache_waiter w0 = { .fn = on_done, .arg = &r0 };
	struct pcache_waiter w1 = { .fn = on_done, .arg = &r1 };
	struct iobuf *b;

	(void)state;
	pcache_file_init(&f, 9, 40 * PAGE_SIZE, &ops, NULL);
	assert_int_equal(pcache_get(&f, 20, &b, &w0), -EINPROGRESS);
	fake_cpu_id = 1;
	assert_int_equal(pcache_get(&f, 20, &b, &w1), -EINPROGRESS);
	assert_int_equal(reads, 1); /* one read for both CPUs */
	fake_cpu_id = 0;
	complete_all(0);
	assert_int_equal(r0.calls, 1);
	assert_int_equal(r1.calls, 0); /* not on CPU 0 */
	assert_int_equal(handover_poll(NULL), 0); /* nothing for CPU 0 */
	assert_int_equal(r0.buf->refcnt, 2); /* w0's and w1's */
	fake_cpu_id = 1;
	assert_int_equal(handover_poll(NULL), 1);
	assert_int_equal(r1.calls, 1);
	assert_int_equal(r1.err, 0);
	assert_ptr_equal(r1.buf, r0.buf);
	iobuf_unref(r1.buf); /* the last unref may come from any CPU */
	fake_cpu_id = 0;
	iobuf_unref(r0.buf);
	assert_int_equal(r0.buf->refcnt, 0);
	/* cached and evictable, found again by either CPU */
	fake_cpu_id = 1;
	assert_int_equal(pcache_get(&f, 20, &b, &w1), 0);
	iobuf_unref(b);
	fake_cpu_id = 0;
}

static void test_sequential_readahead(void **state)
{
	static struct pcache_file f;
	struct pcache_stats s0 = st();
	struct result r = { 0 };
	struct pcache_waiter w = { .fn = on_done, .arg = &r };
	struct iobuf *b;

	(void)state;
	pcache_file_init(&f, 3, 12 * PAGE_SIZE, &ops, NULL);
	sync_mode = 1;
	for (uint64_t i = 0; i < 12; i++) {
		int err = pcache_get(&f, i, &b, &w);

		if (err == -EINPROGRESS)
			b = r.buf; /* completed synchronously */
		else
			assert_int_equal(err, 0);
		iobuf_unref(b);
	}
	/* Only page 0 was a miss; the rest came from readahead. */
	assert_int_equal(st().misses - s0.misses, 1);
	assert_int_equal(st().readahead_issued - s0.readahead_issued, 11);
	assert_int_equal(st().readahead_used - s0.readahead_used, 11);
	assert_int_equal(reads, 12);
}

static void test_eviction_lru_and_pinning(void **state)
{
	static struct pcache_file f;
	struct result r = { 0 };
	struct pcache_waiter w = { .fn = on_done, .arg = &r };
	struct iobuf *held[4], *b;

	(void)state;
	pcache_file_init(&f, 4, 1000 * PAGE_SIZE, &ops, NULL);
	sync_mode = 1;
	/* Pin 4 pages (random order: no readahead). */
	for (int i = 0; i < 4; i++) {
		pcache_get(&f, (uint64_t)(900 - i * 10), &b, &w);
		held[i] = r.buf;
	}
	/* Stream many more through the rest of the pool (page 0 starts
	 * a readahead window: some later gets are hits). */
	for (uint64_t i = 0; i < 200; i += 3) {
		if (pcache_get(&f, i, &b, &w) == -EINPROGRESS)
			b = r.buf;
		iobuf_unref(b);
	}
	assert_true(st().evictions > 0);
	/* The pinned pages survived with their content. */
	for (int i = 0; i < 4; i++) {
		struct iobuf *again;

		assert_int_equal(pcache_get(&f, (uint64_t)(900 - i * 10),
					    &again, &w),
				 0);
		assert_ptr_equal(again, held[i]);
		unsigned char *p = iobuf_map(again);
		assert_int_equal(
			p[1], (unsigned char)(4 * 31 + (900 - i * 10) * 7 + 1));
		iobuf_unref(again);
		iobuf_unref(held[i]);
	}
	/* Oldest unreferenced goes first: 3 was read early, 198 last. */
	assert_int_equal(pcache_get(&f, 198, &b, &w), 0);
	iobuf_unref(b);
}

static void test_pool_full_of_pinned_pages(void **state)
{
	static struct pcache_file f;
	struct result r = { 0 };
	struct pcache_waiter w = { .fn = on_done, .arg = &r };
	struct iobuf *held[POOL_PAGES], *b;
	uint64_t nomem = st().nomem;

	(void)state;
	pcache_file_init(&f, 5, 1000 * PAGE_SIZE, &ops, NULL);
	sync_mode = 1;
	for (int i = 0; i < POOL_PAGES; i++) {
		assert_int_equal(pcache_get(&f, (uint64_t)i * 2 + 1, &b, &w),
				 -EINPROGRESS);
		held[i] = r.buf;
	}
	assert_int_equal(pcache_get(&f, 999, &b, &w), -ENOMEM);
	assert_int_equal(st().nomem, nomem + 1);
	for (int i = 0; i < POOL_PAGES; i++)
		iobuf_unref(held[i]);
	assert_int_equal(pcache_get(&f, 999, &b, &w), -EINPROGRESS);
	iobuf_unref(r.buf);
}

static void test_read_errors(void **state)
{
	static struct pcache_file f;
	struct result r = { 0 };
	struct pcache_waiter w = { .fn = on_done, .arg = &r };
	struct iobuf *b;
	struct iobuf_stats is0, is1;

	(void)state;
	pcache_file_init(&f, 6, 10 * PAGE_SIZE, &ops, NULL);
	iobuf_get_stats(&is0);
	fail_sync = -EIO;
	assert_int_equal(pcache_get(&f, 7, &b, &w), -EIO);
	assert_int_equal(r.calls, 0);
	fail_sync = 0;
	assert_int_equal(pcache_get(&f, 5, &b, &w), -EINPROGRESS);
	complete_all(-EIO);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.err, -EIO);
	assert_null(r.buf);
	iobuf_get_stats(&is1);
	assert_int_equal(is1.free_pages, is0.free_pages); /* nothing leaked */
	/* The failed page is not cached: the next get reads again. */
	reads = 0;
	assert_int_equal(pcache_get(&f, 5, &b, &w), -EINPROGRESS);
	assert_int_equal(reads, 1);
	complete_all(0);
	iobuf_unref(r.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_miss_then_hit, reset),
		cmocka_unit_test_setup(test_waiters_share_one_read, reset),
		cmocka_unit_test_setup(test_waiter_runs_on_its_cpu, reset),
		cmocka_unit_test_setup(test_sequential_readahead, reset),
		cmocka_unit_test_setup(test_eviction_lru_and_pinning, reset),
		cmocka_unit_test_setup(test_pool_full_of_pinned_pages, reset),
		cmocka_unit_test_setup(test_read_errors, reset),
		cmocka_unit_test_setup(test_urgent_waiter_raises_the_fill,
				       reset),
	};
	return cmocka_run_group_tests_name("pcache", tests, group_setup, NULL);
}
