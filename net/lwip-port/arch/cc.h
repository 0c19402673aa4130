/* SPDX-License-Identifier: MIT */
/*
 * lwIP's compiler/platform header (lwip/arch.h includes it): types come
 * from the compiler's stdint.h, printf formats match kernel/lib's
 * vsnprintf, diagnostics go to pr_debug (compiled out unless DEBUG),
 * assertions panic, byte swapping is one instruction, and
 * SYS_ARCH_PROTECT is irq_save/irq_restore (net/lwip-port/sys_arch.c).
 * Nothing here pulls in a hosted libc header.
 */
#ifndef NET_LWIP_PORT_ARCH_CC_H
#define NET_LWIP_PORT_ARCH_CC_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/core/panic.h"

/* freestanding: no inttypes.h, unistd.h or ctype.h */
#define LWIP_NO_INTTYPES_H 1
#define LWIP_NO_UNISTD_H 1
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_LIMITS_H 1
#define SSIZE_MAX INT64_MAX
typedef int64_t ssize_t;

#define X8_F "02x"
#define U16_F "u"
#define S16_F "d"
#define X16_F "x"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

#define BYTE_ORDER LITTLE_ENDIAN
#define lwip_htons(x) ((u16_t)__builtin_bswap16((uint16_t)(x)))
#define lwip_htonl(x) ((u32_t)__builtin_bswap32((uint32_t)(x)))

/* The kernel's log; the arguments come as one parenthesised list. */
void lwip_port_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define LWIP_PLATFORM_DIAG(x)     \
	do {                      \
		lwip_port_diag x; \
	} while (0)
#define LWIP_PLATFORM_ASSERT(x) \
	panic("lwip: assertion \"%s\" failed at %s:%d", x, __FILE__, __LINE__)

/* sys_arch.c: xorshift PRNG seeded from the TSC (ports, ISNs, DHCP xid) */
uint32_t lwip_port_rand(void);

/* critical sections: interrupts off on this (only) CPU */
typedef uint64_t sys_prot_t;

#endif
