// SPDX-License-Identifier: MIT
/*
 * HTTP/1.1 server, model=threads (see http_conn.h): the baseline the
 * event model is measured against. A connection's first body creates
 * its thread and a THREAD_BUF_SIZE process buffer; the thread then
 * copies each body through that buffer with blocking read() and write()
 * calls: it sleeps while the disk works and while the send buffer is
 * full. Heads and generated answers stay with the main loop. With ECEM
 * DED (`ecem=ded|all`) a disk completion that finds the send buffer full
 * is held back until an acknowledgement makes room.
 *
 * State: struct http_thread, owned by the connection. When the
 * connection goes (hc_thread_quit), the thread leaves its calls, waits
 * for an fs operation still in flight and frees the connection itself.
 */
#include <stdbool.h>

#include "app/http_conn.h"
#include "fs/file.h"
#include "kernel/core/cmdline.h"
#include "kernel/io/ecem.h"
#include "kernel/io/iobuf.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/mm/heap.h"
#include "kernel/sched/thread.h"
#include "net/conn.h"

#define THREAD_BUF_SIZE (64u << 10) /* the process buffer */

enum server_model { MODEL_EVENT, MODEL_THREADS };
static const char *const model_names[] = { "event", "threads", NULL };
static int model = MODEL_EVENT;
KPARAM_ENUM(model, model, model_names,
	    "event (one loop, zero copy) | threads (thread per connection)");

/* A connection's thread; the flags are also its wait channels. */
struct http_thread {
	struct thread *t; /* [m] */
	char *buf; /* [m] the process buffer, THREAD_BUF_SIZE */
	bool job; /* [m] a body is owed */
	bool quit; /* [m] the connection is gone: exit */
	bool read_done; /* [m] the read was delivered */
	bool write_wait; /* [m] the send buffer was full */
	bool deferred; /* [m] the last read's delivery was deferred */
	int read_err; /* [m] */
};

bool hc_threads_model(void)
{
	return model == MODEL_THREADS;
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

/* Start the read of `len` body bytes into `agg`; the thread sleeps
 * until `read_done` unless it completed at once. */
static void start_read(struct http_conn *hc, uint32_t len, struct ioagg *agg)
{
	struct http_thread *ht = hc->thread;
	int err;

	ht->read_done = false;
	ht->deferred = false;
	hc->read_pending = true;
	err = fs_read(hc->file, hc->body_off, len, agg, thread_read_done, hc);
	if (err != -EINPROGRESS) {
		/* A cache hit wakes nobody: nothing for DED to defer. */
		hc->read_pending = false;
		ht->read_err = err;
		ht->read_done = true;
		return;
	}
	hc_stats.thread_blocked_reads++;
	if (hc->pair & ECEM_F_DED)
		ecem_disk_wait(hc); /* the completion comes later */
}

/* read(): the next `len` body bytes into the process buffer, sleeping
 * while the disk works. 0 or negative errno. */
static int thread_read(struct http_conn *hc, uint32_t len)
{
	struct http_thread *ht = hc->thread;
	struct ioagg agg;
	int err;

	ioagg_init(&agg);
	start_read(hc, len, &agg);
	/* The read owns `agg` until it completes, quitting or not. */
	while (hc->read_pending || (!ht->read_done && !ht->quit))
		thread_sleep(&ht->read_done);
	err = ht->quit ? -ECONNRESET : ht->read_err;
	if (!err && ioagg_copyout(&agg, 0, ht->buf, len) != len)
		err = -EIO;
	ioagg_release(&agg);
	if (!err)
		hc_stats.thread_copied_bytes += len;
	return err;
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
			thread_sleep(&ht->write_wait);
			continue;
		}
		buf += n;
		len -= (size_t)n;
	}
	if (ht->deferred && !blocked)
		hc_stats.thread_blocks_avoided++; /* DED paid off */
	return 0;
}

static int thread_send_body(struct http_conn *hc)
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
		int err = thread_send_body(hc);

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

/* The connection's thread and its buffer; false without memory. */
static bool thread_setup(struct http_conn *hc)
{
	struct http_thread *ht = kzalloc(sizeof(*ht));

	if (!ht)
		return false;
	ht->buf = kmalloc(THREAD_BUF_SIZE);
	hc->thread = ht;
	if (ht->buf)
		ht->t = thread_create(body_thread, hc, "http");
	if (ht->t)
		return true;
	hc_thread_free(hc);
	return false;
}

/* Hand the body to the connection's thread (created on first use). */
void hc_thread_body_start(struct http_conn *hc)
{
	if (!hc->thread && !thread_setup(hc)) {
		hc_abort(hc);
		return;
	}
	if ((ecem_enabled() & ECEM_F_DED) &&
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
}

void hc_thread_free(struct http_conn *hc)
{
	if (!hc->thread)
		return;
	kfree(hc->thread->buf);
	kfree(hc->thread);
	hc->thread = NULL;
}
