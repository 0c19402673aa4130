// SPDX-License-Identifier: MIT
/*
 * One-shot timers (interface in kernel/sched/timer.h). The armed timers form a
 * circular doubly-linked list through a sentinel, sorted by deadline.
 * timer_run_expired() first moves every expired timer to a private batch
 * list (same links, still marked armed, so a callback may cancel a later
 * member of the batch), then runs the batch in order. The LAPIC timer
 * interrupt only counts and marks itself fired: the main loop, woken by
 * it, runs the callbacks.
 * Per CPU, no lock: each CPU has its own armed list, LAPIC timer and
 * counters, all [this CPU]. A timer is armed on the list of the CPU that
 * arms it and runs there; while armed it is re-armed or cancelled only
 * by that CPU (its owner's CPU: connections and threads never move), a
 * broken invariant checked with BUG_ON. Every CPU's LAPIC timer raises
 * the same vector (timer_start_cpu on the APs); the handler marks its
 * own CPU fired.
 */
#define PR_PREFIX "timer: "
#include "kernel/sched/timer.h"

#include "kernel/arch/lapic.h"
#include "kernel/arch/time.h"
#include "kernel/core/panic.h"
#include "kernel/core/printk.h"
#include "kernel/cpu/percpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/param.h"
#include "kernel/sched/irq.h"
#include "kernel/sched/profile.h"

static struct timer_cpu {
	struct list_node armed; /* [this CPU] by deadline */
	uint64_t programmed; /* [this CPU] deadline in its LAPIC */
	bool hw_fired; /* [q] set by the interrupt, cleared by program */
	struct timer_stats stats; /* [this CPU], irqs [q] */
} __aligned(64) cpus[CPU_MAX];
static int timer_vector = -1; /* [I] after timer_init */

/* This CPU's timers; the list head is set up on first use. */
static struct timer_cpu *this_cpu(void)
{
	struct timer_cpu *c = &cpus[cpu_self()];

	if (!c->armed.next) {
		list_init(&c->armed);
		c->programmed = TIMER_NONE;
	}
	return c;
}

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
	t->cpu = 0;
}

void timer_arm_at(struct timer *t, uint64_t deadline_ns)
{
	struct timer_cpu *c = this_cpu();
	struct list_node *pos;

	if (t->armed) {
		BUG_ON(t->cpu != cpu_self());
		list_remove(&t->link);
	}
	t->deadline = deadline_ns;
	t->armed = true;
	t->cpu = (uint16_t)cpu_self();
	/* After the last timer not later than ours: FIFO among equals. */
	for (pos = c->armed.prev; pos != &c->armed; pos = pos->prev)
		if (timer_of(pos)->deadline <= deadline_ns)
			break;
	list_insert_before(&t->link, pos->next);
	c->stats.armed++;
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
	BUG_ON(t->cpu != cpu_self());
	list_remove(&t->link);
	t->armed = false;
	this_cpu()->stats.cancelled++;
	return true;
}

bool timer_armed(const struct timer *t)
{
	return READ_ONCE(t->armed);
}

uint64_t timer_next_deadline(void)
{
	struct timer_cpu *c = this_cpu();

	return list_empty(&c->armed) ? TIMER_NONE :
				       timer_of(c->armed.next)->deadline;
}

int timer_run_expired(void)
{
	struct list_node batch = LIST_HEAD_INIT(batch), *node;
	struct timer_cpu *c = this_cpu();
	uint64_t now = time_ns();
	int n = 0;

	while (!list_empty(&c->armed) &&
	       timer_of(c->armed.next)->deadline <= now) {
		struct timer *t = timer_of(list_pop_head(&c->armed));

		list_add_tail(&batch, &t->link);
	}
	while ((node = list_pop_head(&batch))) {
		struct timer *t = timer_of(node);

		t->armed = false;
		c->stats.fired++;
		n++;
		t->fn(t, t->arg); /* may (re)arm or cancel */
	}
	return n;
}

void timer_program(void)
{
	struct timer_cpu *c = this_cpu();
	uint64_t next = timer_next_deadline();
	bool fired = __atomic_exchange_n(&c->hw_fired, false, __ATOMIC_SEQ_CST);

	if (next == c->programmed && !fired)
		return;
	if (next == TIMER_NONE)
		lapic_timer_stop();
	else
		lapic_timer_arm_tsc(time_ns_to_tsc(next));
	c->programmed = next;
	c->stats.programs++;
}

/* IRQ context: the main loop, now awake, does the rest. */
static void timer_irq(void *arg)
{
	struct timer_cpu *c = &cpus[cpu_self()];

	WRITE_ONCE(c->hw_fired, true);
	WRITE_ONCE(c->stats.irqs, c->stats.irqs + 1);
	profile_tick(irq_frame());
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
	timer_vector = vector;
	pr_info("LAPIC timer on vector %d", vector);
	return 0;
}

void timer_start_cpu(void)
{
	if (timer_vector >= 0)
		lapic_timer_init_ap((uint8_t)timer_vector);
}

/* Sums over the CPUs; each counter is one aligned word, never torn. */
void timer_get_stats(struct timer_stats *st)
{
	*st = (struct timer_stats){ 0 };
	for (unsigned cpu = 0; cpu < CPU_MAX; cpu++) {
		const struct timer_stats *c = &cpus[cpu].stats;

		st->armed += READ_ONCE(c->armed);
		st->fired += READ_ONCE(c->fired);
		st->cancelled += READ_ONCE(c->cancelled);
		st->programs += READ_ONCE(c->programs);
		st->irqs += READ_ONCE(c->irqs);
	}
}
