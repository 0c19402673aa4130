// SPDX-License-Identifier: MIT
/*
 * memcpy, memset and friends for the freestanding kernel. memcpy and
 * memset move 8-byte words in a plain loop (32 bytes a pass), then the
 * last bytes one at a time; no SSE (its state is not saved). They used
 * rep movsb/stosb, which hardware with ERMSB runs fast, but QEMU's TCG,
 * where this kernel is measured, runs a rep string instruction one
 * element per pass through its translated block: a 160-byte memcpy took
 * 307 ns there, the word loop 42 ns (a boot-time loop of 20,000 copies,
 * QEMU 7.2). The kernel's copies are small: heads, trace records,
 * lwIP's headers, descriptors.
 */
#include "kernel/lib/string.h"

#include <stdint.h>

/* Unaligned word access: allowed on x86, never assumed aligned. */
typedef uint64_t __attribute__((may_alias, aligned(1))) unaligned_u64;

void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	for (; n >= 32; n -= 32, d += 32, s += 32) {
		uint64_t w0 = ((const unaligned_u64 *)s)[0];
		uint64_t w1 = ((const unaligned_u64 *)s)[1];
		uint64_t w2 = ((const unaligned_u64 *)s)[2];
		uint64_t w3 = ((const unaligned_u64 *)s)[3];

		((unaligned_u64 *)d)[0] = w0;
		((unaligned_u64 *)d)[1] = w1;
		((unaligned_u64 *)d)[2] = w2;
		((unaligned_u64 *)d)[3] = w3;
	}
	for (; n >= 8; n -= 8, d += 8, s += 8)
		*(unaligned_u64 *)d = *(const unaligned_u64 *)s;
	while (n--)
		*d++ = *s++;
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	if (d < s || d >= s + n)
		return memcpy(dst, src, n);
	while (n--)
		d[n] = s[n];
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	uint64_t w = (unsigned char)c * 0x0101010101010101ull;

	for (; n >= 32; n -= 32, d += 32) {
		((unaligned_u64 *)d)[0] = w;
		((unaligned_u64 *)d)[1] = w;
		((unaligned_u64 *)d)[2] = w;
		((unaligned_u64 *)d)[3] = w;
	}
	for (; n >= 8; n -= 8, d += 8)
		*(unaligned_u64 *)d = w;
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	for (size_t i = 0; i < n; i++)
		if (x[i] != y[i])
			return x[i] < y[i] ? -1 : 1;
	return 0;
}

void *memchr(const void *s, int c, size_t n)
{
	const unsigned char *p = s;

	for (size_t i = 0; i < n; i++)
		if (p[i] == (unsigned char)c)
			return (void *)(p + i);
	return NULL;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}

int strcmp(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
	for (; n; n--, a++, b++) {
		if (*a != *b)
			return (unsigned char)*a - (unsigned char)*b;
		if (!*a)
			return 0;
	}
	return 0;
}

char *strchr(const char *s, int c)
{
	for (;; s++) {
		if (*s == (char)c)
			return (char *)s;
		if (!*s)
			return NULL;
	}
}

char *strrchr(const char *s, int c)
{
	const char *last = NULL;

	for (;; s++) {
		if (*s == (char)c)
			last = s;
		if (!*s)
			return (char *)last;
	}
}

/* Copy with truncation; always NUL-terminates when size > 0. Returns
 * strlen(src), so truncation is `ret >= size`. */
size_t strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
