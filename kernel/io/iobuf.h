/* SPDX-License-Identifier: MIT */
/*
 * IO-Lite unified buffers (Pai, Druschel, Zwaenepoel).
 *
 * The buffer pool is a reserved run of physical pages. An `iobuf` is a
 * physically contiguous piece of it (one page or a run) holding data that
 * is immutable once sealed; it is reference counted and its physical
 * address is what devices DMA to and from. An `ioagg` is a mutable,
 * ordered list of slices (iobuf, offset, length): the page cache, the HTTP
 * layer and the NIC pass aggregates around and share the pages beneath.
 *
 * Ownership: an iobuf is born with one reference held by its allocator.
 * When the last reference goes, the iobuf's owner is told (the page cache
 * keeps the page cached but reclaimable); iobufs without an owner return
 * their pages to the pool. An ioagg holds one reference per slice; every
 * function that puts a buffer into an aggregate *borrows* the caller's
 * reference and takes its own. Use after release and double release are
 * caught (magic and refcount checks) and panic with the buffer's address.
 *
 * Any CPU may allocate, reference, release and free: the refcount is
 * atomic; the pool's bitmap, page owners, hint and counters are under
 * the pool lock (rank LOCK_RANK_IOBUF, never held while calling out:
 * not across the reclaimer, an owner's release or a mapping change). The
 * last reference runs the owner's release on the CPU that dropped it;
 * the owner must cope with a buffer referenced again meanwhile (the
 * page cache re-checks under its own lock). Aggregates are [m] of
 * whoever holds them.
 */
#ifndef KERNEL_IO_IOBUF_H
#define KERNEL_IO_IOBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/lib/statjson.h"

struct iobuf;

struct iobuf_owner {
	const char *name; /* who holds such buffers, for fault reports */
	/* The last reference to `buf` was dropped. The owner may keep the
	 * buffer (refcount 0 = reclaimable) or iobuf_free() it. */
	void (*release)(struct iobuf *buf);
};

#define IOBUF_SEALED 0x1
/* With iobuf_poison=on, freed pool pages hold this 8-byte tag repeated
 * (bytes a5 5a 'F' 'R' 'E' 'E' 5a a5 in memory order). */
#define IOBUF_POISON 0xa55a454552465aa5ull
#define IOBUF_CSUM_SLOTS 4 /* cached Internet checksums per buffer */

/* The 16-bit one's-complement sum (lwIP's LWIP_CHKSUM convention) of
 * bytes [off, off + len) of a sealed buffer, packed in one word (off |
 * len << 16 | sum << 32; len 0 = empty) so that CPUs storing and looking
 * up at once never see a torn entry. */
struct iobuf_csum {
	uint64_t packed; /* [atomic] */
};

struct iobuf {
	uint32_t magic; /* [I while referenced] IOBUF_MAGIC while allocated */
	uint32_t refcnt; /* [atomic] */
	uint64_t pa; /* [I] physical address, page aligned */
	uint32_t len; /* [owner] valid bytes, fixed once sealed */
	uint16_t pages; /* [I] */
	uint16_t flags; /* [owner] IOBUF_SEALED, set before it is shared */
	const struct iobuf_owner *owner; /* [I] NULL: back to the pool */
	void *owner_data; /* [owner] for the owner's use */
	struct iobuf_csum csum[IOBUF_CSUM_SLOTS]; /* [atomic] */
	uint8_t csum_next; /* [racy] slot to replace next: any is fine */
};

#define IOBUF_STATS(X)                                               \
	X(pool_pages) /* size of the pool */                         \
	X(free_pages)                                                \
	X(pinned_pages) /* pages of iobufs with refcnt > 0 */        \
	X(allocs)                                                    \
	X(frees)                                                     \
	X(alloc_failures)                                            \
	X(cpu_cache_hits) /* one-page allocs a CPU's cache served */ \
	X(cpu_cached_pages) /* free pages kept in CPU caches now */

struct iobuf_stats {
	IOBUF_STATS(STAT_U64)
};

/* Reserve `pages` contiguous frames (2 MiB aligned if that large) as
 * the pool.
 * 0, -EINVAL (already set up or zero) or -ENOMEM. */
int iobuf_pool_init(uint64_t pages);

/* Poison freed pages (the `iobuf_poison=` switch; host tests). */
void iobuf_set_poison(bool on);

/* Physical address of page 0 of the pool. */
uint64_t iobuf_pool_base(void);

/* Who to ask for pages when the pool is empty: a cache that can drop
 * unreferenced buffers (the page cache). It returns pages freed. */
void iobuf_set_reclaimer(uint64_t (*reclaim)(uint64_t pages));

/* A new iobuf of at least `len` bytes (rounded up to pages), refcount 1,
 * not sealed. When the pool has no such run the reclaimer is asked (again
 * while it frees pages another CPU took first, a few times); NULL if that
 * does not help. */
struct iobuf *iobuf_alloc(size_t len, const struct iobuf_owner *owner,
			  void *owner_data);

/* The same for a user that can wait and try again (page cache fills): it
 * also leaves the iobuf_set_headroom pages free, so the allocations that
 * cannot wait (a response's head, whose failure resets the connection)
 * still find pages while fills on every CPU take the rest of the pool. */
struct iobuf *iobuf_alloc_deferrable(size_t len,
				     const struct iobuf_owner *owner,
				     void *owner_data);

/* The same, but it may take the pages iobuf_set_reserve keeps free: for
 * the NIC's receive ring, which must refill even when responses in
 * flight and the page cache hold everything else (an RX ring that
 * cannot refill drops the acknowledgements that would free them). */
struct iobuf *iobuf_alloc_reserve(size_t len, const struct iobuf_owner *owner,
				  void *owner_data);

/* Keep `pages` free pages out of reach of iobuf_alloc. */
void iobuf_set_reserve(uint64_t pages);

/* Keep `pages` more free pages out of reach of iobuf_alloc_deferrable. */
void iobuf_set_headroom(uint64_t pages);

void iobuf_ref(struct iobuf *b);
/* Drop a reference; at zero, the owner's release runs (or the pages go
 * back to the pool). */
void iobuf_unref(struct iobuf *b);

/* Return an unreferenced iobuf's pages to the pool; for owners. */
void iobuf_free(struct iobuf *b);

/* Fix the data length; the contents are immutable afterwards: with
 * seal_protect=on (the default) every mapping of its pages is read-only
 * from here until the buffer is freed, so a write faults. */
void iobuf_seal(struct iobuf *b, uint32_t len);

/* CPU address of byte 0 of a one-page buffer, valid until iobuf_unmap
 * (an sf_buf mapping: the pool is not in the kernel's permanent map). */
void *iobuf_map(struct iobuf *b);
void iobuf_unmap(struct iobuf *b, void *va);

/* The same for a mapping kept beyond the current step (sfbuf_get_held):
 * NULL when mappings are short, and the caller must wait for a put. */
void *iobuf_map_held(struct iobuf *b);
/* iobuf_map_held for a page posted to an RX ring (sfbuf_get_held_rx). */
void *iobuf_map_held_rx(struct iobuf *b);
/* iobuf_map_held of one-page buffers bufs[0..n) at once (one lock
 * acquisition): vas[i] for each, in order; how many were mapped. */
size_t iobuf_map_held_many(struct iobuf *const *bufs, size_t n, void **vas);
/* iobuf_unmap of n mappings at once. */
void iobuf_unmap_many(void *const *vas, size_t n);

/* Is this physical address inside the pool? */
bool iobuf_pool_contains(uint64_t pa);

/* The allocated buffer holding physical address pa, or NULL. */
struct iobuf *iobuf_from_pa(uint64_t pa);

/* IO-Lite checksum caching: the cached sum of a sealed buffer's byte
 * range, or false; and remembering one (oldest entry replaced). */
bool iobuf_csum_lookup(const struct iobuf *b, uint32_t off, uint32_t len,
		       uint16_t *sum);
void iobuf_csum_store(struct iobuf *b, uint32_t off, uint32_t len,
		      uint16_t sum);

void iobuf_get_stats(struct iobuf_stats *st);

/* One piece of an aggregate: bytes [off, off + len) of buf. */
struct ioslice {
	struct iobuf *buf;
	uint32_t off;
	uint32_t len;
};

#define IOAGG_INLINE 4

struct ioagg {
	struct ioslice *slices; /* [m] inline_slices or heap */
	uint32_t head; /* [m] index of the first live slice */
	uint32_t count; /* [m] live slices */
	uint32_t cap; /* [m] */
	uint64_t len; /* [m] total bytes */
	struct ioslice inline_slices[IOAGG_INLINE];
};

void ioagg_init(struct ioagg *a);

/* Add bytes [off, off + len) of b at the end / the front. Borrows b.
 * 0, -EINVAL (range outside the buffer's length) or -ENOMEM. */
int ioagg_append(struct ioagg *a, struct iobuf *b, uint32_t off, uint32_t len);
int ioagg_prepend(struct ioagg *a, struct iobuf *b, uint32_t off, uint32_t len);

/* Make room for `n` more slices at the back, so that the next `n`
 * single-slice appends cannot fail. 0 or -ENOMEM. */
int ioagg_reserve(struct ioagg *a, uint32_t n);

/* Append all of src to dst (src unchanged). 0 or -ENOMEM; on failure
 * dst is unchanged. */
int ioagg_concat(struct ioagg *dst, const struct ioagg *src);

/* Append bytes [off, off + len) of src to dst. 0, -EINVAL, -ENOMEM; on
 * failure dst is unchanged. */
int ioagg_slice(struct ioagg *dst, const struct ioagg *src, uint64_t off,
		uint64_t len);

/* Drop the first n bytes (all, if n >= len). */
void ioagg_consume(struct ioagg *a, uint64_t n);

/* Drop every slice and the slice storage; a is empty and reusable. */
void ioagg_release(struct ioagg *a);

static inline uint64_t ioagg_len(const struct ioagg *a)
{
	return a->len;
}

static inline uint32_t ioagg_count(const struct ioagg *a)
{
	return a->count;
}

static inline const struct ioslice *ioagg_slice_at(const struct ioagg *a,
						   uint32_t i)
{
	return &a->slices[a->head + i];
}

/* Copy bytes [off, off + len) out (the copying path); returns bytes
 * copied (less if the aggregate is shorter). */
size_t ioagg_copyout(const struct ioagg *a, uint64_t off, void *dst,
		     size_t len);

#endif
