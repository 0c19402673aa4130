/* SPDX-License-Identifier: MIT */
/*
 * Outgoing UDP datagrams for the layers above the network (the access
 * log's RFC 5424 syslog): the app sees this function, never lwIP. The
 * datagram leaves through the network interface (with several stack
 * instances, the one the calling CPU runs: net.c dispatches to that
 * instance's copy of dgram.c) from an ephemeral port; nothing is
 * received. Main loop only ([m]), like all of lwIP; -ENETDOWN on a CPU
 * that runs no instance.
 */
#ifndef NET_DGRAM_H
#define NET_DGRAM_H

#include <stddef.h>
#include <stdint.h>

/* Payload that fits one unfragmented frame at MTU 1500 (20 + 8 bytes of
 * IPv4 and UDP headers). */
#define DGRAM_PAYLOAD_MAX 1472

/*
 * Send len bytes of buf (borrowed: copied before the call returns) to
 * addr:port, both in host order. 0 when handed to the stack (an address
 * not yet resolved waits in lwIP's ARP queue); -ENETDOWN without an
 * interface or address, -EMSGSIZE over DGRAM_PAYLOAD_MAX, -ENOMEM when
 * lwIP has no memory, or another negative errno from the stack.
 */
int dgram_send(uint32_t addr, uint16_t port, const void *buf, size_t len);

#endif
