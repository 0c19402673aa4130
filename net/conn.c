// SPDX-License-Identifier: MIT
/*
 * Connections over lwIP's raw TCP API (interface and rules in conn.h).
 *
 * Send queue: `unsent` holds what the application queued and lwIP has not
 * taken yet; `inflight` the pieces lwIP took and the peer has not
 * acknowledged. Zero copy (the default): tcp_write without COPY, so
 * lwIP's segments point into our pages through an sf_buf mapping; each
 * piece keeps its page referenced *and* mapped until the sent callback
 * has covered all its bytes, so a retransmission (and the driver's
 * virtual-to-physical translation) still finds the page. copy=on is the
 * traditional path: lwIP copies the bytes into its own buffers and the
 * page is released at once.
 *
 * Waiting for lwIP's memory: lwIP's segments and pbufs come from pools
 * all connections share (MEMP_NUM_TCP_SEG is far below connections x
 * TCP_SND_QUEUELEN), so a tcp_write may fail on a connection that has
 * nothing in flight, whose own ACKs will never come to retry it. A send
 * stopped that way (or for want of a page mapping) puts the connection
 * on `mem_waiters`; the next ACK on any connection, which is what frees
 * segments, reruns the waiters first, oldest first (rerun_mem_waiters),
 * and a connection that ends frees its segments for the next main-loop
 * pass. The mapping window is shared by all CPUs, so slots another CPU's
 * ACKs free would never reach these waiters that way: sfbuf counts a
 * wake for this CPU (sfbuf_held_wakes) and makes its loop run a pass,
 * in which conn_poll sees the count move and reruns them (map_wakes).
 * The lwIP poll timer stays as the last resort, and counts what only it
 * found (mem_wait_lost: a lost wake-up).
 *
 * Deferred callbacks: closed() and the delivery of data held while
 * paused never run inside an application call into this file; they are
 * queued and run by conn_poll from the main loop (closed() also just
 * before a new connection is offered, see run_closed). lwIP's own callbacks
 * (recv, sent, err, poll) already come from the main loop (the
 * instance's poll, net/netinst.c).
 * When the application aborts from inside one of them, the abort is
 * carried out on the way out and the callback returns ERR_ABRT, as lwIP
 * requires.
 *
 * Accept strategy (Brecht, Pariag, Gammo: "accept()able strategies"):
 * with `accept_limit=N`, at most N new connections reach the
 * application per main-loop pass; the rest wait, established, on the
 * accept queue (their data held), and are handed over at the end of the
 * following passes, after the existing connections had their turn.
 *
 * Priorities (kernel/io/prio.h, prio=on): the application tells each
 * connection the urgency of the request it is answering
 * (conn_set_urgency), and three queues here order by it, FIFO within an
 * urgency: the lwIP-memory waiters (the most urgent send reruns first),
 * the deferred-work list conn_poll runs (held data and writable() of
 * urgent connections first), and the accept queue. A connection on the
 * accept queue has sent no request yet, so it ranks by the last urgency
 * a request from the same client address had (a small table, default
 * urgency for an address not in it): what that client asked for lately
 * is the best guess of what it asks for now, and nothing is invented for
 * a client never seen. With prio=off all three keep arrival order.
 */
#define PR_PREFIX "conn: "
#include "net/conn.h"

#include "kernel/arch/time.h"
#include "kernel/cpu/percpu.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/printk.h"
#include "kernel/io/ecem.h"
#include "kernel/io/iobuf.h"
#include "kernel/io/prio.h"
#include "kernel/io/sfbuf.h"
#include "kernel/io/trace.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/list.h"
#include "kernel/lib/stdio.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/param.h"
#include "lwip/tcp.h"
#include "net/lwip-port/lwip_err.h"
#include "net/lwip-port/tcp_room.h"
#include "net/netinst.h"

struct listener {
	const struct conn_callbacks *cb; /* [I] */
	void *ctx; /* [I] */
	struct tcp_pcb *pcb; /* [I] */
};

/* Bytes lwIP holds by pointer: the page stays referenced and mapped.
 * A piece without a buffer stands for bytes lwIP copied (conn_write),
 * so acknowledgements are accounted in send order whatever the mix. */
struct tx_piece {
	struct iobuf *buf; /* NULL: copied bytes */
	char *va; /* page mapping from iobuf_map */
	uint32_t len; /* bytes not yet acknowledged */
};

/* A traced request whose response ends at byte `at` of the stream. */
struct ack_watch {
	uint64_t req, at, queued_ns, start_ns;
};

struct conn {
	struct conn_head head; /* [I] first: whose stack (net/netinst.h) */
	struct tcp_pcb *pcb; /* [m] NULL once lwIP or we let go of it */
	const struct listener *l; /* [I] */
	void *ctx; /* [m] the application's */
	struct ioagg unsent; /* [m] queued, not given to lwIP */
	struct tx_piece *inflight; /* [m] ring: given to lwIP, not acked */
	uint32_t if_head, if_count, if_cap; /* [m] */
	uint64_t inflight_bytes; /* [m] */
	struct pbuf *held; /* [m] received while paused */
	uint32_t held_count; /* [m] pbufs in `held` */
	bool paused; /* [m] */
	bool fin; /* [m] FIN seen, eof not delivered yet */
	bool closing; /* [m] close once the queue drains */
	bool fin_queued; /* [m] tcp_shutdown(TX) called: FIN after the data */
	bool in_callback; /* [m] inside an lwIP callback for this pcb */
	bool abort_requested; /* [m] conn_abort from inside a callback */
	bool gone; /* [m] closed() queued: no more callbacks */
	bool waiting_accept; /* [m] on the accept queue, no ctx yet */
	bool room_waiting; /* [m] refused with accept_later, waits */
	uint64_t room_wait_since_ns; /* [m] since when */
	bool mem_writer; /* [m] conn_write refused: writable() on rerun */
	bool wake_writer; /* [m] writable() due from conn_poll */
	uint32_t splice_acked; /* [m] prio=on: ACKed bytes whose splice
				* waits for the pass's work list */
	int close_err; /* [m] for closed() */
	uint8_t urgency; /* [m] of the request answered (RFC 9218) */
	struct conn *next; /* [m] deferred-work list */
	struct list_node accept_link; /* [m] on the accept queue */
	struct list_node mem_link; /* [m] on mem_waiters */
	uint64_t sent_total, acked_total; /* [m] bytes ever queued, acked */
	struct ack_watch watch[CONN_ACK_WATCHES]; /* [m] oldest first */
	uint32_t nwatch; /* [m] */
};

static struct conn *work_list; /* [m] conns with deferred callbacks */
static struct list_node accept_queue = LIST_HEAD_INIT(accept_queue); /* [m] */
/* [m] sends stopped for lwIP memory, oldest first */
static struct list_node mem_waiters = LIST_HEAD_INIT(mem_waiters);
static bool mem_freed; /* [m] a connection ended: rerun from conn_poll */
static uint64_t held_wakes_seen; /* [m] sfbuf_held_wakes at the last rerun */
static uint64_t accepted_this_pass; /* [m] reset by conn_poll */
static uint64_t accept_limit;
KPARAM_UINT(accept_limit, accept_limit, 0, 1000000,
	    "new connections handed to the server per loop pass (0: all)");
static struct conn_stats stats; /* [m] */
static uint32_t instance; /* [I] this stack's number, conn_head */
/* [m] the last urgency seen from a client address, by address hash */
static struct {
	uint32_t addr; /* IPv4, network order; 0: empty */
	uint8_t urgency;
} peer_urgency[CONN_PEER_URGENCY_SLOTS];
static bool copy_mode;
KPARAM_BOOL(copy, copy_mode,
	    "copy response bodies into the stack's buffers (baseline)");

/* Room for one more in-flight piece; false when out of memory. */
static bool inflight_reserve(struct conn *c)
{
	struct tx_piece *p;
	uint32_t cap;

	if (c->if_count < c->if_cap)
		return true;
	cap = c->if_cap ? c->if_cap * 2 : CONN_INFLIGHT_INITIAL;
	p = kmalloc(cap * sizeof(*p));
	if (!p)
		return false;
	for (uint32_t i = 0; i < c->if_count; i++)
		p[i] = c->inflight[(c->if_head + i) % c->if_cap];
	kfree(c->inflight);
	c->inflight = p;
	c->if_head = 0;
	c->if_cap = cap;
	return true;
}

/*
 * Mappings are taken and given back in batches of up to CONN_MAP_BATCH,
 * one acquisition of the mapping cache's lock each: a 1 MiB response is
 * 256 pages, and one get and one put per page on a lock every CPU
 * shares was where two CPUs serving large files met most.
 */
#define CONN_MAP_BATCH 16

/* Pieces whose bytes were all acknowledged, to release together. */
struct release_batch {
	struct tx_piece p[CONN_MAP_BATCH];
	void *va[CONN_MAP_BATCH];
	uint32_t n;
};

static void release_flush(struct release_batch *r)
{
	iobuf_unmap_many(r->va, r->n);
	for (uint32_t i = 0; i < r->n; i++)
		iobuf_unref(r->p[i].buf);
	r->n = 0;
}

/* The peer acknowledged n more bytes: release the pieces they cover. */
static void inflight_ack(struct conn *c, uint64_t n)
{
	struct release_batch r;

	r.n = 0;
	c->inflight_bytes -= MIN(n, c->inflight_bytes);
	while (n && c->if_count) {
		struct tx_piece *p = &c->inflight[c->if_head];
		uint32_t k = (uint32_t)MIN(n, (uint64_t)p->len);

		p->len -= k;
		n -= k;
		if (p->len)
			break;
		if (p->buf) {
			r.va[r.n] = p->va;
			r.p[r.n++] = *p;
			if (r.n == CONN_MAP_BATCH)
				release_flush(&r);
		}
		c->if_head = (c->if_head + 1) % c->if_cap;
		c->if_count--;
	}
	release_flush(&r);
}

/* Put c on the deferred-work list: at the head (prio=off, as always),
 * or ahead of the first less urgent connection (prio=on). */
static void schedule(struct conn *c)
{
	struct conn *p, **pp = &work_list;

	for (p = work_list; p; p = p->next)
		if (p == c)
			return;
	if (prio_enforced()) {
		while (*pp && (*pp)->urgency <= c->urgency)
			pp = &(*pp)->next;
		if (*pp)
			prio_class(c->urgency)->ready_jumped++;
	}
	c->next = *pp;
	*pp = c;
}

/* Link n into the list at head behind everything, or (prio=on) ahead
 * of the first entry less urgent than `urgency` (urgency_of gives an
 * entry's). True if it went ahead of one. */
static bool insert_by_urgency(struct list_node *head, struct list_node *n,
			      uint8_t urgency,
			      uint8_t (*urgency_of)(struct list_node *))
{
	struct list_node *pos;

	if (prio_enforced()) {
		list_for_each (pos, head) {
			if (urgency_of(pos) > urgency) {
				list_insert_before(n, pos);
				return true;
			}
		}
	}
	list_add_tail(head, n);
	return false;
}

static uint8_t mem_waiter_urgency(struct list_node *n)
{
	return list_entry(n, struct conn, mem_link)->urgency;
}

/* c's send stopped for want of lwIP memory (or a page mapping). */
static void mem_wait_begin(struct conn *c)
{
	struct prio_class_stats *pc = prio_class(c->urgency);

	if (list_linked(&c->mem_link))
		return;
	if (insert_by_urgency(&mem_waiters, &c->mem_link, c->urgency,
			      mem_waiter_urgency))
		pc->send_jumped++;
	pc->send_waits++;
	stats.mem_waits++;
	stats.mem_waiting++;
}

static void mem_wait_end(struct conn *c)
{
	if (!list_linked(&c->mem_link))
		return;
	list_remove(&c->mem_link);
	c->mem_writer = false;
	stats.mem_waiting--;
}

/* Let go of the pcb: no lwIP callback may reach us afterwards. */
static void detach(struct conn *c)
{
	mem_wait_end(c);
	if (!c->pcb)
		return;
	tcp_arg(c->pcb, NULL);
	tcp_recv(c->pcb, NULL);
	tcp_sent(c->pcb, NULL);
	tcp_err(c->pcb, NULL);
	tcp_poll(c->pcb, NULL, 0);
	c->pcb = NULL;
}

/* The connection is over: drop everything, queue closed(err). */
static void finish(struct conn *c, int err)
{
	if (c->gone)
		return;
	if (c->waiting_accept) {
		list_remove(&c->accept_link); /* the application never saw it */
		c->waiting_accept = false;
	}
	c->gone = true;
	c->close_err = err;
	mem_wait_end(c);
	mem_freed = true; /* its segments went back to lwIP's pools */
	stats.queued_bytes -= conn_queued(c);
	ioagg_release(&c->unsent);
	inflight_ack(c, UINT64_MAX);
	kfree(c->inflight);
	c->inflight = NULL;
	if (c->held) {
		pbuf_free(c->held);
		c->held = NULL;
		c->held_count = 0;
	}
	stats.active--;
	if (err)
		stats.resets++;
	schedule(c);
}

static void do_abort(struct conn *c)
{
	struct tcp_pcb *pcb = c->pcb;

	detach(c);
	if (pcb)
		tcp_abort(pcb);
	finish(c, -ECONNABORTED);
}

/* After an application callback run from an lwIP callback. */
static err_t callback_exit(struct conn *c)
{
	c->in_callback = false;
	if (!c->abort_requested)
		return ERR_OK;
	c->abort_requested = false;
	do_abort(c);
	return ERR_ABRT;
}

/* --- sending --- */

/* Give lwIP as much of `unsent` as the send buffer takes. A stop for
 * want of lwIP memory or a mapping puts c on mem_waiters (its own ACKs
 * may never come); any other end takes it off. */
/* Mappings taken ahead for the next slices of `unsent` (zero copy). */
struct premap {
	struct iobuf *buf[CONN_MAP_BATCH];
	void *va[CONN_MAP_BATCH];
	uint32_t n, next;
};

/* Map the buffers of the slices that the send buffer takes now, at
 * once. A mapping is a reference to its page's slot, so any one of a
 * buffer's serves any slice of it. */
static void premap_take(struct conn *c, struct premap *m)
{
	uint32_t room = tcp_sndbuf(c->pcb), count = ioagg_count(&c->unsent);

	m->n = m->next = 0;
	for (uint32_t i = 0; i < count && m->n < CONN_MAP_BATCH && room; i++) {
		const struct ioslice *s = ioagg_slice_at(&c->unsent, i);

		m->buf[m->n++] = s->buf;
		room -= MIN(room, s->len);
	}
	m->n = (uint32_t)iobuf_map_held_many(m->buf, m->n, m->va);
}

/* A mapping of buf: the next one taken ahead if it is buf's, else a new
 * one (NULL when no slot is spare). */
static char *premap_use(struct premap *m, struct iobuf *buf)
{
	if (m->next < m->n && m->buf[m->next] == buf)
		return m->va[m->next++];
	return iobuf_map_held(buf);
}

static void premap_drop(struct premap *m)
{
	iobuf_unmap_many(m->va + m->next, m->n - m->next);
	m->n = m->next = 0;
}

static void push(struct conn *c)
{
	bool wrote = false, short_of_mem = false;
	struct premap pre = { .n = 0 };

	if (!copy_mode && c->pcb && ioagg_len(&c->unsent))
		premap_take(c, &pre);
	while (c->pcb && ioagg_len(&c->unsent)) {
		const struct ioslice *s = ioagg_slice_at(&c->unsent, 0);
		uint32_t n = MIN(s->len, (uint32_t)tcp_sndbuf(c->pcb));
		u8_t flags = ioagg_len(&c->unsent) > n ? TCP_WRITE_FLAG_MORE :
							 0;
		char *va;
		err_t err;

		n = MIN(n, (uint32_t)UINT16_MAX);
		if (n == 0)
			break; /* send buffer full: our ACKs call again */
		if (!copy_mode && !inflight_reserve(c)) {
			short_of_mem = true;
			break;
		}
		/* Zero copy keeps the mapping until the ack: when none is
		 * spare, wait for acks (here or on other connections) to
		 * give some back; retried on the next ack or poll. */
		if (!lwip_port_tcp_segs_free()) {
			/* a tcp_write now would only allocate and fail */
			short_of_mem = true;
			break;
		}
		va = copy_mode ? iobuf_map(s->buf) : premap_use(&pre, s->buf);
		if (!va) {
			stats.map_waits++;
			short_of_mem = true;
			break;
		}
		if (copy_mode)
			flags |= TCP_WRITE_FLAG_COPY;
		err = tcp_write(c->pcb, va + s->off, (u16_t)n, flags);
		if (err != ERR_OK) {
			/* ERR_MEM: lwIP's segments, pbufs or heap ran out */
			iobuf_unmap(s->buf, va);
			stats.write_refused++;
			short_of_mem = true;
			break;
		}
		if (copy_mode) {
			/* lwIP has its own copy: the page can go. */
			iobuf_unmap(s->buf, va);
			stats.bytes_copied += n;
		} else {
			iobuf_ref(s->buf);
			c->inflight[(c->if_head + c->if_count++) % c->if_cap] =
				(struct tx_piece){ s->buf, va, n };
		}
		c->inflight_bytes += n;
		ioagg_consume(&c->unsent, n);
		wrote = true;
	}
	premap_drop(&pre);
	if (short_of_mem && c->pcb)
		mem_wait_begin(c);
	else if (!c->mem_writer)
		mem_wait_end(c);
	if (wrote)
		tcp_output(c->pcb);
}

/* A writer whose conn_write lwIP refused is told to try again. */
static void rerun_writer(struct conn *c)
{
	mem_wait_end(c);
	c->wake_writer = true;
	schedule(c);
}

/*
 * lwIP's memory came back (an ACK freed segments): rerun the stopped
 * sends, oldest first, before the acknowledged connection takes it all.
 * One that stops again goes to the back and ends the round: memory is
 * short again, and the next release goes on from there.
 */
static void rerun_mem_waiters(void)
{
	uint64_t n = stats.mem_waiting;

	while (n-- && lwip_port_tcp_segs_free()) {
		struct conn *w = list_first_entry_or_null(
			&mem_waiters, struct conn, mem_link);

		if (!w)
			break;
		stats.mem_reruns++;
		if (w->mem_writer) {
			rerun_writer(w);
			continue;
		}
		mem_wait_end(w);
		push(w);
		if (list_linked(&w->mem_link))
			break;
	}
}

/*
 * Close if asked to and drained. ERR_ABRT if the pcb had to be aborted
 * (which an lwIP callback must then return). Once lwIP has taken every
 * byte, its FIN is queued right behind them (TX shutdown: the callbacks
 * stay, so acknowledgements still release the pages): the peer reads
 * the end of the stream with the response. A FIN that waited for the
 * last ACK came after a client such as wrk had closed on its own, so
 * the client kept the TIME_WAIT and ran out of ports under short
 * connections (about 470 new connections a second from one address
 * with Linux's 60 s TIME_WAIT).
 */
static err_t try_close(struct conn *c)
{
	struct tcp_pcb *pcb = c->pcb;

	if (!c->closing || !pcb || ioagg_len(&c->unsent))
		return ERR_OK;
	if (conn_queued(c)) {
		if (!c->fin_queued) {
			/* ERR_MEM for the FIN: lwIP retries it itself
			 * (TF_CLOSEPEND); another error: tcp_close below. */
			c->fin_queued = true;
			tcp_shutdown(pcb, 0, 1);
		}
		return ERR_OK;
	}
	/* Everything is acknowledged: no page is referenced by lwIP. */
	detach(c);
	if (tcp_close(pcb) != ERR_OK) {
		/* Out of memory for the FIN: reset instead of leaking. */
		tcp_abort(pcb);
		finish(c, -ECONNABORTED);
		return ERR_ABRT;
	}
	finish(c, 0);
	return ERR_OK;
}

int conn_send(struct conn *c, struct ioagg *agg)
{
	uint64_t len = ioagg_len(agg);
	int err;

	if (c->gone || c->closing || !c->pcb) {
		ioagg_release(agg);
		return -ENOTCONN;
	}
	err = ioagg_concat(&c->unsent, agg);
	ioagg_release(agg);
	if (err)
		return err;
	stats.queued_bytes += len;
	c->sent_total += len;
	push(c);
	if (conn_queued(c) >= CONN_SEND_LOWAT)
		ecem_net_wait(c); /* no room for more: the sink waits */
	return 0;
}

/*
 * The copying write of a process-per-connection server: as many bytes
 * of `buf` as the send buffer takes now are copied into lwIP's own
 * buffers (nothing behind conn_send may be unsent: data stays in order).
 * Returns the count (0: full, wait for writable), or -ENOTCONN.
 */
long conn_write(struct conn *c, const void *buf, size_t len)
{
	uint32_t n;

	if (c->gone || c->closing || !c->pcb || c->abort_requested)
		return -ENOTCONN;
	if (ioagg_len(&c->unsent) || !inflight_reserve(c))
		return 0;
	n = (uint32_t)MIN(len, (size_t)tcp_sndbuf(c->pcb));
	n = MIN(n, (uint32_t)UINT16_MAX);
	if (n == 0)
		return 0; /* full: our ACKs call writable() */
	if (tcp_write(c->pcb, buf, (u16_t)n, TCP_WRITE_FLAG_COPY)) {
		stats.write_refused++;
		mem_wait_begin(c);
		c->mem_writer = true;
		return 0;
	}
	mem_wait_end(c);
	c->inflight[(c->if_head + c->if_count++) % c->if_cap] =
		(struct tx_piece){ NULL, NULL, n };
	c->inflight_bytes += n;
	stats.bytes_copied += n;
	stats.queued_bytes += n;
	c->sent_total += n;
	tcp_output(c->pcb);
	if (conn_queued(c) >= CONN_SEND_LOWAT)
		ecem_net_wait(c);
	return n;
}

static void forget_oldest_watch(struct conn *c)
{
	if (--c->nwatch)
		memmove(&c->watch[0], &c->watch[1],
			c->nwatch * sizeof(c->watch[0]));
}

/* The spans of the watched responses whose last byte is acknowledged. */
static void watch_done(struct conn *c, uint64_t now)
{
	while (c->nwatch && c->watch[0].at <= c->acked_total) {
		const struct ack_watch *w = &c->watch[0];

		trace_span(w->req, TRACE_ACK, w->queued_ns, now);
		trace_span(w->req, TRACE_DONE, w->start_ns, now);
		forget_oldest_watch(c);
	}
}

static void acked(struct conn *c, uint64_t n)
{
	c->acked_total += n;
	if (c->nwatch)
		watch_done(c, time_ns());
}

void conn_trace_ack(struct conn *c, uint64_t req, uint64_t start_ns,
		    uint64_t now)
{
	if (c->nwatch == CONN_ACK_WATCHES) /* deep pipeline: drop the oldest */
		forget_oldest_watch(c);
	c->watch[c->nwatch++] = (struct ack_watch){ .req = req,
						    .at = c->sent_total,
						    .queued_ns = now,
						    .start_ns = start_ns };
	watch_done(c, now);
}

uint64_t conn_queued(const struct conn *c)
{
	return ioagg_len(&c->unsent) + c->inflight_bytes;
}

/* After an ACK (and its splice): the network side of c's event pair is
 * WAIT while the queue is above the low-water mark, else READY, and a
 * connection that does not splice hears writable(). In a callback. */
static void net_side_update(struct conn *c, bool splicing)
{
	if (c->gone || c->closing)
		return;
	if (conn_queued(c) >= CONN_SEND_LOWAT) {
		ecem_net_wait(c);
		return;
	}
	ecem_net_ready(c); /* may run a delivery DED deferred */
	if (!splicing && !c->gone && !c->abort_requested)
		c->l->cb->writable(c->ctx);
}

/* Run the splice of the bytes ACKs left for the work list (prio=on). */
static void splice_deferred(struct conn *c)
{
	uint32_t n = c->splice_acked;

	c->splice_acked = 0;
	if (!n || c->gone || c->closing || !ecem_splices(c))
		return;
	stats.splices_ordered++;
	ecem_net_acked(c, n);
	push(c);
	net_side_update(c, true);
}

/*
 * The ACK path (soft-interrupt context). A connection correlated with a
 * splicing disk source (ECEM DNS) reports the acknowledged bytes to it,
 * which appends as many new bytes right here; the application is not
 * woken. With prio=on the splice waits for the end of the poll pass
 * instead, on the work list, which runs the most urgent connections
 * first: a pass's ACKs then splice by urgency, not by arrival. Otherwise,
 * and for the send-space events ECEM keeps, the usual low-water
 * writable() callback.
 */
static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
	struct conn *c = arg;
	bool splicing = ecem_splices(c);

	(void)pcb;
	inflight_ack(c, len);
	acked(c, len);
	stats.bytes_out += len;
	stats.queued_bytes -= len;
	rerun_mem_waiters();
	if (splicing && !c->gone && !c->closing && prio_enforced()) {
		c->splice_acked += len;
		schedule(c);
		push(c);
		return try_close(c);
	}
	if (splicing && !c->gone && !c->closing) {
		c->in_callback = true;
		ecem_net_acked(c, len);
		if (callback_exit(c) == ERR_ABRT)
			return ERR_ABRT;
	}
	push(c);
	if (try_close(c) == ERR_ABRT)
		return ERR_ABRT;
	c->in_callback = true;
	net_side_update(c, splicing);
	return callback_exit(c);
}

/* --- receiving --- */

/*
 * Hand held data to the application, one pbuf at a time, until it pauses
 * or goes away; then the FIN, once nothing is held. The chain's link to
 * the next pbuf owns a reference, which `held` takes over when the first
 * pbuf is cut off.
 */
static void deliver(struct conn *c)
{
	if (c->waiting_accept)
		return; /* no application yet: keep it held */
	while (c->held && !c->paused && !c->gone && !c->abort_requested) {
		struct pbuf *q = c->held;
		u16_t len = q->len;
		size_t took;

		c->held = q->next;
		c->held_count--;
		q->next = NULL;
		q->tot_len = len;
		took = c->l->cb->recv(c->ctx, q->payload, len);
		took = MIN(took, (size_t)len);
		stats.bytes_in += took;
		if (c->pcb)
			tcp_recved(c->pcb, (u16_t)took);
		if (took < len && !c->gone) {
			/* Paused with bytes left: they stay first in line. */
			pbuf_remove_header(q, (u16_t)took);
			if (c->held)
				pbuf_cat(q, c->held); /* q takes over its ref */
			c->held = q;
			c->held_count++;
			if (!c->paused)
				break; /* a recv that neither took nor paused */
			continue;
		}
		pbuf_free(q);
	}
	if (c->fin && !c->held && !c->paused && !c->gone &&
	    !c->abort_requested) {
		c->fin = false;
		c->l->cb->eof(c->ctx);
	}
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
	struct conn *c = arg;

	(void)pcb;
	(void)err;
	if (p && c->paused && c->held_count >= CONN_HELD_PBUFS_MAX) {
		/* Each segment pins a whole RX page, however small: a peer
		 * that trickles tiny segments to a reader that is not
		 * reading would drain the RX ring. Refused, p stays with
		 * lwIP, which drops further data unacknowledged (the peer
		 * retransmits) and offers p again from its timer. */
		stats.recv_refused++;
		return ERR_MEM;
	}
	if (!p)
		c->fin = true;
	else if (c->held)
		pbuf_cat(c->held, p);
	else
		c->held = p;
	if (p)
		c->held_count += pbuf_clen(p);
	c->in_callback = true;
	deliver(c);
	return callback_exit(c);
}

void conn_recv_pause(struct conn *c, bool pause)
{
	c->paused = pause;
	if (!pause && (c->held || c->fin))
		schedule(c);
}

/* --- teardown --- */

void conn_close(struct conn *c)
{
	if (c->gone || c->closing)
		return;
	c->closing = true;
	if (c->in_callback && !conn_queued(c)) {
		/* An abort inside try_close must reach lwIP as ERR_ABRT:
		 * close from the deferred-work poller instead. */
		schedule(c);
		return;
	}
	try_close(c);
}

void conn_abort(struct conn *c)
{
	if (c->gone)
		return;
	if (c->in_callback) {
		c->abort_requested = true;
		return;
	}
	do_abort(c);
}

static void on_err(void *arg, err_t err)
{
	struct conn *c = arg;

	/* lwIP has already freed the pcb. */
	c->pcb = NULL;
	finish(c, lwip_err_to_errno(err));
}

/* Periodic retry of a push or close that ran out of lwIP memory: the
 * last resort, after rerun_mem_waiters. A waiter with nothing in flight
 * found here waited for this timer: a lost wake-up, counted. */
static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
	struct conn *c = arg;

	(void)pcb;
	if (list_linked(&c->mem_link) && !c->inflight_bytes)
		stats.mem_wait_lost++;
	if (c->mem_writer)
		rerun_writer(c);
	push(c);
	return try_close(c);
}

/*
 * closed() for every finished connection on the deferred list, before a
 * new one is offered: the application counts live connections against
 * its limit, and a client that saw our FIN and connected again at once
 * must not find the old connection still counted. Returns the count.
 */
static int run_closed(void)
{
	struct conn **pp = &work_list;
	int n = 0;

	while (*pp) {
		struct conn *c = *pp;

		if (!c->gone) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		c->next = NULL;
		if (c->ctx) /* else the application never had it */
			c->l->cb->closed(c->ctx, c->close_err);
		kfree(c);
		n++;
	}
	return n;
}

static struct conn *conn_of_accept(struct list_node *n)
{
	return list_entry(n, struct conn, accept_link);
}

static uint8_t accept_urgency(struct list_node *n)
{
	return conn_of_accept(n)->urgency;
}

/* The slot of a client address in peer_urgency. */
static unsigned int peer_slot(uint32_t addr)
{
	return (unsigned int)((addr * 2654435761u) >> 16) %
	       CONN_PEER_URGENCY_SLOTS;
}

/* The last urgency a request from c's peer had, or the default. */
static uint8_t peer_last_urgency(const struct conn *c)
{
	uint32_t addr = ip4_addr_get_u32(ip_2_ip4(&c->pcb->remote_ip));
	unsigned int slot = peer_slot(addr);

	if (addr && peer_urgency[slot].addr == addr)
		return peer_urgency[slot].urgency;
	return CAUSAL_URGENCY_DEFAULT;
}

void conn_set_urgency(struct conn *c, uint8_t urgency)
{
	uint32_t addr;
	unsigned int slot;

	c->urgency = (uint8_t)MIN(urgency, (uint8_t)CAUSAL_URGENCY_MAX);
	if (!c->pcb)
		return;
	addr = ip4_addr_get_u32(ip_2_ip4(&c->pcb->remote_ip));
	slot = peer_slot(addr);
	peer_urgency[slot].addr = addr;
	peer_urgency[slot].urgency = c->urgency;
}

/* Put c on the accept queue, by urgency. */
static void wait_accept(struct conn *c)
{
	c->waiting_accept = true;
	if (insert_by_urgency(&accept_queue, &c->accept_link, c->urgency,
			      accept_urgency))
		prio_class(c->urgency)->accepts_jumped++;
}

/*
 * After the application refused c: may c wait for room instead of being
 * reset? Yes while the application says the room is held by connections
 * that are only finishing, for CONN_ACCEPT_ROOM_WAIT_MS at most.
 *
 * Why wait rather than count finishing connections as gone: with one
 * stack per CPU, a client's last ACK may reach one CPU and its next SYN
 * another, with no order between them; the SYN's CPU cannot run the
 * other's closed() (its lwIP is that CPU's alone), and a global lock
 * on the accept path would serialise the CPUs. A connection still
 * holds its send queue until that ACK, so freeing its slot earlier
 * would let conn_max no longer bound the memory of responses in
 * flight. Waiting a pass or two costs this CPU some loop passes (the
 * loop does not halt while the accept queue is not empty) and nothing
 * global; the bound keeps a peer that never ACKs from holding accepts
 * here longer than a refusal would.
 */
static bool may_wait_for_room(struct conn *c)
{
	uint64_t now = time_ns();

	if (!c->l->cb->accept_later || !c->l->cb->accept_later(c->l->ctx))
		return false;
	if (!c->room_waiting) {
		c->room_waiting = true;
		c->room_wait_since_ns = now;
		stats.accept_room_waits++;
		return true;
	}
	if (now - c->room_wait_since_ns <
	    (uint64_t)CONN_ACCEPT_ROOM_WAIT_MS * 1000000)
		return true;
	stats.accept_room_timeouts++;
	return false;
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
	const struct listener *l = arg;
	struct conn *c;

	if (err != ERR_OK || !pcb)
		return ERR_VAL;
	c = kzalloc(sizeof(*c));
	if (!c) {
		stats.refused++;
		tcp_abort(pcb);
		return ERR_ABRT;
	}
	c->head.instance = instance;
	c->pcb = pcb;
	c->l = l;
	c->urgency = peer_last_urgency(c);
	ioagg_init(&c->unsent);
	if (!list_empty(&accept_queue) ||
	    (accept_limit && accepted_this_pass >= accept_limit)) {
		/* Over this pass's budget (or others wait before it). */
		wait_accept(c);
		stats.accept_deferred++;
	} else {
		run_closed();
		c->ctx = l->cb->accept(l->ctx, c);
		if (!c->ctx && may_wait_for_room(c)) {
			wait_accept(c);
		} else if (!c->ctx) {
			stats.refused++;
			kfree(c);
			tcp_abort(pcb);
			return ERR_ABRT;
		} else {
			accepted_this_pass++;
			stats.accepted++;
		}
	}
	stats.active++;
	tcp_arg(pcb, c);
	tcp_recv(pcb, on_recv);
	tcp_sent(pcb, on_sent);
	tcp_err(pcb, on_err);
	tcp_poll(pcb, on_poll, CONN_POLL_INTERVAL);
	/* Responses are written with TCP_WRITE_FLAG_MORE and pushed whole;
	 * Nagle would only hold back the last segment of each. */
	tcp_nagle_disable(pcb);
	return ERR_OK;
}

/* The urgency the TX-backlog rerun (tcp_room.c) gives a PCB whose
 * callback arg is `arg`: its connection's with prio=on, else 0 (every
 * connection in turn, as before priorities). */
static unsigned int tx_urgency(void *arg)
{
	const struct conn *c = arg;

	return prio_enforced() ? c->urgency : 0;
}

int conn_listen(uint16_t port, const struct conn_callbacks *cb, void *ctx)
{
	struct listener *l = kzalloc(sizeof(*l));
	struct tcp_pcb *pcb;
	err_t err;

	if (!l)
		return -ENOMEM;
	pcb = tcp_new();
	if (!pcb) {
		kfree(l);
		return -ENOMEM;
	}
	err = tcp_bind(pcb, IP_ANY_TYPE, port);
	if (err != ERR_OK) {
		tcp_abort(pcb);
		kfree(l);
		return lwip_err_to_errno(err);
	}
	l->cb = cb;
	l->ctx = ctx;
	l->pcb = tcp_listen(pcb);
	if (!l->pcb) {
		tcp_abort(pcb);
		kfree(l);
		return -ENOMEM;
	}
	tcp_arg(l->pcb, l);
	tcp_accept(l->pcb, on_accept);
	lwip_port_tx_urgency_fn(tx_urgency);
	return 0;
}

/* Hand queued connections to the application, within the pass's
 * budget; one it refuses is reset. */
static int hand_accepts(void)
{
	int n = 0;

	while (!list_empty(&accept_queue) &&
	       (!accept_limit || accepted_this_pass < accept_limit)) {
		struct conn *c = conn_of_accept(list_pop_head(&accept_queue));

		c->waiting_accept = false;
		n++;
		c->ctx = c->l->cb->accept(c->l->ctx, c);
		if (!c->ctx && may_wait_for_room(c)) {
			/* First in line again; the rest wait behind it (no
			 * room for them either) until a later pass. */
			c->waiting_accept = true;
			list_add_head(&accept_queue, &c->accept_link);
			break;
		}
		if (!c->ctx) {
			stats.refused++;
			do_abort(c);
			continue;
		}
		accepted_this_pass++;
		stats.accepted++;
		if (c->held || c->fin)
			schedule(c);
	}
	return n;
}

/* Deferred work: accepts over the last pass's budget, held data after a
 * resume, and closed() callbacks. Ends the pass's accept budget. */
static int conn_poll(void *arg)
{
	int n = run_closed() + hand_accepts();
	uint64_t held_wakes = sfbuf_held_wakes(cpu_self());

	(void)arg;
	if (held_wakes != held_wakes_seen) {
		held_wakes_seen = held_wakes;
		if (stats.mem_waiting) {
			stats.map_wakes++;
			mem_freed = true;
		}
	}
	if (mem_freed) {
		mem_freed = false;
		rerun_mem_waiters();
	}
	while (work_list) {
		struct conn *c = work_list;

		work_list = c->next;
		c->next = NULL;
		n++;
		if (c->gone) {
			if (c->ctx) /* else the application never had it */
				c->l->cb->closed(c->ctx, c->close_err);
			kfree(c);
			continue;
		}
		c->in_callback = true;
		splice_deferred(c);
		deliver(c);
		if (c->wake_writer && !c->gone && !c->abort_requested) {
			c->wake_writer = false;
			c->l->cb->writable(c->ctx);
		}
		c->in_callback = false;
		if (c->abort_requested) {
			c->abort_requested = false;
			do_abort(c);
		} else {
			try_close(c);
		}
	}
	accepted_this_pass = 0;
	/* Connections still queued: the loop must not halt on them. */
	return n + !list_empty(&accept_queue);
}

const char *conn_peer(const struct conn *c, char *buf, size_t size)
{
	if (!c->pcb) {
		snprintf(buf, size, "(closed)");
		return buf;
	}
	snprintf(buf, size, "%s:%u", ip4addr_ntoa(ip_2_ip4(&c->pcb->remote_ip)),
		 c->pcb->remote_port);
	return buf;
}

void conn_get_stats(struct conn_stats *st)
{
	*st = stats;
}

/* Not an init call: this file is linked once per network-stack
 * instance (net/build.mk), and net/netinst.c runs each instance's
 * deferred work from that instance's poller. */
void conn_set_instance(uint32_t id)
{
	instance = id;
}

int conn_run_deferred(void)
{
	return conn_poll(NULL);
}
