// SPDX-License-Identifier: MIT
/*
 * /_stats: every counter of the server and the subsystems beneath it as
 * one JSON object (interface in server.h). New mechanisms add a section
 * here. The writer never overruns the buffer: it records the overflow
 * and the caller gets -ENOSPC.
 */
#include <stdarg.h>
#include <stdbool.h>

#include "app/server.h"
#include "fs/file.h"
#include "fs/pcache.h"
#include "kernel/arch/time.h"
#include "kernel/io/ecem.h"
#include "kernel/io/iobuf.h"
#include "kernel/io/sfbuf.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/stdio.h"
#include "kernel/mm/heap.h"
#include "kernel/sched/laio.h"
#include "kernel/sched/mainloop.h"
#include "kernel/sched/thread.h"
#include "net/conn.h"
#include "net/net.h"

struct json {
	char *buf;
	size_t size, len;
	bool overflow;
	bool first; /* no member yet in the current object */
};

static void emit(struct json *j, const char *fmt, ...) __printf(2, 3);

static void emit(struct json *j, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (j->overflow)
		return;
	va_start(ap, fmt);
	n = vsnprintf(j->buf + j->len, j->size - j->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= j->size - j->len)
		j->overflow = true;
	else
		j->len += (size_t)n;
}

static void open_obj(struct json *j, const char *name)
{
	emit(j, "%s\"%s\":{", j->first ? "" : ",", name);
	j->first = true;
}

static void close_obj(struct json *j)
{
	emit(j, "}");
	j->first = false;
}

static void u64(struct json *j, const char *name, uint64_t v)
{
	emit(j, "%s\"%s\":%llu", j->first ? "" : ",", name,
	     (unsigned long long)v);
	j->first = false;
}

static void http_section(struct json *j)
{
	struct http_stats s;

	http_get_stats(&s);
	open_obj(j, "http");
	u64(j, "requests", s.requests);
	u64(j, "body_bytes", s.body_bytes);
	u64(j, "connections", s.connections);
	u64(j, "active", s.active);
	u64(j, "refused", s.refused);
	u64(j, "timeouts_header", s.timeouts_header);
	u64(j, "timeouts_idle", s.timeouts_idle);
	u64(j, "timeouts_send", s.timeouts_send);
	u64(j, "aborted_mid_body", s.aborted_mid_body);
	u64(j, "nomem_waits", s.nomem_waits);
	u64(j, "app_wakeups", s.app_wakeups);
	u64(j, "responses_spliced", s.responses_spliced);
	u64(j, "spliced_ack_bytes", s.spliced_ack_bytes);
	u64(j, "spliced_disk_bytes", s.spliced_disk_bytes);
	u64(j, "thread_blocked_reads", s.thread_blocked_reads);
	u64(j, "thread_blocked_writes", s.thread_blocked_writes);
	u64(j, "thread_blocks_avoided", s.thread_blocks_avoided);
	u64(j, "thread_copied_bytes", s.thread_copied_bytes);
	u64(j, "opens_blocked", s.opens_blocked);
	u64(j, "open_retries", s.open_retries);
	u64(j, "refused_conn_max", s.refused_conn_max);
	u64(j, "refused_budget", s.refused_budget);
	u64(j, "refused_nomem", s.refused_nomem);
	u64(j, "pin_waits", s.pin_waits);
	u64(j, "header_budget_waits", s.header_budget_waits);
	open_obj(j, "status");
	for (int code = HTTP_STATUS_MIN; code <= HTTP_STATUS_MAX; code++) {
		char name[4];

		if (!s.status[code])
			continue;
		snprintf(name, sizeof(name), "%d", code);
		u64(j, name, s.status[code]);
	}
	close_obj(j);
	close_obj(j);
}

static void conn_section(struct json *j)
{
	struct conn_stats s;

	conn_get_stats(&s);
	open_obj(j, "conn");
	u64(j, "accepted", s.accepted);
	u64(j, "refused", s.refused);
	u64(j, "accept_deferred", s.accept_deferred);
	u64(j, "active", s.active);
	u64(j, "resets", s.resets);
	u64(j, "bytes_in", s.bytes_in);
	u64(j, "bytes_out", s.bytes_out);
	u64(j, "bytes_copied", s.bytes_copied);
	u64(j, "queued_bytes", s.queued_bytes);
	u64(j, "recv_refused", s.recv_refused);
	u64(j, "map_waits", s.map_waits);
	close_obj(j);
}

static void nic_section(struct json *j)
{
	struct net_nic_counters s;

	net_nic_counters(&s);
	open_obj(j, "nic");
	u64(j, "rx_packets", s.rx_packets);
	u64(j, "rx_drops", s.rx_drops);
	u64(j, "rx_refill_failed", s.rx_refill_failed);
	u64(j, "rx_posted", s.rx_posted);
	u64(j, "rx_held", s.rx_held);
	u64(j, "tx_packets", s.tx_packets);
	u64(j, "tx_refused", s.tx_refused);
	u64(j, "tx_drops", s.tx_drops);
	u64(j, "ooseq_budget", s.ooseq_budget);
	u64(j, "ooseq_pages", s.ooseq_pages);
	u64(j, "ooseq_holders", s.ooseq_holders);
	u64(j, "ooseq_over_share", s.ooseq_over_share);
	u64(j, "ooseq_trimmed", s.ooseq_trimmed);
	close_obj(j);
}

static void lwip_mem_section(struct json *j)
{
	struct net_mem_counters m;

	net_mem_counters(&m);
	open_obj(j, "lwip_mem");
	u64(j, "limit", m.limit);
	u64(j, "used", m.used);
	u64(j, "peak", m.peak);
	u64(j, "refused", m.refused);
	close_obj(j);
}

static void storage_sections(struct json *j)
{
	struct iobuf_stats io;
	struct pcache_stats pc;
	struct fs_stats fs;

	iobuf_get_stats(&io);
	open_obj(j, "iobuf");
	u64(j, "pool_pages", io.pool_pages);
	u64(j, "free_pages", io.free_pages);
	u64(j, "pinned_pages", io.pinned_pages);
	u64(j, "allocs", io.allocs);
	u64(j, "frees", io.frees);
	u64(j, "alloc_failures", io.alloc_failures);
	close_obj(j);

	pcache_get_stats(&pc);
	open_obj(j, "pcache");
	u64(j, "hits", pc.hits);
	u64(j, "misses", pc.misses);
	u64(j, "waits", pc.waits);
	u64(j, "readahead_issued", pc.ra_issued);
	u64(j, "readahead_used", pc.ra_used);
	u64(j, "readahead_wasted", pc.ra_wasted);
	u64(j, "evictions", pc.evictions);
	u64(j, "read_errors", pc.read_errors);
	u64(j, "nomem", pc.nomem);
	u64(j, "cached_pages", pc.cached_pages);
	u64(j, "loading", pc.loading);
	close_obj(j);

	fs_get_stats(&fs);
	open_obj(j, "fs");
	u64(j, "opens", fs.opens);
	u64(j, "open_errors", fs.open_errors);
	u64(j, "files_cached", fs.files_cached);
	u64(j, "reads", fs.reads);
	u64(j, "read_errors", fs.read_errors);
	u64(j, "bytes_read", fs.bytes_read);
	u64(j, "disk_requests", fs.disk_requests);
	u64(j, "disk_bytes", fs.disk_bytes);
	u64(j, "disk_errors", fs.disk_errors);
	u64(j, "disk_queued", fs.disk_queued);
	u64(j, "disk_in_flight", fs.disk_in_flight);
	u64(j, "disk_max_in_flight", fs.disk_max_in_flight);
	u64(j, "disk_interrupts", fs.disk_interrupts);
	u64(j, "disk_waiting", fs.disk_waiting);
	u64(j, "disk_rekicks", fs.disk_rekicks);
	u64(j, "meta_waits", fs.meta_waits);
	u64(j, "meta_busy", fs.meta_busy);
	close_obj(j);
}

static void ecem_section(struct json *j)
{
	struct ecem_stats e;

	ecem_get_stats(&e);
	open_obj(j, "ecem");
	emit(j, "\"mode\":\"%s\"", ecem_mode_name(ecem_enabled()));
	j->first = false;
	u64(j, "pairs_added", e.pairs_added);
	u64(j, "pairs_live", e.pairs_live);
	u64(j, "disk_events", e.disk_events);
	u64(j, "net_events", e.net_events);
	u64(j, "delivered", e.delivered);
	u64(j, "deferred", e.deferred);
	u64(j, "deferred_delivered", e.deferred_delivered);
	u64(j, "dropped_deferred", e.dropped_deferred);
	u64(j, "acks_spliced", e.acks_spliced);
	u64(j, "bytes_acked_spliced", e.bytes_acked_spliced);
	open_obj(j, "transitions");
	for (int from = 0; from < 4; from++) {
		for (int to = 0; to < 4; to++) {
			char name[8];

			if (!e.transitions[from][to])
				continue;
			snprintf(name, sizeof(name), "%s-%s",
				 ecem_state_name((enum ecem_state)from),
				 ecem_state_name((enum ecem_state)to));
			u64(j, name, e.transitions[from][to]);
		}
	}
	close_obj(j);
	close_obj(j);
}

static void laio_section(struct json *j)
{
	struct laio_stats l;

	laio_get_stats(&l);
	open_obj(j, "laio");
	emit(j, "\"mode\":\"%s\"", laio_enabled() ? "on" : "off");
	j->first = false;
	u64(j, "calls", l.calls);
	u64(j, "fast", l.fast);
	u64(j, "blocked", l.blocked);
	u64(j, "completed", l.completed);
	u64(j, "fallbacks", l.fallbacks);
	u64(j, "direct", l.direct);
	u64(j, "live", l.live);
	u64(j, "live_max", l.live_max);
	u64(j, "workers", l.workers);
	close_obj(j);
}

static void mechanism_sections(struct json *j)
{
	static const char *const modes[] = { "sfbuf", "naive", "direct" };
	struct sfbuf_stats sf;
	struct net_csum_counters cs;

	sfbuf_get_stats(&sf);
	open_obj(j, "sfbuf");
	emit(j, "\"mode\":\"%s\"", modes[sfbuf_mode()]);
	j->first = false;
	u64(j, "gets", sf.gets);
	u64(j, "hits", sf.hits);
	u64(j, "misses", sf.misses);
	u64(j, "pte_writes", sf.pte_writes);
	u64(j, "invalidations", sf.invalidations);
	u64(j, "shootdowns_avoided", sf.shootdowns_avoided);
	u64(j, "recycled", sf.recycled);
	u64(j, "busy", sf.busy);
	u64(j, "busy_max", sf.busy_max);
	u64(j, "slots", sf.slots);
	u64(j, "held_refused", sf.held_refused);
	close_obj(j);

	net_csum_counters(&cs);
	open_obj(j, "csum");
	emit(j, "\"mode\":\"%s\"", cs.mode);
	j->first = false;
	u64(j, "cache_hits", cs.cache_hits);
	u64(j, "cache_misses", cs.cache_misses);
	u64(j, "bytes_summed", cs.bytes_summed);
	u64(j, "data_bytes_summed", cs.data_bytes_summed);
	close_obj(j);
	ecem_section(j);
	laio_section(j);
}

static void kernel_section(struct json *j)
{
	struct mainloop_stats ml;
	struct thread_stats th;
	struct heap_stats hp;

	mainloop_get_stats(&ml);
	thread_get_stats(&th);
	heap_get_stats(&hp);
	open_obj(j, "kernel");
	u64(j, "uptime_us", time_us());
	u64(j, "loop_iterations", ml.iterations);
	u64(j, "loop_halts", ml.halts);
	u64(j, "context_switches", th.switches);
	u64(j, "threads_live", th.live);
	u64(j, "heap_bytes", hp.bytes_in_use);
	close_obj(j);
}

int http_stats_json(char *buf, size_t size)
{
	struct json j = { .buf = buf, .size = size, .first = true };

	emit(&j, "{");
	http_section(&j);
	conn_section(&j);
	nic_section(&j);
	lwip_mem_section(&j);
	storage_sections(&j);
	mechanism_sections(&j);
	kernel_section(&j);
	emit(&j, "}\n");
	return j.overflow ? -ENOSPC : (int)j.len;
}
