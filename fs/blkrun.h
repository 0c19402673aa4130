/* SPDX-License-Identifier: MIT */
/*
 * Request builder: turns file pieces (a disk location, a destination
 * physical address, a length), given in file order, into as few
 * virtio-blk requests as the device allows. A piece joins the open run
 * when it starts on the sector where the run ends; it extends the run's
 * last segment when it also continues it in memory, else it becomes a
 * new segment. A run closes (the flush callback gets it) on a disk
 * discontinuity, at seg_max segments, or when the caller asks. No
 * segment exceeds seg_bytes_max (the device's size_max): a longer piece
 * is split. Each piece carries a tag (a page number) and the flush is
 * told the first and last tag of the run, so the caller knows which
 * pages a request covers. Pure logic: no device, no allocation.
 */
#ifndef FS_BLKRUN_H
#define FS_BLKRUN_H

#include <stdint.h>

#include "fs/virtio_blk.h"
#include "kernel/param.h"

/* Send one request: `n` segments from `sector`, covering pieces tagged
 * first_tag..last_tag. 0 or a negative errno (the run is dropped either
 * way; the callee reports the failure for those tags). */
typedef int (*blkrun_flush_fn)(void *ctx, uint64_t sector,
			       const struct vblk_segment *segs, unsigned int n,
			       uint32_t first_tag, uint32_t last_tag);

struct blkrun {
	unsigned int seg_max; /* [I] 1..VBLK_SEGMENTS_MAX */
	uint32_t seg_bytes_max; /* [I] a sector multiple */
	blkrun_flush_fn flush; /* [I] */
	void *ctx; /* [I] */
	uint64_t sector; /* first sector of the open run */
	uint64_t bytes; /* of the open run; 0: none open */
	uint32_t first_tag, last_tag;
	unsigned int nsegs;
	struct vblk_segment segs[VBLK_SEGMENTS_MAX];
};

/* Set up an empty builder; seg_max and seg_bytes_max are clamped into
 * range (at least one segment of one sector). */
void blkrun_init(struct blkrun *r, unsigned int seg_max, uint32_t seg_bytes_max,
		 blkrun_flush_fn flush, void *ctx);

/*
 * Add `len` bytes (a sector multiple, > 0) read from `sector` into
 * physical address `pa`. May flush the open run first. Returns 0, or
 * the error of a flush it made: the callback has then reported the
 * failure for that run's tags, which may include this one (its first
 * part), and the rest of the piece is not added.
 */
int blkrun_add(struct blkrun *r, uint64_t sector, uint64_t pa, uint32_t len,
	       uint32_t tag);

/* Send the open run, if any. 0 or the flush callback's error. */
int blkrun_flush(struct blkrun *r);

#endif
