// SPDX-License-Identifier: MIT
/*
 * virtio-net driver and lwIP netif (interface and buffer rules in
 * virtio_net.h). Device: virtio 1.2 section 5.1 over the modern PCI
 * transport; QEMU: -device virtio-net-pci[,disable-legacy=on].
 *
 * TSO (VIRTIO_NET_F_HOST_TSO4, with CSUM, unless tso=off): lwIP builds
 * TCP segments up to netif->tso_seg_max bytes (patches 0020-0022) and
 * marks those longer than the MSS with it (pbuf->tso_mss); such a
 * segment goes out as one frame with gso_type TCPV4 and gso_size = that
 * MSS, and the device (QEMU, then the host's GSO) cuts it into wire
 * segments. tso_seg_max is sized so that a segment of page-cache pages
 * fits VNET_TX_SEGS_MAX descriptors.
 *
 * RX: every posted descriptor is one RX buffer: a whole pool page
 * without MRG_RXBUF (header and frame always fit, as there is no
 * GUEST_TSO), or with MRG_RXBUF a `rx_buf=` byte piece of one (2 KiB by
 * default, so a small frame pins half a page, not a whole one). With
 * MRG_RXBUF the header's num_buffers says how many consecutive used
 * buffers one frame fills; they go up as one pbuf chain, a custom pbuf
 * per buffer. Each buffer's struct vnet_rxbuf (heap) carries the
 * pbuf_custom lwIP sees and holds one reference to its page; its free
 * function drops it. Budgets (rx_bufs_max, the ring, ooseq.c's pbuf
 * counts) are in buffers. GUEST_TSO4 is not asked for: a static web
 * server receives requests and ACKs, frames far below the MTU, so large
 * receive would only make buffers bigger. TX: one slot per chain holds the device-readable header and the
 * referenced pbuf; the slot is the chain's cookie.
 *
 * Queue pairs (5.1.6.5.5): with VIRTIO_NET_F_MQ the device has up to
 * max_virtqueue_pairs RX/TX pairs and a control queue; the driver sets
 * up `pairs` of them and turns them on with VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET
 * once DRIVER_OK is set. A pair is a struct vnet_dev: everything from
 * the RX ring to the counters is the pair's own, so pair i can be run
 * by the network-stack instance (and CPU) that owns it without sharing
 * anything but the read-only device state in struct vnet_nic. Without
 * MQ there is one pair, as before. QEMU: -netdev tap,queues=N,vhost=off
 * -device virtio-net-pci,mq=on,vectors=2N+2.
 *
 * Interrupts: MSI-X entry 0 for configuration changes, then one entry
 * per queue (1 + 2i: RX of pair i, 2 + 2i: its TX), each handler
 * marking only its own pair; without MSI-X (QEMU's -nic
 * model=virtio-net-pci, vectors=0, virtio_msix=off) the shared INTx
 * line, whose handler reads the ISR and marks every pair. Handlers set
 * flags; vnet_poll disables queue interrupts while it finds work and
 * re-enables them when idle (NAPI-style), so a busy link is polled and
 * an idle one wakes the halted CPU.
 */
#define PR_PREFIX "vnet: "
#include "net/virtio_net.h"

#include "kernel/arch/smp.h"
#include "kernel/arch/time.h"
#include "kernel/core/cmdline.h"
#include "kernel/cpu/cpu.h"
#include "kernel/core/printk.h"
#include "kernel/io/iobuf.h"
#include "kernel/io/sfbuf.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/memplan.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/pmm.h"
#include "kernel/param.h"
#include "kernel/sched/irq.h"
#include "kernel/virtio/pci.h"
#include "kernel/virtio/virtio_pci.h"
#include "kernel/virtio/virtq.h"
#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "net/lwip-port/csum.h"
#include "net/lwip-port/pool_area.h"
#include "net/lwip-port/tcp_room.h"
#include "net/vnet_csum.h"

#define VNET_WANTED_FEATURES                                              \
	(VIRTIO_NET_F_CSUM | VIRTIO_NET_F_GUEST_CSUM | VIRTIO_NET_F_MAC | \
	 VIRTIO_NET_F_STATUS | VIRTIO_F_EVENT_IDX | VIRTIO_NET_F_MRG_RXBUF)
/* Asked for only when more than one pair is wanted. */
#define VNET_MQ_FEATURES (VIRTIO_NET_F_CTRL_VQ | VIRTIO_NET_F_MQ)
#define VNET_MTU 1500
#define IPV4_HLEN_MAX 60
#define TCP_HLEN_MAX 60
/* TCP payload per TSO segment: the frame's IPv4 length field is 16 bits,
 * and the payload's pages (one more when it does not start on a page)
 * plus the virtio header and lwIP's header pbuf (two pieces at worst)
 * must fit VNET_TX_SEGS_MAX descriptors, or the frame is copied. */
#define VNET_TSO_SEG_MAX                                                      \
	MIN(UINT16_MAX - ETH_HLEN - VLAN_HLEN - IPV4_HLEN_MAX - TCP_HLEN_MAX, \
	    (VNET_TX_SEGS_MAX - 4) * PAGE_SIZE)
#define VNET_HDR_LEN ((uint32_t)sizeof(struct virtio_net_hdr))
#define VNET_RX_BUF_LEN PAGE_SIZE /* no MRG_RXBUF: a page per frame */
#define VNET_RX_MRG_MIN 256 /* rx_buf=: room for all the headers */
#define VNET_FRAME_MAX (ETH_HLEN + VLAN_HLEN + VNET_MTU)
#define VNET_MSIX_CONFIG 0 /* MSI-X table entries; then one per queue */
#define VNET_MSIX_ENTRIES (1 + 2 * VNET_PAIRS_MAX)
#define VNET_CTRL_WAIT_MS 1000 /* the device answers a command at once */
#define MAC_LOCAL_ADMIN 0x02 /* first octet: locally administered */
#define MAC_MULTICAST 0x01
STATIC_ASSERT(VNET_HDR_LEN + VNET_FRAME_MAX <= VNET_RX_BUF_LEN);
STATIC_ASSERT(VNET_TX_SEGS_MAX >= 2);
STATIC_ASSERT(2 * VNET_PAIRS_MAX < VPCI_QUEUES_MAX);

/* Whether to negotiate TCP segmentation offload when the device offers
 * it (and CSUM, which it needs). */
static bool tso_allowed = true;
KPARAM_BOOL(tso, tso_allowed,
	    "TCP segmentation offload (HOST_TSO4) when the device offers it");

struct vnet_rxbuf {
	struct pbuf_custom pc; /* [m] what lwIP holds; must stay first */
	struct vnet_dev *dev; /* [I] */
	struct iobuf *iob; /* [m] its page (a reference); NULL when free */
	uint8_t *va; /* [m] iobuf_map_held_rx(iob): the page's start */
	uint32_t off; /* [m] where in the page the buffer starts */
	struct vnet_rxbuf *next_free; /* [m] */
};

/* One frame from linkoutput until the device returns it: in the ring
 * or parked in the backlog, it holds the pbuf and every pool page its
 * descriptors name. */
struct vnet_tx_slot {
	struct virtio_net_hdr hdr; /* [m] device-readable while posted */
	struct pbuf *p; /* [m] referenced until the device returns it */
	struct virtq_seg segs[VNET_TX_SEGS_MAX]; /* [m] segs[0]: hdr */
	struct iobuf *pages[VNET_TX_SEGS_MAX]; /* [m] each referenced */
	uint8_t nsegs, npages; /* [m] */
	struct vnet_tx_slot *next_free; /* [m] */
};

/* The device: what all pairs share, written only while probing (and
 * config_gen, by the configuration-change handler). */
struct vnet_nic {
	struct vpci_dev vd; /* [I] after probe */
	struct pci_dev *pci; /* [I] */
	bool csum, guest_csum, has_status, mq, tso; /* [I] negotiated */
	bool mrg_rxbuf; /* [I] negotiated: frames may span RX buffers */
	uint32_t rx_buf_len; /* [I] bytes of one RX buffer */
	uint8_t mac[VNET_MAC_LEN]; /* [I] */
	uint16_t max_pairs; /* [I] the device's max_virtqueue_pairs (1: no MQ) */
	uint32_t npairs; /* [I] pairs set up */
	uint32_t started; /* [m of pair 0's owner] pairs through netif init */
	struct vnet_dev *pairs[VNET_PAIRS_MAX]; /* [I] */
	int vectors[VNET_MSIX_ENTRIES]; /* [I] CPU vectors, -1 = none */
	int intx_vector; /* [I] shared INTx line's vector, -1 = none */
	uint32_t config_gen; /* [q] configuration changes seen */
	uint64_t config_irqs; /* [q] */
	uint32_t rx_reserve; /* [m] pool pages the posted rings refill */
	struct virtq ctrlq; /* [m] controlq, with MQ and pairs > 1 */
	bool has_ctrlq; /* [I] */
	bool rss; /* [I] VIRTIO_NET_F_RSS taken: the device steers RX */
	struct vnet_ctrl_mq ctrl; /* [m] the command in flight */
};

/* One RX/TX queue pair and its netif: run by one owner only. */
struct vnet_dev {
	struct vnet_nic *nic; /* [I] */
	uint32_t index; /* [I] pair number: receiveq(index+1) */
	unsigned cpu; /* [I] polls it and takes its queue interrupts */
	struct netif *netif; /* [I] after vnet_netif_init */
	struct virtq rxq, txq; /* [m] */
	bool csum, guest_csum, has_status, tso; /* [I] the nic's, copied */
	bool mrg_rxbuf; /* [I] the nic's: frames may span RX buffers */
	uint32_t rx_buf_len; /* [I] the nic's: bytes of one RX buffer */
	struct iobuf *rx_split; /* [m] page being cut into RX buffers */
	uint32_t rx_split_off; /* [m] its next free byte */
	uint32_t rx_pool_pages; /* [m] pool pages RX buffers occupy,
				 * rx_stash's included */
	/* [m] pages whose buffers were all released, kept (one reference
	 * each) for the next refill: the pool's lock is shared by every
	 * CPU, the stash is this pair's */
	struct iobuf *rx_stash[VNET_RX_STASH];
	uint32_t rx_stashed; /* [m] */
	bool link_up; /* [m] */
	uint32_t config_seen; /* [m] nic->config_gen last acted on */
	bool irq_pending; /* [q] set by the handlers */

	struct vnet_tx_slot *tx_slots; /* [I] VNET_TX_SLOTS of them */
	struct vnet_tx_slot *tx_free; /* [m] */
	uint32_t tx_in_flight; /* [m] chains posted, not yet returned */
	uint32_t tx_unkicked; /* [m] chains posted since the last doorbell */
	uint32_t tx_unkicked_bytes; /* [m] ... their frames' bytes */
	uint64_t tx_pages_held; /* [m] page references held by slots */
	/* [m] prepared slots waiting for ring room, oldest at head */
	struct vnet_tx_slot *backlog[VNET_TX_BACKLOG + VNET_TX_CTRL_RESERVE];
	uint32_t backlog_head, backlog_count; /* [m] */
	/* [m] a frame got ERR_MEM: until the backlog is down to
	 * VNET_TX_RERUN_AT and the refused connections are rerun, every
	 * data frame is refused, so that they go first (see vnet_poll) */
	bool tx_refused;

	struct vnet_rxbuf *rx_free; /* [m] structs without a page */
	uint32_t rx_bufs; /* [m] structs allocated (<= rx_bufs_max) */
	uint32_t rx_bufs_max; /* [I] RX buffers posted or held: the plan's */
	uint32_t rx_ring; /* [I] buffers kept posted (<= rxq.size) */
	uint32_t rx_posted; /* [m] buffers in the RX ring */
	uint32_t rx_pages; /* [m] structs holding a buffer: posted or in
			    * lwIP */
	struct vnet_stats stats; /* [m], irqs and config_irqs [q] */
};

/* ---- interrupts: acknowledge and mark, nothing else ---- */

static void irq_queues(void *arg)
{
	struct vnet_dev *dev = arg;

	WRITE_ONCE(dev->irq_pending, true);
	dev->stats.irqs++;
	if (cpu_self() != dev->cpu)
		dev->stats.irqs_other_cpu++; /* the MSI-X routing is wrong */
}

/* Every pair polls the link when it sees a new generation. */
static void irq_config(void *arg)
{
	struct vnet_nic *nic = arg;

	WRITE_ONCE(nic->config_gen, nic->config_gen + 1);
	nic->config_irqs++;
}

/* INTx: the ISR read acknowledges and says which kinds of event; it
 * does not say which queue, so every pair looks. */
static bool irq_intx(void *arg)
{
	struct vnet_nic *nic = arg;
	uint8_t isr = vpci_isr(&nic->vd);

	if (isr & VIRTIO_ISR_QUEUE)
		for (uint32_t i = 0; i < nic->npairs; i++)
			irq_queues(nic->pairs[i]);
	if (isr & VIRTIO_ISR_CONFIG)
		irq_config(nic);
	return isr != 0;
}

/* ---- RX buffers ---- */

/* pbuf_custom free function: lwIP (or the driver) dropped the last
 * reference to a received frame; its page goes back to the pool. */
static void rxbuf_release(struct pbuf *p)
{
	struct vnet_rxbuf *rb = container_of(p, struct vnet_rxbuf, pc.pbuf);
	struct vnet_dev *dev = rb->dev;

	iobuf_unmap(rb->iob, rb->va);
	/* Only this pair's RX buffers reference its RX pages: the last one
	 * keeps the page for the next refill, or frees it. */
	if (rb->iob->refcnt == 1 && dev->rx_stashed < VNET_RX_STASH) {
		dev->rx_stash[dev->rx_stashed++] = rb->iob;
	} else {
		if (rb->iob->refcnt == 1)
			dev->rx_pool_pages--;
		iobuf_unref(rb->iob);
	}
	rb->iob = NULL;
	rb->va = NULL;
	rb->next_free = dev->rx_free;
	dev->rx_free = rb;
	dev->rx_pages--;
}

/*
 * TX doorbell batching: a notification is an MMIO write, which under TCG
 * takes QEMU's global lock and so waits for the I/O thread, costing the
 * vCPU more than the frame (the profiler found half of a 1 KiB request's
 * busy time there, kicking after each post). Frames posted during a
 * main-loop pass are announced once at its end, or early once this many
 * (or VNET_TX_KICK_BYTES) wait, so that a long pass keeps the device
 * busy: QEMU's I/O thread sends the first frames while the pass makes
 * the rest. 8 measured best on a quiet host (41k req/s against 28-35k
 * at 1 and 26k at 32, which leaves the guest idle waiting for frames
 * held to the pass end) and near the best on a busy one. 1: after every
 * post.
 */
static uint64_t tx_kick_batch = 8;
KPARAM_UINT(tx_kick_batch, tx_kick_batch, 1, VIRTQ_SIZE_MAX,
	    "TX frames posted before the doorbell rings (and at each pass end)");

static uint64_t rx_buf_bytes = 2048;
KPARAM_UINT(rx_buf, rx_buf_bytes, VNET_RX_MRG_MIN, PAGE_SIZE,
	    "bytes of an RX buffer with mergeable RX buffers (a power of two)");

/* A page for the next RX buffer with one reference for it, and in *off
 * where the buffer starts: pages are cut into rx_buf_len pieces, the
 * piece being cut holding one more reference until its last piece. */
static struct iobuf *rx_piece(struct vnet_dev *dev, uint32_t *off)
{
	struct iobuf *iob = dev->rx_split;

	if (iob) {
		*off = dev->rx_split_off;
		dev->rx_split_off += dev->rx_buf_len;
		if (dev->rx_split_off + dev->rx_buf_len > PAGE_SIZE)
			dev->rx_split = NULL; /* its reference is this one's */
		else
			iobuf_ref(iob);
		return iob;
	}
	*off = 0;
	if (dev->rx_stashed) {
		iob = dev->rx_stash[--dev->rx_stashed];
		dev->stats.rx_pages_reused++;
	} else {
		iob = iobuf_alloc_reserve(PAGE_SIZE, NULL, NULL);
		if (iob)
			dev->rx_pool_pages++;
	}
	if (iob && 2 * dev->rx_buf_len <= PAGE_SIZE) {
		dev->rx_split = iob;
		dev->rx_split_off = dev->rx_buf_len;
		iobuf_ref(iob);
	}
	return iob;
}

/* Give back a piece rx_piece handed out but no buffer took. */
static void rx_piece_drop(struct vnet_dev *dev, struct iobuf *iob)
{
	if (iob->refcnt == 1)
		dev->rx_pool_pages--;
	iobuf_unref(iob);
}

/* A buffer with a fresh piece of a pool page, or NULL when the pool, the
 * page mappings or the rx_bufs_max budget are exhausted. */
static struct vnet_rxbuf *rxbuf_get(struct vnet_dev *dev)
{
	struct vnet_rxbuf *rb = dev->rx_free;
	uint32_t off = 0;
	struct iobuf *iob = rx_piece(dev, &off);
	uint8_t *va = iob ? iobuf_map_held_rx(iob) : NULL;

	if (!va) {
		if (iob)
			rx_piece_drop(dev, iob);
		return NULL;
	}
	if (rb) {
		dev->rx_free = rb->next_free;
	} else if (dev->rx_bufs < dev->rx_bufs_max &&
		   (rb = kzalloc(sizeof(*rb)))) {
		rb->dev = dev;
		dev->rx_bufs++;
	} else {
		iobuf_unmap(iob, va);
		rx_piece_drop(dev, iob);
		return NULL;
	}
	rb->iob = iob;
	rb->va = va;
	rb->off = off;
	dev->rx_pages++;
	return rb;
}

/* Post pages until the RX ring is full; returns how many were added
 * (the caller kicks). */
static uint32_t rx_fill(struct vnet_dev *dev)
{
	struct vnet_rxbuf *rb;
	struct virtq_seg seg;
	uint32_t added = 0;

	while (dev->rx_posted < dev->rx_ring && virtq_free_count(&dev->rxq)) {
		rb = rxbuf_get(dev);
		if (!rb) {
			dev->stats.rx_refill_failed++;
			break;
		}
		seg.pa = rb->iob->pa + rb->off;
		seg.len = dev->rx_buf_len;
		if (virtq_add(&dev->rxq, NULL, 0, &seg, 1, rb)) {
			rxbuf_release(&rb->pc.pbuf);
			break;
		}
		dev->rx_posted++;
		added++;
	}
	dev->stats.rx_refilled += added;
	return added;
}

/* Whether a received frame's TCP/UDP checksum may be believed without
 * lwIP checking it (lwIP's TCP/UDP checks are off with GUEST_CSUM). A
 * frame in several buffers is checked from a copy (frames are at most
 * VNET_FRAME_MAX without GUEST_TSO). */
static bool rx_csum_ok(struct vnet_dev *dev, const struct virtio_net_hdr *h,
		       struct pbuf *frame)
{
	static uint8_t flat[VNET_FRAME_MAX]; /* [m] */

	if (!dev->guest_csum)
		return true; /* lwIP verifies */
	if (h->flags &
	    (VIRTIO_NET_HDR_F_DATA_VALID | VIRTIO_NET_HDR_F_NEEDS_CSUM)) {
		dev->stats.rx_csum_trusted++;
		return true;
	}
	dev->stats.rx_csum_sw++;
	if (!frame->next)
		return vnet_l4_csum_ok(frame->payload, frame->len);
	if (frame->tot_len > sizeof(flat))
		return false;
	pbuf_copy_partial(frame, flat, frame->tot_len, 0);
	return vnet_l4_csum_ok(flat, frame->tot_len);
}

/* The pbuf over `len` received bytes of rb from byte `skip` of the
 * buffer; the pbuf's free function gives the buffer back. */
static struct pbuf *rx_pbuf(struct vnet_dev *dev, struct vnet_rxbuf *rb,
			    uint32_t skip, uint32_t len)
{
	rb->pc.custom_free_function = rxbuf_release;
	return pbuf_alloced_custom(PBUF_RAW, (u16_t)(len - skip), PBUF_REF,
				   &rb->pc, rb->va + rb->off + skip,
				   (u16_t)(dev->rx_buf_len - skip));
}

/*
 * Chain the num_buffers - 1 buffers after a frame's first onto it (the
 * device puts them in the used ring together). 0, or -EIO when the
 * device returned fewer buffers than it named, a bad length or a frame
 * too long; all of the frame's buffers are taken from the ring either
 * way, and the caller releases the chain.
 */
static int rx_merge(struct vnet_dev *dev, struct pbuf *head, uint16_t nbufs)
{
	struct vnet_rxbuf *rb;
	uint32_t len;
	int err = 0;

	for (uint16_t i = 1; i < nbufs; i++) {
		rb = virtq_get(&dev->rxq, &len);
		if (!rb)
			return -EIO;
		dev->rx_posted--;
		if (err || len == 0 || len > dev->rx_buf_len ||
		    head->tot_len + len > VNET_FRAME_MAX) {
			rxbuf_release(&rb->pc.pbuf);
			err = -EIO;
			continue;
		}
		pbuf_cat(head, rx_pbuf(dev, rb, 0, len));
	}
	if (!err && nbufs > 1) {
		dev->stats.rx_merged++;
		dev->stats.rx_merged_bufs += nbufs;
		dev->stats.rx_bufs_per_frame_max =
			MAX(dev->stats.rx_bufs_per_frame_max, nbufs);
	}
	return err;
}

/* Hand one received frame, starting with completed RX buffer rb (`len`
 * bytes written), to lwIP. Consumes its buffers: lwIP's pbuf or the
 * drop path releases them. */
static void rx_one(struct vnet_dev *dev, struct vnet_rxbuf *rb, uint32_t len)
{
	const struct virtio_net_hdr *h = (const void *)(rb->va + rb->off);
	uint16_t nbufs = 1;
	struct pbuf *p;

	if (len < VNET_HDR_LEN + ETH_HLEN || len > dev->rx_buf_len) {
		dev->stats.rx_errors++;
		rxbuf_release(&rb->pc.pbuf);
		return;
	}
	if (dev->mrg_rxbuf)
		nbufs = READ_ONCE(h->num_buffers);
	p = rx_pbuf(dev, rb, VNET_HDR_LEN, len);
	if (nbufs == 0 || rx_merge(dev, p, nbufs)) {
		dev->stats.rx_errors++;
		pbuf_free(p);
		return;
	}
	if (!rx_csum_ok(dev, h, p)) {
		dev->stats.rx_drops++;
		pbuf_free(p);
		return;
	}
	dev->stats.rx_packets++;
	dev->stats.rx_bytes += p->tot_len;
	/* A failed input did not take the pbuf: it is still ours. */
	if (dev->netif->input(p, dev->netif) != ERR_OK) {
		dev->stats.rx_drops++;
		pbuf_free(p);
	}
}

/* ethernetif_input: up to `budget` frames from the RX ring. */
static int rx_poll(struct vnet_dev *dev, int budget)
{
	struct vnet_rxbuf *rb;
	uint32_t len;
	int n = 0;

	while (n < budget && (rb = virtq_get(&dev->rxq, &len))) {
		dev->rx_posted--;
		rx_one(dev, rb, len);
		n++;
	}
	return n;
}

/* The RX buffer size of every pair: a page without MRG_RXBUF; with it
 * rx_buf=, which must be a power of two (a bad one is named and the
 * default used). */
static void rx_setup(struct vnet_nic *nic)
{
	nic->mrg_rxbuf = nic->vd.features & VIRTIO_NET_F_MRG_RXBUF;
	nic->rx_buf_len = VNET_RX_BUF_LEN;
	if (!nic->mrg_rxbuf)
		return;
	if (rx_buf_bytes & (rx_buf_bytes - 1)) {
		pr_warn("rx_buf=%llu is not a power of two; using 2048",
			(unsigned long long)rx_buf_bytes);
		rx_buf_bytes = 2048;
	}
	nic->rx_buf_len = (uint32_t)rx_buf_bytes;
}

/* ---- TX ---- */

/* Drop the slot's references to the pool pages its descriptors name. */
static void release_pages(struct vnet_dev *dev, struct vnet_tx_slot *slot)
{
	for (unsigned int i = 0; i < slot->npages; i++)
		iobuf_unref(slot->pages[i]);
	dev->tx_pages_held -= slot->npages;
	slot->npages = 0;
}

/* A frame is done with (returned by the device, or never posted): its
 * pages and its pbuf reference go, and the slot is free again. */
static void slot_release(struct vnet_dev *dev, struct vnet_tx_slot *slot)
{
	release_pages(dev, slot);
	pbuf_free(slot->p);
	slot->p = NULL;
	slot->next_free = dev->tx_free;
	dev->tx_free = slot;
}

/* Give back every chain the device has finished with: only now may the
 * pages it read from be freed (the stack's claim may be gone already). */
static int tx_reclaim(struct vnet_dev *dev)
{
	struct vnet_tx_slot *slot;
	uint32_t len;
	int n = 0;

	while ((slot = virtq_get(&dev->txq, &len))) {
		slot_release(dev, slot);
		dev->tx_in_flight--;
		n++;
	}
	return n;
}

/* A segment lwIP built longer than the MSS (pbuf->tso_mss): the device
 * cuts it into tso_mss-byte TCP segments. hdr_len covers the Ethernet,
 * IPv4 and TCP headers. -EINVAL if the TCP header is not in the first
 * pbuf (never for lwIP's segments). */
static int tx_fill_gso(struct virtio_net_hdr *h, const struct pbuf *p,
		       uint16_t mss)
{
	int end = vnet_tcp_hdr_end(p->payload, p->len, h->csum_start);

	if (end < 0)
		return end;
	h->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
	h->gso_size = mss;
	h->hdr_len = (uint16_t)end;
	return 0;
}

/* Fill the slot's header; with CSUM, ask the device to complete the
 * TCP/UDP checksum, and with TSO to segment a large TCP segment. The
 * segment's MSS is read from `marked`, the pbuf lwIP built (a linearized
 * copy does not carry it). -EAGAIN if the headers are not contiguous and
 * writable in the first pbuf (the caller linearizes and retries). */
static int tx_fill_hdr(struct vnet_dev *dev, struct vnet_tx_slot *slot,
		       struct pbuf *p, const struct pbuf *marked)
{
	struct virtio_net_hdr *h = &slot->hdr;
	uint16_t start, off;
	int err;

	memset(h, 0, sizeof(*h));
	h->gso_type = VIRTIO_NET_HDR_GSO_NONE;
	if (!dev->csum)
		return 0;
	/* lwIP builds headers in PBUF_RAM (or POOL) memory it owns;
	 * ROM/REF payloads may be read-only or shared: never written. */
	if (!(p->type_internal & PBUF_TYPE_FLAG_STRUCT_DATA_CONTIGUOUS))
		return -EAGAIN;
	err = vnet_csum_prepare(p->payload, p->len, p->tot_len, &start, &off);
	if (err == -ENOENT)
		return 0; /* no TCP/UDP checksum in this frame */
	if (err)
		return -EAGAIN;
	h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	h->csum_start = start;
	h->csum_offset = off;
	dev->stats.tx_csum_offload++;
	if (marked->tso_mss && dev->tso && off == TCP_CSUM_OFF)
		return tx_fill_gso(h, p, marked->tso_mss) ? -EAGAIN : 0;
	return 0;
}

/*
 * The device will read physical address `pa`: if it lies in the buffer
 * pool, the slot takes a reference on the buffer holding it, so the
 * page outlives the descriptor even when the stack lets go first (an
 * ACK covering a retransmission still in the ring). 0; -E2BIG when the
 * slot names VNET_TX_SEGS_MAX pages already; -EFAULT for a pool page
 * nobody holds (the stack named freed memory: never sent).
 */
static int hold_page(struct vnet_dev *dev, struct vnet_tx_slot *slot,
		     uint64_t pa)
{
	struct iobuf *b = iobuf_from_pa(pa);

	if (!b)
		return iobuf_pool_contains(pa) ? -EFAULT : 0;
	for (unsigned int i = 0; i < slot->npages; i++)
		if (slot->pages[i] == b)
			return 0;
	if (slot->npages == ARRAY_SIZE(slot->pages))
		return -E2BIG;
	iobuf_ref(b);
	slot->pages[slot->npages++] = b;
	dev->tx_pages_held++;
	dev->stats.tx_page_refs++;
	return 0;
}

/*
 * The slot's segments after segs[0] (the virtio header): its payloads'
 * physical pieces, each pool page referenced (hold_page). Translating
 * here, while the caller's pbuf and the stack's page mappings are
 * certainly live, is what makes a backlogged frame safe: its sf_buf
 * slot may be reused once the stack unmaps. A payload is contiguous in
 * virtual memory only: lwIP extends a pbuf across consecutive tcp_write
 * calls when their addresses touch, and two sf_buf mappings can be
 * neighbours in the window while their pages are not neighbours in RAM.
 * So every page is translated on its own and merged with the previous
 * segment only when physically adjacent. Sets slot->nsegs (header
 * included). 0, or -E2BIG / -EFAULT (hold_page) with no page held.
 */
static int payload_segs(struct vnet_dev *dev, struct vnet_tx_slot *slot,
			const struct pbuf *p)
{
	struct virtq_seg *segs = slot->segs;
	unsigned int n = 1;
	int err = 0;

	for (; p && !err; p = p->next) {
		uintptr_t va = (uintptr_t)p->payload;
		size_t left = p->len;

		while (left && !err) {
			size_t chunk =
				MIN(left, PAGE_SIZE - (va & (PAGE_SIZE - 1)));
			uint64_t pa = kva_to_phys((const void *)va);

			err = hold_page(dev, slot, pa);
			if (n > 1 && segs[n - 1].pa + segs[n - 1].len == pa)
				segs[n - 1].len += (uint32_t)chunk;
			else if (n == VNET_TX_SEGS_MAX)
				err = err ? err : -E2BIG;
			else
				segs[n++] =
					(struct virtq_seg){ pa,
							    (uint32_t)chunk };
			va += chunk;
			left -= chunk;
		}
	}
	if (err) {
		release_pages(dev, slot);
		return err;
	}
	slot->nsegs = (uint8_t)n;
	return 0;
}

/*
 * Turn frame `p` into a ready slot: header filled, payloads translated,
 * their pool pages and the pbuf referenced (or a linearized copy, when
 * the chain has too many pieces or its headers cannot be written).
 * Borrows p. 0 with *out set; -ENOSPC (no free slot), -ENOMEM (no copy
 * possible), -EFAULT (p names a freed pool page).
 */
static int tx_prepare(struct vnet_dev *dev, struct pbuf *p,
		      struct vnet_tx_slot **out)
{
	struct vnet_tx_slot *slot = dev->tx_free;
	struct pbuf *own;
	int err;

	if (!slot)
		return -ENOSPC;
	slot->npages = 0;
	err = tx_fill_hdr(dev, slot, p, p);
	if (!err)
		err = payload_segs(dev, slot, p);
	if (err == -EFAULT)
		return err;
	if (err) {
		own = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
		if (!own)
			return -ENOMEM;
		err = tx_fill_hdr(dev, slot, own, p);
		if (!err)
			err = payload_segs(dev, slot, own);
		if (err) {
			pbuf_free(own);
			return err == -EFAULT ? err : -ENOMEM;
		}
		dev->stats.tx_linearized++;
		p = own;
	} else {
		pbuf_ref(p);
	}
	slot->segs[0].pa = virt_to_phys(&slot->hdr);
	slot->segs[0].len = VNET_HDR_LEN;
	slot->p = p;
	dev->tx_free = slot->next_free;
	*out = slot;
	return 0;
}

/* Post a prepared slot. 0, or -ENOSPC (ring full: still the caller's). */
static int tx_post(struct vnet_dev *dev, struct vnet_tx_slot *slot)
{
	if (virtq_free_count(&dev->txq) < slot->nsegs ||
	    virtq_add(&dev->txq, slot->segs, slot->nsegs, NULL, 0, slot))
		return -ENOSPC;
	dev->tx_in_flight++;
	dev->stats.tx_packets++;
	dev->stats.tx_bytes += slot->p->tot_len;
	dev->stats.tx_frame_max =
		MAX(dev->stats.tx_frame_max, slot->p->tot_len);
	if (slot->hdr.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
		dev->stats.tx_tso_frames++;
		dev->stats.tx_tso_bytes += slot->p->tot_len;
	}
	/* virtq_add published the chain (its barrier orders descriptors
	 * before avail->idx); the doorbell rings only if the device asked. */
	dev->tx_unkicked_bytes += slot->p->tot_len;
	if (++dev->tx_unkicked >= tx_kick_batch ||
	    dev->tx_unkicked_bytes >= VNET_TX_KICK_BYTES)
		vnet_tx_doorbell(dev);
	return 0;
}

void vnet_tx_doorbell(struct vnet_dev *dev)
{
	if (!dev->tx_unkicked)
		return;
	dev->tx_unkicked = 0;
	dev->tx_unkicked_bytes = 0;
	virtq_kick(&dev->txq);
}

/* Whether the backlog has room for frame `p`. Frames without payload
 * get a reserve beyond VNET_TX_BACKLOG: under a sustained bulk load the
 * data frames keep the backlog full, and a new connection's SYN-ACK
 * refused at every try never completes its handshake (seen in `make
 * soak`). */
static bool backlog_room(const struct vnet_dev *dev, const struct pbuf *p)
{
	uint32_t limit = p->tot_len <= VNET_TX_CTRL_FRAME_MAX ?
				 VNET_TX_BACKLOG + VNET_TX_CTRL_RESERVE :
				 VNET_TX_BACKLOG;

	return dev->backlog_count < limit;
}

/* Park a prepared slot behind a full ring; it keeps its references. */
static void backlog_push(struct vnet_dev *dev, struct vnet_tx_slot *slot)
{
	uint32_t tail = (dev->backlog_head + dev->backlog_count) %
			ARRAY_SIZE(dev->backlog);

	dev->backlog[tail] = slot;
	dev->backlog_count++;
	dev->stats.tx_ring_full++;
}

/* Move backlogged frames into the ring while it has room. */
static int backlog_flush(struct vnet_dev *dev)
{
	int n = 0;

	while (dev->backlog_count &&
	       !tx_post(dev, dev->backlog[dev->backlog_head])) {
		dev->backlog_head =
			(dev->backlog_head + 1) % ARRAY_SIZE(dev->backlog);
		dev->backlog_count--;
		n++;
	}
	return n;
}

/* netif->linkoutput: send one frame. Borrows p (lwIP keeps its own
 * reference; the slot takes one, and one on every pool page the frame
 * names, until the device returns it). When the ring and the backlog
 * are full: ERR_MEM, and TCP keeps the segment and sends it again when
 * vnet_poll reports room (lwip_port_tx_room), instead of waiting out a
 * retransmission timeout for a frame we dropped. */
static err_t low_level_output(struct netif *netif, struct pbuf *p)
{
	struct vnet_dev *dev = netif->state;
	struct vnet_tx_slot *slot;
	int err;

	tx_reclaim(dev);
	backlog_flush(dev);
	if (dev->backlog_count && !backlog_room(dev, p))
		goto refuse;
	if (dev->tx_refused && p->tot_len > VNET_TX_CTRL_FRAME_MAX)
		goto refuse; /* refused connections wait: not behind them */
	err = tx_prepare(dev, p, &slot);
	if (err == -ENOSPC)
		goto refuse;
	if (err) {
		dev->stats.tx_drops++;
		if (err == -EFAULT)
			dev->stats.tx_stale_pages++;
		return ERR_MEM;
	}
	/* Behind a backlog, in order; else straight into the ring. */
	if (!dev->backlog_count && !tx_post(dev, slot))
		return ERR_OK;
	if (!backlog_room(dev, p)) {
		slot_release(dev, slot);
		goto refuse;
	}
	backlog_push(dev, slot);
	return ERR_OK;
refuse:
	dev->stats.tx_refused++;
	dev->tx_refused = true;
	/* Outside vnet_poll (lwIP's timers, a disk completion) the TX
	 * interrupt may be off: the completions must wake the rerun. */
	if (dev->tx_in_flight)
		virtq_enable_intr(&dev->txq);
	return ERR_MEM;
}

/* ---- link ---- */

static bool read_link(struct vnet_dev *dev)
{
	uint16_t status;

	if (!dev->has_status)
		return true;
	if (vpci_read_config(&dev->nic->vd,
			     offsetof(struct virtio_net_config, status),
			     &status, sizeof(status)))
		return dev->link_up; /* config kept changing: try next time */
	return status & VIRTIO_NET_S_LINK_UP;
}

/* Follow the device's link status into lwIP. */
static void update_link(struct vnet_dev *dev)
{
	bool up = read_link(dev);

	if (up == dev->link_up)
		return;
	dev->link_up = up;
	dev->stats.link_changes++;
	pr_info("link %s", up ? "up" : "down");
	if (up)
		netif_set_link_up(dev->netif);
	else
		netif_set_link_down(dev->netif);
}

bool vnet_link_up(const struct vnet_dev *dev)
{
	return dev->link_up;
}

/* ---- poll ---- */

/*
 * Queue interrupts are off while there is work and on when idle. Returns
 * 1 if work raced in while re-enabling (poll again before halting).
 */
static int arm_interrupts(struct vnet_dev *dev, bool busy)
{
	bool race = false;

	if (busy) {
		virtq_disable_intr(&dev->rxq);
		virtq_disable_intr(&dev->txq);
		return 0;
	}
	race = virtq_enable_intr(&dev->rxq);
	/* TX completions matter only while something is in flight. */
	if (dev->tx_in_flight || dev->backlog_count)
		race |= virtq_enable_intr(&dev->txq);
	else
		virtq_disable_intr(&dev->txq);
	return race;
}

/* A missed notification (kernel/virtio/virtq.c) would stop transmission, or,
 * on the RX ring, leave the device believing it has no buffers. */
static void check_stalls(struct vnet_dev *dev)
{
	uint64_t now = time_ns(), timeout = VNET_STALL_MS * 1000000ull;

	if (virtq_rekick_if_stalled(&dev->txq, now, timeout))
		dev->stats.rekicks++;
	if (virtq_rekick_if_stalled(&dev->rxq, now, timeout))
		dev->stats.rekicks++;
}

int vnet_poll(struct vnet_dev *dev)
{
	int work = 0;

	uint32_t gen = READ_ONCE(dev->nic->config_gen);

	WRITE_ONCE(dev->irq_pending, false);
	if (gen != dev->config_seen) {
		dev->config_seen = gen;
		update_link(dev);
		work++;
	}
	work += tx_reclaim(dev);
	check_stalls(dev);
	work += backlog_flush(dev);
	/*
	 * Room again: TCP sends what we refused, the connections in turn
	 * (lwip_port_tx_room). Not at the first free slot: a rerun per
	 * slot would hand each one to the first connection in lwIP's list
	 * (or to one an ACK clocks) and refuse all the others again, and
	 * those at the back would wait for an RTO.
	 */
	if (dev->tx_refused && dev->backlog_count <= VNET_TX_RERUN_AT) {
		dev->tx_refused = false;
		dev->stats.tx_reruns += lwip_port_tx_room();
		work++;
	}
	work += rx_poll(dev, VNET_RX_BUDGET);
	if (dev->rx_posted < dev->rx_ring && rx_fill(dev))
		virtq_kick(&dev->rxq);
	work += arm_interrupts(dev, work > 0);
	return work;
}

const char *vnet_irq_mode(const struct vnet_dev *dev)
{
	return vpci_irq_mode_name(dev->nic->vd.irq_mode);
}

/* The configuration-change interrupts are the device's: pair 0 counts
 * them, so that a sum over the pairs counts each once. */
void vnet_get_stats(const struct vnet_dev *dev, struct vnet_stats *st)
{
	*st = dev->stats;
	st->config_irqs = dev->index ? 0 : READ_ONCE(dev->nic->config_irqs);
	st->rx_posted = dev->rx_posted;
	st->rx_held = dev->rx_pages - dev->rx_posted;
	st->rx_pool_pages = dev->rx_pool_pages;
	st->rx_stashed = dev->rx_stashed;
	st->tx_pages_held = dev->tx_pages_held;
	st->tso_on = dev->tso;
	/* each notification is a trip through QEMU's I/O thread */
	st->tx_kicks = dev->txq.stats.kicks;
	st->tx_kicks_suppressed = dev->txq.stats.kicks_suppressed;
	st->rx_kicks = dev->rxq.stats.kicks;
}

void vnet_log_stats(const struct vnet_dev *dev)
{
	const struct vnet_stats *s = &dev->stats;

	pr_info("stats: rx %llu pkts %llu bytes drops %llu errors %llu "
		"csum_trusted %llu csum_sw %llu refilled %llu refill_failed %llu"
		" | tx %llu pkts %llu bytes drops %llu refused %llu ring_full %llu "
		"linearized %llu csum_offload %llu | irqs %llu config %llu "
		"rekicks %llu",
		(unsigned long long)s->rx_packets,
		(unsigned long long)s->rx_bytes,
		(unsigned long long)s->rx_drops,
		(unsigned long long)s->rx_errors,
		(unsigned long long)s->rx_csum_trusted,
		(unsigned long long)s->rx_csum_sw,
		(unsigned long long)s->rx_refilled,
		(unsigned long long)s->rx_refill_failed,
		(unsigned long long)s->tx_packets,
		(unsigned long long)s->tx_bytes,
		(unsigned long long)s->tx_drops,
		(unsigned long long)s->tx_refused,
		(unsigned long long)s->tx_ring_full,
		(unsigned long long)s->tx_linearized,
		(unsigned long long)s->tx_csum_offload,
		(unsigned long long)s->irqs,
		(unsigned long long)dev->nic->config_irqs,
		(unsigned long long)s->rekicks);
}

/* ---- bring-up ---- */

/* MSI-X entry `entry` -> a fresh vector running fn(arg) on CPU `cpu`. */
static int setup_vector(struct vnet_nic *nic, uint16_t entry, irq_handler_fn fn,
			void *arg, const char *name, unsigned cpu)
{
	uint64_t addr;
	uint32_t data;
	int vec = irq_alloc_vector(fn, arg, name);

	if (vec < 0)
		return vec;
	nic->vectors[entry] = vec;
	irq_msi_compose_cpu((uint8_t)vec, cpu, &addr, &data);
	return pci_msix_set_entry(nic->pci, entry, addr, data);
}

/* MSI-X entry of queue `index` (2i: RX of pair i, 2i + 1: its TX). */
static uint16_t queue_entry(uint16_t index)
{
	return (uint16_t)(VNET_MSIX_CONFIG + 1 + index);
}

/* MSI-X when the function has an entry per queue, else its INTx line.
 * Every queue's handler marks only the pair the queue belongs to, and
 * runs on the CPU that polls the pair (vnet_pair_cpu); configuration
 * changes go to CPU 0. INTx reaches CPU 0 only: with it every pair is
 * polled there (net.c). */
static int setup_interrupts(struct vnet_nic *nic)
{
	uint16_t entries = (uint16_t)(1 + 2 * nic->npairs);
	int err;

	if (vpci_use_msix(&nic->vd, entries) && !pci_msix_enable(nic->pci)) {
		nic->vd.irq_mode = VPCI_IRQ_MSIX;
		err = setup_vector(nic, VNET_MSIX_CONFIG, irq_config, nic,
				   "vnet-cfg", 0);
		for (uint16_t q = 0; !err && q < 2 * nic->npairs; q++)
			err = setup_vector(nic, queue_entry(q), irq_queues,
					   nic->pairs[q / 2],
					   q % 2 ? "vnet-tx" : "vnet-rx",
					   vnet_pair_cpu(nic, q / 2));
		if (!err)
			err = vpci_set_config_vector(&nic->vd,
						     VNET_MSIX_CONFIG);
		return err;
	}
	err = vpci_attach_intx(&nic->vd, irq_intx, nic, "vnet");
	if (err < 0)
		return err;
	nic->intx_vector = err;
	return 0;
}

static void free_vectors(struct vnet_nic *nic)
{
	for (int i = 0; i < VNET_MSIX_ENTRIES; i++) {
		if (nic->vectors[i] >= 0)
			irq_free_vector(nic->vectors[i]);
		nic->vectors[i] = -1;
	}
	if (nic->intx_vector >= 0)
		irq_detach_shared(nic->intx_vector, irq_intx, nic);
	nic->intx_vector = -1;
	pci_msix_disable(nic->pci);
	nic->vd.irq_mode = VPCI_IRQ_POLLED;
}

/* Allocate queue `index` (at most VNET_QUEUE_SIZE entries) and program
 * it into the device with its MSI-X entry (none under INTx, and none
 * for the control queue, which is polled). */
static int setup_queue(struct vnet_nic *nic, struct virtq *vq, uint16_t index,
		       bool with_vector)
{
	uint16_t max = vpci_queue_max_size(&nic->vd, index);
	uint16_t size = VNET_QUEUE_SIZE;
	int err;

	if (!max)
		return -ENODEV;
	while (size > max) /* the device's maximum need not be a power of 2 */
		size /= 2;
	err = virtq_init(vq, index, size, nic->vd.features & VIRTIO_F_EVENT_IDX,
			 vpci_notify, &nic->vd);
	if (err)
		return err;
	err = vpci_queue_setup(&nic->vd, index, size, virtq_desc_pa(vq),
			       virtq_avail_pa(vq), virtq_used_pa(vq),
			       with_vector && nic->vd.irq_mode ==
						       VPCI_IRQ_MSIX ?
				       queue_entry(index) :
				       VIRTIO_MSI_NO_VECTOR);
	if (err)
		virtq_destroy(vq);
	return err;
}

/* The MAC from the config space, or a random locally administered one. */
static void read_mac(struct vnet_nic *nic)
{
	uint64_t r;

	if ((nic->vd.features & VIRTIO_NET_F_MAC) &&
	    !vpci_read_config(&nic->vd, offsetof(struct virtio_net_config, mac),
			      nic->mac, VNET_MAC_LEN))
		return;
	r = time_ns() ^ (time_ns() << 17);
	memcpy(nic->mac, &r, VNET_MAC_LEN);
	nic->mac[0] = (nic->mac[0] & ~MAC_MULTICAST) | MAC_LOCAL_ADMIN;
	pr_warn("no MAC from the device; using a random one");
}

static int alloc_tx_slots(struct vnet_dev *dev)
{
	/* Every chain in the ring and every backlog entry has its own. */
	uint32_t slots = dev->txq.size + ARRAY_SIZE(dev->backlog);

	dev->tx_slots = kzalloc(sizeof(*dev->tx_slots) * slots);
	if (!dev->tx_slots)
		return -ENOMEM;
	for (uint32_t i = 0; i < slots; i++) {
		dev->tx_slots[i].next_free = dev->tx_free;
		dev->tx_free = &dev->tx_slots[i];
	}
	return 0;
}

static const char *on_off(bool on)
{
	return on ? "on" : "off";
}

/* csum=cache|sw: the CPU computes TX checksums, so do not ask; TSO
 * needs the device to complete them. */
static uint64_t wanted_features(void)
{
	uint64_t f = VNET_WANTED_FEATURES;

	if (net_csum_mode() != NET_CSUM_OFFLOAD)
		return f & ~VIRTIO_NET_F_CSUM;
	return tso_allowed ? f | VIRTIO_NET_F_HOST_TSO4 : f;
}

/* How many pairs to set up: what the caller wants, what the device
 * has (max_virtqueue_pairs, read only with MQ), what we support, and,
 * with MSI-X, what the table has entries for. */
/*
 * Each pair beyond the first runs its own lwIP, whose fixed pools (one
 * instance's TCP PCBs, segments and pbufs: lwip_port_pool_area_size(),
 * about 350 KiB) come from free frames when it starts. A guest that
 * cannot pay for them runs fewer pairs, and says so, rather than fail to
 * boot: at -m 5M about 200 pages are free here and a second instance
 * would leave too few for what allocates later (connections, LAIO
 * stacks, threads). An extra instance must leave its own size again,
 * plus VNET_PAIR_SPARE_PAGES, free.
 */
#define VNET_PAIR_SPARE_PAGES 256

static uint32_t pairs_memory_allows(uint32_t pairs)
{
	uint64_t per = DIV_ROUND_UP(lwip_port_pool_area_size(), PAGE_SIZE);
	struct pmm_stats ps;
	uint32_t fit = 1;

	pmm_get_stats(&ps);
	while (fit < pairs &&
	       ps.free_pages >= 2 * per * fit + VNET_PAIR_SPARE_PAGES)
		fit++;
	if (fit < pairs)
		pr_warn("%u queue pairs need %llu KiB for their stacks and a "
			"spare; %llu KiB free: %u pair(s)",
			pairs,
			(unsigned long long)((2 * per * (pairs - 1) +
					      VNET_PAIR_SPARE_PAGES) *
					     PAGE_SIZE / 1024),
			(unsigned long long)(ps.free_pages * PAGE_SIZE / 1024),
			fit);
	return fit;
}

static uint32_t choose_pairs(struct vnet_nic *nic, uint32_t wanted)
{
	uint16_t max = 1;
	uint32_t pairs;

	if (nic->mq && vpci_read_config(&nic->vd,
					offsetof(struct virtio_net_config,
						 max_virtqueue_pairs),
					&max, sizeof(max)))
		max = 1;
	nic->max_pairs = max ? max : 1;
	pairs = MIN(MIN(wanted, (uint32_t)nic->max_pairs),
		    (uint32_t)VNET_PAIRS_MAX);
	if (pairs > 1 && 2u * nic->max_pairs >= VPCI_QUEUES_MAX) {
		pr_warn("control queue %u out of reach (VPCI_QUEUES_MAX); one "
			"queue pair",
			2u * nic->max_pairs);
		pairs = 1;
	}
	pairs = pairs_memory_allows(pairs);
	/* Fewer pairs with a vector each beat more pairs on INTx. */
	while (pairs > 1 && vpci_use_msix(&nic->vd, 3) &&
	       !vpci_use_msix(&nic->vd, (uint16_t)(1 + 2 * pairs)))
		pairs--;
	return pairs ? pairs : 1;
}

/* Whether the device took VIRTIO_NET_F_RSS with room for our key and
 * table and hashes TCP/IPv4 (QEMU: virtio-net-pci,rss=on; without vhost
 * it steers in QEMU itself, no eBPF needed). */
static bool rss_fits(struct vnet_nic *nic)
{
	uint8_t key = 0;
	uint16_t table = 0;
	uint32_t types = 0;

	if (!(nic->vd.features & VIRTIO_NET_F_RSS) ||
	    vpci_read_config(&nic->vd, VNET_CFG_RSS_MAX_KEY, &key,
			     sizeof(key)) ||
	    vpci_read_config(&nic->vd, VNET_CFG_RSS_MAX_TABLE, &table,
			     sizeof(table)) ||
	    vpci_read_config(&nic->vd, VNET_CFG_RSS_HASH_TYPES, &types,
			     sizeof(types)))
		return false;
	return key >= VNET_RSS_KEY_LEN && table >= VNET_RSS_TABLE_LEN &&
	       (types & VIRTIO_NET_RSS_HASH_TYPE_TCPV4);
}

/* Pair `i`'s queues, receiveq(i+1) and transmitq(i+1), and TX slots. */
static int setup_pair(struct vnet_nic *nic, uint32_t i)
{
	struct vnet_dev *dev = nic->pairs[i];
	int err;

	dev->nic = nic;
	dev->index = i;
	dev->cpu = vnet_pair_cpu(nic, i);
	dev->csum = nic->csum;
	dev->guest_csum = nic->guest_csum;
	dev->has_status = nic->has_status;
	dev->tso = nic->tso;
	dev->mrg_rxbuf = nic->mrg_rxbuf;
	dev->rx_buf_len = nic->rx_buf_len;
	dev->config_seen = UINT32_MAX; /* first poll reads the link */
	err = setup_queue(nic, &dev->rxq, (uint16_t)(2 * i), true);
	if (err)
		return err;
	err = setup_queue(nic, &dev->txq, (uint16_t)(2 * i + 1), true);
	if (err)
		goto err_free_rxq;
	err = alloc_tx_slots(dev);
	if (err)
		goto err_free_txq;
	return 0;

err_free_txq:
	virtq_destroy(&dev->txq);
err_free_rxq:
	virtq_destroy(&dev->rxq);
	return err;
}

static void free_pairs(struct vnet_nic *nic)
{
	for (uint32_t i = 0; i < VNET_PAIRS_MAX; i++) {
		struct vnet_dev *dev = nic->pairs[i];

		if (!dev)
			continue;
		if (dev->tx_slots) {
			kfree(dev->tx_slots);
			virtq_destroy(&dev->txq);
			virtq_destroy(&dev->rxq);
		}
		kfree(dev);
		nic->pairs[i] = NULL;
	}
}

/*
 * virtio 3.1.1 up to FEATURES_OK (vpci_negotiate), then MSI-X, the
 * pairs' queues and TX slots, and the control queue with MQ. DRIVER_OK
 * comes once the last pair's netif exists to receive (low_level_init).
 */
int vnet_probe(struct pci_dev *pci, uint32_t pairs, struct vnet_nic **out)
{
	struct vnet_nic *nic = kzalloc(sizeof(*nic));
	uint64_t wanted = wanted_features();
	char name[PCI_NAME_LEN];
	int err;

	if (!nic)
		return -ENOMEM;
	nic->pci = pci;
	for (int i = 0; i < VNET_MSIX_ENTRIES; i++)
		nic->vectors[i] = -1;
	nic->intx_vector = -1;
	/* 1. map the transport */
	err = vpci_init(&nic->vd, pci);
	if (err)
		goto err_free_nic;
	/* 2. reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK */
	if (pairs > 1)
		wanted |= VNET_MQ_FEATURES | VIRTIO_NET_F_RSS;
	err = vpci_negotiate(&nic->vd, wanted);
	if (err)
		goto err_free_nic;
	nic->csum = nic->vd.features & VIRTIO_NET_F_CSUM;
	nic->tso = nic->csum && (nic->vd.features & VIRTIO_NET_F_HOST_TSO4);
	nic->guest_csum = nic->vd.features & VIRTIO_NET_F_GUEST_CSUM;
	nic->has_status = nic->vd.features & VIRTIO_NET_F_STATUS;
	/* MQ needs the control queue to switch the pairs on (5.1.3.1). */
	nic->mq = (nic->vd.features & VNET_MQ_FEATURES) == VNET_MQ_FEATURES;
	nic->npairs = choose_pairs(nic, pairs);
	nic->rss = nic->mq && nic->npairs > 1 && rss_fits(nic);
	pr_info("%s: tx-csum %s, rx-csum %s, link-status %s, event-idx %s, "
		"queue pairs %u of %u, rss %s, tso %s",
		pci_name(pci, name), on_off(nic->csum), on_off(nic->guest_csum),
		on_off(nic->has_status),
		on_off(nic->vd.features & VIRTIO_F_EVENT_IDX), nic->npairs,
		nic->max_pairs, on_off(nic->rss), on_off(nic->tso));
	rx_setup(nic);
	pr_info("%s: mrg-rxbuf %s, %u-byte rx buffers", pci_name(pci, name),
		on_off(nic->mrg_rxbuf), nic->rx_buf_len);
	for (uint32_t i = 0; i < nic->npairs; i++) {
		nic->pairs[i] = kzalloc(sizeof(*nic->pairs[i]));
		if (!nic->pairs[i]) {
			err = -ENOMEM;
			goto err_free_pairs;
		}
	}
	/* 3. interrupts: configuration changes and queue completions */
	err = setup_interrupts(nic);
	if (err)
		goto err_free_vectors;
	pr_info("%s: irq %s", pci_name(pci, name),
		vpci_irq_mode_name(nic->vd.irq_mode));
	/* 4. the pairs' queues, then controlq (after the last pair) */
	for (uint32_t i = 0; i < nic->npairs; i++) {
		err = setup_pair(nic, i);
		if (err)
			goto err_free_vectors;
	}
	if (nic->mq && nic->npairs > 1) {
		err = setup_queue(nic, &nic->ctrlq,
				  (uint16_t)(2 * nic->max_pairs), false);
		if (err)
			goto err_free_vectors;
		nic->has_ctrlq = true;
	}
	read_mac(nic);
	*out = nic;
	return 0;

err_free_vectors:
	free_vectors(nic);
err_free_pairs:
	free_pairs(nic);
	vpci_fail(&nic->vd);
err_free_nic:
	kfree(nic);
	return err;
}

/* Pair i is run by CPU i (i mod the CPUs, when net_queues= asked for
 * more pairs than CPUs); under INTx, whose line reaches CPU 0 only,
 * every pair by CPU 0. */
unsigned vnet_pair_cpu(const struct vnet_nic *nic, uint32_t pair)
{
	if (nic->vd.irq_mode != VPCI_IRQ_MSIX)
		return 0;
	return pair % cpu_count();
}

uint32_t vnet_pairs(const struct vnet_nic *nic)
{
	return nic->npairs;
}

struct vnet_dev *vnet_pair(struct vnet_nic *nic, uint32_t i)
{
	return i < nic->npairs ? nic->pairs[i] : NULL;
}

/*
 * One control-queue command (5.1.6.5) of class VIRTIO_NET_CTRL_MQ with
 * `len` bytes of data at `data`. The device answers while handling the
 * doorbell (QEMU), so a bounded wait on the used ring suffices. 0,
 * -ETIMEDOUT, or -EIO when the device said no.
 */
static int ctrl_mq(struct vnet_nic *nic, uint8_t cmd_code, const void *data,
		   uint32_t len)
{
	struct vnet_ctrl_mq *cmd = &nic->ctrl;
	struct virtq_seg out[2], in;
	uint64_t deadline = time_ns() + VNET_CTRL_WAIT_MS * 1000000ull;
	uint32_t used;

	cmd->hdr.class = VIRTIO_NET_CTRL_MQ;
	cmd->hdr.cmd = cmd_code;
	cmd->ack = VIRTIO_NET_ERR;
	out[0] =
		(struct virtq_seg){ virt_to_phys(&cmd->hdr), sizeof(cmd->hdr) };
	out[1] = (struct virtq_seg){ virt_to_phys(data), len };
	in = (struct virtq_seg){ virt_to_phys(&cmd->ack), sizeof(cmd->ack) };
	if (virtq_add(&nic->ctrlq, out, 2, &in, 1, cmd))
		return -EIO;
	/* virtq_add's barrier published the chain before the doorbell. */
	virtq_kick(&nic->ctrlq);
	while (!virtq_get(&nic->ctrlq, &used)) {
		if (time_ns() > deadline)
			return -ETIMEDOUT;
		cpu_relax();
	}
	return READ_ONCE(cmd->ack) == VIRTIO_NET_OK ? 0 : -EIO;
}

/* A fixed Toeplitz key; any key spreads flows, this one is the
 * well-known default of the RSS specification's examples. */
static const uint8_t rss_key[VNET_RSS_KEY_LEN] = {
	0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67,
	0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca, 0x2b, 0xcb,
	0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30,
	0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
};

/*
 * VIRTIO_NET_CTRL_MQ_RSS_CONFIG (5.1.6.5.7.1): the device hashes each
 * TCP/IPv4 flow (IPv4 alone for other IPv4) and puts it on RX queue
 * table[hash % 128] (receiveq numbers from 0), the table spreading
 * the pairs evenly; frames it
 * does not hash (ARP) go to pair 0. Also sets how many TX queues run.
 */
static int set_rss(struct vnet_nic *nic)
{
	struct virtio_net_rss_config *r = &nic->ctrl.rss;
	uint32_t types = 0;

	vpci_read_config(&nic->vd, VNET_CFG_RSS_HASH_TYPES, &types,
			 sizeof(types));
	memset(r, 0, sizeof(*r));
	r->hash_types = types & (VIRTIO_NET_RSS_HASH_TYPE_IPV4 |
				 VIRTIO_NET_RSS_HASH_TYPE_TCPV4);
	r->indirection_table_mask = VNET_RSS_TABLE_LEN - 1;
	r->unclassified_queue = 0;
	for (uint32_t i = 0; i < VNET_RSS_TABLE_LEN; i++)
		r->indirection_table[i] = (uint16_t)(i % nic->npairs);
	r->max_tx_vq = (uint16_t)nic->npairs;
	r->hash_key_length = VNET_RSS_KEY_LEN;
	memcpy(r->hash_key_data, rss_key, VNET_RSS_KEY_LEN);
	return ctrl_mq(nic, VIRTIO_NET_CTRL_MQ_RSS_CONFIG, r, sizeof(*r));
}

/* Until one of these, the device uses pair 0 only (5.1.6.5.5). */
static int set_pairs(struct vnet_nic *nic)
{
	if (nic->rss)
		return set_rss(nic);
	nic->ctrl.pairs = (uint16_t)nic->npairs;
	return ctrl_mq(nic, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &nic->ctrl.pairs,
		       sizeof(nic->ctrl.pairs));
}

/* Every pair has its RX ring filled: DRIVER_OK, then the first
 * doorbells (3.1.1: none before it), then switch the pairs on. */
static void start_device(struct vnet_nic *nic)
{
	char name[PCI_NAME_LEN];
	int err;

	vpci_driver_ok(&nic->vd);
	for (uint32_t i = 0; i < nic->npairs; i++) {
		virtq_kick(&nic->pairs[i]->rxq);
		virtq_disable_intr(&nic->pairs[i]->txq);
	}
	if (!nic->has_ctrlq)
		return;
	err = set_pairs(nic);
	if (err)
		pr_err("%s: %s for %u pairs failed (%d); the device uses "
		       "pair 0 only",
		       pci_name(nic->pci, name),
		       nic->rss ? "MQ_RSS_CONFIG" : "MQ_VQ_PAIRS_SET",
		       nic->npairs, err);
}

/* Fill the pair's RX ring (ethernetif low_level_init); the last pair
 * to get here starts the device. Each pair keeps its share of the
 * memory plan's RX pages posted. */
static void low_level_init(struct vnet_dev *dev)
{
	struct vnet_nic *nic = dev->nic;
	uint32_t ring = MAX(memplan()->rx_ring / nic->npairs, VNET_RX_RING_MIN);

	dev->rx_bufs_max = MAX(memplan()->rx_bufs / nic->npairs, ring);
	dev->rx_ring = MIN(ring, (uint32_t)dev->rxq.size);
	nic->rx_reserve += dev->rx_ring;
	iobuf_set_reserve(nic->rx_reserve); /* refills of the posted rings */
	/* and mapping slots for them that senders leave */
	sfbuf_set_rx_reserve(nic->npairs * SFBUF_RX_RESERVE);
	rx_fill(dev);
	if (++nic->started == nic->npairs)
		start_device(nic);
}

err_t vnet_netif_init(struct netif *netif)
{
	struct vnet_dev *dev = netif->state;
	uint16_t flags = NETIF_CHECKSUM_ENABLE_ALL;

	dev->netif = netif;
	netif->name[0] = 'e';
	netif->name[1] = 'n';
	netif->num = (u8_t)dev->index;
	netif->hwaddr_len = VNET_MAC_LEN;
	memcpy(netif->hwaddr, dev->nic->mac, VNET_MAC_LEN);
	netif->mtu = VNET_MTU;
	netif->tso_seg_max = dev->tso ? VNET_TSO_SEG_MAX : 0;
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
		       NETIF_FLAG_ETHERNET;
	netif->output = etharp_output;
	netif->linkoutput = low_level_output;
	/* The device completes TX TCP/UDP checksums and vouches for RX
	 * ones (or rx_csum_ok verifies them): lwIP skips that work. Each
	 * stack instance has its own checksum mode to tell. */
	if (!dev->csum)
		net_csum_no_offload();
	if (dev->csum)
		flags &= ~(NETIF_CHECKSUM_GEN_TCP | NETIF_CHECKSUM_GEN_UDP);
	if (dev->guest_csum)
		flags &= ~(NETIF_CHECKSUM_CHECK_TCP | NETIF_CHECKSUM_CHECK_UDP);
	NETIF_SET_CHECKSUM_CTRL(netif, flags);
	low_level_init(dev);
	return ERR_OK;
}
