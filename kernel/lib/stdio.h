/* SPDX-License-Identifier: MIT */
/*
 * snprintf and vsnprintf for the kernel. Supported: %d %i %u %x %X %o %c
 * %s %p %%, flags '-' '0' '+' ' ' '#', width and precision (also '*'),
 * length modifiers hh h l ll z t j. No floating point (the kernel has no
 * FPU state). Return value as in C99: the length the full output would
 * have had, so truncation is `ret >= size`.
 */
#ifndef KERNEL_LIB_STDIO_H
#define KERNEL_LIB_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#include "kernel/lib/compiler.h"

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

#endif
