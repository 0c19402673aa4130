// SPDX-License-Identifier: MIT
/*
 * Unit tests for kernel/lib/string.c's memcpy, memmove and memset (built
 * as k_memcpy... so they do not collide with the host libc's): every
 * length from 0 to 100 at every source and destination alignment mod 8,
 * checked byte for byte against a reference, and nothing written outside
 * the destination. The -D renames apply to this file too, so the
 * reference here is plain byte loops, not the C library.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

void *k_memcpy(void *restrict dst, const void *restrict src, size_t n);
void *k_memmove(void *dst, const void *src, size_t n);
void *k_memset(void *dst, int c, size_t n);

#define MAX_LEN 100
#define GUARD 16
#define AREA (GUARD + 8 + MAX_LEN + GUARD)

static unsigned char src[AREA], dst[AREA], want[AREA];

static void ref_copy(unsigned char *d, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d[i] = s[i];
}

static void ref_move(unsigned char *d, const unsigned char *s, size_t n)
{
	unsigned char tmp[AREA];

	ref_copy(tmp, s, n);
	ref_copy(d, tmp, n);
}

static void ref_set(unsigned char *d, unsigned char c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		d[i] = c;
}

static void fill(unsigned char *p, unsigned seed)
{
	for (size_t i = 0; i < AREA; i++)
		p[i] = (unsigned char)(seed * 31 + i * 7 + 1);
}

static void test_memcpy_every_length_and_alignment(void **state)
{
	(void)state;
	for (size_t len = 0; len <= MAX_LEN; len++)
		for (size_t so = 0; so < 8; so++)
			for (size_t d = 0; d < 8; d++) {
				fill(src, 1);
				fill(dst, 2);
				ref_copy(want, dst, AREA);
				ref_copy(want + GUARD + d, src + GUARD + so,
					 len);
				assert_ptr_equal(k_memcpy(dst + GUARD + d,
							  src + GUARD + so,
							  len),
						 dst + GUARD + d);
				assert_memory_equal(dst, want, AREA);
			}
}

static void test_memset_every_length_and_alignment(void **state)
{
	(void)state;
	for (size_t len = 0; len <= MAX_LEN; len++)
		for (size_t d = 0; d < 8; d++) {
			fill(dst, 3);
			ref_copy(want, dst, AREA);
			ref_set(want + GUARD + d, 0xA5, len);
			/* only the low byte of c counts */
			assert_ptr_equal(k_memset(dst + GUARD + d, 0x7A5, len),
					 dst + GUARD + d);
			assert_memory_equal(dst, want, AREA);
		}
}

static void test_memmove_overlaps_both_ways(void **state)
{
	(void)state;
	for (size_t len = 0; len <= MAX_LEN; len++)
		for (int shift = -9; shift <= 9; shift++) {
			size_t from = GUARD + 8,
			       to = (size_t)((int)from + shift);

			fill(dst, 4);
			ref_copy(want, dst, AREA);
			ref_move(want + to, want + from, len);
			k_memmove(dst + to, dst + from, len);
			assert_memory_equal(dst, want, AREA);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_memcpy_every_length_and_alignment),
		cmocka_unit_test(test_memset_every_length_and_alignment),
		cmocka_unit_test(test_memmove_overlaps_both_ways),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
