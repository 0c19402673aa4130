// SPDX-License-Identifier: MIT
/*
 * Spinlocks for the single-threaded host tests (kernel/core/spinlock.h):
 * the lock word is kept, so releasing a free lock fails the test at once.
 * Taking a held lock is allowed: the fake panic longjmps out of critical
 * sections, leaving their lock held.
 */
#include <stdio.h>
#include <stdlib.h>

#include "kernel/core/spinlock.h"

static void die(const char *what, const struct spinlock *l)
{
	fprintf(stderr, "fake_spinlock: %s %s\n", what, l->name);
	abort();
}

void spin_init(struct spinlock *l, const char *name, enum lock_rank rank)
{
	*l = (struct spinlock)SPINLOCK_INIT(name, rank);
}

void spin_lock(struct spinlock *l)
{
	l->locked = 1;
}

bool spin_trylock(struct spinlock *l)
{
	if (l->locked)
		return false;
	l->locked = 1;
	return true;
}

void spin_unlock(struct spinlock *l)
{
	if (!l->locked)
		die("releasing free lock", l);
	l->locked = 0;
}

uint64_t spin_lock_irqsave(struct spinlock *l)
{
	spin_lock(l);
	return 0;
}

void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	(void)flags;
	spin_unlock(l);
}

bool spin_held(const struct spinlock *l)
{
	return l->locked;
}
