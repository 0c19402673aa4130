/* SPDX-License-Identifier: MIT */
/*
 * Host frame allocator for modules above the pmm (heap, rings): frames are
 * page-aligned host allocations whose address doubles as the "physical"
 * address, matching the kernel's identity map.
 */
#ifndef TESTS_FAKES_FAKE_PMM_H
#define TESTS_FAKES_FAKE_PMM_H

#include <stdint.h>

/* Frames handed out and not yet returned. */
uint64_t fake_pmm_pages_outstanding(void);
/* Make the next `n` allocations succeed and the ones after fail
 * (-1: never fail). */
void fake_pmm_fail_after(long n);

#endif
