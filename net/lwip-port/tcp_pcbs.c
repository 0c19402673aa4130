// SPDX-License-Identifier: MIT
#include "net/lwip-port/tcp_pcbs.h"

#include "lwip/priv/tcp_priv.h"

static uint32_t list_length(const struct tcp_pcb *pcb)
{
	uint32_t n = 0;

	for (; pcb; pcb = pcb->next)
		n++;
	return n;
}

/* Walks tcp_active_pcbs and tcp_tw_pcbs; lwIP runs in the main loop
 * only, so the lists hold still while we do. */
void lwip_port_tcp_pcbs(struct lwip_port_tcp_pcbs *out)
{
	*out = (struct lwip_port_tcp_pcbs){
		.pool = MEMP_NUM_TCP_PCB,
		.active = list_length(tcp_active_pcbs),
		.time_wait = list_length(tcp_tw_pcbs),
		.time_wait_reopened = tcp_tw_reopened,
		.time_wait_recycled = tcp_tw_recycled,
	};
}
