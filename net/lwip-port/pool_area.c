// SPDX-License-Identifier: MIT
/*
 * Static storage for one stack instance's memp pools (interface in
 * pool_area.h). Linked once, outside the instances: the first instance
 * to start takes it whole, so one queue uses the same .bss as when lwIP
 * declared its pools statically; later instances' pools come from the
 * heap (lwip_mem.c). The size is lwIP's own sum over memp_std.h, with
 * the headers memp.c includes for it. Main loop, at boot ([m]).
 */
#include "net/lwip-port/pool_area.h"

#include "kernel/lib/compiler.h"
#include "lwip/etharp.h"
#include "lwip/ip4_frag.h"
#include "lwip/memp.h"
#include "lwip/opt.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "netif/ppp/ppp_opts.h" /* PPP_NUM_TIMEOUTS, for the timeouts pool */

/* clang-format off */
#define LWIP_MEMPOOL(name, num, size, desc) \
	+LWIP_MEM_ALIGN_BUFFER((num) * (MEMP_SIZE + MEMP_ALIGN_SIZE(size)))
static uint8_t area[0
#include "lwip/priv/memp_std.h"
] __aligned(16);
/* clang-format on */
static size_t used; /* [m] */

void *lwip_port_pool_area(size_t size)
{
	void *p;

	if (size > sizeof(area) - used)
		return NULL;
	p = area + used;
	used += size;
	return p;
}

size_t lwip_port_pool_area_size(void)
{
	return sizeof(area);
}
