/* SPDX-License-Identifier: MIT */
/*
 * CPU memory barriers for memory shared with devices (virtio rings) and
 * with IRQ handlers. x86_64 is TSO: loads are not reordered with loads,
 * stores not with stores (write-back and uncached memory alike), so rmb()
 * and wmb() only have to stop the compiler. A store followed by a load of
 * another location can be reordered by the CPU's store buffer; mb() is
 * the only barrier that emits an instruction. Callers write next to each
 * use which accesses it orders. Host-safe: the unit tests include it.
 */
#ifndef KERNEL_CPU_BARRIER_H
#define KERNEL_CPU_BARRIER_H

#include "kernel/lib/compiler.h"

#if !defined(__x86_64__)
#error "kernel/cpu/barrier.h: only x86_64 is supported"
#endif

/* Order earlier loads before later loads. */
#define rmb() barrier()

/* Order earlier stores before later stores. */
#define wmb() barrier()

/* Order earlier loads and stores before later loads and stores. */
#define mb() __asm__ volatile("mfence" ::: "memory")

#endif
