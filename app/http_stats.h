/* SPDX-License-Identifier: MIT */
/*
 * The server's counters (owned by app/server.c, written as the "http"
 * object of /_stats by app/stats.c): one list, from which the struct and
 * its JSON members are generated, plus the responses by status code.
 */
#ifndef APP_HTTP_STATS_H
#define APP_HTTP_STATS_H

#include <stdint.h>

#include "kernel/lib/compiler.h"
#include "kernel/lib/statjson.h"

/*
 * The status codes the server answers with (http_response.c's reason
 * phrases), counted by slot: a block of counters per CPU stays a few
 * cache lines, where one word per code from 100 to 599 made it 4.7 KiB
 * and 64 CPUs' worth of them took a 4 MiB guest's memory.
 */
/* clang-format off */
#define HTTP_STATUS_CODES(X)                                               \
	X(200) X(206) X(301) X(304) X(400) X(403) X(404) X(405) X(408) \
	X(413) X(414) X(416) X(431) X(500) X(501) X(503) X(505)
/* clang-format on */
#define HTTP_STATUS_ONE(code) +1
#define HTTP_STATUS_SLOTS (0 HTTP_STATUS_CODES(HTTP_STATUS_ONE) + 1)
#define HTTP_STATUS_OTHER (HTTP_STATUS_SLOTS - 1) /* any other code */

/* The slot that counts `status`. */
static inline int http_status_slot(int status)
{
	static const int16_t codes[] = {
#define HTTP_STATUS_ENTRY(code) code,
		HTTP_STATUS_CODES(HTTP_STATUS_ENTRY)
#undef HTTP_STATUS_ENTRY
	};

	for (int i = 0; i < HTTP_STATUS_OTHER; i++)
		if (codes[i] == status)
			return i;
	return HTTP_STATUS_OTHER;
}

#define HTTP_STATS(X)                                                       \
	X(requests)                                                         \
	X(body_bytes) /* response body bytes queued */                      \
	X(connections)                                                      \
	X(active)                                                           \
	X(closing) /* now: closed by either side, not freed yet */          \
	X(refused)                                                          \
	X(timeouts_header)                                                  \
	X(timeouts_idle)                                                    \
	X(timeouts_send) /* peer stopped reading mid-response */            \
	X(aborted_mid_body) /* read error after the head went out */        \
	X(aborted_no_head) /* no pool page for a response head: reset */    \
	X(nomem_waits) /* body reads deferred: pool full of pinned pages */ \
	X(app_wakeups) /* requests routed + body windows resumed */         \
	X(responses_spliced) /* bodies sent by ECEM DNS */                  \
	X(spliced_ack_bytes) /* body bytes appended in the ACK path */      \
	X(spliced_disk_bytes) /* ... by a disk completion */                \
	X(thread_blocked_reads) /* model=threads: slept on the disk */      \
	X(thread_blocked_writes) /* ... on a full send buffer */            \
	X(thread_blocks_avoided) /* deferred reads whose write ran */       \
	X(thread_copied_bytes) /* page cache -> process buffers */          \
	X(thread_blocks) /* body threads put to sleep (copy, sendfile) */   \
	X(thread_wakeups) /* ... and resumed */                             \
	X(thread_setup_failed) /* no memory for a thread: answered 503 */   \
	X(sendfile_calls) /* thread_send=sendfile: bodies */                \
	X(sendfile_bytes) /* body bytes queued by sendfile, zero copy */    \
	X(sendfile_blocks_net) /* no DNS: slept on a full send buffer */    \
	X(sendfile_blocks_disk) /* ... on the disk */                       \
	X(sendfile_blocks_dns) /* DNS: slept for the rest of a range */     \
	X(sendfile_spliced_ack_bytes) /* DNS: queued in the ACK path */     \
	X(sendfile_spliced_disk_bytes) /* ... by a disk completion */       \
	X(opens_blocked) /* file opens that became LAIO continuations */    \
	X(open_retries) /* opens that found the volume held: retried */     \
	X(refused_conn_max) /* refusals by reason: conn_max */              \
	X(refused_budget) /* header budget spent */                         \
	X(refused_nomem) /* no memory for the connection */                 \
	X(pin_waits) /* windows deferred by pin_budget_pct */               \
	X(header_budget_waits) /* receive buffers not grown */              \
	X(health_checks) /* GET /_health answered (not in requests' log) */

struct http_stats {
	HTTP_STATS(STAT_U64)
	uint64_t status[HTTP_STATUS_SLOTS]; /* by http_status_slot() */
} __aligned(64); /* one CPU's block shares no line with another's */

#endif
