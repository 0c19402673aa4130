/* SPDX-License-Identifier: MIT */
/*
 * Compiler helpers shared by every layer: attributes, READ_ONCE and
 * WRITE_ONCE for device- or IRQ-shared fields, container_of, ARRAY_SIZE.
 * Host-safe: unit tests include it too.
 */
#ifndef KERNEL_LIB_COMPILER_H
#define KERNEL_LIB_COMPILER_H

#include <stddef.h>
#include <stdint.h>

#define STATIC_ASSERT(cond) _Static_assert(cond, #cond)
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr)-offsetof(type, member)))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define __noreturn __attribute__((noreturn))
#define __packed __attribute__((packed))
#define __aligned(n) __attribute__((aligned(n)))
#define __unused __attribute__((unused))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __section(s) __attribute__((section(s)))

/* A plain access the compiler may neither tear, merge nor hoist. */
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* Compiler-only barrier; CPU barriers live in kernel/cpu/barrier.h. */
#define barrier() __asm__ volatile("" ::: "memory")

#define ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a)-1)) == 0)
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define DIV_ROUND_UP(n, d) (((n) + (d)-1) / (d))

#endif
