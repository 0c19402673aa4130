/* SPDX-License-Identifier: MIT */
/*
 * Init calls: how the layers above kernel/ get started without kernel/
 * including them. A subsystem declares
 *
 *	INITCALL(fs_init, INIT_FS);
 *
 * and kmain runs every init call, level by level, once the core (memory,
 * interrupts, timers, PCI) is up. Within a level the order is link order.
 */
#ifndef KERNEL_CORE_INITCALL_H
#define KERNEL_CORE_INITCALL_H

#include "kernel/lib/compiler.h"

enum init_level {
	INIT_FS = 1, /* storage: page cache, disk, volume */
	INIT_NET = 2, /* network stack and NIC */
	INIT_APP = 3, /* the server */
	INIT_SELFTEST = 4, /* boot-time self-tests, after everything */
	INIT_LEVELS,
};

struct initcall {
	void (*fn)(void);
	const char *name;
	int level;
};

#define INITCALL(fn_, level_)                                                \
	static const struct initcall __initcall_##fn_                        \
		__attribute__((used, aligned(8))) __section(".initcall") = { \
			.fn = (fn_), .name = #fn_, .level = (level_)         \
		}

/* Run every init call in level order (kmain). */
void initcalls_run(void);

#endif
