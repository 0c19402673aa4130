/* SPDX-License-Identifier: MIT */
/*
 * Host harness for net/: the real lwIP core, net/conn.c and
 * net/virtio_net.c over a fake virtio-net device and a fake TCP peer.
 *
 * The device is the other side of the driver's two rings (kernel/virtio/
 * virtq.c): it takes TX chains only when the test says (fake_nic_tx_run),
 * so a frame can stay in the ring, or in the driver's backlog, as long as
 * a test wants; each frame it takes goes to the peer. The peer (one TCP
 * connection to the guest, 10.0.0.1 -> 10.0.0.2) sends SYN, requests and
 * ACKs as frames in the RX ring, and keeps the in-order bytes it got.
 * Nothing runs by itself: fake_nic_poll() is the main loop's network
 * work (vnet_poll, conn's deferred work) until it is idle.
 */
#ifndef TESTS_NET_FAKE_NIC_H
#define TESTS_NET_FAKE_NIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vnet_stats;

#define FAKE_PEER_WINDOW 65535u /* no window scaling: 64 KiB at most */

struct fake_peer {
	uint16_t port, dport; /* ours, the guest's */
	uint32_t snd_nxt; /* next sequence number we send */
	uint32_t rcv_nxt; /* next byte expected from the guest */
	uint32_t acked; /* highest ACK we sent */
	bool established, fin;
	uint8_t *data; /* in-order bytes received */
	size_t len, cap;
	uint64_t frames, dup_frames; /* data frames taken / already had */
	uint64_t bad_retransmits; /* resent bytes that differ from the first */
	uint32_t last_seq; /* of the last data frame taken */
};

extern struct fake_peer fake_peer;

/* Set before fake_nic_init: the device offers VIRTIO_NET_F_HOST_TSO4. */
extern bool fake_nic_offer_tso;

/* Every frame the device took, from its virtio_net_hdr and length. */
struct fake_nic_tx_log {
	uint64_t frames, gso_frames;
	uint64_t gso_bad; /* not TCPV4 + NEEDS_CSUM, or no longer than gso_size */
	uint32_t frame_max; /* bytes, Ethernet header included */
	uint32_t gso_payload_max; /* largest TSO payload (after hdr_len) */
	uint16_t gso_size, hdr_len; /* of the last TSO frame */
};

extern struct fake_nic_tx_log fake_nic_tx_log;

/* lwIP, the device, the netif and a static ARP entry for the peer. The
 * caller set up the iobuf pool first. */
void fake_nic_init(void);
/* Most bytes the device writes into one RX buffer (0: all that fit), so
 * frames span several mergeable buffers. */
extern size_t fake_nic_rx_split;
/* TX doorbells the driver rang (the fake negotiates no event index, so
 * each vnet_tx_doorbell with frames posted rings it). */
extern uint64_t fake_nic_tx_notifies;
/* Run the network work until nothing is left, each pass ending with the
 * TX doorbell as the main loop's does; returns passes that did work. */
int fake_nic_poll(void);
/* Deferred conn work (closed(), held data) as the main loop runs it. */
int fake_nic_conn_poll(void);
/* The device takes up to `max` TX chains (oldest first), hands their
 * frames to the peer and returns them used; returns how many. */
unsigned int fake_nic_tx_run(unsigned int max);
/* TX chains posted and not yet taken by the device. */
unsigned int fake_nic_tx_waiting(void);
/* The payload bytes of the last frame the device took. */
const uint8_t *fake_nic_last_payload(size_t *len);
void fake_nic_stats(struct vnet_stats *st);

/* Peer: connect (SYN; the handshake completes on fake_nic_poll with the
 * device running), send bytes, acknowledge up to a sequence number. */
void fake_peer_connect(uint16_t port);
void fake_peer_send(const void *data, size_t len);
void fake_peer_ack(uint32_t ackno);
/* Acknowledge everything received so far. */
void fake_peer_ack_all(void);
void fake_peer_fin(void);
void fake_peer_rst(void);
/* Full handshake to `port`: connect, let the device run, acknowledge. */
void fake_peer_open(uint16_t port);
/* Lose every byte received from `seq` on, as if those frames had been
 * dropped on the way (the ACKs sent so far stay sent). */
void fake_peer_rewind(uint32_t seq);
/* Forget the received bytes (keeps the sequence state). */
void fake_peer_reset_data(void);

#endif
