// SPDX-License-Identifier: MIT
/*
 * Unit tests for the page cache's readahead (fs/pcache.c) with a batch
 * backing (read_pages) that records each call: a sequential reader gets
 * windows that start at READAHEAD_START pages and double up to the cap,
 * each window one backing call; random access reads single pages; pages
 * read ahead and evicted unused shrink the file's cap, and use restores
 * it; interleaved readers of one file each keep their own stream; the
 * request whose miss starts a batch is handed to the backing with it
 * (Causeway: the disk request carries its context), readahead issued
 * for nobody in particular carries none.
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
#include "kernel/io/iobuf.h"
#include "kernel/io/prio.h"
#include "kernel/lib/errno.h"
#include "kernel/param.h"

#define POOL_PAGES 2048
#define CAP 256 /* readahead= in pages: 1 MiB */
#define MAX_BATCHES 256

struct batch {
	uint64_t id, first;
	uint32_t n;
	const struct causal *cause;
	unsigned int rank; /* disk rank the cache asked for */
};

static struct batch batches[MAX_BATCHES];
static int nbatches;
static int single_reads;

static void fill(struct pcache_file *f, uint64_t index, struct iobuf *buf)
{
	unsigned char *p = iobuf_map(buf);

	p[0] = (unsigned char)(f->id + index);
	iobuf_unmap(buf, p);
}

static int fake_read_page(struct pcache_file *f, uint64_t index,
			  struct iobuf *b, unsigned int rank)
{
	(void)rank;
	single_reads++;
	fill(f, index, b);
	pcache_fill_done(f, index, b, 0);
	return 0;
}

/* Completes synchronously, in page order, as the real backing may. */
static int fake_read_pages(struct pcache_file *f, uint64_t first,
			   struct iobuf *const *bufs, uint32_t n,
			   const struct causal *cause, unsigned int rank)
{
	assert_true(nbatches < MAX_BATCHES);
	batches[nbatches++] = (struct batch){ f->id, first, n, cause, rank };
	for (uint32_t i = 0; i < n; i++) {
		fill(f, first + i, bufs[i]);
		pcache_fill_done(f, first + i, bufs[i], 0);
	}
	return 0;
}

static const struct pcache_backing_ops ops = {
	.read_page = fake_read_page,
	.read_pages = fake_read_pages,
};

struct result {
	struct iobuf *buf;
	int err;
};

static void on_done(void *arg, struct iobuf *buf, int err)
{
	struct result *r = arg;

	r->buf = buf;
	r->err = err;
}

/* Look page `index` up for request `cause` and let go of it; checks its
 * content. */
static void touch_for(struct pcache_file *f, uint64_t index,
		      const struct causal *cause)
{
	struct result r = { 0 };
	struct pcache_waiter w = { .fn = on_done, .arg = &r, .cause = cause };
	struct iobuf *b = NULL;
	int err = pcache_get(f, index, &b, &w);

	if (err == -EINPROGRESS)
		b = r.buf; /* completed synchronously */
	else
		assert_int_equal(err, 0);
	assert_non_null(b);
	unsigned char *p = iobuf_map(b);
	assert_int_equal(p[0], (unsigned char)(f->id + index));
	iobuf_unmap(b, p);
	iobuf_unref(b);
}

static void touch(struct pcache_file *f, uint64_t index)
{
	touch_for(f, index, NULL);
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
	return pcache_init(POOL_PAGES, CAP, CACHE_POLICY_LRU);
}

static int reset(void **state)
{
	(void)state;
	pcache_reclaim(UINT64_MAX);
	nbatches = 0;
	single_reads = 0;
	return 0;
}

static void test_window_grows_on_sequential_access(void **state)
{
	static struct pcache_file f;
	static const uint32_t want[] = { 32, 64, 128, 256, 256, 256 };
	struct pcache_stats s0 = st();

	(void)state;
	pcache_file_init(&f, 1000, 1000 * PAGE_SIZE, &ops, NULL);
	for (uint64_t i = 0; i < 1000; i++)
		touch(&f, i);
	/* 32 + 64 + 128 + 256 * 3 = 992, and the last 8 pages. */
	assert_int_equal(nbatches, 7);
	for (int i = 0; i < 6; i++)
		assert_int_equal(batches[i].n, want[i]);
	assert_int_equal(batches[6].n, 8);
	/* Windows follow each other without a gap or overlap. */
	for (int i = 1; i < nbatches; i++)
		assert_int_equal(batches[i].first,
				 batches[i - 1].first + batches[i - 1].n);
	assert_int_equal(single_reads, 0);
	assert_int_equal(st().misses - s0.misses, 1);
	assert_int_equal(st().readahead_issued - s0.readahead_issued, 999);
	assert_int_equal(st().readahead_used - s0.readahead_used, 999);
	assert_int_equal(st().readahead_grows - s0.readahead_grows, 3);
	assert_int_equal(st().readahead_window_max, CAP);
	assert_int_equal(st().batch_reads - s0.batch_reads, 7);
}

static void test_readahead_stays_ahead(void **state)
{
	static struct pcache_file f;

	(void)state;
	pcache_file_init(&f, 2000, 4000 * PAGE_SIZE, &ops, NULL);
	/* When page p is first looked up, a window beyond it is issued:
	 * at the start of each window, the next one goes out. */
	touch(&f, 0);
	assert_int_equal(nbatches, 1);
	touch(&f, 1);
	assert_int_equal(nbatches, 2); /* [32, 96) while 1..31 are in */
	for (uint64_t i = 2; i < 32; i++)
		touch(&f, i);
	assert_int_equal(nbatches, 2);
	touch(&f, 32);
	assert_int_equal(nbatches, 3);
	assert_int_equal(batches[2].first, 96);
}

/* The reader's urgency travels into the disk rank: its miss is a demand
 * read (2u + 1), the window its lookups trigger readahead (2u + 2). */
static void test_rank_follows_the_reader(void **state)
{
	static struct pcache_file lo, hi;
	struct causal u7 = { .urgency = 7 }, u0 = { .urgency = 0 };

	(void)state;
	pcache_file_init(&lo, 5000, 400 * PAGE_SIZE, &ops, NULL);
	pcache_file_init(&hi, 5001, 400 * PAGE_SIZE, &ops, NULL);
	touch_for(&lo, 0, &u7);
	touch_for(&lo, 1, &u7);
	touch_for(&hi, 0, &u0);
	touch_for(&hi, 1, &u0);
	assert_int_equal(nbatches, 4);
	assert_int_equal(batches[0].rank, PRIO_DISK_RANK(7, false));
	assert_int_equal(batches[1].rank, PRIO_DISK_RANK(7, true));
	assert_int_equal(batches[2].rank, PRIO_DISK_RANK(0, false));
	assert_int_equal(batches[3].rank, PRIO_DISK_RANK(0, true));
	assert_int_equal(batches[1].rank, 16);
	assert_int_equal(batches[3].rank, 2);
}

static void test_random_access_reads_single_pages(void **state)
{
	static struct pcache_file f;
	static const uint64_t order[] = { 500, 17, 300, 301 - 200, 42, 7 };
	struct pcache_stats s0 = st();

	(void)state;
	pcache_file_init(&f, 3000, 1000 * PAGE_SIZE, &ops, NULL);
	for (unsigned int i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		touch(&f, order[i]);
	for (int i = 0; i < nbatches; i++)
		assert_int_equal(batches[i].n, 1);
	assert_int_equal(st().readahead_issued, s0.readahead_issued);
}

static void test_waste_shrinks_and_use_restores(void **state)
{
	static struct pcache_file f;
	struct pcache_stats s0 = st();
	uint32_t largest = 0;

	(void)state;
	pcache_file_init(&f, 4000, 4000 * PAGE_SIZE, &ops, NULL);
	/* A reader that stops after two pages: 0..95 were read, 94 of them
	 * for nothing. Evicting them halves the cap (a quarter cap, 64
	 * pages, of waste per halving). */
	touch(&f, 0);
	touch(&f, 1);
	pcache_reclaim(UINT64_MAX);
	assert_int_equal(st().readahead_wasted - s0.readahead_wasted, 94);
	assert_int_equal(st().readahead_shrinks - s0.readahead_shrinks, 1);
	assert_int_equal(f.ra_cap, CAP / 2);

	/* The next sequential pass is capped at 128 pages a window until
	 * four caps' worth (512 pages) of readahead was used. */
	nbatches = 0;
	for (uint64_t i = 0; i < 500; i++)
		touch(&f, i);
	for (int i = 0; i < nbatches; i++)
		largest = batches[i].n > largest ? batches[i].n : largest;
	assert_int_equal(largest, CAP / 2);
	for (uint64_t i = 500; i < 1500; i++)
		touch(&f, i);
	assert_int_equal(f.ra_cap, CAP);
	assert_int_equal(batches[nbatches - 1].n, CAP);
}

static void test_interleaved_readers_keep_their_streams(void **state)
{
	static struct pcache_file f;
	struct pcache_stats s0 = st();

	(void)state;
	pcache_file_init(&f, 5000, 4000 * PAGE_SIZE, &ops, NULL);
	/* Two readers of one file, far apart, taking turns page by page:
	 * neither access looks sequential to the file, yet both streams
	 * are read in windows, not page by page, once started. */
	touch(&f, 0);
	touch(&f, 2000);
	for (uint64_t i = 1; i < 300; i++) {
		touch(&f, i);
		touch(&f, 2000 + i);
	}
	/* Reader two started on a random miss (one page); its next miss
	 * found page 2000 cached and started a window. */
	assert_int_equal(st().misses - s0.misses, 3);
	assert_true(nbatches < 12);
	/* Every other page looked up had been read ahead. */
	assert_int_equal(st().readahead_used - s0.readahead_used, 2 * 300 - 3);
}

static void test_miss_hands_its_request_to_the_backing(void **state)
{
	static struct pcache_file f;
	struct causal a = { .req_id = 7, .sampled = true };
	struct causal b = { .req_id = 8, .sampled = true };

	(void)state;
	pcache_file_init(&f, 6000, 4000 * PAGE_SIZE, &ops, NULL);
	touch_for(&f, 0, &a); /* miss: window [0, 32) for a */
	assert_int_equal(nbatches, 1);
	assert_ptr_equal(batches[0].cause, &a);
	touch_for(&f, 1, &b); /* hit on the mark: readahead for nobody */
	assert_int_equal(nbatches, 2);
	assert_null(batches[1].cause);
	touch_for(&f, 3000, &b); /* random miss: one page for b */
	assert_int_equal(nbatches, 3);
	assert_ptr_equal(batches[2].cause, &b);
	assert_int_equal(batches[2].n, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_window_grows_on_sequential_access,
				       reset),
		cmocka_unit_test_setup(test_readahead_stays_ahead, reset),
		cmocka_unit_test_setup(test_rank_follows_the_reader, reset),
		cmocka_unit_test_setup(test_random_access_reads_single_pages,
				       reset),
		cmocka_unit_test_setup(test_waste_shrinks_and_use_restores,
				       reset),
		cmocka_unit_test_setup(
			test_interleaved_readers_keep_their_streams, reset),
		cmocka_unit_test_setup(
			test_miss_hands_its_request_to_the_backing, reset),
	};

	return cmocka_run_group_tests_name("readahead", tests, group_setup,
					   NULL);
}
