// SPDX-License-Identifier: MIT
/*
 * File API over ext2 + page cache + virtio-blk (interface in file.h).
 *
 * Page fill: the page cache hands over a batch of consecutive pages (a
 * readahead window, or one page). ext2_bmap maps each page's blocks, in
 * file order, into the request builder (fs/blkrun.h): blocks consecutive
 * on disk become one multi-segment virtio-blk request, one segment per
 * page, DMAing straight into the pool pages, up to the device's seg_max
 * and size_max; holes are zeroed by the CPU (the only time it touches
 * file data). A page completes when the last request covering it does.
 * Outside a thread the map comes only from cached indirect blocks
 * (ext2_bmap_cached); a missing one is read asynchronously like file
 * data (one read per block however many batches wait for it), put into
 * ext2's cache, and the batches waiting for it go on from the page that
 * needed it. So the main loop never waits for the disk on this path
 * (fs.sync_reads_in_loop counts the waits it still makes elsewhere).
 *
 * Range read: one pcache_get per page with an embedded waiter; when all
 * pages are in, the aggregate is built in file order and the waiters'
 * references are dropped (the aggregate holds its own).
 *
 * Several CPUs: the fill batches, the indirect-block reads in flight and
 * the counters are under the page cache lock (pcache_lock, rank FS),
 * taken by fs_read and by the disk completions; fills never sleep under
 * it (threads map from cached indirect blocks too). ext2's caches and
 * the open-file table are under the volume lock (meta_lock, rank
 * FS_META), held while ext2 code runs and dropped around each blocking
 * disk read (dev_read). A caller that runs several ext2 steps (a lookup
 * that reads directories) also holds the volume (meta_held, a flag
 * taken with an atomic exchange): a thread that finds it held yields
 * until it is free, the main loop gets -EAGAIN.
 *
 * Priority: the request's urgency is copied into each page waiter, and
 * from the page cache's rank into the batch (struct fill) and each disk
 * request it posts, indirect-block reads included, so it outlives the
 * request that asked for it.
 */
#define PR_PREFIX "fs: "
#include "fs/file.h"

#include "fs/blkrun.h"
#include "fs/ext2.h"
#include "fs/pcache.h"
#include "fs/virtio_blk.h"
#include "kernel/arch/time.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/initcall.h"
#include "kernel/core/printk.h"
#include "kernel/core/spinlock.h"
#include "kernel/cpu/percpu.h"
#include "kernel/io/causal.h"
#include "kernel/io/iobuf.h"
#include "kernel/io/prio.h"
#include "kernel/io/trace.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/list.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/param.h"
#include "kernel/sched/completion.h"
#include "kernel/sched/mainloop.h"
#include "kernel/sched/thread.h"

#define FILE_HASH_SIZE 256

struct file {
	struct ext2_inode inode; /* [I] */
	struct file_stat st; /* [I] */
	struct pcache_file pc; /* [m] */
	struct file *hash_next; /* [m] */
};

static struct {
	struct vblk_dev *dev; /* [I] */
	struct ext2_vol *vol; /* [I] NULL: nothing mounted */
	uint32_t block_size; /* [I] */
	struct file *files[FILE_HASH_SIZE]; /* [m] by inode number */
	struct fs_stats stats; /* [m] */
} fs;

/*
 * ext2 keeps pointers into its block cache across a metadata read, and a
 * thread (a LAIO continuation, a model=threads connection) sleeps during
 * that read: one caller inside ext2 at a time. A thread that finds it
 * taken waits; the main loop cannot wait for a sleeping thread and gets
 * -EAGAIN (callers retry or answer 503). With prio=on the volume goes to
 * the most urgent waiter: a caller of urgency u neither takes it nor
 * keeps waiting for it while a more urgent thread waits (every open
 * passes here, so an urgent request is not stuck behind a flood of
 * opens of less urgent ones).
 */
static bool meta_held; /* [atomic] */
static uint32_t meta_waiting[PRIO_CLASSES]; /* [atomic] threads, by urgency */
static struct spinlock meta_lock = SPINLOCK_INIT("ext2", LOCK_RANK_FS_META);

/* A counter written outside the locks, from any CPU. */
#define COUNT(field) __atomic_fetch_add(&fs.stats.field, 1, __ATOMIC_RELAXED)

/* Whether a thread more urgent than `urgency` waits for the volume. */
static bool more_urgent_waiting(uint8_t urgency)
{
	if (!prio_enforced())
		return false;
	for (unsigned int u = 0; u < urgency && u < PRIO_CLASSES; u++)
		if (__atomic_load_n(&meta_waiting[u], __ATOMIC_RELAXED))
			return true;
	return false;
}

/* Take the volume if it is free and nobody more urgent waits. */
static bool meta_try(uint8_t urgency)
{
	return !more_urgent_waiting(urgency) &&
	       !__atomic_exchange_n(&meta_held, true, __ATOMIC_ACQUIRE);
}

static int meta_enter(uint8_t urgency)
{
	urgency = MIN(urgency, (uint8_t)CAUSAL_URGENCY_MAX);
	if (!meta_try(urgency)) {
		if (!thread_current()) {
			COUNT(meta_busy);
			return -EAGAIN;
		}
		COUNT(meta_waits);
		__atomic_fetch_add(&prio_class(urgency)->volume_waits, 1,
				   __ATOMIC_RELAXED);
		__atomic_fetch_add(&meta_waiting[urgency], 1, __ATOMIC_RELAXED);
		/* Its holder may be on another CPU, which cannot wake us:
		 * let this CPU's loop run and look again. */
		while (!meta_try(urgency))
			thread_yield();
		__atomic_fetch_sub(&meta_waiting[urgency], 1, __ATOMIC_RELAXED);
	}
	spin_lock(&meta_lock);
	return 0;
}

static void meta_leave(void)
{
	spin_unlock(&meta_lock);
	__atomic_store_n(&meta_held, false, __ATOMIC_RELEASE);
}

/* ext2's disk reads block: the volume lock is let go meanwhile (the
 * volume stays held: meta_held), so nobody spins for a disk read. */
static int dev_read(void *ctx, uint64_t off, void *buf, size_t len)
{
	bool locked = spin_held(&meta_lock);
	int err;

	if (locked)
		spin_unlock(&meta_lock);
	err = vblk_read_sync(ctx, off, buf, len);
	if (locked)
		spin_lock(&meta_lock);
	return err;
}

static uint64_t readahead_pages = 256;
KPARAM_UINT(readahead, readahead_pages, 0, 4096,
	    "page-cache readahead window cap, in pages (0: off; 256 = 1 MiB)");

static const char *const cache_policy_names[] = { "lru", "gds", NULL };
static int cache_policy = CACHE_POLICY_LRU;
KPARAM_ENUM(cache_policy, cache_policy, cache_policy_names,
	    "page-cache replacement: lru|gds (GreedyDual-Size)");

/*
 * A stream's window at most 1/READAHEAD_POOL_SHARE of the buffer pool,
 * so that that many sequential streams at full window still fit in it: a
 * pool full of read-ahead pages pins nothing, but it evicts the pages a
 * cached client is about to hit and, with every page in flight, leaves
 * new connections nothing to read into. Linux bounds its window by free
 * memory the same way.
 */
#define READAHEAD_POOL_SHARE 32

static uint32_t readahead_cap(uint64_t pool_pages)
{
	uint64_t bound = pool_pages / READAHEAD_POOL_SHARE;

	if (readahead_pages <= bound)
		return (uint32_t)readahead_pages;
	pr_info("readahead=%llu pages clamped to %llu: 1/%u of a %llu-page pool",
		(unsigned long long)readahead_pages, (unsigned long long)bound,
		READAHEAD_POOL_SHARE, (unsigned long long)pool_pages);
	return (uint32_t)bound;
}

/*
 * Fills leave 1/HEADROOM_POOL_SHARE of the pool (at least HEADROOM_MIN
 * pages, at most an eighth) to the allocations that cannot wait. With
 * the whole pool open to them, the fills of 24 large responses on two
 * CPUs took it down to the RX reserve (566 pages loading, the rest in
 * flight, nothing to evict), and a cached client's response head found
 * no page: that connection was reset.
 */
#define HEADROOM_POOL_SHARE 64
#define HEADROOM_MIN 16

static uint64_t fill_headroom(uint64_t pool_pages)
{
	return MIN(MAX(pool_pages / HEADROOM_POOL_SHARE, HEADROOM_MIN),
		   pool_pages / 8);
}

void fs_init(void)
{
	struct iobuf_stats st;
	struct vblk_dev *dev;
	int err;

	iobuf_get_stats(&st);
	iobuf_set_headroom(fill_headroom(st.pool_pages));
	err = pcache_init(st.pool_pages, readahead_cap(st.pool_pages),
			  (enum cache_policy_kind)cache_policy);
	if (err) {
		pr_err("no page cache: %s", errname(err));
		return;
	}
	dev = vblk_probe();
	if (dev)
		fs_mount(dev);
	else
		pr_warn("no disk: nothing to serve");
}
INITCALL(fs_init, INIT_FS);

int fs_mount(struct vblk_dev *dev)
{
	static struct ext2_dev ext2_dev;
	int err;

	ext2_dev = (struct ext2_dev){ .read = dev_read,
				      .ctx = dev,
				      .size = vblk_capacity(dev) };
	err = ext2_mount(&ext2_dev, &fs.vol);
	if (err) {
		pr_err("no volume: mount failed (%s)", errname(err));
		fs.vol = NULL;
		return err;
	}
	fs.dev = dev;
	fs.block_size = ext2_block_size(fs.vol);
	pr_info("ext2 volume mounted, %u-byte blocks", fs.block_size);
	return 0;
}

struct vblk_dev *fs_device(void)
{
	return fs.dev;
}

bool fs_mounted(void)
{
	return fs.vol != NULL;
}

/* --- page fill: the page cache's backing --- */

#define BLOCKS_PER_PAGE_MAX (PAGE_SIZE >> EXT2_MIN_BLOCK_LOG)

struct fill_page {
	struct iobuf *buf; /* [I] */
	int pending; /* [m] requests covering it, +1 until mapped */
	int err; /* [m] first error */
	bool lost; /* [m] a request timed out: the device keeps buf */
};

/* A batch of consecutive pages being filled (one read_pages call). */
struct fill {
	struct pcache_file *pc; /* [I] */
	uint64_t first; /* [I] page index of pages[0] */
	uint32_t n; /* [I] */
	uint32_t next; /* [m] first page not mapped yet */
	uint32_t held; /* [m] first page still holding its mapping +1 */
	uint32_t live; /* [m] pages not completed; 0 frees the batch */
	unsigned int rank; /* [m] disk rank (kernel/io/prio.h), raised by a
			    * more urgent reader for the requests to come */
	struct blkrun run; /* [m] the request being built */
	struct list_node link; /* [m] on fills_live */
	struct fill_req *reqs; /* [m] posted and not completed */
	struct fill *next_waiter; /* [m] waiting for the same indirect block */
	uint64_t trace_req; /* [I] the request that missed page 0, or 0 */
	struct fill_page pages[]; /* n */
};

/* One posted request: it covers pages first..last of its batch. */
struct fill_req {
	struct fill *fl;
	uint32_t first, last;
	uint64_t trace_req, posted_ns; /* its `disk` span, if traced */
	struct vblk_req *vreq; /* [m] the driver's, for vblk_raise */
	struct fill_req *next; /* [m] on fl->reqs */
};

/* Batches with pages not completed: where a raise looks (a raise is
 * rare, and as many batches are live as disk requests fit in flight). */
static struct list_node fills_live = LIST_HEAD_INIT(fills_live);

/* An indirect block read asynchronously for the batches waiting on it. */
struct meta_read {
	uint64_t blk; /* [I] volume block */
	void *data; /* [I] block_size bytes, the device's until done */
	struct fill *waiters; /* [m] */
	struct meta_read *next; /* [m] */
};

static struct meta_read *meta_reads; /* [m] in flight */

static void fill_continue(struct fill *fl, bool sleeping);

/* Drop one of page p's references; the last completes the page, and the
 * batch's last page frees the batch. */
static void page_put(struct fill *fl, uint32_t p)
{
	struct fill_page *pg = &fl->pages[p];

	if (--pg->pending)
		return;
	pcache_fill_done(fl->pc, fl->first + p, pg->buf, pg->err);
	if (--fl->live == 0) {
		list_remove(&fl->link);
		kfree(fl);
	}
}

static void page_part_done(struct fill *fl, uint32_t p, int err)
{
	struct fill_page *pg = &fl->pages[p];

	if (err == -ETIMEDOUT && !pg->lost) {
		/* The device may still DMA into the page: a reference that
		 * is never dropped keeps it out of the pool for good. */
		pg->lost = true;
		iobuf_ref(pg->buf);
		fs.stats.pages_lost++;
	}
	if (err && !pg->err)
		pg->err = err;
	page_put(fl, p);
}

static void req_unlink(struct fill_req *rq)
{
	struct fill_req **pp = &rq->fl->reqs;

	while (*pp != rq)
		pp = &(*pp)->next;
	*pp = rq->next;
}

static void fill_req_done(void *arg, int err)
{
	struct fill_req *rq = arg;
	struct fill *fl = rq->fl;
	uint32_t first = rq->first, last = rq->last;

	if (rq->trace_req)
		trace_span(rq->trace_req, TRACE_DISK, rq->posted_ns, time_ns());
	pcache_lock();
	/* Unlinked under the lock: a raise holding it may still use vreq,
	 * which the driver keeps until this returns. */
	req_unlink(rq);
	kfree(rq);
	/* The last page_put may free fl: the highest page goes last. */
	for (uint32_t p = first; p <= last; p++)
		page_part_done(fl, p, err);
	pcache_unlock();
}

/* blkrun flush: post one request for pages first..last of the batch. A
 * failure is reported to those pages (still held, so not completed). */
static int fill_post(void *ctx, uint64_t sector,
		     const struct vblk_segment *segs, unsigned int n,
		     uint32_t first, uint32_t last)
{
	struct fill *fl = ctx;
	struct fill_req *rq = kmalloc(sizeof(*rq));
	int err = -ENOMEM;

	for (uint32_t p = first; p <= last; p++)
		fl->pages[p].pending++;
	if (rq) {
		/* The request whose miss made the batch waits on its first
		 * page; the requests for the others (readahead) run beside
		 * that one and are not drawn on its track. */
		uint64_t traced = first == 0 ? fl->trace_req : 0;

		*rq = (struct fill_req){ .fl = fl,
					 .first = first,
					 .last = last,
					 .trace_req = traced,
					 .posted_ns = traced ? time_ns() : 0,
					 .next = fl->reqs };
		fl->reqs = rq;
		err = vblk_read(fs.dev, sector, segs, n, fl->rank,
				fill_req_done, rq, &rq->vreq);
		if (err) {
			req_unlink(rq);
			kfree(rq);
		} else {
			fs.stats.fill_requests++;
		}
	}
	if (err)
		for (uint32_t p = first; p <= last; p++)
			page_part_done(fl, p, err);
	return err;
}

/* Send the open request, then let go of the mapping hold of every page
 * before fl->next (they are wholly in posted requests now). The batch
 * may be freed when this returns if fl->next == fl->n. */
static void fill_release(struct fill *fl)
{
	uint32_t from = fl->held, to = fl->next;

	blkrun_flush(&fl->run); /* a failure went to its pages */
	fl->held = to;
	for (uint32_t p = from; p < to; p++)
		page_put(fl, p);
}

/* Fail pages fl->next.. with err, and release everything. */
static void fill_fail_rest(struct fill *fl, int err)
{
	for (uint32_t p = fl->next; p < fl->n; p++)
		if (!fl->pages[p].err)
			fl->pages[p].err = err;
	fl->next = fl->n;
	fill_release(fl);
}

static void zero_block(struct iobuf *buf, uint32_t off)
{
	char *va = iobuf_map(buf);

	memset(va + off, 0, fs.block_size);
	iobuf_unmap(buf, va);
}

/*
 * Map the file blocks of page `index` into dblk[] (0: hole); sets *n.
 * With `missing`, only cached indirect blocks are used: -EAGAIN and
 * *missing names the one to read. Without, the caller holds the volume.
 */
static int map_page(struct file *f, uint64_t index, uint64_t *dblk, uint32_t *n,
		    uint64_t *missing)
{
	uint32_t per_page = PAGE_SIZE / fs.block_size;
	uint64_t first = index * per_page;
	uint64_t last =
		MIN(first + per_page, DIV_ROUND_UP(f->st.size, fs.block_size));
	int err;

	*n = (uint32_t)(last - first);
	for (uint32_t i = 0; i < *n; i++) {
		err = missing ?
			      ext2_bmap_cached(fs.vol, &f->inode, first + i,
					       &dblk[i], missing) :
			      ext2_bmap(fs.vol, &f->inode, first + i, &dblk[i]);
		if (err)
			return err;
	}
	return 0;
}

/* Add page p's mapped blocks to the request being built; holes are
 * zeroed. 0 or the error of a request that could not be posted. */
static int fill_add_page(struct fill *fl, uint32_t p, const uint64_t *dblk,
			 uint32_t n)
{
	struct iobuf *buf = fl->pages[p].buf;
	uint32_t sectors_per_block = fs.block_size / VBLK_SECTOR_SIZE;
	int err = 0;

	for (uint32_t i = 0; i < n && !err; i++) {
		uint32_t off = i * fs.block_size;

		if (dblk[i] == 0)
			zero_block(buf, off);
		else
			err = blkrun_add(&fl->run, dblk[i] * sectors_per_block,
					 buf->pa + off, fs.block_size, p);
	}
	return err;
}

/* The indirect block is in (or failed): cache it, resume its batches. */
static void meta_read_done(void *arg, int err)
{
	struct meta_read *m = arg, **pp = &meta_reads;
	struct fill *fl, *next;

	pcache_lock();
	fl = m->waiters;
	while (*pp != m)
		pp = &(*pp)->next;
	*pp = m->next;
	if (!err) {
		spin_lock(&meta_lock);
		err = ext2_cache_put(fs.vol, m->blk, m->data);
		spin_unlock(&meta_lock);
	}
	if (err != -ETIMEDOUT)
		kfree(m->data); /* else the device may still write it: leak */
	kfree(m);
	for (; fl; fl = next) {
		next = fl->next_waiter;
		if (err)
			fill_fail_rest(fl, err);
		else
			fill_continue(fl, false); /* maybe the next level */
	}
	pcache_unlock();
}

/* Wait for indirect block blk without blocking: join its read, or start
 * one. 0 (fl is queued) or an error (fl is not). */
static int meta_wait(struct fill *fl, uint64_t blk)
{
	struct meta_read *m;
	int err;

	for (m = meta_reads; m && m->blk != blk; m = m->next)
		;
	if (!m) {
		m = kzalloc(sizeof(*m));
		if (!m)
			return -ENOMEM;
		m->blk = blk;
		m->data = kmalloc(fs.block_size);
		err = m->data ? vblk_read_kmem(fs.dev, blk * fs.block_size,
					       m->data, fs.block_size, fl->rank,
					       meta_read_done, m) :
				-ENOMEM;
		if (err) {
			kfree(m->data);
			kfree(m);
			return err;
		}
		m->next = meta_reads;
		meta_reads = m;
		fs.stats.bmap_async_reads++;
	}
	fl->next_waiter = m->waiters;
	m->waiters = fl;
	return 0;
}

/*
 * Map and issue the batch's pages from fl->next on. In the main loop the
 * map comes from cached indirect blocks; a missing one is read without
 * waiting (meta_read_done continues from there). A thread (`sleeping`)
 * maps with ordinary metadata reads under the volume hold. Every page
 * completes through page_put, with an error if need be.
 */
static void fill_continue(struct fill *fl, bool sleeping)
{
	uint64_t dblk[BLOCKS_PER_PAGE_MAX], missing = 0;
	uint32_t nblk = 0;
	int err = sleeping ? meta_enter(fl->rank == PRIO_DISK_RANK_META ?
						0 :
						PRIO_RANK_URGENCY(fl->rank)) :
			     0;
	bool held = sleeping && !err;

	while (!err && fl->next < fl->n) {
		uint32_t p = fl->next;

		if (!sleeping)
			spin_lock(&meta_lock);
		err = map_page(fl->pc->ctx, fl->first + p, dblk, &nblk,
			       sleeping ? NULL : &missing);
		if (!sleeping)
			spin_unlock(&meta_lock);
		if (err)
			break;
		fl->pages[p].err = fill_add_page(fl, p, dblk, nblk);
		fl->next++;
	}
	if (held)
		meta_leave();
	if (err == -EAGAIN) {
		fill_release(fl); /* what is mapped goes now */
		err = meta_wait(fl, missing);
		if (!err)
			return;
	}
	if (err)
		fill_fail_rest(fl, err);
	else
		fill_release(fl);
}

static int read_pages(struct pcache_file *pc, uint64_t first,
		      struct iobuf *const *bufs, uint32_t n,
		      const struct causal *cause, unsigned int rank)
{
	unsigned int seg_max;
	uint32_t seg_bytes_max;
	struct fill *fl;
	int err = vblk_usable(fs.dev);

	if (err)
		return err; /* a dead disk: refused at once */
	fl = kmalloc(sizeof(*fl) + n * sizeof(fl->pages[0]));
	if (!fl)
		return -ENOMEM;
	*fl = (struct fill){ .pc = pc,
			     .first = first,
			     .n = n,
			     .live = n,
			     .rank = rank,
			     .trace_req = trace_req(cause) };
	list_add_tail(&fills_live, &fl->link);
	for (uint32_t p = 0; p < n; p++)
		fl->pages[p] =
			(struct fill_page){ .buf = bufs[p], .pending = 1 };
	vblk_limits(fs.dev, &seg_max, &seg_bytes_max);
	blkrun_init(&fl->run, seg_max, seg_bytes_max, fill_post, fl);
	/* Nobody waits for the disk here, not even for a block map
	 * (ext2_bmap_cached needs no hold on the volume): the page cache
	 * lock is held, and nothing sleeps under it. */
	fill_continue(fl, false);
	return 0;
}

static int read_page(struct pcache_file *pc, uint64_t index, struct iobuf *buf,
		     unsigned int rank)
{
	return read_pages(pc, index, &buf, 1, NULL, rank);
}

/* Priority inheritance: a more urgent reader waits on page `index`.
 * Its batch's later requests go at that rank, and the posted request
 * holding the page moves up the driver's queue if it still waits there. */
static void raise_fill(struct pcache_file *pc, uint64_t index,
		       unsigned int rank)
{
	struct list_node *pos;

	list_for_each (pos, &fills_live) {
		struct fill *fl = list_entry(pos, struct fill, link);

		if (fl->pc != pc || index < fl->first ||
		    index - fl->first >= fl->n)
			continue;
		fl->rank = MIN(fl->rank, rank);
		for (struct fill_req *rq = fl->reqs; rq; rq = rq->next)
			if (index - fl->first >= rq->first &&
			    index - fl->first <= rq->last)
				vblk_raise(fs.dev, rq->vreq, rank);
		return;
	}
}

static const struct pcache_backing_ops file_backing = {
	.read_page = read_page,
	.read_pages = read_pages,
	.raise = raise_fill,
};

/* --- open --- */

static struct file *file_get(uint32_t ino, int *err)
{
	struct file **bucket = &fs.files[ino % FILE_HASH_SIZE];
	struct ext2_stat st;
	struct file *f;

	for (f = *bucket; f; f = f->hash_next)
		if (f->st.ino == ino)
			return f;
	f = kzalloc(sizeof(*f));
	if (!f) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = ext2_iget(fs.vol, ino, &f->inode);
	if (!*err)
		*err = ext2_stat(fs.vol, ino, &st);
	if (*err) {
		kfree(f);
		return NULL;
	}
	f->st = (struct file_stat){
		.ino = ino,
		.mode = st.mode,
		.is_dir = (st.mode & EXT2_S_IFMT) == EXT2_S_IFDIR,
		.is_reg = (st.mode & EXT2_S_IFMT) == EXT2_S_IFREG,
		.size = st.size,
		.mtime = st.mtime,
	};
	pcache_file_init(&f->pc, ino, st.size, &file_backing, f);
	f->hash_next = *bucket;
	*bucket = f;
	fs.stats.files_cached++;
	return f;
}

/*
 * Each CPU remembers the files its recent opens found, by path. The
 * volume is read-only and a struct file lives as long as the kernel, so a
 * path names the same file forever and a hit needs no lock at all: a hot
 * site's opens never meet the volume, which every other open on every
 * CPU serializes on (at -smp 2, without this, a main loop found it held
 * on 2% of opens and had to hand the open to a LAIO thread). Direct
 * mapped by a hash of the path; longer paths are simply not cached. Made
 * by a CPU's first open, so an idle CPU costs one pointer.
 */
#define NAME_CACHE_SLOTS 64
#define NAME_CACHE_PATH_MAX 96

struct name_cache {
	struct {
		struct file *file; /* NULL: empty */
		char path[NAME_CACHE_PATH_MAX];
	} slot[NAME_CACHE_SLOTS];
};

static struct name_cache *name_caches[CPU_MAX]; /* [this CPU] */

/* FNV-1a: short strings, one pass, well spread low bits. */
static uint32_t path_slot(const char *path)
{
	uint32_t h = 2166136261u;

	for (; *path; path++)
		h = (h ^ (uint8_t)*path) * 16777619u;
	return h % NAME_CACHE_SLOTS;
}

static struct file *name_cache_find(const char *path)
{
	const struct name_cache *nc = name_caches[cpu_self()];
	uint32_t i;

	if (!nc)
		return NULL;
	i = path_slot(path);
	if (nc->slot[i].file && !strcmp(nc->slot[i].path, path))
		return nc->slot[i].file;
	return NULL;
}

static void name_cache_add(const char *path, struct file *f)
{
	struct name_cache **ncp = &name_caches[cpu_self()];
	uint32_t i;

	if (strlen(path) >= NAME_CACHE_PATH_MAX)
		return;
	if (!*ncp)
		*ncp = kzalloc(sizeof(**ncp));
	if (!*ncp)
		return; /* no memory: opens just take the volume */
	i = path_slot(path);
	strlcpy((*ncp)->slot[i].path, path, NAME_CACHE_PATH_MAX);
	(*ncp)->slot[i].file = f;
}

int fs_open_for(const char *path, const struct causal *cause, struct file **out)
{
	struct file *f;
	uint32_t ino;
	int err;

	COUNT(opens);
	f = fs.vol ? name_cache_find(path) : NULL;
	if (f) {
		COUNT(name_cache_hits);
		*out = f;
		return 0;
	}
	if (!fs.vol) {
		err = -ENODEV;
	} else if (!(err = meta_enter(cause ? cause->urgency :
					      CAUSAL_URGENCY_DEFAULT))) {
		err = ext2_lookup(fs.vol, path, &ino);
		if (!err)
			f = file_get(ino, &err);
		meta_leave();
		if (!err)
			name_cache_add(path, f);
		*out = f;
	}
	if (err)
		COUNT(open_errors);
	return err;
}

int fs_open(const char *path, struct file **out)
{
	return fs_open_for(path, NULL, out);
}

const struct file_stat *fs_stat(const struct file *f)
{
	return &f->st;
}

int fs_readdir(struct file *dir, uint64_t *pos, struct fs_dirent *de)
{
	struct ext2_dirent e;
	int ret;

	if (!dir->st.is_dir)
		return -ENOTDIR;
	ret = meta_enter(CAUSAL_URGENCY_DEFAULT);
	if (ret)
		return ret;
	ret = ext2_readdir(fs.vol, &dir->inode, pos, &e);
	meta_leave();
	if (ret <= 0)
		return ret;
	de->ino = e.ino;
	de->is_dir = e.type == EXT2_FT_DIR;
	memcpy(de->name, e.name, (size_t)e.name_len + 1);
	return 1;
}

/* --- range reads --- */

struct read_req;

/* One page of a range read: the cache calls w with arg = this. */
struct page_wait {
	struct pcache_waiter w;
	struct read_req *req;
	struct iobuf *buf; /* referenced once the page is in */
};

struct read_req {
	uint64_t off, len;
	uint32_t npages;
	uint64_t first_page;
	int remaining; /* pages not in yet */
	bool issuing; /* still inside fs_read */
	int err;
	struct ioagg *out;
	fs_read_done_fn done;
	void *arg;
	struct page_wait pages[]; /* npages */
};

/* All pages are in (or one failed): build the aggregate in file order,
 * then drop the page references (the aggregate holds its own). */
static int finish(struct read_req *r)
{
	uint64_t pos = r->off, end = r->off + r->len;
	struct ioagg tmp;
	int err = r->err;

	ioagg_init(&tmp);
	for (uint32_t i = 0; i < r->npages && !err; i++) {
		uint64_t page_start = (r->first_page + i) * PAGE_SIZE;
		uint32_t o = (uint32_t)(pos - page_start);
		uint32_t n = (uint32_t)MIN(end - pos, PAGE_SIZE - o);

		err = ioagg_append(&tmp, r->pages[i].buf, o, n);
		pos += n;
	}
	if (!err)
		err = ioagg_concat(r->out, &tmp);
	ioagg_release(&tmp);
	for (uint32_t i = 0; i < r->npages; i++)
		if (r->pages[i].buf)
			iobuf_unref(r->pages[i].buf);
	if (err)
		fs.stats.read_errors++;
	else
		fs.stats.bytes_read += r->len;
	kfree(r);
	return err;
}

static void page_arrived(void *arg, struct iobuf *buf, int err)
{
	struct page_wait *pw = arg;
	struct read_req *r = pw->req;

	pw->buf = buf;
	if (err && !r->err)
		r->err = err;
	if (--r->remaining || r->issuing)
		return;
	fs_read_done_fn done = r->done;
	void *done_arg = r->arg;

	done(done_arg, finish(r));
}

static int read_locked(struct file *f, uint64_t off, uint64_t len,
		       struct ioagg *out, fs_read_done_fn done, void *arg,
		       const struct causal *cause);

int fs_read(struct file *f, uint64_t off, uint64_t len, struct ioagg *out,
	    fs_read_done_fn done, void *arg, const struct causal *cause)
{
	int err;

	if (!f->st.is_reg)
		return -EISDIR;
	if (off > f->st.size || len > f->st.size - off)
		return -EINVAL;
	if (len == 0)
		return 0;
	pcache_lock();
	err = read_locked(f, off, len, out, done, arg, cause);
	pcache_unlock();
	return err;
}

/* fs_read's work, with the page cache lock held. */
static int read_locked(struct file *f, uint64_t off, uint64_t len,
		       struct ioagg *out, fs_read_done_fn done, void *arg,
		       const struct causal *cause)
{
	struct read_req *r;
	uint64_t first, npages;

	fs.stats.reads++;
	first = off / PAGE_SIZE;
	npages = DIV_ROUND_UP(off + len, PAGE_SIZE) - first;
	if (npages > UINT32_MAX / sizeof(struct page_wait))
		return -EFBIG;
	r = kzalloc(sizeof(*r) + npages * sizeof(r->pages[0]));
	if (!r)
		return -ENOMEM;
	*r = (struct read_req){ .off = off,
				.len = len,
				.npages = (uint32_t)npages,
				.first_page = first,
				.issuing = true,
				.out = out,
				.done = done,
				.arg = arg };
	for (uint32_t i = 0; i < r->npages && !r->err; i++) {
		struct page_wait *pw = &r->pages[i];
		int err;

		pw->req = r;
		pw->w = (struct pcache_waiter){ .fn = page_arrived,
						.arg = pw,
						.cause = cause };
		r->remaining++;
		err = pcache_get(&f->pc, first + i, &pw->buf, &pw->w);
		if (err == -EINPROGRESS)
			continue;
		r->remaining--;
		if (err)
			r->err = err;
	}
	r->issuing = false;
	if (r->remaining == 0) {
		if (!r->err)
			fs.stats.read_hits++;
		return finish(r);
	}
	return -EINPROGRESS;
}

int fs_read_sync(struct file *f, uint64_t off, uint64_t len, struct ioagg *out,
		 const struct causal *cause)
{
	struct completion s = { 0 };
	int err = fs_read(f, off, len, out, completion_signal, &s, cause);

	if (err != -EINPROGRESS)
		return err;
	if (!thread_current() && mainloop_running())
		fs.stats.sync_reads_in_loop++;
	/* No deadline of our own: the driver ends every request within
	 * disk_timeout_ms, with -ETIMEDOUT if need be. */
	return completion_wait(&s, UINT64_MAX, vblk_poll, fs.dev);
}

void fs_get_stats(struct fs_stats *st)
{
	struct vblk_stats d = { 0 };

	if (fs.dev)
		vblk_get_stats(fs.dev, &d);
	pcache_lock();
	*st = fs.stats;
	pcache_unlock();
	st->disk_requests = d.requests;
	st->disk_bytes = d.bytes;
	st->disk_segments = d.segments;
	st->disk_segments_max = d.segments_max;
	st->disk_request_bytes_max = d.request_bytes_max;
	st->disk_errors = d.errors;
	st->disk_queued = d.queued;
	st->disk_in_flight = d.in_flight;
	st->disk_max_in_flight = d.max_in_flight;
	st->disk_interrupts = d.interrupts;
	st->disk_rekicks = d.rekicks;
	st->disk_waiting = d.waiting;
	st->disk_irq_mode = fs.dev ? vblk_irq_mode(fs.dev) : "none";
	st->sync_reads_in_loop += d.sync_in_loop;
	st->disk_failed = d.failed;
	st->disk_timeouts = d.timeouts;
	st->disk_refused = d.refused;
	st->disk_late = d.late;
}
