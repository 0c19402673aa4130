// SPDX-License-Identifier: MIT
/*
 * Fake virtio-net device and TCP peer for the host tests of net/ (see
 * fake_nic.h). The device side reads and writes the split rings the
 * driver gave vpci_queue_setup (physical = virtual on the host); the
 * transport, PCI and MSI-X calls of vnet_probe are answered here.
 */
#include <stdlib.h>
#include <string.h>

#include "kernel/lib/errno.h"
#include "kernel/param.h"
#include "kernel/sched/irq.h"
#include "kernel/virtio/pci.h"
#include "kernel/virtio/virtio_pci.h"
#include "kernel/virtio/virtq.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/tcp.h"
#include "netif/ethernet.h"
#include "net/virtio_net.h"
#include "tests/net/fake_nic.h"

#define GUEST_IP 0x0a000002u /* 10.0.0.2 */
#define PEER_IP 0x0a000001u /* 10.0.0.1 */
#define PEER_PORT_FIRST 40000
#define PEER_ISN 1000u
#define FRAME_MAX (64 * 1024 + 64) /* a TSO frame with its headers */
#define PEER_FRAME_MAX 2048
#define DEV_FEATURES                                                      \
	(VIRTIO_NET_F_CSUM | VIRTIO_NET_F_GUEST_CSUM | VIRTIO_NET_F_MAC | \
	 VIRTIO_F_VERSION_1 | VIRTIO_NET_F_MRG_RXBUF)

static const uint8_t guest_mac[6] = { 2, 0, 0, 0, 0, 2 };
static const uint8_t peer_mac[6] = { 2, 0, 0, 0, 0, 1 };

struct ring {
	struct virtq_desc *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
	uint16_t size, last_avail;
};

static struct ring rings[2];
static struct pci_dev pci;
static struct vnet_dev *vnet;
static struct netif netif;
static uint8_t last_payload[FRAME_MAX];
static size_t last_payload_len;
struct fake_peer fake_peer;
bool fake_nic_offer_tso;
struct fake_nic_tx_log fake_nic_tx_log;
size_t fake_nic_rx_split;
uint64_t fake_nic_tx_notifies;

/* --- the transport, PCI and interrupts, as vnet_probe uses them --- */

int vpci_init(struct vpci_dev *vd, struct pci_dev *p)
{
	memset(vd, 0, sizeof(*vd));
	vd->pci = p;
	return 0;
}

int vpci_negotiate(struct vpci_dev *vd, uint64_t wanted)
{
	vd->features = wanted &
		       (DEV_FEATURES |
			(fake_nic_offer_tso ? VIRTIO_NET_F_HOST_TSO4 : 0));
	return 0;
}

void vpci_fail(struct vpci_dev *vd)
{
	(void)vd;
}

uint16_t vpci_queue_max_size(struct vpci_dev *vd, uint16_t index)
{
	(void)vd;
	(void)index;
	return VNET_QUEUE_SIZE;
}

int vpci_queue_setup(struct vpci_dev *vd, uint16_t index, uint16_t size,
		     uint64_t desc, uint64_t avail, uint64_t used,
		     uint16_t vector)
{
	(void)vd;
	(void)vector;
	rings[index] = (struct ring){ (void *)(uintptr_t)desc,
				      (void *)(uintptr_t)avail,
				      (void *)(uintptr_t)used, size, 0 };
	return 0;
}

int vpci_set_config_vector(struct vpci_dev *vd, uint16_t vector)
{
	(void)vd;
	(void)vector;
	return 0;
}

void vpci_driver_ok(struct vpci_dev *vd)
{
	(void)vd;
}

void vpci_notify(void *arg, uint16_t index)
{
	(void)arg;
	if (index % 2) /* queue 2i + 1: pair i's TX */
		fake_nic_tx_notifies++;
}

int vpci_read_config(struct vpci_dev *vd, uint32_t off, void *buf, uint32_t len)
{
	(void)vd;
	if (off != 0 || len != sizeof(guest_mac))
		return -EINVAL;
	memcpy(buf, guest_mac, len);
	return 0;
}

int pci_msix_enable(struct pci_dev *d)
{
	(void)d;
	return 0;
}

void pci_msix_disable(struct pci_dev *d)
{
	(void)d;
}

int pci_msix_set_entry(struct pci_dev *d, uint16_t idx, uint64_t addr,
		       uint32_t data)
{
	(void)d;
	(void)idx;
	(void)addr;
	(void)data;
	return 0;
}

const char *pci_name(const struct pci_dev *d, char *buf)
{
	(void)d;
	strcpy(buf, "fake");
	return buf;
}

void irq_msi_compose(uint8_t vector, uint64_t *addr, uint32_t *data)
{
	*addr = 0;
	*data = vector;
}

/* The CPU goes in the address, as the real one puts its LAPIC id. */
void irq_msi_compose_cpu(uint8_t vector, unsigned cpu, uint64_t *addr,
			 uint32_t *data)
{
	*addr = cpu;
	*data = vector;
}

/* The fake device has MSI-X, so the INTx fallback is never taken. */
bool vpci_use_msix(const struct vpci_dev *vd, uint16_t entries)
{
	(void)vd;
	(void)entries;
	return true;
}

uint8_t vpci_isr(struct vpci_dev *vd)
{
	(void)vd;
	return 0;
}

int vpci_attach_intx(struct vpci_dev *vd, irq_shared_fn fn, void *arg,
		     const char *name)
{
	(void)vd;
	(void)fn;
	(void)arg;
	(void)name;
	return -ENODEV;
}

void irq_detach_shared(int vector, irq_shared_fn fn, void *arg)
{
	(void)vector;
	(void)fn;
	(void)arg;
}

const char *vpci_irq_mode_name(enum vpci_irq_mode mode)
{
	return mode == VPCI_IRQ_MSIX ? "msix" :
	       mode == VPCI_IRQ_INTX ? "intx" :
				       "polled";
}

/* --- the peer --- */

static uint16_t ip_sum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* The device writes one frame into the next RX buffers (MRG_RXBUF: as
 * many as it takes, at most fake_nic_rx_split bytes each when set) and
 * returns them together; false when the driver posted too few. The
 * checksum is marked valid, as QEMU's does for a tap. */
static bool rx_frame(const uint8_t *frame, size_t len)
{
	struct ring *r = &rings[VNET_RXQ];
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_DATA_VALID };
	uint8_t all[sizeof(h) + FRAME_MAX];
	size_t total = sizeof(h) + len, done = 0;
	uint16_t used = r->used->idx, nbufs = 0, first_slot = used;

	memcpy(all + sizeof(h), frame, len);
	while (done < total) {
		uint16_t head;
		size_t room;

		if (r->last_avail == r->avail->idx)
			return false;
		head = r->avail->ring[r->last_avail++ % r->size];
		room = r->desc[head].len;
		if (fake_nic_rx_split && room > fake_nic_rx_split)
			room = fake_nic_rx_split;
		if (room > total - done)
			room = total - done;
		if (nbufs == 0)
			first_slot = head;
		memcpy((uint8_t *)(uintptr_t)r->desc[head].addr, all + done,
		       room);
		r->used->ring[(uint16_t)(used + nbufs) % r->size] =
			(struct virtq_used_elem){ head, (uint32_t)room };
		done += room;
		nbufs++;
	}
	h.num_buffers = nbufs;
	memcpy((uint8_t *)(uintptr_t)r->desc[first_slot].addr, &h, sizeof(h));
	/* All of the frame's buffers appear at once (virtio 1.2, 5.1.6.4). */
	__atomic_store_n(&r->used->idx, (uint16_t)(used + nbufs),
			 __ATOMIC_RELEASE);
	return true;
}

/* Send one TCP segment from the peer. */
static void peer_segment(uint8_t flags, const void *data, size_t len)
{
	uint8_t f[PEER_FRAME_MAX] = { 0 };
	uint8_t *ip = f + 14, *tcp = ip + 20;
	size_t thl = flags & TCP_SYN ? 24 : 20;

	memcpy(f, guest_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	put16(f + 12, 0x0800);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + thl + len));
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, PEER_IP);
	put32(ip + 16, GUEST_IP);
	put16(ip + 10, ip_sum(ip, 20));
	put16(tcp, fake_peer.port);
	put16(tcp + 2, fake_peer.dport);
	put32(tcp + 4, fake_peer.snd_nxt);
	put32(tcp + 8, fake_peer.acked);
	tcp[12] = (uint8_t)(thl / 4 << 4);
	tcp[13] = flags;
	put16(tcp + 14, FAKE_PEER_WINDOW);
	if (flags & TCP_SYN) {
		tcp[20] = 2; /* MSS option */
		tcp[21] = 4;
		put16(tcp + 22, 1460);
	}
	if (len)
		memcpy(tcp + thl, data, len);
	if (!rx_frame(f, 14 + 20 + thl + len))
		abort();
	fake_peer.snd_nxt +=
		(uint32_t)len + (flags & (TCP_SYN | TCP_FIN) ? 1 : 0);
}

void fake_peer_connect(uint16_t port)
{
	static uint16_t next_port = PEER_PORT_FIRST;

	free(fake_peer.data);
	/* A new port each time: a connection a failed test left behind
	 * does not take the next one's segments. */
	fake_peer = (struct fake_peer){ .snd_nxt = PEER_ISN,
					.port = next_port++,
					.dport = port };
	peer_segment(TCP_SYN, NULL, 0);
}

void fake_peer_send(const void *data, size_t len)
{
	peer_segment(TCP_ACK | TCP_PSH, data, len);
}

void fake_peer_ack(uint32_t ackno)
{
	fake_peer.acked = ackno;
	peer_segment(TCP_ACK, NULL, 0);
}

void fake_peer_ack_all(void)
{
	fake_peer_ack(fake_peer.rcv_nxt);
}

void fake_peer_fin(void)
{
	peer_segment(TCP_ACK | TCP_FIN, NULL, 0);
}

void fake_peer_rst(void)
{
	peer_segment(TCP_RST | TCP_ACK, NULL, 0);
}

void fake_peer_open(uint16_t port)
{
	fake_peer_connect(port);
	fake_nic_poll();
	fake_nic_tx_run(~0u);
	fake_peer_ack_all();
	fake_nic_poll();
}

void fake_peer_rewind(uint32_t seq)
{
	uint32_t lost = fake_peer.rcv_nxt - seq;

	if (lost > fake_peer.len)
		abort();
	fake_peer.len -= lost;
	fake_peer.rcv_nxt = seq;
}

void fake_peer_reset_data(void)
{
	fake_peer.len = 0; /* retransmissions of older bytes: unchecked */
}

/* Bytes [off, off + len) of the stream: new ones are appended, ones
 * already had (a retransmission) must be the same. */
static void peer_data(uint32_t seq, const uint8_t *p, size_t len)
{
	struct fake_peer *pr = &fake_peer;

	if (seq != pr->rcv_nxt) {
		uint32_t back = pr->rcv_nxt - seq; /* bytes already had */
		size_t old = MIN(len, (size_t)back);

		pr->dup_frames++; /* retransmission or out of order */
		if (back <= pr->len &&
		    memcmp(pr->data + pr->len - back, p, old))
			pr->bad_retransmits++;
		if (back > pr->len || len <= back)
			return;
		/* a resent segment that goes on past what we had */
		p += back;
		len -= back;
	}
	if (pr->len + len > pr->cap) {
		pr->cap = (pr->len + len) * 2;
		pr->data = realloc(pr->data, pr->cap);
	}
	memcpy(pr->data + pr->len, p, len);
	pr->len += len;
	pr->rcv_nxt += (uint32_t)len;
}

/* A frame the device took from the guest. */
static void peer_input(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14, *tcp;
	size_t ihl, thl, total;

	if (len < 54 || f[12] != 0x08 || f[13] != 0 || ip[9] != 6)
		return;
	ihl = (size_t)(ip[0] & 15) * 4;
	total = (size_t)(ip[2] << 8 | ip[3]);
	tcp = ip + ihl;
	thl = (size_t)(tcp[12] >> 4) * 4;
	last_payload_len = total - ihl - thl;
	memcpy(last_payload, tcp + thl, last_payload_len);
	if (tcp[13] & TCP_SYN) {
		fake_peer.rcv_nxt = get32(tcp + 4) + 1;
		fake_peer.established = true;
		return;
	}
	if (last_payload_len) {
		fake_peer.frames++;
		fake_peer.last_seq = get32(tcp + 4);
		peer_data(get32(tcp + 4), last_payload, last_payload_len);
	}
	if ((tcp[13] & TCP_FIN) &&
	    get32(tcp + 4) + last_payload_len == fake_peer.rcv_nxt) {
		fake_peer.rcv_nxt++;
		fake_peer.fin = true;
	}
}

/* --- the device's TX side --- */

/* What the device saw of a frame (its header, its size); a TSO frame's
 * payload is checked to be what the device could cut: gso_size-sized
 * segments behind hdr_len bytes of headers. */
static void log_frame(const struct virtio_net_hdr *vh, size_t len)
{
	struct fake_nic_tx_log *l = &fake_nic_tx_log;

	l->frames++;
	l->frame_max = MAX(l->frame_max, (uint32_t)len);
	if (vh->gso_type == VIRTIO_NET_HDR_GSO_NONE)
		return;
	l->gso_frames++;
	l->gso_size = vh->gso_size;
	l->hdr_len = vh->hdr_len;
	l->gso_payload_max =
		MAX(l->gso_payload_max, (uint32_t)(len - vh->hdr_len));
	if (vh->gso_type != VIRTIO_NET_HDR_GSO_TCPV4 ||
	    !(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || vh->gso_size == 0 ||
	    len - vh->hdr_len <= vh->gso_size)
		l->gso_bad++;
}

unsigned int fake_nic_tx_waiting(void)
{
	struct ring *r = &rings[VNET_TXQ];

	return (uint16_t)(r->avail->idx - r->last_avail);
}

unsigned int fake_nic_tx_run(unsigned int max)
{
	struct ring *r = &rings[VNET_TXQ];
	static uint8_t frame[FRAME_MAX];
	struct virtio_net_hdr vh;
	unsigned int n = 0;

	while (n < max && r->last_avail != r->avail->idx) {
		uint16_t head = r->avail->ring[r->last_avail++ % r->size];
		uint16_t i = head;
		size_t len = 0;
		bool hdr = true;

		for (;;) {
			const struct virtq_desc *d = &r->desc[i];

			if (hdr && d->len == sizeof(vh))
				memcpy(&vh, (const void *)(uintptr_t)d->addr,
				       sizeof(vh));
			if (!hdr) { /* the first descriptor: virtio_net_hdr */
				if (len + d->len > sizeof(frame))
					abort();
				memcpy(frame + len,
				       (const void *)(uintptr_t)d->addr,
				       d->len);
				len += d->len;
			}
			hdr = false;
			if (!(d->flags & VIRTQ_DESC_F_NEXT))
				break;
			i = d->next;
		}
		peer_input(frame, len);
		log_frame(&vh, len);
		r->used->ring[r->used->idx % r->size] =
			(struct virtq_used_elem){ head, 0 };
		__atomic_store_n(&r->used->idx, r->used->idx + 1,
				 __ATOMIC_RELEASE);
		n++;
	}
	return n;
}

const uint8_t *fake_nic_last_payload(size_t *len)
{
	*len = last_payload_len;
	return last_payload;
}

void fake_nic_stats(struct vnet_stats *st)
{
	vnet_get_stats(vnet, st);
}

/* --- bring-up and the loop --- */

void fake_nic_init(void)
{
	ip4_addr_t ip, mask, gw, peer;
	struct eth_addr mac;
	struct vnet_nic *nic;

	lwip_init();
	if (vnet_probe(&pci, 1, &nic))
		abort();
	vnet = vnet_pair(nic, 0);
	IP4_ADDR(&ip, 10, 0, 0, 2);
	IP4_ADDR(&mask, 255, 255, 255, 0);
	IP4_ADDR(&gw, 10, 0, 0, 1);
	if (!netif_add(&netif, &ip, &mask, &gw, vnet, vnet_netif_init,
		       ethernet_input))
		abort();
	netif_set_default(&netif);
	netif_set_up(&netif);
	fake_nic_poll(); /* reads the link: up */
	fake_nic_tx_run(~0u); /* gratuitous ARP */
	IP4_ADDR(&peer, 10, 0, 0, 1);
	memcpy(mac.addr, peer_mac, sizeof(mac.addr));
	if (etharp_add_static_entry(&peer, &mac) != ERR_OK)
		abort();
}

int fake_nic_poll(void)
{
	int passes = 0;

	int work;

	do {
		work = vnet_poll(vnet) + fake_nic_conn_poll();
		vnet_tx_doorbell(vnet); /* the main loop's pass end */
	} while (work > 0 && ++passes < 1000);
	return passes;
}
