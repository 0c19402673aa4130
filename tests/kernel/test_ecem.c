// SPDX-License-Identifier: MIT
/*
 * Unit tests for kernel/io/ecem.c: the event-pair table (add, del, lookup
 * both ways, collisions), the four states and every event's transition,
 * deferred delivery (DED) held in RW and released at RR, ACK reports for
 * splicing (DNS), masking by `ecem=`, and no leak when a pair is deleted
 * with a delivery still held (a reset during a pending disk read).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/io/ecem.h"
#include "kernel/lib/errno.h"
#include "kernel/param.h"

struct owner {
	int delivered;
	uint32_t acked;
	int acks;
	bool del_on_deliver; /* the callback deletes its own pair */
	const void *disk, *net;
	unsigned int flags;
};

static void on_deliver(void *arg)
{
	struct owner *o = arg;

	o->delivered++;
	if (o->del_on_deliver)
		assert_int_equal(ecem_del(o->disk, o->net, o->flags), 0);
}

static void on_acked(void *arg, uint32_t n)
{
	struct owner *o = arg;

	o->acks++;
	o->acked += n;
}

static const struct ecem_ops ops = { .deliver = on_deliver, .acked = on_acked };

/* Distinct fake keys: addresses of array slots. */
static char disks[4 * ECEM_HASH_BUCKETS], nets[4 * ECEM_HASH_BUCKETS];

static struct ecem_stats st(void)
{
	struct ecem_stats s;

	ecem_get_stats(&s);
	return s;
}

static int setup_all(void **state)
{
	(void)state;
	ecem_set_enabled(ECEM_F_DED | ECEM_F_DNS);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	/* Freed pairs: LeakSanitizer checks at exit. */
	assert_int_equal(st().pairs_live, 0);
	/* No pair left in any state gauge. */
	assert_int_equal(st().pairs_rr + st().pairs_rw + st().pairs_wr +
				 st().pairs_ww,
			 0);
	return 0;
}

static void test_add_del_lookup(void **state)
{
	struct owner o = { 0 };

	(void)state;
	assert_int_equal(ecem_add(NULL, &nets[0], 0, &ops, &o), -EINVAL);
	assert_int_equal(ecem_add(&disks[0], &nets[0], 0, &ops, &o), 0);
	assert_ptr_equal(ecem_correlated_net(&disks[0]), &nets[0]);
	assert_ptr_equal(ecem_correlated_disk(&nets[0]), &disks[0]);
	assert_null(ecem_correlated_net(&disks[1]));
	assert_null(ecem_correlated_disk(&nets[1]));
	/* Either key already paired: refused. */
	assert_int_equal(ecem_add(&disks[0], &nets[1], 0, &ops, &o), -EEXIST);
	assert_int_equal(ecem_add(&disks[1], &nets[0], 0, &ops, &o), -EEXIST);
	assert_int_equal(ecem_state(&disks[0], &nets[0]), ECEM_RR);
	/* Wrong peer or flags: not this pair. */
	assert_int_equal(ecem_del(&disks[0], &nets[1], 0), -ENOENT);
	assert_int_equal(ecem_del(&disks[0], &nets[0], ECEM_F_DED), -ENOENT);
	assert_int_equal(ecem_del(&disks[0], &nets[0], 0), 0);
	assert_int_equal(ecem_del(&disks[0], &nets[0], 0), -ENOENT);
	assert_null(ecem_correlated_net(&disks[0]));
	assert_int_equal(ecem_state(&disks[0], &nets[0]), -ENOENT);
}

/* More pairs than buckets: every chain has several, all found. */
static void test_many_pairs_collide(void **state)
{
	struct owner o = { 0 };
	size_t n = sizeof(disks);

	(void)state;
	for (size_t i = 0; i < n; i++)
		assert_int_equal(
			ecem_add(&disks[i], &nets[n - 1 - i], 0, &ops, &o), 0);
	assert_int_equal(st().pairs_live, n);
	for (size_t i = 0; i < n; i++) {
		assert_ptr_equal(ecem_correlated_net(&disks[i]),
				 &nets[n - 1 - i]);
		assert_ptr_equal(ecem_correlated_disk(&nets[n - 1 - i]),
				 &disks[i]);
	}
	for (size_t i = 0; i < n; i += 2)
		assert_int_equal(ecem_del(&disks[i], &nets[n - 1 - i], 0), 0);
	for (size_t i = 1; i < n; i += 2)
		assert_ptr_equal(ecem_correlated_net(&disks[i]),
				 &nets[n - 1 - i]);
	for (size_t i = 1; i < n; i += 2)
		assert_int_equal(ecem_del(&disks[i], &nets[n - 1 - i], 0), 0);
}

/* Every event from every state, without DED: the table follows. */
/* The pair-state gauges: pairs now in RR, RW, WR, WW. */
static void assert_gauges(uint64_t rr, uint64_t rw, uint64_t wr, uint64_t ww)
{
	struct ecem_stats s = st();

	assert_int_equal(s.pairs_rr, rr);
	assert_int_equal(s.pairs_rw, rw);
	assert_int_equal(s.pairs_wr, wr);
	assert_int_equal(s.pairs_ww, ww);
}

static void test_transitions(void **state)
{
	const void *d = &disks[0], *n = &nets[0];
	struct owner o = { 0 };
	struct ecem_stats before = st(), after;

	(void)state;
	assert_int_equal(ecem_add(d, n, 0, &ops, &o), 0);
	assert_gauges(1, 0, 0, 0);
	ecem_disk_wait(d); /* RR -> WR */
	assert_int_equal(ecem_state(d, n), ECEM_WR);
	assert_gauges(0, 0, 1, 0);
	ecem_net_wait(n); /* WR -> WW */
	assert_int_equal(ecem_state(d, n), ECEM_WW);
	assert_gauges(0, 0, 0, 1);
	ecem_disk_ready(d); /* WW -> RW: delivered at once without DED */
	assert_int_equal(ecem_state(d, n), ECEM_RW);
	assert_gauges(0, 1, 0, 0);
	assert_int_equal(o.delivered, 1);
	assert_true(ecem_check_rw(d, n));
	ecem_net_ready(n); /* RW -> RR */
	assert_int_equal(ecem_state(d, n), ECEM_RR);
	assert_false(ecem_check_rw(d, n));
	ecem_net_wait(n); /* RR -> RW */
	ecem_disk_wait(d); /* RW -> WW */
	ecem_net_ready(n); /* WW -> WR */
	assert_int_equal(ecem_state(d, n), ECEM_WR);
	ecem_disk_ready(d); /* WR -> RR */
	assert_int_equal(ecem_state(d, n), ECEM_RR);
	assert_int_equal(o.delivered, 2);
	after = st();
	assert_int_equal(after.transitions[ECEM_RR][ECEM_WR] -
				 before.transitions[ECEM_RR][ECEM_WR],
			 1);
	assert_int_equal(after.transitions[ECEM_WW][ECEM_RW] -
				 before.transitions[ECEM_WW][ECEM_RW],
			 1);
	assert_int_equal(after.transitions[ECEM_WR][ECEM_RR] -
				 before.transitions[ECEM_WR][ECEM_RR],
			 1);
	assert_int_equal(after.deferred, before.deferred);
	/* Events for keys in no pair change nothing. */
	ecem_disk_ready(&disks[1]);
	ecem_net_ready(&nets[1]);
	ecem_net_acked(&nets[1], 100);
	assert_int_equal(o.delivered, 2);
	ecem_disk_wait(d); /* deleted while waiting: its gauge drops */
	assert_int_equal(ecem_del(d, n, 0), 0);
	assert_gauges(0, 0, 0, 0);
}

/* DED: a completion in RW is held until the send buffer has room. */
static void test_ded_defers_until_rr(void **state)
{
	const void *d = &disks[0], *n = &nets[0];
	struct owner o = { 0 };
	struct ecem_stats before = st(), after;

	(void)state;
	assert_int_equal(ecem_add(d, n, ECEM_F_DED, &ops, &o), 0);
	ecem_disk_wait(d);
	ecem_net_wait(n);
	ecem_disk_ready(d); /* RW: held */
	assert_int_equal(o.delivered, 0);
	assert_true(ecem_check_rw(d, n));
	ecem_net_wait(n); /* still no room: still held */
	assert_int_equal(o.delivered, 0);
	ecem_net_ready(n); /* RR: delivered once */
	assert_int_equal(o.delivered, 1);
	ecem_net_wait(n);
	ecem_net_ready(n); /* nothing held any more */
	assert_int_equal(o.delivered, 1);
	/* Room already there when the disk finishes: delivered at once. */
	ecem_disk_wait(d);
	ecem_disk_ready(d);
	assert_int_equal(o.delivered, 2);
	after = st();
	assert_int_equal(after.deferred - before.deferred, 1);
	assert_int_equal(after.deferred_delivered - before.deferred_delivered,
			 1);
	assert_int_equal(ecem_del(d, n, ECEM_F_DED), 0);
}

/* A reset while a delivery is held: the pair goes, nothing leaks, the
 * owner is never called back. */
static void test_del_with_held_delivery(void **state)
{
	const void *d = &disks[2], *n = &nets[2];
	struct owner o = { 0 };
	uint64_t dropped = st().dropped_deferred;

	(void)state;
	assert_int_equal(ecem_add(d, n, ECEM_F_DED, &ops, &o), 0);
	ecem_disk_wait(d);
	ecem_net_wait(n);
	ecem_disk_ready(d);
	assert_int_equal(ecem_del(d, n, ECEM_F_DED), 0);
	ecem_net_ready(n);
	assert_int_equal(o.delivered, 0);
	assert_int_equal(st().dropped_deferred - dropped, 1);
}

/* A delivery callback may delete its own pair. */
static void test_deliver_may_delete(void **state)
{
	struct owner o = { .del_on_deliver = true,
			   .disk = &disks[3],
			   .net = &nets[3],
			   .flags = ECEM_F_DED };

	(void)state;
	assert_int_equal(ecem_add(o.disk, o.net, o.flags, &ops, &o), 0);
	ecem_net_wait(o.net);
	ecem_disk_wait(o.disk);
	ecem_disk_ready(o.disk);
	ecem_net_ready(o.net); /* delivers, and the pair is gone */
	assert_int_equal(o.delivered, 1);
	assert_null(ecem_correlated_net(o.disk));
}

/* DNS: acknowledged bytes reach a DNS pair's owner, and only it. */
static void test_dns_acks(void **state)
{
	struct owner dns = { 0 }, plain = { 0 };

	(void)state;
	assert_int_equal(ecem_add(&disks[0], &nets[0], ECEM_F_DNS, &ops, &dns),
			 0);
	assert_int_equal(ecem_add(&disks[1], &nets[1], 0, &ops, &plain), 0);
	ecem_net_acked(&nets[0], 1460);
	ecem_net_acked(&nets[0], 2920);
	ecem_net_acked(&nets[0], 0); /* nothing acked: no call */
	ecem_net_acked(&nets[1], 1460);
	assert_int_equal(dns.acks, 2);
	assert_int_equal(dns.acked, 4380);
	assert_int_equal(plain.acks, 0);
	assert_int_equal(ecem_del(&disks[0], &nets[0], ECEM_F_DNS), 0);
	assert_int_equal(ecem_del(&disks[1], &nets[1], 0), 0);
}

/* ecem=off masks both mechanisms, whatever the owner asks for. */
static void test_mode_masks_flags(void **state)
{
	const void *d = &disks[0], *n = &nets[0];
	struct owner o = { 0 };

	(void)state;
	ecem_set_enabled(0);
	assert_string_equal(ecem_mode_name(ecem_enabled()), "off");
	assert_int_equal(ecem_add(d, n, ECEM_F_DED | ECEM_F_DNS, &ops, &o), 0);
	ecem_disk_wait(d);
	ecem_net_wait(n);
	ecem_disk_ready(d); /* not deferred */
	assert_int_equal(o.delivered, 1);
	ecem_net_acked(n, 1000); /* not spliced */
	assert_int_equal(o.acks, 0);
	/* The pair's flags are what was granted: 0. */
	assert_int_equal(ecem_del(d, n, ECEM_F_DED | ECEM_F_DNS), 0);
	ecem_set_enabled(ECEM_F_DNS);
	assert_string_equal(ecem_mode_name(ecem_enabled()), "dns");
	ecem_set_enabled(ECEM_F_DED | ECEM_F_DNS);
	assert_string_equal(ecem_mode_name(ecem_enabled()), "all");
	assert_string_equal(ecem_state_name(ECEM_RW), "RW");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_add_del_lookup, teardown),
		cmocka_unit_test_teardown(test_many_pairs_collide, teardown),
		cmocka_unit_test_teardown(test_transitions, teardown),
		cmocka_unit_test_teardown(test_ded_defers_until_rr, teardown),
		cmocka_unit_test_teardown(test_del_with_held_delivery,
					  teardown),
		cmocka_unit_test_teardown(test_deliver_may_delete, teardown),
		cmocka_unit_test_teardown(test_dns_acks, teardown),
		cmocka_unit_test_teardown(test_mode_masks_flags, teardown),
	};

	return cmocka_run_group_tests(tests, setup_all, NULL);
}
