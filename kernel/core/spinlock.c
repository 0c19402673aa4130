// SPDX-License-Identifier: MIT
/*
 * Spinlocks and the lock-order checker (interface and the lock order
 * table in spinlock.h). The lock word is taken with xchg (a full barrier
 * on x86, so the critical section cannot move above it) and released
 * with a plain store after a compiler barrier (TSO keeps earlier stores
 * and loads before it). Waiters spin on a read first so the line stays
 * shared while the lock is held.
 *
 * The checker keeps, per CPU, the stack of locks held (checker[],
 * indexed by cpu_self()); only its own CPU touches a stack, so it needs
 * no lock. Its decisions are kernel/core/lockcheck.c's, tested on the
 * host (tests/kernel/test_lockcheck.c). A report prints with the checker off on
 * this CPU (printk takes the console lock) and never recurses.
 */
#define PR_PREFIX "lockcheck: "
#include "kernel/core/spinlock.h"

#include "kernel/core/backtrace.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/lockcheck.h"
#include "kernel/core/panic.h"
#include "kernel/core/printk.h"
#include "kernel/cpu/cpu.h"
#include "kernel/cpu/percpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/param.h"

static const char *const lockcheck_names[] = { "off", "on", "panic", NULL };
static int check_mode = LOCKCHECK_OFF;
KPARAM_ENUM(lockcheck, check_mode, lockcheck_names,
	    "spinlock order and irq-safety checks: off|on|panic");

static struct lockcheck_cpu checker[CPU_MAX]; /* [this CPU] */
static uint64_t rank_violations; /* atomic add */
static uint64_t irq_violations; /* atomic add */
static void (*spin_hook)(void); /* [I] set once at boot */

/* Contended acquisitions by rank (the lock found held at first try):
 * where CPUs meet. One name per rank, the first lock of that rank seen
 * contended; a rank is one lock or one kind of per-CPU lock. */
static struct {
	uint64_t contended; /* atomic add */
	uint64_t wait_cycles; /* atomic add: TSC cycles spent spinning */
	const char *name; /* [racy] any lock of this rank: same kind */
} contention[LOCK_RANK_MAX + 1];

void lockcheck_set_mode(enum lockcheck_mode mode)
{
	check_mode = mode;
}

enum lockcheck_mode lockcheck_mode(void)
{
	return (enum lockcheck_mode)READ_ONCE(check_mode);
}

uint64_t spinlock_rank_violations(void)
{
	return READ_ONCE(rank_violations);
}

uint64_t spinlock_irq_violations(void)
{
	return READ_ONCE(irq_violations);
}

uint64_t spinlock_violations(void)
{
	return spinlock_rank_violations() + spinlock_irq_violations();
}

void spinlock_set_spin_hook(void (*fn)(void))
{
	spin_hook = fn;
}

void spin_init(struct spinlock *l, const char *name, enum lock_rank rank)
{
	*l = (struct spinlock)SPINLOCK_INIT(name, rank);
}

static void report(enum lockcheck_verdict v, struct lockcheck_cpu *c,
		   const struct spinlock *l, const struct spinlock *other)
{
	c->reporting = true; /* printk's console lock goes unchecked */
	for (unsigned i = 0; i < c->n_held && i < LOCKCHECK_HELD_MAX; i++)
		if (c->held[i]->rank >= LOCK_RANK_CONSOLE)
			printk_panic_mode(); /* we hold it: print unlocked */
	if (v == LOCKCHECK_RANK) {
		__atomic_add_fetch(&rank_violations, 1, __ATOMIC_RELAXED);
		pr_err("lock order violation on CPU %u: taking %s (rank %u) "
		       "while holding %s (rank %u)",
		       cpu_self(), l->name, l->rank, other->name, other->rank);
	} else {
		__atomic_add_fetch(&irq_violations, 1, __ATOMIC_RELAXED);
		pr_err("irq-unsafe lock on CPU %u: %s (rank %u) is taken in "
		       "an interrupt handler and with interrupts enabled",
		       cpu_self(), l->name, l->rank);
	}
	backtrace_here();
	c->reporting = false;
	if (lockcheck_mode() == LOCKCHECK_PANIC)
		panic("lockcheck: violation on %s", l->name);
}

static void check_acquire(struct spinlock *l, bool irqs_on)
{
	struct lockcheck_cpu *c = &checker[cpu_self()];
	const struct spinlock *other;
	enum lockcheck_verdict v;

	if (c->reporting)
		return;
	v = lockcheck_acquire(c, l, irqs_on, percpu_in_irq(), &other);
	if (v != LOCKCHECK_OK)
		report(v, c, l, other);
}

static void check_release(const struct spinlock *l)
{
	struct lockcheck_cpu *c = &checker[cpu_self()];

	if (!c->reporting)
		lockcheck_release(c, l);
}

static bool try_take(struct spinlock *l)
{
	return __atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0;
}

/* Spin until `l` is free, then take it; irqs_on: the caller's state
 * (the lock checker's input; with interrupts off, run the spin hook). */
static void take(struct spinlock *l, bool irqs_on)
{
	uint64_t start;

	if (likely(try_take(l))) {
		l->owner = (uint16_t)cpu_self();
		return;
	}
	start = rdtsc();
	while (!try_take(l)) {
		do {
			if (!irqs_on && spin_hook)
				spin_hook();
			cpu_relax();
		} while (READ_ONCE(l->locked));
	}
	l->owner = (uint16_t)cpu_self();
	if (l->rank <= LOCK_RANK_MAX) {
		__atomic_fetch_add(&contention[l->rank].contended, 1,
				   __ATOMIC_RELAXED);
		__atomic_fetch_add(&contention[l->rank].wait_cycles,
				   rdtsc() - start, __ATOMIC_RELAXED);
		WRITE_ONCE(contention[l->rank].name, l->name);
	}
}

void spin_lock(struct spinlock *l)
{
	bool irqs_on = read_rflags() & RFLAGS_IF;

	if (unlikely(check_mode != LOCKCHECK_OFF))
		check_acquire(l, irqs_on);
	take(l, irqs_on);
}

bool spin_trylock(struct spinlock *l)
{
	if (!try_take(l))
		return false;
	l->owner = (uint16_t)cpu_self();
	if (unlikely(check_mode != LOCKCHECK_OFF))
		check_acquire(l, read_rflags() & RFLAGS_IF);
	return true;
}

void spin_unlock(struct spinlock *l)
{
	if (unlikely(check_mode != LOCKCHECK_OFF))
		check_release(l);
	l->owner = SPIN_NO_CPU;
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

uint64_t spin_lock_irqsave(struct spinlock *l)
{
	uint64_t flags = irq_save();

	if (unlikely(check_mode != LOCKCHECK_OFF))
		check_acquire(l, false);
	take(l, false);
	return flags;
}

void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
	spin_unlock(l);
	irq_restore(flags);
}

bool spin_held(const struct spinlock *l)
{
	return READ_ONCE(l->locked) && l->owner == cpu_self();
}

bool spinlock_contention(unsigned rank, const char **name, uint64_t *contended,
			 uint64_t *wait_cycles)
{
	if (rank > LOCK_RANK_MAX || !READ_ONCE(contention[rank].name))
		return false;
	*name = READ_ONCE(contention[rank].name);
	*contended = READ_ONCE(contention[rank].contended);
	*wait_cycles = READ_ONCE(contention[rank].wait_cycles);
	return true;
}
