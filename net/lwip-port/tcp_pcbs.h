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
};

/* Count the PCBs in each list now (walks them: at most the pool). */
void lwip_port_tcp_pcbs(struct lwip_port_tcp_pcbs *out);

#endif
