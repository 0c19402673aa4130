// SPDX-License-Identifier: MIT
/*
 * Multiprocessor support (interface in smp.h). This first version runs
 * the boot CPU only: cpu_self() is 0, shootdowns and calls are local.
 */
#define PR_PREFIX "smp: "
#include "kernel/arch/smp.h"

#include "kernel/cpu/cpu.h"
#include "kernel/lib/compiler.h"
#include "kernel/lib/string.h"

static struct percpu percpu_area[CPU_MAX];
static struct smp_cpu_stats cpu_stats[CPU_MAX] __aligned(64);
static unsigned n_online = 1;

void smp_bsp_init(void)
{
	percpu_area[0].id = 0;
	percpu_install(&percpu_area[0]);
	cpu_stats[0].online = 1;
}

unsigned smp_boot_aps(void)
{
	return n_online;
}

unsigned cpu_count(void)
{
	return READ_ONCE(n_online);
}

cpumask_t cpu_online_mask(void)
{
	unsigned n = cpu_count();

	return n >= 64 ? ~(cpumask_t)0 : CPUMASK_BIT(n) - 1;
}

void tlb_shootdown(cpumask_t cpus, uintptr_t va, size_t pages)
{
	if (!(cpus & CPUMASK_BIT(cpu_self())))
		return;
	cpu_stats[cpu_self()].local_invalidations++;
	for (size_t i = 0; i < pages; i++)
		invlpg(va + i * PAGE_SIZE);
}

void smp_call(cpumask_t cpus, void (*fn)(void *), void *arg, bool wait)
{
	(void)wait;
	if (cpus & CPUMASK_BIT(cpu_self()))
		fn(arg);
}

bool smp_get_cpu_stats(unsigned cpu, struct smp_cpu_stats *out)
{
	if (cpu >= CPU_MAX)
		return false;
	*out = cpu_stats[cpu];
	return true;
}

void smp_selftest(void)
{
}
