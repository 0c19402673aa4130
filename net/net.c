// SPDX-License-Identifier: MIT
/*
 * Network bring-up and the network poller (interface in net.h).
 *
 * lwIP's timeouts (TCP fast/slow timers, ARP, DHCP, reassembly) run from
 * net_poll once due; a kernel timer armed at lwIP's next deadline makes
 * sure the halted CPU wakes for them. Both run in the main loop, the
 * only context lwIP is ever entered from (NO_SYS=1).
 */
#define PR_PREFIX "net: "
#include "net/lwip-port/csum.h"
#include "net/net.h"

#include "kernel/arch/time.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/initcall.h"
#include "kernel/core/printk.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/stdio.h"
#include "kernel/mm/memplan.h"
#include "kernel/sched/mainloop.h"
#include "kernel/sched/timer.h"
#include "kernel/virtio/pci.h"
#include "kernel/virtio/virtio_pci.h"
#include "lwip/dhcp.h"
#include "lwip/init.h"
#include "lwip/ip4_addr.h"
#include "lwip/netif.h"
#include "lwip/timeouts.h"
#include "net/ipcfg.h"
#include "net/lwip-port/lwip_err.h"
#include "net/lwip-port/lwip_mem.h"
#include "net/lwip-port/ooseq.h"
#include "net/lwip-port/tcp_pcbs.h"
#include "net/virtio_net.h"

#define NET_HOSTNAME "petrel"
#define NET_STATS_MAX_S 3600

static struct ipcfg cfg = { .dhcp = true }; /* [m] from ip= and gw= */
static uint64_t stats_s; /* [I] net_stats= */

static struct netif netif; /* [m] */
static struct vnet_dev *vnet; /* [I] after net_init */
static struct timer lwip_timer; /* [m] wakes the CPU for lwIP timeouts */
static struct timer stats_timer; /* [m] net_stats= */

static int parse_ip(const char *value, void *var)
{
	return ipcfg_parse_ip(value, var);
}

static int show_ip(char *buf, size_t size, const void *var)
{
	const struct ipcfg *c = var;
	char a[IPCFG_STR_MAX];

	if (c->dhcp)
		return snprintf(buf, size, "dhcp");
	return snprintf(buf, size, "%s/%u",
			ipcfg_format_addr(c->addr, a, sizeof(a)), c->prefix);
}

static int parse_gw(const char *value, void *var)
{
	return ipcfg_parse_gw(value, var);
}

static int show_gw(char *buf, size_t size, const void *var)
{
	const struct ipcfg *c = var;
	char a[IPCFG_STR_MAX];

	return snprintf(buf, size, "%s",
			c->gw ? ipcfg_format_addr(c->gw, a, sizeof(a)) :
				"none");
}

KPARAM_FUNC(ip, cfg, parse_ip, show_ip, "dhcp or A.B.C.D[/N]");
KPARAM_FUNC(gw, cfg, parse_gw, show_gw, "a gateway address A.B.C.D");
KPARAM_UINT(net_stats, stats_s, 0, NET_STATS_MAX_S,
	    "log network counters every N seconds (0: off)");

struct netif *net_netif(void)
{
	return vnet ? &netif : NULL;
}

bool net_has_address(void)
{
	return vnet && !ip4_addr_isany_val(*netif_ip4_addr(&netif));
}

void net_nic_counters(struct net_nic_counters *out)
{
	struct vnet_stats s = { 0 };
	struct ooseq_stats oo;

	ooseq_get_stats(&oo);
	if (vnet)
		vnet_get_stats(vnet, &s);
	STATS_COPY(VNET_NIC_STATS, out, &s);
	out->ooseq_budget = oo.budget;
	out->ooseq_pages = oo.pages;
	out->ooseq_holders = oo.holders;
	out->ooseq_over_share = oo.over_share;
	out->ooseq_trimmed = oo.trimmed;
	out->irqs = s.irqs + s.config_irqs;
	out->irq_mode = vnet ? vnet_irq_mode(vnet) : "none";
}

void net_mem_counters(struct net_mem_counters *out)
{
	struct lwip_mem_stats st;

	lwip_mem_get_stats(&st);
	*out = (struct net_mem_counters){ st.limit, st.used, st.peak,
					  st.refused };
}

void net_tcp_counters(struct net_tcp_counters *out)
{
	struct lwip_port_tcp_pcbs p;

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

void net_log_stats(void)
{
	if (vnet)
		vnet_log_stats(vnet);
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
}

static void stats_timer_fired(struct timer *t, void *arg)
{
	net_log_stats();
	timer_arm_in(t, stats_s * NSEC_PER_SEC);
}

/* The main-loop poller: driver work, then lwIP's timeouts. */
static int net_poll(void *arg)
{
	int work = vnet_poll(vnet);

	ooseq_enforce(); /* before the next refill needs the pages */
	run_lwip_timers();
	return work;
}

/* The first virtio-net function (modern or transitional ID). */
static struct pci_dev *find_device(void)
{
	return vpci_find(VIRTIO_ID_NET, NULL);
}

/* lwIP addresses from cfg; a gateway outside the subnet is dropped. */
static void static_addrs(ip4_addr_t *ip, ip4_addr_t *mask, ip4_addr_t *gw)
{
	uint32_t m = ipcfg_netmask(cfg.prefix);
	char a[IPCFG_STR_MAX];

	if (cfg.gw && (cfg.gw & m) != (cfg.addr & m)) {
		pr_warn("gw=%s is outside %s/%u; no gateway",
			ipcfg_format_addr(cfg.gw, a, sizeof(a)),
			ipcfg_format_addr(cfg.addr & m, a, sizeof(a)),
			cfg.prefix);
		cfg.gw = 0;
	}
	ip4_addr_set_u32(ip, lwip_htonl(cfg.addr));
	ip4_addr_set_u32(mask, lwip_htonl(m));
	ip4_addr_set_u32(gw, lwip_htonl(cfg.gw));
}

int net_init(void)
{
	ip4_addr_t ip = { 0 }, mask = { 0 }, gw = { 0 };
	struct pci_dev *pci = find_device();
	char name[PCI_NAME_LEN];
	int err;

	lwip_mem_set_limit(memplan()->lwip_bytes);
	ooseq_set_budget((memplan()->rx_bufs - memplan()->rx_ring) / 2);
	lwip_init();
	pr_info("lwIP %s", LWIP_VERSION_STRING);
	if (!pci) {
		pr_info("no virtio-net device; network off");
		return -ENODEV;
	}
	err = vnet_probe(pci, &vnet);
	if (err) {
		pr_err("%s: virtio-net probe failed: %s", pci_name(pci, name),
		       errname(err));
		return err;
	}
	if (!cfg.dhcp)
		static_addrs(&ip, &mask, &gw);
	timer_setup(&lwip_timer, lwip_timer_fired, NULL);
	if (!netif_add(&netif, &ip, &mask, &gw, vnet, vnet_netif_init,
		       netif_input)) {
		pr_err("netif_add failed");
		return -EIO;
	}
	netif_set_hostname(&netif, NET_HOSTNAME);
	netif_set_status_callback(&netif, status_changed);
	netif_set_default(&netif);
	pr_info("%s: %c%c%u mac %02x:%02x:%02x:%02x:%02x:%02x, %s",
		pci_name(pci, name), netif.name[0], netif.name[1], netif.num,
		netif.hwaddr[0], netif.hwaddr[1], netif.hwaddr[2],
		netif.hwaddr[3], netif.hwaddr[4], netif.hwaddr[5],
		cfg.dhcp ? "DHCP" : "static address");
	netif_set_up(&netif);
	if (cfg.dhcp) {
		err = dhcp_start(&netif);
		if (err != ERR_OK)
			pr_err("dhcp_start: %s",
			       errname(lwip_err_to_errno(err)));
	}
	err = mainloop_add_poller(net_poll, NULL);
	if (err)
		return err;
	if (stats_s) {
		timer_setup(&stats_timer, stats_timer_fired, NULL);
		timer_arm_in(&stats_timer, stats_s * NSEC_PER_SEC);
	}
	return 0;
}

/* Run from kmain's init calls, after PCI, interrupts, timers and the
 * buffer pool are up; failures are logged and leave the network off. */
static void net_initcall(void)
{
	net_init();
}
INITCALL(net_initcall, INIT_NET);

void net_csum_counters(struct net_csum_counters *out)
{
	static const char *const names[] = { "offload", "cache", "sw" };
	struct net_csum_stats st;

	net_csum_get_stats(&st);
	out->mode = names[net_csum_mode()];
	STATS_COPY(NET_CSUM_STATS, out, &st);
}
