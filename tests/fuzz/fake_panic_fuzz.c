// SPDX-License-Identifier: MIT
/*
 * Host panic() for the fuzz harnesses: print the message and abort(), so
 * libFuzzer records the input as a crash (tests/fakes/fake_panic.c needs a
 * cmocka test around it).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernel/core/panic.h"

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "panic: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	abort();
}
