/* SPDX-License-Identifier: MIT */
/*
 * Page cache: file pages kept as one-page iobufs, keyed by (file, page
 * index). A hit hands out a reference to the cached iobuf, no copy. A miss
 * allocates a pool page, asks the file's backing to fill it (virtio-blk
 * DMA straight into the page) and tells the waiters when it completes.
 *
 * Lifetime: a page with references is pinned and never evicted. When its
 * last reference goes (iobuf owner callback) it becomes evictable, still
 * cached and findable; when the pool runs out, eviction takes the page the
 * replacement policy names (LRU or GreedyDual-Size, fs/cache_policy.h) and
 * never touches a referenced page.
 *
 * Readahead (as Linux's on-demand readahead): a miss that continues a
 * sequential pattern (page 0, or the page after the file's last access)
 * reads a window of READAHEAD_START pages, the missed page first, in one
 * backing call (read_pages: one multi-segment disk request where the
 * disk layout allows). The window's second page carries a trigger mark,
 * and each later window's first page: looking up a marked page (by
 * whichever reader) issues the next window, twice the size, up to the
 * file's cap, so reading stays about one window ahead. The cap starts
 * at the `readahead=` boot option and halves (down to READAHEAD_MIN) each
 * time a quarter of it was read ahead and evicted unused; it doubles back
 * after four caps' worth of read-ahead pages were used. Because the
 * marks live in the pages, interleaved readers of one file each keep
 * their own stream going.
 *
 * Any CPU (main loop or thread context), under the page cache lock
 * (rank LOCK_RANK_FS), which the CPU holding it may take again: every
 * function here takes it; backings take it in their completion paths
 * (pcache_lock) around their bookkeeping and pcache_fill_done. Waiters
 * run with it held, on the CPU that queued them (handed over there when
 * the page is filled elsewhere): they must not block nor take a lock
 * ranked below FS. Nothing may sleep while holding it. Completion
 * callbacks run from the main loop (soft-irq context): they must not
 * block.
 */
#ifndef FS_PCACHE_H
#define FS_PCACHE_H

#include <stdint.h>
#include "kernel/lib/statjson.h"
#include "kernel/sched/handover.h"

#include "fs/cache_policy.h"

struct causal;
struct iobuf;
struct pcache_file;

struct pcache_backing_ops {
	/*
	 * Start filling page `index` of `f` into `buf` (one page, not yet
	 * sealed; the length to seal is min(PAGE_SIZE, size - index * 4K)),
	 * at disk rank `rank` (kernel/io/prio.h: the requester's urgency,
	 * and whether this is readahead).
	 * Return 0 and call pcache_fill_done() later (or before returning),
	 * or return a negative errno without calling it.
	 */
	int (*read_page)(struct pcache_file *f, uint64_t index,
			 struct iobuf *buf, unsigned int rank);
	/*
	 * Optional: start filling pages first..first+n-1 (n >= 1) into
	 * bufs[0..n-1], each completed by its own pcache_fill_done(), maybe
	 * before returning. Return 0, or a negative errno when no page was
	 * started and none completed. Without it, read_page per page.
	 * `cause`: the request whose miss started the batch (NULL for
	 * readahead nobody waits on), borrowed for the call; `rank` as for
	 * read_page (readahead keeps the urgency of the reader whose
	 * lookup triggered it).
	 */
	int (*read_pages)(struct pcache_file *f, uint64_t first,
			  struct iobuf *const *bufs, uint32_t n,
			  const struct causal *cause, unsigned int rank);
	/*
	 * Optional: a lookup of rank `rank` (a demand read, more urgent than
	 * the rank page `index` is being filled at) now waits on that page.
	 * The backing may hurry the fill (priority inheritance). Called
	 * with the page cache lock held, at most once per more urgent rank.
	 */
	void (*raise)(struct pcache_file *f, uint64_t index, unsigned int rank);
};

struct pcache_file {
	uint64_t id; /* [I] unique per file (the inode number) */
	uint64_t size; /* [I] bytes */
	const struct pcache_backing_ops *ops; /* [I] */
	void *ctx; /* [I] for the backing */
	uint64_t last_index; /* [m] readahead: last page asked for */
	uint32_t ra_window; /* [m] last window issued, pages; 0 after a
			     * random miss */
	uint32_t ra_cap; /* [m] window cap in pages, shrunk on waste */
	uint32_t ra_wasted; /* [m] pages wasted since the cap last moved */
	uint32_t ra_used; /* [m] pages used since the cap last moved */
	uint32_t refill_cost; /* [I] disk round trips to read it all again */
};

/* A waiter is embedded by the caller; it is called once, from
 * pcache_fill_done, with a referenced iobuf (err == 0) or an error. The
 * urgency of its `cause` (RFC 9218; NULL: the default) ranks the disk
 * reads its lookup starts, and the readahead that lookup triggers. */
typedef void (*pcache_done_fn)(void *arg, struct iobuf *buf, int err);

struct pcache_waiter {
	pcache_done_fn fn;
	void *arg;
	const struct causal *cause; /* the request waiting, or NULL */
	struct pcache_waiter *next; /* [lock] owned by the cache while queued */
	uint16_t cpu; /* [lock] the CPU that queued it: it is called there */
	int err; /* [queue] while handed over to its CPU */
	struct iobuf *buf; /* [queue] */
	struct handover ho; /* [queue] */
};

#define PCACHE_STATS(X)                                            \
	X(hits) /* lookups found valid */                          \
	X(misses) /* lookups that had to read */                   \
	X(hit_bytes) /* file bytes of the hits */                  \
	X(miss_bytes) /* file bytes of misses and waits */         \
	X(waits) /* lookups that joined a read in flight */        \
	X(waits_raised) /* ... more urgent than it: fill raised */ \
	X(readahead_issued) /* pages read ahead */                 \
	X(readahead_used) /* read-ahead pages later looked up */   \
	X(readahead_wasted) /* read-ahead pages evicted unused */  \
	X(readahead_windows) /* windows issued */                  \
	X(readahead_grows) /* a window larger than the last */     \
	X(readahead_shrinks) /* a file's cap halved on waste */    \
	X(readahead_window_max) /* largest window, in pages */     \
	X(batch_reads) /* backing calls for several pages */       \
	X(evictions)                                               \
	X(read_errors)                                             \
	X(nomem) /* lookups refused: pool full of pinned pages */  \
	X(cached_pages) /* now, valid or in flight */              \
	X(loading) /* now: pages whose read is in flight */

struct pcache_stats {
	PCACHE_STATS(STAT_U64)
};

/* Size the hash table and the policy for `pool_pages`; readahead cap in
 * pages. 0 or -ENOMEM. */
int pcache_init(uint64_t pool_pages, uint32_t readahead_max,
		enum cache_policy_kind policy);

void pcache_file_init(struct pcache_file *f, uint64_t id, uint64_t size,
		      const struct pcache_backing_ops *ops, void *ctx);

/*
 * Get page `index` of `f`. Returns 0 with *out holding a new reference
 * (hit), -EINPROGRESS when the page is being read and `w` will be called
 * (w is queued and must stay valid until called; with a synchronous
 * backing it may be called before pcache_get returns; w may be NULL to
 * only start the read), -EINVAL beyond the end of the file, -ENOMEM when
 * no pool page can be freed (try again later), or the backing's error.
 */
int pcache_get(struct pcache_file *f, uint64_t index, struct iobuf **out,
	       struct pcache_waiter *w);

/* Remove a waiter that has not been called (its requester went away).
 * Returns 1 if it was removed, 0 if not found (called, or handed over
 * to this CPU and about to be called: the caller must not free it until
 * its main loop has run). */
int pcache_cancel(struct pcache_file *f, uint64_t index,
		  struct pcache_waiter *w);

/* The backing finished page `index` of `f`: err == 0 if buf is filled. */
void pcache_fill_done(struct pcache_file *f, uint64_t index, struct iobuf *buf,
		      int err);

/* Drop up to n unreferenced pages (other pool users call this when the
 * pool is empty). Returns pages freed. */
uint64_t pcache_reclaim(uint64_t n);

void pcache_get_stats(struct pcache_stats *st);

/* The page cache lock (re-entrant on the CPU holding it): for backings'
 * completion paths, around their state and pcache_fill_done. */
void pcache_lock(void);
void pcache_unlock(void);

/* The replacement policy in force: "lru" or "gds". */
const char *pcache_policy_name(void);

#endif
