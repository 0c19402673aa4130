// SPDX-License-Identifier: MIT
/*
 * The access log (interface in access_log.h): boot options, the ring of
 * finished entries and the main-loop poller that writes them.
 *
 * The ring holds whole entries, not text: the response path only copies
 * one (under the ring lock, so a main loop on another CPU may add too)
 * and the text is made by the poller, off that path, at most
 * DRAIN_BATCH lines a pass so a slow console cannot hog the loop.
 */
#define PR_PREFIX "access: "
#include "app/access_log.h"

#include "app/http_parser.h"
#include "kernel/arch/rtc.h"
#include "kernel/arch/time.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/initcall.h"
#include "kernel/core/printk.h"
#include "kernel/core/spinlock.h"
#include "kernel/io/causal.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/stdio.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/sched/mainloop.h"
#include "net/conn.h"
#include "net/dgram.h"
#include "net/ipcfg.h"

#define RING_DEFAULT 64
#define RING_MAX 4096
#define DRAIN_BATCH 16 /* lines written per main-loop pass */
#define PEER_BUF 24 /* "255.255.255.255:65535" + NUL */

static const char *const mode_names[] = { "off", "console", "syslog" };

static struct alog_target target; /* [I] access_log= */
static uint64_t ring_size = RING_DEFAULT; /* [I] access_log_ring= */
static char host[ALOG_HOST_MAX] = "petrel"; /* [I] access_log_host= */

static struct {
	struct spinlock lock;
	struct alog_entry *slot; /* [I] ring_size entries */
	uint64_t head, tail; /* [lock] pushed at head, popped at tail */
	uint64_t dropped; /* [lock] */
} ring = { .lock = SPINLOCK_INIT("alog", LOCK_RANK_ALOG) };

static uint64_t lines, send_errors; /* [m] the poller's */

static int parse_target(const char *value, void *var)
{
	return alog_parse_target(value, var);
}

static int show_target(char *buf, size_t size, const void *var)
{
	const struct alog_target *t = var;
	char a[IPCFG_STR_MAX];

	if (t->mode != ALOG_SYSLOG)
		return snprintf(buf, size, "%s", mode_names[t->mode]);
	return snprintf(buf, size, "syslog:%s:%u",
			ipcfg_format_addr(t->addr, a, sizeof(a)), t->port);
}

KPARAM_FUNC(access_log, target, parse_target, show_target,
	    "off|console|syslog:A.B.C.D:PORT");
KPARAM_UINT(access_log_ring, ring_size, 2, RING_MAX,
	    "access log lines that may wait to be written");
KPARAM_STR(access_log_host, host, "HOSTNAME of the syslog messages");

bool alog_enabled(void)
{
	return ring.slot != NULL;
}

/* The address part of conn_peer's "a.b.c.d:port". */
static void peer_addr(char *dst, const struct conn *c)
{
	char buf[PEER_BUF];
	const char *p = conn_peer(c, buf, sizeof(buf));
	const char *colon = strchr(p, ':');
	size_t n = colon ? (size_t)(colon - p) : strlen(p);

	alog_escape(dst, ALOG_PEER_MAX, p, n);
}

/* An optional header value, escaped ("" when absent). */
static void header(char *dst, size_t size, struct http_str v)
{
	alog_escape(dst, size, v.p ? v.p : "", v.p ? v.len : 0);
}

void alog_request(struct alog_entry **slot, const struct conn *c,
		  const struct http_request *req, bool parsed)
{
	struct alog_entry *e = *slot;

	if (!alog_enabled())
		return;
	if (!e)
		e = *slot = kmalloc(sizeof(*e));
	if (!e)
		return;
	memset(e, 0, sizeof(*e));
	peer_addr(e->peer, c);
	e->start_s = rtc_now();
	if (!parsed)
		return; /* method "" logs the request as "-" */
	strlcpy(e->method, http_method_name(req->method), sizeof(e->method));
	alog_escape(e->target, sizeof(e->target), req->target.p,
		    req->target.len);
	e->version_minor = (uint8_t)req->version_minor;
	header(e->referer, sizeof(e->referer), req->referer);
	header(e->agent, sizeof(e->agent), req->user_agent);
}

void alog_response(struct alog_entry *e, const struct causal *cause, int status,
		   uint64_t body_bytes, uint64_t bytes)
{
	uint64_t now = time_ns();

	if (!e || !alog_enabled() || !e->peer[0])
		return;
	e->done_us = rtc_epoch_us(now);
	e->req_id = cause->req_id;
	causal_trace_id(cause, e->trace_id);
	e->dur_us = (now - cause->start_ns) / 1000;
	e->status = (uint16_t)status;
	e->body_bytes = body_bytes;
	e->bytes = bytes;
	spin_lock(&ring.lock);
	if (ring.head - ring.tail < ring_size)
		ring.slot[ring.head++ % ring_size] = *e;
	else
		ring.dropped++;
	spin_unlock(&ring.lock);
	e->peer[0] = '\0'; /* logged: a second call is a no-op */
}

void alog_forget(struct alog_entry *e)
{
	if (e)
		e->peer[0] = '\0';
}

/* Take the oldest entry into *e: false when the ring is empty. */
static bool pop(struct alog_entry *e)
{
	bool got;

	spin_lock(&ring.lock);
	got = ring.tail != ring.head;
	if (got)
		*e = ring.slot[ring.tail++ % ring_size];
	spin_unlock(&ring.lock);
	return got;
}

/* Write one entry where access_log= says. */
static void write_entry(const struct alog_entry *e)
{
	static char line[ALOG_LINE_MAX], msg[ALOG_SYSLOG_MAX]; /* [m] */
	int n = alog_format_line(line, sizeof(line), e);

	if (n < 0)
		return; /* cannot happen: the fields are capped */
	if (target.mode == ALOG_CONSOLE) {
		pr_info("%s", line);
		lines++;
		return;
	}
	n = alog_format_syslog(msg, sizeof(msg), host, e, line, (size_t)n);
	if (n < 0 || dgram_send(target.addr, target.port, msg, (size_t)n))
		send_errors++;
	else
		lines++;
}

/* The main-loop poller: write up to DRAIN_BATCH waiting lines. */
static int drain(void *arg)
{
	struct alog_entry e;
	int done = 0;

	(void)arg;
	while (done < DRAIN_BATCH && pop(&e)) {
		write_entry(&e);
		done++;
	}
	return done;
}

void alog_get_stats(struct alog_stats *st)
{
	spin_lock(&ring.lock);
	st->dropped = ring.dropped;
	st->waiting = ring.head - ring.tail;
	spin_unlock(&ring.lock);
	st->mode = mode_names[target.mode];
	st->lines = lines;
	st->send_errors = send_errors;
	st->ring = alog_enabled() ? ring_size : 0;
}

/* After the options are parsed: the ring and the poller, if wanted. */
static void alog_init(void)
{
	char shown[48];

	if (target.mode == ALOG_OFF)
		return;
	ring.slot = kmalloc(ring_size * sizeof(*ring.slot));
	if (!ring.slot) {
		pr_err("no memory for %llu lines; access log off",
		       (unsigned long long)ring_size);
		return;
	}
	if (mainloop_add_poller(drain, NULL)) {
		kfree(ring.slot);
		ring.slot = NULL;
		pr_err("no poller slot; access log off");
		return;
	}
	show_target(shown, sizeof(shown), &target);
	pr_info("to %s, ring of %llu lines", shown,
		(unsigned long long)ring_size);
}
INITCALL(alog_init, INIT_APP);
