// SPDX-License-Identifier: MIT
/*
 * Page cache (interface and rules in pcache.h). Each cached page is an
 * entry in a chained hash table. While a page is being filled the cache
 * holds one reference to it (the fill reference), so it is pinned; when
 * the fill completes every waiter gets its own reference and the fill
 * reference is dropped. The iobuf owner callback then hands pages nobody
 * references to the replacement policy (fs/cache_policy.h, `cache_policy=`),
 * which names the page to evict.
 *
 * Locking: one page cache lock (rank LOCK_RANK_FS) guards the hash, the
 * entries, the policy, the files' readahead state and the counters. Its
 * holder CPU may take it again (pcache_lock): waiters and backings call
 * back into the cache as they did on one CPU. A hit holds it for a hash
 * lookup and a refcount increment. The last unref of a page can happen
 * on any CPU without the lock; page_released then takes it and re-checks
 * that nobody looked the page up again meanwhile. A waiter queued from
 * another CPU is handed over to that CPU's main loop (its page already
 * referenced) instead of being called on the CPU that filled the page.
 */
#define PR_PREFIX "pcache: "
#include "fs/pcache.h"

#include <stdbool.h>

#include "fs/cache_policy.h"

#include "kernel/core/panic.h"
#include "kernel/core/printk.h"
#include "kernel/core/spinlock.h"
#include "kernel/cpu/percpu.h"
#include "kernel/io/iobuf.h"
#include "kernel/io/prio.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/hash.h"
#include "kernel/mm/heap.h"
#include "kernel/param.h"
#include "kernel/sched/handover.h"

#define READAHEAD_START 32 /* pages: first window of a sequential pattern */
#define READAHEAD_MIN 4 /* pages: waste never shrinks a file's cap below */
#define HASH_MIN 64

enum entry_state { LOADING, VALID, DEAD };

struct entry {
	struct pcache_file *file; /* [I] */
	uint64_t index; /* [I] */
	struct iobuf *buf; /* [I] its owner_data points back here */
	enum entry_state state; /* [m] */
	bool readahead; /* [m] read ahead and not looked up yet */
	uint8_t fill_rank; /* [m] LOADING: the disk rank it is filled at */
	uint32_t ra_mark; /* [m] looking it up issues the window after one
			   * of this many pages; 0: no mark */
	struct pcache_waiter *waiters; /* [m] LOADING: FIFO */
	struct entry *hash_next; /* [m] */
	struct cache_policy_node policy; /* [m] queued while unreferenced */
};

static struct {
	struct entry **buckets; /* [m] */
	uint64_t mask; /* [I] buckets - 1 */
	struct cache_policy policy; /* [m] unreferenced valid pages */
	uint32_t readahead_max; /* [I] */
	struct pcache_stats stats; /* [lock] */
	struct spinlock lock;
	uint32_t owner; /* [lock] holder's CPU + 1, 0 when free */
	uint32_t depth; /* [lock] times its holder took it */
} cache = { .lock = SPINLOCK_INIT("pcache", LOCK_RANK_FS) };

/* Take the page cache lock; the CPU holding it may take it again. */
void pcache_lock(void)
{
	uint32_t self = cpu_self() + 1;

	/* Only this CPU ever stores its own id here, and clears it before
	 * releasing: an unlocked read cannot see it falsely. */
	if (READ_ONCE(cache.owner) == self) {
		cache.depth++;
		return;
	}
	spin_lock(&cache.lock);
	WRITE_ONCE(cache.owner, self);
	cache.depth = 1;
}

void pcache_unlock(void)
{
	BUG_ON(READ_ONCE(cache.owner) != cpu_self() + 1 || !cache.depth);
	if (--cache.depth)
		return;
	WRITE_ONCE(cache.owner, 0);
	spin_unlock(&cache.lock);
}

static void page_released(struct iobuf *buf);
static void readahead_wasted(struct pcache_file *f);
static const struct iobuf_owner pcache_owner = {
	.name = "page cache",
	.release = page_released,
};

static uint64_t hash(uint64_t id, uint64_t index)
{
	return hash_u64_pair(id, index) & cache.mask;
}

int pcache_init(uint64_t pool_pages, uint32_t readahead_max,
		enum cache_policy_kind policy)
{
	uint64_t n = HASH_MIN;

	while (n < pool_pages)
		n <<= 1;
	cache.buckets = kzalloc(n * sizeof(*cache.buckets));
	if (!cache.buckets)
		return -ENOMEM;
	cache.mask = n - 1;
	cache.readahead_max = readahead_max;
	if (pool_pages > UINT32_MAX ||
	    cache_policy_init(&cache.policy, policy, (uint32_t)pool_pages)) {
		kfree(cache.buckets);
		cache.buckets = NULL;
		return -ENOMEM;
	}
	iobuf_set_reclaimer(pcache_reclaim);
	return 0;
}

static uint64_t file_pages(const struct pcache_file *f)
{
	return DIV_ROUND_UP(f->size, PAGE_SIZE);
}

/*
 * Disk round trips to read a file of `size` bytes from the start: a
 * first window of READAHEAD_START pages (page 0 among them), then
 * windows doubling up to the cap, each issued while the previous one is
 * read. The cost GDS weighs a file's pages by.
 */
static uint32_t refill_cost(uint64_t size)
{
	uint64_t pages = DIV_ROUND_UP(size, PAGE_SIZE);
	uint64_t window = MIN(READAHEAD_START, cache.readahead_max);
	uint64_t done = window;
	uint32_t trips = 1;

	if (window == 0) /* no readahead: a trip per page */
		return (uint32_t)MIN(pages ? pages : 1, UINT32_MAX);
	while (done < pages) {
		window = MIN(window * 2, cache.readahead_max);
		done += window;
		trips++;
	}
	return trips;
}

void pcache_file_init(struct pcache_file *f, uint64_t id, uint64_t size,
		      const struct pcache_backing_ops *ops, void *ctx)
{
	*f = (struct pcache_file){
		.id = id,
		.size = size,
		.ops = ops,
		.ctx = ctx,
		.last_index = UINT64_MAX,
		.ra_cap = cache.readahead_max,
		.refill_cost = refill_cost(size),
	};
}

static struct entry *lookup(const struct pcache_file *f, uint64_t index)
{
	struct entry *e = cache.buckets[hash(f->id, index)];

	while (e && !(e->file == f && e->index == index))
		e = e->hash_next;
	return e;
}

static void hash_remove(struct entry *e)
{
	struct entry **pp = &cache.buckets[hash(e->file->id, e->index)];

	while (*pp != e)
		pp = &(*pp)->hash_next;
	*pp = e->hash_next;
}

static struct entry *entry_of(struct cache_policy_node *n)
{
	return container_of(n, struct entry, policy);
}

static void entry_destroy(struct entry *e)
{
	iobuf_free(e->buf);
	kfree(e);
	cache.stats.cached_pages--;
}

/* Owner callback: the last reference to a cached page went away. */
static void page_released(struct iobuf *buf)
{
	struct entry *e = buf->owner_data;

	pcache_lock();
	/* A lookup may have referenced it again before we got the lock
	 * (and released it again: then it is queued already). A DEAD page
	 * is in no hash chain, so nobody can. */
	if (e->state == DEAD)
		entry_destroy(e);
	else if (!__atomic_load_n(&buf->refcnt, __ATOMIC_RELAXED) &&
		 !cache_policy_queued(&e->policy))
		cache_policy_add(&cache.policy, &e->policy,
				 e->file->refill_cost, file_pages(e->file));
	pcache_unlock();
}

/* Evict the unreferenced page the policy names; false if none. */
static bool evict_one(void)
{
	struct cache_policy_node *n = cache_policy_victim(&cache.policy);
	struct entry *e;

	if (!n)
		return false;
	e = entry_of(n);
	hash_remove(e);
	if (e->readahead)
		readahead_wasted(e->file);
	cache.stats.evictions++;
	entry_destroy(e);
	return true;
}

uint64_t pcache_reclaim(uint64_t n)
{
	uint64_t done = 0;

	pcache_lock();
	while (done < n && evict_one())
		done++;
	pcache_unlock();
	return done;
}

static struct iobuf *alloc_page(struct entry *e)
{
	struct iobuf *b;

	/* Deferrable: a fill that finds no page makes its reader wait,
	 * where a response head that finds none resets the connection. */
	while (!(b = iobuf_alloc_deferrable(PAGE_SIZE, &pcache_owner, e)))
		if (!evict_one())
			return NULL;
	return b;
}

static void add_waiter(struct entry *e, struct pcache_waiter *w)
{
	struct pcache_waiter **pp = &e->waiters;

	while (*pp)
		pp = &(*pp)->next;
	w->next = NULL;
	w->cpu = (uint16_t)cpu_self();
	*pp = w;
}

/* Create the LOADING entry for (f, index) with its pool page; NULL
 * when the pool is full of pinned pages. */
static struct entry *new_entry(struct pcache_file *f, uint64_t index,
			       bool readahead)
{
	struct entry *e = kzalloc(sizeof(*e));
	uint64_t bucket = hash(f->id, index);

	if (!e)
		return NULL;
	e->buf = alloc_page(e);
	if (!e->buf) {
		kfree(e);
		return NULL;
	}
	e->file = f;
	e->index = index;
	e->state = LOADING;
	e->readahead = readahead;
	e->hash_next = cache.buckets[bucket];
	cache.buckets[bucket] = e;
	cache.stats.cached_pages++;
	cache.stats.loading++;
	return e;
}

/* The backing never took the page: undo new_entry. */
static void abandon(struct entry *e)
{
	hash_remove(e);
	e->state = DEAD;
	e->waiters = NULL;
	cache.stats.read_errors++;
	cache.stats.loading--;
	iobuf_unref(e->buf);
}

/* Hand bufs[0..n) (pages first..) to the backing; returns pages started,
 * or the error when none was. The ones not started are abandoned. */
static int start_fills(struct pcache_file *f, uint64_t first,
		       struct iobuf *const *bufs, uint32_t n,
		       const struct causal *cause, unsigned int rank)
{
	uint32_t started = 0;
	int err = 0;

	if (f->ops->read_pages) {
		err = f->ops->read_pages(f, first, bufs, n, cause, rank);
		if (!err)
			started = n;
		if (n > 1)
			cache.stats.batch_reads++;
	} else {
		while (started < n && !err) {
			err = f->ops->read_page(f, first + started,
						bufs[started], rank);
			if (!err)
				started++;
		}
	}
	for (uint32_t i = started; i < n; i++)
		abandon(bufs[i]->owner_data);
	return started ? (int)started : err;
}

/*
 * Read up to n missing pages from `first` in one backing call, stopping
 * at the end of the file, at a page already cached or when the pool is
 * full. Page `first` gets waiter w (may be NULL); pages from ra_first on
 * are readahead; page mark_at gets ra_mark `mark`; the disk reads go at
 * `rank`. Returns pages started or a negative errno (-ENOMEM: not even
 * page `first` could be had).
 */
static int start_batch(struct pcache_file *f, uint64_t first, uint32_t n,
		       struct pcache_waiter *w, uint64_t ra_first,
		       uint64_t mark_at, uint32_t mark, unsigned int rank)
{
	struct iobuf *one = NULL;
	struct iobuf **bufs = n > 1 ? kmalloc(n * sizeof(*bufs)) : &one;
	uint32_t count = 0;
	int started;

	if (!bufs)
		return -ENOMEM;
	n = (uint32_t)MIN(n, file_pages(f) - first);
	while (count < n && (count == 0 || !lookup(f, first + count))) {
		struct entry *e =
			new_entry(f, first + count, first + count >= ra_first);

		if (!e)
			break;
		if (e->index == mark_at)
			e->ra_mark = mark;
		e->fill_rank = (uint8_t)rank;
		bufs[count++] = e->buf;
	}
	if (count == 0) {
		cache.stats.nomem++;
		started = -ENOMEM;
	} else {
		if (w)
			add_waiter(bufs[0]->owner_data, w);
		started = start_fills(f, first, bufs, count,
				      w ? w->cause : NULL, rank);
	}
	if (started > 0 && first + (uint32_t)started > ra_first)
		cache.stats.readahead_issued +=
			first + (uint32_t)started - MAX(first, ra_first);
	if (bufs != &one)
		kfree(bufs);
	return started;
}

static void note_window(struct pcache_file *f, uint32_t window)
{
	cache.stats.readahead_windows++;
	if (f->ra_window && window > f->ra_window)
		cache.stats.readahead_grows++;
	cache.stats.readahead_window_max =
		MAX(cache.stats.readahead_window_max, window);
	f->ra_window = window;
}

/*
 * A lookup missed page `index`. Random access reads that page alone; a
 * sequential one (page 0, the file's last access + 1, or a page whose
 * predecessor is cached) reads a window with the page first, marked on its
 * second page, twice the file's last window (READAHEAD_START at first).
 */
static int read_missed(struct pcache_file *f, uint64_t index,
		       struct pcache_waiter *w, uint8_t urgency)
{
	/* Context readahead: a cached previous page also means a stream
	 * (another reader's accesses may sit between this one's). */
	bool sequential = index == 0 || index == f->last_index + 1 ||
			  lookup(f, index - 1);
	uint32_t window = 1;
	int started;

	if (sequential && f->ra_cap)
		window = MIN(f->ra_window ? f->ra_window * 2 : READAHEAD_START,
			     f->ra_cap);
	else
		f->ra_window = 0;
	/* The window holds the page asked for: a demand read. */
	started = start_batch(f, index, window, w, index + 1, index + 1, window,
			      PRIO_DISK_RANK(urgency, false));
	if (started < 0)
		return started;
	if (window > 1)
		note_window(f, window);
	return -EINPROGRESS;
}

/*
 * A reader reached a page marked by a window of `prev` pages: issue the
 * next window, twice as large up to the file's cap, from the first page
 * after `index` not cached, and mark its first page. It ranks as
 * readahead of that reader's urgency.
 */
static void readahead_async(struct pcache_file *f, uint64_t index,
			    uint32_t prev, uint8_t urgency)
{
	uint32_t window = MIN(prev * 2, f->ra_cap);
	uint64_t start = index + 1, end = file_pages(f);

	if (window == 0)
		return;
	while (start < end && start - index <= f->ra_cap && lookup(f, start))
		start++;
	if (start >= end || start - index > f->ra_cap)
		return; /* the file's end, or far enough ahead already */
	if (start_batch(f, start, window, NULL, start, start, window,
			PRIO_DISK_RANK(urgency, true)) > 0)
		note_window(f, window);
}

/* A read-ahead page was used: after four caps' worth, a shrunk cap
 * doubles back and past waste is forgiven. */
static void readahead_used(struct pcache_file *f)
{
	cache.stats.readahead_used++;
	if (++f->ra_used < 4 * (uint64_t)MAX(f->ra_cap, 1u))
		return;
	if (f->ra_cap < cache.readahead_max)
		f->ra_cap = MIN(f->ra_cap * 2, cache.readahead_max);
	f->ra_used = f->ra_wasted = 0;
}

/* A read-ahead page was evicted unused: a quarter cap of those halves
 * the file's cap. */
static void readahead_wasted(struct pcache_file *f)
{
	uint32_t floor = MIN(READAHEAD_MIN, cache.readahead_max);

	cache.stats.readahead_wasted++;
	if (++f->ra_wasted < MAX(f->ra_cap / 4, 1u) || f->ra_cap <= floor)
		return;
	f->ra_cap = MAX(f->ra_cap / 2, floor);
	f->ra_window = MIN(f->ra_window, f->ra_cap);
	f->ra_wasted = f->ra_used = 0;
	cache.stats.readahead_shrinks++;
}

/* Bytes of file data in page `index` (the last page may be short). */
static uint64_t page_bytes(const struct pcache_file *f, uint64_t index)
{
	return MIN((uint64_t)PAGE_SIZE, f->size - index * PAGE_SIZE);
}

/* A demand reader of `rank` joined LOADING page e: an urgent request
 * must not wait behind the less urgent read (or readahead) it found. */
static void join_fill(struct pcache_file *f, struct entry *e, unsigned int rank)
{
	if (rank >= e->fill_rank || !f->ops->raise)
		return;
	e->fill_rank = (uint8_t)rank;
	cache.stats.waits_raised++;
	f->ops->raise(f, e->index, rank);
}

int pcache_get(struct pcache_file *f, uint64_t index, struct iobuf **out,
	       struct pcache_waiter *w)
{
	struct entry *e;
	uint32_t mark = 0;
	uint8_t urgency = w && w->cause ? w->cause->urgency :
					  CAUSAL_URGENCY_DEFAULT;
	int err = -EINPROGRESS;

	if (index >= file_pages(f))
		return -EINVAL;
	pcache_lock();
	e = lookup(f, index);
	if (e) {
		mark = e->ra_mark;
		e->ra_mark = 0;
		if (e->readahead) {
			e->readahead = false;
			readahead_used(f);
		}
	}
	if (e && e->state == VALID) {
		cache.stats.hits++;
		cache.stats.hit_bytes += page_bytes(f, index);
		cache_policy_remove(&cache.policy, &e->policy);
		iobuf_ref(e->buf);
		*out = e->buf;
		err = 0;
	} else if (e) {
		cache.stats.waits++;
		cache.stats.miss_bytes += page_bytes(f, index);
		if (w) {
			add_waiter(e, w);
			join_fill(f, e, PRIO_DISK_RANK(urgency, false));
		}
	} else {
		cache.stats.misses++;
		cache.stats.miss_bytes += page_bytes(f, index);
		err = read_missed(f, index, w, urgency);
	}
	if (mark)
		readahead_async(f, index, mark, urgency);
	f->last_index = index;
	pcache_unlock();
	return err;
}

int pcache_cancel(struct pcache_file *f, uint64_t index,
		  struct pcache_waiter *w)
{
	struct entry *e;
	struct pcache_waiter **pp;
	int found = 0;

	pcache_lock();
	e = lookup(f, index);
	for (pp = e && e->state == LOADING ? &e->waiters : NULL; pp && *pp;
	     pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			found = 1;
			break;
		}
	}
	pcache_unlock();
	return found;
}

/* A waiter from another CPU, now on its own CPU. */
static void waiter_handed(struct handover *h)
{
	struct pcache_waiter *w = container_of(h, struct pcache_waiter, ho);

	pcache_lock(); /* waiters run under it, wherever they run */
	w->fn(w->arg, w->buf, w->err);
	pcache_unlock();
}

/* Call w with a referenced buf (or the error): here if it was queued
 * here, else in its CPU's main loop. */
static void call_waiter(struct pcache_waiter *w, struct iobuf *buf, int err)
{
	if (!err)
		iobuf_ref(buf);
	if (w->cpu == cpu_self()) {
		w->fn(w->arg, err ? NULL : buf, err);
		return;
	}
	w->buf = err ? NULL : buf;
	w->err = err;
	handover_to(w->cpu, &w->ho, waiter_handed);
}

void pcache_fill_done(struct pcache_file *f, uint64_t index, struct iobuf *buf,
		      int err)
{
	struct entry *e = buf->owner_data;
	struct pcache_waiter *w;

	pcache_lock();
	w = e->waiters;
	BUG_ON(e->file != f || e->index != index || e->state != LOADING);
	e->waiters = NULL;
	cache.stats.loading--;
	if (err) {
		pr_warn("file %llu page %llu: read failed (%s)",
			(unsigned long long)f->id, (unsigned long long)index,
			errname(err));
		cache.stats.read_errors++;
		hash_remove(e);
		e->state = DEAD;
	} else {
		iobuf_seal(buf, (uint32_t)MIN((uint64_t)PAGE_SIZE,
					      f->size - index * PAGE_SIZE));
		e->state = VALID;
	}
	while (w) {
		struct pcache_waiter *next = w->next;

		call_waiter(w, buf, err);
		w = next;
	}
	iobuf_unref(buf); /* the fill reference */
	pcache_unlock();
}

void pcache_get_stats(struct pcache_stats *st)
{
	pcache_lock();
	*st = cache.stats;
	pcache_unlock();
}

const char *pcache_policy_name(void)
{
	return cache.policy.kind == CACHE_POLICY_GDS ? "gds" : "lru";
}
