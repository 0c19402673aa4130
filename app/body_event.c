// SPDX-License-Identifier: MIT
/*
 * HTTP/1.1 server, model=event: a file's body (see http_conn.h). It is
 * read from the page cache in windows of `send_window` bytes through
 * LAIO and handed to the connection as aggregates of page references;
 * the next window is read when the unacknowledged data falls low, or
 * waits while the pinned pages pass `pin_budget_pct` of the pool. With
 * ECEM disk-to-network splicing (`ecem=dns|all`) only the first window
 * goes that way: after it, every acknowledgement appends as many bytes
 * from the page cache in the ACK path (in batches of `splice_min`), and
 * a disk completion resumes a splice that found its pages uncached; the
 * application is not woken. It also owns the connection's event pair.
 */
#define PR_PREFIX "http: "
#include <stdbool.h>

#include "app/http_conn.h"
#include "fs/file.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/printk.h"
#include "kernel/io/ecem.h"
#include "kernel/io/iobuf.h"
#include "kernel/io/prio.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/param.h"
#include "kernel/sched/laio.h"
#include "kernel/sched/timer.h"
#include "net/conn.h"

static uint64_t pin_budget_pct = 90;
KPARAM_UINT(pin_budget_pct, pin_budget_pct, 10, 100,
	    "pinned pool pages (% of the pool) beyond which responses wait");
static uint64_t splice_min = 16 << 10;
KPARAM_UINT(splice_min, splice_min, 1, 1 << 20,
	    "DNS: acknowledged bytes gathered before a splice (1: every ACK)");
static uint64_t send_window = 256 << 10;
KPARAM_UINT(send_window, send_window, PAGE_SIZE, 64 << 20,
	    "body bytes read from the cache per window");

static void window_read(void *arg, int err);
static void splice_more(struct http_conn *hc);

static uint64_t prio_reserve_pct = 10;
KPARAM_UINT(prio_reserve_pct, prio_reserve_pct, 0, 90,
	    "prio=on: pool share (%) only urgent responses (u < 3) may pin");

/* The pin budget of a response of `urgency`, in % of the pool. With
 * prio=on the less urgent (u > 3) stop `prio_reserve_pct` below the
 * budget and the urgent (u < 3) may pin that much beyond it: when the
 * pool runs short, low priority waits first and urgent responses still
 * find pages. */
static uint64_t pin_budget_of(uint8_t urgency)
{
	if (!prio_enforced() || urgency == CAUSAL_URGENCY_DEFAULT)
		return pin_budget_pct;
	if (urgency > CAUSAL_URGENCY_DEFAULT)
		return pin_budget_pct > prio_reserve_pct + 10 ?
			       pin_budget_pct - prio_reserve_pct :
			       10;
	return MIN(pin_budget_pct + prio_reserve_pct, 100ull);
}

/* Over the pinned-page budget: responses in flight hold what the pool
 * has; more would only take the pages their acknowledgements free. */
static bool pool_pressed(uint8_t urgency)
{
	struct iobuf_stats io;

	iobuf_get_stats(&io);
	return io.pinned_pages * 100 >= io.pool_pages * pin_budget_of(urgency);
}

/* The blocking read LAIO runs on a spare stack (laio=off: right here). */
static int read_op(void *arg)
{
	struct http_conn *hc = arg;

	return fs_read_sync(hc->file, hc->body_off, hc->read_len, &hc->window,
			    &hc->cause);
}

/* Read `len` more body bytes into hc->window; window_read sends them. */
static void read_body(struct http_conn *hc, uint64_t len)
{
	int err;

	hc->read_pending = true;
	hc->read_len = len;
	hc_trace_read_start(hc);
	if (hc->pair & ECEM_F_DNS) {
		/* The ACK path must not block, nor pay two stack switches a
		 * splice: a miss starts the reads (and readahead) and the
		 * disk completion resumes through the event pair. */
		ecem_disk_wait(hc);
		err = fs_read(hc->file, hc->body_off, len, &hc->window,
			      window_read, hc, &hc->cause);
	} else {
		err = hc_laio_call(hc, read_op, window_read);
		if (err == -EINPROGRESS)
			hc_trace_blocked(hc);
	}
	if (err == -EINPROGRESS)
		return;
	window_read(hc, err);
}

/* The body is queued whole (or was empty): next request, or close. */
static bool body_done(struct http_conn *hc)
{
	if (hc->body_off != hc->body_end)
		return false;
	if (!hc->head_sent)
		hc_flush(hc, false);
	hc_response_done(hc);
	return true;
}

/* Whether this response must wait for the pinned-page budget: only one
 * with bytes in flight does (their ACKs will come), so every connection
 * can always move. */
static bool pin_wait(struct http_conn *hc)
{
	if (!conn_queued(hc->c) || !pool_pressed(hc->cause.urgency))
		return false;
	hc_stats.pin_waits++;
	prio_class(hc->cause.urgency)->pin_waits++;
	timer_arm_in(&hc->retry, NOMEM_RETRY_MS * MS);
	return true;
}

/* Read the next window of the body; sends it when it is in. */
void hc_next_window(struct http_conn *hc)
{
	if (hc->read_pending || hc->state != BODY || body_done(hc) ||
	    pin_wait(hc))
		return;
	read_body(hc, MIN(send_window, hc->body_end - hc->body_off));
}

/* Replace acknowledged bytes with as many new ones (DNS). */
static void splice_more(struct http_conn *hc)
{
	uint64_t len;

	if (hc->read_pending || hc->state != BODY || body_done(hc))
		return;
	len = MIN(hc->credit, hc->body_end - hc->body_off);
	/* A read per ACK costs more than the bytes it moves: gather a few
	 * (the bytes in flight stay the same, only the batches grow). */
	if (!len || (len < splice_min && len < hc->body_end - hc->body_off))
		return;
	hc->credit -= len;
	read_body(hc, len);
}

/* ECEM DNS, from the ACK path: `bytes` left the send queue. */
static void splice_acked(void *arg, uint32_t bytes)
{
	struct http_conn *hc = arg;

	hc->credit += bytes;
	hc->in_ack = true;
	splice_more(hc);
	hc->in_ack = false;
}

/* ECEM delivery: the splice's pages are in; send them, go on. */
static void splice_read_done(void *arg)
{
	struct http_conn *hc = arg;
	uint64_t n = ioagg_len(&hc->window);

	if (hc->head_sent) /* the first window is the application's */
		*(hc->in_ack ? &hc_stats.spliced_ack_bytes :
			       &hc_stats.spliced_disk_bytes) += n;
	hc->body_off += n;
	hc_flush(hc, true);
	splice_more(hc);
}

static const struct ecem_ops splice_ops = {
	.deliver = splice_read_done,
	.acked = splice_acked,
};

/* Drive this response's body by ACKs if ECEM allows it. */
static void splice_begin(struct http_conn *hc)
{
	if (!(ecem_enabled() & ECEM_F_DNS) || hc->body_off == hc->body_end)
		return;
	if (ecem_add(hc, hc->c, ECEM_F_DNS, &splice_ops, hc))
		return; /* no memory for the pair: plain windows */
	hc->pair = ECEM_F_DNS;
	hc->credit = 0;
	hc_trace_pair(hc, true);
	hc_stats.responses_spliced++;
}

/* DNS batches: acknowledged bytes gathered before a splice. */
uint64_t hc_splice_min(void)
{
	return splice_min;
}

/* Drop the connection's event pair, DNS or DED, if it has one. */
void hc_pair_end(struct http_conn *hc)
{
	if (!hc->pair)
		return;
	hc_trace_pair(hc, false);
	ecem_del(hc, hc->c, hc->pair);
	hc->pair = 0;
}

/* A body read failed: a 500 (503 for a dead disk) if nothing of the
 * response went out yet, else the only honest thing, an abort. */
static void read_failed(struct http_conn *hc, int err)
{
	pr_warn("read error %s", errname(err));
	ioagg_release(&hc->window);
	if (hc->head_sent) {
		hc_stats.aborted_mid_body++;
		hc_abort(hc);
		return;
	}
	hc_stats.status[http_status_slot(hc->status)]--;
	ioagg_release(&hc->head);
	hc->keep_alive = false;
	hc->state = HEAD;
	hc_pair_end(hc);
	hc_answer_error(hc, hc_disk_gone(err) ? 503 : 500, false);
}

/* An fs read of a body window is done (or failed): send it, go on. */
static void window_read(void *arg, int err)
{
	struct http_conn *hc = arg;

	hc->read_pending = false;
	if (hc->dead) {
		hc_free(hc);
		return;
	}
	if (hc->state != BODY)
		return; /* aborted meanwhile; closed() will free */
	hc_trace_read_done(hc, hc->pair & ECEM_F_DNS);
	if (err == -ENOMEM || err == -EAGAIN) {
		/* Every pool page is pinned by responses in flight (or the
		 * volume's metadata is held by a sleeping thread): wait for
		 * some to be acknowledged instead of failing this one. */
		ioagg_release(&hc->window);
		hc_stats.nomem_waits++;
		hc->credit += (hc->pair & ECEM_F_DNS) ? hc->read_len : 0;
		timer_arm_in(&hc->retry, NOMEM_RETRY_MS * MS);
		return;
	}
	if (err) {
		read_failed(hc, err);
		return;
	}
	if (hc->pair & ECEM_F_DNS) {
		ecem_disk_ready(hc); /* delivers: splice_read_done */
		return;
	}
	hc->body_off += ioagg_len(&hc->window);
	hc_flush(hc, true);
	/* Keep one window in flight beyond what the peer has acked. */
	if (conn_queued(hc->c) < send_window)
		hc_next_window(hc);
}

/* Start the body of the response in hc->head (state BODY). */
void hc_event_body_start(struct http_conn *hc)
{
	splice_begin(hc);
	hc_next_window(hc);
}

/* The retry timer fired on a body: the pool or the budget may have room. */
void hc_body_retry(struct http_conn *hc)
{
	if (hc->pair & ECEM_F_DNS)
		splice_more(hc);
	else
		hc_next_window(hc);
}
