/* SPDX-License-Identifier: MIT */
/*
 * The access log: one line per response (format in access_fmt.h) to the
 * console or as RFC 5424 syslog over UDP, chosen at boot:
 *
 *   access_log=off|console|syslog:A.B.C.D:PORT   (default off)
 *   access_log_ring=N      lines that may wait to be written (64)
 *   access_log_host=NAME   syslog HOSTNAME (default "petrel")
 *
 * A response never waits for its line: alog_response copies the entry
 * into a bounded ring, and the main loop's poller formats and writes
 * what is there. When the ring is full the line is dropped and counted
 * ("access_log" in /_stats), as is a datagram the stack refused.
 *
 * The server keeps one struct alog_entry per connection (made on its
 * first request while the log is on), fills its request part when a
 * head is parsed and hands it over when the response is queued whole.
 * Main loop only ([m]).
 */
#ifndef APP_ACCESS_LOG_H
#define APP_ACCESS_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "app/access_fmt.h"
#include "kernel/lib/statjson.h"

struct causal;
struct conn;
struct http_request;

#define ALOG_STATS(X)                                                   \
	X(lines) /* written to the console or handed to the stack */    \
	X(dropped) /* the ring was full: the response did not wait */   \
	X(send_errors) /* datagrams the stack refused (no memory...) */ \
	X(waiting) /* now: lines in the ring */                         \
	X(ring) /* its size (access_log_ring=) */

struct alog_stats {
	const char *mode; /* "off", "console" or "syslog" */
	ALOG_STATS(STAT_U64)
};

/* Whether lines are wanted at all (access_log= is not off). */
bool alog_enabled(void);

/* Record the request part of *slot's entry (allocated on first use; the
 * caller frees it with kfree): the peer of c, and the method, target,
 * version, Referer and User-Agent of req, or "-" when the head did not
 * parse (parsed false). Does nothing while the log is off or without
 * memory (that request then goes unlogged). */
void alog_request(struct alog_entry **slot, const struct conn *c,
		  const struct http_request *req, bool parsed);

/* The response to the request recorded in e (may be NULL: nothing to
 * do) was queued whole: complete e from the request's metadata and
 * queue its line, or count it dropped. Never blocks. */
void alog_response(struct alog_entry *e, const struct causal *cause, int status,
		   uint64_t body_bytes, uint64_t bytes);

/* Leave the request recorded in e (may be NULL) out of the log. */
void alog_forget(struct alog_entry *e);

void alog_get_stats(struct alog_stats *st);

#endif
