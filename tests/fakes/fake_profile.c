// SPDX-License-Identifier: MIT
/*
 * For host tests that link kernel/sched/timer.c without the interrupt
 * dispatcher, or the server without the profiler: no interrupt frame,
 * and the profiler is off (profile=0).
 */
#include <stddef.h>

#include "kernel/core/ksyms.h"
#include "kernel/sched/irq.h"
#include "kernel/sched/profile.h"

const struct trap_frame *irq_frame(void)
{
	return NULL;
}

void profile_tick(const struct trap_frame *tf)
{
	(void)tf;
}

unsigned int profile_hz(void)
{
	return 0;
}

void profile_held(unsigned int cpu, uint64_t *first, uint64_t *end)
{
	(void)cpu;
	*first = *end = 0;
}

bool profile_get(unsigned int cpu, uint64_t seq, struct profile_sample *out)
{
	(void)cpu;
	(void)seq;
	(void)out;
	return false;
}

/* No symbol table in a host test. */
const char *ksyms_lookup(uint64_t addr, uint64_t *offset)
{
	(void)addr;
	(void)offset;
	return NULL;
}
