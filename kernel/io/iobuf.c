// SPDX-License-Identifier: MIT
/*
 * IO-Lite buffer pool and aggregates (interface and ownership rules in
 * iobuf.h). CPU access to pool pages goes through kernel/io/sfbuf.c. The pool is one run of frames (2 MiB-aligned unless smaller) taken from the
 * pmm at boot, tracked by its own bitmap so pool pages never mix with
 * kernel memory. Descriptors come from the heap. An aggregate keeps its
 * slices in an array with a movable head, so consuming from the front
 * (the send path) and appending at the back are both O(1).
 */
#define PR_PREFIX "iobuf: "
#include "kernel/io/iobuf.h"

#include "kernel/core/cmdline.h"
#include "kernel/core/panic.h"
#include "kernel/core/printk.h"
#include "kernel/core/spinlock.h"
#include "kernel/cpu/percpu.h"
#include "kernel/io/sfbuf.h"
#include "kernel/lib/bitmap.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/pmm.h"
#include "kernel/param.h"

#define IOBUF_MAGIC 0x10B0F00Du
#define IOBUF_DEAD 0xDEADB0F0u
#define POOL_ALIGN_PAGES (HUGE_PAGE_SIZE / PAGE_SIZE)
#define IOBUF_MAX_PAGES UINT16_MAX
#define ALLOC_RECLAIM_TRIES 4 /* reclaims whose pages another CPU took */

static struct {
	uint64_t base; /* [I] physical address of page 0 */
	uint64_t pages; /* [I] */
	uint64_t *bitmap; /* [lock] set = allocated */
	struct iobuf **owner; /* per page: the buffer holding it, written by
			       * whoever allocates or frees that page */
	uint64_t hint; /* [lock] */
	uint64_t reserve; /* [I] free pages only iobuf_alloc_reserve takes */
	uint64_t headroom; /* [I] more that iobuf_alloc_deferrable leaves */
	uint64_t (*reclaim)(uint64_t pages); /* [I] */
	struct iobuf_stats stats; /* [atomic] */
	struct spinlock lock;
} pool = { .lock = SPINLOCK_INIT("iobuf pool", LOCK_RANK_IOBUF) };

/*
 * Each CPU keeps up to IOBUF_CPU_CACHE one-page buffers it freed, whole
 * (descriptor and page), for its next one-page allocations. A response
 * header per request then takes neither the heap's lock nor the pool's,
 * and its page stays with the CPU that writes it: its sfbuf slot stays
 * in that CPU's TLB alone, so sealing it is a local invlpg. Cached pages
 * count as free (free_pages) but stay set in the bitmap; an allocation
 * that finds no run gives every CPU's cached pages back to the bitmap
 * and looks again. A cache's lock is contended only by such a drain.
 */
#define IOBUF_CPU_CACHE 16

static struct cpu_cache {
	struct spinlock lock;
	uint32_t n; /* [lock] */
	struct iobuf *bufs[IOBUF_CPU_CACHE]; /* [lock] freed: IOBUF_DEAD */
} __aligned(64) cpu_caches[CPU_MAX];

#define POOL_STAT_ADD(field, n) \
	__atomic_fetch_add(&pool.stats.field, (n), __ATOMIC_RELAXED)
#define POOL_STAT_SUB(field, n) \
	__atomic_fetch_sub(&pool.stats.field, (n), __ATOMIC_RELAXED)

static bool poison;
KPARAM_BOOL(iobuf_poison, poison,
	    "fill pool pages with IOBUF_POISON when freed (debug)");

static bool seal_protect = true;
KPARAM_BOOL(seal_protect, seal_protect,
	    "map sealed buffers read-only, so a write to one faults");

void iobuf_set_poison(bool on)
{
	poison = on;
}

/* Overwrite a freed run, so a device or CPU that still reads it shows
 * the pattern instead of stale data that looks plausible. */
static void poison_pages(uint64_t pa, uint64_t pages)
{
	for (uint64_t i = 0; i < pages; i++) {
		uint64_t *va = sfbuf_get_private(pa + (i << PAGE_SHIFT));

		for (size_t w = 0; w < PAGE_SIZE / sizeof(*va); w++)
			va[w] = IOBUF_POISON;
		sfbuf_put(va);
	}
}

void iobuf_set_reclaimer(uint64_t (*reclaim)(uint64_t pages))
{
	pool.reclaim = reclaim;
}

int iobuf_pool_init(uint64_t pages)
{
	uint64_t *bitmap;
	uint64_t base, align;

	if (pool.pages || pages == 0)
		return -EINVAL;
	bitmap = kzalloc(BITMAP_WORDS(pages) * sizeof(uint64_t));
	pool.owner = kzalloc(pages * sizeof(*pool.owner));
	/* 2 MiB alignment lets a large pool leave the identity map in huge
	 * pages; a pool smaller than that could not find such a run on a
	 * small machine, and splits a huge page instead. */
	align = pages >= POOL_ALIGN_PAGES ? POOL_ALIGN_PAGES : 1;
	base = bitmap && pool.owner ? pmm_alloc(pages, align) : 0;
	if (!base) {
		kfree(bitmap);
		kfree(pool.owner);
		pool.owner = NULL;
		return -ENOMEM;
	}
	pool.base = base;
	pool.pages = pages;
	pool.bitmap = bitmap;
	pool.stats.pool_pages = pages;
	pool.stats.free_pages = pages;
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++)
		spin_init(&cpu_caches[cpu].lock, "iobuf CPU cache",
			  LOCK_RANK_IOBUF_CPU);
	return 0;
}

uint64_t iobuf_pool_base(void)
{
	return pool.base;
}

bool iobuf_pool_contains(uint64_t pa)
{
	return pa >= pool.base && pa < pool.base + (pool.pages << PAGE_SHIFT);
}

static void check_live(const struct iobuf *b, const char *fn)
{
	if (b->magic != IOBUF_MAGIC)
		panic("%s: iobuf %p used after release (magic %#x)", fn,
		      (const void *)b, b->magic);
}

void iobuf_set_reserve(uint64_t pages)
{
	pool.reserve = pages;
}

void iobuf_set_headroom(uint64_t pages)
{
	pool.headroom = pages;
}

/* Count `pages` out of free_pages if `keep_free` stay: the check and the
 * taking are one step, so two CPUs cannot both pass it for the last
 * free pages. */
static bool claim_free(uint64_t pages, uint64_t keep_free)
{
	uint64_t free =
		__atomic_load_n(&pool.stats.free_pages, __ATOMIC_RELAXED);

	do {
		if (free < pages + keep_free)
			return false;
	} while (!__atomic_compare_exchange_n(
		&pool.stats.free_pages, &free, free - pages, true,
		__ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return true;
}

/* claim_free, asking the reclaimer for what is missing. It runs unlocked
 * (it takes FS locks), so another CPU may take the pages it freed before
 * we claim them: asked again while it frees some, a bounded number of
 * times. */
static bool claim_pages(uint64_t pages, uint64_t keep_free)
{
	for (int tries = 0;; tries++) {
		uint64_t free;

		if (claim_free(pages, keep_free))
			return true;
		if (tries == ALLOC_RECLAIM_TRIES || !pool.reclaim)
			return false;
		free = READ_ONCE(pool.stats.free_pages);
		if (!pool.reclaim(free < pages + keep_free ?
					  pages + keep_free - free :
					  pages))
			return false;
	}
}

/* A free run of `pages` with the pool lock held, or UINT64_MAX. */
static uint64_t find_run(uint64_t pages)
{
	return bitmap_find_clear_run(pool.bitmap, pool.pages,
				     pages == 1 ? pool.hint : 0, pages, 1);
}

static uint64_t page_index(const struct iobuf *b)
{
	return (b->pa - pool.base) >> PAGE_SHIFT;
}

/* A one-page buffer this CPU freed, or NULL. */
static struct iobuf *cache_pop(void)
{
	struct cpu_cache *c = &cpu_caches[cpu_self()];
	struct iobuf *b = NULL;

	spin_lock(&c->lock);
	if (c->n)
		b = c->bufs[--c->n];
	spin_unlock(&c->lock);
	if (b)
		POOL_STAT_SUB(cpu_cached_pages, 1);
	return b;
}

/* Keep freed one-page buffer b for this CPU; false when its cache is
 * full. */
static bool cache_push(struct iobuf *b)
{
	struct cpu_cache *c = &cpu_caches[cpu_self()];
	bool kept = false;

	spin_lock(&c->lock);
	if (c->n < IOBUF_CPU_CACHE) {
		c->bufs[c->n++] = b;
		kept = true;
	}
	spin_unlock(&c->lock);
	if (kept)
		POOL_STAT_ADD(cpu_cached_pages, 1);
	return kept;
}

/* Every CPU's cached pages back to the bitmap (the pool lock not held):
 * how many. */
static uint64_t drain_cpu_caches(void)
{
	uint64_t drained = 0;

	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++) {
		struct cpu_cache *c = &cpu_caches[cpu];

		if (!READ_ONCE(c->n))
			continue;
		spin_lock(&c->lock);
		spin_lock(&pool.lock);
		for (; c->n; drained++) {
			struct iobuf *b = c->bufs[--c->n];
			uint64_t first = page_index(b);

			bitmap_clear_range(pool.bitmap, first, 1);
			if (first < pool.hint)
				pool.hint = first;
			kfree(b);
		}
		spin_unlock(&pool.lock);
		spin_unlock(&c->lock);
	}
	POOL_STAT_SUB(cpu_cached_pages, drained);
	return drained;
}

/* Take a free run of `pages` in the bitmap: its first page, or
 * UINT64_MAX. */
static uint64_t try_take_run(uint64_t pages)
{
	uint64_t first;

	spin_lock(&pool.lock);
	first = find_run(pages);
	if (first != UINT64_MAX) {
		bitmap_set_range(pool.bitmap, first, pages);
		if (pages == 1)
			pool.hint = first + 1;
	}
	spin_unlock(&pool.lock);
	return first;
}

/* try_take_run, then again after the CPU caches are drained, then after
 * the reclaimer (whose frees may go to this CPU's cache: drained too). */
static uint64_t take_run(uint64_t pages)
{
	uint64_t first = try_take_run(pages);

	if (first != UINT64_MAX)
		return first;
	drain_cpu_caches();
	first = try_take_run(pages);
	if (first != UINT64_MAX || !pool.reclaim)
		return first;
	pool.reclaim(pages);
	drain_cpu_caches();
	return try_take_run(pages);
}

/* `keep_free`: the free pages this allocation must leave (the RX
 * reserve, and the headroom for a deferrable one). */
static struct iobuf *alloc(size_t len, const struct iobuf_owner *owner,
			   void *owner_data, uint64_t keep_free)
{
	uint64_t pages = DIV_ROUND_UP(len ? len : 1, PAGE_SIZE);
	uint64_t first = UINT64_MAX;
	struct iobuf *b = NULL;

	if (pages > IOBUF_MAX_PAGES || len > UINT32_MAX)
		goto fail_unclaimed;
	if (!claim_pages(pages, keep_free))
		goto fail_unclaimed;
	b = pages == 1 ? cache_pop() : NULL;
	if (b) {
		first = page_index(b);
		POOL_STAT_ADD(cpu_cache_hits, 1);
	} else {
		b = kmalloc(sizeof(*b));
		if (!b)
			goto fail;
		first = take_run(pages);
		if (first == UINT64_MAX)
			goto fail;
	}
	for (uint64_t i = 0; i < pages; i++)
		WRITE_ONCE(pool.owner[first + i], b);
	POOL_STAT_ADD(allocs, 1);
	*b = (struct iobuf){
		.magic = IOBUF_MAGIC,
		.refcnt = 1,
		.pa = pool.base + (first << PAGE_SHIFT),
		.len = (uint32_t)len,
		.pages = (uint16_t)pages,
		.owner = owner,
		.owner_data = owner_data,
	};
	POOL_STAT_ADD(pinned_pages, pages);
	return b;

fail:
	kfree(b);
	POOL_STAT_ADD(free_pages, pages); /* the claim goes back */
fail_unclaimed:
	POOL_STAT_ADD(alloc_failures, 1);
	return NULL;
}

struct iobuf *iobuf_alloc(size_t len, const struct iobuf_owner *owner,
			  void *owner_data)
{
	return alloc(len, owner, owner_data, READ_ONCE(pool.reserve));
}

struct iobuf *iobuf_alloc_deferrable(size_t len,
				     const struct iobuf_owner *owner,
				     void *owner_data)
{
	return alloc(len, owner, owner_data,
		     READ_ONCE(pool.reserve) + READ_ONCE(pool.headroom));
}

struct iobuf *iobuf_alloc_reserve(size_t len, const struct iobuf_owner *owner,
				  void *owner_data)
{
	return alloc(len, owner, owner_data, 0);
}

void iobuf_ref(struct iobuf *b)
{
	check_live(b, "iobuf_ref");
	if (__atomic_fetch_add(&b->refcnt, 1, __ATOMIC_RELAXED) == 0)
		__atomic_fetch_add(&pool.stats.pinned_pages, b->pages,
				   __ATOMIC_RELAXED);
}

void iobuf_unref(struct iobuf *b)
{
	uint32_t old = __atomic_load_n(&b->refcnt, __ATOMIC_RELAXED);

	check_live(b, "iobuf_unref");
	/* acq_rel: our accesses to the buffer happen before the release
	 * runs on whichever CPU drops the last reference */
	do {
		if (old == 0)
			panic("iobuf_unref: iobuf %p released twice",
			      (void *)b);
	} while (!__atomic_compare_exchange_n(&b->refcnt, &old, old - 1, true,
					      __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
	if (old > 1)
		return;
	__atomic_fetch_sub(&pool.stats.pinned_pages, b->pages,
			   __ATOMIC_RELAXED);
	if (b->owner)
		b->owner->release(b);
	else
		iobuf_free(b);
}

/* Every mapping of b's pages read-only (sealed) or writable again. */
static void set_pages_sealed(const struct iobuf *b, bool sealed)
{
	for (uint64_t i = 0; i < b->pages; i++)
		sfbuf_set_sealed(b->pa + (i << PAGE_SHIFT), sealed);
}

void iobuf_free(struct iobuf *b)
{
	uint64_t first = page_index(b), pages = b->pages;

	check_live(b, "iobuf_free");
	if (b->refcnt)
		panic("iobuf_free: iobuf %p still has %u references", (void *)b,
		      b->refcnt);
	/* Writable again before the poison (or the next owner) writes it. */
	if (b->flags & IOBUF_SEALED)
		set_pages_sealed(b, false);
	if (poison)
		poison_pages(b->pa, b->pages);
	b->magic = IOBUF_DEAD;
	for (uint64_t i = 0; i < pages; i++)
		WRITE_ONCE(pool.owner[first + i], NULL);
	if (pages != 1 || !cache_push(b)) {
		spin_lock(&pool.lock);
		bitmap_clear_range(pool.bitmap, first, pages);
		if (first < pool.hint)
			pool.hint = first;
		spin_unlock(&pool.lock);
		kfree(b);
	}
	POOL_STAT_ADD(free_pages, pages);
	POOL_STAT_ADD(frees, 1);
}

void iobuf_seal(struct iobuf *b, uint32_t len)
{
	check_live(b, "iobuf_seal");
	BUG_ON(len > (uint64_t)b->pages * PAGE_SIZE);
	b->len = len;
	b->flags |= IOBUF_SEALED;
	if (seal_protect)
		set_pages_sealed(b, true);
}

struct iobuf *iobuf_from_pa(uint64_t pa)
{
	if (!iobuf_pool_contains(pa))
		return NULL;
	return pool.owner[(pa - pool.base) >> PAGE_SHIFT];
}

#define CSUM_LEN(p) ((uint16_t)((p) >> 16))

bool iobuf_csum_lookup(const struct iobuf *b, uint32_t off, uint32_t len,
		       uint16_t *sum)
{
	if (!(b->flags & IOBUF_SEALED) || off > UINT16_MAX || len == 0 ||
	    len > UINT16_MAX)
		return false;
	for (int i = 0; i < IOBUF_CSUM_SLOTS; i++) {
		uint64_t p =
			__atomic_load_n(&b->csum[i].packed, __ATOMIC_RELAXED);

		if (CSUM_LEN(p) && (uint16_t)p == off && CSUM_LEN(p) == len) {
			*sum = (uint16_t)(p >> 32);
			return true;
		}
	}
	return false;
}

void iobuf_csum_store(struct iobuf *b, uint32_t off, uint32_t len, uint16_t sum)
{
	uint8_t slot;

	if (!(b->flags & IOBUF_SEALED) || off > UINT16_MAX || len == 0 ||
	    len > UINT16_MAX)
		return;
	/* Two CPUs may pick the same slot: each entry is whole anyway. */
	slot = READ_ONCE(b->csum_next) % IOBUF_CSUM_SLOTS;
	WRITE_ONCE(b->csum_next, (uint8_t)((slot + 1) % IOBUF_CSUM_SLOTS));
	__atomic_store_n(&b->csum[slot].packed,
			 off | (uint64_t)len << 16 | (uint64_t)sum << 32,
			 __ATOMIC_RELAXED);
}

void *iobuf_map(struct iobuf *b)
{
	check_live(b, "iobuf_map");
	BUG_ON(b->pages != 1);
	return sfbuf_get(b->pa);
}

void *iobuf_map_held(struct iobuf *b)
{
	check_live(b, "iobuf_map_held");
	BUG_ON(b->pages != 1);
	return sfbuf_get_held(b->pa);
}

void *iobuf_map_held_rx(struct iobuf *b)
{
	check_live(b, "iobuf_map_held_rx");
	BUG_ON(b->pages != 1);
	return sfbuf_get_held_rx(b->pa);
}

void iobuf_unmap(struct iobuf *b, void *va)
{
	(void)b;
	sfbuf_put(va);
}

#define MAP_BATCH 16

size_t iobuf_map_held_many(struct iobuf *const *bufs, size_t n, void **vas)
{
	uint64_t pas[MAP_BATCH];
	size_t done = 0;

	while (done < n) {
		size_t k = MIN(n - done, (size_t)MAP_BATCH), got;

		for (size_t i = 0; i < k; i++) {
			check_live(bufs[done + i], "iobuf_map_held_many");
			BUG_ON(bufs[done + i]->pages != 1);
			pas[i] = bufs[done + i]->pa;
		}
		got = sfbuf_get_held_many(pas, k, vas + done);
		done += got;
		if (got < k)
			break;
	}
	return done;
}

void iobuf_unmap_many(void *const *vas, size_t n)
{
	sfbuf_put_many(vas, n);
}

/* Each counter is one aligned word: a report a few events behind is
 * fine. */
void iobuf_get_stats(struct iobuf_stats *st)
{
#define IOBUF_READ(name) st->name = READ_ONCE(pool.stats.name);
	IOBUF_STATS(IOBUF_READ)
#undef IOBUF_READ
}

/* --- aggregates --- */

void ioagg_init(struct ioagg *a)
{
	a->slices = a->inline_slices;
	a->head = 0;
	a->count = 0;
	a->cap = IOAGG_INLINE;
	a->len = 0;
}

/* Make room for `back` more slices after the last one and `front` more
 * before the first. 0 or -ENOMEM (nothing changed). */
static int reserve(struct ioagg *a, uint32_t front, uint32_t back)
{
	uint32_t need = a->count + front + back;
	struct ioslice *s;
	uint32_t cap;

	if (a->head >= front && a->head + a->count + back <= a->cap)
		return 0;
	if (need <= a->cap) {
		memmove(&a->slices[front], &a->slices[a->head],
			a->count * sizeof(*s));
		a->head = front;
		return 0;
	}
	cap = MAX(a->cap * 2, need);
	if (cap > UINT32_MAX / sizeof(*s))
		return -ENOMEM;
	s = kmalloc(cap * sizeof(*s));
	if (!s)
		return -ENOMEM;
	memcpy(&s[front], &a->slices[a->head], a->count * sizeof(*s));
	if (a->slices != a->inline_slices)
		kfree(a->slices);
	a->slices = s;
	a->head = front;
	a->cap = cap;
	return 0;
}

int ioagg_reserve(struct ioagg *a, uint32_t n)
{
	return reserve(a, 0, n);
}

static bool range_ok(const struct iobuf *b, uint32_t off, uint32_t len)
{
	return len && off <= b->len && len <= b->len - off;
}

/* Append with room already reserved; cannot fail. */
static void push_back(struct ioagg *a, struct iobuf *b, uint32_t off,
		      uint32_t len)
{
	struct ioslice *last = a->count ? &a->slices[a->head + a->count - 1] :
					  NULL;

	if (last && last->buf == b && last->off + last->len == off) {
		last->len += len;
	} else {
		iobuf_ref(b);
		a->slices[a->head + a->count++] =
			(struct ioslice){ .buf = b, .off = off, .len = len };
	}
	a->len += len;
}

int ioagg_append(struct ioagg *a, struct iobuf *b, uint32_t off, uint32_t len)
{
	check_live(b, "ioagg_append");
	if (!range_ok(b, off, len))
		return -EINVAL;
	if (reserve(a, 0, 1))
		return -ENOMEM;
	push_back(a, b, off, len);
	return 0;
}

int ioagg_prepend(struct ioagg *a, struct iobuf *b, uint32_t off, uint32_t len)
{
	struct ioslice *first;

	check_live(b, "ioagg_prepend");
	if (!range_ok(b, off, len))
		return -EINVAL;
	first = a->count ? &a->slices[a->head] : NULL;
	if (first && first->buf == b && off + len == first->off) {
		first->off = off;
		first->len += len;
		a->len += len;
		return 0;
	}
	if (reserve(a, 1, 0))
		return -ENOMEM;
	iobuf_ref(b);
	a->slices[--a->head] =
		(struct ioslice){ .buf = b, .off = off, .len = len };
	a->count++;
	a->len += len;
	return 0;
}

int ioagg_concat(struct ioagg *dst, const struct ioagg *src)
{
	return ioagg_slice(dst, src, 0, src->len);
}

int ioagg_slice(struct ioagg *dst, const struct ioagg *src, uint64_t off,
		uint64_t len)
{
	uint32_t first = 0, n = 0;
	uint64_t skip = off, left = len;

	if (off > src->len || len > src->len - off)
		return -EINVAL;
	/* Find the first slice and count the ones touched. */
	while (first < src->count && skip >= ioagg_slice_at(src, first)->len)
		skip -= ioagg_slice_at(src, first++)->len;
	for (uint32_t i = first; i < src->count && left; i++, n++)
		left -= MIN(left, ioagg_slice_at(src, i)->len -
					  (i == first ? skip : 0));
	if (reserve(dst, 0, n))
		return -ENOMEM;
	left = len;
	for (uint32_t i = first; left; i++) {
		const struct ioslice *s = ioagg_slice_at(src, i);
		uint32_t o = s->off + (uint32_t)(i == first ? skip : 0);
		uint32_t l = (uint32_t)MIN(left, (uint64_t)s->off + s->len - o);

		push_back(dst, s->buf, o, l);
		left -= l;
	}
	return 0;
}

void ioagg_consume(struct ioagg *a, uint64_t n)
{
	while (n && a->count) {
		struct ioslice *s = &a->slices[a->head];

		if (s->len > n) {
			s->off += (uint32_t)n;
			s->len -= (uint32_t)n;
			a->len -= n;
			return;
		}
		n -= s->len;
		a->len -= s->len;
		iobuf_unref(s->buf);
		a->head++;
		a->count--;
	}
	if (!a->count)
		a->head = 0;
}

void ioagg_release(struct ioagg *a)
{
	for (uint32_t i = 0; i < a->count; i++)
		iobuf_unref(a->slices[a->head + i].buf);
	if (a->slices != a->inline_slices)
		kfree(a->slices);
	ioagg_init(a);
}

size_t ioagg_copyout(const struct ioagg *a, uint64_t off, void *dst, size_t len)
{
	char *out = dst;
	size_t done = 0;

	for (uint32_t i = 0; i < a->count && done < len; i++) {
		const struct ioslice *s = ioagg_slice_at(a, i);
		size_t n;
		char *va;

		if (off >= s->len) {
			off -= s->len;
			continue;
		}
		n = MIN(len - done, s->len - off);
		va = iobuf_map(s->buf);
		memcpy(out + done, va + s->off + off, n);
		iobuf_unmap(s->buf, va);
		done += n;
		off = 0;
	}
	return done;
}
