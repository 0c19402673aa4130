/* SPDX-License-Identifier: MIT */
/*
 * The lock-order checker's per-CPU state and decision functions
 * (kernel/core/spinlock.c), exposed for the host unit tests. Each CPU's
 * state is touched by that CPU only.
 */
#ifndef KERNEL_CORE_LOCKCHECK_H
#define KERNEL_CORE_LOCKCHECK_H

#include <stdbool.h>

#include "kernel/core/spinlock.h"
#include "kernel/param.h"

enum lockcheck_verdict {
	LOCKCHECK_OK,
	LOCKCHECK_RANK, /* rank not above the innermost held lock */
	LOCKCHECK_IRQ_UNSAFE, /* taken in a handler and with irqs on */
};

struct lockcheck_cpu {
	const struct spinlock *held[LOCKCHECK_HELD_MAX]; /* outermost first */
	unsigned n_held; /* may exceed the stack: only counted then */
	bool reporting; /* printing a report: check nothing */
} __attribute__((aligned(64)));

enum lockcheck_verdict lockcheck_acquire(struct lockcheck_cpu *c,
					 struct spinlock *l, bool irqs_on,
					 bool in_irq,
					 const struct spinlock **other);
bool lockcheck_release(struct lockcheck_cpu *c, const struct spinlock *l);

#endif
