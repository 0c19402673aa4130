/* SPDX-License-Identifier: MIT */
/*
 * lwIP options for the host tests of net/ (tests/net/test_conn.c,
 * test_virtio_net.c): the kernel's TCP tuning (net/lwip-port/lwipopts.h:
 * windows, send buffer, queue lengths, so conn.c's low-water logic sees
 * the same numbers), without DHCP, UDP or the IO-Lite checksum hook.
 * Timers are driven by the test (tcp_tmr) rather than sys_check_timeouts.
 */
#ifndef TESTS_NET_LWIP_HOST_LWIPOPTS_H
#define TESTS_NET_LWIP_HOST_LWIPOPTS_H

#include <stdint.h>

/* net/lwip-port/csum.c, linked as in the kernel */
uint16_t lwip_port_chksum(const void *data, int len);
uint16_t lwip_standard_chksum(const void *dataptr, int len);

#define NO_SYS 1
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define SYS_LIGHTWEIGHT_PROT 0 /* one thread */
#define LWIP_TIMERS 0 /* the test calls tcp_tmr() itself */
#define LWIP_RAND() ((u32_t)rand())
#define MEM_LIBC_MALLOC 0
#define MEMP_MEM_MALLOC 0
#define MEM_ALIGNMENT 8
#define MEM_SIZE (2 * 1024 * 1024)
#define MEMP_NUM_PBUF 2048
#define MEMP_NUM_TCP_PCB 16
#define MEMP_NUM_TCP_PCB_LISTEN \
	3 /* test_listener, the server, test_conn's room listener */
#define MEMP_NUM_TCP_SEG 1024
#define PBUF_POOL_SIZE 16 /* the tests' own segments; RX is custom */
#define LWIP_DISABLE_TCP_SANITY_CHECKS 1 /* that small pool is not RX */
#define LWIP_SUPPORT_CUSTOM_PBUF 1
#define LWIP_ARP 1
#define ETHARP_SUPPORT_STATIC_ENTRIES 1 /* the fake peer answers no ARP */
#define LWIP_ETHERNET 1
#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 0
#define LWIP_TCP 1
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_HAVE_LOOPIF 0
#define LWIP_NETIF_TX_SINGLE_PBUF 0
#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 0
#define TCP_WND (44 * TCP_MSS)
#define TCP_SND_BUF (90 * TCP_MSS)
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS)
#define TCP_SNDLOWAT (32 * TCP_MSS)
#define TCP_OOSEQ_MAX_PBUFS 64
#define TCP_LISTEN_BACKLOG 1
#define TCP_QUEUE_OOSEQ 1
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
#define LWIP_CHKSUM lwip_port_chksum
#define LWIP_CHKSUM_ALGORITHM 3
#define LWIP_STATS 1
#define LWIP_STATS_DISPLAY 0
#define MEM_STATS 1
#define MEMP_STATS 1
#define LWIP_DBG_TYPES_ON LWIP_DBG_OFF

#endif
