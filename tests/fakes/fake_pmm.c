// SPDX-License-Identifier: MIT
/* Host pmm_alloc/pmm_free over aligned_alloc (see fake_pmm.h). */
#include <stdlib.h>

#include "kernel/mm/pmm.h"
#include "kernel/param.h"
#include "tests/fakes/fake_pmm.h"

static uint64_t outstanding;
static long budget = -1;

uint64_t pmm_alloc(size_t n, size_t align)
{
	void *p;

	if (budget == 0 || n == 0)
		return 0;
	if (budget > 0)
		budget--;
	if (posix_memalign(&p, PAGE_SIZE * (align ? align : 1), n * PAGE_SIZE))
		return 0;
	outstanding += n;
	return (uint64_t)(uintptr_t)p;
}

void pmm_free(uint64_t pa, size_t n)
{
	outstanding -= n;
	free((void *)(uintptr_t)pa);
}

uint64_t fake_pmm_pages_outstanding(void)
{
	return outstanding;
}

void fake_pmm_fail_after(long n)
{
	budget = n;
}
