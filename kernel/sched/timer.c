// SPDX-License-Identifier: MIT
/*
 * One-shot timers (interface in kernel/sched/timer.h). The armed timers form a
 * circular doubly-linked list through a sentinel, sorted by deadline.
 * timer_run_expired() first moves every expired timer to a private batch
 * list (same links, still marked armed, so a callback may cancel a later
 * member of the batch), then runs the batch in order. The LAPIC timer
 * interrupt only counts and marks itself fired: the main loop, woken by
 * it, runs the callbacks.
 */
#define PR_PREFIX "timer: "
#include "kernel/sched/timer.h"

#include "kernel/arch/lapic.h"
#include "kernel/arch/time.h"
#include "kernel/core/printk.h"
#include "kernel/lib/compiler.h"
#include "kernel/sched/irq.h"

static struct timer armed = { .next = &armed, .prev = &armed }; /* [m] */
static uint64_t programmed = TIMER_NONE; /* [m] deadline in the LAPIC */
static bool hw_fired; /* [q] set by the interrupt, cleared by program */
static struct timer_stats stats; /* [m], irqs [q] */

static void unlink(struct timer *t)
{
	t->prev->next = t->next;
	t->next->prev = t->prev;
	t->next = t->prev = NULL;
}

/* Insert `t` before `pos`. */
static void link_before(struct timer *t, struct timer *pos)
{
	t->next = pos;
	t->prev = pos->prev;
	pos->prev->next = t;
	pos->prev = t;
}

void timer_setup(struct timer *t, timer_fn fn, void *arg)
{
	t->next = t->prev = NULL;
	t->deadline = 0;
	t->fn = fn;
	t->arg = arg;
	t->armed = false;
}

void timer_arm_at(struct timer *t, uint64_t deadline_ns)
{
	struct timer *pos;

	if (t->armed)
		unlink(t);
	t->deadline = deadline_ns;
	t->armed = true;
	/* After the last timer not later than ours: FIFO among equals. */
	for (pos = armed.prev; pos != &armed; pos = pos->prev)
		if (pos->deadline <= deadline_ns)
			break;
	link_before(t, pos->next);
	stats.armed++;
}

void timer_arm_in(struct timer *t, uint64_t delay_ns)
{
	uint64_t now = time_ns();

	timer_arm_at(t, delay_ns > TIMER_NONE - now ? TIMER_NONE - 1 :
						      now + delay_ns);
}

bool timer_cancel(struct timer *t)
{
	if (!t->armed)
		return false;
	unlink(t);
	t->armed = false;
	stats.cancelled++;
	return true;
}

bool timer_armed(const struct timer *t)
{
	return t->armed;
}

uint64_t timer_next_deadline(void)
{
	return armed.next == &armed ? TIMER_NONE : armed.next->deadline;
}

int timer_run_expired(void)
{
	struct timer batch = { .next = &batch, .prev = &batch };
	uint64_t now = time_ns();
	int n = 0;

	while (armed.next != &armed && armed.next->deadline <= now) {
		struct timer *t = armed.next;

		unlink(t);
		link_before(t, &batch);
	}
	while (batch.next != &batch) {
		struct timer *t = batch.next;

		unlink(t);
		t->armed = false;
		stats.fired++;
		n++;
		t->fn(t, t->arg);
	}
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
	*st = stats;
	st->irqs = READ_ONCE(stats.irqs);
}
