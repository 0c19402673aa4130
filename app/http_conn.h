/* SPDX-License-Identifier: MIT */
/*
 * The state of one HTTP connection and the calls between the server's
 * files (private to app/; the public interface is server.h):
 *   server.c       connection life cycle, timers and the request pipeline
 *   respond.c      routing and responses: heads, errors, files, /_stats
 *   body_event.c   model=event: the body in windows, and ECEM DNS
 *   body_thread.c  model=threads: a thread per connection, blocking copies
 *                  or a blocking zero-copy sendfile (sendfile.c)
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
 * closed(), or, when an fs operation is still in flight then, by its
 * completion (the `dead` flag), or by the connection's thread. The
 * response aggregate `window` belongs to the in-flight read until it
 * completes, then is handed to conn_send, which consumes it.
 * Everything runs in the main loop (or on a thread it switched to).
 */
#ifndef APP_HTTP_CONN_H
#define APP_HTTP_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app/http_param.h"
#include "app/http_parser.h"
#include "app/server.h"
#include "kernel/param.h"
#include "kernel/cpu/percpu.h"
#include "kernel/io/causal.h"
#include "kernel/io/iobuf.h"
#include "kernel/io/tracectx.h"
#include "kernel/sched/laio.h"
#include "kernel/sched/timer.h"

#define INDEX_FILE "index.html"
#define MS 1000000ull
#define NOMEM_RETRY_MS 5 /* pool exhausted: try the window again */

struct alog_entry;
struct conn;
struct file;
struct http_thread;

enum conn_state { IDLE, HEAD, OPENING, BODY, CLOSING };

/* When the traced request's open spans began (http_trace.c); 0: none. */
struct hc_trace_marks {
	uint64_t head_ns; /* the first byte of the head arrived */
	uint64_t open_ns, read_ns; /* an open, a body read started */
	uint64_t laio_ns; /* ... and became a LAIO continuation */
	uint64_t send_ns; /* the first response bytes were queued */
	uint64_t ecem_ns; /* the event pair was added */
	char traceresponse[TRACECTX_LEN + 1]; /* "" when not traced */
};

struct http_conn {
	struct conn *c; /* [m] NULL once closed() ran */
	enum conn_state state; /* [m] */
	bool closing_counted; /* [m] in hc_stats.closing until hc_free */
	char *in; /* [m] received, not yet parsed */
	size_t in_len, in_cap; /* [m] */
	uint64_t discard; /* [m] body bytes of the last request not yet in */
	struct http_parse_state ps; /* [m] */
	struct timer timer; /* [m] header or idle deadline */
	struct timer retry; /* [m] pool exhausted: read the window again */
	bool keep_alive; /* [m] of the response in progress */
	bool peer_eof; /* [m] */
	bool read_pending; /* [m] an fs operation owns hc (and `window`) */
	bool dead; /* [m] closed() ran while a read was pending */
	bool head_sent; /* [m] status committed */
	bool parsing; /* [m] inside hc_pipeline: it picks up the next */
	unsigned int pair; /* [m] ECEM_F_* of the pair (hc, c); 0: none */
	bool in_ack; /* [m] inside the pair's acked() */
	uint64_t credit; /* [m] acknowledged bytes not yet replaced */
	uint64_t read_len; /* [m] bytes of the read in flight */
	char open_path[HTTP_PATH_MAX + sizeof(INDEX_FILE) + 1]; /* [m] */
	struct file *open_file; /* [m] result of the open of open_path */
	int open_err; /* [m] */
	bool open_ready; /* [m] a finished open waits for the re-parse */
	struct http_thread *thread; /* [m] model=threads, after a first body */
	struct ioagg head; /* [m] response head, waiting for the body */
	struct ioagg window; /* [m] body bytes being read */
	struct file *file; /* [m] body source */
	uint64_t body_off, body_end; /* [m] bytes still to read */
	int status; /* [m] of the response in progress */
	struct causal cause; /* [m] Causeway metadata of that request */
	struct alog_entry *log; /* [m] access log entry, NULL: log off */
	uint64_t resp_head, resp_body; /* [m] bytes of that response */
	struct hc_trace_marks marks; /* [m] its spans in progress */
};

/* The server's counters, one block per CPU (server.c), each written by
 * its own CPU's connections only; hc_stats is this CPU's block, and
 * http_get_stats() sums them. A gauge (active) goes up and down on the
 * connection's CPU, so only the sum means anything. */
extern struct http_stats hc_stats_cpu[CPU_MAX]; /* [this CPU] */
#define hc_stats (hc_stats_cpu[cpu_self()])

/* server.c: life cycle and pipeline */
void hc_free(struct http_conn *hc);
void hc_abort(struct http_conn *hc);
void hc_close(struct http_conn *hc);
void hc_arm_idle(struct http_conn *hc);
void hc_pipeline(struct http_conn *hc);
void hc_response_done(struct http_conn *hc);

/* prio.c: the request's urgency, from its head */
void hc_prio_begin(struct http_conn *hc, int n, const struct http_request *req);
void hc_prio_end(struct http_conn *hc);
int hc_laio_call(struct http_conn *hc, laio_op_fn op, laio_done_fn done);

/* respond.c: routing and responses */
void hc_route(struct http_conn *hc, const struct http_request *req);
void hc_flush(struct http_conn *hc, bool with_window);
void hc_answer_error(struct http_conn *hc, int status, bool head_only);
/* A dead disk (timed out, reads refused) or none: a 503, not the file's
 * fault. */
bool hc_disk_gone(int err);

/* body_event.c: the body in windows, and the DNS splice */
void hc_event_body_start(struct http_conn *hc);
void hc_next_window(struct http_conn *hc);
void hc_body_retry(struct http_conn *hc);
void hc_pair_end(struct http_conn *hc);
uint64_t hc_splice_min(void);

/* http_trace.c: the request's spans (kernel/io/trace.h), one call at
 * each boundary; each does nothing for a request that is not traced. */
void hc_trace_arrival(struct http_conn *hc);
void hc_trace_begin(struct http_conn *hc, const struct http_request *req);
void hc_trace_open_start(struct http_conn *hc);
void hc_trace_blocked(struct http_conn *hc);
void hc_trace_opened(struct http_conn *hc);
void hc_trace_read_start(struct http_conn *hc);
void hc_trace_read_done(struct http_conn *hc, bool splice);
void hc_trace_send(struct http_conn *hc);
void hc_trace_pair(struct http_conn *hc, bool added);
void hc_trace_done(struct http_conn *hc);

/* body_thread.c: model=threads */
bool hc_threads_model(void);
bool hc_thread_prepare(struct http_conn *hc);
void hc_thread_body_start(struct http_conn *hc);
void hc_thread_writable(struct http_conn *hc);
void hc_thread_retry(struct http_conn *hc);
bool hc_thread_reap(struct http_conn *hc);
void hc_thread_quit(struct http_conn *hc);
void hc_thread_free(struct http_conn *hc);

#endif
