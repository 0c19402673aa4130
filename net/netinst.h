/* SPDX-License-Identifier: MIT */
/*
 * Network-stack instances: one lwIP per virtio-net queue pair, sharing
 * nothing. lwIP keeps its state in globals, so the build links the
 * stack (lwIP's core and the per-instance files of net/: the driver and
 * its netif glue, conn.c, netinst.c, the port's hooks) once per
 * instance, every symbol prefixed (net/build.mk, tools/net-instance.sh),
 * and only the references to the rest of the kernel keep their names.
 * Each instance contributes one struct netinst_ops to the .netinst
 * section; net/net.c and net/conn_mux.c reach an instance only through
 * it. Instance i runs queue pair i: what it receives arrived on pair i,
 * what it sends leaves on pair i, its timers and connections are its
 * own. All instances have the same address and MAC.
 *
 * Concurrency: instance i's functions run only in the main loop of
 * its CPU (cfg.cpu: CPU i when the pairs have MSI-X vectors, which are
 * routed there; CPU 0 for all at -smp 1 or under INTx), except start
 * and probe (CPU 0 at boot, before any other CPU runs a loop) and the
 * counter functions, which any CPU may call: from another CPU they
 * read plain counters and the snapshot the instance publishes of what
 * only a walk of lwIP's lists can count. The ARP mailboxes (net.c) are
 * the only data two instances touch.
 */
#ifndef NET_NETINST_H
#define NET_NETINST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "net/conn.h"
#include "net/net.h"

/* Instances linked into the image (net/build.mk sets it). */
#ifndef NET_INSTANCES_MAX
#define NET_INSTANCES_MAX 4
#endif

struct pci_dev;
struct vnet_nic;

/* Every struct conn starts with this: the dispatchers of conn_mux.c
 * find a connection's instance in it. */
struct conn_head {
	uint32_t instance;
};

/* What an instance is told when it starts. */
struct netinst_cfg {
	uint32_t index; /* this instance, and the queue pair it runs */
	uint32_t count; /* instances in use */
	unsigned cpu; /* the CPU whose loop polls it (net.c) */
	uint64_t mem_limit; /* bytes of heap its lwIP may hold */
	uint32_t ooseq_pages; /* its out-of-order RX page budget */
	bool dhcp; /* instance 0 only: ask DHCP for the address */
	uint32_t addr, netmask, gw; /* static address, host order */
};

struct netinst_ops {
	/* lwIP up, then (nic given) its netif over pair cfg->index. */
	int (*start)(const struct netinst_cfg *cfg, struct vnet_nic *nic);
	/* Probe the device with up to `pairs` queue pairs (any instance's
	 * copy of the driver will do; net.c uses instance 0's). */
	int (*probe)(struct pci_dev *pci, uint32_t pairs, struct vnet_nic **out,
		     uint32_t *got);
	/* The CPU that takes pair `pair`'s interrupts and so must poll it
	 * (virtio_net.c: pair i on CPU i with MSI-X, CPU 0 under INTx). */
	unsigned (*pair_cpu)(const struct vnet_nic *nic, uint32_t pair);
	/* Driver work, ARP from the others, lwIP's timers, deferred
	 * connection work; > 0 if it did any. */
	int (*poll)(void);
	/* End of the CPU's main-loop pass: ring the TX doorbell once for
	 * the frames the whole pass queued (virtio_net.c). 0. */
	int (*pass_end)(void);
	bool (*has_address)(void);
	void (*log_stats)(void);
	void (*stats)(struct net_instance_stats *st);
	void (*nic_counters)(struct net_nic_counters *out);
	void (*mem_counters)(struct net_mem_counters *out);
	void (*tcp_counters)(struct net_tcp_counters *out);
	void (*csum_counters)(struct net_csum_counters *out);
	/* net/conn.h, this instance's copy */
	int (*listen)(uint16_t port, const struct conn_callbacks *cb,
		      void *ctx);
	int (*send)(struct conn *c, struct ioagg *agg);
	long (*write)(struct conn *c, const void *buf, size_t len);
	uint64_t (*queued)(const struct conn *c);
	void (*set_urgency)(struct conn *c, uint8_t urgency);
	void (*trace_ack)(struct conn *c, uint64_t req, uint64_t start_ns,
			  uint64_t now_ns);
	void (*recv_pause)(struct conn *c, bool pause);
	void (*close)(struct conn *c);
	void (*abort)(struct conn *c);
	const char *(*peer)(const struct conn *c, char *buf, size_t size);
	void (*conn_stats)(struct conn_stats *st);
	/* net/dgram.h, this instance's copy */
	int (*dgram_send)(uint32_t addr, uint16_t port, const void *buf,
			  size_t len);
};

/* The instances linked in, and how many are in use (after net_init). */
const struct netinst_ops *netinst_get(uint32_t i);
uint32_t netinst_linked(void);
uint32_t netinst_count(void);

/* ARP between instances (net.c): the host's tap picks a queue for an
 * ARP frame by hash, so an instance that receives one passes a copy to
 * every other through a mailbox per (sender, receiver) pair, drained by
 * the receiver's poll. Copies go up as ARP replies: they teach the
 * cache, only the instance that really received a request answers it.
 * netinst_arp_share: from instance `from`'s poll; frame borrowed. */
#define NETINST_ARP_FRAME_MAX 64 /* an ARP frame is 42 bytes (60 padded) */
#define NETINST_ARP_SLOTS 8 /* per mailbox */
/* Returns the copies placed; *lost counts those a full mailbox refused. */
uint32_t netinst_arp_share(uint32_t from, const void *frame, size_t len,
			   uint64_t *lost);

/* Take one frame for instance `to` into buf (NETINST_ARP_FRAME_MAX
 * bytes): its length, 0 when none waits. From instance `to`'s poll. */
size_t netinst_arp_take(uint32_t to, void *buf);

/* Per-instance connection functions, defined in net/conn.c. */
void conn_set_instance(uint32_t id);
int conn_run_deferred(void);

#endif
