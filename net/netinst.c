// SPDX-License-Identifier: MIT
/*
 * One network-stack instance (interface and rules in netinst.h): lwIP,
 * one netif over one virtio-net queue pair, its timers, its
 * connections. This file is linked once per instance, like everything
 * lwIP touches, so its statics (and lwIP's) are per instance; the ops
 * table at the end is the only way in from outside.
 *
 * lwIP's timeouts (TCP fast/slow timers, ARP, DHCP, reassembly) run from
 * the instance's poll once due; a kernel timer armed at lwIP's next
 * deadline makes sure the halted CPU wakes for them. Both run in the
 * instance's loop, the only context its lwIP is ever entered from
 * (NO_SYS=1).
 */
#define PR_PREFIX "net: "
#include "net/netinst.h"

#include "kernel/arch/time.h"
#include "kernel/core/printk.h"
#include "kernel/cpu/percpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/sched/timer.h"
#include "lwip/dhcp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/prot/etharp.h"
#include "lwip/prot/ethernet.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"
#include "net/lwip-port/csum.h"
#include "net/lwip-port/lwip_err.h"
#include "net/lwip-port/lwip_mem.h"
#include "net/lwip-port/ooseq.h"
#include "net/lwip-port/tcp_pcbs.h"
#include "net/lwip-port/tcp_room.h"
#include "net/dgram.h"
#include "net/virtio_net.h"

#define NET_HOSTNAME "petrel"

static struct netinst_cfg cfg; /* [I] after start */
static struct netif netif; /* [m] */
static struct vnet_dev *vnet; /* [I] this instance's queue pair */
static struct timer lwip_timer; /* [m] wakes the CPU for lwIP timeouts */
static uint64_t arp_shared, arp_taken, arp_lost; /* [m] */

/* What only a walk of lwIP's PCB lists can count, as of the last
 * publish: read by the other CPUs (a walk from there would race this
 * CPU's lwIP). Published when a pass did work and the last copy is
 * older than NET_PUBLISH_NS, and on the first idle pass after work, so
 * that an instance at rest always shows its exact state. */
#define NET_PUBLISH_NS 1000000ull
static struct {
	struct lwip_port_tcp_pcbs pcbs;
	uint32_t tx_waiting;
} published; /* [m] written; other CPUs read words of it */
static bool publish_due; /* [m] */
static uint64_t published_ns; /* [m] */

static bool has_address(void)
{
	return vnet && !ip4_addr_isany_val(*netif_ip4_addr(&netif));
}

/* Status callback: log the address whenever it changes to a real one. */
static void status_changed(struct netif *n)
{
	char addr[IP4ADDR_STRLEN_MAX], mask[IP4ADDR_STRLEN_MAX];
	char gw[IP4ADDR_STRLEN_MAX];

	if (!netif_is_up(n) || ip4_addr_isany_val(*netif_ip4_addr(n)))
		return;
	ip4addr_ntoa_r(netif_ip4_addr(n), addr, sizeof(addr));
	ip4addr_ntoa_r(netif_ip4_netmask(n), mask, sizeof(mask));
	ip4addr_ntoa_r(netif_ip4_gw(n), gw, sizeof(gw));
	pr_info("%c%c%u %s address %s netmask %s gw %s", n->name[0], n->name[1],
		n->num, cfg.dhcp ? "DHCP bound" : "static", addr, mask, gw);
}

/* Run lwIP's due timeouts, then keep the wake-up timer at or before
 * its next deadline. */
static void run_lwip_timers(void)
{
	u32_t ms;
	uint64_t deadline;

	sys_check_timeouts();
	ms = sys_timeouts_sleeptime();
	if (ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE)
		return;
	deadline = time_ns() + (uint64_t)ms * NSEC_PER_MSEC;
	if (!timer_armed(&lwip_timer) || deadline < lwip_timer.deadline)
		timer_arm_at(&lwip_timer, deadline);
}

static void lwip_timer_fired(struct timer *t, void *arg)
{
	run_lwip_timers();
	publish_due = true; /* the timers may have ended connections */
}

/* netif->input: frames of this instance's queue pair. An ARP frame
 * also goes to the other instances (netinst.h), whose caches would
 * otherwise never learn what the tap steered here. */
static err_t input(struct pbuf *p, struct netif *n)
{
	const struct eth_hdr *eh = p->payload;

	if (cfg.count > 1 && p->len >= SIZEOF_ETH_HDR &&
	    eh->type == PP_HTONS(ETHTYPE_ARP) &&
	    p->tot_len <= NETINST_ARP_FRAME_MAX && p->len == p->tot_len)
		arp_shared += netinst_arp_share(cfg.index, p->payload, p->len,
						&arp_lost);
	return netif_input(p, n);
}

/* Feed the ARP frames the other instances received to our cache, as
 * replies: a request answered here too would be answered twice. */
static int take_arp(void)
{
	uint8_t frame[NETINST_ARP_FRAME_MAX];
	struct etharp_hdr *ah = (void *)(frame + SIZEOF_ETH_HDR);
	struct pbuf *p;
	size_t len;
	int n = 0;

	while ((len = netinst_arp_take(cfg.index, frame))) {
		n++;
		arp_taken++;
		if (len < SIZEOF_ETH_HDR + SIZEOF_ETHARP_HDR)
			continue;
		ah->opcode = PP_HTONS(ARP_REPLY);
		p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_RAM);
		if (!p)
			continue;
		pbuf_take(p, frame, (u16_t)len);
		if (netif_input(p, &netif) != ERR_OK)
			pbuf_free(p);
	}
	return n;
}

/* Whether the caller is this instance's CPU (its lwIP may be read). */
static bool on_own_cpu(void)
{
	return cpu_self() == cfg.cpu;
}

static void publish(uint64_t now)
{
	struct lwip_port_tcp_pcbs p;
	uint32_t waiting = lwip_port_tx_waiting();

	lwip_port_tcp_pcbs(&p);
	published.tx_waiting = waiting;
	published.pcbs = p;
	published_ns = now;
	publish_due = false;
}

static int pass_end(void)
{
	if (vnet)
		vnet_tx_doorbell(vnet);
	return 0;
}

/* The instance's poller: driver work, ARP from the others, lwIP's
 * timeouts, then the connections' deferred callbacks. */
static int poll(void)
{
	int work = vnet ? vnet_poll(vnet) : 0;
	uint64_t now;

	work += take_arp();
	ooseq_enforce(); /* before the next refill needs the pages */
	run_lwip_timers();
	work += conn_run_deferred();
	if (work)
		publish_due = true;
	if (publish_due && cfg.count > 1) {
		now = time_ns();
		if (!work || now - published_ns >= NET_PUBLISH_NS)
			publish(now);
	}
	return work;
}

/* lwIP's form of the static address in cfg. */
static void static_addrs(ip4_addr_t *ip, ip4_addr_t *mask, ip4_addr_t *gw)
{
	ip4_addr_set_u32(ip, lwip_htonl(cfg.addr));
	ip4_addr_set_u32(mask, lwip_htonl(cfg.netmask));
	ip4_addr_set_u32(gw, lwip_htonl(cfg.gw));
}

/* The netif over our pair; DHCP (instance 0 alone) or the address. */
static int attach(struct vnet_nic *nic)
{
	ip4_addr_t ip = { 0 }, mask = { 0 }, gw = { 0 };
	err_t err;

	vnet = vnet_pair(nic, cfg.index);
	if (!vnet)
		return -ENODEV;
	if (!cfg.dhcp)
		static_addrs(&ip, &mask, &gw);
	if (!netif_add(&netif, &ip, &mask, &gw, vnet, vnet_netif_init, input)) {
		pr_err("instance %u: netif_add failed", cfg.index);
		vnet = NULL;
		return -EIO;
	}
	pr_info("%c%c%u mac %02x:%02x:%02x:%02x:%02x:%02x, %s, queue pair %u",
		netif.name[0], netif.name[1], netif.num, netif.hwaddr[0],
		netif.hwaddr[1], netif.hwaddr[2], netif.hwaddr[3],
		netif.hwaddr[4], netif.hwaddr[5],
		cfg.dhcp ? "DHCP" : "static address", cfg.index);
	netif_set_hostname(&netif, NET_HOSTNAME);
	netif_set_status_callback(&netif, status_changed);
	netif_set_default(&netif);
	netif_set_up(&netif);
	if (cfg.dhcp) {
		err = dhcp_start(&netif);
		if (err != ERR_OK)
			pr_err("dhcp_start: %s",
			       errname(lwip_err_to_errno(err)));
	}
	return 0;
}

static int start(const struct netinst_cfg *c, struct vnet_nic *nic)
{
	cfg = *c;
	lwip_mem_set_limit(cfg.mem_limit);
	ooseq_set_budget(cfg.ooseq_pages);
	conn_set_instance(cfg.index);
	lwip_init();
	timer_setup(&lwip_timer, lwip_timer_fired, NULL);
	return nic ? attach(nic) : 0;
}

static int probe(struct pci_dev *pci, uint32_t pairs, struct vnet_nic **out,
		 uint32_t *got)
{
	int err = vnet_probe(pci, pairs, out);

	*got = err ? 0 : vnet_pairs(*out);
	return err;
}

static unsigned pair_cpu(const struct vnet_nic *nic, uint32_t pair)
{
	return vnet_pair_cpu(nic, pair);
}

static void log_stats(void)
{
	if (vnet)
		vnet_log_stats(vnet);
}

static void nic_counters(struct net_nic_counters *out)
{
	struct vnet_stats s = { 0 };
	struct ooseq_stats oo;

	ooseq_get_stats(&oo);
	if (vnet)
		vnet_get_stats(vnet, &s);
	s.tx_room_waiting = on_own_cpu() ? lwip_port_tx_waiting() :
					   READ_ONCE(published.tx_waiting);
	STATS_COPY(VNET_NIC_STATS, out, &s);
	out->ooseq_budget = oo.budget;
	out->ooseq_pages = oo.pages;
	out->ooseq_holders = oo.holders;
	out->ooseq_over_share = oo.over_share;
	out->ooseq_trimmed = oo.trimmed;
	out->irqs = s.irqs + s.config_irqs;
	out->irq_mode = vnet ? vnet_irq_mode(vnet) : "none";
}

static void stats(struct net_instance_stats *st)
{
	struct vnet_stats s = { 0 };
	struct conn_stats cs;

	if (vnet)
		vnet_get_stats(vnet, &s);
	conn_get_stats(&cs);
	*st = (struct net_instance_stats){
		.rx_packets = s.rx_packets,
		.tx_packets = s.tx_packets,
		.accepted = cs.accepted,
		.active = cs.active,
		.arp_shared = arp_shared,
		.arp_taken = arp_taken,
		.arp_lost = arp_lost,
	};
}

static void mem_counters(struct net_mem_counters *out)
{
	struct lwip_mem_stats st;

	lwip_mem_get_stats(&st);
	*out = (struct net_mem_counters){
		.limit = st.limit,
		.used = st.used,
		.peak = st.peak,
		.refused = st.refused,
		.cache_hits = st.cache_hits,
		.cached_bytes = st.cached_bytes,
	};
}

static void tcp_counters(struct net_tcp_counters *out)
{
	struct lwip_port_tcp_pcbs p = published.pcbs;

	if (on_own_cpu())
		lwip_port_tcp_pcbs(&p);
	*out = (struct net_tcp_counters){
		.tcp_pcb_pool = p.pool,
		.tcp_active = p.active,
		.tcp_time_wait = p.time_wait,
		.tcp_time_wait_reopened = p.time_wait_reopened,
		.tcp_time_wait_recycled = p.time_wait_recycled,
		.tcp_seg_pool = p.seg_pool,
		.tcp_seg_peak = p.seg_peak,
		.tcp_seg_refused = p.seg_refused,
		.pbuf_ref_pool = p.pbuf_pool,
		.pbuf_ref_peak = p.pbuf_peak,
		.pbuf_ref_refused = p.pbuf_refused,
		.tcp_rexmit_segs = p.rexmit_segs,
		.tcp_rto_expired = p.rto_expired,
	};
}

static void csum_counters(struct net_csum_counters *out)
{
	static const char *const names[] = { "offload", "cache", "sw" };
	struct net_csum_stats st;

	net_csum_get_stats(&st);
	out->mode = names[net_csum_mode()];
	STATS_COPY(NET_CSUM_STATS, out, &st);
}

/* This instance's entry in the table net.c reads (__start_netinst). */
static const struct netinst_ops ops
	__attribute__((used, section(".netinst"), aligned(8))) = {
		.start = start,
		.probe = probe,
		.pair_cpu = pair_cpu,
		.poll = poll,
		.pass_end = pass_end,
		.has_address = has_address,
		.log_stats = log_stats,
		.stats = stats,
		.nic_counters = nic_counters,
		.mem_counters = mem_counters,
		.tcp_counters = tcp_counters,
		.csum_counters = csum_counters,
		.listen = conn_listen,
		.send = conn_send,
		.write = conn_write,
		.queued = conn_queued,
		.set_urgency = conn_set_urgency,
		.trace_ack = conn_trace_ack,
		.recv_pause = conn_recv_pause,
		.close = conn_close,
		.abort = conn_abort,
		.peer = conn_peer,
		.conn_stats = conn_get_stats,
		.dgram_send = dgram_send,
	};
