/* SPDX-License-Identifier: MIT */
/*
 * Connection API: what the HTTP server sees of TCP. It hides lwIP (whose
 * raw API runs only in the main loop) and moves IO-Lite aggregates.
 *
 * Receive: recv() gets each piece of in-order data as a byte range valid
 * only during the call; the window is reopened when recv returns. While
 * the application has paused receiving (conn_recv_pause), arriving data
 * is held back and the window stays closed: that is the backpressure a
 * client that pipelines without reading feels.
 *
 * Send: conn_send() consumes an aggregate: the connection takes its
 * slices (and their references) and hands the bytes to TCP as the send
 * window allows, without copying where the stack allows it. A slice's
 * references are dropped only when the peer has acknowledged every byte
 * of it, so a retransmission still finds the pages. writable() tells the
 * application that queued-but-unacknowledged bytes fell below
 * CONN_SEND_LOWAT, the time to produce more.
 *
 * Teardown: closed() is the last callback for a connection, whatever
 * ended it (graceful close, reset, abort, error); after it the conn
 * pointer is dead and every queued reference has been dropped. No
 * callback ever runs inside a conn_* call the application makes: they
 * come from the main loop, so the application may call conn_abort() and
 * go on using its own state. Main loop only ([m]).
 */
#ifndef NET_CONN_H
#define NET_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/lib/statjson.h"

struct conn;
struct ioagg;

struct conn_callbacks {
	/* A new connection on a listener. Return the application's context
	 * for it, or NULL to refuse it (it is then reset). */
	void *(*accept)(void *listener_ctx, struct conn *c);
	/* Optional. Asked after accept refused: true if the refusal should
	 * pass soon by itself (the room is held by connections that are
	 * only finishing). The connection then waits on the accept queue,
	 * established, and is offered again on later passes, for at most
	 * CONN_ACCEPT_ROOM_WAIT_MS; refused (reset) after that. */
	bool (*accept_later)(void *listener_ctx);
	/* In-order bytes; `data` is valid only during the call. Returns
	 * how many it took: fewer than len only after pausing receive
	 * (conn_recv_pause), and the rest is delivered again on resume. */
	size_t (*recv)(void *ctx, const void *data, size_t len);
	/* The peer will send no more (FIN received). */
	void (*eof)(void *ctx);
	/* Unacknowledged send data dropped below CONN_SEND_LOWAT. */
	void (*writable)(void *ctx);
	/* The connection is gone: 0 after a graceful close, else -ECONNRESET,
	 * -ECONNABORTED, -ETIMEDOUT... Last callback. */
	void (*closed)(void *ctx, int err);
};

#define CONN_STATS(X)                                                       \
	X(accepted)                                                         \
	X(refused)                                                          \
	X(accept_deferred) /* waited for a later pass (accept_limit) */     \
	X(accept_room_waits) /* refusals turned into waits: accept_later */ \
	X(accept_room_timeouts) /* ... reset after waiting the longest */   \
	X(active) /* open now */                                            \
	X(resets) /* ended by the peer or an error */                       \
	X(bytes_in)                                                         \
	X(bytes_out) /* acknowledged */                                     \
	X(bytes_copied) /* payload copied into stack buffers */             \
	X(queued_bytes) /* now: handed to conn_send, not acked */           \
	X(recv_refused) /* segments left to lwIP: reader paused */          \
	X(map_waits) /* sends held back: no page mapping spare */           \
	X(map_wakes) /* reruns: a put on any CPU freed a slot */            \
	X(write_refused) /* tcp_write ERR_MEM: lwIP's segments or pbufs */  \
	X(mem_waits) /* sends stopped for lwIP memory or a mapping */       \
	X(mem_reruns) /* stopped sends rerun when an ACK freed memory */    \
	X(mem_waiting) /* now: connections stopped that way */              \
	X(mem_wait_lost) /* found by the poll timer, nothing in flight */   \
	X(splices_ordered) /* prio=on: ACK splices run by urgency, pass end */

struct conn_stats {
	CONN_STATS(STAT_U64)
};

/* Listen on TCP `port`. 0 or a negative errno. */
int conn_listen(uint16_t port, const struct conn_callbacks *cb, void *ctx);

/* Queue all of `agg` for sending; consumes it (agg is left empty). 0, or
 * -ENOTCONN when the connection is closing (agg is released). */
int conn_send(struct conn *c, struct ioagg *agg);

/* Copy up to `len` bytes of `buf` into the stack's send buffer now:
 * the count taken (0 when full: wait for writable), or -ENOTCONN. */
long conn_write(struct conn *c, const void *buf, size_t len);

/* The urgency (RFC 9218, 0..7) of the request c now answers: with
 * prio=on the queues here serve more urgent connections first, and new
 * connections from the same client address queue at it. */
void conn_set_urgency(struct conn *c, uint8_t urgency);

/* Bytes given to conn_send and not yet acknowledged. */
uint64_t conn_queued(const struct conn *c);

/* Causeway: traced request `req` has queued its whole response at
 * now_ns (the caller's clock read, shared with its own spans); when the
 * peer has acknowledged its last byte, record the spans `ack` (from
 * now_ns) and `done` (from start_ns), kernel/io/trace.h. A few responses
 * may wait at once (pipelining); beyond that the oldest is forgotten. */
void conn_trace_ack(struct conn *c, uint64_t req, uint64_t start_ns,
		    uint64_t now_ns);

/* Stop (true) or resume (false) delivering received data. */
void conn_recv_pause(struct conn *c, bool pause);

/* Close once everything queued is sent and acknowledged; closed() follows. */
void conn_close(struct conn *c);

/* Reset now, dropping queued data; closed(-ECONNABORTED) follows. */
void conn_abort(struct conn *c);

/* The peer's address, for logs ("10.77.0.1:40112"). */
const char *conn_peer(const struct conn *c, char *buf, size_t size);

void conn_get_stats(struct conn_stats *st);

#endif
