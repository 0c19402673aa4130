/* SPDX-License-Identifier: MIT */
/*
 * Host stand-in for kernel/pmm.c: frames come from aligned_alloc, so the
 * "physical" address is the host pointer and kernel/mm.h's identity
 * virt_to_phys/phys_to_virt hold. Tests can make allocations fail.
 */
#ifndef TESTS_FAKE_PMM_H
#define TESTS_FAKE_PMM_H

#include <stddef.h>

/* Make the next `n` pmm_alloc calls fail. */
void fake_pmm_fail_next(int n);
/* Frames allocated and not yet freed. */
size_t fake_pmm_outstanding(void);

#endif
