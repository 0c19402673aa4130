// SPDX-License-Identifier: MIT
/*
 * The lock-order checker's decisions (interface in lockcheck.h; the
 * rules in spinlock.h). Pure functions of one CPU's held-lock stack and
 * the lock's own record, so the host tests drive them directly; the
 * kernel calls them from spinlock.c with this CPU's state.
 */
#include "kernel/core/lockcheck.h"

#include <stddef.h>

/*
 * The checker's decision for taking `l` on a CPU whose state is `c`, with
 * interrupts `irqs_on` and `in_irq` (inside a handler): records what it
 * saw in the lock and returns the violation found, if any. `*other` is
 * the held lock a rank inversion conflicts with. Pure: tested on the host.
 */
enum lockcheck_verdict lockcheck_acquire(struct lockcheck_cpu *c,
					 struct spinlock *l, bool irqs_on,
					 bool in_irq,
					 const struct spinlock **other)
{
	enum lockcheck_verdict v = LOCKCHECK_OK;

	unsigned top = c->n_held < LOCKCHECK_HELD_MAX ? c->n_held :
							LOCKCHECK_HELD_MAX;

	*other = NULL;
	if (top > 0 && c->held[top - 1]->rank >= l->rank) {
		*other = c->held[top - 1];
		v = LOCKCHECK_RANK;
	}
	if (in_irq)
		l->seen_in_irq = 1;
	else if (irqs_on)
		l->seen_irqs_on = 1;
	if (v == LOCKCHECK_OK && l->seen_in_irq && l->seen_irqs_on &&
	    !l->reported) {
		l->reported = 1;
		v = LOCKCHECK_IRQ_UNSAFE;
	}
	if (c->n_held < LOCKCHECK_HELD_MAX)
		c->held[c->n_held] = l;
	c->n_held++; /* counted past the stack, so release stays paired */
	return v;
}

/* Forget `l` on CPU `c`; false when `l` was not the innermost held lock
 * (out-of-order release is legal, just unusual: it is removed anyway). */
bool lockcheck_release(struct lockcheck_cpu *c, const struct spinlock *l)
{
	unsigned top = c->n_held < LOCKCHECK_HELD_MAX ? c->n_held :
							LOCKCHECK_HELD_MAX;

	if (c->n_held == 0)
		return false;
	if (c->n_held > LOCKCHECK_HELD_MAX) {
		c->n_held--;
		return true;
	}
	for (unsigned i = top; i-- > 0;) {
		if (c->held[i] != l)
			continue;
		for (unsigned j = i; j + 1 < top; j++)
			c->held[j] = c->held[j + 1];
		c->n_held--;
		return i == top - 1;
	}
	return false;
}
