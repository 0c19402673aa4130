// SPDX-License-Identifier: MIT
/* Host stand-in for kernel/pmm.c (see tests/fake_pmm.h). */
#include "tests/fake_pmm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/param.h"
#include "kernel/pmm.h"

static int fail_next;
static size_t outstanding;

void fake_pmm_fail_next(int n)
{
	fail_next = n;
}

size_t fake_pmm_outstanding(void)
{
	return outstanding;
}

uint64_t pmm_alloc(size_t n, size_t align)
{
	void *p;

	if (fail_next > 0) {
		fail_next--;
		return 0;
	}
	p = aligned_alloc(PAGE_SIZE * align, n * PAGE_SIZE);
	if (!p)
		return 0;
	memset(p, 0xa5, n * PAGE_SIZE); /* callers must zero */
	outstanding += n;
	return (uint64_t)(uintptr_t)p;
}

void pmm_free(uint64_t pa, size_t n)
{
	outstanding -= n;
	free((void *)(uintptr_t)pa);
}
