/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the libFuzzer harnesses (tests/fuzz/fuzz_*.c). Each
 * harness is built for the host with clang -fsanitize=fuzzer,address,
 * undefined against the unmodified module sources (tests/fuzz/build.mk)
 * and checks invariants with FUZZ_CHECK(): a broken one prints the
 * condition and aborts, which libFuzzer reports as a crash and saves the
 * input. Inputs are copied into exact-size heap blocks (fuzz_dup()) so
 * that ASan sees a read one byte past the end.
 */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond)                                                 \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", \
				__FILE__, __LINE__, #cond);              \
			abort();                                         \
		}                                                        \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An exact-size heap copy of p[0, len) (malloc(0) is not trusted). */
static inline char *fuzz_dup(const void *p, size_t len)
{
	char *c = malloc(len ? len : 1);

	FUZZ_CHECK(c);
	if (len)
		memcpy(c, p, len);
	return c;
}

/* A NUL-terminated heap copy of p[0, len). */
static inline char *fuzz_strdup(const void *p, size_t len)
{
	char *c = malloc(len + 1);

	FUZZ_CHECK(c);
	if (len)
		memcpy(c, p, len);
	c[len] = '\0';
	return c;
}

/* Take the first n (<= 8) bytes of the input as a little-endian number. */
static inline uint64_t fuzz_take(const uint8_t **data, size_t *size, size_t n)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n && *size; i++, (*data)++, (*size)--)
		v |= (uint64_t) * *data << (8 * i);
	return v;
}

#endif
