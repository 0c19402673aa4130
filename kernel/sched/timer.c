// SPDX-License-Identifier: MIT
/*
 * One-shot timers (interface in kernel/sched/timer.h). The armed timers form a
 * circular doubly-linked list through a sentinel, sorted by deadline.
 * timer_run_expired() first moves every expired timer to a private batch
 * list (same links, still marked armed, so a callback may cancel a later
 * member of the batch), then runs the batch in order. The LAPIC timer
 * interrupt only counts and marks itself fired: the main loop, woken by
 * it, runs the callbacks.
 * Locking: timer_lock (rank LOCK_RANK_TIMER) guards the armed list, the
 * batch links and the counters; callbacks run without it (they may arm
 * or cancel timers). The LAPIC programmed is CPU 0's: timer_program()
 * runs in CPU 0's main loop, as do the callbacks today.
 */
#define PR_PREFIX "timer: "
#include "kernel/sched/timer.h"

#include "kernel/arch/lapic.h"
#include "kernel/arch/time.h"
#include "kernel/core/printk.h"
#include "kernel/core/spinlock.h"
#include "kernel/lib/compiler.h"
#include "kernel/sched/irq.h"

/* [timer_lock] by deadline */
static struct list_node armed = LIST_HEAD_INIT(armed);
static uint64_t programmed = TIMER_NONE; /* [CPU 0] deadline in the LAPIC */
static bool hw_fired; /* [q] set by the interrupt, cleared by program */
static struct timer_stats stats; /* [timer_lock], irqs [q] */
static struct spinlock timer_lock = SPINLOCK_INIT("timer", LOCK_RANK_TIMER);

static struct timer *timer_of(struct list_node *n)
{
	return list_entry(n, struct timer, link);
}

void timer_setup(struct timer *t, timer_fn fn, void *arg)
{
	list_node_init(&t->link);
	t->deadline = 0;
	t->fn = fn;
	t->arg = arg;
	t->armed = false;
}

void timer_arm_at(struct timer *t, uint64_t deadline_ns)
{
	struct list_node *pos;

	spin_lock(&timer_lock);
	if (t->armed)
		list_remove(&t->link);
	t->deadline = deadline_ns;
	t->armed = true;
	/* After the last timer not later than ours: FIFO among equals. */
	for (pos = armed.prev; pos != &armed; pos = pos->prev)
		if (timer_of(pos)->deadline <= deadline_ns)
			break;
	list_insert_before(&t->link, pos->next);
	stats.armed++;
	spin_unlock(&timer_lock);
}

void timer_arm_in(struct timer *t, uint64_t delay_ns)
{
	uint64_t now = time_ns();

	timer_arm_at(t, delay_ns > TIMER_NONE - now ? TIMER_NONE - 1 :
						      now + delay_ns);
}

bool timer_cancel(struct timer *t)
{
	bool was_armed;

	spin_lock(&timer_lock);
	was_armed = t->armed;
	if (was_armed) {
		list_remove(&t->link);
		t->armed = false;
		stats.cancelled++;
	}
	spin_unlock(&timer_lock);
	return was_armed;
}

bool timer_armed(const struct timer *t)
{
	return READ_ONCE(t->armed);
}

uint64_t timer_next_deadline(void)
{
	uint64_t next;

	spin_lock(&timer_lock);
	next = list_empty(&armed) ? TIMER_NONE : timer_of(armed.next)->deadline;
	spin_unlock(&timer_lock);
	return next;
}

int timer_run_expired(void)
{
	struct list_node batch = LIST_HEAD_INIT(batch), *node;
	uint64_t now = time_ns();
	int n = 0;

	spin_lock(&timer_lock);
	while (!list_empty(&armed) && timer_of(armed.next)->deadline <= now) {
		struct timer *t = timer_of(list_pop_head(&armed));

		list_add_tail(&batch, &t->link);
	}
	while ((node = list_pop_head(&batch))) {
		struct timer *t = timer_of(node);

		t->armed = false;
		stats.fired++;
		n++;
		spin_unlock(&timer_lock); /* the callback may (re)arm */
		t->fn(t, t->arg);
		spin_lock(&timer_lock);
	}
	spin_unlock(&timer_lock);
	return n;
}

void timer_program(void)
{
	uint64_t next = timer_next_deadline();
	bool fired = __atomic_exchange_n(&hw_fired, false, __ATOMIC_SEQ_CST);

	if (next == programmed && !fired)
		return;
	if (next == TIMER_NONE)
		lapic_timer_stop();
	else
		lapic_timer_arm_tsc(time_ns_to_tsc(next));
	programmed = next;
	stats.programs++;
}

/* IRQ context: the main loop, now awake, does the rest. */
static void timer_irq(void *arg)
{
	WRITE_ONCE(hw_fired, true);
	WRITE_ONCE(stats.irqs, stats.irqs + 1);
}

int timer_init(void)
{
	int vector = irq_alloc_vector(timer_irq, NULL, "lapic-timer");
	int rc;

	if (vector < 0)
		return vector;
	rc = lapic_timer_init((uint8_t)vector);
	if (rc) {
		irq_free_vector(vector);
		return rc;
	}
	pr_info("LAPIC timer on vector %d", vector);
	return 0;
}

/* irqs is one aligned word, so the copy cannot see it torn. */
void timer_get_stats(struct timer_stats *st)
{
	spin_lock(&timer_lock);
	*st = stats;
	spin_unlock(&timer_lock);
	st->irqs = READ_ONCE(stats.irqs);
}
