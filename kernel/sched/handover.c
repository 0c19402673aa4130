// SPDX-License-Identifier: MIT
/*
 * Per-CPU handover queues (interface and rules in handover.h). Each
 * CPU's queue head is pushed by any CPU with a CAS and taken whole by
 * its owner with an exchange; the owner reverses the taken chain so
 * handovers run oldest first. The counters are per CPU, written by
 * their CPU only.
 */
#include "kernel/sched/handover.h"

#include "kernel/arch/smp.h"
#include "kernel/cpu/percpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/param.h"

static struct {
	struct handover *head; /* [atomic] newest first */
	struct handover_stats stats; /* [its CPU] */
} __aligned(64) queues[CPU_MAX];

/* Queue fn(h) on `cpu`; see handover.h. */
void handover_to(unsigned cpu, struct handover *h, handover_fn fn)
{
	unsigned self = cpu_self();
	struct handover *old =
		__atomic_load_n(&queues[cpu].head, __ATOMIC_RELAXED);

	h->fn = fn;
	do {
		h->next = old;
		/* release: fn and the record h is part of are written
		 * before the target can take h */
	} while (!__atomic_compare_exchange_n(&queues[cpu].head, &old, h, true,
					      __ATOMIC_RELEASE,
					      __ATOMIC_RELAXED));
	if (cpu == self) {
		queues[self].stats.local++;
		return;
	}
	queues[self].stats.sent++;
	if (!old) { /* it may be halted: a non-empty queue was kicked */
		queues[self].stats.kicks++;
		smp_kick(cpu);
	}
}

/* Run this CPU's handovers, oldest first; see handover.h. */
int handover_poll(void *unused)
{
	unsigned self = cpu_self();
	struct handover *h, *rev = NULL;
	int n = 0;

	(void)unused;
	if (!__atomic_load_n(&queues[self].head, __ATOMIC_RELAXED))
		return 0;
	/* acquire: pairs with the release in handover_to */
	h = __atomic_exchange_n(&queues[self].head, NULL, __ATOMIC_ACQUIRE);
	while (h) {
		struct handover *next = h->next;

		h->next = rev;
		rev = h;
		h = next;
	}
	while (rev) {
		struct handover *next = rev->next;

		rev->fn(rev); /* may free rev or queue it again */
		rev = next;
		n++;
	}
	queues[self].stats.run += (uint64_t)n;
	return n;
}

bool handover_pending(void)
{
	return __atomic_load_n(&queues[cpu_self()].head, __ATOMIC_RELAXED) !=
	       NULL;
}

bool handover_get_cpu_stats(unsigned cpu, struct handover_stats *st)
{
	if (cpu >= CPU_MAX)
		return false;
	*st = queues[cpu].stats;
	return true;
}
