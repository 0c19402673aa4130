// SPDX-License-Identifier: MIT
/*
 * Frame-pointer stack walk. A frame is [rbp] = caller's rbp,
 * [rbp+8] = return address. The walk stops at rbp == 0 (set by the boot
 * entry and by thread creation), at a pointer that is misaligned, outside
 * the identity-mapped kernel memory or not above the previous frame, or
 * after BACKTRACE_MAX frames.
 */
#include "kernel/core/backtrace.h"

#include <stdbool.h>

#include "kernel/core/ksyms.h"
#include "kernel/core/printk.h"
#include "kernel/param.h"

extern char __kernel_start[];

/* Stacks live in the kernel image (.bss) or the heap, both identity
 * mapped below 4 GiB; anything else cannot be a frame. */
#define FRAME_LIMIT (4ull << 30)

static bool frame_ok(uint64_t rbp, uint64_t prev)
{
	return rbp && (rbp & 7) == 0 && rbp > prev &&
	       rbp >= (uint64_t)__kernel_start && rbp + 16 <= FRAME_LIMIT;
}

static void print_frame(int depth, uint64_t addr)
{
	uint64_t off;
	const char *name = ksyms_lookup(addr, &off);

	if (name)
		printk(LOG_ERR, "  #%-2d %016llx %s+0x%llx\n", depth,
		       (unsigned long long)addr, name, (unsigned long long)off);
	else
		printk(LOG_ERR, "  #%-2d %016llx ?\n", depth,
		       (unsigned long long)addr);
}

void backtrace_print(uint64_t rip, uint64_t rbp)
{
	uint64_t prev = 0;
	int depth = 0;

	printk(LOG_ERR, "backtrace:\n");
	print_frame(depth++, rip);
	while (depth < BACKTRACE_MAX && frame_ok(rbp, prev)) {
		uint64_t *frame = (uint64_t *)rbp;
		uint64_t ret = frame[1];

		if (!ret)
			break;
		/* The return address points after the call; -1 names the
		 * call's own line. */
		print_frame(depth++, ret - 1);
		prev = rbp;
		rbp = frame[0];
	}
}

void backtrace_here(void)
{
	uint64_t *frame = __builtin_frame_address(0);

	backtrace_print((uint64_t)__builtin_return_address(0) - 1, frame[0]);
}
