// SPDX-License-Identifier: MIT
/*
 * HTTP/1.1 server, model=threads (see http_conn.h): the baseline the
 * event model is measured against. A connection's first body creates
 * its thread; heads and generated answers stay with the main loop. How
 * the thread sends a body is `thread_send`:
 *
 *   copy      (the default) through a THREAD_BUF_SIZE process buffer
 *             with blocking read() and write() calls: it sleeps while
 *             the disk works and while the send buffer is full. With
 *             ECEM DED (`ecem=ded|all`) a disk completion that finds the
 *             send buffer full is held back until an ACK makes room.
 *   sendfile  one blocking sendfile() call for the whole range, zero
 *             copy (page-cache references, sendfile.c). Without DNS it
 *             sleeps whenever the send buffer (`sendfile_sndbuf`) is
 *             full or a page is uncached, and steps on when woken. With
 *             ECEM DNS (`ecem=dns|all`) the ACK path appends the next
 *             bytes itself (batches of `splice_min`) and a disk
 *             completion resumes it: the thread sleeps once, and is
 *             woken once, when the range is queued or failed.
 *
 * sendfile returns when the last byte is queued (not acknowledged), as
 * sendfile(2) does: the connection holds the pages until the ACKs.
 *
 * State: struct http_thread, owned by the connection. When the
 * connection goes (hc_thread_quit), the thread leaves its calls, waits
 * for an fs operation still in flight and frees the connection itself.
 */
#define PR_PREFIX "http: "
#include <stdbool.h>

#include "app/http_conn.h"
#include "app/sendfile.h"
#include "fs/file.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/printk.h"
#include "kernel/io/ecem.h"
#include "kernel/io/iobuf.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/pmm.h"
#include "kernel/param.h"
#include "kernel/sched/thread.h"
#include "kernel/sched/timer.h"
#include "net/conn.h"

#define THREAD_BUF_SIZE (64u << 10) /* the process buffer */
/* Heap pages threads leave free. Without them the thread that fits
 * takes the last pages, and the next connection finds no page for its
 * state: it is reset instead of answered 503 (where that happens
 * depends only on the memory size modulo a thread's pages, so at
 * -smp 2 at 48 MiB it did). 256 KiB holds the state of new connections
 * whose requests get the 503, and a /_stats answer (a 20 KiB buffer). */
#define THREAD_HEAP_RESERVE_PAGES 64u

enum server_model { MODEL_EVENT, MODEL_THREADS };
static const char *const model_names[] = { "event", "threads", NULL };
static int model = MODEL_EVENT;
KPARAM_ENUM(model, model, model_names,
	    "event (one loop, zero copy) | threads (thread per connection)");

/* Copy stays the default: model=threads is the copying baseline every
 * earlier figure measured; sendfile is the paper's second server. */
enum thread_send { SEND_COPY, SEND_SENDFILE };
static const char *const thread_send_names[] = { "copy", "sendfile", NULL };
static int thread_send = SEND_COPY;
KPARAM_ENUM(thread_send, thread_send, thread_send_names,
	    "model=threads bodies: copy (read+write) | sendfile (zero copy)");
static uint64_t sendfile_sndbuf = 256 << 10;
KPARAM_UINT(sendfile_sndbuf, sendfile_sndbuf, PAGE_SIZE, 64 << 20,
	    "thread_send=sendfile: unacknowledged bytes per connection");

/* A connection's thread; the flags are also its wait channels. */
struct http_thread {
	struct thread *t; /* [m] */
	char *buf; /* [m] the process buffer, THREAD_BUF_SIZE */
	bool job; /* [m] a body is owed */
	bool quit; /* [m] the connection is gone: exit */
	bool read_done; /* [m] the read was delivered */
	bool write_wait; /* [m] the send buffer was full */
	bool deferred; /* [m] the last read's delivery was deferred */
	bool sf_over; /* [m] DNS: the range is queued or failed */
	int read_err; /* [m] */
	struct sendfile sf; /* [m] the range of thread_send=sendfile */
};

bool hc_threads_model(void)
{
	return model == MODEL_THREADS;
}

const char *http_thread_send_name(void)
{
	return thread_send_names[thread_send];
}

/* Sleep a body thread on `chan`, counted. */
static void body_sleep(const void *chan)
{
	hc_stats.thread_blocks++;
	thread_sleep(chan);
	hc_stats.thread_wakeups++;
}

/* ECEM delivery of the thread's read: wake it (DED may have held this
 * back until the send buffer had room). */
static void ded_deliver(void *arg)
{
	struct http_conn *hc = arg;

	hc->thread->read_done = true;
	thread_wakeup(&hc->thread->read_done);
}

static const struct ecem_ops ded_ops = { .deliver = ded_deliver };

static void thread_read_done(void *arg, int err)
{
	struct http_conn *hc = arg;

	hc->read_pending = false;
	hc->thread->read_err = err;
	if (!(hc->pair & ECEM_F_DED)) {
		ded_deliver(hc);
		return;
	}
	ecem_disk_ready(hc);
	if (!hc->thread->read_done)
		hc->thread->deferred = true; /* RW: held until an ACK */
}

/* Start the read of body bytes [off, off + len) into `agg`: 0 or an
 * error at once, or -EINPROGRESS: the thread sleeps until `read_done`. */
static int start_read(struct http_conn *hc, uint64_t off, uint64_t len,
		      struct ioagg *agg)
{
	struct http_thread *ht = hc->thread;
	int err;

	ht->read_done = false;
	ht->deferred = false;
	hc->read_pending = true;
	err = fs_read(hc->file, off, len, agg, thread_read_done, hc,
		      &hc->cause);
	if (err != -EINPROGRESS) {
		/* A cache hit wakes nobody: nothing for DED to defer. */
		hc->read_pending = false;
		ht->read_err = err;
		ht->read_done = true;
		return err;
	}
	hc_stats.thread_blocked_reads++;
	if (hc->pair & ECEM_F_DED)
		ecem_disk_wait(hc); /* the completion comes later */
	return err;
}

/* Sleep until the read start_read left in flight is done; it owns its
 * aggregate until then, quitting or not. Its error, or -ECONNRESET. */
static int wait_read(struct http_conn *hc)
{
	struct http_thread *ht = hc->thread;

	while (hc->read_pending || (!ht->read_done && !ht->quit))
		body_sleep(&ht->read_done);
	return ht->quit ? -ECONNRESET : ht->read_err;
}

/* read(): the next `len` body bytes into the process buffer, sleeping
 * while the disk works. 0 or negative errno. */
static int thread_read(struct http_conn *hc, uint32_t len)
{
	struct http_thread *ht = hc->thread;
	struct ioagg agg;
	int err;

	ioagg_init(&agg);
	err = start_read(hc, hc->body_off, len, &agg);
	if (err == -EINPROGRESS)
		err = wait_read(hc);
	if (!err && ioagg_copyout(&agg, 0, ht->buf, len) != len)
		err = -EIO;
	ioagg_release(&agg);
	if (!err)
		hc_stats.thread_copied_bytes += len;
	return err;
}

/* Sleep until the send buffer may take more. With nothing in flight no
 * ACK will come to say so (the stack's own buffers were full, shared by
 * every copying connection): look again after a while instead. */
static void write_wait(struct http_conn *hc)
{
	if (conn_queued(hc->c)) {
		body_sleep(&hc->thread->write_wait);
		return;
	}
	hc_stats.thread_blocks++;
	thread_sleep_ns(NOMEM_RETRY_MS * MS);
	hc_stats.thread_wakeups++;
}

/* write(): all of buf into the send buffer, sleeping while it is full. */
static int thread_write(struct http_conn *hc, const char *buf, size_t len)
{
	struct http_thread *ht = hc->thread;
	bool blocked = false;

	while (len) {
		long n;

		if (ht->quit || hc->state != BODY)
			return -ECONNRESET;
		n = conn_write(hc->c, buf, len);
		if (n < 0)
			return (int)n;
		if (n == 0) {
			blocked = true;
			hc_stats.thread_blocked_writes++;
			write_wait(hc);
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	if (ht->deferred && !blocked)
		hc_stats.thread_blocks_avoided++; /* DED paid off */
	return 0;
}

static int thread_copy_body(struct http_conn *hc)
{
	while (hc->body_off < hc->body_end) {
		uint32_t len = (uint32_t)MIN((uint64_t)THREAD_BUF_SIZE,
					     hc->body_end - hc->body_off);
		int err = thread_read(hc, len);

		if (!err)
			err = thread_write(hc, hc->thread->buf, len);
		if (err)
			return err;
		hc->body_off += len;
		hc_stats.body_bytes += len;
		hc_arm_idle(hc); /* progress */
	}
	return 0;
}

/* --- thread_send=sendfile --- */

/* sendfile's send op: queue the bytes by reference (consumes agg). */
static int sf_send(void *arg, struct ioagg *agg)
{
	struct http_conn *hc = arg;
	uint64_t n = ioagg_len(agg);
	int err;

	if (!hc->c || hc->state != BODY) {
		ioagg_release(agg);
		return -ECONNRESET;
	}
	err = conn_send(hc->c, agg);
	if (err)
		return err;
	hc->body_off += n;
	hc_stats.body_bytes += n;
	hc_stats.sendfile_bytes += n;
	hc_arm_idle(hc); /* progress */
	return 0;
}

static uint64_t sf_queued(void *arg)
{
	struct http_conn *hc = arg;

	return hc->c ? conn_queued(hc->c) : 0;
}

/* Without DNS the thread reads, and sleeps on the disk, itself. */
static int classic_read(void *arg, uint64_t off, uint64_t len,
			struct ioagg *out)
{
	return start_read(arg, off, len, out);
}

static const struct sendfile_ops classic_ops = {
	.read = classic_read,
	.send = sf_send,
	.queued = sf_queued,
};

/* DNS, main loop: after a step, wake the thread if the range is over,
 * or retry later if the pool was exhausted; an ACK or the disk resumes
 * the other waits. */
static void settle(struct http_conn *hc, enum sendfile_status st)
{
	struct http_thread *ht = hc->thread;

	if (sendfile_over(st)) {
		ht->sf_over = true;
		thread_wakeup(&ht->sf_over);
	} else if (st == SENDFILE_WAIT_MEM) {
		hc_stats.nomem_waits++;
		timer_arm_in(&hc->retry, NOMEM_RETRY_MS * MS);
	}
}

/* DNS: step the range outside the thread; the bytes it queued are
 * added to `spliced`. */
static void splice_step(struct http_conn *hc, bool read_done, uint64_t *spliced)
{
	struct sendfile *sf = &hc->thread->sf;
	uint64_t off = sf->off;
	enum sendfile_status st;

	if (read_done)
		st = sendfile_read_done(sf, hc->thread->read_err);
	else
		st = sendfile_step(sf);
	*spliced += sf->off - off;
	settle(hc, st);
}

/* A splice's disk read is done: resume through the event pair, or,
 * when the connection is going, drop it and let the thread go. */
static void splice_read_cb(void *arg, int err)
{
	struct http_conn *hc = arg;
	struct http_thread *ht = hc->thread;

	hc->read_pending = false;
	ht->read_err = err;
	if (!(hc->pair & ECEM_F_DNS)) {
		sendfile_cancel(&ht->sf, -ECONNRESET);
		settle(hc, SENDFILE_FAILED);
		thread_wakeup(&ht->read_done); /* a quitting thread waits */
		return;
	}
	ecem_disk_ready(hc); /* delivers: splice_deliver */
}

/* DNS reads run in the ACK path: a miss starts the disk (and its
 * readahead) and returns; the completion resumes the range. */
static int splice_read(void *arg, uint64_t off, uint64_t len, struct ioagg *out)
{
	struct http_conn *hc = arg;
	int err;

	hc->read_pending = true;
	err = fs_read(hc->file, off, len, out, splice_read_cb, hc, &hc->cause);
	if (err != -EINPROGRESS) {
		hc->read_pending = false;
		return err;
	}
	ecem_disk_wait(hc);
	return err;
}

static const struct sendfile_ops splice_ops = {
	.read = splice_read,
	.send = sf_send,
	.queued = sf_queued,
};

/* ECEM delivery: the splice's pages are in. */
static void splice_deliver(void *arg)
{
	splice_step(arg, true, &hc_stats.sendfile_spliced_disk_bytes);
}

/* ECEM DNS, from the ACK path: refill the send buffer (the room is read
 * from the connection, so the acknowledged count itself is not needed). */
static void splice_acked(void *arg, uint32_t bytes)
{
	(void)bytes;
	splice_step(arg, false, &hc_stats.sendfile_spliced_ack_bytes);
}

static const struct ecem_ops splice_pair_ops = {
	.deliver = splice_deliver,
	.acked = splice_acked,
};

/* The retry timer: a DNS range found the pool exhausted. */
void hc_thread_retry(struct http_conn *hc)
{
	if (hc->thread && (hc->pair & ECEM_F_DNS) && !hc->thread->sf_over &&
	    !hc->read_pending)
		splice_step(hc, false, &hc_stats.sendfile_spliced_disk_bytes);
}

/* sendfile() with DNS: queue the first send buffer's worth, then sleep
 * once while the ACK path and the disk send the rest. */
static int sendfile_spliced(struct http_conn *hc)
{
	struct http_thread *ht = hc->thread;

	ht->sf_over = false;
	settle(hc, sendfile_step(&ht->sf));
	if (!ht->sf_over)
		hc_stats.sendfile_blocks_dns++;
	while (!ht->sf_over && !ht->quit)
		body_sleep(&ht->sf_over);
	return ht->quit ? -ECONNRESET : ht->sf.err;
}

/* Sleep out a pool exhausted by bytes in flight, then step again. */
static enum sendfile_status sendfile_mem_wait(struct http_thread *ht)
{
	hc_stats.nomem_waits++;
	hc_stats.thread_blocks++;
	thread_sleep_ns(NOMEM_RETRY_MS * MS);
	hc_stats.thread_wakeups++;
	return sendfile_step(&ht->sf);
}

/* sendfile() without DNS: queue what fits, sleep until send space or
 * the disk returns, wake, queue more. */
static int sendfile_classic(struct http_conn *hc)
{
	struct http_thread *ht = hc->thread;
	enum sendfile_status st = sendfile_step(&ht->sf);

	for (;;) {
		if (ht->quit || hc->state != BODY) {
			sendfile_cancel(&ht->sf, -ECONNRESET); /* no read */
			return -ECONNRESET;
		}
		switch (st) {
		case SENDFILE_DONE:
			return 0;
		case SENDFILE_FAILED:
			return ht->sf.err;
		case SENDFILE_WAIT_NET:
			hc_stats.sendfile_blocks_net++;
			body_sleep(&ht->write_wait);
			st = sendfile_step(&ht->sf);
			break;
		case SENDFILE_WAIT_MEM:
			st = sendfile_mem_wait(ht);
			break;
		case SENDFILE_WAIT_DISK:
			hc_stats.sendfile_blocks_disk++;
			st = sendfile_read_done(&ht->sf, wait_read(hc));
			break;
		}
	}
}

/* The whole body in one sendfile() call, zero copy. */
static int thread_sendfile(struct http_conn *hc)
{
	struct http_thread *ht = hc->thread;
	bool dns = (ecem_enabled() & ECEM_F_DNS) && !hc->pair &&
		   !ecem_add(hc, hc->c, ECEM_F_DNS, &splice_pair_ops, hc);
	int err;

	hc_stats.sendfile_calls++;
	if (dns) {
		hc->pair = ECEM_F_DNS;
		hc_stats.responses_spliced++;
	}
	sendfile_init(&ht->sf, dns ? &splice_ops : &classic_ops, hc,
		      hc->body_off, hc->body_end, sendfile_sndbuf,
		      dns ? hc_splice_min() : PAGE_SIZE);
	err = dns ? sendfile_spliced(hc) : sendfile_classic(hc);
	if (dns && !ht->quit)
		hc_pair_end(hc); /* no more splicing on this connection */
	if (err && err != -ECONNRESET && !ht->quit)
		pr_warn("sendfile error %s at %llu", errname(err),
			(unsigned long long)ht->sf.off);
	return err;
}

/* The connection's thread: one body per job, until the connection goes;
 * then it frees the connection state (closed() left that to it). */
static void body_thread(void *arg)
{
	struct http_conn *hc = arg;
	struct http_thread *ht = hc->thread;

	for (;;) {
		while (!ht->job && !ht->quit)
			thread_sleep(&ht->job);
		if (ht->quit)
			break;
		int err = thread_send == SEND_SENDFILE ? thread_sendfile(hc) :
							 thread_copy_body(hc);

		ht->job = false;
		if (ht->quit)
			break;
		if (err) {
			if (hc->state == BODY) {
				hc_stats.aborted_mid_body++;
				hc_abort(hc);
			}
			continue;
		}
		hc_response_done(hc); /* may start the next body job */
	}
	while (hc->read_pending)
		thread_sleep(&ht->read_done);
	hc_free(hc);
}

/* Pages a connection's thread takes from the frame allocator at most:
 * its stack and guard page, its buffer with the heap's header, a slab
 * page each for struct http_thread and struct thread. */
static uint64_t thread_pages(void)
{
	uint64_t pages = THREAD_STACK_PAGES + 1 + 2;

	if (thread_send == SEND_COPY)
		pages += THREAD_BUF_SIZE / PAGE_SIZE + 1;
	return pages;
}

/* The connection's thread and its buffer (made on its first body, kept
 * for the next); false without memory (or when it would eat into the
 * heap's reserve), counted. CPUs that check at once may each dip once
 * into the reserve: it is far larger than a thread. */
bool hc_thread_prepare(struct http_conn *hc)
{
	struct http_thread *ht;
	struct pmm_stats mem;

	if (hc->thread)
		return true;
	pmm_get_stats(&mem);
	if (mem.free_pages < thread_pages() + THREAD_HEAP_RESERVE_PAGES) {
		hc_stats.thread_setup_failed++;
		return false;
	}
	ht = kzalloc(sizeof(*ht));
	if (!ht) {
		hc_stats.thread_setup_failed++;
		return false;
	}
	ioagg_init(&ht->sf.agg);
	/* sendfile reads into the page cache, not into a process buffer. */
	ht->buf = thread_send == SEND_COPY ? kmalloc(THREAD_BUF_SIZE) : NULL;
	hc->thread = ht;
	if (ht->buf || thread_send == SEND_SENDFILE)
		ht->t = thread_create(body_thread, hc, "http");
	if (ht->t)
		return true;
	hc_thread_free(hc);
	hc_stats.thread_setup_failed++;
	return false;
}

/* Hand the body to the connection's thread (hc_thread_prepare made it). */
void hc_thread_body_start(struct http_conn *hc)
{
	/* A spliced sendfile adds its own pair: a range is DNS or DED. */
	if ((ecem_enabled() & ECEM_F_DED) &&
	    !(thread_send == SEND_SENDFILE && (ecem_enabled() & ECEM_F_DNS)) &&
	    !ecem_add(hc, hc->c, ECEM_F_DED, &ded_ops, hc))
		hc->pair = ECEM_F_DED;
	hc_flush(hc, false); /* the head, zero copy; the body follows it */
	hc->thread->job = true;
	thread_wakeup(&hc->thread->job);
}

/* The send buffer has room: a thread blocked in write() goes on. */
void hc_thread_writable(struct http_conn *hc)
{
	thread_wakeup(&hc->thread->write_wait);
}

/* An fs operation finished on a connection whose thread is leaving:
 * wake the thread (it frees hc). True if that was the case. */
bool hc_thread_reap(struct http_conn *hc)
{
	if (!hc->thread || !hc->thread->quit)
		return false;
	thread_wakeup(&hc->thread->read_done);
	return true;
}

/* The connection is gone: the thread leaves its calls and frees hc. */
void hc_thread_quit(struct http_conn *hc)
{
	struct http_thread *ht = hc->thread;

	ht->quit = true;
	thread_wakeup(&ht->job);
	thread_wakeup(&ht->read_done);
	thread_wakeup(&ht->write_wait);
	thread_wakeup(&ht->sf_over);
}

void hc_thread_free(struct http_conn *hc)
{
	if (!hc->thread)
		return;
	ioagg_release(&hc->thread->sf.agg); /* a splice the reset cut */
	kfree(hc->thread->buf);
	kfree(hc->thread);
	hc->thread = NULL;
}
