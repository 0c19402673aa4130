/* SPDX-License-Identifier: MIT */
/*
 * Bit arrays of 64-bit words, and the run search shared by the two page
 * allocators (kernel/mm/pmm.c for frames, kernel/io/iobuf.c for pool pages).
 * A set bit means "in use".
 */
#ifndef KERNEL_LIB_BITMAP_H
#define KERNEL_LIB_BITMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BITMAP_WORDS(nbits) (((nbits) + 63) / 64)

static inline bool bitmap_test(const uint64_t *map, uint64_t bit)
{
	return map[bit / 64] & (1ull << (bit % 64));
}

static inline void bitmap_set(uint64_t *map, uint64_t bit)
{
	map[bit / 64] |= 1ull << (bit % 64);
}

static inline void bitmap_clear(uint64_t *map, uint64_t bit)
{
	map[bit / 64] &= ~(1ull << (bit % 64));
}

void bitmap_set_range(uint64_t *map, uint64_t first, uint64_t n);
void bitmap_clear_range(uint64_t *map, uint64_t first, uint64_t n);

/* Number of clear bits in [first, first + n). */
uint64_t bitmap_count_clear(const uint64_t *map, uint64_t first, uint64_t n);

/*
 * First run of `n` clear bits at or after `start`, beginning on a multiple
 * of `align` (a power of two), entirely below `nbits`. Returns its first
 * bit, or UINT64_MAX when there is none. Does not modify the map.
 */
uint64_t bitmap_find_clear_run(const uint64_t *map, uint64_t nbits,
			       uint64_t start, uint64_t n, uint64_t align);

#endif
