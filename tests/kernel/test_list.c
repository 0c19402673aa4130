// SPDX-License-Identifier: MIT
/* Unit tests for kernel/lib/list.h (both lists) and kernel/lib/hash.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/lib/hash.h"
#include "kernel/lib/list.h"

struct item {
	int id;
	struct list_node link;
	struct fifo_node qlink;
};

/* The ids on `head` in order, forwards and (checked) backwards. */
static int ids(struct list_node *head, int *out, int max)
{
	struct list_node *pos;
	int n = 0, back = 0;

	list_for_each (pos, head) {
		assert_true(n < max);
		assert_ptr_equal(pos->next->prev, pos);
		out[n++] = list_entry(pos, struct item, link)->id;
	}
	for (pos = head->prev; pos != head; pos = pos->prev)
		assert_int_equal(list_entry(pos, struct item, link)->id,
				 out[n - 1 - back++]);
	assert_int_equal(back, n);
	return n;
}

static void test_list_order_and_remove(void **state)
{
	struct list_node head = LIST_HEAD_INIT(head);
	struct item it[4] = {
		{ .id = 0 }, { .id = 1 }, { .id = 2 }, { .id = 3 }
	};
	int got[4];

	(void)state;
	assert_true(list_empty(&head));
	assert_null(list_first_entry_or_null(&head, struct item, link));
	list_add_tail(&head, &it[1].link);
	list_add_tail(&head, &it[2].link);
	list_add_head(&head, &it[0].link);
	list_insert_before(&it[3].link, &it[2].link);
	assert_int_equal(ids(&head, got, 4), 4);
	assert_int_equal(got[0], 0);
	assert_int_equal(got[1], 1);
	assert_int_equal(got[2], 3);
	assert_int_equal(got[3], 2);
	assert_ptr_equal(list_last_entry_or_null(&head, struct item, link),
			 &it[2]);
	list_remove(&it[3].link); /* middle */
	assert_false(list_linked(&it[3].link));
	list_remove(&it[2].link); /* last */
	assert_int_equal(ids(&head, got, 4), 2);
	assert_int_equal(got[1], 1);
	assert_ptr_equal(list_entry(list_pop_head(&head), struct item, link),
			 &it[0]);
	assert_ptr_equal(list_entry(list_pop_head(&head), struct item, link),
			 &it[1]);
	assert_null(list_pop_head(&head));
	assert_true(list_empty(&head));
}

static void test_list_remove_while_walking(void **state)
{
	struct list_node head, *pos, *tmp;
	struct item it[6];
	int got[6];

	(void)state;
	list_init(&head);
	for (int i = 0; i < 6; i++) {
		it[i].id = i;
		list_node_init(&it[i].link);
		assert_false(list_linked(&it[i].link));
		list_add_tail(&head, &it[i].link);
		assert_true(list_linked(&it[i].link));
	}
	list_for_each_safe (pos, tmp, &head)
		if (list_entry(pos, struct item, link)->id % 2)
			list_remove(pos);
	assert_int_equal(ids(&head, got, 6), 3);
	assert_int_equal(got[0], 0);
	assert_int_equal(got[1], 2);
	assert_int_equal(got[2], 4);
}

static void test_fifo(void **state)
{
	struct fifo q = { 0 };
	struct item it[3] = { { .id = 0 }, { .id = 1 }, { .id = 2 } };
	struct fifo_node *n;

	(void)state;
	assert_true(fifo_empty(&q));
	assert_null(fifo_pop(&q));
	fifo_push(&q, &it[0].qlink);
	fifo_push(&q, &it[1].qlink);
	n = fifo_pop(&q);
	assert_ptr_equal(fifo_entry(n, struct item, qlink), &it[0]);
	assert_null(n->next);
	fifo_push(&q, &it[2].qlink);
	assert_ptr_equal(q.tail, &it[2].qlink);
	assert_ptr_equal(fifo_entry(fifo_pop(&q), struct item, qlink), &it[1]);
	assert_ptr_equal(fifo_entry(fifo_pop(&q), struct item, qlink), &it[2]);
	assert_true(fifo_empty(&q));
	assert_null(q.tail);
	/* Reusable after draining. */
	fifo_push(&q, &it[1].qlink);
	assert_ptr_equal(fifo_pop(&q), &it[1].qlink);
}

/* Page-aligned addresses and consecutive (file, page) keys, the tables'
 * typical keys, must fill small power-of-two and prime tables evenly. */
static void test_hash_spread(void **state)
{
	enum { BUCKETS = 64, KEYS = 64 * 64 };
	unsigned pow2[BUCKETS] = { 0 }, prime[61] = { 0 },
		 pairs[BUCKETS] = { 0 };

	(void)state;
	assert_int_not_equal(hash_u64(1), hash_u64(2));
	assert_int_equal(hash_u64(12345), hash_u64(12345));
	for (uint64_t i = 0; i < KEYS; i++) {
		pow2[hash_u64(0x100000 + i * 4096) & (BUCKETS - 1)]++;
		prime[hash_u64(i << 12) % 61]++;
		pairs[hash_u64_pair(i % 4, i / 4) & (BUCKETS - 1)]++;
	}
	for (int b = 0; b < BUCKETS; b++) {
		assert_in_range(pow2[b], KEYS / BUCKETS / 2,
				KEYS / BUCKETS * 2);
		assert_in_range(pairs[b], KEYS / BUCKETS / 2,
				KEYS / BUCKETS * 2);
	}
	for (int b = 0; b < 61; b++)
		assert_in_range(prime[b], KEYS / 61 / 2, KEYS / 61 * 2);
	/* Swapped pair members are different keys. */
	assert_int_not_equal(hash_u64_pair(1, 2), hash_u64_pair(2, 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_order_and_remove),
		cmocka_unit_test(test_list_remove_while_walking),
		cmocka_unit_test(test_fifo),
		cmocka_unit_test(test_hash_spread),
	};
	return cmocka_run_group_tests_name("list", tests, NULL, NULL);
}
