/* SPDX-License-Identifier: MIT */
/*
 * The hash of the kernel's chained tables (sfbuf's page hash, the page
 * cache, ECEM's pairs): keys are pointers, page numbers and (file, page)
 * pairs, whose low bits alone are poorly spread. Multiplying by 2^64/phi
 * (Knuth's multiplicative hashing) and then splitmix64's finaliser mixes
 * every input bit into every output bit, so both `% n` and `& mask`
 * buckets are well used. Host-safe.
 */
#ifndef KERNEL_LIB_HASH_H
#define KERNEL_LIB_HASH_H

#include <stdint.h>

#define HASH_GOLDEN64 0x9E3779B97F4A7C15ull /* 2^64 / phi */

static inline uint64_t hash_u64(uint64_t key)
{
	uint64_t h = key * HASH_GOLDEN64;

	h ^= h >> 29;
	h *= 0xBF58476D1CE4E5B9ull;
	return h ^ (h >> 32);
}

/* A key made of two words, e.g. (file id, page index). */
static inline uint64_t hash_u64_pair(uint64_t a, uint64_t b)
{
	return hash_u64(hash_u64(a) ^ b);
}

#endif
