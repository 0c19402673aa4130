/* SPDX-License-Identifier: MIT */
/*
 * The virtio-net driver's counters (net/virtio_net.c owns them), in two
 * lists: those /_stats shows as its "nic" object (net_nic_counters() in
 * net/net.h carries them up) and those only the driver's log line shows.
 * No lwIP here, so that net/net.h can use the lists.
 */
#ifndef NET_VNET_STATS_H
#define NET_VNET_STATS_H

#include <stdint.h>

#include "kernel/lib/statjson.h"

#define VNET_NIC_STATS(X)                                               \
	X(rx_packets)                                                   \
	X(rx_drops) /* refused by lwIP or failed the checksum */        \
	X(rx_refill_failed) /* pool or RX_BUFS_MAX exhausted */         \
	X(rx_posted) /* now: buffers in the RX ring */                  \
	X(rx_held) /* now: received buffers lwIP still holds */         \
	X(rx_pool_pages) /* now: pool pages RX holds, stash included */ \
	X(rx_stashed) /* now: pages kept for refills, no buffer */      \
	X(rx_pages_reused) /* refills from the stash, not the pool */   \
	X(rx_merged) /* frames that spanned more than one buffer */     \
	X(rx_merged_bufs) /* the buffers of those frames */             \
	X(rx_bufs_per_frame_max)                                        \
	X(tx_packets)                                                   \
	X(tx_bytes) /* frames' bytes, without the virtio header */      \
	X(tx_refused) /* ERR_MEM to lwIP: backlog full, TCP retries */  \
	X(tx_reruns) /* connections rerun when the backlog had room */  \
	X(tx_room_waiting) /* now: connections with output refused */   \
	X(tx_drops) /* no memory to linearize a frame */                \
	X(tx_page_refs) /* pool-page references taken for frames */     \
	X(tx_pages_held) /* now: pool pages posted frames name */       \
	X(tx_stale_pages) /* frames naming a freed page: dropped */     \
	X(tso_on) /* 1: HOST_TSO4 negotiated and tso=on */              \
	X(tx_tso_frames) /* frames the device segments (gso TCPV4) */   \
	X(tx_tso_bytes) /* bytes in those frames, headers included */   \
	X(tx_frame_max) /* largest frame posted, bytes */               \
	X(irqs_other_cpu) /* queue irqs not on the pair's CPU: 0 */     \
	X(tx_kicks) /* TX notifications sent to the device */           \
	X(tx_kicks_suppressed) /* ... the event index waived */         \
	X(rx_kicks) /* RX refill notifications sent */

#define VNET_DRIVER_STATS(X)                                         \
	X(rx_bytes)                                                  \
	X(rx_errors) /* device returned a bad length */              \
	X(rx_csum_trusted) /* DATA_VALID/NEEDS_CSUM: not verified */ \
	X(rx_csum_sw) /* verified here, no DATA_VALID */             \
	X(rx_refilled) /* buffers posted to the RX ring */           \
	X(tx_ring_full) /* frames that waited in the backlog */      \
	X(tx_linearized) /* chains over VNET_TX_SEGS_MAX, copied */  \
	X(tx_csum_offload) /* frames sent with NEEDS_CSUM */         \
	X(irqs) /* queue interrupts */                               \
	X(config_irqs) /* configuration-change interrupts */         \
	X(link_changes)                                              \
	X(rekicks) /* queues notified again after a stall */

struct vnet_stats {
	VNET_NIC_STATS(STAT_U64)
	VNET_DRIVER_STATS(STAT_U64)
};

#endif
