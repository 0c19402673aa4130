// SPDX-License-Identifier: MIT
/* Host heap: kmalloc/kfree on the host malloc, so ASan sees every block. */
#include <stdlib.h>
#include <string.h>

#include "kernel/mm/heap.h"

static struct heap_stats stats;

void *kmalloc(size_t size)
{
	void *p = malloc(size ? size : 1);

	if (p) {
		stats.allocs++;
		stats.bytes_in_use += size;
	}
	return p;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);

	if (p)
		memset(p, 0, size);
	return p;
}

void kfree(void *p)
{
	if (p)
		stats.frees++;
	free(p);
}

void heap_get_stats(struct heap_stats *st)
{
	*st = stats;
}
