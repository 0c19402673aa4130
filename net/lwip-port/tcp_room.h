/* SPDX-License-Identifier: MIT */
/*
 * What the driver and net/conn.c need of lwIP's private TCP state: rerun
 * the connections whose output the driver refused, and whether lwIP's
 * shared segment pool has room for a tcp_write. Kept in the port so no
 * file outside net/lwip-port includes lwip/priv/. Main loop only.
 */
#ifndef NET_LWIP_PORT_TCP_ROOM_H
#define NET_LWIP_PORT_TCP_ROOM_H

#include <stdint.h>

/*
 * The driver refused frames (its TX backlog was full) and has room again:
 * every connection that could not send retries now, instead of waiting for
 * its next TCP timer, the most urgent first. Returns how many connections
 * were rerun.
 */
uint32_t lwip_port_tx_room(void);

/* How the rerun learns a connection's urgency from a PCB's callback arg
 * (net/conn.c: its struct conn; 0 for all with prio=off): the most
 * urgent connections rerun first. */
void lwip_port_tx_urgency_fn(unsigned int (*fn)(void *arg));

/* Connections whose last output lwIP could not hand to the driver
 * (TF_NAGLEMEMERR with segments unsent): they wait for lwip_port_tx_room. */
uint32_t lwip_port_tx_waiting(void);

/* Free entries in lwIP's TCP segment pool (MEMP_NUM_TCP_SEG, shared by
 * all connections): a tcp_write needs one per MSS it queues. */
uint32_t lwip_port_tcp_segs_free(void);

#endif
