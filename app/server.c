// SPDX-License-Identifier: MIT
/*
 * HTTP/1.1 server (interface and rules in server.h).
 *
 * Connection states:
 *   IDLE     waiting for the first byte of a request (idle timer armed)
 *   HEAD     some bytes of a request head are in (header timer armed)
 *   OPENING  the request's file open blocked (LAIO continuation); the
 *            request stays buffered and is parsed again when it is done
 *   BODY     a response is being produced: head queued, body windows
 *            read from the page cache one at a time
 *   CLOSING  conn_close()/conn_abort() called, waiting for closed()
 *
 * Ownership: struct http_conn belongs to the connection; it is freed in
 * closed(), or, when an fs_read is still in flight then, by that read's
 * completion (the `dead` flag). The response aggregate `window` belongs
 * to the in-flight read until it completes, then is handed to conn_send,
 * which consumes it.
 */
#define PR_PREFIX "http: "
#include "app/server.h"

#include <stdbool.h>

#include "app/http_cond.h"
#include "app/http_param.h"
#include "app/http_parser.h"
#include "app/http_path.h"
#include "app/http_range.h"
#include "app/http_response.h"
#include "app/mime.h"
#include "fs/file.h"
#include "kernel/arch/rtc.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/initcall.h"
#include "kernel/core/printk.h"
#include "kernel/io/ecem.h"
#include "kernel/io/iobuf.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/memplan.h"
#include "kernel/param.h"
#include "kernel/sched/laio.h"
#include "kernel/sched/thread.h"
#include "kernel/sched/timer.h"
#include "net/conn.h"

#define IN_INITIAL 2048 /* receive buffer at first; grows on demand */
#define IN_MAX (HTTP_LINE_MAX + HTTP_HEADERS_MAX + 2) /* + CRLF */
#define HEAD_BUF_PAGES 1 /* response head + small bodies */
#define STATS_BUF_PAGES 4 /* /_stats JSON */
#define INDEX_FILE "index.html"
#define STATS_PATH "/_stats"
#define MS 1000000ull
#define NOMEM_RETRY_MS 5 /* pool exhausted: try the window again */
#define THREAD_BUF_SIZE (64u << 10) /* model=threads: the process buffer */

static uint64_t port = 80;
KPARAM_UINT(port, port, 1, 65535, "TCP port of the HTTP server");
static uint64_t conn_max; /* 0: the memory plan's */
KPARAM_UINT(conn_max, conn_max, 0, 1000000,
	    "connections served at once (0: sized from memory)");
static uint64_t header_timeout_ms = 5000;
KPARAM_UINT(header_timeout_ms, header_timeout_ms, 10, 3600000,
	    "time to receive a whole request head");
static uint64_t idle_timeout_ms = 15000;
KPARAM_UINT(idle_timeout_ms, idle_timeout_ms, 10, 3600000,
	    "keep-alive idle time before the server closes");
static uint64_t pin_budget_pct = 90;
KPARAM_UINT(pin_budget_pct, pin_budget_pct, 10, 100,
	    "pinned pool pages (% of the pool) beyond which responses wait");
static uint64_t header_budget_kb = 8192;
KPARAM_UINT(header_budget_kb, header_budget_kb, 64, 1 << 20,
	    "receive buffers of all connections together, KiB");
static uint64_t splice_min = 16 << 10;
KPARAM_UINT(splice_min, splice_min, 1, 1 << 20,
	    "DNS: acknowledged bytes gathered before a splice (1: every ACK)");
static uint64_t send_window = 256 << 10;
KPARAM_UINT(send_window, send_window, PAGE_SIZE, 64 << 20,
	    "body bytes read from the cache per window");

enum conn_state { IDLE, HEAD, OPENING, BODY, CLOSING };

enum server_model { MODEL_EVENT, MODEL_THREADS };
static const char *const model_names[] = { "event", "threads", NULL };
static int model = MODEL_EVENT;
KPARAM_ENUM(model, model, model_names,
	    "event (one loop, zero copy) | threads (thread per connection)");

struct http_conn {
	struct conn *c; /* [m] NULL once closed() ran */
	enum conn_state state; /* [m] */
	char *in; /* [m] received, not yet parsed */
	size_t in_len, in_cap; /* [m] */
	struct http_parse_state ps; /* [m] */
	struct timer timer; /* [m] header or idle deadline */
	struct timer retry; /* [m] pool exhausted: read the window again */
	bool keep_alive; /* [m] of the response in progress */
	bool peer_eof; /* [m] */
	bool read_pending; /* [m] an fs operation owns hc (and `window`) */
	bool dead; /* [m] closed() ran while a read was pending */
	bool head_sent; /* [m] status committed */
	bool parsing; /* [m] inside serve_pipeline: it picks up the next */
	unsigned int pair; /* [m] ECEM_F_* of the pair (hc, c); 0: none */
	bool in_ack; /* [m] inside the pair's acked() */
	uint64_t credit; /* [m] acknowledged bytes not yet replaced */
	uint64_t read_len; /* [m] bytes of the read in flight */
	char open_path[HTTP_PATH_MAX + sizeof(INDEX_FILE) + 1]; /* [m] */
	struct file *open_file; /* [m] result of the open of open_path */
	int open_err; /* [m] */
	bool open_ready; /* [m] a finished open waits for the re-parse */
	/* model=threads: the body is written by this connection's thread */
	struct thread *thread; /* [m] */
	char *tbuf; /* [m] its process buffer, THREAD_BUF_SIZE */
	bool body_job; /* [m] a body is owed: the thread's work channel */
	bool thread_quit; /* [m] the connection is gone: exit */
	bool read_done; /* [m] the thread's read was delivered */
	bool write_wait; /* [m] channel: the send buffer was full */
	bool deferred; /* [m] the last read's delivery was deferred */
	int read_err; /* [m] */
	struct ioagg head; /* [m] response head, waiting for the body */
	struct ioagg window; /* [m] body bytes being read */
	struct file *file; /* [m] body source */
	uint64_t body_off, body_end; /* [m] bytes still to read */
	int status; /* [m] of the response in progress */
};

static struct http_stats stats; /* [m] */
static uint64_t in_bytes; /* [m] receive buffers of all connections */

/* Over the pinned-page budget: responses in flight hold what the pool
 * has; more would only take the pages their acknowledgements free. */
static bool pool_pressed(void)
{
	struct iobuf_stats io;

	iobuf_get_stats(&io);
	return io.pinned_pages * 100 >= io.pool_pages * pin_budget_pct;
}

static void serve_pipeline(struct http_conn *hc);
static void next_window(struct http_conn *hc);
static void splice_more(struct http_conn *hc);
static void pair_end(struct http_conn *hc);
static void thread_body_start(struct http_conn *hc);
static bool grow_in(struct http_conn *hc, size_t n);

static void count_status(int status)
{
	if (status >= HTTP_STATUS_MIN && status <= HTTP_STATUS_MAX)
		stats.status[status]++;
}

static void free_conn(struct http_conn *hc)
{
	timer_cancel(&hc->timer);
	timer_cancel(&hc->retry);
	ioagg_release(&hc->head);
	ioagg_release(&hc->window);
	in_bytes -= hc->in_cap;
	kfree(hc->in);
	kfree(hc->tbuf);
	kfree(hc);
	stats.active--;
}

/* Tear the connection down now (errors, timeouts, bad requests after
 * their answer is queued use conn_close instead). */
static void abort_conn(struct http_conn *hc)
{
	if (hc->state == CLOSING)
		return;
	hc->state = CLOSING;
	timer_cancel(&hc->timer);
	pair_end(hc);
	conn_abort(hc->c);
}

static void close_conn(struct http_conn *hc)
{
	if (hc->state == CLOSING)
		return;
	hc->state = CLOSING;
	timer_cancel(&hc->timer);
	pair_end(hc);
	conn_close(hc->c);
}

static void timed_out(struct timer *t, void *arg)
{
	struct http_conn *hc = arg;

	(void)t;
	if (hc->state == HEAD)
		stats.timeouts_header++;
	else if (hc->state == BODY)
		stats.timeouts_send++;
	else
		stats.timeouts_idle++;
	abort_conn(hc);
}

static void arm(struct http_conn *hc, uint64_t ms)
{
	timer_arm_in(&hc->timer, ms * MS);
}

/* --- response heads --- */

/*
 * Build the head (and, for small generated answers, the body) of a
 * response into a fresh pool buffer and append it to hc->head.
 * 0, or -ENOMEM when the pool is exhausted.
 */
static int queue_head(struct http_conn *hc, const struct http_response *r,
		      const char *body, size_t body_len)
{
	struct iobuf *b = iobuf_alloc(HEAD_BUF_PAGES * PAGE_SIZE, NULL, NULL);
	char *va;
	int n, err;

	if (!b)
		return -ENOMEM;
	va = iobuf_map(b);
	n = http_response_head(va, HEAD_BUF_PAGES * PAGE_SIZE, r);
	if (n >= 0 && body_len <= HEAD_BUF_PAGES * PAGE_SIZE - (size_t)n) {
		if (body_len)
			memcpy(va + n, body, body_len);
		n += (int)body_len;
	} else if (n >= 0) {
		n = -ENOSPC;
	}
	iobuf_unmap(b, va);
	if (n < 0) {
		iobuf_unref(b);
		return n;
	}
	iobuf_seal(b, (uint32_t)n);
	err = ioagg_append(&hc->head, b, 0, (uint32_t)n);
	iobuf_unref(b);
	return err;
}

static struct http_response base_response(struct http_conn *hc, int status)
{
	return (struct http_response){ .status = status,
				       .date = rtc_now(),
				       .keep_alive = hc->keep_alive };
}

/* Send what is queued in hc->head (and `window` if given) now. */
static void flush(struct http_conn *hc, bool with_window)
{
	if (with_window) {
		stats.body_bytes += ioagg_len(&hc->window);
		ioagg_concat(&hc->head, &hc->window);
		ioagg_release(&hc->window);
	}
	if (ioagg_len(&hc->head))
		conn_send(hc->c, &hc->head);
	hc->head_sent = true;
	/* A reader that stops reading must not hold us forever. */
	arm(hc, idle_timeout_ms);
}

/* The response is queued whole: next request, or close. */
static void response_done(struct http_conn *hc)
{
	pair_end(hc);
	hc->file = NULL;
	if (!hc->keep_alive || hc->peer_eof) {
		close_conn(hc);
		return;
	}
	hc->state = IDLE;
	arm(hc, idle_timeout_ms);
	if (!hc->parsing)
		serve_pipeline(hc);
}

/* Answer with a generated page (errors, redirects, 304, /_stats). */
static void answer(struct http_conn *hc, struct http_response *r,
		   const char *body, size_t body_len, bool head_only)
{
	hc->status = r->status;
	count_status(r->status);
	r->content_length = body_len;
	if (queue_head(hc, r, body, head_only ? 0 : body_len)) {
		abort_conn(hc); /* pool exhausted: nothing sensible to send */
		return;
	}
	flush(hc, false);
	response_done(hc);
}

static void answer_error(struct http_conn *hc, int status, bool head_only)
{
	char body[HTTP_ERROR_BODY_SIZE];
	struct http_response r;
	int n;

	/* Client errors on the framing leave the stream unusable. */
	if (status == 400 || status == 414 || status == 431 || status == 505 ||
	    status == 501)
		hc->keep_alive = false;
	r = base_response(hc, status);
	n = http_error_body(body, sizeof(body), status);
	r.content_type = "text/html; charset=utf-8";
	answer(hc, &r, body, n > 0 ? (size_t)n : 0, head_only);
}

/* Append `len` bytes of `data` to `agg` in one-page pool buffers. */
static int append_copy(struct ioagg *agg, const char *data, size_t len)
{
	while (len) {
		uint32_t n = (uint32_t)MIN(len, (size_t)PAGE_SIZE);
		struct iobuf *b = iobuf_alloc(n, NULL, NULL);
		char *va;
		int err;

		if (!b)
			return -ENOMEM;
		va = iobuf_map(b);
		memcpy(va, data, n);
		iobuf_unmap(b, va);
		iobuf_seal(b, n);
		err = ioagg_append(agg, b, 0, n);
		iobuf_unref(b);
		if (err)
			return err;
		data += n;
		len -= n;
	}
	return 0;
}

static void answer_stats(struct http_conn *hc, bool head_only)
{
	size_t size = STATS_BUF_PAGES * PAGE_SIZE;
	char *json = kmalloc(size);
	struct http_response r;
	int n, err;

	if (!json) {
		answer_error(hc, 503, head_only);
		return;
	}
	n = http_stats_json(json, size);
	if (n < 0) {
		kfree(json);
		answer_error(hc, 500, head_only);
		return;
	}
	r = base_response(hc, 200);
	r.content_type = "application/json";
	r.content_length = (uint64_t)n;
	hc->status = 200;
	count_status(200);
	err = queue_head(hc, &r, NULL, 0);
	if (!err && !head_only)
		err = append_copy(&hc->head, json, (size_t)n);
	kfree(json);
	if (err) {
		abort_conn(hc);
		return;
	}
	if (!head_only)
		stats.body_bytes += (uint64_t)n;
	flush(hc, false);
	response_done(hc);
}

/* --- files --- */

static void window_read(void *arg, int err);

static void retry_window(struct timer *t, void *arg)
{
	struct http_conn *hc = arg;

	(void)t;
	if (hc->state == OPENING) {
		hc->state = IDLE; /* parse the request again, open again */
		serve_pipeline(hc);
	} else if (hc->pair & ECEM_F_DNS) {
		splice_more(hc);
	} else {
		next_window(hc);
	}
}

/* The blocking read LAIO runs on a spare stack (laio=off: right here). */
static int read_op(void *arg)
{
	struct http_conn *hc = arg;

	return fs_read_sync(hc->file, hc->body_off, hc->read_len, &hc->window);
}

/* Read `len` more body bytes into hc->window; window_read sends them. */
static void read_body(struct http_conn *hc, uint64_t len)
{
	int err;

	hc->read_pending = true;
	hc->read_len = len;
	if (hc->pair & ECEM_F_DNS) {
		/* The ACK path must not block, nor pay two stack switches a
		 * splice: a miss starts the reads (and readahead) and the
		 * disk completion resumes through the event pair. */
		ecem_disk_wait(hc);
		err = fs_read(hc->file, hc->body_off, len, &hc->window,
			      window_read, hc);
	} else {
		err = laio_call(read_op, hc, window_read, hc);
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
		flush(hc, false);
	response_done(hc);
	return true;
}

/* Whether this response must wait for the pinned-page budget: only one
 * with bytes in flight does (their ACKs will come), so every connection
 * can always move. */
static bool pin_wait(struct http_conn *hc)
{
	if (!conn_queued(hc->c) || !pool_pressed())
		return false;
	stats.pin_waits++;
	timer_arm_in(&hc->retry, NOMEM_RETRY_MS * MS);
	return true;
}

/* Read the next window of the body; sends it when it is in. */
static void next_window(struct http_conn *hc)
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
		*(hc->in_ack ? &stats.spliced_ack_bytes :
			       &stats.spliced_disk_bytes) += n;
	hc->body_off += n;
	flush(hc, true);
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
	stats.responses_spliced++;
}

/* Drop the connection's event pair, DNS or DED, if it has one. */
static void pair_end(struct http_conn *hc)
{
	if (!hc->pair)
		return;
	ecem_del(hc, hc->c, hc->pair);
	hc->pair = 0;
}

static void window_read(void *arg, int err)
{
	struct http_conn *hc = arg;

	hc->read_pending = false;
	if (hc->dead) {
		free_conn(hc);
		return;
	}
	if (hc->state != BODY)
		return; /* aborted meanwhile; closed() will free */
	if (err == -ENOMEM || err == -EAGAIN) {
		/* Every pool page is pinned by responses in flight (or the
		 * volume's metadata is held by a sleeping thread): wait for
		 * some to be acknowledged instead of failing this one. */
		ioagg_release(&hc->window);
		stats.nomem_waits++;
		hc->credit += (hc->pair & ECEM_F_DNS) ? hc->read_len : 0;
		timer_arm_in(&hc->retry, NOMEM_RETRY_MS * MS);
		return;
	}
	if (err) {
		pr_warn("read error %s", errname(err));
		ioagg_release(&hc->window);
		if (!hc->head_sent) {
			/* Nothing of the 200 went out yet: say 500. */
			stats.status[hc->status]--;
			ioagg_release(&hc->head);
			hc->keep_alive = false;
			hc->state = HEAD;
			pair_end(hc);
			answer_error(hc, 500, false);
		} else {
			stats.aborted_mid_body++;
			abort_conn(hc);
		}
		return;
	}
	if (hc->pair & ECEM_F_DNS) {
		ecem_disk_ready(hc); /* delivers: splice_read_done */
		return;
	}
	hc->body_off += ioagg_len(&hc->window);
	flush(hc, true);
	/* Keep one window in flight beyond what the peer has acked. */
	if (conn_queued(hc->c) < send_window)
		next_window(hc);
}

/* --- model=threads: a thread per connection, blocking copies --- */

/* ECEM delivery of the thread's read: wake it (DED may have held this
 * back until the send buffer had room). */
static void ded_deliver(void *arg)
{
	struct http_conn *hc = arg;

	hc->read_done = true;
	thread_wakeup(&hc->read_done);
}

static const struct ecem_ops ded_ops = { .deliver = ded_deliver };

static void thread_read_done(void *arg, int err)
{
	struct http_conn *hc = arg;

	hc->read_pending = false;
	hc->read_err = err;
	if (!(hc->pair & ECEM_F_DED)) {
		ded_deliver(hc);
		return;
	}
	ecem_disk_ready(hc);
	if (!hc->read_done)
		hc->deferred = true; /* RW: held until an ACK makes room */
}

/* read(): the next `len` body bytes into the process buffer, sleeping
 * while the disk works. 0 or negative errno. */
static int thread_read(struct http_conn *hc, uint32_t len)
{
	struct ioagg agg;
	int err;

	ioagg_init(&agg);
	hc->read_done = false;
	hc->deferred = false;
	hc->read_pending = true;
	err = fs_read(hc->file, hc->body_off, len, &agg, thread_read_done, hc);
	if (err != -EINPROGRESS) {
		/* A cache hit wakes nobody: nothing for DED to defer. */
		hc->read_pending = false;
		hc->read_err = err;
		hc->read_done = true;
	} else {
		stats.thread_blocked_reads++;
		if (hc->pair & ECEM_F_DED)
			ecem_disk_wait(hc); /* the completion comes later */
	}
	/* The read owns `agg` until it completes, quitting or not. */
	while (hc->read_pending || (!hc->read_done && !hc->thread_quit))
		thread_sleep(&hc->read_done);
	err = hc->thread_quit ? -ECONNRESET : hc->read_err;
	if (!err && ioagg_copyout(&agg, 0, hc->tbuf, len) != len)
		err = -EIO;
	ioagg_release(&agg);
	if (!err)
		stats.thread_copied_bytes += len;
	return err;
}

/* write(): all of buf into the send buffer, sleeping while it is full. */
static int thread_write(struct http_conn *hc, const char *buf, size_t len)
{
	bool blocked = false;

	while (len) {
		long n;

		if (hc->thread_quit || hc->state != BODY)
			return -ECONNRESET;
		n = conn_write(hc->c, buf, len);
		if (n < 0)
			return (int)n;
		if (n == 0) {
			blocked = true;
			stats.thread_blocked_writes++;
			thread_sleep(&hc->write_wait);
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	if (hc->deferred && !blocked)
		stats.thread_blocks_avoided++; /* DED paid off */
	return 0;
}

static int thread_send_body(struct http_conn *hc)
{
	while (hc->body_off < hc->body_end) {
		uint32_t len = (uint32_t)MIN((uint64_t)THREAD_BUF_SIZE,
					     hc->body_end - hc->body_off);
		int err = thread_read(hc, len);

		if (!err)
			err = thread_write(hc, hc->tbuf, len);
		if (err)
			return err;
		hc->body_off += len;
		stats.body_bytes += len;
		arm(hc, idle_timeout_ms); /* progress */
	}
	return 0;
}

/* The connection's thread: one body per job, until the connection goes;
 * then it frees the connection state (closed() left that to it). */
static void body_thread(void *arg)
{
	struct http_conn *hc = arg;

	for (;;) {
		while (!hc->body_job && !hc->thread_quit)
			thread_sleep(&hc->body_job);
		if (hc->thread_quit)
			break;
		int err = thread_send_body(hc);

		hc->body_job = false;
		if (hc->thread_quit)
			break;
		if (err) {
			if (hc->state == BODY) {
				stats.aborted_mid_body++;
				abort_conn(hc);
			}
			continue;
		}
		response_done(hc); /* may start the next body job */
	}
	while (hc->read_pending)
		thread_sleep(&hc->read_done);
	free_conn(hc);
}

/* Hand the body to the connection's thread (created on first use). */
static void thread_body_start(struct http_conn *hc)
{
	if (!hc->thread) {
		hc->tbuf = kmalloc(THREAD_BUF_SIZE);
		if (hc->tbuf)
			hc->thread = thread_create(body_thread, hc, "http");
		if (!hc->thread) {
			abort_conn(hc);
			return;
		}
	}
	if ((ecem_enabled() & ECEM_F_DED) &&
	    !ecem_add(hc, hc->c, ECEM_F_DED, &ded_ops, hc))
		hc->pair = ECEM_F_DED;
	flush(hc, false); /* the head, zero copy; the body follows it */
	hc->body_job = true;
	thread_wakeup(&hc->body_job);
}

/* Conditional, range and head for a regular file; then the body. */
static void serve_file(struct http_conn *hc, const struct http_request *req,
		       const char *path, size_t path_len, struct file *f)
{
	const struct file_stat *st = fs_stat(f);
	bool head_only = req->method == HTTP_METHOD_HEAD;
	char etag[HTTP_ETAG_SIZE];
	struct http_response r = base_response(hc, 200);
	struct http_range range;
	enum http_range_kind kind = HTTP_RANGE_NONE;

	if (http_etag_make(etag, sizeof(etag), st->ino, st->size, st->mtime,
			   false) > 0)
		r.etag = etag;
	r.has_last_modified = true;
	r.last_modified = st->mtime;
	r.content_type = mime_type(path, path_len);
	r.accept_ranges = true;
	if (r.etag &&
	    http_not_modified(req->if_none_match, req->if_modified_since,
			      (struct http_str){ etag, strlen(etag) },
			      st->mtime, r.date)) {
		r.status = 304;
		r.content_type = NULL;
		answer(hc, &r, NULL, 0, true);
		return;
	}
	if (req->range.p)
		kind = http_range_parse(req->range.p, req->range.len, st->size,
					&range);
	if (kind == HTTP_RANGE_UNSATISFIABLE) {
		r.status = 416;
		r.range = kind;
		r.file_size = st->size;
		r.content_type = NULL;
		answer(hc, &r, NULL, 0, head_only);
		return;
	}
	hc->body_off = 0;
	hc->body_end = st->size;
	if (kind == HTTP_RANGE_PARTIAL) {
		r.status = 206;
		r.range = kind;
		r.range_bounds = range;
		r.file_size = st->size;
		hc->body_off = range.first;
		hc->body_end = range.last + 1;
	}
	r.content_length = hc->body_end - hc->body_off;
	hc->status = r.status;
	count_status(r.status);
	if (queue_head(hc, &r, NULL, 0)) {
		abort_conn(hc);
		return;
	}
	if (head_only)
		hc->body_end = hc->body_off;
	hc->file = f;
	hc->head_sent = false;
	hc->state = BODY;
	if (model == MODEL_THREADS && hc->body_off != hc->body_end) {
		thread_body_start(hc);
		return;
	}
	splice_begin(hc);
	next_window(hc);
}

/* The blocking open LAIO runs on a spare stack. */
static int open_op(void *arg)
{
	struct http_conn *hc = arg;

	return fs_open(hc->open_path, &hc->open_file);
}

/* The open blocked and is done: parse the request again to use it. */
static void open_done(void *arg, int err)
{
	struct http_conn *hc = arg;

	hc->read_pending = false;
	if (hc->thread_quit) {
		thread_wakeup(&hc->read_done); /* its thread frees hc */
		return;
	}
	if (hc->dead) {
		free_conn(hc);
		return;
	}
	if (hc->state != OPENING)
		return; /* aborted meanwhile; closed() will free */
	hc->open_err = err;
	hc->open_ready = true;
	hc->state = IDLE;
	serve_pipeline(hc);
}

/* fs_open through LAIO: 0 or an error, or -EINPROGRESS when it blocked
 * (state OPENING: the request is answered when open_done has run). */
static int open_file(struct http_conn *hc, const char *path, struct file **f)
{
	int err;

	if (hc->open_ready && !strcmp(path, hc->open_path)) {
		hc->open_ready = false;
		*f = hc->open_file;
		return hc->open_err;
	}
	hc->open_ready = false;
	strlcpy(hc->open_path, path, sizeof(hc->open_path));
	hc->read_pending = true;
	err = laio_call(open_op, hc, open_done, hc);
	if (err == -EINPROGRESS) {
		hc->state = OPENING;
		stats.opens_blocked++;
		return err;
	}
	hc->read_pending = false;
	if (err == -EAGAIN) {
		/* Ran here for want of a spare stack, and a sleeping
		 * continuation holds the volume: try again shortly. */
		hc->state = OPENING;
		stats.open_retries++;
		timer_arm_in(&hc->retry, NOMEM_RETRY_MS * MS);
		return -EINPROGRESS;
	}
	*f = hc->open_file;
	return err;
}

/* Map a request to a file, a redirect, /_stats or an error. */
static void route(struct http_conn *hc, const struct http_request *req)
{
	bool head_only = req->method == HTTP_METHOD_HEAD;
	char path[HTTP_PATH_MAX + sizeof(INDEX_FILE) + 1];
	size_t len;
	struct file *f;
	int err;

	if (req->method != HTTP_METHOD_GET && !head_only) {
		answer_error(hc, 405, head_only);
		return;
	}
	err = http_path_normalize(req->target.p, req->target.len, path,
				  HTTP_PATH_MAX + 1, &len);
	if (err) {
		answer_error(hc, err == -ENAMETOOLONG ? 414 : 400, head_only);
		return;
	}
	if (!strcmp(path, STATS_PATH)) {
		answer_stats(hc, head_only);
		return;
	}
	if (!fs_mounted()) {
		answer_error(hc, 503, head_only);
		return;
	}
	err = open_file(hc, path, &f);
	if (err == -EINPROGRESS)
		return;
	if (!err && fs_stat(f)->is_dir) {
		if (path[len - 1] != '/') {
			struct http_response r = base_response(hc, 301);

			path[len] = '/';
			path[len + 1] = '\0';
			r.location = path;
			r.content_type = "text/html; charset=utf-8";
			answer(hc, &r, NULL, 0, head_only);
			return;
		}
		memcpy(path + len, INDEX_FILE, sizeof(INDEX_FILE));
		len += sizeof(INDEX_FILE) - 1;
		err = open_file(hc, path, &f);
		if (err == -EINPROGRESS)
			return;
	}
	if (!err && !fs_stat(f)->is_reg)
		err = -ENOENT;
	if (err) {
		answer_error(hc, err == -EIO ? 500 : 404, head_only);
		return;
	}
	serve_file(hc, req, path, len, f);
}

/* Parse and answer as many buffered requests as the state allows. The
 * request's bytes stay in the buffer while it is routed (req points into
 * them), so a response that completes synchronously must not re-enter:
 * `parsing` makes response_done leave the next request to this loop. */
static void serve_pipeline(struct http_conn *hc)
{
	hc->parsing = true;
	while ((hc->state == IDLE || hc->state == HEAD) && hc->in_len) {
		struct http_request req;
		int n = http_parse_request(hc->in, hc->in_len, &hc->ps, NULL,
					   &req);

		if (n == HTTP_PARSE_PARTIAL) {
			if (hc->state == IDLE) {
				hc->state = HEAD;
				arm(hc, header_timeout_ms);
			}
			break;
		}
		timer_cancel(&hc->timer);
		if (!hc->open_ready)
			stats.requests++; /* not the re-parse after an open */
		hc->ps = (struct http_parse_state){ 0 };
		hc->head_sent = false;
		if (n == HTTP_PARSE_BAD) {
			hc->in_len = 0;
			hc->keep_alive = false;
			hc->state = HEAD;
			answer_error(hc, req.status, false);
			break;
		}
		hc->keep_alive = req.keep_alive;
		hc->state = HEAD;
		stats.app_wakeups++;
		route(hc, &req);
		if (hc->state == OPENING) {
			arm(hc,
			    idle_timeout_ms); /* bytes stay for the re-parse */
			break;
		}
		/* The request's bytes are no longer referenced: drop them. */
		memmove(hc->in, hc->in + n, hc->in_len - (size_t)n);
		hc->in_len -= (size_t)n;
	}
	hc->parsing = false;
	/* Read on while there is room (a full buffer paused the reading). */
	if (hc->state != CLOSING)
		conn_recv_pause(hc->c,
				hc->in_len >= hc->in_cap && !grow_in(hc, 1));
}

/* --- connection callbacks --- */

static void *on_accept(void *listener_ctx, struct conn *c)
{
	struct http_conn *hc;

	(void)listener_ctx;
	if (stats.active >= (conn_max ? conn_max : memplan()->conn_max)) {
		stats.refused++;
		stats.refused_conn_max++;
		return NULL;
	}
	if (in_bytes + IN_INITIAL > header_budget_kb << 10) {
		stats.refused++;
		stats.refused_budget++;
		return NULL;
	}
	hc = kzalloc(sizeof(*hc));
	if (hc)
		hc->in = kmalloc(IN_INITIAL);
	if (!hc || !hc->in) {
		kfree(hc);
		stats.refused++;
		stats.refused_nomem++;
		return NULL;
	}
	hc->c = c;
	hc->in_cap = IN_INITIAL;
	in_bytes += IN_INITIAL;
	hc->state = IDLE;
	ioagg_init(&hc->head);
	ioagg_init(&hc->window);
	timer_setup(&hc->timer, timed_out, hc);
	timer_setup(&hc->retry, retry_window, hc);
	arm(hc, idle_timeout_ms);
	stats.connections++;
	stats.active++;
	return hc;
}

/* Room for n more bytes, up to IN_MAX; false when full. */
static bool grow_in(struct http_conn *hc, size_t n)
{
	size_t cap = hc->in_cap;
	char *p;

	if (hc->in_len + n <= cap)
		return true;
	if (cap >= IN_MAX)
		return false;
	while (cap < hc->in_len + n && cap < IN_MAX)
		cap *= 2;
	cap = MIN(cap, (size_t)IN_MAX);
	if (in_bytes - hc->in_cap + cap > header_budget_kb << 10) {
		stats.header_budget_waits++; /* all heads together: full */
		return false;
	}
	p = kmalloc(cap);
	if (!p)
		return false;
	memcpy(p, hc->in, hc->in_len);
	kfree(hc->in);
	in_bytes += cap - hc->in_cap;
	hc->in = p;
	hc->in_cap = cap;
	return true;
}

static size_t on_recv(void *ctx, const void *data, size_t len)
{
	struct http_conn *hc = ctx;
	const char *p = data;
	size_t left = len;

	if (hc->state == CLOSING)
		return len; /* nobody reads them any more */
	while (left) {
		size_t n;

		grow_in(hc, left);
		n = MIN(left, hc->in_cap - hc->in_len);
		if (n == 0) {
			/* Buffer full of an unfinished head: the parser has
			 * already answered 414/431 if the limits were hit,
			 * so this is a pipeline we must stop reading; the
			 * rest waits in the connection until there is room. */
			conn_recv_pause(hc->c, true);
			return len - left;
		}
		memcpy(hc->in + hc->in_len, p, n);
		hc->in_len += n;
		p += n;
		left -= n;
		serve_pipeline(hc);
		if (hc->state == CLOSING)
			return len;
	}
	return len;
}

static void on_eof(void *ctx)
{
	struct http_conn *hc = ctx;

	hc->peer_eof = true;
	if (hc->state == IDLE)
		close_conn(hc);
	else if (hc->state == HEAD)
		abort_conn(hc); /* half a request and no more coming */
}

static void on_writable(void *ctx)
{
	struct http_conn *hc = ctx;

	if (hc->state == BODY && hc->thread) {
		thread_wakeup(&hc->write_wait);
	} else if (hc->state == BODY) {
		arm(hc, idle_timeout_ms); /* the peer is reading */
		stats.app_wakeups++;
		next_window(hc);
	} else if (hc->in_len) {
		serve_pipeline(hc);
	}
}

static void on_closed(void *ctx, int err)
{
	struct http_conn *hc = ctx;

	(void)err;
	pair_end(hc);
	hc->c = NULL;
	hc->state = CLOSING;
	if (hc->thread) {
		/* The thread frees hc once it is out of its calls. */
		hc->thread_quit = true;
		timer_cancel(&hc->timer);
		timer_cancel(&hc->retry);
		thread_wakeup(&hc->body_job);
		thread_wakeup(&hc->read_done);
		thread_wakeup(&hc->write_wait);
		return;
	}
	if (hc->read_pending) {
		hc->dead = true; /* window_read frees */
		timer_cancel(&hc->timer);
		return;
	}
	free_conn(hc);
}

static const struct conn_callbacks callbacks = {
	.accept = on_accept,
	.recv = on_recv,
	.eof = on_eof,
	.writable = on_writable,
	.closed = on_closed,
};

void http_get_stats(struct http_stats *st)
{
	*st = stats;
}

void http_init(void)
{
	int err = conn_listen((uint16_t)port, &callbacks, NULL);

	if (err)
		pr_err("cannot listen on port %llu: %s",
		       (unsigned long long)port, errname(err));
	else
		pr_info("listening on port %llu", (unsigned long long)port);
}
INITCALL(http_init, INIT_APP);
