// SPDX-License-Identifier: MIT
/*
 * Unit tests for fs/blkrun.c, the request builder of the page fill: file
 * pieces that continue each other on disk merge into one request (one
 * segment per page, or one for memory-contiguous pieces), a disk
 * discontinuity closes the request, and seg_max / size_max are obeyed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fs/blkrun.h"
#include "kernel/lib/errno.h"

#define MAX_REQS 64

struct req {
	uint64_t sector;
	unsigned int n;
	struct vblk_segment segs[VBLK_SEGMENTS_MAX];
	uint32_t first_tag, last_tag;
};

static struct req reqs[MAX_REQS];
static int nreqs;
static int fail_with; /* the flush returns this */

static int record(void *ctx, uint64_t sector, const struct vblk_segment *segs,
		  unsigned int n, uint32_t first_tag, uint32_t last_tag)
{
	struct req *r = &reqs[nreqs++];

	(void)ctx;
	assert_true(nreqs <= MAX_REQS);
	r->sector = sector;
	r->n = n;
	memcpy(r->segs, segs, n * sizeof(*segs));
	r->first_tag = first_tag;
	r->last_tag = last_tag;
	return fail_with;
}

static int reset(void **state)
{
	(void)state;
	nreqs = 0;
	fail_with = 0;
	return 0;
}

#define PAGE 4096u
#define SPP (PAGE / VBLK_SECTOR_SIZE) /* sectors per page */

/* Page p of the file lives in a pool page far from its neighbours. */
static uint64_t page_pa(uint32_t p)
{
	return 0x100000ull + (uint64_t)p * 3 * PAGE;
}

static void test_consecutive_pages_merge(void **state)
{
	struct blkrun r;

	(void)state;
	blkrun_init(&r, 128, UINT32_MAX, record, NULL);
	for (uint32_t p = 0; p < 10; p++)
		assert_int_equal(
			blkrun_add(&r, 800 + p * SPP, page_pa(p), PAGE, p), 0);
	assert_int_equal(nreqs, 0); /* nothing sent before the flush */
	assert_int_equal(blkrun_flush(&r), 0);
	assert_int_equal(nreqs, 1);
	assert_int_equal(reqs[0].sector, 800);
	assert_int_equal(reqs[0].n, 10);
	for (uint32_t p = 0; p < 10; p++) {
		assert_int_equal(reqs[0].segs[p].pa, page_pa(p));
		assert_int_equal(reqs[0].segs[p].len, PAGE);
	}
	assert_int_equal(reqs[0].first_tag, 0);
	assert_int_equal(reqs[0].last_tag, 9);
	assert_int_equal(blkrun_flush(&r), 0); /* empty: no request */
	assert_int_equal(nreqs, 1);
}

static void test_blocks_of_one_page_share_a_segment(void **state)
{
	struct blkrun r;

	(void)state;
	/* 1 KiB blocks: four pieces per page, contiguous in memory. */
	blkrun_init(&r, 128, UINT32_MAX, record, NULL);
	for (uint32_t p = 0; p < 2; p++)
		for (uint32_t b = 0; b < 4; b++)
			blkrun_add(&r, 64 + (p * 4 + b) * 2,
				   page_pa(p) + b * 1024, 1024, p);
	blkrun_flush(&r);
	assert_int_equal(nreqs, 1);
	assert_int_equal(reqs[0].n, 2);
	assert_int_equal(reqs[0].segs[0].len, PAGE);
	assert_int_equal(reqs[0].segs[1].len, PAGE);
}

static void test_discontiguous_block_breaks_the_run(void **state)
{
	struct blkrun r;

	(void)state;
	blkrun_init(&r, 128, UINT32_MAX, record, NULL);
	blkrun_add(&r, 100, page_pa(0), PAGE, 0);
	blkrun_add(&r, 100 + SPP, page_pa(1), PAGE, 1);
	blkrun_add(&r, 5000, page_pa(2), PAGE, 2); /* elsewhere on disk */
	blkrun_add(&r, 5000 + SPP, page_pa(3), PAGE, 3);
	/* Before the run: not a continuation either. */
	blkrun_add(&r, 5000, page_pa(4), PAGE, 4);
	blkrun_flush(&r);
	assert_int_equal(nreqs, 3);
	assert_int_equal(reqs[0].sector, 100);
	assert_int_equal(reqs[0].n, 2);
	assert_int_equal(reqs[0].last_tag, 1);
	assert_int_equal(reqs[1].sector, 5000);
	assert_int_equal(reqs[1].n, 2);
	assert_int_equal(reqs[1].first_tag, 2);
	assert_int_equal(reqs[1].last_tag, 3);
	assert_int_equal(reqs[2].n, 1);
	assert_int_equal(reqs[2].first_tag, 4);
}

static void test_seg_max_respected(void **state)
{
	struct blkrun r;

	(void)state;
	blkrun_init(&r, 4, UINT32_MAX, record, NULL);
	for (uint32_t p = 0; p < 10; p++)
		blkrun_add(&r, p * SPP, page_pa(p), PAGE, p);
	blkrun_flush(&r);
	assert_int_equal(nreqs, 3);
	assert_int_equal(reqs[0].n, 4);
	assert_int_equal(reqs[1].n, 4);
	assert_int_equal(reqs[2].n, 2);
	/* Each request starts where the previous one ended. */
	assert_int_equal(reqs[1].sector, 4 * SPP);
	assert_int_equal(reqs[2].sector, 8 * SPP);
	assert_int_equal(reqs[1].first_tag, 4);
	assert_int_equal(reqs[2].last_tag, 9);
	/* Out of range limits are clamped, not trusted. */
	blkrun_init(&r, 100000, UINT32_MAX, record, NULL);
	assert_int_equal(r.seg_max, VBLK_SEGMENTS_MAX);
	blkrun_init(&r, 0, 100, record, NULL);
	assert_int_equal(r.seg_max, 1);
	assert_int_equal(r.seg_bytes_max, VBLK_SECTOR_SIZE);
}

static void test_size_max_splits_segments(void **state)
{
	struct blkrun r;
	uint32_t total = 0;

	(void)state;
	/* size_max 1536: a page becomes 1536 + 1536 + 1024. */
	blkrun_init(&r, 128, 1536, record, NULL);
	blkrun_add(&r, 0, page_pa(0), PAGE, 0);
	blkrun_add(&r, SPP, page_pa(1), PAGE, 1);
	blkrun_flush(&r);
	assert_int_equal(nreqs, 1);
	assert_int_equal(reqs[0].n, 6);
	for (unsigned int i = 0; i < reqs[0].n; i++) {
		assert_true(reqs[0].segs[i].len <= 1536);
		total += reqs[0].segs[i].len;
	}
	assert_int_equal(total, 2 * PAGE);
	assert_int_equal(reqs[0].segs[1].pa, page_pa(0) + 1536);
	assert_int_equal(reqs[0].segs[3].pa, page_pa(1));
	/* With seg_max 4 as well, the split pieces still fill requests. */
	nreqs = 0;
	blkrun_init(&r, 4, 1536, record, NULL);
	blkrun_add(&r, 0, page_pa(0), PAGE, 0);
	blkrun_add(&r, SPP, page_pa(1), PAGE, 1);
	blkrun_flush(&r);
	assert_int_equal(nreqs, 2);
	assert_int_equal(reqs[0].n, 4);
	assert_int_equal(reqs[1].n, 2);
	assert_int_equal(reqs[1].sector, (1536 * 2 + 1024 + 1536) / 512);
	assert_int_equal(reqs[1].first_tag, 1);
}

static void test_flush_error_is_returned(void **state)
{
	struct blkrun r;

	(void)state;
	blkrun_init(&r, 2, UINT32_MAX, record, NULL);
	blkrun_add(&r, 0, page_pa(0), PAGE, 0);
	blkrun_add(&r, SPP, page_pa(1), PAGE, 1);
	fail_with = -ENODEV;
	assert_int_equal(blkrun_add(&r, 2 * SPP, page_pa(2), PAGE, 2), -ENODEV);
	fail_with = 0;
	/* The failed run is gone; the builder starts afresh. */
	assert_int_equal(blkrun_flush(&r), 0);
	assert_int_equal(nreqs, 1);
	assert_int_equal(blkrun_add(&r, 9 * SPP, page_pa(9), PAGE, 9), 0);
	assert_int_equal(blkrun_flush(&r), 0);
	assert_int_equal(nreqs, 2);
	assert_int_equal(reqs[1].sector, 9 * SPP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_consecutive_pages_merge, reset),
		cmocka_unit_test_setup(test_blocks_of_one_page_share_a_segment,
				       reset),
		cmocka_unit_test_setup(test_discontiguous_block_breaks_the_run,
				       reset),
		cmocka_unit_test_setup(test_seg_max_respected, reset),
		cmocka_unit_test_setup(test_size_max_splits_segments, reset),
		cmocka_unit_test_setup(test_flush_error_is_returned, reset),
	};

	return cmocka_run_group_tests_name("blkrun", tests, NULL, NULL);
}
