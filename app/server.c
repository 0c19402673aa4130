// SPDX-License-Identifier: MIT
/*
 * HTTP/1.1 server: the connection life cycle and the request pipeline
 * (interface in server.h, connection states and the split into files in
 * http_conn.h). It owns the connection callbacks, the deadlines, the
 * receive buffer (grown on demand within `header_budget_kb` for all
 * connections together) and the loop that parses buffered requests and
 * hands each to respond.c, strictly in order; a request's body is read
 * past, never parsed. It also owns the server's counters.
 */
#define PR_PREFIX "http: "
#include "app/server.h"

#include <stdbool.h>

#include "app/access_log.h"
#include "app/http_conn.h"
#include "app/http_param.h"
#include "app/http_parser.h"
#include "kernel/arch/smp.h"
#include "kernel/arch/time.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/initcall.h"
#include "kernel/core/printk.h"
#include "kernel/io/causal.h"
#include "kernel/io/iobuf.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/memplan.h"
#include "kernel/sched/timer.h"
#include "net/conn.h"

#define IN_INITIAL 2048 /* receive buffer at first; grows on demand */
#define IN_MAX (HTTP_LINE_MAX + HTTP_HEADERS_MAX + 2) /* + CRLF */

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
static uint64_t header_budget_kb = 8192;
KPARAM_UINT(header_budget_kb, header_budget_kb, 64, 1 << 20,
	    "receive buffers of all connections together, KiB");

struct http_stats hc_stats_cpu[CPU_MAX]; /* [this CPU] */
/* Receive buffers of the connections of every CPU together, for the
 * header budget: atomic, each CPU adding and taking its own. */
static uint64_t in_bytes;

static bool grow_in(struct http_conn *hc, size_t n);

/* [this CPU] on_accept refused for conn_max, but only finishing
 * connections fill it: the answer accept_later gives. */
static bool room_soon[CPU_MAX];

/* Connections open on every CPU (the conn_max limit is global), and how
 * many of them are only finishing (CLOSING: closed by either side). */
static uint64_t active_total(uint64_t *closing)
{
	uint64_t n = 0;

	*closing = 0;
	for (unsigned cpu = 0; cpu < cpu_count(); cpu++) {
		n += READ_ONCE(hc_stats_cpu[cpu].active);
		*closing += READ_ONCE(hc_stats_cpu[cpu].closing);
	}
	return n;
}

/* Enter CLOSING, counted until hc_free. */
static void enter_closing(struct http_conn *hc)
{
	if (!hc->closing_counted) {
		hc->closing_counted = true;
		hc_stats.closing++;
	}
	hc->state = CLOSING;
}

void hc_free(struct http_conn *hc)
{
	timer_cancel(&hc->timer);
	timer_cancel(&hc->retry);
	ioagg_release(&hc->head);
	ioagg_release(&hc->window);
	__atomic_fetch_sub(&in_bytes, hc->in_cap, __ATOMIC_RELAXED);
	kfree(hc->in);
	hc_thread_free(hc);
	kfree(hc->log);
	if (hc->closing_counted)
		hc_stats.closing--;
	kfree(hc);
	hc_stats.active--;
}

/* Enter CLOSING, once: false if the connection is already there. */
static bool begin_closing(struct http_conn *hc)
{
	if (hc->state == CLOSING)
		return false;
	enter_closing(hc);
	timer_cancel(&hc->timer);
	hc_pair_end(hc);
	return true;
}

/* Tear the connection down now (errors, timeouts, bad requests after
 * their answer is queued use conn_close instead). */
void hc_abort(struct http_conn *hc)
{
	if (begin_closing(hc))
		conn_abort(hc->c);
}

/* Close after what is queued has gone out. */
void hc_close(struct http_conn *hc)
{
	if (begin_closing(hc))
		conn_close(hc->c);
}

static void timed_out(struct timer *t, void *arg)
{
	struct http_conn *hc = arg;

	(void)t;
	if (hc->state == HEAD)
		hc_stats.timeouts_header++;
	else if (hc->state == BODY)
		hc_stats.timeouts_send++;
	else
		hc_stats.timeouts_idle++;
	hc_abort(hc);
}

static void arm(struct http_conn *hc, uint64_t ms)
{
	timer_arm_in(&hc->timer, ms * MS);
}

/* The keep-alive deadline; also how long a response may make no
 * progress. */
void hc_arm_idle(struct http_conn *hc)
{
	arm(hc, idle_timeout_ms);
}

/* The response is queued whole: next request, or close. */
void hc_response_done(struct http_conn *hc)
{
	hc_prio_end(hc);
	alog_response(hc->log, &hc->cause, hc->status, hc->resp_body,
		      hc->resp_head + hc->resp_body);
	hc_trace_done(hc);
	hc_pair_end(hc);
	hc->file = NULL;
	if (!hc->keep_alive || hc->peer_eof) {
		hc_close(hc);
		return;
	}
	hc->state = IDLE;
	hc_arm_idle(hc);
	if (!hc->parsing)
		hc_pipeline(hc);
}

static void retry_window(struct timer *t, void *arg)
{
	struct http_conn *hc = arg;

	(void)t;
	if (hc->state == OPENING) {
		hc->state = IDLE; /* parse the request again, open again */
		hc_pipeline(hc);
	} else if (hc->thread) {
		hc_thread_retry(hc);
	} else {
		hc_body_retry(hc);
	}
}

/* Drop the first n received bytes. */
static void drop_in(struct http_conn *hc, size_t n)
{
	memmove(hc->in, hc->in + n, hc->in_len - n);
	hc->in_len -= n;
}

/* Of `avail` bytes that follow what was parsed, how many belong to the
 * last request's body: they are read past, never parsed. */
static size_t skip_body(struct http_conn *hc, size_t avail)
{
	size_t n = (size_t)MIN((uint64_t)avail, hc->discard);

	hc->discard -= n;
	return n;
}

/* Answer the complete request head of n bytes at hc->in (n is
 * HTTP_PARSE_BAD for a malformed one). False when the loop must stop. */
static bool serve_one(struct http_conn *hc, int n,
		      const struct http_request *req)
{
	timer_cancel(&hc->timer);
	if (!hc->open_ready) { /* not the re-parse after an open */
		hc_stats.requests++;
		causal_begin(&hc->cause, time_ns());
		hc_prio_begin(hc, n, req);
		if (n != HTTP_PARSE_BAD)
			hc_trace_begin(hc, req);
		alog_request(&hc->log, hc->c, req, n != HTTP_PARSE_BAD);
	}
	hc->resp_head = hc->resp_body = 0;
	hc->ps = (struct http_parse_state){ 0 };
	hc->head_sent = false;
	hc->state = HEAD;
	if (n == HTTP_PARSE_BAD) {
		hc->in_len = 0;
		hc->keep_alive = false;
		hc_answer_error(hc, req->status, false);
		return false;
	}
	hc->keep_alive = req->keep_alive;
	hc_stats.app_wakeups++;
	hc_route(hc, req);
	if (hc->state == OPENING) {
		hc_arm_idle(hc); /* the bytes stay for the re-parse */
		return false;
	}
	/* The request's bytes are no longer referenced: drop them, and its
	 * body, which GET and HEAD ignore. */
	drop_in(hc, (size_t)n);
	hc->discard = req->content_length;
	drop_in(hc, skip_body(hc, hc->in_len));
	return true;
}

/* Parse and answer as many buffered requests as the state allows. The
 * request's bytes stay in the buffer while it is routed (req points into
 * them), so a response that completes synchronously must not re-enter:
 * `parsing` makes hc_response_done leave the next request to this loop. */
void hc_pipeline(struct http_conn *hc)
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
		if (!serve_one(hc, n, &req))
			break;
	}
	hc->parsing = false;
	/* Read on while there is room (a full buffer paused the reading). */
	if (hc->state != CLOSING)
		conn_recv_pause(hc->c,
				hc->in_len >= hc->in_cap && !grow_in(hc, 1));
}

static void *on_accept(void *listener_ctx, struct conn *c)
{
	struct http_conn *hc;
	uint64_t limit = conn_max ? conn_max : memplan()->conn_max;
	uint64_t closing, active = active_total(&closing);

	(void)listener_ctx;
	room_soon[cpu_self()] = false;
	/* The per-CPU counts are read one by one: clamp a closing count
	 * that got ahead of the active one read before it. */
	if (active >= limit && active - MIN(closing, active) < limit) {
		/* The room is held by connections that are only finishing,
		 * maybe on another CPU, whose closed() that CPU runs when
		 * their last ACK arrives there: the connection layer keeps
		 * this one waiting (accept_later), not a refusal. */
		room_soon[cpu_self()] = true;
		return NULL;
	}
	if (active >= limit) {
		hc_stats.refused++;
		hc_stats.refused_conn_max++;
		return NULL;
	}
	if (__atomic_load_n(&in_bytes, __ATOMIC_RELAXED) + IN_INITIAL >
	    header_budget_kb << 10) {
		hc_stats.refused++;
		hc_stats.refused_budget++;
		return NULL;
	}
	hc = kzalloc(sizeof(*hc));
	if (hc)
		hc->in = kmalloc(IN_INITIAL);
	if (!hc || !hc->in) {
		kfree(hc);
		hc_stats.refused++;
		hc_stats.refused_nomem++;
		return NULL;
	}
	hc->c = c;
	hc->in_cap = IN_INITIAL;
	__atomic_fetch_add(&in_bytes, IN_INITIAL, __ATOMIC_RELAXED);
	hc->state = IDLE;
	ioagg_init(&hc->head);
	ioagg_init(&hc->window);
	timer_setup(&hc->timer, timed_out, hc);
	timer_setup(&hc->retry, retry_window, hc);
	hc_arm_idle(hc);
	hc_stats.connections++;
	hc_stats.active++;
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
	if (__atomic_load_n(&in_bytes, __ATOMIC_RELAXED) - hc->in_cap + cap >
	    header_budget_kb << 10) {
		hc_stats.header_budget_waits++; /* all heads together: full */
		return false;
	}
	p = kmalloc(cap);
	if (!p)
		return false;
	memcpy(p, hc->in, hc->in_len);
	kfree(hc->in);
	__atomic_fetch_add(&in_bytes, cap - hc->in_cap, __ATOMIC_RELAXED);
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
		size_t n = skip_body(hc, left);

		p += n;
		left -= n;
		if (!left)
			break;
		hc_trace_arrival(hc);
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
		hc_pipeline(hc);
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
		hc_close(hc);
	else if (hc->state == HEAD)
		hc_abort(hc); /* half a request and no more coming */
}

static void on_writable(void *ctx)
{
	struct http_conn *hc = ctx;

	if (hc->state == BODY && hc->thread) {
		hc_thread_writable(hc);
	} else if (hc->state == BODY) {
		hc_arm_idle(hc); /* the peer is reading */
		hc_stats.app_wakeups++;
		hc_next_window(hc);
	} else if (hc->in_len) {
		hc_pipeline(hc);
	}
}

static void on_closed(void *ctx, int err)
{
	struct http_conn *hc = ctx;

	(void)err;
	hc_pair_end(hc);
	hc->c = NULL;
	enter_closing(hc);
	if (hc->thread) {
		/* The thread frees hc once it is out of its calls. */
		timer_cancel(&hc->timer);
		timer_cancel(&hc->retry);
		hc_thread_quit(hc);
		return;
	}
	if (hc->read_pending) {
		hc->dead = true; /* window_read frees */
		timer_cancel(&hc->timer);
		return;
	}
	hc_free(hc);
}

static bool on_accept_later(void *listener_ctx)
{
	(void)listener_ctx;
	return room_soon[cpu_self()];
}

static const struct conn_callbacks callbacks = {
	.accept = on_accept,
	.accept_later = on_accept_later,
	.recv = on_recv,
	.eof = on_eof,
	.writable = on_writable,
	.closed = on_closed,
};

/* Sums over the online CPUs; each counter is one aligned word. */
void http_get_stats(struct http_stats *st)
{
	*st = (struct http_stats){ 0 };
	for (unsigned cpu = 0; cpu < cpu_count(); cpu++) {
		const struct http_stats *c = &hc_stats_cpu[cpu];

#define HTTP_SUM(name) st->name += READ_ONCE(c->name);
		HTTP_STATS(HTTP_SUM)
#undef HTTP_SUM
		for (int i = 0; i < HTTP_STATUS_SLOTS; i++)
			st->status[i] += READ_ONCE(c->status[i]);
	}
}

void http_get_cpu_counts(unsigned cpu, uint64_t *requests,
			 uint64_t *connections)
{
	*requests = cpu < CPU_MAX ? READ_ONCE(hc_stats_cpu[cpu].requests) : 0;
	*connections =
		cpu < CPU_MAX ? READ_ONCE(hc_stats_cpu[cpu].connections) : 0;
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
