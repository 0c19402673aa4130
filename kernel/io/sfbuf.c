// SPDX-License-Identifier: MIT
/*
 * sf_buf mapping cache (interface, modes and rules in sfbuf.h).
 *
 * Slot i maps the window page va_base + i * PAGE_SIZE. A slot is FREE
 * (not mapped, on the free list), BUSY (refcount > 0, in the hash) or
 * IDLE (refcount 0, still mapped, in the hash and on the LRU list of the
 * CPU that gave it back last; a get of the same page, from any CPU,
 * revives it for free). A new page takes a free slot first, then this
 * CPU's least recently used idle one, then another CPU's.
 *
 * Each slot keeps `tlb`, the CPUs that may hold a translation of its VA
 * (a CPU adds itself when it takes a reference), and `stale` within it,
 * the CPUs whose translation may be of a page the slot mapped before,
 * and `writers`, the CPUs that took it while its PTE allowed writes and
 * so may cache a writable translation. Sealing a page removes write
 * access: only `writers` (and `stale`) can hold a translation that
 * allows a write, so only they are flushed. A response header page that
 * one CPU wrote, sealed and freed, and the other CPU then reuses for its
 * own header, costs a local invlpg, not a shootdown of the first CPU
 * (whose entry is read-only or gone since the first seal).
 * Replacing the page flushes exactly `tlb`: a local invlpg when that is
 * this CPU alone, a shootdown of the others otherwise; for a private get
 * it flushes only here and moves the others to `stale`, and a stale CPU
 * flushes its own entry when it takes the slot. Long-held mappings
 * (sfbuf_get_held) leave the last SFBUF_SHORT_RESERVE slots to short
 * ones, which a CPU gives back before it moves on, so a short get always
 * finds a slot; all but RX refills (sfbuf_get_held_rx) also leave the
 * `rx_reserve` slots above those, so senders cannot starve the rings
 * that bring the ACKs which free their slots. A CPU refused a held get
 * enters `refused` (`rx_refused` for an RX get); the put that next
 * leaves a slot that get could take counts a wake for each such CPU
 * (held_wakes) and queues it a no-op handover, whose arrival (a kick
 * when it is another CPU) makes its main loop run a pass in which its
 * senders see the count move and retry and its rings refill: slots
 * freed by any CPU's ACKs reach the waiters of every CPU, each CPU
 * touching only its own connections.
 *
 * Locking: sf.lock ([L]) guards the slots, the hash, the lists, the
 * sealed bitmap and the counters (a shootdown counts on its targets'
 * lines); mode direct touches no shared state on get/put and counts on
 * the CPU's own line unlocked. Page-table writes and shootdowns happen
 * under sf.lock, below it in the lock order. It is taken with interrupts
 * off (irqsave) because code run by a call IPI may map pages (the stress
 * selftest does), and a CPU waiting for it then serves shootdowns.
 */
#define PR_PREFIX "sfbuf: "
#include "kernel/io/sfbuf.h"

#include "kernel/core/panic.h"
#include "kernel/core/spinlock.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/bitmap.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/hash.h"
#include "kernel/lib/list.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/mm.h"
#include "kernel/param.h"
#include "kernel/sched/handover.h"

#define NO_SLOT UINT32_MAX

STATIC_ASSERT(CPU_MAX <= 8 * sizeof(cpumask_t));

struct slot {
	uint64_t pa; /* [L] page mapped here; valid unless FREE */
	cpumask_t tlb; /* [L] CPUs that may translate this slot's VA */
	cpumask_t stale; /* [L] ... to an earlier page (a subset of tlb) */
	cpumask_t writers; /* [L] ... with write access (a subset of tlb) */
	uint32_t refcnt; /* [L] */
	uint32_t hash_next; /* [L] chain in the page hash */
	struct list_node link; /* [L] on a CPU's idle LRU or the free list */
	bool mapped; /* [L] */
	bool writable; /* [L] the PTE allows writes */
};

/* What one CPU owns: its idle mappings and its counters, on lines of
 * their own. */
struct cpu_cache {
	struct list_node lru; /* [L] idle slots it gave back, head = oldest */
	struct sfbuf_cpu_stats stats; /* [L], or [this CPU] in direct mode */
	struct handover wake; /* [queue] while in sf.wake_queued */
} __aligned(64);

enum get_kind { GET_SHORT, GET_HELD, GET_HELD_RX, GET_PRIVATE };

static struct {
	enum sfbuf_mode mode; /* [I] */
	uint64_t pool_pa, pool_pages; /* [I] */
	uintptr_t va_base; /* [I] */
	uint32_t nslots; /* [I] */
	const struct sfbuf_pt_ops *ops; /* [I] */
	struct spinlock lock;
	struct slot *slots; /* [L] */
	uint32_t *hash; /* [L] nslots buckets of slot indices */
	struct list_node free; /* [L] unmapped slots */
	uint64_t *sealed; /* [L] bitmap by pool page: map read-only */
	uint64_t busy, busy_max; /* [L] */
	uint32_t rx_reserve; /* [L] slots beyond the short reserve: RX only */
	cpumask_t refused; /* [L] CPUs refused a held get, not woken since */
	cpumask_t rx_refused; /* [L] ... an RX get, not woken since */
	cpumask_t wake_queued; /* [L] CPUs whose `wake` handover is queued */
	struct cpu_cache cpu[CPU_MAX];
} sf = {
	/* Until sfbuf_init the pool is identity-mapped (and host unit tests
	 * of the pool's users never call it). */
	.mode = SFBUF_MODE_DIRECT,
	.lock = SPINLOCK_INIT("sfbuf", LOCK_RANK_SFBUF),
};

/* sfbufselftest=stale: flush only locally, to show the stress test
 * catches a missing shootdown. Never set otherwise. */
static bool local_flush_only;

void sfbuf_selftest_break_shootdowns(void)
{
	local_flush_only = true;
}

static unsigned this_cpu(void)
{
	return sf.ops ? sf.ops->cpu_self() : 0;
}

static unsigned online_cpus(void)
{
	return sf.ops ? sf.ops->cpu_count() : 1;
}

/* Every CPU online now. */
static cpumask_t all_cpus(void)
{
	unsigned n = online_cpus();

	return n >= 64 ? ~(cpumask_t)0 : CPUMASK_BIT(n) - 1;
}

/* How many CPUs are in `m` (no popcount instruction assumed, and no
 * libgcc to supply one). */
static unsigned cpus_in(cpumask_t m)
{
	unsigned n = 0;

	for (; m; m &= m - 1)
		n++;
	return n;
}

static uint32_t bucket(uint64_t pa)
{
	return (uint32_t)(hash_u64(pa >> PAGE_SHIFT) % sf.nslots);
}

static uintptr_t slot_va(uint32_t i)
{
	return sf.va_base + (uintptr_t)i * PAGE_SIZE;
}

/* Back to the state before any init, keeping what survives one. */
static void reset(void)
{
	for (unsigned c = 0; c < CPU_MAX; c++) {
		list_init(&sf.cpu[c].lru);
		sf.cpu[c].stats = (struct sfbuf_cpu_stats){ 0 };
	}
	list_init(&sf.free);
	sf.busy = sf.busy_max = 0;
	sf.refused = 0;
	/* wake_queued survives: a queued handover still belongs to its
	 * queue (unit tests init again) */
}

int sfbuf_init(enum sfbuf_mode mode, uint64_t pool_pa, uint64_t pool_pages,
	       uintptr_t va_base, uint64_t slots,
	       const struct sfbuf_pt_ops *ops)
{
	if (slots == 0 || slots >= NO_SLOT || !ops || !ops->shootdown ||
	    !ops->cpu_self || !ops->cpu_count)
		return -EINVAL;
	sf.mode = mode;
	sf.pool_pa = pool_pa;
	sf.pool_pages = pool_pages;
	sf.va_base = va_base;
	sf.ops = ops;
	reset();
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
	for (uint32_t i = 0; i < sf.nslots; i++) {
		sf.hash[i] = NO_SLOT;
		list_add_tail(&sf.free, &sf.slots[i].link);
	}
	return 0;
}

enum sfbuf_mode sfbuf_mode(void)
{
	return sf.mode;
}

/*
 * Flush the TLB entries for `va` on the CPUs in `cpus`, for `self`'s
 * account: one local invlpg when the set is this CPU alone (or empty:
 * the PTE was just written here), a shootdown of exactly the set
 * otherwise. Online CPUs neither in the set nor in `deferred` (left
 * stale on purpose, to be flushed later) count as shootdowns avoided.
 */
static void flush_va(uintptr_t va, cpumask_t cpus, cpumask_t deferred,
		     unsigned self)
{
	struct sfbuf_cpu_stats *st = &sf.cpu[self].stats;
	cpumask_t others = cpus & ~CPUMASK_BIT(self);
	unsigned spared =
		online_cpus() - 1 -
		cpus_in((others | deferred) & all_cpus() & ~CPUMASK_BIT(self));

	st->shootdowns_avoided += spared;
	if (!others || local_flush_only) {
		sf.ops->invalidate(va);
		st->local_invalidations++;
		return;
	}
	sf.ops->shootdown(cpus, va, 1);
	st->shootdowns++;
	st->shootdown_ipis_sent += cpus_in(others);
	for (cpumask_t m = others; m; m &= m - 1)
		sf.cpu[__builtin_ctzll(m)].stats.shootdown_ipis_received++;
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

static void hash_insert(uint32_t i)
{
	uint32_t b = bucket(sf.slots[i].pa);

	sf.slots[i].hash_next = sf.hash[b];
	sf.hash[b] = i;
}

static uint32_t lookup(uint64_t pa)
{
	uint32_t i = sf.hash[bucket(pa)];

	while (i != NO_SLOT && sf.slots[i].pa != pa)
		i = sf.slots[i].hash_next;
	return i;
}

/* The oldest idle slot on another CPU's list, or NO_SLOT. */
static uint32_t steal_idle(unsigned self)
{
	unsigned n = online_cpus();

	for (unsigned k = 1; k < n; k++) {
		uint32_t i = pop_slot(&sf.cpu[(self + k) % n].lru);

		if (i != NO_SLOT)
			return i;
	}
	return NO_SLOT;
}

/* A slot to put a new page in: free first, else the oldest idle one of
 * this CPU (likely in no other TLB), else of another CPU. */
static uint32_t take_slot(unsigned self)
{
	struct sfbuf_cpu_stats *st = &sf.cpu[self].stats;
	uint32_t i = pop_slot(&sf.free);

	if (i != NO_SLOT)
		return i;
	i = pop_slot(&sf.cpu[self].lru);
	if (i == NO_SLOT) {
		i = steal_idle(self);
		if (i == NO_SLOT)
			panic("sfbuf_get: all %u slots busy", sf.nslots);
		st->recycled_remote++;
	}
	hash_remove(i);
	st->recycled++;
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

/*
 * Point slot i at pa for `self`. A slot that mapped another page may
 * still be in the TLBs of the CPUs in its set: flush them all, or, for a
 * private mapping, only here, leaving the others stale (they never look
 * at this VA without taking the slot, which flushes their entry then).
 */
static void map_slot(uint32_t i, uint64_t pa, bool private, unsigned self)
{
	struct slot *s = &sf.slots[i];
	struct sfbuf_cpu_stats *st = &sf.cpu[self].stats;
	cpumask_t others = s->tlb & ~CPUMASK_BIT(self);

	s->writable = !page_sealed(pa);
	if (sf.ops->map(slot_va(i), pa, s->writable))
		panic("sfbuf_get: no page table for slot %u", i);
	st->pte_writes++;
	if (s->mapped) {
		st->invalidations++;
		if (private) {
			flush_va(slot_va(i), CPUMASK_BIT(self), others, self);
			s->stale = others;
		} else {
			flush_va(slot_va(i), s->tlb, 0, self);
			s->tlb = 0;
			s->stale = 0;
		}
	}
	s->writers = 0; /* get_locked adds self if the new PTE is writable */
	s->pa = pa;
	s->mapped = true;
}

/*
 * Change the write permission of the PTE at va (a slot, or the pool
 * page's identity address in direct mode). Removing it needs a flush on
 * every CPU in `cpus` (their TLBs could still allow the write); granting
 * it does not: a stale read-only entry faults once and the fault hook
 * retries the access (sealguard.c), cheaper than a flush on every reuse.
 */
static void protect_va(uintptr_t va, bool writable, cpumask_t cpus,
		       unsigned self)
{
	struct sfbuf_cpu_stats *st = &sf.cpu[self].stats;

	if (sf.ops->protect(va, writable))
		panic("sfbuf: no PTE to protect at %#lx", (unsigned long)va);
	st->pte_writes++;
	if (writable) {
		st->unseal_upgrades++;
		return;
	}
	flush_va(va, cpus, 0, self);
	st->seal_protects++;
	st->seal_invalidations++;
}

static void set_slot_writable(uint32_t i, bool writable, unsigned self)
{
	struct slot *s = &sf.slots[i];

	if (writable) {
		/* Whoever holds it now may write through it from here on;
		 * get_locked adds the caller. */
		s->writers = s->refcnt > 1 ? s->tlb : 0;
		protect_va(slot_va(i), true, 0, self);
	} else {
		protect_va(slot_va(i), false, s->writers | s->stale, self);
		s->writers = 0;
		s->stale = 0; /* flushed along with the writers */
	}
	s->writable = writable;
}

void sfbuf_set_sealed(uint64_t pa, bool sealed)
{
	unsigned self = this_cpu();
	uint64_t flags;
	uint64_t n;
	uint32_t i;

	if (!pool_page(pa, &n))
		return;
	flags = spin_lock_irqsave(&sf.lock);
	if (bitmap_test(sf.sealed, n) == sealed)
		goto out;
	if (sealed)
		bitmap_set(sf.sealed, n);
	else
		bitmap_clear(sf.sealed, n);
	if (sf.mode == SFBUF_MODE_DIRECT) {
		/* Any CPU may have touched the identity map. */
		protect_va((uintptr_t)pa, !sealed, all_cpus(), self);
		goto out;
	}
	if (sf.mode != SFBUF_MODE_SFBUF)
		goto out;
	i = lookup(pa);
	/* Only a seal must act now: a read-only slot of a freed page is
	 * made writable when a writer asks for it (sfbuf_get). */
	if (i != NO_SLOT && sealed && sf.slots[i].writable)
		set_slot_writable(i, false, self);
out:
	spin_unlock_irqrestore(&sf.lock, flags);
}

static void busy_inc(void)
{
	if (++sf.busy > sf.busy_max)
		sf.busy_max = sf.busy;
}

/* Whether a get of a page not mapped yet may take a slot and still leave
 * `reserve` slots that are free or idle. */
static bool slot_spare(uint32_t reserve)
{
	return sf.nslots - sf.busy > reserve;
}

/* A hit: one more reference to slot i, taken by `self`. */
static void revive(uint32_t i, unsigned self)
{
	struct slot *s = &sf.slots[i];
	struct sfbuf_cpu_stats *st = &sf.cpu[self].stats;

	if (s->refcnt++ == 0) {
		list_remove(&s->link);
		busy_inc();
	}
	st->hits++;
	if (s->stale & CPUMASK_BIT(self)) {
		/* This CPU may still translate to the slot's old page. */
		sf.ops->invalidate(slot_va(i));
		s->stale &= ~CPUMASK_BIT(self);
		st->stale_flushes++;
	}
	if (!s->writable && !page_sealed(s->pa))
		set_slot_writable(i, true, self);
}

/* sfbuf_get and its kinds, in sfbuf or naive mode, under sf.lock: the
 * slot index, or NO_SLOT when a held get finds no spare slot. */
static uint32_t get_locked(uint64_t pa, enum get_kind kind, unsigned self)
{
	struct sfbuf_cpu_stats *st = &sf.cpu[self].stats;
	uint32_t i = sf.mode == SFBUF_MODE_SFBUF ? lookup(pa) : NO_SLOT;

	/* Only a page already mapped *and* busy costs no spare slot. */
	if (kind == GET_HELD && (i == NO_SLOT || !sf.slots[i].refcnt) &&
	    !slot_spare(SFBUF_SHORT_RESERVE + sf.rx_reserve)) {
		st->held_refused++;
		sf.refused |= CPUMASK_BIT(self);
		return NO_SLOT;
	}
	if (kind == GET_HELD_RX && (i == NO_SLOT || !sf.slots[i].refcnt) &&
	    !slot_spare(SFBUF_SHORT_RESERVE)) {
		st->held_refused++;
		sf.rx_refused |= CPUMASK_BIT(self);
		return NO_SLOT;
	}
	st->gets++;
	if (kind == GET_PRIVATE)
		st->private_gets++;
	if (i != NO_SLOT) {
		revive(i, self);
	} else {
		st->misses++;
		i = take_slot(self);
		map_slot(i, pa, kind == GET_PRIVATE, self);
		sf.slots[i].refcnt = 1;
		busy_inc();
		if (sf.mode == SFBUF_MODE_SFBUF)
			hash_insert(i);
	}
	sf.slots[i].tlb |= CPUMASK_BIT(self);
	if (sf.slots[i].writable)
		sf.slots[i].writers |= CPUMASK_BIT(self);
	return i;
}

static void *get(uint64_t pa, enum get_kind kind)
{
	unsigned self = this_cpu();
	uint64_t flags;
	uint32_t i;

	if (sf.mode == SFBUF_MODE_DIRECT) {
		sf.cpu[self].stats.gets++;
		if (kind == GET_PRIVATE)
			sf.cpu[self].stats.private_gets++;
		return phys_to_virt(pa);
	}
	flags = spin_lock_irqsave(&sf.lock);
	i = get_locked(pa, kind, self);
	spin_unlock_irqrestore(&sf.lock, flags);
	return i == NO_SLOT ? NULL : (void *)slot_va(i);
}

void *sfbuf_get(uint64_t pa)
{
	return get(pa, GET_SHORT);
}

void *sfbuf_get_held(uint64_t pa)
{
	return get(pa, GET_HELD);
}

void *sfbuf_get_held_rx(uint64_t pa)
{
	return get(pa, GET_HELD_RX);
}

void sfbuf_set_rx_reserve(uint32_t slots)
{
	uint64_t flags = spin_lock_irqsave(&sf.lock);

	sf.rx_reserve = slots;
	spin_unlock_irqrestore(&sf.lock, flags);
}

void *sfbuf_get_private(uint64_t pa)
{
	return get(pa, GET_PRIVATE);
}

size_t sfbuf_get_held_many(const uint64_t *pas, size_t n, void **vas)
{
	unsigned self = this_cpu();
	uint64_t flags;
	size_t i;

	if (sf.mode == SFBUF_MODE_DIRECT) {
		for (i = 0; i < n; i++)
			vas[i] = get(pas[i], GET_HELD);
		return n;
	}
	flags = spin_lock_irqsave(&sf.lock);
	for (i = 0; i < n; i++) {
		uint32_t slot = get_locked(pas[i], GET_HELD, self);

		if (slot == NO_SLOT)
			break;
		vas[i] = (void *)slot_va(slot);
	}
	spin_unlock_irqrestore(&sf.lock, flags);
	return i;
}

/* naive: tear slot i's mapping down, flushing it on every CPU. */
static void unmap_slot(uint32_t i, unsigned self)
{
	struct slot *s = &sf.slots[i];
	struct sfbuf_cpu_stats *st = &sf.cpu[self].stats;

	sf.ops->unmap(slot_va(i));
	st->pte_writes++;
	st->invalidations++;
	flush_va(slot_va(i), all_cpus(), 0, self);
	s->mapped = false;
	s->tlb = 0;
	s->stale = 0;
	s->writers = 0;
	list_add_head(&sf.free, &s->link);
}

/* sfbuf_put's work, under sf.lock (not in direct mode). */
static void put_locked(void *va, unsigned self)
{
	uintptr_t v = (uintptr_t)va;
	uint32_t i = (uint32_t)((v - sf.va_base) / PAGE_SIZE);
	struct slot *s;

	if (v < sf.va_base || i >= sf.nslots || !sf.slots[i].refcnt)
		panic("sfbuf_put: %p is not a mapping in use", va);
	s = &sf.slots[i];
	if (--s->refcnt == 0) {
		sf.busy--;
		if (sf.mode == SFBUF_MODE_SFBUF)
			/* idle but still mapped: reusable for free, first
			 * by this CPU, whose TLB has it */
			list_add_tail(&sf.cpu[self].lru, &s->link);
		else
			unmap_slot(i, self);
	}
}

/* The handover that woke CPU `self`: another may be queued from now on.
 * Its arrival was the point (the pass it makes the main loop run). */
static void wake_arrived(struct handover *h)
{
	unsigned self =
		(unsigned)(container_of(h, struct cpu_cache, wake) - sf.cpu);
	uint64_t flags = spin_lock_irqsave(&sf.lock);

	sf.wake_queued &= ~CPUMASK_BIT(self);
	spin_unlock_irqrestore(&sf.lock, flags);
}

/* Under sf.lock, after puts: once a held get could succeed again, tell
 * every CPU refused one since its last wake (see the top of the file). */
static void wake_refused(void)
{
	cpumask_t wake = 0;

	if (sf.rx_refused && slot_spare(SFBUF_SHORT_RESERVE)) {
		wake |= sf.rx_refused;
		sf.rx_refused = 0;
	}
	if (sf.refused && slot_spare(SFBUF_SHORT_RESERVE + sf.rx_reserve)) {
		wake |= sf.refused;
		sf.refused = 0;
	}
	if (!wake)
		return;
	for (cpumask_t m = wake; m; m &= m - 1) {
		unsigned cpu = (unsigned)__builtin_ctzll(m);

		sf.cpu[cpu].stats.held_wakes++;
		if (sf.wake_queued & CPUMASK_BIT(cpu))
			continue; /* its pass is due already */
		sf.wake_queued |= CPUMASK_BIT(cpu);
		/* lock-free queue: fine under sf.lock, kicks at most */
		handover_to(cpu, &sf.cpu[cpu].wake, wake_arrived);
	}
}

void sfbuf_put_many(void *const *vas, size_t n)
{
	unsigned self = this_cpu();
	uint64_t flags;

	sf.cpu[self].stats.puts += n;
	if (sf.mode == SFBUF_MODE_DIRECT || n == 0)
		return;
	flags = spin_lock_irqsave(&sf.lock);
	for (size_t k = 0; k < n; k++)
		put_locked(vas[k], self);
	wake_refused();
	spin_unlock_irqrestore(&sf.lock, flags);
}

uint64_t sfbuf_held_wakes(unsigned cpu)
{
	return cpu < CPU_MAX ? READ_ONCE(sf.cpu[cpu].stats.held_wakes) : 0;
}

void sfbuf_put(void *va)
{
	sfbuf_put_many(&va, 1);
}

uint64_t kva_to_phys(const void *va)
{
	uintptr_t v = (uintptr_t)va;

	/* A mapping in use keeps its page until its put, so no lock. */
	if (sf.mode != SFBUF_MODE_DIRECT && v >= sf.va_base &&
	    v < sf.va_base + (uintptr_t)sf.nslots * PAGE_SIZE) {
		const struct slot *s = &sf.slots[(v - sf.va_base) / PAGE_SIZE];

		return s->pa + (v & (PAGE_SIZE - 1));
	}
	return virt_to_phys(va);
}

/* Counters are read without the lock: each is one aligned word, and a
 * report a few events behind is fine. */
void sfbuf_get_stats(struct sfbuf_stats *st)
{
	*st = (struct sfbuf_stats){ 0 };
	for (unsigned c = 0; c < CPU_MAX; c++) {
		const struct sfbuf_cpu_stats *cs = &sf.cpu[c].stats;

#define SFBUF_ADD(name) st->name += READ_ONCE(cs->name);
		SFBUF_CPU_STATS(SFBUF_ADD)
#undef SFBUF_ADD
		st->puts += READ_ONCE(cs->puts);
	}
	st->busy = READ_ONCE(sf.busy);
	st->busy_max = READ_ONCE(sf.busy_max);
	st->slots = sf.mode == SFBUF_MODE_DIRECT ? 0 : sf.nslots;
	st->online_cpus = online_cpus();
}

bool sfbuf_get_cpu_stats(unsigned cpu, struct sfbuf_cpu_stats *st)
{
	if (cpu >= online_cpus() || cpu >= CPU_MAX)
		return false;
	*st = sf.cpu[cpu].stats;
	return true;
}
