// SPDX-License-Identifier: MIT
/*
 * Request builder (interface and rules in blkrun.h). Used by the page
 * fill (fs/file.c) so that readahead of consecutive file pages that are
 * also consecutive on disk is one multi-segment request.
 */
#include "fs/blkrun.h"

#include <stdbool.h>

#include "kernel/lib/compiler.h"

void blkrun_init(struct blkrun *r, unsigned int seg_max, uint32_t seg_bytes_max,
		 blkrun_flush_fn flush, void *ctx)
{
	r->seg_max = MAX(1u, MIN(seg_max, (unsigned int)VBLK_SEGMENTS_MAX));
	seg_bytes_max -= seg_bytes_max % VBLK_SECTOR_SIZE;
	r->seg_bytes_max = MAX(seg_bytes_max, (uint32_t)VBLK_SECTOR_SIZE);
	r->flush = flush;
	r->ctx = ctx;
	r->bytes = 0;
	r->nsegs = 0;
}

int blkrun_flush(struct blkrun *r)
{
	int err;

	if (!r->bytes)
		return 0;
	err = r->flush(r->ctx, r->sector, r->segs, r->nsegs, r->first_tag,
		       r->last_tag);
	r->bytes = 0;
	r->nsegs = 0;
	return err;
}

/* Whether a piece at `sector` continues the open run on disk. */
static bool continues(const struct blkrun *r, uint64_t sector)
{
	return r->bytes && sector == r->sector + r->bytes / VBLK_SECTOR_SIZE;
}

/* Add at most one segment's worth of the piece; returns bytes taken. */
static uint32_t add_some(struct blkrun *r, uint64_t sector, uint64_t pa,
			 uint32_t len, uint32_t tag)
{
	struct vblk_segment *last = r->nsegs ? &r->segs[r->nsegs - 1] : NULL;
	uint32_t take;

	if (!r->bytes) {
		r->sector = sector;
		r->first_tag = tag;
	}
	if (last && last->pa + last->len == pa &&
	    last->len < r->seg_bytes_max) {
		take = MIN(len, r->seg_bytes_max - last->len);
		last->len += take;
	} else {
		take = MIN(len, r->seg_bytes_max);
		r->segs[r->nsegs++] = (struct vblk_segment){ pa, take };
	}
	r->bytes += take;
	r->last_tag = tag;
	return take;
}

int blkrun_add(struct blkrun *r, uint64_t sector, uint64_t pa, uint32_t len,
	       uint32_t tag)
{
	int err;

	while (len) {
		const struct vblk_segment *last =
			r->nsegs ? &r->segs[r->nsegs - 1] : NULL;
		bool extends = last && last->pa + last->len == pa &&
			       last->len < r->seg_bytes_max;
		uint32_t took;

		if (r->bytes && (!continues(r, sector) ||
				 (!extends && r->nsegs == r->seg_max))) {
			err = blkrun_flush(r);
			if (err)
				return err;
		}
		took = add_some(r, sector, pa, len, tag);
		sector += took / VBLK_SECTOR_SIZE;
		pa += took;
		len -= took;
	}
	return 0;
}
