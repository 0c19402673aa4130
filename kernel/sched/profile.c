// SPDX-License-Identifier: MIT
/*
 * Sampling profiler (interface and rules in profile.h).
 *
 * Each CPU's ring is written only by that CPU's timer interrupt: the
 * sample goes into slot head % PROFILE_RING, then head is published with
 * a release store. A reader on any CPU copies a slot and then re-reads
 * head: the copy is good if no sample since could have reused the slot.
 * Samples head-1, head-2, ... are in place; the interrupt may be writing
 * sample `head` right now, into the slot of head - PROFILE_RING, so sample
 * seq is good while seq + PROFILE_RING > head.
 */
#define PR_PREFIX "profile: "
#include "kernel/sched/profile.h"

#include "kernel/arch/lapic.h"
#include "kernel/arch/smp.h"
#include "kernel/arch/time.h"
#include "kernel/arch/trap.h"
#include "kernel/core/cmdline.h"
#include "kernel/core/printk.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/string.h"
#include "kernel/mm/heap.h"
#include "kernel/mm/paging.h"
#include "kernel/param.h"
#include "kernel/sched/timer.h"

/* A frame above this far from the interrupted rsp is not on its stack:
 * the largest stack is a thread's or the boot CPU's, well below it. */
#define PROFILE_STACK_SPAN (64u << 10)

static uint64_t hz;
KPARAM_UINT(profile, hz, 0, 10000,
	    "sampling profiler: samples per second per CPU (0: off)");

static struct cpu_profile {
	struct profile_sample *ring; /* [I] PROFILE_RING, NULL when off */
	uint64_t head; /* [q] samples taken; its own CPU's IRQ writes */
	uint64_t next_ns; /* [q] the next sample is due */
	uint64_t deep; /* [q] samples whose stack was cut */
	struct timer tick; /* [m] keeps the LAPIC timer coming */
} __aligned(64) cpus[CPU_MAX];

static uint64_t period_ns; /* [I] */

void profile_init(void)
{
	unsigned int n = cpu_count();

	if (!hz)
		return;
	for (unsigned int cpu = 0; cpu < n; cpu++) {
		cpus[cpu].ring =
			kzalloc(PROFILE_RING * sizeof(*cpus[cpu].ring));
		if (!cpus[cpu].ring) {
			pr_err("no memory for %u samples on each of %u CPUs: off",
			       PROFILE_RING, n);
			while (cpu--) {
				kfree(cpus[cpu].ring);
				cpus[cpu].ring = NULL;
			}
			hz = 0;
			return;
		}
	}
	period_ns = 1000000000ull / hz;
	pr_info("%llu samples/s on each CPU, the last %u kept",
		(unsigned long long)hz, PROFILE_RING);
}

/* Main loop: a due timer makes the LAPIC fire; the sample is taken in
 * that interrupt, of whatever ran (or the halt). */
static void tick(struct timer *t, void *arg)
{
	(void)arg;
	timer_arm_in(t, period_ns);
}

void profile_start_cpu(void)
{
	struct cpu_profile *p = &cpus[cpu_self()];

	if (!p->ring)
		return;
	timer_setup(&p->tick, tick, NULL);
	timer_arm_in(&p->tick, period_ns);
}

/* Whether [va, va + 16) is a frame record on the interrupted stack. */
static bool on_stack(uint64_t va, uint64_t low, uint64_t prev)
{
	return (va & 7) == 0 && va > prev && va >= low &&
	       va + 16 <= low + PROFILE_STACK_SPAN &&
	       paging_translate((uintptr_t)va) != ~0ull &&
	       paging_translate((uintptr_t)va + 15) != ~0ull;
}

/* 32 bits of a kernel text address, 0 for anything else. */
static uint32_t text_pc(uint64_t va)
{
	extern char __kernel_start[], __text_end[];

	return va >= (uint64_t)__kernel_start && va < (uint64_t)__text_end ?
		       (uint32_t)va :
		       0;
}

void profile_tick(const struct trap_frame *tf)
{
	struct cpu_profile *p = &cpus[cpu_self()];
	uint64_t now = time_ns(), rbp = tf->rbp, prev = 0;
	struct profile_sample *s;
	unsigned int depth = 0;

	if (!p->ring || now < p->next_ns)
		return;
	p->next_ns = now + period_ns;
	/* A busy CPU programs its timer only before it halts: the next
	 * sample's interrupt is armed here. This interrupt marked the timer
	 * fired, so the loop reprograms its own deadline before halting. */
	lapic_timer_arm_tsc(time_ns_to_tsc(p->next_ns));
	s = &p->ring[p->head % PROFILE_RING];
	s->pc[depth++] = text_pc(tf->rip);
	while (depth < PROFILE_DEPTH && on_stack(rbp, tf->rsp, prev)) {
		const uint64_t *frame = (const uint64_t *)rbp;
		uint32_t pc = text_pc(frame[1]);

		if (!pc)
			break;
		s->pc[depth++] = pc - 1; /* the call, not the return point */
		prev = rbp;
		rbp = frame[0];
	}
	if (depth == PROFILE_DEPTH && on_stack(rbp, tf->rsp, prev))
		p->deep++;
	if (depth < PROFILE_DEPTH)
		s->pc[depth] = 0;
	s->at_ms = (uint32_t)(now / 1000000);
	__atomic_store_n(&p->head, p->head + 1, __ATOMIC_RELEASE);
}

unsigned int profile_hz(void)
{
	return (unsigned int)hz;
}

void profile_held(unsigned int cpu, uint64_t *first, uint64_t *end)
{
	uint64_t head = 0;

	if (cpu < CPU_MAX && cpus[cpu].ring)
		head = __atomic_load_n(&cpus[cpu].head, __ATOMIC_ACQUIRE);
	*end = head;
	/* The oldest slot may be the one the next interrupt writes. */
	*first = head >= PROFILE_RING ? head - PROFILE_RING + 1 : 0;
}

bool profile_get(unsigned int cpu, uint64_t seq, struct profile_sample *out)
{
	const struct cpu_profile *p;
	uint64_t head;

	if (cpu >= CPU_MAX || !cpus[cpu].ring)
		return false;
	p = &cpus[cpu];
	head = __atomic_load_n(&p->head, __ATOMIC_ACQUIRE);
	if (seq >= head || seq + PROFILE_RING <= head)
		return false;
	memcpy(out, &p->ring[seq % PROFILE_RING], sizeof(*out));
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	head = __atomic_load_n(&p->head, __ATOMIC_ACQUIRE);
	return seq + PROFILE_RING > head;
}

void profile_get_stats(struct profile_stats *st)
{
	*st = (struct profile_stats){ 0 };
	for (unsigned int cpu = 0; cpu < CPU_MAX; cpu++) {
		st->samples += READ_ONCE(cpus[cpu].head);
		st->deep_stacks += READ_ONCE(cpus[cpu].deep);
	}
}
