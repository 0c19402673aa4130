/* SPDX-License-Identifier: MIT */
/*
 * Checksum offload arithmetic for virtio-net (virtio 1.2, 5.1.6.2): find
 * where a frame's TCP/UDP checksum starts and lies, fill in the
 * pseudo-header sum the device completes (VIRTIO_NET_HDR_F_NEEDS_CSUM),
 * and verify a received frame's checksum in software when the device did
 * not vouch for it (no DATA_VALID).
 *
 * Pure functions on byte buffers (Ethernet II, optional 802.1Q tag,
 * IPv4): no lwIP, no state, so tests/net/test_vnet_csum.c runs them on
 * the host. Frames are external input: every read is bounds-checked and
 * malformed frames are reported, never trusted.
 */
#ifndef NET_VNET_CSUM_H
#define NET_VNET_CSUM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ETH_HLEN 14
#define ETH_TYPE_OFF 12
#define ETH_P_IPV4 0x0800
#define ETH_P_8021Q 0x8100
#define VLAN_HLEN 4
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17
#define TCP_CSUM_OFF 16 /* checksum field within the TCP header */
#define UDP_CSUM_OFF 6 /* ... within the UDP header */

/* Where the L4 checksum of a frame is. Offsets from the frame start. */
struct vnet_l4_info {
	uint16_t csum_start; /* first byte of the TCP/UDP header */
	uint16_t csum_offset; /* checksum field, from csum_start */
	uint16_t l4_len; /* TCP/UDP header + payload, from IPv4 length */
	uint8_t proto; /* IP_PROTO_TCP or IP_PROTO_UDP */
	uint32_t src, dst; /* IPv4 addresses, host byte order */
};

/*
 * Locate the L4 checksum of a frame of `frame_len` bytes whose first
 * `hdr_len` bytes are at `hdr` (the headers must be among them, up to
 * and including the checksum field). 0 with *out set; -ENOENT if the
 * frame carries no TCP/UDP checksum to offload (ARP, ICMP, IP fragments,
 * other protocols); -EINVAL if the headers are malformed or truncated.
 */
int vnet_l4_parse(const uint8_t *hdr, size_t hdr_len, size_t frame_len,
		  struct vnet_l4_info *out);

/* One's-complement accumulation of `len` bytes as big-endian 16-bit
 * words onto `sum` (an odd last byte is padded with zero). */
uint32_t vnet_csum_add(uint32_t sum, const void *data, size_t len);

/* Fold a 32-bit accumulator to 16 bits (not complemented). */
uint16_t vnet_csum_fold(uint32_t sum);

/* Folded sum of the IPv4 pseudo-header (src, dst, proto, l4_len). */
uint16_t vnet_pseudo_sum(const struct vnet_l4_info *l4);

/*
 * Prepare a frame for NEEDS_CSUM: write the pseudo-header sum into its
 * checksum field (inside hdr[0..hdr_len)) and return the offsets for the
 * virtio-net header. Same returns as vnet_l4_parse; on error the frame
 * is unchanged.
 */
int vnet_csum_prepare(uint8_t *hdr, size_t hdr_len, size_t frame_len,
		      uint16_t *csum_start, uint16_t *csum_offset);

/*
 * Where the TCP header that starts at `csum_start` ends (its data offset
 * field), i.e. the length of all headers: what a TSO frame's hdr_len
 * says. The length, or -EINVAL if the header is malformed or not within
 * hdr[0..hdr_len).
 */
int vnet_tcp_hdr_end(const uint8_t *hdr, size_t hdr_len, uint16_t csum_start);

/*
 * Whether the TCP/UDP checksum of a complete, contiguous frame is right.
 * true for frames without one (-ENOENT above) and for UDP checksum 0
 * ("none"); false for malformed frames and wrong checksums.
 */
bool vnet_l4_csum_ok(const uint8_t *frame, size_t len);

#endif
