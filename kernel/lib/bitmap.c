// SPDX-License-Identifier: MIT
/*
 * Bitmap helpers (interface in bitmap.h). The run search skips whole
 * words that are full, which is most of a busy allocator's map.
 */
#include "kernel/lib/bitmap.h"

#include "kernel/lib/compiler.h"

void bitmap_set_range(uint64_t *map, uint64_t first, uint64_t n)
{
	for (uint64_t b = first; b < first + n; b++)
		bitmap_set(map, b);
}

void bitmap_clear_range(uint64_t *map, uint64_t first, uint64_t n)
{
	for (uint64_t b = first; b < first + n; b++)
		bitmap_clear(map, b);
}

uint64_t bitmap_count_clear(const uint64_t *map, uint64_t first, uint64_t n)
{
	uint64_t count = 0;

	for (uint64_t b = first; b < first + n; b++)
		count += !bitmap_test(map, b);
	return count;
}

/* Length of the clear run starting at bit, capped at n and at nbits. */
static uint64_t clear_run(const uint64_t *map, uint64_t nbits, uint64_t bit,
			  uint64_t n)
{
	uint64_t len = 0;

	while (len < n && bit + len < nbits && !bitmap_test(map, bit + len))
		len++;
	return len;
}

uint64_t bitmap_find_clear_run(const uint64_t *map, uint64_t nbits,
			       uint64_t start, uint64_t n, uint64_t align)
{
	uint64_t bit = ALIGN_UP(start, align);

	if (n == 0 || align == 0 || (align & (align - 1)))
		return UINT64_MAX;
	while (bit < nbits && n <= nbits - bit) {
		uint64_t run;

		if (bit % 64 == 0 && map[bit / 64] == ~0ull) {
			bit = ALIGN_UP(bit + 64, align);
			continue;
		}
		run = clear_run(map, nbits, bit, n);
		if (run == n)
			return bit;
		bit = ALIGN_UP(bit + run + 1, align);
	}
	return UINT64_MAX;
}
