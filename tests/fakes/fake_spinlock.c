// SPDX-License-Identifier: MIT
/*
 * Host kernel/core/spinlock.h for single-threaded unit tests: a lock is a
 * flag. Taking a lock that is held does not spin (nothing could release
 * it): that only happens after a test's expected panic jumped out of a
 * critical section, and the lock is taken over.
 */
#include "kernel/core/spinlock.h"

void spin_init(struct spinlock *l, const char *name, enum lock_rank rank)
{
	*l = (struct spinlock)SPINLOCK_INIT(name, rank);
}

void spin_lock(struct spinlock *l)
{
	l->locked = 1;
	l->owner = 0;
}

bool spin_trylock(struct spinlock *l)
{
	if (l->locked)
		return false;
	spin_lock(l);
	return true;
}

void spin_unlock(struct spinlock *l)
{
	l->locked = 0;
	l->owner = SPIN_NO_CPU;
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
