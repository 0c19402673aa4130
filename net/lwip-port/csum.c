// SPDX-License-Identifier: MIT
/*
 * The LWIP_CHKSUM hook and checksum caching (interface in csum.h). lwIP
 * sums a TCP segment pbuf by pbuf; a pbuf of response data points into a
 * pool page (through its sf_buf mapping), so the pointer identifies the
 * buffer and the offset, which key the cache kept in the buffer itself.
 * The sum is position-independent (lwIP swaps bytes for odd offsets), so
 * one cached value serves every segment that carries the same bytes.
 */
#define PR_PREFIX "csum: "
#include "net/lwip-port/csum.h"

#include "kernel/core/cmdline.h"
#include "kernel/core/printk.h"
#include "kernel/io/iobuf.h"
#include "kernel/io/sfbuf.h"
#include "lwip/inet_chksum.h"

static const char *const mode_names[] = { "offload", "cache", "sw", NULL };
static int mode = NET_CSUM_OFFLOAD;
KPARAM_ENUM(csum, mode, mode_names,
	    "TCP checksums of sent data: offload|cache|sw");

static struct net_csum_stats stats; /* [m] */

enum net_csum_mode net_csum_mode(void)
{
	return (enum net_csum_mode)mode;
}

void net_csum_no_offload(void)
{
	if (mode == NET_CSUM_OFFLOAD) {
		pr_warn("the NIC cannot offload checksums: csum=cache");
		mode = NET_CSUM_CACHE;
	}
}

uint16_t lwip_port_chksum(const void *data, int len)
{
	struct iobuf *b = NULL;
	uint64_t pa;
	uint16_t sum;

	if (len <= 0)
		return 0;
	/* Only sealed buffers hold data that cannot change under a cached
	 * sum; received frames (also pool pages) are edited in place. */
	pa = kva_to_phys(data);
	if (iobuf_pool_contains(pa))
		b = iobuf_from_pa(pa);
	if (b && !(b->flags & IOBUF_SEALED))
		b = NULL;
	if (b && mode == NET_CSUM_CACHE &&
	    iobuf_csum_lookup(b, (uint32_t)(pa - b->pa), (uint32_t)len, &sum)) {
		stats.cache_hits++;
		return sum;
	}
	sum = lwip_standard_chksum(data, len);
	stats.bytes_summed += (uint64_t)len;
	if (b) {
		stats.data_bytes_summed += (uint64_t)len;
		if (mode == NET_CSUM_CACHE) {
			stats.cache_misses++;
			iobuf_csum_store(b, (uint32_t)(pa - b->pa),
					 (uint32_t)len, sum);
		}
	}
	return sum;
}

void net_csum_get_stats(struct net_csum_stats *st)
{
	*st = stats;
}
