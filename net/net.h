/* SPDX-License-Identifier: MIT */
/*
 * Network bring-up: the first virtio-net device with one RX/TX queue
 * pair per network-stack instance (net/netinst.h: one lwIP each, sharing
 * nothing), addressing from the boot options (net/ipcfg.h: ip=, gw=) and
 * one main-loop poller per instance that runs its queue pair and its
 * lwIP's timers. After net_init, lwIP is live; everything network runs in
 * those pollers or in timer callbacks, i.e. the main loop ([m]). The
 * counters below are sums over the instances.
 *
 * Boot options: ip=dhcp|A.B.C.D[/N] (default dhcp), gw=A.B.C.D,
 * net_stats=N (log the driver counters every N seconds; 0 = off),
 * net_queues=N (queue pairs and instances; 0, the default: one per CPU,
 * at most the device's max_virtqueue_pairs and NET_INSTANCES_MAX; one
 * with ip=dhcp).
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "net/vnet_stats.h"

/* Bring up lwIP and the first virtio-net device; runs as the INIT_NET
 * init call (kernel/core/initcall.h), after PCI, IRQs and timers. 0; -ENODEV without a device (logged, network off); other
 * negative errno when the device failed (logged). */
int net_init(void);

/* Network-stack instances running (one per queue pair; net_queues=). */
uint32_t net_instances(void);

/* Per-instance counters for /_stats' "net_instances" section. */
#define NET_INSTANCE_STATS(X)                                \
	X(rx_packets) /* frames its queue pair received */   \
	X(tx_packets) /* frames it sent on its pair */       \
	X(accepted) /* connections it accepted */            \
	X(active) /* connections open now */                 \
	X(arp_shared) /* ARP frames copied to the others */  \
	X(arp_taken) /* ARP frames the others copied here */ \
	X(arp_lost) /* copies a full mailbox refused */

struct net_instance_stats {
	NET_INSTANCE_STATS(STAT_U64)
};

/* Instance i's counters (zeros past net_instances()). */
void net_instance_stats(uint32_t i, struct net_instance_stats *st);

/* What the instances polled by one CPU did, for the per-CPU section of
 * /_stats: how many it polls, frames received on and sent from their
 * queue pairs, connections they accepted. */
#define NET_CPU_STATS(X) \
	X(net_instances) \
	X(rx_packets)    \
	X(tx_packets)    \
	X(net_accepted)

struct net_cpu_stats {
	NET_CPU_STATS(STAT_U64)
};

/* CPU `cpu`'s (zeros for a CPU polling no instance). Any CPU. */
void net_cpu_stats(unsigned cpu, struct net_cpu_stats *st);

/* Whether the interface has an address (static, or a DHCP lease). */
bool net_has_address(void);

/* Log the driver counters (info level). */
void net_log_stats(void);

/* Checksum counters for /_stats (the app must not see lwIP's port). */
#define NET_CSUM_STATS(X)                                    \
	X(cache_hits)                                        \
	X(cache_misses)                                      \
	X(bytes_summed) /* bytes the CPU read to checksum */ \
	X(data_bytes_summed) /* of which sealed pool data */

struct net_csum_counters {
	const char *mode; /* "offload", "cache" or "sw" in effect */
	NET_CSUM_STATS(STAT_U64)
};

void net_csum_counters(struct net_csum_counters *out);

/* Out-of-order TCP data (net/lwip-port/ooseq.h): its page budget, the
 * pages and connections holding them now, and pages dropped by reason:
 * beyond a connection's fair share on arrival, or cut from the holders
 * over the share when all together were over the budget. */
#define NET_OOSEQ_STATS(X)  \
	X(ooseq_budget)     \
	X(ooseq_pages)      \
	X(ooseq_holders)    \
	X(ooseq_over_share) \
	X(ooseq_trimmed)

/* NIC counters for /_stats; all zero without a device. rx_held is how
 * many received buffers the stack holds (segments queued out of order or
 * for a paused reader); with rx_posted, the buffers the NIC pins, which
 * occupy rx_pool_pages - rx_stashed pool pages (two 2 KiB buffers a page
 * with mergeable RX buffers, one without); rx_stashed more are kept by
 * the queue pairs for their next refills. */
struct net_nic_counters {
	VNET_NIC_STATS(STAT_U64)
	NET_OOSEQ_STATS(STAT_U64)
	uint64_t irqs; /* interrupts the device raised, any kind */
	const char *irq_mode; /* "msix", "intx", or "none" without a NIC */
};

void net_nic_counters(struct net_nic_counters *out);

/* lwIP's memory for /_stats: its budget from the memory plan, what it
 * holds now and at most, and allocations refused (lwIP saw ERR_MEM). */
#define NET_MEM_STATS(X)                                          \
	X(limit) /* bytes lwIP may hold: the memory plan's */     \
	X(used)                                                   \
	X(peak)                                                   \
	X(refused) /* allocations failed: lwIP saw ERR_MEM */     \
	X(cache_hits) /* served from the instance's free lists */ \
	X(cached_bytes) /* now: freed blocks kept for reuse */

struct net_mem_counters {
	NET_MEM_STATS(STAT_U64)
};

void net_mem_counters(struct net_mem_counters *out);

/* TCP PCBs for /_stats. A connection the server closed first waits in
 * TIME_WAIT (60 s) in a PCB of the shared pool; a new SYN from the same
 * client port ends it (reopened), and a new connection that finds the
 * pool empty frees the oldest (recycled). */
#define NET_TCP_STATS(X)                                                \
	X(tcp_pcb_pool) /* TCP PCBs in lwIP's pool */                   \
	X(tcp_active) /* now: PCBs from SYN_RCVD to LAST_ACK */         \
	X(tcp_time_wait) /* now: PCBs in TIME_WAIT */                   \
	X(tcp_time_wait_reopened) /* TIME_WAITs ended by a new SYN */   \
	X(tcp_time_wait_recycled) /* oldest TIME_WAITs freed for new */ \
	X(tcp_seg_pool) /* TCP segments in lwIP's pool, all PCBs */     \
	X(tcp_seg_peak) /* most in use at once */                       \
	X(tcp_seg_refused) /* allocations refused: pool empty */        \
	X(pbuf_ref_pool) /* zero-copy payload pbufs in lwIP's pool */   \
	X(pbuf_ref_peak)                                                \
	X(pbuf_ref_refused)                                             \
	X(tcp_rexmit_segs) /* segments sent again: RTO, fast, SYN */    \
	X(tcp_rto_expired) /* retransmission timeouts that fired */

struct net_tcp_counters {
	NET_TCP_STATS(STAT_U64)
};

void net_tcp_counters(struct net_tcp_counters *out);

#endif
