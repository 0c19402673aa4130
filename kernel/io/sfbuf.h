/* SPDX-License-Identifier: MIT */
/*
 * Ephemeral mappings of buffer-pool pages (sf_buf: Elmeleegy, Cox,
 * Rixner). The pool lives outside the kernel's permanent map; a CPU that
 * must touch a pool page asks sfbuf_get() for a temporary virtual address
 * and gives it back with sfbuf_put(). Modes (boot option `mapping=`):
 *
 * The window (`sfbuf_slots=`, by default SFBUF_WINDOW_SLOTS: 16 MiB, as a
 * 32-bit kernel could spare) is smaller than the pool on any machine of
 * 64 MiB or more, so mappings are a cache, not one per page.
 *
 *   sfbuf   per-CPU cache of mappings in the KVA window: a page already
 *           mapped is found by hash and reused (no page-table write, no
 *           TLB invalidation); an idle mapping (refcount 0, still mapped)
 *           is recycled in LRU order only when a new page needs a slot,
 *           and a slot in use is never recycled. The default.
 *   naive   map on every get, unmap and invlpg on every put: the classic
 *           baseline.
 *   direct  the whole pool stays in the permanent identity map, as amd64
 *           kernels do: no mapping work at all.
 *
 * SMP: a mapping cached by one CPU is only ever used by that CPU, so
 * recycling it needs a local invlpg, never a cross-CPU shootdown; the
 * counters record how many invalidations a shared cache would have had to
 * broadcast. Main loop only ([m]); one CPU today.
 */
#ifndef KERNEL_IO_SFBUF_H
#define KERNEL_IO_SFBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/lib/statjson.h"

enum sfbuf_mode {
	SFBUF_MODE_SFBUF,
	SFBUF_MODE_NAIVE,
	SFBUF_MODE_DIRECT,
};

#define SFBUF_STATS(X)                                                         \
	X(gets)                                                                \
	X(hits) /* get found the page already mapped */                        \
	X(misses) /* get had to create a mapping */                            \
	X(pte_writes) /* page-table entries written or cleared */              \
	X(invalidations) /* invlpg issued */                                   \
	X(shootdowns_avoided) /* invalidations a shared map would broadcast */ \
	X(recycled) /* idle mappings reused for another page */                \
	X(busy) /* slots with references now */                                \
	X(busy_max) /* ... at most */                                          \
	X(slots) /* size of the cache */                                       \
	X(seal_protects) /* PTEs made read-only when a buffer was sealed */    \
	X(seal_invalidations) /* invlpg those needed (not replacement ones) */ \
	X(unseal_upgrades) /* read-only PTEs made writable again, no invlpg */ \
	X(held_refused) /* sfbuf_get_held found no spare slot */

struct sfbuf_stats {
	SFBUF_STATS(STAT_U64)
	uint64_t puts; /* not in /_stats */
};

/* Page-table operations, so the cache logic can run against a fake page
 * table in unit tests. The kernel passes kernel/mm/paging.c's functions. */
struct sfbuf_pt_ops {
	int (*map)(uintptr_t va, uint64_t pa, bool writable);
	void (*unmap)(uintptr_t va);
	void (*invalidate)(uintptr_t va);
	/* Change the write permission of the present PTE at va; 0 or
	 * -errno. For direct mode, va is the pool page's identity address. */
	int (*protect)(uintptr_t va, bool writable);
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

/* Give back a mapping from sfbuf_get (the page-aligned address). */
void sfbuf_put(void *va);

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

void sfbuf_get_stats(struct sfbuf_stats *st);

#endif
