/* SPDX-License-Identifier: MIT */
/*
 * Guard-page buffers for parser tests: guard_copy() places bytes so that
 * they end right before a PROT_NONE page, so reading one byte past the end
 * faults (ASan cannot see over-reads within a larger live buffer).
 */
#ifndef TESTS_FAKES_GUARD_PAGE_H
#define TESTS_FAKES_GUARD_PAGE_H

#include <stddef.h>

#define GUARD_MAX (64 * 1024) /* largest input guard_copy() takes */

/* A copy of src[0, len) ending at the guard page; valid until the next call. */
const char *guard_copy(const void *src, size_t len);

#endif
