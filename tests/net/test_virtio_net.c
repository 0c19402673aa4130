// SPDX-License-Identifier: MIT
/*
 * Unit tests for net/virtio_net.c's TX page lifetime, against the real
 * lwIP core, net/conn.c and the IO-Lite pool, over a fake device that
 * takes its TX ring only when the test says (tests/net/fake_nic.c).
 *
 * A page must outlive every descriptor that names it: the ACK releases
 * the stack's claim (net/conn.c), the device's TX completion the
 * driver's. Freed pages are poisoned (iobuf_set_poison), so a device that
 * read a freed page would hand the peer the tag, not the data.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kernel/io/iobuf.h"
#include "kernel/param.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "net/conn.h"
#include "net/virtio_net.h"
#include "tests/fakes/fake_clock.h"
#include "tests/net/fake_nic.h"
#include "tests/net/test_listener.h"

#define POOL_PAGES 1024
#define TEST_PORT 8080

static struct iobuf_stats pool(void)
{
	struct iobuf_stats st;

	iobuf_get_stats(&st);
	return st;
}

static struct vnet_stats nic(void)
{
	struct vnet_stats st;

	fake_nic_stats(&st);
	return st;
}

/* Pool pages pinned, and free, besides the RX buffers' (which come and
 * go in pieces of pages as the ring is refilled). */
static uint64_t pinned_pages(void)
{
	return pool().pinned_pages - nic().rx_pool_pages;
}

static uint64_t free_pages(void)
{
	return pool().free_pages + nic().rx_pool_pages;
}

/* A sealed one-page buffer whose byte i is (seed + i * 7) & 0xff. */
static struct iobuf *page(unsigned int seed, uint32_t len)
{
	struct iobuf *b = iobuf_alloc(len, NULL, NULL);
	uint8_t *p;

	assert_non_null(b);
	p = iobuf_map(b);
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(seed + i * 7);
	iobuf_unmap(b, p);
	iobuf_seal(b, len);
	return b;
}

static int setup(void **state)
{
	(void)state;
	iobuf_set_poison(true);
	if (iobuf_pool_init(POOL_PAGES))
		return -1;
	fake_nic_init();
	return conn_listen(TEST_PORT, &test_listener_cbs, NULL);
}

static void open_conn(void)
{
	test_listener.accepted = NULL;
	fake_peer_open(TEST_PORT);
	assert_true(fake_peer.established);
	assert_non_null(test_listener.accepted);
}

/* Close from the peer's side and let everything drain. */
static void close_conn(void)
{
	int before = test_listener.closed_calls;

	fake_peer_fin();
	for (int i = 0; i < 10 && test_listener.closed_calls == before; i++) {
		fake_nic_poll();
		fake_nic_tx_run(~0u);
		fake_peer_ack_all();
		fake_nic_poll();
	}
	assert_int_equal(test_listener.closed_calls, before + 1);
}

/*
 * The device returned the original frame, lwIP's timer retransmitted
 * it, and the ACK of the original arrives while the retransmission is
 * still in the TX ring: the connection lets the page go, the driver must
 * not. The device then reads the data (not poison) and only its TX
 * completion frees the page.
 */
static void test_ack_before_tx_completion_keeps_the_page(void **state)
{
	struct iobuf *b = page(11, 1000);
	uint64_t pinned0, pa = b->pa;
	const uint8_t *p;
	uint8_t want[1000];
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(want); i++)
		want[i] = (uint8_t)(11 + i * 7);
	open_conn();
	pinned0 = pinned_pages() - 1;
	test_listener_send(b, 1000);
	fake_nic_poll();
	assert_int_equal(fake_nic_tx_run(~0u), 1); /* the original */
	assert_int_equal(fake_peer.len, 1000);
	fake_nic_poll();
	test_run_tcp_timers(8); /* RTO: the retransmission, left in the ring */
	fake_nic_poll();
	assert_int_equal(fake_nic_tx_waiting(), 1);
	assert_int_equal(nic().tx_pages_held, 1);
	assert_int_equal(b->refcnt, 2); /* the connection's, the driver's */

	fake_peer_ack_all(); /* the ACK of the original */
	fake_nic_poll();
	assert_int_equal(conn_queued(test_listener.accepted),
			 0); /* conn let go */
	assert_ptr_equal(iobuf_from_pa(pa), b); /* ... the driver did not */
	assert_int_equal(b->refcnt, 1);
	assert_int_equal(pinned_pages(), pinned0 + 1);
	assert_int_equal(nic().tx_pages_held, 1);

	assert_int_equal(fake_nic_tx_run(~0u), 1); /* the device reads it */
	p = fake_nic_last_payload(&len);
	assert_int_equal(len, 1000);
	assert_memory_equal(p, want, 1000);
	assert_int_equal(fake_peer.bad_retransmits, 0);
	fake_nic_poll(); /* TX completion: only now the page goes */
	assert_int_equal(pinned_pages(), pinned0);
	assert_int_equal(nic().tx_pages_held, 0);
	assert_int_equal(nic().tx_stale_pages, 0);
	close_conn();
}

/*
 * Frames parked in the driver's backlog behind a full TX ring: the peer
 * acknowledges everything lwIP sent (it never saw a byte), the
 * connection drops all its pages, and every frame the device reads later
 * from the ring or the backlog still carries the file's bytes.
 */
static void test_acked_frames_in_ring_and_backlog_keep_their_pages(void **state)
{
	enum { PAGES = 48 };
	static uint8_t want[PAGES * PAGE_SIZE];
	struct tcp_pcb *pcb;
	uint64_t free0, held = 0;
	struct vnet_stats ns;

	(void)state;
	open_conn();
	free0 = free_pages();
	fake_peer_reset_data();
	for (unsigned int i = 0; i < PAGES; i++) {
		for (size_t k = 0; k < PAGE_SIZE; k++)
			want[i * PAGE_SIZE + k] = (uint8_t)(i + k * 7);
		test_listener_send(page(i, PAGE_SIZE), PAGE_SIZE);
	}
	/* The peer acknowledges what lwIP has sent so far; lwIP's window
	 * grows and more frames pile up undelivered. */
	pcb = tcp_active_pcbs;
	assert_non_null(pcb);
	for (int round = 0; round < 40 && conn_queued(test_listener.accepted);
	     round++) {
		fake_nic_poll();
		fake_peer_ack(pcb->snd_nxt);
		fake_nic_poll();
		ns = nic();
		held = ns.tx_pages_held > held ? ns.tx_pages_held : held;
	}
	assert_int_equal(conn_queued(test_listener.accepted), 0);
	ns = nic();
	assert_true(ns.tx_ring_full > 0); /* the backlog was used */
	assert_true(ns.tx_pages_held >= PAGES - 1);
	assert_int_equal(fake_peer.len, 0);
	/* Only the device holds the pages now. */
	assert_true(free_pages() < free0);
	while (fake_nic_tx_run(~0u))
		fake_nic_poll();
	fake_nic_poll();
	assert_int_equal(fake_peer.len, sizeof(want));
	assert_memory_equal(fake_peer.data, want, sizeof(want));
	assert_int_equal(nic().tx_pages_held, 0);
	assert_int_equal(free_pages(), free0);
	assert_int_equal(fake_peer.bad_retransmits, 0);
	/* A device without HOST_TSO4: 192 KiB left in frames of one MSS at
	 * most (tests/net/test_tso.c has the device with it). */
	assert_int_equal(nic().tso_on, 0);
	assert_int_equal(nic().tx_tso_frames, 0);
	assert_int_equal(fake_nic_tx_log.gso_frames, 0);
	assert_true(fake_nic_tx_log.frame_max <= 14 + 20 + 20 + 1460);
	assert_int_equal(nic().tx_frame_max, fake_nic_tx_log.frame_max);
	close_conn();
}

/*
 * With mergeable RX buffers a frame may fill several buffers: the
 * device here writes at most 300 bytes into each, so a 1,400-byte
 * segment spans five. The bytes arrive in order and exact, the merge is
 * counted, and every buffer goes back to the pool.
 */
static void test_frames_spanning_rx_buffers_arrive_exact(void **state)
{
	unsigned char msg[1400];
	struct vnet_stats s0, s1;

	(void)state;
	for (size_t i = 0; i < sizeof(msg); i++)
		msg[i] = (unsigned char)(i * 13 + 5);
	open_conn();
	test_listener.received = 0;
	s0 = nic();
	fake_nic_rx_split = 300;
	fake_peer_send(msg, sizeof(msg));
	fake_peer_send(msg, 10); /* small: one buffer, not merged */
	fake_nic_rx_split = 0;
	fake_nic_poll();
	s1 = nic();
	assert_int_equal(test_listener.received, sizeof(msg) + 10);
	assert_memory_equal(test_listener.data, msg, sizeof(msg));
	assert_memory_equal(test_listener.data + sizeof(msg), msg, 10);
	assert_int_equal(s1.rx_merged - s0.rx_merged, 1);
	/* 12 + 14 + 20 + 20 + 1400 bytes in 300-byte buffers. */
	assert_int_equal(s1.rx_merged_bufs - s0.rx_merged_bufs, 5);
	assert_int_equal(s1.rx_bufs_per_frame_max, 5);
	assert_int_equal(s1.rx_errors, s0.rx_errors);
	assert_int_equal(s1.rx_held, 0); /* all handed back */
	assert_true(s1.rx_pool_pages * 2 >= s1.rx_posted); /* 2 KiB each */
	assert_true(s1.rx_pool_pages * 2 <= s1.rx_posted + 2);
	fake_nic_tx_run(~0u);
	close_conn();
}

/*
 * TX doorbell batching: the frames a main-loop pass posts are announced
 * to the device once, at the pass end (or early, every tx_kick_batch (8)
 * frames), never once per frame: with no event index to waive any, a
 * doorbell per frame would be one per frame. Every byte still arrives.
 */
static void test_doorbell_rings_once_per_pass(void **state)
{
	enum { PAGES = 24 };
	static uint8_t want[PAGES * PAGE_SIZE];
	uint64_t kicks0 = fake_nic_tx_notifies, frames0, frames, kicks;
	int passes = 0;

	(void)state;
	open_conn();
	fake_peer_reset_data();
	frames0 = nic().tx_packets;
	for (unsigned int i = 0; i < PAGES; i++) {
		for (size_t k = 0; k < PAGE_SIZE; k++)
			want[i * PAGE_SIZE + k] = (uint8_t)(i + k * 7);
		test_listener_send(page(i, PAGE_SIZE), PAGE_SIZE);
	}
	for (int round = 0; round < 100 && fake_peer.len < sizeof(want);
	     round++) {
		passes += fake_nic_poll();
		fake_nic_tx_run(~0u);
		fake_peer_ack_all();
	}
	passes += fake_nic_poll();
	frames = nic().tx_packets - frames0;
	kicks = fake_nic_tx_notifies - kicks0;
	assert_int_equal(fake_peer.len, sizeof(want));
	assert_memory_equal(fake_peer.data, want, sizeof(want));
	assert_true(frames >= PAGES * PAGE_SIZE / 1460);
	assert_true(kicks >= 1);
	assert_true(kicks <= (uint64_t)passes + frames / 8);
	assert_true(kicks * 2 < frames);
	close_conn();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ack_before_tx_completion_keeps_the_page),
		cmocka_unit_test(
			test_acked_frames_in_ring_and_backlog_keep_their_pages),
		cmocka_unit_test(test_frames_spanning_rx_buffers_arrive_exact),
		cmocka_unit_test(test_doorbell_rings_once_per_pass),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
