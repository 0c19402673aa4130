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

/* A large machine's free memory (1 GiB), less what the fake handed out:
 * callers that size themselves by free frames (the NIC's queue pairs)
 * see room. */
void pmm_get_stats(struct pmm_stats *st)
{
	uint64_t total = (1ull << 30) / PAGE_SIZE;

	*st = (struct pmm_stats){ .total_pages = total,
				  .free_pages = total - outstanding };
}
