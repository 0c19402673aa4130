// SPDX-License-Identifier: MIT
/*
 * sendfile() range bookkeeping (interface and rules in sendfile.h). A
 * step reads min(room, rest) bytes, where room is what the send buffer
 * takes beyond the bytes still unacknowledged, and queues them; it
 * stops at the first read that has to wait for the disk or the pool. A
 * step that finds less room than `batch` (and more file than that left)
 * waits for the network: a read per ACK costs more than it moves.
 */
#include "app/sendfile.h"

#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"

void sendfile_init(struct sendfile *sf, const struct sendfile_ops *ops,
		   void *arg, uint64_t off, uint64_t end, uint64_t sndbuf,
		   uint64_t batch)
{
	*sf = (struct sendfile){ .ops = ops,
				 .arg = arg,
				 .sndbuf = sndbuf,
				 .batch = batch ? batch : 1,
				 .off = off,
				 .end = end };
	ioagg_init(&sf->agg);
}

bool sendfile_over(enum sendfile_status st)
{
	return st == SENDFILE_DONE || st == SENDFILE_FAILED;
}

static enum sendfile_status fail(struct sendfile *sf, int err)
{
	if (!sf->err)
		sf->err = err;
	ioagg_release(&sf->agg);
	return SENDFILE_FAILED;
}

/* Queue what the finished read brought: it must be all it was asked. */
static int queue_read(struct sendfile *sf)
{
	uint64_t n = ioagg_len(&sf->agg);
	int err;

	if (n != sf->read_len)
		return -EIO;
	sf->sends++;
	err = sf->ops->send(sf->arg, &sf->agg);
	if (err)
		return err;
	sf->off += n;
	return 0;
}

/* Bytes the next read may move now; 0: wait for send space. */
static uint64_t next_len(const struct sendfile *sf)
{
	uint64_t queued = sf->ops->queued(sf->arg);
	uint64_t room = queued < sf->sndbuf ? sf->sndbuf - queued : 0;
	uint64_t rest = sf->end - sf->off;
	uint64_t len = MIN(room, rest);

	return len >= sf->batch || len == rest ? len : 0;
}

enum sendfile_status sendfile_step(struct sendfile *sf)
{
	for (;;) {
		uint64_t len;
		int err;

		if (sf->err)
			return SENDFILE_FAILED;
		if (sf->read_pending)
			return SENDFILE_WAIT_DISK;
		if (sf->off == sf->end)
			return SENDFILE_DONE;
		len = next_len(sf);
		if (!len)
			return SENDFILE_WAIT_NET;
		sf->read_len = len;
		sf->reads++;
		/* Pending already: a read that sleeps its thread (metadata)
		 * lets the ACK path step meanwhile, which must wait. */
		sf->read_pending = true;
		err = sf->ops->read(sf->arg, sf->off, len, &sf->agg);
		if (err == -EINPROGRESS)
			return SENDFILE_WAIT_DISK;
		sf->read_pending = false;
		if (err == -ENOMEM || err == -EAGAIN)
			return SENDFILE_WAIT_MEM; /* `agg` is unchanged */
		if (!err)
			err = queue_read(sf);
		if (err)
			return fail(sf, err);
	}
}

enum sendfile_status sendfile_read_done(struct sendfile *sf, int err)
{
	sf->read_pending = false;
	if (err == -ENOMEM || err == -EAGAIN) {
		/* Every pool page is pinned by bytes in flight: read again
		 * once some are acknowledged instead of failing. */
		ioagg_release(&sf->agg);
		return SENDFILE_WAIT_MEM;
	}
	if (!err && !sf->err)
		err = queue_read(sf);
	if (err)
		return fail(sf, err);
	return sendfile_step(sf);
}

void sendfile_cancel(struct sendfile *sf, int err)
{
	fail(sf, err);
}
