// SPDX-License-Identifier: MIT
/*
 * Outgoing UDP datagrams (interface in dgram.h) on lwIP's raw UDP API:
 * one PCB, made on the first send and bound by lwIP to an ephemeral
 * port, copies each payload into a PBUF_RAM pbuf. Main loop only.
 */
#include "net/dgram.h"

#include "kernel/lib/errno.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/udp.h"
#include "net/lwip-port/lwip_err.h"
#include "net/net.h"

static struct udp_pcb *pcb; /* [m] NULL until the first send */

int dgram_send(uint32_t addr, uint16_t port, const void *buf, size_t len)
{
	ip_addr_t dst;
	struct pbuf *p;
	err_t err;

	if (!net_has_address())
		return -ENETDOWN;
	if (len > DGRAM_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (!pcb)
		pcb = udp_new();
	if (!pcb)
		return -ENOMEM;
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
	if (!p)
		return -ENOMEM;
	pbuf_take(p, buf, (u16_t)len);
	ip_addr_set_ip4_u32(&dst, lwip_htonl(addr));
	err = udp_sendto(pcb, p, &dst, port);
	pbuf_free(p); /* udp_sendto never takes the caller's pbuf */
	return lwip_err_to_errno(err);
}
