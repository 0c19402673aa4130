/* SPDX-License-Identifier: MIT */
/*
 * The range bookkeeping of a zero-copy sendfile(): a byte range of a
 * file is read from the page cache by reference and queued on a
 * connection, never more than `sndbuf` bytes unacknowledged (the send
 * buffer). The module only keeps the books; its owner (body_thread.c)
 * decides who calls it when, which is the whole difference between a
 * classic sendfile() and one spliced by ECEM DNS:
 *
 *   classic   the sending thread calls sendfile_step, sleeps on what it
 *             returns (send space, the disk), wakes and steps again;
 *   DNS       the thread steps once and sleeps; the ACK path steps on
 *             each acknowledgement (reads of at least `batch` bytes) and
 *             the disk completion calls sendfile_read_done; the thread
 *             is woken when a step returns DONE or FAILED.
 *
 * "Done" means every byte of the range is queued on the connection (as
 * sendfile(2) returns once its bytes are in the socket buffer), not yet
 * acknowledged: the connection keeps the page references until the ACKs
 * come. The read aggregate `agg` belongs to a read in flight until
 * sendfile_read_done; otherwise it is empty between calls. A step
 * made while another is inside a read that put its thread to sleep
 * returns WAIT_DISK. [m]: main loop and the cooperative threads it runs.
 */
#ifndef APP_SENDFILE_H
#define APP_SENDFILE_H

#include <stdbool.h>
#include <stdint.h>

#include "kernel/io/iobuf.h"

enum sendfile_status {
	SENDFILE_DONE, /* the whole range is queued */
	SENDFILE_WAIT_NET, /* send buffer full: step again when it has room */
	SENDFILE_WAIT_DISK, /* a read is in flight: sendfile_read_done */
	SENDFILE_WAIT_MEM, /* pool exhausted: step again after a while */
	SENDFILE_FAILED, /* ->err says why; nothing more is sent */
};

struct sendfile_ops {
	/* Append [off, off + len) of the file to `out`: 0 (complete now),
	 * -EINPROGRESS (the owner calls sendfile_read_done later), or an
	 * error with `out` unchanged. */
	int (*read)(void *arg, uint64_t off, uint64_t len, struct ioagg *out);
	/* Queue `agg` on the connection; consumes it. 0 or an error. */
	int (*send)(void *arg, struct ioagg *agg);
	/* Bytes queued on the connection and not yet acknowledged. */
	uint64_t (*queued)(void *arg);
};

struct sendfile {
	const struct sendfile_ops *ops; /* [I] */
	void *arg; /* [I] */
	uint64_t sndbuf; /* [I] unacknowledged bytes at most */
	uint64_t batch; /* [I] least bytes a read moves, but the last */
	uint64_t off, end; /* [m] next byte to read; end of the range */
	uint64_t read_len; /* [m] bytes of the read in flight */
	bool read_pending; /* [m] `agg` belongs to that read */
	int err; /* [m] first failure; sticky */
	uint64_t reads, sends; /* [m] calls of the ops, for tests */
	struct ioagg agg; /* [m] bytes read, not yet queued */
};

/* Start the range [off, end); nothing is read or sent yet. */
void sendfile_init(struct sendfile *sf, const struct sendfile_ops *ops,
		   void *arg, uint64_t off, uint64_t end, uint64_t sndbuf,
		   uint64_t batch);

/* Queue as much of the range as the send buffer takes now. */
enum sendfile_status sendfile_step(struct sendfile *sf);

/* The read that step left in flight finished with `err`: queue its
 * bytes and step on. */
enum sendfile_status sendfile_read_done(struct sendfile *sf, int err);

/* Stop for good (the connection went): `err` unless one is set already;
 * drops what was read and not queued. Not with a read in flight. */
void sendfile_cancel(struct sendfile *sf, int err);

/* Whether a status ends the call (DONE or FAILED). */
bool sendfile_over(enum sendfile_status st);

#endif
