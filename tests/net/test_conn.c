// SPDX-License-Identifier: MIT
/*
 * Unit tests for net/conn.c's ACK path against the real lwIP core: the
 * segments go out through the real virtio-net driver to a fake device,
 * and the ACKs come back from a fake peer (tests/net/fake_nic.c), as in
 * lwIP's own test/unit/tcp. Checked: acknowledged pages are released
 * piece by piece, the sent callback reports the acknowledged byte counts
 * (bytes_out, queued bytes, writable at low water), and with ECEM DNS the
 * real app/server.c splices exactly the acknowledged bytes from the ACK
 * path (the bytes the peer gets are the file's).
 */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "app/server.h"
#include "kernel/io/ecem.h"
#include "kernel/io/iobuf.h"
#include "kernel/param.h"
#include "lwip/priv/tcp_priv.h"
#include "net/conn.h"
#include "net/vnet_stats.h"
#include "tests/fakes/fake_clock.h"
#include "tests/fakes/fake_fs.h"
#include "tests/net/fake_nic.h"
#include "tests/net/test_listener.h"

#define POOL_PAGES 2048
#define TEST_PORT 8080 /* this file's listener; the server has 80 */
#define HTTP_PORT 80
#define WINDOW (256u << 10) /* the server's send_window default */
#define SPLICE_MIN (16u << 10) /* its splice_min default */

/* --- what app/server.c needs of the rest of the kernel --- */

int64_t rtc_now(void)
{
	return 1700000000;
}

int http_stats_json(char *buf, size_t size)
{
	return snprintf(buf, size, "{}\n");
}

static uint8_t big[1 << 20];

static int setup(void **state)
{
	(void)state;
	if (iobuf_pool_init(POOL_PAGES))
		return -1;
	fake_nic_init();
	fake_fs_reset();
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + i / 4096);
	fake_fs_add_file("/big.bin", big, sizeof(big), 1600000000);
	http_init();
	return conn_listen(TEST_PORT, &test_listener_cbs, NULL);
}

static struct conn_stats cstats(void)
{
	struct conn_stats st;

	conn_get_stats(&st);
	return st;
}

static struct http_stats hstats(void)
{
	struct http_stats st;

	http_get_stats(&st);
	return st;
}

/* Pinned pool pages besides the RX buffers' (which come and go in
 * pieces of pages as the ring is refilled). */
static uint64_t pinned(void)
{
	struct iobuf_stats st;
	struct vnet_stats ns;

	iobuf_get_stats(&st);
	fake_nic_stats(&ns);
	return st.pinned_pages - ns.rx_pool_pages;
}

/* Let the device deliver everything and the stack react, without ACKs. */
static void deliver_all(void)
{
	do
		fake_nic_poll();
	while (fake_nic_tx_run(~0u));
}

static void ack_to(uint32_t seq)
{
	fake_peer_ack(seq);
	fake_nic_poll();
}

/* Bytes the peer received and has not acknowledged. */
static uint32_t unacked(void)
{
	return fake_peer.rcv_nxt - fake_peer.acked;
}

static void close_from_peer(void)
{
	int before = test_listener.closed_calls;

	fake_peer_fin();
	for (int i = 0; i < 10 && test_listener.closed_calls == before; i++) {
		deliver_all();
		fake_peer_ack_all();
		fake_nic_poll();
	}
	assert_int_equal(test_listener.closed_calls, before + 1);
}

/*
 * Three pages queued and delivered; ACKs at and between segment
 * boundaries. lwIP reports a segment to the sent callback only once it
 * is acknowledged whole, and the connection follows exactly: bytes_out
 * and queued_bytes move by the segments covered, a page is released
 * when (and only when) those cover its last byte, and each reported ACK
 * runs writable() (less than CONN_SEND_LOWAT is queued).
 */
static void test_acks_release_pages_and_count_bytes(void **state)
{
	enum { PAGES = 3, TOTAL = PAGES * PAGE_SIZE, MSS = 1460 };
	struct conn_stats before, now;
	struct ioagg agg;
	uint64_t pinned0;
	uint32_t base;
	int w, reported = 0;

	(void)state;
	fake_peer_open(TEST_PORT);
	assert_non_null(test_listener.accepted);
	fake_peer_reset_data();
	pinned0 = pinned();
	ioagg_init(&agg);
	for (int i = 0; i < PAGES; i++) {
		struct iobuf *b = iobuf_alloc(PAGE_SIZE, NULL, NULL);

		iobuf_seal(b, PAGE_SIZE);
		assert_int_equal(ioagg_append(&agg, b, 0, PAGE_SIZE), 0);
		iobuf_unref(b); /* the aggregate holds them */
	}
	before = cstats();
	base = fake_peer.acked;
	w = test_listener.writable_calls;
	assert_int_equal(conn_send(test_listener.accepted, &agg), 0);
	deliver_all();
	assert_true(fake_peer.len >= 3 * MSS); /* lwIP's first flight */
	assert_int_equal(pinned(), pinned0 + PAGES);

	ack_to(base + 1000); /* inside the first segment: nothing yet */
	deliver_all();
	now = cstats();
	assert_int_equal(now.bytes_out, before.bytes_out);
	assert_int_equal(conn_queued(test_listener.accepted), TOTAL);
	assert_int_equal(test_listener.writable_calls, w);

	ack_to(base + MSS);
	reported++;
	deliver_all();
	now = cstats();
	assert_int_equal(now.bytes_out - before.bytes_out, MSS);
	assert_int_equal(now.queued_bytes - before.queued_bytes, TOTAL - MSS);
	assert_int_equal(conn_queued(test_listener.accepted), TOTAL - MSS);
	assert_int_equal(pinned(), pinned0 + PAGES); /* page 0 not covered */
	assert_int_equal(test_listener.writable_calls, w + reported);

	ack_to(base + PAGE_SIZE); /* segment 3 ends at 4380: not whole */
	reported++;
	assert_int_equal(cstats().bytes_out - before.bytes_out, 2 * MSS);
	assert_int_equal(pinned(), pinned0 + PAGES);
	ack_to(base + 3 * MSS);
	reported++;
	assert_int_equal(cstats().bytes_out - before.bytes_out, 3 * MSS);
	assert_int_equal(pinned(), pinned0 + PAGES - 1); /* page 0 went */

	while (fake_peer.acked - base < TOTAL) {
		deliver_all();
		ack_to(fake_peer.rcv_nxt);
		reported++;
		assert_int_equal(cstats().bytes_out - before.bytes_out,
				 fake_peer.acked - base);
		assert_int_equal(conn_queued(test_listener.accepted),
				 TOTAL - (fake_peer.acked - base));
		assert_int_equal(pinned(),
				 pinned0 + PAGES -
					 (fake_peer.acked - base) / PAGE_SIZE);
	}
	now = cstats();
	assert_int_equal(now.bytes_out - before.bytes_out, TOTAL);
	assert_int_equal(now.queued_bytes, before.queued_bytes);
	assert_int_equal(conn_queued(test_listener.accepted), 0);
	assert_int_equal(pinned(), pinned0);
	assert_int_equal(test_listener.writable_calls, w + reported);
	assert_int_equal(fake_peer.len, TOTAL);
	close_from_peer();
}

/* Above CONN_SEND_LOWAT queued, an ACK wakes nobody; the one that brings
 * the queue below it does, once. */
static void test_writable_only_below_low_water(void **state)
{
	uint32_t pages = CONN_SEND_LOWAT / PAGE_SIZE + 8;
	struct ioagg agg;
	int w, acks_above = 0;

	(void)state;
	fake_peer_open(TEST_PORT);
	ioagg_init(&agg);
	for (uint32_t i = 0; i < pages; i++) {
		struct iobuf *b = iobuf_alloc(PAGE_SIZE, NULL, NULL);

		iobuf_seal(b, PAGE_SIZE);
		assert_int_equal(ioagg_append(&agg, b, 0, PAGE_SIZE), 0);
		iobuf_unref(b);
	}
	w = test_listener.writable_calls;
	assert_int_equal(conn_send(test_listener.accepted, &agg), 0);
	for (int round = 0; round < 1000; round++) {
		deliver_all();
		ack_to(fake_peer.rcv_nxt);
		if (conn_queued(test_listener.accepted) < CONN_SEND_LOWAT)
			break;
		acks_above++;
		assert_int_equal(test_listener.writable_calls, w);
	}
	assert_true(acks_above > 0);
	assert_true(conn_queued(test_listener.accepted) < CONN_SEND_LOWAT);
	assert_int_equal(test_listener.writable_calls, w + 1);
	while (conn_queued(test_listener.accepted)) {
		deliver_all();
		ack_to(fake_peer.rcv_nxt);
	}
	close_from_peer();
}

/*
 * ECEM DNS through the real stack and the real server: after the first
 * window, the ACK path reports the acknowledged bytes to the pair and the
 * server appends as many from the file right there, in batches of
 * splice_min (so the credit left over stays below it); the queue moves
 * by exactly what was appended minus what was acknowledged; the
 * application is woken once; the peer gets the file byte for byte.
 */
static void test_dns_splices_acknowledged_bytes(void **state)
{
	static const char req[] = "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n";
	const uint64_t spliced_all = sizeof(big) - WINDOW;
	struct http_stats before, after;
	struct ecem_stats es0, es;
	uint64_t out0, splices = 0;
	const uint8_t *body;

	(void)state;
	ecem_set_enabled(ECEM_F_DNS);
	fake_peer_open(HTTP_PORT);
	fake_peer_reset_data();
	before = hstats();
	ecem_get_stats(&es0);
	out0 = cstats().bytes_out;
	fake_peer_send(req, sizeof(req) - 1);
	deliver_all();
	for (int round = 0; round < 100000 && !fake_peer.fin; round++) {
		uint64_t q = cstats().queued_bytes, o = cstats().bytes_out;
		uint64_t s = hstats().spliced_ack_bytes;
		uint64_t acked, spliced;

		if (!unacked() && !cstats().queued_bytes)
			break;
		ack_to(fake_peer.rcv_nxt);
		acked = cstats().bytes_out - o;
		spliced = hstats().spliced_ack_bytes - s;
		assert_int_equal(cstats().queued_bytes + acked, q + spliced);
		splices += spliced > 0;
		if (hstats().spliced_ack_bytes - before.spliced_ack_bytes <
		    spliced_all) {
			/* credit = acknowledged - spliced < splice_min */
			uint64_t credit = cstats().bytes_out - out0 -
					  (hstats().spliced_ack_bytes -
					   before.spliced_ack_bytes);

			assert_true(credit < SPLICE_MIN);
		}
		deliver_all();
	}
	after = hstats();
	ecem_get_stats(&es);
	body = memmem(fake_peer.data, fake_peer.len, "\r\n\r\n", 4);
	assert_non_null(body);
	body += 4;
	assert_int_equal(fake_peer.len - (size_t)(body - fake_peer.data),
			 sizeof(big));
	assert_memory_equal(body, big, sizeof(big));
	/* An ACK covers at most the peer's window, so the splices were
	 * many: the body came from the ACK path, not one late read. */
	assert_true(splices >= spliced_all / (FAKE_PEER_WINDOW + SPLICE_MIN));
	assert_int_equal(after.responses_spliced - before.responses_spliced, 1);
	assert_int_equal(after.app_wakeups - before.app_wakeups, 1);
	assert_int_equal(after.spliced_ack_bytes - before.spliced_ack_bytes,
			 spliced_all);
	/* on_sent reported acknowledged bytes to the pair while it lived:
	 * at least every byte spliced, at most every byte acknowledged. */
	assert_true(es.bytes_acked_spliced - es0.bytes_acked_spliced >=
		    spliced_all);
	assert_true(es.bytes_acked_spliced - es0.bytes_acked_spliced <=
		    cstats().bytes_out - out0);
	assert_int_equal(es.pairs_live, 0);
	assert_int_equal(fake_peer.bad_retransmits, 0);
	ecem_set_enabled(0);
}

/*
 * DNS with reads that complete later: ACKs that arrive while a splice
 * read is out only add credit (the queue shrinks), the disk completion
 * appends the read and starts one for the credit gathered meanwhile; a
 * reset from the peer with a read out leaks neither the pair nor pages.
 */
static void test_dns_resumed_by_disk_completion(void **state)
{
	static const char req[] = "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n";
	struct http_stats before;
	struct ecem_stats es;
	uint64_t q, pinned0, appended, out0, resets, active;

	(void)state;
	ecem_set_enabled(ECEM_F_DNS);
	pinned0 = pinned();
	out0 = cstats().bytes_out;
	fake_peer_open(HTTP_PORT);
	before = hstats();
	fake_peer_send(req, sizeof(req) - 1);
	deliver_all();
	fake_fs_set_deferred(true);
	/* Enough ACKs for a splice read; nothing is appended meanwhile. */
	while (cstats().bytes_out - out0 < 2 * SPLICE_MIN) {
		q = cstats().queued_bytes;
		assert_true(unacked() > 0);
		ack_to(fake_peer.rcv_nxt);
		assert_true(cstats().queued_bytes < q);
		deliver_all();
	}
	ack_to(fake_peer.rcv_nxt); /* credit gathers behind the read */
	q = cstats().queued_bytes;
	assert_int_equal(fake_fs_complete(), 1);
	appended = hstats().spliced_disk_bytes - before.spliced_disk_bytes;
	assert_true(appended > 0);
	assert_int_equal(cstats().queued_bytes, q + appended);
	/* The completion started a read for what the ACKs left: reset with
	 * it out. */
	resets = cstats().resets;
	active = hstats().active;
	fake_peer_rst();
	fake_nic_poll();
	assert_int_equal(cstats().resets, resets + 1);
	while (fake_fs_complete())
		fake_nic_poll();
	assert_int_equal(hstats().active, active - 1);
	fake_fs_set_deferred(false);
	ecem_get_stats(&es);
	assert_int_equal(es.pairs_live, 0);
	fake_nic_poll();
	deliver_all();
	assert_int_equal(pinned(), pinned0);
	ecem_set_enabled(0);
}

/* A listener whose application has no room while `full`, and says the
 * room comes back soon (accept_later) while `soon`. */
#define ROOM_PORT 8081
static struct {
	bool full, soon;
	int accepts, closed;
} room;

static void *room_accept(void *listener_ctx, struct conn *c)
{
	(void)listener_ctx;
	if (room.full)
		return NULL;
	room.accepts++;
	return c;
}

static bool room_accept_later(void *listener_ctx)
{
	(void)listener_ctx;
	return room.soon;
}

static size_t room_recv(void *ctx, const void *data, size_t len)
{
	(void)ctx;
	(void)data;
	return len;
}

static void room_eof(void *ctx)
{
	conn_close(ctx);
}

static void room_writable(void *ctx)
{
	(void)ctx;
}

static void room_closed(void *ctx, int err)
{
	(void)ctx;
	(void)err;
	room.closed++;
}

static const struct conn_callbacks room_cbs = {
	.accept = room_accept,
	.accept_later = room_accept_later,
	.recv = room_recv,
	.eof = room_eof,
	.writable = room_writable,
	.closed = room_closed,
};

static void close_from_peer_room(void)
{
	int before = room.closed;

	fake_peer_fin();
	for (int i = 0; i < 10 && room.closed == before; i++) {
		deliver_all();
		fake_peer_ack_all();
		fake_nic_poll();
	}
	assert_int_equal(room.closed, before + 1);
}

/*
 * conn_max full of finishing connections (at -smp 2 their last ACK may
 * still be on its way to the other CPU): a refusal the application says
 * passes soon keeps the connection waiting, established, and it is
 * offered again once there is room; past CONN_ACCEPT_ROOM_WAIT_MS, or
 * when the application does not say so, it is refused as before.
 */
static void test_accept_waits_for_room_held_by_finishing(void **state)
{
	static bool listening;
	struct conn_stats before = cstats();

	(void)state;
	if (!listening) {
		assert_int_equal(conn_listen(ROOM_PORT, &room_cbs, NULL), 0);
		listening = true;
	}
	room = (typeof(room)){ .full = true, .soon = true };
	fake_peer_open(ROOM_PORT);
	assert_int_equal(cstats().accept_room_waits,
			 before.accept_room_waits + 1);
	assert_int_equal(cstats().refused, before.refused);
	assert_int_equal(cstats().accepted, before.accepted);
	assert_int_equal(room.accepts, 0);
	/* The request waits with it and reaches the application. */
	fake_peer_send("x", 1);
	fake_nic_poll();
	room.full = false; /* another CPU ran its closed() */
	fake_nic_poll();
	assert_int_equal(room.accepts, 1);
	assert_int_equal(cstats().accepted, before.accepted + 1);
	assert_int_equal(cstats().bytes_in, before.bytes_in + 1);
	close_from_peer_room();

	/* Room never comes: refused once the wait is over. */
	before = cstats();
	room = (typeof(room)){ .full = true, .soon = true };
	fake_peer_open(ROOM_PORT);
	assert_int_equal(cstats().accept_room_waits,
			 before.accept_room_waits + 1);
	fake_clock_ns += (CONN_ACCEPT_ROOM_WAIT_MS + 1) * 1000000ull;
	fake_nic_poll();
	assert_int_equal(cstats().accept_room_timeouts,
			 before.accept_room_timeouts + 1);
	assert_int_equal(cstats().refused, before.refused + 1);
	assert_int_equal(cstats().active, before.active);
	assert_int_equal(room.accepts, 0);

	/* Not soon: refused at once. */
	before = cstats();
	room = (typeof(room)){ .full = true, .soon = false };
	fake_peer_open(ROOM_PORT);
	assert_int_equal(cstats().refused, before.refused + 1);
	assert_int_equal(cstats().accept_room_waits, before.accept_room_waits);
	assert_int_equal(cstats().active, before.active);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acks_release_pages_and_count_bytes),
		cmocka_unit_test(test_writable_only_below_low_water),
		cmocka_unit_test(test_dns_splices_acknowledged_bytes),
		cmocka_unit_test(test_dns_resumed_by_disk_completion),
		cmocka_unit_test(test_accept_waits_for_room_held_by_finishing),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
