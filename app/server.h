/* SPDX-License-Identifier: MIT */
/*
 * The HTTP/1.1 static-file server: one state machine per connection on
 * top of net/conn.h, serving the volume of fs/file.h. Requests on a
 * connection are answered strictly in order (pipelined requests wait in
 * the receive buffer until the response before them is fully queued).
 * A body sent with GET or HEAD (Content-Length, up to HTTP_BODY_MAX, else
 * 413) is read past, as RFC 9112 frames it; the next request starts
 * after it.
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
 *
 * The files and their states: app/http_conn.h. The counters: http_stats.h
 * (written into /_stats by app/stats.c).
 */
#ifndef APP_SERVER_H
#define APP_SERVER_H

#include <stdint.h>

#include "app/http_stats.h"

/* Listen on `port` (run from the init calls at INIT_APP). */
void http_init(void);

/* The server's counters summed over the CPUs. */
void http_get_stats(struct http_stats *st);

/* Requests and connections served by CPU `cpu` (/_stats "cpus"). */
void http_get_cpu_counts(unsigned cpu, uint64_t *requests,
			 uint64_t *connections);

/* The `thread_send` mode ("copy", "sendfile"), for /_stats. */
const char *http_thread_send_name(void);

#endif
