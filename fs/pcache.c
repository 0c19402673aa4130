// SPDX-License-Identifier: MIT
/*
 * Page cache (interface and rules in pcache.h). Each cached page is an
 * entry in a chained hash table. While a page is being filled the cache
 * holds one reference to it (the fill reference), so it is pinned; when
 * the fill completes every waiter gets its own reference and the fill
 * reference is dropped. The iobuf owner callback then hands pages nobody
 * references to the replacement policy (fs/cache_policy.h, `cache_policy=`),
 * which names the page to evict.
 */
#define PR_PREFIX "pcache: "
#include "fs/pcache.h"

#include <stdbool.h>

#include "fs/cache_policy.h"

#include "kernel/core/panic.h"
#include "kernel/core/printk.h"
#include "kernel/io/iobuf.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/hash.h"
#include "kernel/mm/heap.h"
#include "kernel/param.h"

#define READAHEAD_MIN 4 /* pages: first window on a sequential pattern */
#define HASH_MIN 64

enum entry_state { LOADING, VALID, DEAD };

struct entry {
	struct pcache_file *file; /* [I] */
	uint64_t index; /* [I] */
	struct iobuf *buf; /* [I] its owner_data points back here */
	enum entry_state state; /* [m] */
	bool readahead; /* [m] read ahead and not looked up yet */
	struct pcache_waiter *waiters; /* [m] LOADING: FIFO */
	struct entry *hash_next; /* [m] */
	struct cache_policy_node policy; /* [m] queued while unreferenced */
};

static struct {
	struct entry **buckets; /* [m] */
	uint64_t mask; /* [I] buckets - 1 */
	struct cache_policy policy; /* [m] unreferenced valid pages */
	uint32_t readahead_max; /* [I] */
	struct pcache_stats stats; /* [m] */
} cache;

static void page_released(struct iobuf *buf);
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
 * Disk round trips to read a file of `size` bytes from the start: page 0
 * and a readahead window of READAHEAD_MIN pages, then windows doubling up
 * to the cap, each issued while the previous one is read. The cost GDS
 * weighs a file's pages by.
 */
static uint32_t refill_cost(uint64_t size)
{
	uint64_t pages = DIV_ROUND_UP(size, PAGE_SIZE);
	uint64_t done = 1, window = MIN(READAHEAD_MIN, cache.readahead_max);
	uint32_t trips = 1;

	while (done < pages && window > 0) {
		done += window;
		trips++;
		window = MIN(window * 2, cache.readahead_max);
	}
	if (window == 0) /* no readahead: a trip per page */
		return (uint32_t)MIN(pages ? pages : 1, UINT32_MAX);
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

	if (e->state == DEAD)
		entry_destroy(e);
	else
		cache_policy_add(&cache.policy, &e->policy,
				 e->file->refill_cost, file_pages(e->file));
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
		cache.stats.readahead_wasted++;
	cache.stats.evictions++;
	entry_destroy(e);
	return true;
}

uint64_t pcache_reclaim(uint64_t n)
{
	uint64_t done = 0;

	while (done < n && evict_one())
		done++;
	return done;
}

static struct iobuf *alloc_page(struct entry *e)
{
	struct iobuf *b;

	while (!(b = iobuf_alloc(PAGE_SIZE, &pcache_owner, e)))
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
	*pp = w;
}

/* Create the entry for (f, index), queue w, and start the read. */
static int start_read(struct pcache_file *f, uint64_t index,
		      struct pcache_waiter *w, bool readahead)
{
	struct entry *e = kzalloc(sizeof(*e));
	uint64_t bucket = hash(f->id, index);
	int err;

	if (!e)
		return -ENOMEM;
	e->buf = alloc_page(e);
	if (!e->buf) {
		kfree(e);
		cache.stats.nomem++;
		return -ENOMEM;
	}
	e->file = f;
	e->index = index;
	e->state = LOADING;
	e->readahead = readahead;
	e->hash_next = cache.buckets[bucket];
	cache.buckets[bucket] = e;
	cache.stats.cached_pages++;
	cache.stats.loading++;
	if (w)
		add_waiter(e, w);
	err = f->ops->read_page(f, index, e->buf);
	if (err) {
		/* The backing never took the page: undo everything. */
		hash_remove(e);
		e->state = DEAD;
		e->waiters = NULL;
		cache.stats.read_errors++;
		cache.stats.loading--;
		iobuf_unref(e->buf);
	}
	return err;
}

/* Bytes of file data in page `index` (the last page may be short). */
static uint64_t page_bytes(const struct pcache_file *f, uint64_t index)
{
	return MIN((uint64_t)PAGE_SIZE, f->size - index * PAGE_SIZE);
}

/* Grow the window on sequential access and read the pages ahead. */
static void readahead(struct pcache_file *f, uint64_t index)
{
	bool sequential = index == f->last_index + 1 ||
			  (index == 0 && f->last_index == UINT64_MAX);
	uint64_t end;

	f->last_index = index;
	if (!sequential || cache.readahead_max == 0) {
		f->ra_window = 0;
		return;
	}
	f->ra_window = f->ra_window ?
			       MIN(f->ra_window * 2, cache.readahead_max) :
			       MIN(READAHEAD_MIN, cache.readahead_max);
	end = MIN(index + 1 + f->ra_window, file_pages(f));
	for (uint64_t i = MAX(f->ra_next, index + 1); i < end; i++) {
		if (!lookup(f, i)) {
			if (start_read(f, i, NULL, true))
				break;
			cache.stats.readahead_issued++;
		}
		f->ra_next = i + 1;
	}
}

int pcache_get(struct pcache_file *f, uint64_t index, struct iobuf **out,
	       struct pcache_waiter *w)
{
	struct entry *e;
	int err = -EINPROGRESS;

	if (index >= file_pages(f))
		return -EINVAL;
	e = lookup(f, index);
	if (e && e->readahead) {
		e->readahead = false;
		cache.stats.readahead_used++;
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
		if (w)
			add_waiter(e, w);
	} else {
		cache.stats.misses++;
		cache.stats.miss_bytes += page_bytes(f, index);
		err = start_read(f, index, w, false);
		if (!err)
			err = -EINPROGRESS;
	}
	if (err == 0 || err == -EINPROGRESS)
		readahead(f, index);
	return err;
}

int pcache_cancel(struct pcache_file *f, uint64_t index,
		  struct pcache_waiter *w)
{
	struct entry *e = lookup(f, index);
	struct pcache_waiter **pp;

	if (!e || e->state != LOADING)
		return 0;
	for (pp = &e->waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			return 1;
		}
	}
	return 0;
}

void pcache_fill_done(struct pcache_file *f, uint64_t index, struct iobuf *buf,
		      int err)
{
	struct entry *e = buf->owner_data;
	struct pcache_waiter *w = e->waiters;

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

		if (!err)
			iobuf_ref(buf);
		w->fn(w->arg, err ? NULL : buf, err);
		w = next;
	}
	iobuf_unref(buf); /* the fill reference */
}

void pcache_get_stats(struct pcache_stats *st)
{
	*st = cache.stats;
}

const char *pcache_policy_name(void)
{
	return cache.policy.kind == CACHE_POLICY_GDS ? "gds" : "lru";
}
