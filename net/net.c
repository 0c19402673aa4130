// SPDX-License-Identifier: MIT
/*
 * Network bring-up and the glue between the stack instances (interface
 * in net.h and netinst.h). This file is linked once and holds no lwIP:
 * it picks how many instances run (net_queues=), probes the device
 * through instance 0's copy of the driver, starts each instance on its
 * queue pair, registers their pollers, sums their counters, and keeps
 * the ARP mailboxes between them.
 *
 * Placing work on CPUs: there are as many instances as CPUs online
 * (or net_queues=), at most as many as the device has queue pairs.
 * Instance i runs queue pair i on CPU i: the pair's MSI-X vectors are
 * routed to CPU i's LAPIC (virtio_net.c) and the instance's poller is
 * in CPU i's main loop, so its RX, TX, lwIP timers and the HTTP
 * callbacks of the connections it accepted all run there, and a flow
 * is served start to end by the CPU whose queue the device (RSS) or
 * the tap (flow hash) put it on. With more instances than CPUs (only
 * when net_queues= asks), CPU c runs those with i mod CPUs = c; under
 * INTx, whose line reaches CPU 0 only, CPU 0 runs every instance. The
 * per-packet path takes no
 * lock: the mailboxes are single-producer single-consumer, the rest
 * is per instance.
 */
#define PR_PREFIX "net: "
#include "net/net.h"

#include "kernel/arch/smp.h"
#include "kernel/arch/time.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/initcall.h"
#include "kernel/core/printk.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/stdio.h"
#include "kernel/lib/string.h"
#include "kernel/mm/memplan.h"
#include "kernel/sched/mainloop.h"
#include "kernel/sched/timer.h"
#include "kernel/virtio/pci.h"
#include "kernel/virtio/virtio_pci.h"
#include "lwip/init.h" /* LWIP_VERSION_STRING only: no lwIP code here */
#include "net/dgram.h"
#include "net/ipcfg.h"
#include "net/netinst.h"

#define NET_STATS_MAX_S 3600

extern const struct netinst_ops __netinst_start[], __netinst_end[];

static struct ipcfg cfg = { .dhcp = true }; /* [m] from ip= and gw= */
static uint64_t stats_s; /* [I] net_stats= */
static uint64_t queues_opt; /* [I] net_queues=, 0: one per CPU */
static uint32_t used; /* [I] instances running, after net_init */
static unsigned inst_cpu[NET_INSTANCES_MAX]; /* [I] the CPU polling each */
static struct timer stats_timer; /* [m] net_stats= */

/* One mailbox per (sender, receiver): single producer, single
 * consumer, so two CPUs need no lock, only the release/acquire pair
 * on the indices. */
struct arp_mailbox {
	uint32_t head; /* written by the sender */
	uint32_t tail; /* written by the receiver */
	struct {
		uint16_t len;
		uint8_t frame[NETINST_ARP_FRAME_MAX];
	} slot[NETINST_ARP_SLOTS];
};
static struct arp_mailbox arp_box[NET_INSTANCES_MAX][NET_INSTANCES_MAX];

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

KPARAM_UINT(net_queues, queues_opt, 0, NET_INSTANCES_MAX,
	    "virtio-net queue pairs, one lwIP instance each (0: one per CPU)");

const struct netinst_ops *netinst_get(uint32_t i)
{
	return i < netinst_linked() ? &__netinst_start[i] : NULL;
}

uint32_t netinst_linked(void)
{
	return (uint32_t)(((uintptr_t)__netinst_end -
			   (uintptr_t)__netinst_start) /
			  sizeof(__netinst_start[0]));
}

uint32_t netinst_count(void)
{
	return used;
}

uint32_t netinst_arp_share(uint32_t from, const void *frame, size_t len,
			   uint64_t *lost)
{
	uint32_t placed = 0;

	if (len > NETINST_ARP_FRAME_MAX)
		return 0;
	for (uint32_t to = 0; to < used; to++) {
		struct arp_mailbox *b = &arp_box[from][to];
		uint32_t head = b->head;

		if (to == from)
			continue;
		if (head - __atomic_load_n(&b->tail, __ATOMIC_ACQUIRE) ==
		    NETINST_ARP_SLOTS) {
			(*lost)++;
			continue;
		}
		b->slot[head % NETINST_ARP_SLOTS].len = (uint16_t)len;
		memcpy(b->slot[head % NETINST_ARP_SLOTS].frame, frame, len);
		/* The frame is written before the receiver can see it. */
		__atomic_store_n(&b->head, head + 1, __ATOMIC_RELEASE);
		placed++;
		/* A receiver on a halted CPU would see it at its next wake-up
		 * only (its next lwIP timer), too late for the SYN-ACKs
		 * waiting for this address. */
		if (inst_cpu[to] != cpu_self())
			smp_kick(inst_cpu[to]);
	}
	return placed;
}

size_t netinst_arp_take(uint32_t to, void *buf)
{
	for (uint32_t from = 0; from < used; from++) {
		struct arp_mailbox *b = &arp_box[from][to];
		uint32_t tail = b->tail;
		size_t len;

		if (__atomic_load_n(&b->head, __ATOMIC_ACQUIRE) == tail)
			continue;
		len = b->slot[tail % NETINST_ARP_SLOTS].len;
		memcpy(buf, b->slot[tail % NETINST_ARP_SLOTS].frame, len);
		/* Copied out before the sender may reuse the slot. */
		__atomic_store_n(&b->tail, tail + 1, __ATOMIC_RELEASE);
		return len;
	}
	return 0;
}

bool net_has_address(void)
{
	return used && netinst_get(0)->has_address();
}

/* The counters of every instance in use, added up; the device's
 * settings (tso_on) and the largest sizes are not sums. */
void net_nic_counters(struct net_nic_counters *out)
{
	struct net_nic_counters one;
	uint64_t frame_max = 0, bufs_max = 0;

	*out = (struct net_nic_counters){ .irq_mode = "none" };
	for (uint32_t i = 0; i < used; i++) {
		netinst_get(i)->nic_counters(&one);
		frame_max = MAX(frame_max, one.tx_frame_max);
		bufs_max = MAX(bufs_max, one.rx_bufs_per_frame_max);
		STATS_ADD(VNET_NIC_STATS, out, &one);
		STATS_ADD(NET_OOSEQ_STATS, out, &one);
		out->irqs += one.irqs;
		out->irq_mode = one.irq_mode;
		out->tso_on = one.tso_on;
	}
	out->tx_frame_max = frame_max;
	out->rx_bufs_per_frame_max = bufs_max;
}

void net_mem_counters(struct net_mem_counters *out)
{
	struct net_mem_counters one;

	*out = (struct net_mem_counters){ 0 };
	for (uint32_t i = 0; i < used; i++) {
		netinst_get(i)->mem_counters(&one);
		STATS_ADD(NET_MEM_STATS, out, &one);
	}
}

void net_tcp_counters(struct net_tcp_counters *out)
{
	struct net_tcp_counters one;

	*out = (struct net_tcp_counters){ 0 };
	for (uint32_t i = 0; i < used; i++) {
		netinst_get(i)->tcp_counters(&one);
		STATS_ADD(NET_TCP_STATS, out, &one);
	}
}

void net_csum_counters(struct net_csum_counters *out)
{
	struct net_csum_counters one;

	*out = (struct net_csum_counters){ .mode = "offload" };
	for (uint32_t i = 0; i < used; i++) {
		netinst_get(i)->csum_counters(&one);
		STATS_ADD(NET_CSUM_STATS, out, &one);
		out->mode = one.mode;
	}
}

void net_instance_stats(uint32_t i, struct net_instance_stats *st)
{
	*st = (struct net_instance_stats){ 0 };
	if (i < used)
		netinst_get(i)->stats(st);
}

uint32_t net_instances(void)
{
	return used;
}

/* net/dgram.h: through the instance this CPU runs (lwIP is entered
 * only from its own CPU); a CPU that runs none has no interface. */
int dgram_send(uint32_t addr, uint16_t port, const void *buf, size_t len)
{
	for (uint32_t i = 0; i < used; i++)
		if (inst_cpu[i] == cpu_self())
			return netinst_get(i)->dgram_send(addr, port, buf, len);
	return -ENETDOWN;
}

/* Each counter an aligned word another CPU writes: never torn. */
void net_cpu_stats(unsigned cpu, struct net_cpu_stats *st)
{
	struct net_instance_stats one;

	*st = (struct net_cpu_stats){ 0 };
	for (uint32_t i = 0; i < used; i++) {
		if (inst_cpu[i] != cpu)
			continue;
		netinst_get(i)->stats(&one);
		st->net_instances++;
		st->rx_packets += one.rx_packets;
		st->tx_packets += one.tx_packets;
		st->net_accepted += one.accepted;
	}
}

void net_log_stats(void)
{
	for (uint32_t i = 0; i < used; i++)
		netinst_get(i)->log_stats();
}

static void stats_timer_fired(struct timer *t, void *arg)
{
	net_log_stats();
	timer_arm_in(t, stats_s * NSEC_PER_SEC);
}

/* Instance `arg`'s poller, in its CPU's main loop. */
static int poll_instance(void *arg)
{
	return netinst_get((uint32_t)(uintptr_t)arg)->poll();
}

static int instance_pass_end(void *arg)
{
	return netinst_get((uint32_t)(uintptr_t)arg)->pass_end();
}

/* The first virtio-net function (modern or transitional ID). */
static struct pci_dev *find_device(void)
{
	return vpci_find(VIRTIO_ID_NET, NULL);
}

/* The static address; a gateway outside the subnet is dropped. */
static void static_addrs(struct netinst_cfg *c)
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
	c->addr = cfg.addr;
	c->netmask = m;
	c->gw = cfg.gw;
}

/* Queue pairs to ask the device for: net_queues= or one per CPU, at
 * most the instances linked in; one with DHCP, whose client lives in
 * instance 0 and whose replies could arrive on any queue. More than
 * the CPUs only when asked for: then CPUs run several (i mod CPUs). */
static uint32_t queues_wanted(void)
{
	uint32_t n = queues_opt ? (uint32_t)queues_opt : cpu_count();

	n = MIN(n, netinst_linked());
	if (cfg.dhcp && n > 1) {
		pr_warn("ip=dhcp: one queue pair, not %u (DHCP runs in one "
			"instance; give a static ip= for more)",
			n);
		n = 1;
	}
	return n ? n : 1;
}

/* Start instances [0, n) on `nic` (NULL: lwIP only, no device). */
static int start_instances(uint32_t n, struct vnet_nic *nic)
{
	const struct memplan *plan = memplan();
	struct netinst_cfg c = {
		.count = n,
		.mem_limit = plan->lwip_bytes / n,
		.ooseq_pages = (plan->rx_bufs - plan->rx_ring) / 2 / n,
		.dhcp = cfg.dhcp,
	};
	int err;

	if (!cfg.dhcp)
		static_addrs(&c);
	used = n; /* the mailboxes cover every instance from the start */
	for (uint32_t i = 0; i < n; i++) {
		inst_cpu[i] = nic ? netinst_get(0)->pair_cpu(nic, i) : 0;
		c.index = i;
		c.cpu = inst_cpu[i];
		err = netinst_get(i)->start(&c, nic);
		if (err) {
			used = i;
			return err;
		}
	}
	return 0;
}

int net_init(void)
{
	struct pci_dev *pci = find_device();
	char name[PCI_NAME_LEN];
	struct vnet_nic *nic;
	uint32_t got;
	int err;

	pr_info("lwIP %s", LWIP_VERSION_STRING);
	pr_info("%u stack instances linked", netinst_linked());
	if (!pci) {
		pr_info("no virtio-net device; network off");
		start_instances(1, NULL);
		return -ENODEV;
	}
	err = netinst_get(0)->probe(pci, queues_wanted(), &nic, &got);
	if (err) {
		pr_err("%s: virtio-net probe failed: %s", pci_name(pci, name),
		       errname(err));
		start_instances(1, NULL);
		return err;
	}
	err = start_instances(got, nic);
	if (err)
		return err;
	pr_info("%u queue pair%s, one lwIP instance each", used,
		used == 1 ? "" : "s");
	for (uint32_t i = 0; i < used; i++) {
		pr_info("instance %u: queue pair %u on CPU %u", i, i,
			inst_cpu[i]);
		err = mainloop_add_poller_on(inst_cpu[i], poll_instance,
					     (void *)(uintptr_t)i);
		if (!err)
			err = mainloop_add_pass_end_on(inst_cpu[i],
						       instance_pass_end,
						       (void *)(uintptr_t)i);
		if (err)
			return err;
	}
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
