/* SPDX-License-Identifier: MIT */
/*
 * Frame-pointer backtraces (the kernel is built with frame pointers).
 * Each frame is printed as address and, when the image's symbol table
 * knows it, function+offset.
 */
#ifndef KERNEL_CORE_BACKTRACE_H
#define KERNEL_CORE_BACKTRACE_H

#include <stdint.h>

/* Print the chain of frames starting at `rbp`, after a first line for
 * `rip` (the faulting or current instruction). Safe on a corrupt stack:
 * every frame pointer is checked before it is followed. */
void backtrace_print(uint64_t rip, uint64_t rbp);

/* Backtrace of the caller. */
void backtrace_here(void);

#endif
