// SPDX-License-Identifier: MIT
/*
 * Unit tests for kernel/io/tracering.c: records come back in order with
 * their index as sequence word; a full ring overwrites the oldest and
 * counts them; an index not (or no longer) held is refused; a slot the
 * writer is changing (sequence word 0) or has reused is refused, never
 * returned torn.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/io/tracering.h"

struct rec {
	uint64_t seq;
	uint64_t value;
	uint64_t check; /* ~value: a torn copy would not match */
};

#define CAP 8

static struct rec slots[CAP];
static struct trace_ring ring;

static void put(uint64_t v)
{
	struct rec r = { .seq = 12345, .value = v, .check = ~v };

	tracering_put(&ring, &r);
}

static int setup(void **state)
{
	(void)state;
	memset(slots, 0xaa, sizeof(slots));
	tracering_init(&ring, slots, CAP, sizeof(struct rec));
	return 0;
}

static void test_empty_ring_holds_nothing(void **state)
{
	struct rec r;

	(void)state;
	assert_int_equal(tracering_head(&ring), 0);
	assert_int_equal(tracering_first(&ring), 0);
	assert_int_equal(tracering_dropped(&ring), 0);
	assert_false(tracering_get(&ring, 0, &r));
}

static void test_records_come_back_in_order(void **state)
{
	struct rec r;

	(void)state;
	for (uint64_t v = 0; v < 5; v++)
		put(100 + v);
	assert_int_equal(tracering_head(&ring), 5);
	for (uint64_t i = 0; i < 5; i++) {
		assert_true(tracering_get(&ring, i, &r));
		assert_int_equal(r.seq, i + 1);
		assert_int_equal(r.value, 100 + i);
		assert_int_equal(r.check, ~(100 + i));
	}
	assert_false(tracering_get(&ring, 5, &r));
}

static void test_full_ring_overwrites_the_oldest(void **state)
{
	struct rec r;

	(void)state;
	for (uint64_t v = 0; v < CAP + 3; v++)
		put(v);
	assert_int_equal(tracering_head(&ring), CAP + 3);
	assert_int_equal(tracering_first(&ring), 3);
	assert_int_equal(tracering_dropped(&ring), 3);
	for (uint64_t i = 0; i < 3; i++)
		assert_false(tracering_get(&ring, i, &r));
	for (uint64_t i = 3; i < CAP + 3; i++) {
		assert_true(tracering_get(&ring, i, &r));
		assert_int_equal(r.value, i);
	}
}

static void test_slot_being_written_is_refused(void **state)
{
	struct rec r;

	(void)state;
	put(1);
	put(2);
	/* What a reader on another CPU sees between the writer's first and
	 * last store: the sequence word cleared. */
	slots[1].seq = 0;
	assert_false(tracering_get(&ring, 1, &r));
	assert_true(tracering_get(&ring, 0, &r));
	/* ... or already the index of the record that replaces it. */
	slots[0].seq = CAP + 1;
	assert_false(tracering_get(&ring, 0, &r));
}

/* A record written in place: invisible until committed, whole after;
 * claiming the slot of an old record withdraws that record at once. */
static void test_record_written_in_place(void **state)
{
	struct rec *slot, r;
	uint64_t idx;

	(void)state;
	for (uint64_t i = 0; i < CAP; i++)
		put(i);
	assert_true(tracering_get(&ring, 0, &r));
	slot = tracering_claim(&ring, &idx);
	assert_int_equal(idx, CAP);
	assert_ptr_equal(slot, &slots[0]); /* index CAP wraps to slot 0 */
	assert_false(tracering_get(&ring, 0, &r)); /* the old one: gone */
	slot->value = 77;
	assert_false(tracering_get(&ring, CAP, &r)); /* not committed */
	tracering_commit(&ring, slot, idx);
	assert_int_equal(tracering_head(&ring), CAP + 1);
	assert_true(tracering_get(&ring, CAP, &r));
	assert_int_equal(r.value, 77);
	assert_int_equal(r.seq, CAP + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_empty_ring_holds_nothing, setup),
		cmocka_unit_test_setup(test_records_come_back_in_order, setup),
		cmocka_unit_test_setup(test_full_ring_overwrites_the_oldest,
				       setup),
		cmocka_unit_test_setup(test_slot_being_written_is_refused,
				       setup),
		cmocka_unit_test_setup(test_record_written_in_place, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
