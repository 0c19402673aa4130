/* SPDX-License-Identifier: MIT */
/*
 * Fatal errors. panic() prints the reason and a backtrace on the console
 * and ends the VM with a failure status (QEMU isa-debug-exit), or halts
 * the CPU on hardware without that device. For broken invariants only:
 * bad input from a disk, a packet or a client is an error return.
 */
#ifndef KERNEL_CORE_PANIC_H
#define KERNEL_CORE_PANIC_H

#include "kernel/lib/compiler.h"

void panic(const char *fmt, ...) __noreturn __printf(1, 2);

/* Stop because the machine cannot run us (too little memory): one clear
 * "FATAL:" line, no backtrace (nothing is broken), and a failure exit. */
void refuse_to_run(const char *fmt, ...) __noreturn __printf(1, 2);

#define BUG_ON(cond)                                                          \
	do {                                                                  \
		if (unlikely(cond))                                           \
			panic("BUG at %s:%d: %s", __FILE__, __LINE__, #cond); \
	} while (0)
#define ASSERT(cond) BUG_ON(!(cond))

#endif
