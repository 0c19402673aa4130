/* SPDX-License-Identifier: MIT */
/*
 * lwIP's platform header for the host tests of net/: the host libc
 * supplies types and formats; an lwIP assertion fails the test through
 * tests/fakes/fake_panic.c.
 */
#ifndef TESTS_NET_LWIP_HOST_ARCH_CC_H
#define TESTS_NET_LWIP_HOST_ARCH_CC_H

#include <stdio.h>
#include <stdlib.h>

#include "kernel/core/panic.h"

#define LWIP_PLATFORM_DIAG(x) \
	do {                  \
	} while (0)
#define LWIP_PLATFORM_ASSERT(x) \
	panic("lwip: assertion \"%s\" failed at %s:%d", x, __FILE__, __LINE__)

#endif
