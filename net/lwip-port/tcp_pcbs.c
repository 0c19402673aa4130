// SPDX-License-Identifier: MIT
#include "net/lwip-port/tcp_pcbs.h"

#include "lwip/memp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"

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
		.seg_pool = MEMP_NUM_TCP_SEG,
		.seg_peak = lwip_stats.memp[MEMP_TCP_SEG]->max,
		.seg_refused = lwip_stats.memp[MEMP_TCP_SEG]->err,
		.pbuf_pool = MEMP_NUM_PBUF,
		.pbuf_peak = lwip_stats.memp[MEMP_PBUF]->max,
		.pbuf_refused = lwip_stats.memp[MEMP_PBUF]->err,
		.rexmit_segs = tcp_rexmit_segs,
		.rto_expired = tcp_rto_expired,
	};
}
