/* SPDX-License-Identifier: MIT */
/*
 * The HTTP/1.1 static-file server: one state machine per connection on
 * top of net/conn.h, serving the volume of fs/file.h. Requests on a
 * connection are answered strictly in order (pipelined requests wait in
 * the receive buffer until the response before them is fully queued).
 * A body is read from the page cache in windows of `send_window` bytes
 * and handed to the connection as aggregates of page references; the
 * next window is read when the unacknowledged data falls low. With ECEM
 * disk-to-network splicing (`ecem=dns|all`) only the first window is
 * sent that way: after it, every acknowledgement appends as many bytes
 * from the page cache in the ACK path, and a disk completion resumes a
 * splice that found its pages uncached; the application is not woken.
 *
 * Defences: a connection limit (`conn_max`), a deadline for a complete
 * request head once its first byte arrived (`header_timeout_ms`,
 * slowloris), an idle keep-alive deadline (`idle_timeout_ms`, which also
 * bounds how long a response may make no progress), and the parser's caps
 * on request-line and header sizes.
 */
#ifndef APP_SERVER_H
#define APP_SERVER_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_STATUS_MIN 100
#define HTTP_STATUS_MAX 599

struct http_stats {
	uint64_t requests;
	uint64_t status[HTTP_STATUS_MAX + 1]; /* by code */
	uint64_t body_bytes; /* response body bytes queued */
	uint64_t connections, active, refused;
	uint64_t timeouts_header, timeouts_idle;
	uint64_t timeouts_send; /* peer stopped reading mid-response */
	uint64_t aborted_mid_body; /* read error after the head went out */
	uint64_t nomem_waits; /* body reads deferred: pool full of pinned pages */
	uint64_t app_wakeups; /* requests routed + body windows resumed */
	uint64_t responses_spliced; /* bodies sent by ECEM DNS */
	uint64_t spliced_ack_bytes; /* body bytes appended in the ACK path */
	uint64_t spliced_disk_bytes; /* ... by a disk completion */
	uint64_t thread_blocked_reads; /* model=threads: slept on the disk */
	uint64_t thread_blocked_writes; /* ... on a full send buffer */
	uint64_t thread_blocks_avoided; /* deferred reads whose write ran */
	uint64_t thread_copied_bytes; /* page cache -> process buffers */
};

/* Listen on `port` (run from the init calls at INIT_APP). */
void http_init(void);

void http_get_stats(struct http_stats *st);

/* Write the server's and every subsystem's counters as JSON (the body of
 * /_stats). Returns the length, or -ENOSPC if `size` is too small. */
int http_stats_json(char *buf, size_t size);

#endif
