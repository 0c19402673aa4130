// SPDX-License-Identifier: MIT
/* initcalls_run: walk the .initcall section once per level. */
#define PR_PREFIX "init: "
#include "kernel/core/initcall.h"

#include <stdint.h>

#include "kernel/core/printk.h"

extern const struct initcall __initcall_start[], __initcall_end[];

void initcalls_run(void)
{
	size_t n = ((uintptr_t)__initcall_end - (uintptr_t)__initcall_start) /
		   sizeof(struct initcall);

	for (int level = 1; level < INIT_LEVELS; level++) {
		for (size_t i = 0; i < n; i++) {
			if (__initcall_start[i].level != level)
				continue;
			pr_debug("%s", __initcall_start[i].name);
			__initcall_start[i].fn();
		}
	}
}
