// SPDX-License-Identifier: MIT
#include "net/lwip-port/tcp_room.h"

#include "lwip/priv/tcp_priv.h"

void lwip_port_tx_room(void)
{
	tcp_txnow();
}
