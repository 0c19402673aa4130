/* SPDX-License-Identifier: MIT */
/*
 * Ephemeral mappings of buffer-pool pages (sf_buf: Elmeleegy, Chanda,
 * Cox, Zwaenepoel). The pool lives outside the kernel's permanent map; a
 * CPU that must touch a pool page asks sfbuf_get() for a temporary
 * virtual address and gives it back with sfbuf_put(). Modes (boot option
 * `mapping=`):
 *
 * The window (`sfbuf_slots=`, by default SFBUF_WINDOW_SLOTS: 16 MiB, as a
 * 32-bit kernel could spare) is smaller than the pool on any machine of
 * 64 MiB or more, so mappings are a cache, not one per page.
 *
 *   sfbuf   a cache of mappings in the KVA window, found by page through
 *           one hash shared by all CPUs (a hot page has one mapping, used
 *           by whichever CPU serves it); each CPU keeps the idle mappings
 *           it gave back on its own LRU list and recycles those first. A
 *           mapping records the set of CPUs that may hold it in their
 *           TLB, so recycling one invalidates locally when only this CPU
 *           used it and interrupts exactly the others in the set when
 *           not. A slot in use is never recycled. The default.
 *   naive   map on every get, unmap on every put with an invalidation on
 *           every CPU (a shootdown to all others): the classic baseline.
 *   direct  the whole pool stays in the permanent identity map, as amd64
 *           kernels do: no mapping work at all.
 *
 * Rules: a CPU dereferences a mapping only through a reference it took
 * itself (that is how it enters the mapping's CPU set). A private
 * mapping (sfbuf_get_private, the paper's SFB_CPUPRIVATE) is used by its
 * CPU alone while held, so making it never interrupts another CPU: the
 * others that may still translate the slot's old page are marked stale
 * and flush for themselves if they take the slot again. Callable from
 * any CPU and from call IPIs; one lock (LOCK_RANK_SFBUF, interrupts off)
 * guards the cache and is held across a shootdown, which CPUs spinning
 * for it service (kernel/core/spinlock.h).
 */
#ifndef KERNEL_IO_SFBUF_H
#define KERNEL_IO_SFBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/cpu/percpu.h"
#include "kernel/lib/statjson.h"

enum sfbuf_mode {
	SFBUF_MODE_SFBUF,
	SFBUF_MODE_NAIVE,
	SFBUF_MODE_DIRECT,
};

/* Counted by the CPU they happened on ([L] sfbuf lock), and in total. */
#define SFBUF_CPU_STATS(X)                                                     \
	X(gets)                                                                \
	X(hits) /* get found the page already mapped */                        \
	X(misses) /* get had to create a mapping */                            \
	X(private_gets) /* gets of CPU-private mappings (in gets) */           \
	X(pte_writes) /* page-table entries written or cleared */              \
	X(invalidations) /* mappings replaced or torn down, each flushed */    \
	X(local_invalidations) /* invlpg on this CPU alone, no IPI */          \
	X(shootdowns) /* flushes that had to interrupt other CPUs */           \
	X(shootdown_ipis_sent) /* CPUs this one interrupted, summed */         \
	X(shootdown_ipis_received) /* times another CPU interrupted this */    \
	X(shootdowns_avoided) /* online CPUs a flush left alone, by the set */ \
	X(stale_flushes) /* own stale entry flushed on taking a mapping */     \
	X(recycled) /* idle mappings reused for another page */                \
	X(recycled_remote) /* ... taken from another CPU's idle list */        \
	X(seal_protects) /* PTEs made read-only when a buffer was sealed */    \
	X(seal_invalidations) /* flushes those needed */                       \
	X(unseal_upgrades) /* read-only PTEs made writable, no flush */        \
	X(held_refused) /* sfbuf_get_held found no spare slot */               \
	X(held_wakes) /* puts freed a slot after a refusal here: retry */

/* Of the cache as a whole. */
#define SFBUF_POOL_STATS(X)                     \
	X(busy) /* slots with references now */ \
	X(busy_max) /* ... at most */           \
	X(slots) /* size of the cache */        \
	X(online_cpus) /* CPUs online now */

#define SFBUF_STATS(X) SFBUF_CPU_STATS(X) SFBUF_POOL_STATS(X)

struct sfbuf_cpu_stats {
	SFBUF_CPU_STATS(STAT_U64)
	uint64_t puts; /* not in /_stats */
};

struct sfbuf_stats {
	SFBUF_STATS(STAT_U64)
	uint64_t puts; /* not in /_stats */
};

/* Page-table and CPU operations, so the cache logic can run against a
 * fake page table and fake IPIs in unit tests. The kernel passes
 * kernel/mm/paging.c's and kernel/arch/smp.c's functions. */
struct sfbuf_pt_ops {
	int (*map)(uintptr_t va, uint64_t pa, bool writable);
	void (*unmap)(uintptr_t va);
	/* This CPU's TLB entry for va only. */
	void (*invalidate)(uintptr_t va);
	/* Change the write permission of the present PTE at va; 0 or
	 * -errno. For direct mode, va is the pool page's identity address. */
	int (*protect)(uintptr_t va, bool writable);
	/* Flush `pages` pages at va on every CPU in `cpus` (locally when
	 * this CPU is one of them), returning when all have done it. */
	void (*shootdown)(cpumask_t cpus, uintptr_t va, size_t pages);
	unsigned (*cpu_self)(void); /* this CPU's index, < CPU_MAX */
	unsigned (*cpu_count)(void); /* CPUs online now */
};

/*
 * Set up for the pool [pool_pa, pool_pa + pool_pages pages) with `slots`
 * mappings at window `va_base`. In sfbuf and naive modes the caller has
 * removed the pool from the permanent map. 0, -EINVAL or -ENOMEM.
 */
int sfbuf_init(enum sfbuf_mode mode, uint64_t pool_pa, uint64_t pool_pages,
	       uintptr_t va_base, uint64_t slots,
	       const struct sfbuf_pt_ops *ops);

enum sfbuf_mode sfbuf_mode(void);

/* A CPU address for the pool page at physical `pa` (page aligned), valid
 * until the matching sfbuf_put(). For mappings held only for the length
 * of a copy: it may take the SFBUF_SHORT_RESERVE slots that
 * sfbuf_get_held leaves, so it never fails. */
void *sfbuf_get(uint64_t pa);

/* The same for a mapping held for long (a page lwIP sends from until it
 * is acknowledged, a posted RX page). NULL when it would need one of the
 * last SFBUF_SHORT_RESERVE free slots: the caller waits for a put (naive
 * mode maps a page once per get, so busy slots can outnumber pages). */
void *sfbuf_get_held(uint64_t pa);

/* sfbuf_get_held for a page posted to a device's RX ring: it may also
 * take the slots sfbuf_set_rx_reserve keeps from other held gets. RX is
 * what brings the ACKs that give senders' slots back; if the senders of
 * every CPU could hold all the spare slots, refills would be refused
 * until the rings ran dry, and nothing would give a slot back. */
void *sfbuf_get_held_rx(uint64_t pa);

/* Keep `slots` (beyond SFBUF_SHORT_RESERVE) out of reach of
 * sfbuf_get_held: only sfbuf_get_held_rx takes them. */
void sfbuf_set_rx_reserve(uint32_t slots);

/* A mapping for the length of a copy that only this CPU makes (the
 * paper's SFB_CPUPRIVATE): never interrupts another CPU to make it. */
void *sfbuf_get_private(uint64_t pa);

/* How many times a put (on any CPU) freed a slot after a held get on
 * CPU `cpu` had been refused: a sender that waits for a slot compares it
 * with the value it saw last and retries when it moved. Each time, that
 * CPU's main loop is made to run another pass (a handover, which kicks
 * it out of hlt), so the retry never waits for an unrelated event. The
 * window is shared by every CPU; without this a CPU whose own ACKs do not
 * come would wait for its poll timer. */
uint64_t sfbuf_held_wakes(unsigned cpu);

/* sfbuf_get_held for pages pas[0..n) under one acquisition of the
 * cache's lock (a sender maps the pages it is about to hand lwIP
 * together): vas[i] for each page mapped, in order; how many, fewer
 * than n when a slot was refused as sfbuf_get_held would. */
size_t sfbuf_get_held_many(const uint64_t *pas, size_t n, void **vas);

/* Give back a mapping from sfbuf_get (the page-aligned address). */
void sfbuf_put(void *va);

/* sfbuf_put of vas[0..n) under one acquisition of the lock (an ACK
 * releases the pages of several segments at once). */
void sfbuf_put_many(void *const *vas, size_t n);

/*
 * The page at `pa` holds sealed (immutable) data, or no longer does (it
 * was freed). Every later mapping of a sealed page is read-only, and the
 * mapping the cache keeps (sfbuf) or the identity map (direct) is made
 * read-only now, with the invalidation that takes. naive has no cached
 * mapping to change; a mapping held across the seal keeps its access.
 */
void sfbuf_set_sealed(uint64_t pa, bool sealed);

/* Physical address behind `va`, which is either an sfbuf mapping (in
 * use) or ordinary identity-mapped kernel memory. For drivers that get
 * CPU pointers from the network stack. */
uint64_t kva_to_phys(const void *va);

/* The totals over every CPU, and one CPU's share (false: no such CPU). */
void sfbuf_get_stats(struct sfbuf_stats *st);
bool sfbuf_get_cpu_stats(unsigned cpu, struct sfbuf_cpu_stats *st);

/* From here on flush only this CPU's TLB (sfbuf_selftest.c's proof that
 * its stress test can fail). */
void sfbuf_selftest_break_shootdowns(void);

#endif
