/* SPDX-License-Identifier: MIT */
/*
 * Spinlocks with a name and a rank. A CPU takes locks in strictly
 * increasing rank: a lock may be taken only when its rank is above that
 * of every lock this CPU already holds. With the boot option
 * lockcheck=on each CPU records the locks it holds and every acquisition
 * is checked (kernel/core/spinlock.c):
 *   - rank inversion: taking a lock whose rank is not above the
 *     innermost held one (also catches taking a lock twice);
 *   - irq safety: a lock taken from an interrupt handler and also taken
 *     with interrupts enabled outside one (the handler can interrupt the
 *     holder on its own CPU and spin forever). Such a lock must be taken
 *     with spin_lock_irqsave() everywhere.
 * A violation is reported once per lock pair / lock, with both names and
 * ranks and a backtrace, and counted (spinlock_violations()); lockcheck=
 * panic stops the VM instead. lockcheck=off (the default) costs one
 * predictable branch per lock.
 *
 * While a CPU spins with interrupts off it services TLB shootdowns
 * addressed to it (spinlock_set_spin_hook), so a CPU holding a lock can
 * always complete a shootdown against a CPU waiting for that lock.
 *
 * The lock order (outermost first). Every lock in the kernel has one of
 * these ranks; a new lock gets a new line here and in docs/DESIGN.md.
 *
 *  rank  name             guards                                  irq
 *  ----  ---------------  --------------------------------------  ----
 *   10   LOCK_RANK_NET    one CPU's lwIP instance and queues      no
 *   20   LOCK_RANK_FS     page cache, file fills (fs/pcache.c)    no
 *   25   LOCK_RANK_FS_META ext2 block/inode caches, open files    no
 *   28   LOCK_RANK_IOBUF_CPU one CPU's cache of freed buffers     no
 *   30   LOCK_RANK_IOBUF  buffer pool bitmap and hint             no
 *   35   LOCK_RANK_BLK    virtio-blk ring, request lists, stats  no
 *   40   LOCK_RANK_SFBUF  sf_buf mapping cache (per CPU / shared) yes
 *   50   LOCK_RANK_TIMER  (free: timers are per CPU, no lock)     -
 *   60   LOCK_RANK_HEAP   kernel heap (kmalloc/kfree)             no
 *   70   LOCK_RANK_PAGING kernel page tables (map/unmap)          no
 *   80   LOCK_RANK_PMM    physical frame allocator                no
 *   90   LOCK_RANK_IPI    smp_call / shootdown request slots      yes
 *  100   LOCK_RANK_CONSOLE serial console output (printk)         yes
 *  110   LOCK_RANK_TEST   lock-order selftest only                -
 *
 * "irq yes": may be taken in an interrupt handler, so every taker uses
 * the _irqsave variants. Ranks leave gaps for locks added between.
 */
#ifndef KERNEL_CORE_SPINLOCK_H
#define KERNEL_CORE_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

enum lock_rank {
	LOCK_RANK_NET = 10,
	LOCK_RANK_FS = 20,
	LOCK_RANK_FS_META = 25,
	LOCK_RANK_IOBUF_CPU = 28,
	LOCK_RANK_IOBUF = 30,
	LOCK_RANK_BLK = 35,
	LOCK_RANK_SFBUF = 40,
	LOCK_RANK_TIMER = 50,
	LOCK_RANK_HEAP = 60,
	LOCK_RANK_PAGING = 70,
	LOCK_RANK_PMM = 80,
	LOCK_RANK_IPI = 90,
	LOCK_RANK_ALOG = 95, /* access log ring: a leaf */
	LOCK_RANK_CONSOLE = 100,
	LOCK_RANK_TEST = 110,
	LOCK_RANK_MAX = LOCK_RANK_TEST,
};

#define SPIN_NO_CPU 0xFFFFu

struct spinlock {
	volatile uint32_t locked; /* 0 free, 1 held: xchg only */
	uint16_t rank; /* [I] enum lock_rank */
	uint16_t owner; /* [lock] holder's CPU, SPIN_NO_CPU when free */
	const char *name; /* [I] for reports */
	/* lockcheck, set with relaxed stores (a report, not a lock) */
	uint8_t seen_in_irq; /* taken inside an interrupt handler */
	uint8_t seen_irqs_on; /* taken with interrupts enabled outside one */
	uint8_t reported; /* irq-safety violation already reported */
};

#define SPINLOCK_INIT(lock_name, lock_rank)                             \
	{                                                               \
		.locked = 0, .rank = (lock_rank), .owner = SPIN_NO_CPU, \
		.name = (lock_name)                                     \
	}

/* Initialise a lock at run time (same as SPINLOCK_INIT). */
void spin_init(struct spinlock *l, const char *name, enum lock_rank rank);

/* Take `l`, spinning; interrupts are left as they are. */
void spin_lock(struct spinlock *l);

/* Take `l` without spinning: true when taken. */
bool spin_trylock(struct spinlock *l);

/* Release `l`, taken by this CPU. */
void spin_unlock(struct spinlock *l);

/* Disable interrupts, take `l`; returns the flags to restore. */
uint64_t spin_lock_irqsave(struct spinlock *l);

/* Release `l` and restore the interrupt state spin_lock_irqsave saved. */
void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags);

/* Whether this CPU holds `l`. */
bool spin_held(const struct spinlock *l);

/* Lock-order checking (boot option lockcheck=off|on|panic). */
enum lockcheck_mode { LOCKCHECK_OFF, LOCKCHECK_ON, LOCKCHECK_PANIC };
void lockcheck_set_mode(enum lockcheck_mode mode);
enum lockcheck_mode lockcheck_mode(void);

/* Violations reported since boot (rank inversions, irq-safety). */
uint64_t spinlock_violations(void);
uint64_t spinlock_rank_violations(void);
uint64_t spinlock_irq_violations(void);

/* Acquisitions that found a lock of rank `rank` held, and the TSC
 * cycles they spent spinning (lockstat, always counted: it costs nothing
 * when the first try takes the lock), with the name of such a lock;
 * false when none of that rank was ever contended. */
bool spinlock_contention(unsigned rank, const char **name, uint64_t *contended,
			 uint64_t *wait_cycles);

/* Called on each spin iteration with interrupts off (smp.c: service
 * pending TLB shootdowns). */
void spinlock_set_spin_hook(void (*fn)(void));

#endif
