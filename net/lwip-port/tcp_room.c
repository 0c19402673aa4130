// SPDX-License-Identifier: MIT
#include "net/lwip-port/tcp_room.h"

#include <stdbool.h>

#include "lwip/memp.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/stats.h"

/* Waiting: the last tcp_output (or tcp_write) failed, and there is
 * something to send. lwIP sets TF_NAGLEMEMERR on both and clears it once
 * an output got everything out (or stopped at the window). */
static bool waiting(const struct tcp_pcb *pcb)
{
	return (pcb->flags & TF_NAGLEMEMERR) && pcb->unsent;
}

/* Where the next rerun starts in tcp_active_pcbs (a position: PCBs
 * come and go, so only approximately the same one). [m] */
static uint32_t rerun_from;

/*
 * tcp_txnow(), in turn: tcp_output for each waiting connection, starting
 * with the first one the previous round could not serve (the driver
 * refused it again), so that none is always last. Returns how many were
 * rerun.
 */
uint32_t lwip_port_tx_room(void)
{
	struct tcp_pcb *pcb, *start = tcp_active_pcbs;
	uint32_t n = 0, len = 0, at, first_refused = UINT32_MAX;

	for (pcb = tcp_active_pcbs; pcb; pcb = pcb->next)
		len++;
	if (!len)
		return 0;
	at = rerun_from % len;
	for (uint32_t k = at; k--;)
		start = start->next;
	/* from `start` to the end, then from the head up to `start` */
	for (uint32_t i = 0; i < len; i++, at++) {
		if (at == len) {
			at = 0;
			pcb = tcp_active_pcbs;
		} else {
			pcb = i ? pcb->next : start;
		}
		if (!waiting(pcb))
			continue;
		tcp_output(pcb);
		n++;
		if (first_refused == UINT32_MAX && waiting(pcb))
			first_refused = at;
	}
	rerun_from = first_refused == UINT32_MAX ? 0 : first_refused;
	return n;
}

uint32_t lwip_port_tx_waiting(void)
{
	const struct tcp_pcb *pcb;
	uint32_t n = 0;

	for (pcb = tcp_active_pcbs; pcb; pcb = pcb->next)
		n += waiting(pcb);
	return n;
}

/* From the pool's statistics (MEMP_STATS): lwIP has no other count. */
uint32_t lwip_port_tcp_segs_free(void)
{
	const struct stats_mem *s = lwip_stats.memp[MEMP_TCP_SEG];

	return s->used < s->avail ? (uint32_t)(s->avail - s->used) : 0;
}
