// SPDX-License-Identifier: MIT
/*
 * sf_buf mapping cache (interface and modes in sfbuf.h).
 *
 * Slot i maps the window page va_base + i * PAGE_SIZE. A slot is FREE
 * (never mapped, on the free list), BUSY (refcount > 0, in the hash) or
 * IDLE (refcount 0, still mapped, in the hash and on the LRU list; a get
 * of the same page revives it for free). A new page takes a free slot
 * first, then the least recently used idle one, whose old translation
 * must then be flushed. Long-held mappings (sfbuf_get_held) leave the
 * last SFBUF_SHORT_RESERVE slots to short ones, which the main loop gives
 * back before it moves on, so a short get always finds a slot.
 */
#define PR_PREFIX "sfbuf: "
#include "kernel/io/sfbuf.h"

#include "kernel/core/panic.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/bitmap.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/hash.h"
#include "kernel/lib/list.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/mm.h"
#include "kernel/param.h"

#define NO_SLOT UINT32_MAX

struct slot {
	uint64_t pa; /* [m] page mapped here; valid unless FREE */
	uint32_t refcnt; /* [m] */
	uint32_t hash_next; /* [m] chain in the page hash */
	struct list_node link; /* [m] on the idle LRU or the free list */
	bool mapped; /* [m] */
	bool writable; /* [m] the PTE allows writes */
};

static struct {
	enum sfbuf_mode mode; /* [I] */
	uint64_t pool_pa, pool_pages; /* [I] */
	uintptr_t va_base; /* [I] */
	uint32_t nslots; /* [I] */
	const struct sfbuf_pt_ops *ops; /* [I] */
	struct slot *slots; /* [m] */
	uint32_t *hash; /* [m] nslots buckets of slot indices */
	struct list_node free; /* [m] unmapped slots */
	struct list_node lru; /* [m] idle slots, head = oldest */
	uint64_t *sealed; /* [m] bitmap by pool page: map read-only */
	struct sfbuf_stats stats; /* [m] */
} sf = {
	/* Until sfbuf_init the pool is identity-mapped (and host unit tests
	 * of the pool's users never call it). */
	.mode = SFBUF_MODE_DIRECT,
};

static uint32_t bucket(uint64_t pa)
{
	return (uint32_t)(hash_u64(pa >> PAGE_SHIFT) % sf.nslots);
}

static uintptr_t slot_va(uint32_t i)
{
	return sf.va_base + (uintptr_t)i * PAGE_SIZE;
}

int sfbuf_init(enum sfbuf_mode mode, uint64_t pool_pa, uint64_t pool_pages,
	       uintptr_t va_base, uint64_t slots,
	       const struct sfbuf_pt_ops *ops)
{
	if (slots == 0 || slots >= NO_SLOT || !ops)
		return -EINVAL;
	sf.mode = mode;
	sf.pool_pa = pool_pa;
	sf.pool_pages = pool_pages;
	sf.va_base = va_base;
	sf.ops = ops;
	sf.stats = (struct sfbuf_stats){ 0 };
	kfree(sf.sealed);
	sf.sealed = kzalloc(DIV_ROUND_UP(pool_pages, 64) * sizeof(uint64_t));
	if (!sf.sealed)
		return -ENOMEM;
	if (mode == SFBUF_MODE_DIRECT)
		return 0;
	sf.nslots = (uint32_t)slots;
	kfree(sf.slots); /* a second init (unit tests) replaces the tables */
	kfree(sf.hash);
	sf.slots = kzalloc(slots * sizeof(*sf.slots));
	sf.hash = kmalloc(slots * sizeof(*sf.hash));
	if (!sf.slots || !sf.hash) {
		kfree(sf.slots);
		kfree(sf.hash);
		sf.slots = NULL;
		sf.hash = NULL;
		return -ENOMEM;
	}
	list_init(&sf.free);
	list_init(&sf.lru);
	for (uint32_t i = 0; i < sf.nslots; i++) {
		sf.hash[i] = NO_SLOT;
		list_add_tail(&sf.free, &sf.slots[i].link);
	}
	sf.stats.slots = slots;
	return 0;
}

enum sfbuf_mode sfbuf_mode(void)
{
	return sf.mode;
}

/* Unlink and return the index of the first slot on `list`, or NO_SLOT. */
static uint32_t pop_slot(struct list_node *list)
{
	struct list_node *n = list_pop_head(list);

	if (!n)
		return NO_SLOT;
	return (uint32_t)(list_entry(n, struct slot, link) - sf.slots);
}

static void hash_remove(uint32_t i)
{
	uint32_t *pp = &sf.hash[bucket(sf.slots[i].pa)];

	while (*pp != i)
		pp = &sf.slots[*pp].hash_next;
	*pp = sf.slots[i].hash_next;
}

static uint32_t lookup(uint64_t pa)
{
	uint32_t i = sf.hash[bucket(pa)];

	while (i != NO_SLOT && sf.slots[i].pa != pa)
		i = sf.slots[i].hash_next;
	return i;
}

/* A slot to put a new page in: free first, else the oldest idle one. */
static uint32_t take_slot(void)
{
	uint32_t i = pop_slot(&sf.free);

	if (i != NO_SLOT)
		return i;
	i = pop_slot(&sf.lru);
	if (i == NO_SLOT)
		panic("sfbuf_get: all %u slots busy", sf.nslots);
	hash_remove(i);
	sf.stats.recycled++;
	return i;
}

/* Whether pa is a pool page; its index in *n. */
static bool pool_page(uint64_t pa, uint64_t *n)
{
	*n = (pa - sf.pool_pa) >> PAGE_SHIFT;
	return sf.sealed && pa >= sf.pool_pa && *n < sf.pool_pages;
}

static bool page_sealed(uint64_t pa)
{
	uint64_t n;

	return pool_page(pa, &n) && bitmap_test(sf.sealed, n);
}

static void map_slot(uint32_t i, uint64_t pa)
{
	struct slot *s = &sf.slots[i];
	bool was_mapped = s->mapped;

	s->writable = !page_sealed(pa);
	if (sf.ops->map(slot_va(i), pa, s->writable))
		panic("sfbuf_get: no page table for slot %u", i);
	sf.stats.pte_writes++;
	if (was_mapped) {
		/* The TLB may still translate this VA to the old page. The
		 * slot belongs to this CPU's cache alone, so a local flush
		 * suffices where a shared map would broadcast. */
		sf.ops->invalidate(slot_va(i));
		sf.stats.invalidations++;
		sf.stats.shootdowns_avoided++;
	}
	s->pa = pa;
	s->mapped = true;
}

/*
 * Change the write permission of the PTE at va (a slot, or the pool
 * page's identity address in direct mode). Removing it needs an
 * invalidation (the TLB could still allow the write); granting it does
 * not: a stale read-only entry faults once and the fault hook retries the
 * access (sealguard.c), cheaper than an invlpg on every reuse of a page.
 */
static void protect_va(uintptr_t va, bool writable)
{
	if (sf.ops->protect(va, writable))
		panic("sfbuf: no PTE to protect at %#lx", (unsigned long)va);
	sf.stats.pte_writes++;
	if (writable) {
		sf.stats.unseal_upgrades++;
		return;
	}
	sf.ops->invalidate(va);
	sf.stats.seal_protects++;
	sf.stats.seal_invalidations++;
}

static void set_slot_writable(uint32_t i, bool writable)
{
	protect_va(slot_va(i), writable);
	sf.slots[i].writable = writable;
}

void sfbuf_set_sealed(uint64_t pa, bool sealed)
{
	uint64_t n;
	uint32_t i;

	if (!pool_page(pa, &n) || bitmap_test(sf.sealed, n) == sealed)
		return;
	if (sealed)
		bitmap_set(sf.sealed, n);
	else
		bitmap_clear(sf.sealed, n);
	if (sf.mode == SFBUF_MODE_DIRECT) {
		protect_va((uintptr_t)pa, !sealed);
		return;
	}
	if (sf.mode != SFBUF_MODE_SFBUF)
		return;
	i = lookup(pa);
	/* Only a seal must act now: a read-only slot of a freed page is
	 * made writable when a writer asks for it (sfbuf_get). */
	if (i != NO_SLOT && sealed && sf.slots[i].writable)
		set_slot_writable(i, false);
}

static void busy_inc(void)
{
	if (++sf.stats.busy > sf.stats.busy_max)
		sf.stats.busy_max = sf.stats.busy;
}

/* Whether a get of a page not mapped yet may take a slot and still leave
 * `reserve` slots that are free or idle. */
static bool slot_spare(uint32_t reserve)
{
	return sf.nslots - sf.stats.busy > reserve;
}

void *sfbuf_get_held(uint64_t pa)
{
	uint32_t i;

	if (sf.mode == SFBUF_MODE_DIRECT)
		return sfbuf_get(pa);
	/* Only a page already mapped *and* busy costs no spare slot. */
	i = sf.mode == SFBUF_MODE_SFBUF ? lookup(pa) : NO_SLOT;
	if ((i == NO_SLOT || !sf.slots[i].refcnt) &&
	    !slot_spare(SFBUF_SHORT_RESERVE)) {
		sf.stats.held_refused++;
		return NULL;
	}
	return sfbuf_get(pa);
}

void *sfbuf_get(uint64_t pa)
{
	uint32_t i;

	sf.stats.gets++;
	if (sf.mode == SFBUF_MODE_DIRECT)
		return phys_to_virt(pa);
	if (sf.mode == SFBUF_MODE_SFBUF) {
		i = lookup(pa);
		if (i != NO_SLOT) {
			if (sf.slots[i].refcnt++ == 0) {
				list_remove(&sf.slots[i].link);
				busy_inc();
			}
			sf.stats.hits++;
			if (!sf.slots[i].writable && !page_sealed(pa))
				set_slot_writable(i, true);
			return (void *)slot_va(i);
		}
	}
	sf.stats.misses++;
	i = take_slot();
	map_slot(i, pa);
	sf.slots[i].refcnt = 1;
	busy_inc();
	if (sf.mode == SFBUF_MODE_SFBUF) {
		uint32_t b = bucket(pa);

		sf.slots[i].hash_next = sf.hash[b];
		sf.hash[b] = i;
	}
	return (void *)slot_va(i);
}

void sfbuf_put(void *va)
{
	uintptr_t v = (uintptr_t)va;
	uint32_t i;
	struct slot *s;

	sf.stats.puts++;
	if (sf.mode == SFBUF_MODE_DIRECT)
		return;
	i = (uint32_t)((v - sf.va_base) / PAGE_SIZE);
	if (v < sf.va_base || i >= sf.nslots || !sf.slots[i].refcnt)
		panic("sfbuf_put: %p is not a mapping in use", va);
	s = &sf.slots[i];
	if (--s->refcnt)
		return;
	sf.stats.busy--;
	if (sf.mode == SFBUF_MODE_SFBUF) {
		/* idle but still mapped: reusable for free */
		list_add_tail(&sf.lru, &s->link);
		return;
	}
	/* naive: tear the mapping down right away. */
	sf.ops->unmap(slot_va(i));
	sf.ops->invalidate(slot_va(i));
	sf.stats.pte_writes++;
	sf.stats.invalidations++;
	s->mapped = false;
	list_add_head(&sf.free, &s->link);
}

uint64_t kva_to_phys(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	if (sf.mode != SFBUF_MODE_DIRECT && v >= sf.va_base &&
	    v < sf.va_base + (uintptr_t)sf.nslots * PAGE_SIZE) {
		const struct slot *s = &sf.slots[(v - sf.va_base) / PAGE_SIZE];

		return s->pa + (v & (PAGE_SIZE - 1));
	}
	return virt_to_phys(va);
}

void sfbuf_get_stats(struct sfbuf_stats *st)
{
	*st = sf.stats;
}
