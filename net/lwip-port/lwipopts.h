/* SPDX-License-Identifier: MIT */
/*
 * lwIP configuration for petrel: NO_SYS (one main loop is the whole
 * concurrency model), raw/callback API only, IPv4, DHCP, TCP tuned for
 * serving static files. Only values that differ from lwIP's opt.h
 * defaults are set, each with its reason.
 *
 * Memory: lwIP's heap (PBUF_RAM pbufs: TCP/IP headers, copied data in
 * copy=on mode) comes from the kernel heap through
 * net/lwip-port/lwip_mem.c, under a budget the memory plan sizes from the
 * RAM found (kernel/mm/memplan.h): at most 2 MiB, as the static array
 * used to be, and far less on a 4 MiB guest, where that array did not
 * fit. The memp pools (PCBs, segments, pbuf headers; about 350 KiB) stay
 * static: a full PCB pool is what recycles the oldest TIME_WAIT. Received
 * frames are in neither: they sit in IO-Lite pool pages
 * (net/virtio_net.c) as custom pbufs.
 */
#ifndef NET_LWIP_PORT_LWIPOPTS_H
#define NET_LWIP_PORT_LWIPOPTS_H

#include <stddef.h>
#include <stdint.h>

/* net/lwip-port/csum.c, and lwIP's own routine it falls back to (whose
 * prototype lwIP only declares when LWIP_CHKSUM is not overridden). */
uint16_t lwip_port_chksum(const void *data, int len);
uint16_t lwip_standard_chksum(const void *dataptr, int len);

/* net/lwip-port/ooseq.c: a pcb's share of the out-of-order RX pages. */
struct tcp_pcb;
uint16_t lwip_port_ooseq_limit(const struct tcp_pcb *pcb);

/* net/lwip-port/lwip_mem.c: the budgeted heap behind MEM_LIBC_MALLOC. */
void *lwip_port_malloc(size_t size);
void *lwip_port_calloc(size_t n, size_t size);
void lwip_port_free(void *p);
/* ... and the memp pools' storage, allocated when an instance starts. */
void *lwip_port_pool_storage(size_t size);

/* ---- System ---- */
#define NO_SYS 1 /* no threads inside lwIP: the main loop calls it */
#define LWIP_SOCKET 0 /* raw API only (net/conn) */
#define LWIP_NETCONN 0 /* idem */
#define SYS_LIGHTWEIGHT_PROT 1 /* memp/pbuf critical sections: irq_save */
#define LWIP_RAND() ((u32_t)lwip_port_rand()) /* sys_arch.c */
#define LWIP_TIMERS 1 /* sys_check_timeouts() from net_poll */

/* ---- Memory ---- */
#define MEM_LIBC_MALLOC 1 /* heap from the kernel's, sized at boot */
#define mem_clib_malloc lwip_port_malloc /* ... under lwIP's budget */
#define mem_clib_calloc lwip_port_calloc
#define mem_clib_free lwip_port_free
/* Fixed pools: exhaustion is ERR_MEM, not OOM, and a full PCB pool is
 * what makes tcp_alloc recycle the oldest TIME_WAIT (tcp_time_wait_*). */
#define MEMP_MEM_MALLOC 0
/* Pool storage from the kernel heap at lwip_init (patch 0040): one
 * stack copy per queue pair is linked in, only running ones pay. */
#define LWIP_MEMPOOL_STORAGE_ALLOC(bytes) lwip_port_pool_storage(bytes)
#define MEM_ALIGNMENT 8 /* x86_64 natural alignment */
/* Not an array any more; only makes mem_size_t 32 bits wide. */
#define MEM_SIZE (4 * 1024 * 1024)
#define MEMP_NUM_PBUF 2048 /* PBUF_REF/ROM: zero-copy TX page slices */
#define MEMP_NUM_TCP_PCB 1088 /* conn_max's default 1024 + TIME_WAIT */
#define MEMP_NUM_TCP_PCB_LISTEN 8 /* a few listening ports */
#define MEMP_NUM_TCP_SEG 1024 /* >= TCP_SND_QUEUELEN, shared by all pcbs */
#define MEMP_NUM_ARP_QUEUE 64 /* packets waiting for ARP replies ... */
/* ... all of them, not only the last one per address (lwIP's default):
 * the SYN-ACKs of clients that connect before the gateway's address is
 * resolved were dropped and went out only on their RTO, 1 s later. */
#define ARP_QUEUEING 1
#define ARP_QUEUE_LEN 16 /* per address */
#define PBUF_POOL_SIZE 0 /* RX uses custom pbufs, nothing the pool */
#define LWIP_SUPPORT_CUSTOM_PBUF 1 /* zero-copy RX from pool pages */

/* ---- Protocols ---- */
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_IPV4 1
#define LWIP_IPV6 0 /* IPv4 only for now */
#define LWIP_ICMP 1
#define LWIP_RAW 0 /* nothing uses raw PCBs */
#define LWIP_UDP 1 /* DHCP */
#define LWIP_TCP 1
#define LWIP_DHCP 1 /* ip=dhcp (QEMU user networking) */
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0 /* a server needs no resolver */
#define LWIP_NETIF_STATUS_CALLBACK 1 /* log the address once bound */
#define LWIP_NETIF_LINK_CALLBACK 1 /* log link changes */
#define LWIP_NETIF_HOSTNAME 1 /* DHCP option 12: "petrel" */
#define LWIP_HAVE_LOOPIF 0
#define LWIP_NETIF_TX_SINGLE_PBUF 0 /* the driver does scatter-gather */

/* ---- TCP, tuned for static files ---- */
#define TCP_MSS 1460 /* Ethernet MTU 1500 - 40 */
#define LWIP_WND_SCALE 1 /* use the peer's window beyond 64 KiB ... */
#define TCP_RCV_SCALE 0 /* ... while our own receive window stays small */
#define TCP_WND (44 * TCP_MSS) /* requests are small; 64 KiB is plenty */
#define TCP_SND_BUF (90 * TCP_MSS) /* ~128 KiB in flight per connection */
#define TCP_SND_QUEUELEN (4 * TCP_SND_BUF / TCP_MSS) /* page-slice pbufs */
#define TCP_SNDLOWAT (32 * TCP_MSS) /* writable again: max lwIP allows */
#define TCP_OOSEQ_MAX_PBUFS 64 /* bound RX pages one pcb may hold ... */
/* ... and its fair share of all out-of-order RX pages (ooseq.c) */
#define TCP_OOSEQ_PBUFS_LIMIT(pcb) lwip_port_ooseq_limit(pcb)
#define TCP_LISTEN_BACKLOG 1 /* accept limits (conn_max=) */
#define TCP_QUEUE_OOSEQ 1
#define LWIP_TCP_SACK_OUT 0
/* TIME_WAIT is 2 * TCP_MSL = 60 s, as Linux, so late duplicates of a
 * closed connection stay harmless. A client that reuses its port sooner
 * gets in at once: a SYN beyond the old sequence space ends the
 * TIME_WAIT (patches/0001-tcp-syn-ends-time-wait.patch, RFC 1122
 * 4.2.2.13). When the PCB pool is empty, tcp_alloc frees the oldest
 * TIME_WAIT PCB, so they never keep a new connection out. */
#define TCP_MSL 30000UL
/* Timers for a LAN. lwIP's TCP timer runs the fast timer (delayed ACKs,
 * refused data) every TCP_TMR_INTERVAL and the slow one (RTO, persist,
 * poll, TIME_WAIT) every other time, and keeps RTOs in slow ticks: with
 * 250 ms (slow ticks of 500 ms) the smallest RTO its estimator reaches
 * on a LAN is 3 ticks, 1.5 s. With 50 ms it is 300 ms, firing 200-300 ms
 * after the segment (Linux: 200 ms), and delayed ACKs go within 50 ms
 * (Linux: 40). Every other timeout is in ms and converted. */
#define TCP_TMR_INTERVAL 50
/* Before the first RTT sample: RFC 6298's 1 s, not lwIP's 3 s
 * (patches/0002-tcp-initial-rto-and-rexmit-counters.patch). */
#define TCP_INITIAL_RTO_MS 1000

/* ---- Checksums: set per netif from the negotiated offloads ---- */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1 /* NETIF_SET_CHECKSUM_CTRL */
#define CHECKSUM_GEN_IP 1 /* virtio offloads TCP/UDP only */
#define LWIP_CHKSUM lwip_port_chksum /* csum.c: IO-Lite checksum cache */
#define LWIP_CHKSUM_ALGORITHM 3 /* lwip_standard_chksum, for the misses */
#define CHECKSUM_CHECK_IP 1

/* ---- Statistics (served at /_stats) ---- */
#define LWIP_STATS 1
#define LWIP_STATS_DISPLAY 0 /* no printf; the kernel formats them */
#define LWIP_STATS_LARGE 1 /* 32-bit counters: 16 bits wrap in seconds */
#define MEM_STATS 1
#define MEMP_STATS 1

/* ---- Debugging: off (pr_debug per packet would skew measurements) ---- */
#define LWIP_DBG_MIN_LEVEL LWIP_DBG_LEVEL_ALL
#define LWIP_DBG_TYPES_ON LWIP_DBG_OFF

#endif
