// SPDX-License-Identifier: MIT
/*
 * TCP segmentation offload on the host: the real lwIP core with the
 * kernel's patches (0020-0022), net/conn.c and net/virtio_net.c, over a
 * fake device that offers VIRTIO_NET_F_HOST_TSO4 (tests/net/fake_nic.c).
 * Checked: a 256 KiB send leaves as a few frames far above the MTU, each
 * with gso_type TCPV4, gso_size = the MSS and hdr_len = the headers, and
 * the peer's bytes are exact; after a loss inside a large segment and a
 * retransmission timeout, lwIP resends from the first unacknowledged
 * byte (the acknowledged part of the segment is trimmed), one MSS as the
 * congestion window allows, then grows back to TSO frames.
 * (tests/net/test_virtio_net.c has the device without the feature:
 * 1460-byte segments only.)
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
#define MSS 1460
#define PAGES 64 /* 256 KiB per test: slow start reaches SEG_MAX */
#define HDRS (14 + 20 + 20) /* Ethernet, IPv4, TCP without options */
/* lwIP's segments: a multiple of the MSS up to half the peer's window
 * (FAKE_PEER_WINDOW, no scaling) */
#define SEG_MAX ((FAKE_PEER_WINDOW / 2) / MSS * MSS)

static uint8_t sent[PAGES * PAGE_SIZE];
static size_t sent_len;
static uint32_t stream_start; /* sequence number of sent[0] */

static struct vnet_stats nic(void)
{
	struct vnet_stats st;

	fake_nic_stats(&st);
	return st;
}

/* Queue PAGES pages of fresh bytes on the accepted connection. */
static void send_pages(unsigned int seed)
{
	sent_len = 0;
	for (int i = 0; i < PAGES; i++) {
		struct iobuf *b = iobuf_alloc(PAGE_SIZE, NULL, NULL);
		uint8_t *p;

		assert_non_null(b);
		p = iobuf_map(b);
		for (uint32_t j = 0; j < PAGE_SIZE; j++)
			p[j] = (uint8_t)(seed + i * 131 + j * 7 + j / 253);
		memcpy(sent + sent_len, p, PAGE_SIZE);
		sent_len += PAGE_SIZE;
		iobuf_unmap(b, p);
		iobuf_seal(b, PAGE_SIZE);
		test_listener_send(b, PAGE_SIZE);
	}
}

/* Device and peer run, the peer acknowledging all it has, until the
 * connection has nothing queued (or `rounds` pass). */
static void drain(int rounds)
{
	for (int i = 0; i < rounds && conn_queued(test_listener.accepted);
	     i++) {
		fake_nic_poll();
		fake_nic_tx_run(~0u);
		fake_peer_ack_all();
		fake_nic_poll();
	}
	assert_int_equal(conn_queued(test_listener.accepted), 0);
}

static void assert_peer_has_all(void)
{
	assert_int_equal(fake_peer.len, sent_len);
	assert_memory_equal(fake_peer.data, sent, sent_len);
	assert_int_equal(fake_peer.bad_retransmits, 0);
}

static int setup(void **state)
{
	(void)state;
	iobuf_set_poison(true);
	if (iobuf_pool_init(POOL_PAGES))
		return -1;
	fake_nic_offer_tso = true;
	fake_nic_init();
	return conn_listen(TEST_PORT, &test_listener_cbs, NULL);
}

static void open_conn(void)
{
	test_listener.accepted = NULL;
	fake_peer_open(TEST_PORT);
	assert_true(fake_peer.established);
	assert_non_null(test_listener.accepted);
	fake_peer_reset_data();
	stream_start = fake_peer.rcv_nxt;
}

static void test_large_send_leaves_as_tso_frames(void **state)
{
	struct fake_nic_tx_log before = fake_nic_tx_log;
	struct fake_nic_tx_log *l = &fake_nic_tx_log;
	uint64_t frames;

	(void)state;
	open_conn();
	assert_int_equal(nic().tso_on, 1);
	send_pages(1);
	drain(100);
	assert_peer_has_all();
	frames = l->frames - before.frames;
	assert_true(l->gso_frames > before.gso_frames);
	assert_int_equal(l->gso_bad, 0);
	assert_int_equal(l->gso_size, MSS);
	assert_int_equal(l->hdr_len, HDRS);
	/* segments of up to SEG_MAX, never more, split to what the
	 * congestion and the peer's 64 KiB window allow: 256 KiB in a few
	 * frames of many MSS each */
	assert_true(l->gso_payload_max >= 10 * MSS);
	assert_true(l->gso_payload_max <= SEG_MAX);
	assert_int_equal(l->frame_max, HDRS + l->gso_payload_max);
	assert_true(frames < sent_len / MSS / 5);
	assert_int_equal(nic().tx_tso_frames, l->gso_frames);
	assert_int_equal(nic().tx_frame_max, l->frame_max);
}

/*
 * The peer got everything but acknowledges only up to a point inside a
 * large segment, and loses the rest. After the retransmission timeout
 * lwIP resends from exactly that point (the segment's acknowledged head
 * trimmed, not resent), one MSS as the congestion window of one MSS
 * allows (an ordinary frame), and as ACKs open the window again the rest
 * of the segment goes out re-segmented, as TSO frames again.
 */
static void test_rto_after_partial_ack_resegments(void **state)
{
	struct fake_nic_tx_log *l = &fake_nic_tx_log;
	uint64_t gso_before, dups_before;
	uint32_t cut;

	(void)state;
	open_conn();
	send_pages(2);
	/* let the window open: a few rounds fully acknowledged */
	for (int i = 0; i < 3; i++) {
		fake_nic_poll();
		fake_nic_tx_run(~0u);
		fake_peer_ack_all();
		fake_nic_poll();
	}
	/* the device takes frames up to a TSO segment of 3 MSS or more */
	fake_nic_poll();
	for (;;) {
		size_t len;

		assert_int_equal(fake_nic_tx_run(1), 1);
		fake_nic_last_payload(&len);
		if (len >= 3 * MSS)
			break;
	}
	/* the peer has MSS + 100 bytes of it, acknowledges them and loses
	 * everything after, in the ring too */
	cut = fake_peer.last_seq + MSS + 100;
	fake_nic_tx_run(~0u);
	fake_peer_rewind(cut);
	fake_peer_ack(cut);
	fake_nic_poll();
	fake_nic_tx_run(~0u);
	fake_nic_poll();
	assert_int_equal(fake_peer.rcv_nxt, cut);

	gso_before = l->gso_frames;
	dups_before = fake_peer.dup_frames;
	test_run_tcp_timers(20); /* the retransmission timer fires */
	fake_nic_poll();
	assert_int_equal(fake_nic_tx_run(1), 1);
	assert_int_equal(fake_peer.last_seq, cut); /* the acked head trimmed */
	assert_int_equal(fake_peer.rcv_nxt, cut + MSS); /* one MSS */
	assert_int_equal(l->gso_frames, gso_before);
	assert_int_equal(fake_peer.dup_frames, dups_before);
	fake_nic_tx_run(~0u);
	drain(200);
	assert_peer_has_all();
	assert_true(l->gso_frames > gso_before); /* TSO again in recovery */
	assert_int_equal(l->gso_bad, 0);
	assert_int_equal(fake_peer.rcv_nxt, stream_start + sent_len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_large_send_leaves_as_tso_frames),
		cmocka_unit_test(test_rto_after_partial_ack_resegments),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
