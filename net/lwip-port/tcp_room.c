// SPDX-License-Identifier: MIT
#include "net/lwip-port/tcp_room.h"

#include <stdbool.h>

#include "kernel/io/prio.h"
#include "kernel/lib/compiler.h"

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

/* net/conn.c's: the urgency its connection (a PCB's callback arg)
 * answers with prio=on, 0 with prio=off. [I] once set */
static unsigned int (*urgency_of)(void *arg);

void lwip_port_tx_urgency_fn(unsigned int (*fn)(void *arg))
{
	urgency_of = fn;
}

/* The urgency a waiting PCB reruns at. In SYN_RCVD the callback arg is
 * still the listener's (lwIP copies it), so a handshake ranks first. */
static unsigned int pcb_urgency(const struct tcp_pcb *pcb)
{
	if (!urgency_of || pcb->state == SYN_RCVD || !pcb->callback_arg)
		return 0;
	return MIN(urgency_of(pcb->callback_arg),
		   (unsigned int)CAUSAL_URGENCY_MAX);
}

/*
 * One pass of the rerun over the connections of urgency u: tcp_output for
 * each waiting one, from position `at` (of `len`) round the list.
 * *first_refused: the first position the driver refused again, if none
 * yet. `behind`: less urgent connections wait too (counted as jumped).
 */
static uint32_t rerun_pass(unsigned int u, uint32_t at, uint32_t len,
			   uint32_t *first_refused, bool behind)
{
	struct tcp_pcb *pcb, *start = tcp_active_pcbs;
	uint32_t n = 0;

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
		if (!waiting(pcb) || pcb_urgency(pcb) != u)
			continue;
		tcp_output(pcb);
		n++;
		if (behind)
			prio_class(u)->tx_rerun_jumped++;
		if (*first_refused == UINT32_MAX && waiting(pcb))
			*first_refused = at;
	}
	return n;
}

/*
 * tcp_output for each waiting connection: the most urgent first (prio=on;
 * with prio=off every one is urgency 0), and within an urgency in turn,
 * starting with the first one the previous round could not serve (the
 * driver refused it again), so that none is always last. Returns how
 * many were rerun.
 */
uint32_t lwip_port_tx_room(void)
{
	const struct tcp_pcb *pcb;
	uint32_t n = 0, len = 0, present = 0, first_refused = UINT32_MAX;

	for (pcb = tcp_active_pcbs; pcb; pcb = pcb->next) {
		len++;
		if (waiting(pcb))
			present |= 1u << pcb_urgency(pcb);
	}
	if (!present)
		return 0;
	while (present) {
		unsigned int u = (unsigned int)__builtin_ctz(present);

		present &= present - 1;
		/* tcp_output may end PCBs: count the list again */
		len = 0;
		for (pcb = tcp_active_pcbs; pcb; pcb = pcb->next)
			len++;
		if (len)
			n += rerun_pass(u, rerun_from % len, len,
					&first_refused, present != 0);
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
