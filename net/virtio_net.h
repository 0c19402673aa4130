/* SPDX-License-Identifier: MIT */
/*
 * virtio-net (virtio 1.2, 5.1) on the kernel's modern PCI transport, as
 * an lwIP netif. Names follow lwIP's contrib ethernetif.c:
 *
 *   vnet_probe       map the function, negotiate features, set up the
 *                    RX/TX queues and MSI-X (the device is not live yet)
 *   vnet_netif_init  netif_add()'s init callback (ethernetif_init):
 *                    low_level_init fills the RX ring and sets DRIVER_OK
 *   vnet_poll        the main loop's work (ethernetif_input): RX frames
 *                    to netif->input, TX completions, link changes
 *
 * Buffers: each RX descriptor is one RX buffer, an IO-Lite pool page or,
 * with MRG_RXBUF, an `rx_buf=` byte piece of one (virtio-net header then
 * the frame, which may continue in the next buffers); a received frame
 * goes up as custom pbufs over those buffers (no copy) and each pbuf's
 * free function drops its buffer's page reference. TX posts
 * the header plus every pbuf of the chain by physical address and holds
 * a pbuf reference until the device returns the chain (lwIP then skips
 * retransmitting a segment still in the ring: tcp_output_segment_busy).
 * When the ring is full, frames wait in a bounded backlog.
 *
 * Concurrency: everything runs in the main loop ([m]) except the MSI-X
 * handlers, which only set the [q] pending flags and count.
 */
#ifndef NET_VIRTIO_NET_H
#define NET_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/lib/compiler.h"
#include "lwip/err.h"
#include "net/vnet_stats.h"

struct netif;
struct pci_dev;
struct vnet_dev;
struct vnet_nic;

/* feature bits (5.1.3) */
#define VIRTIO_NET_F_CSUM (1ull << 0) /* device completes TX checksums */
#define VIRTIO_NET_F_GUEST_CSUM (1ull << 1) /* RX may skip checksums */
#define VIRTIO_NET_F_MAC (1ull << 5)
#define VIRTIO_NET_F_HOST_TSO4 (1ull << 11) /* device segments TCPv4 */
#define VIRTIO_NET_F_MRG_RXBUF (1ull << 15)
#define VIRTIO_NET_F_STATUS (1ull << 16)
#define VIRTIO_NET_F_CTRL_VQ (1ull << 17) /* control queue */
#define VIRTIO_NET_F_MQ (1ull << 22) /* several RX/TX queue pairs */
#define VIRTIO_NET_F_RSS (1ull << 60) /* device steers RX by RSS hash */

/* virtio_net_hdr.flags (5.1.6) */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1

/* config status bits (5.1.4) */
#define VIRTIO_NET_S_LINK_UP 1

#define VNET_RXQ 0 /* receiveq1; pair i's RX queue is 2i */
#define VNET_TXQ 1 /* transmitq1; pair i's TX queue is 2i + 1 */
#define VNET_MAC_LEN 6

/* Control queue commands (5.1.6.5): class, command, data, then the
 * device's one-byte answer. */
#define VIRTIO_NET_CTRL_MQ 4
#define VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET 0
#define VIRTIO_NET_CTRL_MQ_RSS_CONFIG 1
#define VIRTIO_NET_OK 0
#define VIRTIO_NET_ERR 1

struct virtio_net_ctrl_hdr {
	uint8_t class;
	uint8_t cmd;
} __packed;
STATIC_ASSERT(sizeof(struct virtio_net_ctrl_hdr) == 2);

/* RSS (5.1.6.5.7): the hash types we ask for, and the device
 * configuration fields after mtu that describe what it can do. */
#define VIRTIO_NET_RSS_HASH_TYPE_IPV4 (1u << 0)
#define VIRTIO_NET_RSS_HASH_TYPE_TCPV4 (1u << 1)
#define VNET_RSS_KEY_LEN 40 /* Toeplitz key bytes (IPv4 + ports: 16) */
#define VNET_RSS_TABLE_LEN 128 /* indirection entries, a power of 2 */
#define VNET_CFG_RSS_MAX_KEY 17 /* u8 rss_max_key_size */
#define VNET_CFG_RSS_MAX_TABLE 18 /* le16 rss_max_indirection_table_length */
#define VNET_CFG_RSS_HASH_TYPES 20 /* le32 supported_hash_types */

/* VIRTIO_NET_CTRL_MQ_RSS_CONFIG's data, our fixed-size form. */
struct virtio_net_rss_config {
	uint32_t hash_types; /* le32 */
	uint16_t indirection_table_mask; /* le16: entries - 1 */
	uint16_t unclassified_queue; /* le16: RX queue of frames not hashed */
	uint16_t indirection_table[VNET_RSS_TABLE_LEN]; /* le16 RX queues */
	uint16_t max_tx_vq; /* le16 */
	uint8_t hash_key_length;
	uint8_t hash_key_data[VNET_RSS_KEY_LEN];
} __packed;
STATIC_ASSERT(sizeof(struct virtio_net_rss_config) ==
	      4 + 2 + 2 + 2 * VNET_RSS_TABLE_LEN + 2 + 1 + VNET_RSS_KEY_LEN);

/* VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET as the driver keeps it: three
 * separate descriptors (header and pairs read, ack written). */
struct vnet_ctrl_mq {
	struct virtio_net_ctrl_hdr hdr;
	uint16_t pairs; /* le16 virtqueue_pairs */
	uint8_t ack; /* written by the device */
	struct virtio_net_rss_config rss; /* or this, with RSS */
};

/* Device-specific configuration (5.1.4), the part we read. */
struct virtio_net_config {
	uint8_t mac[VNET_MAC_LEN];
	uint16_t status; /* le16, with VIRTIO_NET_F_STATUS */
	uint16_t max_virtqueue_pairs; /* le16 */
	uint16_t mtu; /* le16 */
} __packed;
STATIC_ASSERT(sizeof(struct virtio_net_config) == 12);

/* The header in front of every frame (5.1.6); num_buffers is always
 * present with VIRTIO_F_VERSION_1. Little-endian fields. */
struct virtio_net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};
STATIC_ASSERT(sizeof(struct virtio_net_hdr) == 12);

/* Bring up virtio-net function `pci` with up to `pairs` RX/TX queue
 * pairs (fewer when the device, VNET_PAIRS_MAX or its MSI-X table has
 * fewer), up to (not including) DRIVER_OK. 0 with *out set; -ENODEV,
 * -ENOMEM, -EIO, -EOPNOTSUPP; on error the device is marked FAILED and
 * nothing stays allocated. */
int vnet_probe(struct pci_dev *pci, uint32_t pairs, struct vnet_nic **out);

/* Queue pairs set up (1 without VIRTIO_NET_F_MQ). */
uint32_t vnet_pairs(const struct vnet_nic *nic);

/* The CPU that runs pair `pair` and takes its interrupts. */
unsigned vnet_pair_cpu(const struct vnet_nic *nic, uint32_t pair);

/* Pair `i` (receiveq i+1, transmitq i+1), or NULL past the last. */
struct vnet_dev *vnet_pair(struct vnet_nic *nic, uint32_t i);

/* netif_add() init callback; netif->state is the pair's struct
 * vnet_dev. Once every pair has been through it the device starts
 * (DRIVER_OK, then the pairs switched on through the control queue). */
err_t vnet_netif_init(struct netif *netif);

/* Do pending RX, TX-completion and link work. Returns > 0 if it did
 * any (the main loop polls again before halting). Main loop only. */
int vnet_poll(struct vnet_dev *dev);

/* Notify the device of the TX frames posted since the last notification
 * (if its event index asks for it). The main loop calls it at the end of
 * each pass; a post notifies early once `tx_kick_batch` frames wait. */
void vnet_tx_doorbell(struct vnet_dev *dev);

/* Whether the link is up (always, without VIRTIO_NET_F_STATUS). */
bool vnet_link_up(const struct vnet_dev *dev);

/* "msix" or "intx": how the device interrupts. */
const char *vnet_irq_mode(const struct vnet_dev *dev);

void vnet_get_stats(const struct vnet_dev *dev, struct vnet_stats *st);

/* Log the counters on one line (info level). */
void vnet_log_stats(const struct vnet_dev *dev);

#endif
