/* SPDX-License-Identifier: MIT */
/*
 * Internet checksums of outgoing TCP data (boot option `csum=`):
 *
 *   offload  the NIC computes them (VIRTIO_NET_F_CSUM); the CPU never
 *            reads file bytes to send them. The default.
 *   cache    lwIP computes them, but for sealed pool buffers (file pages,
 *            response heads) each (buffer, offset, length) sum is cached
 *            with the buffer (IO-Lite), so a hot file is summed once.
 *   sw       lwIP computes every checksum from the bytes, every time.
 *
 * When the NIC lacks the offload, `offload` falls back to `cache`. The
 * hook lwip_port_chksum is lwIP's LWIP_CHKSUM (lwipopts.h).
 */
#ifndef NET_LWIP_PORT_CSUM_H
#define NET_LWIP_PORT_CSUM_H

#include <stdint.h>

enum net_csum_mode {
	NET_CSUM_OFFLOAD,
	NET_CSUM_CACHE,
	NET_CSUM_SW,
};

struct net_csum_stats {
	uint64_t cache_hits, cache_misses;
	uint64_t bytes_summed; /* bytes the CPU read to checksum */
	uint64_t data_bytes_summed; /* of which sealed pool data: file pages
				       and response heads */
};

/* The configured mode; net/virtio_net.c asks before negotiating. */
enum net_csum_mode net_csum_mode(void);
/* The device cannot offload: checksums in software from now on. */
void net_csum_no_offload(void);

/* lwIP's LWIP_CHKSUM: the one's-complement sum of [data, data + len),
 * in lwIP's byte order. */
uint16_t lwip_port_chksum(const void *data, int len);

void net_csum_get_stats(struct net_csum_stats *st);

#endif
