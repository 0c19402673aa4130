// SPDX-License-Identifier: MIT
/*
 * Unit tests for fs/blkq.c, the disk's waiting queue: without ordering
 * it is one FIFO whatever the ranks; with ordering a high-priority
 * demand read goes ahead of readahead and low-priority reads (counted),
 * requests of one rank keep their order, and readahead of an urgency
 * stays behind that urgency's demand reads but ahead of anything less
 * urgent; a request that waited too long goes before more urgent ones;
 * a request raised by a more urgent reader moves up from anywhere in its
 * FIFO, keeping the rest of both FIFOs intact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fs/blkq.h"

#define N 12

static struct blkq q;
static struct blkq_node nodes[N];

static struct blkq_node *node(int i, uint8_t urgency, bool readahead)
{
	nodes[i] = (struct blkq_node){ .rank = (uint8_t)PRIO_DISK_RANK(
					       urgency, readahead) };
	return &nodes[i];
}

/* Pop everything, as indices into nodes[]; returns the count. */
static int drain(int *order)
{
	struct blkq_node *n;
	bool aged;
	int k = 0;

	while ((n = blkq_next(&q, 0, 0, &aged))) {
		assert_false(aged);
		assert_ptr_equal(blkq_pop(&q), n);
		order[k++] = (int)(n - nodes);
	}
	assert_null(blkq_pop(&q));
	assert_int_equal(q.len, 0);
	return k;
}

static int setup(void **state)
{
	(void)state;
	blkq_init(&q);
	return 0;
}

static void test_unordered_is_arrival_order(void **state)
{
	static const uint8_t urgency[] = { 7, 0, 3, 7, 0, 5 };
	int order[N];

	(void)state;
	for (int i = 0; i < 6; i++)
		assert_int_equal(blkq_add(&q, node(i, urgency[i], i & 1), false,
					  NULL),
				 0);
	assert_int_equal(q.len, 6);
	assert_int_equal(drain(order), 6);
	for (int i = 0; i < 6; i++)
		assert_int_equal(order[i], i);
}

static void test_urgent_demand_jumps_low_and_readahead(void **state)
{
	uint32_t overtaken[PRIO_DISK_RANKS];
	int order[N];

	(void)state;
	/* A low-priority flood: demand reads and their readahead. */
	blkq_add(&q, node(0, 7, false), true, NULL);
	blkq_add(&q, node(1, 7, true), true, NULL);
	blkq_add(&q, node(2, 7, false), true, NULL);
	/* Readahead of an urgent reader is queued too. */
	blkq_add(&q, node(3, 0, true), true, NULL);
	/* An urgent demand read passes all four. */
	assert_int_equal(blkq_add(&q, node(4, 0, false), true, overtaken), 4);
	assert_int_equal(overtaken[PRIO_DISK_RANK(7, false)], 2);
	assert_int_equal(overtaken[PRIO_DISK_RANK(7, true)], 1);
	assert_int_equal(overtaken[PRIO_DISK_RANK(0, true)], 1);
	assert_int_equal(overtaken[PRIO_DISK_RANK(0, false)], 0);
	/* A default-urgency read passes the u=7 ones only. */
	assert_int_equal(blkq_add(&q, node(5, 3, false), true, NULL), 3);
	/* Another u=7 demand read passes only the u=7 readahead. */
	assert_int_equal(blkq_add(&q, node(6, 7, false), true, NULL), 1);
	/* A blocking metadata read passes everything. */
	nodes[7] = (struct blkq_node){ .rank = PRIO_DISK_RANK_META };
	assert_int_equal(blkq_add(&q, &nodes[7], true, NULL), 7);
	assert_int_equal(drain(order), 8);
	static const int want[] = { 7, 4, 3, 5, 0, 2, 6, 1 };
	for (int i = 0; i < 8; i++)
		assert_int_equal(order[i], want[i]);
}

static void test_fifo_within_a_rank(void **state)
{
	int order[N];

	(void)state;
	for (int i = 0; i < N; i++)
		blkq_add(&q, node(i, (uint8_t)(i % 2 ? 2 : 6), false), true,
			 NULL);
	assert_int_equal(drain(order), N);
	for (int i = 0; i < N / 2; i++) {
		assert_int_equal(order[i], 2 * i + 1); /* u=2 first, in order */
		assert_int_equal(order[N / 2 + i], 2 * i); /* then u=6 */
	}
}

/* A queue drained and refilled works as new (tails reset). */
static void test_refill_after_drain(void **state)
{
	int order[N];

	(void)state;
	blkq_add(&q, node(0, 1, false), true, NULL);
	assert_int_equal(drain(order), 1);
	blkq_add(&q, node(1, 1, false), true, NULL);
	blkq_add(&q, node(2, 1, false), true, NULL);
	assert_int_equal(drain(order), 2);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 2);
}

/* Priority inheritance: a u=7 readahead request in the middle of its
 * FIFO, raised to an urgent demand rank, goes first; its old FIFO and
 * the tail pointers stay right (one added after it lands behind). */
static void test_raise_moves_a_waiting_request_ahead(void **state)
{
	int order[N];

	(void)state;
	for (int i = 0; i < 4; i++)
		blkq_add(&q, node(i, 7, true), true, NULL);
	blkq_add(&q, node(4, 3, false), true, NULL);
	/* Not more urgent, or ordering off: nothing moves. */
	assert_false(blkq_raise(&q, &nodes[4], PRIO_DISK_RANK(3, false), true));
	assert_false(
		blkq_raise(&q, &nodes[2], PRIO_DISK_RANK(0, false), false));
	assert_int_equal(nodes[2].rank, PRIO_DISK_RANK(7, true));
	/* The middle one and the tail one of the u=7 FIFO. */
	assert_true(blkq_raise(&q, &nodes[2], PRIO_DISK_RANK(0, false), true));
	assert_true(blkq_raise(&q, &nodes[3], PRIO_DISK_RANK(5, false), true));
	assert_int_equal(q.len, 5);
	blkq_add(&q, node(5, 7, true), true, NULL); /* behind 1 on the tail */
	blkq_add(&q, node(6, 0, false), true, NULL); /* behind 2 */
	assert_int_equal(drain(order), 7);
	static const int want[] = { 2, 6, 4, 3, 0, 1, 5 };
	for (int i = 0; i < 7; i++)
		assert_int_equal(order[i], want[i]);
}

/* Raising the only node of a FIFO empties it cleanly. */
static void test_raise_the_only_one(void **state)
{
	int order[N];

	(void)state;
	blkq_add(&q, node(0, 6, false), true, NULL);
	assert_true(blkq_raise(&q, &nodes[0], PRIO_DISK_RANK(1, false), true));
	assert_null(q.head[PRIO_DISK_RANK(6, false)]);
	assert_null(q.tail[PRIO_DISK_RANK(6, false)]);
	blkq_add(&q, node(1, 6, false), true, NULL);
	assert_int_equal(drain(order), 2);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 1);
}

/* Past the age limit, the longest-waiting request goes next, however
 * urgent the others are; below it, rank order. */
static void test_aged_request_goes_next(void **state)
{
	struct blkq_node *lo1 = node(0, 7, false), *lo2 = node(1, 7, true);
	struct blkq_node *hi = node(2, 0, false);
	bool aged;

	(void)state;
	lo1->queued_ns = 100;
	lo2->queued_ns = 50; /* waited longer: another rank's FIFO */
	hi->queued_ns = 900;
	blkq_add(&q, lo1, true, NULL);
	blkq_add(&q, lo2, true, NULL);
	blkq_add(&q, hi, true, NULL);
	assert_ptr_equal(blkq_next(&q, 1000, 0, &aged), hi); /* no ageing */
	assert_false(aged);
	assert_ptr_equal(blkq_next(&q, 1000, 951, &aged), hi); /* not yet */
	assert_ptr_equal(blkq_next(&q, 1000, 900, &aged), lo2);
	assert_true(aged);
	blkq_take(&q, lo2);
	assert_ptr_equal(blkq_next(&q, 1000, 900, &aged), lo1);
	assert_true(aged);
	blkq_take(&q, lo1);
	assert_ptr_equal(blkq_next(&q, 1000, 900, &aged), hi);
	assert_false(aged); /* the most urgent anyway */
	blkq_take(&q, hi);
	assert_int_equal(q.len, 0);
	assert_null(blkq_next(&q, 1000, 900, &aged));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unordered_is_arrival_order, setup),
		cmocka_unit_test_setup(
			test_urgent_demand_jumps_low_and_readahead, setup),
		cmocka_unit_test_setup(test_fifo_within_a_rank, setup),
		cmocka_unit_test_setup(test_refill_after_drain, setup),
		cmocka_unit_test_setup(test_aged_request_goes_next, setup),
		cmocka_unit_test_setup(test_raise_moves_a_waiting_request_ahead,
				       setup),
		cmocka_unit_test_setup(test_raise_the_only_one, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
