// SPDX-License-Identifier: MIT
/*
 * The host tests run in one thread; a test plays several CPUs by setting
 * fake_cpu_id (cpu_self(), kernel/cpu/percpu.h) and fake_cpu_total.
 * IPIs are recorded, not delivered: fake_kicks[cpu] counts smp_kick().
 */
#include "kernel/arch/smp.h"

unsigned fake_cpu_id;
unsigned fake_cpu_total = 1;
unsigned fake_kicks[CPU_MAX];

unsigned cpu_count(void)
{
	return fake_cpu_total;
}

void smp_kick(unsigned cpu)
{
	fake_kicks[cpu]++;
}
