// SPDX-License-Identifier: MIT
/*
 * Kernel heap (interface in heap.h). Small objects live in one-page slabs:
 * a 64-byte header at the page start, then equal objects. The class sizes
 * are chosen so the objects fill the page exactly (2016 = (4096-64)/2),
 * which is why they are not powers of two. A slab keeps an in-use bitmap,
 * so a double or misaligned kfree is caught and panics with the address
 * instead of corrupting the free list. Large requests take contiguous
 * frames with the same 64-byte header in front. Empty slabs beyond one
 * per class go back to the frame allocator.
 * Locking: heap_lock (rank LOCK_RANK_HEAP) guards the slab lists and
 * counters and is held across the frame allocator's calls (rank PMM).
 */
#define PR_PREFIX "heap: "
#include "kernel/mm/heap.h"

#include <stdbool.h>

#include "kernel/core/panic.h"
#include "kernel/core/spinlock.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/list.h"
#include "kernel/lib/string.h"
#include "kernel/mm/mm.h"
#include "kernel/mm/pmm.h"
#include "kernel/param.h"

#define SLAB_MAGIC 0x51AB51ABu
#define LARGE_MAGIC 0x1A56E000u
#define HEADER_SIZE 64
#define MAX_OBJECTS ((PAGE_SIZE - HEADER_SIZE) / 16)
#define POISON_FREE 0x6B

static const uint16_t class_size[] = { 16,  32,	 48,  64,  96,	 128,  192,
				       256, 384, 512, 672, 1008, 1344, 2016 };
#define NCLASSES ARRAY_SIZE(class_size)

struct slab {
	uint32_t magic;
	uint16_t cls;
	uint16_t in_use;
	struct list_node
		link; /* [heap_lock] on partial[cls] while it has a free slot */
	uint64_t used[(MAX_OBJECTS + 63) / 64]; /* [heap_lock] bit per object */
	uint32_t free_hint; /* [heap_lock] lowest index that may be free */
	uint32_t pad;
};
STATIC_ASSERT(sizeof(struct slab) == HEADER_SIZE);

struct large {
	uint32_t magic;
	uint32_t pad;
	uint64_t pages;
	uint8_t reserved[HEADER_SIZE - 16];
};
STATIC_ASSERT(sizeof(struct large) == HEADER_SIZE);

/* [heap_lock] slabs with a free object; heads set up by the first slab_alloc */
static struct list_node partial[NCLASSES];
static uint32_t empty_slabs[NCLASSES]; /* [heap_lock] slabs with in_use == 0 */
static struct heap_stats stats; /* [heap_lock] */
static struct spinlock heap_lock = SPINLOCK_INIT("heap", LOCK_RANK_HEAP);

static unsigned objects_per_slab(unsigned cls)
{
	return (PAGE_SIZE - HEADER_SIZE) / class_size[cls];
}

static int class_for(size_t size)
{
	for (unsigned c = 0; c < NCLASSES; c++)
		if (size <= class_size[c])
			return (int)c;
	return -1;
}

static struct slab *slab_new(unsigned cls)
{
	uint64_t pa = pmm_alloc_page();
	struct slab *s;

	if (!pa)
		return NULL;
	s = phys_to_virt(pa);
	memset(s, 0, sizeof(*s));
	s->magic = SLAB_MAGIC;
	s->cls = (uint16_t)cls;
	stats.slab_pages++;
	empty_slabs[cls]++;
	list_add_head(&partial[cls], &s->link);
	return s;
}

static void *slab_alloc(unsigned cls)
{
	struct slab *s;
	unsigned n = objects_per_slab(cls);

	if (!partial[cls].next) /* kmalloc runs before any init hook */
		list_init(&partial[cls]);
	s = list_first_entry_or_null(&partial[cls], struct slab, link);
	if (!s && !(s = slab_new(cls)))
		return NULL;
	for (unsigned i = s->free_hint; i < n; i++) {
		if (s->used[i / 64] & (1ull << (i % 64)))
			continue;
		s->used[i / 64] |= 1ull << (i % 64);
		s->free_hint = i + 1;
		if (s->in_use++ == 0)
			empty_slabs[cls]--;
		if (s->in_use == n)
			list_remove(&s->link);
		stats.bytes_in_use += class_size[cls];
		return (char *)s + HEADER_SIZE + (size_t)i * class_size[cls];
	}
	panic("slab_alloc: slab %p of class %u on the partial list is full",
	      (void *)s, class_size[cls]);
}

static void slab_free(struct slab *s, void *p)
{
	unsigned cls = s->cls;
	size_t off = (size_t)((char *)p - (char *)s) - HEADER_SIZE;
	unsigned i;

	if (cls >= NCLASSES || (char *)p < (char *)s + HEADER_SIZE ||
	    off % class_size[cls] ||
	    off / class_size[cls] >= objects_per_slab(cls))
		panic("kfree: %p is not an object start", p);
	i = (unsigned)(off / class_size[cls]);
	if (!(s->used[i / 64] & (1ull << (i % 64))))
		panic("kfree: double free of %p", p);
	s->used[i / 64] &= ~(1ull << (i % 64));
	memset(p, POISON_FREE, class_size[cls]);
	if (i < s->free_hint)
		s->free_hint = i;
	if (s->in_use-- == objects_per_slab(cls))
		list_add_head(&partial[cls], &s->link);
	stats.bytes_in_use -= class_size[cls];
	if (s->in_use == 0 && ++empty_slabs[cls] > 1) {
		empty_slabs[cls]--;
		list_remove(&s->link);
		s->magic = 0;
		pmm_free(virt_to_phys(s), 1);
		stats.slab_pages--;
	}
}

static void *large_alloc(size_t size)
{
	size_t pages = DIV_ROUND_UP(size + HEADER_SIZE, PAGE_SIZE);
	uint64_t pa = pmm_alloc(pages, 1);
	struct large *l;

	if (!pa)
		return NULL;
	l = phys_to_virt(pa);
	l->magic = LARGE_MAGIC;
	l->pages = pages;
	stats.large_pages += pages;
	stats.bytes_in_use += pages * PAGE_SIZE;
	return (char *)l + HEADER_SIZE;
}

/* Allocate `size` bytes, 16-byte aligned; NULL when memory is out. */
void *kmalloc(size_t size)
{
	int cls = class_for(size ? size : 1);
	void *p;

	if (size > (1ull << 40))
		return NULL;
	spin_lock(&heap_lock);
	p = cls >= 0 ? slab_alloc((unsigned)cls) : large_alloc(size);
	if (p)
		stats.allocs++;
	spin_unlock(&heap_lock);
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

/* Free memory from kmalloc; NULL is ignored, anything else bad panics. */
void kfree(void *p)
{
	void *page = (void *)ALIGN_DOWN((uintptr_t)p, PAGE_SIZE);

	if (!p)
		return;
	spin_lock(&heap_lock);
	if (((struct slab *)page)->magic == SLAB_MAGIC) {
		slab_free(page, p);
	} else if (((struct large *)page)->magic == LARGE_MAGIC &&
		   (char *)p == (char *)page + HEADER_SIZE) {
		struct large *l = page;
		uint64_t pages = l->pages;

		l->magic = 0;
		stats.large_pages -= pages;
		stats.bytes_in_use -= pages * PAGE_SIZE;
		pmm_free(virt_to_phys(l), pages);
	} else {
		panic("kfree: %p was not allocated by kmalloc", p);
	}
	stats.frees++;
	spin_unlock(&heap_lock);
}

void heap_get_stats(struct heap_stats *st)
{
	spin_lock(&heap_lock);
	*st = stats;
	spin_unlock(&heap_lock);
}
