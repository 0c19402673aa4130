/* SPDX-License-Identifier: MIT */
/*
 * The one call of lwIP's private TCP interface that the driver needs, kept
 * in the port so no file outside net/lwip-port includes lwip/priv/.
 */
#ifndef NET_LWIP_PORT_TCP_ROOM_H
#define NET_LWIP_PORT_TCP_ROOM_H

/*
 * The driver refused frames (its TX backlog was full) and has room again:
 * every connection that could not send retries now, instead of waiting for
 * its next TCP timer.
 */
void lwip_port_tx_room(void);

#endif
