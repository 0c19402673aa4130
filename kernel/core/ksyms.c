// SPDX-License-Identifier: MIT
/*
 * Symbol lookup over the table tools/gen-ksyms.sh emits: ksyms_count
 * addresses sorted ascending, a parallel array of offsets into the
 * NUL-separated name blob. Binary search for the last address <= addr.
 */
#include "kernel/core/ksyms.h"

#include <stddef.h>

extern const uint64_t ksyms_count;
extern const uint64_t ksyms_addrs[];
extern const uint32_t ksyms_name_offsets[];
extern const char ksyms_names[];
extern char __text_end[];

const char *ksyms_lookup(uint64_t addr, uint64_t *offset)
{
	size_t lo = 0, hi = ksyms_count;

	if (!hi || addr < ksyms_addrs[0] || addr >= (uint64_t)__text_end)
		return NULL;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (ksyms_addrs[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	*offset = addr - ksyms_addrs[lo];
	return ksyms_names + ksyms_name_offsets[lo];
}
