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
 * Interrupts: MSI-X entry 0 for configuration changes, entry 1 for both
 * queues; without MSI-X (QEMU's -nic model=virtio-net-pci, vectors=0,
 * virtio_msix=off) the shared INTx line, whose handler reads the ISR.
 * Handlers set flags; vnet_poll disables queue interrupts while it finds
 * work and re-enables them when idle (NAPI-style), so a busy link is
 * polled and an idle one wakes the halted CPU.
 */
#define PR_PREFIX "vnet: "
#include "net/virtio_net.h"

#include "kernel/arch/time.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/printk.h"
#include "kernel/io/iobuf.h"
#include "kernel/io/sfbuf.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/memplan.h"
#include "kernel/mm/mm.h"
#include "kernel/param.h"
#include "kernel/sched/irq.h"
#include "kernel/virtio/pci.h"
#include "kernel/virtio/virtio_pci.h"
#include "kernel/virtio/virtq.h"
#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "net/lwip-port/csum.h"
#include "net/lwip-port/tcp_room.h"
#include "net/vnet_csum.h"

#define VNET_WANTED_FEATURES                                              \
	(VIRTIO_NET_F_CSUM | VIRTIO_NET_F_GUEST_CSUM | VIRTIO_NET_F_MAC | \
	 VIRTIO_NET_F_STATUS | VIRTIO_F_EVENT_IDX | VIRTIO_NET_F_MRG_RXBUF)
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
#define VNET_MSIX_CONFIG 0 /* MSI-X table entries */
#define VNET_MSIX_QUEUES 1
#define VNET_MSIX_ENTRIES 2
#define MAC_LOCAL_ADMIN 0x02 /* first octet: locally administered */
#define MAC_MULTICAST 0x01
STATIC_ASSERT(VNET_HDR_LEN + VNET_FRAME_MAX <= VNET_RX_BUF_LEN);
STATIC_ASSERT(VNET_TX_SEGS_MAX >= 2);

/* Whether to negotiate TCP segmentation offload when the device offers
 * it (and CSUM, which it needs). */
static bool tso_allowed = true;
KPARAM_BOOL(tso, tso_allowed,
	    "TCP segmentation offload (HOST_TSO4) when the device offers it");

struct vnet_rxbuf {
	struct pbuf_custom pc; /* [m] what lwIP holds; must stay first */
	struct vnet_dev *dev; /* [I] */
	struct iobuf *iob; /* [m] its page (a reference); NULL when free */
	uint8_t *va; /* [m] iobuf_map_held(iob): the page's start */
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

struct vnet_dev {
	struct vpci_dev vd; /* [m] */
	struct pci_dev *pci; /* [I] */
	struct netif *netif; /* [I] after vnet_netif_init */
	struct virtq rxq, txq; /* [m] */
	bool csum, guest_csum, has_status, tso; /* [I] negotiated */
	bool mrg_rxbuf; /* [I] negotiated: frames may span RX buffers */
	uint32_t rx_buf_len; /* [I] bytes of one RX buffer */
	struct iobuf *rx_split; /* [m] page being cut into RX buffers */
	uint32_t rx_split_off; /* [m] its next free byte */
	uint32_t rx_pool_pages; /* [m] pool pages RX buffers occupy */
	bool link_up; /* [m] */
	uint8_t mac[VNET_MAC_LEN]; /* [I] */
	int vectors[VNET_MSIX_ENTRIES]; /* [I] CPU vectors, -1 = none */
	int intx_vector; /* [I] shared INTx line's vector, -1 = none */
	bool irq_pending, config_pending; /* [q] set by the handlers */

	struct vnet_tx_slot *tx_slots; /* [I] VNET_TX_SLOTS of them */
	struct vnet_tx_slot *tx_free; /* [m] */
	uint32_t tx_in_flight; /* [m] chains posted, not yet returned */
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
}

static void irq_config(void *arg)
{
	struct vnet_dev *dev = arg;

	WRITE_ONCE(dev->config_pending, true);
	dev->stats.config_irqs++;
}

/* INTx: the ISR read acknowledges and says which kinds of event. */
static bool irq_intx(void *arg)
{
	struct vnet_dev *dev = arg;
	uint8_t isr = vpci_isr(&dev->vd);

	if (isr & VIRTIO_ISR_QUEUE)
		irq_queues(dev);
	if (isr & VIRTIO_ISR_CONFIG)
		irq_config(dev);
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
	/* Only RX buffers reference RX pages: the last one frees it. */
	if (rb->iob->refcnt == 1)
		dev->rx_pool_pages--;
	iobuf_unref(rb->iob);
	rb->iob = NULL;
	rb->va = NULL;
	rb->next_free = dev->rx_free;
	dev->rx_free = rb;
	dev->rx_pages--;
}

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
	iob = iobuf_alloc_reserve(PAGE_SIZE, NULL, NULL);
	if (iob)
		dev->rx_pool_pages++;
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
	uint8_t *va = iob ? iobuf_map_held(iob) : NULL;

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

/* The RX buffer size: a page without MRG_RXBUF; with it rx_buf=, which
 * must be a power of two (a bad one is named and the default used). */
static void rx_setup(struct vnet_dev *dev)
{
	dev->mrg_rxbuf = dev->vd.features & VIRTIO_NET_F_MRG_RXBUF;
	dev->rx_buf_len = VNET_RX_BUF_LEN;
	if (!dev->mrg_rxbuf)
		return;
	if (rx_buf_bytes & (rx_buf_bytes - 1)) {
		pr_warn("rx_buf=%llu is not a power of two; using 2048",
			(unsigned long long)rx_buf_bytes);
		rx_buf_bytes = 2048;
	}
	dev->rx_buf_len = (uint32_t)rx_buf_bytes;
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
	virtq_kick(&dev->txq);
	return 0;
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
	if (vpci_read_config(&dev->vd,
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

	WRITE_ONCE(dev->irq_pending, false);
	if (READ_ONCE(dev->config_pending)) {
		WRITE_ONCE(dev->config_pending, false);
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
	return vpci_irq_mode_name(dev->vd.irq_mode);
}

void vnet_get_stats(const struct vnet_dev *dev, struct vnet_stats *st)
{
	*st = dev->stats;
	st->rx_posted = dev->rx_posted;
	st->rx_held = dev->rx_pages - dev->rx_posted;
	st->rx_pool_pages = dev->rx_pool_pages;
	st->tx_pages_held = dev->tx_pages_held;
	st->tx_room_waiting = lwip_port_tx_waiting();
	st->tso_on = dev->tso;
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
		(unsigned long long)s->irqs, (unsigned long long)s->config_irqs,
		(unsigned long long)s->rekicks);
}

/* ---- bring-up ---- */

/* MSI-X entry `entry` -> a fresh CPU vector running fn(dev). */
static int setup_vector(struct vnet_dev *dev, uint16_t entry, irq_handler_fn fn,
			const char *name)
{
	uint64_t addr;
	uint32_t data;
	int vec = irq_alloc_vector(fn, dev, name);

	if (vec < 0)
		return vec;
	dev->vectors[entry] = vec;
	irq_msi_compose((uint8_t)vec, &addr, &data);
	return pci_msix_set_entry(dev->pci, entry, addr, data);
}

/* MSI-X when the function has both entries, else its INTx line. */
static int setup_interrupts(struct vnet_dev *dev)
{
	int err;

	if (vpci_use_msix(&dev->vd, VNET_MSIX_ENTRIES) &&
	    !pci_msix_enable(dev->pci)) {
		dev->vd.irq_mode = VPCI_IRQ_MSIX;
		err = setup_vector(dev, VNET_MSIX_CONFIG, irq_config,
				   "vnet-cfg");
		if (!err)
			err = setup_vector(dev, VNET_MSIX_QUEUES, irq_queues,
					   "vnet");
		if (!err)
			err = vpci_set_config_vector(&dev->vd,
						     VNET_MSIX_CONFIG);
		return err;
	}
	err = vpci_attach_intx(&dev->vd, irq_intx, dev, "vnet");
	if (err < 0)
		return err;
	dev->intx_vector = err;
	return 0;
}

static void free_vectors(struct vnet_dev *dev)
{
	for (int i = 0; i < VNET_MSIX_ENTRIES; i++) {
		if (dev->vectors[i] >= 0)
			irq_free_vector(dev->vectors[i]);
		dev->vectors[i] = -1;
	}
	if (dev->intx_vector >= 0)
		irq_detach_shared(dev->intx_vector, irq_intx, dev);
	dev->intx_vector = -1;
	pci_msix_disable(dev->pci);
	dev->vd.irq_mode = VPCI_IRQ_POLLED;
}

/* Allocate queue `index` (at most VNET_QUEUE_SIZE entries) and program
 * it into the device with the queue MSI-X entry (none under INTx). */
static int setup_queue(struct vnet_dev *dev, struct virtq *vq, uint16_t index)
{
	uint16_t max = vpci_queue_max_size(&dev->vd, index);
	uint16_t size = VNET_QUEUE_SIZE;
	int err;

	if (!max)
		return -ENODEV;
	while (size > max) /* the device's maximum need not be a power of 2 */
		size /= 2;
	err = virtq_init(vq, index, size, dev->vd.features & VIRTIO_F_EVENT_IDX,
			 vpci_notify, &dev->vd);
	if (err)
		return err;
	err = vpci_queue_setup(&dev->vd, index, size, virtq_desc_pa(vq),
			       virtq_avail_pa(vq), virtq_used_pa(vq),
			       dev->vd.irq_mode == VPCI_IRQ_MSIX ?
				       VNET_MSIX_QUEUES :
				       VIRTIO_MSI_NO_VECTOR);
	if (err)
		virtq_destroy(vq);
	return err;
}

/* The MAC from the config space, or a random locally administered one. */
static void read_mac(struct vnet_dev *dev)
{
	uint64_t r;

	if ((dev->vd.features & VIRTIO_NET_F_MAC) &&
	    !vpci_read_config(&dev->vd, offsetof(struct virtio_net_config, mac),
			      dev->mac, VNET_MAC_LEN))
		return;
	r = time_ns() ^ (time_ns() << 17);
	memcpy(dev->mac, &r, VNET_MAC_LEN);
	dev->mac[0] = (dev->mac[0] & ~MAC_MULTICAST) | MAC_LOCAL_ADMIN;
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

/*
 * virtio 3.1.1 up to FEATURES_OK (vpci_negotiate), then MSI-X, the two
 * queues and the TX slots. DRIVER_OK comes in low_level_init, once the
 * netif exists to receive.
 */
static const char *on_off(bool on)
{
	return on ? "on" : "off";
}

static uint64_t wanted_features(void)
{
	uint64_t f = VNET_WANTED_FEATURES;

	if (net_csum_mode() != NET_CSUM_OFFLOAD)
		return f & ~VIRTIO_NET_F_CSUM;
	return tso_allowed ? f | VIRTIO_NET_F_HOST_TSO4 : f;
}

int vnet_probe(struct pci_dev *pci, struct vnet_dev **out)
{
	struct vnet_dev *dev = kzalloc(sizeof(*dev));
	char name[PCI_NAME_LEN];
	int err;

	if (!dev)
		return -ENOMEM;
	dev->pci = pci;
	dev->vectors[VNET_MSIX_CONFIG] = dev->vectors[VNET_MSIX_QUEUES] = -1;
	dev->intx_vector = -1;
	/* 1. map the transport */
	err = vpci_init(&dev->vd, pci);
	if (err)
		goto err_free_dev;
	/* 2. reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK */
	/* csum=cache|sw: the CPU computes TX checksums, so do not ask;
	 * TSO needs the device to complete them. */
	err = vpci_negotiate(&dev->vd, wanted_features());
	if (err)
		goto err_free_dev;
	dev->csum = dev->vd.features & VIRTIO_NET_F_CSUM;
	dev->tso = dev->csum && (dev->vd.features & VIRTIO_NET_F_HOST_TSO4);
	if (!dev->csum)
		net_csum_no_offload();
	dev->guest_csum = dev->vd.features & VIRTIO_NET_F_GUEST_CSUM;
	dev->has_status = dev->vd.features & VIRTIO_NET_F_STATUS;
	pr_info("%s: tx-csum %s, rx-csum %s, link-status %s, event-idx %s, "
		"tso %s",
		pci_name(pci, name), on_off(dev->csum), on_off(dev->guest_csum),
		on_off(dev->has_status),
		on_off(dev->vd.features & VIRTIO_F_EVENT_IDX),
		on_off(dev->tso));
	rx_setup(dev);
	pr_info("%s: mrg-rxbuf %s, %u-byte rx buffers", pci_name(pci, name),
		on_off(dev->mrg_rxbuf), dev->rx_buf_len);
	/* 3. interrupts: configuration changes and queue completions */
	err = setup_interrupts(dev);
	if (err)
		goto err_free_vectors;
	pr_info("%s: irq %s", pci_name(pci, name),
		vpci_irq_mode_name(dev->vd.irq_mode));
	/* 4. receiveq1 and transmitq1 */
	err = setup_queue(dev, &dev->rxq, VNET_RXQ);
	if (err)
		goto err_free_vectors;
	err = setup_queue(dev, &dev->txq, VNET_TXQ);
	if (err)
		goto err_free_rxq;
	err = alloc_tx_slots(dev);
	if (err)
		goto err_free_txq;
	read_mac(dev);
	*out = dev;
	return 0;

err_free_txq:
	virtq_destroy(&dev->txq);
err_free_rxq:
	virtq_destroy(&dev->rxq);
err_free_vectors:
	free_vectors(dev);
	vpci_fail(&dev->vd);
err_free_dev:
	kfree(dev);
	return err;
}

/* Finish the device (ethernetif low_level_init): RX ring full, then
 * DRIVER_OK, then the first doorbell (3.1.1: none before DRIVER_OK). */
static void low_level_init(struct vnet_dev *dev)
{
	dev->rx_bufs_max = memplan()->rx_bufs;
	dev->rx_ring = MIN(memplan()->rx_ring, (uint32_t)dev->rxq.size);
	iobuf_set_reserve(dev->rx_ring); /* refills of the posted ring */
	rx_fill(dev);
	vpci_driver_ok(&dev->vd);
	virtq_kick(&dev->rxq);
	virtq_disable_intr(&dev->txq);
	WRITE_ONCE(dev->config_pending, true); /* first poll reads the link */
}

err_t vnet_netif_init(struct netif *netif)
{
	struct vnet_dev *dev = netif->state;
	uint16_t flags = NETIF_CHECKSUM_ENABLE_ALL;

	dev->netif = netif;
	netif->name[0] = 'e';
	netif->name[1] = 'n';
	netif->hwaddr_len = VNET_MAC_LEN;
	memcpy(netif->hwaddr, dev->mac, VNET_MAC_LEN);
	netif->mtu = VNET_MTU;
	netif->tso_seg_max = dev->tso ? VNET_TSO_SEG_MAX : 0;
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
		       NETIF_FLAG_ETHERNET;
	netif->output = etharp_output;
	netif->linkoutput = low_level_output;
	/* The device completes TX TCP/UDP checksums and vouches for RX
	 * ones (or rx_csum_ok verifies them): lwIP skips that work. */
	if (dev->csum)
		flags &= ~(NETIF_CHECKSUM_GEN_TCP | NETIF_CHECKSUM_GEN_UDP);
	if (dev->guest_csum)
		flags &= ~(NETIF_CHECKSUM_CHECK_TCP | NETIF_CHECKSUM_CHECK_UDP);
	NETIF_SET_CHECKSUM_CTRL(netif, flags);
	low_level_init(dev);
	return ERR_OK;
}
