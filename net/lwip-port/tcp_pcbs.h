/* SPDX-License-Identifier: MIT */
/*
 * TCP PCB counts for /_stats, read from lwIP's private PCB lists, kept in
 * the port so no file outside net/lwip-port includes lwip/priv/. The
 * TIME_WAIT counters come from our lwIP patch
 * (patches/0001-tcp-syn-ends-time-wait.patch). Main loop only.
 */
#ifndef NET_LWIP_PORT_TCP_PCBS_H
#define NET_LWIP_PORT_TCP_PCBS_H

#include <stdint.h>

struct lwip_port_tcp_pcbs {
	uint32_t pool; /* MEMP_NUM_TCP_PCB: all non-listening PCBs */
	uint32_t active; /* from SYN_RCVD to LAST_ACK */
	uint32_t time_wait; /* now */
	uint32_t time_wait_reopened; /* ended by a new SYN, since boot */
	uint32_t time_wait_recycled; /* oldest freed for a new PCB */
	uint32_t seg_pool; /* MEMP_NUM_TCP_SEG: segments of all PCBs */
	uint32_t seg_peak; /* most segments queued at once */
	uint32_t seg_refused; /* allocations the empty pool refused */
	uint32_t pbuf_pool; /* MEMP_NUM_PBUF: zero-copy payload pieces */
	uint32_t pbuf_peak;
	uint32_t pbuf_refused;
	uint32_t rexmit_segs; /* segments sent again (patch 0002) */
	uint32_t rto_expired; /* retransmission timeouts (patch 0002) */
};

/* Count the PCBs in each list now (walks them: at most the pool). */
void lwip_port_tcp_pcbs(struct lwip_port_tcp_pcbs *out);

#endif
